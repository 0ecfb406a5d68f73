//! DEPTH_TO_SPACE and SPACE_TO_DEPTH on 4-D NHWC tensors with block size b > 0.
//!
//! Contract (TFLite `kernels/depth_to_space.cc`, `kernels/space_to_depth.cc`,
//! `reference_ops::DepthToSpace/SpaceToDepth`):
//! - DEPTH_TO_SPACE: `[N, H, W, C]` with C divisible by b² → `[N, H·b, W·b, C/b²]`,
//!   `out[n, h·b + i, w·b + j, c] = in[n, h, w, (i·b + j)·C/b² + c]`.
//! - SPACE_TO_DEPTH: `[N, H, W, C]` with H and W divisible by b → `[N, H/b, W/b, C·b²]`,
//!   `out[n, h, w, (i·b + j)·C + c] = in[n, h·b + i, w·b + j, c]`.
//! - Types: float32, uint8, int8, int32, int64 (TFLite 2.21 refuses uint16); bytes are copied
//!   (quantization is neither checked nor changed, as in TFLite).

use crate::dtype::DType;
use crate::error::Result;
use crate::ops::movement::transpose::AffineCopy;
use crate::ops::movement::{Affine, elem_size};
use crate::ops::{Kernel, PrepareContext};
use crate::tflite;

/// DEPTH_TO_SPACE's copy: iterates the output as [n, h, i, w, j, c].
pub fn depth_to_space(s: [usize; 4], b: usize, esize: usize) -> ([usize; 4], Affine) {
    let [n, h, w, c] = s;
    let co = c / (b * b);
    let counts = [n, h, b, w, b, co];
    let src = [h * w * c, w * c, b * co, c, co, 1].map(|x| x as isize);
    let dst = [h * b * w * b * co, b * w * b * co, w * b * co, b * co, co, 1].map(|x| x as isize);
    ([n, h * b, w * b, co], Affine::new(&counts, &src, 0, &dst, 0, esize))
}

/// SPACE_TO_DEPTH's copy: iterates the output as [n, h, w, i, j, c].
pub fn space_to_depth(s: [usize; 4], b: usize, esize: usize) -> ([usize; 4], Affine) {
    let [n, h, w, c] = s;
    let (ho, wo) = (h / b, w / b);
    let counts = [n, ho, wo, b, b, c];
    let src = [h * w * c, b * w * c, b * c, w * c, c, 1].map(|x| x as isize);
    let dst = [ho * wo * b * b * c, wo * b * b * c, b * b * c, b * c, c, 1].map(|x| x as isize);
    ([n, ho, wo, c * b * b], Affine::new(&counts, &src, 0, &dst, 0, esize))
}

fn common(ctx: &PrepareContext<'_, '_>, block: i32) -> Result<([usize; 4], usize, usize)> {
    ctx.expect_io(1..=1, 1)?;
    let dtype = ctx.output_dtype(0)?;
    crate::ops::movement::check_type(
        ctx,
        dtype,
        &[DType::Float32, DType::UInt8, DType::Int8, DType::Int32, DType::Int64],
    )?;
    if ctx.input_dtype(0)? != dtype {
        return Err(ctx.err(format!("input is {}, output is {dtype}", ctx.input_dtype(0)?)));
    }
    let esize = elem_size(ctx, dtype)?;
    let s: [usize; 4] = ctx
        .input_shape(0)?
        .try_into()
        .map_err(|_| ctx.err(format!("the input must be 4-D, got {:?}", ctx.input_shape(0).unwrap_or(&[]))))?;
    if block <= 0 {
        return Err(ctx.err(format!("block_size {block} must be positive")));
    }
    Ok((s, block as usize, esize))
}

/// Prepares DEPTH_TO_SPACE.
pub fn prepare_depth_to_space<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    let block = ctx.options::<tflite::DepthToSpaceOptions>().map_or(0, |o| o.block_size());
    let (s, b, esize) = common(ctx, block)?;
    let bb = b.checked_mul(b).ok_or_else(|| ctx.err("block_size too large"))?;
    let fits = |v: usize| v.checked_mul(b).is_some_and(|x| x <= i32::MAX as usize);
    if !s[3].is_multiple_of(bb) || !fits(s[1]) || !fits(s[2]) {
        return Err(ctx.err(format!("shape {s:?} does not fit block_size {b}")));
    }
    let (out, copy) = depth_to_space(s, b, esize);
    ctx.set_output_shape(0, out.to_vec())?;
    Ok(Box::new(AffineCopy(copy)))
}

/// Prepares SPACE_TO_DEPTH.
pub fn prepare_space_to_depth<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    let block = ctx.options::<tflite::SpaceToDepthOptions>().map_or(0, |o| o.block_size());
    let (s, b, esize) = common(ctx, block)?;
    let c_out = b.checked_mul(b).and_then(|bb| bb.checked_mul(s[3])).filter(|&v| v <= i32::MAX as usize);
    if !s[1].is_multiple_of(b) || !s[2].is_multiple_of(b) || c_out.is_none() {
        return Err(ctx.err(format!("shape {s:?} does not fit block_size {b}")));
    }
    let (out, copy) = space_to_depth(s, b, esize);
    ctx.set_output_shape(0, out.to_vec())?;
    Ok(Box::new(AffineCopy(copy)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::run_kernel;

    #[test]
    fn depth_to_space_2x2() {
        // [1, 1, 1, 4] with b = 2 → [1, 2, 2, 1]: channels become a 2×2 block.
        let (out, copy) = depth_to_space([1, 1, 1, 4], 2, 1);
        assert_eq!(out, [1, 2, 2, 1]);
        let r = run_kernel(&AffineCopy(copy), &[&[1u8, 2, 3, 4]], &[4]).unwrap();
        assert_eq!(r[0], vec![1, 2, 3, 4]);
        // [1, 1, 2, 8] (two pixels, 2 output channels) → [1, 2, 4, 2].
        let x: Vec<u8> = (0..16).collect();
        let (out, copy) = depth_to_space([1, 1, 2, 8], 2, 1);
        assert_eq!(out, [1, 2, 4, 2]);
        let r = run_kernel(&AffineCopy(copy), &[&x], &[16]).unwrap();
        assert_eq!(r[0], vec![0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 12, 13, 14, 15]);
    }

    #[test]
    fn space_to_depth_inverts_depth_to_space() {
        let x: Vec<u8> = (0..48).collect();
        let (mid, a) = depth_to_space([2, 2, 1, 12], 2, 1);
        let y = run_kernel(&AffineCopy(a), &[&x], &[48]).unwrap();
        let (back, b) = space_to_depth(mid, 2, 1);
        assert_eq!(back, [2, 2, 1, 12]);
        let z = run_kernel(&AffineCopy(b), &[&y[0]], &[48]).unwrap();
        assert_eq!(z[0], x);
    }
}
