//! HARD_SWISH: `x · relu6(x + 3) / 6`, int8, uint8 and float32 (TFLite has no int16 HARD_SWISH).
//! Output shape = input shape.
//!
//! int8 (HardSwishPrepare in `kernels/activations.cc`, `reference/hard_swish.h`). Prepare, in
//! float32: hires = (1/128)·s_in; out_mult = hires / s_out; reluish_mult = hires / (3/32768);
//! each through QuantizeMultiplier and then [`arith::downscale_multiplier_i16`] to Q0.15.
//! TFLite rejects the model when out_mult's exponent is > 0 (s_in/s_out ≥ 128); so do we.
//! Per element, in int16 arithmetic:
//! - v = q − zp_in; h = v·128; p = SRDHM16(h, out_m16);
//! - r = h; if e_r > 0: r = satshl16(r, e_r − 1); r = SRDHM16(r, reluish_m16);
//!   if e_r > 0: r = satshl16(r, 1); if e_r < 0: r = RDBPOT16(r, −e_r);
//! - r = (r + 2^15) >> 1 (from [−1, 1] to [0, 1]); y = SDHM16(r, p) (truncating);
//! - out = clamp(RDBPOT16(y, −e_out) + zp_out, −128, 127) (the addition in int16).
//!
//! uint8 (TF1 legacy models) is the same template: v = int16(q − zp_in) and the final clamp to
//! [0, 255].
//!
//! float32 (`reference_ops::HardSwish`): `x · min(6, max(0, x + 3)) / 6` left to right, with
//! std::min/max argument order (NaN in x + 3 gives 0).

use crate::arith;
use crate::dtype::DType;
use crate::error::Result;
use crate::ops::Scratch;
use crate::ops::activation::lut_activations::{LutInt8, LutUInt8};
use crate::ops::activation::relu::{io_quant, unary_same_type};
use crate::ops::{Inputs, Kernel, Outputs, PrepareContext};

#[derive(Debug, Clone, Copy)]
struct Params {
    zp_in: i32,
    zp_out: i32,
    out_m16: i16,
    out_exp: i32,
    reluish_m16: i16,
    reluish_exp: i32,
}

impl Params {
    fn new(s_in: f32, zp_in: i32, s_out: f32, zp_out: i32) -> Option<Self> {
        let hires = (1.0f32 / 128.0) * s_in;
        let reluish_scale = 3.0f32 / 32768.0;
        let (om, out_exp) = arith::quantize_multiplier((hires / s_out) as f64);
        let (rm, reluish_exp) = arith::quantize_multiplier((hires / reluish_scale) as f64);
        if out_exp > 0 {
            return None;
        }
        Some(Params {
            zp_in,
            zp_out,
            out_m16: arith::downscale_multiplier_i16(om),
            out_exp,
            reluish_m16: arith::downscale_multiplier_i16(rm),
            reluish_exp,
        })
    }

    /// One element: q is the raw input (int8 or uint8 value), the result is clamped to [lo, hi].
    #[inline]
    fn apply_range(&self, q: i32, lo: i16, hi: i16) -> i16 {
        let v = q.wrapping_sub(self.zp_in) as i16;
        let hires = v.wrapping_mul(128);
        let preshift = arith::srdhm16(hires, self.out_m16);
        let mut r = hires;
        if self.reluish_exp > 0 {
            r = arith::saturating_left_shift16(r, self.reluish_exp - 1);
        }
        r = arith::srdhm16(r, self.reluish_m16);
        if self.reluish_exp > 0 {
            r = arith::saturating_left_shift16(r, 1);
        }
        if self.reluish_exp < 0 {
            r = arith::rdbpot16(r, -self.reluish_exp);
        }
        let r = ((r as i32 + (1 << 15)) >> 1) as i16;
        let y = arith::sdhm16(r, preshift);
        let out = arith::rdbpot16(y, -self.out_exp).wrapping_add(self.zp_out as i16);
        out.clamp(lo, hi)
    }

    #[inline]
    fn apply(&self, q: i8) -> i8 {
        self.apply_range(q as i32, -128, 127) as i8
    }
}

struct HardSwishFloat;

/// The float32 reference formula.
fn hard_swish_f32(x: f32) -> f32 {
    let t = x + 3.0;
    let relu = if 0.0 < t { t } else { 0.0 };
    let relu6 = if relu < 6.0 { relu } else { 6.0 };
    x * relu6 / 6.0
}

impl Kernel for HardSwishFloat {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let x = inputs.get::<f32>(0)?;
        let out = outputs.get::<f32>(0)?;
        for (o, &v) in out.iter_mut().zip(x) {
            *o = hard_swish_f32(v);
        }
        Ok(())
    }
}

