//! FULLY_CONNECTED: `out[b, u] = act(Σ_d in[b, d]·w[u, d] + bias[u])`.
//!
//! int8 (TFLite reference, `reference/integer_ops/fully_connected.h`, the overloads taking float
//! scales): acc = Σ (w − zp_w)·(x − zp_in) + bias in int32 (per-channel ignores zp_w);
//! out = clamp((int32)round(double(acc) · (double(s_in)·double(s_w[u]) / double(s_out))) + zp_out).
//! uint8 (legacy, `reference_ops::FullyConnected` with float scales): the same formula with
//! per-tensor asymmetric uint8 weights (`w − zp_w`), clamped to [0, 255].
//! int16x8 (`FullyConnectedInt16` / `FullyConnectedPerChannelInt16`, the same float-scale
//! reference overloads): int16 input and output with zero points 0, int8 weights;
//! `acc = Σ (w − zp_w)·x (+ bias)` in the bias type: int32 (wrapping) when the options'
//! `quantized_bias_type` is INT32, else int64 (INT64 or unset; the bias must then be int64 —
//! TFLite would read an int32 bias as int64); `out = clamp((int32)round(double(acc)·scale))`.
//! The double → int32 conversion is x86's (`i32::MIN` when out of range, then the zero point is
//! added with wrapping), as TFLite's x86 build computes the undefined C++ cast.
//! Per-tensor weights pass TFLite's bias-scale check (`|float(s_in·s_w) − s_bias| / s_out ≤
//! 0.02`, `GetQuantizedConvolutionMultipler`), else the model is rejected like TFLite does.
//! float32: Σ in order d = 0.., then + bias, then the activation clamp.
//! Output shape: `[input elements / input_size, units]`, or the input's shape with the last
//! dimension replaced by `units` when `keep_num_dims`.
//!
//! The int8/uint8 loop is the `kernels::gemm` family (a `Requant::Double` per unit), called
//! through the table `kernels::best()` gives at prepare; this file keeps TFLite's semantics
//! (validation, scales, offsets, activation range).

use crate::ops::Scratch;
use std::borrow::Cow;

use crate::arith;
use crate::dtype::DType;
use crate::error::Result;
use crate::kernels::gemm::{FcFn, FcParams};
use crate::kernels::{self, ChannelRequant, OutputStage};
use crate::ops::common::{QInt, check_len, check_len_mut};
use crate::ops::{Inputs, Kernel, Outputs, PrepareContext, per_tensor};
use crate::tflite;

/// Weights or bias: constant (borrowed from the file when possible) or read from an input.
enum Src<'m, T: Clone + 'static> {
    Const(Cow<'m, [T]>),
    Input(usize),
}

impl<'m, T: crate::ops::Element> Src<'m, T> {
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

#[derive(Clone, Copy)]
struct Geometry {
    batches: usize,
    depth: usize,
    units: usize,
}

impl Geometry {
    /// The input, weights and bias of one invoke, each checked to hold the number of elements
    /// the prepare-time geometry indexes (an error, not a panic, if the planner gave a buffer of
    /// another size: fuzz finding F1).
    #[allow(clippy::type_complexity)]
    fn operands<'a, T: crate::ops::Element, W: crate::ops::Element, B: crate::ops::Element>(
        &self,
        x: &'a [T],
        weights: &'a Src<'_, W>,
        bias: &'a Option<Src<'_, B>>,
        inputs: &Inputs<'a>,
    ) -> Result<(&'a [T], &'a [W], Option<&'a [B]>)> {
        let x = check_len(x, self.batches * self.depth, "input")?;
        let w = check_len(weights.get(inputs)?, self.units * self.depth, "weights")?;
        let bias = match bias {
            Some(b) => Some(check_len(b.get(inputs)?, self.units, "bias")?),
            None => None,
        };
        Ok((x, w, bias))
    }
}

/// int8 or uint8 FULLY_CONNECTED (same formula; uint8 is per-tensor only), computed by the
/// `kernels::gemm` implementation chosen at prepare.
struct QFc<'m, T: QInt + kernels::Q8> {
    g: Geometry,
    weights: Src<'m, T>,
    bias: Option<Src<'m, i32>>,
    input_offset: i32,
    filter_offset: i32,
    output_offset: i32,
    /// `Double(double(s_in)·double(s_w[u]) / double(s_out))`, one per unit (a per-tensor scale
    /// broadcast).
    requant: ChannelRequant,
    act_min: i32,
    act_max: i32,
    /// The implementation (from `kernels::best()`).
    fc: FcFn<T>,
}

