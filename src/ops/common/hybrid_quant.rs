//! The dynamic-range ("hybrid") input quantization and dot products of TFLite's x86-64 build,
//! shared by the hybrid kernels of `ops::conv::hybrid` (FULLY_CONNECTED, CONV_2D,
//! DEPTHWISE_CONV_2D) and BATCH_MATMUL.
//!
//! Input quantization (`tensor_utils::BatchQuantizeFloats`), each row (batch) of `n` floats on
//! its own. **TFLite's x86-64 wheels run the NEON versions** (`optimized/neon_tensor_utils.cc`,
//! translated by NEON_2_SSE, since `neon_check.h` defines USE_NEON under SSE4.1), not the
//! portable ones, even with BUILTIN_REF; they differ from `portable_tensor_utils.cc` in the
//! rounding of the first `n & !7` elements and in the asymmetric scale (measured: the portable
//! formulas give 1-ULP differences on ~15% of asymmetric cases).
//! - symmetric (`NeonSymmetricQuantizeFloats`): `range = max(|min|, |max|)` (float32); a zero
//!   range gives all-zero values and scaling factor 1; else `sf = range / 127`,
//!   `inv = 127 / range` (float32), `q = clamp(r(x·inv), −127, 127)` with `r = trunc(y ± 0.5)`
//!   (float32 add) for the first `n & !7` elements and `roundf` for the rest; zero point 0.
//! - asymmetric (`NeonAsymmetricQuantizeFloats`): `rmin = min(0, min)`, `rmax = max(0, max)`
//!   (float32); equal gives zeros, sf 1, zp 0; else `scale = double(rmax − rmin [float32]) / 255`,
//!   the zero point from min (`−128 − rmin/scale`) or from max (`127 − rmax/scale`), whichever
//!   has the smaller `|q| + |r/scale|` error (ties: from max), clamped to [−128, 127] and rounded
//!   half away (double); `sf = float(scale)`, `inv = float(1.0 / double(sf))`;
//!   `q = clamp(trunc(x·inv ± 0.5) + zp)` for the first `n & !7` elements,
//!   `clamp(int(float(zp) + roundf(x·inv)))` for the rest.
//!
//! **SSE dot-product quirk** (FULLY_CONNECTED, per-tensor CONV_2D with OC not a multiple of 4):
//! TFLite's x86 `SseMatrixBatchVectorMultiplyAccumulateImpl` multiplies the first `n & !15`
//! values with `_mm_sign_epi8` / `_mm_maddubs_epi16`, which turns a weight of −128 times a
//! negative input into `−128·|q|` instead of `+128·|q|` ([`dot_sse`]); reproduced. The
//! converter's symmetric weights are in [−127, 127], so converted models never hit it.

use crate::arith;
use crate::error::Result;
use crate::ops::PrepareContext;

/// NEON's `RoundToNearest` as x86 builds run it (NEON_2_SSE): `trunc(x ± 0.5)` with the
/// addition in float32 (so 0.49999997 becomes 1, unlike `roundf`).
#[inline]
fn round_neon(x: f32) -> i32 {
    let half = if x < 0.0 { -0.5f32 } else { 0.5f32 };
    arith::f32_to_i32_x86(x + half)
}

/// `min(0, min(x))`, `max(0, max(x))` (`NeonMinMax`; `std::minmax_element` semantics).
fn min_max_with_zero(x: &[f32]) -> (f32, f32) {
    let (mut lo, mut hi) = (0.0f32, 0.0f32);
    for &v in x {
        if v < lo {
            lo = v;
        }
        if v > hi {
            hi = v;
        }
    }
    (lo, hi)
}

/// `SymmetricQuantizeFloats` (`NeonSymmetricQuantizeFloats`, which x86 builds run through
/// NEON_2_SSE): quantizes `x` into `q`, returns the scaling factor. Elements before
/// `len & !7` are rounded with [`round_neon`], the rest with `roundf`.
pub(crate) fn symmetric_quantize(x: &[f32], q: &mut [i8]) -> f32 {
    let (mut lo, mut hi) = match x.first() {
        Some(&v) => (v, v),
        None => (0.0, 0.0),
    };
    for &v in x.iter().skip(1) {
        if v < lo {
            lo = v;
        }
        if v >= hi || v.is_nan() || hi.is_nan() {
            hi = v;
        }
    }
    let range = if lo.abs() < hi.abs() { hi.abs() } else { lo.abs() };
    if range == 0.0 {
        q.fill(0);
        return 1.0;
    }
    let inv = 127.0f32 / range;
    let vec_end = x.len() & !7;
    for (i, (d, &v)) in q.iter_mut().zip(x).enumerate() {
        let m = v * inv;
        let r = if i < vec_end { round_neon(m) } else { arith::f32_to_i32_x86(arith::round_f32(m)) };
        *d = r.clamp(-127, 127) as i8;
    }
    range / 127.0
}

