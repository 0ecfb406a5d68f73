//! AVERAGE_POOL_2D and MAX_POOL_2D on NHWC tensors (int8, uint8, int16 and float32).
//!
//! Geometry (`kernels/padding.h`, see [`crate::ops::common::padding`]): output `[N, out_h, out_w, C]`, window
//! origin `o·stride − pad_before`, clipped to the input; only in-bounds cells count.
//!
//! int8, int16 (`reference_integer_ops::AveragePool` / `MaxPool`) and uint8 (`reference_ops::
//! AveragePool` / `MaxPool` on uint8), all with the same formula and the type's range; TFLite
//! checks no zero point for int16 pooling (measured). No requantization — the output reuses
//! the input's raw values (TFLite only DCHECKs that the scales and zero points agree, so a model
//! whose output quantization differs is still computed this way). The fused activation range is
//! computed from the output's quantization.
//! - average: `clamp(rounded_average(Σ q, n))`, n = number of in-bounds cells, rounding half away
//!   from zero ([`arith::rounded_average`]; TFLite sums in int32, which int16 inputs could
//!   overflow only with windows of more than 65536 cells);
//! - max: `clamp(max q)`.
//!
//! float32 (`reference_ops::AveragePool` / `MaxPool`): the sum runs over the window in (y, x)
//! order in float32 and is divided by the float count; the max starts from `f32::MIN` and takes
//! `v` when `max < v` (NaN never wins); then `min(max(x, lo), hi)` with C++ `std::max/min`
//! semantics (a NaN average passes through).

use crate::arith;
use crate::dtype::DType;
use crate::error::Result;
use crate::ops::Scratch;
use crate::ops::common::padding::{self, Axis};
use crate::ops::common::{QInt, check_len, check_len_mut, elements};
use crate::ops::{Inputs, Kernel, Outputs, PrepareContext, per_tensor};
use crate::tflite;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Average,
    Max,
}

/// Shapes, strides and padding, all validated at prepare.
#[derive(Debug, Clone, Copy)]
struct Geometry {
    batches: usize,
    in_h: usize,
    in_w: usize,
    depth: usize,
    out_h: usize,
    out_w: usize,
    stride_h: usize,
    stride_w: usize,
    filter_h: usize,
    filter_w: usize,
    pad_h: usize,
    pad_w: usize,
}

impl Geometry {
    /// Elements of the input and of the output, for the length checks of `eval`.
    fn lens(&self) -> Result<(usize, usize)> {
        let g = self;
        Ok((elements(&[g.batches, g.in_h, g.in_w, g.depth])?, elements(&[g.batches, g.out_h, g.out_w, g.depth])?))
    }

    /// Calls `f(out_index, window)` for every output cell, where `window` yields the input
    /// indices of the in-bounds cells in (y, x) order.
    #[inline]
    fn for_each(&self, mut f: impl FnMut(usize, &mut dyn Iterator<Item = usize>)) {
        let g = *self;
        for b in 0..g.batches {
            for oy in 0..g.out_h {
                // Window rows [y0, y1) clipped to the input.
                let origin_y = (oy * g.stride_h) as isize - g.pad_h as isize;
                let y0 = origin_y.max(0) as usize;
                let y1 = (origin_y + g.filter_h as isize).clamp(0, g.in_h as isize) as usize;
                for ox in 0..g.out_w {
                    let origin_x = (ox * g.stride_w) as isize - g.pad_w as isize;
                    let x0 = origin_x.max(0) as usize;
                    let x1 = (origin_x + g.filter_w as isize).clamp(0, g.in_w as isize) as usize;
                    for c in 0..g.depth {
                        let out_index = ((b * g.out_h + oy) * g.out_w + ox) * g.depth + c;
                        let mut window = (y0..y1)
                            .flat_map(move |y| (x0..x1).map(move |x| ((b * g.in_h + y) * g.in_w + x) * g.depth + c));
                        f(out_index, &mut window);
                    }
                }
            }
        }
    }
}

struct IntPool<T> {
    kind: Kind,
    g: Geometry,
    act_min: i32,
    act_max: i32,
    _t: std::marker::PhantomData<T>,
}

