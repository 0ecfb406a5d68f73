//! gemmlowp fixed-point arithmetic (`fixedpoint/fixedpoint.h`) and TFLite's softmax scaling
//! (`quantization_util.cc` PreprocessSoftmaxScaling / CalculateInputRadius, `common.h`
//! GetReciprocal).
//!
//! Together with [`crate::arith`], this module is the only place in qlite where rounding happens;
//! it holds the fixed-point math functions (exp, 1/(1+x)) that are too large for `arith`.
//!
//! Contract: every function reproduces, bit for bit, the scalar int32 gemmlowp/TFLite function it
//! is named after. A value `FixedPoint<int32, m>` is passed as its raw `i32` (Q`m`.`31−m`).
//! gemmlowp's plain additions and left shifts are undefined on overflow in C++; here they wrap
//! (two's complement), which is what the compiled TFLite does, so no input can panic.

use crate::arith::{rdbpot, srdhm};

/// gemmlowp `SaturatingRoundingMultiplyByPOT<exponent>` on int32: a saturating left shift for
/// `exponent > 0`, [`rdbpot`] (rounding half away from zero) for `exponent < 0`.
/// `exponent` must be in −31..=31.
#[inline]
pub fn saturating_rounding_multiply_by_pot(x: i32, exponent: i32) -> i32 {
    debug_assert!((-31..=31).contains(&exponent));
    if exponent > 0 {
        let threshold = ((1i64 << (31 - exponent)) - 1) as i32;
        if x > threshold {
            i32::MAX
        } else if x < -threshold {
            i32::MIN
        } else {
            x.wrapping_shl(exponent as u32)
        }
    } else if exponent < 0 {
        rdbpot(x, -exponent)
    } else {
        x
    }
}

/// gemmlowp `Rescale<dst_bits>` of a value with `src_bits` integer bits.
#[inline]
pub fn rescale(x: i32, src_bits: i32, dst_bits: i32) -> i32 {
    saturating_rounding_multiply_by_pot(x, src_bits - dst_bits)
}

/// gemmlowp `RoundingHalfSum` on int32: (a + b)/2 rounded half away from zero, in int64.
#[inline]
pub fn rounding_half_sum(a: i32, b: i32) -> i32 {
    let sum = a as i64 + b as i64;
    let sign = if sum >= 0 { 1 } else { -1 };
    ((sum + sign) / 2) as i32
}

/// gemmlowp `exp_on_interval_between_negative_one_quarter_and_0_excl` (Q0.31 in and out):
/// a Taylor expansion of exp around −1/8.
pub fn exp_on_interval_between_negative_one_quarter_and_0_excl(a: i32) -> i32 {
    const CONSTANT_TERM: i32 = 1_895_147_668; // exp(−1/8) in Q0.31
    const ONE_THIRD: i32 = 715_827_883; // 1/3 in Q0.31
    let x = a.wrapping_add(1 << 28); // a + 1/8
    let x2 = srdhm(x, x);
    let x3 = srdhm(x2, x);
    let x4 = srdhm(x2, x2);
    let x4_over_4 = saturating_rounding_multiply_by_pot(x4, -2);
    let poly = saturating_rounding_multiply_by_pot(srdhm(x4_over_4.wrapping_add(x3), ONE_THIRD).wrapping_add(x2), -1);
    CONSTANT_TERM.wrapping_add(srdhm(CONSTANT_TERM, x.wrapping_add(poly)))
}

