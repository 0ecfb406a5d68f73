//! Replays the committed fuzzing corpus `fuzz/regressions/` through the fuzz targets' harness
//! (`qlite::fuzzing`): every file of `model/` through `run_model`, every file of `npy/` through
//! `run_npy`. Each must return (`Ok` or `Err`): no panic, no abort, no hang, bounded memory.
//!
//! Every file runs in a child process (this test binary again, test `child`), under a
//! `catch_unwind`, with a time limit and an address-space limit: a hang or an allocation abort is
//! reported like a panic, and one bad file does not hide the others. The test lists every
//! failing file at once.
//!
//! Also here: the flatbuffer amplification cases F4 and F5 (too large to commit), built in
//! memory; and a check that the structure-aware mutator's mutants still pass the verifier.

mod common;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use flatbuffers::{FlatBufferBuilder, WIPOffset};
use qlite::fuzzing::structure::{self, SlotKind};
use qlite::tflite;

/// The environment variable that makes test `child` run one case.
const CHILD_ENV: &str = "QLITE_FUZZ_CHILD";
/// Address-space limit of a child, KiB (a bound on what one case may allocate; the fuzzers use
/// `-rss_limit_mb=2048`).
const CHILD_MEMORY_KIB: u64 = 3 << 20;

fn regressions_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions")
}

