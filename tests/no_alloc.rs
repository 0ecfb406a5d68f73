//! `invoke()` allocates nothing: a counting global allocator watches every model in `models/`
//! and `models/golden/` while it runs, on the first recorded input case (`NAME.in<k>.npy`) or, for
//! a model without recorded inputs, on random inputs.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn invoke_does_not_allocate() {
    let registry = qlite::OpRegistry::with_builtins();
    let dir = common::models_dir();
    let mut paths = common::model_files();
    paths.extend(
        std::fs::read_dir(dir.join("golden"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "tflite")),
    );
    let mut checked = 0;
    for path in paths {
        let model = qlite::Model::from_file(&path).unwrap();
        if !model.operator_codes().iter().all(|c| registry.can_run(c)) {
            continue;
        }
        let mut interp = qlite::Interpreter::with_registry(&model, &registry).unwrap();
        let inputs = qlite::runner::random_inputs(&interp, 1).unwrap();
        let recorded = recorded_inputs(&path, inputs.len());
        for (k, a) in inputs.iter().enumerate() {
            let dst = interp.input_bytes_mut(k).unwrap();
            // The first recorded case when there is one (random values can be invalid inputs, e.g.
            // a quantized DIV divisor at its zero point, which fails the invoke as in TFLite).
            match recorded.get(k) {
                Some(r) if r.dtype == a.dtype && r.data.len() >= dst.len() => {
                    let n = dst.len();
                    dst.copy_from_slice(&r.data[..n])
                }
                _ => dst.copy_from_slice(&a.data),
            }
        }
        let before = ALLOCATIONS.load(Ordering::SeqCst);
        interp.invoke().unwrap(); // the first invoke, too
        interp.invoke().unwrap();
        interp.invoke().unwrap();
        let after = ALLOCATIONS.load(Ordering::SeqCst);
        assert_eq!(after - before, 0, "{}: invoke allocated {} times", path.display(), after - before);
        checked += 1;
    }
    println!("{checked} models invoked without allocating");
    assert!(checked >= 3);
}

/// The recorded inputs `NAME.in<k>.npy` beside `NAME.tflite`, all of them or none.
fn recorded_inputs(model: &std::path::Path, n: usize) -> Vec<qlite::npy::Array> {
    let stem = model.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    let paths: Vec<_> = (0..n).map(|k| model.with_file_name(format!("{stem}.in{k}.npy"))).collect();
    if n == 0 || !paths.iter().all(|p| p.exists()) {
        return Vec::new();
    }
    paths.iter().map(|p| qlite::npy::read(p).unwrap()).collect()
}
