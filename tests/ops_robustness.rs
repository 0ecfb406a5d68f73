//! Kernel-side regressions of the fuzzing findings (`fuzz/regressions/model/`): every file gives
//! an `Err` at prepare or at invoke (or runs), never a panic, an abort, a hang, or an allocation
//! beyond the memory budget.
//!
//! - F1: a kernel's prepare-time geometry disagrees with the buffers it gets at invoke
//!   (FULLY_CONNECTED, SVDF, pooling): the kernel's length checks turn it into an `Err`.
//! - F8: scratch sized from activation shapes is charged to the memory budget before it is
//!   allocated: an error mentioning memory, with a small peak RSS.
//! - F10: FULLY_CONNECTED with `keep_num_dims` and an input whose last dimension is not the
//!   weights' depth is rejected at prepare, like TFLite does.
//! - Empty outputs with huge other dimensions return at once.

use std::path::PathBuf;

use qlite::{Error, Interpreter, InterpreterOptions, Model, OpRegistry};

fn file(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions/model").join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// What happened to a file: the error at prepare, or the result of one invoke.
enum Outcome {
    Load(Error),
    Prepare(Error),
    Invoke(qlite::Result<()>),
}

fn run(name: &str) -> Outcome {
    let bytes = file(name);
    let out = run_inner(name, &bytes);
    match &out {
        Outcome::Load(e) => eprintln!("{name}: load: {e}"),
        Outcome::Prepare(e) => eprintln!("{name}: prepare: {e}"),
        Outcome::Invoke(r) => eprintln!("{name}: invoke: {r:?}"),
    }
    out
}

fn run_inner(name: &str, bytes: &[u8]) -> Outcome {
    let model = match Model::from_bytes(bytes) {
        Ok(m) => m,
        Err(e) => return Outcome::Load(e),
    };
    let opts = InterpreterOptions { max_memory_bytes: 64 << 20, ..Default::default() };
    match Interpreter::with_options(&model, &OpRegistry::with_builtins(), &opts) {
        Err(e) => Outcome::Prepare(e),
        Ok(mut interp) => {
            // The inputs keep the arena's zeros: the values do not matter here.
            let first = interp.invoke();
            // A second invoke must behave the same (kernels keep scratch between invokes).
            let second = interp.invoke();
            assert_eq!(first.is_ok(), second.is_ok(), "{name}: invokes disagree");
            Outcome::Invoke(first)
        }
    }
}

/// Peak resident set of this process, in bytes (`VmHWM`).
fn peak_rss() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

// ---- F1: prepare-time geometry vs. invoke-time buffers --------------------------------------

/// The interpreter may reject these files itself (two producers, read before write); if it
/// does not, the kernel must return an error at invoke.
fn f1(name: &str) {
    match run(name) {
        Outcome::Load(e) | Outcome::Prepare(e) => assert!(!e.to_string().is_empty(), "{name}"),
        Outcome::Invoke(Ok(())) => {}
        Outcome::Invoke(Err(e)) => {
            let msg = e.to_string();
            assert!(msg.contains("elements") || msg.contains("expected"), "{name}: {msg}");
        }
    }
}

#[test]
fn f1_two_writers_fc() {
    f1("f1_two_writers_fc.tflite");
}

#[test]
fn f1_read_then_reshaped_fc() {
    f1("f1_read_then_reshaped_fc.tflite");
}

#[test]
fn f1_fuzz_mlp_float_fc() {
    f1("f1_fuzz_mlp_float_fc179.tflite");
}

#[test]
fn f1_fuzz_hello_world_int8_fc() {
    f1("f1_fuzz_hello_world_int8_fc97.tflite");
}

#[test]
fn f1_fuzz_keyword_scrambled_svdf() {
    f1("f1_fuzz_keyword_scrambled_svdf199.tflite");
}

#[test]
fn f1_fuzz_net_branching_reordered_pooling() {
    f1("f1_fuzz_net_branching_reordered_pooling106.tflite");
}

#[test]
fn f1_fuzz_maxpool_uint8_cycle_pooling() {
    f1("f1_fuzz_maxpool_uint8_cycle_pooling106.tflite");
}

// ---- F10: keep_num_dims with the input's last dimension ≠ the weights' depth ----------------

fn f10(name: &str) {
    match run(name) {
        Outcome::Prepare(Error::Operator { opcode, msg, .. }) => {
            assert_eq!(opcode, "FULLY_CONNECTED", "{name}: {msg}");
            assert!(msg.contains("keep_num_dims") && msg.contains("depth"), "{name}: {msg}");
        }
        Outcome::Prepare(e) | Outcome::Load(e) => panic!("{name}: unexpected error {e}"),
        Outcome::Invoke(r) => panic!("{name}: prepared, invoke gave {r:?}"),
    }
}

#[test]
fn f10_fc_keep_num_dims_depth_mismatch() {
    f10("f10_fc_keep_num_dims_depth_mismatch.tflite");
}

#[test]
fn f10_fuzz_fc_int16_keep_num_dims() {
    f10("f10_fuzz_fc_int16_keep_num_dims_fc145.tflite");
}

// ---- F8: scratch sized from activation shapes is charged before it is allocated ------------

/// The memory budget (64 MiB) refuses the file at prepare, when the kernel charges `what`
/// (before allocating it, and before the arena is charged), and the process never held much
/// more than that.
fn f8(name: &str, opcode_want: &str, what: &str) {
    match run(name) {
        Outcome::Prepare(e) => {
            let msg = e.to_string();
            let Error::Operator { opcode, .. } = &e else { panic!("{name}: not an operator error: {msg}") };
            assert_eq!(opcode, opcode_want, "{name}: {msg}");
            assert!(msg.contains(&format!("memory for {what}")), "{name}: {msg}");
            assert!(msg.contains("over the limit of 67108864"), "{name}: {msg}");
        }
        Outcome::Load(e) => panic!("{name}: unexpected load error {e}"),
        Outcome::Invoke(r) => panic!("{name}: prepared under a 64 MiB budget, invoke gave {r:?}"),
    }
    let peak = peak_rss();
    assert!(peak < 1 << 30, "{name}: peak RSS {peak} bytes");
}

#[test]
fn f8_fuzz_reduce_sum_acc_4gib() {
    f8("f8_fuzz_reduce_sum_acc_4GiB.tflite", "SUM", "accumulators");
}

#[test]
fn f8_bmm_adjx_3x4gib() {
    f8("f8_bmm_adjx_3x4GiB.tflite", "BATCH_MATMUL", "transposed lhs");
}

#[test]
fn f8_bmm_adjx_8x16gib() {
    f8("f8_bmm_adjx_8x16GiB.tflite", "BATCH_MATMUL", "transposed lhs");
}

#[test]
fn f8_fuzz_hybrid_conv_qbuf() {
    f8("f8_fuzz_hybrid_conv_qbuf.tflite", "CONV_2D", "quantized input");
}

#[test]
fn f8_fuzz_bmm_transposed_lhs_13gb() {
    f8("f8_fuzz_bmm_transposed_lhs_13GB.tflite", "BATCH_MATMUL", "transposed lhs");
}

// ---- Empty outputs with huge other dimensions ------------------------------------------------

/// AVERAGE_POOL_2D with output [67108865, 25165824, 0, 469767680] (fuzzer artifact
/// `empty_output_huge_dims_avgpool.tflite`, the fuzzer artifact `timeout-1ffe…`): about 1.7e15 empty iterations unless the kernel returns early; in a debug
/// build that is a hang.
#[test]
fn empty_average_pool_output_returns_at_once() {
    let t = std::time::Instant::now();
    match run("empty_output_huge_dims_avgpool.tflite") {
        Outcome::Load(e) | Outcome::Prepare(e) => assert!(!e.to_string().is_empty()),
        Outcome::Invoke(_) => {}
    }
    assert!(t.elapsed().as_secs() < 10, "took {:?}", t.elapsed());
}

/// The budget is exact and deterministic: every model of `models/` and `models/golden/` that
/// prepares needs exactly `memory_bytes()`; one byte less is a memory error at prepare (kernel
/// scratch, packed weights and state are charged like the arena).
#[test]
fn every_model_prepares_within_exactly_its_memory_bytes() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models");
    let mut files: Vec<PathBuf> = [dir.clone(), dir.join("golden")]
        .iter()
        .flat_map(|d| std::fs::read_dir(d).into_iter().flatten().flatten().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "tflite"))
        .collect();
    files.sort();
    let registry = OpRegistry::with_builtins();
    let mut checked = 0;
    for p in &files {
        let bytes = std::fs::read(p).unwrap();
        let Ok(model) = Model::from_bytes(&bytes) else { continue };
        let Ok(interp) = Interpreter::with_options(&model, &registry, &InterpreterOptions::default()) else {
            continue;
        };
        let need = interp.memory_bytes();
        drop(interp);
        let exact = InterpreterOptions { max_memory_bytes: need as usize, ..Default::default() };
        let fits = Interpreter::with_options(&model, &registry, &exact);
        assert!(fits.is_ok(), "{}: {:?}", p.display(), fits.err());
        if need == 0 {
            continue;
        }
        let short = InterpreterOptions { max_memory_bytes: need as usize - 1, ..Default::default() };
        match Interpreter::with_options(&model, &registry, &short) {
            Ok(_) => panic!("{}: prepared with {} bytes, needs {need}", p.display(), need - 1),
            Err(e) => assert!(e.to_string().contains("memory for"), "{}: {e}", p.display()),
        }
        checked += 1;
    }
    assert!(checked > 50, "only {checked} models checked");
}
