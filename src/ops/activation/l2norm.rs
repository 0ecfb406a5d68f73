//! L2_NORMALIZATION: each vector along the last dimension divided by its L2 norm.
//!
//! TFLite (`kernels/l2norm.cc`, kReference path): input rank ≥ 1, input and output of the same
//! type, float32, int8 or uint8; no fused activation (anything else is refused, as in TFLite).
//! With `depth` = last dimension and one row per other index:
//! - float32 (`reference_ops::L2Normalization`): `s = Σ x²` in float32, in order (each product
//!   rounded, then added); `n = max(sqrtf(s), 1e-6f)` (C++ `std::max`: a NaN norm stays NaN);
//!   `out = x / n` in float32. Bit-exact.
//! - int8 (`reference_integer_ops::L2Normalization`): output scale must be exactly 1/128 and
//!   zero point 0. `d = q − zp_in`, `acc = Σ d²` (int32, wrapping: TFLite overflows only past
//!   ~33,000 elements per row); `(M, s) = GetInvSqrtQuantizedMultiplierExp(acc, −1)`
//!   ([`crate::arith::inv_sqrt_quantized_multiplier_exp`]); `out = clamp(MBQM(d, M, s + 7),
//!   −128, 127)`. An all-zero row (acc ≤ 1) uses M = 2^31 − 1, shift 0.
//! - uint8 (`reference_ops::L2Normalization`, uint8): output scale 1/128 and zero point 128;
//!   same acc and (M, s); `out = clamp(128 + RDBPOT(SRDHM(128·d, M), −s), 0, 255)`.
//!
//! The input's scale does not matter (it cancels out); its zero point does.

use crate::arith::{inv_sqrt_quantized_multiplier_exp, mbqm, rdbpot, srdhm};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::ops::Scratch;
use crate::ops::{Inputs, Kernel, Outputs, PrepareContext, per_tensor};
use crate::tflite;

const EPSILON: f32 = 1e-6;

/// TFLite's float32 L2 normalization of one row.
pub fn l2norm_f32(x: &[f32], out: &mut [f32]) {
    let mut sum = 0f32;
    for &v in x {
        sum += v * v;
    }
    let norm = sum.sqrt();
    let norm = if norm < EPSILON { EPSILON } else { norm };
    for (o, &v) in out.iter_mut().zip(x) {
        *o = v / norm;
    }
}

/// TFLite's int8 L2 normalization of one row (output scale 1/128, zero point 0).
pub fn l2norm_i8(x: &[i8], zp: i32, out: &mut [i8]) {
    let mut acc = 0i32;
    for &v in x {
        let d = i32::from(v) - zp;
        acc = acc.wrapping_add(d * d);
    }
    let (m, s) = inv_sqrt_quantized_multiplier_exp(acc, -1);
    for (o, &v) in out.iter_mut().zip(x) {
        let d = i32::from(v) - zp;
        *o = mbqm(d, m, s + 7).clamp(-128, 127) as i8;
    }
}

/// TFLite's uint8 L2 normalization of one row (output scale 1/128, zero point 128).
pub fn l2norm_u8(x: &[u8], zp: i32, out: &mut [u8]) {
    let mut acc = 0i32;
    for &v in x {
        let d = i32::from(v) - zp;
        acc = acc.wrapping_add(d * d);
    }
    let (m, s) = inv_sqrt_quantized_multiplier_exp(acc, -1);
    for (o, &v) in out.iter_mut().zip(x) {
        let d = i32::from(v) - zp;
        let r = rdbpot(srdhm(128 * d, m), -s);
        *o = (128 + r).clamp(0, 255) as u8;
    }
}

enum Kind {
    F32,
    I8(i32),
    U8(i32),
}

struct L2Norm {
    kind: Kind,
    depth: usize,
}

impl L2Norm {
    fn rows<'a, T: crate::ops::Element>(
        &self,
        x: &'a [T],
        out: &'a mut [T],
    ) -> Result<(std::slice::ChunksExact<'a, T>, std::slice::ChunksExactMut<'a, T>)> {
        if x.len() != out.len() || self.depth == 0 || !x.len().is_multiple_of(self.depth) {
            return Err(Error::Internal("L2_NORMALIZATION buffers do not have the planned sizes".into()));
        }
        Ok((x.chunks_exact(self.depth), out.chunks_exact_mut(self.depth)))
    }
}

impl Kernel for L2Norm {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        match self.kind {
            Kind::F32 => {
                let (xs, os) = self.rows(inputs.get::<f32>(0)?, outputs.get::<f32>(0)?)?;
                xs.zip(os).for_each(|(x, o)| l2norm_f32(x, o));
            }
            Kind::I8(zp) => {
                let (xs, os) = self.rows(inputs.get::<i8>(0)?, outputs.get::<i8>(0)?)?;
                xs.zip(os).for_each(|(x, o)| l2norm_i8(x, zp, o));
            }
            Kind::U8(zp) => {
                let (xs, os) = self.rows(inputs.get::<u8>(0)?, outputs.get::<u8>(0)?)?;
                xs.zip(os).for_each(|(x, o)| l2norm_u8(x, zp, o));
            }
        }
        Ok(())
    }
}