impl<T: QInt + kernels::Q8> Kernel for QFc<'_, T> {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let Geometry { batches, depth, units } = self.g;
        let (x, w, bias) = self.g.operands(inputs.get::<T>(0)?, &self.weights, &self.bias, inputs)?;
        let out = check_len_mut(outputs.get::<T>(0)?, batches * units, "output")?;
        let p = FcParams {
            batches,
            depth,
            units,
            input_offset: self.input_offset,
            filter_offset: self.filter_offset,
            out: OutputStage {
                requant: &self.requant,
                output_offset: self.output_offset,
                act_min: self.act_min,
                act_max: self.act_max,
            },
        };
        (self.fc)(&p, x, w, bias, out);
        Ok(())
    }
}

/// int16 activations, int8 weights, int32 or int64 bias (`B`). The accumulator has the bias
/// type (`acc32`: int32 wrapping, else int64).
struct I16Fc<'m, B: crate::ops::Element + Copy + Into<i64>> {
    g: Geometry,
    weights: Src<'m, i8>,
    bias: Option<Src<'m, B>>,
    filter_offset: i64,
    acc32: bool,
    /// double(s_in)·double(s_w[u]) / double(s_out), per unit (one value when per-tensor).
    scales: Vec<f64>,
    act_min: i32,
    act_max: i32,
}

