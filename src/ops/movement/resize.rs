//! RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR: resize the two spatial axes of an NHWC tensor
//! to the constant int32 size `[new_h, new_w]` (input 1). Output `[N, new_h, new_w, C]`.
//!
//! The geometry is computed per axis (in = input size, out = output size, o = output index),
//! exactly as TFLite's reference kernels do (`reference/resize_bilinear.h`,
//! `reference/resize_nearest_neighbor.h`, and `kernels/resize_*.cc`, whose kReference path calls
//! `ResizeBilinearInteger` for int8/int16 and the float template for float32):
//!
//! **Bilinear, int8 / int16** (10-bit fixed point, int32 positions, int64 sums):
//! - `s = (1024·in + out/2) / out`, or with `align_corners` and out > 1
//!   `s = (1024·(in−1) + (out−1)/2) / (out−1)` (truncating divisions);
//! - `p = o·s`, or with `half_pixel_centers` `p = o·s + s/2 − 512`;
//! - `lo = max(p / 1024, 0)`, `hi = min((p + 1023) / 1024, in − 1)` (C division, toward zero);
//!   `f = p − 1024·lo` (may be negative near the start with half-pixel centers);
//! - `acc = q[lo_y,lo_x]·(1024−f_y)(1024−f_x) + q[hi_y,lo_x]·f_y(1024−f_x)
//!   + q[lo_y,hi_x]·(1024−f_y)f_x + q[hi_y,hi_x]·f_y·f_x` on the raw quantized values;
//! - `out = (acc ± 2¹⁹) / 2²⁰` (sign of acc, `acc = 0` uses −, truncating), i.e. half away from
//!   zero ([`arith::div_pot_round_half_away_i64`]).
//!
//! No zero point or scale enters: the kernel interpolates raw values and TFLite does not check
//! that input and output share quantization parameters (the converter gives them the same), so
//! neither do we.
//!
//! **Bilinear, float32 and uint8** (TFLite's float template, also used for legacy uint8):
//! `s = float(in)/float(out)` (align: `float(in−1)/float(out−1)`), in
//! float32; `v = o·s` or `(o + 0.5)·s − 0.5`; `lo = max((int)floor(v), 0)`,
//! `hi = min((int)ceil(v), in−1)`; with `dy = v − lo`, `dx` likewise:
//! `out = x00·(1−dy)·(1−dx) + x10·dy·(1−dx) + x01·(1−dy)·dx + x11·dy·dx + 0.0`, every operation in
//! float32, left to right, unfused (the final `+ 0.0` is TFLite's `rounding_offset`; it turns −0
//! into +0). uint8 is interpolated the same way on the raw values converted to float32, with
//! `+ 0.5` instead of `+ 0.0`, and truncated back to uint8.
//!
//! **Nearest neighbor** (any of float32, int8, uint8, int16; values are copied): `s` as for float
//! bilinear; `v = (float(o) + (half_pixel_centers ? 0.5 : 0))·s`; index =
//! `min(align_corners ? (int)roundf(v) : (int)floorf(v), in − 1)`, then `max(·, 0)` with half-pixel
//! centers. Both flags may be set at once for nearest neighbor (TFLite accepts it).
//!
//! TFLite quirk reproduced: the bilinear `lo` index is never clamped to `in − 1`. For a few
//! geometries without `align_corners` / `half_pixel_centers` (a large upscale of a small axis,
//! e.g. 1 → 62, where `(out−1)·s ≥ 1024·in`) TFLite addresses row `in` (or column `in`) through
//! its flat `((b·H + y)·W + x)·C + c` offset, i.e. it reads the next row / next batch. qlite uses
//! the same flat offsets, so those outputs are identical; where the offset falls past the end of
//! the input tensor TFLite reads whatever memory follows it (undefined), and qlite reads 0.
//!
//! Rejected (TFLite errors too): input not 4-D, size not a constant int32 `[2]`, sizes ≤ 0
//! (bilinear) or < 0 (nearest), both `align_corners` and `half_pixel_centers` for bilinear.
//! Also rejected: an empty spatial input axis (TFLite would read outside the tensor) and sizes
//! whose int32 position arithmetic would overflow in TFLite (undefined behaviour there), and, as a
//! plain limit, spatial axes longer than 2²⁰.