/// gemmlowp `exp_on_negative_values` for an input with `integer_bits` integer bits
/// (Q`integer_bits`.`31−integer_bits`, 0..=30), result in Q0.31. Input 0 gives `i32::MAX`.
/// Defined for a ≤ 0; other inputs give what the C++ gives (no panic).
pub fn exp_on_negative_values(a: i32, integer_bits: i32) -> i32 {
    debug_assert!((0..=30).contains(&integer_bits));
    let fractional_bits = 31 - integer_bits;
    let one_quarter = 1i32 << (fractional_bits - 2);
    let mask = one_quarter - 1;
    let a_mod_quarter_minus_one_quarter = (a & mask).wrapping_sub(one_quarter);
    let mut result = exp_on_interval_between_negative_one_quarter_and_0_excl(rescale(
        a_mod_quarter_minus_one_quarter,
        integer_bits,
        0,
    ));
    let remainder = a_mod_quarter_minus_one_quarter.wrapping_sub(a);
    // exp(−2^e) in Q0.31 for e = −2..=4.
    const BARREL: [(i32, i32); 7] = [
        (-2, 1_672_461_947),
        (-1, 1_302_514_674),
        (0, 790_015_084),
        (1, 290_630_308),
        (2, 39_332_535),
        (3, 720_401),
        (4, 242),
    ];
    for (exponent, multiplier) in BARREL {
        if integer_bits > exponent {
            let shift = fractional_bits + exponent;
            if remainder & (1i32.wrapping_shl(shift as u32)) != 0 {
                result = srdhm(result, multiplier);
            }
        }
    }
    if integer_bits > 5 {
        let clamp = -(1i32 << (36 - integer_bits)); // −32
        if a < clamp {
            result = 0;
        }
    }
    if a == 0 { i32::MAX } else { result }
}

/// gemmlowp `one_over_one_plus_x_for_x_in_0_1` (Q0.31 in and out): Newton–Raphson division,
/// three iterations from 48/17 − 32/17·d in Q2.29.
pub fn one_over_one_plus_x_for_x_in_0_1(a: i32) -> i32 {
    const C48_OVER_17: i32 = 1_515_870_810;
    const CNEG32_OVER_17: i32 = -1_010_580_540;
    const ONE_Q2: i32 = 1 << 29;
    let half_denominator = rounding_half_sum(a, i32::MAX);
    let mut x = C48_OVER_17.wrapping_add(srdhm(half_denominator, CNEG32_OVER_17));
    for _ in 0..3 {
        let half_denominator_times_x = srdhm(half_denominator, x);
        let one_minus = ONE_Q2.wrapping_sub(half_denominator_times_x);
        x = x.wrapping_add(rescale(srdhm(x, one_minus), 4, 2));
    }
    // ExactMulByPot<−1> (Q2 → Q1, same raw), then Rescale<0>.
    rescale(x, 1, 0)
}

/// TFLite `GetReciprocal(x, x_integer_digits)`: (1/x as Q0.31 after normalizing x into [1, 2),
/// num_bits_over_unit). A zero `x` (impossible for a softmax sum) shifts to 0 instead of C++'s
/// undefined shift by 32.
pub fn get_reciprocal(x: i32, x_integer_digits: i32) -> (i32, i32) {
    let headroom_plus_one = (x as u32).leading_zeros() as i32;
    let num_bits_over_unit = x_integer_digits - headroom_plus_one;
    let shifted = (x as u32).checked_shl(headroom_plus_one as u32).unwrap_or(0);
    let shifted_sum_minus_one = shifted.wrapping_sub(1u32 << 31) as i32;
    (one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one), num_bits_over_unit)
}

/// [`rdbpot`] extended to any exponent ≥ 0 (in int64): for exponents above 31, where TFLite's
/// softmax `TFLITE_CHECK`s and aborts, this is still x / 2^exponent rounded half away from zero.
#[inline]
pub fn rdbpot_any(x: i32, exponent: i32) -> i32 {
    if (0..=31).contains(&exponent) {
        return rdbpot(x, exponent);
    }
    if exponent < 0 {
        return x;
    }
    let e = exponent.min(62) as u32;
    let x = x as i64;
    let mask = (1i64 << e) - 1;
    let remainder = x & mask;
    let threshold = (mask >> 1) + (x < 0) as i64;
    ((x >> e) + (remainder > threshold) as i64) as i32
}

