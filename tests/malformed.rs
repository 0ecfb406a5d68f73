//! Malformed files must give `Err` (or, for a byte flip that leaves a valid model, a model that
//! can be fully inspected), never a panic, a crash or a hang.

mod common;

use common::{Rng, model_files};
use qlite::{Model, inspect};

/// Loads `bytes`; when it loads, touches everything a user of the model can reach. Returns
/// whether it loaded.
fn load_and_touch(bytes: &[u8]) -> bool {
    match Model::from_bytes(bytes) {
        Err(e) => {
            assert!(!e.to_string().is_empty());
            false
        }
        Ok(m) => {
            let can_run = |_: &qlite::OperatorCode| false;
            let _ = inspect::to_json(&m, &can_run).to_compact();
            let _ = inspect::to_text(&m, &can_run, true);
            for (si, sg) in m.subgraphs().iter().enumerate() {
                for ti in 0..sg.tensors.len() {
                    let _ = m.tensor_data(si, ti);
                }
                for op in &sg.operators {
                    let t = m.operator_table(op);
                    let _ = t.builtin_options();
                    let _ = t.builtin_options_as::<qlite::tflite::Conv2DOptions>().map(|o| o.stride_w());
                    let _ = m.custom_options(op);
                }
            }
            for md in m.metadata() {
                let _ = m.buffer_data(md.buffer);
            }
            // A model that still loads must prepare or give Err, and run or give Err.
            let opts = qlite::InterpreterOptions { max_memory_bytes: 64 << 20, ..Default::default() };
            if let Ok(mut interp) = qlite::Interpreter::with_options(&m, &qlite::OpRegistry::with_builtins(), &opts)
                && let Ok(inputs) = qlite::runner::random_inputs(&interp, 3)
            {
                for (k, a) in inputs.iter().enumerate() {
                    if let Ok(dst) = interp.input_bytes_mut(k)
                        && dst.len() == a.data.len()
                    {
                        dst.copy_from_slice(&a.data);
                    }
                }
                let _ = interp.invoke();
            }
            true
        }
    }
}

fn run_case(what: &str, bytes: &[u8]) -> bool {
    match std::panic::catch_unwind(|| load_and_touch(bytes)) {
        Ok(loaded) => loaded,
        Err(_) => panic!("{what}: the loader panicked"),
    }
}

#[test]
fn truncated_files_are_errors_unless_only_padding_was_cut() {
    let mut cases = 0;
    for path in model_files() {
        let bytes = std::fs::read(&path).unwrap();
        assert!(run_case("intact", &bytes), "{} must load", path.display());
        // Every truncation point of our small models.
        for len in 0..bytes.len() {
            let loaded = run_case(&format!("{} truncated to {len}", path.display()), &bytes[..len]);
            // Only cutting trailing alignment padding (zeros nothing points into) leaves a valid file.
            assert!(
                !loaded || bytes[len..].iter().all(|&b| b == 0),
                "{} truncated to {len} bytes loaded",
                path.display()
            );
            cases += 1;
        }
    }
    println!("truncation cases: {cases}");
    assert!(cases > 10_000);
}

#[test]
fn byte_flips_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut cases, mut rejected) = (0, 0);
    for path in model_files() {
        let bytes = std::fs::read(&path).unwrap();
        for case in 0..2500 {
            let mut b = bytes.clone();
            let flips = 1 + rng.below(8);
            for _ in 0..flips {
                let i = rng.below(b.len());
                b[i] ^= 1 << rng.below(8);
            }
            // Some cases also overwrite a 4-byte word with an extreme value (offsets, lengths, counts).
            if case % 3 == 0 {
                let i = rng.below(b.len() - 4) & !3;
                let v: [u32; 4] = [0, 0xFFFF_FFFF, 0x7FFF_FFFF, 0x8000_0000];
                b[i..i + 4].copy_from_slice(&v[rng.below(4)].to_le_bytes());
            }
            if !run_case(&format!("{} flip case {case}", path.display()), &b) {
                rejected += 1;
            }
            cases += 1;
        }
    }
    println!("byte-flip cases: {cases}, rejected: {rejected}, loaded (still valid): {}", cases - rejected);
    assert!(cases >= 10_000);
    assert!(rejected > cases / 10, "suspiciously few corrupted files were rejected");
}

#[test]
fn random_bytes_are_errors() {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let mut cases = 0;
    for case in 0..3000 {
        let len = rng.below(4096);
        let mut b: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        // Half of them carry the right identifier, to get past the first check.
        if case % 2 == 0 && len >= 8 {
            b[4..8].copy_from_slice(b"TFL3");
            // and a root offset that points inside the buffer
            let root = (rng.below(len.max(1)) as u32) & !3;
            b[0..4].copy_from_slice(&root.to_le_bytes());
        }
        assert!(!run_case(&format!("random case {case}"), &b), "random case {case} loaded");
        cases += 1;
    }
    println!("random-bytes cases: {cases}");
}

#[test]
fn cli_reports_bad_files_with_exit_2() {
    let dir = std::env::temp_dir().join(format!("qlite-malformed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let model = std::fs::read(&model_files()[0]).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty.tflite", vec![]),
        ("short.tflite", model[..7].to_vec()),
        ("truncated.tflite", model[..model.len() / 2].to_vec()),
        ("garbage.tflite", (0..1000u32).map(|i| (i * 7919 % 251) as u8).collect()),
    ];
    for (name, bytes) in &cases {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        for json in [false, true] {
            let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_qlite"));
            cmd.arg("inspect").arg(&p);
            if json {
                cmd.arg("--json");
            }
            let out = cmd.output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{name}: {err}");
            assert!(err.starts_with("error: ") && err.lines().count() == 1, "{name}: {err:?}");
            assert!(out.stdout.is_empty());
        }
    }
    let missing = std::process::Command::new(env!("CARGO_BIN_EXE_qlite"))
        .args(["inspect", "/nonexistent/x.tflite"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).starts_with("error: cannot read /nonexistent/x.tflite"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Byte flips in every golden model (all operator kinds): loading, preparing and running the
/// result gives `Ok` or `Err`, never a panic.
#[test]
fn golden_model_byte_flips_never_panic() {
    let mut rng = Rng(0x0123_4567_89AB_CDEF);
    let dir = common::models_dir().join("golden");
    let mut paths: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "tflite"))
        .collect();
    paths.sort();
    let (mut cases, mut loaded) = (0, 0);
    for path in &paths {
        let bytes = std::fs::read(path).unwrap();
        for case in 0..35 {
            let mut b = bytes.clone();
            for _ in 0..1 + rng.below(4) {
                let i = rng.below(b.len());
                b[i] ^= 1 << rng.below(8);
            }
            if run_case(&format!("{} flip case {case}", path.display()), &b) {
                loaded += 1;
            }
            cases += 1;
        }
    }
    println!(
        "golden byte-flip cases: {cases} over {} models, {loaded} still loaded (then prepared and run)",
        paths.len()
    );
    assert!(cases >= 5000);
}
