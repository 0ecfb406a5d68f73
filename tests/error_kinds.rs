//! Operator errors say what kind of failure they are ([`OpErrorKind`]): an operator this build
//! has no kernel for is unsupported, a malformed one an invalid model, a case TFLite refuses as
//! well is refused by TFLite, and a failure while running is a run-time one. The CLI's one-line
//! error and `inspect` report the kind.

use std::process::Command;

use qlite::tflite;
use qlite::{Error, Interpreter, Model, OpErrorKind};

fn read(path: &str) -> Vec<u8> {
    std::fs::read(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn prepare_error(bytes: Vec<u8>) -> Error {
    let model = Model::from_vec(bytes).unwrap();
    match Interpreter::new(&model) {
        Ok(_) => panic!("the model prepared"),
        Err(e) => e,
    }
}

/// The file at `path` with `patch` applied, given the verified root of the original and the
/// original bytes (that the root's slices point into).
fn patched(path: &str, patch: impl FnOnce(&mut Vec<u8>, tflite::Model<'_>, &[u8])) -> Vec<u8> {
    let orig = read(path);
    let root = tflite::root_with_opts(&Default::default(), &orig).unwrap();
    let mut b = orig.clone();
    patch(&mut b, root, &orig);
    b
}

fn offset_of(base: &[u8], part: &[u8]) -> usize {
    part.as_ptr() as usize - base.as_ptr() as usize
}

#[test]
fn an_operator_without_a_kernel_is_unsupported() {
    let e = prepare_error(read("models/custom_bessel.tflite"));
    assert_eq!(e.op_kind(), Some(OpErrorKind::Unsupported), "{e}");
    // The kind is data: the message is unchanged.
    assert_eq!(e.to_string(), "subgraph 0, operator 0 (BesselI0e): no kernel for this operator in this build");
}

#[test]
fn a_sparse_input_is_unsupported() {
    let e = prepare_error(read("fuzz/regressions/model/f9_sparse_fc_weights.tflite"));
    assert_eq!(e.op_kind(), Some(OpErrorKind::Unsupported), "{e}");
}

#[test]
fn a_fully_connected_with_one_input_is_an_invalid_model() {
    let name = "models/golden/i16mm_fc_int64bias.tflite";
    let b = patched(name, |b, root, orig| {
        let sg = root.subgraphs().unwrap().get(0);
        let ops = sg.operators().unwrap();
        let codes = root.operator_codes().unwrap();
        let fc = ops
            .iter()
            .find(|o| {
                let c = codes.get(o.opcode_index() as usize);
                c.builtin_code() == tflite::BuiltinOperator::FULLY_CONNECTED
            })
            .unwrap();
        let inputs = fc.inputs().unwrap();
        assert!(inputs.len() >= 2);
        // The vector's length prefix: one input left.
        let at = offset_of(orig, inputs.bytes()) - 4;
        b[at..at + 4].copy_from_slice(&1u32.to_le_bytes());
    });
    let e = prepare_error(b);
    match &e {
        Error::Operator { opcode, msg, kind, .. } => {
            assert_eq!(opcode, "FULLY_CONNECTED");
            assert_eq!(*kind, OpErrorKind::InvalidModel, "{e}");
            assert!(msg.contains("inputs"), "{msg}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn two_writers_of_a_tensor_are_an_invalid_model() {
    let e = prepare_error(read("fuzz/regressions/model/f1_two_writers_fc.tflite"));
    assert_eq!(e.op_kind(), Some(OpErrorKind::InvalidModel), "{e}");
}

#[test]
fn a_hard_swish_needing_a_left_shift_is_refused_by_tflite() {
    // HARD_SWISH's output multiplier (input scale / 128 / output scale) must be below 1: TFLite
    // refuses a larger one. An output scale 1000× below the input's gives one.
    let name = "models/golden/act_hard_swish_int8.tflite";
    let b = patched(name, |b, root, orig| {
        let sg = root.subgraphs().unwrap().get(0);
        let tensors = sg.tensors().unwrap();
        let t_in = tensors.get(sg.inputs().unwrap().get(0) as usize);
        let t_out = tensors.get(sg.outputs().unwrap().get(0) as usize);
        let s_in = t_in.quantization().unwrap().scale().unwrap().get(0);
        let scale = t_out.quantization().unwrap().scale().unwrap();
        let at = offset_of(orig, scale.bytes());
        b[at..at + 4].copy_from_slice(&(s_in / 1000.0).to_le_bytes());
    });
    let e = prepare_error(b);
    assert_eq!(e.op_kind(), Some(OpErrorKind::RefusedByTflite), "{e}");
    assert!(e.to_string().contains("HARD_SWISH"), "{e}");
}

#[test]
fn an_int8_division_by_zero_is_a_runtime_error() {
    let model = Model::from_vec(read("models/golden/div_int8.tflite")).unwrap();
    let mut interp = Interpreter::new(&model).unwrap();
    let t = interp.inputs()[1];
    let zp = interp.tensor_info(t).unwrap().quantization.as_ref().unwrap().zero_point[0] as i8;
    interp.input_mut::<i8>(1).unwrap().fill(zp);
    let e = interp.invoke().unwrap_err();
    assert_eq!(e.op_kind(), Some(OpErrorKind::Runtime), "{e}");
    assert!(e.to_string().contains("division by zero"), "{e}");
}

#[test]
fn other_errors_have_no_operator_kind() {
    let model = Model::from_vec(read("models/golden/div_int8.tflite")).unwrap();
    let interp = Interpreter::new(&model).unwrap();
    let e = interp.output_bytes(7).unwrap_err();
    assert!(matches!(e, Error::Usage(_)), "{e:?}");
    assert_eq!(e.op_kind(), None);
}

#[test]
fn the_cli_error_line_and_inspect_report_the_kind() {
    let model = format!("{}/models/custom_bessel.tflite", env!("CARGO_MANIFEST_DIR"));
    let out =
        Command::new(env!("CARGO_BIN_EXE_qlite")).args(["bench", "-n", "1", "--warmup", "0", &model]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err.trim_end();
    assert!(line.starts_with("error: "), "{line}");
    assert!(line.contains("subgraph 0, operator 0 (BesselI0e): no kernel for this operator"), "{line}");
    assert!(line.ends_with(" [unsupported]"), "{line}");

    let out = Command::new(env!("CARGO_BIN_EXE_qlite")).args(["inspect", "--json", &model]).output().unwrap();
    assert!(out.status.success());
    let json = String::from_utf8_lossy(&out.stdout);
    let compact: String = json.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        compact.contains(r#""prepare_error": { "subgraph": 0, "op": 0, "opcode": "BesselI0e", "kind": "unsupported""#),
        "{compact}"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_qlite")).args(["inspect", &model]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("prepare: fails at operator 0 (BesselI0e) [unsupported]: no kernel"), "{text}");

    let ok = format!("{}/models/golden/div_int8.tflite", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(env!("CARGO_BIN_EXE_qlite")).args(["inspect", "--json", &ok]).output().unwrap();
    let json = String::from_utf8_lossy(&out.stdout);
    assert!(json.contains(r#""prepare_error": null"#), "{json}");
}

#[test]
fn a_kernel_that_needs_more_memory_than_the_budget_is_over_limit() {
    // Fuzz finding F8: three BATCH_MATMULs with adj_x on one [1, 32768, 32768] input.
    let e = prepare_error(read("fuzz/regressions/model/f8_bmm_adjx_3x4GiB.tflite"));
    assert_eq!(e.op_kind(), Some(OpErrorKind::OverLimit), "{e}");
    assert!(e.to_string().contains("over the limit of 4294967296"), "{e}");
}
