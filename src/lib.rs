//! qlite: a TensorFlow Lite interpreter that runs quantized models bit for bit like TFLite's
//! reference kernels.
//!
//! ```
//! # fn main() -> Result<(), qlite::Error> {
//! use qlite::{Interpreter, Model};
//!
//! // Load once: map, verify, validate. The weights stay in the mapping.
//! let model = Model::from_file(concat!(env!("CARGO_MANIFEST_DIR"), "/models/mlp_int8.tflite"))?;
//! // Prepare once: kernels, multipliers, arena plan.
//! let mut interp = Interpreter::new(&model)?;
//! // Invoke many times; no allocation per invoke.
//! for x in [-128i8, 0, 127] {
//!     interp.input_mut::<i8>(0)?.fill(x);
//!     interp.invoke()?;
//!     let out: &[i8] = interp.output::<i8>(0)?;
//!     assert_eq!(out.len(), 4);
//! }
//! // Typed access is checked: the input is int8, not float32.
//! assert!(interp.input_mut::<f32>(0).is_err());
//! # Ok(())
//! # }
//! ```
//!
//! Modules: [`model`] loads and validates a file, [`interpreter`] prepares and runs it,
//! [`ops`] holds the registry and one kernel per operator (TFLite's semantics: validation and
//! parameters), [`kernels`] the pure compute loops they call through a dispatch table (the
//! portable reference, overridable per instruction set); the crate-private `arith` (with
//! `fixedpoint` and `libm`, a bit-exact port of the C library functions TFLite calls) is the only
//! place where rounding happens; `runner` and `npy` (feature `cli`) back the CLI's
//! `run`/`compare`, [`inspect`] its `inspect`.

// Library code never panics on input: unwrap/expect/panic! are for tests only (clippy enforces it;
// `cargo clippy --all-targets -- -D warnings` runs in CI).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub(crate) mod arith;
pub mod dtype;
pub mod error;
pub(crate) mod fixedpoint;
#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod fuzzing;
pub mod inspect;
pub mod interpreter;
pub mod json;
pub mod kernels;
pub(crate) mod libm;
pub mod model;
#[cfg(feature = "cli")]
pub mod npy;
pub mod ops;
pub mod profile;
#[cfg(feature = "cli")]
pub mod runner;
pub mod schema;

pub use dtype::DType;
pub use error::{Error, OpErrorKind, Result};
pub use interpreter::{Interpreter, InterpreterOptions, PreparedGraph};
pub use model::{Limits, Model, Operator, OperatorCode, Quantization, Subgraph, Tensor};
pub use ops::OpRegistry;
pub use profile::Profile;
pub use schema::tflite;
