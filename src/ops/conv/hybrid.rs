//! Dynamic-range ("hybrid") kernels: float32 activations, int8 weights (per-tensor or
//! per-channel scales, zero points ignored), float32 bias and output. TFLite quantizes the
//! float input on the fly, multiplies in int32 and scales back in float32.
//!
//! Input quantization (`tensor_utils::BatchQuantizeFloats` as TFLite's x86-64 wheels run it, NEON
//! versions through NEON_2_SSE) and the SSE dot-product quirk are in `ops::common::hybrid_quant`,
//! shared with BATCH_MATMUL.
//!
//! Dequantization: `acc = Σ w·q` (int32), with the asymmetric correction
//! `acc −= row_sum(w)·zp` (int32), `out = bias + float(acc)·(sf·s_w)`: the per-tensor filter scale
//! is folded into `sf` first (`sf *= s_w`, float32), a per-channel scale is multiplied per output
//! row (`sf·s_w[c]`, float32), then one float32 multiply and one add. The float32 operations
//! are TFLite's, in TFLite's order, so outputs are identical (no ULP tolerance).
//! The operator-specific paths are documented on each kernel.
//!
//! Undefined in TFLite (not reproducible, not compared by the fuzzer): a per-tensor
//! DEPTHWISE_CONV_2D filter with more than one output channel (TFLite indexes the one scale per
//! channel; qlite broadcasts it); a grouped per-tensor CONV_2D (same; qlite rejects it). A
//! symmetric FULLY_CONNECTED passes TFLite's never-written input-offsets buffer to the
//! multiply (zero in every single-op model measured; qlite uses 0).

use crate::arith;
use crate::dtype::DType;
use crate::error::Result;
use crate::ops::Scratch;
use crate::ops::common::hybrid_quant::{dot_i8, dot_sse, filter_scales, quantize_rows, row_sums};
use crate::ops::common::{Geometry, Operand, buffer, check_len, check_len_mut, const_values, product};
use crate::ops::{Inputs, Kernel, Outputs, PrepareContext, ScratchId};
use crate::tflite;

/// The bounds of a float fused activation (NONE/RELU/RELU_N1_TO_1/RELU6); `unbounded` gives
/// ±inf instead of ±FLT_MAX where the activation has no bound (`ApplyActivationToVector` leaves
/// ±inf alone; `CalculateActivationRange` clamps to ±FLT_MAX).
pub(crate) fn activation(
    ctx: &PrepareContext<'_, '_>,
    act: tflite::ActivationFunctionType,
    unbounded: bool,
) -> Result<(f32, f32)> {
    if !arith::is_supported_activation(act) {
        return Err(ctx.unsupported(format!("unsupported fused activation {act:?}")));
    }
    let (lo, hi) = arith::activation_range_f32(act);
    if unbounded {
        Ok((if lo == f32::MIN { f32::NEG_INFINITY } else { lo }, if hi == f32::MAX { f32::INFINITY } else { hi }))
    } else {
        Ok((lo, hi))
    }
}

/// C++ `std::min(std::max(x, lo), hi)`.
#[inline(always)]
pub(crate) fn clamp_cpp(x: f32, lo: f32, hi: f32) -> f32 {
    let y = if x < lo { lo } else { x };
    if hi < y { hi } else { y }
}

/// Hybrid FULLY_CONNECTED (`fully_connected.cc` EvalHybridDense, kReference):
/// `out = bias` (0 without bias); when the whole input is zero (`IsZeroVector`, −0.0 counts as
/// zero) the output is just the activation of that; else every batch row is quantized
/// (symmetric, or asymmetric with `asymmetric_quantize_inputs`),
/// `out[b, u] = bias[u] + float(Σ w[u]·q[b] − row_sum[u]·zp[b]) · scale`, with
/// `scale = sf[b]·s_w` (per-tensor, folded into sf) or `sf[b]·s_w[u]` (per-channel), the sum
/// with [`dot_sse`]'s quirk, then the activation (`ApplyActivationToVector`: RELU is `max(0, x)`
/// and NONE leaves ±inf alone). The row sums of constant weights are computed at prepare; those of
/// weights given as an input at every invoke (TFLite computes them at the first invoke only, so
/// with non-constant weights its later invokes use stale sums).
struct HybridFc<'m> {
    batches: usize,
    depth: usize,
    units: usize,
    weights: Operand<'m, i8>,
    bias: Option<Operand<'m, f32>>,
    per_channel: Option<Vec<f32>>,
    scale: f32,
    asymmetric: bool,
    act: (f32, f32),
    /// Scratch: the quantized input (i8), its scaling factors (f32) and zero points (i32).
    q: ScratchId,
    sf: ScratchId,
    zp: ScratchId,
    /// Row sums of constant weights (asymmetric only; empty otherwise).
    sums: Vec<i32>,
    /// Scratch for the row sums of weights given as an input (asymmetric only).
    sums_input: Option<ScratchId>,
}

