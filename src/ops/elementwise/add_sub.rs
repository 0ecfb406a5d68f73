//! ADD and SUB: `out = act(a ± b)` with NumPy broadcasting (`broadcast.rs`).
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
//! Output multipliers T / (2²⁰·s_out) ≥ 1 (an output scale about 2⁻¹⁹ of the inputs' or
//! smaller; sub.cc notes that a near-constant output range gives such scales):
//! - ADD: TFLite aborts in `QuantizeMultiplierSmallerThanOneExp` (seen on converter-made models:
//!   an ADD+RELU whose output is always 0 gets the output scale 7.8e-9). qlite computes
//!   out = clamp(SRDHM(sat((A + B)·2^eo), Mo) + zp_out), the left shift saturating
//!   (`arith::mbqm_saturating`), so such an output is the activation's bound of the right sign.
//! - SUB: sub.cc accepts the multiplier (QuantizeMultiplierGreaterThanOne, eo > 0) and then calls
//!   `RoundingDivideByPOT(SRDHM(A − B, Mo), −eo)` with a negative exponent: undefined behaviour
//!   in C++. qlite reproduces what TFLite 2.21's x86-64 build (the oracle) computes, measured on
//!   the pinned wheel: with v = SRDHM(A − B, Mo) and mask = int32(2^((−eo) mod 64) − 1),
//!   scalar code gives (v >> ((−eo) mod 32)) + ((v & mask) > (mask >> 1) + (v < 0)), SSE code
//!   (v < 0 ? −1 : 0) + (the same comparison) — for eo ≤ 32 that is +1 for v ≥ 0 and −1 for
//!   v < 0. TFLite's element-wise path (equal shapes up to leading 1s) runs blocks of 4 in SSE
//!   and the last n mod 4 elements in scalar code; its broadcasting path is scalar
//!   (`arith::rdbpot_negative_exponent_x86_*`). Other builds of TFLite (ARM) may differ.
//!
//! uint8 (legacy asymmetric; `reference_ops::Add`/`BroadcastAdd6DSlow`, `Sub`/
//! `BroadcastQuantSubSlow` on uint8): the int8 formula with the clamp in [0, 255] (SUB also
//! requires every zero point in [0, 255], as sub.cc does).
//!
//! int16 (zero points must be 0). Two paths, chosen at prepare as add.cc / sub.cc do:
//! - general (the converter's 16x8 models, which write `pot_scale_int16 = false`; also any model
//!   with a non-power-of-two scale): the int8 formula with left shift **15** instead of 20 and
//!   the clamp in [−32768, 32767] (`AddElementwise<int16_t>` / `BroadcastAdd6DSlow`,
//!   `reference_ops::Sub<int16_t>` / `BroadcastQuantSubSlow`).
//! - power of two (`pot_scale_int16`, the schema's default, and all three scales powers of two
//!   by `CheckedLog2`: |log2 s − round| < 1e-3 in float32, [`arith::checked_log2`]): with
//!   e_k = log2(s_k) − log2(s_out), which must be ≤ 0 with at least one of them 0,
//!   out = clamp(sat16(RDBPOT16(q1, −e1) ± RDBPOT16(q2, −e2))) (`reference_ops::Add(int16)`,
//!   `Sub16` / `BroadcastSub16POTSlow`). TFLite's power-of-two ADD has no broadcasting
//!   (`MatchingElementsSize` aborts on different shapes): qlite refuses such a model. SUB
//!   broadcasts. A missing options table means the general path (TFLite's parser leaves its
//!   zero-initialized params, `pot_scale_int16 = false`, when the table is absent).
//!
//! The x86-64 negative-exponent behaviour of SUB described above applies to uint8 and int16 too
//! (measured: random configurations with output multipliers > 1 match).
//! Unquantized int16 ADD (all three tensors without quantization; add.cc's `EvalAdd`):
//! `clamp(wrap16(a + b))` with `CalculateActivationRange<int16_t>` (RELU [0, 32767], RELU6
//! [0, 6], RELU_N1_TO_1 [−1, 1]). Unquantized int16 SUB is refused (TFLite runs its quantized
//! path with scale 0).
//!
//! float32 (`reference_ops::Add`, `SubWithActivation`, `BroadcastAdd6DSlow`, `BroadcastSubSlow`):
//! out = min(max(a ± b, lo), hi) with (lo, hi) = the activation's range, [−FLT_MAX, FLT_MAX] for
//! none (so ±inf results become ±FLT_MAX, as in TFLite; NaN passes through). Bit-identical.
//!
//! Fused activations other than NONE, RELU, RELU6 and RELU_N1_TO_1 are rejected (TFLite would
//! silently ignore them), and so is an activation bound that overflows int32 when quantized
//! (TFLite's prepare fails the same way).