impl<T: QInt> Kernel for IntPool<T> {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        // The buffers must hold what the prepare-time geometry indexes (a planner bug is an
        // error, not a panic: F1); an empty output returns at once, however large its other
        // dimensions are.
        let (in_len, out_len) = self.g.lens()?;
        let x = check_len(inputs.get::<T>(0)?, in_len, "input")?;
        let out = check_len_mut(outputs.get::<T>(0)?, out_len, "output")?;
        if out_len == 0 {
            return Ok(());
        }
        let (lo, hi, kind) = (self.act_min, self.act_max, self.kind);
        self.g.for_each(|o, window| {
            let v = match kind {
                Kind::Average => {
                    let (mut sum, mut n) = (0i64, 0i64);
                    for i in window {
                        sum += x[i].to_i32() as i64;
                        n += 1;
                    }
                    // n ≥ 1: prepare's geometry puts at least one input cell in every window.
                    arith::rounded_average(sum, n.max(1)).clamp(lo as i64, hi as i64) as i32
                }
                Kind::Max => window.fold(i32::MIN, |m, i| m.max(x[i].to_i32())).clamp(lo, hi),
            };
            out[o] = T::from_i32(v);
        });
        Ok(())
    }
}

struct FloatPool {
    kind: Kind,
    g: Geometry,
    act_min: f32,
    act_max: f32,
}

/// C++ `std::min(std::max(x, lo), hi)`: a NaN `x` passes through.
#[inline]
fn clamp_like_cpp(x: f32, lo: f32, hi: f32) -> f32 {
    let y = if x < lo { lo } else { x };
    if hi < y { hi } else { y }
}

impl Kernel for FloatPool {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        // The buffers must hold what the prepare-time geometry indexes (a planner bug is an
        // error, not a panic: F1); an empty output returns at once, however large its other
        // dimensions are.
        let (in_len, out_len) = self.g.lens()?;
        let x = check_len(inputs.get::<f32>(0)?, in_len, "input")?;
        let out = check_len_mut(outputs.get::<f32>(0)?, out_len, "output")?;
        if out_len == 0 {
            return Ok(());
        }
        let (lo, hi, kind) = (self.act_min, self.act_max, self.kind);
        self.g.for_each(|o, window| {
            let v = match kind {
                Kind::Average => {
                    let (mut total, mut count) = (0.0f32, 0.0f32);
                    for i in window {
                        total += x[i];
                        count += 1.0;
                    }
                    total / count
                }
                Kind::Max => window.fold(f32::MIN, |m, i| if m < x[i] { x[i] } else { m }),
            };
            out[o] = clamp_like_cpp(v, lo, hi);
        });
        Ok(())
    }
}

fn prepare_pool<'m>(ctx: &mut PrepareContext<'_, 'm>, kind: Kind) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(1..=1, 1)?;
    let o = ctx.options::<tflite::Pool2DOptions>().ok_or_else(|| ctx.err("missing Pool2DOptions"))?;
    let shape = ctx.input_shape(0)?.to_vec();
    if shape.len() != 4 {
        return Err(ctx.err(format!("input must be 4-D (NHWC), got shape {shape:?}")));
    }
    let positive = |v: i32, what: &str| -> Result<usize> {
        usize::try_from(v).ok().filter(|&v| v > 0).ok_or_else(|| ctx.err(format!("{what} must be positive, got {v}")))
    };
    let stride_h = positive(o.stride_h(), "stride_h")?;
    let stride_w = positive(o.stride_w(), "stride_w")?;
    let filter_h = positive(o.filter_height(), "filter_height")?;
    let filter_w = positive(o.filter_width(), "filter_width")?;
    let (batches, in_h, in_w, depth) = (shape[0], shape[1], shape[2], shape[3]);
    let geom = |input, filter, stride| -> Result<Axis> {
        padding::axis(o.padding(), input, filter, stride, 1)
            .ok_or_else(|| ctx.err(format!("bad pooling geometry (padding {:?})", o.padding())))
    };
    let (ah, aw) = (geom(in_h, filter_h, stride_h)?, geom(in_w, filter_w, stride_w)?);
    let g = Geometry {
        batches,
        in_h,
        in_w,
        depth,
        out_h: ah.out,
        out_w: aw.out,
        stride_h,
        stride_w,
        filter_h,
        filter_w,
        pad_h: ah.pad_before,
        pad_w: aw.pad_before,
    };
    // Every window must hold an input cell (TFLite's AveragePool fails otherwise). With the
    // padding.h geometry this always holds: pad_before ≤ (filter − 1)/2 and the last window
    // starts at (out − 1)·stride − pad < in.
    if g.out_h > 0 && g.out_w > 0 && (in_h == 0 || in_w == 0 || g.pad_h >= filter_h || g.pad_w >= filter_w) {
        return Err(ctx.refused_by_tflite("a pooling window lies entirely in the padding"));
    }
    // The window is an option, not a tensor: declare the work (window cells visited, at most
    // the window clipped to the input for every output element) before it can ever run.
    let steps = [batches, g.out_h, g.out_w, depth, filter_h.min(in_h), filter_w.min(in_w)]
        .iter()
        .fold(1u64, |a, &d| a.saturating_mul(d as u64));
    ctx.charge_work(steps, "pooling window cells")?;
    ctx.set_output_shape(0, vec![batches, g.out_h, g.out_w, depth])?;
    let act = o.fused_activation_function();
    if !arith::is_supported_activation(act) {
        return Err(ctx.unsupported(format!("unsupported fused activation {act:?}")));
    }
    let (ti, to) = (ctx.input_dtype(0)?, ctx.output_dtype(0)?);
    match (ti, to) {
        (DType::Int8, DType::Int8) | (DType::UInt8, DType::UInt8) | (DType::Int16, DType::Int16) => {
            let (qmin, qmax) = match ti {
                DType::Int8 => (-128, 127),
                DType::UInt8 => (0, 255),
                _ => (-32768, 32767),
            };
            // Without a fused activation the quantization is not used at all.
            let (act_min, act_max) = if act == tflite::ActivationFunctionType::NONE {
                (qmin, qmax)
            } else {
                let (s_out, zp_out) = per_tensor(ctx, ctx.output_quant(0)?, "output")?;
                arith::activation_range_quantized(act, s_out, zp_out, qmin, qmax)
            };
            Ok(match ti {
                DType::Int8 => Box::new(IntPool::<i8> { kind, g, act_min, act_max, _t: Default::default() }),
                DType::UInt8 => Box::new(IntPool::<u8> { kind, g, act_min, act_max, _t: Default::default() }),
                _ => Box::new(IntPool::<i16> { kind, g, act_min, act_max, _t: Default::default() }),
            })
        }
        (DType::Float32, DType::Float32) => {
            let (act_min, act_max) = arith::activation_range_f32(act);
            Ok(Box::new(FloatPool { kind, g, act_min, act_max }))
        }
        _ => Err(ctx.unsupported(format!("unsupported types: input {ti}, output {to}"))),
    }
}