use crate::arith;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::ops::Scratch;
use crate::ops::{Inputs, Kernel, Outputs, PrepareContext};
use crate::tflite;

/// The validated geometry shared by both operators.
struct Geometry {
    batches: usize,
    in_h: usize,
    in_w: usize,
    depth: usize,
    out_h: usize,
    out_w: usize,
}

fn geometry(ctx: &mut PrepareContext<'_, '_>, min_size: i32) -> Result<Geometry> {
    ctx.expect_io(2..=2, 1)?;
    let in_shape = ctx.input_shape(0)?.to_vec();
    if in_shape.len() != 4 {
        return Err(ctx.err(format!("input must be 4-D, got shape {in_shape:?}")));
    }
    if ctx.input_dtype(1)? != DType::Int32 || ctx.input_shape(1)? != [2] {
        return Err(ctx.err(format!(
            "size must be an int32 tensor of shape [2], got {} {:?}",
            ctx.input_dtype(1)?,
            ctx.input_shape(1)?
        )));
    }
    let size = ctx.const_input::<i32>(1)?;
    let (Some(&h), Some(&w)) = (size.first(), size.get(1)) else {
        return Err(ctx.err("the size input has fewer than 2 values"));
    };
    if h < min_size || w < min_size {
        return Err(ctx.err(format!("invalid output size [{h}, {w}]")));
    }
    if ctx.input_dtype(0)? != ctx.output_dtype(0)? {
        return Err(ctx.err("input and output types differ"));
    }
    let g = Geometry {
        batches: in_shape[0],
        in_h: in_shape[1],
        in_w: in_shape[2],
        depth: in_shape[3],
        out_h: h as usize,
        out_w: w as usize,
    };
    if (g.in_h == 0 || g.in_w == 0) && !is_empty(&g) {
        return Err(ctx.err(format!("cannot resize the empty input {in_shape:?}")));
    }
    for d in [g.in_h, g.in_w, g.out_h, g.out_w] {
        if d > (1 << 20) {
            return Err(ctx.err(format!("spatial size {d} is too large")));
        }
    }
    ctx.set_output_shape(0, vec![g.batches, g.out_h, g.out_w, g.depth])?;
    Ok(g)
}

/// Writes nothing: the output has no elements.
struct Empty;

impl Kernel for Empty {
    fn eval(&self, _: &Inputs<'_>, _: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        Ok(())
    }
}

/// Whether the output has no elements (a zero dimension; the others may be huge).
fn is_empty(g: &Geometry) -> bool {
    [g.batches, g.depth, g.out_h, g.out_w].contains(&0)
}

/// Charges the per-row and per-column tables of `T` (sized from the output's spatial size).
fn charge_tables<T>(ctx: &PrepareContext<'_, '_>, g: &Geometry) -> Result<()> {
    ctx.charge(g.out_h.saturating_add(g.out_w).saturating_mul(std::mem::size_of::<T>()), "resize tables")
}

// ---------------------------------------------------------------------------------------------
// Bilinear, integer

/// One output position on one axis: element offsets of the two source lines and their weights
/// (in 1/1024).
#[derive(Debug, Clone, Copy, PartialEq)]
struct IntTap {
    lo: usize,
    hi: usize,
    w_lo: i64,
    w_hi: i64,
}

/// The integer taps of one axis; `stride` is the element distance between two lines of it.
fn int_taps(
    in_size: usize,
    out_size: usize,
    align_corners: bool,
    half_pixel: bool,
    stride: usize,
) -> Option<Vec<IntTap>> {
    let (i, o) = (in_size as i64, out_size as i64);
    let s = if align_corners && o > 1 { (1024 * (i - 1) + (o - 1) / 2) / (o - 1) } else { (1024 * i + o / 2) / o };
    let fits = |v: i64| i32::try_from(v).is_ok();
    if !fits(1024 * i + o / 2) || !fits(s) {
        return None;
    }
    (0..o)
        .map(|k| {
            let p = if half_pixel { k * s + s / 2 - 512 } else { k * s };
            if !fits(p) || !fits(p + 1023) {
                return None;
            }
            let lo = (p / 1024).max(0);
            let hi = ((p + 1023) / 1024).min(i - 1);
            let f = p - 1024 * lo;
            Some(IntTap { lo: lo as usize * stride, hi: hi.max(0) as usize * stride, w_lo: 1024 - f, w_hi: f })
        })
        .collect()
}

