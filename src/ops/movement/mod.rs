//! Shared helpers of the data-movement operators (CONCATENATION, PAD, TRANSPOSE, SLICE,
//! STRIDED_SLICE, PACK, UNPACK, SPLIT, SPLIT_V, GATHER, TILE, REVERSE_V2, DEPTH_TO_SPACE,
//! SPACE_TO_DEPTH).
//!
//! These operators never look at values: they move whole elements, so they work on bytes, with
//! the element size taken from the tensor type. Quantized tensors are copied without
//! requantization; each operator's `prepare` checks the quantization parameters the way TFLite's
//! does.
//!
//! [`Affine`] is the one copy loop most of them use: for every index tuple `i` over `counts` in
//! row-major order, the element at `src_base + Σ i_d·src_d` goes to `dst_base + Σ i_d·dst_d`.
//! `prepare` builds it (dropping size-1 axes and merging axes that are contiguous on both
//! sides), `eval` runs it without allocating.

pub mod concatenation;
pub mod depth_to_space;
pub mod gather;
pub mod pack;
pub mod pad;
pub mod reshape;
pub mod resize;
pub mod reverse;
pub mod shape;
pub mod slice;
pub mod space_to_batch;
pub mod split;
pub mod strided_slice;
pub mod tile;
pub mod transpose;

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::model::Tensor;
use crate::ops::PrepareContext;

/// Checks that `dtype` is one of the types TFLite accepts for the operator (`allowed`).
pub fn check_type(ctx: &PrepareContext<'_, '_>, dtype: DType, allowed: &[DType]) -> Result<()> {
    if allowed.contains(&dtype) { Ok(()) } else { Err(ctx.refused_by_tflite(format!("type {dtype} is not supported"))) }
}

/// Bytes per element of a type these operators can move (whole-byte, fixed-size types).
pub fn elem_size(ctx: &PrepareContext<'_, '_>, dtype: DType) -> Result<usize> {
    match dtype.bits() {
        Some(b) if b >= 8 && b % 8 == 0 => Ok((b / 8) as usize),
        _ => Err(ctx.unsupported(format!("type {dtype} is not supported"))),
    }
}

/// TFLite's legacy per-tensor quantization parameters (`TfLiteTensor::params`): the scale and
/// zero point of a per-tensor quantized tensor, `(0, 0)` for an unquantized or per-channel one.
/// Operators compare these with `==` to decide whether two tensors share their quantization.
pub fn legacy_params(t: &Tensor) -> (f32, i64) {
    match &t.quantization {
        Some(q) if q.scale.len() == 1 && q.zero_point.len() == 1 => (q.scale[0], q.zero_point[0]),
        _ => (0.0, 0),
    }
}

/// Requires that `a` and `b` have the same legacy quantization parameters (TFLite's
/// `TF_LITE_ENSURE_EQ` on `params.scale` and `params.zero_point`).
pub fn require_same_params(ctx: &PrepareContext<'_, '_>, a: &Tensor, b: &Tensor, what: &str) -> Result<()> {
    let (pa, pb) = (legacy_params(a), legacy_params(b));
    if pa != pb {
        return Err(ctx.refused_by_tflite(format!(
            "{what}: quantization (scale {}, zero point {}) differs from (scale {}, zero point {}), \
             and TFLite does not rescale here",
            pa.0, pa.1, pb.0, pb.1
        )));
    }
    Ok(())
}

