//! gemmlowp fixed point on int32 (`SaturatingRoundingDoublingHighMul`, `RoundingDivideByPOT`) and
//! the other integer divisions by powers of two that round half away from zero.

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

/// The rounded average of integer pooling (`reference_integer_ops::AveragePool`):
/// `sum > 0 ? (sum + n/2)/n : (sum − n/2)/n` with truncating division, i.e. sum/n rounded half
/// away from zero. `count` must be > 0.
#[inline]
pub fn rounded_average(sum: i64, count: i64) -> i64 {
    if sum > 0 { (sum + count / 2) / count } else { (sum - count / 2) / count }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arith::{rdbpot16, srdhm16};

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
}