/// Softmax input scaling (`PreprocessSoftmaxScaling` + `CalculateInputRadius`, double rounding
/// build): `real = min(β·s_in·2^(31−integer_bits), 2³¹ − 1)` in double; `(M, shift) =
/// QuantizeMultiplier(real)`; `diff_min = −floor((2^integer_bits − 1)·2^(31−integer_bits) /
/// 2^shift)`.
///
/// TFLite calls `QuantizeMultiplierGreaterThanOne` here and aborts when `real ≤ 1` (a tiny input
/// scale or β). qlite keeps the ordinary multiplier, whose shift is then ≤ 0 (a right shift, see
/// [`crate::arith::mbqm`]), and a `diff_min` that admits every difference (the radius formula
/// with a negative shift exceeds the int32 range; it is clamped to `i32::MIN`).
/// Returns (multiplier, shift, diff_min).
pub fn softmax_input_scaling(beta: f64, input_scale: f64, integer_bits: i32) -> (i32, i32, i32) {
    let real = (beta * input_scale * (1i64 << (31 - integer_bits)) as f64).min((1i64 << 31) as f64 - 1.0);
    let (multiplier, shift) = crate::arith::quantize_multiplier(real);
    let radius = ((1i64 << integer_bits) - 1) as f64 * (1i64 << (31 - integer_bits)) as f64 / 2f64.powi(shift);
    let radius = radius.floor();
    let diff_min = if radius >= -(i32::MIN as f64) { i32::MIN } else { -(radius as i32) };
    (multiplier, shift, diff_min)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(x: f64, integer_bits: i32) -> i32 {
        (x * 2f64.powi(31 - integer_bits)).round() as i32
    }

    fn real(raw: i32, integer_bits: i32) -> f64 {
        raw as f64 / 2f64.powi(31 - integer_bits)
    }

    #[test]
    fn saturating_shifts() {
        assert_eq!(saturating_rounding_multiply_by_pot(3, 2), 12);
        assert_eq!(saturating_rounding_multiply_by_pot(1 << 29, 2), i32::MAX); // threshold 2^29 − 1
        assert_eq!(saturating_rounding_multiply_by_pot((1 << 29) - 1, 2), i32::MAX - 3);
        assert_eq!(saturating_rounding_multiply_by_pot(-(1 << 29), 2), i32::MIN);
        assert_eq!(saturating_rounding_multiply_by_pot(-((1 << 29) - 1), 2), i32::MIN + 4);
        assert_eq!(saturating_rounding_multiply_by_pot(6, -2), 2); // 1.5 → 2
        assert_eq!(saturating_rounding_multiply_by_pot(-6, -2), -2); // −1.5 → −2
        assert_eq!(saturating_rounding_multiply_by_pot(-5, 0), -5);
        assert_eq!(rescale(1 << 20, 0, 12), 1 << 8); // Q0 → Q12: divide by 2^12
    }

    #[test]
    fn rounding_half_sum_rounds_away_from_zero() {
        assert_eq!(rounding_half_sum(1, 2), 2); // 1.5 → 2
        assert_eq!(rounding_half_sum(-1, -2), -2); // −1.5 → −2
        assert_eq!(rounding_half_sum(2, 2), 2); // (4 + 1)/2 = 2 (truncating)
        assert_eq!(rounding_half_sum(-2, -2), -2);
        assert_eq!(rounding_half_sum(i32::MAX, i32::MAX), i32::MAX);
        assert_eq!(rounding_half_sum(0, i32::MAX), 1 << 30); // 2^30 − 0.5 → 2^30
    }

    #[test]
    fn exp_matches_known_values() {
        // Input 0 is exactly one.
        assert_eq!(exp_on_negative_values(0, 5), i32::MAX);
        // −1/4: a & mask = 0, so the Taylor part sees −1/4 and the remainder is 0 (no barrel
        // step).
        let quarter = exp_on_negative_values(-(1 << 24), 5);
        assert!((real(quarter, 0) - (-0.25f64).exp()).abs() < 3e-7, "{quarter}");
        // Q5.26 inputs: the Taylor part is good to ~2e-7 at −1/4 and the barrel multiplies by
        // exp(−2^e) for each set bit of the remainder.
        for &x in &[-1e-6, -0.1, -0.5, -1.0, -2.0, -3.7, -7.9, -15.5, -31.9] {
            let r = exp_on_negative_values(q(x, 5), 5);
            assert!((real(r, 0) - x.exp()).abs() < 3e-7, "exp({x}) = {}", real(r, 0));
        }
        // −32 (the Q5.26 minimum): every barrel step applies, exp(−32) ≈ 1.3e−14 is 0 in Q0.31.
        assert_eq!(exp_on_negative_values(i32::MIN, 5), 0);
    }

    #[test]
    fn exp_taylor_part_at_known_points() {
        // a = −1/8: x = 0, so the result is exactly the constant exp(−1/8).
        assert_eq!(exp_on_interval_between_negative_one_quarter_and_0_excl(-(1 << 28)), 1_895_147_668);
        // a = 0: x = 1/8 = 2^28. x2 = 2^25, x3 = 2^22, x4 = 2^19, x4/4 = 2^17;
        // (2^17 + 2^22)·(1/3) = 1441792 (SRDHM of 4325376 by 715827883: 1441792.0002 → 1441792);
        // + x2 = 34996224; /2 = 17498112; x + that = 285933568; ·exp(−1/8):
        // SRDHM(1895147668, 285933568) = 252335488 (252335488.14 rounded); + constant.
        assert_eq!(exp_on_interval_between_negative_one_quarter_and_0_excl(0), 1_895_147_668 + 252_335_488);
    }

    #[test]
    fn reciprocal_newton_raphson() {
        // 1/(1 + 0) ≈ 1 and 1/(1 + 1/2) ≈ 2/3 and 1/(1 + ~1) ≈ 1/2.
        let one = one_over_one_plus_x_for_x_in_0_1(0);
        assert!((real(one, 0) - 1.0).abs() < 1e-8, "{one}");
        let two_thirds = one_over_one_plus_x_for_x_in_0_1(1 << 30);
        assert!((real(two_thirds, 0) - 2.0 / 3.0).abs() < 1e-8, "{two_thirds}");
        let half = one_over_one_plus_x_for_x_in_0_1(i32::MAX);
        assert!((real(half, 0) - 0.5).abs() < 1e-8, "{half}");
        // GetReciprocal of 1.5 in Q12.19: headroom 12 (clz), shifted 1.5·2^31 − 2^31 = 2^30.
        let (r, nbo) = get_reciprocal(3 << 18, 12);
        assert_eq!((r, nbo), (two_thirds, 0));
        // 3.0 in Q12.19: clz = 11, num_bits_over_unit = 1; mantissa 1.5 again.
        assert_eq!(get_reciprocal(3 << 19, 12), (two_thirds, 1));
        assert_eq!(get_reciprocal(0, 12).1, -20);
    }

    #[test]
    fn wide_rounding_divide() {
        assert_eq!(rdbpot_any(5, 1), 3);
        assert_eq!(rdbpot_any(i32::MAX, 32), 0); // 0.49999 → 0
        assert_eq!(rdbpot_any(i32::MIN, 32), -1); // −0.5 → −1 (away from zero)
        assert_eq!(rdbpot_any(i32::MAX, 35), 0);
        assert_eq!(rdbpot_any(7, 40), 0);
    }

    #[test]
    fn softmax_scaling() {
        // β = 1, s_in = 1/16: real = 2^26/16 = 2^22 → (2^30, 23); radius = 31·2^26/2^23 = 248.
        assert_eq!(softmax_input_scaling(1.0, 1.0 / 16.0, 5), (1 << 30, 23, -248));
        // Capped at 2^31 − 1: M = 2^31 − 1, shift 31, radius floor(31/32) = 0.
        assert_eq!(softmax_input_scaling(1.0, 1e6, 5), (i32::MAX, 31, 0));
        // TFLite's abort case: real = 2^26·2^−27 = 0.5 → (2^30, 0): shift 0, radius 31·2^26.
        assert_eq!(softmax_input_scaling(1.0, 2f64.powi(-27), 5), (1 << 30, 0, -31 * (1 << 26)));
        // Smaller still: a right shift, and every difference admitted.
        assert_eq!(softmax_input_scaling(1.0, 2f64.powi(-30), 5), (1 << 30, -3, i32::MIN));
    }
}