/// The values of input `k` as i64 when it is an integer tensor known at prepare time
/// (`None` when it is not known yet). Bool reads as 0/1.
pub fn int_values(ctx: &PrepareContext<'_, '_>, k: usize) -> Result<Option<Vec<i64>>> {
    fn conv<T: crate::ops::Element + Copy>(
        ctx: &PrepareContext<'_, '_>,
        k: usize,
        f: fn(T) -> i64,
    ) -> Result<Option<Vec<i64>>> {
        Ok(ctx.input_value::<T>(k)?.map(|v| v.iter().map(|&x| f(x)).collect()))
    }
    if product(ctx.input_shape(k)?) == 0 {
        // An empty tensor's (absent) values are known.
        return Ok(Some(Vec::new()));
    }
    match ctx.input_dtype(k)? {
        DType::Int8 => conv::<i8>(ctx, k, |x| x as i64),
        DType::Int16 => conv::<i16>(ctx, k, |x| x as i64),
        DType::Int32 => conv::<i32>(ctx, k, |x| x as i64),
        DType::Int64 => conv::<i64>(ctx, k, |x| x),
        DType::UInt8 | DType::Bool => conv::<u8>(ctx, k, |x| (x != 0) as i64),
        t => Err(ctx.err(format!("input {k} must be an integer tensor, got {t}"))),
    }
}

/// Like [`int_values`] but an error when the input is not known at prepare time (qlite plans
/// every shape at prepare time, so shape-defining inputs must be constants or folded values).
/// The values always number as many as the input's shape says.
pub fn const_ints(ctx: &PrepareContext<'_, '_>, k: usize, what: &str) -> Result<Vec<i64>> {
    let v = int_values(ctx, k)?.ok_or_else(|| {
        ctx.unsupported(format!(
            "the {what} input must be constant (outputs whose shape depends on run-time values are not supported)"
        ))
    })?;
    if v.len() != product(ctx.input_shape(k)?) {
        return Err(ctx.err(format!("the {what} input holds {} values for shape {:?}", v.len(), ctx.input_shape(k)?)));
    }
    Ok(v)
}

/// `axis` (negative counts from the end) as an index in `0..rank`.
pub fn normalize_axis(ctx: &PrepareContext<'_, '_>, axis: i64, rank: usize, what: &str) -> Result<usize> {
    let a = if axis < 0 { axis + rank as i64 } else { axis };
    if a < 0 || a >= rank as i64 {
        return Err(ctx.err(format!("{what} {axis} is out of range for rank {rank}")));
    }
    Ok(a as usize)
}

/// Product of dimensions, as usize (shapes were checked against the arena's limits already).
///
/// 0 when a dimension is 0, however large the others are (an empty tensor's other dimensions
/// are not bounded by the tensor size limit, so a plain product could overflow); otherwise
/// saturating (the interpreter bounds every non-empty tensor's size).
pub fn product(dims: &[usize]) -> usize {
    if dims.contains(&0) { 0 } else { dims.iter().fold(1usize, |a, &d| a.saturating_mul(d)) }
}

/// Row-major strides of `shape`, in elements.
pub fn row_major_strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1usize; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1].saturating_mul(shape[i + 1]);
    }
    s
}

/// An n-dimensional affine copy between two byte buffers; see the module doc.
#[derive(Debug, Clone)]
pub struct Affine {
    /// Iteration counts, outermost first (size-1 axes removed, contiguous axes merged).
    counts: Vec<usize>,
    /// Byte strides in the source, per axis.
    src: Vec<isize>,
    /// Byte strides in the destination, per axis.
    dst: Vec<isize>,
    src_base: isize,
    dst_base: isize,
    esize: usize,
    /// Whether the innermost axis is contiguous on both sides (copied as one run).
    inner_run: bool,
    empty: bool,
    /// Per outer axis, the number of outer iterations after which it wraps (the product of the
    /// counts of it and the outer axes inside it): the odometer needs no mutable counters.
    wrap: Vec<usize>,
}

