//! The CLI on the fuzzing findings' files (in `fuzz/regressions/`): each must give exit code 2
//! and one `error: ...` line that names the file, instead of a hang, a panic or an abort.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A runaway process is killed after this long (far more than any of these need).
const TIMEOUT: Duration = Duration::from_secs(120);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn npy_case(name: &str) -> PathBuf {
    root().join("fuzz/regressions/npy").join(name)
}

fn model(name: &str) -> PathBuf {
    root().join("models").join(name)
}

struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `qlite ARGS`, killing it after [`TIMEOUT`].
fn qlite<I, S>(args: I) -> Outcome
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut child = Command::new(env!("CARGO_BIN_EXE_qlite"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Drain the pipes on threads so that a chatty child cannot block on a full pipe.
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut so, &mut s).map(|_| s)
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut se, &mut s).map(|_| s)
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > TIMEOUT {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("qlite did not finish within {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Outcome {
        code: status.code(),
        stdout: t_out.join().unwrap().unwrap_or_default(),
        stderr: t_err.join().unwrap().unwrap_or_default(),
    }
}

/// Asserts exit code 2 and a single `error:` line on stderr that mentions `file` and `what`.
fn assert_one_error_line(o: &Outcome, file: &Path, what: &str) {
    assert_eq!(o.code, Some(2), "exit code; stderr: {}", o.stderr);
    let lines: Vec<&str> = o.stderr.lines().filter(|l| !l.starts_with("note: ")).collect();
    assert_eq!(lines.len(), 1, "want one error line, got: {:?}", o.stderr);
    let line = lines[0];
    assert!(line.starts_with("error: "), "{line}");
    let name = file.file_name().unwrap().to_str().unwrap();
    assert!(line.contains(name), "the error does not name {name}: {line}");
    assert!(line.contains(what), "the error does not say {what:?}: {line}");
}

#[test]
fn f13_nested_braces_in_an_npy_header_fail_at_once() {
    // 40 braces never finished with npyz's backtracking parser (about 3^n steps).
    for name in ["f13_npy_header_12_braces.npy", "f13_npy_header_40_braces.npy"] {
        let f = npy_case(name);
        let o = qlite(["run".as_ref(), model("mlp_float.tflite").as_os_str(), "-i".as_ref(), f.as_os_str()]);
        assert_one_error_line(&o, &f, "bad header");
    }
}

#[test]
fn f6_a_huge_header_length_is_refused_before_allocating() {
    let f = npy_case("f6_npy_4GiB_header_len.npy");
    let o = qlite(["run".as_ref(), model("mlp_float.tflite").as_os_str(), "-i".as_ref(), f.as_os_str()]);
    assert_one_error_line(&o, &f, "the header length is 4294967295 bytes, over the limit of 65536");
}

#[test]
fn f7_bad_header_syntax_is_one_line() {
    let f = npy_case("f7_npy_bad_syntax.npy");
    let o = qlite(["run".as_ref(), model("mlp_float.tflite").as_os_str(), "-i".as_ref(), f.as_os_str()]);
    assert_one_error_line(&o, &f, "bad header");
}

#[test]
fn compare_reads_expected_files_with_the_same_parser() {
    let f = npy_case("f13_npy_header_40_braces.npy");
    let input = model("mlp_float.in0.npy");
    let o = qlite([
        "compare".as_ref(),
        model("mlp_float.tflite").as_os_str(),
        "-i".as_ref(),
        input.as_os_str(),
        "-e".as_ref(),
        f.as_os_str(),
    ]);
    assert_one_error_line(&o, &f, "bad header");
}

#[test]
fn a_good_npy_still_runs() {
    let input = model("mlp_float.in0.npy");
    let o = qlite(["run".as_ref(), model("mlp_float.tflite").as_os_str(), "-i".as_ref(), input.as_os_str()]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(o.stdout.contains("output 0"), "{}", o.stdout);
}