use crate::arith;
use crate::dtype::DType;
use crate::error::Result;
use crate::ops::Scratch;
use crate::ops::elementwise::broadcast::{self, BinaryKernel, Broadcast, clamp_f32};
use crate::ops::{Inputs, Kernel, Outputs, PrepareContext, per_tensor};
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
        Self::new_typed(s1, zp1, s2, zp2, s_out, zp_out, act, 20, -128, 127)
    }

    /// The parameters for any of the general paths: `left_shift` 20 for int8/uint8, 15 for
    /// int16; `(qmin, qmax)` the output type's range.
    #[allow(clippy::too_many_arguments)]
    pub fn new_typed(
        s1: f32,
        zp1: i32,
        s2: f32,
        zp2: i32,
        s_out: f32,
        zp_out: i32,
        act: tflite::ActivationFunctionType,
        left_shift: i32,
        qmin: i32,
        qmax: i32,
    ) -> std::result::Result<Self, String> {
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
        let (act_min, act_max) =
            arith::activation_range_quantized_checked(act, s_out, zp_out, qmin, qmax).map_err(|e| e.to_string())?;
        Ok(QuantParams {
            input1_offset: zp1.wrapping_neg(),
            input2_offset: zp2.wrapping_neg(),
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

    /// A ± B: both inputs rescaled to the common scale 2·max(s1, s2)/2²⁰.
    #[inline(always)]
    fn raw<const SUB: bool>(&self, x: i32, y: i32) -> i32 {
        let a = arith::mbqm_smaller_than_one(
            x.wrapping_add(self.input1_offset).wrapping_mul(1 << self.left_shift),
            self.input1_multiplier,
            self.input1_shift,
        );
        let b = arith::mbqm_smaller_than_one(
            y.wrapping_add(self.input2_offset).wrapping_mul(1 << self.left_shift),
            self.input2_multiplier,
            self.input2_shift,
        );
        if SUB { a.wrapping_sub(b) } else { a.wrapping_add(b) }
    }

    #[inline(always)]
    fn finish(&self, scaled: i32) -> i32 {
        scaled.wrapping_add(self.output_offset).clamp(self.act_min, self.act_max)
    }

    /// One int8 element of ADD (`SUB == false`) or SUB, for output shifts ≤ 0 (every model
    /// TFLite runs without undefined behaviour); a positive output shift (ADD only: TFLite
    /// aborts) is applied as a saturating left shift.
    #[inline(always)]
    pub fn eval<const SUB: bool>(&self, x: i8, y: i8) -> i8 {
        self.eval_i32::<SUB>(i32::from(x), i32::from(y)) as i8
    }

    /// [`Self::eval`] on any 8/16-bit type's values, giving the clamped output value.
    #[inline(always)]
    pub fn eval_i32<const SUB: bool>(&self, x: i32, y: i32) -> i32 {
        let raw = self.raw::<SUB>(x, y);
        let scaled = if self.output_shift <= 0 {
            arith::mbqm_smaller_than_one(raw, self.output_multiplier, self.output_shift)
        } else {
            arith::mbqm_saturating(raw, self.output_multiplier, self.output_shift)
        };
        self.finish(scaled)
    }

    /// One int8 element of SUB with a positive output shift, as TFLite's x86-64 build computes
    /// it: `RoundingDivideByPOT` with the negative exponent −shift, in its scalar (`sse` false)
    /// or SSE-vectorized form.
    #[inline(always)]
    pub fn eval_sub_x86(&self, x: i8, y: i8, sse: bool) -> i8 {
        self.eval_sub_x86_i32(i32::from(x), i32::from(y), sse) as i8
    }

    /// [`Self::eval_sub_x86`] on any 8/16-bit type's values.
    #[inline(always)]
    pub fn eval_sub_x86_i32(&self, x: i32, y: i32, sse: bool) -> i32 {
        let v = arith::srdhm(self.raw::<true>(x, y), self.output_multiplier);
        let scaled = if sse {
            arith::rdbpot_negative_exponent_x86_sse(v, -self.output_shift)
        } else {
            arith::rdbpot_negative_exponent_x86_scalar(v, -self.output_shift)
        };
        self.finish(scaled)
    }
}

use crate::ops::common::QInt as Q;

/// Quantized SUB whose output multiplier is > 1 (see the module doc): TFLite's element-wise path
/// (equal shapes) runs blocks of 4 elements in SSE code and the last `n mod 4` in scalar code;
/// its broadcasting path is scalar throughout.
struct SubX86<T> {
    plan: Broadcast,
    p: QuantParams,
    _t: std::marker::PhantomData<T>,
}

impl<T: Q> Kernel for SubX86<T> {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let a = inputs.get::<T>(0)?;
        let b = inputs.get::<T>(1)?;
        let out = outputs.get::<T>(0)?;
        let p = self.p;
        if self.plan.is_elementwise() {
            if a.len() != out.len() || b.len() != out.len() {
                return Err(crate::Error::Internal("SUB buffers do not match the planned shapes".into()));
            }
            let vector_end = out.len() - out.len() % 4;
            for (i, ((o, &x), &y)) in out.iter_mut().zip(a).zip(b).enumerate() {
                *o = T::from_i32(p.eval_sub_x86_i32(x.to_i32(), y.to_i32(), i < vector_end));
            }
            Ok(())
        } else {
            self.plan.run(a, b, out, |x: T, y: T| T::from_i32(p.eval_sub_x86_i32(x.to_i32(), y.to_i32(), false)))
        }
    }
}

/// The parameters of the int16 power-of-two-scale path (`pot_scale_int16`, zero points 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PotParams {
    /// Right shift of input 1 (≥ 0; at most one of the two is nonzero).
    pub shift1: i32,
    /// Right shift of input 2.
    pub shift2: i32,
    /// Activation range.
    pub act_min: i32,
    /// Activation range.
    pub act_max: i32,
}

