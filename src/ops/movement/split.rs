//! SPLIT and SPLIT_V: cut a tensor into pieces along one axis.
//!
//! Contract (TFLite `kernels/split.cc`, `kernels/split_v.cc`, `reference_ops::Split`):
//! - SPLIT: inputs are (**axis**, input) — the axis comes first. `num_splits` outputs of equal
//!   size; the axis dimension must divide evenly. Types: float32, uint8, int8, int16, int32,
//!   int64.
//! - SPLIT_V: inputs are (input, size_splits, axis). `size_splits` (int32/int64, 1-D, one entry
//!   per output) may hold one −1, which takes what the others leave (their sum must not exceed
//!   the dimension); without −1 they must sum to the dimension. Other negative sizes are an error
//!   in qlite. Types: float32, uint8, int8, int16, int32, int64 (TFLite 2.21 refuses uint16).
//! - The axis (negative counts from the end) and the sizes must be known at prepare time in
//!   qlite. Every output has the input's type; bytes are copied (quantization is neither checked
//!   nor changed, as in TFLite).

use crate::dtype::DType;
use crate::error::Result;
use crate::ops::movement::pack::{Scatter, pieces};
use crate::ops::movement::{const_ints, elem_size, normalize_axis, product};
use crate::ops::{Kernel, PrepareContext};
use crate::tflite;

/// Shared tail: checks output types, sets shapes, builds the copies.
fn finish<'m>(
    ctx: &mut PrepareContext<'_, 'm>,
    input: usize,
    axis: usize,
    sizes: &[usize],
) -> Result<Box<dyn Kernel + 'm>> {
    let dtype = ctx.input_dtype(input)?;
    let esize = elem_size(ctx, dtype)?;
    let shape = ctx.input_shape(input)?.to_vec();
    for (k, &s) in sizes.iter().enumerate() {
        if ctx.output_dtype(k)? != dtype {
            return Err(ctx.err(format!("output {k} is {}, input is {dtype}", ctx.output_dtype(k)?)));
        }
        let mut o = shape.clone();
        o[axis] = s;
        ctx.set_output_shape(k, o)?;
    }
    let (outer, inner) = (product(&shape[..axis]), product(&shape[axis + 1..]));
    Ok(Box::new(Scatter { input, parts: pieces(outer, sizes, inner, esize, false) }))
}

fn first_value(ctx: &PrepareContext<'_, '_>, k: usize) -> Result<i64> {
    let dt = ctx.input_dtype(k)?;
    if !matches!(dt, DType::Int32 | DType::Int64) {
        return Err(ctx.err(format!("the axis must be int32, got {dt}")));
    }
    const_ints(ctx, k, "axis")?.first().copied().ok_or_else(|| ctx.err("the axis input is empty"))
}

/// Prepares SPLIT.
pub fn prepare_split<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    let num = ctx.options::<tflite::SplitOptions>().map_or(0, |o| o.num_splits());
    if num <= 0 || ctx.num_outputs() != num as usize {
        return Err(ctx.err(format!("num_splits {num} does not match {} outputs", ctx.num_outputs())));
    }
    ctx.expect_io(2..=2, num as usize)?;
    let dtype = ctx.input_dtype(1)?;
    crate::ops::movement::check_type(
        ctx,
        dtype,
        &[DType::Float32, DType::UInt8, DType::Int8, DType::Int16, DType::Int32, DType::Int64],
    )?;
    let shape = ctx.input_shape(1)?.to_vec();
    let axis = normalize_axis(ctx, first_value(ctx, 0)?, shape.len(), "axis")?;
    let n = num as usize;
    if !shape[axis].is_multiple_of(n) {
        return Err(ctx.err(format!("dimension {axis} of {shape:?} does not split evenly into {n}")));
    }
    finish(ctx, 1, axis, &vec![shape[axis] / n; n])
}

/// Prepares SPLIT_V.
pub fn prepare_split_v<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    let num = ctx.options::<tflite::SplitVOptions>().map_or(0, |o| o.num_splits());
    if num <= 0 || ctx.num_outputs() != num as usize {
        return Err(ctx.err(format!("num_splits {num} does not match {} outputs", ctx.num_outputs())));
    }
    ctx.expect_io(3..=3, num as usize)?;
    let dtype = ctx.input_dtype(0)?;
    crate::ops::movement::check_type(
        ctx,
        dtype,
        &[DType::Float32, DType::UInt8, DType::Int16, DType::Int32, DType::Int64, DType::Int8],
    )?;
    let st = ctx.input_dtype(1)?;
    if !matches!(st, DType::Int32 | DType::Int64) {
        return Err(ctx.err(format!("size_splits must be int32 or int64, got {st}")));
    }
    let n = num as usize;
    let ss = ctx.input_shape(1)?;
    if ss.len() != 1 || ss[0] != n {
        return Err(ctx.err(format!("size_splits has shape {ss:?}, expected [{n}]")));
    }
    let mut sizes = const_ints(ctx, 1, "size_splits")?;
    let shape = ctx.input_shape(0)?.to_vec();
    let axis = normalize_axis(ctx, first_value(ctx, 2)?, shape.len(), "axis")?;
    let dim = shape[axis] as i64;
    let minus_one: Vec<usize> = (0..n).filter(|&i| sizes[i] == -1).collect();
    if minus_one.len() > 1 {
        return Err(ctx.err("size_splits contains more than one -1"));
    }
    if let Some(&i) = sizes.iter().find(|&&s| s < -1) {
        return Err(ctx.err(format!("size_splits has a negative size {i}")));
    }
    let sum: i64 = sizes.iter().filter(|&&s| s != -1).sum();
    match minus_one.first() {
        Some(&i) if sum <= dim => sizes[i] = dim - sum,
        Some(_) => return Err(ctx.err(format!("size_splits sum to {sum}, more than dimension {dim}"))),
        None if sum != dim => return Err(ctx.err(format!("size_splits sum to {sum}, not dimension {dim}"))),
        None => {}
    }
    let sizes: Vec<usize> = sizes.iter().map(|&s| s as usize).collect();
    finish(ctx, 0, axis, &sizes)
}