fn files(kind: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(regressions_dir().join(kind))
        .map(|d| d.map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// Time limit per file (`QLITE_FUZZ_REGRESSION_TIMEOUT` seconds, default 10).
fn timeout() -> Duration {
    let s = std::env::var("QLITE_FUZZ_REGRESSION_TIMEOUT").ok().and_then(|s| s.parse().ok()).unwrap_or(10);
    Duration::from_secs(s)
}

/// Runs in a child process: the case named by `QLITE_FUZZ_CHILD` (nothing when it is unset, so
/// that an ordinary `cargo test` run passes it).
#[test]
fn child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else { return };
    let (kind, arg) = spec.split_once(':').unwrap_or((spec.as_str(), ""));
    let run = || -> String {
        match kind {
            "model" => format!("{:?}", qlite::fuzzing::run_model(&std::fs::read(arg).unwrap()).err()),
            "npy" => format!("{:?}", qlite::fuzzing::run_npy(&std::fs::read(arg).unwrap()).err()),
            "f4" | "f5" => {
                let bytes = if kind == "f4" { f4_model() } else { f5_model() };
                let t = Instant::now();
                let r = qlite::Model::from_bytes(&bytes).and_then(|m| qlite::Interpreter::new(&m).map(|_| ()));
                let peak = peak_rss_kib();
                let msg = format!("{:?} in {:.2?}, peak RSS {peak:?} KiB", r.err(), t.elapsed());
                assert!(peak.is_none_or(|p| p < 1 << 20), "{msg}: over 1 GiB");
                msg
            }
            k => panic!("unknown case kind {k}"),
        }
    };
    match std::panic::catch_unwind(run) {
        Ok(msg) => println!("FUZZ_CHILD_DONE {msg}"),
        // The panic hook has printed the message and location to stderr.
        Err(_) => std::process::exit(101),
    }
}

/// Peak resident memory of this process so far, when the platform says (Linux).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

struct Running {
    label: String,
    child: Child,
    started: Instant,
    out: PathBuf,
    err: PathBuf,
}

/// Numbers the children of this process, so that tests running at once never share a file.
static CHILDREN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn spawn(label: &str, spec: &str) -> Running {
    let n = CHILDREN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let exe = std::env::current_exe().unwrap();
    let tmp = std::env::temp_dir();
    let out = tmp.join(format!("qlite-fuzz-regr-{}-{n}.out", std::process::id()));
    let err = tmp.join(format!("qlite-fuzz-regr-{}-{n}.err", std::process::id()));
    let args = ["--exact", "child", "--nocapture", "--test-threads=1"];
    // An address-space limit through the shell's ulimit, where there is a shell.
    let mut cmd = if Path::new("/bin/sh").exists() {
        let mut c = Command::new("/bin/sh");
        c.arg("-c").arg("ulimit -v \"$1\" && shift && exec \"$@\"").arg("sh").arg(CHILD_MEMORY_KIB.to_string());
        c.arg(&exe).args(args);
        c
    } else {
        let mut c = Command::new(&exe);
        c.args(args);
        c
    };
    let child = cmd
        .env(CHILD_ENV, spec)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    Running { label: label.to_string(), child, started: Instant::now(), out, err }
}

fn read_to_string(p: &Path) -> String {
    let mut s = String::new();
    if let Ok(mut f) = std::fs::File::open(p) {
        let _ = f.read_to_string(&mut s);
    }
    let _ = std::fs::remove_file(p);
    s
}

/// Why a finished child failed, or `None` when it returned.
fn verdict(status: std::process::ExitStatus, stdout: &str, stderr: &str) -> Option<String> {
    if status.success() && stdout.contains("FUZZ_CHILD_DONE") {
        return None;
    }
    // The panic message: the line naming the location and the message after it.
    let lines: Vec<&str> = stderr.lines().collect();
    if let Some(i) = lines.iter().position(|l| l.contains("panicked at")) {
        let at = lines[i].split("panicked at").nth(1).unwrap_or("").trim().trim_end_matches(':');
        let msg = lines.get(i + 1).map_or("", |l| l.trim());
        return Some(format!("panicked at {at} {msg}"));
    }
    if let Some(l) = lines.iter().find(|l| l.contains("memory allocation of")) {
        return Some(format!("aborted: {}", l.trim()));
    }
    let last = lines.iter().rev().find(|l| !l.trim().is_empty()).unwrap_or(&"");
    Some(format!("exited with {status}: {}", last.trim()))
}

/// Runs every case (label, child spec) in child processes, two at a time; returns the failures.
fn run_cases(cases: Vec<(String, String)>, limit: Duration) -> Vec<(String, String)> {
    let parallel = std::thread::available_parallelism().map_or(1, |n| n.get()).min(2);
    let mut pending = cases;
    pending.reverse();
    let mut running: Vec<Running> = Vec::new();
    let mut failures = Vec::new();
    while !pending.is_empty() || !running.is_empty() {
        while running.len() < parallel
            && let Some((label, spec)) = pending.pop()
        {
            running.push(spawn(&label, &spec));
        }
        std::thread::sleep(Duration::from_millis(5));
        let mut k = 0;
        while k < running.len() {
            let r = &mut running[k];
            let done = match r.child.try_wait().unwrap() {
                Some(status) => {
                    let (out, err) = (read_to_string(&r.out), read_to_string(&r.err));
                    if let Some(why) = verdict(status, &out, &err) {
                        failures.push((r.label.clone(), why));
                    }
                    true
                }
                None if r.started.elapsed() > limit => {
                    let _ = r.child.kill();
                    let _ = r.child.wait();
                    let _ = (read_to_string(&r.out), read_to_string(&r.err));
                    failures.push((r.label.clone(), format!("did not finish in {limit:?} (hang)")));
                    true
                }
                None => false,
            };
            if done {
                running.swap_remove(k);
            } else {
                k += 1;
            }
        }
    }
    failures.sort();
    failures
}

/// Every file of `fuzz/regressions/model/` and `fuzz/regressions/npy/` through the harness.
#[test]
fn regressions_return_without_panic_hang_or_abort() {
    let mut cases = Vec::new();
    for kind in ["model", "npy"] {
        for p in files(kind) {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            cases.push((format!("{kind}/{name}"), format!("{kind}:{}", p.display())));
        }
    }
    assert!(cases.len() >= 40, "fuzz/regressions/ holds only {} files", cases.len());
    let total = cases.len();
    let t = Instant::now();
    let failures = run_cases(cases, timeout());
    println!("{total} regression files replayed in {:.1?}", t.elapsed());
    if !failures.is_empty() {
        let list: Vec<String> = failures.iter().map(|(f, why)| format!("  {f}: {why}")).collect();
        panic!("{} of {total} regression files failed:\n{}", failures.len(), list.join("\n"));
    }
}

// ---- F4 and F5: flatbuffer DAGs, built in memory -------------------------------------------

/// A Tensor table: float32, `rank` dimensions of 1, a `name_len`-byte name, buffer 0.
fn tensor_table<'a>(b: &mut FlatBufferBuilder<'a>, rank: usize, name_len: usize) -> WIPOffset<tflite::Tensor<'a>> {
    let name = b.create_string(&"t".repeat(name_len));
    let shape = b.create_vector(&vec![1i32; rank]);
    let start = b.start_table();
    b.push_slot_always(tflite::Tensor::VT_SHAPE, shape);
    b.push_slot_always(tflite::Tensor::VT_NAME, name);
    WIPOffset::new(b.end_table(start).value())
}

