//! Arbitrary bytes as a `.tflite` model: load (tight limits), inspect, prepare (4 MiB budget),
//! invoke twice, read every tensor. See `qlite::fuzzing::run_model`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = qlite::fuzzing::run_model(data);
});
