//! The fuzzing harness: what the `fuzz/` targets (cargo-fuzz) and `tests/fuzz_regressions.rs`
//! run on untrusted bytes. Not part of the public API.
//!
//! Contract: every function here takes bytes and returns `Ok` or `Err`; a panic, a hang or an
//! allocation beyond the limits below is a bug in the library, never in the harness. The harness
//! itself allocates nothing whose size comes from the input except through the library (the
//! model's bytes are copied once, and the interpreter's memory budget bounds everything else).
//!
//! - [`run_model`]: bytes as a `.tflite` file → load with [`model_limits`] → everything
//!   `qlite inspect` shows → prepare with [`interpreter_options`] → fill the inputs with seeded
//!   bytes → invoke twice → read every tensor.
//! - [`run_npy`]: bytes as a `.npy` file → parse → feed it, as `qlite run` does
//!   ([`crate::runner`]), to the small fixed models of [`NPY_MODELS`], and compare the outputs with
//!   it as `qlite compare` does.
//! - [`structure`]: structure-aware mutation of seed models (semantic fields edited in place, so
//!   that the mutants still pass the flatbuffer verifier), then [`run_model`].

pub mod structure;

use std::hint::black_box;

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::interpreter::{Interpreter, InterpreterOptions};
use crate::model::{Limits, Model, OperatorCode};
use crate::npy::{self, Array};
use crate::ops::OpRegistry;
use crate::{inspect, runner};

/// The loader limits of the harness: tight, but every model of `models/` fits.
pub fn model_limits() -> Limits {
    Limits {
        max_file_size: 4 << 20,
        max_tensor_elements: 1 << 32,
        max_rank: 16,
        max_tensors: 1 << 14,
        max_operators: 1 << 14,
        max_subgraphs: 64,
        max_tables: 1 << 18,
        max_total_tensors: 1 << 16,
        max_name_bytes: 1 << 20,
        max_apparent_size_factor: 8,
    }
}

/// The interpreter options of the harness: a 4 MiB memory budget, so that anything the
/// fuzzer's `-rss_limit_mb=2048` catches is memory the interpreter took outside its budget, and
/// a work limit of 10^8 declared steps per invoke (a pooling window is an option, so a mutant can
/// ask for 10^12 window steps: legitimate work, but not a finding).
pub fn interpreter_options() -> InterpreterOptions {
    InterpreterOptions { max_memory_bytes: 4 << 20, max_work_per_invoke: 100_000_000, ..Default::default() }
}

