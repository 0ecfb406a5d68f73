//! MAXIMUM and MINIMUM: element-wise max/min with NumPy broadcasting (see `broadcast.rs`).
//!
//! TFLite (`kernels/maximum_minimum.cc`, `reference_ops::MaximumMinimumBroadcastSlow`) compares
//! the stored values: MAXIMUM is `a > b ? a : b`, MINIMUM is `a < b ? a : b`, for every type.
//! For int8 that is a comparison of the raw quantized values with no requantization; TFLite does
//! not check that the inputs and output share a scale and zero point (the converter gives them
//! the same ones), and qlite does the same raw comparison. For float32 the ternary decides NaN
//! and signed zeros: MAXIMUM(NaN, x) = x, MAXIMUM(x, NaN) = NaN, MAXIMUM(−0, +0) = +0,
//! MAXIMUM(+0, −0) = −0 (MINIMUM alike).

use crate::dtype::DType;
use crate::error::Result;
use crate::ops::elementwise::broadcast::{self, BinaryKernel};
use crate::ops::{Kernel, PrepareContext};

/// `a > b ? a : b`
#[inline(always)]
pub fn maximum<T: PartialOrd>(a: T, b: T) -> T {
    if a > b { a } else { b }
}

/// `a < b ? a : b`
#[inline(always)]
pub fn minimum<T: PartialOrd>(a: T, b: T) -> T {
    if a < b { a } else { b }
}

fn prepare_op<'m>(ctx: &mut PrepareContext<'_, 'm>, max: bool) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(2..=2, 1)?;
    let (t1, t2, to) = (ctx.input_dtype(0)?, ctx.input_dtype(1)?, ctx.output_dtype(0)?);
    if t1 != t2 || t1 != to {
        return Err(ctx.unsupported(format!("unsupported types: inputs {t1} and {t2}, output {to}")));
    }
    let plan = broadcast::plan(ctx)?;
    macro_rules! kernel {
        ($t:ty) => {
            if max {
                Box::new(BinaryKernel::new(plan, maximum::<$t>)) as Box<dyn Kernel + 'm>
            } else {
                Box::new(BinaryKernel::new(plan, minimum::<$t>))
            }
        };
    }
    Ok(match to {
        DType::Int8 => kernel!(i8),
        DType::UInt8 => kernel!(u8),
        DType::Int16 => kernel!(i16),
        DType::Int32 => kernel!(i32),
        DType::Int64 => kernel!(i64),
        DType::Float32 => kernel!(f32),
        _ => return Err(ctx.unsupported(format!("unsupported type {to}"))),
    })
}

/// Prepares MAXIMUM.
pub fn prepare_maximum<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_op(ctx, true)
}

/// Prepares MINIMUM.
pub fn prepare_minimum<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_op(ctx, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ternary_semantics() {
        assert_eq!(maximum(-3i8, 5), 5);
        assert_eq!(minimum(-3i8, 5), -3);
        assert_eq!(maximum(-128i8, -128), -128);
        assert_eq!(maximum(f32::NAN, 1.0), 1.0);
        assert!(maximum(1.0, f32::NAN).is_nan());
        assert_eq!(minimum(f32::NAN, 1.0), 1.0);
        assert!(minimum(1.0, f32::NAN).is_nan());
        assert!(maximum(-0.0f32, 0.0).is_sign_positive());
        assert!(maximum(0.0f32, -0.0).is_sign_negative());
        assert!(minimum(-0.0f32, 0.0).is_sign_positive());
    }

    #[test]
    fn broadcast_kernel() {
        let plan = broadcast::Broadcast::new(&[2, 3], &[3]).unwrap();
        let k = BinaryKernel::new(plan, maximum::<i8>);
        let a: [i8; 6] = [1, -2, 3, -4, 5, -6];
        let b: [i8; 3] = [0, 0, 4];
        let out = crate::ops::run_kernel(&k, &[bytemuck::cast_slice(&a), bytemuck::cast_slice(&b)], &[6]).unwrap();
        assert_eq!(bytemuck::cast_slice::<u8, i8>(&out[0]), &[1, 0, 4, 0, 5, 4]);
    }
}
