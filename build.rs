//! Generates the TensorFlow Lite flatbuffer bindings from `schema/schema.fbs` into `OUT_DIR`
//! with the project's own generator (`schema/fbsgen.rs`): no external program, a few seconds.

#[path = "schema/fbsgen.rs"]
mod fbsgen;

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=schema/schema.fbs");
    println!("cargo:rerun-if-changed=schema/fbsgen.rs");
    let src = std::fs::read_to_string("schema/schema.fbs")
        .unwrap_or_else(|e| fail(&format!("reading schema/schema.fbs: {e}")));
    let schema = fbsgen::parse(&src).unwrap_or_else(|e| fail(&e));
    let code = fbsgen::generate(&schema).unwrap_or_else(|e| fail(&e));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_else(|| fail("OUT_DIR is not set")));
    write(&out.join("tflite_generated.rs"), &code);

    // The layout this build derived, for tests/schema_layout.rs.
    let mut layout = String::new();
    for e in &schema.enums {
        for (n, v) in &e.values {
            let _ = writeln!(layout, "enum {} {} {}", e.name, n, v);
        }
    }
    for (t, f, off, kind) in schema.slots().unwrap_or_else(|e| fail(&e)) {
        let _ = writeln!(layout, "field {t} {f} {off} {kind}");
    }
    write(&out.join("schema_layout.txt"), &layout);
}

fn write(path: &std::path::Path, text: &str) {
    if let Err(e) = std::fs::write(path, text) {
        fail(&format!("writing {}: {e}", path.display()));
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("build.rs: {msg}");
    std::process::exit(1)
}
