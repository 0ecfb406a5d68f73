//! RELU, RELU6, RELU_N1_TO_1, RELU_0_TO_1 and LEAKY_RELU (standalone operators, int8, uint8,
//! int16 and float32). Output shape = input shape.
//!
//! Integer types, as TFLite's kernels accept them: int8 and uint8 for all five; int16 for RELU,
//! RELU6 and LEAKY_RELU only, with both zero points 0. uint8 and int16 use the int8 formulas
//! below with the type's own range ([0, 255], [−32768, 32767]) in place of [−128, 127].
//!
//! int8 RELU family (`kernels/activations.cc`, ReluPrepare + QuantizedReluX, the same kernel on
//! every resolver): (M, s) = QuantizeMultiplier(double(float32(s_in / s_out))) (the division in
//! float32); lo = max(−128, zp_out + (int32)roundf(a / s_out)), hi = 127 for RELU, else
//! min(127, zp_out + (int32)roundf(b / s_out)), for the range [a, b] = [0, ∞), [0, 6], [−1, 1],
//! [0, 1]; out = min(hi, max(lo, zp_out + MBQM(q − zp_in, M, s))). When lo > hi (absurd scales)
//! the result is hi, as in TFLite.
//!
//! int8 LEAKY_RELU (LeakyReluPrepare, `reference/leaky_relu.h`): identity = QM(float32(s_in /
//! s_out)), alpha = QM(float32(s_in · α / s_out)) (float32 products, left to right); v = q − zp_in;
//! out = clamp(zp_out + (v ≥ 0 ? MBQM(v, identity) : ±MBQM(v, |M_alpha|, s_alpha))), the sign
//! of a negative alpha multiplier applied after the multiplication.
//!
//! float32: RELU = `x < 0 ? 0 : x` (Eigen `cwiseMax(0)`, which keeps NaN and −0);
//! RELU6 / RELU_N1_TO_1 / RELU_0_TO_1 = `x > hi ? hi : x < lo ? lo : x` (NaN and −0 kept; TF
//! 2.21's RELU6 behaves so, although the LiteRT source's `min(max(0, x), 6)` would map NaN to 0);
//! LEAKY_RELU = `x > 0 ? x : x·α`.

use crate::arith;
use crate::dtype::DType;
use crate::error::Result;
use crate::ops::Scratch;
use crate::ops::{Inputs, Kernel, Outputs, PrepareContext, per_tensor};
use crate::tflite;

/// Which member of the RELU family.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Relu,
    Relu6,
    ReluN1To1,
    Relu0To1,
}

impl Kind {
    /// The float range [lo, hi] (hi = ∞ for RELU).
    fn range(self) -> (f32, f32) {
        match self {
            Kind::Relu => (0.0, f32::INFINITY),
            Kind::Relu6 => (0.0, 6.0),
            Kind::ReluN1To1 => (-1.0, 1.0),
            Kind::Relu0To1 => (0.0, 1.0),
        }
    }
}

/// A quantized element type of these kernels (int8, uint8 or int16).
pub(crate) trait QElem: crate::ops::Element + Copy + Into<i32> {
    const MIN: i32;
    const MAX: i32;
    /// Truncating conversion (the value is already in range).
    fn from_i32(v: i32) -> Self;
}
impl QElem for i8 {
    const MIN: i32 = i8::MIN as i32;
    const MAX: i32 = i8::MAX as i32;
    fn from_i32(v: i32) -> Self {
        v as i8
    }
}
impl QElem for u8 {
    const MIN: i32 = u8::MIN as i32;
    const MAX: i32 = u8::MAX as i32;
    fn from_i32(v: i32) -> Self {
        v as u8
    }
}
impl QElem for i16 {
    const MIN: i32 = i16::MIN as i32;
    const MAX: i32 = i16::MAX as i32;
    fn from_i32(v: i32) -> Self {
        v as i16
    }
}

struct ReluQ<T> {
    multiplier: i32,
    shift: i32,
    zp_in: i32,
    zp_out: i32,
    lo: i32,
    hi: i32,
    _t: std::marker::PhantomData<T>,
}

impl<T: QElem> Kernel for ReluQ<T> {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let x = inputs.get::<T>(0)?;
        let out = outputs.get::<T>(0)?;
        for (o, &q) in out.iter_mut().zip(x) {
            let v =
                self.zp_out.wrapping_add(arith::mbqm(q.into().wrapping_sub(self.zp_in), self.multiplier, self.shift));
            *o = T::from_i32(v.max(self.lo).min(self.hi));
        }
        Ok(())
    }
}

struct ReluFloat(Kind);

