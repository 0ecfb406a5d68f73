//! The `qlite` command-line tool.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use qlite::Model;

#[derive(Parser)]
#[command(
    name = "qlite",
    version,
    about = "Run and inspect quantized TensorFlow Lite models, bit for bit like TFLite's reference kernels"
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

fn run(cli: Cli) -> Result<ExitCode, qlite::Error> {
    match cli.command {
        Command::Inspect { model, json, tensors } => {
            let m = Model::from_file(&model)?;
            let can_run = |_: &qlite::OperatorCode| false;
            if json {
                println!("{}", qlite::inspect::to_json(&m, &can_run).to_pretty());
            } else {
                print!("{}", qlite::inspect::to_text(&m, &can_run, tensors));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