impl Kernel for HybridFc<'_> {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, scratch: &mut Scratch<'_>) -> Result<()> {
        let (nb, nd, nu) = (self.batches, self.depth, self.units);
        let x = check_len(inputs.get::<f32>(0)?, nb * nd, "input")?;
        let w = self.weights.get(inputs, nu * nd)?;
        let bias = match &self.bias {
            Some(b) => Some(b.get(inputs, nu)?),
            None => None,
        };
        let out = check_len_mut(outputs.get::<f32>(0)?, nb * nu, "output")?;
        if out.is_empty() {
            // Nothing to write, however large the other dimensions are.
            return Ok(());
        }
        let (lo, hi) = self.act;
        for row in out.chunks_exact_mut(nu.max(1)) {
            match bias {
                Some(b) => row.copy_from_slice(b),
                None => row.fill(0.0),
            }
        }
        if x.iter().all(|&v| v == 0.0) {
            for o in out.iter_mut() {
                *o = clamp_cpp(*o, lo, hi);
            }
            return Ok(());
        }
        let (q, sfs, zps) = (scratch.get::<i8>(self.q)?, scratch.get::<f32>(self.sf)?, scratch.get::<i32>(self.zp)?);
        quantize_rows(x, nd, q, sfs, zps, self.asymmetric);
        if self.per_channel.is_none() {
            for s in sfs.iter_mut() {
                *s *= self.scale;
            }
        }
        let sums: &[i32] = match self.sums_input {
            Some(id) => {
                let sums = scratch.get::<i32>(id)?;
                row_sums(w, nd, sums);
                sums
            }
            None => &self.sums,
        };
        for b in 0..nb {
            let qb = &q[b * nd..(b + 1) * nd];
            let (sf, zp) = (sfs[b], zps[b]);
            for u in 0..nu {
                let wu = &w[u * nd..(u + 1) * nd];
                let mut acc = dot_sse(wu, qb);
                if self.asymmetric {
                    acc = acc.wrapping_sub(sums[u].wrapping_mul(zp));
                }
                let scale = match &self.per_channel {
                    Some(pc) => sf * pc[u],
                    None => sf,
                };
                let o = &mut out[b * nu + u];
                *o += acc as f32 * scale;
                *o = clamp_cpp(*o, lo, hi);
            }
        }
        Ok(())
    }
}

/// Prepares a hybrid FULLY_CONNECTED (float input, int8 weights); called from
/// `dense::fully_connected::prepare` after the shapes and the output shape are set.
pub(crate) fn prepare_fc<'m>(
    ctx: &mut PrepareContext<'_, 'm>,
    batches: usize,
    depth: usize,
    units: usize,
) -> Result<Box<dyn Kernel + 'm>> {
    let opts = ctx.options::<tflite::FullyConnectedOptions>();
    let act = opts.map_or(tflite::ActivationFunctionType::NONE, |o| o.fused_activation_function());
    let asymmetric = opts.is_some_and(|o| o.asymmetric_quantize_inputs());
    if ctx.output_dtype(0)? != crate::dtype::DType::Float32 {
        return Err(ctx.err("hybrid FULLY_CONNECTED needs a float32 output"));
    }
    let (per_channel, scale) = filter_scales(ctx, 1)?;
    if let Some(pc) = &per_channel
        && pc.len() != units
    {
        return Err(ctx.err("per-channel weights must have one scale per unit"));
    }
    let has_bias = ctx.has_input(2);
    if has_bias && ctx.input_dtype(2)? != crate::dtype::DType::Float32 {
        return Err(ctx.err("hybrid FULLY_CONNECTED needs a float32 bias"));
    }
    let weights = const_values::<i8>(ctx, 1, units * depth)?.map_or(Operand::Input(1), Operand::Const);
    let bias = if has_bias {
        Some(const_values::<f32>(ctx, 2, units)?.map_or(Operand::Input(2), Operand::Const))
    } else {
        None
    };
    let (sums, sums_input) = match (asymmetric, &weights) {
        (true, Operand::Const(w)) => {
            let mut sums = buffer(ctx, units, "row sums")?;
            row_sums(w, depth, &mut sums);
            (sums, None)
        }
        (true, Operand::Input(_)) => (Vec::new(), Some(ctx.request_scratch::<i32>(units, "row sums")?)),
        (false, _) => (Vec::new(), None),
    };
    Ok(Box::new(HybridFc {
        batches,
        depth,
        units,
        weights,
        bias,
        per_channel,
        scale,
        asymmetric,
        act: activation(ctx, act, true)?,
        q: ctx.request_scratch::<i8>(batches * depth, "quantized input")?,
        sf: ctx.request_scratch::<f32>(batches, "scaling factors")?,
        zp: ctx.request_scratch::<i32>(batches, "zero points")?,
        sums,
        sums_input,
    }))
}