/// An integer element type of the integer bilinear kernel.
trait IntElem: crate::ops::Element + Copy {
    fn widen(self) -> i64;
    /// C's `static_cast<T>` from an in-range value.
    fn narrow(v: i64) -> Self;
}

impl IntElem for i8 {
    fn widen(self) -> i64 {
        self as i64
    }
    fn narrow(v: i64) -> Self {
        v as i8
    }
}

impl IntElem for i16 {
    fn widen(self) -> i64 {
        self as i64
    }
    fn narrow(v: i64) -> Self {
        v as i16
    }
}

struct BilinearInt<T> {
    batches: usize,
    depth: usize,
    batch_stride: usize,
    rows: Vec<IntTap>,
    cols: Vec<IntTap>,
    _t: std::marker::PhantomData<T>,
}

impl<T: IntElem> Kernel for BilinearInt<T> {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let x = inputs.get::<T>(0)?;
        let out = outputs.get::<T>(0)?;
        // TFLite's flat addressing; a read past the end of the input gives 0 (see module doc).
        let at = |i: usize| x.get(i).map_or(0, |v| v.widen());
        let mut pixels = out.chunks_exact_mut(self.depth);
        for b in 0..self.batches {
            let base = b * self.batch_stride;
            for r in &self.rows {
                for c in &self.cols {
                    let Some(px) = pixels.next() else { return Ok(()) };
                    let (i00, i10) = (base + r.lo + c.lo, base + r.hi + c.lo);
                    let (i01, i11) = (base + r.lo + c.hi, base + r.hi + c.hi);
                    for (ch, o) in px.iter_mut().enumerate() {
                        let acc = at(i00 + ch) * r.w_lo * c.w_lo
                            + at(i10 + ch) * r.w_hi * c.w_lo
                            + at(i01 + ch) * r.w_lo * c.w_hi
                            + at(i11 + ch) * r.w_hi * c.w_hi;
                        *o = T::narrow(arith::div_pot_round_half_away_i64(acc, 20));
                    }
                }
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Bilinear, float

/// One output position on one axis (float kernel): line offsets and `1 − d`, `d`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct FloatTap {
    lo: usize,
    hi: usize,
    w_lo: f32,
    w_hi: f32,
}

/// TFLite's float scale of one axis (shared with nearest neighbor).
fn float_scale(in_size: usize, out_size: usize, align_corners: bool) -> f32 {
    if align_corners && out_size > 1 {
        (in_size as i32 - 1) as f32 / (out_size as i32 - 1) as f32
    } else {
        in_size as i32 as f32 / out_size as i32 as f32
    }
}

fn float_taps(in_size: usize, out_size: usize, align_corners: bool, half_pixel: bool, stride: usize) -> Vec<FloatTap> {
    let s = float_scale(in_size, out_size, align_corners);
    let last = in_size as i32 - 1;
    (0..out_size)
        .map(|k| {
            let v = if half_pixel { (k as f32 + 0.5) * s - 0.5 } else { k as f32 * s };
            let lo = (v.floor() as i32).max(0);
            let hi = (v.ceil() as i32).min(last);
            let d = v - lo as f32;
            FloatTap { lo: lo as usize * stride, hi: hi.max(0) as usize * stride, w_lo: 1.0 - d, w_hi: d }
        })
        .collect()
}

/// An element type that TFLite's float bilinear template (`reference_ops::ResizeBilinear<T>`)
/// interpolates: float32, and uint8 (interpolated in float32, `+ 0.5`, then truncated).
trait FloatLerp: crate::ops::Element {
    /// TFLite's `rounding_offset`: 0.5 for integer types, 0 for float.
    const ROUNDING_OFFSET: f32;
    fn to_f32(self) -> f32;
    /// `static_cast<T>` of the interpolated value.
    fn from_f32(v: f32) -> Self;
}

impl FloatLerp for f32 {
    const ROUNDING_OFFSET: f32 = 0.0;
    fn to_f32(self) -> f32 {
        self
    }
    fn from_f32(v: f32) -> Self {
        v
    }
}

impl FloatLerp for u8 {
    const ROUNDING_OFFSET: f32 = 0.5;
    fn to_f32(self) -> f32 {
        f32::from(self)
    }
    fn from_f32(v: f32) -> Self {
        // v is in [0.5, 255.5]: truncation, as static_cast<uint8_t> does
        v as u8
    }
}

struct BilinearFloat<T> {
    batches: usize,
    depth: usize,
    batch_stride: usize,
    rows: Vec<FloatTap>,
    cols: Vec<FloatTap>,
    _t: std::marker::PhantomData<T>,
}

impl<T: FloatLerp> Kernel for BilinearFloat<T> {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let x = inputs.get::<T>(0)?;
        let out = outputs.get::<T>(0)?;
        let at = |i: usize| x.get(i).map_or(0.0, |v| v.to_f32());
        let mut pixels = out.chunks_exact_mut(self.depth);
        for b in 0..self.batches {
            let base = b * self.batch_stride;
            for r in &self.rows {
                for c in &self.cols {
                    let Some(px) = pixels.next() else { return Ok(()) };
                    let (i00, i10) = (base + r.lo + c.lo, base + r.hi + c.lo);
                    let (i01, i11) = (base + r.lo + c.hi, base + r.hi + c.hi);
                    for (ch, o) in px.iter_mut().enumerate() {
                        *o = T::from_f32(
                            at(i00 + ch) * r.w_lo * c.w_lo
                                + at(i10 + ch) * r.w_hi * c.w_lo
                                + at(i01 + ch) * r.w_lo * c.w_hi
                                + at(i11 + ch) * r.w_hi * c.w_hi
                                + T::ROUNDING_OFFSET,
                        );
                    }
                }
            }
        }
        Ok(())
    }
}

/// Prepares RESIZE_BILINEAR (float32, uint8, int8, int16).
pub fn prepare_bilinear<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    let opts = ctx.options::<tflite::ResizeBilinearOptions>();
    let align = opts.is_some_and(|o| o.align_corners());
    let half = opts.is_some_and(|o| o.half_pixel_centers());
    if align && half {
        return Err(ctx.refused_by_tflite("if half_pixel_centers is true, align_corners must be false"));
    }
    let g = geometry(ctx, 1)?;
    if is_empty(&g) {
        return Ok(Box::new(Empty));
    }
    let (row_stride, col_stride) = (g.in_w * g.depth, g.depth);
    let batch_stride = g.in_h * row_stride;
    let dt = ctx.input_dtype(0)?;
    match dt {
        DType::Float32 | DType::UInt8 => {
            charge_tables::<FloatTap>(ctx, &g)?;
            let rows = float_taps(g.in_h, g.out_h, align, half, row_stride);
            let cols = float_taps(g.in_w, g.out_w, align, half, col_stride);
            let (batches, depth) = (g.batches, g.depth);
            Ok(if dt == DType::Float32 {
                Box::new(BilinearFloat::<f32> { batches, depth, batch_stride, rows, cols, _t: Default::default() })
            } else {
                Box::new(BilinearFloat::<u8> { batches, depth, batch_stride, rows, cols, _t: Default::default() })
            })
        }
        DType::Int8 | DType::Int16 => {
            charge_tables::<IntTap>(ctx, &g)?;
            let too_big = || ctx.unsupported("the output size overflows TFLite's int32 position arithmetic");
            let rows = int_taps(g.in_h, g.out_h, align, half, row_stride).ok_or_else(too_big)?;
            let cols = int_taps(g.in_w, g.out_w, align, half, col_stride).ok_or_else(too_big)?;
            let (batches, depth) = (g.batches, g.depth);
            Ok(if dt == DType::Int8 {
                Box::new(BilinearInt::<i8> { batches, depth, batch_stride, rows, cols, _t: std::marker::PhantomData })
            } else {
                Box::new(BilinearInt::<i16> { batches, depth, batch_stride, rows, cols, _t: std::marker::PhantomData })
            })
        }
        _ => Err(ctx.unsupported(format!("unsupported type {dt}"))),
    }
}

