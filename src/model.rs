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
use crate::error::{Error, OpErrorKind, Result};
use crate::schema::tflite;

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

/// Offset of a slice that lies inside `base` (both from the same verified buffer).
fn offset_in(base: &[u8], part: &[u8]) -> usize {
    (part.as_ptr() as usize).wrapping_sub(base.as_ptr() as usize)
}

struct Decoded {
    version: u32,
    description: Option<String>,
    operator_codes: Vec<OperatorCode>,
    subgraphs: Vec<Subgraph>,
    buffers: Vec<Option<Range<usize>>>,
    metadata: Vec<Metadata>,
    signatures: Vec<Signature>,
}

impl Decoded {
    fn new(bytes: &[u8], root: tflite::Model<'_>, limits: &Limits) -> Result<Decoded> {
        let file_len = bytes.len() as u64;
        // Buffers: inline data (already bounds-checked by the verifier) or offset/size into the file.
        let mut buffers = Vec::new();
        for (i, b) in root.buffers().into_iter().flatten().enumerate() {
            let inline = b.data().map(|d| d.bytes()).filter(|d| !d.is_empty());
            let range = match inline {
                Some(d) => {
                    let start = offset_in(bytes, d);
                    Some(start..start + d.len())
                }
                None if b.offset() > 1 => {
                    let end = b.offset().checked_add(b.size()).filter(|&e| e <= file_len).ok_or_else(|| {
                        Error::Model(format!(
                            "buffer {i}: external data at offset {} size {} lies outside the {file_len}-byte file",
                            b.offset(),
                            b.size()
                        ))
                    })?;
                    Some(b.offset() as usize..end as usize)
                }
                None => None,
            };
            buffers.push(range);
        }

        let mut operator_codes = Vec::new();
        for (i, c) in root.operator_codes().into_iter().flatten().enumerate() {
            let code = (c.deprecated_builtin_code() as i32).max(c.builtin_code().0);
            let builtin = tflite::BuiltinOperator(code);
            let custom_name = c.custom_code().map(str::to_string);
            if builtin == tflite::BuiltinOperator::CUSTOM && custom_name.as_deref().unwrap_or("").is_empty() {
                return Err(Error::Model(format!("operator code {i}: a CUSTOM operator without a name")));
            }
            operator_codes.push(OperatorCode { builtin, custom_name, version: c.version() });
        }

        let sgs = root.subgraphs().ok_or_else(|| Error::Model("the model has no subgraphs".into()))?;
        if sgs.is_empty() {
            return Err(Error::Model("the model has no subgraphs".into()));
        }
        check_limit("number of subgraphs", sgs.len() as u64, limits.max_subgraphs as u64)?;
        let mut subgraphs = Vec::with_capacity(sgs.len());
        let (mut total_tensors, mut name_bytes) = (0u64, 0u64);
        for (si, sg) in sgs.iter().enumerate() {
            // Counted before decoding, so a file cannot make the decoder allocate past the limits.
            for t in sg.tensors().into_iter().flatten() {
                total_tensors += 1;
                name_bytes += t.name().map_or(0, |n| n.len() as u64);
            }
            check_limit("number of tensors in all subgraphs", total_tensors, limits.max_total_tensors as u64)?;
            check_limit("bytes of tensor names in all subgraphs", name_bytes, limits.max_name_bytes)?;
            subgraphs.push(decode_subgraph(bytes, si, sg, &buffers, &operator_codes, limits)?);
        }

        let mut metadata = Vec::new();
        for (i, m) in root.metadata().into_iter().flatten().enumerate() {
            let buffer = m.buffer() as usize;
            if buffer >= buffers.len() {
                return Err(Error::Model(format!(
                    "metadata {i}: buffer {buffer} out of range ({} buffers)",
                    buffers.len()
                )));
            }
            metadata.push(Metadata { name: m.name().unwrap_or("").to_string(), buffer });
        }

        let mut signatures = Vec::new();
        for (i, s) in root.signature_defs().into_iter().flatten().enumerate() {
            let subgraph = s.subgraph_index() as usize;
            let sg = subgraphs.get(subgraph).ok_or_else(|| {
                Error::Model(format!("signature {i}: subgraph {subgraph} out of range ({} subgraphs)", subgraphs.len()))
            })?;
            let maps = |v: Option<flatbuffers::Vector<'_, flatbuffers::ForwardsUOffset<tflite::TensorMap<'_>>>>| {
                let mut out = Vec::new();
                for m in v.into_iter().flatten() {
                    let tensor = m.tensor_index() as usize;
                    if tensor >= sg.tensors.len() {
                        return Err(Error::Model(format!(
                            "signature {i}: tensor {tensor} out of range (subgraph {subgraph} has {} tensors)",
                            sg.tensors.len()
                        )));
                    }
                    out.push(SignatureTensor { name: m.name().unwrap_or("").to_string(), tensor });
                }
                Ok(out)
            };
            signatures.push(Signature {
                key: s.signature_key().unwrap_or("").to_string(),
                subgraph,
                inputs: maps(s.inputs())?,
                outputs: maps(s.outputs())?,
            });
        }

        Ok(Decoded {
            version: root.version(),
            description: root.description().map(str::to_string),
            operator_codes,
            subgraphs,
            buffers,
            metadata,
            signatures,
        })
    }
}

