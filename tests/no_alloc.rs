//! `invoke()` allocates nothing: a counting global allocator watches every model in `models/`
//! and `models/golden/` while it runs.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

// Per thread, so that what the test harness's other threads allocate meanwhile (output capture,
// the "running for over 60 seconds" timer) is not counted against `invoke`.
thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: the thread-local may be gone while the thread exits.
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

// SAFETY: forwards to the system allocator unchanged; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn invoke_does_not_allocate() {
    // The counter sees this thread's allocations (else the check below could not fail).
    let b = allocations();
    let v = std::hint::black_box(vec![1u8; 10]);
    assert!(allocations() > b && v.len() == 10);
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
        // The recorded inputs (first case) where there are some: random ones can be invalid
        // (GATHER indices out of range are an error at invoke time).
        let stem = path.with_extension("");
        let recorded: Vec<std::path::PathBuf> = (0..)
            .map(|k| std::path::PathBuf::from(format!("{}.in{k}.npy", stem.display())))
            .take_while(|p| p.exists())
            .collect();
        let inputs = if recorded.is_empty() {
            qlite::runner::random_inputs(&interp, 1).unwrap()
        } else {
            let arrays = recorded.iter().map(|p| qlite::npy::read(p).unwrap()).collect();
            qlite::runner::prepare_inputs(&interp, arrays).unwrap().0
        };
        for (k, a) in inputs.iter().enumerate() {
            let dst = interp.input_bytes_mut(k).unwrap();
            let n = dst.len();
            dst.copy_from_slice(&a.data[..n]);
        }
        // A second interpreter of the same prepared graph (made before counting).
        let mut shared = interp.share().unwrap();
        for k in 0..inputs.len() {
            let src = interp.input_bytes_mut(k).unwrap().to_vec();
            shared.input_bytes_mut(k).unwrap().copy_from_slice(&src);
        }
        let before = allocations();
        interp.invoke().unwrap(); // the first invoke, too
        interp.invoke().unwrap();
        interp.reset_state();
        interp.invoke().unwrap();
        shared.invoke().unwrap();
        let after = allocations();
        assert_eq!(after - before, 0, "{}: invoke allocated {} times", path.display(), after - before);
        checked += 1;
    }
    println!("{checked} models invoked without allocating");
    assert!(checked >= 3);
}
