//! Loading a `.tflite` file: map it, verify the flatbuffer, validate its content, and expose
//! typed, owned views of its metadata.
//!
//! Contract:
//! - The bytes are never trusted. [`Model`] construction first runs the flatbuffer verifier over
//!   the whole file once, then checks every index (tensor, buffer, opcode, subgraph), every
//!   constant buffer's length against shape × element size, external buffers' bounds, scales
//!   (finite, > 0), zero points (inside the type's range) and per-channel lengths, with checked
//!   arithmetic and configurable [`Limits`]. Any violation is an [`Error`] naming the subgraph and
//!   the tensor or operator index; nothing panics.
//! - Weights are never copied: constant tensor data is a borrowed slice of the mapping
//!   ([`Model::tensor_data`]). Loading takes time proportional to the metadata (tensors,
//!   operators), not to the weights.
//! - A [`Model`] is immutable, `Send` and `Sync`: several interpreters may share one.

use std::ops::Range;
#[cfg(feature = "std")]
use std::path::Path;

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::schema::tflite;

mod decode;
use decode::Decoded;

/// Limits that a file must respect to be loaded. The defaults accept every real model we know of
/// while bounding what a hostile file can make the loader do.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest file accepted, in bytes.
    pub max_file_size: u64,
    /// Largest number of elements in one tensor.
    pub max_tensor_elements: u64,
    /// Largest tensor rank.
    pub max_rank: usize,
    /// Largest number of tensors in one subgraph.
    pub max_tensors: usize,
    /// Largest number of operators in one subgraph.
    pub max_operators: usize,
    /// Largest number of subgraphs.
    pub max_subgraphs: usize,
    /// Largest number of flatbuffer tables the verifier will visit.
    pub max_tables: usize,
    /// Largest number of tensors over all subgraphs together.
    pub max_total_tensors: usize,
    /// Largest number of bytes of tensor names over all subgraphs together.
    pub max_name_bytes: u64,
    /// The verifier reads at most this many times the file's size (plus 64 KiB). A flatbuffer can
    /// point many offsets at one table, so a small file can describe a huge tree (one tensor
    /// table referenced a million times by a subgraph referenced 16 times); every model we know
    /// of reads less than twice its size.
    pub max_apparent_size_factor: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_size: 4 << 30,
            max_tensor_elements: 1 << 32,
            max_rank: 16,
            max_tensors: 1 << 20,
            max_operators: 1 << 20,
            max_subgraphs: 1 << 12,
            max_tables: 1 << 24,
            max_total_tensors: 1 << 20,
            max_name_bytes: 64 << 20,
            max_apparent_size_factor: 8,
        }
    }
}

/// Quantization parameters of a tensor: `real = scale · (q − zero_point)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantization {
    /// One scale (per-tensor) or one per slice along `quantized_dimension` (per-channel).
    pub scale: Vec<f32>,
    /// Zero points, as many as scales.
    pub zero_point: Vec<i64>,
    /// The axis of per-channel quantization (as written in the file; meaningless per-tensor).
    pub quantized_dimension: usize,
}

impl Quantization {
    /// More than one scale.
    pub fn is_per_channel(&self) -> bool {
        self.scale.len() > 1
    }
}

/// A tensor's description.
#[derive(Debug, Clone)]
pub struct Tensor {
    /// Name (may be empty).
    pub name: String,
    /// Element type.
    pub dtype: DType,
    /// Shape; a dimension unknown until run time is stored as 1 (see `shape_signature`).
    pub shape: Vec<usize>,
    /// Shape with −1 for dimensions unknown until run time, when the file records one.
    pub shape_signature: Option<Vec<i32>>,
    /// Index of the tensor's buffer in the model's buffer table.
    pub buffer: usize,
    /// Quantization parameters, `None` for unquantized tensors.
    pub quantization: Option<Quantization>,
    /// A variable tensor (state kept between invocations).
    pub is_variable: bool,
    /// Stored in a sparse format (its buffer holds the compressed values).
    pub is_sparse: bool,
    data: Option<Range<usize>>,
}

