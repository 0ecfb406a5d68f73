//! GATHER: `out[b, o, i, n] = in[b, o, idx[b, i], n]` along `axis`, with `batch_dims` leading
//! axes shared by the input and the indices.
//!
//! Contract (TFLite `kernels/gather.cc`, `reference/gather.h`):
//! - Indices (input 1): int16, int32 or int64, any shape. `axis` (negative adds the input's rank)
//!   in [0, rank); `batch_dims` (negative adds the indices' rank) with 0 ≤ batch_dims ≤ axis,
//!   batch_dims < rank(input), batch_dims ≤ rank(indices), and the first batch_dims dimensions of
//!   input and indices equal.
//! - Output shape: `input[..axis] ++ indices[batch_dims..] ++ input[axis+1..]`, the input's type.
//! - At run time a negative index, or one ≥ the axis size, is an error (as in TFLite; no
//!   clamping, no wrap-around).
//! - Types: float32, float16, bfloat16, uint8, int8, int16, uint16, int32, int64, bool. Bytes are
//!   copied: quantization is neither checked nor changed, as in TFLite.

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::ops::Scratch;
use crate::ops::movement::{elem_size, normalize_axis, product};
use crate::ops::{Inputs, Kernel, Outputs, PrepareContext};
use crate::tflite;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Index {
    I16,
    I32,
    I64,
}

struct Gather {
    index: Index,
    batch: usize,
    outer: usize,
    axis_size: usize,
    coords: usize,
    /// Bytes of one gathered slice (the input's trailing axes).
    inner_bytes: usize,
}

fn run<I: Copy + Into<i64>>(g: &Gather, idx: &[I], src: &[u8], dst: &mut [u8]) -> Result<()> {
    let oob = || Error::Usage("gather index out of bounds".into());
    if idx.iter().any(|&i| i.into() < 0) {
        return Err(Error::Usage("gather indices must not be negative".into()));
    }
    if dst.is_empty() {
        // An empty output: nothing to copy, however large the outer dimensions are; the
        // indices are still checked.
        return match idx.iter().map(|&i| i.into()).find(|&c| c >= g.axis_size as i64) {
            Some(c) => Err(Error::Usage(format!("gather index {c} is out of range [0, {})", g.axis_size))),
            None => Ok(()),
        };
    }
    let ib = g.inner_bytes;
    for b in 0..g.batch {
        for o in 0..g.outer {
            for i in 0..g.coords {
                let c = idx.get(b * g.coords + i).copied().ok_or_else(oob)?.into();
                if c >= g.axis_size as i64 {
                    return Err(Error::Usage(format!("gather index {c} is out of range [0, {})", g.axis_size)));
                }
                let from = ((b * g.outer + o) * g.axis_size + c as usize) * ib;
                let to = ((b * g.outer + o) * g.coords + i) * ib;
                let s = src.get(from..from + ib).ok_or_else(oob)?;
                dst.get_mut(to..to + ib).ok_or_else(oob)?.copy_from_slice(s);
            }
        }
    }
    Ok(())
}

impl Kernel for Gather {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let src = inputs.bytes(0);
        let dst = outputs.bytes(0);
        match self.index {
            Index::I16 => run(self, inputs.get::<i16>(1)?, src, dst),
            Index::I32 => run(self, inputs.get::<i32>(1)?, src, dst),
            Index::I64 => run(self, inputs.get::<i64>(1)?, src, dst),
        }
    }
}