fn decode_subgraph(
    bytes: &[u8],
    si: usize,
    sg: tflite::SubGraph<'_>,
    buffers: &[Option<Range<usize>>],
    operator_codes: &[OperatorCode],
    limits: &Limits,
) -> Result<Subgraph> {
    let ftensors = sg.tensors();
    let n_tensors = ftensors.map_or(0, |t| t.len());
    check_limit(&format!("subgraph {si}: number of tensors"), n_tensors as u64, limits.max_tensors as u64)?;
    let mut tensors = Vec::with_capacity(n_tensors);
    for (ti, t) in ftensors.into_iter().flatten().enumerate() {
        tensors.push(decode_tensor(si, ti, t, buffers, limits)?);
    }

    let index_list = |what: &str, v: Option<flatbuffers::Vector<'_, i32>>| -> Result<Vec<usize>> {
        v.into_iter()
            .flatten()
            .map(|i| {
                usize::try_from(i).ok().filter(|&i| i < n_tensors).ok_or_else(|| {
                    Error::Model(format!("subgraph {si}: {what} tensor {i} out of range ({n_tensors} tensors)"))
                })
            })
            .collect()
    };
    let inputs = index_list("input", sg.inputs())?;
    let outputs = index_list("output", sg.outputs())?;

    let fops = sg.operators();
    let n_ops = fops.map_or(0, |o| o.len());
    check_limit(&format!("subgraph {si}: number of operators"), n_ops as u64, limits.max_operators as u64)?;
    let mut operators = Vec::with_capacity(n_ops);
    for (oi, op) in fops.into_iter().flatten().enumerate() {
        let opcode_index = op.opcode_index() as usize;
        let code = operator_codes.get(opcode_index);
        let err = |msg: String| Error::Operator {
            subgraph: si,
            op: oi,
            opcode: code.map_or_else(|| "?".to_string(), OperatorCode::name),
            msg,
            kind: OpErrorKind::InvalidModel,
        };
        if code.is_none() {
            return Err(err(format!(
                "opcode index {opcode_index} out of range ({} operator codes)",
                operator_codes.len()
            )));
        }
        let optional = |what: &str, v: Option<flatbuffers::Vector<'_, i32>>| -> Result<Vec<Option<usize>>> {
            v.into_iter()
                .flatten()
                .map(|i| match i {
                    -1 => Ok(None),
                    i => usize::try_from(i)
                        .ok()
                        .filter(|&i| i < n_tensors)
                        .map(Some)
                        .ok_or_else(|| err(format!("{what} tensor {i} out of range ({n_tensors} tensors)"))),
                })
                .collect()
        };
        let op_inputs = optional("input", op.inputs())?;
        let op_outputs = optional("output", op.outputs())?;
        let intermediates = optional("intermediate", op.intermediates())?
            .into_iter()
            .map(|i| i.ok_or_else(|| err("intermediate tensor -1".into())))
            .collect::<Result<Vec<_>>>()?;
        let mut custom_options = op.custom_options().map(|c| {
            let s = offset_in(bytes, c.bytes());
            s..s + c.len()
        });
        if op.large_custom_options_size() > 0 {
            let (off, size) = (op.large_custom_options_offset(), op.large_custom_options_size());
            let end = off
                .checked_add(size)
                .filter(|&e| e <= bytes.len() as u64)
                .ok_or_else(|| err(format!("large custom options at offset {off} size {size} lie outside the file")))?;
            custom_options = Some(off as usize..end as usize);
        }
        operators.push(Operator {
            opcode_index,
            inputs: op_inputs,
            outputs: op_outputs,
            intermediates,
            options_type: op.builtin_options_type(),
            options2_type: op.builtin_options_2_type(),
            table_loc: op._tab.loc(),
            custom_options,
        });
    }
    Ok(Subgraph { name: sg.name().unwrap_or("").to_string(), tensors, inputs, outputs, operators })
}

