//! What `qlite inspect` shows: a model's inputs, outputs, operators and tensors, as text for a
//! person or as JSON for a program.
//!
//! JSON layout (stable; tools depend on it):
//! `{"model":{..}, "inputs":[T], "outputs":[T], "operators":[{"index","opcode","version","inputs",
//! "outputs","supported"}], "operator_counts":{OPCODE:n}, "unsupported":[OPCODE], "tensors":[{"index",
//! "name","dtype","shape","shape_signature","quantization","buffer","buffer_bytes"}], "subgraphs":[..]}`
//! where an input/output `T` is `{"name","tensor","dtype","shape","shape_signature","quantization"}`,
//! dtypes are NumPy names, opcodes TFLite's enum names (custom ops: their name), `quantization` is
//! `{"scale":[..],"zero_point":[..],"quantized_dimension":N}` or `null` for unquantized tensors,
//! and −1 in an operator's inputs marks an omitted optional input.
//!
//! [`to_json_checked`] adds `"prepare_error"`: `null` when [`crate::Interpreter`] prepares the
//! model, else `{"subgraph","op","opcode","kind","message"}` where `kind` is an
//! [`OpErrorKind`] name (`invalid model`, `unsupported`, `refused by TFLite`, `runtime`); `subgraph`,
//! `op`, `opcode` and `kind` are `null` when the failure is not an operator's (a limit, a tensor,
//! an internal error), and `message` is then the whole error.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::error::{Error, OpErrorKind};
use crate::json::Json;
use crate::model::{Model, OperatorCode, Quantization, Tensor};

/// Answers whether this build can run an operator.
pub type CanRun<'a> = &'a dyn Fn(&OperatorCode) -> bool;

fn quant_json(q: &Option<Quantization>) -> Json {
    match q {
        None => Json::Null,
        Some(q) => Json::obj([
            ("scale", Json::Arr(q.scale.iter().map(|&s| Json::F32(s)).collect())),
            ("zero_point", Json::Arr(q.zero_point.iter().map(|&z| Json::Int(z)).collect())),
            ("quantized_dimension", Json::Int(q.quantized_dimension as i64)),
        ]),
    }
}

fn shape_json(shape: &[usize]) -> Json {
    Json::Arr(shape.iter().map(|&d| Json::Int(d as i64)).collect())
}

fn io_json(t: &Tensor, index: usize) -> Json {
    Json::obj([
        ("name", Json::Str(t.name.clone())),
        ("tensor", Json::Int(index as i64)),
        ("dtype", Json::Str(t.dtype.name().into_owned())),
        ("shape", shape_json(&t.shape)),
        ("shape_signature", sig_json(t)),
        ("quantization", quant_json(&t.quantization)),
    ])
}

fn sig_json(t: &Tensor) -> Json {
    match &t.shape_signature {
        Some(s) => Json::Arr(s.iter().map(|&d| Json::Int(d as i64)).collect()),
        None => shape_json(&t.shape),
    }
}

fn idx_json(v: &[Option<usize>]) -> Json {
    Json::Arr(v.iter().map(|i| Json::Int(i.map_or(-1, |i| i as i64))).collect())
}

/// Operator counts by opcode name, and the opcode names this build cannot run, over all subgraphs.
fn op_summary(model: &Model, can_run: CanRun<'_>) -> (BTreeMap<String, usize>, Vec<String>) {
    let mut counts = BTreeMap::new();
    let mut unsupported = Vec::new();
    for sg in model.subgraphs() {
        for op in &sg.operators {
            let code = model.opcode(op);
            let name = code.name();
            if !can_run(code) && !unsupported.contains(&name) {
                unsupported.push(name.clone());
            }
            *counts.entry(name).or_insert(0) += 1;
        }
    }
    unsupported.sort();
    (counts, unsupported)
}

