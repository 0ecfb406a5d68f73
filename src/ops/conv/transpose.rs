//! TRANSPOSE_CONV: the gradient of a convolution with respect to its input ("deconvolution").
//!
//! Contract (TFLite `kernels/transpose_conv.cc`, kReference path):
//! - inputs: 0 `output_shape` (int32 `[4]`, must be constant), 1 weights `[OC, KH, KW, IC]`,
//!   2 input `[N, H, W, IC]`, 3 optional bias `[OC]`; output `[N, OH, OW, OC]` =
//!   `output_shape` (its batch must equal the input's, its depth `OC`).
//! - Geometry: padding as TFLite's `ComputePaddingHeightWidth` with the *output* size as the
//!   "input" size, dilation 1: `o = SAME ? ceil(OH/s) : (OH − KH + s)/s` (C division),
//!   `pad = max(0, ((o − 1)·s + KH − OH) / 2)` (C division). As in TFLite 2.21, `o` must equal
//!   the input's height (and likewise for the width). Input pixel `(iy, ix)` contributes to
//!   output `(iy·s − pad + fy, ix·s − pad + fx)` when that lies inside the output.
//! - int8 (`reference/integer_ops/transpose_conv.h`, per-channel or per-tensor filter):
//!   `acc = Σ (x − zp_in)·w` over every contribution, wrapping int32; `+ bias[oc]` when present;
//!   `out = clamp(MBQM(acc, M[oc], s[oc]) + zp_out, act_min, act_max)` with
//!   `(M, s) = QuantizeMultiplier(double(s_in)·double(s_w[oc]) / double(s_out))` and the fused
//!   activation's range (TFLite reads the activation through a `TfLiteConvParams` cast, which
//!   lands on the same field). The filter zero point is ignored.
//! - uint8, legacy (`reference_ops::TransposeConv` for uint8 with its int32 scratch buffer,
//!   per-tensor weights only): `acc = Σ (x − zp_in)·(w − zp_w)` (the filter zero point IS used,
//!   the weights are asymmetric), wrapping int32; `+ bias[oc]` when present (int32, any zero
//!   point); `out = clamp(MBQM(acc, M, s) + zp_out, act_min, act_max)` with one
//!   `(M, s) = QuantizeMultiplier(double(float(s_in·s_w)) / double(s_out))`
//!   (`GetQuantizedConvolutionMultipler`: the product in float32) after TFLite's bias-scale check
//!   `|float(s_in·s_w) − s_bias| / s_out ≤ 0.02`, and the fused activation's uint8 range.
//! - int16x8 (`reference_integer_ops::TransposeConv` for int16): zero points 0, int8 weights,
//!   bias int32 or int64; the scatter accumulates in the type TFLite dispatches on (the
//!   options' `quantized_bias_type` INT32: wrapping int32 and the int32 MBQM; INT64 or unset:
//!   int64 and the int64-input MBQM), then `+ bias`, requantize, clamp to the activation range.
//!   An int32 bias with the option unset is rejected (TFLite would read it as int64).
//! - float32 (`reference/transpose_conv.h`, a scatter): each output starts at 0.0 and receives
//!   `x·w` in the order input row, input column, input channel; then `+ bias` when a bias is
//!   present, then the fused activation clamp (TFLite 2.21's float kernel applies it too).
//!
//! Implemented as a gather over the contributing input pixels in the same order, so float
//! results are identical. Differences from TFLite: a non-constant `output_shape` is rejected
//! (TFLite resizes the output at invoke time), and so are fused activations other than
//! NONE/RELU/RELU_N1_TO_1/RELU6, and uint8 inputs with non-uint8 weights (TFLite would read
//! int8 weights as uint8 bytes).

use crate::arith;
use crate::dtype::DType;
use crate::error::Result;
use crate::ops::Scratch;
use crate::ops::common::{
    ConvQuant, Operand, QInt, bias_operand, bias_values, buffer, check_bias_len, check_int32_bias, check_len,
    check_len_mut, const_values, conv_quant, conv_quant_range, dims4, int16_bias_type, legacy_u8_quant_at, positive,
    product,
};
use crate::ops::{Element, Inputs, Kernel, Outputs, PrepareContext, ScratchId};
use crate::tflite;
use std::marker::PhantomData;

const OUTPUT_SHAPE: usize = 0;
const WEIGHTS: usize = 1;
const INPUT: usize = 2;
const BIAS: usize = 3;

