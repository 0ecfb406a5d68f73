//! ADD and SUB: `out = act(a ± b)` with NumPy broadcasting (rank ≤ 8).
//!
//! int8 (TFLite `kernels/add.cc`, `kernels/sub.cc` Prepare; `reference/integer_ops/add.h`
//! `AddFunc`, `reference/sub.h` `SubElementwise`/`BroadcastQuantSubSlow`). At prepare, with
//! s1, s2, s_out the scales and T = 2·max(s1, s2):
//! (M1, e1) = QuantizeMultiplierSmallerThanOneExp(s1 / T), (M2, e2) likewise for s2,
//! (Mo, eo) = QuantizeMultiplier(T / (2²⁰·s_out)), all in double (add.cc computes T in double,
//! sub.cc in float32; both products are exact powers of two, so the values are the same).
//! Per element:
//!   A = RDBPOT(SRDHM((q1 − zp1)·2²⁰, M1), −e1),  B = RDBPOT(SRDHM((q2 − zp2)·2²⁰, M2), −e2),
//!   out = clamp(RDBPOT(SRDHM(A ± B, Mo), −eo) + zp_out, act_min, act_max)
//! with the activation range of `CalculateActivationRangeQuantized`. SUB subtracts the two
//! scaled values; no multiplier is negated or swapped. Broadcasting computes the same per-element
//! function as the element-wise path.
//!
//! Where TFLite does not compute a result:
//! - ADD with T / (2²⁰·s_out) ≥ 1 (an output scale about 2⁻¹⁹ of the inputs' or smaller): TFLite
//!   aborts in `QuantizeMultiplierSmallerThanOneExp`. qlite computes
//!   out = clamp(SRDHM((A + B)·2^eo, Mo) + zp_out) (the left shift wrapping like an int32
//!   multiply), i.e. TFLite's `MultiplyByQuantizedMultiplier` on the sum.
//! - SUB with that multiplier > 1: sub.cc accepts it (QuantizeMultiplierGreaterThanOne) and then
//!   calls `RoundingDivideByPOT` with a negative exponent, which is undefined behaviour in C++.
//!   qlite computes the same left-shifting formula as for ADD (see the golden/fuzz notes).
//!
//! float32 (`reference_ops::Add`, `SubWithActivation`, `BroadcastAdd6DSlow`, `BroadcastSubSlow`):
//! out = min(max(a ± b, lo), hi) with (lo, hi) = the activation's range, [−FLT_MAX, FLT_MAX] for
//! none (so ±inf results become ±FLT_MAX, as in TFLite; NaN passes through). Bit-identical.
//!
//! Fused activations other than NONE, RELU, RELU6 and RELU_N1_TO_1 are rejected (TFLite would
//! silently ignore them).

use super::broadcast::{self, BinaryKernel, clamp_f32};
use super::{Kernel, PrepareContext, per_tensor};
use crate::arith;
use crate::dtype::DType;
use crate::error::Result;
use crate::tflite;

/// Which of the two operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// ADD
    Add,
    /// SUB
    Sub,
}

/// The precomputed int8 ADD/SUB parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuantParams {
    /// −zp1
    pub input1_offset: i32,
    /// −zp2
    pub input2_offset: i32,
    /// zp_out
    pub output_offset: i32,
    /// Left shift applied to both inputs (20 for 8-bit).
    pub left_shift: i32,
    /// Input 1 multiplier and (non-positive) shift.
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
    /// Activation range.
    pub act_min: i32,
    /// Activation range.
    pub act_max: i32,
}

impl QuantParams {
    /// Computes the parameters as add.cc / sub.cc do for 8-bit outputs.
    pub fn new(
        s1: f32,
        zp1: i32,
        s2: f32,
        zp2: i32,
        s_out: f32,
        zp_out: i32,
        act: tflite::ActivationFunctionType,
    ) -> std::result::Result<Self, String> {
        let left_shift = 20;
        let twice_max = 2.0 * f64::from(s1.max(s2));
        let (input1_multiplier, input1_shift) =
            arith::quantize_multiplier_smaller_than_one(f64::from(s1) / twice_max).map_err(|e| e.to_string())?;
        let (input2_multiplier, input2_shift) =
            arith::quantize_multiplier_smaller_than_one(f64::from(s2) / twice_max).map_err(|e| e.to_string())?;
        let real_out = twice_max / (f64::from(1u32 << left_shift) * f64::from(s_out));
        if !(real_out.is_finite() && real_out > 0.0) {
            return Err(format!("output multiplier {real_out} is not a positive finite number"));
        }
        let (output_multiplier, output_shift) = arith::quantize_multiplier(real_out);
        let (act_min, act_max) = arith::activation_range_quantized(act, s_out, zp_out, -128, 127);
        Ok(QuantParams {
            input1_offset: -zp1,
            input2_offset: -zp2,
            output_offset: zp_out,
            left_shift,
            input1_multiplier,
            input1_shift,
            input2_multiplier,
            input2_shift,
            output_multiplier,
            output_shift,
            act_min,
            act_max,
        })
    }

