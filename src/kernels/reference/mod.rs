//! The portable implementations: the operators' former loops, moved here unchanged in their
//! arithmetic. They are the oracle every other implementation is tested against
//! (`tests/conformance.rs`), and the slots of [`dispatch::reference`](super::dispatch::reference).

mod conv;
mod dot;
mod dwconv;
mod gemm;

pub use conv::conv;
pub use dot::{dot_i16, dot4_i16};
pub use dwconv::depthwise;
pub use gemm::fully_connected;
