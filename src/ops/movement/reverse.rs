//! REVERSE_V2: reverses the input along the axes listed in input 1.
//!
//! Contract (TFLite `kernels/reverse.cc`, `reference/reverse.h`): input 1 (`axis`, int32, 1-D,
//! at most min(rank, 8) entries, negative entries add the rank) must be known at prepare time in
//! qlite; the sorted axes must be consecutive (TFLite refuses others, and repeated axes, at
//! invoke; qlite at prepare). Rank ≤ 8. Types: float32, float16, bfloat16, int32, uint8, int8,
//! int16, int64, bool; bytes are copied. With no axes qlite copies the input (TFLite's reference
//! reads an unset axis there; its result is undefined). An empty input gives an empty output
//! (TFLite 2.21's reference reverses a block of the input's nominal size from its null data
//! pointer there and crashes, e.g. shape [2, 3, 4, 0] reversed along axis 2).

use crate::dtype::DType;
use crate::error::Result;
use crate::ops::movement::transpose::AffineCopy;
use crate::ops::movement::{Affine, const_ints, elem_size, row_major_strides};
use crate::ops::{Kernel, PrepareContext};

/// The copy that reverses `axes` (distinct, in range) of a tensor of `shape`.
pub fn reverse(shape: &[usize], axes: &[usize], esize: usize) -> Affine {
    let st = row_major_strides(shape);
    let mut base = 0isize;
    let src: Vec<isize> = (0..shape.len())
        .map(|a| {
            if axes.contains(&a) {
                base += (shape[a].saturating_sub(1) * st[a]) as isize;
                -(st[a] as isize)
            } else {
                st[a] as isize
            }
        })
        .collect();
    let dst: Vec<isize> = st.iter().map(|&s| s as isize).collect();
    Affine::new(shape, &src, base, &dst, 0, esize)
}

/// Prepares REVERSE_V2.
pub fn prepare<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(2..=2, 1)?;
    let dtype = ctx.input_dtype(0)?;
    crate::ops::movement::check_type(
        ctx,
        dtype,
        &[
            DType::Int32,
            DType::Float32,
            DType::UInt8,
            DType::Int8,
            DType::Int16,
            DType::Int64,
            DType::Bool,
            DType::Float16,
            DType::BFloat16,
        ],
    )?;
    let esize = elem_size(ctx, dtype)?;
    if ctx.output_dtype(0)? != dtype {
        return Err(ctx.err(format!("output is {}, input is {dtype}", ctx.output_dtype(0)?)));
    }
    let shape = ctx.input_shape(0)?.to_vec();
    let rank = shape.len();
    if ctx.input_dtype(1)? != DType::Int32 {
        return Err(ctx.err(format!("axis must be int32, got {}", ctx.input_dtype(1)?)));
    }
    let ashape = ctx.input_shape(1)?;
    if ashape.len() != 1 || ashape[0] > rank || ashape[0] > 8 || rank > 8 {
        return Err(ctx.err(format!("axis of shape {ashape:?} does not fit rank {rank} (at most 8)")));
    }
    let raw = const_ints(ctx, 1, "axis")?;
    let mut axes = Vec::with_capacity(raw.len());
    for &a in &raw {
        let n = if a < 0 { a + rank as i64 } else { a };
        if !(0..rank as i64).contains(&n) {
            return Err(ctx.err(format!("axis {a} is out of range for rank {rank}")));
        }
        axes.push(n as usize);
    }
    axes.sort_unstable();
    if axes.windows(2).any(|w| w[0] + 1 != w[1]) {
        return Err(
            ctx.refused_by_tflite(format!("axes {raw:?} are not consecutive (TFLite supports only consecutive axes)"))
        );
    }
    ctx.set_output_shape(0, shape.clone())?;
    Ok(Box::new(AffineCopy(reverse(&shape, &axes, esize))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::run_kernel;

    #[test]
    fn reverses_inner_and_outer_axes() {
        let x: Vec<u8> = (0..6).collect();
        // [2, 3] reversed along axis 1 → [[2, 1, 0], [5, 4, 3]].
        let out = run_kernel(&AffineCopy(reverse(&[2, 3], &[1], 1)), &[&x], &[6]).unwrap();
        assert_eq!(out[0], vec![2, 1, 0, 5, 4, 3]);
        // Both axes → fully reversed.
        let out = run_kernel(&AffineCopy(reverse(&[2, 3], &[0, 1], 1)), &[&x], &[6]).unwrap();
        assert_eq!(out[0], vec![5, 4, 3, 2, 1, 0]);
        // Axis 0 only, 2-byte elements.
        let out = run_kernel(&AffineCopy(reverse(&[2, 3], &[0], 2)), &[&(0..12).collect::<Vec<u8>>()], &[12]).unwrap();
        assert_eq!(out[0], vec![6, 7, 8, 9, 10, 11, 0, 1, 2, 3, 4, 5]);
    }
}
