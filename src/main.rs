//! The `qlite` command-line tool: `inspect`, `run`, `compare`, `bench`.
//!
//! Exit codes: 0 success (compare: every output within tolerance), 1 compare found outputs
//! outside the tolerance, 2 bad input (unreadable or invalid model, wrong `.npy`, ...), printed
//! as one `error: ...` line on stderr.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use qlite::json::Json;
use qlite::npy::{self, Array};
use qlite::{Error, Interpreter, Model, OpRegistry, runner};

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
        /// Number of timed invokes.
        #[arg(short = 'n', long, default_value_t = 100)]
        iterations: usize,
        /// Untimed invokes first.
        #[arg(long, default_value_t = 5)]
        warmup: usize,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, Error> {
    let registry = OpRegistry::with_builtins();
    match cli.command {
        Command::Inspect { model, json, tensors } => {
            let m = Model::from_file(&model)?;
            let can_run = |c: &qlite::OperatorCode| registry.can_run(c);
            if json {
                println!("{}", qlite::inspect::to_json(&m, &can_run).to_pretty());
            } else {
                print!("{}", qlite::inspect::to_text(&m, &can_run, tensors));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Run { model, inputs, outdir, dequantize, seed } => {
            let m = Model::from_file(&model)?;
            let mut interp = Interpreter::with_registry(&m, &registry)?;
            let arrays = load_inputs(&interp, &inputs, seed)?;
            let (arrays, cases, notes) = runner::prepare_inputs(&interp, arrays)?;
            for n in notes {
                eprintln!("note: {n}");
            }
            let t = Instant::now();
            let outputs = runner::run_cases(&mut interp, &arrays, cases)?;
            let elapsed = t.elapsed();
            if let Some(dir) = &outdir {
                std::fs::create_dir_all(dir).map_err(|source| Error::Io { path: dir.clone(), source })?;
            }
            for (k, out) in outputs.iter().enumerate() {
                let shown = if dequantize { runner::dequantize_output(&interp, k, out)? } else { out.clone() };
                let t = interp.outputs()[k];
                println!(
                    "output {k} {:?}: {} {:?} [{}]",
                    interp.tensor_info(t)?.name,
                    shown.dtype,
                    shown.shape,
                    preview(&shown, 8)
                );
                if let Some(dir) = &outdir {
                    let path = dir.join(format!("output_{k}.npy"));
                    npy::write(&path, &shown)?;
                    println!("  wrote {}", path.display());
                }
            }
            println!(
                "{cases} case(s) in {:.3} ms ({:.3} ms per invoke), arena {} bytes",
                ms(elapsed),
                ms(elapsed) / cases as f64,
                interp.arena_size()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Compare { model, inputs, expected, tolerance, json } => {
            let m = Model::from_file(&model)?;
            let mut interp = Interpreter::with_registry(&m, &registry)?;
            let arrays = load_inputs(&interp, &inputs, 0)?;
            let (arrays, cases, notes) = runner::prepare_inputs(&interp, arrays)?;
            for n in notes {
                eprintln!("note: {n}");
            }
            if expected.len() != interp.outputs().len() {
                return Err(Error::Usage(format!(
                    "the model has {} output(s), {} expected file(s) given",
                    interp.outputs().len(),
                    expected.len()
                )));
            }
            let expected: Vec<Array> = expected.iter().map(|p| npy::read(p)).collect::<Result<_, _>>()?;
            let outputs = runner::run_cases(&mut interp, &arrays, cases)?;
            let mut all_ok = true;
            let mut report = Vec::new();
            for (k, (got, want)) in outputs.iter().zip(&expected).enumerate() {
                let t = interp.outputs()[k];
                let info = interp.tensor_info(t)?;
                let scale = info.quantization.as_ref().map(|q| q.scale[0]);
                let c = runner::compare(got, want, scale).map_err(|e| Error::Usage(format!("output {k}: {e}")))?;
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
            let t = Instant::now();
            let m = Model::from_file(&model)?;
            let load = t.elapsed();
            let t = Instant::now();
            let mut interp = Interpreter::with_registry(&m, &registry)?;
            let prep = t.elapsed();
            let arrays = runner::random_inputs(&interp, 0)?;
            for (k, a) in arrays.iter().enumerate() {
                interp.input_bytes_mut(k)?.copy_from_slice(&a.data);
            }
            for _ in 0..warmup {
                interp.invoke()?;
            }
            let mut times: Vec<Duration> = Vec::with_capacity(iterations);
            for _ in 0..iterations.max(1) {
                let t = Instant::now();
                interp.invoke()?;
                times.push(t.elapsed());
            }
            times.sort();
            let mean = times.iter().sum::<Duration>() / times.len() as u32;
            println!("model: {} ({} bytes)", model.display(), m.bytes().len());
            println!(
                "load {:.3} ms, prepare {:.3} ms, arena {} bytes, {} operators run per invoke",
                ms(load),
                ms(prep),
                interp.arena_size(),
                interp.num_steps()
            );
            println!(
                "invoke over {} runs: median {:.3} ms, min {:.3} ms, mean {:.3} ms, max {:.3} ms",
                times.len(),
                ms(times[times.len() / 2]),
                ms(times[0]),
                ms(mean),
                ms(times[times.len() - 1])
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn load_inputs(interp: &Interpreter<'_>, paths: &[PathBuf], seed: u64) -> Result<Vec<Array>, Error> {
    if paths.is_empty() {
        eprintln!("note: no -i given: running on a random input (seed {seed})");
        return runner::random_inputs(interp, seed);
    }
    paths.iter().map(|p: &PathBuf| npy::read(Path::new(p))).collect()
}

fn preview(a: &Array, n: usize) -> String {
    use qlite::DType as D;
    let items: Vec<String> = match a.dtype {
        D::Int8 => a.to_vec::<i8>().iter().take(n).map(|v| v.to_string()).collect(),
        D::UInt8 | D::Bool => a.to_vec::<u8>().iter().take(n).map(|v| v.to_string()).collect(),
        D::Int16 => a.to_vec::<i16>().iter().take(n).map(|v| v.to_string()).collect(),
        D::Int32 => a.to_vec::<i32>().iter().take(n).map(|v| v.to_string()).collect(),
        D::Int64 => a.to_vec::<i64>().iter().take(n).map(|v| v.to_string()).collect(),
        D::Float32 => a.to_vec::<f32>().iter().take(n).map(|v| format!("{v}")).collect(),
        _ => vec![format!("{} bytes", a.data.len())],
    };
    let more = if a.len() > n { ", ..." } else { "" };
    format!("{}{more}", items.join(", "))
}