impl Affine {
    /// A copy of `counts` elements of `esize` bytes; strides and bases are in elements.
    pub fn new(
        counts: &[usize],
        src_strides: &[isize],
        src_base: isize,
        dst_strides: &[isize],
        dst_base: isize,
        esize: usize,
    ) -> Affine {
        let e = esize as isize;
        let empty = counts.contains(&0);
        if empty {
            // Copies nothing; the strides of an empty tensor (huge other dimensions) are not used
            // and could overflow.
            let (counts, src, dst, wrap) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            return Affine { counts, src, dst, src_base: 0, dst_base: 0, esize, inner_run: false, empty, wrap };
        }
        // Drop size-1 axes, then merge an axis into the previous one when both sides are
        // contiguous across the boundary.
        let mut c: Vec<usize> = Vec::new();
        let mut s: Vec<isize> = Vec::new();
        let mut d: Vec<isize> = Vec::new();
        for ((&n, &ss), &ds) in counts.iter().zip(src_strides).zip(dst_strides) {
            if n == 1 {
                continue;
            }
            if let (Some(&ps), Some(&pd)) = (s.last(), d.last())
                && ps == ss * n as isize
                && pd == ds * n as isize
            {
                let last = c.len() - 1;
                c[last] *= n;
                s[last] = ss;
                d[last] = ds;
                continue;
            }
            c.push(n);
            s.push(ss);
            d.push(ds);
        }
        let inner_run = matches!((s.last(), d.last()), (Some(1), Some(1)));
        // wrap[ax] = counts[ax] · … · counts[rank − 2] (saturating: the copy never gets that far
        // when it overflows, as the tensor could not exist).
        let mut wrap = vec![1usize; c.len().saturating_sub(1)];
        let mut p = 1usize;
        for ax in (0..wrap.len()).rev() {
            p = p.saturating_mul(c[ax]);
            wrap[ax] = p;
        }
        Affine {
            counts: c,
            src: s.iter().map(|x| x * e).collect(),
            dst: d.iter().map(|x| x * e).collect(),
            src_base: src_base * e,
            dst_base: dst_base * e,
            esize,
            inner_run,
            empty,
            wrap,
        }
    }

    /// A plain contiguous copy of `n` elements from `src_base` to `dst_base` (in elements).
    pub fn contiguous(n: usize, src_base: usize, dst_base: usize, esize: usize) -> Affine {
        Affine::new(&[n], &[1], src_base as isize, &[1], dst_base as isize, esize)
    }

    /// Number of elements copied.
    pub fn elements(&self) -> usize {
        if self.empty { 0 } else { self.counts.iter().product() }
    }

