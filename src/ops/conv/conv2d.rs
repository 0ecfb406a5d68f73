//! CONV_2D: 2-D convolution over NHWC input with OHWI filters, optional grouped convolution.
//!
//! Contract (TFLite `kernels/conv.cc`, kReference path):
//! - input `[N, H, W, C]`, filter `[OC, KH, KW, FC]`, bias `[OC]`, output `[N, OH, OW, OC]`.
//!   `C` must be a multiple of `FC`; `groups = C / FC`, and output channel `oc` reads input
//!   channels `g·FC .. (g+1)·FC` with `g = oc / (OC / groups)`. `OC` must be a multiple of
//!   `groups` (TFLite reads out of bounds otherwise; we reject it).
//! - Geometry: `ops::common::padding` (SAME/VALID, strides, dilations); taps outside the input are
//!   skipped (not multiplied by zero).
//! - int8 (`reference/integer_ops/conv.h`, ConvPerChannel, used for per-tensor filters too):
//!   `acc = Σ_{fy,fx,ic in bounds} w·(x − zp_in)` in wrapping int32, `acc += bias[oc]`,
//!   `out = clamp(MBQM(acc, M[oc], s[oc]) + zp_out, act_min, act_max)`, with
//!   `(M, s) = QuantizeMultiplier(double(s_in)·double(s_w[oc]) / double(s_out))` and a per-tensor
//!   filter scale broadcast to every channel (`PopulateConvolutionQuantizationParams`). Filter
//!   zero points must be 0; the bias is int32.
//! - uint8 legacy (`reference_ops::Conv` for uint8, `conv.cc` EvalQuantized): per-tensor
//!   asymmetric uint8 weights, `acc = Σ (w − zp_w)·(x − zp_in) + bias` in wrapping int32,
//!   `out = clamp(MBQM(acc, M, s) + zp_out)` with `(M, s) = QuantizeMultiplier(
//!   double(float(s_in·s_w)) / double(s_out))` (`GetQuantizedConvolutionMultipler`: the product
//!   in float32), after TFLite's check `|float(s_in·s_w) − s_bias| / s_out ≤ 0.02`.
//!   Grouped uint8 convolution is rejected (TFLite's uint8 kernel indexes the filter as if
//!   ungrouped and reads wrong values).
//! - int16x8 (`reference_integer_ops::ConvPerChannel` for int16 input): zero points 0, int8
//!   weights (per-tensor or per-channel, multipliers as for int8), bias int32 or int64. The
//!   accumulator has the type TFLite dispatches on: the options' `quantized_bias_type` INT32
//!   gives a wrapping int32 accumulator and the int32 MBQM; INT64 or unset gives int64 and
//!   the int64-input MBQM (`(x·round(M/2^16) + 2^(14−s)) >> (15−s)`, truncated to int32).
//!   The bias type must match the option (an int32 bias with the option unset is rejected:
//!   TFLite would read it as int64). Output clamped to the activation range in int16.
//! - float32 (`reference/conv.h`): `total = Σ x·w` in float32, in the order filter row, filter
//!   column, input channel, starting from 0; `out = clamp(total + bias, lo, hi)` (0.0 added
//!   when there is no bias, as TFLite does); `clamp` is TFLite's min(max(·)), so ±inf becomes
//!   ±FLT_MAX without an activation and NaN stays NaN.
//!
//! Rejected like TFLite: zero strides or dilations, a VALID effective filter of at least the
//! input size plus two strides (TFLite's C formula gives a negative size; smaller misfits give
//! an empty output), an activation bound that overflows int32 when quantized.
//! Also rejected (TFLite computes something meaningless): non-positive or non-finite
//! input/output scales, an input zero point outside the int8 range.
//! Differences from TFLite: a missing bias is accepted (TFLite's CONV_2D requires one; TFLite
//! Micro does not), and fused activations other than NONE, RELU, RELU_N1_TO_1 and RELU6 are
//! rejected (TFLite silently ignores them).
//!
//! The operand, quantization, geometry and check helpers it shares with DEPTHWISE_CONV_2D,
//! TRANSPOSE_CONV, FULLY_CONNECTED and the hybrid kernels are in `ops::common`.
//!
//! The int8/uint8 im2col loop is the `kernels::conv` family (one `Requant::Mbqm` per output
//! channel), called through the table `kernels::best()` gives at prepare; the geometry type is
//! the kernel layer's `ConvGeometry`, built here from the options.

