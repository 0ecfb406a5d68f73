//! PACK and UNPACK: stack N tensors of equal shape along a new axis, and the inverse.
//!
//! Contract (TFLite `kernels/pack.cc`, `kernels/unpack.cc`, `reference_ops::Pack/Unpack`):
//! - PACK: `values_count` inputs of identical shape and type; `axis` in [−(rank+1), rank]
//!   (negative adds rank + 1); output shape = the inputs' with N inserted at `axis`;
//!   `out[outer, i, inner] = in_i[outer, inner]`. Types: float32, int32, uint32, uint8, int8,
//!   int16, int64 (not uint16: TFLite 2.21 refuses it). Every input must have the output's scale and zero point (TFLite does
//!   not repack quantized values).
//! - UNPACK: `num` outputs, `num` = input dimension `axis` (negative adds rank), the input must
//!   not be empty; output i = `in[outer, i, inner]` with that axis removed. Types: float32,
//!   float16, bfloat16, int32, uint8, int8, int16, bool. Every output must have the input's scale
//!   and zero point.
//! - Bytes are copied.

use crate::dtype::DType;
use crate::error::Result;
use crate::ops::Scratch;
use crate::ops::movement::{Affine, elem_size, normalize_axis, product, require_same_params};
use crate::ops::{Inputs, Kernel, Outputs, PrepareContext};
use crate::tflite;

/// Copies input k to output 0 with `parts[k]` (PACK).
pub struct Gather(pub Vec<Affine>);

impl Kernel for Gather {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let dst = outputs.bytes(0);
        for (k, a) in self.0.iter().enumerate() {
            a.run(inputs.bytes(k), dst)?;
        }
        Ok(())
    }
}

/// Copies input `input` to output k with `parts[k]` (UNPACK, SPLIT, SPLIT_V).
pub struct Scatter {
    pub input: usize,
    pub parts: Vec<Affine>,
}

impl Kernel for Scatter {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let src = inputs.bytes(self.input);
        for (k, a) in self.parts.iter().enumerate() {
            a.run(src, outputs.bytes(k))?;
        }
        Ok(())
    }
}

/// The copies that cut a tensor of `outer · Σ sizes · inner` elements into pieces of
/// `outer · sizes[k] · inner` along the middle axis (or, reversed, join them).
pub fn pieces(outer: usize, sizes: &[usize], inner: usize, esize: usize, join: bool) -> Vec<Affine> {
    let total: usize = sizes.iter().sum::<usize>() * inner;
    let mut offset = 0;
    let mut out = Vec::with_capacity(sizes.len());
    for &s in sizes {
        let chunk = s * inner;
        let (big, small) = ([total as isize, 1], [chunk as isize, 1]);
        out.push(if join {
            Affine::new(&[outer, chunk], &small, 0, &big, offset as isize, esize)
        } else {
            Affine::new(&[outer, chunk], &big, offset as isize, &small, 0, esize)
        });
        offset += chunk;
    }
    out
}

/// Prepares PACK.
pub fn prepare_pack<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    let (count, axis) = ctx.options::<tflite::PackOptions>().map_or((0, 0), |o| (o.values_count(), o.axis()));
    if count < 1 || ctx.num_inputs() != count as usize {
        return Err(ctx.err(format!("values_count {count} does not match {} inputs", ctx.num_inputs())));
    }
    ctx.expect_io(1..=usize::MAX, 1)?;
    let n = count as usize;
    let dtype = ctx.input_dtype(0)?;
    crate::ops::movement::check_type(
        ctx,
        dtype,
        &[DType::Int32, DType::Float32, DType::UInt8, DType::UInt32, DType::Int8, DType::Int16, DType::Int64],
    )?;
    let esize = elem_size(ctx, dtype)?;
    let shape = ctx.input_shape(0)?.to_vec();
    let axis = normalize_axis(ctx, axis as i64, shape.len() + 1, "axis")?;
    for k in 1..n {
        if ctx.input_shape(k)? != shape.as_slice() || ctx.input_dtype(k)? != dtype {
            return Err(ctx.err(format!(
                "input {k} ({} {:?}) differs from input 0 ({dtype} {shape:?})",
                ctx.input_dtype(k)?,
                ctx.input_shape(k)?
            )));
        }
    }
    if ctx.output_dtype(0)? != dtype {
        return Err(ctx.err(format!("output is {}, inputs are {dtype}", ctx.output_dtype(0)?)));
    }
    let out_t = ctx.output(0)?;
    for k in 0..n {
        require_same_params(ctx, ctx.input(k)?, out_t, &format!("input {k}"))?;
    }
    let mut out_shape = shape.clone();
    out_shape.insert(axis, n);
    ctx.set_output_shape(0, out_shape)?;
    let (outer, inner) = (product(&shape[..axis]), product(&shape[axis..]));
    Ok(Box::new(Gather(pieces(outer, &vec![1; n], inner, esize, true))))
}

