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

fn cli_case(name: &str) -> PathBuf {
    root().join("fuzz/regressions/cli").join(name)
}

/// A fresh scratch folder for one test.
fn scratch(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("qlite-cli-robustness-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A copy of a regression model in `dir` whose one shape `[from, from]` (int32s in the
/// flatbuffer) is replaced by `[to0, to1]`, so that a test can run it at a small size.
fn with_shape(dir: &Path, name: &str, from: i32, to: [i32; 2]) -> PathBuf {
    let mut b = std::fs::read(cli_case(name)).unwrap();
    let pat: Vec<u8> = [from, from].iter().flat_map(|v| v.to_le_bytes()).collect();
    let hits: Vec<usize> = (0..b.len() - 7).filter(|&i| b[i..i + 8] == pat[..]).collect();
    assert_eq!(hits.len(), 1, "{name}: shape [{from}, {from}] found at {hits:?}");
    let new: Vec<u8> = to.iter().flat_map(|v| v.to_le_bytes()).collect();
    b[hits[0]..hits[0] + 8].copy_from_slice(&new);
    let p = dir.join(name.replace(".tflite", "_small.tflite"));
    std::fs::write(&p, b).unwrap();
    p
}

/// `.npy` (1.0) bytes: header for `descr` and `shape`, then `data`.
fn npy_bytes(descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
    let mut h = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + h.len() + 1) % 64 != 0 {
        h.push(' ');
    }
    h.push('\n');
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend_from_slice(&(h.len() as u16).to_le_bytes());
    b.extend_from_slice(h.as_bytes());
    b.extend_from_slice(data);
    b
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

#[test]
fn f3_a_zero_sized_input_takes_exactly_one_case() {
    // The .npy announces 10^15 cases of the model's [1, 0] input (0 bytes of data): this ran
    // 10^15 invokes.
    let f = cli_case("f3_1e15_zero_byte_cases.npy");
    let o = qlite(["run".as_ref(), cli_case("f3_zero_dim_io.tflite").as_os_str(), "-i".as_ref(), f.as_os_str()]);
    assert_one_error_line(&o, &f, "is empty, so it takes exactly one case, not 1000000000000000");
    // One case of the empty input runs.
    let dir = scratch("f3");
    let one = dir.join("one_case.npy");
    std::fs::write(&one, npy_bytes("<f4", "(1, 0)", &[])).unwrap();
    let o = qlite(["run".as_ref(), cli_case("f3_zero_dim_io.tflite").as_os_str(), "-i".as_ref(), one.as_os_str()]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(o.stdout.contains("1 case(s)"), "{}", o.stdout);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn f3_the_number_of_cases_is_capped() {
    // The 4 GiB input/output model cut to [1, 1] int8, with 1,000,001 stacked cases (1 MB).
    let dir = scratch("f3cap");
    let m = with_shape(&dir, "f2_input_as_output_4GiB.tflite", 65536, [1, 1]);
    let f = dir.join("cases.npy");
    std::fs::write(&f, npy_bytes("|i1", "(1000001, 1)", &vec![0u8; 1_000_001])).unwrap();
    let o = qlite(["run".as_ref(), m.as_os_str(), "-i".as_ref(), f.as_os_str()]);
    assert_one_error_line(&o, &f, "that is 1000001 cases, over the limit of 1000000");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn f2_inputs_and_outputs_are_bounded_before_running() {
    // The input is also the output: the real file needs 4 GiB in and 4 GiB out, refused before
    // the random input is made. Cut to 1 MiB here, with a 1.5 MiB limit (the interpreter's
    // budget, which holds the 1 MiB arena).
    let dir = scratch("f2bound");
    let m = with_shape(&dir, "f2_input_as_output_4GiB.tflite", 65536, [1024, 1024]);
    let o = qlite(["run".as_ref(), m.as_os_str(), "--max-memory".as_ref(), "1536K".as_ref()]);
    assert_one_error_line(&o, &m, "need 2097152 bytes, over the --max-memory limit of 1572864");
    assert!(o.stdout.is_empty(), "{}", o.stdout);
    // The same with the file's input given as .npy (the data counts).
    let f = dir.join("x.npy");
    std::fs::write(&f, npy_bytes("|i1", "(1024, 1024)", &vec![1u8; 1 << 20])).unwrap();
    let o =
        qlite(["run".as_ref(), m.as_os_str(), "-i".as_ref(), f.as_os_str(), "--max-memory".as_ref(), "1536K".as_ref()]);
    assert_one_error_line(&o, &m, "need 2097152 bytes");
    let o =
        qlite(["run".as_ref(), m.as_os_str(), "-i".as_ref(), f.as_os_str(), "--max-memory".as_ref(), "2M".as_ref()]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn f2_the_real_4gib_file_is_refused_without_running() {
    // Only the interpreter's arena (4 GiB, within its default budget) is prepared; the 8 GiB of
    // inputs and outputs are refused before they are allocated.
    let m = cli_case("f2_input_as_output_4GiB.tflite");
    let o = qlite(["run".as_ref(), m.as_os_str(), "--max-memory".as_ref(), "1G".as_ref()]);
    assert_one_error_line(&o, &m, "over the limit");
}

#[test]
fn f2_an_output_listed_64_times_is_held_once() {
    // A [64, 64] int8 input listed 64 times as an output: 4 KiB in and 4 KiB out, not 64 × 4 KiB.
    let dir = scratch("f2out");
    let m = with_shape(&dir, "f2_input_listed_64x_as_output.tflite", 32768, [64, 64]);
    let o = qlite(["run".as_ref(), m.as_os_str(), "--max-memory".as_ref(), "6K".as_ref()]);
    assert_one_error_line(&o, &m, "need 8192 bytes, over the --max-memory limit of 6144");
    let out = dir.join("out");
    let o =
        qlite(["run".as_ref(), m.as_os_str(), "--max-memory".as_ref(), "12K".as_ref(), "-o".as_ref(), out.as_os_str()]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(o.stdout.contains("output 0 \"x\": int8 [64, 64] ["), "{}", o.stdout);
    assert!(o.stdout.contains("output 63 \"x\": the same tensor as output 0"), "{}", o.stdout);
    let first = std::fs::read(out.join("output_0.npy")).unwrap();
    assert_eq!(first.len(), 128 + 4096);
    assert_eq!(std::fs::read(out.join("output_63.npy")).unwrap(), first);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn f2_an_input_listed_64_times_gets_one_random_array() {
    // A [64, 64] int8 input listed 64 times: one 4 KiB random array (plus the 1-byte output),
    // where one per listing would need 256 KiB.
    let dir = scratch("f2in");
    let m = with_shape(&dir, "f2_input_listed_64x_as_input.tflite", 32768, [64, 64]);
    for cmd in ["run", "bench"] {
        let o = qlite([cmd.as_ref(), m.as_os_str(), "--max-memory".as_ref(), "6K".as_ref()]);
        assert_eq!(o.code, Some(0), "{cmd}: {}", o.stderr);
    }
    let o = qlite(["run".as_ref(), m.as_os_str(), "--max-memory".as_ref(), "4K".as_ref()]);
    assert_eq!(o.code, Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn f11_bench_iterations_are_capped() {
    for args in [["-n", "18446744073709551615"], ["-n", "100000000000"], ["--warmup", "18446744073709551615"]] {
        let o = qlite(["bench".as_ref(), model("mlp_float.tflite").as_os_str(), args[0].as_ref(), args[1].as_ref()]);
        assert_eq!(o.code, Some(2), "{}", o.stderr);
        assert_eq!(o.stderr.lines().count(), 1, "{}", o.stderr);
        assert!(
            o.stderr.starts_with(&format!("error: {} {} is over the limit of 1000000", args[0], args[1])),
            "{}",
            o.stderr
        );
    }
    let o = qlite(["bench".as_ref(), model("mlp_float.tflite").as_os_str(), "-n".as_ref(), "3".as_ref()]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(o.stdout.contains("invoke over 3 runs"), "{}", o.stdout);
}