/// Which of the converter's quantization modes a model uses: `float32`, `float16` (float16
/// weights dequantized to float32), `dynamic-range` (float activations, int8 weights), `int8`,
/// `int16x8` (int16 activations, int8 weights), `uint8` (legacy), or `mixed` (several).
///
/// Decided by the operators with weights (FULLY_CONNECTED, CONV_2D, DEPTHWISE_CONV_2D,
/// TRANSPOSE_CONV, BATCH_MATMUL, EMBEDDING_LOOKUP): the type of their activation input and of their
/// weights; a DEQUANTIZE of a float16 constant marks float16. Models without such operators are
/// classified by the types of their quantized activations. Float inputs and outputs around an
/// int8 graph (QUANTIZE/DEQUANTIZE at the edges) do not make it mixed.
pub fn quantization_mode(model: &Model) -> &'static str {
    use crate::dtype::DType;
    use crate::tflite::BuiltinOperator as B;
    let sg = model.main_subgraph();
    let mut modes = std::collections::BTreeSet::new();
    let dtype = |t: Option<usize>| t.map(|t| sg.tensors[t].dtype);
    for op in &sg.operators {
        let code = model.opcode(op).builtin;
        let (act, w) = match code {
            B::FULLY_CONNECTED | B::CONV_2D | B::DEPTHWISE_CONV_2D | B::BATCH_MATMUL => {
                (op.inputs.first().copied().flatten(), op.inputs.get(1).copied().flatten())
            }
            B::TRANSPOSE_CONV => (op.inputs.get(2).copied().flatten(), op.inputs.get(1).copied().flatten()),
            B::EMBEDDING_LOOKUP => (None, op.inputs.get(1).copied().flatten()),
            B::DEQUANTIZE => {
                let i = op.inputs.first().copied().flatten();
                if dtype(i) == Some(DType::Float16) && i.is_some_and(|t| sg.tensors[t].is_constant()) {
                    modes.insert("float16");
                }
                continue;
            }
            _ => continue,
        };
        let w_dtype = dtype(w);
        modes.insert(match (dtype(act), w_dtype) {
            (Some(DType::Int16), _) => "int16x8",
            (Some(DType::Int8), _) => "int8",
            (Some(DType::UInt8), _) => "uint8",
            (_, Some(DType::Int8 | DType::UInt8 | DType::Int4)) => "dynamic-range",
            (_, Some(DType::Float16)) => "float16",
            _ => {
                // Float weights: a float model, unless they come from a float16 DEQUANTIZE.
                if modes.contains("float16") { "float16" } else { "float32" }
            }
        });
    }
    // Dynamic-range and float16 conversions leave small or weightless layers in float32.
    if modes.contains("float16") || modes.contains("dynamic-range") {
        modes.remove("float32");
    }
    if modes.is_empty() {
        for t in sg.tensors.iter().filter(|t| !t.is_constant() && t.quantization.is_some()) {
            match t.dtype {
                DType::Int8 => modes.insert("int8"),
                DType::Int16 => modes.insert("int16x8"),
                DType::UInt8 => modes.insert("uint8"),
                _ => false,
            };
        }
    }
    match modes.len() {
        0 => "float32",
        1 => modes.into_iter().next().unwrap_or("float32"),
        _ => "mixed",
    }
}

/// The JSON report.
pub fn to_json(model: &Model, can_run: CanRun<'_>) -> Json {
    let sg = model.main_subgraph();
    let (counts, unsupported) = op_summary(model, can_run);
    let ios = |ids: &[usize]| Json::Arr(ids.iter().map(|&i| io_json(&sg.tensors[i], i)).collect());
    let operators = sg
        .operators
        .iter()
        .enumerate()
        .map(|(i, op)| {
            let code = model.opcode(op);
            Json::obj([
                ("index", Json::Int(i as i64)),
                ("opcode", Json::Str(code.name())),
                ("version", Json::Int(code.version as i64)),
                ("inputs", idx_json(&op.inputs)),
                ("outputs", idx_json(&op.outputs)),
                ("supported", Json::Bool(can_run(code))),
            ])
        })
        .collect();
    let tensors = sg
        .tensors
        .iter()
        .enumerate()
        .map(|(i, t)| {
            Json::obj([
                ("index", Json::Int(i as i64)),
                ("name", Json::Str(t.name.clone())),
                ("dtype", Json::Str(t.dtype.name().into_owned())),
                ("shape", shape_json(&t.shape)),
                ("shape_signature", sig_json(t)),
                ("quantization", quant_json(&t.quantization)),
                ("buffer", Json::Int(t.buffer as i64)),
                ("buffer_bytes", Json::Int(model.tensor_data(0, i).map_or(0, |d| d.len()) as i64)),
            ])
        })
        .collect();
    let subgraphs = model
        .subgraphs()
        .iter()
        .enumerate()
        .map(|(i, s)| {
            Json::obj([
                ("index", Json::Int(i as i64)),
                ("name", Json::Str(s.name.clone())),
                ("tensors", Json::Int(s.tensors.len() as i64)),
                ("operators", Json::Int(s.operators.len() as i64)),
                ("inputs", Json::Arr(s.inputs.iter().map(|&t| Json::Int(t as i64)).collect())),
                ("outputs", Json::Arr(s.outputs.iter().map(|&t| Json::Int(t as i64)).collect())),
            ])
        })
        .collect();
    let sig_io = |v: &[crate::model::SignatureTensor]| {
        Json::Arr(
            v.iter()
                .map(|t| Json::obj([("name", Json::Str(t.name.clone())), ("tensor", Json::Int(t.tensor as i64))]))
                .collect(),
        )
    };
    let signatures = model
        .signatures()
        .iter()
        .map(|s| {
            Json::obj([
                ("key", Json::Str(s.key.clone())),
                ("subgraph", Json::Int(s.subgraph as i64)),
                ("inputs", sig_io(&s.inputs)),
                ("outputs", sig_io(&s.outputs)),
            ])
        })
        .collect();
    Json::obj([
        (
            "model",
            Json::obj([
                ("version", Json::Int(model.version() as i64)),
                ("mode", Json::Str(quantization_mode(model).to_string())),
                ("description", model.description().map_or(Json::Null, |d| Json::Str(d.to_string()))),
                ("bytes", Json::Int(model.bytes().len() as i64)),
                ("buffers", Json::Int(model.num_buffers() as i64)),
                ("metadata", Json::Arr(model.metadata().iter().map(|m| Json::Str(m.name.clone())).collect())),
                ("signatures", Json::Arr(signatures)),
            ]),
        ),
        ("inputs", ios(&sg.inputs)),
        ("outputs", ios(&sg.outputs)),
        ("operators", Json::Arr(operators)),
        ("operator_counts", Json::Obj(counts.into_iter().map(|(k, v)| (k, Json::Int(v as i64))).collect())),
        ("unsupported", Json::Arr(unsupported.into_iter().map(Json::Str).collect())),
        ("tensors", Json::Arr(tensors)),
        ("subgraphs", Json::Arr(subgraphs)),
    ])
}