// ---------------------------------------------------------------------------------------------
// Nearest neighbor

/// TFLite's `GetNearestNeighbor`: the source index of output index `k` on one axis.
fn nearest_index(k: usize, in_size: usize, out_size: usize, align_corners: bool, half_pixel: bool) -> usize {
    let s = float_scale(in_size, out_size, align_corners);
    let offset = if half_pixel { 0.5f32 } else { 0.0 };
    let v = (k as i32 as f32 + offset) * s;
    let r = if align_corners { arith::round_f32(v) as i32 } else { v.floor() as i32 };
    let mut i = r.min(in_size as i32 - 1);
    if half_pixel {
        i = i.max(0);
    }
    i.max(0) as usize
}

struct Nearest {
    batches: usize,
    /// Bytes of one pixel (depth × element size).
    pixel: usize,
    batch_stride: usize,
    /// Byte offsets of the source rows / columns.
    rows: Vec<usize>,
    cols: Vec<usize>,
}

impl Kernel for Nearest {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let x = inputs.bytes(0);
        let out = outputs.bytes(0);
        let mut pixels = out.chunks_exact_mut(self.pixel);
        for b in 0..self.batches {
            let base = b * self.batch_stride;
            for &r in &self.rows {
                for &c in &self.cols {
                    let Some(px) = pixels.next() else { return Ok(()) };
                    let start = base + r + c;
                    let src = x
                        .get(start..start + self.pixel)
                        .ok_or_else(|| Error::Internal("RESIZE_NEAREST_NEIGHBOR: input buffer too small".into()))?;
                    px.copy_from_slice(src);
                }
            }
        }
        Ok(())
    }
}