/// `AsymmetricQuantizeFloats` (`NeonAsymmetricQuantizeFloats` through NEON_2_SSE): quantizes
/// `x` into `q`, returns (scaling factor, zero point). `rmax − rmin` is a float32 subtraction
/// before the double division; elements before `len & !7` are `round_neon(x·inv) + zp`, the
/// rest `int(float(zp) + roundf(x·inv))`.
pub(crate) fn asymmetric_quantize(x: &[f32], q: &mut [i8]) -> (f32, i32) {
    let (lo, hi) = min_max_with_zero(x);
    if lo == hi {
        q.fill(0);
        return (1.0, 0);
    }
    let (rmin, rmax) = (lo as f64, hi as f64);
    let (qmin, qmax) = (-128.0f64, 127.0f64);
    let scale = (hi - lo) as f64 / (qmax - qmin);
    let zp_from_min = qmin - rmin / scale;
    let zp_from_max = qmax - rmax / scale;
    let err_min = qmin.abs() + (rmin / scale).abs();
    let err_max = qmax.abs() + (rmax / scale).abs();
    let zp_double = if err_min < err_max { zp_from_min } else { zp_from_max };
    let zp: i32 = if zp_double <= qmin {
        -128
    } else if zp_double >= qmax {
        127
    } else {
        arith::round_f64(zp_double) as i32
    };
    let sf = scale as f32;
    let inv = if sf == 0.0 { 0.0 } else { (1.0f64 / sf as f64) as f32 };
    let zpf = zp as f32;
    let vec_end = x.len() & !7;
    for (i, (d, &v)) in q.iter_mut().zip(x).enumerate() {
        let m = v * inv;
        let r =
            if i < vec_end { round_neon(m).wrapping_add(zp) } else { arith::f32_to_i32_x86(zpf + arith::round_f32(m)) };
        *d = r.clamp(-128, 127) as i8;
    }
    (sf, zp)
}

/// Quantizes `rows` rows of `n` floats: scaling factors into `sf`, zero points into `zp` (0 when
/// symmetric).
pub(crate) fn quantize_rows(x: &[f32], n: usize, q: &mut [i8], sf: &mut [f32], zp: &mut [i32], asymmetric: bool) {
    if n == 0 {
        sf.fill(1.0);
        zp.fill(0);
        return;
    }
    for (((xr, qr), s), z) in x.chunks_exact(n).zip(q.chunks_exact_mut(n)).zip(sf.iter_mut()).zip(zp.iter_mut()) {
        if asymmetric {
            (*s, *z) = asymmetric_quantize(xr, qr);
        } else {
            *s = symmetric_quantize(xr, qr);
            *z = 0;
        }
    }
}

/// `Σ v` of each row of `n` int8 values (`ReductionSumVector`).
pub(crate) fn row_sums(w: &[i8], n: usize, out: &mut [i32]) {
    if n == 0 {
        out.fill(0);
        return;
    }
    for (s, row) in out.iter_mut().zip(w.chunks_exact(n)) {
        *s = row.iter().fold(0i32, |a, &v| a.wrapping_add(v as i32));
    }
}

/// The filter scales of a hybrid operator: `Some(per-channel scales)` when TFLite treats the
/// filter as per-channel (more than one scale), else `None` and the per-tensor scale.
pub(crate) fn filter_scales(ctx: &PrepareContext<'_, '_>, k: usize) -> Result<(Option<Vec<f32>>, f32)> {
    let q = ctx.input_quant(k)?;
    let Some(&s0) = q.scale.first() else { return Err(ctx.err("the int8 weights have no scale")) };
    if q.scale.len() > 1 { Ok((Some(q.scale.clone()), s0)) } else { Ok((None, s0)) }
}

/// `Σ a·b` in wrapping int32.
#[inline]
pub(crate) fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    a.iter().zip(b).fold(0i32, |acc, (&x, &y)| acc.wrapping_add(x as i32 * y as i32))
}