struct Empty;

impl Kernel for Empty {
    fn eval(&self, _: &Inputs<'_>, _: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        Ok(())
    }
}

/// Prepares L2_NORMALIZATION.
pub fn prepare<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(1..=1, 1)?;
    let (ti, to) = (ctx.input_dtype(0)?, ctx.output_dtype(0)?);
    if ti != to {
        return Err(ctx.err(format!("input {ti} and output {to} differ")));
    }
    if let Some(o) = ctx.options::<tflite::L2NormOptions>()
        && o.fused_activation_function() != tflite::ActivationFunctionType::NONE
    {
        return Err(ctx.refused_by_tflite("a fused activation is not supported (TFLite refuses it)"));
    }
    let shape = ctx.input_shape(0)?.to_vec();
    let Some(&depth) = shape.last() else {
        return Err(ctx.err("input must have rank ≥ 1"));
    };
    let kind = match ti {
        DType::Float32 => Kind::F32,
        DType::Int8 | DType::UInt8 => {
            let (s_out, zp_out) = per_tensor(ctx, ctx.output_quant(0)?, "output")?;
            let want_zp = if ti == DType::Int8 { 0 } else { 128 };
            if f64::from(s_out) != 1.0 / 128.0 || zp_out != want_zp {
                return Err(ctx.err(format!(
                    "output quantization must be scale 1/128, zero point {want_zp}; got {s_out}, {zp_out}"
                )));
            }
            let zp_in = match &ctx.input(0)?.quantization {
                Some(q) => per_tensor(ctx, q, "input")?.1,
                None => 0,
            };
            if ti == DType::Int8 { Kind::I8(zp_in) } else { Kind::U8(zp_in) }
        }
        _ => return Err(ctx.unsupported(format!("unsupported type {ti}"))),
    };
    let empty = shape.contains(&0);
    ctx.set_output_shape(0, shape)?;
    if empty {
        return Ok(Box::new(Empty));
    }
    Ok(Box::new(L2Norm { kind, depth }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_rows() {
        let mut out = [0f32; 2];
        l2norm_f32(&[3.0, 4.0], &mut out);
        assert_eq!(out, [0.6, 0.8]);
        l2norm_f32(&[0.0, 0.0], &mut out);
        assert_eq!(out, [0.0, 0.0]);
        // Tiny values: the norm is clamped to 1e-6.
        l2norm_f32(&[1e-7, 0.0], &mut out);
        assert_eq!(out[0], 1e-7f32 / 1e-6f32);
        l2norm_f32(&[f32::NAN, 1.0], &mut out);
        assert!(out[0].is_nan() && out[1].is_nan());
    }

    #[test]
    fn int8_rows() {
        // d = (3, 4): acc 25, 1/5 → 3/5·128 = 76.8 → 77, 4/5·128 = 102.4 → 102.
        let mut out = [0i8; 2];
        l2norm_i8(&[3, 4], 0, &mut out);
        assert_eq!(out, [77, 102]);
        // zero point −10: values −7, −6 → d = (3, 4).
        l2norm_i8(&[-7, -6], -10, &mut out);
        assert_eq!(out, [77, 102]);
        // A single element: x/|x| = ±1 → 128 clamps to 127, −128 stays.
        let mut one = [0i8; 1];
        l2norm_i8(&[5], 0, &mut one);
        assert_eq!(one, [127]);
        l2norm_i8(&[-5], 0, &mut one);
        assert_eq!(one, [-128]);
        // All zero: acc = 0 → multiplier 2^31 − 1; d = 0 → 0.
        l2norm_i8(&[0, 0], 0, &mut out);
        assert_eq!(out, [0, 0]);
        // acc = 1 (d = 1, 0): multiplier ≈ 1.0, shift 7 → 1·128 → 127.
        l2norm_i8(&[1, 0], 0, &mut out);
        assert_eq!(out, [127, 0]);
    }

    #[test]
    fn uint8_rows() {
        // zp 128: q = (131, 132) → d = (3, 4): 128 + 76.8 → 205 (rounded), 128 + 102.4 → 230.
        let mut out = [0u8; 2];
        l2norm_u8(&[131, 132], 128, &mut out);
        assert_eq!(out, [205, 230]);
        l2norm_u8(&[125, 124], 128, &mut out);
        assert_eq!(out, [51, 26]);
        let mut one = [0u8; 1];
        l2norm_u8(&[200], 128, &mut one);
        assert_eq!(one, [255]);
    }
}
