//! RESHAPE, SQUEEZE and EXPAND_DIMS: a new shape over the same bytes (no requantization).

use crate::error::Result;
use crate::ops::Scratch;
use crate::ops::{Inputs, Kernel, Outputs, PrepareContext};
use crate::tflite;

/// Copies the input's bytes to the output.
pub struct Copy;

impl Kernel for Copy {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let src = inputs.bytes(0);
        let dst = outputs.bytes(0);
        let n = src.len().min(dst.len());
        dst[..n].copy_from_slice(&src[..n]);
        Ok(())
    }
}

fn finish<'m>(ctx: &mut PrepareContext<'_, 'm>, shape: Vec<usize>) -> Result<Box<dyn Kernel + 'm>> {
    let n_in: usize = ctx.input_shape(0)?.iter().product();
    let n_out: usize = shape.iter().product();
    if n_in != n_out {
        return Err(ctx.err(format!("cannot reshape {:?} ({n_in} elements) to {shape:?}", ctx.input_shape(0)?)));
    }
    if ctx.input_dtype(0)? != ctx.output_dtype(0)? {
        return Err(ctx.err("input and output types differ"));
    }
    ctx.set_output_shape(0, shape)?;
    Ok(Box::new(Copy))
}

/// Resolves a requested shape with at most one −1 against `elements`.
fn resolve(ctx: &PrepareContext<'_, '_>, requested: &[i64], elements: usize) -> Result<Vec<usize>> {
    let mut stretch = None;
    let mut known: usize = 1;
    let mut out = Vec::with_capacity(requested.len());
    for (i, &d) in requested.iter().enumerate() {
        if d == -1 {
            if stretch.replace(i).is_some() {
                return Err(ctx.err(format!("shape {requested:?} has more than one -1")));
            }
            out.push(1);
        } else {
            let d = usize::try_from(d).map_err(|_| ctx.err(format!("invalid dimension {d} in shape {requested:?}")))?;
            known = known.checked_mul(d).ok_or_else(|| ctx.err("shape overflows"))?;
            out.push(d);
        }
    }
    if let Some(i) = stretch {
        if known == 0 || !elements.is_multiple_of(known) {
            return Err(ctx.err(format!("cannot infer the -1 of {requested:?} for {elements} elements")));
        }
        out[i] = elements / known;
    }
    Ok(out)
}

/// Prepares RESHAPE: the shape comes from input 1 when it is a 1-D int32 tensor, else from the
/// options' `new_shape` (a legacy `[0]` means a scalar).
pub fn prepare_reshape<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(1..=2, 1)?;
    let elements: usize = ctx.input_shape(0)?.iter().product();
    let from_tensor = ctx.has_input(1) && ctx.input_shape(1)?.len() == 1 && ctx.input_dtype(1)? == crate::DType::Int32;
    let requested: Vec<i64> = if from_tensor {
        let v = ctx
            .input_value::<i32>(1)?
            .ok_or_else(|| ctx.unsupported("the shape input must be known at prepare time"))?;
        v.iter().map(|&d| d as i64).collect()
    } else {
        let opts = ctx.options::<tflite::ReshapeOptions>();
        match opts.and_then(|o| o.new_shape()) {
            Some(s) => {
                let v: Vec<i64> = s.iter().map(|d| d as i64).collect();
                if v == [0] { Vec::new() } else { v }
            }
            None => ctx.output_shape(0)?.iter().map(|&d| d as i64).collect(),
        }
    };
    let shape = resolve(ctx, &requested, elements)?;
    finish(ctx, shape)
}

/// Prepares SQUEEZE: removes the listed size-1 axes (negative axes count from the end), or every
/// size-1 axis when none are listed.
pub fn prepare_squeeze<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(1..=1, 1)?;
    let in_shape = ctx.input_shape(0)?.to_vec();
    let rank = in_shape.len() as i64;
    let dims: Vec<i32> = ctx
        .options::<tflite::SqueezeOptions>()
        .and_then(|o| o.squeeze_dims())
        .map(|v| v.iter().collect())
        .unwrap_or_default();
    let mut drop = vec![false; in_shape.len()];
    if dims.is_empty() {
        for (i, &d) in in_shape.iter().enumerate() {
            drop[i] = d == 1;
        }
    } else {
        for &d in &dims {
            let a = if (d as i64) < 0 { d as i64 + rank } else { d as i64 };
            if !(0..rank).contains(&a) || in_shape[a as usize] != 1 {
                return Err(ctx.err(format!("cannot squeeze axis {d} of shape {in_shape:?}")));
            }
            drop[a as usize] = true;
        }
    }
    let shape = in_shape.iter().zip(&drop).filter(|(_, d)| !**d).map(|(s, _)| *s).collect();
    finish(ctx, shape)
}

/// Prepares EXPAND_DIMS: inserts a size-1 axis at the position given by the constant input 1
/// (negative counts from the end, −1 appends).
pub fn prepare_expand_dims<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(2..=2, 1)?;
    let mut shape = ctx.input_shape(0)?.to_vec();
    let axis: i64 = match ctx.input_dtype(1)? {
        crate::DType::Int64 => ctx.const_input::<i64>(1)?.first().copied(),
        _ => ctx.const_input::<i32>(1)?.first().map(|&a| a as i64),
    }
    .ok_or_else(|| ctx.err("the axis input is empty"))?;
    let rank = shape.len() as i64;
    let a = if axis < 0 { axis + rank + 1 } else { axis };
    if !(0..=rank).contains(&a) {
        return Err(ctx.err(format!("axis {axis} is out of range for rank {rank}")));
    }
    shape.insert(a as usize, 1);
    finish(ctx, shape)
}
