//! CAST: converts each element to the output's type, as C++'s `static_cast` does it in TFLite's
//! `kernels/cast.cc` (quantization parameters are ignored: stored values are converted).
//!
//! Types (input and output, any pair): float32, float64, int8, uint8, int16, uint16, int32,
//! uint32, int64, bool.
//! - integer → integer: two's-complement truncation / sign or zero extension (wraps).
//! - integer → float: rounded to nearest even (one rounding, also from int64).
//! - float → integer: truncation toward zero, saturating at the type's limits; NaN gives the
//!   type's MAXIMUM (TFLite's `SaturatingCastFloatingToInteger`; measured with TFLite 2.21:
//!   NaN → 127 for int8, 2147483647 for int32, 65535 for uint16; ±inf saturate). float32 values
//!   between the largest float below 2^31 and 2^31 saturate too, as a truncation would.
//! - anything → bool: `x != 0` (NaN is true, −0.0 false). bool → anything: 0 or 1 (a non-zero
//!   input byte is true).
//! - float64 → float32 rounds to nearest; float32 → float64 is exact.

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::ops::Scratch;
use crate::ops::{Element, Inputs, Kernel, Outputs, PrepareContext};

/// A destination element type.
pub trait CastTo: Element + Copy {
    fn from_i64(v: i64) -> Self;
    fn from_u64(v: u64) -> Self;
    fn from_f64(v: f64) -> Self;
}

macro_rules! cast_to_int {
    ($($t:ty),*) => {$(
        impl CastTo for $t {
            #[inline(always)]
            fn from_i64(v: i64) -> Self { v as $t }
            #[inline(always)]
            fn from_u64(v: u64) -> Self { v as $t }
            #[inline(always)]
            fn from_f64(v: f64) -> Self { if v.is_nan() { <$t>::MAX } else { v as $t } }
        }
    )*};
}
cast_to_int!(i8, u8, i16, u16, i32, u32, i64);

impl CastTo for f32 {
    #[inline(always)]
    fn from_i64(v: i64) -> Self {
        v as f32
    }
    #[inline(always)]
    fn from_u64(v: u64) -> Self {
        v as f32
    }
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
}

impl CastTo for f64 {
    #[inline(always)]
    fn from_i64(v: i64) -> Self {
        v as f64
    }
    #[inline(always)]
    fn from_u64(v: u64) -> Self {
        v as f64
    }
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v
    }
}

/// A source element type.
pub trait CastFrom: Element + Copy {
    fn cast<D: CastTo>(self) -> D;
    fn is_nonzero(self) -> bool;
}

macro_rules! cast_from {
    ($via:ident, $wide:ty: $($t:ty),*) => {$(
        impl CastFrom for $t {
            #[inline(always)]
            fn cast<D: CastTo>(self) -> D { D::$via(self as $wide) }
            #[inline(always)]
            #[allow(clippy::float_cmp)]
            fn is_nonzero(self) -> bool { self != (0 as $t) }
        }
    )*};
}
cast_from!(from_i64, i64: i8, i16, i32, i64);
cast_from!(from_u64, u64: u8, u16, u32);
cast_from!(from_f64, f64: f32, f64);

#[inline(always)]
fn value<S: CastFrom, D: CastTo>(s: S) -> D {
    s.cast::<D>()
}

#[inline(always)]
fn to_bool<S: CastFrom>(s: S) -> u8 {
    u8::from(s.is_nonzero())
}

#[inline(always)]
fn from_bool<D: CastTo>(b: u8) -> D {
    D::from_i64(i64::from(b != 0))
}

struct CastKernel<S, D, F> {
    f: F,
    _t: std::marker::PhantomData<fn(S) -> D>,
}

impl<S: Element + Copy, D: Element, F: Fn(S) -> D + Send + Sync> Kernel for CastKernel<S, D, F> {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let x = inputs.get::<S>(0)?;
        let out = outputs.get::<D>(0)?;
        if x.len() != out.len() {
            return Err(Error::Internal(format!("CAST buffers have {} and {} elements", x.len(), out.len())));
        }
        for (o, &v) in out.iter_mut().zip(x) {
            *o = (self.f)(v);
        }
        Ok(())
    }
}

fn boxed<'m, S: Element + Copy, D: Element + 'm, F: Fn(S) -> D + Send + Sync + 'm>(f: F) -> Box<dyn Kernel + 'm> {
    Box::new(CastKernel { f, _t: std::marker::PhantomData })
}

/// The kernel for a source type `S` (not bool) to output type `to`.
fn from_typed<'m, S: CastFrom + 'm>(to: DType) -> Option<Box<dyn Kernel + 'm>> {
    Some(match to {
        DType::Float32 => boxed(value::<S, f32>),
        DType::Float64 => boxed(value::<S, f64>),
        DType::Int8 => boxed(value::<S, i8>),
        DType::UInt8 => boxed(value::<S, u8>),
        DType::Int16 => boxed(value::<S, i16>),
        DType::UInt16 => boxed(value::<S, u16>),
        DType::Int32 => boxed(value::<S, i32>),
        DType::UInt32 => boxed(value::<S, u32>),
        DType::Int64 => boxed(value::<S, i64>),
        DType::Bool => boxed(to_bool::<S>),
        _ => return None,
    })
}