/// TFLite's `ComputeOutSize` and `ComputePadding` for one axis with dilation 1, in signed C
/// arithmetic, applied to the output size: (the size a convolution of the output would have,
/// the padding before).
fn tflite_padding(padding: tflite::Padding, size: usize, filter: usize, stride: usize) -> Option<(i64, usize)> {
    let (n, f, s) = (i64::try_from(size).ok()?, i64::try_from(filter).ok()?, i64::try_from(stride).ok()?);
    let out = match padding {
        tflite::Padding::SAME => (n + s - 1) / s,
        tflite::Padding::VALID => (n - f + s) / s,
        _ => return None,
    };
    let p = ((out - 1).checked_mul(s)? + f - n) / 2;
    Some((out, usize::try_from(p.max(0)).ok()?))
}

#[derive(Debug, Clone, Copy)]
struct Shape {
    batches: usize,
    in_h: usize,
    in_w: usize,
    in_c: usize,
    out_h: usize,
    out_w: usize,
    out_c: usize,
    fh: usize,
    fw: usize,
    stride_h: usize,
    stride_w: usize,
    pad_h: usize,
    pad_w: usize,
}

impl Shape {
    fn input_len(&self) -> usize {
        self.batches * self.in_h * self.in_w * self.in_c
    }
    fn output_len(&self) -> usize {
        self.batches * self.out_h * self.out_w * self.out_c
    }
    /// Input rows (ascending) and filter rows contributing to output row `oy`:
    /// `iy·s + fy = oy + pad`, `0 ≤ fy < KH`, `0 ≤ iy < H`.
    #[inline(always)]
    fn taps(o: usize, pad: usize, stride: usize, filter: usize, input: usize) -> impl Iterator<Item = (usize, usize)> {
        let t = o + pad;
        let lo = if t >= filter { (t - filter) / stride + 1 } else { 0 };
        let hi = (t / stride + 1).min(input);
        (lo..hi).map(move |i| (i, t - i * stride))
    }
}

/// Weights OHWI → `[KH][KW][IC][OC]`.
fn ohwi_to_hwio<S: Copy, D>(src: &[S], dst: &mut [D], s: &Shape, conv: impl Fn(S) -> D) {
    let (oc_n, fh, fw, ic_n) = (s.out_c, s.fh, s.fw, s.in_c);
    for o in 0..oc_n {
        for y in 0..fh {
            for x in 0..fw {
                for i in 0..ic_n {
                    dst[((y * fw + x) * ic_n + i) * oc_n + o] = conv(src[((o * fh + y) * fw + x) * ic_n + i]);
                }
            }
        }
    }
}

/// The int8 / uint8 kernel (`T`). Weights `[KH][KW][IC][OC]` widened to i16 with the filter
/// offset added (`w − zp_w`; the offset is 0 for int8, whose filter zero point TFLite ignores).
struct QTConv<'m, T: QInt> {
    s: Shape,
    q: ConvQuant,
    /// `[KH][KW][IC][OC]`, `w + filter_offset`, widened to i16.
    w: Vec<i16>,
    w_input: Option<(usize, ScratchId)>,
    /// −zp_w (uint8), 0 (int8).
    filter_offset: i16,
    _t: PhantomData<T>,
    bias: Option<Operand<'m, i32>>,
    /// Accumulators (scratch), one i32 per output channel.
    acc: ScratchId,
}

