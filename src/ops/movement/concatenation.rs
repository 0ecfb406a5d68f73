//! CONCATENATION: joins its inputs along `axis` (negative counts from the end).
//!
//! Contract (TFLite `kernels/concatenation.cc`, `reference/concatenation.h`):
//! - Every input has the output's type and rank, and the same dimensions except along `axis`;
//!   the output's `axis` dimension is the sum of the inputs'. Types: float32, float16, bfloat16,
//!   uint8, int8, int16, int32, int64, uint32, bool.
//! - `out[outer, offset_i + j, inner] = in_i[outer, j, inner]`: bytes are copied, no arithmetic.
//! - int8: every input must have the output's scale and zero point (TFLite's Prepare refuses a
//!   model that would need rescaling; the converter inserts QUANTIZE ops instead). int16: every
//!   zero point must be 0.
//! - uint8 (`ConcatenationWithScaling`): an input whose (scale, zero point) differ from the
//!   output's is rescaled per element as `clamp((int32)roundf(float(q)·scale + bias) + zp_out,
//!   0, 255)` with `scale = s_in·(1/s_out)`, `bias = −zp_in·scale` in float32
//!   ([`arith::concat_rescale`]); inputs with the output's parameters are copied.
//! - A fused activation other than NONE is an error, as in TFLite (whose kernel ignores it).
//! - Scalars: TFLite concatenates constant scalars (axis 0) into a vector of the inputs' count.
//!   qlite does the same whenever every input is known at prepare time; scalar inputs that are
//!   only known at run time are an error (TFLite's kernel would read past their shapes).

use crate::arith;
use crate::dtype::DType;
use crate::error::Result;
use crate::ops::Scratch;
use crate::ops::movement::{Affine, elem_size, legacy_params, product, require_same_params};
use crate::ops::{Inputs, Kernel, Outputs, PrepareContext};
use crate::tflite;

enum Part {
    Copy(Affine),
    /// uint8 rescaling of one input.
    Rescale {
        outer: usize,
        chunk: usize,
        total: usize,
        offset: usize,
        scale: f32,
        bias: f32,
        zp_out: i32,
    },
}

struct Concat {
    parts: Vec<Part>,
}

