//! DEQUANTIZE: int8/uint8/int16 → float32 as `float(double(scale) · (q − zp))` (TFLite
//! reference; int16 needs zero point 0, as in dequantize.cc), and float16 → float32 (exact).
//! Constant inputs (float16 weights) are folded at prepare time, so they are converted once, not
//! per invoke.

use crate::dtype::DType;
use crate::error::Result;
use crate::ops::Scratch;
use crate::ops::{Inputs, Kernel, Outputs, PrepareContext, per_tensor};

struct FromInt<I> {
    scale: f32,
    zero_point: i32,
    _i: std::marker::PhantomData<I>,
}

impl<I: crate::ops::Element + Copy + Into<i32>> Kernel for FromInt<I> {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let x = inputs.get::<I>(0)?;
        let out = outputs.get::<f32>(0)?;
        for (o, &v) in out.iter_mut().zip(x) {
            *o = crate::arith::dequantize(v.into(), self.scale, self.zero_point);
        }
        Ok(())
    }
}

struct FromHalf;

/// IEEE 754 binary16 → binary32, exactly (subnormals, infinities and NaN included).
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h as u32) & 0x8000) << 16;
    let exp = ((h >> 10) & 0x1f) as u32;
    let man = (h & 0x3ff) as u32;
    let bits = match (exp, man) {
        (0, 0) => sign,
        (0, m) => {
            // Subnormal: value = m · 2^-24.
            let v = m as f32 * f32::from_bits(0x3380_0000); // 2^-24
            return if sign != 0 { -v } else { v };
        }
        (0x1f, m) => sign | 0x7f80_0000 | (m << 13),
        (e, m) => sign | ((e + 127 - 15) << 23) | (m << 13),
    };
    f32::from_bits(bits)
}

impl Kernel for FromHalf {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let x = inputs.get::<u16>(0)?;
        let out = outputs.get::<f32>(0)?;
        for (o, &h) in out.iter_mut().zip(x) {
            *o = f16_to_f32(h);
        }
        Ok(())
    }
}

/// Prepares DEQUANTIZE.
pub fn prepare<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(1..=1, 1)?;
    let shape = ctx.input_shape(0)?.to_vec();
    ctx.set_output_shape(0, shape)?;
    let (ti, to) = (ctx.input_dtype(0)?, ctx.output_dtype(0)?);
    if to != DType::Float32 {
        return Err(ctx.err(format!("output must be float32, got {to}")));
    }
    if ti == DType::Float16 {
        return Ok(Box::new(FromHalf));
    }
    let (scale, zero_point) = per_tensor(ctx, ctx.input_quant(0)?, "input")?;
    if ti == DType::Int16 && zero_point != 0 {
        // dequantize.cc's Prepare.
        return Err(ctx.err("int16 input needs zero point 0"));
    }
    Ok(match ti {
        DType::Int8 => Box::new(FromInt::<i8> { scale, zero_point, _i: Default::default() }),
        DType::UInt8 => Box::new(FromInt::<u8> { scale, zero_point, _i: Default::default() }),
        DType::Int16 => Box::new(FromInt::<i16> { scale, zero_point, _i: Default::default() }),
        _ => return Err(ctx.unsupported(format!("cannot dequantize {ti}"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::run_kernel;

    #[test]
    fn int8_dequantizes_in_double() {
        let k = FromInt::<i8> { scale: 0.1, zero_point: 3, _i: Default::default() };
        let x: [i8; 3] = [3, 4, -128];
        let out = run_kernel(&k, &[bytemuck::cast_slice(&x)], &[12]).unwrap();
        let got: &[f32] = bytemuck::cast_slice(&out[0]);
        assert_eq!(got, &[0.0, (0.1f32 as f64) as f32, (0.1f32 as f64 * -131.0) as f32]);
    }

    #[test]
    fn half_floats_convert_exactly() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x7bff), 65504.0);
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x8000).to_bits(), 0x8000_0000);
        assert!(f16_to_f32(0x7c00).is_infinite());
        assert!(f16_to_f32(0x7e00).is_nan());
        assert_eq!(f16_to_f32(0x3555), 0.333_251_95);
    }
}
