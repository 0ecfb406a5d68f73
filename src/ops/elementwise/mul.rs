//! MUL: `out = act(a · b)` with NumPy broadcasting (`broadcast.rs`).
//!
//! int8 (TFLite `kernels/mul.cc` Prepare, `reference/integer_ops/mul.h` `MulElementwise` and
//! `BroadcastMul6DSlow`, which compute the same per-element function):
//! (M, e) = QuantizeMultiplier(double(float32(float32(s1·s2) / s_out))) — the real multiplier is
//! formed in float32, then widened;
//! out = clamp(zp_out + MultiplyByQuantizedMultiplier((q1 − zp1)·(q2 − zp2), M, e), act_min, act_max).
//!
//! uint8 (`reference_ops::Mul` / `BroadcastMul6DSlow` on uint8) and int16 (`reference_integer_ops::
//! Mul<int16_t>`, zero points must be 0 — TFLite checks that at invoke, qlite at prepare): the same
//! formula, clamped to the type's range. `(q1 − zp1)·(q2 − zp2)` fits int32 for every int16 input.
//!
//! Unquantized int16 output (mul.cc's `EvalMul`, whatever the inputs' quantization):
//! `clamp(wrap16(a · b))` with `CalculateActivationRange<int16_t>`.
//!
//! int16 × int16 → int8 or uint8 (the LSTM overloads `reference_integer_ops::Mul(int16 → int8)` and
//! `reference_ops::Mul(int16 → uint8)`): the scales are not used; with Q0.15 inputs,
//! `r = RDBPOT16(SRDHM16(q1, q2), 8)`, `out = zp_out + clamp(r, act_min − zp_out, act_max − zp_out)`.
//! TFLite runs these element-wise only; qlite refuses broadcasting shapes.
//!
//! float32 (`reference_ops::Mul`, `BroadcastMul6DSlow`): out = min(max(a·b, lo), hi), (lo, hi) the
//! activation's range, [−FLT_MAX, FLT_MAX] for none. Bit-identical.
//!
//! Fused activations other than NONE, RELU, RELU6 and RELU_N1_TO_1 are rejected (TFLite would
//! silently ignore them), and so is an activation bound that overflows int32 when quantized
//! (TFLite's prepare fails the same way).

use crate::arith;
use crate::dtype::DType;
use crate::error::Result;
use crate::ops::elementwise::broadcast::{self, BinaryKernel, clamp_f32};
use crate::ops::{Kernel, PrepareContext, per_tensor};
use crate::tflite;

/// The precomputed int8 MUL parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuantParams {
    /// −zp1
    pub input1_offset: i32,
    /// −zp2
    pub input2_offset: i32,
    /// zp_out
    pub output_offset: i32,
    /// QuantizeMultiplier of s1·s2/s_out.
    pub output_multiplier: i32,
    /// Its shift (positive: left).
    pub output_shift: i32,
    /// Activation range.
    pub act_min: i32,
    /// Activation range.
    pub act_max: i32,
}

impl QuantParams {
    /// Computes the parameters as mul.cc does.
    pub fn new(
        s1: f32,
        zp1: i32,
        s2: f32,
        zp2: i32,
        s_out: f32,
        zp_out: i32,
        act: tflite::ActivationFunctionType,
    ) -> std::result::Result<Self, String> {
        Self::new_typed(s1, zp1, s2, zp2, s_out, zp_out, act, -128, 127)
    }

    /// The parameters for an output type with range `[qmin, qmax]` (int8, uint8, int16).
    #[allow(clippy::too_many_arguments)]
    pub fn new_typed(
        s1: f32,
        zp1: i32,
        s2: f32,
        zp2: i32,
        s_out: f32,
        zp_out: i32,
        act: tflite::ActivationFunctionType,
        qmin: i32,
        qmax: i32,
    ) -> std::result::Result<Self, String> {
        let real = s1 * s2 / s_out; // float32, as in mul.cc
        let (output_multiplier, output_shift) = arith::quantize_multiplier(f64::from(real));
        let (act_min, act_max) =
            arith::activation_range_quantized_checked(act, s_out, zp_out, qmin, qmax).map_err(|e| e.to_string())?;
        Ok(QuantParams {
            input1_offset: zp1.wrapping_neg(),
            input2_offset: zp2.wrapping_neg(),
            output_offset: zp_out,
            output_multiplier,
            output_shift,
            act_min,
            act_max,
        })
    }

    /// One int8 element.
    #[inline(always)]
    pub fn eval(&self, x: i8, y: i8) -> i8 {
        self.eval_i32(i32::from(x), i32::from(y)) as i8
    }

    /// One element of any 8/16-bit type, giving the clamped output value.
    #[inline(always)]
    pub fn eval_i32(&self, x: i32, y: i32) -> i32 {
        let prod = x.wrapping_add(self.input1_offset).wrapping_mul(y.wrapping_add(self.input2_offset));
        let v = self.output_offset.wrapping_add(arith::mbqm(prod, self.output_multiplier, self.output_shift));
        v.clamp(self.act_min, self.act_max)
    }
}

