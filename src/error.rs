//! The crate's one error type.
//!
//! Every failure that a file, an input or a caller can cause is an [`Error`]; library code never
//! panics on bad input. Variants carry where the problem is: the subgraph, operator index and
//! opcode name, or tensor index.

#[cfg(feature = "std")]
use std::path::PathBuf;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while loading, preparing or running a model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be opened, mapped or read.
    #[cfg(feature = "std")]
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The bytes are not a TFLite flatbuffer at all (too short, wrong identifier).
    #[error("not a TFLite model: {0}")]
    NotTflite(String),
    /// The flatbuffer's structure is broken (offsets out of bounds, bad vtables, ...).
    #[error("corrupted flatbuffer: {0}")]
    Flatbuffer(String),
    /// A configured limit was exceeded (see [`crate::Limits`]).
    #[error("{what} is {value}, over the limit of {limit}")]
    Limit {
        /// What was counted.
        what: String,
        /// What the file asks for.
        value: u64,
        /// The configured limit.
        limit: u64,
    },
    /// Something about the model as a whole (buffers, opcodes, signatures) is invalid.
    #[error("invalid model: {0}")]
    Model(String),
    /// A tensor is invalid.
    #[error("subgraph {subgraph}, tensor {tensor}{}: {msg}", name_suffix(name))]
    Tensor {
        /// Subgraph index.
        subgraph: usize,
        /// Tensor index within the subgraph.
        tensor: usize,
        /// Tensor name, when known.
        name: String,
        /// What is wrong.
        msg: String,
    },
    /// An operator is invalid, unsupported or failed.
    #[error("subgraph {subgraph}, operator {op} ({opcode}): {msg}")]
    Operator {
        /// Subgraph index.
        subgraph: usize,
        /// Operator index within the subgraph.
        op: usize,
        /// The operator's opcode name (`CONV_2D`, or the custom op's name).
        opcode: String,
        /// What is wrong.
        msg: String,
    },
    /// A caller's request is invalid (wrong index, wrong type, wrong shape).
    #[error("{0}")]
    Usage(String),
}

fn name_suffix(name: &str) -> String {
    if name.is_empty() { String::new() } else { format!(" ({name:?})") }
}
