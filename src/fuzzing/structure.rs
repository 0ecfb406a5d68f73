//! Structure-aware mutation of `.tflite` files: edit SEMANTIC fields in place, so that the mutant
//! still passes the flatbuffer verifier and reaches validation, prepare and invoke.
//!
//! [`slots`] walks a verified model with the generated accessors and `flatbuffers::Table`'s
//! vtable lookups and collects the (byte position, width, kind) of every field it can edit
//! without changing the layout: tensor shape and shape-signature entries, tensor type, buffer
//! index, `is_variable`, quantization scales, zero points and `quantized_dimension`, operator
//! `opcode_index`, operator inputs, outputs and intermediates (tensor indices, −1), subgraph
//! inputs and outputs, every scalar field (and scalar-vector element) of each operator's builtin
//! options tables (field types from the schema layout `build.rs` derives, so subgraph indices of
//! WHILE/IF/CALL_ONCE are there too), and the entries of each subgraph's operator vector (an edit
//! there swaps two operators). A field the writer left out (a default value) has no bytes and
//! cannot be edited.
//!
//! [`mutate`] applies a list of edits to a copy of a seed; [`run`] is the fuzz target's body.
//!
//! Input format of [`run`]: byte 0 picks the seed (modulo the number of seeds); then each group
//! of [`EDIT_BYTES`] bytes is one edit: slot (u16, modulo the number of slots), mode, value byte.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::error::Result;
use crate::schema::tflite;

/// Bytes per edit in [`run`]'s input.
pub const EDIT_BYTES: usize = 4;
/// Edits applied at most per input.
pub const MAX_EDITS: usize = 16;
/// Elements of one vector offered as slots at most (shapes and index lists are short; this
/// bounds long scale vectors).
const MAX_VECTOR_SLOTS: usize = 64;

/// What a slot holds, which decides the values an edit writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotKind {
    /// An integer scalar without a better model of its values.
    Int,
    /// A boolean.
    Bool,
    /// A `TensorType`.
    DType,
    /// A shape (or shape-signature) entry.
    Dim,
    /// A tensor index; −1 means an omitted optional tensor.
    TensorIndex {
        /// Tensors in the subgraph.
        count: u32,
    },
    /// A buffer index.
    BufferIndex {
        /// Buffers in the model.
        count: u32,
    },
    /// An operator's `opcode_index`.
    OpcodeIndex {
        /// Operator codes in the model.
        count: u32,
    },
    /// A subgraph index (in WHILE/IF/CALL_ONCE/... options).
    SubgraphIndex {
        /// Subgraphs in the model.
        count: u32,
    },
    /// A float32 (scales, options such as `beta`, `alpha`, `cell_clip`).
    Float,
    /// An entry of a subgraph's operator vector (a forward offset): an edit swaps it with
    /// another entry of the same vector, which reorders the operators.
    OperatorRef {
        /// Byte position of the vector's first entry.
        first: usize,
        /// Entries in the vector.
        len: u32,
    },
}

/// One editable field: where its bytes are, how many, and what they mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Slot {
    /// Byte position in the file.
    pub pos: usize,
    /// Width in bytes (1, 2, 4 or 8).
    pub width: usize,
    /// What it holds.
    pub kind: SlotKind,
    /// `Table.field` it belongs to, for reports.
    pub field: &'static str,
}

/// Field layout of each table, from the schema layout `build.rs` wrote: table name → (field
/// name, vtable offset, type) where the type is a scalar name (`int32`), `[scalar]`, `table`,
/// `string`, `union`, ...
type Layout = HashMap<&'static str, Vec<(&'static str, u16, &'static str)>>;

fn layout() -> &'static Layout {
    static LAYOUT: OnceLock<Layout> = OnceLock::new();
    LAYOUT.get_or_init(|| {
        let text: &'static str = include_str!(concat!(env!("OUT_DIR"), "/schema_layout.txt"));
        let mut map = Layout::new();
        for line in text.lines() {
            let mut w = line.split(' ');
            if w.next() != Some("field") {
                continue;
            }
            if let (Some(t), Some(f), Some(Ok(off)), Some(kind)) =
                (w.next(), w.next(), w.next().map(str::parse), w.next())
            {
                map.entry(t).or_default().push((f, off, kind));
            }
        }
        map
    })
}