    /// One int8 element of ADD (`SUB == false`) or SUB.
    #[inline(always)]
    pub fn eval<const SUB: bool>(&self, x: i8, y: i8) -> i8 {
        let a = arith::mbqm_smaller_than_one(
            (i32::from(x) + self.input1_offset).wrapping_mul(1 << self.left_shift),
            self.input1_multiplier,
            self.input1_shift,
        );
        let b = arith::mbqm_smaller_than_one(
            (i32::from(y) + self.input2_offset).wrapping_mul(1 << self.left_shift),
            self.input2_multiplier,
            self.input2_shift,
        );
        let raw = if SUB { a.wrapping_sub(b) } else { a.wrapping_add(b) };
        let scaled = if self.output_shift <= 0 {
            arith::mbqm_smaller_than_one(raw, self.output_multiplier, self.output_shift)
        } else {
            arith::mbqm(raw, self.output_multiplier, self.output_shift)
        };
        scaled.wrapping_add(self.output_offset).clamp(self.act_min, self.act_max) as i8
    }
}

fn activation(ctx: &PrepareContext<'_, '_>, op: Op) -> Result<tflite::ActivationFunctionType> {
    let act = match op {
        Op::Add => ctx.options::<tflite::AddOptions>().map(|o| o.fused_activation_function()),
        Op::Sub => ctx.options::<tflite::SubOptions>().map(|o| o.fused_activation_function()),
    }
    .unwrap_or(tflite::ActivationFunctionType::NONE);
    if !arith::is_supported_activation(act) {
        return Err(ctx.err(format!("unsupported fused activation {act:?}")));
    }
    Ok(act)
}

fn prepare_op<'m>(ctx: &mut PrepareContext<'_, 'm>, op: Op) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(2..=2, 1)?;
    let act = activation(ctx, op)?;
    let (t1, t2, to) = (ctx.input_dtype(0)?, ctx.input_dtype(1)?, ctx.output_dtype(0)?);
    if t1 != t2 || t1 != to {
        return Err(ctx.err(format!("unsupported types: inputs {t1} and {t2}, output {to}")));
    }
    let plan = broadcast::plan(ctx)?;
    match to {
        DType::Int8 => {
            let (s1, zp1) = per_tensor(ctx, ctx.input_quant(0)?, "input 1")?;
            let (s2, zp2) = per_tensor(ctx, ctx.input_quant(1)?, "input 2")?;
            let (so, zpo) = per_tensor(ctx, ctx.output_quant(0)?, "output")?;
            let p = QuantParams::new(s1, zp1, s2, zp2, so, zpo, act).map_err(|e| ctx.err(e))?;
            Ok(match op {
                Op::Add => Box::new(BinaryKernel::new(plan, move |x: i8, y: i8| p.eval::<false>(x, y))),
                Op::Sub => Box::new(BinaryKernel::new(plan, move |x: i8, y: i8| p.eval::<true>(x, y))),
            })
        }
        DType::Float32 => {
            let (lo, hi) = arith::activation_range_f32(act);
            Ok(match op {
                Op::Add => Box::new(BinaryKernel::new(plan, move |x: f32, y: f32| clamp_f32(x + y, lo, hi))),
                Op::Sub => Box::new(BinaryKernel::new(plan, move |x: f32, y: f32| clamp_f32(x - y, lo, hi))),
            })
        }
        _ => Err(ctx.err(format!("unsupported type {to}"))),
    }
}

/// Prepares ADD.
pub fn prepare_add<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_op(ctx, Op::Add)
}