/// Why [`crate::Interpreter`] could not prepare a model, as `inspect` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrepareError {
    /// The subgraph of the failing operator (`None` when the error is not an operator's).
    pub subgraph: Option<usize>,
    /// The failing operator's index.
    pub op: Option<usize>,
    /// The failing operator's opcode name.
    pub opcode: Option<String>,
    /// What kind of operator error it is.
    pub kind: Option<OpErrorKind>,
    /// The operator error's message, or the whole text of any other error.
    pub message: String,
}

impl PrepareError {
    /// The report of a preparation error.
    pub fn from_error(e: &Error) -> Self {
        match e {
            Error::Operator { subgraph, op, opcode, msg, kind } => PrepareError {
                subgraph: Some(*subgraph),
                op: Some(*op),
                opcode: Some(opcode.clone()),
                kind: Some(*kind),
                message: msg.clone(),
            },
            e => PrepareError { subgraph: None, op: None, opcode: None, kind: None, message: e.to_string() },
        }
    }

    /// As JSON: `{"subgraph","op","opcode","kind","message"}`.
    pub fn to_json(&self) -> Json {
        let int = |v: Option<usize>| v.map_or(Json::Null, |v| Json::Int(v as i64));
        Json::obj([
            ("subgraph", int(self.subgraph)),
            ("op", int(self.op)),
            ("opcode", self.opcode.clone().map_or(Json::Null, Json::Str)),
            ("kind", self.kind.map_or(Json::Null, |k| Json::Str(k.as_str().to_string()))),
            ("message", Json::Str(self.message.clone())),
        ])
    }

    /// One line: `operator 3 (FULLY_CONNECTED) [unsupported]: message`.
    pub fn to_text(&self) -> String {
        match (self.op, &self.opcode, self.kind) {
            (Some(op), Some(opcode), Some(kind)) => {
                let sg = self.subgraph.filter(|&s| s != 0).map_or(String::new(), |s| format!("subgraph {s}, "));
                format!("{sg}operator {op} ({opcode}) [{kind}]: {}", self.message)
            }
            _ => self.message.clone(),
        }
    }
}

/// [`to_json`] with the outcome of preparing the model: `"prepare_error"` is `null` when
/// `prepare_error` is `None`, else its report.
pub fn to_json_checked(model: &Model, can_run: CanRun<'_>, prepare_error: Option<&PrepareError>) -> Json {
    let mut j = to_json(model, can_run);
    if let Json::Obj(fields) = &mut j {
        fields.push(("prepare_error".to_string(), prepare_error.map_or(Json::Null, PrepareError::to_json)));
    }
    j
}

/// [`to_text`] with the outcome of preparing the model, as a last line.
pub fn to_text_checked(
    model: &Model,
    can_run: CanRun<'_>,
    show_tensors: bool,
    prepare_error: Option<&PrepareError>,
) -> String {
    let mut o = to_text(model, can_run, show_tensors);
    match prepare_error {
        None => o.push_str("prepare: ok\n"),
        Some(p) => {
            let _ = writeln!(o, "prepare: fails at {}", p.to_text());
        }
    }
    o
}

