//! TRANSPOSE: `out[i_0, …, i_{r−1}] = in[j]` with `j[perm[k]] = i_k`; output dimension k is
//! input dimension `perm[k]`.
//!
//! Contract (TFLite `kernels/transpose.cc`, `reference/transpose.h`): input 1 (`perm`, int32,
//! 1-D, one entry per input axis, each in [−rank, rank), negative entries count from the end)
//! must be known at prepare time in qlite. Rank ≤ 8. Any whole-byte element type; bytes are
//! copied (quantized tensors are not requantized and their parameters are not checked, as in
//! TFLite 2.21).
//!
//! TFLite 2.21 does not check that `perm` is a permutation: with a repeated axis it walks the
//! input with the strides of the repeated axis, `out[i] = in[Σ_k i_k · stride_in[perm[k]]]`. qlite
//! computes the same, and refuses a model where that walk would leave the input (TFLite reads
//! out of bounds there). A rank-0 input is copied (TFLite's reference indexes `stride[-1]` there:
//! undefined, and seen to loop for minutes).

use crate::dtype::DType;
use crate::error::Result;
use crate::ops::Scratch;
use crate::ops::movement::{Affine, const_ints, elem_size, product, row_major_strides};
use crate::ops::{Inputs, Kernel, Outputs, PrepareContext};

/// TFLite's `kTransposeMaxDimensions`.
const MAX_RANK: usize = 8;

/// A kernel that runs one [`Affine`] copy from input 0 to output 0.
pub struct AffineCopy(pub Affine);

impl Kernel for AffineCopy {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        self.0.run(inputs.bytes(0), outputs.bytes(0))
    }
}

/// The copy that permutes a tensor of `in_shape` by `perm` (entries in `0..rank`, distinct).
pub fn permute(in_shape: &[usize], perm: &[usize], esize: usize) -> (Vec<usize>, Affine) {
    let in_strides = row_major_strides(in_shape);
    let out_shape: Vec<usize> = perm.iter().map(|&p| in_shape[p]).collect();
    let src: Vec<isize> = perm.iter().map(|&p| in_strides[p] as isize).collect();
    let dst: Vec<isize> = row_major_strides(&out_shape).iter().map(|&s| s as isize).collect();
    let copy = Affine::new(&out_shape, &src, 0, &dst, 0, esize);
    (out_shape, copy)
}

/// Prepares TRANSPOSE.
pub fn prepare<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(2..=2, 1)?;
    let dtype = ctx.input_dtype(0)?;
    let esize = elem_size(ctx, dtype)?;
    if ctx.output_dtype(0)? != dtype {
        return Err(ctx.err(format!("output is {}, input is {dtype}", ctx.output_dtype(0)?)));
    }
    let in_shape = ctx.input_shape(0)?.to_vec();
    let rank = in_shape.len();
    if rank > MAX_RANK {
        return Err(ctx.refused_by_tflite(format!("rank {rank} is over TFLite's limit of {MAX_RANK}")));
    }
    if ctx.input_dtype(1)? != DType::Int32 {
        return Err(ctx.err(format!("perm must be int32, got {}", ctx.input_dtype(1)?)));
    }
    if ctx.input_shape(1)?.len() != 1 || ctx.input_shape(1)?[0] != rank {
        return Err(ctx.err(format!("perm has shape {:?}, expected [{rank}]", ctx.input_shape(1)?)));
    }
    let raw = const_ints(ctx, 1, "perm")?;
    let mut perm = Vec::with_capacity(rank);
    for &p in &raw {
        let r = rank as i64;
        if !(-r..r).contains(&p) {
            return Err(ctx.err(format!("perm {raw:?} is out of range for rank {rank}")));
        }
        perm.push(if p < 0 { p + r } else { p } as usize);
    }
    let (out_shape, copy) = permute(&in_shape, &perm, esize);
    // A repeated axis: the walk must stay inside the input.
    if product(&out_shape) > 0 {
        let strides = row_major_strides(&in_shape);
        let last: usize = out_shape.iter().zip(&perm).map(|(&n, &p)| (n - 1) * strides[p]).sum();
        if last >= product(&in_shape) {
            return Err(ctx.err(format!("perm {raw:?} repeats an axis and would read outside the input")));
        }
    }
    ctx.set_output_shape(0, out_shape)?;
    Ok(Box::new(AffineCopy(copy)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::run_kernel;

    #[test]
    fn permutes_a_3d_tensor() {
        // in [2, 3, 2] with values 0..12, perm [2, 0, 1] → out [2, 2, 3],
        // out[c, a, b] = in[a, b, c].
        let (shape, copy) = permute(&[2, 3, 2], &[2, 0, 1], 1);
        assert_eq!(shape, vec![2, 2, 3]);
        let x: Vec<u8> = (0..12).collect();
        let out = run_kernel(&AffineCopy(copy), &[&x], &[12]).unwrap();
        assert_eq!(out[0], vec![0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11]);
    }

    #[test]
    fn identity_and_int32_elements() {
        let (_, copy) = permute(&[2, 2], &[1, 0], 4);
        let x: [i32; 4] = [1, -2, 3, i32::MIN];
        let out = run_kernel(&AffineCopy(copy), &[bytemuck::cast_slice(&x)], &[16]).unwrap();
        assert_eq!(bytemuck::cast_slice::<u8, i32>(&out[0]), &[1, 3, -2, i32::MIN]);
    }
}