impl Kernel for Concat {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let dst = outputs.bytes(0);
        for (k, part) in self.parts.iter().enumerate() {
            let src = inputs.bytes(k);
            match part {
                Part::Copy(a) => a.run(src, dst)?,
                Part::Rescale { outer, chunk, total, offset, scale, bias, zp_out } => {
                    for o in 0..*outer {
                        let from = src.get(o * *chunk..(o + 1) * *chunk).unwrap_or(&[]);
                        let start = o * *total + *offset;
                        let to = dst.get_mut(start..start + from.len()).unwrap_or(&mut []);
                        for (d, &q) in to.iter_mut().zip(from) {
                            *d = arith::concat_rescale(q as i32, *scale, *bias, *zp_out).clamp(0, 255) as u8;
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// Prepares CONCATENATION.
pub fn prepare<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(1..=usize::MAX, 1)?;
    let n = ctx.num_inputs();
    let (axis_opt, act) = ctx
        .options::<tflite::ConcatenationOptions>()
        .map_or((0, tflite::ActivationFunctionType::NONE), |o| (o.axis(), o.fused_activation_function()));
    if act != tflite::ActivationFunctionType::NONE {
        return Err(ctx.refused_by_tflite(format!("fused activation {act:?} is not supported (TFLite requires NONE)")));
    }
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
            DType::Int32,
            DType::Int64,
            DType::Bool,
            DType::UInt32,
        ],
    )?;
    let esize = elem_size(ctx, dtype)?;
    let s0 = ctx.input_shape(0)?.to_vec();
    let rank = s0.len();
    let axis = if axis_opt < 0 { axis_opt as i64 + rank as i64 } else { axis_opt as i64 };
    if !(axis >= 0 && (axis < rank as i64 || (rank == 0 && axis == 0))) {
        return Err(ctx.err(format!("axis {axis_opt} is out of range for rank {rank}")));
    }
    let axis = axis as usize;
    for k in 1..n {
        if ctx.input_dtype(k)? != dtype {
            return Err(ctx.err(format!("input {k} is {}, input 0 is {dtype}", ctx.input_dtype(k)?)));
        }
    }
    if ctx.output_dtype(0)? != dtype {
        return Err(ctx.err(format!("output is {}, inputs are {dtype}", ctx.output_dtype(0)?)));
    }

    if rank == 0 {
        let all_known = (0..n).all(|k| ctx.input_index(k).is_ok_and(|t| ctx.tensors[t].known.is_some()));
        if !all_known {
            return Err(ctx.unsupported("scalar inputs are only supported when known at prepare time"));
        }
        for k in 1..n {
            if !ctx.input_shape(k)?.is_empty() {
                return Err(ctx.err(format!("input {k} has rank {}, input 0 has rank 0", ctx.input_shape(k)?.len())));
            }
        }
        ctx.set_output_shape(0, vec![n])?;
        let parts = (0..n).map(|k| Part::Copy(Affine::contiguous(1, 0, k, esize))).collect();
        return Ok(Box::new(Concat { parts }));
    }

    let mut axis_sizes = Vec::with_capacity(n);
    let mut sum_axis: usize = 0;
    for k in 0..n {
        let s = ctx.input_shape(k)?;
        if s.len() != rank {
            return Err(ctx.err(format!("input {k} has rank {}, input 0 has rank {rank}", s.len())));
        }
        for d in 0..rank {
            if d != axis && s[d] != s0[d] {
                return Err(ctx.err(format!("input {k} has shape {s:?}, incompatible with {s0:?} along axis {axis}")));
            }
        }
        axis_sizes.push(s[axis]);
        sum_axis = sum_axis
            .checked_add(s[axis])
            .filter(|&v| v <= i32::MAX as usize)
            .ok_or_else(|| ctx.err("output too large"))?;
    }
    let mut out_shape = s0.clone();
    out_shape[axis] = sum_axis;
    ctx.set_output_shape(0, out_shape.clone())?;

    let out_t = ctx.output(0)?;
    match dtype {
        DType::Int8 => {
            for k in 0..n {
                require_same_params(ctx, ctx.input(k)?, out_t, &format!("int8 input {k}"))?;
            }
        }
        DType::Int16 => {
            for k in 0..n {
                if legacy_params(ctx.input(k)?).1 != 0 {
                    return Err(ctx.err(format!("int16 input {k} must have zero point 0")));
                }
            }
            if legacy_params(out_t).1 != 0 {
                return Err(ctx.err("int16 output must have zero point 0"));
            }
        }
        _ => {}
    }

    let outer = product(&out_shape[..axis]);
    let inner = product(&out_shape[axis + 1..]);
    let total = sum_axis * inner;
    let (s_out, zp_out) = legacy_params(out_t);
    let mut parts = Vec::with_capacity(n);
    let mut offset = 0usize;
    for (k, &a) in axis_sizes.iter().enumerate() {
        let chunk = a * inner;
        let (s_in, zp_in) = legacy_params(ctx.input(k)?);
        if dtype == DType::UInt8 && (s_in, zp_in) != (s_out, zp_out) {
            let (scale, bias) = arith::concat_rescale_params(s_in, zp_in as i32, s_out);
            parts.push(Part::Rescale { outer, chunk, total, offset, scale, bias, zp_out: zp_out as i32 });
        } else {
            parts.push(Part::Copy(Affine::new(
                &[outer, chunk],
                &[chunk as isize, 1],
                0,
                &[total as isize, 1],
                offset as isize,
                esize,
            )));
        }
        offset += chunk;
    }
    Ok(Box::new(Concat { parts }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::run_kernel;

    #[test]
    fn concatenates_along_the_middle_axis() {
        // Two [2, 1, 2] and [2, 2, 2] int8 tensors along axis 1 → [2, 3, 2].
        let a: [i8; 4] = [1, 2, 3, 4];
        let b: [i8; 8] = [10, 11, 12, 13, 14, 15, 16, 17];
        let k = Concat {
            parts: vec![
                Part::Copy(Affine::new(&[2, 2], &[2, 1], 0, &[6, 1], 0, 1)),
                Part::Copy(Affine::new(&[2, 4], &[4, 1], 0, &[6, 1], 2, 1)),
            ],
        };
        let out = run_kernel(&k, &[bytemuck::cast_slice(&a), bytemuck::cast_slice(&b)], &[12]).unwrap();
        assert_eq!(bytemuck::cast_slice::<u8, i8>(&out[0]), &[1, 2, 10, 11, 12, 13, 3, 4, 14, 15, 16, 17]);
    }

    #[test]
    fn uint8_rescales_inputs_with_other_parameters() {
        // Input [0, 11, 255] with (0.5, 10) into an output with (0.7, 5): TFLite 2.21 gives
        // [0, 6, 180]; the second input already has the output's parameters and is copied.
        let (scale, bias) = arith::concat_rescale_params(0.5, 10, 0.7);
        let k = Concat {
            parts: vec![
                Part::Rescale { outer: 1, chunk: 3, total: 5, offset: 0, scale, bias, zp_out: 5 },
                Part::Copy(Affine::new(&[1, 2], &[2, 1], 0, &[5, 1], 3, 1)),
            ],
        };
        let out = run_kernel(&k, &[&[0u8, 11, 255], &[7u8, 9]], &[5]).unwrap();
        assert_eq!(out[0], vec![0, 6, 180, 7, 9]);
    }
}
