//! PAD and PADV2: surround the input with a constant.
//!
//! Contract (TFLite `kernels/pad.cc`, `reference/pad.h`):
//! - Input 1 (`paddings`, int32/int64/int8/int16/bool, shape `[rank, 2]`) gives `(before,
//!   after)` per axis, each ≥ 0 (int64 values must fit int32); it must be known at prepare time
//!   in qlite. Rank ≤ 5. `out[i] = in[i − before]` inside, the pad value elsewhere.
//! - The pad value: optional input 2 (`constant_values`, one element of the input's type, read
//!   at run time), else 0. For quantized int8/int16 inputs and for uint8 (TFLite's `EvalInt`):
//!   without input 2 the output's zero point; with input 2 its raw value, and input 2 must have
//!   the output's scale and zero point. Nothing is requantized: the input's scale need not match
//!   the output's (TFLite does not check it either).
//! - Types: float32, float16, bfloat16, uint8, int8, int16, int32, int64, bool.

use crate::dtype::DType;
use crate::error::Result;
use crate::ops::Scratch;
use crate::ops::movement::{
    Affine, const_ints, elem_size, legacy_params, product, require_same_params, row_major_strides,
};
use crate::ops::{Inputs, Kernel, Outputs, PrepareContext};

/// Largest rank TFLite's Pad supports (`PadKernelMaxDimensionCount`).
const MAX_RANK: usize = 5;

enum PadValue {
    /// Fixed bytes (zero, or the output's zero point).
    Fixed(Vec<u8>),
    /// The first element of input 2.
    Input,
}

struct Pad {
    copy: Affine,
    value: PadValue,
    esize: usize,
}

impl Kernel for Pad {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let value: &[u8] = match &self.value {
            PadValue::Fixed(v) => v,
            PadValue::Input => inputs.bytes(2).get(..self.esize).unwrap_or(&[]),
        };
        let dst = outputs.bytes(0);
        if value.len() == 1 {
            dst.fill(value[0]);
        } else if value.len() == self.esize {
            for e in dst.chunks_exact_mut(self.esize) {
                e.copy_from_slice(value);
            }
        }
        self.copy.run(inputs.bytes(0), dst)
    }
}

/// Prepares PAD and PADV2.
pub fn prepare<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(2..=3, 1)?;
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
        ],
    )?;
    let esize = elem_size(ctx, dtype)?;
    if ctx.output_dtype(0)? != dtype {
        return Err(ctx.err(format!("output is {}, input is {dtype}", ctx.output_dtype(0)?)));
    }
    let pt = ctx.input_dtype(1)?;
    if !matches!(pt, DType::Int8 | DType::Int16 | DType::Int32 | DType::Int64 | DType::Bool) {
        return Err(ctx.unsupported(format!("paddings of type {pt} are not supported")));
    }
    let in_shape = ctx.input_shape(0)?.to_vec();
    let rank = in_shape.len();
    let pshape = ctx.input_shape(1)?.to_vec();
    if pshape.len() != 2 || pshape[1] != 2 || pshape[0] != rank {
        return Err(ctx.err(format!("paddings have shape {pshape:?}, expected [{rank}, 2]")));
    }
    if rank > MAX_RANK {
        return Err(ctx.refused_by_tflite(format!("rank {rank} is over TFLite's limit of {MAX_RANK}")));
    }
    let has_constant = ctx.has_input(2);
    if has_constant {
        if ctx.input_dtype(2)? != dtype {
            return Err(ctx.err(format!("constant_values is {}, input is {dtype}", ctx.input_dtype(2)?)));
        }
        if product(ctx.input_shape(2)?) != 1 {
            return Err(ctx.err("constant_values must have exactly one element"));
        }
    }
    let pads = const_ints(ctx, 1, "paddings")?;
    let mut out_shape = Vec::with_capacity(rank);
    let mut before = Vec::with_capacity(rank);
    for (d, &n) in in_shape.iter().enumerate() {
        let (l, r) = (pads[2 * d], pads[2 * d + 1]);
        if !(0..=i32::MAX as i64).contains(&l) || !(0..=i32::MAX as i64).contains(&r) {
            return Err(ctx.err(format!("padding ({l}, {r}) of axis {d} must be in [0, 2^31)")));
        }
        let o = (n as i64) + l + r;
        if o > i32::MAX as i64 {
            return Err(ctx.err(format!("padded dimension {o} of axis {d} overflows int32")));
        }
        out_shape.push(o as usize);
        before.push(l as usize);
    }
    ctx.set_output_shape(0, out_shape.clone())?;

    // TFLite's EvalInt for uint8 and quantized int8/int16.
    let out_t = ctx.output(0)?;
    let quantized_int =
        dtype == DType::UInt8 || (matches!(dtype, DType::Int8 | DType::Int16) && ctx.input(0)?.quantization.is_some());
    let value = if has_constant {
        if quantized_int {
            require_same_params(ctx, ctx.input(2)?, out_t, "constant_values")?;
        }
        PadValue::Input
    } else if quantized_int {
        let zp = legacy_params(out_t).1;
        PadValue::Fixed(match dtype {
            DType::UInt8 => vec![zp as u8],
            DType::Int8 => vec![zp as i8 as u8],
            _ => (zp as i16).to_le_bytes().to_vec(),
        })
    } else {
        PadValue::Fixed(vec![0u8; esize])
    };

    let in_strides: Vec<isize> = row_major_strides(&in_shape).iter().map(|&s| s as isize).collect();
    let out_strides = row_major_strides(&out_shape);
    let dst_base: usize = before.iter().zip(&out_strides).map(|(b, s)| b * s).sum();
    let dst: Vec<isize> = out_strides.iter().map(|&s| s as isize).collect();
    let copy = Affine::new(&in_shape, &in_strides, 0, &dst, dst_base as isize, esize);
    Ok(Box::new(Pad { copy, value, esize }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::run_kernel;

    #[test]
    fn pads_a_matrix_with_the_zero_point() {
        // [2, 2] int8 padded by ((1, 0), (0, 2)) with zero point −3 → [3, 4].
        let copy = Affine::new(&[2, 2], &[2, 1], 0, &[4, 1], 4, 1);
        let k = Pad { copy, value: PadValue::Fixed(vec![(-3i8) as u8]), esize: 1 };
        let x: [i8; 4] = [1, 2, 3, 4];
        let out = run_kernel(&k, &[bytemuck::cast_slice(&x)], &[12]).unwrap();
        assert_eq!(bytemuck::cast_slice::<u8, i8>(&out[0]), &[-3, -3, -3, -3, 1, 2, -3, -3, 3, 4, -3, -3]);
    }

    #[test]
    fn padv2_reads_the_constant_input() {
        // float32 [2] padded by (1, 1) with constant 7.5.
        let copy = Affine::new(&[2], &[1], 0, &[1], 1, 4);
        let k = Pad { copy, value: PadValue::Input, esize: 4 };
        let x: [f32; 2] = [1.0, -2.0];
        let pads: [i32; 2] = [1, 1];
        let c: [f32; 1] = [7.5];
        let out =
            run_kernel(&k, &[bytemuck::cast_slice(&x), bytemuck::cast_slice(&pads), bytemuck::cast_slice(&c)], &[16])
                .unwrap();
        assert_eq!(bytemuck::cast_slice::<u8, f32>(&out[0]), &[7.5, 1.0, -2.0, 7.5]);
    }
}