impl Kernel for ReluFloat {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let x = inputs.get::<f32>(0)?;
        let out = outputs.get::<f32>(0)?;
        match self.0 {
            Kind::Relu => {
                for (o, &v) in out.iter_mut().zip(x) {
                    *o = if v < 0.0 { 0.0 } else { v };
                }
            }
            Kind::Relu6 | Kind::ReluN1To1 | Kind::Relu0To1 => {
                let (lo, hi) = self.0.range();
                for (o, &v) in out.iter_mut().zip(x) {
                    *o = if v > hi {
                        hi
                    } else if v < lo {
                        lo
                    } else {
                        v
                    };
                }
            }
        }
        Ok(())
    }
}

/// Checks one input and one output of the same type and sets the output shape; returns the type.
pub(crate) fn unary_same_type(ctx: &mut PrepareContext<'_, '_>) -> Result<DType> {
    ctx.expect_io(1..=1, 1)?;
    let (ti, to) = (ctx.input_dtype(0)?, ctx.output_dtype(0)?);
    if ti != to {
        return Err(ctx.err(format!("input is {ti} but output is {to}")));
    }
    let shape = ctx.input_shape(0)?.to_vec();
    ctx.set_output_shape(0, shape)?;
    Ok(ti)
}

/// Per-tensor (scale, zero point) of input 0 and output 0.
pub(crate) fn io_quant(ctx: &PrepareContext<'_, '_>) -> Result<((f32, i32), (f32, i32))> {
    let input = per_tensor(ctx, ctx.input_quant(0)?, "input")?;
    let output = per_tensor(ctx, ctx.output_quant(0)?, "output")?;
    Ok((input, output))
}

/// The int8/uint8/int16 RELU-family kernel for element type T.
fn relu_q<'m, T: QElem + 'm>(ctx: &PrepareContext<'_, 'm>, kind: Kind) -> Result<Box<dyn Kernel + 'm>> {
    let ((s_in, zp_in), (s_out, zp_out)) = io_quant(ctx)?;
    let (multiplier, shift) = arith::quantize_multiplier((s_in / s_out) as f64);
    let (a, b) = kind.range();
    let lo = T::MIN.max(arith::relu_bound_quantized(a, s_out, zp_out));
    let hi = if b == f32::INFINITY { T::MAX } else { T::MAX.min(arith::relu_bound_quantized(b, s_out, zp_out)) };
    Ok(Box::new(ReluQ::<T> { multiplier, shift, zp_in, zp_out, lo, hi, _t: std::marker::PhantomData }))
}

/// TFLite's int16 requirement of these kernels: both zero points 0.
fn check_int16_zero_points(ctx: &PrepareContext<'_, '_>) -> Result<()> {
    let ((_, zp_in), (_, zp_out)) = io_quant(ctx)?;
    if zp_in != 0 || zp_out != 0 {
        return Err(ctx.err(format!("int16 zero points must be 0, got {zp_in} and {zp_out}")));
    }
    Ok(())
}

fn prepare_kind<'m>(ctx: &mut PrepareContext<'_, 'm>, kind: Kind) -> Result<Box<dyn Kernel + 'm>> {
    match unary_same_type(ctx)? {
        DType::Float32 => Ok(Box::new(ReluFloat(kind))),
        DType::Int8 => relu_q::<i8>(ctx, kind),
        DType::UInt8 => relu_q::<u8>(ctx, kind),
        DType::Int16 if matches!(kind, Kind::Relu | Kind::Relu6) => {
            check_int16_zero_points(ctx)?;
            relu_q::<i16>(ctx, kind)
        }
        t => Err(ctx.unsupported(format!("unsupported type {t}"))),
    }
}

/// Prepares RELU.
pub fn prepare_relu<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_kind(ctx, Kind::Relu)
}

/// Prepares RELU6.
pub fn prepare_relu6<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_kind(ctx, Kind::Relu6)
}

/// Prepares RELU_N1_TO_1.
pub fn prepare_relu_n1_to_1<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_kind(ctx, Kind::ReluN1To1)
}

/// Prepares RELU_0_TO_1.
pub fn prepare_relu_0_to_1<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_kind(ctx, Kind::Relu0To1)
}

struct LeakyQ<T> {
    _t: std::marker::PhantomData<T>,
    zp_in: i32,
    zp_out: i32,
    identity: (i32, i32),
    /// |alpha multiplier| and its shift.
    alpha: (i32, i32),
    alpha_negative: bool,
}

impl<T: QElem> Kernel for LeakyQ<T> {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let x = inputs.get::<T>(0)?;
        let out = outputs.get::<T>(0)?;
        for (o, &q) in out.iter_mut().zip(x) {
            let v = q.into().wrapping_sub(self.zp_in);
            let scaled = if v >= 0 {
                arith::mbqm(v, self.identity.0, self.identity.1)
            } else {
                let a = arith::mbqm(v, self.alpha.0, self.alpha.1);
                if self.alpha_negative { a.wrapping_neg() } else { a }
            };
            *o = T::from_i32(self.zp_out.wrapping_add(scaled).clamp(T::MIN, T::MAX));
        }
        Ok(())
    }
}

