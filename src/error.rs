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
    /// An operator is invalid, unsupported or failed; [`OpErrorKind`] says which. The kind is
    /// data, not part of the message.
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
        /// Whether the model is invalid, unsupported by this build, refused by TFLite too, or the
        /// operator failed at run time.
        kind: OpErrorKind,
    },
    /// An internal invariant failed: a bug in qlite (the planner or a kernel), never the
    /// model's or the caller's fault.
    #[error("internal error (a qlite bug, please report it): {0}")]
    Internal(String),
    /// A caller's request is invalid (wrong index, wrong type, wrong shape).
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// The kind of an [`Error::Operator`]; `None` for every other variant.
    pub fn op_kind(&self) -> Option<OpErrorKind> {
        match self {
            Error::Operator { kind, .. } => Some(*kind),
            _ => None,
        }
    }
}

/// What kind of failure an [`Error::Operator`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OpErrorKind {
    /// The operator is malformed: wrong arity, missing options, mismatched shapes, an index out
    /// of range, bad quantization. TFLite would refuse it too (or misbehave).
    InvalidModel,
    /// TFLite's kernel accepts this type combination, option or form, but this build of qlite
    /// does not implement it (also an operator with no kernel in the registry).
    Unsupported,
    /// A case TFLite's own kernel refuses as well (its prepare or eval fails).
    RefusedByTflite,
    /// The operator failed while running on the given inputs (e.g. an integer division by zero).
    Runtime,
    /// The operator is valid, but preparing it needs more memory than the interpreter's budget
    /// ([`crate::InterpreterOptions::max_memory_bytes`]) allows.
    OverLimit,
}

impl OpErrorKind {
    /// A short lower-case name: `invalid model`, `unsupported`, `refused by TFLite`, `runtime`,
    /// `over limit`.
    pub fn as_str(self) -> &'static str {
        match self {
            OpErrorKind::InvalidModel => "invalid model",
            OpErrorKind::Unsupported => "unsupported",
            OpErrorKind::RefusedByTflite => "refused by TFLite",
            OpErrorKind::Runtime => "runtime",
            OpErrorKind::OverLimit => "over limit",
        }
    }
}

impl core::fmt::Display for OpErrorKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

fn name_suffix(name: &str) -> String {
    if name.is_empty() { String::new() } else { format!(" ({name:?})") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_have_names() {
        let names: Vec<String> =
            [OpErrorKind::InvalidModel, OpErrorKind::Unsupported, OpErrorKind::RefusedByTflite, OpErrorKind::Runtime]
                .iter()
                .map(ToString::to_string)
                .collect();
        assert_eq!(names, ["invalid model", "unsupported", "refused by TFLite", "runtime"]);
    }

    #[test]
    fn the_kind_is_not_part_of_the_message() {
        let e = Error::Operator {
            subgraph: 0,
            op: 3,
            opcode: "FULLY_CONNECTED".into(),
            msg: "unsupported types".into(),
            kind: OpErrorKind::Unsupported,
        };
        assert_eq!(e.to_string(), "subgraph 0, operator 3 (FULLY_CONNECTED): unsupported types");
        assert_eq!(e.op_kind(), Some(OpErrorKind::Unsupported));
        assert_eq!(Error::Usage("x".into()).op_kind(), None);
    }

    #[test]
    fn a_length_check_failure_is_internal() {
        let v = [1u8, 2, 3];
        let e = crate::ops::common::check_len(&v, 4, "operand").unwrap_err();
        assert!(matches!(e, Error::Internal(_)), "{e:?}");
        assert_eq!(e.op_kind(), None);
        assert_eq!(e.to_string(), "internal error (a qlite bug, please report it): operand has 3 elements, expected 4");
        let mut w = [0i32; 2];
        let e = crate::ops::common::check_len_mut(&mut w, 1, "output").unwrap_err();
        assert!(matches!(e, Error::Internal(_)), "{e:?}");
    }
}
