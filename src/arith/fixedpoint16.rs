//! gemmlowp fixed point on int16 (`FixedPoint<int16_t, m>`): the products, shifts and the
//! exp/logistic/tanh of the integer LSTM and HARD_SWISH.

use super::rdbpot;

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
mod tests {
    use super::*;

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
