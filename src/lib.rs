//! qlite: a TensorFlow Lite interpreter that runs quantized models bit for bit like TFLite's
//! reference kernels.
//!
//! ```
//! # fn main() -> Result<(), qlite::Error> {
//! let model = qlite::Model::from_file(concat!(env!("CARGO_MANIFEST_DIR"), "/models/mlp_int8.tflite"))?;
//! let sg = model.main_subgraph();
//! let input = &sg.tensors[sg.inputs[0]];
//! assert_eq!(input.dtype, qlite::DType::Int8);
//! println!("input {:?} {:?} {:?}", input.name, input.shape, input.quantization);
//! # Ok(())
//! # }
//! ```

pub mod arith;
pub mod dtype;
pub mod error;
pub mod fixedpoint;
pub mod inspect;
pub mod interpreter;
pub mod json;
pub mod libm;
pub mod model;
pub mod npy;
pub mod ops;
pub mod runner;
pub mod schema;

pub use dtype::DType;
pub use error::{Error, Result};
pub use interpreter::{Interpreter, InterpreterOptions};
pub use model::{Limits, Model, Operator, OperatorCode, Quantization, Subgraph, Tensor};
pub use ops::OpRegistry;
pub use schema::tflite;
