//! The `qlite` command-line tool: `inspect`, `run`, `compare`, `bench`.
//!
//! Exit codes: 0 success (compare: every output within tolerance), 1 compare found outputs
//! outside the tolerance, 2 bad input (unreadable or invalid model, wrong `.npy`, ...), printed
//! as one `error: ...` line on stderr that names the file.
//!
//! Limits (all checked before the memory is allocated): `--max-memory` (default 4 GiB) is the
//! interpreter's memory budget and, separately, the bound on the bytes of a run's inputs, stacked
//! outputs, expected files (`compare`) and one dequantized output (`--dequantize`); at most
//! `runner::MAX_CASES` cases; `bench` takes at most [`MAX_ITERATIONS`] iterations and warmups.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use qlite::json::Json;
use qlite::npy::{self, Array};
use qlite::{Error, Interpreter, InterpreterOptions, Model, OpRegistry, runner};

/// The most iterations (and warmup iterations) `qlite bench` runs.
const MAX_ITERATIONS: usize = 1_000_000;

#[derive(Parser)]
#[command(
    name = "qlite",
    version,
    about = "Run and inspect quantized TensorFlow Lite models, bit for bit like TFLite's reference kernels",
    after_help = "Exit codes: 0 ok, 1 compare: outputs differ beyond the tolerance, 2 bad input."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Memory limit in bytes (suffixes K, M, G, T: powers of 1024): the interpreter's budget
    /// (arena, scratch, weights) and, separately, the bound on the inputs, outputs and expected
    /// arrays that run, compare and bench hold.
    #[arg(long, global = true, value_name = "BYTES", default_value = "4G", value_parser = parse_bytes)]
    max_memory: usize,
}

/// A byte count: digits, optionally followed by K, M, G or T (powers of 1024).
fn parse_bytes(s: &str) -> Result<usize, String> {
    let (digits, shift) = match s.trim().to_ascii_uppercase().as_bytes().last() {
        Some(b'K') => (&s.trim()[..s.trim().len() - 1], 10),
        Some(b'M') => (&s.trim()[..s.trim().len() - 1], 20),
        Some(b'G') => (&s.trim()[..s.trim().len() - 1], 30),
        Some(b'T') => (&s.trim()[..s.trim().len() - 1], 40),
        _ => (s.trim(), 0),
    };
    let n: usize = digits.parse().map_err(|_| format!("{s:?} is not a byte count (like 512M or 4G)"))?;
    n.checked_mul(1usize << shift).ok_or_else(|| format!("{s} is too large"))
}

