//! STRIDED_SLICE: NumPy-style `x[b0:e0:s0, …]` with TensorFlow's masks.
//!
//! Contract (TFLite `kernels/strided_slice.cc` `BuildStridedSliceParams` / `ResizeOutputTensor`,
//! `reference/strided_slice.h` `StartForAxis` / `EndForAxis` / `StridedSlice`), ported step by
//! step:
//! - Inputs 1–3 (`begin`, `end`, `strides`: int32, 1-D, `begin` and `end` of equal length
//!   n ≤ 31, `strides` at least n long) must be known at prepare time in qlite.
//! - Expansion: `ellipsis_mask` and `new_axis_mask` are resolved into an *effective* input shape
//!   (the input's with size-1 axes inserted for new axes); axes the ellipsis covers and axes past
//!   the n given get begin/end masks; new axes are `[0, 1)`. (TFLite tests ellipsis bits at the
//!   effective index and new-axis bits at the effective index minus the ellipsis's extra axes;
//!   both are reproduced.)
//! - Per effective axis of size d with stride s (≠ 0): start = begin (+d if negative), clamped to
//!   [0, d] (s > 0) or [−1, d−1] (s < 0), or 0 / d−1 under `begin_mask`; end likewise from `end`
//!   (+start first when the `offset` option is set), or d / −1 under `end_mask`; a
//!   `shrink_axis_mask` axis has end = start + 1 (start when start ≥ d) and is dropped from the
//!   output shape. Output dimension: ⌈(end − start)/s⌉, 0 when the signs disagree (with `offset`,
//!   TFLite takes the `end` input itself at that effective index as the extent).
//! - Elements are written in row-major order of the visited indices
//!   `start, start+s, …` (while `< end` for s > 0, `> end` for s < 0). Bytes are copied: any
//!   whole-byte type, including int32 shape vectors (Keras Flatten's SHAPE → STRIDED_SLICE →
//!   PACK → RESHAPE, folded at prepare time); quantization is not checked or changed.
//! - Where TFLite visits fewer elements than its own output shape holds (a shrink axis with a
//!   negative stride or a begin past the end, or `offset` extents that disagree with the clamped
//!   range), TFLite leaves the rest of the output uninitialized (its earlier contents); qlite
//!   writes zeros there. Where it would visit more, TFLite writes past the output; qlite stops at
//!   the end of the output.
//! - qlite refuses two configurations on which TFLite reads outside its buffers (undefined
//!   results): masks that make an effective axis refer past the input's rank (e.g. a new-axis bit
//!   that counts toward the effective rank but is never placed), and `offset` with fewer `end`
//!   values than effective axes. Extra indices past the input's rank without masks are
//!   ignored, as in TFLite.

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::ops::Scratch;
use crate::ops::movement::{Affine, elem_size, product, row_major_strides};
use crate::ops::{Inputs, Kernel, Outputs, PrepareContext};
use crate::tflite;

/// TFLite's `DynamicStridedSliceParams` plus the effective input shape.
#[derive(Debug, Clone, PartialEq)]
struct Params {
    start: Vec<i32>,
    stop: Vec<i32>,
    strides: Vec<i32>,
    begin_mask: u32,
    end_mask: u32,
    shrink_mask: u32,
    offset: bool,
    shape: Vec<i32>,
}

/// The options as plain integers.
#[derive(Debug, Clone, Copy, Default)]
struct Masks {
    begin: u32,
    end: u32,
    ellipsis: u32,
    new_axis: u32,
    shrink: u32,
    offset: bool,
}

fn bit(mask: u32, i: usize) -> bool {
    i < 32 && (mask >> i) & 1 == 1
}

