//! Registering a kernel for a custom operator, without touching the crate.
//!
//! `models/custom_bessel.tflite` holds one custom operator, `BesselI0e` (TensorFlow's
//! exponentially scaled Bessel function I0, which TFLite has no builtin for). This example gives
//! qlite a kernel for it and runs the model:
//!
//! ```sh
//! cargo run --release --example custom_op
//! ```

use qlite::ops::{Inputs, Kernel, OpRegistry, Outputs, PrepareContext, Scratch};
use qlite::{DType, Interpreter, Model, Result};

/// The kernel: `exp(-|x|) · I0(x)` elementwise, float32.
struct BesselI0e;

impl Kernel for BesselI0e {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let x = inputs.get::<f32>(0)?;
        let y = outputs.get::<f32>(0)?;
        for (o, &v) in y.iter_mut().zip(x) {
            // I0(x) = Σ_k ((x/2)^k / k!)^2, plenty of terms for |x| ≤ 20.
            let (h, mut term, mut sum) = (v as f64 / 2.0, 1.0f64, 1.0f64);
            for k in 1..60 {
                term *= h / k as f64;
                sum += term * term;
            }
            *o = ((-(v as f64).abs()).exp() * sum) as f32;
        }
        Ok(())
    }
}

/// `prepare`: validate what the kernel relies on, set the output shape, return the kernel.
fn prepare<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(1..=1, 1)?;
    if ctx.input_dtype(0)? != DType::Float32 || ctx.output_dtype(0)? != DType::Float32 {
        return Err(ctx.err("BesselI0e needs float32 input and output"));
    }
    let shape = ctx.input_shape(0)?.to_vec();
    ctx.set_output_shape(0, shape)?;
    Ok(Box::new(BesselI0e))
}

/// The builtin kernels plus ours, registered under the custom op's name in the model.
pub fn registry() -> OpRegistry {
    let mut registry = OpRegistry::with_builtins();
    registry.add_custom("BesselI0e", std::sync::Arc::new(prepare));
    registry
}

#[allow(dead_code)]
fn main() -> Result<()> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/models/custom_bessel.tflite");
    let model = Model::from_file(path)?;
    let mut interp = Interpreter::with_registry(&model, &registry())?;
    let x = [-3.0f32, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 6.0];
    interp.input_mut::<f32>(0)?.copy_from_slice(&x);
    interp.invoke()?;
    for (x, y) in x.iter().zip(interp.output::<f32>(0)?) {
        println!("BesselI0e({x:5.2}) = {y:.6}");
    }
    Ok(())
}
