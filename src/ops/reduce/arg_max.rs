//! ARG_MAX and ARG_MIN along one axis (`kernels/arg_min_max.cc`, `reference/arg_min_max.h`).
//!
//! Input float32, int8, uint8 or int32 (quantized values are compared raw); the axis input must
//! be a constant int32/int64 tensor with one element (negative counts from the end); the output
//! type (int32 or int64) is the options' `output_type` and must match the output tensor. Output
//! shape: the input's without the axis dimension, which must not be empty.
//!
//! For each (outer, inner) position the scan starts at index 0 and moves to index i only when
//! `x[i]` is strictly greater (ARG_MAX) or smaller (ARG_MIN), so ties give the first index.
//!
//! TFLite's ARG_MAX/ARG_MIN has no separate reference kernel: it always runs
//! `optimized_ops::ArgMinMax`, which matters for float NaN (measured on the pinned
//! ai-edge-litert 2.3.0, x86-64, where the NEON code runs through NEON_2_SSE):
//! - a slice with inner size > 1 (or int32 input) takes `reference_ops::ArgMinMax` with its
//!   NaN-aware comparator: a candidate replaces the current value when it is not NaN and the
//!   current one is NaN or it compares strictly better;
//! - a contiguous slice (inner size 1) of float takes `ArgMaxVector`/`ArgMinVector` (see
//!   [`vector_f32`]): four lanes hold the first four values, each following full block of four
//!   updates its lane with the NaN-aware rule, the lanes are reduced pairwise with
//!   `p(x, y) = x < y ? y : x` (max; `x > y ? y : x` for min, so a NaN in the first operand
//!   wins), the result index is the smallest lane index whose value equals the reduced value —
//!   0 when none does (a NaN) — and the leftover elements continue with the NaN-aware rule from
//!   that value; slices shorter than four use the NaN-aware scan from element 0. Without NaN this
//!   is the plain first-index scan. int8/uint8 contiguous slices use the plain scan.

use crate::dtype::DType;
use crate::error::Result;
use crate::ops::Scratch;
use crate::ops::{Element, Inputs, Kernel, Outputs, PrepareContext};
use crate::tflite;

/// Comparable input element.
trait Key: Element + Copy + PartialOrd {
    /// Whether this value is a float NaN.
    fn is_nan(self) -> bool {
        false
    }
    /// TFLite's `ArgMaxVector`/`ArgMinVector` for a contiguous slice, when it differs from the
    /// generic scan (float only).
    fn vector(_x: &[Self], _is_max: bool) -> Option<usize> {
        None
    }
}
impl Key for f32 {
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
    fn vector(x: &[Self], is_max: bool) -> Option<usize> {
        Some(vector_f32(x, is_max))
    }
}
impl Key for i8 {}
impl Key for u8 {}
impl Key for i32 {}

/// Whether `candidate` replaces `current` (NaN-aware: a NaN never wins; a number replaces NaN).
#[inline]
fn better<T: Key>(is_max: bool, candidate: T, current: T) -> bool {
    !candidate.is_nan() && (current.is_nan() || if is_max { candidate > current } else { candidate < current })
}

/// TFLite 2.3.0's `ArgMaxVector<float>` / `ArgMinVector<float>` on x86-64 (NEON via NEON_2_SSE),
/// reconstructed and checked against it on random slices with NaN and infinities (see the module
/// doc). `x` must not be empty.
fn vector_f32(x: &[f32], is_max: bool) -> usize {
    let mut best = x[0];
    let mut index = 0;
    let mut i = 1;
    if x.len() >= 4 {
        let mut lanes = [x[0], x[1], x[2], x[3]];
        let mut lane_index = [0, 1, 2, 3];
        i = 4;
        while i + 4 <= x.len() {
            for k in 0..4 {
                if better(is_max, x[i + k], lanes[k]) {
                    lanes[k] = x[i + k];
                    lane_index[k] = i + k;
                }
            }
            i += 4;
        }
        // Pairwise reduction (vpmax/vpmin emulation): the first operand wins unless the second
        // compares strictly better.
        let pair = |a: f32, b: f32| if (is_max && a < b) || (!is_max && a > b) { b } else { a };
        best = pair(pair(lanes[0], lanes[1]), pair(lanes[2], lanes[3]));
        index = (0..4).filter(|&k| lanes[k] == best).map(|k| lane_index[k]).min().unwrap_or(0);
    }
    for (j, &v) in x.iter().enumerate().skip(i) {
        if better(is_max, v, best) {
            best = v;
            index = j;
        }
    }
    index
}