fn scalar_width(kind: &str) -> Option<usize> {
    Some(match kind {
        "bool" | "int8" | "uint8" => 1,
        "int16" | "uint16" => 2,
        "int32" | "uint32" | "float32" => 4,
        "int64" | "uint64" | "float64" => 8,
        _ => return None,
    })
}

fn read_u32(bytes: &[u8], pos: usize) -> Option<u32> {
    let b = bytes.get(pos..pos.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn read_le(bytes: &[u8], pos: usize, width: usize) -> Option<u64> {
    let b = bytes.get(pos..pos.checked_add(width)?)?;
    Some(b.iter().rev().fold(0u64, |a, &x| (a << 8) | u64::from(x)))
}

fn write_le(bytes: &mut [u8], pos: usize, width: usize, v: u64) {
    if let Some(end) = pos.checked_add(width)
        && let Some(b) = bytes.get_mut(pos..end)
    {
        for (i, x) in b.iter_mut().enumerate() {
            *x = (v >> (8 * i)) as u8;
        }
    }
}

/// Offset of a slice that lies inside `base`.
fn offset_in(base: &[u8], part: &[u8]) -> usize {
    (part.as_ptr() as usize).wrapping_sub(base.as_ptr() as usize)
}

struct Collector<'b> {
    bytes: &'b [u8],
    slots: Vec<Slot>,
}

impl Collector<'_> {
    /// A scalar field of a table, when the table stores it.
    fn field(&mut self, tab: &flatbuffers::Table<'_>, voffset: u16, width: usize, kind: SlotKind, field: &'static str) {
        let v = tab.vtable().get(voffset);
        if v != 0 {
            self.push(tab.loc() + v as usize, width, kind, field);
        }
    }

    /// The elements of a vector of scalars (at most [`MAX_VECTOR_SLOTS`]).
    fn elements(&mut self, data: &[u8], width: usize, kind: SlotKind, field: &'static str) {
        let start = offset_in(self.bytes, data);
        for i in 0..(data.len() / width).min(MAX_VECTOR_SLOTS) {
            self.push(start + i * width, width, kind, field);
        }
    }

    fn push(&mut self, pos: usize, width: usize, kind: SlotKind, field: &'static str) {
        if pos.checked_add(width).is_some_and(|e| e <= self.bytes.len()) {
            self.slots.push(Slot { pos, width, kind, field });
        }
    }

    /// Every scalar field and scalar-vector element of an options table named `table`.
    fn options(&mut self, tab: &flatbuffers::Table<'_>, table: &str, n_subgraphs: u32) {
        let Some(fields) = layout().get(table) else { return };
        for &(name, voffset, kind) in fields {
            // A union's type field must keep naming the table the verifier checked.
            if let Some(base) = name.strip_suffix("_type")
                && fields.iter().any(|&(f, _, k)| f == base && k == "union")
            {
                continue;
            }
            let v = tab.vtable().get(voffset);
            if v == 0 {
                continue;
            }
            let pos = tab.loc() + v as usize;
            if let Some(width) = scalar_width(kind) {
                let k = match kind {
                    "float32" => SlotKind::Float,
                    "bool" => SlotKind::Bool,
                    _ if name.ends_with("subgraph_index") => SlotKind::SubgraphIndex { count: n_subgraphs },
                    _ => SlotKind::Int,
                };
                // float64 fields are edited as integers (bit patterns).
                self.push(pos, width, k, name);
            } else if let Some(elem) = kind.strip_prefix('[').and_then(|k| k.strip_suffix(']'))
                && let Some(width) = scalar_width(elem)
            {
                // A vector of scalars: follow the offset (the verifier checked it) to its length.
                let Some(target) = read_u32(self.bytes, pos).and_then(|o| pos.checked_add(o as usize)) else {
                    continue;
                };
                let Some(len) = read_u32(self.bytes, target) else { continue };
                let start = target + 4;
                let kind = if elem == "float32" { SlotKind::Float } else { SlotKind::Int };
                for i in 0..(len as usize).min(MAX_VECTOR_SLOTS) {
                    self.push(start + i * width, width, kind, name);
                }
            }
        }
    }
}