fn from_bool_to<'m>(to: DType) -> Option<Box<dyn Kernel + 'm>> {
    Some(match to {
        DType::Float32 => boxed(from_bool::<f32>),
        DType::Float64 => boxed(from_bool::<f64>),
        DType::Int8 => boxed(from_bool::<i8>),
        DType::UInt8 => boxed(from_bool::<u8>),
        DType::Int16 => boxed(from_bool::<i16>),
        DType::UInt16 => boxed(from_bool::<u16>),
        DType::Int32 => boxed(from_bool::<i32>),
        DType::UInt32 => boxed(from_bool::<u32>),
        DType::Int64 => boxed(from_bool::<i64>),
        DType::Bool => boxed(|b: u8| u8::from(b != 0)),
        _ => return None,
    })
}

/// Prepares CAST.
pub fn prepare<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(1..=1, 1)?;
    let (ti, to) = (ctx.input_dtype(0)?, ctx.output_dtype(0)?);
    let kernel = match ti {
        DType::Float32 => from_typed::<f32>(to),
        DType::Float64 => from_typed::<f64>(to),
        DType::Int8 => from_typed::<i8>(to),
        DType::UInt8 => from_typed::<u8>(to),
        DType::Int16 => from_typed::<i16>(to),
        DType::UInt16 => from_typed::<u16>(to),
        DType::Int32 => from_typed::<i32>(to),
        DType::UInt32 => from_typed::<u32>(to),
        DType::Int64 => from_typed::<i64>(to),
        DType::Bool => from_bool_to(to),
        _ => None,
    };
    let kernel = kernel.ok_or_else(|| ctx.unsupported(format!("unsupported cast from {ti} to {to}")))?;
    let shape = ctx.input_shape(0)?.to_vec();
    ctx.set_output_shape(0, shape)?;
    Ok(kernel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_to_int_saturates_and_nan_is_max() {
        assert_eq!(value::<f32, i8>(f32::NAN), 127);
        assert_eq!(value::<f32, i32>(f32::NAN), i32::MAX);
        assert_eq!(value::<f32, u16>(f32::NAN), u16::MAX);
        assert_eq!(value::<f32, i8>(300.7), 127);
        assert_eq!(value::<f32, i8>(-129.9), -128);
        assert_eq!(value::<f32, u8>(200.5), 200);
        assert_eq!(value::<f32, u8>(-2.5), 0);
        assert_eq!(value::<f32, i16>(-2.5), -2);
        assert_eq!(value::<f32, i32>(f32::INFINITY), i32::MAX);
        assert_eq!(value::<f32, i32>(f32::NEG_INFINITY), i32::MIN);
        assert_eq!(value::<f32, i32>(2147483520.0), 2147483520);
        assert_eq!(value::<f32, i32>(2147483648.0), i32::MAX);
        assert_eq!(value::<f32, i64>(3e9), 3_000_000_000);
        assert_eq!(value::<f32, u32>(4294967040.0), 4294967040);
        assert_eq!(value::<f32, i64>(-1e20), i64::MIN);
    }

    #[test]
    fn integer_wraps_and_float_rounds() {
        assert_eq!(value::<i32, i8>(-129), 127);
        assert_eq!(value::<i32, u8>(256), 0);
        assert_eq!(value::<i32, u16>(-1), 65535);
        assert_eq!(value::<i32, i16>(-32769), 32767);
        assert_eq!(value::<u32, i32>(u32::MAX), -1);
        assert_eq!(value::<i8, u32>(-1), u32::MAX);
        assert_eq!(value::<u8, i8>(200), -56);
        // 2^24 + 1 rounds to even; int64 2^53 + 1 → float32 in one rounding.
        assert_eq!(value::<i32, f32>(16_777_217), 16_777_216.0);
        assert_eq!(value::<i64, f32>((1 << 53) + 1), 9_007_199_254_740_992.0);
        assert_eq!(value::<i64, f32>(-(1i64 << 40) - 1), -1_099_511_627_776.0);
        assert_eq!(value::<f64, f32>(0.1), 0.1f32);
    }

    #[test]
    fn bool_semantics() {
        assert_eq!(to_bool(f32::NAN), 1);
        assert_eq!(to_bool(-0.0f32), 0);
        assert_eq!(to_bool(1e-30f32), 1);
        assert_eq!(to_bool(-1i8), 1);
        assert_eq!(to_bool(0u32), 0);
        assert_eq!(from_bool::<f32>(1), 1.0);
        assert_eq!(from_bool::<i64>(0), 0);
        assert_eq!(from_bool::<i8>(2), 1);
    }

    #[test]
    fn kernel_runs() {
        let mut k = from_typed::<f32>(DType::Int8).unwrap();
        let x: [f32; 4] = [1.9, -1.9, 1000.0, f32::NAN];
        let out = crate::ops::run_kernel(k.as_mut(), &[bytemuck::cast_slice(&x)], &[4]).unwrap();
        assert_eq!(bytemuck::cast_slice::<u8, i8>(&out[0]), &[1, -1, 127, 127]);
    }
}