struct LeakyFloat {
    alpha: f32,
}

impl Kernel for LeakyFloat {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let x = inputs.get::<f32>(0)?;
        let out = outputs.get::<f32>(0)?;
        for (o, &v) in out.iter_mut().zip(x) {
            *o = if v > 0.0 { v } else { v * self.alpha };
        }
        Ok(())
    }
}

/// Prepares LEAKY_RELU.
pub fn prepare_leaky_relu<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    let dtype = unary_same_type(ctx)?;
    let alpha = ctx.options::<tflite::LeakyReluOptions>().map_or(0.0, |o| o.alpha());
    match dtype {
        DType::Float32 => Ok(Box::new(LeakyFloat { alpha })),
        DType::Int8 => leaky_q::<i8>(ctx, alpha),
        DType::UInt8 => leaky_q::<u8>(ctx, alpha),
        DType::Int16 => {
            check_int16_zero_points(ctx)?;
            leaky_q::<i16>(ctx, alpha)
        }
        t => Err(ctx.unsupported(format!("unsupported type {t}"))),
    }
}

/// The int8/uint8/int16 LEAKY_RELU kernel for element type T.
fn leaky_q<'m, T: QElem + 'm>(ctx: &PrepareContext<'_, 'm>, alpha: f32) -> Result<Box<dyn Kernel + 'm>> {
    let ((s_in, zp_in), (s_out, zp_out)) = io_quant(ctx)?;
    let (m_alpha, s_alpha) = arith::quantize_multiplier((s_in * alpha / s_out) as f64);
    let identity = arith::quantize_multiplier((s_in / s_out) as f64);
    Ok(Box::new(LeakyQ::<T> {
        _t: std::marker::PhantomData,
        zp_in,
        zp_out,
        identity,
        alpha: (m_alpha.wrapping_abs(), s_alpha),
        alpha_negative: m_alpha < 0,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::run_kernel;

    fn run_i8(k: &mut dyn Kernel, x: &[i8]) -> Vec<i8> {
        let out = run_kernel(k, &[bytemuck::cast_slice(x)], &[x.len()]).unwrap();
        bytemuck::cast_slice(&out[0]).to_vec()
    }

    fn run_f32(k: &mut dyn Kernel, x: &[f32]) -> Vec<f32> {
        let out = run_kernel(k, &[bytemuck::cast_slice(x)], &[x.len() * 4]).unwrap();
        bytemuck::cast_slice(&out[0]).to_vec()
    }

    #[test]
    fn int8_relu6_requantizes_then_clamps() {
        // s_in = 0.1, s_out = 0.05: multiplier 2; zp_in = 3, zp_out = −128.
        // lo = −128 + roundf(0/0.05) = −128; hi = −128 + roundf(6/0.05) = −8.
        let (m, s) = arith::quantize_multiplier((0.1f32 / 0.05f32) as f64);
        let lo = (-128i32).max(arith::relu_bound_quantized(0.0, 0.05, -128));
        let hi = 127i32.min(arith::relu_bound_quantized(6.0, 0.05, -128));
        assert_eq!((lo, hi), (-128, -8));
        let mut k = ReluQ::<i8> { multiplier: m, shift: s, zp_in: 3, zp_out: -128, lo, hi, _t: Default::default() };
        // q = 3 → 0 → −128; q = 10 → 7·2 = 14 → −114; q = 100 → 194 → −8 (clamped);
        // q = −50 → −106 → −234 → −128.
        assert_eq!(run_i8(&mut k, &[3, 10, 100, -50]), vec![-128, -114, -8, -128]);
    }

    #[test]
    fn int8_relu_with_rounding_ties() {
        // Multiplier 0.5: v·0.5 rounds half away from zero in RDBPOT after an exact SRDHM.
        let (m, s) = arith::quantize_multiplier(0.5);
        let mut k =
            ReluQ::<i8> { multiplier: m, shift: s, zp_in: 0, zp_out: 0, lo: 0, hi: 127, _t: Default::default() };
        assert_eq!(run_i8(&mut k, &[1, 3, 5, -5, 127]), vec![1, 2, 3, 0, 64]);
    }

    #[test]
    fn int8_relu_bounds_with_absurd_scales() {
        // lo > hi: TFLite applies max then min, so everything becomes hi.
        let mut k =
            ReluQ::<i8> { multiplier: 1 << 30, shift: 1, zp_in: 0, zp_out: 0, lo: 10, hi: 5, _t: Default::default() };
        assert_eq!(run_i8(&mut k, &[-100, 0, 100]), vec![5, 5, 5]);
        // A huge bound converts to int32::MIN (x86), so zp + it wraps.
        assert_eq!(arith::relu_bound_quantized(6.0, 1e-30, 0), i32::MIN);
        assert_eq!(arith::relu_bound_quantized(-1.0, 1e-30, -1), i32::MAX);
    }

    #[test]
    fn int8_leaky_relu_negative_alpha_negates_after_rounding() {
        // alpha multiplier −0.5: v = −3 → MBQM(−3, +0.5) = −1 (SRDHM −1.5 → −1) → negated: +1.
        let (m, s) = arith::quantize_multiplier(-0.5);
        let identity = arith::quantize_multiplier(1.0);
        let mut k = LeakyQ::<i8> {
            _t: Default::default(),
            zp_in: 0,
            zp_out: 0,
            identity,
            alpha: (m.wrapping_abs(), s),
            alpha_negative: true,
        };
        assert_eq!(run_i8(&mut k, &[-3, -4, 5, -128, 127]), vec![1, 2, 5, 64, 127]);
        // Positive alpha 0.25 with an output zero point: −7·0.25 = −1.75 → −2; + 10.
        let (m, s) = arith::quantize_multiplier(0.25);
        let mut k = LeakyQ::<i8> {
            _t: Default::default(),
            zp_in: 1,
            zp_out: 10,
            identity,
            alpha: (m, s),
            alpha_negative: false,
        };
        assert_eq!(run_i8(&mut k, &[-6, 1, 120]), vec![8, 10, 127]);
    }

    #[test]
    fn uint8_and_int16_relu6_and_leaky() {
        // uint8: s_in = s_out = 0.05, zp 100 → lo = 100, hi = 100 + 120 = 220. q = 50 → 100;
        // q = 150 → 150; q = 250 → 220.
        let (m, s) = arith::quantize_multiplier(1.0);
        let k =
            ReluQ::<u8> { multiplier: m, shift: s, zp_in: 100, zp_out: 100, lo: 100, hi: 220, _t: Default::default() };
        let out = run_kernel(&k, &[&[50u8, 150, 250]], &[3]).unwrap();
        assert_eq!(out[0], vec![100, 150, 220]);
        // int16 RELU, multiplier 2: 20000 → 40000 → 32767 (type clamp); −5 → 0.
        let (m, s) = arith::quantize_multiplier(2.0);
        let k = ReluQ::<i16> { multiplier: m, shift: s, zp_in: 0, zp_out: 0, lo: 0, hi: 32767, _t: Default::default() };
        let x: [i16; 3] = [20000, -5, 7];
        let out = run_kernel(&k, &[bytemuck::cast_slice(&x)], &[6]).unwrap();
        assert_eq!(bytemuck::cast_slice::<u8, i16>(&out[0]), &[32767, 0, 14]);
        // int16 LEAKY_RELU, alpha 0.1 (identity 1): −1005 → −100.5 → −101 (half away from zero).
        let identity = arith::quantize_multiplier(1.0);
        let (am, as_) = arith::quantize_multiplier(0.1);
        let k = LeakyQ::<i16> {
            _t: Default::default(),
            zp_in: 0,
            zp_out: 0,
            identity,
            alpha: (am, as_),
            alpha_negative: false,
        };
        let x: [i16; 3] = [-1005, 1234, -32768];
        let out = run_kernel(&k, &[bytemuck::cast_slice(&x)], &[6]).unwrap();
        assert_eq!(bytemuck::cast_slice::<u8, i16>(&out[0]), &[-101, 1234, -3277]);
    }

    #[test]
    fn float_family_edge_values() {
        let x = [-2.0, -0.0, 0.5, 7.0, f32::NAN, f32::NEG_INFINITY];
        let relu = run_f32(&mut ReluFloat(Kind::Relu), &x);
        assert_eq!(&relu[..4], &[0.0, 0.0, 0.5, 7.0]);
        assert!(relu[1].is_sign_negative() && relu[4].is_nan() && relu[5] == 0.0);
        let relu6 = run_f32(&mut ReluFloat(Kind::Relu6), &x);
        assert_eq!(&relu6[..4], &[0.0, 0.0, 0.5, 6.0]);
        assert!(relu6[1].is_sign_negative() && relu6[4].is_nan() && relu6[5] == 0.0);
        let relu1 = run_f32(&mut ReluFloat(Kind::ReluN1To1), &x);
        assert_eq!(&relu1[..4], &[-1.0, 0.0, 0.5, 1.0]);
        assert!(relu1[4].is_nan() && relu1[5] == -1.0);
        let leaky = run_f32(&mut LeakyFloat { alpha: -0.5 }, &[-2.0, 3.0, 0.0]);
        assert_eq!(leaky, vec![1.0, 3.0, -0.0]);
    }
}
