//! QUANTIZE: float32 → int8/uint8/int16, and requantization between integer types.
//!
//! float → q (TFLite reference `AffineQuantize`): `clamp((int32)roundf(x / scale) + zp)`, the
//! division in float32, rounding half away from zero.
//! The float → int32 conversion is x86-64's (`cvttss2si`): an out-of-range quotient (or NaN)
//! becomes INT32_MIN, so a huge input of either sign quantizes to the type's minimum
//! ([`arith::quantize_f32_x86`]; TFLite's x86-64 build, measured with float → int16).
//! q → q (`Requantize`): `clamp(MBQM(q − zp_in, QM(double(s_in) / double(s_out))) + zp_out)`.
//! Pairs: int8/uint8 → int8/uint8, int16 → int8/int16 (int16 → int16 needs zero points 0, as
//! in quantize.cc), int8 → int16 (which the pinned TFLite also runs), and int16 → int32 (quantize.cc's
//! int32-output case; TFLite Micro runs it at the end of keyword_scrambled_8bit.tflite; the
//! zero-point add saturates where C++ would overflow).

use crate::arith;
use crate::dtype::DType;
use crate::error::Result;
use crate::ops::Scratch;
use crate::ops::{Inputs, Kernel, Outputs, PrepareContext, per_tensor};

/// Integer element types QUANTIZE reads or writes.
trait QInt: crate::ops::Element + Copy {
    const MIN: i32;
    const MAX: i32;
    fn to_i32(self) -> i32;
    fn from_i32(v: i32) -> Self;
}

macro_rules! qint {
    ($t:ty) => {
        impl QInt for $t {
            const MIN: i32 = <$t>::MIN as i32;
            const MAX: i32 = <$t>::MAX as i32;
            fn to_i32(self) -> i32 {
                self as i32
            }
            fn from_i32(v: i32) -> Self {
                v as $t
            }
        }
    };
}
qint!(i8);
qint!(u8);
qint!(i16);
qint!(i32);

struct FromFloat<O> {
    scale: f32,
    zero_point: i32,
    _o: std::marker::PhantomData<O>,
}

impl<O: QInt> Kernel for FromFloat<O> {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let x = inputs.get::<f32>(0)?;
        let out = outputs.get::<O>(0)?;
        for (o, &v) in out.iter_mut().zip(x) {
            *o = O::from_i32(arith::quantize_f32_x86(v, self.scale, self.zero_point, O::MIN, O::MAX));
        }
        Ok(())
    }
}

struct Requantize<I, O> {
    multiplier: i32,
    shift: i32,
    zp_in: i32,
    zp_out: i32,
    _t: std::marker::PhantomData<(I, O)>,
}

impl<I: QInt, O: QInt> Kernel for Requantize<I, O> {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let x = inputs.get::<I>(0)?;
        let out = outputs.get::<O>(0)?;
        for (o, &v) in out.iter_mut().zip(x) {
            let q = arith::mbqm(v.to_i32() - self.zp_in, self.multiplier, self.shift).saturating_add(self.zp_out);
            *o = O::from_i32(q.clamp(O::MIN, O::MAX));
        }
        Ok(())
    }
}

fn requantize<'m, I: QInt, O: QInt>(m: i32, s: i32, zp_in: i32, zp_out: i32) -> Box<dyn Kernel + 'm> {
    Box::new(Requantize::<I, O> { multiplier: m, shift: s, zp_in, zp_out, _t: std::marker::PhantomData })
}