/// Prepares HARD_SWISH. The int8 kernel evaluates the integer formula once per possible input
/// value at prepare time and looks results up (the formula depends on q alone).
pub fn prepare<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    match unary_same_type(ctx)? {
        DType::Float32 => Ok(Box::new(HardSwishFloat)),
        t @ (DType::Int8 | DType::UInt8) => {
            let ((s_in, zp_in), (s_out, zp_out)) = io_quant(ctx)?;
            let p = Params::new(s_in, zp_in, s_out, zp_out).ok_or_else(|| {
                ctx.refused_by_tflite(format!(
                    "input/output scale ratio {s_in}/{s_out} needs a left shift (TFLite rejects it)"
                ))
            })?;
            if t == DType::UInt8 {
                let mut table = [0u8; 256];
                for (q, t) in table.iter_mut().enumerate() {
                    *t = p.apply_range(q as i32, 0, 255) as u8;
                }
                return Ok(Box::new(LutUInt8 { table }));
            }
            let mut table = [0i8; 256];
            for (i, t) in table.iter_mut().enumerate() {
                *t = p.apply((i as i32 - 128) as i8);
            }
            Ok(Box::new(LutInt8 { table }))
        }
        t => Err(ctx.unsupported(format!("unsupported type {t}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_from_scales() {
        // s_in = 0.05, s_out = 0.025: hires = 0.05/128; out_mult = 0.015625 = 2^-6 → (2^30, −5);
        // reluish = 0.05/128 · 32768/3 = 4.2666.. → frexp 0.5333·2^3.
        let p = Params::new(0.05, 0, 0.025, 0).unwrap();
        assert_eq!((p.out_m16, p.out_exp), (1 << 14, -5));
        assert_eq!(p.reluish_exp, 3);
        // A ratio s_in/s_out ≥ 128 gives a left-shifting output multiplier (exponent 1):
        // rejected like TFLite. 64 gives exactly 0.5 = 0.5·2^0, still accepted.
        assert!(Params::new(1.0, 0, 1.0 / 128.0, 0).is_none());
        assert!(Params::new(1.0, 0, 1.0 / 64.0, 0).is_some());
    }

    #[test]
    fn int8_matches_hand_computation() {
        let p = Params::new(0.05, 0, 0.025, 0).unwrap();
        // q = 0: 0. q = 120 (x = 6): h = 15360; preshift = SRDHM16(15360, 16384) = 7680;
        // reluish: satshl(15360, 2) = 32767; SRDHM16(32767, m) with m = round(0.5333·2^15) =
        // 17476 → 17475; satshl(·, 1) = 32767; (32767 + 32768) >> 1 = 32767;
        // y = SDHM16(32767, 7680) = 7679; RDBPOT16(7679, 5) = 239.97 → 240 → 127 (clamped).
        assert_eq!(p.reluish_m16, 17476);
        assert_eq!(p.apply(0), 0);
        assert_eq!(p.apply(120), 127);
        // q = 20 (x = 1, hard_swish = 2/3 → 26.67 on s_out = 0.025): h = 2560; preshift 1280;
        // satshl(2560, 2) = 10240; SRDHM16(10240, 17476) = 5461; ·2 = 10922;
        // (10922 + 32768) >> 1 = 21845; SDHM16(21845, 1280) = 853; RDBPOT16(853, 5) = 26.66 → 27.
        assert_eq!(p.apply(20), 27);
        // q = −80 (x = −4 ≤ −3): reluish saturates to −32768 → 0 → output 0.
        assert_eq!(p.apply(-80), 0);
    }

    #[test]
    fn uint8_uses_its_own_range() {
        // zp_in = 100, zp_out = 10, same scales as above: q = 120 is x = 1 → 27 + 10 = 37;
        // q = 100 → 10; q = 0 (x = −5) → 10; q = 255 (x = 7.75, 310 on s_out) → 255.
        let p = Params::new(0.05, 100, 0.025, 10).unwrap();
        assert_eq!(p.apply_range(120, 0, 255), 37);
        assert_eq!(p.apply_range(100, 0, 255), 10);
        assert_eq!(p.apply_range(0, 0, 255), 10);
        assert_eq!(p.apply_range(255, 0, 255), 255);
    }

    #[test]
    fn float_formula() {
        assert_eq!(hard_swish_f32(-4.0), -0.0);
        assert_eq!(hard_swish_f32(1.0), 1.0 * 4.0 / 6.0);
        assert_eq!(hard_swish_f32(10.0), 10.0);
        assert!(hard_swish_f32(f32::NEG_INFINITY).is_nan()); // −inf · 0
    }
}