/// Hybrid CONV_2D and DEPTHWISE_CONV_2D (`conv.cc` EvalHybrid / EvalHybridPerChannel,
/// `depthwise_conv.cc` EvalHybridPerChannel). Each batch image (H·W·C values) is quantized as one
/// row. Taps outside the input contribute nothing.
/// - CONV_2D, per-tensor filter (one scale, or several all equal) and no groups
///   (`optimized_ops::HybridConv`, used by the kReference kernel too): symmetric quantization,
///   `sf[b] *= s_w`; `acc = Σ w·q` over the im2col patch (KH·KW·IC); TFLite multiplies with
///   ruy when OC is a multiple of 4 (exact) and otherwise with `SseMatrixBatchVectorMultiply-
///   AccumulateImpl` ([`dot_sse`]'s sign quirk on the first `patch & !15` values);
///   `out = clamp((0 + float(acc)·sf[b]) + bias[oc])`.
/// - CONV_2D per-channel (distinct scales) or grouped (`reference_ops::HybridConvPerChannel`):
///   asymmetric quantization, `acc = Σ w·(q − zp[b])`, `out = clamp(float(acc)·s_w[oc]·sf[b] +
///   bias[oc])` (left to right).
/// - DEPTHWISE_CONV_2D (`reference_integer_ops::DepthwiseConvHybridPerChannel`): asymmetric,
///   `acc = Σ w·(q − zp[b])`, `out = clamp(float(acc)·(s_w[oc]·sf[b]) + bias[oc])`.
///
/// `clamp` is `min(max(x, lo), hi)` with ±FLT_MAX for unbounded activations.
struct HybridConv<'m> {
    g: Geometry,
    kind: ConvKind,
    /// Filter `[OC][KH·KW·FC]` (conv) or `[KH·KW][OC]` (depthwise).
    w: Operand<'m, i8>,
    w_len: usize,
    bias: Option<Operand<'m, f32>>,
    /// Per-channel scales (one per output channel), or the per-tensor scale broadcast.
    scales: Vec<f32>,
    act: (f32, f32),
    /// Scratch: the quantized input (i8), its scaling factors (f32) and zero points (i32), and
    /// one im2col patch of quantized values (i8, per-tensor CONV_2D only).
    q: ScratchId,
    sf: ScratchId,
    zp: ScratchId,
    patch: ScratchId,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ConvKind {
    /// Per-tensor CONV_2D; `sse`: the dot product has the SSE sign quirk.
    PerTensor { fc: usize, sse: bool },
    /// Per-channel or grouped CONV_2D.
    PerChannel { fc: usize, fpg: usize },
    /// DEPTHWISE_CONV_2D with this depth multiplier.
    Depthwise { dm: usize },
}