/// The models [`run_npy`] feeds a `.npy` to (float32 input; int8 input that a float32 array is
/// quantized for; a 4-D int8 input).
pub const NPY_MODELS: &[(&str, &[u8])] = &[
    ("mlp_float", include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/models/mlp_float.tflite"))),
    ("mlp_int8", include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/models/mlp_int8.tflite"))),
    ("cnn_int8", include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/models/cnn_int8.tflite"))),
];

/// xorshift64*: the seeded bytes that fill the inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Loads `bytes` as a model and takes it through every stage: inspect, prepare, two invokes,
/// reading every tensor. The first error ends the run (and is returned).
pub fn run_model(bytes: &[u8]) -> Result<()> {
    let model = Model::from_vec_with_limits(bytes.to_vec(), &model_limits())?;
    let registry = OpRegistry::with_builtins();
    touch_model(&model, &registry);
    let mut interp = Interpreter::with_options(&model, &registry, &interpreter_options())?;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    // Round 0: floats in [-1, 1), booleans 0/1, other types random bytes. Round 1: raw bytes
    // everywhere (NaN, infinities, subnormals, booleans other than 0/1).
    let mut result = Ok(());
    for round in 0..2 {
        fill_inputs(&mut interp, &mut rng, round == 0)?;
        let r = interp.invoke();
        touch_tensors(&interp);
        if result.is_ok() {
            result = r;
        }
    }
    result
}

/// Everything `qlite inspect` (text, `--tensors`, `--json`) reads, and the model's accessors.
fn touch_model(model: &Model, registry: &OpRegistry) {
    let can_run = |c: &OperatorCode| registry.can_run(c);
    black_box(inspect::to_json(model, &can_run).to_pretty());
    black_box(inspect::to_text(model, &can_run, true));
    black_box(inspect::to_text(model, &can_run, false));
    for (si, sg) in model.subgraphs().iter().enumerate() {
        for ti in 0..sg.tensors.len() {
            black_box(model.tensor_data(si, ti));
        }
        for op in &sg.operators {
            black_box(model.opcode(op).name());
            black_box(model.custom_options(op));
        }
    }
    for md in model.metadata() {
        black_box(model.buffer_data(md.buffer));
    }
    for b in 0..model.num_buffers() {
        black_box(model.buffer_data(b));
    }
}

fn fill_inputs(interp: &mut Interpreter<'_>, rng: &mut Rng, tame: bool) -> Result<()> {
    // A tensor may be listed as an input many times: fill each one once (the list's length comes
    // from the file; the tensor count is bounded by the loader's limits).
    let mut filled = vec![false; interp.model().main_subgraph().tensors.len()];
    for k in 0..interp.inputs().len() {
        let t = interp.inputs()[k];
        if filled.get(t).copied().unwrap_or(true) {
            continue;
        }
        filled[t] = true;
        let dtype = interp.tensor_info(t)?.dtype;
        let dst = interp.input_bytes_mut(k)?;
        match dtype {
            DType::Float32 if tame => {
                for c in dst.chunks_exact_mut(4) {
                    let v = (rng.next() >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0;
                    c.copy_from_slice(&v.to_le_bytes());
                }
            }
            DType::Bool if tame => dst.iter_mut().for_each(|b| *b = (rng.next() & 1) as u8),
            _ => {
                for c in dst.chunks_mut(8) {
                    let r = rng.next().to_le_bytes();
                    c.copy_from_slice(&r[..c.len()]);
                }
            }
        }
    }
    Ok(())
}

/// Reads every tensor's shape and every byte of every tensor, and each output.
fn touch_tensors(interp: &Interpreter<'_>) {
    let n = interp.model().main_subgraph().tensors.len();
    for t in 0..n {
        black_box(interp.tensor_shape(t).map(<[usize]>::len).ok());
        if let Ok(b) = interp.tensor_bytes(t) {
            black_box(b.iter().fold(0u8, |a, &x| a ^ x));
        }
    }
    // The outputs are tensors read above; a tensor may be listed many times, so only their
    // accessor runs here, not another read of their bytes.
    for k in 0..interp.outputs().len() {
        black_box(interp.output_bytes(k).map(<[u8]>::len).ok());
    }
}

/// Parses `bytes` as a `.npy` file (and writes it back, as `qlite run -o` writes arrays), then
/// runs it through every model of [`NPY_MODELS`] with [`run_npy_on`]. Returns the parse error,
/// or the first model's error.
pub fn run_npy(bytes: &[u8]) -> Result<()> {
    let array = npy::parse(bytes).map_err(Error::Usage)?;
    if let Ok(again) = npy::to_bytes(&array) {
        black_box(npy::parse(&again).ok());
    }
    let mut result = Ok(());
    for (_, model) in NPY_MODELS {
        let r = run_npy_on(model, &array);
        if result.is_ok() {
            result = r;
        }
    }
    result
}

/// `qlite run MODEL -i X.npy --dequantize -o DIR` (without the files), then
/// `qlite compare MODEL -i X.npy -e X.npy`, for every input of the model given `array`.
pub fn run_npy_on(model: &[u8], array: &Array) -> Result<()> {
    let model = Model::from_vec_with_limits(model.to_vec(), &model_limits())?;
    let registry = OpRegistry::with_builtins();
    let mut interp = Interpreter::with_options(&model, &registry, &interpreter_options())?;
    // One copy of the array per model input (the fixed models have one or two).
    let arrays = vec![array.clone(); interp.inputs().len()];
    let (arrays, cases, notes) = runner::prepare_inputs(&interp, arrays)?;
    black_box(notes);
    let outputs = runner::run_cases(&mut interp, &arrays, cases)?;
    for (k, out) in outputs.iter().enumerate() {
        let shown = runner::dequantize_output(&interp, k, out)?;
        black_box(npy::to_bytes(&shown).ok());
        let t = interp.outputs()[k];
        let scale = interp.tensor_info(t)?.quantization.as_ref().and_then(|q| q.scale.first().copied());
        black_box(runner::compare(out, array, scale).ok());
    }
    Ok(())
}
