//! DIV: `out = act(a / b)` with NumPy broadcasting (`broadcast.rs`), for float32, int8 and uint8.
//!
//! float32 (TFLite `kernels/div.cc`, `reference_ops::Div` and `BroadcastDivSlow`):
//! out = min(max(a / b, lo), hi) with (lo, hi) the fused activation's range, [−FLT_MAX, FLT_MAX]
//! for none: a division by zero gives ±FLT_MAX (or the activation's bound), not ±inf; 0/0 and
//! NaN give NaN. Bit-identical (one IEEE division).
//!
//! int8 and uint8 (`div.cc` Prepare and `reference/div.h`, `DivElementwise` for equal shapes and
//! `BroadcastDivSlowQuantized` otherwise, which compute the same per-element function):
//! - Prepare: (M, s) = QuantizeMultiplier(double(s1 / (s2·s_out))), the real multiplier formed in
//!   float32 (`params.scale` is a float); (act_min, act_max) = CalculateActivationRangeQuantized.
//! - Per element: x1 = q1 − zp1, x2 = q2 − zp2; when x2 < 0 both are negated. Then
//!   (inv, r) = GetReciprocal(x2, 31) (x2 normalized by its clz: 1/x2 ≈ inv·2^−31·2^−r),
//!   h = CountLeadingSignBits(x1), u = SRDHM(x1·2^h, inv) (MultiplyByQuantizedMultiplierGreaterThanOne),
//!   out = clamp(zp_out + RDBPOT(SRDHM(u, M), r + h − s), act_min, act_max)
//!   (MultiplyByQuantizedMultiplierSmallerThanOneExp with total_shift = s − r − h).
//! - The RDBPOT exponent e = r + h − s is outside 0..=31 for many ordinary inputs; that is
//!   undefined behaviour in C++, and TFLite's x86-64 build computes it as
//!   [`arith::rdbpot_x86_scalar`] does (mask `(1ll << e) − 1` shifted in 64 bits, `x >> e` in 32
//!   bits, counts taken mod 64 and mod 32). qlite reproduces it exactly. Consequences, all seen
//!   in TFLite 2.21's BUILTIN_REF (and its default path):
//!   - e ≥ 32 happens when s1/(s2·s_out) is below about 1 and |x1| is small or |x2| large
//!     (x1 = 0 has h = 31, x1 = ±1 has h ≥ 30). Then the result is (x >> (e − 32)) + (x ≥ 0)
//!     with x = SRDHM(u, M) of magnitude about 2^29: **0 / y gives zp_out + 1**, and any other
//!     quotient saturates to act_max or act_min by its sign (e.g. with s1/(s2·s_out) = 0.64,
//!     1/4 gives 127 instead of 0). Converted models reach this easily: a divisor range of
//!     both signs gives a huge output range and a multiplier ≪ 1 (`div_bcast_outer_mixed_sign_int8`:
//!     s1/(s2·s_out) = 0.012, 78% of the outputs are more than one step from the true quotient).
//!   - e < 0 happens for s1/(s2·s_out) above about 2^23: small, wrong values instead of saturation.
//!
//!   Checked exhaustively (every q1, q2 pair, `models/fuzz_div.py`) against TFLite's BUILTIN_REF.
//!
//! Division by zero (q2 = zp2): TFLite's Eval checks every element of input 2 first
//! (`CheckNonZero`) and fails the invoke without writing the output; qlite's eval returns the
//! same kind of error (the operator, and the first offending index). For float32 there is no
//! check (see above).
//!
//! Differences from TFLite on models TFLite also rejects or computes garbage for: all three
//! tensors must be quantized per tensor (TFLite reads the first scale of input 1 and the output
//! silently and fails on per-channel input 2 at invoke); a real multiplier that is not finite
//! (s2·s_out underflowing in float32) is refused (TFLite casts inf to int64). Fused activations
//! other than NONE, RELU, RELU6 and RELU_N1_TO_1 are rejected (TFLite would silently ignore
//! them), and so is an activation bound that overflows int32 when quantized (TFLite's prepare
//! fails the same way). int32, int16 and uint16 DIV are not implemented.

use crate::arith;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::fixedpoint;
use crate::ops::Scratch;
use crate::ops::elementwise::broadcast::{self, BinaryKernel, Broadcast, clamp_f32};
use crate::ops::{Element, Inputs, Kernel, Outputs, PrepareContext, per_tensor};
use crate::tflite;