/// Output index type.
trait Index: Element + Copy {
    fn from_usize(i: usize) -> Self;
}
impl Index for i32 {
    fn from_usize(i: usize) -> Self {
        i as i32
    }
}
impl Index for i64 {
    fn from_usize(i: usize) -> Self {
        i as i64
    }
}

struct ArgMinMax<T, I> {
    outer: usize,
    axis_size: usize,
    inner: usize,
    is_max: bool,
    _t: std::marker::PhantomData<(T, I)>,
}

impl<T: Key, I: Index> Kernel for ArgMinMax<T, I> {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let x = inputs.get::<T>(0)?;
        let out = outputs.get::<I>(0)?;
        let (axis_size, inner) = (self.axis_size, self.inner);
        if inner == 1 {
            for (o, row) in out.iter_mut().zip(x.chunks_exact(axis_size)).take(self.outer) {
                let i = match T::vector(row, self.is_max) {
                    Some(i) => i,
                    None => {
                        let mut best_i = 0;
                        for (i, &v) in row.iter().enumerate().skip(1) {
                            if better(self.is_max, v, row[best_i]) {
                                best_i = i;
                            }
                        }
                        best_i
                    }
                };
                *o = I::from_usize(i);
            }
            return Ok(());
        }
        for o in 0..self.outer {
            let base = o * axis_size * inner;
            for j in 0..inner {
                let mut best = x[base + j];
                let mut best_i = 0;
                for i in 1..axis_size {
                    let v = x[base + i * inner + j];
                    if better(self.is_max, v, best) {
                        best = v;
                        best_i = i;
                    }
                }
                out[o * inner + j] = I::from_usize(best_i);
            }
        }
        Ok(())
    }
}

fn make<'m, T: Key + 'm>(g: (usize, usize, usize), is_max: bool, out: DType) -> Option<Box<dyn Kernel + 'm>> {
    let (outer, axis_size, inner) = g;
    Some(match out {
        DType::Int32 => Box::new(ArgMinMax::<T, i32> { outer, axis_size, inner, is_max, _t: std::marker::PhantomData }),
        DType::Int64 => Box::new(ArgMinMax::<T, i64> { outer, axis_size, inner, is_max, _t: std::marker::PhantomData }),
        _ => return None,
    })
}

fn prepare_arg<'m>(ctx: &mut PrepareContext<'_, 'm>, is_max: bool) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(2..=2, 1)?;
    let out_type = if is_max {
        ctx.options::<tflite::ArgMaxOptions>().map(|o| o.output_type())
    } else {
        ctx.options::<tflite::ArgMinOptions>().map(|o| o.output_type())
    };
    let to = ctx.output_dtype(0)?;
    let wanted = match out_type {
        Some(tflite::TensorType::INT32) => DType::Int32,
        Some(tflite::TensorType::INT64) => DType::Int64,
        other => return Err(ctx.refused_by_tflite(format!("unsupported output_type {other:?}"))),
    };
    if to != wanted {
        return Err(ctx.err(format!("output tensor is {to} but output_type is {wanted}")));
    }
    let shape = ctx.input_shape(0)?.to_vec();
    let rank = shape.len();
    if rank == 0 {
        return Err(ctx.err("input must have at least one dimension"));
    }
    let axis: i64 = match ctx.input_dtype(1)? {
        DType::Int32 => {
            let a = ctx.const_input::<i32>(1)?;
            if a.len() != 1 {
                return Err(ctx.err("axis must have exactly one element"));
            }
            a[0] as i64
        }
        DType::Int64 => {
            let a = ctx.const_input::<i64>(1)?;
            if a.len() != 1 {
                return Err(ctx.err("axis must have exactly one element"));
            }
            a[0]
        }
        dt => return Err(ctx.err(format!("axis must be int32 or int64, got {dt}"))),
    };
    let axis = if axis < 0 { axis + rank as i64 } else { axis };
    if axis < 0 || axis >= rank as i64 {
        return Err(ctx.err(format!("axis {axis} is out of range for rank {rank}")));
    }
    let axis = axis as usize;
    let axis_size = shape[axis];
    if axis_size == 0 {
        return Err(ctx.err("cannot compute ARG_MAX/ARG_MIN over an empty axis"));
    }
    let outer: usize = shape[..axis].iter().product();
    let inner: usize = shape[axis + 1..].iter().product();
    let mut out_shape = shape.clone();
    out_shape.remove(axis);
    ctx.set_output_shape(0, out_shape)?;
    let g = (outer, axis_size, inner);
    let ti = ctx.input_dtype(0)?;
    let k = match ti {
        DType::Float32 => make::<f32>(g, is_max, to),
        DType::Int8 => make::<i8>(g, is_max, to),
        DType::UInt8 => make::<u8>(g, is_max, to),
        DType::Int32 => make::<i32>(g, is_max, to),
        _ => None,
    };
    k.ok_or_else(|| ctx.unsupported(format!("unsupported types: input {ti}, output {to}")))
}

