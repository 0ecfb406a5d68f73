//! Arbitrary bytes as a `.npy` file: parse, then run it through small fixed models as `qlite run`
//! and `qlite compare` do. See `qlite::fuzzing::run_npy`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = qlite::fuzzing::run_npy(data);
});