impl Tensor {
    /// Number of elements of `shape`.
    pub fn num_elements(&self) -> usize {
        self.shape.iter().product()
    }
    /// True when the tensor has constant data in the file.
    pub fn is_constant(&self) -> bool {
        self.data.is_some()
    }
}

/// An operator code: a builtin operator, or a custom one with its name.
#[derive(Debug, Clone, PartialEq)]
pub struct OperatorCode {
    /// The builtin operator (`CUSTOM` for custom ops), decoded with the
    /// `max(deprecated_builtin_code, builtin_code)` rule.
    pub builtin: tflite::BuiltinOperator,
    /// The custom op's name, for `CUSTOM`.
    pub custom_name: Option<String>,
    /// The operator version.
    pub version: i32,
}

impl OperatorCode {
    /// TFLite's enum name (`CONV_2D`), the custom op's name, or `UNKNOWN(code)` for a code this
    /// build does not know.
    pub fn name(&self) -> String {
        if self.builtin == tflite::BuiltinOperator::CUSTOM
            && let Some(n) = &self.custom_name
        {
            return n.clone();
        }
        match self.builtin.variant_name() {
            Some(n) => n.to_string(),
            None => format!("UNKNOWN({})", self.builtin.0),
        }
    }
}

/// An operator in a subgraph.
#[derive(Debug, Clone)]
pub struct Operator {
    /// Index into [`Model::operator_codes`].
    pub opcode_index: usize,
    /// Input tensor indices; `None` for an omitted optional input (−1 in the file).
    pub inputs: Vec<Option<usize>>,
    /// Output tensor indices; `None` for an omitted optional output.
    pub outputs: Vec<Option<usize>>,
    /// Intermediate tensor indices (used by some LSTM kernels).
    pub intermediates: Vec<usize>,
    /// Which options table `builtin_options` holds.
    pub options_type: tflite::BuiltinOptions,
    /// Which options table `builtin_options_2` holds.
    pub options2_type: tflite::BuiltinOptions2,
    table_loc: usize,
    custom_options: Option<Range<usize>>,
}

/// A subgraph: tensors, operators in execution order, and its inputs and outputs.
#[derive(Debug, Clone)]
pub struct Subgraph {
    /// Name (may be empty).
    pub name: String,
    /// Tensors, indexed by the operators.
    pub tensors: Vec<Tensor>,
    /// Input tensor indices.
    pub inputs: Vec<usize>,
    /// Output tensor indices.
    pub outputs: Vec<usize>,
    /// Operators in execution order.
    pub operators: Vec<Operator>,
}

/// A named model input or output of a signature.
#[derive(Debug, Clone)]
pub struct SignatureTensor {
    /// The signature's name for it.
    pub name: String,
    /// The tensor index in the signature's subgraph.
    pub tensor: usize,
}

/// A signature (named entry point).
#[derive(Debug, Clone)]
pub struct Signature {
    /// The signature key (`serving_default`, ...).
    pub key: String,
    /// The subgraph it runs.
    pub subgraph: usize,
    /// Named inputs.
    pub inputs: Vec<SignatureTensor>,
    /// Named outputs.
    pub outputs: Vec<SignatureTensor>,
}

/// A metadata entry: a name and the buffer that holds its bytes.
#[derive(Debug, Clone)]
pub struct Metadata {
    /// The entry's name (`min_runtime_version`, `CONVERSION_METADATA`, ...).
    pub name: String,
    /// The buffer index.
    pub buffer: usize,
}

enum Storage {
    #[cfg(feature = "std")]
    Mmap(memmap2::Mmap),
    Owned(Vec<u8>),
    Static(&'static [u8]),
}

impl Storage {
    fn bytes(&self) -> &[u8] {
        match self {
            #[cfg(feature = "std")]
            Storage::Mmap(m) => m,
            Storage::Owned(v) => v,
            Storage::Static(s) => s,
        }
    }
}

/// A loaded, verified and validated model. Weights stay in the file's mapping (or the bytes it
/// was given); everything else is decoded into owned, typed views.
pub struct Model {
    storage: Storage,
    version: u32,
    description: Option<String>,
    operator_codes: Vec<OperatorCode>,
    subgraphs: Vec<Subgraph>,
    buffers: Vec<Option<Range<usize>>>,
    metadata: Vec<Metadata>,
    signatures: Vec<Signature>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("bytes", &self.bytes().len())
            .field("subgraphs", &self.subgraphs.len())
            .field("operator_codes", &self.operator_codes)
            .finish_non_exhaustive()
    }
}