    /// Runs the copy. An offset outside either buffer (impossible when `prepare` built the copy
    /// from the tensors' shapes) is an error, not a panic.
    pub fn run(&self, src: &[u8], dst: &mut [u8]) -> Result<()> {
        if self.empty {
            return Ok(());
        }
        let rank = self.counts.len();
        let oob = || Error::Internal("data-movement copy out of bounds".into());
        if rank == 0 {
            let s = usize::try_from(self.src_base).map_err(|_| oob())?;
            let d = usize::try_from(self.dst_base).map_err(|_| oob())?;
            let from = src.get(s..s + self.esize).ok_or_else(oob)?;
            dst.get_mut(d..d + self.esize).ok_or_else(oob)?.copy_from_slice(from);
            return Ok(());
        }
        let run_len = if self.inner_run { self.counts[rank - 1] } else { 1 };
        let run_bytes = run_len * self.esize;
        let (inner_count, inner_s, inner_d) =
            if self.inner_run { (1, 0, 0) } else { (self.counts[rank - 1], self.src[rank - 1], self.dst[rank - 1]) };
        let outer_axes = rank - 1;
        // Outer iterations done so far; outer axis `ax` wraps when it is a multiple of wrap[ax].
        let mut n = 0usize;
        let (mut so, mut doff) = (self.src_base, self.dst_base);
        loop {
            // Innermost: either one contiguous run or `inner_count` single elements.
            let (mut s, mut d) = (so, doff);
            for _ in 0..inner_count {
                let (su, du) = (s as usize, d as usize);
                if s < 0 || d < 0 {
                    return Err(oob());
                }
                let from = src.get(su..su + run_bytes).ok_or_else(oob)?;
                dst.get_mut(du..du + run_bytes).ok_or_else(oob)?.copy_from_slice(from);
                s += inner_s;
                d += inner_d;
            }
            // Advance the outer counters.
            n += 1;
            let mut ax = outer_axes;
            loop {
                if ax == 0 {
                    return Ok(());
                }
                ax -= 1;
                so += self.src[ax];
                doff += self.dst[ax];
                if !n.is_multiple_of(self.wrap[ax]) {
                    break;
                }
                so -= self.src[ax] * self.counts[ax] as isize;
                doff -= self.dst[ax] * self.counts[ax] as isize;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(a: &Affine, src: &[u8], n: usize) -> Vec<u8> {
        let mut dst = vec![0u8; n];
        a.run(src, &mut dst).unwrap();
        dst
    }

    #[test]
    fn transpose_2x3() {
        // out[j, i] = in[i, j] for in of shape [2, 3]: out shape [3, 2], src strides [1, 3].
        let src: Vec<u8> = (0..6).collect();
        let a = Affine::new(&[3, 2], &[1, 3], 0, &[2, 1], 0, 1);
        assert_eq!(run(&a, &src, 6), vec![0, 3, 1, 4, 2, 5]);
    }

    #[test]
    fn merges_contiguous_axes_and_copies_runs() {
        let src: Vec<u8> = (0..24).collect();
        let a = Affine::new(&[2, 3, 4], &[12, 4, 1], 0, &[12, 4, 1], 0, 1);
        assert_eq!(a.counts, vec![24]);
        assert!(a.inner_run);
        assert_eq!(run(&a, &src, 24), src);
    }

    #[test]
    fn negative_strides_reverse() {
        // Reverse a [2, 3] tensor along axis 1 with 2-byte elements.
        let src: Vec<u8> = (0..12).collect();
        let a = Affine::new(&[2, 3], &[3, -1], 2, &[3, 1], 0, 2);
        assert_eq!(run(&a, &src, 12), vec![4, 5, 2, 3, 0, 1, 10, 11, 8, 9, 6, 7]);
    }

    #[test]
    fn scatter_into_a_bigger_buffer_and_empty_copies() {
        // Copy a [2, 2] block into the middle of a [3, 4] buffer at (1, 1).
        let src = [1u8, 2, 3, 4];
        let a = Affine::new(&[2, 2], &[2, 1], 0, &[4, 1], 5, 1);
        assert_eq!(run(&a, &src, 12), vec![0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0]);
        let e = Affine::new(&[2, 0], &[2, 1], 0, &[4, 1], 0, 1);
        assert_eq!(e.elements(), 0);
        assert_eq!(run(&e, &src, 3), vec![0, 0, 0]);
        // A scalar copy.
        let s = Affine::new(&[], &[], 2, &[], 0, 1);
        assert_eq!(run(&s, &src, 1), vec![3]);
    }

    #[test]
    fn out_of_bounds_is_an_error() {
        let a = Affine::contiguous(4, 1, 0, 1);
        let mut dst = [0u8; 4];
        assert!(a.run(&[0, 1, 2, 3], &mut dst).is_err());
    }

    #[test]
    fn strides() {
        assert_eq!(row_major_strides(&[2, 3, 4]), vec![12, 4, 1]);
        assert_eq!(row_major_strides(&[]), Vec::<usize>::new());
    }

    #[test]
    fn empty_shapes_with_huge_dimensions_do_not_overflow() {
        // A zero dimension next to huge ones: 0 elements, no overflow (debug builds panic on it).
        let huge = [usize::MAX / 3, usize::MAX / 5, 0, 469767680];
        assert_eq!(product(&huge), 0);
        assert_eq!(product(&[2, 3, 4]), 24);
        let strides = row_major_strides(&huge);
        let s: Vec<isize> = strides.iter().map(|&v| v as isize).collect();
        let a = Affine::new(&huge, &s, 0, &s, 0, 4);
        assert_eq!(a.elements(), 0);
        a.run(&[], &mut []).unwrap();
    }
}