/// `BuildStridedSliceParams`: resolves the ellipsis and new axes.
fn build(
    input_shape: &[usize],
    begin: &[i32],
    end: &[i32],
    strides: &[i32],
    m: Masks,
    start_and_end: bool,
) -> std::result::Result<Params, String> {
    let begin_count = begin.len();
    let input_dims = input_shape.len();
    let num_add_axis = (0..begin_count).filter(|&i| !bit(m.ellipsis, i) && bit(m.new_axis, i)).count();
    let eff = input_dims + num_add_axis;
    if eff > 32 {
        return Err(format!("{eff} effective dimensions (over 32)"));
    }
    let mut p = Params {
        start: vec![0; eff],
        stop: vec![0; eff],
        strides: vec![1; eff],
        begin_mask: 0,
        end_mask: 0,
        shrink_mask: 0,
        offset: m.offset,
        shape: vec![0; eff],
    };
    let (mut eff_ellipsis, mut eff_new_axis) = (0u32, 0u32);
    let mut ellipsis_start = eff;
    let mut expanded: usize = 0;
    let mut i = 0;
    while i < eff {
        if bit(m.ellipsis, i) {
            ellipsis_start = i;
            // max(i + 1, min(i + 1 + num_add_axis + input_dims − begin_count, eff)), signed.
            let want = (i + 1 + num_add_axis + input_dims) as i64 - begin_count as i64;
            let end_idx = (want.min(eff as i64)).max(i as i64 + 1) as usize;
            expanded = end_idx - ellipsis_start - 1;
            while i < end_idx {
                eff_ellipsis |= 1 << i;
                i += 1;
            }
            continue;
        }
        if bit(m.new_axis, i - expanded) {
            eff_new_axis |= 1 << i;
        }
        i += 1;
    }
    let (mut added_ellipsis, mut added_axes) = (0usize, 0usize);
    let dim_of = |i: usize, added_axes: usize| -> std::result::Result<i32, String> {
        i.checked_sub(added_axes)
            .and_then(|j| input_shape.get(j))
            .map(|&d| d as i32)
            .ok_or_else(|| "the masks do not match the input's rank".to_string())
    };
    for i in 0..eff {
        if bit(eff_ellipsis, i) {
            added_ellipsis = i.saturating_sub(ellipsis_start);
            p.begin_mask |= 1 << i;
            p.end_mask |= 1 << i;
            p.strides[i] = 1;
            p.shape[i] = dim_of(i, added_axes)?;
        } else if bit(eff_new_axis, i) {
            p.start[i] = 0;
            p.stop[i] = 1;
            p.strides[i] = 1;
            p.shape[i] = 1;
            added_axes += 1;
        } else if i >= begin_count + expanded {
            p.start[i] = 0;
            p.stop[i] = 0;
            p.strides[i] = 1;
            p.begin_mask |= 1 << i;
            p.end_mask |= 1 << i;
            p.shape[i] = dim_of(i, added_axes)?;
        } else {
            let o = i - added_ellipsis;
            let (&b, &e, &s) = match (begin.get(o), end.get(o), strides.get(o)) {
                (Some(b), Some(e), Some(s)) => (b, e, s),
                _ => return Err("the masks do not match the number of indices".into()),
            };
            if start_and_end {
                p.start[i] = b;
                p.stop[i] = e;
            }
            p.strides[i] = s;
            if bit(m.begin, o) {
                p.begin_mask |= 1 << i;
            }
            if bit(m.end, o) {
                p.end_mask |= 1 << i;
            }
            if bit(m.shrink, o) {
                p.shrink_mask |= 1 << i;
            }
            p.shape[i] = dim_of(i, added_axes)?;
        }
    }
    Ok(p)
}

fn clamp(v: i32, lo: i32, hi: i32) -> i32 {
    if hi < v {
        hi
    } else if v < lo {
        lo
    } else {
        v
    }
}

/// `StartForAxis`.
fn start_for_axis(p: &Params, axis: usize) -> i32 {
    let size = p.shape[axis];
    let stride = p.strides[axis];
    let mut start = p.start[axis];
    if start < 0 {
        start = start.wrapping_add(size);
    }
    start = if stride > 0 { clamp(start, 0, size) } else { clamp(start, -1, size - 1) };
    if bit(p.begin_mask, axis) {
        start = if stride > 0 { 0 } else { size - 1 };
    }
    start
}

/// `EndForAxis`.
fn end_for_axis(p: &Params, axis: usize, start: i32) -> i32 {
    let size = p.shape[axis];
    if bit(p.shrink_mask, axis) {
        return if start >= size { start } else { start + 1 };
    }
    let mut end = p.stop[axis];
    if p.offset {
        end = end.wrapping_add(start);
    }
    let stride = p.strides[axis];
    if end < 0 {
        end = end.wrapping_add(size);
    }
    end = if stride > 0 { clamp(end, 0, size) } else { clamp(end, -1, size - 1) };
    if bit(p.end_mask, axis) {
        end = if stride > 0 { size } else { -1 };
    }
    end
}

