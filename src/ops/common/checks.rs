//! Checks shared by the operators: buffer lengths at invoke (an internal error, never a model's),
//! checked shape products, positive options, 4-D shapes, bias shapes and types, and zeroed buffers
//! charged to the prepare budget.

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::ops::PrepareContext;
use crate::tflite;

/// `v` if it has `len` elements, else an error (a planner or caller bug, never a model's).
#[inline]
pub(crate) fn check_len<'a, T>(v: &'a [T], len: usize, what: &str) -> Result<&'a [T]> {
    if v.len() != len {
        return Err(Error::Internal(format!("{what} has {} elements, expected {len}", v.len())));
    }
    Ok(v)
}

/// Mutable variant of [`check_len`].
#[inline]
pub(crate) fn check_len_mut<'a, T>(v: &'a mut [T], len: usize, what: &str) -> Result<&'a mut [T]> {
    if v.len() != len {
        return Err(Error::Internal(format!("{what} has {} elements, expected {len}", v.len())));
    }
    Ok(v)
}

/// Elements of a shape: 0 when any dimension is 0 (however large the others are, so an empty
/// tensor never overflows), else the product; an error when the product overflows.
pub(crate) fn elements(dims: &[usize]) -> Result<usize> {
    if dims.contains(&0) {
        return Ok(0);
    }
    dims.iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| Error::Usage(format!("shape {dims:?} overflows")))
}

/// A zeroed buffer of `n` elements; an error (not an abort) when it cannot be allocated.
pub(crate) fn buffer<T: Clone + Default>(ctx: &PrepareContext<'_, '_>, n: usize, what: &str) -> Result<Vec<T>> {
    ctx.alloc(n, what)
}

/// Checked product of dimensions (an error on overflow).
pub(crate) fn product(ctx: &PrepareContext<'_, '_>, dims: &[usize]) -> Result<usize> {
    dims.iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| ctx.err(format!("shape {dims:?} is too large")))
}

/// A positive option value as usize.
pub(crate) fn positive(ctx: &PrepareContext<'_, '_>, v: i32, what: &str) -> Result<usize> {
    if v <= 0 {
        return Err(ctx.err(format!("{what} must be positive, got {v}")));
    }
    Ok(v as usize)
}

/// A 4-D shape as `[N, H, W, C]`.
pub(crate) fn dims4(ctx: &PrepareContext<'_, '_>, shape: &[usize], what: &str) -> Result<[usize; 4]> {
    <[usize; 4]>::try_from(shape).map_err(|_| ctx.err(format!("{what} must be 4-D, got shape {shape:?}")))
}

/// Checks that bias input `k` has `channels` elements.
pub(crate) fn check_bias_len(ctx: &PrepareContext<'_, '_>, k: usize, channels: usize) -> Result<()> {
    let n = product(ctx, ctx.input_shape(k)?)?;
    if n != channels {
        return Err(ctx.err(format!("bias shape {:?} does not match {channels} channels", ctx.input_shape(k)?)));
    }
    Ok(())
}

/// Checks an int8 operator's int32 bias: type, element count, and a zero zero point when it
/// is quantized per tensor (TFLite checks the tensor's legacy zero point).
pub(crate) fn check_int32_bias(ctx: &PrepareContext<'_, '_>, k: usize, channels: usize) -> Result<()> {
    if !ctx.has_input(k) {
        return Ok(());
    }
    if ctx.input_dtype(k)? != DType::Int32 {
        return Err(ctx.err(format!("int8 {} needs an int32 bias", ctx.opcode().name())));
    }
    check_bias_len(ctx, k, channels)?;
    if let Some(q) = &ctx.input(k)?.quantization
        && q.zero_point.len() == 1
        && q.zero_point[0] != 0
    {
        return Err(ctx.err("bias zero point must be 0"));
    }
    Ok(())
}

/// The accumulator of an int16 CONV_2D / FULLY_CONNECTED from the options'
/// `quantized_bias_type` and bias input `k`: `true` for int32, `false` for int64.
/// TFLite takes the int32 path only when the option says INT32 (the bias must then be int32);
/// INT64 or an unset option (FLOAT32) takes the int64 path. An int32 bias with the option unset
/// is rejected: TFLite would read it as int64 (out of bounds).
pub(crate) fn int16_bias_type(ctx: &PrepareContext<'_, '_>, option: tflite::TensorType, k: usize) -> Result<bool> {
    let acc32 = match option {
        tflite::TensorType::INT32 => true,
        tflite::TensorType::INT64 | tflite::TensorType::FLOAT32 => false,
        other => return Err(ctx.err(format!("quantized_bias_type {other:?} must be INT32 or INT64"))),
    };
    if ctx.has_input(k) {
        let bt = ctx.input_dtype(k)?;
        let ok = match option {
            tflite::TensorType::INT32 => bt == DType::Int32,
            _ => bt == DType::Int64,
        };
        if !ok {
            return Err(ctx.err(format!("int16 bias of type {bt} does not match quantized_bias_type {option:?}")));
        }
        if let Some(q) = &ctx.input(k)?.quantization
            && q.zero_point.len() == 1
            && q.zero_point[0] != 0
        {
            return Err(ctx.err("bias zero point must be 0"));
        }
    }
    Ok(acc32)
}
