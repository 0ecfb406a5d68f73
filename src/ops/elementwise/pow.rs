//! POW (float32): `out = a^b` with NumPy broadcasting (`broadcast.rs`).
//!
//! TFLite 2.21 (`kernels/pow.cc`; measured on the pinned x86-64 wheel, BUILTIN_REF):
//! - Equal shapes (`HaveSameShapes`, dimension lists identical): `reference_ops::Pow`, i.e.
//!   `std::pow(float, float)` = the C library's `powf` per element.
//! - Shapes that differ (even only by leading 1s) take `optimized_ops::BroadcastPow4D`. There,
//!   when the exponent tensor has exactly one element whose value e is an integer with
//!   2 ≤ e < 2³¹, every output is computed by left-to-right binary exponentiation in float32
//!   (r = 1; for each bit of e from the most significant: r = r·r, then r = r·a if the bit is
//!   set) and clamped to [−FLT_MAX, FLT_MAX] (NaN passes through), so an overflow gives
//!   ±FLT_MAX instead of ±inf and results differ from `powf` by an ULP or so. Any other exponent
//!   (non-integer, negative, 0, 1, ≥ 2³¹, or an exponent tensor with several elements) uses
//!   `powf` per element.
//!
//! qlite does exactly this; `f32::powf` is the platform's C `powf` (glibc on Linux, as in the
//! wheel), so results are identical on the same machine (another libm may differ by 1 ULP on rare
//! inputs). No fused activation. int32 POW is not implemented (float32 only).

use crate::dtype::DType;
use crate::error::Result;
use crate::ops::Scratch;
use crate::ops::elementwise::broadcast::{self, Broadcast, clamp_f32};
use crate::ops::{Inputs, Kernel, Outputs, PrepareContext};

/// a^e by left-to-right binary exponentiation in float32, clamped to ±FLT_MAX.
#[inline]
pub fn integer_pow(a: f32, e: u32) -> f32 {
    let mut r = 1.0f32;
    for bit in (0..32 - e.leading_zeros()).rev() {
        r *= r;
        if (e >> bit) & 1 == 1 {
            r *= a;
        }
    }
    clamp_f32(r, f32::MIN, f32::MAX)
}

/// The exponent for which TFLite's broadcast path uses [`integer_pow`], if `e` is one.
#[inline]
pub fn integer_exponent(e: f32) -> Option<u32> {
    ((2.0..2_147_483_648.0).contains(&e) && e.fract() == 0.0).then_some(e as u32)
}

struct Pow {
    plan: Broadcast,
    /// The shapes differ and the exponent has one element: TFLite's scalar-exponent path.
    scalar_exponent: bool,
}

impl Kernel for Pow {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let a = inputs.get::<f32>(0)?;
        let b = inputs.get::<f32>(1)?;
        let out = outputs.get::<f32>(0)?;
        if self.scalar_exponent
            && let Some(e) = b.first().copied().and_then(integer_exponent)
        {
            return self.plan.run(a, b, out, |x, _| integer_pow(x, e));
        }
        self.plan.run(a, b, out, f32::powf)
    }
}

/// Prepares POW.
pub fn prepare<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(2..=2, 1)?;
    let (t1, t2, to) = (ctx.input_dtype(0)?, ctx.input_dtype(1)?, ctx.output_dtype(0)?);
    if t1 != DType::Float32 || t2 != DType::Float32 || to != DType::Float32 {
        return Err(ctx.unsupported(format!("unsupported types: inputs {t1} and {t2}, output {to} (float32 only)")));
    }
    let scalar_exponent =
        ctx.input_shape(0)? != ctx.input_shape(1)? && ctx.input_shape(1)?.iter().product::<usize>() == 1;
    let plan = broadcast::plan(ctx)?;
    Ok(Box::new(Pow { plan, scalar_exponent }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powf_edge_cases() {
        assert_eq!(2f32.powf(10.0), 1024.0);
        assert_eq!(0f32.powf(0.0), 1.0);
        assert!((-2f32).powf(0.5).is_nan());
        assert_eq!((-2f32).powf(3.0), -8.0);
        assert_eq!(0f32.powf(-1.0), f32::INFINITY);
    }

    #[test]
    fn integer_pow_multiplies_left_to_right_and_clamps() {
        assert_eq!(integer_pow(3.0, 2), 9.0);
        assert_eq!(integer_pow(-2.0, 5), -32.0);
        // 7 = 0b111: ((a)²·a)²·a.
        let a = 1.1f32;
        let a3 = (a * a) * a;
        assert_eq!(integer_pow(a, 7), (a3 * a3) * a);
        // 10 = 0b1010: ((a²)²·a)².
        let a5 = ((a * a) * (a * a)) * a;
        assert_eq!(integer_pow(a, 10), a5 * a5);
        assert_eq!(integer_pow(3e38, 2), f32::MAX);
        assert_eq!(integer_pow(-3e38, 3), f32::MIN);
        assert_eq!(integer_pow(f32::INFINITY, 2), f32::MAX);
        assert!(integer_pow(f32::NAN, 2).is_nan());
        assert!(integer_pow(-0.0, 3).is_sign_negative());
        assert_eq!(integer_exponent(2.0), Some(2));
        assert_eq!(integer_exponent(1.0), None);
        assert_eq!(integer_exponent(-2.0), None);
        assert_eq!(integer_exponent(2.5), None);
        assert_eq!(integer_exponent(2_147_483_520.0), Some(2_147_483_520));
        assert_eq!(integer_exponent(2_147_483_648.0), None);
        assert_eq!(integer_exponent(f32::NAN), None);
    }
}