/// Prepares GATHER.
pub fn prepare<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(2..=2, 1)?;
    let index = match ctx.input_dtype(1)? {
        DType::Int16 => Index::I16,
        DType::Int32 => Index::I32,
        DType::Int64 => Index::I64,
        t => return Err(ctx.unsupported(format!("indices of type {t} are not supported"))),
    };
    let dtype = ctx.input_dtype(0)?;
    crate::ops::movement::check_type(
        ctx,
        dtype,
        &[
            DType::Float32,
            DType::Float16,
            DType::BFloat16,
            DType::UInt8,
            DType::Int8,
            DType::Int16,
            DType::UInt16,
            DType::Int64,
            DType::Int32,
            DType::Bool,
        ],
    )?;
    let esize = elem_size(ctx, dtype)?;
    if ctx.output_dtype(0)? != dtype {
        return Err(ctx.err(format!("output is {}, input is {dtype}", ctx.output_dtype(0)?)));
    }
    let (axis, batch_dims) = ctx.options::<tflite::GatherOptions>().map_or((0, 0), |o| (o.axis(), o.batch_dims()));
    let shape = ctx.input_shape(0)?.to_vec();
    let ishape = ctx.input_shape(1)?.to_vec();
    let axis = normalize_axis(ctx, axis as i64, shape.len(), "axis")?;
    let bd = if batch_dims < 0 { batch_dims as i64 + ishape.len() as i64 } else { batch_dims as i64 };
    if bd < 0 || bd > axis as i64 || bd >= shape.len() as i64 || bd > ishape.len() as i64 {
        return Err(ctx.err(format!(
            "batch_dims {batch_dims} is out of range (axis {axis}, ranks {} and {})",
            shape.len(),
            ishape.len()
        )));
    }
    let bd = bd as usize;
    if shape[..bd] != ishape[..bd] {
        return Err(ctx.err(format!("the first {bd} dimensions of {shape:?} and {ishape:?} differ")));
    }
    let mut out_shape: Vec<usize> = shape[..axis].to_vec();
    out_shape.extend_from_slice(&ishape[bd..]);
    out_shape.extend_from_slice(&shape[axis + 1..]);
    ctx.set_output_shape(0, out_shape)?;
    Ok(Box::new(Gather {
        index,
        batch: product(&shape[..bd]),
        outer: product(&shape[bd..axis]),
        axis_size: shape[axis],
        coords: product(&ishape[bd..]),
        inner_bytes: product(&shape[axis + 1..]).saturating_mul(esize),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::run_kernel;

    fn g(batch: usize, outer: usize, axis_size: usize, coords: usize, inner: usize) -> Gather {
        Gather { index: Index::I32, batch, outer, axis_size, coords, inner_bytes: inner }
    }

    #[test]
    fn gathers_rows_and_columns() {
        // in [3, 2] = 0..6: rows [2, 0, 2] → [[4, 5], [0, 1], [4, 5]].
        let x: Vec<u8> = (0..6).collect();
        let idx: [i32; 3] = [2, 0, 2];
        let out = run_kernel(&g(1, 1, 3, 3, 2), &[&x, bytemuck::cast_slice(&idx)], &[6]).unwrap();
        assert_eq!(out[0], vec![4, 5, 0, 1, 4, 5]);
        // axis 1: columns [1, 1, 0] → [[1, 1, 0], [3, 3, 2], [5, 5, 4]].
        let idx: [i32; 3] = [1, 1, 0];
        let out = run_kernel(&g(1, 3, 2, 3, 1), &[&x, bytemuck::cast_slice(&idx)], &[9]).unwrap();
        assert_eq!(out[0], vec![1, 1, 0, 3, 3, 2, 5, 5, 4]);
    }

    #[test]
    fn batch_dims_pick_per_batch() {
        // in [2, 3] = 0..6, indices [2, 1] = [[2], [0]], batch_dims 1, axis 1 → [[2], [3]].
        let x: Vec<u8> = (0..6).collect();
        let idx: [i32; 2] = [2, 0];
        let out = run_kernel(&g(2, 1, 3, 1, 1), &[&x, bytemuck::cast_slice(&idx)], &[2]).unwrap();
        assert_eq!(out[0], vec![2, 3]);
    }

    #[test]
    fn out_of_range_and_negative_indices_are_errors() {
        let x: Vec<u8> = (0..6).collect();
        let idx: [i32; 1] = [3];
        assert!(run_kernel(&g(1, 1, 3, 1, 2), &[&x, bytemuck::cast_slice(&idx)], &[2]).is_err());
        let idx: [i32; 1] = [-1];
        assert!(run_kernel(&g(1, 1, 3, 1, 2), &[&x, bytemuck::cast_slice(&idx)], &[2]).is_err());
    }
}
