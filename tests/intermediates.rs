//! With `preserve_all_tensors`, every tensor can be read after `invoke()` and holds what TFLite's
//! reference kernels computed for it (models/intermediates/, recorded by
//! models/make_intermediates.py with `experimental_preserve_all_tensors=True`).

mod common;

use qlite::{Interpreter, InterpreterOptions, Model, OpRegistry, npy};

#[test]
fn every_tensor_matches_tflite_after_invoke() {
    let dir = common::models_dir();
    let model = Model::from_file(dir.join("cnn_int8.tflite")).unwrap();
    let opts = InterpreterOptions { preserve_all_tensors: true, ..Default::default() };
    let mut interp = Interpreter::with_options(&model, &OpRegistry::with_builtins(), &opts).unwrap();
    let x = npy::read(&dir.join("cnn_int8.in0.npy")).unwrap();
    let n = interp.input_bytes_mut(0).unwrap().len();
    interp.input_bytes_mut(0).unwrap().copy_from_slice(&x.data[..n]);
    interp.invoke().unwrap();
    let mut checked = 0;
    for t in 0..model.main_subgraph().tensors.len() {
        let path = dir.join(format!("intermediates/cnn_int8.t{t}.npy"));
        if !path.exists() {
            continue;
        }
        let want = npy::read(&path).unwrap();
        let got = interp.tensor_bytes(t).unwrap();
        assert_eq!(got, &want.data[..], "tensor {t} ({:?})", model.main_subgraph().tensors[t].name);
        checked += 1;
    }
    println!("{checked} tensors identical");
    assert!(checked >= 12, "only {checked} tensors recorded");
}
