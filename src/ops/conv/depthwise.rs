//! DEPTHWISE_CONV_2D: each input channel convolved with its own `depth_multiplier` filters.
//!
//! Contract (TFLite `kernels/depthwise_conv.cc`, kReference path):
//! - input `[N, H, W, IC]`, filter `[1, KH, KW, OC]`, optional bias `[OC]`, output
//!   `[N, OH, OW, OC]`. `OC` must be a multiple of `IC`; `depth_multiplier = OC / IC` (the
//!   option field is not used, as in TFLite's int8 and float kernels) and output channel
//!   `oc = ic·depth_multiplier + m` reads input channel `ic`.
//! - Geometry: `ops::common::padding` (SAME/VALID, strides, dilations); taps outside the input are
//!   skipped.
//! - int8 (`reference/integer_ops/depthwise_conv.h`, DepthwiseConvPerChannel, also for
//!   per-tensor filters): `acc = Σ_{fy,fx in bounds} w[fy,fx,oc]·(x[iy,ix,ic] − zp_in)` in
//!   wrapping int32, `+ bias[oc]` when present, `out = clamp(MBQM(acc, M[oc], s[oc]) + zp_out)`,
//!   `(M, s) = QuantizeMultiplier(double(s_in)·double(s_w[oc]) / double(s_out))`. The filter zero
//!   point is ignored. Per-channel filters need `filter_shape[quantized_dimension] == OC`
//!   (normally dimension 3).
//! - uint8 legacy (`reference_ops::DepthwiseConv`, `depthwiseconv_uint8.h`, rounding
//!   kAwayFromZero = the double-rounding MBQM): per-tensor asymmetric uint8 weights,
//!   `acc = Σ (w − zp_w)·(x − zp_in) + bias` in wrapping int32, one multiplier
//!   `QuantizeMultiplier(double(float(s_in·s_w)) / double(s_out))` (see `conv2d.rs`, with the same
//!   bias-scale check), `out = clamp(MBQM(acc) + zp_out)` in [0, 255].
//! - int16x8 (`reference_integer_ops::DepthwiseConvPerChannel` for int16): zero points 0, int8
//!   weights, **int64** bias only (TFLite refuses int32), `acc = Σ w·x + bias` in int64,
//!   `out = clamp(MBQM64(acc, M[oc], s[oc]))` (the int64-input MBQM, truncated to int32 as in
//!   C++). TFLite's int16 kernel loops over the option field `depth_multiplier` instead of
//!   OC / IC: a model whose field disagrees is rejected.
//! - float32 (`reference/depthwiseconv_float.h`): `total = Σ x·w` in float32 over filter rows
//!   then columns, from 0; `out = clamp(total + bias, lo, hi)`, bias 0.0 when absent.
//!
//! Rejected like TFLite: see `conv2d.rs` (strides, dilations, VALID sizes, activation bounds).
//! Differences from TFLite: fused activations other than NONE/RELU/RELU_N1_TO_1/RELU6 are
//! rejected (TFLite ignores them); a bias input marked as omitted (index −1) is accepted as no
//! bias (TFLite's prepare fails on it, though it accepts a model with two inputs).
//!
//! The int8/uint8 loop is the `kernels::dwconv` family (one `Requant::Mbqm` per output channel),
//! called through the table `kernels::best()` gives at prepare.

use crate::arith;
use crate::dtype::DType;
use crate::error::Result;
use crate::kernels::dwconv::{DepthwiseFn, DepthwiseParams};
use crate::kernels::{self, ChannelRequant, OutputStage};
use crate::ops::Scratch;
use crate::ops::common::{
    ConvQuant, Geometry, Operand, QInt, bias_operand, bias_values, buffer, check_bias_len, check_int32_bias, check_len,
    check_len_mut, const_values, conv_quant, conv_quant_range, dims4, legacy_u8_quant, mbqm_requants, product,
    widened_filter,
};
use crate::ops::{Inputs, Kernel, Outputs, PrepareContext, ScratchId};
use crate::tflite;