use crate::arith;
use crate::dtype::DType;
use crate::error::Result;
use crate::kernels::conv::{ConvFn, ConvParams};
use crate::kernels::{self, ChannelRequant, OutputStage};
use crate::ops::Scratch;
use crate::ops::common::{
    ConvQuant, Geometry, Operand, QInt, bias_operand, bias_values, buffer, check_bias_len, check_int32_bias, check_len,
    check_len_mut, const_values, conv_quant, conv_quant_range, dims4, int16_bias_type, legacy_u8_quant, mbqm_requants,
    product, widen_filter, widened_filter,
};
use crate::ops::{Element, Inputs, Kernel, Outputs, PrepareContext, ScratchId};
use crate::tflite;

/// Conv geometry plus grouping.
#[derive(Debug, Clone, Copy)]
struct ConvShape {
    g: Geometry,
    /// Filter input channels.
    fc: usize,
    groups: usize,
    /// Output channels per group.
    fpg: usize,
}

impl ConvShape {
    /// Elements of one filter (one output channel): KH·KW·FC.
    fn filter_len(&self) -> usize {
        self.g.fh * self.g.fw * self.fc
    }
}

/// The int8 / uint8 kernel (`T`), computed by the `kernels::conv` implementation chosen at
/// prepare. Weights widened to i16 with the filter offset added (`w − zp_w`, 0 for int8), layout
/// OHWI (one contiguous row per output channel, in the order of the im2col patch).
struct QConv<'m, T: QInt + kernels::Q8> {
    s: ConvShape,
    q: ConvQuant,
    /// `Mbqm(q.multiplier[oc], q.shift[oc])` per output channel.
    requant: ChannelRequant,
    /// Filter widened to i16, `[OC][KH·KW·FC]` (empty when the filter is not constant).
    w: Vec<i16>,
    /// Set when the filter is not constant: widened into this scratch region at every invoke.
    w_input: Option<(usize, ScratchId)>,
    /// −zp_w (uint8), 0 (int8).
    filter_offset: i16,
    bias: Option<Operand<'m, i32>>,
    /// One im2col patch (scratch for the kernel), `KH·KW·FC` i16.
    patch: ScratchId,
    /// The implementation (from `kernels::best()`).
    conv: ConvFn<T>,
}

impl<T: QInt + kernels::Q8> Kernel for QConv<'_, T> {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, scratch: &mut Scratch<'_>) -> Result<()> {
        let ConvShape { g, fc, groups, fpg } = self.s;
        let w = widened_filter::<T>(&self.w, self.w_input, self.filter_offset, inputs, scratch)?;
        let x = check_len(inputs.get::<T>(0)?, g.input_len(), "input")?;
        let bias = bias_values(&self.bias, inputs, g.out_c)?;
        let out = check_len_mut(outputs.get::<T>(0)?, g.output_len(), "output")?;
        let q = &self.q;
        let p = ConvParams {
            geometry: g,
            filter_channels: fc,
            groups,
            channels_per_group: fpg,
            input_offset: q.input_offset,
            out: OutputStage {
                requant: &self.requant,
                output_offset: q.output_offset,
                act_min: q.act_min,
                act_max: q.act_max,
            },
        };
        (self.conv)(&p, x, w, bias, scratch.get::<i16>(self.patch)?, out);
        Ok(())
    }
}