/// A short description of quantization parameters.
pub fn quant_text(q: &Option<Quantization>) -> String {
    match q {
        None => "-".to_string(),
        Some(q) if !q.is_per_channel() => format!("scale {} zp {}", q.scale[0], q.zero_point[0]),
        Some(q) => {
            let (lo, hi) = q.scale.iter().fold((f32::INFINITY, 0f32), |(lo, hi), &s| (lo.min(s), hi.max(s)));
            let zps: std::collections::BTreeSet<i64> = q.zero_point.iter().copied().collect();
            let zp =
                if zps.len() == 1 { format!("zp {}", q.zero_point[0]) } else { format!("{} zero points", zps.len()) };
            format!("per-channel axis {}: {} scales in [{lo}, {hi}], {zp}", q.quantized_dimension, q.scale.len())
        }
    }
}

fn shape_text(t: &Tensor) -> String {
    match &t.shape_signature {
        Some(s) if s.iter().any(|&d| d < 0) => format!("{s:?}"),
        _ => format!("{:?}", t.shape),
    }
}

fn fmt_bytes(n: usize) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MiB", n as f64 / (1 << 20) as f64)
    } else if n >= 1 << 10 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}

/// The human-readable report.
pub fn to_text(model: &Model, can_run: CanRun<'_>, show_tensors: bool) -> String {
    let mut o = String::new();
    let sg = model.main_subgraph();
    let weights: usize = (0..sg.tensors.len()).filter_map(|i| model.tensor_data(0, i)).map(<[u8]>::len).sum();
    let _ = writeln!(
        o,
        "model: {} , schema version {}, {} subgraph(s), {} tensors, {} operators, {} of constant data",
        fmt_bytes(model.bytes().len()),
        model.version(),
        model.subgraphs().len(),
        sg.tensors.len(),
        sg.operators.len(),
        fmt_bytes(weights)
    );
    let _ = writeln!(o, "quantization mode: {}", quantization_mode(model));
    if let Some(d) = model.description() {
        let _ = writeln!(o, "description: {d}");
    }
    if !model.signatures().is_empty() {
        let keys: Vec<&str> = model.signatures().iter().map(|s| s.key.as_str()).collect();
        let _ = writeln!(o, "signatures: {}", keys.join(", "));
    }
    if !model.metadata().is_empty() {
        let names: Vec<&str> = model.metadata().iter().map(|m| m.name.as_str()).collect();
        let _ = writeln!(o, "metadata: {}", names.join(", "));
    }
    for (title, ids) in [("inputs", &sg.inputs), ("outputs", &sg.outputs)] {
        let _ = writeln!(o, "\n{title}:");
        for (k, &i) in ids.iter().enumerate() {
            let t = &sg.tensors[i];
            let _ = writeln!(
                o,
                "  {k}: tensor {i} {:?} {} {}  {}",
                t.name,
                t.dtype,
                shape_text(t),
                quant_text(&t.quantization)
            );
        }
    }
    let _ = writeln!(o, "\noperators:");
    let _ = writeln!(o, "  {:>4}  {:<26} {:>3}  {:<24} outputs", "#", "opcode", "ver", "inputs");
    for (i, op) in sg.operators.iter().enumerate() {
        let code = model.opcode(op);
        let ins: Vec<String> = op.inputs.iter().map(|t| t.map_or("-".to_string(), |t| t.to_string())).collect();
        let outs: Vec<String> = op.outputs.iter().map(|t| t.map_or("-".to_string(), |t| t.to_string())).collect();
        let _ =
            writeln!(o, "  {i:>4}  {:<26} {:>3}  {:<24} {}", code.name(), code.version, ins.join(","), outs.join(","));
    }
    let (counts, unsupported) = op_summary(model, can_run);
    let _ = writeln!(o, "\noperator counts:");
    for (name, n) in &counts {
        let _ = writeln!(o, "  {name:<26} {n}");
    }
    if unsupported.is_empty() {
        let _ = writeln!(o, "\nthis build can run every operator of the model");
    } else {
        let _ = writeln!(o, "\nthis build cannot run yet: {}", unsupported.join(", "));
    }
    if show_tensors {
        let _ = writeln!(o, "\ntensors:");
        for (i, t) in sg.tensors.iter().enumerate() {
            let data = model.tensor_data(0, i).map_or(String::new(), |d| format!(" const {}", fmt_bytes(d.len())));
            let _ = writeln!(
                o,
                "  {i:>4}  {:<9} {:<18} {:<40}{data}  {:?}",
                t.dtype.to_string(),
                shape_text(t),
                quant_text(&t.quantization),
                t.name
            );
        }
    } else {
        let _ = writeln!(o, "\n({} tensors; --tensors lists them)", sg.tensors.len());
    }
    o
}