#[derive(Subcommand)]
enum Command {
    /// Show a model's inputs, outputs, operators and tensors.
    Inspect {
        /// The .tflite file.
        model: PathBuf,
        /// Print machine-readable JSON instead of text.
        #[arg(long)]
        json: bool,
        /// List every tensor of the main subgraph (text output; JSON always lists them).
        #[arg(long)]
        tensors: bool,
    },
    /// Run a model on inputs from .npy files (or a seeded random input) and write its outputs.
    ///
    /// Inputs are given in the model's input order. An input whose leading dimension is N times
    /// the model's holds N cases, run one after another; outputs are stacked on axis 0. A float32
    /// .npy given for a quantized input is quantized with the input's scale and zero point.
    Run {
        /// The .tflite file.
        model: PathBuf,
        /// Input .npy files, one per model input, in order.
        #[arg(short, long = "input", value_name = "IN.npy")]
        inputs: Vec<PathBuf>,
        /// Write OUTDIR/output_<k>.npy for each output k.
        #[arg(short, long = "outdir", value_name = "OUTDIR")]
        outdir: Option<PathBuf>,
        /// Write quantized outputs as float32 real values (scale · (q − zero_point)).
        #[arg(long)]
        dequantize: bool,
        /// Seed of the random input used when no -i is given.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// Run a model and compare its outputs with expected .npy files (e.g. TensorFlow's).
    ///
    /// Prints, per output, how many elements differ and the largest difference in quantized
    /// steps (units in the last place for float outputs) and in real units. Exits 0 when every
    /// output is within the tolerance, 1 otherwise.
    Compare {
        /// The .tflite file.
        model: PathBuf,
        /// Input .npy files, one per model input, in order.
        #[arg(short, long = "input", value_name = "IN.npy", required = true)]
        inputs: Vec<PathBuf>,
        /// Expected output .npy files, one per model output, in order.
        #[arg(short, long = "expected", value_name = "EXPECTED.npy", required = true)]
        expected: Vec<PathBuf>,
        /// Largest difference allowed, in quantized steps (ULPs for float outputs); 0 = bit-exact.
        #[arg(long, default_value_t = 0)]
        tolerance: u64,
        /// Print the comparison as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Measure preparation and invoke time on a seeded random input.
    Bench {
        /// The .tflite file.
        model: PathBuf,
        /// Number of timed invokes (at most 1,000,000).
        #[arg(short = 'n', long, default_value_t = 100)]
        iterations: usize,
        /// Untimed invokes first (at most 1,000,000).
        #[arg(long, default_value_t = 5)]
        warmup: usize,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            // An operator error says its kind too (the kind is data, not part of the message).
            match e.op_kind() {
                Some(kind) => eprintln!("error: {e} [{kind}]"),
                None => eprintln!("error: {e}"),
            }
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, Error> {
    let registry = OpRegistry::with_builtins();
    let max = cli.max_memory;
    let options = InterpreterOptions { max_memory_bytes: max, ..Default::default() };
    match cli.command {
        Command::Inspect { model, json, tensors } => {
            let m = Model::from_file(&model).map_err(in_file(&model))?;
            let can_run = |c: &qlite::OperatorCode| registry.can_run(c);
            // Preparing the model says whether (and where, and why) it cannot run.
            let prepare_error = Interpreter::with_options(&m, &registry, &options)
                .err()
                .map(|e| qlite::inspect::PrepareError::from_error(&e));
            let pe = prepare_error.as_ref();
            if json {
                println!("{}", qlite::inspect::to_json_checked(&m, &can_run, pe).to_pretty());
            } else {
                print!("{}", qlite::inspect::to_text_checked(&m, &can_run, tensors, pe));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Run { model, inputs, outdir, dequantize, seed } => {
            let at = in_file(&model);
            let m = Model::from_file(&model).map_err(&at)?;
            let mut interp = Interpreter::with_options(&m, &registry, &options).map_err(&at)?;
            let given = if inputs.is_empty() {
                None
            } else {
                let arrays = read_inputs(&interp, &model, &inputs, max)?;
                let (arrays, cases, notes) = runner::prepare_inputs(&interp, arrays).map_err(&at)?;
                for n in notes {
                    eprintln!("note: {n}");
                }
                Some((arrays, cases))
            };
            let cases = given.as_ref().map_or(1, |g| g.1);
            // A dequantized output is a float32 copy, made for one output at a time.
            let mut extra = 0usize;
            if dequantize {
                for &t in interp.outputs() {
                    let quantized = interp.tensor_info(t).map_err(&at)?.quantization.is_some();
                    let n = interp.tensor_shape(t).map_err(&at)?.iter().try_fold(cases, |a, &d| a.checked_mul(d));
                    if quantized {
                        extra = extra.max(n.and_then(|n| n.checked_mul(4)).unwrap_or(usize::MAX));
                    }
                }
            }
            // Checked before the random input is made.
            let input_bytes = match &given {
                Some((arrays, _)) => Some(arrays.total_bytes()),
                None => runner::input_bytes(&interp).map_err(&at)?,
            };
            check_io(&interp, input_bytes, cases, extra, max).map_err(&at)?;
            let arrays = match given {
                Some((arrays, _)) => arrays,
                None => {
                    eprintln!("note: no -i given: running on a random input (seed {seed})");
                    runner::random_inputs_limited(&interp, seed, max).map_err(&at)?
                }
            };
            let t = Instant::now();
            let outputs = runner::run_cases_limited(&mut interp, &arrays, cases, max).map_err(&at)?;
            let elapsed = t.elapsed();
            if let Some(dir) = &outdir {
                std::fs::create_dir_all(dir).map_err(|source| Error::Io { path: dir.clone(), source })?;
            }
            let file = |dir: &Path, k: usize| dir.join(format!("output_{k}.npy"));
            for (k, out) in outputs.iter().enumerate() {
                let t = interp.outputs()[k];
                let name = &interp.tensor_info(t).map_err(&at)?.name;
                // The same tensor listed again: say so instead of repeating (and copying) it.
                if let Some(first) = outputs.first_listing(k).filter(|&j| j != k) {
                    println!("output {k} {name:?}: the same tensor as output {first}");
                    if let Some(dir) = &outdir {
                        let (from, to) = (file(dir, first), file(dir, k));
                        let _ = std::fs::remove_file(&to);
                        std::fs::hard_link(&from, &to)
                            .or_else(|_| std::fs::copy(&from, &to).map(|_| ()))
                            .map_err(|source| Error::Io { path: to.clone(), source })?;
                        println!("  wrote {}", to.display());
                    }
                    continue;
                }
                let shown = if dequantize {
                    runner::dequantize_output(&interp, k, out).map_err(&at)?
                } else {
                    Cow::Borrowed(out)
                };
                println!("output {k} {name:?}: {} {:?} [{}]", shown.dtype, shown.shape, preview(&shown, 8));
                if let Some(dir) = &outdir {
                    let path = file(dir, k);
                    npy::write(&path, &shown)?;
                    println!("  wrote {}", path.display());
                }
            }
            println!(
                "{cases} case(s) in {:.3} ms ({:.3} ms per invoke), arena {} bytes",
                ms(elapsed),
                ms(elapsed) / cases.max(1) as f64,
                interp.arena_size()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Compare { model, inputs, expected, tolerance, json } => {
            let at = in_file(&model);
            let m = Model::from_file(&model).map_err(&at)?;
            let mut interp = Interpreter::with_options(&m, &registry, &options).map_err(&at)?;
            let arrays = read_inputs(&interp, &model, &inputs, max)?;
            let (arrays, cases, notes) = runner::prepare_inputs(&interp, arrays).map_err(&at)?;
            for n in notes {
                eprintln!("note: {n}");
            }
            if expected.len() != interp.outputs().len() {
                return Err(at(Error::Usage(format!(
                    "the model has {} output(s), {} expected file(s) given",
                    interp.outputs().len(),
                    expected.len()
                ))));
            }
            let io = check_io(&interp, Some(arrays.total_bytes()), cases, 0, max).map_err(&at)?;
            let mut budget = max - io;
            let mut want = Vec::with_capacity(expected.len());
            for p in &expected {
                let a = npy::read_limited(p, budget)?;
                budget -= a.data.len();
                want.push(a);
            }
            let outputs = runner::run_cases_limited(&mut interp, &arrays, cases, max).map_err(&at)?;
            let mut all_ok = true;
            let mut report = Vec::new();
            for (k, (got, want)) in outputs.iter().zip(&want).enumerate() {
                let t = interp.outputs()[k];
                let info = interp.tensor_info(t).map_err(&at)?;
                let scale = info.quantization.as_ref().map(|q| q.scale[0]);
                let c = runner::compare(got, want, scale)
                    .map_err(|e| Error::Usage(format!("{}: output {k}: {e}", expected[k].display())))?;
                let ok = c.max_steps <= tolerance;
                all_ok &= ok;
                if !json {
                    let unit = if got.dtype == qlite::DType::Float32 { "ULP" } else { "steps" };
                    println!(
                        "output {k} {:?} {} {:?}: {} of {} elements differ, max {} {unit} ({:.6e} real){}  {}",
                        info.name,
                        got.dtype,
                        got.shape,
                        c.differing,
                        c.elements,
                        c.max_steps,
                        c.max_real,
                        c.worst_index.map_or(String::new(), |i| format!(" at flat index {i}")),
                        if ok { "OK" } else { "DIFFERENT" }
                    );
                }
                report.push(Json::obj([
                    ("output", Json::Int(k as i64)),
                    ("name", Json::Str(info.name.clone())),
                    ("dtype", Json::Str(got.dtype.name().into_owned())),
                    ("shape", Json::Arr(got.shape.iter().map(|&d| Json::Int(d as i64)).collect())),
                    ("elements", Json::Int(c.elements as i64)),
                    ("differing", Json::Int(c.differing as i64)),
                    ("max_steps", Json::Int(c.max_steps.min(i64::MAX as u64) as i64)),
                    ("max_real", Json::F64(c.max_real)),
                    ("worst_index", c.worst_index.map_or(Json::Null, |i| Json::Int(i as i64))),
                    ("ok", Json::Bool(ok)),
                ]));
            }
            if json {
                let doc = Json::obj([
                    ("cases", Json::Int(cases as i64)),
                    ("tolerance", Json::Int(tolerance as i64)),
                    ("ok", Json::Bool(all_ok)),
                    ("outputs", Json::Arr(report)),
                ]);
                println!("{}", doc.to_pretty());
            } else {
                println!(
                    "{cases} case(s); tolerance {tolerance}: {}",
                    if all_ok { "all outputs match" } else { "outputs differ" }
                );
            }
            Ok(if all_ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Command::Bench { model, iterations, warmup } => {
            for (flag, n) in [("-n", iterations), ("--warmup", warmup)] {
                if n > MAX_ITERATIONS {
                    return Err(Error::Usage(format!("{flag} {n} is over the limit of {MAX_ITERATIONS} iterations")));
                }
            }
            let at = in_file(&model);
            let t = Instant::now();
            let m = Model::from_file(&model).map_err(&at)?;
            let load = t.elapsed();
            let t = Instant::now();
            let mut interp = Interpreter::with_options(&m, &registry, &options).map_err(&at)?;
            let prep = t.elapsed();
            let arrays = runner::random_inputs_limited(&interp, 0, max).map_err(&at)?;
            runner::set_inputs(&mut interp, &arrays, 0, 1).map_err(&at)?;
            for _ in 0..warmup {
                interp.invoke().map_err(&at)?;
            }
            let runs = iterations.max(1);
            let mut times: Vec<Duration> = Vec::with_capacity(runs);
            for _ in 0..runs {
                let t = Instant::now();
                interp.invoke().map_err(&at)?;
                times.push(t.elapsed());
            }
            times.sort();
            let mean = times.iter().sum::<Duration>() / runs as u32;
            println!("model: {} ({} bytes)", model.display(), m.bytes().len());
            println!(
                "load {:.3} ms, prepare {:.3} ms, arena {} bytes, {} operators run per invoke",
                ms(load),
                ms(prep),
                interp.arena_size(),
                interp.num_steps()
            );
            println!(
                "invoke over {runs} runs: median {:.3} ms, min {:.3} ms, mean {:.3} ms, max {:.3} ms",
                ms(times[runs / 2]),
                ms(times[0]),
                ms(mean),
                ms(times[runs - 1])
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Names `file` in an error that does not name a file already, and an operator error's kind
/// (`... [unsupported]`).
fn in_file(file: &Path) -> impl Fn(Error) -> Error + '_ {
    move |e| match e {
        e @ Error::Io { .. } => e,
        e => match e.op_kind() {
            Some(kind) => Error::Usage(format!("{}: {e} [{kind}]", file.display())),
            None => Error::Usage(format!("{}: {e}", file.display())),
        },
    }
}

/// Refuses a run whose inputs (`None`: too many to count), stacked outputs and `extra` bytes are
/// over `max`; returns the inputs' plus outputs' bytes.
fn check_io(
    interp: &Interpreter<'_>,
    input_bytes: Option<usize>,
    cases: usize,
    extra: usize,
    max: usize,
) -> Result<usize, Error> {
    let io = runner::output_bytes(interp, cases)?.zip(input_bytes).and_then(|(o, i)| o.checked_add(i));
    match io.and_then(|io| io.checked_add(extra)) {
        Some(total) if total <= max => Ok(total - extra),
        total => Err(Error::Usage(format!(
            "the inputs and outputs of {cases} case(s) need {} bytes, over the --max-memory limit of {max}",
            total.map_or_else(|| "more than 2^64".to_string(), |t| t.to_string())
        ))),
    }
}

/// Reads the `-i` files (at most `max` bytes of data in all), checking each against its input.
/// Errors name the file (or the model, for a wrong number of files).
fn read_inputs(interp: &Interpreter<'_>, model: &Path, paths: &[PathBuf], max: usize) -> Result<Vec<Array>, Error> {
    let n = interp.inputs().len();
    if paths.len() != n {
        return Err(Error::Usage(format!("{}: the model has {n} input(s), {} given", model.display(), paths.len())));
    }
    let mut budget = max;
    let mut out = Vec::with_capacity(n);
    for (k, p) in paths.iter().enumerate() {
        let a = npy::read_limited(p, budget)?;
        budget -= a.data.len();
        runner::check_input(interp, k, &a).map_err(|e| Error::Usage(format!("{}: {e}", p.display())))?;
        out.push(a);
    }
    Ok(out)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn preview(a: &Array, n: usize) -> String {
    use qlite::DType as D;
    fn show<T: bytemuck::Pod + std::fmt::Display>(a: &Array, n: usize) -> Vec<String> {
        a.values::<T>().take(n).map(|v| v.to_string()).collect()
    }
    let items: Vec<String> = match a.dtype {
        D::Int8 => show::<i8>(a, n),
        D::UInt8 | D::Bool => show::<u8>(a, n),
        D::Int16 => show::<i16>(a, n),
        D::Int32 => show::<i32>(a, n),
        D::Int64 => show::<i64>(a, n),
        D::Float32 => show::<f32>(a, n),
        _ => vec![format!("{} bytes", a.data.len())],
    };
    let more = if a.len() > n { ", ..." } else { "" };
    format!("{}{more}", items.join(", "))
}
