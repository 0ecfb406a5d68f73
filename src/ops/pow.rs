//! POW (float32): `out = powf(a, b)` with NumPy broadcasting (rank ≤ 8).
//!
//! TFLite (`kernels/pow.cc`, `reference_ops::Pow`, `optimized_ops::BroadcastPow4D`) calls
//! `std::pow(float, float)`, i.e. the C library's `powf`, with no activation and no clamping.
//! qlite calls `f32::powf`, which is the same `powf` of the platform's C library: identical on
//! the same machine (glibc's powf is correctly rounded in nearly all cases, so other libms
//! may differ by 1 ULP on rare inputs).
//!
//! Where TFLite does not compute a result: its broadcasting path is 4-D only; qlite broadcasts
//! up to rank 8. int32 POW is not implemented (float32 only).

use super::broadcast::{self, BinaryKernel};
use super::{Kernel, PrepareContext};
use crate::dtype::DType;
use crate::error::Result;

/// Prepares POW.
pub fn prepare<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(2..=2, 1)?;
    let (t1, t2, to) = (ctx.input_dtype(0)?, ctx.input_dtype(1)?, ctx.output_dtype(0)?);
    if t1 != DType::Float32 || t2 != DType::Float32 || to != DType::Float32 {
        return Err(ctx.err(format!("unsupported types: inputs {t1} and {t2}, output {to} (float32 only)")));
    }
    let plan = broadcast::plan(ctx)?;
    Ok(Box::new(BinaryKernel::new(plan, f32::powf)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn powf_edge_cases() {
        assert_eq!(2f32.powf(10.0), 1024.0);
        assert_eq!(0f32.powf(0.0), 1.0);
        assert!((-2f32).powf(0.5).is_nan());
        assert_eq!((-2f32).powf(3.0), -8.0);
        assert_eq!(0f32.powf(-1.0), f32::INFINITY);
    }
}