/// Prepares UNPACK.
pub fn prepare_unpack<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    let (num, axis) = ctx.options::<tflite::UnpackOptions>().map_or((0, 0), |o| (o.num(), o.axis()));
    if num < 0 || ctx.num_outputs() != num as usize {
        return Err(ctx.err(format!("num {num} does not match {} outputs", ctx.num_outputs())));
    }
    ctx.expect_io(1..=1, num as usize)?;
    let n = num as usize;
    let dtype = ctx.input_dtype(0)?;
    crate::ops::movement::check_type(
        ctx,
        dtype,
        &[
            DType::Int32,
            DType::Float32,
            DType::Float16,
            DType::BFloat16,
            DType::UInt8,
            DType::Int8,
            DType::Int16,
            DType::Bool,
        ],
    )?;
    let esize = elem_size(ctx, dtype)?;
    let shape = ctx.input_shape(0)?.to_vec();
    if product(&shape) == 0 {
        return Err(ctx.err("the input must not be empty"));
    }
    let axis = normalize_axis(ctx, axis as i64, shape.len(), "axis")?;
    if shape[axis] != n {
        return Err(ctx.err(format!("num {n} differs from dimension {axis} of shape {shape:?}")));
    }
    let mut out_shape = shape.clone();
    out_shape.remove(axis);
    let in_t = ctx.input(0)?;
    for k in 0..n {
        if ctx.output_dtype(k)? != dtype {
            return Err(ctx.err(format!("output {k} is {}, input is {dtype}", ctx.output_dtype(k)?)));
        }
        require_same_params(ctx, ctx.output(k)?, in_t, &format!("output {k}"))?;
        ctx.set_output_shape(k, out_shape.clone())?;
    }
    let (outer, inner) = (product(&shape[..axis]), product(&shape[axis + 1..]));
    Ok(Box::new(Scatter { input: 0, parts: pieces(outer, &vec![1; n], inner, esize, false) }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::run_kernel;

    #[test]
    fn pack_along_axis_1_and_unpack_back() {
        // Three [2] int32 vectors packed along axis 1 → [2, 3].
        let a: [i32; 2] = [1, 2];
        let b: [i32; 2] = [3, 4];
        let c: [i32; 2] = [5, 6];
        let k = Gather(pieces(2, &[1, 1, 1], 1, 4, true));
        let ins: [&[u8]; 3] = [bytemuck::cast_slice(&a), bytemuck::cast_slice(&b), bytemuck::cast_slice(&c)];
        let out = run_kernel(&k, &ins, &[24]).unwrap();
        assert_eq!(bytemuck::cast_slice::<u8, i32>(&out[0]), &[1, 3, 5, 2, 4, 6]);
        let u = Scatter { input: 0, parts: pieces(2, &[1, 1, 1], 1, 4, false) };
        let back = run_kernel(&u, &[&out[0]], &[8, 8, 8]).unwrap();
        assert_eq!(back[0], ins[0]);
        assert_eq!(back[2], ins[2]);
    }
}