/// int16 × int16 → int8/uint8 (`reference_integer_ops::Mul` / `reference_ops::Mul` overloads
/// with int16 inputs, the LSTM path): the inputs are Q0.15 fixed-point numbers, no scales used;
/// `r = RDBPOT16(SRDHM16(x, y), 8)`, `out = zp_out + clamp(r, act_min − zp_out, act_max − zp_out)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Int16ToInt8 {
    /// zp_out
    pub output_offset: i32,
    /// Activation range.
    pub act_min: i32,
    /// Activation range.
    pub act_max: i32,
}

impl Int16ToInt8 {
    /// One element, as the output type's value.
    #[inline(always)]
    pub fn eval(&self, x: i16, y: i16) -> i32 {
        let r = i32::from(arith::rdbpot16(arith::srdhm16(x, y), 8));
        let hi = self.act_max.wrapping_sub(self.output_offset) as i16 as i32;
        let lo = self.act_min.wrapping_sub(self.output_offset) as i16 as i32;
        self.output_offset.wrapping_add(r.min(hi).max(lo))
    }
}

/// Prepares MUL.
pub fn prepare<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(2..=2, 1)?;
    let act = ctx
        .options::<tflite::MulOptions>()
        .map_or(tflite::ActivationFunctionType::NONE, |o| o.fused_activation_function());
    if !arith::is_supported_activation(act) {
        return Err(ctx.unsupported(format!("unsupported fused activation {act:?}")));
    }
    let (t1, t2, to) = (ctx.input_dtype(0)?, ctx.input_dtype(1)?, ctx.output_dtype(0)?);
    let mixed = t1 == DType::Int16 && t2 == DType::Int16 && matches!(to, DType::Int8 | DType::UInt8);
    if (t1 != t2 || t1 != to) && !mixed {
        return Err(ctx.unsupported(format!("unsupported types: inputs {t1} and {t2}, output {to}")));
    }
    let plan = broadcast::plan(ctx)?;
    if to == DType::Int16 && !mixed && ctx.output(0)?.quantization.is_none() {
        // mul.cc's EvalMul on an unquantized int16 output: the product converted to int16
        // (wrapping) before the activation clamp.
        let (lo, hi) = arith::activation_range_int(act, -32768, 32767);
        return Ok(Box::new(BinaryKernel::new(plan, move |x: i16, y: i16| {
            i32::from(x.wrapping_mul(y)).clamp(lo, hi) as i16
        })));
    }
    if mixed {
        // TFLite runs these element-wise only (no broadcasting variant).
        if !plan.is_elementwise() {
            return Err(ctx.unsupported("int16 × int16 → 8-bit MUL does not broadcast in TFLite"));
        }
        // An unquantized output has TFLite's default params (scale 0, zero point 0): only
        // activation NONE then passes CalculateActivationRangeQuantized.
        let (so, zpo) = match ctx.output(0)?.quantization {
            None => (0.0, 0),
            Some(_) => per_tensor(ctx, ctx.output_quant(0)?, "output")?,
        };
        let (qmin, qmax) = if to == DType::Int8 { (-128, 127) } else { (0, 255) };
        let (act_min, act_max) =
            arith::activation_range_quantized_checked(act, so, zpo, qmin, qmax).map_err(|e| ctx.err(e.to_string()))?;
        let p = Int16ToInt8 { output_offset: zpo, act_min, act_max };
        return Ok(if to == DType::Int8 {
            Box::new(BinaryKernel::new(plan, move |x: i16, y: i16| p.eval(x, y) as i8))
        } else {
            Box::new(BinaryKernel::new(plan, move |x: i16, y: i16| p.eval(x, y) as u8))
        });
    }
    match to {
        DType::Int8 | DType::UInt8 | DType::Int16 => {
            let (s1, zp1) = per_tensor(ctx, ctx.input_quant(0)?, "input 1")?;
            let (s2, zp2) = per_tensor(ctx, ctx.input_quant(1)?, "input 2")?;
            let (so, zpo) = per_tensor(ctx, ctx.output_quant(0)?, "output")?;
            if to == DType::Int16 && (zp1, zp2, zpo) != (0, 0, 0) {
                return Err(ctx.err("int16 zero points must be 0"));
            }
            let (qmin, qmax) = match to {
                DType::Int8 => (-128, 127),
                DType::UInt8 => (0, 255),
                _ => (-32768, 32767),
            };
            let p = QuantParams::new_typed(s1, zp1, s2, zp2, so, zpo, act, qmin, qmax).map_err(|e| ctx.err(e))?;
            Ok(match to {
                DType::Int8 => Box::new(BinaryKernel::new(plan, move |x: i8, y: i8| p.eval(x, y))),
                DType::UInt8 => {
                    Box::new(BinaryKernel::new(plan, move |x: u8, y: u8| p.eval_i32(i32::from(x), i32::from(y)) as u8))
                }
                _ => Box::new(BinaryKernel::new(plan, move |x: i16, y: i16| {
                    p.eval_i32(i32::from(x), i32::from(y)) as i16
                })),
            })
        }
        DType::Float32 => {
            let (lo, hi) = arith::activation_range_f32(act);
            Ok(Box::new(BinaryKernel::new(plan, move |x: f32, y: f32| clamp_f32(x * y, lo, hi))))
        }
        _ => Err(ctx.unsupported(format!("unsupported type {to}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tflite::ActivationFunctionType as A;

    #[test]
    fn multiplier_is_formed_in_float32() {
        // 0.1f·0.2f/0.3f in float32 differs from the double computation.
        let (s1, s2, so) = (0.1f32, 0.2f32, 0.3f32);
        let p = QuantParams::new(s1, 0, s2, 0, so, 0, A::NONE).unwrap();
        let f32_real = f64::from(s1 * s2 / so);
        assert_eq!((p.output_multiplier, p.output_shift), arith::quantize_multiplier(f32_real));
        assert_ne!(f32_real, f64::from(s1) * f64::from(s2) / f64::from(so));
    }

    #[test]
    fn mul_rounds_and_clamps() {
        // s1·s2/s_out = 0.25 → (2^30, −1).
        let p = QuantParams::new(0.5, 0, 0.5, 0, 1.0, 0, A::NONE).unwrap();
        assert_eq!((p.output_multiplier, p.output_shift), (1 << 30, -1));
        assert_eq!(p.eval(4, 3), 3); // 12/4 = 3
        assert_eq!(p.eval(2, 3), 2); // 1.5 → 2
        // −1.5: SRDHM(−6, 2^30) = −3 (−3.0 exact), RDBPOT(−3, 1) = −2 (half away).
        assert_eq!(p.eval(-2, 3), -2);
        // −0.5: SRDHM(−2, 2^30) = −1, RDBPOT(−1, 1) = −1.
        assert_eq!(p.eval(-1, 2), -1);
        assert_eq!(p.eval(127, 127), 127); // 4032.25 clamps
        assert_eq!(p.eval(-128, 127), -128);
        // Zero points.
        let p = QuantParams::new(0.5, 5, 0.5, -5, 1.0, 10, A::RELU).unwrap();
        assert_eq!((p.act_min, p.act_max), (10, 127));
        assert_eq!(p.eval(9, -2), 13); // (4·3)/4 = 3 → 13
        assert_eq!(p.eval(1, -2), 10); // −3 → 7, clamped to RELU's 10
    }

    #[test]
    fn large_multiplier_shifts_left() {
        // s1·s2/s_out = 3 → (3·2^29, 2).
        let p = QuantParams::new(1.0, 0, 3.0, 0, 1.0, 0, A::NONE).unwrap();
        assert_eq!((p.output_multiplier, p.output_shift), (3 << 29, 2));
        assert_eq!(p.eval(5, 2), 30);
        assert_eq!(p.eval(-5, 2), -30);
    }

    #[test]
    fn int16_and_uint8_ranges() {
        let p = QuantParams::new_typed(0.5, 0, 0.5, 0, 1.0, 0, A::NONE, -32768, 32767).unwrap();
        assert_eq!(p.eval_i32(200, 300), 15000);
        // (−32768)^2/4 = 2^28 clamps; −0.75 → SRDHM gives −1 (−1.5 toward zero), RDBPOT(−1, 1) = −1.
        assert_eq!(p.eval_i32(-32768, -32768), 32767);
        assert_eq!(p.eval_i32(-3, 1), -1);
        let p = QuantParams::new_typed(0.5, 128, 0.5, 128, 1.0, 3, A::NONE, 0, 255).unwrap();
        assert_eq!(p.eval_i32(132, 134), 9); // 4·6/4 = 6 + 3
        assert_eq!(p.eval_i32(0, 255), 0); // −128·127/4 clamps at 0
        assert_eq!(p.eval_i32(255, 255), 255);
    }

    #[test]
    fn int16_times_int16_to_int8() {
        let p = Int16ToInt8 { output_offset: 5, act_min: -128, act_max: 127 };
        // 0.5·0.5 = 0.25 = 8192 in Q0.15 → RDBPOT(8192, 8) = 32.
        assert_eq!(p.eval(16384, 16384), 37);
        assert_eq!(p.eval(-16384, 16384), -27);
        // (−1)·(−1) saturates to 32767 → 127.996 → 128, limited to 127 − 5 = 122.
        assert_eq!(p.eval(-32768, -32768), 127);
        // 0.5·(−1) = −16384 → −64 → −59; 384·256 = 0.0029… → 3 / 256 rounds: 96 → 0.375 → 0.
        assert_eq!(p.eval(16384, -32768), -59);
        assert_eq!(p.eval(384, 8192), 5);
    }
}