/// A model whose subgraphs vector is `subgraph_refs` references to one SubGraph, which lists
/// `tensor_refs` references to one Tensor table, and `inputs` as its inputs.
fn dag_model(tensor_refs: usize, subgraph_refs: usize, inputs: &[i32], rank: usize, name_len: usize) -> Vec<u8> {
    let mut b = FlatBufferBuilder::with_capacity(tensor_refs * 4 + inputs.len() * 4 + 4096);
    let t = tensor_table(&mut b, rank, name_len);
    let tensors = b.create_vector(&vec![t; tensor_refs]);
    let ins = b.create_vector(inputs);
    let outs = b.create_vector::<i32>(&[]);
    let ops = b.create_vector::<WIPOffset<tflite::Operator>>(&[]);
    let start = b.start_table();
    b.push_slot_always(tflite::SubGraph::VT_TENSORS, tensors);
    b.push_slot_always(tflite::SubGraph::VT_INPUTS, ins);
    b.push_slot_always(tflite::SubGraph::VT_OUTPUTS, outs);
    b.push_slot_always(tflite::SubGraph::VT_OPERATORS, ops);
    let sg: WIPOffset<tflite::SubGraph> = WIPOffset::new(b.end_table(start).value());
    let subgraphs = b.create_vector(&vec![sg; subgraph_refs]);
    let start = b.start_table();
    let buffer: WIPOffset<tflite::Buffer> = WIPOffset::new(b.end_table(start).value());
    let buffers = b.create_vector(&[buffer]);
    let codes = b.create_vector::<WIPOffset<tflite::OperatorCode>>(&[]);
    let start = b.start_table();
    b.push_slot::<u32>(tflite::Model::VT_VERSION, 3, 0);
    b.push_slot_always(tflite::Model::VT_OPERATOR_CODES, codes);
    b.push_slot_always(tflite::Model::VT_SUBGRAPHS, subgraphs);
    b.push_slot_always(tflite::Model::VT_BUFFERS, buffers);
    let root: WIPOffset<tflite::Model> = WIPOffset::new(b.end_table(start).value());
    b.finish(root, Some(tflite::FILE_IDENTIFIER));
    b.finished_data().to_vec()
}

/// F4: one Tensor table (64-byte name, rank 16) referenced 1,000,000 times by a subgraph that
/// is referenced 16 times (3.8 MB).
fn f4_model() -> Vec<u8> {
    dag_model(1_000_000, 16, &[], 16, 64)
}

/// F5: a subgraph with 1,000,000 inputs, 1,000,000 tensors sharing one Tensor table (8 MB).
fn f5_model() -> Vec<u8> {
    let inputs: Vec<i32> = (0..1_000_000).collect();
    dag_model(1_000_000, 1, &inputs, 1, 1)
}

fn dag_case(kind: &str) {
    let failures = run_cases(vec![(kind.to_string(), kind.to_string())], Duration::from_secs(30));
    assert!(failures.is_empty(), "{kind}: {}", failures[0].1);
}

/// F4: `Model::from_bytes` + `Interpreter::new` return (Ok or Err) within 30 s and 1 GiB.
#[test]

fn f4_dag_amplification_is_bounded() {
    dag_case("f4");
}

/// F5: `Model::from_bytes` + `Interpreter::new` return (Ok or Err) within 30 s and 1 GiB.
#[test]

fn f5_million_inputs_is_bounded() {
    dag_case("f5");
}

