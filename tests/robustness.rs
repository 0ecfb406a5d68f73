//! Regression tests for the loader and interpreter findings of the fuzzing campaign
//! (`fuzz/regressions/model/`, analysis in the project's fuzz findings): each file or edited model
//! must give the specific `Err` named here, never a panic, a hang or an unbounded allocation.

use qlite::{Error, Interpreter, InterpreterOptions, Model, OpRegistry};

fn regression(name: &str) -> Vec<u8> {
    let path = format!("{}/fuzz/regressions/model/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn prepare_error(name: &str) -> String {
    let model = Model::from_bytes(&regression(name)).expect("the file loads; the interpreter refuses it");
    let opts = InterpreterOptions { max_memory_bytes: 64 << 20, ..Default::default() };
    match Interpreter::with_options(&model, &OpRegistry::with_builtins(), &opts) {
        Ok(_) => panic!("{name}: prepared, expected an error"),
        Err(e) => e.to_string(),
    }
}

/// F1: a tensor written by two operators: the second resized it under the first's consumers.
#[test]
fn a_tensor_with_two_producers_is_refused() {
    let e = prepare_error("f1_two_writers_fc.tflite");
    assert!(e.contains("operator 1 (FULLY_CONNECTED): output 0 (tensor 3) is also written by operator 0"), "{e}");
    let e = prepare_error("f1_fuzz_keyword_scrambled_svdf199.tflite");
    assert!(e.contains("(SVDF): output 0 (tensor 0) is also written by operator 0"), "{e}");
}

/// F1: a tensor read by an operator before the operator that writes it (with another shape).
#[test]
fn a_tensor_read_before_its_producer_is_refused() {
    let e = prepare_error("f1_read_then_reshaped_fc.tflite");
    assert!(e.contains("operator 0 (FULLY_CONNECTED): input 0 (tensor 1) is read before operator 1 writes it"), "{e}");
    let e = prepare_error("f1_fuzz_net_branching_reordered_pooling106.tflite");
    assert!(e.contains("is read before operator"), "{e}");
}

/// F9: sparse constants were read as dense; they are refused until they are densified.
#[test]
fn a_sparse_weight_tensor_is_refused_not_read_as_dense() {
    let e = prepare_error("f9_sparse_fc_weights.tflite");
    assert!(e.contains("input 1 (tensor 1) is a sparse tensor"), "{e}");
}

/// Empty outputs with huge other dimensions: the operator has nothing to compute and does not run
/// (its loops over ~10^15 empty iterations used to survive only because the optimizer removed them).
#[test]
fn an_operator_whose_outputs_are_empty_does_not_run() {
    let model = Model::from_bytes(&regression("empty_output_huge_dims_avgpool.tflite")).unwrap();
    let mut interp = Interpreter::new(&model).unwrap();
    assert_eq!(interp.num_steps(), 0, "the AVERAGE_POOL_2D with an empty output is not a step");
    interp.invoke().unwrap();
    assert!(interp.output_bytes(0).unwrap().is_empty());
}

/// The byte positions of operator 0's `builtin_options_type` and `builtin_options` fields.
fn options_fields(model: &Model) -> (usize, usize) {
    let op = &model.main_subgraph().operators[0];
    let tab = model.operator_table(op)._tab;
    let vt = tab.vtable();
    let ty = tab.loc() + vt.get(qlite::tflite::Operator::VT_BUILTIN_OPTIONS_TYPE) as usize;
    let val = tab.loc() + vt.get(qlite::tflite::Operator::VT_BUILTIN_OPTIONS) as usize;
    assert!(ty > tab.loc() && val > tab.loc(), "operator 0 has builtin options");
    (ty, val)
}

/// F12: an operator whose builtin options are of a union type this schema does not know. The
/// verifier used to skip the value, and the public raw accessor then followed an unverified
/// table (a panic on a corrupt one). Now the value is verified as a table: a valid one loads (a
/// newer converter's options stay readable), a corrupt one is a load error.
#[test]
fn options_of_an_unknown_union_type_are_verified_as_a_table() {
    let path = format!("{}/models/mlp_float.tflite", env!("CARGO_MANIFEST_DIR"));
    let mut bytes = std::fs::read(path).unwrap();
    let (ty, val) = options_fields(&Model::from_bytes(&bytes).unwrap());
    bytes[ty] = 250; // no BuiltinOptions member has this value
    let model = Model::from_bytes(&bytes).expect("a well-formed table of an unknown type loads");
    let op = &model.main_subgraph().operators[0];
    let table = model.operator_table(op).builtin_options().expect("the options table is there");
    assert!(table.vtable().num_fields() > 0);

    // Now corrupt that table's vtable offset so the vtable lies outside the file.
    let target = val + u32::from_le_bytes(bytes[val..val + 4].try_into().unwrap()) as usize;
    bytes[target..target + 4].copy_from_slice(&i32::MIN.to_le_bytes());
    match Model::from_bytes(&bytes) {
        Err(Error::Flatbuffer(msg)) => assert!(msg.contains("BuiltinOptions::unknown"), "{msg}"),
        other => panic!("expected a flatbuffer error, got {other:?}"),
    }
}

/// F4: one tensor table referenced many times. The verifier reads at most
/// `max_apparent_size_factor` times the file; a converter's model reads less than twice its size.
#[test]
fn every_committed_model_reads_less_than_twice_its_size() {
    let limits = qlite::Limits { max_apparent_size_factor: 2, ..Default::default() };
    let dirs = ["models", "models/golden"];
    let mut n = 0;
    for d in dirs {
        for entry in std::fs::read_dir(format!("{}/{d}", env!("CARGO_MANIFEST_DIR"))).unwrap() {
            let p = entry.unwrap().path();
            if p.extension().is_some_and(|e| e == "tflite") {
                Model::from_vec_with_limits(std::fs::read(&p).unwrap(), &limits)
                    .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
                n += 1;
            }
        }
    }
    assert!(n > 200, "{n} models");
}

/// A pooling window is an option, not a tensor: a fuzzer mutant of an 848-byte model pools a
/// [1, 5, 9734, 3] input with a 3x41987 window (430 M window steps, 11 s under the fuzzer). It
/// runs by default, as in TFLite; `max_work_per_invoke` refuses it at prepare.
#[test]
fn pooling_work_is_declared_and_bounded_by_max_work_per_invoke() {
    let model = Model::from_bytes(&regression("pool_window_41987_wide_timeout-30842d5d.tflite")).unwrap();
    let interp = Interpreter::new(&model).unwrap();
    let work = interp.work_per_invoke();
    assert_eq!(work, 4867 * 3 * 3 * 9734, "out 1x1x4867x3 cells, window clipped to 3x9734");
    let opts = InterpreterOptions { max_work_per_invoke: work - 1, ..Default::default() };
    match Interpreter::with_options(&model, &OpRegistry::with_builtins(), &opts) {
        Err(e) => {
            assert_eq!(e.op_kind(), Some(qlite::OpErrorKind::OverLimit), "{e}");
            assert!(e.to_string().contains("pooling window cells"), "{e}");
        }
        Ok(_) => panic!("prepared over the work limit"),
    }
    let opts = InterpreterOptions { max_work_per_invoke: work, ..Default::default() };
    assert!(Interpreter::with_options(&model, &OpRegistry::with_builtins(), &opts).is_ok());
}

/// A structure-aware fuzzer mutant of the golden LSTM (3.2 KB) runs 3 x 65535 time steps: 0.5 s
/// per invoke in release, 10 s under the instrumented fuzzer. Its work is declared at prepare.
#[test]
fn lstm_work_is_declared_and_bounded_by_max_work_per_invoke() {
    let model = Model::from_bytes(&regression("lstm_196k_steps_slow-unit-78ab7bb3.tflite")).unwrap();
    let work = Interpreter::new(&model).unwrap().work_per_invoke();
    assert!(work > 100_000_000, "{work}: over the fuzzing harness's limit");
    let opts = InterpreterOptions { max_work_per_invoke: 100_000_000, ..Default::default() };
    match Interpreter::with_options(&model, &OpRegistry::with_builtins(), &opts) {
        Err(e) => assert!(e.to_string().contains("LSTM steps"), "{e}"),
        Ok(_) => panic!("prepared over the work limit"),
    }
}

/// A fuzzer mutant (560 bytes): an int16 power-of-two SUB whose input scale is 2^94 times its
/// output's. gemmlowp's RoundingDivideByPOT takes exponents 0..=31 (a debug assertion fired in
/// debug builds); TFLite's result is undefined there, so qlite refuses it at prepare.
#[test]
fn an_int16_power_of_two_shift_beyond_31_is_refused() {
    let e = prepare_error("add_int16_pot_shift_over_31_crash-8466bcb8.tflite");
    assert!(e.contains("(SUB): power-of-two int16 path: input shifts -94 and 0"), "{e}");
}

/// Work is declared per operator at prepare. cnn_int8 (batch 1), by hand: CONV_2D 10×10×4
/// outputs × 3×3×1 taps = 3600, MAX_POOL_2D 5×5×4 outputs × 2×2 window = 400,
/// FULLY_CONNECTED 16×100 = 1600 and 3×16 = 48.
#[test]
fn declared_work_of_a_small_cnn_is_its_multiply_adds_and_window_cells() {
    let path = format!("{}/models/cnn_int8.tflite", env!("CARGO_MANIFEST_DIR"));
    let model = Model::from_file(path).unwrap();
    assert_eq!(Interpreter::new(&model).unwrap().work_per_invoke(), 3600 + 400 + 1600 + 48);
}