impl PotParams {
    /// One element: `clamp(sat16(RDBPOT16(x, shift1) ± RDBPOT16(y, shift2)))`.
    #[inline(always)]
    pub fn eval<const SUB: bool>(&self, x: i16, y: i16) -> i16 {
        let a = arith::rdbpot16(x, self.shift1);
        let b = arith::rdbpot16(y, self.shift2);
        let r = if SUB { a.saturating_sub(b) } else { a.saturating_add(b) };
        i32::from(r).clamp(self.act_min, self.act_max) as i16
    }
}

/// The general quantized kernel of one 8/16-bit type.
fn general<'m, T: Q>(plan: Broadcast, p: QuantParams, op: Op) -> Box<dyn Kernel + 'm> {
    match op {
        Op::Add => Box::new(BinaryKernel::new(plan, move |x: T, y: T| {
            T::from_i32(p.eval_i32::<false>(x.to_i32(), y.to_i32()))
        })),
        Op::Sub if p.output_shift > 0 => Box::new(SubX86::<T> { plan, p, _t: std::marker::PhantomData }),
        Op::Sub => {
            Box::new(BinaryKernel::new(plan, move |x: T, y: T| T::from_i32(p.eval_i32::<true>(x.to_i32(), y.to_i32()))))
        }
    }
}

