#[allow(clippy::all, non_camel_case_types, non_snake_case, dead_code, unused_imports)]
pub mod tflite {
    include!(concat!(env!("OUT_DIR"), "/tflite_generated.rs"));
}