impl<T: QInt> Kernel for QTConv<'_, T> {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, scratch: &mut Scratch<'_>) -> Result<()> {
        let s = self.s;
        let w: &[i16] = match self.w_input {
            Some((wk, buf)) => {
                let w = scratch.get::<i16>(buf)?;
                let src = check_len(inputs.get::<T>(wk)?, w.len(), "weights")?;
                let off = self.filter_offset;
                ohwi_to_hwio(src, w, &s, |v| v.to_i32() as i16 + off);
                w
            }
            None => &self.w,
        };
        let x = check_len(inputs.get::<T>(INPUT)?, s.input_len(), "input")?;
        let bias = bias_values(&self.bias, inputs, s.out_c)?;
        let out = check_len_mut(outputs.get::<T>(0)?, s.output_len(), "output")?;
        if out.is_empty() {
            // Nothing to write, however large the other dimensions are.
            return Ok(());
        }
        let (ic_n, oc_n) = (s.in_c, s.out_c);
        let q = &self.q;
        // zp_in is in T's range (checked in prepare), so −zp_in fits in i16.
        let off = q.input_offset as i16;
        let acc = &mut scratch.get::<i32>(self.acc)?[..oc_n];
        let image = s.in_h * s.in_w * ic_n;
        let mut opix_chunks = out.chunks_exact_mut(oc_n.max(1));
        for b in 0..s.batches {
            let xb = &x[b * image..(b + 1) * image];
            for oy in 0..s.out_h {
                for ox in 0..s.out_w {
                    let Some(opix) = opix_chunks.next() else { return Ok(()) };
                    // Start from the bias: wrapping int32 addition is associative, so this equals
                    // TFLite's Σ-then-bias.
                    match bias {
                        Some(bias) => acc.copy_from_slice(bias),
                        None => acc.fill(0),
                    }
                    for (iy, fy) in Shape::taps(oy, s.pad_h, s.stride_h, s.fh, s.in_h) {
                        for (ix, fx) in Shape::taps(ox, s.pad_w, s.stride_w, s.fw, s.in_w) {
                            let xs = &xb[(iy * s.in_w + ix) * ic_n..(iy * s.in_w + ix + 1) * ic_n];
                            let wtap = (fy * s.fw + fx) * ic_n * oc_n;
                            for (ic, &xv) in xs.iter().enumerate() {
                                let xo = xv.to_i32() as i16 + off;
                                let row = &w[wtap + ic * oc_n..wtap + (ic + 1) * oc_n];
                                if T::MIN < 0 {
                                    // int8: |w·(x − zp_in)| ≤ 128·255 fits in i16.
                                    for (a, &wv) in acc.iter_mut().zip(row) {
                                        *a = a.wrapping_add(wv.wrapping_mul(xo) as i32);
                                    }
                                } else {
                                    // uint8: |(w − zp_w)·(x − zp_in)| ≤ 255·255 needs i32.
                                    for (a, &wv) in acc.iter_mut().zip(row) {
                                        *a = a.wrapping_add(wv as i32 * xo as i32);
                                    }
                                }
                            }
                        }
                    }
                    for (oc, (o, &a)) in opix.iter_mut().zip(acc.iter()).enumerate() {
                        *o = T::from_i32(q.requantize_i32(a, oc));
                    }
                }
            }
        }
        Ok(())
    }
}

/// int16 activations (zero points 0), int8 weights, int32 or int64 bias `B`
/// (`reference_integer_ops::TransposeConv` for int16): the scatter accumulates in the bias type
/// (`acc32`: wrapping int32 and the int32 MBQM; else int64 and the int64 MBQM).
struct I16TConv<'m, B: Element + Copy + Into<i64>> {
    s: Shape,
    q: ConvQuant,
    /// `[KH][KW][IC][OC]` widened to i32.
    w: Vec<i32>,
    w_input: Option<(usize, ScratchId)>,
    bias: Option<Operand<'m, B>>,
    acc32: bool,
    /// Accumulators (scratch), one i64 per output channel.
    acc: ScratchId,
}

