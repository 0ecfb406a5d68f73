//! SQUARED_DIFFERENCE: `out = (a − b)²` with NumPy broadcasting (`broadcast.rs`).
//!
//! float32 (`kernels/squared_difference.cc`, `reference_ops::BinaryFunction` and
//! `BroadcastBinaryFunction4DSlow`): d = a − b; out = d·d in float32, no activation, no clamping
//! (overflow gives +inf). Bit-identical.
//!
//! int8 (squared_difference.cc `Prepare` and its `SquaredDifference(int8, int8, params)`): with
//! T = 2·max(s1, s2) (float32, exact) and left shift 7,
//! (M1, e1) = QuantizeMultiplierSmallerThanOneExp(s1 / T), (M2, e2) likewise for s2,
//! (Mo, eo) = QuantizeMultiplierSmallerThanOneExp(T² / (2¹⁴·s_out)), all in double.
//! Per element: A = RDBPOT(SRDHM((q1 − zp1)·2⁷, M1), −e1), B likewise, d = A − B (int32),
//! out = clamp(RDBPOT(SRDHM(d·d, Mo), −eo) + zp_out, −128, 127). No fused activation.
//!
//! Where TFLite does not compute a result: an output multiplier T²/(2¹⁴·s_out) ≥ 1 (an output
//! scale far below any real model's) makes TFLite abort; qlite then applies the multiplier with
//! a saturating left shift (`arith::mbqm_saturating`).

use crate::arith;
use crate::dtype::DType;
use crate::error::Result;
use crate::ops::elementwise::broadcast::{self, BinaryKernel};
use crate::ops::{Kernel, PrepareContext, per_tensor};

/// The precomputed int8 SQUARED_DIFFERENCE parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuantParams {
    /// −zp1
    pub input1_offset: i32,
    /// −zp2
    pub input2_offset: i32,
    /// zp_out
    pub output_offset: i32,
    /// Input 1 multiplier.
    pub input1_multiplier: i32,
    /// Input 1 shift (≤ 0).
    pub input1_shift: i32,
    /// Input 2 multiplier.
    pub input2_multiplier: i32,
    /// Input 2 shift (≤ 0).
    pub input2_shift: i32,
    /// Output multiplier.
    pub output_multiplier: i32,
    /// Output shift (≤ 0 in every model TFLite runs).
    pub output_shift: i32,
}

const LEFT_SHIFT: i32 = 7;

impl QuantParams {
    /// Computes the parameters as squared_difference.cc does.
    pub fn new(s1: f32, zp1: i32, s2: f32, zp2: i32, s_out: f32, zp_out: i32) -> std::result::Result<Self, String> {
        let twice_max = f64::from(2.0 * s1.max(s2));
        let (input1_multiplier, input1_shift) =
            arith::quantize_multiplier_smaller_than_one(f64::from(s1) / twice_max).map_err(|e| e.to_string())?;
        let (input2_multiplier, input2_shift) =
            arith::quantize_multiplier_smaller_than_one(f64::from(s2) / twice_max).map_err(|e| e.to_string())?;
        let real_out = (twice_max * twice_max) / f64::from((1 << (2 * LEFT_SHIFT)) as f32 * s_out);
        if !(real_out.is_finite() && real_out > 0.0) {
            return Err(format!("output multiplier {real_out} is not a positive finite number"));
        }
        let (output_multiplier, output_shift) = arith::quantize_multiplier(real_out);
        Ok(QuantParams {
            input1_offset: -zp1,
            input2_offset: -zp2,
            output_offset: zp_out,
            input1_multiplier,
            input1_shift,
            input2_multiplier,
            input2_shift,
            output_multiplier,
            output_shift,
        })
    }

    /// One int8 element.
    #[inline(always)]
    pub fn eval(&self, x: i8, y: i8) -> i8 {
        let a = arith::mbqm_smaller_than_one(
            (i32::from(x) + self.input1_offset).wrapping_mul(1 << LEFT_SHIFT),
            self.input1_multiplier,
            self.input1_shift,
        );
        let b = arith::mbqm_smaller_than_one(
            (i32::from(y) + self.input2_offset).wrapping_mul(1 << LEFT_SHIFT),
            self.input2_multiplier,
            self.input2_shift,
        );
        let d = a.wrapping_sub(b);
        let sq = d.wrapping_mul(d);
        let scaled = if self.output_shift <= 0 {
            arith::mbqm_smaller_than_one(sq, self.output_multiplier, self.output_shift)
        } else {
            arith::mbqm_saturating(sq, self.output_multiplier, self.output_shift)
        };
        scaled.wrapping_add(self.output_offset).clamp(-128, 127) as i8
    }
}

/// Prepares SQUARED_DIFFERENCE.
pub fn prepare<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(2..=2, 1)?;
    let (t1, t2, to) = (ctx.input_dtype(0)?, ctx.input_dtype(1)?, ctx.output_dtype(0)?);
    if t1 != t2 || t1 != to {
        return Err(ctx.unsupported(format!("unsupported types: inputs {t1} and {t2}, output {to}")));
    }
    let plan = broadcast::plan(ctx)?;
    match to {
        DType::Int8 => {
            let (s1, zp1) = per_tensor(ctx, ctx.input_quant(0)?, "input 1")?;
            let (s2, zp2) = per_tensor(ctx, ctx.input_quant(1)?, "input 2")?;
            let (so, zpo) = per_tensor(ctx, ctx.output_quant(0)?, "output")?;
            let p = QuantParams::new(s1, zp1, s2, zp2, so, zpo).map_err(|e| ctx.err(e))?;
            Ok(Box::new(BinaryKernel::new(plan, move |x: i8, y: i8| p.eval(x, y))))
        }
        DType::Float32 => Ok(Box::new(BinaryKernel::new(plan, |x: f32, y: f32| {
            let d = x - y;
            d * d
        }))),
        _ => Err(ctx.unsupported(format!("unsupported type {to}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int8_hand_computed() {
        // s1 = s2 = 0.5, s_out = 1: T = 1, m1 = m2 = 0.5 → (2^30, 0);
        // m_out = 1/2^14 → (2^30, −13).
        let p = QuantParams::new(0.5, 0, 0.5, 0, 1.0, 0).unwrap();
        assert_eq!((p.input1_multiplier, p.input1_shift), (1 << 30, 0));
        assert_eq!((p.output_multiplier, p.output_shift), (1 << 30, -13));
        // (0.5·6 − 0.5·2)² = 4.
        assert_eq!(p.eval(6, 2), 4);
        assert_eq!(p.eval(2, 6), 4);
        // (0.5·3)² = 2.25 → 2; (0.5·1)² = 0.25 → 0.
        assert_eq!(p.eval(3, 0), 2);
        assert_eq!(p.eval(1, 0), 0);
        // Saturates at 127: (0.5·127 + 0.5·128)² = 127.5² → 127.
        assert_eq!(p.eval(127, -128), 127);
        // Zero points.
        let p = QuantParams::new(0.5, 10, 0.5, -10, 1.0, -128).unwrap();
        assert_eq!(p.eval(10, -10), -128);
        assert_eq!(p.eval(16, -8), -128 + 4);
    }

    #[test]
    fn float_overflows_to_inf() {
        let f = |x: f32, y: f32| {
            let d = x - y;
            d * d
        };
        assert_eq!(f(3.0e19, -3.0e19), f32::INFINITY);
        assert_eq!(f(1.5, -0.5), 4.0);
    }
}
