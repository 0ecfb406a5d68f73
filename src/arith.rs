//! Quantized integer arithmetic: the only place in qlite where rounding happens.
//!
//! Contract: every function here reproduces, bit for bit, the function of TensorFlow Lite's
//! reference kernels (built with double rounding, `TFLITE_SINGLE_ROUNDING` off) or gemmlowp's
//! `fixedpoint.h` that it is named after. Where TFLite would abort on an argument (a `TFLITE_CHECK`),
//! these return an error or saturate instead, and the caller's `prepare` rejects the model or
//! documents what it does. Kernels call these; they never round by themselves.

use crate::error::{Error, Result};

/// `frexp(d)`: (q, e) with d = q·2^e and |q| in [0.5, 1), or (0, 0) for zero.
/// Non-finite inputs give (d, 0), as C's frexp does.
pub fn frexp(d: f64) -> (f64, i32) {
    if d == 0.0 || !d.is_finite() {
        return (d, 0);
    }
    let bits = d.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    if exp == 0 {
        // Subnormal: scale into the normal range first.
        let (q, e) = frexp(d * f64::from_bits(0x43f0_0000_0000_0000)); // 2^64
        return (q, e - 64);
    }
    let q = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (q, exp - 1022)
}

/// C's `round` on doubles: half away from zero.
#[inline]
pub fn round_f64(x: f64) -> f64 {
    x.round()
}

/// C's `roundf`: half away from zero.
#[inline]
pub fn round_f32(x: f32) -> f32 {
    x.round()
}

/// TFLite `QuantizeMultiplier`: a real multiplier as a Q0.31 fixed-point value and a shift
/// (positive: left). Zero gives (0, 0); magnitudes below about 2^-31 flush to (0, 0).
pub fn quantize_multiplier(d: f64) -> (i32, i32) {
    if d == 0.0 {
        return (0, 0);
    }
    let (q, mut shift) = frexp(d);
    let mut q_fixed = round_f64(q * (1u64 << 31) as f64) as i64;
    if q_fixed == 1i64 << 31 {
        q_fixed /= 2;
        shift += 1;
    }
    if shift < -31 {
        shift = 0;
        q_fixed = 0;
    }
    (q_fixed as i32, shift)
}

/// TFLite `QuantizeMultiplierSmallerThanOneExp`: requires 0 < d < 1 (TFLite aborts otherwise).
pub fn quantize_multiplier_smaller_than_one(d: f64) -> Result<(i32, i32)> {
    if !(d > 0.0 && d < 1.0) {
        return Err(Error::Usage(format!("multiplier {d} is not in (0, 1)")));
    }
    let (m, s) = quantize_multiplier(d);
    if s > 0 {
        return Err(Error::Usage(format!("multiplier {d} gave a left shift {s}")));
    }
    Ok((m, s))
}

/// gemmlowp `SaturatingRoundingDoublingHighMul` on int32.
#[inline]
pub fn srdhm(a: i32, b: i32) -> i32 {
    if a == i32::MIN && b == i32::MIN {
        return i32::MAX;
    }
    let ab = a as i64 * b as i64;
    let nudge = if ab >= 0 { 1i64 << 30 } else { 1 - (1i64 << 30) };
    ((ab + nudge) / (1i64 << 31)) as i32
}

/// gemmlowp `SaturatingRoundingDoublingHighMul` on int16.
#[inline]
pub fn srdhm16(a: i16, b: i16) -> i16 {
    if a == i16::MIN && b == i16::MIN {
        return i16::MAX;
    }
    let ab = a as i32 * b as i32;
    let nudge = if ab >= 0 { 1i32 << 14 } else { 1 - (1i32 << 14) };
    ((ab + nudge) / (1i32 << 15)) as i16
}

/// gemmlowp `RoundingDivideByPOT` on int32: x / 2^exponent rounded half away from zero.
/// `exponent` must be in 0..=31.
#[inline]
pub fn rdbpot(x: i32, exponent: i32) -> i32 {
    debug_assert!((0..=31).contains(&exponent));
    let mask = ((1i64 << exponent) - 1) as i32;
    let remainder = x & mask;
    let threshold = (mask >> 1) + (x < 0) as i32;
    (x >> exponent) + (remainder > threshold) as i32
}

/// x / 2^exponent on int64, rounded half away from zero the way TFLite's integer bilinear resize
/// does it (`ResizeBilinearInteger`, double-rounding build): `(x + (x > 0 ? 2^(e−1) : −2^(e−1))) / 2^e`
/// with C's truncating division. `exponent` must be in 1..=62; `x` must leave room for the nudge
/// (|x| ≤ 2^62), which callers guarantee.
#[inline]
pub fn div_pot_round_half_away_i64(x: i64, exponent: u32) -> i64 {
    debug_assert!((1..=62).contains(&exponent));
    let half = 1i64 << (exponent - 1);
    let nudge = if x > 0 { half } else { -half };
    (x + nudge) / (1i64 << exponent)
}

/// gemmlowp `RoundingDivideByPOT` on int16.
/// gemmlowp `RoundingDivideByPOT` on int16, for `exponent` in 0..=31 like gemmlowp. The mask
/// `2^exponent − 1` is truncated to 16 bits as gemmlowp's `Dup<int16_t>` does, so exponents of
/// 16 and more give 1 for x ≥ 0 and −1 for x < 0 (HARD_SWISH reaches them with tiny
/// input/output scale ratios).
#[inline]
pub fn rdbpot16(x: i16, exponent: i32) -> i16 {
    debug_assert!((0..=31).contains(&exponent));
    let exponent = exponent.clamp(0, 31);
    let mask = ((1i64 << exponent) - 1) as i16;
    let remainder = x & mask;
    let threshold = (mask >> 1).wrapping_add((x < 0) as i16);
    (((x as i32) >> exponent) as i16).wrapping_add((remainder > threshold) as i16)
}

/// TFLite `SaturatingDoublingHighMul` on int16 (`reference/hard_swish.h`): like [`srdhm16`] but
/// truncating toward zero, `(a·b) / 2^15`; `(−2^15)·(−2^15)` saturates to `i16::MAX`.
#[inline]
pub fn sdhm16(a: i16, b: i16) -> i16 {
    if a == i16::MIN && b == i16::MIN {
        return i16::MAX;
    }
    ((a as i32 * b as i32) / (1 << 15)) as i16
}

/// TFLite `SaturatingLeftShift` on int16 (`reference/hard_swish.h`): `value·2^amount` clamped
/// to the int16 range.
#[inline]
pub fn saturating_left_shift16(value: i16, amount: i32) -> i16 {
    let v = (value as i64) << amount.clamp(0, 47);
    v.clamp(i16::MIN as i64, i16::MAX as i64) as i16
}

/// TFLite `DownScaleInt32ToInt16Multiplier`: a Q0.31 multiplier (≥ 0) rounded to Q0.15,
/// `(M + 2^15) >> 16`, saturating to `i16::MAX` when `M ≥ 2^31 − 1 − 2^15`.
#[inline]
pub fn downscale_multiplier_i16(multiplier: i32) -> i16 {
    const ROUNDING: i32 = 1 << 15;
    if multiplier >= i32::MAX - ROUNDING {
        return i16::MAX;
    }
    ((multiplier + ROUNDING) >> 16) as i16
}

/// gemmlowp `RoundingDivideByPOT(x, exponent)` called with a NEGATIVE exponent, as the scalar
/// code of TFLite's x86-64 build computes it (undefined behaviour in C++; TFLite's int8 SUB does
/// this when its output multiplier is > 1, see `ops/add_sub.rs`). The shifts take their count
/// modulo the operand width, as x86's `shl`/`sar` do: mask = int32((1 << (e mod 64)) − 1),
/// result = (x >> (e mod 32)) + ((x & mask) > (mask >> 1) + (x < 0)).
#[inline]
pub fn rdbpot_negative_exponent_x86_scalar(x: i32, exponent: i32) -> i32 {
    let mask = (1i64 << (exponent & 63)).wrapping_sub(1) as i32;
    let remainder = x & mask;
    let threshold = (mask >> 1) + (x < 0) as i32;
    (x >> (exponent & 31)) + (remainder > threshold) as i32
}

/// Like [`rdbpot_negative_exponent_x86_scalar`] in the SSE-vectorized code of TFLite's x86-64
/// build: the vector arithmetic shift by an out-of-range count fills with the sign bit, so
/// result = (x < 0 ? −1 : 0) + ((x & mask) > (mask >> 1) + (x < 0)).
#[inline]
pub fn rdbpot_negative_exponent_x86_sse(x: i32, exponent: i32) -> i32 {
    let mask = (1i64 << (exponent & 63)).wrapping_sub(1) as i32;
    let remainder = x & mask;
    let threshold = (mask >> 1) + (x < 0) as i32;
    (x >> 31) + (remainder > threshold) as i32
}

/// gemmlowp `RoundingDivideByPOT(x, exponent)` for ANY exponent, as the scalar code of
/// TFLite's x86-64 build computes it: [`rdbpot`] for 0..=31; outside that range (undefined
/// behaviour in C++) the mask `(1ll << e) − 1` is a 64-bit shift (count mod 64) truncated to
/// int32 and `x >> e` a 32-bit shift (count mod 32), i.e. the formula of
/// [`rdbpot_negative_exponent_x86_scalar`]. For e in 32..=63 the mask is −1, so the result is
/// `(x >> (e − 32)) + (x ≥ 0)`: 0 → 1, and a large x stays large. TFLite's quantized DIV reaches
/// exponents above 31 and below 0 (`ops/div.rs`) and gets exactly this.
#[inline]
pub fn rdbpot_x86_scalar(x: i32, exponent: i32) -> i32 {
    rdbpot_negative_exponent_x86_scalar(x, exponent)
}

/// TFLite `CountLeadingSignBits` on int32: the number of bits after the sign bit that equal it
/// (`__builtin_clrsb`); 31 for 0 and −1, 0 for `i32::MIN`. `x << count` never overflows.
#[inline]
pub fn count_leading_sign_bits(x: i32) -> i32 {
    (x ^ (x >> 31)).leading_zeros() as i32 - 1
}

/// TFLite `MultiplyByQuantizedMultiplier` (double rounding): x·M·2^shift with M in Q0.31.
/// The left shift is a plain (wrapping) int32 multiply, as in TFLite.
#[inline]
pub fn mbqm(x: i32, multiplier: i32, shift: i32) -> i32 {
    let left = if shift > 0 { shift } else { 0 };
    let right = if shift > 0 { 0 } else { -shift };
    rdbpot(srdhm(x.wrapping_mul(1i32.wrapping_shl(left as u32)), multiplier), right)
}

/// [`mbqm`] with a saturating instead of wrapping left shift. No TFLite counterpart: qlite uses
/// it where TFLite aborts (an ADD or SQUARED_DIFFERENCE output multiplier ≥ 1), so that a
/// huge multiplier saturates toward the sign of x instead of wrapping around.
#[inline]
pub fn mbqm_saturating(x: i32, multiplier: i32, shift: i32) -> i32 {
    if shift > 0 {
        let wide = i64::from(x) << shift.min(32);
        let sat = wide.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
        srdhm(sat, multiplier)
    } else {
        rdbpot(srdhm(x, multiplier), -shift)
    }
}

