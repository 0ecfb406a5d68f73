//! The int16 LOGISTIC, TANH and SOFTMAX helpers of TFLite's reference kernels
//! (`sigmoid_table_uint16`, `CheckedLog2`, the softmax tables and steps).

use super::{
    LUT_INT16_SIZE, f32_to_i32_x86, f64_to_i32_x86, lut_int16_f64, lut_lookup_i16, mbqm, quantize_multiplier, round_f32,
};

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
mod tests {
    use super::*;

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
}