/// `Σ w·q` as TFLite's x86 `SseMatrixBatchVectorMultiplyAccumulateImpl` computes it: the first
/// `n & !15` elements go through `DotProdInt8x4x4`, which moves the sign of `q` onto `w` with
/// `_mm_sign_epi8` and multiplies with `_mm_maddubs_epi16(|q|, ±w)`; negating `w = −128`
/// wraps to −128, so a pair (w = −128, q < 0) contributes `−128·|q|` instead of `+128·|q|`.
/// The remaining elements are exact.
#[inline]
pub(crate) fn dot_sse(w: &[i8], q: &[i8]) -> i32 {
    let n16 = w.len().min(q.len()) & !15;
    let head = w[..n16].iter().zip(&q[..n16]).fold(0i32, |acc, (&wv, &qv)| {
        let p = wv as i32 * qv as i32;
        acc.wrapping_add(if wv == -128 && qv < 0 { -p } else { p })
    });
    head.wrapping_add(dot_i8(&w[n16..], &q[n16..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symmetric_rounds_half_away_and_uses_max_abs() {
        // range 2.54 → inv = 127/2.54 = 50; 0.01·50 = 0.5 → 1; −0.03·50 = −1.5 → −2.
        let x = [2.54f32, -0.01, 0.01, -0.03];
        let mut q = [0i8; 4];
        let sf = symmetric_quantize(&x, &mut q);
        assert_eq!(sf, 2.54f32 / 127.0);
        let inv = 127.0f32 / 2.54;
        assert_eq!(q[0], 127);
        assert_eq!(q[1], arith::round_f32(-0.01 * inv) as i8);
        assert_eq!(q[3], arith::round_f32(-0.03 * inv) as i8);
        let mut z = [5i8; 3];
        assert_eq!(symmetric_quantize(&[0.0, -0.0, 0.0], &mut z), 1.0);
        assert_eq!(z, [0, 0, 0]);
    }

    #[test]
    fn neon_rounding_of_the_first_multiple_of_8() {
        // 0.5 − 2⁻²⁵ + 0.5 rounds to 1.0 in float32, so the vector part gives 1 where roundf
        // (the tail, element 8) gives 0; −2.5 → −3 both ways.
        let h = 0.5f32 - f32::EPSILON / 4.0;
        assert_eq!(round_neon(h), 1);
        assert_eq!(arith::round_f32(h), 0.0);
        assert_eq!(round_neon(-2.5), -3);
        let x = [127.0, h, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, h];
        let mut q = [0i8; 9];
        assert_eq!(symmetric_quantize(&x, &mut q), 1.0);
        assert_eq!(q, [127, 1, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn sse_dot_negates_minus_128_times_negative_in_the_first_16() {
        let w = [-128i8; 17];
        let q = [-1i8; 17];
        // 16 pairs give −128 each (instead of +128), the 17th is exact: −2048 + 128.
        assert_eq!(dot_sse(&w, &q), -1920);
        assert_eq!(dot_i8(&w, &q), 17 * 128);
        // Positive inputs and other weights are exact.
        let q = [1i8; 17];
        assert_eq!(dot_sse(&w, &q), -17 * 128);
        let w = [-127i8; 17];
        assert_eq!(dot_sse(&w, &[-1i8; 17]), 17 * 127);
    }

    #[test]
    fn asymmetric_zero_point_from_min_or_max() {
        // [0, 2.55]: rmin 0, rmax 2.55, scale 0.01; errors: 128 + 0 < 127 + 255 → zp from min
        // = −128; 2.55/0.01 = 255 → −128 + 255 = 127.
        let mut q = [0i8; 2];
        let (sf, zp) = asymmetric_quantize(&[0.0, 2.55], &mut q);
        assert_eq!(zp, -128);
        assert_eq!(sf, ((2.55f32 as f64) / 255.0) as f32);
        assert_eq!(q, [-128, 127]);
        // [−1, 1]: scale 2/255; from min: −128 + 127.5 = −0.5, error 128 + 127.5;
        // from max: 127 − 127.5 = −0.5, error 127 + 127.5 (smaller) → round(−0.5) = −1.
        // inv = float(1/double(sf)) = 127.49999 (sf = float(2/255) rounds up), so
        // 1·inv rounds to 127 and −1 + 127 = 126.
        let (sf, zp) = asymmetric_quantize(&[-1.0, 1.0], &mut q);
        assert_eq!(zp, -1);
        assert!(1.0 / sf < 127.5);
        assert_eq!(q, [-128, 126]);
        // All positive equal values: rmin = 0 ≠ rmax.
        let (_, zp) = asymmetric_quantize(&[3.0, 3.0], &mut q);
        assert_eq!((zp, q), (-128, [127, 127]));
        // All zero: sf 1, zp 0.
        assert_eq!(asymmetric_quantize(&[0.0, 0.0], &mut q), (1.0, 0));
    }
}