fn decode_tensor(
    si: usize,
    ti: usize,
    t: tflite::Tensor<'_>,
    buffers: &[Option<Range<usize>>],
    limits: &Limits,
) -> Result<Tensor> {
    let name = t.name().unwrap_or("").to_string();
    let err = |msg: String| Error::Tensor { subgraph: si, tensor: ti, name: name.clone(), msg };
    let dtype = DType::from_tflite(t.type_());
    let fshape = t.shape();
    let rank = fshape.map_or(0, |s| s.len());
    if rank > limits.max_rank {
        return Err(err(format!("rank {rank} is over the limit of {}", limits.max_rank)));
    }
    let mut shape = Vec::with_capacity(rank);
    let mut elements: u64 = 1;
    for d in fshape.into_iter().flatten() {
        // A −1 in `shape` (some converters write it for an unknown batch) counts as 1 here.
        let d = match d {
            -1 => 1,
            d => usize::try_from(d).map_err(|_| err(format!("negative dimension {d} in shape")))?,
        };
        elements = elements.checked_mul(d as u64).ok_or_else(|| err("element count overflows".into()))?;
        shape.push(d);
    }
    if elements > limits.max_tensor_elements {
        return Err(err(format!("{elements} elements is over the limit of {}", limits.max_tensor_elements)));
    }
    let shape_signature = t.shape_signature().map(|s| s.iter().collect::<Vec<i32>>());
    if let Some(sig) = &shape_signature
        && (sig.len() != rank || sig.iter().any(|&d| d < -1))
    {
        return Err(err(format!("shape_signature {sig:?} does not fit shape {shape:?}")));
    }
    let buffer = t.buffer() as usize;
    let buf =
        buffers.get(buffer).ok_or_else(|| err(format!("buffer {buffer} out of range ({} buffers)", buffers.len())))?;
    let is_sparse = t.sparsity().is_some();
    let data = buf.clone();
    if let Some(r) = &data
        && !is_sparse
        && let Some(want) = dtype.byte_size(elements)
        && (r.end - r.start) as u64 != want
    {
        let have = r.end - r.start;
        return Err(err(format!("buffer {buffer} holds {have} bytes, but shape {shape:?} of {dtype} needs {want}")));
    }
    let quantization = match t.quantization() {
        None => None,
        Some(q) => decode_quantization(q, dtype, &shape, data.is_some()).map_err(err)?,
    };
    Ok(Tensor {
        name: name.clone(),
        dtype,
        shape,
        shape_signature,
        buffer,
        quantization,
        is_variable: t.is_variable(),
        is_sparse,
        data,
    })
}

fn decode_quantization(
    q: tflite::QuantizationParameters<'_>,
    dtype: DType,
    shape: &[usize],
    constant: bool,
) -> Result<Option<Quantization>, String> {
    // Read the little-endian vectors in bulk (per-channel models carry tens of thousands).
    let scale: Vec<f32> = q
        .scale()
        .map(|s| s.bytes().chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
        .unwrap_or_default();
    if scale.is_empty() {
        return Ok(None);
    }
    let zero_point: Vec<i64> = q
        .zero_point()
        .map(|z| {
            z.bytes()
                .chunks_exact(8)
                .map(|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                .collect()
        })
        .unwrap_or_default();
    if zero_point.len() != scale.len() {
        return Err(format!("{} scales but {} zero points", scale.len(), zero_point.len()));
    }
    // Scales must be finite and positive, except that a constant tensor (weights, bias) may have
    // a zero scale: TensorFlow's int16x8 converter writes scale 0 for a per-channel weight
    // channel that is all zero (and its bias), and TFLite runs such models (the channel's
    // multiplier is 0). No kernel divides by a weight or bias scale.
    let ok = |s: f32| s.is_finite() && (s > 0.0 || (constant && s == 0.0));
    if let Some((i, s)) = scale.iter().enumerate().find(|(_, s)| !ok(**s)) {
        return Err(format!("scale[{i}] = {s} is not finite and positive"));
    }
    if let Some((lo, hi)) = dtype.int_range()
        && let Some((i, z)) = zero_point.iter().enumerate().find(|(_, z)| !(lo..=hi).contains(*z))
    {
        return Err(format!("zero_point[{i}] = {z} is outside the range of {dtype}"));
    }
    let qd = q.quantized_dimension();
    let quantized_dimension = usize::try_from(qd).map_err(|_| format!("negative quantized_dimension {qd}"))?;
    if scale.len() > 1 {
        // Per-channel: one scale per slice along the quantized dimension. (A single scale is
        // per-tensor whatever quantized_dimension says; TFLite Micro accepts that, and
        // person_detect.tflite relies on it.)
        // A 1-D tensor (a bias) whose length equals the number of scales is per-channel along its
        // only axis whatever quantized_dimension says: person_detect.tflite's biases carry its
        // filters' quantized_dimension 3, and TFLite Micro runs it.
        if shape.len() == 1 && shape[0] == scale.len() && quantized_dimension != 0 {
            return Ok(Some(Quantization { scale, zero_point, quantized_dimension: 0 }));
        }
        let dim = shape
            .get(quantized_dimension)
            .ok_or_else(|| format!("quantized_dimension {quantized_dimension} is not an axis of shape {shape:?}"))?;
        if *dim != scale.len() {
            return Err(format!(
                "{} per-channel scales, but dimension {quantized_dimension} of shape {shape:?} has size {dim}",
                scale.len()
            ));
        }
    }
    Ok(Some(Quantization { scale, zero_point, quantized_dimension }))
}