/// TFLite `MultiplyByQuantizedMultiplierSmallerThanOneExp`: RDBPOT(SRDHM(x, M), −shift).
#[inline]
pub fn mbqm_smaller_than_one(x: i32, multiplier: i32, shift: i32) -> i32 {
    rdbpot(srdhm(x, multiplier), -shift)
}

/// TFLite `MultiplyByQuantizedMultiplierGreaterThanOne`: SRDHM(x·2^shift, M).
#[inline]
pub fn mbqm_greater_than_one(x: i32, multiplier: i32, shift: i32) -> i32 {
    srdhm(x.wrapping_mul(1i32.wrapping_shl(shift as u32)), multiplier)
}

/// TFLite `MultiplyByQuantizedMultiplier(int64 x, ...)` used by 16x8 kernels: the multiplier is
/// reduced to 16 bits, `(M + 2^15) >> 16` (0x7FFF when M ≥ 0x7FFF0000), then
/// `(x·m16 + 2^(14−shift)) >> (15−shift)`, truncated to int32.
#[inline]
pub fn mbqm_i64(x: i64, multiplier: i32, shift: i32) -> i32 {
    let reduced: i64 = if multiplier < 0x7FFF_0000 { ((multiplier as i64) + (1 << 15)) >> 16 } else { 0x7FFF };
    let total_shift = 15 - shift;
    // TFLite requires shift in [-31, 7] (total_shift 8..=46); compute in i128 so any value is
    // defined, then truncate as the C++ does.
    let total_shift = total_shift.clamp(1, 126) as u32;
    let v = (x as i128) * (reduced as i128) + (1i128 << (total_shift - 1));
    (v >> total_shift) as i32
}

/// The rounded average of integer pooling (`reference_integer_ops::AveragePool`):
/// `sum > 0 ? (sum + n/2)/n : (sum − n/2)/n` with truncating division, i.e. sum/n rounded half
/// away from zero. `count` must be > 0.
#[inline]
pub fn rounded_average(sum: i64, count: i64) -> i64 {
    if sum > 0 { (sum + count / 2) / count } else { (sum - count / 2) / count }
}

/// The multiplier of a quantized MEAN over `n` elements (`reference_ops::QuantizedMeanOrSum`):
/// the 1/n factor is folded into `(multiplier, shift)` (from QuantizeMultiplier(s_in/s_out)) as
/// `k = min(floor(log2 n), 32, 31 + shift)`, `M' = (M·2^k) / n` (int64, truncating),
/// `shift' = shift − k`. `n` must be > 0.
pub fn mean_multiplier(multiplier: i32, shift: i32, n: u64) -> (i32, i32) {
    let log2 = 63 - n.leading_zeros() as i32;
    let k = log2.min(32).min(31 + shift).max(0);
    let m = ((multiplier as i64) << k) / n as i64;
    (m as i32, shift - k)
}

/// TFLite's reference float → integer quantization (`AffineQuantize`):
/// `clamp((int32)roundf(x / scale) + zero_point, qmin, qmax)`, the division in float32.
#[inline]
pub fn quantize_f32(x: f32, scale: f32, zero_point: i32, qmin: i32, qmax: i32) -> i32 {
    (round_f32(x / scale) as i32).saturating_add(zero_point).clamp(qmin, qmax)
}

/// C's `static_cast<int32_t>(float)` as x86-64 executes it (`cvttss2si`): truncation toward
/// zero, and the "integer indefinite" `i32::MIN` for NaN and for values outside the int32 range
/// (undefined behaviour in C++, but that is what TFLite's x86 builds compute).
#[inline]
pub fn f32_to_i32_x86(x: f32) -> i32 {
    if x.is_nan() || !(-2147483648.0..2147483648.0).contains(&x) { i32::MIN } else { x as i32 }
}

/// TFLite `LUTPopulate<int8_t>` (`kernels/internal/common.h`, `LUTPopulateInt8`): the 256-entry
/// table of an int8 → int8 function, indexed by `q + 128`. For each q:
/// `x = s_in · float(q − zp_in)` (float32), `y = f(x)`,
/// `table = clamp(int32(roundf(y · (1/s_out)) + float(zp_out)), −128, 127)`, all in float32.
/// Out-of-range conversions saturate: TFLite's x86-64 build gives 127 for +huge/+inf and −128
/// for −huge/−inf here (measured with output scales of 1e-10 and input scales of 3e38; the
/// C++ conversion is undefined behaviour, and this build clamps). NaN (not reachable from
/// LOGISTIC/TANH/ELU tables) gives zp_out.
pub fn lut_int8(s_in: f32, zp_in: i32, s_out: f32, zp_out: i32, f: impl Fn(f32) -> f32) -> [i8; 256] {
    let inverse_scale = 1.0f32 / s_out;
    let mut table = [0i8; 256];
    for (i, t) in table.iter_mut().enumerate() {
        let q = i as i32 - 128;
        let dequantized = s_in * (q.wrapping_sub(zp_in) as f32);
        let rescaled = round_f32(f(dequantized) * inverse_scale);
        // Saturating, NaN → 0 (Rust's `as`).
        let quantized = (rescaled + zp_out as f32) as i32;
        *t = quantized.clamp(-128, 127) as i8;
    }
    table
}

/// TFLite's reference dequantization: `float(double(scale) · (q − zero_point))`.
#[inline]
pub fn dequantize(q: i32, scale: f32, zero_point: i32) -> f32 {
    (scale as f64 * (q as i64 - zero_point as i64) as f64) as f32
}

/// A bound of the standalone quantized RELU family (`QuantizedReluX` in
/// `kernels/activations.cc`): `zp + (int32)roundf(f / scale)` in float32, the conversion as x86
/// does it ([`f32_to_i32_x86`]) and the addition wrapping, so absurd scales behave as in TFLite.
#[inline]
pub fn relu_bound_quantized(f: f32, scale: f32, zero_point: i32) -> i32 {
    zero_point.wrapping_add(f32_to_i32_x86(round_f32(f / scale)))
}

/// One element of TFLite's reference uint8 `ConcatenationWithScaling` (`reference/concatenation.h`)
/// for an input whose parameters differ from the output's:
/// `(int32)roundf(float(q)·scale + bias) + zp_out`, with `scale = s_in·(1/s_out)` and
/// `bias = float(−zp_in)·scale` precomputed in float32 by [`concat_rescale_params`]; the caller
/// clamps to [0, 255].
#[inline]
pub fn concat_rescale(q: i32, scale: f32, bias: f32, zp_out: i32) -> i32 {
    f32_to_i32_x86(round_f32(q as f32 * scale + bias)).wrapping_add(zp_out)
}

/// `(scale, bias)` of [`concat_rescale`]: `scale = s_in · (1.f / s_out)`, `bias = −zp_in · scale`
/// (float32 throughout).
pub fn concat_rescale_params(s_in: f32, zp_in: i32, s_out: f32) -> (f32, f32) {
    let inverse = 1.0f32 / s_out;
    let scale = s_in * inverse;
    (scale, (zp_in.wrapping_neg()) as f32 * scale)
}

/// The integer range of a fused activation on a quantized output
/// (`CalculateActivationRangeQuantized`): `Q(f) = zp + (int)roundf(f / scale)` in float32.
pub fn activation_range_quantized(
    act: crate::tflite::ActivationFunctionType,
    scale: f32,
    zero_point: i32,
    qmin: i32,
    qmax: i32,
) -> (i32, i32) {
    use crate::tflite::ActivationFunctionType as A;
    let q = |f: f32| zero_point.saturating_add(round_f32(f / scale) as i32);
    match act {
        A::RELU => (qmin.max(q(0.0)), qmax),
        A::RELU6 => (qmin.max(q(0.0)), qmax.min(q(6.0))),
        A::RELU_N1_TO_1 => (qmin.max(q(-1.0)), qmax.min(q(1.0))),
        _ => (qmin, qmax),
    }
}

/// [`activation_range_quantized`] with TFLite's overflow check (`kernel_util.cc`, `Quantize`):
/// TFLite refuses the operator (a prepare error, not an abort) when roundf(f / scale) is outside
/// [−2³¹, 2³¹] as a float; the value 2³¹ itself passes the check and converts to INT32_MIN, as
/// x86's `cvttss2si` does, and the zero point is then added with wrapping.
pub fn activation_range_quantized_checked(
    act: crate::tflite::ActivationFunctionType,
    scale: f32,
    zero_point: i32,
    qmin: i32,
    qmax: i32,
) -> Result<(i32, i32)> {
    use crate::tflite::ActivationFunctionType as A;
    let q = |f: f32| -> Result<i32> {
        let tmp = round_f32(f / scale);
        let limit = 2147483648.0f32;
        if !(tmp >= -limit && tmp <= limit) {
            return Err(Error::Usage(format!(
                "the fused activation's bound {f} overflows int32 at output scale {scale}"
            )));
        }
        let v = if tmp >= limit { i32::MIN } else { tmp as i32 };
        Ok(zero_point.wrapping_add(v))
    };
    Ok(match act {
        A::RELU => (qmin.max(q(0.0)?), qmax),
        A::RELU6 => (qmin.max(q(0.0)?), qmax.min(q(6.0)?)),
        A::RELU_N1_TO_1 => (qmin.max(q(-1.0)?), qmax.min(q(1.0)?)),
        _ => (qmin, qmax),
    })
}

/// The float range of a fused activation (`CalculateActivationRange<float>`).
pub fn activation_range_f32(act: crate::tflite::ActivationFunctionType) -> (f32, f32) {
    use crate::tflite::ActivationFunctionType as A;
    match act {
        A::RELU => (0.0, f32::MAX),
        A::RELU6 => (0.0, 6.0),
        A::RELU_N1_TO_1 => (-1.0, 1.0),
        _ => (f32::MIN, f32::MAX),
    }
}

