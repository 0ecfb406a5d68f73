//! TILE: `out[i] = in[i mod in_shape]`, output dimension d = input dimension d × multiples[d].
//!
//! Contract (TFLite `kernels/tile.cc`): input 1 (`multiples`, int32 or int64, one entry per input
//! axis, each ≥ 0) must be known at prepare time in qlite. A scalar input is copied. Any
//! whole-byte element type; bytes are copied (quantization is neither checked nor changed, as in
//! TFLite).
//!
//! Computed as one affine copy over the interleaved index `[m_0, d_0, m_1, d_1, …]` whose source
//! strides are 0 along the repetitions.

use crate::dtype::DType;
use crate::error::Result;
use crate::ops::movement::transpose::AffineCopy;
use crate::ops::movement::{Affine, const_ints, elem_size, row_major_strides};
use crate::ops::{Kernel, PrepareContext};

/// The copy that tiles a tensor of `shape` by `mult`; returns (output shape, copy).
pub fn tile(shape: &[usize], mult: &[usize], esize: usize) -> (Vec<usize>, Affine) {
    let out: Vec<usize> = shape.iter().zip(mult).map(|(&d, &m)| d * m).collect();
    let in_s = row_major_strides(shape);
    let out_s = row_major_strides(&out);
    let (mut counts, mut src, mut dst) = (Vec::new(), Vec::new(), Vec::new());
    for a in 0..shape.len() {
        counts.extend([mult[a], shape[a]]);
        src.extend([0, in_s[a] as isize]);
        dst.extend([(shape[a] * out_s[a]) as isize, out_s[a] as isize]);
    }
    (out, Affine::new(&counts, &src, 0, &dst, 0, esize))
}

/// Prepares TILE.
pub fn prepare<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(2..=2, 1)?;
    let dtype = ctx.input_dtype(0)?;
    let esize = elem_size(ctx, dtype)?;
    if ctx.output_dtype(0)? != dtype {
        return Err(ctx.err(format!("output is {}, input is {dtype}", ctx.output_dtype(0)?)));
    }
    let mt = ctx.input_dtype(1)?;
    if !matches!(mt, DType::Int32 | DType::Int64) {
        return Err(ctx.unsupported(format!("multiples of type {mt} are not supported")));
    }
    let shape = ctx.input_shape(0)?.to_vec();
    let mult = const_ints(ctx, 1, "multiples")?;
    if mult.len() != shape.len() {
        return Err(ctx.err(format!("{} multiples for rank {}", mult.len(), shape.len())));
    }
    let mut m = Vec::with_capacity(mult.len());
    for (d, &v) in mult.iter().enumerate() {
        let out = (shape[d] as i64).checked_mul(v).filter(|o| (0..=i32::MAX as i64).contains(o));
        if v < 0 || out.is_none() {
            return Err(ctx.err(format!("multiple {v} of axis {d} is invalid for dimension {}", shape[d])));
        }
        m.push(v as usize);
    }
    let (out_shape, copy) = tile(&shape, &m, esize);
    ctx.set_output_shape(0, out_shape)?;
    Ok(Box::new(AffineCopy(copy)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::run_kernel;

    #[test]
    fn tiles_a_matrix() {
        // [[1, 2], [3, 4]] tiled (2, 3) → 4 × 6.
        let (shape, copy) = tile(&[2, 2], &[2, 3], 1);
        assert_eq!(shape, vec![4, 6]);
        let out = run_kernel(&AffineCopy(copy), &[&[1u8, 2, 3, 4]], &[24]).unwrap();
        let row1 = [1u8, 2, 1, 2, 1, 2];
        let row2 = [3u8, 4, 3, 4, 3, 4];
        assert_eq!(out[0], [row1, row2, row1, row2].concat());
    }

    #[test]
    fn zero_multiple_and_scalar() {
        let (shape, copy) = tile(&[3], &[0], 4);
        assert_eq!(shape, vec![0]);
        assert_eq!(copy.elements(), 0);
        let (shape, copy) = tile(&[], &[], 2);
        assert_eq!(shape, Vec::<usize>::new());
        assert_eq!(copy.elements(), 1);
        let out = run_kernel(&AffineCopy(copy), &[&[7u8, 9]], &[2]).unwrap();
        assert_eq!(out[0], vec![7, 9]);
    }
}
