//! FULLY_CONNECTED: `out[b, u] = act(Σ_d in[b, d]·w[u, d] + bias[u])`.
//!
//! int8 (TFLite reference, `reference/integer_ops/fully_connected.h`, the overloads taking float
//! scales): acc = Σ (w − zp_w)·(x − zp_in) + bias in int32 (per-channel ignores zp_w);
//! out = clamp((int32)round(double(acc) · (double(s_in)·double(s_w[u]) / double(s_out))) + zp_out).
//! float32: Σ in order d = 0.., then + bias, then the activation clamp.
//! Output shape: `[input elements / input_size, units]`, or the input's shape with the last
//! dimension replaced by `units` when `keep_num_dims`.

use std::borrow::Cow;

use super::{Inputs, Kernel, Outputs, PrepareContext, per_tensor};
use crate::arith;
use crate::dtype::DType;
use crate::error::Result;
use crate::tflite;

/// Weights or bias: constant (borrowed from the file when possible) or read from an input.
enum Src<'m, T: Clone + 'static> {
    Const(Cow<'m, [T]>),
    Input(usize),
}

impl<'m, T: super::Element> Src<'m, T> {
    fn get<'a>(&'a self, inputs: &Inputs<'a>) -> Result<&'a [T]> {
        match self {
            Src::Const(c) => Ok(c),
            Src::Input(k) => inputs.get(*k),
        }
    }
    fn new(ctx: &PrepareContext<'_, 'm>, k: usize) -> Result<Self> {
        Ok(match ctx.input_value::<T>(k)? {
            Some(c) => Src::Const(c),
            None => Src::Input(k),
        })
    }
}

struct Geometry {
    batches: usize,
    depth: usize,
    units: usize,
}

struct Int8Fc<'m> {
    g: Geometry,
    weights: Src<'m, i8>,
    bias: Option<Src<'m, i32>>,
    input_offset: i32,
    filter_offset: i32,
    output_offset: i32,
    /// double(s_in)·double(s_w[u]) / double(s_out), per unit (one value when per-tensor).
    scales: Vec<f64>,
    act_min: i32,
    act_max: i32,
}

impl Kernel for Int8Fc<'_> {
    fn eval(&mut self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>) -> Result<()> {
        let x = inputs.get::<i8>(0)?;
        let w = self.weights.get(inputs)?;
        let bias = match &self.bias {
            Some(b) => Some(b.get(inputs)?),
            None => None,
        };
        let out = outputs.get::<i8>(0)?;
        let Geometry { batches, depth, units } = self.g;
        for b in 0..batches {
            let xb = &x[b * depth..(b + 1) * depth];
            for u in 0..units {
                let wu = &w[u * depth..(u + 1) * depth];
                let mut acc: i32 = 0;
                for (&xv, &wv) in xb.iter().zip(wu) {
                    acc =
                        acc.wrapping_add((wv as i32 + self.filter_offset).wrapping_mul(xv as i32 + self.input_offset));
                }
                if let Some(bias) = bias {
                    acc = acc.wrapping_add(bias[u]);
                }
                let scale = if self.scales.len() == 1 { self.scales[0] } else { self.scales[u] };
                let v = (arith::round_f64(acc as f64 * scale) as i32).saturating_add(self.output_offset);
                out[b * units + u] = v.clamp(self.act_min, self.act_max) as i8;
            }
        }
        Ok(())
    }
}

struct FloatFc<'m> {
    g: Geometry,
    weights: Src<'m, f32>,
    bias: Option<Src<'m, f32>>,
    act_min: f32,
    act_max: f32,
}

impl Kernel for FloatFc<'_> {
    fn eval(&mut self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>) -> Result<()> {
        let x = inputs.get::<f32>(0)?;
        let w = self.weights.get(inputs)?;
        let bias = match &self.bias {
            Some(b) => Some(b.get(inputs)?),
            None => None,
        };
        let out = outputs.get::<f32>(0)?;
        let Geometry { batches, depth, units } = self.g;
        for b in 0..batches {
            let xb = &x[b * depth..(b + 1) * depth];
            for u in 0..units {
                let wu = &w[u * depth..(u + 1) * depth];
                let mut total = 0.0f32;
                for (&xv, &wv) in xb.iter().zip(wu) {
                    total += xv * wv;
                }
                let bv = bias.map_or(0.0, |b| b[u]);
                out[b * units + u] = (total + bv).clamp(self.act_min, self.act_max);
            }
        }
        Ok(())
    }
}

