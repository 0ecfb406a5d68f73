//! Quantization modes: `qlite::inspect::quantization_mode` names the mode of each network of
//! `models/golden/net_*` (converted from the same Keras networks by `models/make_nets.py` in
//! every mode TensorFlow's converter offers), and float16 weights are dequantized once, at
//! prepare time: their DEQUANTIZE operators are folded and never run per invoke.

mod common;

use qlite::{Interpreter, Model, tflite};

fn golden(name: &str) -> Model {
    Model::from_file(common::models_dir().join("golden").join(format!("{name}.tflite"))).unwrap()
}

#[test]
fn each_network_reports_its_conversion_mode() {
    let cases = [
        ("net_mobilenetv2", "int8"),
        ("net_mobilenetv2_pertensor", "int8"),
        ("net_mobilenetv2_float", "float32"),
        ("net_mobilenetv2_float16", "float16"),
        ("net_mobilenetv2_dynamic", "dynamic-range"),
        ("net_mobilenetv2_int16", "int16x8"),
        ("net_mobilenetv2_uint8", "uint8"),
        ("net_branching", "int8"),
        ("net_branching_float", "float32"),
        ("net_branching_float16", "float16"),
    ];
    for (name, mode) in cases {
        assert_eq!(qlite::inspect::quantization_mode(&golden(name)), mode, "{name}");
    }
    // int8 with float inputs/outputs (QUANTIZE/DEQUANTIZE at the edges) is still int8
    let m = Model::from_file(common::models_dir().join("mlp_int8_floatio.tflite")).unwrap();
    assert_eq!(qlite::inspect::quantization_mode(&m), "int8");
}

#[test]
fn float16_weights_are_dequantized_at_prepare() {
    for name in ["net_mobilenetv2_float16", "net_branching_float16"] {
        let m = golden(name);
        let sg = m.main_subgraph();
        let dequantize =
            sg.operators.iter().filter(|op| m.opcode(op).builtin == tflite::BuiltinOperator::DEQUANTIZE).count();
        assert!(dequantize >= 10, "{name}: {dequantize} DEQUANTIZE operators");
        let interp = Interpreter::new(&m).unwrap();
        // every DEQUANTIZE reads a float16 constant: all fold, the rest run
        assert_eq!(interp.num_steps(), sg.operators.len() - dequantize, "{name}");
    }
}
