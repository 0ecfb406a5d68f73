//! Golden tests: every model in `models/` and `models/golden/` that has recorded TFLite
//! reference outputs (`NAME.ref<k>.npy` for inputs `NAME.in<k>.npy`, made by the scripts in
//! `models/` with OpResolverType.BUILTIN_REF) must give identical outputs in qlite.
//! With the shared real models beside the repository, those are checked too.

mod common;

use std::path::{Path, PathBuf};

use qlite::npy::{self, Array};
use qlite::{Interpreter, Model, runner};

/// Runs `model` on its recorded inputs; returns a description of every mismatch.
fn check(model: &Path, inputs: &[PathBuf], expected: &[PathBuf]) -> Result<Vec<String>, String> {
    let m = Model::from_file(model).map_err(|e| e.to_string())?;
    let mut interp = Interpreter::new(&m).map_err(|e| e.to_string())?;
    let arrays: Vec<Array> =
        inputs.iter().map(|p| npy::read(p)).collect::<Result<_, _>>().map_err(|e| e.to_string())?;
    let (arrays, cases, _) = runner::prepare_inputs(&interp, arrays).map_err(|e| e.to_string())?;
    let outputs = runner::run_cases(&mut interp, &arrays, cases).map_err(|e| e.to_string())?;
    if outputs.len() != expected.len() {
        return Err(format!("{} outputs, {} expected files", outputs.len(), expected.len()));
    }
    let mut bad = Vec::new();
    for (k, (got, want)) in outputs.iter().zip(expected).enumerate() {
        let want = npy::read(want).map_err(|e| e.to_string())?;
        let c = runner::compare(got, &want, None).map_err(|e| format!("output {k}: {e}"))?;
        if c.differing > 0 {
            bad.push(format!(
                "output {k}: {} of {} differ, max {} steps/ULP at {:?}",
                c.differing, c.elements, c.max_steps, c.worst_index
            ));
        }
    }
    Ok(bad)
}

/// `NAME.tflite` with `NAME.<in_tag><k>.npy` / `NAME.<out_tag><k>.npy`.
fn cases_in(dir: &Path, in_tag: &str, out_tag: &str) -> Vec<(PathBuf, Vec<PathBuf>, Vec<PathBuf>)> {
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).into_iter().flatten().flatten().map(|e| e.path()).collect();
    files.sort();
    for p in files.iter().filter(|p| p.extension().is_some_and(|e| e == "tflite")) {
        let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
        let list = |tag: &str| -> Vec<PathBuf> {
            (0..).map(|k| dir.join(format!("{stem}.{tag}{k}.npy"))).take_while(|q| q.exists()).collect()
        };
        let (ins, outs) = (list(in_tag), list(out_tag));
        if !ins.is_empty() && !outs.is_empty() {
            out.push((p.clone(), ins, outs));
        }
    }
    out
}

fn run_all(cases: Vec<(PathBuf, Vec<PathBuf>, Vec<PathBuf>)>, min: usize) {
    let mut failures = Vec::new();
    let n = cases.len();
    for (model, ins, outs) in cases {
        match check(&model, &ins, &outs) {
            Ok(bad) if bad.is_empty() => {}
            Ok(bad) => failures.push(format!("{}: {}", model.display(), bad.join("; "))),
            Err(e) => failures.push(format!("{}: {e}", model.display())),
        }
    }
    println!("{} of {n} models identical to TFLite's reference outputs", n - failures.len());
    assert!(n >= min, "only {n} golden models found");
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn project_models_match_tflite_reference() {
    let dir = common::models_dir();
    let mut cases = cases_in(&dir, "in", "ref");
    cases.extend(cases_in(&dir.join("golden"), "in", "ref"));
    run_all(cases, 4);
}
