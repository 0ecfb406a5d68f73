//! Float32 elementwise math: EXP, LOG, SQRT, RSQRT, NEG, ABS, FLOOR. Output shape = input shape.
//!
//! Formulas (TFLite `kernels/exp.cc`, `elementwise.cc`, `neg.cc`, `floor.cc`, all in float32):
//! EXP = expf(x), LOG = logf(x) (glibc's, via [`crate::libm`], identical on all inputs),
//! SQRT = sqrtf(x) and RSQRT = 1 / sqrtf(x) (IEEE-exact operations), NEG = −x,
//! ABS = |x| (sign bit cleared, NaN too), FLOOR = floorf(x). Negative inputs give NaN for LOG,
//! SQRT and RSQRT, as in C.
//!
//! int8 (TFLite's own int8 kernels for these):
//! - EXP (`exp.cc`): the 256-entry table [`arith::lut_int8`] of expf.
//! - LOG (`elementwise.cc`, LogLUTPrepare): the table of `x <= 0 ? output_min : logf(x)`, where
//!   output_min = float(−128 − zp_out)·s_out is the lowest representable output.
//! - ABS (`elementwise.cc`, AbsEvalQuantized): v = |q − zp_in|; when s_in == s_out (float
//!   compare) out = clamp(v + zp_out), else out = clamp(MBQM(v, QM(float32(s_in / s_out))) + zp_out).
//!
//! SQRT, NEG, FLOOR are float32-only here; TFLite's int8 RSQRT (an integer inverse square root)
//! is not implemented (int8 models are rejected at prepare).

use crate::arith;
use crate::dtype::DType;
use crate::error::Result;
use crate::libm;
use crate::ops::Scratch;
use crate::ops::activation::lut_activations::{LutInt8, MapF32};
use crate::ops::activation::relu::{io_quant, unary_same_type};
use crate::ops::{Inputs, Kernel, Outputs, PrepareContext};

/// Float32 function or, for int8, a table built by `lut` from (s_in, zp_in, s_out, zp_out).
fn prepare_float_or_lut<'m>(
    ctx: &mut PrepareContext<'_, 'm>,
    f: fn(f32) -> f32,
    lut: fn(f32, i32, f32, i32) -> [i8; 256],
) -> Result<Box<dyn Kernel + 'm>> {
    match unary_same_type(ctx)? {
        DType::Float32 => Ok(Box::new(MapF32(f))),
        DType::Int8 => {
            let ((s_in, zp_in), (s_out, zp_out)) = io_quant(ctx)?;
            Ok(Box::new(LutInt8 { table: lut(s_in, zp_in, s_out, zp_out) }))
        }
        t => Err(ctx.unsupported(format!("unsupported type {t}"))),
    }
}

fn exp_table(s_in: f32, zp_in: i32, s_out: f32, zp_out: i32) -> [i8; 256] {
    arith::lut_int8(s_in, zp_in, s_out, zp_out, libm::expf)
}

fn log_table(s_in: f32, zp_in: i32, s_out: f32, zp_out: i32) -> [i8; 256] {
    let output_min = ((-128i32).wrapping_sub(zp_out)) as f32 * s_out;
    arith::lut_int8(s_in, zp_in, s_out, zp_out, |x| if x <= 0.0 { output_min } else { libm::logf(x) })
}

struct AbsInt8 {
    zp_in: i32,
    zp_out: i32,
    /// (M, shift) when the scales differ.
    rescale: Option<(i32, i32)>,
}

impl Kernel for AbsInt8 {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let x = inputs.get::<i8>(0)?;
        let out = outputs.get::<i8>(0)?;
        for (o, &q) in out.iter_mut().zip(x) {
            let v = (q as i32).wrapping_sub(self.zp_in).wrapping_abs();
            let v = match self.rescale {
                None => v,
                Some((m, s)) => arith::mbqm(v, m, s),
            };
            *o = v.wrapping_add(self.zp_out).clamp(-128, 127) as i8;
        }
        Ok(())
    }
}

fn prepare_float<'m>(ctx: &mut PrepareContext<'_, 'm>, f: fn(f32) -> f32) -> Result<Box<dyn Kernel + 'm>> {
    match unary_same_type(ctx)? {
        DType::Float32 => Ok(Box::new(MapF32(f))),
        t => Err(ctx.unsupported(format!("unsupported type {t} (only float32)"))),
    }
}

fn rsqrt(x: f32) -> f32 {
    1.0 / x.sqrt()
}

/// Prepares EXP.
pub fn prepare_exp<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_float_or_lut(ctx, libm::expf, exp_table)
}

/// Prepares LOG.
pub fn prepare_log<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_float_or_lut(ctx, libm::logf, log_table)
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
    match unary_same_type(ctx)? {
        DType::Float32 => Ok(Box::new(MapF32(f32::abs))),
        DType::Int8 => {
            let ((s_in, zp_in), (s_out, zp_out)) = io_quant(ctx)?;
            let rescale = (s_in != s_out).then(|| arith::quantize_multiplier((s_in / s_out) as f64));
            Ok(Box::new(AbsInt8 { zp_in, zp_out, rescale }))
        }
        t => Err(ctx.unsupported(format!("unsupported type {t}"))),
    }
}

/// Prepares FLOOR.
pub fn prepare_floor<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_float(ctx, f32::floor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int8_tables_and_abs() {
        // LOG: non-positive inputs map to the lowest output; log(1) = 0 → zp_out.
        let t = log_table(0.1, 0, 0.05, 10);
        assert_eq!((t[128], t[0], t[128 + 10]), (-128, -128, 10));
        // EXP: exp(0) = 1 → 1/0.1 = 10, + zp_out.
        let t = exp_table(0.5, 3, 0.1, -20);
        assert_eq!(t[128 + 3], -10);
        // ABS without rescaling: |q − zp_in| + zp_out; with rescaling by 0.5 (MBQM rounds).
        let mut k = AbsInt8 { zp_in: -3, zp_out: -128, rescale: None };
        let x: [i8; 4] = [-3, -10, 120, -128];
        let out = crate::ops::run_kernel(&k, &[bytemuck::cast_slice(&x)], &[4]).unwrap();
        assert_eq!(bytemuck::cast_slice::<u8, i8>(&out[0]), &[-128, -121, -5, -3]);
        k.rescale = Some(arith::quantize_multiplier(0.5));
        let out = crate::ops::run_kernel(&k, &[bytemuck::cast_slice(&x)], &[4]).unwrap();
        // 7·0.5 = 3.5 → 4; 123·0.5 = 61.5 → 62; 125·0.5 = 62.5 → 63 (MBQM rounds positive ties up).
        assert_eq!(bytemuck::cast_slice::<u8, i8>(&out[0]), &[-128, -124, -66, -65]);
    }

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
