//! Quantization parameters shared by the operators: the integer element types of the quantized
//! kernels ([`QInt`]) and the per-channel requantization of convolution-like operators
//! ([`ConvQuant`], TFLite `PopulateConvolutionQuantizationParams` and the legacy uint8 variant).

use super::buffer;
use crate::arith;
use crate::error::Result;
use crate::kernels::ChannelRequant;
use crate::ops::{Element, PrepareContext, per_tensor};
use crate::tflite;

/// The integer element types of the quantized kernels: int8, uint8 (legacy) and int16.
pub(crate) trait QInt: Element + Copy + Default {
    /// The type's range, as i32.
    const MIN: i32;
    const MAX: i32;
    fn to_i32(self) -> i32;
    /// C's `static_cast` from int32 (truncation); callers clamp to `[MIN, MAX]` first.
    fn from_i32(v: i32) -> Self;
}

macro_rules! qint {
    ($($t:ty),*) => {$(
        impl QInt for $t {
            const MIN: i32 = <$t>::MIN as i32;
            const MAX: i32 = <$t>::MAX as i32;
            #[inline(always)]
            fn to_i32(self) -> i32 {
                self as i32
            }
            #[inline(always)]
            fn from_i32(v: i32) -> Self {
                v as $t
            }
        }
    )*};
}
qint!(i8, u8, i16);

/// int8 requantization parameters of a convolution-like operator.
#[derive(Debug, Clone)]
pub(crate) struct ConvQuant {
    /// −zp_in.
    pub input_offset: i32,
    pub output_offset: i32,
    /// Per output channel Q0.31 multiplier and shift (a per-tensor filter scale is broadcast).
    pub multiplier: Vec<i32>,
    pub shift: Vec<i32>,
    pub act_min: i32,
    pub act_max: i32,
}

impl ConvQuant {
    /// `clamp(MBQM(acc, M[c], s[c]) + zp_out, act_min, act_max)`.
    #[inline(always)]
    pub(crate) fn requantize_i32(&self, acc: i32, c: usize) -> i32 {
        let v = arith::mbqm(acc, self.multiplier[c], self.shift[c]).wrapping_add(self.output_offset);
        v.clamp(self.act_min, self.act_max)
    }
}

/// Checks that a scale can be used to form a multiplier.
fn usable_scale(ctx: &PrepareContext<'_, '_>, s: f32, what: &str) -> Result<()> {
    if !(s.is_finite() && s > 0.0) {
        return Err(ctx.err(format!("{what} scale {s} must be finite and positive")));
    }
    Ok(())
}

/// TFLite `PopulateConvolutionQuantizationParams` for int8 input/filter (inputs `input_k` and
/// `filter_k`) and output 0: per-channel multipliers
/// `QuantizeMultiplier(double(s_in)·double(s_w[c]) / double(s_out))` for `channels` channels
/// (a single filter scale is broadcast), and the fused activation's range.
/// Per-channel filters need one scale per channel and `filter_shape[quantized_dimension] ==
/// channels`. With `require_zero_filter_zp`, every filter zero point must be 0 (CONV_2D).
pub(crate) fn conv_quant(
    ctx: &PrepareContext<'_, '_>,
    input_k: usize,
    filter_k: usize,
    channels: usize,
    act: tflite::ActivationFunctionType,
    require_zero_filter_zp: bool,
) -> Result<ConvQuant> {
    conv_quant_range(ctx, input_k, filter_k, channels, act, require_zero_filter_zp, (-128, 127))
}

