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

#[test]
fn interpreters_sharing_one_prepared_graph_run_on_threads_and_agree() {
    for name in ["cnn_int8", "mlp_int8", "mlp_float", "golden/lstm_basic"] {
        let m = model(name);
        let mut a = Interpreter::new(&m).unwrap();
        let mut b = a.share().unwrap();
        // One prepared graph (kernels, widened weights, folded constants), two arenas.
        assert!(std::sync::Arc::ptr_eq(a.prepared(), b.prepared()), "{name}");
        assert_eq!(std::sync::Arc::strong_count(a.prepared()), 2, "{name}");
        assert_eq!(a.memory_bytes(), b.memory_bytes(), "{name}");
        assert_eq!(
            a.memory_bytes(),
            a.prepared().memory_bytes() + (a.arena_size() + a.state_size()) as u64,
            "{name}: only the arena and the state are per interpreter"
        );
        // Sequential reference: a third interpreter, fresh, on each input.
        let mut reference = Vec::new();
        for seed in [1, 2] {
            let mut r = Interpreter::new(&m).unwrap();
            fill_inputs(&mut r, seed);
            r.invoke().unwrap();
            r.invoke().unwrap();
            reference.push(outputs(&r));
        }
        fill_inputs(&mut a, 1);
        fill_inputs(&mut b, 2);
        let (oa, ob) = std::thread::scope(|s| {
            let ta = s.spawn(|| {
                a.invoke().unwrap();
                a.invoke().unwrap();
                outputs(&a)
            });
            let tb = s.spawn(|| {
                b.invoke().unwrap();
                b.invoke().unwrap();
                outputs(&b)
            });
            (ta.join().unwrap(), tb.join().unwrap())
        });
        assert_eq!(oa, reference[0], "{name}: interpreter a");
        assert_eq!(ob, reference[1], "{name}: interpreter b (its own arena and state)");
        drop(b);
        assert_eq!(std::sync::Arc::strong_count(a.prepared()), 1, "{name}");
    }
}

#[test]
fn the_widened_weights_exist_once_for_n_interpreters() {
    // CONV_2D widens its int8 filter to i16 at prepare: part of the prepared graph's bytes.
    let m = model("cnn_int8");
    let a = Interpreter::new(&m).unwrap();
    let prepared = a.prepared().memory_bytes();
    assert!(prepared > 0, "cnn_int8 has widened weights");
    let others: Vec<Interpreter<'_>> = (0..3).map(|_| a.share().unwrap()).collect();
    assert_eq!(std::sync::Arc::strong_count(a.prepared()), 4);
    for o in &others {
        assert_eq!(o.prepared().memory_bytes(), prepared, "shared, not re-prepared");
        assert!(std::sync::Arc::ptr_eq(o.prepared(), a.prepared()));
    }
}