/// The in-memory builders make what the findings describe (checked without loading them whole).
#[test]
fn dag_builders_make_the_described_files() {
    let small = dag_model(10, 3, &[0, 1], 16, 64);
    let m = qlite::Model::from_bytes(&small).unwrap();
    assert_eq!(m.subgraphs().len(), 3);
    assert_eq!(m.subgraphs()[2].tensors.len(), 10);
    assert_eq!(m.subgraphs()[0].tensors[9].shape, vec![1; 16]);
    assert_eq!(m.subgraphs()[0].tensors[9].name.len(), 64);
    assert_eq!(m.subgraphs()[0].inputs, vec![0, 1]);
    let f4 = f4_model();
    assert!((3_900_000..4_100_000).contains(&f4.len()), "{}", f4.len());
}

// ---- the structure-aware mutator -----------------------------------------------------------

/// Mutants of every model in `models/` and `models/golden/` still pass the flatbuffer verifier
/// (that is the point of editing semantic fields in place), and the slots cover the fields the
/// mutator promises.
#[test]
fn structure_mutants_pass_the_verifier() {
    let mut paths = common::model_files();
    let golden = common::models_dir().join("golden");
    let mut g: Vec<PathBuf> = std::fs::read_dir(&golden)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "tflite"))
        .collect();
    g.sort();
    paths.extend(g);
    let mut rng = common::Rng(0x5EED_F00D_CAFE_D00D);
    let mut fields = std::collections::BTreeSet::new();
    let (mut mutants, mut loaded) = (0, 0);
    for path in &paths {
        let bytes = std::fs::read(path).unwrap();
        let slots = structure::slots(&bytes).unwrap();
        assert!(!slots.is_empty(), "{}: no slots", path.display());
        for s in &slots {
            fields.insert(s.field);
            assert!(s.pos + s.width <= bytes.len());
            if let SlotKind::OperatorRef { first, len } = s.kind {
                assert!(s.pos >= first && s.pos < first + 4 * len as usize);
            }
        }
        // 40 mutants per model, 1 to 6 edits each.
        for _ in 0..40 {
            let edits: Vec<u8> =
                (0..structure::EDIT_BYTES * (1 + rng.below(6))).map(|_| rng.next_u64() as u8).collect();
            let m = structure::mutate(&bytes, &edits);
            assert_eq!(m.len(), bytes.len());
            match qlite::Model::from_bytes(&m) {
                Err(qlite::Error::Flatbuffer(e)) => {
                    panic!("{}: mutant with edits {edits:?} fails the verifier: {e}", path.display())
                }
                Err(_) => {}
                Ok(_) => loaded += 1,
            }
            mutants += 1;
        }
    }
    println!("{mutants} mutants, {loaded} still load; fields: {fields:?}");
    for f in [
        "Tensor.shape",
        "Tensor.type",
        "Tensor.buffer",
        "QuantizationParameters.scale",
        "QuantizationParameters.zero_point",
        "Operator.opcode_index",
        "Operator.inputs",
        "Operator.outputs",
        "SubGraph.inputs",
        "SubGraph.outputs",
        "SubGraph.operators",
        "stride_w",
        "fused_activation_function",
        "beta",
        "time_major",
    ] {
        assert!(fields.contains(f), "no slot for {f}");
    }
    assert!(loaded > mutants / 10, "only {loaded} of {mutants} mutants load");
}

/// A swap edit reorders operators and keeps the model verifiable.
#[test]
fn an_operator_swap_reorders_operators() {
    let path = common::models_dir().join("golden/net_branching.tflite");
    let bytes = std::fs::read(path).unwrap();
    let slots = structure::slots(&bytes).unwrap();
    let (i, s) = slots.iter().enumerate().find(|(_, s)| matches!(s.kind, SlotKind::OperatorRef { .. })).unwrap();
    assert_eq!(s.pos % 4, 0);
    // Swap entry 0 with entry 1.
    let i = u16::try_from(i).unwrap().to_le_bytes();
    let m = structure::mutate(&bytes, &[i[0], i[1], 0, 1]);
    let (a, b) = (qlite::Model::from_bytes(&bytes).unwrap(), qlite::Model::from_bytes(&m).unwrap());
    let (oa, ob) = (&a.main_subgraph().operators, &b.main_subgraph().operators);
    assert_eq!(oa[0].outputs, ob[1].outputs);
    assert_eq!(oa[1].outputs, ob[0].outputs);
    assert_eq!(oa[2..].len(), ob[2..].len());
}