/// int8 / uint8 (`T`) kernel, computed by the `kernels::dwconv` implementation chosen at
/// prepare.
struct QDw<'m, T: QInt + kernels::Q8> {
    g: Geometry,
    dm: usize,
    q: ConvQuant,
    /// `Mbqm(q.multiplier[oc], q.shift[oc])` per output channel.
    requant: ChannelRequant,
    /// Filter widened to i16 with the filter offset added (`w − zp_w` for uint8), `[KH][KW][OC]`
    /// (empty when the filter is not constant: then widened into its scratch region at every invoke).
    w: Vec<i16>,
    w_input: Option<(usize, ScratchId)>,
    /// −zp_w (uint8), 0 (int8).
    filter_offset: i16,
    bias: Option<Operand<'m, i32>>,
    /// Accumulators (scratch for the kernel), one i32 per output channel.
    acc: ScratchId,
    /// The implementation (from `kernels::best()`).
    dw: DepthwiseFn<T>,
}

impl<T: QInt + kernels::Q8> Kernel for QDw<'_, T> {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, scratch: &mut Scratch<'_>) -> Result<()> {
        let g = self.g;
        let w = widened_filter::<T>(&self.w, self.w_input, self.filter_offset, inputs, scratch)?;
        let x = check_len(inputs.get::<T>(0)?, g.input_len(), "input")?;
        let bias = bias_values(&self.bias, inputs, g.out_c)?;
        let out = check_len_mut(outputs.get::<T>(0)?, g.output_len(), "output")?;
        let q = &self.q;
        let p = DepthwiseParams {
            geometry: g,
            depth_multiplier: self.dm,
            input_offset: q.input_offset,
            out: OutputStage {
                requant: &self.requant,
                output_offset: q.output_offset,
                act_min: q.act_min,
                act_max: q.act_max,
            },
        };
        (self.dw)(&p, x, w, bias, scratch.get::<i32>(self.acc)?, out);
        Ok(())
    }
}

/// int16 activations (zero points 0), int8 weights, int64 bias
/// (`reference_integer_ops::DepthwiseConvPerChannel` for int16): int64 accumulator, the int64
/// MBQM, no offsets.
struct I16Dw<'m> {
    g: Geometry,
    dm: usize,
    q: ConvQuant,
    /// Filter widened to i32, `[KH][KW][OC]` (empty when the filter is not constant: then
    /// widened into its scratch region at every invoke).
    w: Vec<i32>,
    w_input: Option<(usize, ScratchId)>,
    bias: Option<Operand<'m, i64>>,
    /// Accumulators (scratch), one i64 per output channel.
    acc: ScratchId,
}

impl Kernel for I16Dw<'_> {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, scratch: &mut Scratch<'_>) -> Result<()> {
        let g = self.g;
        let (ic_n, oc_n, dm) = (g.in_c, g.out_c, self.dm);
        let w: &[i32] = match self.w_input {
            Some((wk, buf)) => {
                let w = scratch.get::<i32>(buf)?;
                let w8 = check_len(inputs.get::<i8>(wk)?, w.len(), "filter")?;
                for (d, &v) in w.iter_mut().zip(w8) {
                    *d = v as i32;
                }
                w
            }
            None => &self.w,
        };
        let x = check_len(inputs.get::<i16>(0)?, g.input_len(), "input")?;
        let bias = bias_values(&self.bias, inputs, oc_n)?;
        let out = check_len_mut(outputs.get::<i16>(0)?, g.output_len(), "output")?;
        if out.is_empty() {
            // Nothing to write, however large the other dimensions are.
            return Ok(());
        }
        let q = &self.q;
        let acc = &mut scratch.get::<i64>(self.acc)?[..oc_n];
        let image = g.in_h * g.in_w * ic_n;
        let mut opix_chunks = out.chunks_exact_mut(oc_n.max(1));
        for b in 0..g.batches {
            let xb = &x[b * image..(b + 1) * image];
            for oy in 0..g.out_h {
                for ox in 0..g.out_w {
                    let Some(opix) = opix_chunks.next() else { return Ok(()) };
                    match bias {
                        Some(bias) => acc.copy_from_slice(bias),
                        None => acc.fill(0),
                    }
                    g.for_each_tap(oy, ox, |pix, tap| {
                        let s = pix;
                        let xs = &xb[s..s + ic_n];
                        let ws = &w[tap * oc_n..(tap + 1) * oc_n];
                        for ((ac, wc), &xv) in acc.chunks_exact_mut(dm).zip(ws.chunks_exact(dm)).zip(xs) {
                            for (a, &wv) in ac.iter_mut().zip(wc) {
                                *a = a.wrapping_add((wv * xv as i32) as i64);
                            }
                        }
                    });
                    for (oc, (o, &a)) in opix.iter_mut().zip(acc.iter()).enumerate() {
                        let v = arith::mbqm_i64(a, q.multiplier[oc], q.shift[oc]);
                        *o = v.clamp(q.act_min, q.act_max) as i16;
                    }
                }
            }
        }
        Ok(())
    }
}