impl Model {
    /// Maps and loads a `.tflite` file with the default [`Limits`].
    #[cfg(feature = "std")]
    pub fn from_file(path: impl AsRef<Path>) -> Result<Model> {
        Self::from_file_with_limits(path, &Limits::default())
    }

    /// Maps and loads a `.tflite` file. The file is memory-mapped; weights are read from the
    /// mapping and never copied. As with every memory-mapped file, the file must not be modified
    /// while the model is alive.
    #[cfg(feature = "std")]
    pub fn from_file_with_limits(path: impl AsRef<Path>, limits: &Limits) -> Result<Model> {
        let path = path.as_ref();
        let io = |source| Error::Io { path: path.to_path_buf(), source };
        let file = std::fs::File::open(path).map_err(io)?;
        let meta = file.metadata().map_err(io)?;
        if !meta.is_file() {
            // A pipe or device cannot be mapped: read it, never past the size limit.
            use std::io::Read as _;
            let mut bytes = Vec::new();
            file.take(limits.max_file_size.saturating_add(1)).read_to_end(&mut bytes).map_err(io)?;
            check_limit("file size", bytes.len() as u64, limits.max_file_size)?;
            return Self::load(Storage::Owned(bytes), limits);
        }
        check_limit("file size", meta.len(), limits.max_file_size)?;
        if meta.len() == 0 {
            return Err(Error::NotTflite("the file is empty".into()));
        }
        // SAFETY: the mapping is read-only and private to this Model. Like every user of a
        // memory-mapped file we rely on the file not being truncated or modified while mapped;
        // the documentation of `from_file` states this.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
        Self::load(Storage::Mmap(map), limits)
    }

    /// Loads a model from bytes, copying them once into an owned buffer. Use
    /// [`Model::from_vec`] or [`Model::from_static`] to avoid the copy.
    pub fn from_bytes(bytes: &[u8]) -> Result<Model> {
        check_limit("file size", bytes.len() as u64, Limits::default().max_file_size)?;
        Self::load(Storage::Owned(bytes.to_vec()), &Limits::default())
    }

    /// Loads a model from an owned buffer, without copying it.
    pub fn from_vec(bytes: Vec<u8>) -> Result<Model> {
        Self::from_vec_with_limits(bytes, &Limits::default())
    }

    /// Loads a model from an owned buffer with the given limits, without copying it.
    pub fn from_vec_with_limits(bytes: Vec<u8>, limits: &Limits) -> Result<Model> {
        check_limit("file size", bytes.len() as u64, limits.max_file_size)?;
        Self::load(Storage::Owned(bytes), limits)
    }

    /// Loads a model from static bytes (e.g. `include_bytes!`), without copying them.
    pub fn from_static(bytes: &'static [u8]) -> Result<Model> {
        check_limit("file size", bytes.len() as u64, Limits::default().max_file_size)?;
        Self::load(Storage::Static(bytes), &Limits::default())
    }