/// Prepares AVERAGE_POOL_2D.
pub fn prepare_average<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_pool(ctx, Kind::Average)
}

/// Prepares MAX_POOL_2D.
pub fn prepare_max<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_pool(ctx, Kind::Max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::run_kernel;

    /// 1×3×3×1 input, 2×2 window, stride 2, SAME: out 2×2, total padding (1·2 + 2 − 3) = 1,
    /// all of it after; windows: {0,1,3,4}, {2,5}, {6,7}, {8}.
    fn same_3x3() -> Geometry {
        let a = padding::axis(tflite::Padding::SAME, 3, 2, 2, 1).unwrap();
        assert_eq!((a.out, a.pad_before), (2, 0));
        Geometry {
            batches: 1,
            in_h: 3,
            in_w: 3,
            depth: 1,
            out_h: 2,
            out_w: 2,
            stride_h: 2,
            stride_w: 2,
            filter_h: 2,
            filter_w: 2,
            pad_h: 0,
            pad_w: 0,
        }
    }

    fn run_i8(k: &mut IntPool<i8>, x: &[i8], n: usize) -> Vec<i8> {
        let out = run_kernel(k, &[bytemuck::cast_slice(x)], &[n]).unwrap();
        bytemuck::cast_slice(&out[0]).to_vec()
    }

    #[test]
    fn int8_average_counts_only_valid_cells_and_rounds_half_away() {
        let mut k =
            IntPool::<i8> { kind: Kind::Average, g: same_3x3(), act_min: -128, act_max: 127, _t: Default::default() };
        // Window {0,1,3,4}: 1+2+3+4 = 10 → 2.5 → 3. Window {2,5}: 3 + (−6) = −3 → −1.5 → −2.
        // Window {6,7}: −7 + 0 = −7 → −3.5 → −4. Window {8}: 127.
        let x: [i8; 9] = [1, 2, 3, 3, 4, -6, -7, 0, 127];
        assert_eq!(run_i8(&mut k, &x, 4), vec![3, -2, -4, 127]);
        // Clamped by the activation range.
        k.act_min = -3;
        k.act_max = 100;
        assert_eq!(run_i8(&mut k, &x, 4), vec![3, -2, -3, 100]);
    }

    #[test]
    fn int8_max_and_clamp() {
        let mut k =
            IntPool::<i8> { kind: Kind::Max, g: same_3x3(), act_min: -128, act_max: 127, _t: Default::default() };
        let x: [i8; 9] = [-128, -128, -5, -128, -100, -6, 7, 8, -128];
        assert_eq!(run_i8(&mut k, &x, 4), vec![-100, -5, 8, -128]);
        k.act_min = -10;
        assert_eq!(run_i8(&mut k, &x, 4), vec![-10, -5, 8, -10]);
    }

    #[test]
    fn float_average_and_max() {
        let k = FloatPool { kind: Kind::Average, g: same_3x3(), act_min: f32::MIN, act_max: f32::MAX };
        let x: [f32; 9] = [1.0, 2.0, 3.0, 3.0, 4.5, -6.0, -7.0, 0.0, f32::NAN];
        let out = run_kernel(&k, &[bytemuck::cast_slice(&x)], &[16]).unwrap();
        let got: &[f32] = bytemuck::cast_slice(&out[0]);
        assert_eq!(&got[..3], &[2.625, -1.5, -3.5]);
        assert!(got[3].is_nan());
        let k = FloatPool { kind: Kind::Max, g: same_3x3(), act_min: 0.0, act_max: 6.0 };
        let out = run_kernel(&k, &[bytemuck::cast_slice(&x)], &[16]).unwrap();
        // NaN never wins a max: the window {8} keeps f32::MIN, clamped to 0.
        assert_eq!(bytemuck::cast_slice::<u8, f32>(&out[0]), &[4.5, 3.0, 0.0, 0.0]);
    }

    #[test]
    fn int16_and_uint8_pools() {
        let g = same_3x3();
        let k = IntPool::<i16> { kind: Kind::Average, g, act_min: -32768, act_max: 32767, _t: Default::default() };
        // {32767, 32767, 32766, 32766} → 32766.5 → 32767; {−32768, −3} → −16385.5 → −16386;
        // {1, 2} → 1.5 → 2; {−32768} stays.
        let x: [i16; 9] = [32767, 32767, -32768, 32766, 32766, -3, 1, 2, -32768];
        let out = run_kernel(&k, &[bytemuck::cast_slice(&x)], &[8]).unwrap();
        assert_eq!(bytemuck::cast_slice::<u8, i16>(&out[0]), &[32767, -16386, 2, -32768]);
        let k = IntPool::<i16> { kind: Kind::Max, g, act_min: -100, act_max: 32767, _t: Default::default() };
        let out = run_kernel(&k, &[bytemuck::cast_slice(&x)], &[8]).unwrap();
        assert_eq!(bytemuck::cast_slice::<u8, i16>(&out[0]), &[32767, -3, 2, -100]);
        let k = IntPool::<u8> { kind: Kind::Average, g, act_min: 0, act_max: 200, _t: Default::default() };
        // {255, 255, 0, 1} → 127.75 → 128; {7, 8} → 7.5 → 8; {250, 251} → 250.5 → 200 (clamp); {0}.
        let x: [u8; 9] = [255, 255, 7, 0, 1, 8, 250, 251, 0];
        let out = run_kernel(&k, &[&x], &[4]).unwrap();
        assert_eq!(out[0], vec![128, 8, 200, 0]);
    }

    #[test]
    fn eval_checks_the_buffers_and_returns_at_once_when_empty() {
        let mut k =
            IntPool::<i8> { kind: Kind::Max, g: same_3x3(), act_min: -128, act_max: 127, _t: Default::default() };
        // Fuzz finding F1: an input or output of another size than planned is an error.
        let e = run_kernel(&k, &[&[0u8; 8][..]], &[4]).unwrap_err().to_string();
        assert!(e.contains("input has 8 elements, expected 9"), "{e}");
        let e = run_kernel(&k, &[&[0u8; 9][..]], &[5]).unwrap_err().to_string();
        assert!(e.contains("output has 5 elements, expected 4"), "{e}");
        // An empty output with huge other dimensions (fuzzer artifact: [67108865, 25165824, 0,
        // 469767680]) returns at once instead of walking ~1.7e15 empty windows.
        k.g = Geometry { batches: 67108865, out_h: 25165824, out_w: 0, depth: 469767680, in_w: 0, ..same_3x3() };
        let t = std::time::Instant::now();
        assert_eq!(run_kernel(&k, &[&[][..]], &[0]).unwrap(), vec![Vec::<u8>::new()]);
        assert!(t.elapsed().as_secs() < 1);
        let f = FloatPool { kind: Kind::Average, g: k.g, act_min: f32::MIN, act_max: f32::MAX };
        assert!(run_kernel(&f, &[&[][..]], &[0]).is_ok());
    }
}