struct FloatDw<'m> {
    g: Geometry,
    dm: usize,
    /// Filter `[KH][KW][OC]`.
    w: Operand<'m, f32>,
    bias: Option<Operand<'m, f32>>,
    /// Accumulators (scratch), one f32 per output channel.
    acc: ScratchId,
    act_min: f32,
    act_max: f32,
}

impl Kernel for FloatDw<'_> {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, scratch: &mut Scratch<'_>) -> Result<()> {
        let g = self.g;
        let (ic_n, oc_n, dm) = (g.in_c, g.out_c, self.dm);
        let w = self.w.get(inputs, g.fh * g.fw * oc_n)?;
        let x = check_len(inputs.get::<f32>(0)?, g.input_len(), "input")?;
        let bias = bias_values(&self.bias, inputs, oc_n)?;
        let out = check_len_mut(outputs.get::<f32>(0)?, g.output_len(), "output")?;
        if out.is_empty() {
            // Nothing to write, however large the other dimensions are.
            return Ok(());
        }
        let acc = &mut scratch.get::<f32>(self.acc)?[..oc_n];
        let image = g.in_h * g.in_w * ic_n;
        let mut opix_chunks = out.chunks_exact_mut(oc_n.max(1));
        for b in 0..g.batches {
            let xb = &x[b * image..(b + 1) * image];
            for oy in 0..g.out_h {
                for ox in 0..g.out_w {
                    let Some(opix) = opix_chunks.next() else { return Ok(()) };
                    acc.fill(0.0);
                    g.for_each_tap(oy, ox, |pix, tap| {
                        let s = pix;
                        let xs = &xb[s..s + ic_n];
                        let ws = &w[tap * oc_n..(tap + 1) * oc_n];
                        if dm == 1 {
                            for ((a, &wv), &xv) in acc.iter_mut().zip(ws).zip(xs) {
                                *a += xv * wv;
                            }
                        } else {
                            for ((ac, wc), &xv) in acc.chunks_exact_mut(dm).zip(ws.chunks_exact(dm)).zip(xs) {
                                for (a, &wv) in ac.iter_mut().zip(wc) {
                                    *a += xv * wv;
                                }
                            }
                        }
                    });
                    for (oc, (o, &a)) in opix.iter_mut().zip(acc.iter()).enumerate() {
                        let bv = bias.map_or(0.0, |b| b[oc]);
                        *o = (a + bv).clamp(self.act_min, self.act_max);
                    }
                }
            }
        }
        Ok(())
    }
}