/// Whether a fused activation is one that quantized kernels support.
pub fn is_supported_activation(act: crate::tflite::ActivationFunctionType) -> bool {
    use crate::tflite::ActivationFunctionType as A;
    matches!(act, A::NONE | A::RELU | A::RELU6 | A::RELU_N1_TO_1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frexp_matches_c() {
        assert_eq!(frexp(1.0), (0.5, 1));
        assert_eq!(frexp(0.75), (0.75, 0));
        assert_eq!(frexp(-3.0), (-0.75, 2));
        assert_eq!(frexp(0.1), (0.8, -3));
        let tiny = f64::from_bits(1); // smallest subnormal = 2^-1074
        assert_eq!(frexp(tiny), (0.5, -1073));
        assert_eq!(frexp(0.0), (0.0, 0));
    }

    #[test]
    fn quantize_multiplier_edge_cases() {
        assert_eq!(quantize_multiplier(0.0), (0, 0));
        assert_eq!(quantize_multiplier(0.5), (1 << 30, 0));
        assert_eq!(quantize_multiplier(1.0), (1 << 30, 1));
        assert_eq!(quantize_multiplier(0.25), (1 << 30, -1));
        // q·2^31 rounds up to 2^31: halved, shift + 1.
        let just_below_one = 1.0 - 1e-12;
        assert_eq!(quantize_multiplier(just_below_one), (1 << 30, 1));
        // Negative multipliers (LeakyReLU with negative alpha) keep their sign.
        assert_eq!(quantize_multiplier(-0.5), (-(1 << 30), 0));
        // Below 2^-32 (shift < -31) flushes to zero.
        assert_eq!(quantize_multiplier(2f64.powi(-33)), (0, 0));
        assert_eq!(quantize_multiplier(2f64.powi(-32)), (1 << 30, -31));
        // 0.1 = 0.8·2^-3; 0.8·2^31 = 1717986918.4 → 1717986918.
        assert_eq!(quantize_multiplier(0.1), (1_717_986_918, -3));
        assert!(quantize_multiplier_smaller_than_one(1.0).is_err());
    }

    #[test]
    fn srdhm_edge_cases() {
        assert_eq!(srdhm(i32::MIN, i32::MIN), i32::MAX);
        assert_eq!(srdhm(i32::MAX, i32::MAX), i32::MAX - 1);
        assert_eq!(srdhm(i32::MIN, i32::MAX), -i32::MAX);
        assert_eq!(srdhm(1 << 30, 1 << 30), 1 << 29);
        // Ties: p = 3·2^30 gives (p + 2^30)/2^31 = 2; p = −3·2^30 gives (p + 1 − 2^30)/2^31 =
        // −1.99.. → −1 (truncating division): a negative tie rounds toward zero.
        assert_eq!(srdhm(3, 1 << 30), 2);
        assert_eq!(srdhm(-3, 1 << 30), -1);
        assert_eq!(srdhm(1, 1 << 30), 1);
        assert_eq!(srdhm(-1, 1 << 30), 0); // −0.5 → 0
        assert_eq!(srdhm(0, i32::MIN), 0);
        assert_eq!(srdhm16(i16::MIN, i16::MIN), i16::MAX);
        assert_eq!(srdhm16(3, 1 << 14), 2);
    }

    #[test]
    fn rdbpot_rounds_half_away_from_zero() {
        assert_eq!(rdbpot(5, 1), 3);
        assert_eq!(rdbpot(-5, 1), -3);
        assert_eq!(rdbpot(4, 1), 2);
        assert_eq!(rdbpot(-4, 1), -2);
        assert_eq!(rdbpot(6, 2), 2); // 1.5 → 2
        assert_eq!(rdbpot(-6, 2), -2); // −1.5 → −2
        assert_eq!(rdbpot(5, 2), 1); // 1.25 → 1
        assert_eq!(rdbpot(-5, 2), -1);
        assert_eq!(rdbpot(7, 0), 7);
        assert_eq!(rdbpot(i32::MAX, 31), 1);
        assert_eq!(rdbpot(i32::MIN, 31), -1);
        assert_eq!(rdbpot(-(1 << 30), 31), -1); // −0.5 → −1
        assert_eq!(rdbpot((1 << 30) - 1, 31), 0);
        assert_eq!(rdbpot16(-6, 2), -2);
    }

    #[test]
    fn div_pot_round_half_away_i64_ties_and_signs() {
        let e = 20;
        let one = 1i64 << e;
        assert_eq!(div_pot_round_half_away_i64(0, e), 0);
        assert_eq!(div_pot_round_half_away_i64(one / 2, e), 1); // +0.5 → 1
        assert_eq!(div_pot_round_half_away_i64(-one / 2, e), -1); // −0.5 → −1
        assert_eq!(div_pot_round_half_away_i64(one / 2 - 1, e), 0);
        assert_eq!(div_pot_round_half_away_i64(-one / 2 + 1, e), 0);
        assert_eq!(div_pot_round_half_away_i64(3 * one / 2, e), 2); // 1.5 → 2
        assert_eq!(div_pot_round_half_away_i64(-3 * one / 2, e), -2);
        assert_eq!(div_pot_round_half_away_i64(127 * one, e), 127);
        assert_eq!(div_pot_round_half_away_i64(-128 * one, e), -128);
        assert_eq!(div_pot_round_half_away_i64(-128 * one - one / 2 + 1, e), -128);
        assert_eq!(div_pot_round_half_away_i64(5, 1), 3);
        assert_eq!(div_pot_round_half_away_i64(-5, 1), -3);
    }

    #[test]
    fn mbqm_double_rounding() {
        // 0.5 multiplier, shift 0: x/2 rounded half away.
        assert_eq!(mbqm(5, 1 << 30, 0), 3);
        assert_eq!(mbqm(-5, 1 << 30, 0), -2); // SRDHM: a negative tie rounds toward zero
        // Left shifts wrap like an int32 multiply.
        assert_eq!(mbqm(1 << 30, 1 << 30, 2), srdhm(0, 1 << 30));
        assert_eq!(mbqm(100, 1 << 30, 1), 100);
        // Double rounding differs from single rounding: 3·0.75·2^-2 = 0.5625; SRDHM first gives
        // round(3·0.75) = 2 (2.25), then 2/4 = 0.5 → 1.
        let (m, s) = quantize_multiplier(0.75 / 4.0);
        assert_eq!((m, s), (0x6000_0000, -2));
        assert_eq!(mbqm(3, m, s), 1);
        assert_eq!(mbqm(i32::MIN, i32::MIN, 0), i32::MAX);
        assert_eq!(mbqm(7, 1 << 30, -31), 0);
    }

    #[test]
    fn rdbpot_with_negative_exponent_like_x86() {
        // e = −3: mask = int32(2^61 − 1) = −1, so remainder = x and threshold = −1 + (x < 0).
        // Scalar: x >> 29 (the count taken mod 32) plus (x ≥ 0).
        assert_eq!(rdbpot_negative_exponent_x86_scalar(5, -3), 1);
        assert_eq!(rdbpot_negative_exponent_x86_scalar(0, -3), 1);
        assert_eq!(rdbpot_negative_exponent_x86_scalar(-5, -3), -1);
        assert_eq!(rdbpot_negative_exponent_x86_scalar(3 << 29, -3), 4);
        assert_eq!(rdbpot_negative_exponent_x86_scalar(-(3 << 29), -3), -3);
        // SSE: the shift fills with the sign, so only ±1 remain.
        assert_eq!(rdbpot_negative_exponent_x86_sse(3 << 29, -3), 1);
        assert_eq!(rdbpot_negative_exponent_x86_sse(-(3 << 29), -3), -1);
        assert_eq!(rdbpot_negative_exponent_x86_sse(0, -12), 1);
        // e = −40: e mod 64 = 24, mask = 2^24 − 1; e mod 32 = 24.
        assert_eq!(rdbpot_negative_exponent_x86_scalar((1 << 24) + (1 << 22), -40), 1);
        assert_eq!(rdbpot_negative_exponent_x86_scalar((1 << 24) + (1 << 23) + 1, -40), 2);
    }

    #[test]
    fn rdbpot_x86_scalar_any_exponent() {
        // In range it is rdbpot.
        for x in [-7, -6, -5, -1, 0, 1, 5, 6, 7, i32::MIN, i32::MAX] {
            for e in 0..=31 {
                assert_eq!(rdbpot_x86_scalar(x, e), rdbpot(x, e), "{x} {e}");
            }
        }
        // e = 32: mask = int32(2^32 − 1) = −1, threshold = −1 + (x < 0), x >> 0.
        assert_eq!(rdbpot_x86_scalar(0, 32), 1);
        assert_eq!(rdbpot_x86_scalar(5, 32), 6);
        assert_eq!(rdbpot_x86_scalar(-5, 32), -5);
        // e = 35: x >> 3 plus (x ≥ 0).
        assert_eq!(rdbpot_x86_scalar(100, 35), 13);
        assert_eq!(rdbpot_x86_scalar(-100, 35), -13);
        assert_eq!(rdbpot_x86_scalar(0, 63), 1);
        // e = 64: 1 << 0 − 1 = 0, x >> 0: x unchanged.
        assert_eq!(rdbpot_x86_scalar(-9, 64), -9);
        assert_eq!(rdbpot_x86_scalar(0, 64), 0);
        // e = 69: mask 2^5 − 1 = 31, x >> 5 → 100/32 = 3.125 → 3; 112/32 = 3.5 → 4.
        assert_eq!(rdbpot_x86_scalar(100, 69), 3);
        assert_eq!(rdbpot_x86_scalar(112, 69), 4);
    }

    #[test]
    fn count_leading_sign_bits_like_clrsb() {
        assert_eq!(count_leading_sign_bits(0), 31);
        assert_eq!(count_leading_sign_bits(-1), 31);
        assert_eq!(count_leading_sign_bits(1), 30);
        assert_eq!(count_leading_sign_bits(-2), 30);
        assert_eq!(count_leading_sign_bits(127), 24);
        assert_eq!(count_leading_sign_bits(-128), 24);
        assert_eq!(count_leading_sign_bits(128), 23);
        assert_eq!(count_leading_sign_bits(-129), 23);
        assert_eq!(count_leading_sign_bits(255), 23);
        assert_eq!(count_leading_sign_bits(-255), 23);
        assert_eq!(count_leading_sign_bits(i32::MAX), 0);
        assert_eq!(count_leading_sign_bits(i32::MIN), 0);
        for x in [-255, -128, -3, -1, 0, 1, 3, 200, 255] {
            let h = count_leading_sign_bits(x);
            assert_eq!((x << h) >> h, x);
            assert!(h == 31 || ((x << (h + 1)) >> (h + 1)) != x);
        }
    }

    #[test]
    fn mbqm_saturating_keeps_the_sign() {
        // 3·2^30 wraps to −2^30 in mbqm; the saturating form gives INT32_MAX·0.5.
        assert_eq!(mbqm(3, 1 << 30, 30), srdhm(-(1 << 30), 1 << 30));
        assert_eq!(mbqm_saturating(3, 1 << 30, 30), srdhm(i32::MAX, 1 << 30));
        assert_eq!(mbqm_saturating(-3, 1 << 30, 40), srdhm(i32::MIN, 1 << 30));
        assert_eq!(mbqm_saturating(5, 1 << 30, 1), 5);
        assert_eq!(mbqm_saturating(5, 1 << 30, -1), mbqm(5, 1 << 30, -1));
    }

    #[test]
    fn mbqm_i64_reduces_the_multiplier() {
        // M = 2^30 → m16 = 2^14; x·2^14 >> 15 = x/2 rounded half up.
        assert_eq!(mbqm_i64(5, 1 << 30, 0), 3);
        assert_eq!(mbqm_i64(-5, 1 << 30, 0), -2);
        // M ≥ 0x7FFF0000 saturates to 0x7FFF: 2^40·32767/2^46 = 511.98 → 512.
        assert_eq!(mbqm_i64(1 << 40, 0x7FFF_FFFF, -31), 512);
        assert_eq!(mbqm_i64(1 << 46, 0x7FFF_0000, -31), 32767);
        assert_eq!(mbqm_i64(-(1 << 46), 0x7FFF_0000, -31), -32767);
    }

    #[test]
    fn rounded_average_rounds_half_away() {
        assert_eq!(rounded_average(5, 2), 3); // 2.5 → 3
        assert_eq!(rounded_average(-5, 2), -3); // −2.5 → −3
        assert_eq!(rounded_average(4, 3), 1); // 1.33 → 1
        assert_eq!(rounded_average(5, 3), 2); // 1.67 → 2
        assert_eq!(rounded_average(-5, 3), -2);
        assert_eq!(rounded_average(0, 4), 0);
        assert_eq!(rounded_average(-1, 4), 0); // −0.25 → 0
        assert_eq!(rounded_average(-2, 4), -1); // −0.5 → −1
    }

    #[test]
    fn mean_multiplier_folds_one_over_n() {
        // n = 4: k = 2, M' = M·4/4 = M, shift − 2.
        assert_eq!(mean_multiplier(1 << 30, 0, 4), (1 << 30, -2));
        // n = 3: k = 1, M' = 2^31/3 = 715827882 (truncated), shift − 1.
        assert_eq!(mean_multiplier(1 << 30, 0, 3), (715_827_882, -1));
        // n = 1: k = 0, unchanged.
        assert_eq!(mean_multiplier(1_234_567_890, -5, 1), (1_234_567_890, -5));
        // k is capped at 31 + shift: shift −30 allows k ≤ 1 even for n = 1000.
        assert_eq!(mean_multiplier(1 << 30, -30, 1000), (2_147_483, -31));
        // k is capped at 32: n = 2^40, shift 2 → M' = 2^62 / 2^40 = 2^22, shift 2 − 32.
        assert_eq!(mean_multiplier(1 << 30, 2, 1 << 40), (1 << 22, -30));
    }

    #[test]
    fn activation_range_overflow_is_an_error() {
        use crate::tflite::ActivationFunctionType as A;
        assert_eq!(activation_range_quantized_checked(A::RELU6, 0.1, -128, -128, 127).ok(), Some((-128, -68)));
        assert_eq!(activation_range_quantized_checked(A::NONE, 1e-30, 0, -128, 127).ok(), Some((-128, 127)));
        // 0/scale is fine at any scale; 6/1e-30 overflows.
        assert_eq!(activation_range_quantized_checked(A::RELU, 1e-30, 5, -128, 127).ok(), Some((5, 127)));
        assert!(activation_range_quantized_checked(A::RELU6, 1e-30, 0, -128, 127).is_err());
        assert!(activation_range_quantized_checked(A::RELU_N1_TO_1, 1e-12, 0, -128, 127).is_err());
        // roundf(6 / s) = 2^31 exactly passes and converts to INT32_MIN.
        let s = 6.0 / 2147483648.0f32;
        assert_eq!(activation_range_quantized_checked(A::RELU6, s, 0, -128, 127).ok(), Some((0, i32::MIN)));
    }

    #[test]
    fn int16_helpers() {
        // RDBPOT16 up to 15 rounds half away from zero.
        assert_eq!(rdbpot16(6, 2), 2);
        assert_eq!(rdbpot16(-6, 2), -2);
        assert_eq!(rdbpot16(5, 2), 1);
        assert_eq!(rdbpot16(i16::MAX, 15), 1);
        assert_eq!(rdbpot16(i16::MIN, 15), -1);
        assert_eq!(rdbpot16(16383, 15), 0);
        assert_eq!(rdbpot16(-16384, 15), -1); // −0.5 → −1
        // Exponents ≥ 16: the 16-bit mask is all ones, giving ±1 (gemmlowp's behaviour).
        assert_eq!(rdbpot16(0, 16), 1);
        assert_eq!(rdbpot16(1234, 20), 1);
        assert_eq!(rdbpot16(-1, 31), -1);
        assert_eq!(rdbpot16(-30000, 17), -1);
        // Truncating doubling high mul: 3·2^14 / 2^15 = 1.5 → 1; −1.5 → −1.
        assert_eq!(sdhm16(3, 1 << 14), 1);
        assert_eq!(sdhm16(-3, 1 << 14), -1);
        assert_eq!(srdhm16(-3, 1 << 14), -1); // rounding: −1.5 → −1 (toward zero on ties)
        assert_eq!(srdhm16(3, 1 << 14), 2);
        assert_eq!(sdhm16(i16::MIN, i16::MIN), i16::MAX);
        assert_eq!(sdhm16(i16::MIN, i16::MAX), -32767);
        assert_eq!(saturating_left_shift16(100, 3), 800);
        assert_eq!(saturating_left_shift16(5000, 3), i16::MAX);
        assert_eq!(saturating_left_shift16(-5000, 3), i16::MIN);
        assert_eq!(saturating_left_shift16(-1, 40), i16::MIN);
        // Downscaling a Q0.31 multiplier: (M + 2^15) >> 16.
        assert_eq!(downscale_multiplier_i16(1 << 30), 1 << 14);
        assert_eq!(downscale_multiplier_i16((1 << 30) + (1 << 15)), (1 << 14) + 1); // tie rounds up
        assert_eq!(downscale_multiplier_i16((1 << 30) + (1 << 15) - 1), 1 << 14);
        assert_eq!(downscale_multiplier_i16(i32::MAX - (1 << 15)), i16::MAX);
        assert_eq!(downscale_multiplier_i16(i32::MAX - (1 << 15) - 1), i16::MAX); // (2^31−1) >> 16
        assert_eq!(downscale_multiplier_i16(0), 0);
    }

    #[test]
    fn float_to_int_like_x86() {
        assert_eq!(f32_to_i32_x86(2.9), 2);
        assert_eq!(f32_to_i32_x86(-2.9), -2);
        assert_eq!(f32_to_i32_x86(f32::NAN), i32::MIN);
        assert_eq!(f32_to_i32_x86(3e9), i32::MIN);
        assert_eq!(f32_to_i32_x86(-3e9), i32::MIN);
        assert_eq!(f32_to_i32_x86(-2147483648.0), i32::MIN);
        assert_eq!(f32_to_i32_x86(2147483520.0), 2147483520);
    }

    #[test]
    fn lut_int8_rounds_and_clamps() {
        // Identity with s_in = 0.5, s_out = 0.25: y = 2·(q − zp_in) + zp_out.
        let t = lut_int8(0.5, 1, 0.25, -3, |x| x);
        assert_eq!(t[(1 + 128) as usize], -3);
        assert_eq!(t[(10 + 128) as usize], 15);
        assert_eq!(t[(127 + 128) as usize], 127); // 249 clamps
        assert_eq!(t[0], -128); // 2·(−129) − 3 clamps
        // Half away from zero: s_in = 0.25, s_out = 1: q − zp = ±2 → ±0.5 → ±1.
        let t = lut_int8(0.25, 0, 1.0, 0, |x| x);
        assert_eq!((t[130], t[126], t[129], t[127]), (1, -1, 0, 0));
        // Values past the int32 range saturate (as TFLite's x86 build does here).
        let t = lut_int8(1.0, 0, 1.0, 0, |x| {
            if x > 50.0 {
                1e20
            } else if x < -50.0 {
                f32::NEG_INFINITY
            } else {
                x
            }
        });
        assert_eq!((t[128 + 50], t[128 + 60], t[128 - 60]), (50, 127, -128));
    }

    #[test]
    fn concat_rescale_rounds_in_float() {
        assert_eq!(f32_to_i32_x86(2.9), 2);
        assert_eq!(f32_to_i32_x86(-2.9), -2);
        assert_eq!(f32_to_i32_x86(3e9), i32::MIN);
        assert_eq!(f32_to_i32_x86(f32::NAN), i32::MIN);
        // s_in 0.5, zp_in 10 → s_out 0.7, zp_out 5 (checked against TFLite 2.21):
        // q = 0 → real −5 → −7.14 + 5 → −2 (clamped to 0 by the caller); 11 → 0.714 → 1 + 5 = 6;
        // 255 → 175 + 5 = 180.
        let (sc, b) = concat_rescale_params(0.5, 10, 0.7);
        assert_eq!(concat_rescale(0, sc, b, 5), -2);
        assert_eq!(concat_rescale(11, sc, b, 5), 6);
        assert_eq!(concat_rescale(255, sc, b, 5), 180);
        // Ties round half away from zero: scale 0.5, bias 0: 3 → 1.5 → 2; bias −3: −1.5 → −2.
        assert_eq!(concat_rescale(3, 0.5, 0.0, 0), 2);
        assert_eq!(concat_rescale(3, 0.5, -3.0, 0), -2);
    }

    #[test]
    fn activation_ranges() {
        use crate::tflite::ActivationFunctionType as A;
        assert_eq!(activation_range_quantized(A::NONE, 0.1, 3, -128, 127), (-128, 127));
        assert_eq!(activation_range_quantized(A::RELU, 0.1, 3, -128, 127), (3, 127));
        assert_eq!(activation_range_quantized(A::RELU6, 0.1, -128, -128, 127), (-128, -68));
        assert_eq!(activation_range_quantized(A::RELU6, 0.01, 0, -128, 127), (0, 127));
        assert_eq!(activation_range_quantized(A::RELU_N1_TO_1, 0.5, 0, -128, 127), (-2, 2));
        // roundf(0.25 / 0.1) = roundf(2.5) = 3: half away from zero.
        let q = |f: f32| round_f32(f / 0.1);
        assert_eq!(q(0.25), 3.0);
        assert_eq!(activation_range_f32(A::RELU6), (0.0, 6.0));
    }
}

/// TFLite `GetInvSqrtQuantizedMultiplierExp` (`kernels/internal/common.h`): 1/√input as a Q0.31
/// multiplier and a shift, by five Newton-Raphson steps in gemmlowp fixed point (Q3.28):
/// inputs ≤ 1 give (2^31 − 1, 0); otherwise the input is divided by 4 (truncating) while
/// ≥ 2^29 (shift 11, +1 per step), normalized into [2^27, 2^29) by a left shift of whole bit
/// pairs (the shift drops by one per pair), then with h = RDBPOT(input >> 1, 1) and x = 1.0:
/// `x3 = Rescale<3>(x·x·x)`, `x = Rescale<3>(1.5·x − h·x3)` five times (SRDHM products,
/// saturating rescales, wrapping subtraction), times √2/2 (1518500250). A negative shift is
/// folded into the multiplier by a plain (wrapping) left shift. The returned shift is the right
/// shift times `reverse_shift` (TFLite passes −1, giving a left-shift exponent ≤ 0).
pub fn inv_sqrt_quantized_multiplier_exp(input: i32, reverse_shift: i32) -> (i32, i32) {
    use crate::fixedpoint::rescale;
    if input <= 1 {
        return (i32::MAX, 0);
    }
    let mut input = input;
    let mut shift = 11i32;
    while input >= (1 << 29) {
        input /= 4;
        shift += 1;
    }
    let max_left_shift_bits = (input as u32).leading_zeros() as i32 - 1;
    let left_shift_bit_pairs = max_left_shift_bits / 2 - 1;
    shift -= left_shift_bit_pairs;
    input = input.wrapping_shl(2 * left_shift_bit_pairs as u32);
    let fixedpoint_input = input >> 1;
    let half_input = rdbpot(fixedpoint_input, 1);
    let half_three = (1 << 28) + (1 << 27);
    let mut x: i32 = 1 << 28;
    for _ in 0..5 {
        let x3 = rescale(srdhm(srdhm(x, x), x), 9, 3);
        x = rescale(srdhm(half_three, x).wrapping_sub(srdhm(half_input, x3)), 6, 3);
    }
    let mut inv = srdhm(x, 1518500250);
    if shift < 0 {
        inv = inv.wrapping_shl((-shift) as u32);
        shift = 0;
    }
    (inv, shift * reverse_shift)
}

#[cfg(test)]
mod inv_sqrt_tests {
    use super::inv_sqrt_quantized_multiplier_exp as f;

    /// The real value M·2^(−shift) / 2^31 with TFLite's reverse_shift −1 (shift ≤ 0 returned).
    fn real(input: i32) -> f64 {
        let (m, s) = f(input, -1);
        m as f64 / 2f64.powi(31) * 2f64.powi(s)
    }

    #[test]
    fn small_inputs_are_one() {
        assert_eq!(f(0, -1), (i32::MAX, 0));
        assert_eq!(f(1, -1), (i32::MAX, 0));
        assert_eq!(f(-5, -1), (i32::MAX, 0));
    }

    #[test]
    fn hand_computed_powers_of_four() {
        // input 4: clz(4) = 29 → 28 bits, 14 pairs, 13 used: 4·2^26 = 2^28, shift 11 − 13 = −2.
        // F3 value (2^28 >> 1)/2^28 = 0.5, 1/√0.5 · √2/2 = 1.0 = 2^28 raw (0.125 in Q0.31),
        // folded << 2: 2^30 = 0.5 = 1/√4, up to Newton's last bits.
        let (m, s) = f(4, -1);
        assert_eq!(s, 0);
        assert!((m - (1 << 30)).abs() <= 8, "{m}");
        // input 2^28 (already normalized, 0 pairs): shift 11, result 1/√(2^28) = 2^−14.
        let (m, s) = f(1 << 28, -1);
        assert_eq!(s, -11);
        let v = m as f64 / 2f64.powi(31) * 2f64.powi(-11);
        assert!((v - 2f64.powi(-14)).abs() < 2f64.powi(-14) * 1e-6, "{v}");
    }

    #[test]
    fn close_to_inverse_square_root() {
        for &x in &[2, 3, 7, 100, 16_129, 65_025, 1 << 20, 123_456_789, i32::MAX] {
            let r = real(x);
            let want = 1.0 / (x as f64).sqrt();
            // Inputs ≥ 2^29 are divided by 4 with truncation first: compare loosely.
            assert!((r - want).abs() <= want * 2e-6, "{x}: {r} vs {want}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// int16 and uint8 activations (LOGISTIC, TANH, SOFTMAX; `ops/lut_activations.rs`, `ops/softmax.rs`)
// ---------------------------------------------------------------------------------------------

/// C's `static_cast<int32_t>(double)` as x86-64 executes it (`cvttsd2si`): truncation toward
/// zero, `i32::MIN` for NaN and for values outside the int32 range.
#[inline]
pub fn f64_to_i32_x86(x: f64) -> i32 {
    if x.is_nan() || !(-2147483648.0..2147483648.0).contains(&x) { i32::MIN } else { x as i32 }
}

/// TFLite `LUTPopulate<uint8_t>` (`LUTPopulateInt8` with T = uint8): the 256-entry table of a
/// uint8 → uint8 function, indexed by q. For each q: `x = s_in · float(q − zp_in)` (float32),
/// `table = clamp(int32(roundf(f(x) · (1/s_out)) + float(zp_out)), 0, 255)`, all in float32.
/// Unlike the int8 table ([`lut_int8`], which saturates), an out-of-range or NaN value converts
/// as x86's `cvttss2si` does, to INT32_MIN, and so gives 0 — also for +huge and +inf (measured
/// with TFLite 2.3.0: uint8 GELU with input scale 1000 and output scale 1e-9 gives 0 for every
/// q > zp_in).
pub fn lut_uint8(s_in: f32, zp_in: i32, s_out: f32, zp_out: i32, f: impl Fn(f32) -> f32) -> [u8; 256] {
    let inverse_scale = 1.0f32 / s_out;
    let mut table = [0u8; 256];
    for (q, t) in table.iter_mut().enumerate() {
        let dequantized = s_in * ((q as i32).wrapping_sub(zp_in) as f32);
        let rescaled = round_f32(f(dequantized) * inverse_scale);
        let quantized = f32_to_i32_x86(rescaled + zp_out as f32);
        *t = quantized.clamp(0, 255) as u8;
    }
    table
}

/// Number of entries of TFLite's int16 lookup tables: 512 intervals and their end point.
pub const LUT_INT16_SIZE: usize = 513;

macro_rules! lut_int16 {
    ($(#[$doc:meta])* $name:ident, $t:ty, $round:path, $to_i32:path) => {
        $(#[$doc])*
        pub fn $name(s_in: $t, zp_in: i32, s_out: $t, zp_out: i32, f: impl Fn($t) -> $t) -> [i16; LUT_INT16_SIZE] {
            let input_min = s_in * (-32768i64 - zp_in as i64) as $t;
            let input_max = s_in * (32767i64 - zp_in as i64) as $t;
            let output_min = s_out * (-32768i64 - zp_out as i64) as $t;
            let output_max = s_out * (32767i64 - zp_out as i64) as $t;
            const NB_STEPS: usize = 512;
            let step = (input_max - input_min) / NB_STEPS as $t;
            let half_step = step / 2.0;
            let inv = 65536.0 / (output_max - output_min);
            let clamp = |v: $t| -> i16 {
                // std::min(std::max(v, −32768), 32767) then a conversion of an in-range value
                // (NaN compares false: max(NaN, lo) = NaN, min(NaN, hi) = NaN → x86 gives −32768).
                let v = if v < -32768.0 { -32768.0 } else { v };
                let v = if 32767.0 < v { 32767.0 } else { v };
                $to_i32(v) as i16
            };
            let mut lut = [0i16; LUT_INT16_SIZE];
            for (i, l) in lut.iter_mut().take(NB_STEPS).enumerate() {
                let x = input_min + i as $t * step;
                let val = f(x);
                let val_midpoint = f(x + half_step);
                let val_next = f(input_min + (i + 1) as $t * step);
                let sample_val = $round(val * inv);
                let midpoint_interp_val = $round((val_next * inv + $round(val * inv)) / 2.0);
                let midpoint_val = $round(val_midpoint * inv);
                let midpoint_err = midpoint_interp_val - midpoint_val;
                let bias = $round(midpoint_err / 2.0);
                *l = clamp(sample_val - bias);
            }
            lut[NB_STEPS] = clamp($round(f(input_max) * inv));
            lut
        }
    };
}

lut_int16!(
    /// TFLite `LUTPopulate<int16_t>` with double arithmetic (`LUTPopulateInt16<double>`, the
    /// overload SOFTMAX's int16 Prepare uses): see [`lut_int16_f32`] for the formula.
    lut_int16_f64,
    f64,
    round_f64,
    f64_to_i32_x86
);
lut_int16!(
    /// TFLite `LUTPopulate<int16_t>` with float arithmetic (`LUTPopulateInt16<float>`, for a
    /// `float (*)(float)` transform such as GELU's): a 513-entry table of `f` over the int16 input
    /// range [s_in·(−32768 − zp_in), s_in·(32767 − zp_in)] in 512 steps, as int16 on the output
    /// range [s_out·(−32768 − zp_out), s_out·(32767 − zp_out)]. With
    /// `inv = 65536 / (out_max − out_min)`, for i < 512 and x_i = in_min + i·step:
    /// `sample = round(f(x_i)·inv)`, `interp = round((f(x_{i+1})·inv + sample) / 2)`,
    /// `mid = round(f(x_i + step/2)·inv)`, `bias = round((interp − mid) / 2)`,
    /// `lut[i] = clamp(sample − bias, −32768, 32767)`; `lut[512] = clamp(round(f(in_max)·inv))`.
    /// `round` is C's (half away from zero); everything in the one float type; NaN converts as
    /// x86 does (to 0 after the int16 truncation).
    lut_int16_f32,
    f32,
    round_f32,
    f32_to_i32_x86
);

/// TFLite `LUTLookup(int16_t, const int16_t*)`: the 513-entry table interpolated on the low 7
/// bits: `index = 256 + (v >> 7)`, `offset = v & 0x7f`, `slope = int16(lut[index+1] − lut[index])`,
/// `out = int16(lut[index] + ((slope·offset + 64) >> 7))`.
#[inline]
pub fn lut_lookup_i16(value: i16, lut: &[i16; LUT_INT16_SIZE]) -> i16 {
    let index = (256 + (value as i32 >> 7)) as usize & 511;
    let offset = (value & 0x7f) as i32;
    let base = lut[index];
    let slope = lut[index + 1].wrapping_sub(base) as i32;
    let delta = (slope * offset + 64) >> 7;
    (base as i32 + delta) as i16
}

/// TFLite's `sigmoid_table_uint16` (`kernels/internal/common.h`): sigmoid(i/24) in Q0.16 for
/// i = 0..255, shared by the int16 LOGISTIC and TANH kernels (tanh(x) = 2·sigmoid(2x) − 1).
pub const SIGMOID_TABLE_U16: [u16; 256] = [
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149, 40794, 41432, 42064, 42688,
    43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369, 47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409,
    51865, 52311, 52745, 53169, 53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
    57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370, 60565, 60753, 60935, 61110,
    61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302, 62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186,
    63279, 63368, 63454, 63536, 63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
    64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786, 64816, 64845, 64873, 64900,
    64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079, 65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208,
    65221, 65234, 65246, 65258, 65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
    65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433, 65438, 65442, 65445, 65449,
    65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474, 65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491,
    65493, 65495, 65497, 65498, 65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
    65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524,
    65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530,
    65530, 65530, 65531, 65531, 65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
    65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65535,
];

/// TFLite `CheckedLog2` (`quantization_util.cc`): `l = logf(x)·(1/logf(2))` in float32;
/// returns (|l − roundf(l)| < 1e-3f, int(roundf(l))) — whether x is (nearly, about 0.07%) a power
/// of two, and its exponent; x ≤ 0 is never one. The conversion of a non-finite l is x86's
/// (`i32::MIN`).
pub fn checked_log2(x: f32) -> (bool, i32) {
    let inv_ln2 = 1.0f32 / crate::libm::logf(2.0);
    let x_log2 = crate::libm::logf(x) * inv_ln2;
    let rounded = round_f32(x_log2);
    let frac = x_log2 - rounded;
    (x > 0.0 && frac.abs() < 1e-3f32, f32_to_i32_x86(rounded))
}

/// `(input_multiplier, input_left_shift)` of TFLite's int16 LOGISTIC (`tanh = false`) or TANH
/// (`tanh = true`) (SigmoidPrepare / TanhPrepare in `kernels/activations.cc`). With
/// `(pot, l) = checked_log2(s_in)` and `shift = 12 + l`: a power-of-two scale with shift 0
/// (LOGISTIC) or shift 0 or 1 (TANH) gives (0, shift); any other scale gives
/// `m = double(s_in)·4096·3` doubled (shift += 1 each time, from 0) while `m ≤ 32767/2` and
/// `shift ≤ 30`, and then `(int32(m), shift)` (truncation; x86's conversion when m ≥ 2³¹).
pub fn int16_sigmoid_tanh_params(s_in: f32, tanh: bool) -> (i32, i32) {
    let (pot, log2) = checked_log2(s_in);
    let shift = 12i32.wrapping_add(log2);
    let pot = pot && (shift == 0 || (tanh && shift == 1));
    if pot {
        return (0, shift);
    }
    let mut multiplier = s_in as f64 * 4096.0 * 3.0;
    let mut shift = 0;
    while multiplier <= 32767.0 / 2.0 && shift <= 30 {
        shift += 1;
        multiplier *= 2.0;
    }
    (f64_to_i32_x86(multiplier), shift)
}

/// The rescaled input of TFLite's int16 LOGISTIC/TANH: a zero multiplier means the power-of-two
/// case, `(3 << shift, 0)`; then `(x·M + round) >> shift` with `round = 2^(shift−1)` (0 for shift
/// 0), in wrapping int32 arithmetic. `shift` must be in 0..=31.
#[inline]
fn int16_sigmoid_input(x: i16, multiplier: i32, shift: i32) -> i32 {
    let (m, s) = if multiplier == 0 { (3i32.wrapping_shl(shift as u32), 0) } else { (multiplier, shift) };
    let s = s.clamp(0, 31);
    let round = if s > 0 { 1i32 << (s - 1) } else { 0 };
    (x as i32).wrapping_mul(m).wrapping_add(round) >> s
}

/// TFLite `reference_integer_ops::Logistic` for int16 (`reference/integer_ops/logistic.h`), one
/// element, with (multiplier, shift) from [`int16_sigmoid_tanh_params`]. With v the rescaled
/// input (see the source of `int16_sigmoid_input`), a = |v| (as uint32; |i32::MIN| = 2³¹),
/// h = a >> 9: r = 0x7FFF << 10 for h ≥ 255, else `T[h]·2⁹ + (a & 0x1ff)·(T[h+1] − T[h])`
/// (uint32); then `v ≥ 0 ? r + 2⁹ : 2²⁵ − r + 2⁹ − 1`, >> 10, truncated to int16.
#[inline]
pub fn logistic_int16(x: i16, multiplier: i32, shift: i32) -> i16 {
    let v = int16_sigmoid_input(x, multiplier, shift);
    let a = v.unsigned_abs();
    let h = a >> 9;
    let r: u32 = if h >= 255 {
        0x7FFF << 10
    } else {
        let ua = SIGMOID_TABLE_U16[h as usize] as u32;
        let ub = SIGMOID_TABLE_U16[h as usize + 1] as u32;
        (ua << 9).wrapping_add((a & 0x1ff).wrapping_mul(ub.wrapping_sub(ua)))
    };
    let r = if v >= 0 { r.wrapping_add(1 << 9) } else { (1u32 << 25).wrapping_sub(r).wrapping_add((1 << 9) - 1) };
    (r >> 10) as i16
}

/// TFLite `reference_integer_ops::Tanh` for int16 (`reference/integer_ops/tanh.h`), one element.
/// With v the rescaled input, a = |v|, h = a >> 8: r = 0xFFFF << 8 for h ≥ 255, else
/// `T[h]·2⁸ + (a & 0xff)·(T[h+1] − T[h])`; then (int32) `v ≥ 0 ? r − 2²³ + 2⁷ : −r + 2²³ + 2⁷ − 1`,
/// arithmetic >> 8, truncated to int16.
#[inline]
pub fn tanh_int16(x: i16, multiplier: i32, shift: i32) -> i16 {
    let v = int16_sigmoid_input(x, multiplier, shift);
    let a = v.unsigned_abs();
    let h = a >> 8;
    let r: i32 = if h >= 255 {
        0xFFFF << 8
    } else {
        let ua = SIGMOID_TABLE_U16[h as usize] as u32;
        let ub = SIGMOID_TABLE_U16[h as usize + 1] as u32;
        (ua << 8).wrapping_add((a & 0xff).wrapping_mul(ub.wrapping_sub(ua))) as i32
    };
    let r = if v >= 0 { r - (1 << 23) + (1 << 7) } else { -r + (1 << 23) + (1 << 7) - 1 };
    (r >> 8) as i16
}

/// The two tables of TFLite's int16 SOFTMAX (SoftmaxPrepare, `kernels/activations.cc`):
/// exp on [−10, 0] (`lut_int16_f64(10/65535, 32767, 2/65535, 0, exp)`) and 1/(1 + x) on [0, 1]
/// (`lut_int16_f64(1/65535, −32768, 2/65535, 0, 1/(1+x))`), with glibc's double `exp`.
pub fn softmax_int16_tables() -> ([i16; LUT_INT16_SIZE], [i16; LUT_INT16_SIZE]) {
    let range = 65535.0f64;
    let exp_lut = lut_int16_f64(10.0 / range, 32767, 2.0 / range, 0, f64::exp);
    let one_over = lut_int16_f64(1.0 / range, -32768, 2.0 / range, 0, |x| 1.0 / (1.0 + x));
    (exp_lut, one_over)
}

/// The input multiplier of TFLite's int16 SOFTMAX: `QuantizeMultiplier(double(s_in · β) /
/// (10/65535))`, the product s_in·β in float32.
pub fn softmax_int16_multiplier(s_in: f32, beta: f32) -> (i32, i32) {
    quantize_multiplier((s_in * beta) as f64 / (10.0 / 65535.0))
}

/// TFLite `SoftMaxCalculateExp` (`reference/softmax.h`): `d = MBQM(x − max, M, shift)`,
/// `lut_lookup_i16(clamp(d + 32767, −32768, 32767), exp_lut)`.
#[inline]
pub fn softmax_int16_exp(diff: i32, multiplier: i32, shift: i32, exp_lut: &[i16; LUT_INT16_SIZE]) -> i16 {
    let scaled = mbqm(diff, multiplier, shift).wrapping_add(32767);
    lut_lookup_i16(scaled.clamp(-32768, 32767) as i16, exp_lut)
}

/// The reciprocal step of TFLite's `SoftmaxInt16`: for the int32 sum of a row's exp values,
/// returns (reciprocal in Q0.15, right shift). `h = clz(sum)` (32 for 0);
/// `s = ((int64(sum) << (h − 1)) + 2¹³) >> 14` (int32; the shift count taken mod 64 as x86 does,
/// which only matters for a negative, wrapped sum: h = 0); `recip = lut_lookup_i16(clamp(s −
/// 98304, −32768, 32767), one_over_lut)`; right shift `31 − h` (as uint8).
pub fn softmax_int16_reciprocal(sum: i32, one_over_lut: &[i16; LUT_INT16_SIZE]) -> (i16, u8) {
    let h = (sum as u32).leading_zeros();
    let shifted = (((sum as i64).wrapping_shl(h.wrapping_sub(1) & 63) + (1 << 13)) >> 14) as i32;
    let sym = shifted.wrapping_sub((1 << 15) + (1 << 16)).clamp(-32768, 32767) as i16;
    (lut_lookup_i16(sym, one_over_lut), 31u8.wrapping_sub(h as u8))
}

/// The output of TFLite's `SoftmaxInt16` for one element: `clamp(int32((e·recip + round) >> rs),
/// 0, 32767)` in int64 with `round = int(1 << (rs − 1))` (for rs = 0, x86's shift count mod 32:
/// 1 << 31 = i32::MIN).
#[inline]
pub fn softmax_int16_output(exp: i16, recip: i16, right_shift: u8) -> i16 {
    let rs = right_shift as u32;
    let round = 1i32.wrapping_shl(rs.wrapping_sub(1) & 31) as i64;
    let result = ((exp as i64 * recip as i64 + round) >> (rs & 63)) as i32;
    result.clamp(0, 32767) as i16
}

#[cfg(test)]
mod tests_int16_activations {
    use super::*;

    #[test]
    fn lut_uint8_saturates_and_rounds() {
        // s_in 0.5, zp_in 128, s_out 1/256, zp 0, logistic-like identity+0.5: q = 128 → 0.5·256 = 128.
        let t = lut_uint8(0.5, 128, 1.0 / 256.0, 0, |x| x + 0.5);
        assert_eq!(t[128], 128);
        // q = 129 → 1.0 → 256 → 255 (clamped); q = 127 → 0.0 → 0.
        assert_eq!((t[129], t[127]), (255, 0));
        // Ties round half away from zero: 0.5·(q − 0)·(1/1) for q = 1 → 0.5 → 1; + zp 3 → 4.
        let t = lut_uint8(0.5, 0, 1.0, 3, |x| x);
        assert_eq!((t[0], t[1], t[3]), (3, 4, 5));
        // Out-of-range outputs convert to INT32_MIN (x86) and clamp to 0, both signs.
        let t = lut_uint8(1.0, 0, 1e-30, 0, |x| x - 100.0);
        assert_eq!((t[0], t[100], t[255]), (0, 0, 0));
        let t = lut_uint8(1.0, 0, 1.0, 0, |_| f32::NAN);
        assert_eq!(t[7], 0);
    }

    #[test]
    fn sigmoid_table_ends() {
        assert_eq!(SIGMOID_TABLE_U16[0], 32768);
        assert_eq!(SIGMOID_TABLE_U16[1], 33451);
        assert_eq!(SIGMOID_TABLE_U16[255], 65535);
        assert!(SIGMOID_TABLE_U16.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn checked_log2_powers_of_two() {
        assert_eq!(checked_log2(1.0 / 4096.0), (true, -12));
        assert_eq!(checked_log2(1.0 / 32768.0), (true, -15));
        assert_eq!(checked_log2(8.0), (true, 3));
        assert!(!checked_log2(0.1).0);
        // Within 1e-3 of a power of two in log2: 2^-12·(1 + 5e-4) → log2 off by 7.2e-4.
        assert_eq!(checked_log2(1.0005 / 4096.0), (true, -12));
        assert!(!checked_log2(1.001 / 4096.0).0);
    }

    #[test]
    fn sigmoid_tanh_params() {
        // 2^-12: the power-of-two case for both; 2^-11: only TANH (shift 1).
        assert_eq!(int16_sigmoid_tanh_params(1.0 / 4096.0, false), (0, 0));
        assert_eq!(int16_sigmoid_tanh_params(1.0 / 4096.0, true), (0, 0));
        assert_eq!(int16_sigmoid_tanh_params(1.0 / 2048.0, true), (0, 1));
        // LOGISTIC with 2^-11: 2^-11·12288 = 6 → doubled 12 times → 24576 (> 16383.5).
        assert_eq!(int16_sigmoid_tanh_params(1.0 / 2048.0, false), (24576, 12));
        // 2^-10 for TANH (shift 2 is not 0 or 1): 12 → 24576 after 11 doublings.
        assert_eq!(int16_sigmoid_tanh_params(1.0 / 1024.0, true), (24576, 11));
        // A general scale: 0.001·12288 = 12.288 → ·2^11 = 25165.824 → 25165.
        assert_eq!(int16_sigmoid_tanh_params(0.001, true).1, 11);
        assert_eq!(int16_sigmoid_tanh_params(0.001, true).0, (0.001f32 as f64 * 12288.0 * 2048.0) as i32);
        // Huge scales: no doubling, truncation (or x86's INT32_MIN beyond the int32 range).
        assert_eq!(int16_sigmoid_tanh_params(10.0, false), (122880, 0));
        assert_eq!(int16_sigmoid_tanh_params(1e6, false), (i32::MIN, 0));
        // Tiny scales stop after 31 doublings.
        assert_eq!(int16_sigmoid_tanh_params(1e-20, false).1, 31);
    }

    #[test]
    fn logistic_int16_hand_values() {
        // Power-of-two scale 2^-12 (M = 3, shift 0): x = 0 → v = 0, a = 0: r = 32768·512 + 512,
        // >> 10 = 16384 (0.5 in Q0.15).
        assert_eq!(logistic_int16(0, 0, 0), 16384);
        // x = 2^12 (1.0): v = 12288, a >> 9 = 24, frac 0: r = T[24]·512 = 47911·512 (+512)
        // >> 10 = 23955 (sigmoid(1) = 0.7311 → 23955.8·... in Q0.15: 23955).
        assert_eq!(logistic_int16(4096, 0, 0), ((47911u32 * 512 + 512) >> 10) as i16);
        // Negative: x = −4096: 2^25 − 47911·512 + 511 >> 10 = 32768 − 23955.5 → 8812.
        assert_eq!(logistic_int16(-4096, 0, 0), (((1u32 << 25) - 47911 * 512 + 511) >> 10) as i16);
        // Saturation: x = 32767 → v = 98301, a >> 9 = 191 < 255; x·M huge via a multiplier:
        // 0x7FFF << 10 + 512 >> 10 = 32767; negative: 2^25 − 0x7FFF·2^10 + 511 = 1535 >> 10 = 1
        // (TFLite's int16 sigmoid never reaches 0).
        assert_eq!(logistic_int16(32767, 24576, 1), 32767);
        assert_eq!(logistic_int16(-32768, 24576, 1), 1);
    }

    #[test]
    fn tanh_int16_hand_values() {
        assert_eq!(tanh_int16(0, 0, 0), 0);
        // x = 4096 with shift 0 (2^-12, 0.5 → tanh(0.5)): v = 12288, h = 48, frac 0:
        // r = T[48]·256 = 57724·256; (r − 2^23 + 128) >> 8 = 57724 − 32768 = 24956 (+0.5 → 24956).
        assert_eq!(tanh_int16(4096, 0, 0), ((57724 * 256 - (1 << 23) + 128) >> 8) as i16);
        assert_eq!(tanh_int16(-4096, 0, 0), ((-(57724 * 256) + (1 << 23) + 127) >> 8) as i16);
        // Saturation: (0xFFFF·256 − 2^23 + 128) >> 8 = 32767; negative: (−0xFFFF·256 + 2^23 +
        // 127) >> 8 = −32766.5 → −32767 (floor).
        assert_eq!(tanh_int16(32767, 24576, 1), 32767);
        assert_eq!(tanh_int16(-32768, 24576, 1), -32767);
    }

    #[test]
    fn lut_lookup_interpolates() {
        let mut lut = [0i16; LUT_INT16_SIZE];
        for (i, l) in lut.iter_mut().enumerate() {
            *l = (i as i32 * 100 - 25600).clamp(-32768, 32767) as i16;
        }
        // v = 0: index 256, offset 0 → lut[256] = 0. v = 64: slope 100, (6400 + 64) >> 7 = 50.
        assert_eq!(lut_lookup_i16(0, &lut), 0);
        assert_eq!(lut_lookup_i16(64, &lut), 50);
        // v = −1: index 255, offset 127: −100 + (12700 + 64) >> 7 = −100 + 99 = −1.
        assert_eq!(lut_lookup_i16(-1, &lut), -1);
        assert_eq!(lut_lookup_i16(i16::MIN, &lut), lut[0]);
    }

    #[test]
    fn softmax_int16_tables_and_steps() {
        let (exp_lut, one_over) = softmax_int16_tables();
        // exp(0) = 1 → 32768 → clamped 32767. lut[0]: sample round(exp(−10)·32768 = 1.488) = 1;
        // interp round((exp(−10 + 10/512)·32768 + 1)/2 = 1.26) = 1; mid round(1.502) = 2; bias
        // round(−0.5) = −1 → 1 − (−1) = 2.
        assert_eq!(exp_lut[512], 32767);
        assert_eq!(exp_lut[0], 2);
        // 1/(1 + 0) = 1 → 32767 (clamped); 1/(1 + 1) = 0.5 → 16384.
        assert_eq!(one_over[0], 32767);
        assert_eq!(one_over[512], 16384);
        // Row maximum: diff 0 → 32767 → index 511, offset 127 → close to 32767.
        let e0 = softmax_int16_exp(0, 1 << 30, 1, &exp_lut);
        assert!(e0 >= 32700);
        // One element: sum = e0 < 2^15, h = 17, right shift 14; s = (e0·2^16 + 2^13) >> 14 = 4·e0
        // → recip = LUT(4·e0 − 98304) ≈ 1/(1 + 4·e0/65536 − 1.5) ≈ 0.5 (Q0.15: ≈ 16384).
        let (recip, rs) = softmax_int16_reciprocal(e0 as i32, &one_over);
        assert_eq!(rs, 14);
        assert_eq!(recip, lut_lookup_i16((4 * e0 as i32 - 98304) as i16, &one_over));
        assert!((recip - 16384).abs() < 64);
        // e0·recip/2^14 slightly exceeds 32767 (recip is a bit above 0.5): clamped.
        let unclamped = (e0 as i64 * recip as i64 + (1 << 13)) >> 14;
        assert_eq!(softmax_int16_output(e0, recip, rs) as i64, unclamped.min(32767));
        // The multiplier: β = 0 gives (0, 0); s_in·β = 2 gives 2·6553.5.
        assert_eq!(softmax_int16_multiplier(1.0, 0.0), (0, 0));
        assert_eq!(softmax_int16_multiplier(1.0, 2.0).1, 14); // 13107 = 0.8·2^14
        // Output clamping and rs = 0 (x86 shift count wrap) do not panic.
        assert_eq!(softmax_int16_output(-5, 100, 3), 0);
        assert_eq!(softmax_int16_output(1, 1, 0), 0);
    }
}

/// TFLite's reference `AffineQuantize` (QUANTIZE float → int8/uint8/int16) as its x86-64 build
/// computes it: `clamp(int32(roundf(x / scale)) + zero_point, qmin, qmax)` where the float → int32
/// conversion of an out-of-range or NaN value gives `i32::MIN` (`cvttss2si`, see
/// [`f32_to_i32_x86`]), so a huge positive input quantizes to `qmin`, and the zero point is
/// added with wrapping.
#[inline]
pub fn quantize_f32_x86(x: f32, scale: f32, zero_point: i32, qmin: i32, qmax: i32) -> i32 {
    f32_to_i32_x86(round_f32(x / scale)).wrapping_add(zero_point).clamp(qmin, qmax)
}

/// The integer range of a fused activation on an unquantized integer output
/// (`CalculateActivationRange<T>`): RELU `[0, max]`, RELU6 `[0, 6]`, RELU_N1_TO_1 `[−1, 1]`,
/// otherwise the type's `[min, max]`.
pub fn activation_range_int(act: crate::tflite::ActivationFunctionType, min: i32, max: i32) -> (i32, i32) {
    use crate::tflite::ActivationFunctionType as A;
    match act {
        A::RELU => (0, max),
        A::RELU6 => (0, 6),
        A::RELU_N1_TO_1 => (-1, 1),
        _ => (min, max),
    }
}

#[cfg(test)]
mod tests_i16elt {
    use super::*;

    #[test]
    fn checked_log2_accepts_near_powers_of_two() {
        assert_eq!(checked_log2(1.0), (true, 0));
        assert_eq!(checked_log2(0.5), (true, -1));
        assert_eq!(checked_log2(2f32.powi(-15)), (true, -15));
        assert_eq!(checked_log2(8.0), (true, 3));
        // 2^-15·1.0005: log2 is −15 + 0.00072, within 1e-3.
        assert_eq!(checked_log2(2f32.powi(-15) * 1.0005), (true, -15));
        // 1.5 and 0.3 are not.
        assert!(!checked_log2(1.5).0);
        assert!(!checked_log2(0.3).0);
        assert!(!checked_log2(2f32.powi(-15) * 1.002).0);
    }

    #[test]
    fn integer_activation_ranges() {
        use crate::tflite::ActivationFunctionType as A;
        assert_eq!(activation_range_int(A::NONE, -32768, 32767), (-32768, 32767));
        assert_eq!(activation_range_int(A::RELU, -32768, 32767), (0, 32767));
        assert_eq!(activation_range_int(A::RELU6, -32768, 32767), (0, 6));
        assert_eq!(activation_range_int(A::RELU_N1_TO_1, -32768, 32767), (-1, 1));
    }

    #[test]
    fn quantize_f32_x86_wraps_out_of_range() {
        // In range: roundf half away, + zp, clamp.
        assert_eq!(quantize_f32_x86(0.25, 0.5, 0, -32768, 32767), 1);
        assert_eq!(quantize_f32_x86(-0.25, 0.5, 3, -32768, 32767), 2);
        assert_eq!(quantize_f32_x86(1e5, 1.0, 0, -32768, 32767), 32767);
        // 5e8 / 1e-5 overflows int32: INT32_MIN → the type's minimum, for either sign.
        assert_eq!(quantize_f32_x86(5e8, 1e-5, 0, -32768, 32767), -32768);
        assert_eq!(quantize_f32_x86(-5e8, 1e-5, 0, -32768, 32767), -32768);
        assert_eq!(quantize_f32_x86(5e8, 1e-5, 200, 0, 255), 0);
        assert_eq!(quantize_f32_x86(f32::NAN, 1.0, 0, -128, 127), -128);
    }
}

/// The floating-point requantization of TFLite's reference FULLY_CONNECTED (int8, int16 and
/// uint8, `reference/integer_ops/fully_connected.h` and `reference/fully_connected.h`, the
/// overloads taking float scales): `(int32)round(double(acc) · scale) + zp_out` with `round` half
/// away from zero, the conversion as x86 does it ([`f64_to_i32_x86`]) and the addition wrapping.
/// `scale` is `double(s_in)·double(s_w)/double(s_out)`; the caller clamps.
#[inline]
pub fn requantize_f64(acc: i64, scale: f64, zp_out: i32) -> i32 {
    f64_to_i32_x86(round_f64(acc as f64 * scale)).wrapping_add(zp_out)
}

#[cfg(test)]
mod i16mm_tests {
    use super::*;

    #[test]
    fn f64_to_i32_like_x86() {
        assert_eq!(f64_to_i32_x86(2.9), 2);
        assert_eq!(f64_to_i32_x86(-2.9), -2);
        assert_eq!(f64_to_i32_x86(2147483647.0), i32::MAX);
        assert_eq!(f64_to_i32_x86(2147483648.0), i32::MIN);
        assert_eq!(f64_to_i32_x86(-2147483648.0), i32::MIN);
        assert_eq!(f64_to_i32_x86(-3e10), i32::MIN);
        assert_eq!(f64_to_i32_x86(f64::NAN), i32::MIN);
    }

    #[test]
    fn requantize_f64_rounds_half_away() {
        // 22 · 0.25 = 5.5 → 6; −22 · 0.25 = −5.5 → −6; + zp.
        assert_eq!(requantize_f64(22, 0.25, 1), 7);
        assert_eq!(requantize_f64(-22, 0.25, 1), -5);
        assert_eq!(requantize_f64(21, 0.25, 0), 5);
        // Out of the int32 range: INT32_MIN, then the zero point wraps.
        assert_eq!(requantize_f64(1 << 40, 1.0, 0), i32::MIN);
        assert_eq!(requantize_f64(1 << 40, 1.0, -1), i32::MAX);
    }

    #[test]
    fn mbqm_i64_hand_values() {
        // M = 2^30 (0.5) reduces to 2^14; shift 0: (x·2^14 + 2^14) >> 15 = round-half-up of x/2.
        assert_eq!(mbqm_i64(3, 1 << 30, 0), 2);
        assert_eq!(mbqm_i64(-3, 1 << 30, 0), -1);
        assert_eq!(mbqm_i64(1 << 40, 1 << 30, -10), 1 << 29);
        // M ≥ 0x7FFF0000 reduces to 0x7FFF.
        // (2^20·0x7FFF + 2^14) >> 15 = 32·32767.
        assert_eq!(mbqm_i64(1 << 20, 0x7FFF_8000, 0), 1_048_544);
    }
}

// ---- gemmlowp fixed point on int16 (`FixedPoint<int16_t, m>`), for the integer LSTM ----
//
// A `FixedPoint<int16_t, m>` is passed as its raw i16 (Q`m`.`15−m`). gemmlowp's plain
// additions, subtractions and negations on int16 are computed in int and converted back to
// int16, i.e. they wrap; the products are [`srdhm16`].

/// gemmlowp `RescaleConstantInitializer` for int16: an int32 fixed-point constant rounded to
/// 16 bits, `RoundingDivideByPOT(c, 16)`.
#[inline]
fn gemmlowp_const16(c: i32) -> i16 {
    rdbpot(c, 16) as i16
}

/// gemmlowp `SaturatingRoundingMultiplyByPOT<exponent>` on int16: for `exponent > 0` a left
/// shift saturating at ±(2^(15−exponent) − 1) → i16::MIN/MAX, for `exponent < 0`
/// [`rdbpot16`]. `exponent` must be in −15..=14.
#[inline]
pub fn srmpot16(x: i16, exponent: i32) -> i16 {
    if exponent > 0 {
        let threshold = ((1i32 << (15 - exponent.min(15))) - 1) as i16;
        if x > threshold {
            i16::MAX
        } else if x < threshold.wrapping_neg() {
            i16::MIN
        } else {
            x.wrapping_shl(exponent as u32)
        }
    } else if exponent < 0 {
        rdbpot16(x, -exponent)
    } else {
        x
    }
}

/// gemmlowp `RoundingHalfSum` on int16: `(a + b + sign(a + b)) / 2` in int32 (sign 1 for 0),
/// truncating division.
#[inline]
pub fn rounding_half_sum16(a: i16, b: i16) -> i16 {
    let sum = a as i32 + b as i32;
    let sign = if sum >= 0 { 1 } else { -1 };
    ((sum + sign) / 2) as i16
}

/// gemmlowp `exp_on_interval_between_negative_one_quarter_and_0_excl` on int16 (Q0.15 in and
/// out): the Taylor expansion around −1/8 with the int32 constants rounded to 16 bits; the final
/// addition saturates (`AddSaturatingIf16Bit`).
pub fn exp_on_interval_between_negative_one_quarter_and_0_excl16(a: i16) -> i16 {
    let constant_term = gemmlowp_const16(1_895_147_668);
    let one_third = gemmlowp_const16(715_827_883);
    let x = a.wrapping_add(1 << 12);
    let x2 = srdhm16(x, x);
    let x3 = srdhm16(x2, x);
    let x4 = srdhm16(x2, x2);
    let x4_over_4 = srmpot16(x4, -2);
    let poly = srmpot16(srdhm16(x4_over_4.wrapping_add(x3), one_third).wrapping_add(x2), -1);
    constant_term.saturating_add(srdhm16(constant_term, x.wrapping_add(poly)))
}

/// gemmlowp `exp_on_negative_values` on `FixedPoint<int16_t, integer_bits>` (result Q0.15):
/// exp of the fractional quarter via the Taylor expansion, then one multiplication by
/// exp(−2^k) (int32 constants rounded to 16 bits) per set bit k of the remainder for
/// k = −2..=4 below `integer_bits`; inputs below −32 give 0 when `integer_bits > 5`, input 0
/// gives i16::MAX. `integer_bits` must be in 0..=12.
pub fn exp_on_negative_values16(a: i16, integer_bits: i32) -> i16 {
    const BARREL: [(i32, i32); 7] = [
        (-2, 1_672_461_947),
        (-1, 1_302_514_674),
        (0, 790_015_084),
        (1, 290_630_308),
        (2, 39_332_535),
        (3, 720_401),
        (4, 242),
    ];
    let frac = 15 - integer_bits;
    let one_quarter: i16 = 1 << (frac - 2);
    let mask = one_quarter - 1;
    let a_mod_quarter_minus_one_quarter = (a & mask).wrapping_sub(one_quarter);
    let mut result = exp_on_interval_between_negative_one_quarter_and_0_excl16(srmpot16(
        a_mod_quarter_minus_one_quarter,
        integer_bits,
    ));
    let remainder = a_mod_quarter_minus_one_quarter.wrapping_sub(a);
    for (exponent, multiplier) in BARREL {
        if integer_bits > exponent {
            let bit = (1i32 << (frac + exponent)) as i16;
            if remainder & bit != 0 {
                result = srdhm16(result, gemmlowp_const16(multiplier));
            }
        }
    }
    if integer_bits > 5 {
        let clamp = gemmlowp_const16(-(1i32 << (36 - integer_bits)));
        if a < clamp {
            result = 0;
        }
    }
    if a == 0 { i16::MAX } else { result }
}

/// The Newton–Raphson reciprocal shared by gemmlowp's `one_over_one_plus_x_for_x_in_0_1` and
/// `one_minus_x_over_one_plus_x_for_x_in_0_1` on int16: x ≈ 1/((a + 1)/2) in Q2.13.
fn newton_reciprocal16(a: i16) -> i16 {
    let half_denominator = rounding_half_sum16(a, i16::MAX);
    let c48_17 = gemmlowp_const16(1_515_870_810);
    let cneg32_17 = gemmlowp_const16(-1_010_580_540);
    let one_q2: i16 = 1 << 13;
    let mut x = c48_17.wrapping_add(srdhm16(half_denominator, cneg32_17));
    for _ in 0..3 {
        let hd_x = srdhm16(half_denominator, x);
        let one_minus = one_q2.wrapping_sub(hd_x);
        x = x.wrapping_add(srmpot16(srdhm16(x, one_minus), 2));
    }
    x
}

/// gemmlowp `one_over_one_plus_x_for_x_in_0_1` on int16 (Q0.15 in and out).
pub fn one_over_one_plus_x_for_x_in_0_1_16(a: i16) -> i16 {
    srmpot16(newton_reciprocal16(a), 1)
}

/// gemmlowp `one_minus_x_over_one_plus_x_for_x_in_0_1` on int16 (Q0.15 in and out).
pub fn one_minus_x_over_one_plus_x_for_x_in_0_1_16(a: i16) -> i16 {
    srmpot16(newton_reciprocal16(a).wrapping_sub(1 << 13), 2)
}

/// gemmlowp `logistic` on `FixedPoint<int16_t, integer_bits>` → Q0.15 (TFLite's LSTM
/// `ApplySigmoid` uses 3 integer bits): 1/(1 + exp(−|a|)) for a > 0, its complement
/// `32767 − r` for a < 0 (|−32768| wraps to −32768), 16384 for 0. `integer_bits` in 0..=11.
pub fn gemmlowp_logistic16(a: i16, integer_bits: i32) -> i16 {
    if a == 0 {
        return gemmlowp_const16(1 << 30);
    }
    let positive = a > 0;
    let abs = if positive { a } else { a.wrapping_neg() };
    let r = one_over_one_plus_x_for_x_in_0_1_16(exp_on_negative_values16(abs.wrapping_neg(), integer_bits));
    if positive { r } else { i16::MAX.wrapping_sub(r) }
}

/// gemmlowp `tanh` on `FixedPoint<int16_t, integer_bits>` → Q0.15 (TFLite's LSTM `ApplyTanh`):
/// with n = −|a| (wrapping), t = (1 − exp(2n))/(1 + exp(2n)) computed as
/// `one_minus_x_over_one_plus_x(exp_on_negative_values(n as Q(integer_bits+1)))`; a < 0 gives
/// −t, a > 0 gives t, 0 gives 0. `integer_bits` in 0..=11.
pub fn gemmlowp_tanh16(a: i16, integer_bits: i32) -> i16 {
    if a == 0 {
        return 0;
    }
    let negative = a < 0;
    let n = if negative { a } else { a.wrapping_neg() };
    let t = one_minus_x_over_one_plus_x_for_x_in_0_1_16(exp_on_negative_values16(n, integer_bits + 1));
    if negative { t.wrapping_neg() } else { t }
}

#[cfg(test)]
mod tests_gemmlowp16 {
    use super::*;

    #[test]
    fn constants_and_shifts() {
        // exp(−1/8) = 1895147668 / 2^31 → rounded to Q0.15: 1895147668 / 65536 = 28917.6 → 28918.
        assert_eq!(gemmlowp_const16(1_895_147_668), 28918);
        assert_eq!(gemmlowp_const16(1 << 30), 16384);
        assert_eq!(srmpot16(4095, 3), 32760);
        assert_eq!(srmpot16(4096, 3), i16::MAX); // threshold 2^12 − 1
        assert_eq!(srmpot16(-4096, 3), i16::MIN);
        assert_eq!(srmpot16(5, -1), 3); // 2.5 → 3 (half away from zero)
        assert_eq!(srmpot16(-5, -1), -3);
        assert_eq!(rounding_half_sum16(3, i16::MAX), 16385); // (32770 + 1) / 2
        assert_eq!(rounding_half_sum16(-4, 1), -2); // (−3 − 1) / 2
    }

    #[test]
    fn logistic_and_tanh_values() {
        // logistic(0) = 1/2, exactly; logistic(−1) in Q3.12 as TFLite's int8 LSTM computes it.
        assert_eq!(gemmlowp_logistic16(-4096, 3), 8815);
        assert_eq!(gemmlowp_logistic16(0, 3), 16384);
        // Symmetry: logistic(−x) = 1 − logistic(x) in raw terms 32767 − r.
        for x in [1i16, 100, 4096, 20000, 32767] {
            assert_eq!(gemmlowp_logistic16(-x, 3), 32767 - gemmlowp_logistic16(x, 3));
        }
        // Close to the real function (Q3.12 in, Q0.15 out): within 8 LSB for logistic, 16 for tanh (the int16 Taylor and
        // Newton steps lose a few LSB: logistic(−1) = 8815/32768 = 0.26901 vs 0.26894).
        for x in [-32768i16, -32767, -4096, -1, 1, 4096, 8192, 32767] {
            let real = 1.0 / (1.0 + (-(x as f64) / 4096.0).exp());
            let got = gemmlowp_logistic16(x, 3) as f64 / 32768.0;
            assert!((got - real).abs() < 8.0 / 32768.0, "logistic({x}) = {got}, want {real}");
        }
        assert_eq!(gemmlowp_tanh16(0, 3), 0);
        for bits in [0, 3, 4, 6] {
            for x in [-32768i16, -20000, -4096, -7, 7, 4096, 20000, 32767] {
                let real = ((x as f64) / (1u32 << (15 - bits)) as f64).tanh();
                let got = gemmlowp_tanh16(x, bits) as f64 / 32768.0;
                assert!((got - real).abs() < 16.0 / 32768.0, "tanh<{bits}>({x}) = {got}, want {real}");
            }
        }
        // tanh(−x) = −tanh(x) exactly (except the wrapping −32768).
        assert_eq!(gemmlowp_tanh16(-4096, 3), -gemmlowp_tanh16(4096, 3));
    }
}
