//! What TFLite's x86-64 build computes where C++ is undefined: `cvttss2si`/`cvttsd2si` conversions
//! (`i32::MIN` for NaN and out-of-range values) and out-of-range shift counts (scalar and SSE).

use super::round_f32;

/// gemmlowp `RoundingDivideByPOT(x, exponent)` called with a NEGATIVE exponent, as the scalar
/// code of TFLite's x86-64 build computes it (undefined behaviour in C++; TFLite's int8 SUB does
/// this when its output multiplier is > 1, see `ops/elementwise/add_sub.rs`). The shifts take their count
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
/// exponents above 31 and below 0 (`ops/elementwise/div.rs`) and gets exactly this.
#[inline]
pub fn rdbpot_x86_scalar(x: i32, exponent: i32) -> i32 {
    rdbpot_negative_exponent_x86_scalar(x, exponent)
}

/// C's `static_cast<int32_t>(float)` as x86-64 executes it (`cvttss2si`): truncation toward
/// zero, and the "integer indefinite" `i32::MIN` for NaN and for values outside the int32 range
/// (undefined behaviour in C++, but that is what TFLite's x86 builds compute).
#[inline]
pub fn f32_to_i32_x86(x: f32) -> i32 {
    if x.is_nan() || !(-2147483648.0..2147483648.0).contains(&x) { i32::MIN } else { x as i32 }
}

// ---------------------------------------------------------------------------------------------
// int16 and uint8 activations (LOGISTIC, TANH, SOFTMAX; `ops/activation/lut_activations.rs`, `ops/activation/softmax.rs`)
// ---------------------------------------------------------------------------------------------

/// C's `static_cast<int32_t>(double)` as x86-64 executes it (`cvttsd2si`): truncation toward
/// zero, `i32::MIN` for NaN and for values outside the int32 range.
#[inline]
pub fn f64_to_i32_x86(x: f64) -> i32 {
    if x.is_nan() || !(-2147483648.0..2147483648.0).contains(&x) { i32::MIN } else { x as i32 }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arith::rdbpot;

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
}
