//! TFLite prepare-time multipliers (`QuantizeMultiplier*`, `frexp`) and
//! `MultiplyByQuantizedMultiplier` (MBQM) in its variants.

use super::{rdbpot, srdhm};
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
    // TFLite DCHECKs shift in [-31, 7] (total_shift 8..=46), where nothing here overflows. Past
    // it (a denormal output scale gives shifts over 100) the C++ shifts an int64 by a negative or
    // too large count, which x86-64 masks to its low six bits; the product and sum wrap.
    let total_shift = 15i64 - shift as i64;
    let round = 1i64.wrapping_shl((total_shift - 1) as u32);
    x.wrapping_mul(reduced).wrapping_add(round).wrapping_shr(total_shift as u32) as i32
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
    fn mbqm_i64_past_tflites_shift_range_masks_the_counts_as_x86() {
        // shift 112 (a denormal output scale): total_shift = 15 − 112 = −97, so the rounding
        // term is 1 << (−98 & 63) = 2^30 and the result is shifted by (−97 & 63) = 31.
        // 2^40·2^14 + 2^30 = 2^54 + 2^30; >> 31 = 2^23.
        assert_eq!(mbqm_i64(1 << 40, 1 << 30, 112), 1 << 23);
        assert_eq!(mbqm_i64(1000, 1 << 30, 112), 0);
        // shift 8 (total_shift 7, one past the range) is an ordinary shift.
        assert_eq!(mbqm_i64(1 << 20, 1 << 30, 8), 1 << 27);
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
