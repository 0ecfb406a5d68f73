//! Loader: validation errors name what is wrong and where; weights are borrowed, not copied;
//! limits are enforced.

mod common;

use common::{model_files, models_dir};
use qlite::tflite;
use qlite::{Error, Limits, Model};

fn read(name: &str) -> Vec<u8> {
    std::fs::read(models_dir().join(name)).unwrap()
}

/// Offset in `base` of the value of `field` (a vtable offset) of `table`.
fn field_pos(base: &[u8], table: &flatbuffers::Table<'_>, field: u16) -> usize {
    let o = table.vtable().get(field) as usize;
    assert!(o != 0, "field {field} absent");
    let _ = base;
    table.loc() + o
}

fn offset_of(base: &[u8], part: &[u8]) -> usize {
    part.as_ptr() as usize - base.as_ptr() as usize
}

/// Applies `patch` to a copy of `name` (given the verified root of the original) and loads it.
fn patched(name: &str, patch: impl FnOnce(&mut Vec<u8>, tflite::Model<'_>)) -> Result<Model, Error> {
    let orig = read(name);
    let root = tflite::root_with_opts(&Default::default(), &orig).unwrap();
    let mut b = orig.clone();
    patch(&mut b, root);
    Model::from_vec(b)
}

fn first_quantized_tensor(root: tflite::Model<'_>) -> (usize, tflite::Tensor<'_>) {
    let sg = root.subgraphs().unwrap().get(0);
    sg.tensors()
        .unwrap()
        .iter()
        .enumerate()
        .find(|(_, t)| t.type_() == tflite::TensorType::INT8 && t.quantization().and_then(|q| q.scale()).is_some())
        .unwrap()
}

fn expect_tensor_err(r: Result<Model, Error>, tensor: usize, needle: &str) {
    match r {
        Err(Error::Tensor { subgraph: 0, tensor: t, msg, .. }) => {
            assert_eq!(t, tensor);
            assert!(msg.contains(needle), "{msg:?} should mention {needle:?}");
        }
        other => panic!("expected a tensor error, got {other:?}"),
    }
}

#[test]
fn every_model_loads_and_borrows_its_weights() {
    let mut total_constants = 0;
    for path in model_files() {
        let m = Model::from_file(&path).unwrap();
        let file = m.bytes().as_ptr_range();
        let mut constants = 0;
        for (si, sg) in m.subgraphs().iter().enumerate() {
            for (ti, t) in sg.tensors.iter().enumerate() {
                if let Some(d) = m.tensor_data(si, ti) {
                    // The slice points into the mapped file: no copy was made.
                    assert!(
                        file.contains(&d.as_ptr()) && d.as_ptr_range().end <= file.end,
                        "{}: tensor {ti} copied",
                        path.display()
                    );
                    assert!(t.is_constant());
                    constants += 1;
                }
            }
        }
        total_constants += constants;
    }
    assert!(total_constants > 0);
}

#[test]
fn nan_and_zero_scales_are_rejected() {
    for bad in [f32::NAN, 0.0, -1.0, f32::INFINITY] {
        let mut idx = 0;
        let r = patched("mlp_int8.tflite", |b, root| {
            let (i, t) = first_quantized_tensor(root);
            idx = i;
            let at = offset_of(root._tab.buf(), t.quantization().unwrap().scale().unwrap().bytes());
            b[at..at + 4].copy_from_slice(&bad.to_le_bytes());
        });
        expect_tensor_err(r, idx, "scale");
    }
}

#[test]
fn a_zero_scale_is_accepted_on_constant_tensors_only() {
    // TensorFlow's int16x8 converter writes scale 0 for an all-zero weight channel; TFLite runs
    // such models. A zero scale on a constant (weight) tensor loads and runs; NaN or negative
    // scales there, and a zero scale on an activation, are still errors.
    let orig = Model::from_file(models_dir().join("mlp_int8.tflite")).unwrap();
    let sg = orig.main_subgraph();
    let weight = (0..sg.tensors.len())
        .find(|&i| sg.tensors[i].is_constant() && sg.tensors[i].dtype == qlite::DType::Int8)
        .unwrap();
    let activation =
        (0..sg.tensors.len()).find(|&i| !sg.tensors[i].is_constant() && sg.tensors[i].quantization.is_some()).unwrap();
    let patch_scale = |tensor: usize, v: f32| {
        patched("mlp_int8.tflite", |b, root| {
            let t = root.subgraphs().unwrap().get(0).tensors().unwrap().get(tensor);
            let at = offset_of(root._tab.buf(), t.quantization().unwrap().scale().unwrap().bytes());
            b[at..at + 4].copy_from_slice(&v.to_le_bytes());
        })
    };
    let m = patch_scale(weight, 0.0).unwrap();
    assert_eq!(m.main_subgraph().tensors[weight].quantization.as_ref().unwrap().scale[0], 0.0);
    let mut interp = qlite::Interpreter::new(&m).unwrap();
    interp.invoke().unwrap();
    for bad in [f32::NAN, -1.0] {
        expect_tensor_err(patch_scale(weight, bad), weight, "scale");
    }
    expect_tensor_err(patch_scale(activation, 0.0), activation, "scale");
}

#[test]
fn zero_point_outside_the_type_is_rejected() {
    let mut idx = 0;
    let r = patched("mlp_int8.tflite", |b, root| {
        let (i, t) = first_quantized_tensor(root);
        idx = i;
        let at = offset_of(root._tab.buf(), t.quantization().unwrap().zero_point().unwrap().bytes());
        b[at..at + 8].copy_from_slice(&200i64.to_le_bytes());
    });
    expect_tensor_err(r, idx, "zero_point");
}

#[test]
fn buffer_index_out_of_range_is_rejected() {
    let mut idx = 0;
    let r = patched("mlp_int8.tflite", |b, root| {
        let (i, t) = first_quantized_tensor(root);
        idx = i;
        let at = field_pos(root._tab.buf(), &t._tab, tflite::Tensor::VT_BUFFER);
        b[at..at + 4].copy_from_slice(&100_000u32.to_le_bytes());
    });
    expect_tensor_err(r, idx, "buffer 100000 out of range");
}

#[test]
fn constant_buffer_shorter_than_its_shape_is_rejected() {
    let orig = read("mlp_int8.tflite");
    let root = tflite::root_with_opts(&Default::default(), &orig).unwrap();
    let m = Model::from_bytes(&orig).unwrap();
    let (ti, _) = m
        .main_subgraph()
        .tensors
        .iter()
        .enumerate()
        .find(|(i, t)| t.shape.len() == 2 && m.tensor_data(0, *i).is_some())
        .unwrap();
    let t = root.subgraphs().unwrap().get(0).tensors().unwrap().get(ti);
    let at = offset_of(&orig, t.shape().unwrap().bytes());
    let mut b = orig.clone();
    let d0 = i32::from_le_bytes(b[at..at + 4].try_into().unwrap());
    b[at..at + 4].copy_from_slice(&(d0 + 1).to_le_bytes());
    expect_tensor_err(Model::from_vec(b.clone()), ti, "needs");
    b[at..at + 4].copy_from_slice(&(-5i32).to_le_bytes());
    expect_tensor_err(Model::from_vec(b), ti, "negative dimension");
}

#[test]
fn per_channel_count_must_match_the_quantized_dimension() {
    // cnn_int8's convolution filter is per-channel along axis 0: swap its first two dimensions
    // (same element count, so the buffer still fits) and the scales no longer match axis 0.
    let orig = read("cnn_int8.tflite");
    let root = tflite::root_with_opts(&Default::default(), &orig).unwrap();
    let (ti, t) = root
        .subgraphs()
        .unwrap()
        .get(0)
        .tensors()
        .unwrap()
        .iter()
        .enumerate()
        .find(|(_, t)| {
            t.quantization().and_then(|q| q.scale()).is_some_and(|s| s.len() > 1) && t.shape().unwrap().len() == 4
        })
        .unwrap();
    let shape: Vec<i32> = t.shape().unwrap().iter().collect();
    assert_ne!(shape[0], shape[1]);
    let at = offset_of(&orig, t.shape().unwrap().bytes());
    let mut b = orig.clone();
    b[at..at + 4].copy_from_slice(&shape[1].to_le_bytes());
    b[at + 4..at + 8].copy_from_slice(&shape[0].to_le_bytes());
    expect_tensor_err(Model::from_vec(b), ti, "per-channel scales");
}

#[test]
fn operator_indices_are_checked() {
    let orig = read("mlp_int8.tflite");
    let root = tflite::root_with_opts(&Default::default(), &orig).unwrap();
    let op = root.subgraphs().unwrap().get(0).operators().unwrap().get(1);
    let cnn = read("cnn_int8.tflite");
    let cnn_root = tflite::root_with_opts(&Default::default(), &cnn).unwrap();
    let (oi, cop) = cnn_root
        .subgraphs()
        .unwrap()
        .get(0)
        .operators()
        .unwrap()
        .iter()
        .enumerate()
        .find(|(_, o)| o.opcode_index() > 0)
        .unwrap();
    let mut b = orig.clone();
    let at = offset_of(&orig, op.inputs().unwrap().bytes());
    b[at..at + 4].copy_from_slice(&77i32.to_le_bytes());
    match Model::from_vec(b) {
        Err(Error::Operator { subgraph: 0, op: 1, opcode, msg, kind: qlite::OpErrorKind::InvalidModel }) => {
            assert_eq!(opcode, "FULLY_CONNECTED");
            assert!(msg.contains("input tensor 77 out of range"), "{msg}");
        }
        other => panic!("{other:?}"),
    }
    let mut b = cnn.clone();
    let at = field_pos(&cnn, &cop._tab, tflite::Operator::VT_OPCODE_INDEX);
    b[at..at + 4].copy_from_slice(&99u32.to_le_bytes());
    match Model::from_vec(b) {
        Err(Error::Operator { op, msg, .. }) if op == oi => {
            assert!(msg.contains("opcode index 99 out of range"), "{msg}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn limits_are_enforced() {
    let path = models_dir().join("mlp_int8.tflite");
    let len = std::fs::metadata(&path).unwrap().len();
    let lim = |f: fn(&mut Limits)| {
        let mut l = Limits::default();
        f(&mut l);
        Model::from_file_with_limits(&path, &l)
    };
    assert!(matches!(lim(|l| l.max_file_size = 100), Err(Error::Limit { value, limit: 100, .. }) if value == len));
    assert!(matches!(lim(|l| l.max_tensors = 3), Err(Error::Limit { limit: 3, .. })));
    assert!(matches!(lim(|l| l.max_operators = 2), Err(Error::Limit { value: 3, limit: 2, .. })));
    assert!(matches!(lim(|l| l.max_rank = 1), Err(Error::Tensor { .. })));
    assert!(matches!(lim(|l| l.max_tensor_elements = 10), Err(Error::Tensor { .. })));
    assert!(matches!(lim(|l| l.max_tables = 5), Err(Error::Flatbuffer(_))));
    assert!(lim(|_| ()).is_ok());
}

#[test]
fn opcodes_use_the_larger_of_the_two_codes() {
    let m = Model::from_file(models_dir().join("cnn_int8.tflite")).unwrap();
    let names: Vec<String> = m.operator_codes().iter().map(|c| c.name()).collect();
    for n in ["CONV_2D", "MAX_POOL_2D", "SHAPE", "STRIDED_SLICE", "PACK", "RESHAPE", "FULLY_CONNECTED"] {
        assert!(names.iter().any(|x| x == n), "{n} missing from {names:?}");
    }
    // Options decode through the verified table.
    let sg = m.main_subgraph();
    let conv = sg.operators.iter().find(|o| m.opcode(o).builtin == tflite::BuiltinOperator::CONV_2D).unwrap();
    let opts = m.operator_table(conv).builtin_options_as::<tflite::Conv2DOptions>().unwrap();
    assert!(opts.stride_w() >= 1 && opts.stride_h() >= 1);
    assert!(m.operator_table(conv).builtin_options_as::<tflite::Pool2DOptions>().is_none());
}

#[test]
fn models_are_shared_across_threads() {
    fn send<T: Send>() {}
    fn sync<T: Sync>() {}
    send::<Model>();
    sync::<Model>();
    send::<qlite::Interpreter<'static>>();
    let model = Model::from_file(models_dir().join("mlp_int8.tflite")).unwrap();
    let run = |seed: i8| {
        let mut it = qlite::Interpreter::new(&model).unwrap();
        for (i, v) in it.input_mut::<i8>(0).unwrap().iter_mut().enumerate() {
            *v = (i as i8).wrapping_mul(seed);
        }
        it.invoke().unwrap();
        it.output::<i8>(0).unwrap().to_vec()
    };
    let single = run(7);
    let threaded: Vec<Vec<i8>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4).map(|_| s.spawn(|| run(7))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(threaded.iter().all(|o| *o == single));
}