impl<B: Element + Copy + Into<i64>> Kernel for I16TConv<'_, B> {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, scratch: &mut Scratch<'_>) -> Result<()> {
        let s = self.s;
        let w: &[i32] = match self.w_input {
            Some((wk, buf)) => {
                let w = scratch.get::<i32>(buf)?;
                let src = check_len(inputs.get::<i8>(wk)?, w.len(), "weights")?;
                ohwi_to_hwio(src, w, &s, |v| v as i32);
                w
            }
            None => &self.w,
        };
        let x = check_len(inputs.get::<i16>(INPUT)?, s.input_len(), "input")?;
        let bias = bias_values(&self.bias, inputs, s.out_c)?;
        let out = check_len_mut(outputs.get::<i16>(0)?, s.output_len(), "output")?;
        if out.is_empty() {
            // Nothing to write, however large the other dimensions are.
            return Ok(());
        }
        let (ic_n, oc_n) = (s.in_c, s.out_c);
        let q = &self.q;
        let acc = &mut scratch.get::<i64>(self.acc)?[..oc_n];
        let image = s.in_h * s.in_w * ic_n;
        let mut opix_chunks = out.chunks_exact_mut(oc_n.max(1));
        for b in 0..s.batches {
            let xb = &x[b * image..(b + 1) * image];
            for oy in 0..s.out_h {
                for ox in 0..s.out_w {
                    let Some(opix) = opix_chunks.next() else { return Ok(()) };
                    acc.fill(0);
                    for (iy, fy) in Shape::taps(oy, s.pad_h, s.stride_h, s.fh, s.in_h) {
                        for (ix, fx) in Shape::taps(ox, s.pad_w, s.stride_w, s.fw, s.in_w) {
                            let xs = &xb[(iy * s.in_w + ix) * ic_n..(iy * s.in_w + ix + 1) * ic_n];
                            let wtap = (fy * s.fw + fx) * ic_n * oc_n;
                            for (ic, &xv) in xs.iter().enumerate() {
                                let xo = xv as i32 + q.input_offset;
                                let row = &w[wtap + ic * oc_n..wtap + (ic + 1) * oc_n];
                                for (a, &wv) in acc.iter_mut().zip(row) {
                                    *a = a.wrapping_add((xo * wv) as i64);
                                }
                            }
                        }
                    }
                    for (oc, (o, &a)) in opix.iter_mut().zip(acc.iter()).enumerate() {
                        let a = match bias {
                            Some(bias) => a.wrapping_add(bias[oc].into()),
                            None => a,
                        };
                        let v = if self.acc32 {
                            arith::mbqm(a as i32, q.multiplier[oc], q.shift[oc])
                        } else {
                            arith::mbqm_i64(a, q.multiplier[oc], q.shift[oc])
                        };
                        *o = v.wrapping_add(q.output_offset).clamp(q.act_min, q.act_max) as i16;
                    }
                }
            }
        }
        Ok(())
    }
}

struct FloatTConv<'m> {
    s: Shape,
    /// `[KH][KW][IC][OC]`.
    w: Vec<f32>,
    w_input: Option<(usize, ScratchId)>,
    bias: Option<Operand<'m, f32>>,
    /// Accumulators (scratch), one f32 per output channel.
    acc: ScratchId,
    act_min: f32,
    act_max: f32,
}