/// `ResizeOutputTensor`: the output shape.
fn output_shape(p: &Params, end_input: &[i32]) -> std::result::Result<Vec<usize>, String> {
    let mut out = Vec::with_capacity(p.shape.len());
    for idx in (0..p.shape.len()).rev() {
        let stride = p.strides[idx];
        if stride == 0 {
            return Err("stride value has to be non-zero".into());
        }
        if bit(p.shrink_mask, idx) {
            continue;
        }
        let mut dim: i64 = if p.offset {
            *end_input.get(idx).ok_or("offset: no end value for an effective axis")? as i64
        } else {
            let b = start_for_axis(p, idx);
            let e = end_for_axis(p, idx, b);
            e as i64 - b as i64
        };
        if stride == i32::MIN {
            return Err("stride value INT32_MIN is not supported".into());
        }
        let s = stride as i64;
        if (dim < 0) != (s < 0) {
            dim = 0;
        } else if s < 0 {
            dim = (dim + 1) / s + 1;
        } else {
            dim = if dim == 0 { 0 } else { (dim - 1) / s + 1 };
        }
        if dim < 0 || dim > i32::MAX as i64 {
            return Err(format!("integer overflow computing output dim at axis {idx}"));
        }
        out.push(dim as usize);
    }
    out.reverse();
    Ok(out)
}

/// The visited indices per effective axis: (count, start, stride).
fn visits(p: &Params) -> Vec<(usize, i64, i64)> {
    (0..p.shape.len())
        .map(|a| {
            let start = start_for_axis(p, a) as i64;
            let stop = end_for_axis(p, a, start as i32) as i64;
            let s = p.strides[a] as i64;
            let n = if s > 0 && start < stop {
                (stop - start - 1) / s + 1
            } else if s < 0 && start > stop {
                (start - stop - 1) / -s + 1
            } else {
                0
            };
            (n as usize, start, s)
        })
        .collect()
}

enum Plan {
    /// The visited elements fill the output exactly.
    Exact(Affine),
    /// TFLite visits a different number of elements than the output holds.
    /// `wrap[ax]` is the product of `counts[ax..]`: axis `ax` wraps after that many elements.
    Sequential { counts: Vec<usize>, strides: Vec<isize>, base: isize, esize: usize, wrap: Vec<usize> },
}

struct StridedSlice {
    plan: Plan,
}

impl Kernel for StridedSlice {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let src = inputs.bytes(0);
        let dst = outputs.bytes(0);
        match &self.plan {
            Plan::Exact(a) => a.run(src, dst),
            Plan::Sequential { counts, strides, base, esize, wrap } => {
                sequential(src, dst, counts, strides, *base, *esize, wrap)
            }
        }
    }
}

/// Writes the visited elements one after another until the output is full, then zeros.
fn sequential(
    src: &[u8],
    dst: &mut [u8],
    counts: &[usize],
    strides: &[isize],
    base: isize,
    esize: usize,
    wrap: &[usize],
) -> Result<()> {
    dst.fill(0);
    if counts.contains(&0) {
        return Ok(());
    }
    let oob = || Error::Internal("strided slice read out of bounds".into());
    // Elements visited so far; axis `ax` wraps when it is a multiple of wrap[ax].
    let mut n = 0usize;
    let mut off = base;
    let mut written = 0;
    loop {
        if written + esize > dst.len() {
            return Ok(());
        }
        let s = usize::try_from(off).map_err(|_| oob())?;
        dst[written..written + esize].copy_from_slice(src.get(s..s + esize).ok_or_else(oob)?);
        written += esize;
        n += 1;
        let mut ax = counts.len();
        loop {
            if ax == 0 {
                return Ok(());
            }
            ax -= 1;
            off += strides[ax];
            if !n.is_multiple_of(wrap[ax]) {
                break;
            }
            off -= strides[ax] * counts[ax] as isize;
        }
    }
}

