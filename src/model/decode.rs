//! Decoding of a verified flatbuffer into the owned views of [`Model`](super::Model): buffers,
//! operator codes, subgraphs, tensors and their quantization, metadata and signatures, each
//! checked (indices, lengths, scales, zero points, [`Limits`]) with checked arithmetic.

use std::ops::Range;

use super::{
    Limits, Metadata, Operator, OperatorCode, Quantization, Signature, SignatureTensor, Subgraph, Tensor, check_limit,
};
use crate::dtype::DType;
use crate::error::{Error, OpErrorKind, Result};
use crate::schema::tflite;

/// Offset of a slice that lies inside `base` (both from the same verified buffer).
fn offset_in(base: &[u8], part: &[u8]) -> usize {
    (part.as_ptr() as usize).wrapping_sub(base.as_ptr() as usize)
}

pub(super) struct Decoded {
    pub(super) version: u32,
    pub(super) description: Option<String>,
    pub(super) operator_codes: Vec<OperatorCode>,
    pub(super) subgraphs: Vec<Subgraph>,
    pub(super) buffers: Vec<Option<Range<usize>>>,
    pub(super) metadata: Vec<Metadata>,
    pub(super) signatures: Vec<Signature>,
}

impl Decoded {
    pub(super) fn new(bytes: &[u8], root: tflite::Model<'_>, limits: &Limits) -> Result<Decoded> {
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