/// Prepares FULLY_CONNECTED.
pub fn prepare<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(2..=3, 1)?;
    let opts = ctx.options::<tflite::FullyConnectedOptions>();
    let act = opts.map_or(tflite::ActivationFunctionType::NONE, |o| o.fused_activation_function());
    let keep_num_dims = opts.is_some_and(|o| o.keep_num_dims());
    if let Some(o) = opts
        && o.weights_format() != tflite::FullyConnectedOptionsWeightsFormat::DEFAULT
    {
        return Err(ctx.err("shuffled weights formats are not supported"));
    }
    let in_shape = ctx.input_shape(0)?.to_vec();
    let w_shape = ctx.input_shape(1)?.to_vec();
    if w_shape.len() != 2 {
        return Err(ctx.err(format!("weights must be 2-D, got shape {w_shape:?}")));
    }
    let (units, depth) = (w_shape[0], w_shape[1]);
    let in_elems: usize = in_shape.iter().product();
    if depth == 0 || !in_elems.is_multiple_of(depth) {
        return Err(ctx.err(format!("input shape {in_shape:?} is not a multiple of the weights' depth {depth}")));
    }
    let batches = in_elems / depth;
    let has_bias = ctx.has_input(2);
    if has_bias && ctx.input_shape(2)?.iter().product::<usize>() != units {
        return Err(ctx.err(format!("bias shape {:?} does not match {units} units", ctx.input_shape(2)?)));
    }
    let out_shape = if keep_num_dims {
        let mut s = in_shape.clone();
        if let Some(l) = s.last_mut() {
            *l = units;
        }
        s
    } else {
        vec![batches, units]
    };
    ctx.set_output_shape(0, out_shape)?;
    let g = Geometry { batches, depth, units };

    let (ti, tw, to) = (ctx.input_dtype(0)?, ctx.input_dtype(1)?, ctx.output_dtype(0)?);
    if (ti, tw) == (DType::Float32, DType::Int8) {
        return super::hybrid::prepare_fc(ctx, batches, depth, units);
    }
    match (ti, tw, to) {
        (DType::Int8, DType::Int8, DType::Int8) => {
            if has_bias && ctx.input_dtype(2)? != DType::Int32 {
                return Err(ctx.err("int8 FULLY_CONNECTED needs an int32 bias"));
            }
            if !arith::is_supported_activation(act) {
                return Err(ctx.err(format!("unsupported fused activation {act:?}")));
            }
            let (s_in, zp_in) = per_tensor(ctx, ctx.input_quant(0)?, "input")?;
            let (s_out, zp_out) = per_tensor(ctx, ctx.output_quant(0)?, "output")?;
            let wq = ctx.input_quant(1)?;
            let filter_offset = if wq.is_per_channel() {
                if wq.scale.len() != units || wq.quantized_dimension != 0 {
                    return Err(ctx.err("per-channel weights must have one scale per unit along dimension 0"));
                }
                0
            } else {
                -(wq.zero_point[0] as i32)
            };
            let scales = wq.scale.iter().map(|&s_w| s_in as f64 * s_w as f64 / s_out as f64).collect();
            let (act_min, act_max) = arith::activation_range_quantized_checked(act, s_out, zp_out, -128, 127)
                .map_err(|e| ctx.err(e.to_string()))?;
            Ok(Box::new(Int8Fc {
                g,
                weights: Src::new(ctx, 1)?,
                bias: if has_bias { Some(Src::new(ctx, 2)?) } else { None },
                input_offset: -zp_in,
                filter_offset,
                output_offset: zp_out,
                scales,
                act_min,
                act_max,
            }))
        }
        (DType::Float32, DType::Float32, DType::Float32) => {
            if has_bias && ctx.input_dtype(2)? != DType::Float32 {
                return Err(ctx.err("float FULLY_CONNECTED needs a float32 bias"));
            }
            let (act_min, act_max) = arith::activation_range_f32(act);
            Ok(Box::new(FloatFc {
                g,
                weights: Src::new(ctx, 1)?,
                bias: if has_bias { Some(Src::new(ctx, 2)?) } else { None },
                act_min,
                act_max,
            }))
        }
        _ => Err(ctx.err(format!("unsupported types: input {ti}, weights {tw}, output {to}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int8_requantizes_in_double_with_half_away_rounding() {
        // One unit, depth 2: x = [3, -1] (zp_in -1 → 4, 0), w = [5, 7], bias 2:
        // acc = 5·4 + 7·0 + 2 = 22; scale 0.25 → 5.5 → 6 (half away), + zp_out 1 = 7.
        let mut k = Int8Fc {
            g: Geometry { batches: 1, depth: 2, units: 1 },
            weights: Src::Const(Cow::Owned(vec![5, 7])),
            bias: Some(Src::Const(Cow::Owned(vec![2]))),
            input_offset: 1,
            filter_offset: 0,
            output_offset: 1,
            scales: vec![0.25],
            act_min: -128,
            act_max: 127,
        };
        let out = run_int8(&mut k, &[3, -1]);
        assert_eq!(out, vec![7]);
        // Negative tie: acc = −22 → −5.5 → −6, + 1 = −5.
        k.bias = Some(Src::Const(Cow::Owned(vec![-42])));
        assert_eq!(run_int8(&mut k, &[3, -1]), vec![-5]);
        // Clamped by the activation range.
        k.act_min = 0;
        assert_eq!(run_int8(&mut k, &[3, -1]), vec![0]);
    }

    fn run_int8(k: &mut Int8Fc<'_>, x: &[i8]) -> Vec<i8> {
        let n = k.g.batches * k.g.units;
        let out = crate::ops::run_kernel(k, &[bytemuck::cast_slice(x)], &[n]).unwrap();
        bytemuck::cast_slice(&out[0]).to_vec()
    }
}
