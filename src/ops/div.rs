//! DIV (float32): `out = act(a / b)` with NumPy broadcasting (`broadcast.rs`).
//!
//! TFLite (`kernels/div.cc`, `reference_ops::Div` and `BroadcastDivSlow`):
//! out = min(max(a / b, lo), hi) with (lo, hi) the fused activation's range, [−FLT_MAX, FLT_MAX]
//! for none: a division by zero gives ±FLT_MAX (or the activation's bound), not ±inf; 0/0 and
//! NaN give NaN. Bit-identical (one IEEE division).
//!
//! int8 DIV is not implemented here (float32 only); fused activations other than NONE, RELU,
//! RELU6 and RELU_N1_TO_1 are rejected (TFLite would silently ignore them).

use super::broadcast::{self, BinaryKernel, clamp_f32};
use super::{Kernel, PrepareContext};
use crate::arith;
use crate::dtype::DType;
use crate::error::Result;
use crate::tflite;

/// Prepares DIV.
pub fn prepare<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(2..=2, 1)?;
    let act = ctx
        .options::<tflite::DivOptions>()
        .map_or(tflite::ActivationFunctionType::NONE, |o| o.fused_activation_function());
    if !arith::is_supported_activation(act) {
        return Err(ctx.err(format!("unsupported fused activation {act:?}")));
    }
    let (t1, t2, to) = (ctx.input_dtype(0)?, ctx.input_dtype(1)?, ctx.output_dtype(0)?);
    if t1 != DType::Float32 || t2 != DType::Float32 || to != DType::Float32 {
        return Err(ctx.err(format!("unsupported types: inputs {t1} and {t2}, output {to} (float32 only)")));
    }
    let plan = broadcast::plan(ctx)?;
    let (lo, hi) = arith::activation_range_f32(act);
    Ok(Box::new(BinaryKernel::new(plan, move |x: f32, y: f32| clamp_f32(x / y, lo, hi))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn division_by_zero_clamps() {
        let (lo, hi) = arith::activation_range_f32(tflite::ActivationFunctionType::NONE);
        let f = |x: f32, y: f32| clamp_f32(x / y, lo, hi);
        assert_eq!(f(1.0, 0.0), f32::MAX);
        assert_eq!(f(-1.0, 0.0), f32::MIN);
        assert_eq!(f(1.0, -0.0), f32::MIN);
        assert!(f(0.0, 0.0).is_nan());
        assert_eq!(f(1.0, 3.0), 1.0f32 / 3.0);
    }
}