/// Prepares STRIDED_SLICE.
pub fn prepare<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(4..=4, 1)?;
    let dtype = ctx.input_dtype(0)?;
    let esize = elem_size(ctx, dtype)?;
    if ctx.output_dtype(0)? != dtype {
        return Err(ctx.err(format!("output is {}, input is {dtype}", ctx.output_dtype(0)?)));
    }
    for (k, what) in [(1, "begin"), (2, "end"), (3, "strides")] {
        if ctx.input_dtype(k)? != DType::Int32 {
            return Err(ctx.err(format!("{what} must be int32, got {}", ctx.input_dtype(k)?)));
        }
        if ctx.input_shape(k)?.len() != 1 {
            return Err(ctx.err(format!("{what} must be 1-D, got shape {:?}", ctx.input_shape(k)?)));
        }
    }
    let known = |k: usize, what: &str| -> Result<Vec<i32>> {
        if product(ctx.input_shape(k)?) == 0 {
            return Ok(Vec::new());
        }
        ctx.input_value::<i32>(k)?.map(|v| v.into_owned()).ok_or_else(|| {
            ctx.unsupported(format!(
                "the {what} input must be constant (outputs whose shape depends on run-time values are not supported)"
            ))
        })
    };
    let (begin, end, strides) = (known(1, "begin")?, known(2, "end")?, known(3, "strides")?);
    if begin.len() != end.len() {
        return Err(ctx.err(format!("begin has {} values, end has {}", begin.len(), end.len())));
    }
    if begin.len() > 31 {
        return Err(ctx.refused_by_tflite("StridedSlice op only supports up to 31 indices"));
    }
    if strides.len() < begin.len() {
        return Err(ctx.err(format!("strides has {} values, begin has {}", strides.len(), begin.len())));
    }
    let m = ctx.options::<tflite::StridedSliceOptions>().map_or(Masks::default(), |o| Masks {
        begin: o.begin_mask() as u32,
        end: o.end_mask() as u32,
        ellipsis: o.ellipsis_mask() as u32,
        new_axis: o.new_axis_mask() as u32,
        shrink: o.shrink_axis_mask() as u32,
        offset: o.offset(),
    });
    let in_shape = ctx.input_shape(0)?.to_vec();
    if in_shape.iter().any(|&d| d > i32::MAX as usize) {
        return Err(ctx.err("input dimension does not fit int32"));
    }
    let shape_params = build(&in_shape, &begin, &end, &strides, m, !m.offset).map_err(|e| ctx.err(e))?;
    let out_shape = output_shape(&shape_params, &end).map_err(|e| ctx.err(e))?;
    ctx.set_output_shape(0, out_shape.clone())?;

    let p = build(&in_shape, &begin, &end, &strides, m, true).map_err(|e| ctx.err(e))?;
    let eff_shape: Vec<usize> = p.shape.iter().map(|&d| d as usize).collect();
    let in_strides = row_major_strides(&eff_shape);
    let v = visits(&p);
    let counts: Vec<usize> = v.iter().map(|x| x.0).collect();
    let total: usize = if counts.contains(&0) { 0 } else { product(&counts) };
    let base: i64 = v.iter().zip(&in_strides).map(|(x, &st)| x.1 * st as i64).sum();
    let src: Vec<isize> = v.iter().zip(&in_strides).map(|(x, &st)| (x.2 * st as i64) as isize).collect();
    let plan = if total == product(&out_shape) {
        let dst: Vec<isize> = row_major_strides(&counts).iter().map(|&s| s as isize).collect();
        Plan::Exact(Affine::new(&counts, &src, base as isize, &dst, 0, esize))
    } else {
        let e = esize as isize;
        let mut wrap = vec![1usize; counts.len()];
        let mut p = 1usize;
        for ax in (0..counts.len()).rev() {
            p = p.saturating_mul(counts[ax]);
            wrap[ax] = p;
        }
        Plan::Sequential { counts, strides: src.iter().map(|s| s * e).collect(), base: base as isize * e, esize, wrap }
    };
    Ok(Box::new(StridedSlice { plan }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slice(shape: &[usize], b: &[i32], e: &[i32], s: &[i32], m: Masks) -> (Vec<usize>, Vec<usize>) {
        // Returns (output shape, flat input indices visited).
        let sp = build(shape, b, e, s, m, !m.offset).unwrap();
        let out = output_shape(&sp, e).unwrap();
        let p = build(shape, b, e, s, m, true).unwrap();
        let eff: Vec<usize> = p.shape.iter().map(|&d| d as usize).collect();
        let st = row_major_strides(&eff);
        let v = visits(&p);
        let mut idx = vec![0usize];
        for (a, &(n, start, stride)) in v.iter().enumerate() {
            let mut next = Vec::new();
            for &base in &idx {
                for j in 0..n as i64 {
                    next.push((base as i64 + (start + j * stride) * st[a] as i64) as usize);
                }
            }
            idx = next;
        }
        (out, idx)
    }

    #[test]
    fn basic_and_negative_strides() {
        let m = Masks::default();
        // x[1:3] of 0..5.
        assert_eq!(slice(&[5], &[1], &[3], &[1], m), (vec![2], vec![1, 2]));
        // x[4:0:-2] → 4, 2.
        assert_eq!(slice(&[5], &[4], &[0], &[-2], m), (vec![2], vec![4, 2]));
        // x[-1:-6:-1] → 4..0 (end −6 + 5 = −1 stays −1 after clamping to [−1, 4]).
        assert_eq!(slice(&[5], &[-1], &[-6], &[-1], m), (vec![5], vec![4, 3, 2, 1, 0]));
        // x[::-1] via both masks.
        let rev = Masks { begin: 1, end: 1, ..m };
        assert_eq!(slice(&[3], &[0], &[0], &[-1], rev), (vec![3], vec![2, 1, 0]));
        // Empty when the signs disagree; clamped begin past the end.
        assert_eq!(slice(&[5], &[3], &[1], &[1], m).0, vec![0]);
        assert_eq!(slice(&[5], &[7], &[9], &[1], m).0, vec![0]);
        // Stride 3 over 0..5 from 0: 0, 3.
        assert_eq!(slice(&[5], &[0], &[5], &[3], m), (vec![2], vec![0, 3]));
    }

    #[test]
    fn shrink_ellipsis_and_new_axis() {
        // x[1] of a [3, 2] tensor (shrink axis 0) → [2]: elements 2, 3.
        let shrink = Masks { shrink: 1, ..Masks::default() };
        assert_eq!(slice(&[3, 2], &[1, 0], &[2, 2], &[1, 1], shrink), (vec![2], vec![2, 3]));
        // Keras Flatten: shape [1, 4, 4, 2][0] (int32 [4] input, begin 0, end 1, shrink) → scalar.
        assert_eq!(slice(&[4], &[0], &[1], &[1], shrink), (vec![], vec![0]));
        // x[..., 1] on [2, 3, 2] → [2, 3] (ellipsis bit 0, shrink bit 1).
        let ell = Masks { ellipsis: 1, shrink: 2, ..Masks::default() };
        let (shape, idx) = slice(&[2, 3, 2], &[0, 1], &[0, 2], &[1, 1], ell);
        assert_eq!(shape, vec![2, 3]);
        assert_eq!(idx, vec![1, 3, 5, 7, 9, 11]);
        // x[:, None] on [2, 2] → [2, 1, 2].
        let na = Masks { new_axis: 2, begin: 1, end: 1, ..Masks::default() };
        assert_eq!(slice(&[2, 2], &[0, 0], &[0, 0], &[1, 1], na), (vec![2, 1, 2], vec![0, 1, 2, 3]));
    }

    #[test]
    fn shrink_with_negative_stride_visits_nothing() {
        // TFLite's output shape drops the axis but its loop never runs: qlite writes zeros.
        let shrink = Masks { shrink: 1, ..Masks::default() };
        let (shape, idx) = slice(&[3, 2], &[1, 0], &[2, 2], &[-1, 1], shrink);
        assert_eq!(shape, vec![2]);
        assert!(idx.is_empty());
        let mut d = [9u8; 2];
        sequential(&[1, 2, 3, 4, 5, 6], &mut d, &[0, 2], &[-2, 1], 2, 1, &[0, 2]).unwrap();
        assert_eq!(d, [0, 0]);
    }

    #[test]
    fn offset_extents() {
        // offset: end is a length from begin; x[1:1+2] of 0..5.
        let off = Masks { offset: true, ..Masks::default() };
        assert_eq!(slice(&[5], &[1], &[2], &[1], off), (vec![2], vec![1, 2]));
    }

    #[test]
    fn zero_stride_is_an_error() {
        let sp = build(&[3], &[0], &[3], &[0], Masks::default(), true).unwrap();
        assert!(output_shape(&sp, &[3]).is_err());
    }
}