/// The 8-bit quantized element types DIV supports.
pub trait Quant8: Element + Copy + Into<i32> {
    /// Smallest value.
    const MIN: i32;
    /// Largest value.
    const MAX: i32;
    /// From an i32 already clamped to [MIN, MAX].
    fn from_clamped(v: i32) -> Self;
}

impl Quant8 for i8 {
    const MIN: i32 = i8::MIN as i32;
    const MAX: i32 = i8::MAX as i32;
    #[inline(always)]
    fn from_clamped(v: i32) -> Self {
        v as i8
    }
}

impl Quant8 for u8 {
    const MIN: i32 = u8::MIN as i32;
    const MAX: i32 = u8::MAX as i32;
    #[inline(always)]
    fn from_clamped(v: i32) -> Self {
        v as u8
    }
}

/// The divisor-dependent part of the per-element computation, for one value of q2.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Divisor {
    /// x2 < 0: x1 is negated.
    negate: bool,
    /// GetReciprocal(|x2|, 31): Q0.31 reciprocal of the normalized divisor.
    inv: i32,
    /// output_shift − num_bits_over_unit.
    shift: i32,
}

/// The precomputed quantized DIV parameters.
#[derive(Clone, Debug)]
pub struct QuantParams {
    /// −zp1
    pub input1_offset: i32,
    /// −zp2
    pub input2_offset: i32,
    /// zp_out
    pub output_offset: i32,
    /// QuantizeMultiplier of s1/(s2·s_out).
    pub output_multiplier: i32,
    /// Its shift (positive: left).
    pub output_shift: i32,
    /// Activation range.
    pub act_min: i32,
    /// Activation range.
    pub act_max: i32,
    /// Indexed by `q2 & 0xFF`; the entry of q2 = zp2 is unused.
    divisors: [Divisor; 256],
}

impl QuantParams {
    /// Computes the parameters as div.cc does, for element values in [qmin, qmax].
    #[allow(clippy::too_many_arguments)]
    pub fn new(
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
        let real = s1 / (s2 * s_out); // float32, as in div.cc
        if !real.is_finite() {
            return Err(format!("scales {s1}/({s2}·{s_out}) give a multiplier that is not finite"));
        }
        let (output_multiplier, output_shift) = arith::quantize_multiplier(f64::from(real));
        let (act_min, act_max) =
            arith::activation_range_quantized_checked(act, s_out, zp_out, qmin, qmax).map_err(|e| e.to_string())?;
        let mut divisors = [Divisor::default(); 256];
        for q2 in qmin..=qmax {
            let x2 = q2 - zp2;
            if x2 == 0 {
                continue;
            }
            let (inv, recip_shift) = fixedpoint::get_reciprocal(x2.abs(), 31);
            divisors[(q2 & 0xFF) as usize] = Divisor { negate: x2 < 0, inv, shift: output_shift - recip_shift };
        }
        Ok(QuantParams {
            input1_offset: -zp1,
            input2_offset: -zp2,
            output_offset: zp_out,
            output_multiplier,
            output_shift,
            act_min,
            act_max,
            divisors,
        })
    }

    /// One element; `q2` must not be the divisor's zero point.
    #[inline(always)]
    pub fn eval<T: Quant8>(&self, q1: T, q2: T) -> T {
        let q2: i32 = q2.into();
        let d = self.divisors[(q2 & 0xFF) as usize];
        let x1 = q1.into() + self.input1_offset;
        let x1 = if d.negate { -x1 } else { x1 };
        let headroom = arith::count_leading_sign_bits(x1);
        let unscaled = arith::mbqm_greater_than_one(x1, d.inv, headroom);
        let total_shift = d.shift - headroom;
        let scaled = arith::rdbpot_x86_scalar(arith::srdhm(unscaled, self.output_multiplier), -total_shift);
        T::from_clamped(self.output_offset.wrapping_add(scaled).clamp(self.act_min, self.act_max))
    }
}

/// Quantized DIV: checks the divisor for zeros (as TFLite's `CheckNonZero`), then divides.
struct QuantDiv<T> {
    plan: Broadcast,
    p: Box<QuantParams>,
    /// The quantized zero of input 2.
    zero: T,
    /// (subgraph, operator index, opcode name) for the division-by-zero error.
    site: (usize, usize, String),
}

