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

/// TFLite `QuantizeMultiplierGreaterThanOne`: requires d > 1 (TFLite aborts otherwise).
pub fn quantize_multiplier_greater_than_one(d: f64) -> Result<(i32, i32)> {
    if d.partial_cmp(&1.0) != Some(std::cmp::Ordering::Greater) {
        return Err(Error::Usage(format!("multiplier {d} is not > 1")));
    }
    Ok(quantize_multiplier(d))
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

/// gemmlowp `RoundingDivideByPOT` on int16.
#[inline]
pub fn rdbpot16(x: i16, exponent: i32) -> i16 {
    debug_assert!((0..=15).contains(&exponent));
    let mask = ((1i32 << exponent) - 1) as i16;
    let remainder = x & mask;
    let threshold = (mask >> 1) + (x < 0) as i16;
    (x >> exponent) + (remainder > threshold) as i16
}

/// TFLite `MultiplyByQuantizedMultiplier` (double rounding): x·M·2^shift with M in Q0.31.
/// The left shift is a plain (wrapping) int32 multiply, as in TFLite.
#[inline]
pub fn mbqm(x: i32, multiplier: i32, shift: i32) -> i32 {
    let left = if shift > 0 { shift } else { 0 };
    let right = if shift > 0 { 0 } else { -shift };
    rdbpot(srdhm(x.wrapping_mul(1i32.wrapping_shl(left as u32)), multiplier), right)
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

/// TFLite's reference float → integer quantization (`AffineQuantize`):
/// `clamp((int32)roundf(x / scale) + zero_point, qmin, qmax)`, the division in float32.
#[inline]
pub fn quantize_f32(x: f32, scale: f32, zero_point: i32, qmin: i32, qmax: i32) -> i32 {
    (round_f32(x / scale) as i32).saturating_add(zero_point).clamp(qmin, qmax)
}

/// TFLite's reference dequantization: `float(double(scale) · (q − zero_point))`.
#[inline]
pub fn dequantize(q: i32, scale: f32, zero_point: i32) -> f32 {
    (scale as f64 * (q as i64 - zero_point as i64) as f64) as f32
}

/// C's `static_cast<int32_t>(float)` as x86-64 executes it (`cvttss2si`): truncation toward
/// zero, and `INT32_MIN` for NaN or a value outside the int32 range (undefined behaviour in C;
/// this is what TFLite's x86-64 builds compute).
#[inline]
pub fn f32_to_i32_x86(x: f32) -> i32 {
    if (-2_147_483_648.0..2_147_483_648.0).contains(&x) { x as i32 } else { i32::MIN }
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
        assert!(quantize_multiplier_greater_than_one(1.0).is_err());
        assert_eq!(quantize_multiplier_greater_than_one(3.0).ok(), Some((3 << 29, 2)));
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