/// Prepares QUANTIZE.
pub fn prepare<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(1..=1, 1)?;
    let shape = ctx.input_shape(0)?.to_vec();
    ctx.set_output_shape(0, shape)?;
    let (ti, to) = (ctx.input_dtype(0)?, ctx.output_dtype(0)?);
    let (s_out, zp_out) = per_tensor(ctx, ctx.output_quant(0)?, "output")?;
    if ti == DType::Float32 {
        let k: Box<dyn Kernel + 'm> = match to {
            DType::Int8 => Box::new(FromFloat::<i8> { scale: s_out, zero_point: zp_out, _o: Default::default() }),
            DType::UInt8 => Box::new(FromFloat::<u8> { scale: s_out, zero_point: zp_out, _o: Default::default() }),
            DType::Int16 => Box::new(FromFloat::<i16> { scale: s_out, zero_point: zp_out, _o: Default::default() }),
            _ => return Err(ctx.unsupported(format!("cannot quantize float32 to {to}"))),
        };
        return Ok(k);
    }
    let (s_in, zp_in) = per_tensor(ctx, ctx.input_quant(0)?, "input")?;
    if ti == DType::Int16 && to == DType::Int16 && (zp_in, zp_out) != (0, 0) {
        return Err(ctx.err("int16 → int16 requantization needs zero points 0"));
    }
    let (m, s) = arith::quantize_multiplier(s_in as f64 / s_out as f64);
    Ok(match (ti, to) {
        (DType::Int8, DType::Int8) => requantize::<i8, i8>(m, s, zp_in, zp_out),
        (DType::Int8, DType::UInt8) => requantize::<i8, u8>(m, s, zp_in, zp_out),
        (DType::Int8, DType::Int16) => requantize::<i8, i16>(m, s, zp_in, zp_out),
        (DType::UInt8, DType::Int8) => requantize::<u8, i8>(m, s, zp_in, zp_out),
        (DType::UInt8, DType::UInt8) => requantize::<u8, u8>(m, s, zp_in, zp_out),
        (DType::Int16, DType::Int8) => requantize::<i16, i8>(m, s, zp_in, zp_out),
        (DType::Int16, DType::Int16) => requantize::<i16, i16>(m, s, zp_in, zp_out),
        (DType::Int16, DType::Int32) => requantize::<i16, i32>(m, s, zp_in, zp_out),
        _ => return Err(ctx.unsupported(format!("cannot requantize {ti} to {to}"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::run_kernel;

    #[test]
    fn float_to_int8_rounds_half_away_and_saturates() {
        let k = FromFloat::<i8> { scale: 0.5, zero_point: -1, _o: Default::default() };
        let x: [f32; 6] = [0.25, -0.25, 1.0, 100.0, -100.0, 0.74];
        let out = run_kernel(&k, &[bytemuck::cast_slice(&x)], &[6]).unwrap();
        // 0.5 → 1 − 1 = 0; −0.5 → −1 − 1 = −2; 2 − 1 = 1; saturate; 1.48 → 1 − 1 = 0.
        assert_eq!(bytemuck::cast_slice::<u8, i8>(&out[0]), &[0, -2, 1, 127, -128, 0]);
    }

    #[test]
    fn requantize_uses_mbqm() {
        // s_in/s_out = 0.5: (q − zp_in)·0.5 rounded (MBQM), + zp_out.
        let (m, s) = arith::quantize_multiplier(0.5);
        let k = Requantize::<i8, i8> { multiplier: m, shift: s, zp_in: 1, zp_out: 10, _t: Default::default() };
        let x: [i8; 4] = [6, -4, 127, -128];
        let out = run_kernel(&k, &[bytemuck::cast_slice(&x)], &[4]).unwrap();
        // 5·0.5 = 2.5 → 3; −5·0.5 = −2.5 → −2 (SRDHM: a negative tie toward zero); 63; −64.5 → −64.
        assert_eq!(bytemuck::cast_slice::<u8, i8>(&out[0]), &[13, 8, 73, -54]);
    }

    #[test]
    fn requantize_int16_to_int32() {
        // keyword_scrambled_8bit's last QUANTIZE: s_in = 1/65535, zp_in = −32768, s_out ≈ 1/32767:
        // (q + 32768)·32767/65535 → 32767 ↦ 32767 (65535·0.49999237 = 32767.0), −32768 ↦ 0.
        let (m, s) = arith::quantize_multiplier(1.525_902_2e-5_f32 as f64 / 3.051_851e-5_f32 as f64);
        let k = Requantize::<i16, i32> { multiplier: m, shift: s, zp_in: -32768, zp_out: 0, _t: Default::default() };
        let x: [i16; 3] = [32767, -32768, 0];
        let out = run_kernel(&k, &[bytemuck::cast_slice(&x)], &[12]).unwrap();
        // 32768·0.49999237 = 16383.75 → 16384.
        assert_eq!(bytemuck::cast_slice::<u8, i32>(&out[0]), &[32767, 0, 16384]);
    }
}