/// Prepares DEPTHWISE_CONV_2D.
pub fn prepare<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(2..=3, 1)?;
    let o = ctx.options::<tflite::DepthwiseConv2DOptions>().ok_or_else(|| ctx.err("missing DepthwiseConv2DOptions"))?;
    let act = o.fused_activation_function();
    let input = dims4(ctx, ctx.input_shape(0)?, "input")?;
    let [one, fh, fw, oc] = dims4(ctx, ctx.input_shape(1)?, "filter")?;
    if one != 1 {
        return Err(ctx.err(format!("filter must have shape [1, KH, KW, OC], got {:?}", ctx.input_shape(1)?)));
    }
    let ic = input[3];
    if ic == 0 || oc == 0 || !oc.is_multiple_of(ic) {
        return Err(ctx.err(format!("{oc} output channels are not a multiple of {ic} input channels")));
    }
    let dm = oc / ic;
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
    let w_len = product(ctx, &[fh, fw, oc])?;
    ctx.set_output_shape(0, g.output_shape())?;
    ctx.charge_macs(&[g.batches, g.out_h, g.out_w, oc, fh, fw], "DEPTHWISE_CONV_2D multiply-adds")?;
    let has_bias = ctx.has_input(2);
    if has_bias {
        check_bias_len(ctx, 2, oc)?;
    }
    let (ti, tw, to) = (ctx.input_dtype(0)?, ctx.input_dtype(1)?, ctx.output_dtype(0)?);
    if (ti, tw) == (DType::Float32, DType::Int8) {
        return crate::ops::conv::hybrid::prepare_dw(ctx, g, dm, o.depth_multiplier(), act);
    }
    match (ti, tw, to) {
        (DType::Int8, DType::Int8, DType::Int8) => {
            check_int32_bias(ctx, 2, oc)?;
            let q = conv_quant(ctx, 0, 1, oc, act, false)?;
            let (w, w_input) = crate::ops::common::widen_filter::<i8>(ctx, w_len, 0)?;
            Ok(Box::new(QDw::<i8> {
                g,
                dm,
                requant: mbqm_requants(ctx, &q)?,
                q,
                w,
                w_input,
                filter_offset: 0,
                bias: bias_operand(ctx, 2, oc)?,
                acc: ctx.request_scratch::<i32>(oc, "accumulators")?,
                dw: kernels::Q8::depthwise(kernels::best()),
            }))
        }
        (DType::UInt8, DType::UInt8, DType::UInt8) => {
            check_int32_bias(ctx, 2, oc)?;
            let (q, filter_offset) = legacy_u8_quant(ctx, oc, act)?;
            let (w, w_input) = crate::ops::common::widen_filter::<u8>(ctx, w_len, filter_offset)?;
            Ok(Box::new(QDw::<u8> {
                g,
                dm,
                requant: mbqm_requants(ctx, &q)?,
                q,
                w,
                w_input,
                filter_offset,
                bias: bias_operand(ctx, 2, oc)?,
                acc: ctx.request_scratch::<i32>(oc, "accumulators")?,
                dw: kernels::Q8::depthwise(kernels::best()),
            }))
        }
        (DType::Int16, DType::Int8, DType::Int16) => {
            // TFLite's int16 kernel loops over the option's depth_multiplier (not OC / IC).
            if o.depth_multiplier() < 0 || o.depth_multiplier() as usize != dm {
                return Err(ctx.unsupported(format!(
                    "int16 DEPTHWISE_CONV_2D needs depth_multiplier = {dm} (output / input channels), got {}",
                    o.depth_multiplier()
                )));
            }
            if has_bias && ctx.input_dtype(2)? != DType::Int64 {
                return Err(ctx.err("int16 DEPTHWISE_CONV_2D needs an int64 bias"));
            }
            if has_bias
                && let Some(bq) = &ctx.input(2)?.quantization
                && bq.zero_point.len() == 1
                && bq.zero_point[0] != 0
            {
                return Err(ctx.err("bias zero point must be 0"));
            }
            let q = conv_quant_range(ctx, 0, 1, oc, act, false, (-32768, 32767))?;
            if q.input_offset != 0 || q.output_offset != 0 {
                return Err(ctx.err("int16 DEPTHWISE_CONV_2D needs zero points 0"));
            }
            let (w, w_input) = match const_values::<i8>(ctx, 1, w_len)? {
                Some(c) => {
                    let mut w = buffer::<i32>(ctx, w_len, "filter")?;
                    for (d, &v) in w.iter_mut().zip(c.iter()) {
                        *d = v as i32;
                    }
                    (w, None)
                }
                None => (Vec::new(), Some((1, ctx.request_scratch::<i32>(w_len, "widened filter")?))),
            };
            Ok(Box::new(I16Dw {
                g,
                dm,
                q,
                w,
                w_input,
                bias: bias_operand(ctx, 2, oc)?,
                acc: ctx.request_scratch::<i64>(oc, "accumulators")?,
            }))
        }
        (DType::Float32, DType::Float32, DType::Float32) => {
            if has_bias && ctx.input_dtype(2)? != DType::Float32 {
                return Err(ctx.err("float DEPTHWISE_CONV_2D needs a float32 bias"));
            }
            if !arith::is_supported_activation(act) {
                return Err(ctx.unsupported(format!("unsupported fused activation {act:?}")));
            }
            let (act_min, act_max) = arith::activation_range_f32(act);
            Ok(Box::new(FloatDw {
                g,
                dm,
                w: const_values::<f32>(ctx, 1, w_len)?.map_or(Operand::Input(1), Operand::Const),
                bias: bias_operand(ctx, 2, oc)?,
                acc: ctx.request_scratch::<f32>(oc, "accumulators")?,
                act_min,
                act_max,
            }))
        }
        _ => Err(ctx.unsupported(format!("unsupported types: input {ti}, filter {tw}, output {to}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn geom(in_hw: (usize, usize), ic: usize, f: (usize, usize), oc: usize) -> Geometry {
        Geometry {
            batches: 1,
            in_h: in_hw.0,
            in_w: in_hw.1,
            in_c: ic,
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

    fn run(k: &mut QDw<'_, i8>, x: &[i8]) -> Vec<i8> {
        k.requant = requants(&k.q);
        let n = k.g.output_len();
        let out = crate::ops::run_kernel(k, &[bytemuck::cast_slice(x)], &[n]).unwrap();
        bytemuck::cast_slice(&out[0]).to_vec()
    }

    #[test]
    fn int8_depth_multiplier_two() {
        // 1×1 input with 2 channels, x − zp_in = [3 − 1, −4 − 1] = [2, −5]; multiplier 2:
        // oc 0, 1 read ic 0 (weights 1, −3); oc 2, 3 read ic 1 (weights 2, 7).
        // acc = [2, −6, −10, −35]; bias [1, 0, 0, 0] → [3, −6, −10, −35]; ×0.5 → SRDHM:
        // 1.5 → 2, −3, −5, −17.5 → −17 (negative ties toward zero); zp_out −1 → [1, −4, −6, −18].
        let g = geom((1, 1), 2, (1, 1), 4);
        let mut k = QDw::<i8> {
            g,
            dm: 2,
            q: quant(4, 1 << 30, 0, 1, -1),
            w: vec![1, -3, 2, 7],
            w_input: None,
            filter_offset: 0,
            requant: ChannelRequant::default(),
            dw: kernels::reference::depthwise,
            bias: Some(Operand::Const(Cow::Owned(vec![1, 0, 0, 0]))),
            acc: crate::ops::test_scratch::<i32>(4),
        };
        assert_eq!(run(&mut k, &[3, -4]), vec![1, -4, -6, -18]);
    }

    #[test]
    fn int8_dilation_and_padding() {
        // 1×5 input, one channel, 1×3 filter [1, 10, 100], dilation 2 (effective 5), SAME
        // (pad 2), stride 2 → 3 outputs at columns 0, 2, 4.
        // out0 taps at −2 (skipped), 0, 2 → 10·x0 + 100·x2; out1 taps 0, 2, 4;
        // out2 taps 2, 4, 6 (skipped). x = [1, 0, 1, 0, −1], zp 0, ×1.
        let mut g = geom((1, 5), 1, (1, 3), 1);
        g.out_w = 3;
        g.stride_w = 2;
        g.dil_w = 2;
        g.pad_w = 2;
        let mut k = QDw::<i8> {
            g,
            dm: 1,
            q: quant(1, 1 << 30, 1, 0, 0),
            w: vec![1, 10, 100],
            w_input: None,
            filter_offset: 0,
            requant: ChannelRequant::default(),
            dw: kernels::reference::depthwise,
            bias: None,
            acc: crate::ops::test_scratch::<i32>(1),
        };
        // out0 = 10 + 100 = 110; out1 = 1 + 10 − 100 = −89; out2 = 1 − 10 = −9.
        assert_eq!(run(&mut k, &[1, 0, 1, 0, -1]), vec![110, -89, -9]);
    }

    #[test]
    fn float_depthwise_adds_bias_last() {
        let g = geom((1, 2), 1, (1, 2), 1);
        let k = FloatDw {
            g,
            dm: 1,
            w: Operand::Const(Cow::Owned(vec![1.0, 1.0])),
            bias: Some(Operand::Const(Cow::Owned(vec![-1e8]))),
            acc: crate::ops::test_scratch::<f32>(1),
            act_min: 0.0,
            act_max: 6.0,
        };
        // Output 0: taps at columns 0, 1: (0 + 1e8) + 1 = 1e8 in f32, then − 1e8 = 0 (the bias
        // is added last). Output 1: column 1 only (column 2 is outside): 1 − 1e8 → RELU6 → 0.
        let x = [1e8f32, 1.0];
        let out = crate::ops::run_kernel(&k, &[bytemuck::cast_slice(&x)], &[8]).unwrap();
        assert_eq!(bytemuck::cast_slice::<u8, f32>(&out[0]), &[0.0, 0.0]);
    }

    #[test]
    fn int16_depth_multiplier_two_int64() {
        // 1×1 input, 2 channels x = [32767, −32768]; weights [127, −128, 1, 2]:
        // oc0 = 127·32767 = 4161409, oc1 = −128·32767 = −4194176, oc2 = −32768, oc3 = −65536;
        // bias [2^40, 0, 0, 0]. ×2^−8 (M 2^30, shift −7): int64 MBQM (x·2^14 + 2^21) >> 22:
        // oc0 = 2^32 + round(16255.5) = 2^32 + 16256, truncated to int32 as TFLite's C++ does:
        // 16256; oc1 = −16383.5 → −16383 (half up); oc2 = −128; oc3 = −256.
        let g = geom((1, 1), 2, (1, 1), 4);
        let mut q = quant(4, 1 << 30, -7, 0, 0);
        q.act_min = -32768;
        q.act_max = 32767;
        let k = I16Dw {
            g,
            dm: 2,
            q,
            w: vec![127, -128, 1, 2],
            w_input: None,
            bias: Some(Operand::Const(Cow::Owned(vec![1 << 40, 0, 0, 0]))),
            acc: crate::ops::test_scratch::<i64>(4),
        };
        let x = [32767i16, -32768];
        let out = crate::ops::run_kernel(&k, &[bytemuck::cast_slice(&x)], &[8]).unwrap();
        assert_eq!(bytemuck::cast_slice::<u8, i16>(&out[0]), &[16256, -16383, -128, -256]);
    }

    #[test]
    fn uint8_products_exceed_int16() {
        // 1×1, one channel: x = 255, zp_in 0; w = 0, zp_w 255 → −255; acc = −65025 (beyond
        // i16); ×2^−8 → −254.00… → clamped to 0; with zp_out 255: 1.
        let g = geom((1, 1), 1, (1, 1), 1);
        let mut q = quant(1, 1 << 30, -7, 0, 255);
        q.act_min = 0;
        q.act_max = 255;
        let mut k = QDw::<u8> {
            g,
            dm: 1,
            q,
            w: vec![-255],
            w_input: None,
            filter_offset: -255,
            requant: ChannelRequant::default(),
            dw: kernels::reference::depthwise,
            bias: None,
            acc: crate::ops::test_scratch::<i32>(1),
        };
        k.requant = requants(&k.q);
        let out = crate::ops::run_kernel(&k, &[&[255u8][..]], &[1]).unwrap();
        assert_eq!(out[0], vec![1]);
    }
}
