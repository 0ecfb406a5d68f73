//! Float32 elementwise math: EXP, LOG, SQRT, RSQRT, NEG, ABS, FLOOR. Output shape = input shape.
//!
//! Formulas (TFLite `kernels/exp.cc`, `elementwise.cc`, `neg.cc`, `floor.cc`, all in float32):
//! EXP = expf(x), LOG = logf(x) (glibc's, via [`crate::libm`], identical on all inputs),
//! SQRT = sqrtf(x) and RSQRT = 1 / sqrtf(x) (IEEE-exact operations), NEG = −x,
//! ABS = |x| (sign bit cleared, NaN too), FLOOR = floorf(x). Negative inputs give NaN for LOG,
//! SQRT and RSQRT, as in C.
//!
//! The quantized variants of these operators are not implemented here (int8 models are
//! rejected at prepare).

use super::lut_activations::MapF32;
use super::relu::unary_same_type;
use super::{Kernel, PrepareContext};
use crate::dtype::DType;
use crate::error::Result;
use crate::libm;

fn prepare_float<'m>(ctx: &mut PrepareContext<'_, 'm>, f: fn(f32) -> f32) -> Result<Box<dyn Kernel + 'm>> {
    match unary_same_type(ctx)? {
        DType::Float32 => Ok(Box::new(MapF32(f))),
        t => Err(ctx.err(format!("unsupported type {t} (only float32)"))),
    }
}

fn rsqrt(x: f32) -> f32 {
    1.0 / x.sqrt()
}

/// Prepares EXP.
pub fn prepare_exp<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_float(ctx, libm::expf)
}

/// Prepares LOG.
pub fn prepare_log<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_float(ctx, libm::logf)
}

/// Prepares SQRT.
pub fn prepare_sqrt<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_float(ctx, f32::sqrt)
}

/// Prepares RSQRT.
pub fn prepare_rsqrt<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_float(ctx, rsqrt)
}

/// Prepares NEG.
pub fn prepare_neg<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_float(ctx, |x| -x)
}

/// Prepares ABS.
pub fn prepare_abs<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_float(ctx, f32::abs)
}

/// Prepares FLOOR.
pub fn prepare_floor<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_float(ctx, f32::floor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_values() {
        assert_eq!(rsqrt(4.0), 0.5);
        assert_eq!(rsqrt(0.0), f32::INFINITY);
        assert_eq!(rsqrt(-0.0), f32::NEG_INFINITY);
        assert!(rsqrt(-1.0).is_nan());
        assert_eq!(f32::floor(-0.5), -1.0);
        assert_eq!(f32::abs(-0.0).to_bits(), 0);
        assert_eq!(libm::logf(1.0), 0.0);
    }
}