    fn load(storage: Storage, limits: &Limits) -> Result<Model> {
        let bytes = storage.bytes();
        if bytes.len() < 8 {
            return Err(Error::NotTflite(format!("{} bytes is too short for a flatbuffer", bytes.len())));
        }
        if &bytes[4..8] != tflite::FILE_IDENTIFIER.as_bytes() {
            return Err(Error::NotTflite(format!(
                "file identifier is {:?}, expected {:?}",
                String::from_utf8_lossy(&bytes[4..8]),
                tflite::FILE_IDENTIFIER
            )));
        }
        let opts = flatbuffers::VerifierOptions {
            max_depth: 64,
            max_tables: limits.max_tables,
            max_apparent_size: bytes.len().saturating_mul(limits.max_apparent_size_factor).saturating_add(1 << 16),
            ignore_missing_null_terminator: true,
        };
        let root = tflite::root_with_opts(&opts, bytes).map_err(|e| {
            if let flatbuffers::InvalidFlatbuffer::ApparentSizeTooLarge = e {
                return Error::Flatbuffer(format!(
                    "its tables are referenced many times over: verifying it would read more than {} bytes \
                     ({}x the file size, Limits::max_apparent_size_factor)",
                    opts.max_apparent_size, limits.max_apparent_size_factor
                ));
            }
            // The verifier's message spans several lines (error, then a trace): make it one.
            let text = e.to_string();
            Error::Flatbuffer(
                text.split(['\n', '\t']).map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; "),
            )
        })?;
        let decoded = Decoded::new(bytes, root, limits)?;
        Ok(Model {
            version: decoded.version,
            description: decoded.description,
            operator_codes: decoded.operator_codes,
            subgraphs: decoded.subgraphs,
            buffers: decoded.buffers,
            metadata: decoded.metadata,
            signatures: decoded.signatures,
            storage,
        })
    }

    /// The whole file.
    pub fn bytes(&self) -> &[u8] {
        self.storage.bytes()
    }
    /// Schema version recorded in the file (3 for current files).
    pub fn version(&self) -> u32 {
        self.version
    }
    /// The model's description string, if any.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }
    /// The operator code table.
    pub fn operator_codes(&self) -> &[OperatorCode] {
        &self.operator_codes
    }
    /// All subgraphs; subgraph 0 is the main one.
    pub fn subgraphs(&self) -> &[Subgraph] {
        &self.subgraphs
    }
    /// The main subgraph (subgraph 0).
    pub fn main_subgraph(&self) -> &Subgraph {
        // Loading rejects models without subgraphs, so index 0 exists.
        &self.subgraphs[0]
    }
    /// Signatures (named entry points).
    pub fn signatures(&self) -> &[Signature] {
        &self.signatures
    }
    /// Metadata entries.
    pub fn metadata(&self) -> &[Metadata] {
        &self.metadata
    }
    /// Number of buffers in the buffer table.
    pub fn num_buffers(&self) -> usize {
        self.buffers.len()
    }
    /// The bytes of buffer `index`, or `None` when it is empty or out of range.
    pub fn buffer_data(&self, index: usize) -> Option<&[u8]> {
        let r = self.buffers.get(index)?.clone()?;
        self.bytes().get(r)
    }
    /// The constant data of a tensor, borrowed from the file; `None` for tensors without data
    /// (activations, inputs) and for out-of-range indices.
    pub fn tensor_data(&self, subgraph: usize, tensor: usize) -> Option<&[u8]> {
        let r = self.subgraphs.get(subgraph)?.tensors.get(tensor)?.data.clone()?;
        self.bytes().get(r)
    }
    /// The opcode of an operator.
    pub fn opcode(&self, op: &Operator) -> &OperatorCode {
        // Loading checked every opcode index.
        &self.operator_codes[op.opcode_index]
    }
    /// The custom options bytes of an operator, if any.
    pub fn custom_options(&self, op: &Operator) -> Option<&[u8]> {
        self.bytes().get(op.custom_options.clone()?)
    }
    /// The verified flatbuffer table of an operator, for reading its builtin options:
    /// `model.operator_table(op).builtin_options_as::<tflite::Conv2DOptions>()`.
    pub fn operator_table(&self, op: &Operator) -> tflite::Operator<'_> {
        // SAFETY: `table_loc` is the location of an Operator table inside these same immutable
        // bytes, taken from the tree that `root_with_opts` verified when this Model was built.
        unsafe { <tflite::Operator<'_> as flatbuffers::Follow<'_>>::follow(self.bytes(), op.table_loc) }
    }
}

fn check_limit(what: &str, value: u64, limit: u64) -> Result<()> {
    if value > limit {
        return Err(Error::Limit { what: what.to_string(), value, limit });
    }
    Ok(())
}
