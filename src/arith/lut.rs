//! Lookup tables: TFLite `LUTPopulate` for int8, uint8 and int16, and the int16 `LUTLookup`.

use super::{f32_to_i32_x86, f64_to_i32_x86, round_f32, round_f64};

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