impl<T: Quant8 + PartialEq> Kernel for QuantDiv<T> {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let a = inputs.get::<T>(0)?;
        let b = inputs.get::<T>(1)?;
        if let Some(i) = b.iter().position(|&v| v == self.zero) {
            let (subgraph, op, opcode) = &self.site;
            return Err(Error::Operator {
                subgraph: *subgraph,
                op: *op,
                opcode: opcode.clone(),
                msg: format!("division by zero: input 2 element {i} equals its zero point"),
                kind: crate::error::OpErrorKind::Runtime,
            });
        }
        let out = outputs.get::<T>(0)?;
        let p = &*self.p;
        self.plan.run(a, b, out, |x: T, y: T| p.eval(x, y))
    }
}

fn quantized<'m, T: Quant8 + PartialEq>(
    ctx: &mut PrepareContext<'_, 'm>,
    plan: Broadcast,
    act: tflite::ActivationFunctionType,
) -> Result<Box<dyn Kernel + 'm>> {
    let (s1, zp1) = per_tensor(ctx, ctx.input_quant(0)?, "input 1")?;
    let (s2, zp2) = per_tensor(ctx, ctx.input_quant(1)?, "input 2")?;
    let (so, zpo) = per_tensor(ctx, ctx.output_quant(0)?, "output")?;
    for (zp, what) in [(zp1, "input 1"), (zp2, "input 2"), (zpo, "output")] {
        if !(T::MIN..=T::MAX).contains(&zp) {
            return Err(ctx.err(format!("{what} zero point {zp} is outside the type's range")));
        }
    }
    let p = QuantParams::new(s1, zp1, s2, zp2, so, zpo, act, T::MIN, T::MAX).map_err(|e| ctx.err(e))?;
    let zero = T::from_clamped(zp2);
    let site = (ctx.subgraph, ctx.op_index, ctx.opcode().name());
    Ok(Box::new(QuantDiv { plan, p: Box::new(p), zero, site }))
}