/// [`conv_quant`] for activations in `range` (int8 `(−128, 127)`, int16 `(−32768, 32767)`,
/// uint8 `(0, 255)`): the input zero point must lie in it and the fused activation is clamped
/// to it.
pub(crate) fn conv_quant_range(
    ctx: &PrepareContext<'_, '_>,
    input_k: usize,
    filter_k: usize,
    channels: usize,
    act: tflite::ActivationFunctionType,
    require_zero_filter_zp: bool,
    range: (i32, i32),
) -> Result<ConvQuant> {
    if !arith::is_supported_activation(act) {
        return Err(ctx.unsupported(format!("unsupported fused activation {act:?}")));
    }
    let (s_in, zp_in) = per_tensor(ctx, ctx.input_quant(input_k)?, "input")?;
    let (s_out, zp_out) = per_tensor(ctx, ctx.output_quant(0)?, "output")?;
    usable_scale(ctx, s_in, "input")?;
    usable_scale(ctx, s_out, "output")?;
    if !(range.0..=range.1).contains(&zp_in) {
        return Err(ctx.err(format!("input zero point {zp_in} is outside the activation range")));
    }
    let wq = ctx.input_quant(filter_k)?;
    let filter_shape = ctx.input_shape(filter_k)?;
    if wq.scale.is_empty() {
        return Err(ctx.err("filter has no quantization scale"));
    }
    if require_zero_filter_zp && wq.zero_point.iter().any(|&z| z != 0) {
        return Err(ctx.err("filter zero points must be 0"));
    }
    if wq.is_per_channel()
        && (wq.scale.len() != channels || filter_shape.get(wq.quantized_dimension) != Some(&channels))
    {
        return Err(ctx.err(format!(
            "per-channel filter has {} scales along dimension {} of shape {filter_shape:?}, expected {channels}",
            wq.scale.len(),
            wq.quantized_dimension
        )));
    }
    let mut multiplier = buffer::<i32>(ctx, channels, "multipliers")?;
    let mut shift = buffer::<i32>(ctx, channels, "shifts")?;
    for c in 0..channels {
        let s_w = if wq.is_per_channel() { wq.scale[c] } else { wq.scale[0] };
        let d = s_in as f64 * s_w as f64 / s_out as f64;
        if !d.is_finite() {
            return Err(ctx.err(format!("filter scale {s_w} gives a non-finite multiplier")));
        }
        (multiplier[c], shift[c]) = arith::quantize_multiplier(d);
    }
    // TFLite refuses an activation bound whose quantized value overflows int32 (a tiny scale).
    let bounds: &[f32] = match act {
        tflite::ActivationFunctionType::RELU => &[0.0],
        tflite::ActivationFunctionType::RELU6 => &[0.0, 6.0],
        tflite::ActivationFunctionType::RELU_N1_TO_1 => &[-1.0, 1.0],
        _ => &[],
    };
    for &f in bounds {
        let t = arith::round_f32(f / s_out);
        if !(t >= i32::MIN as f32 && t <= i32::MAX as f32) {
            return Err(ctx.err(format!("activation bound {f} overflows int32 at output scale {s_out}")));
        }
    }
    let (act_min, act_max) = arith::activation_range_quantized(act, s_out, zp_out, range.0, range.1);
    Ok(ConvQuant { input_offset: -zp_in, output_offset: zp_out, multiplier, shift, act_min, act_max })
}

/// Requantization of the legacy uint8 CONV_2D / DEPTHWISE_CONV_2D (per-tensor asymmetric
/// weights): `QuantizeMultiplier(double(float(s_in·s_w)) / double(s_out))`
/// (`GetQuantizedConvolutionMultipler`, the product in float32), broadcast to every channel,
/// after TFLite's bias-scale check `|float(s_in·s_w) − s_bias| / s_out ≤ 0.02`. Returns the
/// parameters and −zp_w.
pub(crate) fn legacy_u8_quant(
    ctx: &PrepareContext<'_, '_>,
    channels: usize,
    act: tflite::ActivationFunctionType,
) -> Result<(ConvQuant, i16)> {
    legacy_u8_quant_at(ctx, [0, 1, 2], channels, act)
}

/// [`legacy_u8_quant`] with the input, filter and bias at the operator inputs `[x, w, b]`
/// (TRANSPOSE_CONV has them at `[2, 1, 3]`).
pub(crate) fn legacy_u8_quant_at(
    ctx: &PrepareContext<'_, '_>,
    [input_k, filter_k, bias_k]: [usize; 3],
    channels: usize,
    act: tflite::ActivationFunctionType,
) -> Result<(ConvQuant, i16)> {
    let wq = ctx.input_quant(filter_k)?;
    if wq.is_per_channel() {
        return Err(ctx.err("uint8 convolutions need per-tensor weights"));
    }
    let mut q = conv_quant_range(ctx, input_k, filter_k, channels, act, false, (0, 255))?;
    let zp_w = wq.zero_point.first().copied().unwrap_or(0);
    if !(0..=255).contains(&zp_w) {
        return Err(ctx.err(format!("filter zero point {zp_w} is outside the uint8 range")));
    }
    let (s_in, _) = per_tensor(ctx, ctx.input_quant(input_k)?, "input")?;
    let (s_out, _) = per_tensor(ctx, ctx.output_quant(0)?, "output")?;
    let product = (s_in * wq.scale[0]) as f64;
    if ctx.has_input(bias_k) {
        let s_bias = match &ctx.input(bias_k)?.quantization {
            Some(bq) if bq.scale.len() == 1 => bq.scale[0] as f64,
            _ => 0.0,
        };
        let ratio = (product - s_bias).abs() / s_out as f64;
        if ratio.is_nan() || ratio > 0.02 {
            return Err(ctx.refused_by_tflite(format!(
                "bias scale {s_bias} differs from input scale × filter scale {product} (TFLite refuses this)"
            )));
        }
    }
    let (m, sh) = arith::quantize_multiplier(product / s_out as f64);
    q.multiplier.fill(m);
    q.shift.fill(sh);
    Ok((q, -(zp_w as i16)))
}

/// The per-channel `Requant::Mbqm` stages of `q` (the double-rounding
/// `MultiplyByQuantizedMultiplier` every convolution of TFLite's reference uses).
pub(crate) fn mbqm_requants(ctx: &PrepareContext<'_, '_>, q: &ConvQuant) -> Result<ChannelRequant> {
    let mut multiplier = ctx.alloc::<i32>(q.multiplier.len(), "requantization multipliers")?;
    let mut shift = ctx.alloc::<i32>(q.shift.len(), "requantization shifts")?;
    multiplier.copy_from_slice(&q.multiplier);
    shift.copy_from_slice(&q.shift);
    Ok(ChannelRequant::Mbqm { multiplier, shift })
}
