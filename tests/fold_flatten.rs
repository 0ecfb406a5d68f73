//! Keras `Flatten` on a dynamic batch lowers to SHAPE → STRIDED_SLICE → PACK → RESHAPE. qlite
//! folds the shape arithmetic at prepare time, so only RESHAPE runs per invoke. Checked on
//! models/cnn_int8.tflite with stand-in CONV_2D / MAX_POOL_2D kernels (zeros of the file's output
//! shape), so this test does not depend on the convolution kernels.

use std::sync::Arc;

use qlite::ops::{Inputs, Kernel, Outputs, PrepareContext, Scratch};
use qlite::{Interpreter, Model, OpRegistry, tflite};

mod common;

struct Zeros;

impl Kernel for Zeros {
    fn eval(&self, _: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> qlite::Result<()> {
        outputs.bytes(0).fill(0);
        Ok(())
    }
}

fn stand_in<'m>(ctx: &mut PrepareContext<'_, 'm>) -> qlite::Result<Box<dyn Kernel + 'm>> {
    let shape = ctx.output(0)?.shape.clone();
    ctx.set_output_shape(0, shape)?;
    Ok(Box::new(Zeros))
}

#[test]
fn cnn_flatten_shape_ops_fold_at_prepare() {
    let m = Model::from_file(common::models_dir().join("cnn_int8.tflite")).unwrap();
    let mut reg = OpRegistry::with_builtins();
    reg.add_builtin(tflite::BuiltinOperator::CONV_2D, Arc::new(stand_in));
    reg.add_builtin(tflite::BuiltinOperator::MAX_POOL_2D, Arc::new(stand_in));
    let mut interp = Interpreter::with_registry(&m, &reg).unwrap();
    // CONV_2D, MAX_POOL_2D, RESHAPE, FULLY_CONNECTED ×2 run; SHAPE, STRIDED_SLICE, PACK fold.
    assert_eq!(interp.num_steps(), 5);
    let sg = m.main_subgraph();
    let pack = sg.operators.iter().find(|op| m.opcode(op).builtin == tflite::BuiltinOperator::PACK).unwrap();
    let shape_tensor = pack.outputs[0].unwrap();
    let pool_out = &sg.tensors[sg.operators[1].outputs[0].unwrap()];
    let flat: i32 = pool_out.shape[1..].iter().product::<usize>() as i32;
    assert_eq!(interp.tensor::<i32>(shape_tensor).unwrap(), &[1, flat]);
    interp.invoke().unwrap();
    let fc_in = sg.operators[5].outputs[0].unwrap();
    assert_eq!(interp.tensor_shape(fc_in).unwrap(), &[1, flat as usize]);
}