/// Prepares DIV.
pub fn prepare<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(2..=2, 1)?;
    let act = ctx
        .options::<tflite::DivOptions>()
        .map_or(tflite::ActivationFunctionType::NONE, |o| o.fused_activation_function());
    if !arith::is_supported_activation(act) {
        return Err(ctx.unsupported(format!("unsupported fused activation {act:?}")));
    }
    let (t1, t2, to) = (ctx.input_dtype(0)?, ctx.input_dtype(1)?, ctx.output_dtype(0)?);
    if t1 != t2 || t1 != to {
        return Err(ctx.unsupported(format!("unsupported types: inputs {t1} and {t2}, output {to}")));
    }
    let plan = broadcast::plan(ctx)?;
    match to {
        DType::Float32 => {
            let (lo, hi) = arith::activation_range_f32(act);
            Ok(Box::new(BinaryKernel::new(plan, move |x: f32, y: f32| clamp_f32(x / y, lo, hi))))
        }
        DType::Int8 => quantized::<i8>(ctx, plan, act),
        DType::UInt8 => quantized::<u8>(ctx, plan, act),
        _ => Err(ctx.unsupported(format!("unsupported type {to} (float32, int8 and uint8 only)"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tflite::ActivationFunctionType as A;

    fn params(s1: f32, zp1: i32, s2: f32, zp2: i32, so: f32, zpo: i32, act: A) -> QuantParams {
        QuantParams::new(s1, zp1, s2, zp2, so, zpo, act, -128, 127).unwrap()
    }

    #[test]
    fn division_by_zero_clamps() {
        let (lo, hi) = arith::activation_range_f32(tflite::ActivationFunctionType::NONE);
        let f = |x: f32, y: f32| clamp_f32(x / y, lo, hi);
        assert_eq!(f(1.0, 0.0), f32::MAX);
        assert_eq!(f(-1.0, 0.0), f32::MIN);
        assert_eq!(f(1.0, -0.0), f32::MIN);
        assert!(f(0.0, 0.0).is_nan());
        assert_eq!(f(1.0, 3.0), 1.0f32 / 3.0);
    }

    #[test]
    fn multiplier_is_formed_in_float32() {
        let (s1, s2, so) = (0.1f32, 0.3f32, 0.7f32);
        let p = params(s1, 0, s2, 0, so, 0, A::NONE);
        let f32_real = f64::from(s1 / (s2 * so));
        assert_eq!((p.output_multiplier, p.output_shift), arith::quantize_multiplier(f32_real));
        assert_ne!(f32_real, f64::from(s1) / (f64::from(s2) * f64::from(so)));
    }

    #[test]
    fn exact_quotients() {
        // s1/(s2·s_out) = 1 → (2^30, 1): q1/q2 with x86's RDBPOT.
        let p = params(1.0, 0, 1.0, 0, 1.0, 0, A::NONE);
        assert_eq!((p.output_multiplier, p.output_shift), (1 << 30, 1));
        // 6/3: x2 = 3 → clz 30, r = 1, inv ≈ 2^31/1.5; h(6) = 28;
        // u = SRDHM(6·2^28, inv) ≈ 2^30; SRDHM(u, 2^30) ≈ 2^29; exponent 1 + 28 − 1 = 28 → 2.
        assert_eq!(p.eval(6i8, 3i8), 2);
        assert_eq!(p.eval(-6i8, 3i8), -2);
        assert_eq!(p.eval(6i8, -3i8), -2);
        assert_eq!(p.eval(-6i8, -3i8), 2);
        assert_eq!(p.eval(127i8, 1i8), 127);
        assert_eq!(p.eval(-128i8, 1i8), -128);
        assert_eq!(p.eval(-128i8, -1i8), 127); // 128 clamps
        assert_eq!(p.eval(100i8, 7i8), 14); // 14.29
        assert_eq!(p.eval(-100i8, 7i8), -14);
    }

    #[test]
    fn ties_are_not_symmetric() {
        // 1/2 is GetReciprocal(2) = one_over_one_plus_x(0) = 2^31 − 1 (slightly below 1), so
        // u = SRDHM(x1·2^28, 2^31 − 1) = x1·2^28 ∓ 1 and a negative tie ends just above −n.5.
        // 5/2: u = 5·2^28 − 1, SRDHM(u, 2^30) = 5·2^27 (rounded up from …639.5), 2.5 → 3.
        // −5/2: u = −5·2^28 + 1, SRDHM(u, 2^30) = −5·2^27 + 1: −2.4999… → −2 (TFLite agrees).
        let p = params(1.0, 0, 1.0, 0, 1.0, 0, A::NONE);
        assert_eq!(p.eval(5i8, 2i8), 3); // 2.5
        assert_eq!(p.eval(-5i8, 2i8), -2);
        assert_eq!(p.eval(3i8, -2i8), -1); // −1.5
        assert_eq!(p.eval(1i8, 2i8), 1); // 0.5
        assert_eq!(p.eval(1i8, 3i8), 0); // 0.33
        assert_eq!(p.eval(-1i8, 3i8), 0);
    }

    #[test]
    fn zero_dividend_is_off_by_one_like_tflite() {
        // Multiplier 1 (shift 1): x1 = 0 has headroom 31, so the RDBPOT exponent is 30 + r:
        // |x2| ≤ 3 (r ≤ 1) gives 0, |x2| ≥ 4 gives exponent ≥ 32 and x86's result 1.
        let p = params(1.0, 0, 1.0, 0, 1.0, 0, A::NONE);
        for q2 in [-3i8, -2, -1, 1, 2, 3] {
            assert_eq!(p.eval(0i8, q2), 0, "{q2}");
        }
        for q2 in [-128i8, -4, 4, 5, 100, 127] {
            assert_eq!(p.eval(0i8, q2), 1, "{q2}");
        }
        // Multiplier 0.1 (shift −3): exponent ≥ 34 for every divisor: always zp_out + 1.
        let p = params(0.01, 0, 0.1, 0, 1.0, 0, A::NONE);
        for q2 in [-128i8, -1, 1, 127] {
            assert_eq!(p.eval(0i8, q2), 1, "{q2}");
        }
        // ... and zero points move it: zp_out = 2 → 3.
        let p = params(0.01, 5, 0.1, -3, 0.05, 2, A::NONE);
        assert_eq!(p.eval(5i8, 100i8), 3);
    }

    #[test]
    fn small_multiplier_saturates_like_tflite() {
        // s1/(s2·s_out) ≈ 0.64 (shift 0). 1/1: h = 30, r = 0, e = 30 → 0.64 → 1. 1/2: e = 31 → 0.
        // 1/4: r = 2, e = 32: x = SRDHM(u, M) ≈ 0.64·2^29 stays unshifted, + 1 → 127 (TFLite too).
        let p = params(2.0 / 255.0, 0, 4.0 / 255.0, 0, 0.78, 0, A::NONE);
        assert_eq!(p.output_shift, 0);
        assert_eq!(p.eval(1i8, 1i8), 1);
        assert_eq!(p.eval(1i8, 2i8), 0);
        assert_eq!(p.eval(1i8, 3i8), 0);
        assert_eq!(p.eval(1i8, 4i8), 127);
        assert_eq!(p.eval(1i8, 100i8), 127);
        assert_eq!(p.eval(-1i8, 4i8), -128);
        assert_eq!(p.eval(-1i8, 100i8), -128);
        assert_eq!(p.eval(2i8, 100i8), 127);
        assert_eq!(p.eval(0i8, 100i8), 1);
        // The activation still clamps: RELU6 at scale 0.78 is [0, 8].
        let p = params(2.0 / 255.0, 0, 4.0 / 255.0, 0, 0.78, 0, A::RELU6);
        assert_eq!(p.eval(1i8, 4i8), 8);
    }

    #[test]
    fn zero_points_and_activation() {
        // x1 = 40 − 10 = 30, x2 = 8 − 2 = 6: 5 (real multiplier 1) → zp_out 3 + 5 = 8.
        let p = params(0.5, 10, 0.25, 2, 2.0, 3, A::NONE);
        assert_eq!((p.output_multiplier, p.output_shift), (1 << 30, 1));
        assert_eq!(p.eval(40i8, 8i8), 8);
        // RELU: output real −5 → clamped to zp_out.
        let p = params(0.5, 10, 0.25, 2, 2.0, 3, A::RELU);
        assert_eq!((p.act_min, p.act_max), (3, 127));
        assert_eq!(p.eval(-20i8, 8i8), 3);
        // RELU_N1_TO_1 with scale 0.25: [−4, 4] around zp_out.
        let p = params(1.0, 0, 1.0, 0, 0.25, 0, A::RELU_N1_TO_1);
        assert_eq!((p.act_min, p.act_max), (-4, 4));
        assert_eq!(p.eval(7i8, 1i8), 4);
        assert_eq!(p.eval(-7i8, 1i8), -4);
    }

    #[test]
    fn uint8() {
        let p = QuantParams::new(1.0, 128, 1.0, 128, 1.0, 128, A::NONE, 0, 255).unwrap();
        assert_eq!(p.eval(134u8, 131u8), 130); // 6/3 = 2
        assert_eq!(p.eval(122u8, 131u8), 126); // −6/3
        assert_eq!(p.eval(255u8, 129u8), 255); // 127
        assert_eq!(p.eval(0u8, 127u8), 255); // −128/−1 = 128 clamps
        assert_eq!(p.eval(128u8, 200u8), 129); // 0/72: the x86 off-by-one
    }

    #[test]
    fn zero_divisor_fails_the_eval() {
        let p = params(1.0, 0, 1.0, 3, 1.0, 0, A::NONE);
        let k = QuantDiv::<i8> {
            plan: Broadcast::new(&[4], &[4]).unwrap(),
            p: Box::new(p),
            zero: 3,
            site: (0, 7, "DIV".to_string()),
        };
        let a = [10i8, 20, 30, 40];
        // x2 = 2, 1, −1, −2.
        let out = crate::ops::run_kernel(&k, &[bytemuck::cast_slice(&a), bytemuck::cast_slice(&[5i8, 4, 2, 1])], &[4])
            .unwrap();
        assert_eq!(bytemuck::cast_slice::<u8, i8>(&out[0]), &[5, 20, -30, -20]);
        let e = crate::ops::run_kernel(&k, &[bytemuck::cast_slice(&a), bytemuck::cast_slice(&[5i8, 4, 3, 1])], &[4])
            .unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("operator 7 (DIV)") && msg.contains("element 2"), "{msg}");
    }

    #[test]
    fn extreme_multipliers() {
        // s1/(s2·s_out) = 2^30: exponent r + h − 31, negative for small |x1| (x86 behaviour).
        let p = params(1.0, 0, 1.0, 0, 2f32.powi(-30), 0, A::NONE);
        assert_eq!(p.output_shift, 31);
        assert_eq!(p.eval(0i8, 1i8), 0); // exponent 0: SRDHM(0, ·) = 0
        // Tiny multiplier: QuantizeMultiplier flushes to (0, 0): every quotient is 0 (x1 = 0 gives
        // the exponent 31 + r − 0 ≥ 32 for |x2| ≥ 2 → 1).
        let p = params(2f32.powi(-40), 0, 1.0, 0, 1.0, 0, A::NONE);
        assert_eq!((p.output_multiplier, p.output_shift), (0, 0));
        assert_eq!(p.eval(100i8, 1i8), 0); // exponent 24 + 0 − 0
        assert_eq!(p.eval(0i8, 2i8), 1);
        // A non-finite real multiplier is refused.
        assert!(QuantParams::new(1.0, 0, 1e-30, 0, 1e-30, 0, A::NONE, -128, 127).is_err());
    }
}