fn activation(ctx: &PrepareContext<'_, '_>, op: Op) -> Result<tflite::ActivationFunctionType> {
    let act = match op {
        Op::Add => ctx.options::<tflite::AddOptions>().map(|o| o.fused_activation_function()),
        Op::Sub => ctx.options::<tflite::SubOptions>().map(|o| o.fused_activation_function()),
    }
    .unwrap_or(tflite::ActivationFunctionType::NONE);
    if !arith::is_supported_activation(act) {
        return Err(ctx.unsupported(format!("unsupported fused activation {act:?}")));
    }
    Ok(act)
}

fn prepare_op<'m>(ctx: &mut PrepareContext<'_, 'm>, op: Op) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(2..=2, 1)?;
    let act = activation(ctx, op)?;
    let (t1, t2, to) = (ctx.input_dtype(0)?, ctx.input_dtype(1)?, ctx.output_dtype(0)?);
    if t1 != t2 || t1 != to {
        return Err(ctx.unsupported(format!("unsupported types: inputs {t1} and {t2}, output {to}")));
    }
    let plan = broadcast::plan(ctx)?;
    let unquantized = |k: usize| ctx.input(k).map(|t| t.quantization.is_none());
    if op == Op::Add
        && to == DType::Int16
        && ctx.output(0)?.quantization.is_none()
        && unquantized(0)?
        && unquantized(1)?
    {
        // add.cc's EvalAdd: BroadcastAdd6DSlow<int16_t, true>, the sum converted to int16
        // (wrapping) before the activation clamp.
        let (lo, hi) = arith::activation_range_int(act, -32768, 32767);
        return Ok(Box::new(BinaryKernel::new(plan, move |x: i16, y: i16| {
            i32::from(x.wrapping_add(y)).clamp(lo, hi) as i16
        })));
    }
    match to {
        DType::Int8 | DType::UInt8 | DType::Int16 => {
            let (s1, zp1) = per_tensor(ctx, ctx.input_quant(0)?, "input 1")?;
            let (s2, zp2) = per_tensor(ctx, ctx.input_quant(1)?, "input 2")?;
            let (so, zpo) = per_tensor(ctx, ctx.output_quant(0)?, "output")?;
            let (qmin, qmax) = to.int_range().unwrap_or((-128, 127));
            let (qmin, qmax) = (qmin as i32, qmax as i32);
            if to == DType::UInt8 && op == Op::Sub {
                // sub.cc's PrepareGeneralSubOp: zero points within the type's range.
                if [zp1, zp2, zpo].iter().any(|z| !(qmin..=qmax).contains(z)) {
                    return Err(ctx.err("uint8 zero points must lie in [0, 255]"));
                }
            }
            if to == DType::Int16 {
                if (zp1, zp2, zpo) != (0, 0, 0) {
                    return Err(ctx.err("int16 zero points must be 0"));
                }
                // A missing options table leaves TFLite's zero-initialized params: false.
                let pot_option = match op {
                    Op::Add => ctx.options::<tflite::AddOptions>().is_some_and(|o| o.pot_scale_int16()),
                    Op::Sub => ctx.options::<tflite::SubOptions>().is_some_and(|o| o.pot_scale_int16()),
                };
                let pot = |s: f32| match arith::checked_log2(s) {
                    (true, l) => Some(l),
                    _ => None,
                };
                let logs = (pot(s1), pot(s2), pot(so));
                if let (true, Some(l1), Some(l2), Some(lo)) = (pot_option, logs.0, logs.1, logs.2) {
                    let (sh1, sh2) = (l1 - lo, l2 - lo);
                    if !(sh1 == 0 || sh2 == 0) || sh1 > 0 || sh2 > 0 {
                        return Err(ctx.refused_by_tflite(format!(
                            "power-of-two int16 path: input shifts {sh1} and {sh2} (one must be 0, both ≤ 0)"
                        )));
                    }
                    if sh1 < -31 || sh2 < -31 {
                        // gemmlowp's RoundingDivideByPOT takes exponents 0..=31; beyond, TFLite
                        // shifts an int by 32 or more, which C++ leaves undefined.
                        return Err(ctx.unsupported(format!(
                            "power-of-two int16 path: input shifts {sh1} and {sh2}; below -31 TFLite's result is undefined"
                        )));
                    }
                    if op == Op::Add && !plan.is_elementwise() {
                        return Err(ctx.unsupported("power-of-two int16 ADD does not broadcast in TFLite"));
                    }
                    let (act_min, act_max) = arith::activation_range_quantized_checked(act, so, 0, qmin, qmax)
                        .map_err(|e| ctx.err(e.to_string()))?;
                    let pp = PotParams { shift1: -sh1, shift2: -sh2, act_min, act_max };
                    return Ok(match op {
                        Op::Add => Box::new(BinaryKernel::new(plan, move |x: i16, y: i16| pp.eval::<false>(x, y))),
                        Op::Sub => Box::new(BinaryKernel::new(plan, move |x: i16, y: i16| pp.eval::<true>(x, y))),
                    });
                }
            }
            let left_shift = if to == DType::Int16 { 15 } else { 20 };
            let p = QuantParams::new_typed(s1, zp1, s2, zp2, so, zpo, act, left_shift, qmin, qmax)
                .map_err(|e| ctx.err(e))?;
            Ok(match to {
                DType::Int8 => general::<i8>(plan, p, op),
                DType::UInt8 => general::<u8>(plan, p, op),
                _ => general::<i16>(plan, p, op),
            })
        }
        DType::Float32 => {
            let (lo, hi) = arith::activation_range_f32(act);
            Ok(match op {
                Op::Add => Box::new(BinaryKernel::new(plan, move |x: f32, y: f32| clamp_f32(x + y, lo, hi))),
                Op::Sub => Box::new(BinaryKernel::new(plan, move |x: f32, y: f32| clamp_f32(x - y, lo, hi))),
            })
        }
        _ => Err(ctx.unsupported(format!("unsupported type {to}"))),
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
        assert_eq!(p.eval::<false>(-128, -128), -128);
        assert_eq!(p.eval::<false>(127, 127), 127);
        assert_eq!(p.eval::<true>(0, 1), -128);
        // SUB as TFLite's x86 build computes it: only the sign of SRDHM(A − B, Mo) survives in
        // SSE code (A − B = −2^19 here), the scalar code adds (v >> 29) = −1.
        assert_eq!(p.eval_sub_x86(0, 1, true), -1);
        assert_eq!(p.eval_sub_x86(0, 1, false), -1);
        assert_eq!(p.eval_sub_x86(1, 1, true), 1);
        assert_eq!(p.eval_sub_x86(127, -128, true), 1);
    }

    #[test]
    fn sub_x86_kernel_uses_sse_blocks_of_four() {
        // s_out = 2^−40: Mo·2^eo with eo = 22; v = SRDHM(A − B, 2^30) = (A − B)/2 up to 2^26,
        // so the scalar form adds v >> 10.
        let p = QuantParams::new(1.0, 0, 1.0, 0, 2f32.powi(-40), 0, A::NONE).unwrap();
        assert_eq!((p.output_multiplier, p.output_shift), (1 << 30, 22));
        let plan = Broadcast::new(&[5], &[5]).unwrap();
        let k = SubX86::<i8> { plan, p, _t: std::marker::PhantomData };
        let a: [i8; 5] = [100; 5];
        let b: [i8; 5] = [0; 5];
        let out = crate::ops::run_kernel(&k, &[bytemuck::cast_slice(&a), bytemuck::cast_slice(&b)], &[5]).unwrap();
        // A − B = 100·2^19; v = 100·2^18 → v >> 10 = 25600 → clamped to 127 in the scalar tail.
        assert_eq!(bytemuck::cast_slice::<u8, i8>(&out[0]), &[1, 1, 1, 1, 127]);
        // Broadcasting: scalar throughout.
        let k = SubX86::<i8> { plan: Broadcast::new(&[5], &[1]).unwrap(), p, _t: std::marker::PhantomData };
        let out = crate::ops::run_kernel(&k, &[bytemuck::cast_slice(&a), bytemuck::cast_slice(&b[..1])], &[5]).unwrap();
        assert_eq!(bytemuck::cast_slice::<u8, i8>(&out[0]), &[127; 5]);
    }

    #[test]
    fn int16_general_path_uses_left_shift_15() {
        // s1 = 0.5, s2 = 0.25, s_out = 1: T = 1, m_out = 1/2^15 → (2^30, −14).
        let p = QuantParams::new_typed(0.5, 0, 0.25, 0, 1.0, 0, A::NONE, 15, -32768, 32767).unwrap();
        assert_eq!((p.output_multiplier, p.output_shift), (1 << 30, -14));
        // 1.5 + 0.5 = 2.
        assert_eq!(p.eval_i32::<false>(3, 2), 2);
        // 0.5·32767 + 0.25·32767 = 24575.25 → 24575 (no int32 overflow: 32767·2^15 < 2^31).
        assert_eq!(p.eval_i32::<false>(32767, 32767), 24575);
        assert_eq!(p.eval_i32::<true>(-32768, 32767), -24576); // −16384 − 8191.75 = −24575.75
        // s_out 0.5: 49150.5 clamps to 32767.
        let p = QuantParams::new_typed(0.5, 0, 0.25, 0, 0.5, 0, A::NONE, 15, -32768, 32767).unwrap();
        assert_eq!(p.eval_i32::<false>(32767, 32767), 32767);
        assert_eq!(p.eval_i32::<false>(-32768, -32768), -32768);
    }

    #[test]
    fn uint8_path_has_zero_points_and_clamps_to_0_255() {
        let p = QuantParams::new_typed(0.5, 128, 0.25, 100, 1.0, 10, A::NONE, 20, 0, 255).unwrap();
        // x = 131 → 1.5, y = 102 → 0.5: 2 + 10 = 12.
        assert_eq!(p.eval_i32::<false>(131, 102), 12);
        // −64 − 25 = −89 + 10 → clamped to 0; 63.5 + 38.75 = 102.25 → 112.
        assert_eq!(p.eval_i32::<false>(0, 0), 0);
        assert_eq!(p.eval_i32::<false>(255, 255), 112);
        // RELU: lower bound zp_out.
        let p = QuantParams::new_typed(0.5, 128, 0.25, 100, 1.0, 10, A::RELU, 20, 0, 255).unwrap();
        assert_eq!((p.act_min, p.act_max), (10, 255));
        assert_eq!(p.eval_i32::<true>(128, 108), 10); // 0 − 2 → −2 → RELU 0
    }

    #[test]
    fn int16_pot_path() {
        let p = PotParams { shift1: 0, shift2: 2, act_min: -32768, act_max: 32767 };
        // 6 >> 2 = 1.5 → 2 (half away): 100 + 2.
        assert_eq!(p.eval::<false>(100, 6), 102);
        // −6/4 = −1.5 → −2; 10 − (−2) = 12.
        assert_eq!(p.eval::<true>(10, -6), 12);
        // Saturating int16 arithmetic.
        assert_eq!(p.eval::<false>(32767, 8), 32767);
        assert_eq!(p.eval::<true>(-32768, 4), -32768);
        // Input 1 shifted instead, activation range.
        let p = PotParams { shift1: 1, shift2: 0, act_min: 0, act_max: 100 };
        assert_eq!(p.eval::<true>(3, 0), 2); // 1.5 → 2
        assert_eq!(p.eval::<true>(3, 5), 0); // −3 → RELU
        assert_eq!(p.eval::<false>(400, 5), 100);
    }
}