impl Kernel for HybridConv<'_> {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, scratch: &mut Scratch<'_>) -> Result<()> {
        let g = self.g;
        let x = check_len(inputs.get::<f32>(0)?, g.input_len(), "input")?;
        let w = self.w.get(inputs, self.w_len)?;
        let bias = match &self.bias {
            Some(b) => Some(b.get(inputs, g.out_c)?),
            None => None,
        };
        let out = check_len_mut(outputs.get::<f32>(0)?, g.output_len(), "output")?;
        if out.is_empty() {
            // Nothing to write, however large the other dimensions are.
            return Ok(());
        }
        let image = g.in_h * g.in_w * g.in_c;
        let asymmetric = !matches!(self.kind, ConvKind::PerTensor { .. });
        let (q, sfs, zps) = (scratch.get::<i8>(self.q)?, scratch.get::<f32>(self.sf)?, scratch.get::<i32>(self.zp)?);
        quantize_rows(x, image, q, sfs, zps, asymmetric);
        let patch = scratch.get::<i8>(self.patch)?;
        let (lo, hi) = self.act;
        let oc_n = g.out_c;
        let mut o = 0;
        for b in 0..g.batches {
            let qb = &q[b * image..(b + 1) * image];
            let (sf, zp) = (sfs[b], zps[b]);
            for oy in 0..g.out_h {
                for ox in 0..g.out_w {
                    let opix = &mut out[o..o + oc_n];
                    o += oc_n;
                    match self.kind {
                        ConvKind::PerTensor { fc, sse } => {
                            let sf = sf * self.scales[0];
                            g.im2col(qb, (oy, ox), (0, fc), patch, 0, |v: i8| v);
                            let n = patch.len();
                            for (c, v) in opix.iter_mut().enumerate() {
                                let wr = &w[c * n..(c + 1) * n];
                                let acc = if sse { dot_sse(wr, patch) } else { dot_i8(wr, patch) };
                                let y = 0.0f32 + acc as f32 * sf;
                                *v = clamp_cpp(y + bias.map_or(0.0, |bb| bb[c]), lo, hi);
                            }
                        }
                        ConvKind::PerChannel { fc, fpg } => {
                            for (c, v) in opix.iter_mut().enumerate() {
                                let grp = c / fpg.max(1);
                                let mut acc = 0i32;
                                g.for_each_tap(oy, ox, |pix, tap| {
                                    let s = pix + grp * fc;
                                    let ws = (c * g.fh * g.fw + tap) * fc;
                                    for (&wv, &qv) in w[ws..ws + fc].iter().zip(&qb[s..s + fc]) {
                                        acc = acc.wrapping_add((wv as i32).wrapping_mul(qv as i32 - zp));
                                    }
                                });
                                let y = acc as f32 * self.scales[c] * sf;
                                *v = clamp_cpp(y + bias.map_or(0.0, |bb| bb[c]), lo, hi);
                            }
                        }
                        ConvKind::Depthwise { dm } => {
                            for (c, v) in opix.iter_mut().enumerate() {
                                let ic = c / dm.max(1);
                                let mut acc = 0i32;
                                g.for_each_tap(oy, ox, |pix, tap| {
                                    let qv = qb[pix + ic] as i32;
                                    let wv = w[tap * oc_n + c] as i32;
                                    acc = acc.wrapping_add(wv.wrapping_mul(qv - zp));
                                });
                                let y = acc as f32 * (self.scales[c] * sf);
                                *v = clamp_cpp(y + bias.map_or(0.0, |bb| bb[c]), lo, hi);
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// Prepares a hybrid CONV_2D (float input, int8 filter `[OC, KH, KW, FC]`); called from
/// `conv2d::prepare` after the geometry and the output shape are set.
pub(crate) fn prepare_conv<'m>(
    ctx: &mut PrepareContext<'_, 'm>,
    g: Geometry,
    fc: usize,
    groups: usize,
    act: tflite::ActivationFunctionType,
) -> Result<Box<dyn Kernel + 'm>> {
    let oc = g.out_c;
    let q = ctx.input_quant(1)?;
    let per_channel = q.scale.len() > 1 && q.scale.iter().any(|&v| v != q.scale[0]);
    if q.scale.len() > 1 && (q.scale.len() != oc || q.quantized_dimension != 0) {
        return Err(ctx.err("per-channel filter scales must run along the output channels"));
    }
    if groups != 1 && q.scale.len() == 1 && oc > 1 {
        return Err(ctx.unsupported("grouped hybrid CONV_2D with a per-tensor filter (TFLite reads past the scales)"));
    }
    let kind = if per_channel || groups != 1 {
        ConvKind::PerChannel { fc, fpg: oc / groups.max(1) }
    } else {
        ConvKind::PerTensor { fc, sse: !oc.is_multiple_of(4) }
    };
    let w_len = product(ctx, &[oc, g.fh, g.fw, fc])?;
    finish_conv(ctx, g, kind, w_len, q.scale.clone(), act)
}

/// Prepares a hybrid DEPTHWISE_CONV_2D (float input, int8 filter `[1, KH, KW, OC]`); called from
/// `depthwise::prepare`. TFLite loops over the `depth_multiplier` option, so it must equal
/// OC / IC here.
pub(crate) fn prepare_dw<'m>(
    ctx: &mut PrepareContext<'_, 'm>,
    g: Geometry,
    dm: usize,
    dm_option: i32,
    act: tflite::ActivationFunctionType,
) -> Result<Box<dyn Kernel + 'm>> {
    if usize::try_from(dm_option).ok() != Some(dm) {
        return Err(ctx.unsupported(format!(
            "hybrid DEPTHWISE_CONV_2D: depth_multiplier option {dm_option} differs from OC/IC = {dm} (TFLite \
             loops over the option)"
        )));
    }
    let q = ctx.input_quant(1)?;
    if q.scale.len() > 1 && (q.scale.len() != g.out_c || q.quantized_dimension != 3) {
        return Err(ctx.err("per-channel filter scales must run along dimension 3"));
    }
    let w_len = product(ctx, &[g.fh, g.fw, g.out_c])?;
    finish_conv(ctx, g, ConvKind::Depthwise { dm }, w_len, q.scale.clone(), act)
}

fn finish_conv<'m>(
    ctx: &mut PrepareContext<'_, 'm>,
    g: Geometry,
    kind: ConvKind,
    w_len: usize,
    mut scales: Vec<f32>,
    act: tflite::ActivationFunctionType,
) -> Result<Box<dyn Kernel + 'm>> {
    if ctx.output_dtype(0)? != DType::Float32 {
        return Err(ctx.err("hybrid convolution needs a float32 output"));
    }
    let Some(&s0) = scales.first() else { return Err(ctx.err("the int8 filter has no scale")) };
    if scales.len() == 1 {
        // Per-tensor: TFLite's per-channel kernels would read past the one scale.
        scales = buffer(ctx, g.out_c.max(1), "per-channel scales")?;
        scales.fill(s0);
    }
    let has_bias = ctx.has_input(2);
    if has_bias && ctx.input_dtype(2)? != DType::Float32 {
        return Err(ctx.err("hybrid convolution needs a float32 bias"));
    }
    let patch = match kind {
        ConvKind::PerTensor { fc, .. } => g.fh * g.fw * fc,
        _ => 0,
    };
    let image = g.in_h * g.in_w * g.in_c;
    Ok(Box::new(HybridConv {
        g,
        kind,
        w: const_values::<i8>(ctx, 1, w_len)?.map_or(Operand::Input(1), Operand::Const),
        w_len,
        bias: if has_bias {
            Some(const_values::<f32>(ctx, 2, g.out_c)?.map_or(Operand::Input(2), Operand::Const))
        } else {
            None
        },
        scales,
        act: activation(ctx, act, false)?,
        q: ctx.request_scratch::<i8>(g.batches * image, "quantized input")?,
        sf: ctx.request_scratch::<f32>(g.batches, "scaling factors")?,
        zp: ctx.request_scratch::<i32>(g.batches, "zero points")?,
        patch: ctx.request_scratch::<i8>(patch, "patch")?,
    }))
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::ops::common::hybrid_quant::asymmetric_quantize;

    #[test]
    fn hybrid_fc_symmetric_and_asymmetric() {
        // x = [1.27, −0.635] → sf = 0.01, q = [127, −64 (−63.5 → −64)];
        // w = [[1, 2], [−3, 0]], s_w = 0.5: acc = [127 − 128, −381] = [−1, −381];
        // out = bias + acc·(0.01·0.5).
        let mk = |asym| HybridFc {
            batches: 1,
            depth: 2,
            units: 2,
            weights: Operand::Const(Cow::Owned(vec![1, 2, -3, 0])),
            bias: Some(Operand::Const(Cow::Owned(vec![0.25, -0.5]))),
            per_channel: None,
            scale: 0.5,
            asymmetric: asym,
            act: (f32::MIN, f32::MAX),
            q: crate::ops::test_scratch::<i8>(2),
            sf: crate::ops::test_scratch::<f32>(1),
            zp: crate::ops::test_scratch::<i32>(1),
            // as prepare computes them for constant weights: row sums 1 + 2 and −3 + 0
            sums: vec![3, -3],
            sums_input: None,
        };
        let x = [1.27f32, -0.635];
        let out = run(&mut mk(false), &x);
        let s = (1.27f32 / 127.0) * 0.5;
        assert_eq!(out, vec![0.25 - s, -0.5 + (-381.0f32) * s]);
        // Asymmetric: the row sums correct for the zero point.
        let mut k = mk(true);
        let out = run(&mut k, &x);
        let mut q = [0i8; 2];
        let (sf, zp) = asymmetric_quantize(&x, &mut q);
        let s = sf * 0.5;
        let acc0 = (q[0] as i32 + 2 * q[1] as i32) - 3 * zp;
        let acc1 = -3 * q[0] as i32 + 3 * zp;
        assert_eq!(out, vec![0.25 + acc0 as f32 * s, -0.5 + acc1 as f32 * s]);
        // An all-zero input gives the bias.
        assert_eq!(run(&mut k, &[0.0, -0.0]), vec![0.25, -0.5]);
    }

    fn conv_geo(w: usize, c: usize, oc: usize, fw: usize) -> Geometry {
        Geometry {
            batches: 1,
            in_h: 1,
            in_w: w,
            in_c: c,
            out_h: 1,
            out_w: w - fw + 1,
            out_c: oc,
            fh: 1,
            fw,
            stride_h: 1,
            stride_w: 1,
            dil_h: 1,
            dil_w: 1,
            pad_h: 0,
            pad_w: 0,
        }
    }

    fn run_conv(k: &mut HybridConv<'_>, x: &[f32]) -> Vec<f32> {
        let n = k.g.output_len() * 4;
        let out = crate::ops::run_kernel(k, &[bytemuck::cast_slice(x)], &[n]).unwrap();
        bytemuck::cast_slice(&out[0]).to_vec()
    }

    #[test]
    fn hybrid_depthwise_is_asymmetric_and_scales_channel_first() {
        // x = [1, −1] (one channel): zp −1, sf = float(2/255), inv = 127.49999 → q = [126, −128]
        // (tail rounding); w = 2, s_w = 0.5, bias 0.25:
        // out = float(2·(q + 1))·(0.5·sf) + 0.25.
        let mut k = HybridConv {
            g: conv_geo(2, 1, 1, 1),
            kind: ConvKind::Depthwise { dm: 1 },
            w: Operand::Const(Cow::Owned(vec![2])),
            w_len: 1,
            bias: Some(Operand::Const(Cow::Owned(vec![0.25]))),
            scales: vec![0.5],
            act: (f32::MIN, f32::MAX),
            q: crate::ops::test_scratch::<i8>(2),
            sf: crate::ops::test_scratch::<f32>(1),
            zp: crate::ops::test_scratch::<i32>(1),
            patch: crate::ops::test_scratch::<i8>(0),
        };
        let sf = ((2.0f64 / 255.0) as f32) * 0.5;
        assert_eq!(run_conv(&mut k, &[1.0, -1.0]), vec![254.0 * sf + 0.25, -254.0 * sf + 0.25]);
    }

    #[test]
    fn hybrid_conv_per_tensor_is_symmetric_with_the_sse_quirk() {
        // 1×17 filter over 17 channels, one output channel (OC % 4 ≠ 0 → SSE dot product).
        // x: −1.27 everywhere but +1.27 first → range 1.27, q = [127, −127 × 16];
        // w = −128 everywhere: exact Σ = −128·127 + 16·128·127, quirk: the 15 negative inputs
        // among the first 16 flip: −128·127 − 15·128·127 + 128·127 (the 17th, exact).
        let mut x = vec![-1.27f32; 17];
        x[0] = 1.27;
        let mut k = HybridConv {
            g: conv_geo(1, 17, 1, 1),
            kind: ConvKind::PerTensor { fc: 17, sse: true },
            w: Operand::Const(Cow::Owned(vec![-128; 17])),
            w_len: 17,
            bias: None,
            scales: vec![0.5],
            act: (f32::MIN, f32::MAX),
            q: crate::ops::test_scratch::<i8>(17),
            sf: crate::ops::test_scratch::<f32>(1),
            zp: crate::ops::test_scratch::<i32>(1),
            patch: crate::ops::test_scratch::<i8>(17),
        };
        let sf = (1.27f32 / 127.0) * 0.5;
        let acc = -128 * 127 - 15 * 128 * 127 + 128 * 127;
        assert_eq!(run_conv(&mut k, &x), vec![acc as f32 * sf]);
        k.kind = ConvKind::PerTensor { fc: 17, sse: false };
        let exact = -128 * 127 + 16 * 128 * 127;
        assert_eq!(run_conv(&mut k, &x), vec![exact as f32 * sf]);
    }

    fn run(k: &mut HybridFc<'_>, x: &[f32]) -> Vec<f32> {
        let n = k.batches * k.units * 4;
        let out = crate::ops::run_kernel(k, &[bytemuck::cast_slice(x)], &[n]).unwrap();
        bytemuck::cast_slice(&out[0]).to_vec()
    }
}