impl<B: crate::ops::Element + Copy + Into<i64>> Kernel for I16Fc<'_, B> {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let Geometry { batches, depth, units } = self.g;
        let (x, w, bias) = self.g.operands(inputs.get::<i16>(0)?, &self.weights, &self.bias, inputs)?;
        let out = check_len_mut(outputs.get::<i16>(0)?, batches * units, "output")?;
        for b in 0..batches {
            let xb = &x[b * depth..(b + 1) * depth];
            for u in 0..units {
                let wu = &w[u * depth..(u + 1) * depth];
                let mut acc: i64 = 0;
                for (&xv, &wv) in xb.iter().zip(wu) {
                    acc = acc.wrapping_add((wv as i64 + self.filter_offset) * xv as i64);
                }
                if let Some(bias) = bias {
                    acc = acc.wrapping_add(bias[u].into());
                }
                if self.acc32 {
                    // int32 wrapping accumulation equals the int64 sum reduced modulo 2^32.
                    acc = acc as i32 as i64;
                }
                let scale = if self.scales.len() == 1 { self.scales[0] } else { self.scales[u] };
                let v = arith::requantize_f64(acc, scale, 0);
                out[b * units + u] = v.clamp(self.act_min, self.act_max) as i16;
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
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let Geometry { batches, depth, units } = self.g;
        let (x, w, bias) = self.g.operands(inputs.get::<f32>(0)?, &self.weights, &self.bias, inputs)?;
        let out = check_len_mut(outputs.get::<f32>(0)?, batches * units, "output")?;
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
        return Err(ctx.unsupported("shuffled weights formats are not supported"));
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
    // TFLite (`fully_connected.cc` Prepare): with keep_num_dims the weights run along the
    // input's last dimension, so it must be the depth (else the output, the input's shape with
    // its last dimension replaced by the units, does not hold batches × units values: F10).
    if keep_num_dims && in_shape.last() != Some(&depth) {
        return Err(ctx.err(format!(
            "keep_num_dims needs the input's last dimension to equal the weights' depth {depth}, got input shape \
             {in_shape:?}"
        )));
    }
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
    ctx.charge_macs(&[batches, units, depth], "FULLY_CONNECTED multiply-adds")?;
    let g = Geometry { batches, depth, units };

    let (ti, tw, to) = (ctx.input_dtype(0)?, ctx.input_dtype(1)?, ctx.output_dtype(0)?);
    if (ti, tw) == (DType::Float32, DType::Int8) {
        return crate::ops::conv::hybrid::prepare_fc(ctx, batches, depth, units);
    }
    match (ti, tw, to) {
        (DType::Int8, DType::Int8, DType::Int8) => prepare_q8::<i8>(ctx, g, act, has_bias),
        (DType::UInt8, DType::UInt8, DType::UInt8) => prepare_q8::<u8>(ctx, g, act, has_bias),
        (DType::Int16, DType::Int8, DType::Int16) => {
            if !arith::is_supported_activation(act) {
                return Err(ctx.unsupported(format!("unsupported fused activation {act:?}")));
            }
            let option = opts.map_or(tflite::TensorType::FLOAT32, |o| o.quantized_bias_type());
            let acc32 = crate::ops::common::int16_bias_type(ctx, option, 2)?;
            let (s_in, zp_in) = per_tensor(ctx, ctx.input_quant(0)?, "input")?;
            let (s_out, zp_out) = per_tensor(ctx, ctx.output_quant(0)?, "output")?;
            if zp_in != 0 || zp_out != 0 {
                return Err(ctx.err("int16 FULLY_CONNECTED needs zero points 0"));
            }
            let (scales, filter_offset) = fc_scales(ctx, units, s_in, s_out, has_bias)?;
            let (act_min, act_max) = arith::activation_range_quantized_checked(act, s_out, 0, -32768, 32767)
                .map_err(|e| ctx.err(e.to_string()))?;
            let weights = Src::new(ctx, 1)?;
            let filter_offset = filter_offset as i64;
            if has_bias && ctx.input_dtype(2)? == DType::Int32 {
                Ok(Box::new(I16Fc::<i32> {
                    g,
                    weights,
                    bias: Some(Src::new(ctx, 2)?),
                    filter_offset,
                    acc32,
                    scales,
                    act_min,
                    act_max,
                }))
            } else {
                Ok(Box::new(I16Fc::<i64> {
                    g,
                    weights,
                    bias: if has_bias { Some(Src::new(ctx, 2)?) } else { None },
                    filter_offset,
                    acc32,
                    scales,
                    act_min,
                    act_max,
                }))
            }
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
        _ => Err(ctx.unsupported(format!("unsupported types: input {ti}, weights {tw}, output {to}"))),
    }
}

/// Per-unit requantization scales `double(s_in)·double(s_w[u]) / double(s_out)` (one value when
/// per-tensor) and the filter offset (−zp_w per-tensor, 0 per-channel). Per-tensor weights go
/// through TFLite's `GetQuantizedConvolutionMultipler` check in prepare: with a bias,
/// `|float(s_in·s_w) − s_bias| / s_out ≤ 0.02`.
fn fc_scales(
    ctx: &PrepareContext<'_, '_>,
    units: usize,
    s_in: f32,
    s_out: f32,
    has_bias: bool,
) -> Result<(Vec<f64>, i32)> {
    let wq = ctx.input_quant(1)?;
    if wq.scale.is_empty() {
        return Err(ctx.err("weights have no quantization scale"));
    }
    let filter_offset = if wq.is_per_channel() {
        if wq.scale.len() != units || wq.quantized_dimension != 0 {
            return Err(ctx.err("per-channel weights must have one scale per unit along dimension 0"));
        }
        0
    } else {
        let zp = wq.zero_point.first().copied().unwrap_or(0);
        if !(-255..=255).contains(&zp) {
            return Err(ctx.err(format!("weights zero point {zp} is out of range")));
        }
        if has_bias {
            let product = (s_in * wq.scale[0]) as f64;
            let s_bias = match &ctx.input(2)?.quantization {
                Some(q) if q.scale.len() == 1 => q.scale[0] as f64,
                _ => 0.0,
            };
            let ratio = (product - s_bias).abs() / s_out as f64;
            if ratio.is_nan() || ratio > 0.02 {
                return Err(ctx.refused_by_tflite(format!(
                    "bias scale {s_bias} differs from input scale × weights scale {product} (TFLite refuses this)"
                )));
            }
        }
        -(zp as i32)
    };
    let scales = wq.scale.iter().map(|&s_w| s_in as f64 * s_w as f64 / s_out as f64).collect();
    Ok((scales, filter_offset))
}

/// int8 (per-tensor or per-channel weights) or uint8 (per-tensor, asymmetric weights).
fn prepare_q8<'m, T: QInt + kernels::Q8>(
    ctx: &mut PrepareContext<'_, 'm>,
    g: Geometry,
    act: tflite::ActivationFunctionType,
    has_bias: bool,
) -> Result<Box<dyn Kernel + 'm>> {
    if has_bias && ctx.input_dtype(2)? != DType::Int32 {
        return Err(ctx.err("quantized FULLY_CONNECTED needs an int32 bias"));
    }
    if !arith::is_supported_activation(act) {
        return Err(ctx.unsupported(format!("unsupported fused activation {act:?}")));
    }
    let (s_in, zp_in) = per_tensor(ctx, ctx.input_quant(0)?, "input")?;
    let (s_out, zp_out) = per_tensor(ctx, ctx.output_quant(0)?, "output")?;
    if !(T::MIN..=T::MAX).contains(&zp_in) {
        return Err(ctx.err(format!("input zero point {zp_in} is out of range")));
    }
    if T::MIN == 0 && ctx.input_quant(1)?.is_per_channel() {
        return Err(ctx.err("uint8 FULLY_CONNECTED needs per-tensor weights"));
    }
    let (scales, filter_offset) = fc_scales(ctx, g.units, s_in, s_out, has_bias)?;
    let (act_min, act_max) = arith::activation_range_quantized_checked(act, s_out, zp_out, T::MIN, T::MAX)
        .map_err(|e| ctx.err(e.to_string()))?;
    let mut per_unit = ctx.alloc::<f64>(g.units, "requantization scales")?;
    for (u, r) in per_unit.iter_mut().enumerate() {
        let scale = if scales.len() == 1 { scales.first() } else { scales.get(u) };
        *r = scale.copied().unwrap_or(0.0);
    }
    let requant = ChannelRequant::Double { scale: per_unit };
    Ok(Box::new(QFc::<T> {
        g,
        weights: Src::new(ctx, 1)?,
        bias: if has_bias { Some(Src::new(ctx, 2)?) } else { None },
        input_offset: -zp_in,
        filter_offset,
        output_offset: zp_out,
        requant,
        act_min,
        act_max,
        fc: T::fully_connected(kernels::best()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int8_requantizes_in_double_with_half_away_rounding() {
        // One unit, depth 2: x = [3, -1] (zp_in -1 → 4, 0), w = [5, 7], bias 2:
        // acc = 5·4 + 7·0 + 2 = 22; scale 0.25 → 5.5 → 6 (half away), + zp_out 1 = 7.
        let mut k = QFc::<i8> {
            g: Geometry { batches: 1, depth: 2, units: 1 },
            weights: Src::Const(Cow::Owned(vec![5, 7])),
            bias: Some(Src::Const(Cow::Owned(vec![2]))),
            input_offset: 1,
            filter_offset: 0,
            output_offset: 1,
            requant: ChannelRequant::Double { scale: vec![0.25] },
            act_min: -128,
            act_max: 127,
            fc: kernels::reference::fully_connected,
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

    fn run_int8(k: &mut QFc<'_, i8>, x: &[i8]) -> Vec<i8> {
        let n = k.g.batches * k.g.units;
        let out = crate::ops::run_kernel(k, &[bytemuck::cast_slice(x)], &[n]).unwrap();
        bytemuck::cast_slice(&out[0]).to_vec()
    }

    #[test]
    fn uint8_applies_both_offsets() {
        // x = [10, 200], zp_in 128 → [−118, 72]; w = [0, 255], zp_w 128 → [−128, 127];
        // acc = 15104 + 9144 − 248 (bias) = 24000; ×0.01 = 240, + zp_out 5 = 245.
        let mut k = QFc::<u8> {
            g: Geometry { batches: 1, depth: 2, units: 1 },
            weights: Src::Const(Cow::Owned(vec![0, 255])),
            bias: Some(Src::Const(Cow::Owned(vec![-248]))),
            input_offset: -128,
            filter_offset: -128,
            output_offset: 5,
            requant: ChannelRequant::Double { scale: vec![0.01] },
            act_min: 0,
            act_max: 255,
            fc: kernels::reference::fully_connected,
        };
        let run = |k: &mut QFc<'_, u8>| {
            let out = crate::ops::run_kernel(k, &[&[10u8, 200][..]], &[1]).unwrap();
            out[0][0]
        };
        assert_eq!(run(&mut k), 245);
        // ×0.0125 = 300 → clamped to 255.
        k.requant = ChannelRequant::Double { scale: vec![0.0125] };
        assert_eq!(run(&mut k), 255);
    }

    #[test]
    fn int16_accumulator_follows_the_bias_type() {
        // depth 1: x = 100, w = 127 → 12700; bias 2^31 − 11 → 2147496337 in int64 but
        // −2147470959 in wrapping int32. Scale 2^−31: int64 → round(1.000006) = 1;
        // int32 → round(−0.99999) = −1.
        let mut k = I16Fc::<i64> {
            g: Geometry { batches: 1, depth: 1, units: 1 },
            weights: Src::Const(Cow::Owned(vec![127])),
            bias: Some(Src::Const(Cow::Owned(vec![i32::MAX as i64 - 10]))),
            filter_offset: 0,
            acc32: false,
            scales: vec![1.0 / 2147483648.0],
            act_min: -32768,
            act_max: 32767,
        };
        let x = [100i16];
        let run = |k: &mut I16Fc<'_, i64>| {
            let out = crate::ops::run_kernel(k, &[bytemuck::cast_slice(&x)], &[2]).unwrap();
            bytemuck::cast_slice::<u8, i16>(&out[0])[0]
        };
        assert_eq!(run(&mut k), 1);
        k.acc32 = true;
        assert_eq!(run(&mut k), -1);
        // Ties round half away from zero, then the int16 activation range clamps:
        // acc = 12700 + 0 → ×0.5 = 6350; ×2^−1·… with bias −12701: −1 × 0.5 = −0.5 → −1.
        k.acc32 = false;
        k.bias = Some(Src::Const(Cow::Owned(vec![-12701])));
        k.scales = vec![0.5];
        assert_eq!(run(&mut k), -1);
        k.bias = None;
        k.scales = vec![10.0];
        assert_eq!(run(&mut k), 32767);
    }

    #[test]
    fn eval_checks_every_buffer_against_the_geometry() {
        // batches 2, depth 2, units 1: x = [[1, 2], [3, 4]], w = [1, 2] → [5, 11].
        let mut k = FloatFc {
            g: Geometry { batches: 2, depth: 2, units: 1 },
            weights: Src::Const(Cow::Owned(vec![1.0, 2.0])),
            bias: None,
            act_min: f32::MIN,
            act_max: f32::MAX,
        };
        let x = [1.0f32, 2.0, 3.0, 4.0];
        let run = |k: &mut FloatFc<'_>, x: &[f32], out_bytes: usize| {
            crate::ops::run_kernel(k, &[bytemuck::cast_slice(x)], &[out_bytes])
                .map(|o| bytemuck::cast_slice::<u8, f32>(&o[0]).to_vec())
        };
        assert_eq!(run(&mut k, &x, 8).unwrap(), vec![5.0, 11.0]);
        // Fuzz finding F1: a buffer of another size than prepare planned is an error.
        let e = run(&mut k, &x[..2], 8).unwrap_err().to_string();
        assert!(e.contains("input has 2 elements, expected 4"), "{e}");
        let e = run(&mut k, &x, 4).unwrap_err().to_string();
        assert!(e.contains("output has 1 elements, expected 2"), "{e}");
        let e = run(&mut k, &x, 12).unwrap_err().to_string();
        assert!(e.contains("output has 3 elements, expected 2"), "{e}");
        k.bias = Some(Src::Const(Cow::Owned(vec![1.0, 2.0])));
        assert!(run(&mut k, &x, 8).unwrap_err().to_string().contains("bias"));
        k.bias = None;
        k.weights = Src::Const(Cow::Owned(vec![1.0]));
        assert!(run(&mut k, &x, 8).unwrap_err().to_string().contains("weights"));
        // The integer kernels check the same way.
        let q = QFc::<i8> {
            g: Geometry { batches: 2, depth: 2, units: 1 },
            weights: Src::Const(Cow::Owned(vec![5, 7])),
            bias: None,
            input_offset: 0,
            filter_offset: 0,
            output_offset: 0,
            requant: ChannelRequant::Double { scale: vec![1.0] },
            act_min: -128,
            act_max: 127,
            fc: kernels::reference::fully_connected,
        };
        assert!(crate::ops::run_kernel(&q, &[&[1u8, 2, 3][..]], &[2]).is_err());
        assert!(crate::ops::run_kernel(&q, &[&[1u8, 2, 3, 4][..]], &[3]).is_err());
        assert_eq!(crate::ops::run_kernel(&q, &[&[1u8, 0, 0, 1][..]], &[2]).unwrap()[0], vec![5, 7]);
        let w = I16Fc::<i64> {
            g: Geometry { batches: 1, depth: 2, units: 1 },
            weights: Src::Const(Cow::Owned(vec![1, 1])),
            bias: None,
            filter_offset: 0,
            acc32: false,
            scales: vec![1.0],
            act_min: -32768,
            act_max: 32767,
        };
        assert!(crate::ops::run_kernel(&w, &[bytemuck::cast_slice(&[1i16, 2, 3])], &[2]).is_err());
        let out = crate::ops::run_kernel(&w, &[bytemuck::cast_slice(&[1i16, 2])], &[2]).unwrap();
        assert_eq!(bytemuck::cast_slice::<u8, i16>(&out[0]), &[3]);
    }
}