/// Prepares ARG_MAX.
pub fn prepare_arg_max<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_arg(ctx, true)
}

/// Prepares ARG_MIN.
pub fn prepare_arg_min<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_arg(ctx, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::run_kernel;

    fn run<T: Key, I: Index>(k: &mut ArgMinMax<T, I>, x: &[T], n: usize) -> Vec<I> {
        let out = run_kernel(k, &[bytemuck::cast_slice(x)], &[n * std::mem::size_of::<I>()]).unwrap();
        bytemuck::pod_collect_to_vec(&out[0])
    }

    #[test]
    fn ties_give_the_first_index() {
        // [2, 3] along axis 1 (inner 1) and along axis 0 (inner 3).
        let x: [i8; 6] = [5, 7, 7, -1, -1, -2];
        let mut k = ArgMinMax::<i8, i32> { outer: 2, axis_size: 3, inner: 1, is_max: true, _t: Default::default() };
        assert_eq!(run(&mut k, &x, 2), vec![1, 0]);
        k.is_max = false;
        assert_eq!(run(&mut k, &x, 2), vec![0, 2]);
        let mut k = ArgMinMax::<i8, i64> { outer: 1, axis_size: 2, inner: 3, is_max: true, _t: Default::default() };
        assert_eq!(run(&mut k, &x, 3), vec![0i64, 0, 0]);
    }

    #[test]
    fn float_nan_follows_tflite_paths() {
        // Values measured with TFLite 2.3.0 BUILTIN_REF.
        let n = f32::NAN;
        let vmax = |x: &[f32]| vector_f32(x, true);
        let vmin = |x: &[f32]| vector_f32(x, false);
        // Short slices: NaN-aware scan.
        assert_eq!((vmax(&[n, f32::INFINITY]), vmin(&[n, -126.3, 264.6])), (1, 1));
        // Four lanes, pairwise reduction: a leading NaN wins the pair, so no lane matches → 0.
        assert_eq!((vmax(&[n, 1.0, 2.0, 3.0]), vmin(&[n, 1.0, 2.0, 3.0])), (0, 0));
        assert_eq!(vmax(&[1.0, 2.0, n, 3.0]), 1); // max(max(1, 2), max(NaN, 3) = NaN) = 2
        assert_eq!(vmin(&[2.0, 3.0, n, 1.0]), 0);
        // The leftover continues from the NaN: 4 replaces it although 9 is larger.
        assert_eq!((vmax(&[n, 1.0, 2.0, 9.0, 4.0]), vmin(&[n, 5.0, 2.0, 3.0, 4.0])), (4, 4));
        // Full blocks update their lanes NaN-aware.
        assert_eq!(
            (vmax(&[n, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]), vmin(&[8.0, n, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])),
            (7, 2)
        );
        // Through the kernel: inner 1 uses the vector path, inner > 1 the NaN-aware reference.
        let mut k = ArgMinMax::<f32, i32> { outer: 1, axis_size: 4, inner: 1, is_max: true, _t: Default::default() };
        assert_eq!(run(&mut k, &[n, 1.0, n, 3.0], 1), vec![0]);
        let mut k = ArgMinMax::<f32, i32> { outer: 1, axis_size: 2, inner: 2, is_max: true, _t: Default::default() };
        assert_eq!(run(&mut k, &[n, 1.0, 2.0, n], 2), vec![1, 0]);
        // Without NaN the vector path is the first-index scan.
        assert_eq!(vmax(&[1.0, 5.0, 2.0, 5.0, 0.0, 5.0, 1.0, 1.0, 5.0]), 1);
        assert_eq!(vmin(&[0.0, -0.0, 3.0, 0.0, 1.0]), 0);
    }
}
