//! A user-registered custom op kernel (examples/custom_op.rs) runs the model's custom operator,
//! and gives TensorFlow's values (models/custom_bessel.tf0.npy) to float32 precision.

#[path = "../examples/custom_op.rs"]
mod example;

mod common;

use qlite::{Error, Interpreter, Model, npy, runner};

#[test]
fn custom_op_runs_with_a_registered_kernel() {
    let dir = common::models_dir();
    let model = Model::from_file(dir.join("custom_bessel.tflite")).unwrap();
    // Without the kernel: an error naming the operator and the custom op's name.
    match Interpreter::new(&model) {
        Err(Error::Operator { op: 0, opcode, .. }) => assert_eq!(opcode, "BesselI0e"),
        other => panic!("expected an unknown-op error, got {other:?}"),
    }
    let mut interp = Interpreter::with_registry(&model, &example::registry()).unwrap();
    let x = npy::read(&dir.join("custom_bessel.in0.npy")).unwrap();
    let want: Vec<f32> = npy::read(&dir.join("custom_bessel.tf0.npy")).unwrap().to_vec();
    let (inputs, cases, _) = runner::prepare_inputs(&interp, vec![x]).unwrap();
    let got: Vec<f32> = runner::run_cases(&mut interp, &inputs, cases).unwrap()[0].to_vec();
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        approx::assert_relative_eq!(g, w, max_relative = 1e-5);
    }
}

#[test]
fn a_builtin_can_be_overridden() {
    use qlite::ops::{Kernel, PrepareContext};
    // Replace FULLY_CONNECTED by a kernel that refuses to prepare: the override is what runs.
    fn refuse<'m>(ctx: &mut PrepareContext<'_, 'm>) -> qlite::Result<Box<dyn Kernel + 'm>> {
        Err(ctx.err("overridden"))
    }
    let mut registry = qlite::OpRegistry::with_builtins();
    registry.add_builtin(qlite::tflite::BuiltinOperator::FULLY_CONNECTED, std::sync::Arc::new(refuse));
    let model = Model::from_file(common::models_dir().join("mlp_int8.tflite")).unwrap();
    let err = Interpreter::with_registry(&model, &registry).unwrap_err().to_string();
    assert!(err.contains("FULLY_CONNECTED") && err.contains("overridden"), "{err}");
}
