//! Operands that are constant (borrowed from the file when possible) or read from an input at
//! every invoke: weights, biases and filters.

use std::borrow::Cow;

use super::{QInt, buffer, check_len};
use crate::error::Result;
use crate::ops::{Element, Inputs, PrepareContext, Scratch, ScratchId};

/// A weights or bias operand: constant (borrowed from the file when possible) or read from an
/// input at every invoke.
pub(crate) enum Operand<'m, T: Element> {
    Const(Cow<'m, [T]>),
    Input(usize),
}

impl<'m, T: Element> Operand<'m, T> {
    /// The operand's values, checked to hold `len` elements.
    pub(crate) fn get<'a>(&'a self, inputs: &Inputs<'a>, len: usize) -> Result<&'a [T]> {
        let v: &[T] = match self {
            Operand::Const(c) => c,
            Operand::Input(k) => inputs.get(*k)?,
        };
        check_len(v, len, "operand")
    }
}

/// The values of input `k` when constant, checked to hold `n` elements.
pub(crate) fn const_values<'m, T: Element>(
    ctx: &PrepareContext<'_, 'm>,
    k: usize,
    n: usize,
) -> Result<Option<Cow<'m, [T]>>> {
    match ctx.input_value::<T>(k)? {
        Some(c) if c.len() != n => Err(ctx.err(format!("input {k} holds {} values, its shape needs {n}", c.len()))),
        other => Ok(other),
    }
}

/// Optional bias operand of `channels` values (absent when the input is omitted).
pub(crate) fn bias_operand<'m, T: Element>(
    ctx: &PrepareContext<'_, 'm>,
    k: usize,
    channels: usize,
) -> Result<Option<Operand<'m, T>>> {
    if !ctx.has_input(k) {
        return Ok(None);
    }
    Ok(Some(const_values(ctx, k, channels)?.map_or(Operand::Input(k), Operand::Const)))
}

/// The values of an optional bias.
#[inline]
pub(crate) fn bias_values<'a, T: Element>(
    bias: &'a Option<Operand<'_, T>>,
    inputs: &Inputs<'a>,
    len: usize,
) -> Result<Option<&'a [T]>> {
    match bias {
        Some(b) => Ok(Some(b.get(inputs, len)?)),
        None => Ok(None),
    }
}

/// A filter given as an input (not constant): its input index and the scratch region it is
/// widened or re-laid out into at every invoke.
pub(crate) type FilterInput = Option<(usize, ScratchId)>;

/// Widens a constant filter (`[..]` of `T`) to i16 with `offset` added, or marks it as read at
/// every invoke.
pub(crate) fn widen_filter<T: QInt>(
    ctx: &mut PrepareContext<'_, '_>,
    w_len: usize,
    offset: i16,
) -> Result<(Vec<i16>, FilterInput)> {
    Ok(match const_values::<T>(ctx, 1, w_len)? {
        Some(c) => {
            let mut w = buffer::<i16>(ctx, w_len, "filter")?;
            for (d, &v) in w.iter_mut().zip(c.iter()) {
                *d = v.to_i32() as i16 + offset;
            }
            (w, None)
        }
        None => (Vec::new(), Some((1, ctx.request_scratch::<i16>(w_len, "widened filter")?))),
    })
}

/// The i16 filter a kernel computes with: `w`, widened at prepare from a constant filter, or
/// (`w_input` set by [`widen_filter`]) the filter input widened now into its scratch region.
pub(crate) fn widened_filter<'w, 'a: 'w, T: QInt>(
    w: &'w [i16],
    w_input: FilterInput,
    offset: i16,
    inputs: &Inputs<'_>,
    scratch: &mut Scratch<'a>,
) -> Result<&'w [i16]> {
    let Some((k, buf)) = w_input else { return Ok(w) };
    let dst = scratch.get::<i16>(buf)?;
    let src = check_len(inputs.get::<T>(k)?, dst.len(), "filter")?;
    for (d, &v) in dst.iter_mut().zip(src) {
        *d = v.to_i32() as i16 + offset;
    }
    Ok(dst)
}
