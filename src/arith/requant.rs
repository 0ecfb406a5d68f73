//! Float-side (re)quantization of TFLite's reference kernels: `AffineQuantize`, dequantization, the
//! float requantization of FULLY_CONNECTED and the rescaling of CONCATENATION.

use super::{f32_to_i32_x86, f64_to_i32_x86, round_f32, round_f64};

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
mod tests {
    use super::*;

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
    fn requantize_f64_rounds_half_away() {
        // 22 · 0.25 = 5.5 → 6; −22 · 0.25 = −5.5 → −6; + zp.
        assert_eq!(requantize_f64(22, 0.25, 1), 7);
        assert_eq!(requantize_f64(-22, 0.25, 1), -5);
        assert_eq!(requantize_f64(21, 0.25, 0), 5);
        // Out of the int32 range: INT32_MIN, then the zero point wraps.
        assert_eq!(requantize_f64(1 << 40, 1.0, 0), i32::MIN);
        assert_eq!(requantize_f64(1 << 40, 1.0, -1), i32::MAX);
    }
}
