//! SLICE: `out = in[begin_0 : begin_0 + size_0, …]`.
//!
//! Contract (TFLite `kernels/slice.cc`, `reference/slice.h`): inputs 1 (`begin`) and 2 (`size`)
//! are int32 or int64 (the same type), 1-D with one entry per input axis, and must be known at
//! prepare time in qlite. Per axis of size d: 0 ≤ begin ≤ d; size −1 means d − begin, otherwise
//! 0 ≤ size ≤ d − begin. Any whole-byte element type; bytes are copied (quantization is neither
//! checked nor changed, as in TFLite). qlite always derives the output shape from begin/size and
//! validates them; TFLite skips that validation when the file states a fully known output shape.

use crate::dtype::DType;
use crate::error::Result;
use crate::ops::movement::transpose::AffineCopy;
use crate::ops::movement::{Affine, const_ints, elem_size, row_major_strides};
use crate::ops::{Kernel, PrepareContext};

/// Prepares SLICE.
pub fn prepare<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(3..=3, 1)?;
    let dtype = ctx.input_dtype(0)?;
    let esize = elem_size(ctx, dtype)?;
    if ctx.output_dtype(0)? != dtype {
        return Err(ctx.err(format!("output is {}, input is {dtype}", ctx.output_dtype(0)?)));
    }
    let (bt, st) = (ctx.input_dtype(1)?, ctx.input_dtype(2)?);
    if !matches!(bt, DType::Int32 | DType::Int64) || bt != st {
        return Err(ctx.err(format!("begin and size must both be int32 or int64, got {bt} and {st}")));
    }
    let in_shape = ctx.input_shape(0)?.to_vec();
    let rank = in_shape.len();
    for k in 1..=2 {
        let s = ctx.input_shape(k)?;
        if s.len() != 1 || s[0] != rank {
            return Err(ctx.err(format!("input {k} has shape {s:?}, expected [{rank}]")));
        }
    }
    let begin = const_ints(ctx, 1, "begin")?;
    let size = const_ints(ctx, 2, "size")?;
    let mut out_shape = Vec::with_capacity(rank);
    for d in 0..rank {
        let (b, s, n) = (begin[d], size[d], in_shape[d] as i64);
        if b < 0 || b > n {
            return Err(ctx.err(format!("begin {b} is out of range for axis {d} of size {n}")));
        }
        let len = if s == -1 {
            n - b
        } else if s < 0 || s > n - b {
            return Err(ctx.err(format!("size {s} at begin {b} is out of range for axis {d} of size {n}")));
        } else {
            s
        };
        out_shape.push(len as usize);
    }
    ctx.set_output_shape(0, out_shape.clone())?;
    let in_strides = row_major_strides(&in_shape);
    let base: usize = begin.iter().zip(&in_strides).map(|(&b, &s)| b as usize * s).sum();
    let src: Vec<isize> = in_strides.iter().map(|&s| s as isize).collect();
    let dst: Vec<isize> = row_major_strides(&out_shape).iter().map(|&s| s as isize).collect();
    Ok(Box::new(AffineCopy(Affine::new(&out_shape, &src, base as isize, &dst, 0, esize))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::run_kernel;

    #[test]
    fn slices_a_block() {
        // in [3, 4] = 0..12; begin [1, 1], size [2, -1] → rows 1..3, columns 1..4.
        let a = Affine::new(&[2, 3], &[4, 1], 5, &[3, 1], 0, 1);
        let x: Vec<u8> = (0..12).collect();
        let out = run_kernel(&AffineCopy(a), &[&x], &[6]).unwrap();
        assert_eq!(out[0], vec![5, 6, 7, 9, 10, 11]);
    }
}