/// Prepares RESIZE_NEAREST_NEIGHBOR (float32, int8, uint8, int16).
pub fn prepare_nearest<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    let opts = ctx.options::<tflite::ResizeNearestNeighborOptions>();
    let align = opts.is_some_and(|o| o.align_corners());
    let half = opts.is_some_and(|o| o.half_pixel_centers());
    let g = geometry(ctx, 0)?;
    let dt = ctx.input_dtype(0)?;
    let elem = match dt {
        DType::Float32 => 4,
        DType::Int8 | DType::UInt8 => 1,
        DType::Int16 => 2,
        _ => return Err(ctx.unsupported(format!("unsupported type {dt}"))),
    };
    if is_empty(&g) {
        return Ok(Box::new(Empty));
    }
    let pixel = g.depth * elem;
    let row_stride = g.in_w * pixel;
    charge_tables::<usize>(ctx, &g)?;
    Ok(Box::new(Nearest {
        batches: g.batches,
        pixel,
        batch_stride: g.in_h * row_stride,
        rows: (0..g.out_h).map(|k| nearest_index(k, g.in_h, g.out_h, align, half) * row_stride).collect(),
        cols: (0..g.out_w).map(|k| nearest_index(k, g.in_w, g.out_w, align, half) * pixel).collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run<T: crate::ops::Element>(k: &mut dyn Kernel, x: &[T], n_out: usize) -> Vec<T> {
        let out = crate::ops::run_kernel(k, &[bytemuck::cast_slice(x)], &[n_out * std::mem::size_of::<T>()]).unwrap();
        bytemuck::pod_collect_to_vec(&out[0])
    }

    fn int8(g: (usize, usize, usize), out: (usize, usize), align: bool, half: bool) -> BilinearInt<i8> {
        let (h, w, d) = g;
        BilinearInt {
            batches: 1,
            depth: d,
            batch_stride: h * w * d,
            rows: int_taps(h, out.0, align, half, w * d).unwrap(),
            cols: int_taps(w, out.1, align, half, d).unwrap(),
            _t: std::marker::PhantomData,
        }
    }

    #[test]
    fn int_taps_match_hand_computation() {
        // 2 → 4, plain: s = (2048 + 2)/4 = 512; p = 0, 512, 1024, 1536.
        let t = int_taps(2, 4, false, false, 1).unwrap();
        let want = [(0, 0, 1024, 0), (0, 1, 512, 512), (1, 1, 1024, 0), (1, 1, 512, 512)];
        for (t, w) in t.iter().zip(want) {
            assert_eq!((t.lo, t.hi, t.w_lo, t.w_hi), w);
        }
        // Half-pixel: p = k·512 + 256 − 512 = −256, 256, 768, 1280: the first tap has a negative
        // fraction on a single line (lo = hi = 0), the weights still sum to 1024.
        let t = int_taps(2, 4, false, true, 1).unwrap();
        let want = [(0, 0, 1280, -256), (0, 1, 768, 256), (0, 1, 256, 768), (1, 1, 768, 256)];
        for (t, w) in t.iter().zip(want) {
            assert_eq!((t.lo, t.hi, t.w_lo, t.w_hi), w);
        }
        // Align corners 5 → 7: s = (4096 + 3)/6 = 683; p = 6·683 = 4098 → lo 4, hi min(5, 4).
        let t = int_taps(5, 7, true, false, 3).unwrap();
        assert_eq!(t[6], IntTap { lo: 12, hi: 12, w_lo: 1022, w_hi: 2 });
        // 1 → 62 plain: s = (1024 + 31)/62 = 17, p(61) = 1037: lo is row 1 (not clamped).
        let t = int_taps(1, 62, false, false, 10).unwrap();
        assert_eq!(t[61], IntTap { lo: 10, hi: 0, w_lo: 1011, w_hi: 13 });
    }

    #[test]
    fn int8_rounds_half_away_from_zero() {
        // 1×2 → 1×4 plain: column taps (0,0,1024,0), (0,1,512,512), (1,1,..), (1,1,512,512).
        let mut k = int8((1, 2, 1), (1, 4), false, false);
        // Midpoint of 1 and 2 is 1.5 → 2; of −1 and −2 is −1.5 → −2.
        assert_eq!(run::<i8>(&mut k, &[1, 2], 4), vec![1, 2, 2, 2]);
        assert_eq!(run::<i8>(&mut k, &[-1, -2], 4), vec![-1, -2, -2, -2]);
        // Extremes; their midpoint is (−128·512 + 127·512)·1024 = −2¹⁹, i.e. −0.5 → −1.
        assert_eq!(run::<i8>(&mut k, &[-128, 127], 4), vec![-128, -1, 127, 127]);
        let mut k = int8((1, 2, 1), (1, 3), true, false);
        // align 2 → 3: s = (1024 + 1)/2 = 512; taps at 0, 512, 1024.
        assert_eq!(run::<i8>(&mut k, &[-128, 127], 3), vec![-128, -1, 127]);
    }

    #[test]
    fn int8_half_pixel_two_by_two() {
        // 2×2 → 4×4 half-pixel, one channel: rows and cols use taps
        // (0,0,1280,−256), (0,1,768,256), (0,1,256,768), (1,1,768,256).
        let mut k = int8((2, 2, 1), (4, 4), false, true);
        let out = run::<i8>(&mut k, &[0, 100, 20, -40], 16);
        // Row 1, col 1: weights (768·768, 768·256, 256·768, 256·256)/2²⁰ on (0, 100, 20, −40):
        // (100·196608 + 20·196608 − 40·65536)/1048576 = 20.0 → 20.
        assert_eq!(out[5], 20);
        // Corners reproduce the input.
        assert_eq!((out[0], out[3], out[12], out[15]), (0, 100, 20, -40));
        // Row 0, col 1: 0·768 + 100·256 over the first row → 25.
        assert_eq!(out[1], 25);
        // Row 1, col 3: row weights 768/256 on (100, −40) → 65.
        assert_eq!(out[7], 65);
    }

    #[test]
    fn int8_reads_past_a_row_like_tflite() {
        // 2 batches of 1×1 → 1×62: column 61 addresses x = 1, i.e. the next batch's pixel.
        let cols = int_taps(1, 62, false, false, 1).unwrap();
        let mut k = BilinearInt::<i8> {
            batches: 2,
            depth: 1,
            batch_stride: 1,
            rows: int_taps(1, 1, false, false, 1).unwrap(),
            cols,
            _t: std::marker::PhantomData,
        };
        let out = run::<i8>(&mut k, &[10, 100], 124);
        // Batch 0, x = 61: (100·1011 + 10·13)/1024 = 98.86 → 99. Batch 1 reads past the end: 0.
        assert_eq!(out[61], 99);
        assert_eq!(out[62 + 61], ((100 * 13 + 512) / 1024) as i8);
    }

    #[test]
    fn float_bilinear_matches_formula() {
        let rows = float_taps(1, 1, false, false, 3);
        let cols = float_taps(3, 5, false, true, 1);
        // s = 0.6; v = (k + 0.5)·0.6 − 0.5 = −0.2, 0.4, 1.0, 1.6, 2.2.
        assert_eq!((cols[0].lo, cols[0].hi), (0, 0));
        assert!(cols[0].w_hi < 0.0);
        assert_eq!((cols[1].lo, cols[1].hi), (0, 1));
        assert_eq!((cols[4].lo, cols[4].hi), (2, 2));
        let mut k = BilinearFloat::<f32> { batches: 1, depth: 1, batch_stride: 3, rows, cols, _t: Default::default() };
        let out = run::<f32>(&mut k, &[1.0, 2.0, 4.0], 5);
        let v1 = (1.0f32 + 0.5) * (3.0f32 / 5.0) - 0.5;
        let d = v1 - 0.0;
        assert_eq!(out[1], 1.0 * 1.0 * (1.0 - d) + 1.0 * 0.0 * (1.0 - d) + 2.0 * 1.0 * d + 2.0 * 0.0 * d);
        // −0 becomes +0.
        let mut k = BilinearFloat::<f32> {
            batches: 1,
            depth: 1,
            batch_stride: 1,
            rows: float_taps(1, 1, false, false, 1),
            cols: float_taps(1, 1, false, false, 1),
            _t: Default::default(),
        };
        assert!(run::<f32>(&mut k, &[-0.0], 1)[0].is_sign_positive());
    }

    #[test]
    fn uint8_bilinear_adds_half_and_truncates() {
        // 1×2 → 1×4 plain: s = 0.5, v = 0, 0.5, 1, 1.5 (hi clamped to 1).
        let mut k = BilinearFloat::<u8> {
            batches: 1,
            depth: 1,
            batch_stride: 2,
            rows: float_taps(1, 1, false, false, 2),
            cols: float_taps(2, 4, false, false, 1),
            _t: Default::default(),
        };
        // 10·0.5 + 13·0.5 + 0.5 = 12 (11.5 rounds up); 255 stays 255 (255.5 truncates).
        assert_eq!(run::<u8>(&mut k, &[10, 13], 4), vec![10, 12, 13, 13]);
        assert_eq!(run::<u8>(&mut k, &[0, 255], 4), vec![0, 128, 255, 255]);
    }

    #[test]
    fn nearest_indices() {
        // 3 → 5 plain: floor(k·0.6) = 0, 0, 1, 1, 2.
        let v: Vec<usize> = (0..5).map(|k| nearest_index(k, 3, 5, false, false)).collect();
        assert_eq!(v, [0, 0, 1, 1, 2]);
        // Half-pixel: floor((k + 0.5)·0.6) = 0, 0, 1, 2, 2.
        let v: Vec<usize> = (0..5).map(|k| nearest_index(k, 3, 5, false, true)).collect();
        assert_eq!(v, [0, 0, 1, 2, 2]);
        // Align corners: s = 0.5, round(k·0.5) half away = 0, 1, 1, 2, 2.
        let v: Vec<usize> = (0..5).map(|k| nearest_index(k, 3, 5, true, false)).collect();
        assert_eq!(v, [0, 1, 1, 2, 2]);
        // Both flags: round((k + 0.5)·0.5) = 0, 1, 1, 2, 2 (min in − 1).
        let v: Vec<usize> = (0..5).map(|k| nearest_index(k, 3, 5, true, true)).collect();
        assert_eq!(v, [0, 1, 1, 2, 2]);
        // Downscale 5 → 2: floor(k·2.5) = 0, 2.
        let v: Vec<usize> = (0..2).map(|k| nearest_index(k, 5, 2, false, false)).collect();
        assert_eq!(v, [0, 2]);
        // Out size 1 with align corners uses in/out.
        assert_eq!(nearest_index(0, 4, 1, true, true), 2);
    }

    #[test]
    fn nearest_copies_pixels() {
        let mut k = Nearest { batches: 1, pixel: 2, batch_stride: 4, rows: vec![0, 0], cols: vec![2, 0] };
        assert_eq!(run::<i8>(&mut k, &[1, 2, 3, 4], 8), vec![3, 4, 1, 2, 3, 4, 1, 2]);
    }
}