/// Every editable slot of a model, in a fixed order, or the verifier's error.
pub fn slots(bytes: &[u8]) -> std::result::Result<Vec<Slot>, String> {
    let opts = flatbuffers::VerifierOptions {
        max_depth: 64,
        max_tables: 1 << 20,
        max_apparent_size: 1 << 31,
        ignore_missing_null_terminator: true,
    };
    let root = tflite::root_with_opts(&opts, bytes).map_err(|e| e.to_string())?;
    let mut c = Collector { bytes, slots: Vec::new() };
    let n_buffers = root.buffers().map_or(0, |b| b.len()) as u32;
    let n_codes = root.operator_codes().map_or(0, |b| b.len()) as u32;
    let n_subgraphs = root.subgraphs().map_or(0, |b| b.len()) as u32;
    for sg in root.subgraphs().into_iter().flatten() {
        let n_tensors = sg.tensors().map_or(0, |t| t.len()) as u32;
        let index = SlotKind::TensorIndex { count: n_tensors };
        for t in sg.tensors().into_iter().flatten() {
            if let Some(s) = t.shape() {
                c.elements(s.bytes(), 4, SlotKind::Dim, "Tensor.shape");
            }
            if let Some(s) = t.shape_signature() {
                c.elements(s.bytes(), 4, SlotKind::Dim, "Tensor.shape_signature");
            }
            c.field(&t._tab, tflite::Tensor::VT_TYPE, 1, SlotKind::DType, "Tensor.type");
            c.field(&t._tab, tflite::Tensor::VT_BUFFER, 4, SlotKind::BufferIndex { count: n_buffers }, "Tensor.buffer");
            c.field(&t._tab, tflite::Tensor::VT_IS_VARIABLE, 1, SlotKind::Bool, "Tensor.is_variable");
            if let Some(q) = t.quantization() {
                if let Some(s) = q.scale() {
                    c.elements(s.bytes(), 4, SlotKind::Float, "QuantizationParameters.scale");
                }
                if let Some(z) = q.zero_point() {
                    c.elements(z.bytes(), 8, SlotKind::Int, "QuantizationParameters.zero_point");
                }
                c.field(
                    &q._tab,
                    tflite::QuantizationParameters::VT_QUANTIZED_DIMENSION,
                    4,
                    SlotKind::Int,
                    "QuantizationParameters.quantized_dimension",
                );
            }
        }
        if let Some(v) = sg.inputs() {
            c.elements(v.bytes(), 4, index, "SubGraph.inputs");
        }
        if let Some(v) = sg.outputs() {
            c.elements(v.bytes(), 4, index, "SubGraph.outputs");
        }
        let Some(ops) = sg.operators() else { continue };
        let first = offset_in(bytes, ops.bytes());
        for (i, op) in ops.iter().enumerate() {
            if ops.len() > 1 && i < MAX_VECTOR_SLOTS {
                let kind = SlotKind::OperatorRef { first, len: ops.len() as u32 };
                c.push(first + 4 * i, 4, kind, "SubGraph.operators");
            }
            let opcode = SlotKind::OpcodeIndex { count: n_codes };
            c.field(&op._tab, tflite::Operator::VT_OPCODE_INDEX, 4, opcode, "Operator.opcode_index");
            if let Some(v) = op.inputs() {
                c.elements(v.bytes(), 4, index, "Operator.inputs");
            }
            if let Some(v) = op.outputs() {
                c.elements(v.bytes(), 4, index, "Operator.outputs");
            }
            if let Some(v) = op.intermediates() {
                c.elements(v.bytes(), 4, index, "Operator.intermediates");
            }
            // Only a union type the schema knows was verified; an unknown one's table is not
            // followed (its offset was never checked).
            let t1 = op.builtin_options_type();
            if t1 != tflite::BuiltinOptions::NONE
                && let Some(name) = t1.variant_name()
                && let Some(tab) = op.builtin_options()
            {
                c.options(&tab, name, n_subgraphs);
            }
            let t2 = op.builtin_options_2_type();
            if t2 != tflite::BuiltinOptions2::NONE
                && let Some(name) = t2.variant_name()
                && let Some(tab) = op.builtin_options_2()
            {
                c.options(&tab, name, n_subgraphs);
            }
        }
    }
    Ok(c.slots)
}

const INTERESTING: &[i64] = &[
    0,
    1,
    2,
    3,
    4,
    5,
    7,
    8,
    15,
    16,
    17,
    31,
    32,
    63,
    64,
    127,
    128,
    255,
    256,
    1023,
    1024,
    4096,
    32767,
    32768,
    65535,
    65536,
    1 << 20,
    1 << 24,
    (1 << 31) - 1,
    1 << 31,
    (1 << 32) - 1,
    1 << 32,
    i64::MAX,
    -1,
    -2,
    -3,
    -127,
    -128,
    -129,
    -32768,
    -32769,
    i32::MIN as i64,
    i64::MIN,
];

