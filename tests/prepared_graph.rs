//! The prepared graph: operator state (LSTM, SVDF) persists between invokes and
//! `reset_state` restores the first invoke's behaviour; scratch lives in the arena.

use qlite::{Interpreter, Model};

fn model(name: &str) -> Model {
    Model::from_file(format!("{}/models/{name}.tflite", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn fill_inputs(interp: &mut Interpreter<'_>, seed: usize) {
    for k in 0..interp.inputs().len() {
        for (i, b) in interp.input_bytes_mut(k).unwrap().iter_mut().enumerate() {
            *b = ((i + seed) * 37 % 251) as u8;
        }
    }
}

fn outputs(interp: &Interpreter<'_>) -> Vec<Vec<u8>> {
    (0..interp.outputs().len()).map(|k| interp.output_bytes(k).unwrap().to_vec()).collect()
}

#[test]
fn reset_state_makes_the_next_invoke_run_as_the_first() {
    for name in ["golden/lstm_basic", "golden/svdf_f32_rank3_batch2", "golden/svdf_i16_rank2_batch2"] {
        let m = model(name);
        let mut interp = Interpreter::new(&m).unwrap();
        assert!(interp.state_size() > 0, "{name}: the recurrent state is in the state area");
        fill_inputs(&mut interp, 1);
        interp.invoke().unwrap();
        let first = outputs(&interp);
        interp.invoke().unwrap();
        let second = outputs(&interp);
        assert_ne!(first, second, "{name}: the state carries over to the next invoke");
        interp.reset_state();
        interp.invoke().unwrap();
        assert_eq!(outputs(&interp), first, "{name}: after reset_state the invoke is the first one again");
        // A fresh interpreter agrees.
        let mut fresh = Interpreter::new(&m).unwrap();
        fill_inputs(&mut fresh, 1);
        fresh.invoke().unwrap();
        assert_eq!(outputs(&fresh), first, "{name}");
    }
}

#[test]
fn scratch_is_charged_with_the_arena() {
    let m = model("cnn_int8");
    let interp = Interpreter::new(&m).unwrap();
    assert!(interp.memory_bytes() >= (interp.arena_size() + interp.state_size()) as u64);
}
