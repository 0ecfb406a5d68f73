//! Loading benchmark: time `Model::from_file` on the largest model available, and show that the
//! weights are not copied (every constant tensor's data lies inside the file mapping, and loading
//! takes far less time than one copy of the weights).
//!
//! `cargo bench --bench load [-- PATH.tflite]`; without a path it takes the largest `.tflite` in
//! `../shared/real-models` (or `models/`).

use std::path::PathBuf;
use std::time::{Duration, Instant};

fn largest_model() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dirs = [root.join("../shared/real-models"), root.join("models")];
    let mut best: Option<(u64, PathBuf)> = None;
    for d in dirs.iter().filter(|d| d.is_dir()) {
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            let p = e.path();
            let len = e.metadata().map(|m| m.len()).unwrap_or(0);
            if p.extension().is_some_and(|x| x == "tflite") && best.as_ref().is_none_or(|(l, _)| len > *l) {
                best = Some((len, p));
            }
        }
        if best.is_some() {
            break;
        }
    }
    best.map(|(_, p)| p).unwrap_or_else(|| root.join("models/mlp_int8.tflite"))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let path =
        std::env::args().skip(1).find(|a| a.ends_with(".tflite")).map(PathBuf::from).unwrap_or_else(largest_model);
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let model = match qlite::Model::from_file(&path) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let file = model.bytes().as_ptr_range();
    let (mut weights, mut borrowed) = (0usize, 0usize);
    for (si, sg) in model.subgraphs().iter().enumerate() {
        for ti in 0..sg.tensors.len() {
            if let Some(d) = model.tensor_data(si, ti) {
                weights += d.len();
                if file.contains(&d.as_ptr()) {
                    borrowed += d.len();
                }
            }
        }
    }
    drop(model);

    let iters = 50;
    let load = median(
        (0..iters)
            .map(|_| {
                let t = Instant::now();
                let m = qlite::Model::from_file(&path);
                let e = t.elapsed();
                assert!(m.is_ok());
                e
            })
            .collect(),
    );
    let bytes = std::fs::read(&path).unwrap_or_default();
    let copy = median(
        (0..iters)
            .map(|_| {
                let t = Instant::now();
                let v = std::hint::black_box(bytes.clone());
                let e = t.elapsed();
                drop(v);
                e
            })
            .collect(),
    );
    println!("model: {} ({size} bytes)", path.display());
    println!(
        "constant data: {weights} bytes, of which {borrowed} borrowed from the file mapping (copied: {})",
        weights - borrowed
    );
    println!("load (map + verify + validate), median of {iters}: {load:?}");
    println!("one copy of the file's bytes (for scale), median of {iters}: {copy:?}");
}