/// int16 activations (zero point 0), int8 weights, int32 or int64 bias `B`
/// (`reference_integer_ops::ConvPerChannel` for int16): the accumulator has the bias type
/// (`acc32`: int32 wrapping and the int32 MBQM; else int64 and the int64 MBQM).
struct I16Conv<'m, B: Element + Copy + Into<i64>> {
    s: ConvShape,
    q: ConvQuant,
    /// Filter widened to i16, `[OC][KH·KW·FC]` (empty when the filter is not constant).
    w: Vec<i16>,
    w_input: Option<(usize, ScratchId)>,
    bias: Option<Operand<'m, B>>,
    acc32: bool,
    /// One im2col patch (`KH·KW·FC` i32): `x − zp_in` for in-bounds taps, 0 for taps outside
    /// the input.
    patch: ScratchId,
}

impl<B: Element + Copy + Into<i64>> Kernel for I16Conv<'_, B> {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, scratch: &mut Scratch<'_>) -> Result<()> {
        let ConvShape { g, fc, groups, fpg } = self.s;
        let k = self.s.filter_len();
        let w = widened_filter::<i8>(&self.w, self.w_input, 0, inputs, scratch)?;
        let x = check_len(inputs.get::<i16>(0)?, g.input_len(), "input")?;
        let bias = bias_values(&self.bias, inputs, g.out_c)?;
        let out = check_len_mut(outputs.get::<i16>(0)?, g.output_len(), "output")?;
        if out.is_empty() {
            // Nothing to write, however large the other dimensions are.
            return Ok(());
        }
        let q = &self.q;
        let patch = &mut scratch.get::<i32>(self.patch)?[..k];
        let image = g.in_h * g.in_w * g.in_c;
        let mut opix_chunks = out.chunks_exact_mut(g.out_c.max(1));
        for b in 0..g.batches {
            let xb = &x[b * image..(b + 1) * image];
            for oy in 0..g.out_h {
                for ox in 0..g.out_w {
                    let Some(opix) = opix_chunks.next() else { return Ok(()) };
                    for grp in 0..groups {
                        g.im2col(xb, (oy, ox), (grp * fc, fc), patch, 0, |v: i16| v as i32 + q.input_offset);
                        for oc in grp * fpg..(grp + 1) * fpg {
                            let row = &w[oc * k..(oc + 1) * k];
                            let mut acc: i64 = 0;
                            for (&wv, &xv) in row.iter().zip(patch.iter()) {
                                acc += wv as i64 * xv as i64;
                            }
                            if let Some(bias) = bias {
                                acc = acc.wrapping_add(bias[oc].into());
                            }
                            let v = if self.acc32 {
                                arith::mbqm(acc as i32, q.multiplier[oc], q.shift[oc])
                            } else {
                                arith::mbqm_i64(acc, q.multiplier[oc], q.shift[oc])
                            };
                            opix[oc] = v.wrapping_add(q.output_offset).clamp(q.act_min, q.act_max) as i16;
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// The float kernel: filter re-laid out as `[KH][KW][FC][OC]` so that the innermost loop runs
/// over output channels, each channel keeping TFLite's summation order.
struct FloatConv<'m> {
    s: ConvShape,
    /// `[KH][KW][FC][OC]` (empty when the filter is not constant).
    w: Vec<f32>,
    /// Set when the filter is not constant: re-laid out into this scratch region at every invoke.
    w_input: Option<(usize, ScratchId)>,
    bias: Option<Operand<'m, f32>>,
    /// Accumulators (scratch), one per output channel of a group.
    acc: ScratchId,
    act_min: f32,
    act_max: f32,
}

/// OHWI → HWIO.
fn ohwi_to_hwio<T: Copy>(src: &[T], dst: &mut [T], oc: usize, h: usize, w: usize, ic: usize) {
    for o in 0..oc {
        for y in 0..h {
            for x in 0..w {
                for i in 0..ic {
                    dst[((y * w + x) * ic + i) * oc + o] = src[((o * h + y) * w + x) * ic + i];
                }
            }
        }
    }
}

impl Kernel for FloatConv<'_> {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, scratch: &mut Scratch<'_>) -> Result<()> {
        let ConvShape { g, fc, groups, fpg } = self.s;
        let w: &[f32] = match self.w_input {
            Some((wk, buf)) => {
                let w = scratch.get::<f32>(buf)?;
                let src = check_len(inputs.get::<f32>(wk)?, w.len(), "filter")?;
                ohwi_to_hwio(src, w, g.out_c, g.fh, g.fw, fc);
                w
            }
            None => &self.w,
        };
        let x = check_len(inputs.get::<f32>(0)?, g.input_len(), "input")?;
        let bias = bias_values(&self.bias, inputs, g.out_c)?;
        let out = check_len_mut(outputs.get::<f32>(0)?, g.output_len(), "output")?;
        if out.is_empty() {
            // Nothing to write, however large the other dimensions are.
            return Ok(());
        }
        let acc_all = scratch.get::<f32>(self.acc)?;
        let oc_n = g.out_c;
        let image = g.in_h * g.in_w * g.in_c;
        let mut opix_chunks = out.chunks_exact_mut(oc_n.max(1));
        for b in 0..g.batches {
            let xb = &x[b * image..(b + 1) * image];
            for oy in 0..g.out_h {
                for ox in 0..g.out_w {
                    let Some(opix) = opix_chunks.next() else { return Ok(()) };
                    for grp in 0..groups {
                        let oc0 = grp * fpg;
                        let acc = &mut acc_all[..fpg];
                        acc.fill(0.0);
                        g.for_each_tap(oy, ox, |pix, tap| {
                            let s = pix + grp * fc;
                            let wtap = (tap * fc) * oc_n;
                            for (ic, &xv) in xb[s..s + fc].iter().enumerate() {
                                let row = &w[wtap + ic * oc_n + oc0..wtap + ic * oc_n + oc0 + fpg];
                                for (a, &wv) in acc.iter_mut().zip(row) {
                                    *a += xv * wv;
                                }
                            }
                        });
                        for (j, &a) in acc.iter().enumerate() {
                            let bv = bias.map_or(0.0, |b| b[oc0 + j]);
                            opix[oc0 + j] = (a + bv).clamp(self.act_min, self.act_max);
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// Prepares CONV_2D.
pub fn prepare<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(2..=3, 1)?;
    let o = ctx.options::<tflite::Conv2DOptions>().ok_or_else(|| ctx.err("missing Conv2DOptions"))?;
    let act = o.fused_activation_function();
    let input = dims4(ctx, ctx.input_shape(0)?, "input")?;
    let [oc, fh, fw, fc] = dims4(ctx, ctx.input_shape(1)?, "filter")?;
    if fc == 0 || !input[3].is_multiple_of(fc) {
        return Err(ctx.err(format!("input channels {} are not a multiple of filter channels {fc}", input[3])));
    }
    let groups = input[3] / fc;
    if groups == 0 || oc == 0 || !oc.is_multiple_of(groups) {
        return Err(ctx.err(format!("{oc} output channels cannot be split into {groups} groups")));
    }
    let g = Geometry::new(
        ctx,
        input,
        fh,
        fw,
        oc,
        o.padding(),
        (o.stride_h(), o.stride_w()),
        (o.dilation_h_factor(), o.dilation_w_factor()),
    )?;
    let s = ConvShape { g, fc, groups, fpg: oc / groups };
    let w_len = product(ctx, &[oc, fh, fw, fc])?;
    ctx.set_output_shape(0, g.output_shape())?;
    ctx.charge_macs(&[g.batches, g.out_h, g.out_w, oc, fh, fw, fc], "CONV_2D multiply-adds")?;
    let has_bias = ctx.has_input(2);
    if has_bias {
        check_bias_len(ctx, 2, oc)?;
    }
    let (ti, tw, to) = (ctx.input_dtype(0)?, ctx.input_dtype(1)?, ctx.output_dtype(0)?);
    if (ti, tw) == (DType::Float32, DType::Int8) {
        return crate::ops::conv::hybrid::prepare_conv(ctx, g, fc, groups, act);
    }
    match (ti, tw, to) {
        (DType::Int8, DType::Int8, DType::Int8) => {
            check_int32_bias(ctx, 2, oc)?;
            let q = conv_quant(ctx, 0, 1, oc, act, true)?;
            let (w, w_input) = widen_filter::<i8>(ctx, w_len, 0)?;
            Ok(Box::new(QConv::<i8> {
                s,
                requant: mbqm_requants(ctx, &q)?,
                q,
                w,
                w_input,
                filter_offset: 0,
                bias: bias_operand(ctx, 2, oc)?,
                patch: ctx.request_scratch::<i16>(s.filter_len(), "im2col patch")?,
                conv: kernels::Q8::conv(kernels::best()),
            }))
        }
        (DType::UInt8, DType::UInt8, DType::UInt8) => {
            if groups != 1 {
                return Err(ctx.unsupported("uint8 CONV_2D does not support grouped convolution"));
            }
            check_int32_bias(ctx, 2, oc)?;
            let (q, filter_offset) = legacy_u8_quant(ctx, oc, act)?;
            let (w, w_input) = widen_filter::<u8>(ctx, w_len, filter_offset)?;
            Ok(Box::new(QConv::<u8> {
                s,
                requant: mbqm_requants(ctx, &q)?,
                q,
                w,
                w_input,
                filter_offset,
                bias: bias_operand(ctx, 2, oc)?,
                patch: ctx.request_scratch::<i16>(s.filter_len(), "im2col patch")?,
                conv: kernels::Q8::conv(kernels::best()),
            }))
        }
        (DType::Int16, DType::Int8, DType::Int16) => {
            let acc32 = int16_bias_type(ctx, o.quantized_bias_type(), 2)?;
            let q = conv_quant_range(ctx, 0, 1, oc, act, true, (-32768, 32767))?;
            if q.input_offset != 0 || q.output_offset != 0 {
                return Err(ctx.err("int16 CONV_2D needs zero points 0"));
            }
            let (w, w_input) = widen_filter::<i8>(ctx, w_len, 0)?;
            let patch = ctx.request_scratch::<i32>(s.filter_len(), "im2col patch")?;
            if has_bias && ctx.input_dtype(2)? == DType::Int32 {
                Ok(Box::new(I16Conv::<i32> { s, q, w, w_input, bias: bias_operand(ctx, 2, oc)?, acc32, patch }))
            } else {
                Ok(Box::new(I16Conv::<i64> { s, q, w, w_input, bias: bias_operand(ctx, 2, oc)?, acc32, patch }))
            }
        }
        (DType::Float32, DType::Float32, DType::Float32) => {
            if has_bias && ctx.input_dtype(2)? != DType::Float32 {
                return Err(ctx.err("float CONV_2D needs a float32 bias"));
            }
            if !arith::is_supported_activation(act) {
                return Err(ctx.unsupported(format!("unsupported fused activation {act:?}")));
            }
            let (act_min, act_max) = arith::activation_range_f32(act);
            let (w, w_input) = match const_values::<f32>(ctx, 1, w_len)? {
                Some(c) => {
                    let mut w = buffer::<f32>(ctx, w_len, "filter")?;
                    ohwi_to_hwio(&c, &mut w, oc, fh, fw, fc);
                    (w, None)
                }
                None => (Vec::new(), Some((1, ctx.request_scratch::<f32>(w_len, "re-laid-out filter")?))),
            };
            Ok(Box::new(FloatConv {
                s,
                w,
                w_input,
                bias: bias_operand(ctx, 2, oc)?,
                acc: ctx.request_scratch::<f32>(s.fpg, "accumulators")?,
                act_min,
                act_max,
            }))
        }
        _ => Err(ctx.unsupported(format!("unsupported types: input {ti}, filter {tw}, output {to}"))),
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;

    fn geom(in_hw: (usize, usize), in_c: usize, f: (usize, usize), oc: usize) -> Geometry {
        Geometry {
            batches: 1,
            in_h: in_hw.0,
            in_w: in_hw.1,
            in_c,
            out_h: in_hw.0,
            out_w: in_hw.1,
            out_c: oc,
            fh: f.0,
            fw: f.1,
            stride_h: 1,
            stride_w: 1,
            dil_h: 1,
            dil_w: 1,
            pad_h: 0,
            pad_w: 0,
        }
    }

    fn quant(oc: usize, m: i32, s: i32, zp_in: i32, zp_out: i32) -> ConvQuant {
        ConvQuant {
            input_offset: -zp_in,
            output_offset: zp_out,
            multiplier: vec![m; oc],
            shift: vec![s; oc],
            act_min: -128,
            act_max: 127,
        }
    }

    /// The `Mbqm` stages of `q` (what `mbqm_requants` builds at prepare).
    fn requants(q: &ConvQuant) -> ChannelRequant {
        ChannelRequant::Mbqm { multiplier: q.multiplier.clone(), shift: q.shift.clone() }
    }

    fn run_i8(k: &mut QConv<'_, i8>, x: &[i8]) -> Vec<i8> {
        k.requant = requants(&k.q);
        let n = k.s.g.output_len();
        let out = crate::ops::run_kernel(k, &[bytemuck::cast_slice(x)], &[n]).unwrap();
        bytemuck::cast_slice(&out[0]).to_vec()
    }

    #[test]
    fn int8_same_padding_skips_outside_taps() {
        // 1×3 input, one channel, zp_in = −1 (offset +1), 1×3 filter [1, 2, 3], SAME, pad 1.
        // x = [0, 1, 2] → x − zp = [1, 2, 3].
        // out0: taps (−1 skipped) 1·? … = 2·1 + 3·2 = 8; out1: 1·1 + 2·2 + 3·3 = 14;
        // out2: 1·2 + 2·3 = 8 (right tap skipped). Bias 2 → 10, 16, 10; multiplier 0.5 → 5, 8, 5;
        // zp_out 3 → 8, 11, 8.
        let mut g = geom((1, 3), 1, (1, 3), 1);
        g.pad_w = 1;
        let mut k = QConv::<i8> {
            s: ConvShape { g, fc: 1, groups: 1, fpg: 1 },
            q: quant(1, 1 << 30, 0, -1, 3),
            w: vec![1, 2, 3],
            w_input: None,
            filter_offset: 0,
            requant: ChannelRequant::default(),
            conv: kernels::reference::conv,
            bias: Some(Operand::Const(Cow::Owned(vec![2]))),
            patch: crate::ops::test_scratch::<i16>(3),
        };
        assert_eq!(run_i8(&mut k, &[0, 1, 2]), vec![8, 11, 8]);
    }

    #[test]
    fn int8_rounding_ties_and_clamping() {
        // 1×1 conv, 2 input channels, 5 output channels (exercises the 4-wide block and the tail).
        // x = [3, −2] with zp_in 0; w rows: [1,0] [0,1] [1,1] [−1,0] [2,2] → acc 3, −2, 1, −3, 2.
        // Multiplier 0.5 (M = 2^30, shift 0): SRDHM rounds ties away from zero for positive
        // products (3 → 2) and toward zero for negative ones (−3 → −1, SRDHM's nudge), −2 → −1.
        let g = geom((1, 1), 2, (1, 1), 5);
        let mut k = QConv::<i8> {
            s: ConvShape { g, fc: 2, groups: 1, fpg: 5 },
            q: quant(5, 1 << 30, 0, 0, 0),
            w: vec![1, 0, 0, 1, 1, 1, -1, 0, 2, 2],
            w_input: None,
            filter_offset: 0,
            requant: ChannelRequant::default(),
            conv: kernels::reference::conv,
            bias: None,
            patch: crate::ops::test_scratch::<i16>(2),
        };
        assert_eq!(run_i8(&mut k, &[3, -2]), vec![2, -1, 1, -1, 1]);
        // Shift −1 (×0.25): 3 → SRDHM 2 → RDBPOT(2, 1) = 1; −3 → −1 → RDBPOT(−1, 1) = −1
        // (−0.5 rounds away from zero).
        k.q = quant(5, 1 << 30, -1, 0, 0);
        assert_eq!(run_i8(&mut k, &[3, -2]), vec![1, -1, 1, -1, 1]);
        // Large products saturate at the activation range.
        k.q = quant(5, 1 << 30, 8, 0, 0);
        k.q.act_min = -10;
        k.q.act_max = 100;
        assert_eq!(run_i8(&mut k, &[3, -2]), vec![100, -10, 100, -10, 100]);
    }

    #[test]
    fn int8_grouped_conv_reads_its_group_channels() {
        // 4 input channels, 2 groups of 2, 2 output channels (one per group), 1×1 filter.
        // x − zp = [1, 2, 3, 4]; oc0 = 1·1 + 1·2 = 3 (channels 0, 1); oc1 = 1·3 + 2·4 = 11.
        let g = geom((1, 1), 4, (1, 1), 2);
        let mut k = QConv::<i8> {
            s: ConvShape { g, fc: 2, groups: 2, fpg: 1 },
            q: quant(2, 1 << 30, 1, 0, 0), // ×1
            w: vec![1, 1, 1, 2],
            w_input: None,
            filter_offset: 0,
            requant: ChannelRequant::default(),
            conv: kernels::reference::conv,
            bias: None,
            patch: crate::ops::test_scratch::<i16>(2),
        };
        assert_eq!(run_i8(&mut k, &[1, 2, 3, 4]), vec![3, 11]);
    }

    #[test]
    fn float_keeps_summation_order_and_clamps_infinity() {
        // 1×1 conv, two input channels: total = (0 + 1e8·1) + 1·1 = 1e8 in f32 (the 1 is
        // absorbed), then the bias −1e8 gives 0 (adding the bias first would give 1).
        let g = geom((1, 1), 2, (1, 1), 1);
        let mut k = FloatConv {
            s: ConvShape { g, fc: 2, groups: 1, fpg: 1 },
            w: vec![1.0, 1.0],
            w_input: None,
            bias: Some(Operand::Const(Cow::Owned(vec![-1e8]))),
            acc: crate::ops::test_scratch::<f32>(1),
            act_min: f32::MIN,
            act_max: f32::MAX,
        };
        let x = [1e8f32, 1.0];
        let out = crate::ops::run_kernel(&k, &[bytemuck::cast_slice(&x)], &[4]).unwrap();
        assert_eq!(bytemuck::cast_slice::<u8, f32>(&out[0]), &[0.0]);
        // No bias: the sum starts at +0.0, so −0.0 products leave +0.0.
        k.bias = None;
        let x = [-0.0f32, 0.0];
        k.w = vec![1.0, -1.0];
        let out = crate::ops::run_kernel(&k, &[bytemuck::cast_slice(&x)], &[4]).unwrap();
        let v = bytemuck::cast_slice::<u8, f32>(&out[0])[0];
        assert!(v == 0.0 && v.is_sign_positive());
        // Infinity clamps to f32::MAX with no activation, as TFLite's min/max does.
        let x = [f32::INFINITY, 0.0];
        k.w = vec![1.0, 1.0];
        let out = crate::ops::run_kernel(&k, &[bytemuck::cast_slice(&x)], &[4]).unwrap();
        assert_eq!(bytemuck::cast_slice::<u8, f32>(&out[0]), &[f32::MAX]);
    }

    #[test]
    fn hwio_relayout() {
        // OC 2, 1×2, IC 1: w[o][0][x][0] = 10·o + x → HWIO [x][0][o].
        let src = [0, 1, 10, 11];
        let mut dst = [0; 4];
        ohwi_to_hwio(&src, &mut dst, 2, 1, 2, 1);
        assert_eq!(dst, [0, 10, 1, 11]);
    }

    #[test]
    fn int16_accumulator_follows_the_bias_type() {
        // 1×1 conv, one channel: x = 100, w = 127 → 12700; bias 2^31 − 11. Multiplier 0.5,
        // shift −30 (×2^−31). int64: (2147496337·2^14 + 2^44) >> 45 = 1. int32: the sum wraps to
        // −2147470959; SRDHM → −1073735479, RDBPOT by 30 → −1.
        let g = geom((1, 1), 1, (1, 1), 1);
        let mut q = quant(1, 1 << 30, -30, 0, 0);
        q.act_min = -32768;
        q.act_max = 32767;
        let mut k = I16Conv::<i64> {
            s: ConvShape { g, fc: 1, groups: 1, fpg: 1 },
            q,
            w: vec![127],
            w_input: None,
            bias: Some(Operand::Const(Cow::Owned(vec![i32::MAX as i64 - 10]))),
            acc32: false,
            patch: crate::ops::test_scratch::<i32>(1),
        };
        let x = [100i16];
        let run = |k: &mut I16Conv<'_, i64>| {
            let out = crate::ops::run_kernel(k, &[bytemuck::cast_slice(&x)], &[2]).unwrap();
            bytemuck::cast_slice::<u8, i16>(&out[0])[0]
        };
        assert_eq!(run(&mut k), 1);
        k.acc32 = true;
        assert_eq!(run(&mut k), -1);
        // No bias, multiplier ×0.5: 12700 → 6350 (int64 MBQM rounds half up: 3 → 2).
        k.acc32 = false;
        k.bias = None;
        k.q.shift = vec![0];
        assert_eq!(run(&mut k), 6350);
        k.w = vec![3];
        let x1 = [1i16];
        let out = crate::ops::run_kernel(&k, &[bytemuck::cast_slice(&x1)], &[2]).unwrap();
        assert_eq!(bytemuck::cast_slice::<u8, i16>(&out[0])[0], 2);
    }

    #[test]
    fn uint8_subtracts_the_filter_zero_point() {
        // 1×2 input, one channel, 1×2 filter VALID: x = [0, 255], zp_in 100 → [−100, 155];
        // w = [50, 250], zp_w 150 → [−100, 100]; acc = 10000 + 15500 = 25500; ×2^−8 (M 2^30,
        // shift −7) = 99.6 → 100; + zp_out 20 = 120.
        let mut g = geom((1, 2), 1, (1, 2), 1);
        g.out_w = 1;
        let mut k = QConv::<u8> {
            s: ConvShape { g, fc: 1, groups: 1, fpg: 1 },
            q: ConvQuant { act_min: 0, act_max: 255, ..quant(1, 1 << 30, -7, 100, 20) },
            w: vec![-100, 100],
            w_input: None,
            filter_offset: -150,
            requant: ChannelRequant::default(),
            conv: kernels::reference::conv,
            bias: None,
            patch: crate::ops::test_scratch::<i16>(2),
        };
        k.requant = requants(&k.q);
        let out = crate::ops::run_kernel(&k, &[&[0u8, 255][..]], &[1]).unwrap();
        assert_eq!(out[0], vec![120]);
    }
}