const INTERESTING_F32: &[f32] = &[
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    2.0,
    1.0 / 256.0,
    256.0,
    1e-10,
    1e10,
    f32::MIN_POSITIVE,
    1e-45,
    f32::MAX,
    f32::MIN,
    f32::INFINITY,
    f32::NEG_INFINITY,
    f32::NAN,
];

fn sign_extend(v: u64, width: usize) -> i64 {
    let shift = 64 - 8 * width as u32;
    ((v << shift) as i64) >> shift
}

/// Applies one edit (`mode`, `value`) to `slot` in `bytes`.
pub fn apply(bytes: &mut [u8], slot: &Slot, mode: u8, value: u8) {
    let Some(cur) = read_le(bytes, slot.pos, slot.width) else { return };
    let small = value as usize;
    match slot.kind {
        SlotKind::OperatorRef { first, len } => {
            // Swap this entry's target with entry `value % len`'s (both forward offsets).
            let j = first + 4 * (small % len.max(1) as usize);
            let (Some(vi), Some(vj)) = (read_u32(bytes, slot.pos), read_u32(bytes, j)) else { return };
            let (ti, tj) = (slot.pos + vi as usize, j + vj as usize);
            if tj > slot.pos && ti > j {
                write_le(bytes, slot.pos, 4, (tj - slot.pos) as u64);
                write_le(bytes, j, 4, (ti - j) as u64);
            }
        }
        SlotKind::Float if slot.width == 4 => {
            let x = f32::from_bits(cur as u32);
            let y = match mode % 4 {
                0 => INTERESTING_F32[small % INTERESTING_F32.len()],
                1 => x * 2f32.powi(i32::from(value as i8) / 8),
                2 => -x,
                _ => f32::from_bits(x.to_bits() ^ (1 << (value % 32))),
            };
            write_le(bytes, slot.pos, 4, u64::from(y.to_bits()));
        }
        kind => {
            let cur = sign_extend(cur, slot.width);
            let in_range = |count: u32| (small % (count as usize).max(1)) as i64;
            let v = match mode % 8 {
                0 => i64::from(value as i8),
                1 => cur.wrapping_add(i64::from(value % 7) - 3),
                2 => INTERESTING[small % INTERESTING.len()],
                5 => (cur & !0xff) | i64::from(value),
                6 => {
                    if value & 1 == 0 {
                        cur.wrapping_mul(2)
                    } else {
                        cur.wrapping_neg()
                    }
                }
                _ => match kind {
                    SlotKind::Bool => i64::from(value & 1),
                    // TensorType values run from FLOAT32 = 0 to FLOAT8_E5M2 = 22 (and a few beyond).
                    SlotKind::DType => (small % 25) as i64,
                    SlotKind::Dim => (small % 10) as i64 - i64::from(value % 16 == 15),
                    SlotKind::TensorIndex { count } => (small % (count as usize + 1)) as i64 - 1,
                    SlotKind::BufferIndex { count } | SlotKind::OpcodeIndex { count } => in_range(count),
                    SlotKind::SubgraphIndex { count } => in_range(count + 1),
                    _ => i64::from(value),
                },
            };
            write_le(bytes, slot.pos, slot.width, v as u64);
        }
    }
}

/// A copy of `seed` with the edits of `edits` (groups of [`EDIT_BYTES`] bytes, at most
/// [`MAX_EDITS`]) applied. A seed that does not verify is returned unchanged.
pub fn mutate(seed: &[u8], edits: &[u8]) -> Vec<u8> {
    let mut out = seed.to_vec();
    let Ok(slots) = slots(seed) else { return out };
    if slots.is_empty() {
        return out;
    }
    for e in edits.chunks_exact(EDIT_BYTES).take(MAX_EDITS) {
        let slot = &slots[usize::from(u16::from_le_bytes([e[0], e[1]])) % slots.len()];
        apply(&mut out, slot, e[2], e[3]);
    }
    out
}

/// The structure-aware target: byte 0 of `data` picks one of `seeds`, the rest are edits; the
/// mutant goes through [`super::run_model`].
pub fn run(seeds: &[&[u8]], data: &[u8]) -> Result<()> {
    let Some((&pick, edits)) = data.split_first() else { return Ok(()) };
    let Some(seed) = seeds.get(usize::from(pick) % seeds.len().max(1)) else { return Ok(()) };
    super::run_model(&mutate(seed, edits))
}