impl Kernel for FloatTConv<'_> {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, scratch: &mut Scratch<'_>) -> Result<()> {
        let s = self.s;
        let w: &[f32] = match self.w_input {
            Some((wk, buf)) => {
                let w = scratch.get::<f32>(buf)?;
                let src = check_len(inputs.get::<f32>(wk)?, w.len(), "weights")?;
                ohwi_to_hwio(src, w, &s, |v| v);
                w
            }
            None => &self.w,
        };
        let x = check_len(inputs.get::<f32>(INPUT)?, s.input_len(), "input")?;
        let bias = bias_values(&self.bias, inputs, s.out_c)?;
        let out = check_len_mut(outputs.get::<f32>(0)?, s.output_len(), "output")?;
        if out.is_empty() {
            // Nothing to write, however large the other dimensions are.
            return Ok(());
        }
        let (ic_n, oc_n) = (s.in_c, s.out_c);
        let acc = &mut scratch.get::<f32>(self.acc)?[..oc_n];
        let image = s.in_h * s.in_w * ic_n;
        let mut opix_chunks = out.chunks_exact_mut(oc_n.max(1));
        for b in 0..s.batches {
            let xb = &x[b * image..(b + 1) * image];
            for oy in 0..s.out_h {
                for ox in 0..s.out_w {
                    let Some(opix) = opix_chunks.next() else { return Ok(()) };
                    acc.fill(0.0);
                    for (iy, fy) in Shape::taps(oy, s.pad_h, s.stride_h, s.fh, s.in_h) {
                        for (ix, fx) in Shape::taps(ox, s.pad_w, s.stride_w, s.fw, s.in_w) {
                            let xs = &xb[(iy * s.in_w + ix) * ic_n..(iy * s.in_w + ix + 1) * ic_n];
                            let wtap = (fy * s.fw + fx) * ic_n * oc_n;
                            for (ic, &xv) in xs.iter().enumerate() {
                                let row = &w[wtap + ic * oc_n..wtap + (ic + 1) * oc_n];
                                for (a, &wv) in acc.iter_mut().zip(row) {
                                    *a += xv * wv;
                                }
                            }
                        }
                    }
                    match bias {
                        Some(bias) => {
                            for ((o, &a), &bv) in opix.iter_mut().zip(acc.iter()).zip(bias) {
                                *o = (a + bv).clamp(self.act_min, self.act_max);
                            }
                        }
                        None => {
                            for (o, &a) in opix.iter_mut().zip(acc.iter()) {
                                *o = a.clamp(self.act_min, self.act_max);
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// The int8 / uint8 kernel with its weights widened (when constant).
fn quantized<'m, T: QInt>(
    ctx: &mut PrepareContext<'_, 'm>,
    s: Shape,
    q: ConvQuant,
    filter_offset: i16,
    w_len: usize,
) -> Result<Box<dyn Kernel + 'm>> {
    let (w, w_input) = match const_values::<T>(ctx, WEIGHTS, w_len)? {
        Some(c) => {
            let mut w = buffer::<i16>(ctx, w_len, "weights")?;
            ohwi_to_hwio(&c, &mut w, &s, |v| v.to_i32() as i16 + filter_offset);
            (w, None)
        }
        None => (Vec::new(), Some((WEIGHTS, ctx.request_scratch::<i16>(w_len, "re-laid-out weights")?))),
    };
    let bias = bias_operand(ctx, BIAS, s.out_c)?;
    Ok(Box::new(QTConv::<T> {
        s,
        q,
        w,
        w_input,
        filter_offset,
        _t: PhantomData,
        bias,
        acc: ctx.request_scratch::<i32>(s.out_c, "accumulators")?,
    }))
}

/// Prepares TRANSPOSE_CONV.
pub fn prepare<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(3..=4, 1)?;
    let o = ctx.options::<tflite::TransposeConvOptions>().ok_or_else(|| ctx.err("missing TransposeConvOptions"))?;
    let act = o.fused_activation_function();
    if !arith::is_supported_activation(act) {
        return Err(ctx.unsupported(format!("unsupported fused activation {act:?}")));
    }
    let stride_h = positive(ctx, o.stride_h(), "stride_h")?;
    let stride_w = positive(ctx, o.stride_w(), "stride_w")?;
    if ctx.input_dtype(OUTPUT_SHAPE)? != DType::Int32 || ctx.input_shape(OUTPUT_SHAPE)?.len() != 1 {
        return Err(ctx.err("output_shape must be a 1-D int32 tensor"));
    }
    let shape_values = ctx
        .input_value::<i32>(OUTPUT_SHAPE)?
        .ok_or_else(|| ctx.unsupported("output_shape must be constant (dynamic output shapes are not supported)"))?;
    let out_dims: Vec<usize> = shape_values
        .iter()
        .map(|&d| usize::try_from(d))
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| ctx.err(format!("output_shape {shape_values:?} has a negative dimension")))?;
    let [on, out_h, out_w, out_c] = dims4(ctx, &out_dims, "output_shape")?;
    let [oc, fh, fw, wic] = dims4(ctx, ctx.input_shape(WEIGHTS)?, "weights")?;
    let [batches, in_h, in_w, in_c] = dims4(ctx, ctx.input_shape(INPUT)?, "input")?;
    if wic != in_c {
        return Err(ctx.err(format!("weights have {wic} input channels, the input has {in_c}")));
    }
    if on != batches || out_c != oc {
        return Err(ctx.err(format!("output_shape {out_dims:?} does not match batch {batches} and {oc} weights")));
    }
    if fh == 0 || fw == 0 {
        return Err(ctx.err("weights have an empty filter"));
    }
    let pad = o.padding();
    let bad = || ctx.err(format!("unsupported padding {pad:?} or geometry"));
    let (conv_h, pad_h) = tflite_padding(pad, out_h, fh, stride_h).ok_or_else(bad)?;
    let (conv_w, pad_w) = tflite_padding(pad, out_w, fw, stride_w).ok_or_else(bad)?;
    if conv_h != in_h as i64 || conv_w != in_w as i64 {
        return Err(ctx.err(format!(
            "output_shape {out_dims:?} does not give back the input's {in_h}×{in_w} (a convolution of it gives \
             {conv_h}×{conv_w})"
        )));
    }
    // The gather forms `o + pad` and `i·stride` for every output and input position.
    let fits = |o: usize, p: usize, i: usize, s: usize| {
        o.checked_add(p).is_some_and(|v| v < isize::MAX as usize) && i.checked_mul(s).is_some()
    };
    if !fits(out_h, pad_h, in_h, stride_h) || !fits(out_w, pad_w, in_w, stride_w) {
        return Err(bad());
    }
    let s = Shape { batches, in_h, in_w, in_c, out_h, out_w, out_c, fh, fw, stride_h, stride_w, pad_h, pad_w };
    product(ctx, &[batches, in_h, in_w, in_c])?;
    product(ctx, &[batches, out_h, out_w, out_c])?;
    let w_len = product(ctx, &[oc, fh, fw, in_c])?;
    ctx.set_output_shape(0, vec![batches, out_h, out_w, out_c])?;
    ctx.charge_macs(&[batches, in_h, in_w, in_c, fh, fw, out_c], "TRANSPOSE_CONV multiply-adds")?;
    let has_bias = ctx.has_input(BIAS);
    if has_bias {
        check_bias_len(ctx, BIAS, oc)?;
    }
    let (ti, tw, to) = (ctx.input_dtype(INPUT)?, ctx.input_dtype(WEIGHTS)?, ctx.output_dtype(0)?);
    match (ti, tw, to) {
        (DType::Int8, DType::Int8, DType::Int8) => {
            check_int32_bias(ctx, BIAS, oc)?;
            let q = conv_quant(ctx, INPUT, WEIGHTS, oc, act, false)?;
            quantized::<i8>(ctx, s, q, 0, w_len)
        }
        (DType::UInt8, DType::UInt8, DType::UInt8) => {
            if has_bias && ctx.input_dtype(BIAS)? != DType::Int32 {
                return Err(ctx.err("uint8 TRANSPOSE_CONV needs an int32 bias"));
            }
            let (q, filter_offset) = legacy_u8_quant_at(ctx, [INPUT, WEIGHTS, BIAS], oc, act)?;
            quantized::<u8>(ctx, s, q, filter_offset, w_len)
        }
        (DType::Int16, DType::Int8, DType::Int16) => {
            let option = ctx
                .options::<tflite::TransposeConvOptions>()
                .map_or(tflite::TensorType::FLOAT32, |o| o.quantized_bias_type());
            let acc32 = int16_bias_type(ctx, option, BIAS)?;
            let q = conv_quant_range(ctx, INPUT, WEIGHTS, oc, act, false, (-32768, 32767))?;
            if q.input_offset != 0 || q.output_offset != 0 {
                return Err(ctx.err("int16 TRANSPOSE_CONV needs zero points 0"));
            }
            let (w, w_input) = match const_values::<i8>(ctx, WEIGHTS, w_len)? {
                Some(c) => {
                    let mut w = buffer::<i32>(ctx, w_len, "weights")?;
                    ohwi_to_hwio(&c, &mut w, &s, |v| v as i32);
                    (w, None)
                }
                None => (Vec::new(), Some((WEIGHTS, ctx.request_scratch::<i32>(w_len, "re-laid-out weights")?))),
            };
            let acc = ctx.request_scratch::<i64>(oc, "accumulators")?;
            if has_bias && ctx.input_dtype(BIAS)? == DType::Int32 {
                Ok(Box::new(I16TConv::<i32> { s, q, w, w_input, bias: bias_operand(ctx, BIAS, oc)?, acc32, acc }))
            } else {
                Ok(Box::new(I16TConv::<i64> { s, q, w, w_input, bias: bias_operand(ctx, BIAS, oc)?, acc32, acc }))
            }
        }
        (DType::Float32, DType::Float32, DType::Float32) => {
            if has_bias && ctx.input_dtype(BIAS)? != DType::Float32 {
                return Err(ctx.err("float TRANSPOSE_CONV needs a float32 bias"));
            }
            let (act_min, act_max) = arith::activation_range_f32(act);
            let (w, w_input) = match const_values::<f32>(ctx, WEIGHTS, w_len)? {
                Some(c) => {
                    let mut w = buffer::<f32>(ctx, w_len, "weights")?;
                    ohwi_to_hwio(&c, &mut w, &s, |v| v);
                    (w, None)
                }
                None => (Vec::new(), Some((WEIGHTS, ctx.request_scratch::<f32>(w_len, "re-laid-out weights")?))),
            };
            Ok(Box::new(FloatTConv {
                s,
                w,
                w_input,
                bias: bias_operand(ctx, BIAS, oc)?,
                acc: ctx.request_scratch::<f32>(oc, "accumulators")?,
                act_min,
                act_max,
            }))
        }
        _ => Err(ctx.unsupported(format!("unsupported types: input {ti}, weights {tw}, output {to}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_matches_tflite_c_arithmetic() {
        use tflite::Padding;
        // SAME, output 10, filter 3, stride 2: o = 5, ((5 − 1)·2 + 3 − 10)/2 = 0.
        assert_eq!(tflite_padding(Padding::SAME, 10, 3, 2), Some((5, 0)));
        // SAME, output 9, filter 3, stride 2: o = 5, (8 + 3 − 9)/2 = 1.
        assert_eq!(tflite_padding(Padding::SAME, 9, 3, 2), Some((5, 1)));
        // SAME, output 5, filter 4, stride 1: (4 + 4 − 5)/2 = 1 (the odd one after).
        assert_eq!(tflite_padding(Padding::SAME, 5, 4, 1), Some((5, 1)));
        // VALID, output smaller than the filter: o = (1 − 4 + 1)/1 = −2, (−3 + 4 − 1)/2 = 0.
        assert_eq!(tflite_padding(Padding::VALID, 1, 4, 1), Some((-2, 0)));
        // VALID, output 8, filter 3, stride 2: o = (8 − 3 + 2)/2 = 3, (4 + 3 − 8)/2 = 0 (−0.5).
        assert_eq!(tflite_padding(Padding::VALID, 8, 3, 2), Some((3, 0)));
    }

    #[test]
    fn taps_enumerate_contributing_inputs() {
        // Stride 2, filter 3, pad 1, input 3: output 0 ← iy·2 + fy = 1 → (0, 1);
        // output 1 ← = 2 → (0, 2), (1, 0); output 4 ← = 5 → (2, 1) (iy 2 is the last input).
        let t = |o| Shape::taps(o, 1, 2, 3, 3).collect::<Vec<_>>();
        assert_eq!(t(0), vec![(0, 1)]);
        assert_eq!(t(1), vec![(0, 2), (1, 0)]);
        assert_eq!(t(4), vec![(2, 1)]);
        assert_eq!(t(6), vec![]);
    }

    fn shape_1d(in_w: usize, out_w: usize, fw: usize, stride: usize, pad: usize) -> Shape {
        Shape {
            batches: 1,
            in_h: 1,
            in_w,
            in_c: 1,
            out_h: 1,
            out_w,
            out_c: 1,
            fh: 1,
            fw,
            stride_h: 1,
            stride_w: stride,
            pad_h: 0,
            pad_w: pad,
        }
    }

    #[test]
    fn int8_scatter_sum_and_requantize() {
        // 1-D: input [1, 2] (zp_in −1 → x − zp = [2, 3]), filter [1, 10, 100], stride 2, no pad,
        // output 5: out[j] = Σ_{i·2 + f = j} x[i]·w[f] = [2, 20, 200 + 3, 30, 300];
        // bias 1 → [3, 21, 204, 31, 301]; ×0.25 (M 2^30, shift −1): SRDHM then RDBPOT:
        // 3 → 2 → 1; 21 → 11 → 6 (5.5 away); 204 → 102 → 51; 31 → 16 → 8; 301 → 151 → 76
        // (75.5 away); zp_out 2 and RELU6-like clamp at 60 → [3, 8, 53, 10, 60].
        let s = shape_1d(2, 5, 3, 2, 0);
        let k = QTConv::<i8> {
            s,
            q: ConvQuant {
                input_offset: 1,
                output_offset: 2,
                multiplier: vec![1 << 30],
                shift: vec![-1],
                act_min: -128,
                act_max: 60,
            },
            w: vec![1, 10, 100],
            w_input: None,
            filter_offset: 0,
            _t: PhantomData,
            bias: Some(Operand::Const(std::borrow::Cow::Owned(vec![1]))),
            acc: crate::ops::test_scratch::<i32>(1),
        };
        let x: [i8; 2] = [1, 2];
        let out = crate::ops::run_kernel(&k, &[&[], &[], bytemuck::cast_slice(&x)], &[5]).unwrap();
        assert_eq!(bytemuck::cast_slice::<u8, i8>(&out[0]), &[3, 8, 53, 10, 60]);
    }

    #[test]
    fn uint8_subtracts_both_zero_points_and_needs_32_bit_products() {
        // 1-D: x = [130, 0] with zp_in 128 → [2, −128]; w = [101, 255, 0] with zp_w 100 →
        // [1, 155, −100]; stride 2, no pad, output 5:
        // [2·1, 2·155, 2·(−100) + (−128)·1, (−128)·155, (−128)·(−100)]
        // = [2, 310, −328, −19840, 12800] (−19840 does not fit in i16); bias 6 →
        // [8, 316, −322, −19834, 12806]; ×0.25 (M 2^30, shift −1), SRDHM then RDBPOT, ties away
        // from zero: 8 → 4 → 2; 316 → 158 → 79; −322 → −161 → −81 (−80.5); −19834 → −9917 →
        // −4959 (−4958.5); 12806 → 6403 → 3202 (3201.5); + zp_out 100 → [102, 179, 19, −4859,
        // 3302]; clamp to the activation range [0, 170] → [102, 170, 19, 0, 170].
        let s = shape_1d(2, 5, 3, 2, 0);
        let w_raw: [u8; 3] = [101, 255, 0];
        let mut w = vec![0i16; 3];
        ohwi_to_hwio(&w_raw, &mut w, &s, |v| v.to_i32() as i16 - 100);
        let mut k = QTConv::<u8> {
            s,
            q: ConvQuant {
                input_offset: -128,
                output_offset: 100,
                multiplier: vec![1 << 30],
                shift: vec![-1],
                act_min: 0,
                act_max: 170,
            },
            w,
            w_input: None,
            filter_offset: -100,
            _t: PhantomData,
            bias: Some(Operand::Const(std::borrow::Cow::Owned(vec![6]))),
            acc: crate::ops::test_scratch::<i32>(1),
        };
        let x: [u8; 2] = [130, 0];
        let out = crate::ops::run_kernel(&k, &[&[], &[], &x], &[5]).unwrap();
        assert_eq!(out[0], vec![102, 170, 19, 0, 170]);
        // Non-constant weights are widened with the filter offset at every invoke.
        k.w_input = Some((WEIGHTS, crate::ops::test_scratch::<i16>(k.w.len())));
        k.w.clear();
        let out = crate::ops::run_kernel(&k, &[&[], &w_raw, &x], &[5]).unwrap();
        assert_eq!(out[0], vec![102, 170, 19, 0, 170]);
    }

    #[test]
    fn float_scatter_without_bias() {
        // Output 1 gets no contribution (stride 3, filter 1): stays 0.0; no bias added.
        let s = shape_1d(2, 4, 1, 3, 0);
        let k = FloatTConv {
            s,
            w: vec![2.0],
            w_input: None,
            bias: None,
            acc: crate::ops::test_scratch::<f32>(1),
            act_min: f32::MIN,
            act_max: f32::MAX,
        };
        let x = [1.5f32, -4.0];
        let out = crate::ops::run_kernel(&k, &[&[], &[], bytemuck::cast_slice(&x)], &[16]).unwrap();
        assert_eq!(bytemuck::cast_slice::<u8, f32>(&out[0]), &[3.0, 0.0, 0.0, -8.0]);
    }

    #[test]
    fn int16_scatter_int64_and_int32_rounding() {
        // 1×2 input, stride 2, 1×2 filter, no padding → 4 outputs: x0·w0, x0·w1, x1·w0, x1·w1
        // with x = [32767, −32768], w = [127, −128], + bias 1024, ×2^−11 (M 2^30, shift −10):
        // sums 4162433, −4193152, −4160512, 4195328 → /2048 = 2032.4, −2047.4, −2031.5, 2048.5.
        // int64 MBQM rounds the ties up: −2031, 2049; the int32 MBQM rounds them away from
        // zero: −2032, 2049.
        let s = shape_1d(2, 4, 2, 2, 0);
        let q = ConvQuant {
            input_offset: 0,
            output_offset: 0,
            multiplier: vec![1 << 30],
            shift: vec![-10],
            act_min: -32768,
            act_max: 32767,
        };
        let mut k = I16TConv::<i64> {
            s,
            q,
            w: vec![127, -128],
            w_input: None,
            bias: Some(Operand::Const(std::borrow::Cow::Owned(vec![1024]))),
            acc32: false,
            acc: crate::ops::test_scratch::<i64>(1),
        };
        let x = [32767i16, -32768];
        let mut run = |acc32: bool| {
            k.acc32 = acc32;
            let out = crate::ops::run_kernel(&k, &[&[], &[], bytemuck::cast_slice(&x)], &[8]).unwrap();
            bytemuck::cast_slice::<u8, i16>(&out[0]).to_vec()
        };
        assert_eq!(run(false), vec![2032, -2047, -2031, 2049]);
        assert_eq!(run(true), vec![2032, -2047, -2032, 2049]);
    }
}