/// Prepares SUB.
pub fn prepare_sub<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_op(ctx, Op::Sub)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tflite::ActivationFunctionType as A;

    #[test]
    fn multipliers_match_hand_computation() {
        // s1 = 0.5, s2 = 0.25, s_out = 1: T = 1; m1 = 0.5 → (2^30, 0); m2 = 0.25 → (2^30, −1);
        // m_out = 1/2^20 → (2^30, −19).
        let p = QuantParams::new(0.5, 0, 0.25, 0, 1.0, 0, A::NONE).unwrap();
        assert_eq!((p.input1_multiplier, p.input1_shift), (1 << 30, 0));
        assert_eq!((p.input2_multiplier, p.input2_shift), (1 << 30, -1));
        assert_eq!((p.output_multiplier, p.output_shift), (1 << 30, -19));
        assert_eq!((p.act_min, p.act_max), (-128, 127));
    }

    #[test]
    fn add_rounds_and_clamps() {
        // Real: 0.5·x + 0.25·y, output scale 1.
        let p = QuantParams::new(0.5, 0, 0.25, 0, 1.0, 0, A::NONE).unwrap();
        // x = 3, y = 2: 1.5 + 0.5 = 2.0.
        assert_eq!(p.eval::<false>(3, 2), 2);
        // x = 1, y = 0: 0.5 → the sum 2^19 over 2^20 rounds half away: 1.
        assert_eq!(p.eval::<false>(1, 0), 1);
        // x = −1: −0.5 → −1 (RDBPOT rounds half away from zero).
        assert_eq!(p.eval::<false>(-1, 0), -1);
        // y = 1 alone: 0.25 → 0; y = 2: 0.5 → 1; y = −2: −0.5 → −1.
        assert_eq!(p.eval::<false>(0, 1), 0);
        assert_eq!(p.eval::<false>(0, 2), 1);
        assert_eq!(p.eval::<false>(0, -2), -1);
        // Saturation: 0.5·127 + 0.25·127 = 95.25 → 95; with s_out 0.5 it is 190.5 → 127.
        assert_eq!(p.eval::<false>(127, 127), 95);
        let p2 = QuantParams::new(0.5, 0, 0.25, 0, 0.5, 0, A::NONE).unwrap();
        assert_eq!(p2.eval::<false>(127, 127), 127);
        assert_eq!(p2.eval::<false>(-128, -128), -128);
    }

    #[test]
    fn sub_subtracts_scaled_values() {
        let p = QuantParams::new(0.5, 0, 0.25, 0, 1.0, 0, A::NONE).unwrap();
        // 0.5·3 − 0.25·2 = 1.0
        assert_eq!(p.eval::<true>(3, 2), 1);
        // 0 − 0.25·2 = −0.5 → −1; 0.5·1 − 0 = 0.5 → 1.
        assert_eq!(p.eval::<true>(0, 2), -1);
        assert_eq!(p.eval::<true>(1, 0), 1);
        // Zero points: x = 10 with zp 10 is 0.
        let p = QuantParams::new(0.5, 10, 0.25, -4, 1.0, 3, A::NONE).unwrap();
        assert_eq!(p.eval::<true>(10, -4), 3);
        assert_eq!(p.eval::<true>(14, -4), 5);
    }

    #[test]
    fn fused_relu6_range() {
        // s_out = 0.05, zp −128: RELU6 → [−128, −128 + 120 = −8].
        let p = QuantParams::new(0.1, 0, 0.1, 0, 0.05, -128, A::RELU6).unwrap();
        assert_eq!((p.act_min, p.act_max), (-128, -8));
        assert_eq!(p.eval::<false>(127, 127), -8);
        assert_eq!(p.eval::<false>(-50, -50), -128);
        // 0.1·10 + 0.1·5 = 1.5 → 30 steps above −128.
        assert_eq!(p.eval::<false>(10, 5), -98);
    }

    #[test]
    fn tiny_output_scale_uses_left_shift() {
        // T / (2^20·s_out) = 2 / (2^20 · 2^−21) = 4 → (2^30, 3).
        let p = QuantParams::new(1.0, 0, 1.0, 0, 2f32.powi(-21), 0, A::NONE).unwrap();
        assert_eq!((p.output_multiplier, p.output_shift), (1 << 30, 3));
        assert_eq!(p.eval::<false>(0, 0), 0);
        assert_eq!(p.eval::<false>(1, 0), 127);
        assert_eq!(p.eval::<true>(0, 1), -128);
    }
}
