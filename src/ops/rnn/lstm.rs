//! UNIDIRECTIONAL_SEQUENCE_LSTM, int8 ("8x8_16": int8 input, output and output state, int8
//! weights, int32 biases, int16 cell state), as TFLite's `unidirectional_sequence_lstm.cc`
//! (Prepare: `PopulateQuantizedLstmParams8x8_16`, `PopulatePrecomputedZPTimesWeightsWithBias`)
//! and `lstm_eval.cc` (`EvalInteger8x8_16` / `LstmStepInteger8x8_16` with the portable
//! `tensor_utils`; the x86 build dispatches these integer functions to the same arithmetic).
//!
//! Inputs (TFLite's `lstm::full` numbering): 0 input `[batch, time, n_input]` (or
//! `[time, batch, n_input]` when `time_major`), 1–4 input-to-{input, forget, cell, output}
//! weights `[n_cell, n_input]`, 5–8 recurrent-to-{…} weights `[n_cell, n_output]`, 9–11
//! peephole weights, 12–15 gate biases `[n_cell]`, 16–17 projection weights/bias, 18 output
//! state (variable, int8, n_batch·n_output elements), 19 cell state (variable, int16,
//! n_batch·n_cell), 20–23 layer-norm coefficients. Five intermediates; only the fifth (the
//! "hidden" scale and zero point) is used when there is no layer norm.
//!
//! Supported: with or without the input gate (CIFG), peephole weights (int16), a projection
//! (int8 weights, optional int32 bias, projection clip), layer normalization (int16
//! coefficients; the gate biases then apply after the normalization and the four gate
//! intermediates give the gate scales), constant per-tensor weights and biases, batch-major or
//! time-major input. Refused: diagonal recurrent weights, a hybrid or float LSTM, and a peephole
//! with n_output != n_cell when n_output > n_cell or time-major with batch > 1 (TFLite walks the
//! peephole by n_output per batch row: past the gate buffer, or misaligned across rows).
//!
//! Prepare (float32 arithmetic as in TFLite; the gate scale t[g] is 2^−12 (Q3.12), or the g-th
//! intermediate's scale with layer norm):
//! - `eff_in[g] = float(s_w_in[g]·s_in) / t[g]`, `eff_rec[g] = float(s_w_rec[g]·s_state) / t[g]`,
//!   `eff_peephole[g] = float(2^cell_scale·double(s_peep[g]) / t[g])`,
//!   `eff_hidden = float(2^−15 / double(s_hidden) · 2^−15)`,
//!   `eff_proj = float(s_proj·s_hidden) / s_state`, each `QuantizeMultiplier`'d; layer norm
//!   multiplies by `QuantizeMultiplier(s_ln[g])` with variance guard `max(1, int(10000·s_ln[g]))`.
//! - `cell_scale = log2(s_cell)` (`CheckedLog2`; must be a power of two, and 15 + cell_scale must
//!   be in 0..=6 — TFLite's `ApplyTanh` silently writes nothing otherwise, so qlite rejects it).
//! - effective biases: `bias[r] − zp_in·Σ_c w_in[r, c]` (no bias with layer norm) and
//!   `−zp_state·Σ_c w_rec[r, c]`; projection: `bias[r] + zp_hidden·Σ_c w_proj[r, c]` (int32,
//!   wrapping).
//! - quantized clips: `int16(min(max(cell_clip / s_cell, −32768), 32767))` and
//!   `int8(min(max(proj_clip / s_output, −128), 127))` (truncation), 0 = off.
//!
//! Per time step and batch row (all int32 arithmetic wraps like the compiled C++):
//! - gate pre-activation `g[r] = clamp16(mbqm(eff_bias_in[r] + Σ x·w_in, eff_in) +
//!   clamp16(mbqm(eff_bias_rec[r] + Σ h·w_rec, eff_rec)))` (the input part is clamped first);
//!   peephole: `g[r] = clamp16(g[r] + mbqm(p[r]·c[r], eff_peephole))` for r < n_output (the old
//!   cell for the input/forget gates, the new one for the output gate); then layer norm
//!   (TFLite's integer `ApplyLayerNorm`, see `layer_norm_row`);
//! - input/forget/output gates: gemmlowp `logistic` on Q3.12 → Q0.15; cell gate: gemmlowp
//!   `tanh` on Q3.12 (the options' activation is ignored, as in TFLite's integer kernel);
//! - `c = int16(rdbpot(f·c, 15))`, `u = int16(rdbpot(i·g, 30 + cell_scale))` (CIFG:
//!   `i = 32767 − f`), `c = clamp16(c + u)`, then `clamp(c, ±clip)` when clipping;
//! - without projection `h = clamp8(mbqm(o·tanh_(15+cell_scale)(c), eff_hidden) + zp_hidden)`;
//!   with it `m = clamp8(mbqm(o·tanh(c), eff_hidden) − zp_hidden)` (TFLite negates the zero
//!   point there, b/246629213), `h = clamp8(mbqm(eff_bias_proj + Σ m·w_proj, eff_proj) +
//!   zp_state)`, then `clamp(h, ±proj_clip)`; the output row is h.
//!
//! State: the output and cell states persist across invokes and start as TFLite's
//! `ResetVariableTensor` leaves them (output state = its zero point, cell state = 0). qlite
//! keeps them inside the kernel; the state tensors in the arena are not written.

use crate::arith;
use crate::dtype::DType;
use crate::error::Result;
use crate::ops::Scratch;
use crate::ops::common::check_len_mut;
use crate::ops::{Inputs, Kernel, Outputs, PrepareContext, ScratchId, per_tensor};
use crate::tflite;

/// The effective parameters of one gate.
#[derive(Clone)]
struct Gate {
    w_in: Vec<i8>,
    w_rec: Vec<i8>,
    bias_in: Vec<i32>,
    bias_rec: Vec<i32>,
    in_scale: (i32, i32),
    rec_scale: (i32, i32),
    /// Peephole weights (int16, `[n_cell]`) and their effective scale.
    peephole: Option<(Vec<i16>, (i32, i32))>,
    /// Layer norm: coefficients (int16), the gate bias, the coefficients' scale, variance guard.
    layer_norm: Option<LayerNorm>,
}

/// The layer normalization of one gate (TFLite `ApplyLayerNorm`).
#[derive(Clone)]
struct LayerNorm {
    weights: Vec<i16>,
    bias: Vec<i32>,
    scale: (i32, i32),
    variance_guard: i32,
}

/// The projection: `[n_output, n_cell]` int8 weights, effective bias (bias + zp_hidden·row sums),
/// effective scale, quantized clip (0 = none).
struct Projection {
    weights: Vec<i8>,
    bias: Vec<i32>,
    scale: (i32, i32),
    clip: i8,
}

/// Shapes and the prepared integer LSTM parameters.
struct IntLstm {
    n_batch: usize,
    max_time: usize,
    n_input: usize,
    n_cell: usize,
    n_output: usize,
    time_major: bool,
    /// None with CIFG (coupled input and forget gates).
    input_gate: Option<Gate>,
    forget_gate: Gate,
    cell_gate: Gate,
    output_gate: Gate,
    cell_scale: i32,
    cell_clip: i16,
    hidden_scale: (i32, i32),
    hidden_zp: i32,
    projection: Option<Projection>,
    output_state_zp: i32,
    /// Scratch: the hidden row before the projection (n_cell i8).
    hidden: ScratchId,
    /// State: the output state (n_batch × n_output i8, starts at its zero point) and the cell
    /// state (n_batch × n_cell i16, starts at 0).
    output_state: ScratchId,
    cell_state: ScratchId,
    /// Scratch rows (n_cell i16 each): input, forget, cell, output gate.
    scratch: [ScratchId; 4],
}

/// The memory one LSTM run works in: its state and scratch regions.
struct LstmMemory<'a> {
    hidden: &'a mut [i8],
    output_state: &'a mut [i8],
    cell_state: &'a mut [i16],
    gates: [&'a mut [i16]; 4],
}

/// TFLite `MatrixBatchVectorMultiplyAccumulate` (int8 × int8 → int16, one batch row):
/// `out[r] = clamp16(mbqm(bias[r] + Σ_c x[c]·w[r, c], m) + out[r])`.
pub(crate) fn matvec_acc_i16(x: &[i8], w: &[i8], bias: &[i32], m: (i32, i32), out: &mut [i16]) {
    let n = x.len();
    for ((o, &b), row) in out.iter_mut().zip(bias).zip(w.chunks_exact(n.max(1))) {
        let mut acc = b;
        for (&xv, &wv) in x.iter().zip(row) {
            acc = acc.wrapping_add(xv as i32 * wv as i32);
        }
        let acc = arith::mbqm(acc, m.0, m.1).wrapping_add(*o as i32);
        *o = acc.clamp(i16::MIN as i32, i16::MAX as i32) as i16;
    }
}

/// TFLite `ApplyLayerNorm` (portable, integer) on one batch row, in place.
fn layer_norm_row(x: &mut [i16], ln: &LayerNorm) {
    let n = x.len() as i64;
    if n == 0 {
        return;
    }
    let (mut sum, mut sum_sq) = (0i64, 0i64);
    for &v in x.iter() {
        sum += v as i64;
        sum_sq += (v as i32 * v as i32) as i64;
    }
    let mean = (sum * 1024 / n) as i32;
    let temp = ((1i64 << 20) / n) as i32;
    let variance = sum_sq.wrapping_mul(temp as i64).wrapping_sub(mean as i64 * mean as i64);
    let mut variance2 = (variance / (1i64 << 20)) as i32;
    if variance2 < 1 {
        variance2 = ln.variance_guard;
    }
    let (inv_a, inv_b) = arith::inv_sqrt_quantized_multiplier_exp(variance2, -1);
    for ((v, &w), &b) in x.iter_mut().zip(&ln.weights).zip(&ln.bias) {
        let shifted = (*v as i32).wrapping_mul(1024).wrapping_sub(mean);
        let rescaled = arith::mbqm(shifted, inv_a, inv_b);
        let val3 = rescaled.wrapping_mul(w as i32).wrapping_add(b) as i64;
        let val4 = ((if val3 > 0 { val3 + 512 } else { val3 - 512 }) / 1024) as i32;
        let val5 = arith::mbqm(val4, ln.scale.0, ln.scale.1 + 12);
        *v = val5.clamp(i16::MIN as i32, i16::MAX as i32) as i16;
    }
}

/// One gate for one batch row: the two accumulations into `out`, the peephole term (TFLite
/// `VectorBatchVectorCwiseProductAccumulate` over the first `n_output` cells — TFLite passes
/// n_output as the vector size), layer norm, then the activation (logistic, or tanh for the cell
/// gate), both on Q3.12.
fn gate_row(g: &Gate, x: &[i8], h: &[i8], cell: &[i16], tanh: bool, out: &mut [i16]) {
    out.fill(0);
    matvec_acc_i16(x, &g.w_in, &g.bias_in, g.in_scale, out);
    matvec_acc_i16(h, &g.w_rec, &g.bias_rec, g.rec_scale, out);
    if let Some((w, m)) = &g.peephole {
        for ((o, &wv), &c) in out.iter_mut().zip(w.iter()).zip(cell).take(h.len()) {
            let prod = arith::mbqm(wv as i32 * c as i32, m.0, m.1);
            *o = prod.wrapping_add(*o as i32).clamp(i16::MIN as i32, i16::MAX as i32) as i16;
        }
    }
    if let Some(ln) = &g.layer_norm {
        layer_norm_row(out, ln);
    }
    for v in out.iter_mut() {
        *v = if tanh { arith::gemmlowp_tanh16(*v, 3) } else { arith::gemmlowp_logistic16(*v, 3) };
    }
}

/// TFLite `UpdateLstmCellInteger` for one element: forget `f`, input `i` (None with CIFG: 32767 − f),
/// cell gate `g`, old cell `c`.
pub(crate) fn update_cell(c: i16, f: i16, i: Option<i16>, g: i16, cell_scale: i32, clip: i16) -> i16 {
    let kept = arith::rdbpot(f as i32 * c as i32, 15) as i16;
    let i = i.unwrap_or_else(|| 32767i16.wrapping_sub(f));
    let added = arith::rdbpot(i as i32 * g as i32, 30 + cell_scale) as i16;
    let c = (kept as i32 + added as i32).clamp(i16::MIN as i32, i16::MAX as i32) as i16;
    if clip > 0 { c.clamp(-clip, clip) } else { c }
}

/// TFLite `CalculateLstmOutputInteger8x8_16` without projection, one element:
/// `clamp8(mbqm(o·tanh(c), hidden) + zp)`.
pub(crate) fn hidden_value(c: i16, o: i16, cell_scale: i32, hidden: (i32, i32), zp: i32) -> i8 {
    let t = arith::gemmlowp_tanh16(c, 15 + cell_scale);
    let v = arith::mbqm(o as i32 * t as i32, hidden.0, hidden.1).wrapping_add(zp);
    v.clamp(-128, 127) as i8
}

impl IntLstm {
    fn step(&self, mem: &mut LstmMemory<'_>, x: &[i8], b: usize, out: &mut [i8]) {
        let (nc, no) = (self.n_cell, self.n_output);
        let h = &mem.output_state[b * no..(b + 1) * no];
        let cells = &mut mem.cell_state[b * nc..(b + 1) * nc];
        let [si, sf, sg, so] = &mut mem.gates;
        if let Some(g) = &self.input_gate {
            gate_row(g, x, h, cells, false, si);
        }
        gate_row(&self.forget_gate, x, h, cells, false, sf);
        gate_row(&self.cell_gate, x, h, cells, true, sg);
        let cifg = self.input_gate.is_none();
        for (k, c) in cells.iter_mut().enumerate() {
            let i = if cifg { None } else { Some(si[k]) };
            *c = update_cell(*c, sf[k], i, sg[k], self.cell_scale, self.cell_clip);
        }
        gate_row(&self.output_gate, x, h, cells, false, so);
        let hs = &mut mem.output_state[b * no..(b + 1) * no];
        match &self.projection {
            None => {
                for ((hv, &c), &o) in hs.iter_mut().zip(cells.iter()).zip(so.iter()) {
                    *hv = hidden_value(c, o, self.cell_scale, self.hidden_scale, self.hidden_zp);
                }
            }
            Some(p) => {
                // TFLite passes −hidden_zp as the CwiseMul output zero point here (b/246629213).
                for ((hv, &c), &o) in mem.hidden.iter_mut().zip(cells.iter()).zip(so.iter()) {
                    *hv = hidden_value(c, o, self.cell_scale, self.hidden_scale, self.hidden_zp.wrapping_neg());
                }
                let n = nc.max(1);
                for ((hv, row), &bias) in hs.iter_mut().zip(p.weights.chunks_exact(n)).zip(&p.bias) {
                    let mut acc = bias;
                    for (&xv, &wv) in mem.hidden.iter().zip(row) {
                        acc = acc.wrapping_add(xv as i32 * wv as i32);
                    }
                    let v = arith::mbqm(acc, p.scale.0, p.scale.1).wrapping_add(self.output_state_zp);
                    let v = v.clamp(-128, 127) as i8;
                    *hv = if p.clip > 0 { v.clamp(-p.clip, p.clip) } else { v };
                }
            }
        }
        out.copy_from_slice(hs);
    }
}

impl Kernel for IntLstm {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, scratch: &mut Scratch<'_>) -> Result<()> {
        let x = inputs.get::<i8>(0)?;
        let out = outputs.get::<i8>(0)?;
        if out.is_empty() {
            // Nothing observable to compute (the state is the kernel's own); the batch and time
            // loops could still be huge.
            return Ok(());
        }
        let (ni, no) = (self.n_input, self.n_output);
        let (nb, nc) = (self.n_batch, self.n_cell);
        let mut gate =
            |k: usize| -> Result<&mut [i16]> { check_len_mut(scratch.get::<i16>(self.scratch[k])?, nc, "gate") };
        let gates = [gate(0)?, gate(1)?, gate(2)?, gate(3)?];
        let mut mem = LstmMemory {
            gates,
            hidden: check_len_mut(scratch.get::<i8>(self.hidden)?, nc, "hidden")?,
            output_state: check_len_mut(scratch.state::<i8>(self.output_state)?, nb * no, "output state")?,
            cell_state: check_len_mut(scratch.state::<i16>(self.cell_state)?, nb * nc, "cell state")?,
        };
        for b in 0..self.n_batch {
            for t in 0..self.max_time {
                let row = if self.time_major { t * self.n_batch + b } else { b * self.max_time + t };
                let (Some(xr), Some(or)) = (x.get(row * ni..(row + 1) * ni), out.get_mut(row * no..(row + 1) * no))
                else {
                    return Err(crate::error::Error::Internal("LSTM input/output sizes changed".into()));
                };
                self.step(&mut mem, xr, b, or);
            }
        }
        Ok(())
    }
}

const INPUT: usize = 0;
const OUTPUT_STATE: usize = 18;
const CELL_STATE: usize = 19;

/// The prepare function of UNIDIRECTIONAL_SEQUENCE_LSTM.
pub fn prepare<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    let n = ctx.num_inputs();
    if n != 20 && n != 24 {
        return Err(ctx.err(format!("expects 20 or 24 inputs, got {n}")));
    }
    if ctx.num_outputs() != 1 {
        return Err(ctx.err("expects 1 output"));
    }
    let (cell_clip, proj_clip, time_major) = match ctx.options::<tflite::UnidirectionalSequenceLSTMOptions>() {
        Some(o) => (o.cell_clip(), o.proj_clip(), o.time_major()),
        None => (0.0, 0.0, false),
    };
    if cell_clip.is_nan() || cell_clip < 0.0 || proj_clip.is_nan() || proj_clip < 0.0 {
        return Err(ctx.err("cell_clip and proj_clip must be ≥ 0"));
    }
    match ctx.input_dtype(INPUT)? {
        DType::Int8 => {}
        t => return Err(ctx.unsupported(format!("input type {t} is not supported (int8 only)"))),
    }
    let use_layer_norm = n == 24 && ctx.has_input(21);
    let shape = ctx.input_shape(INPUT)?.to_vec();
    let &[d0, d1, n_input] = shape.as_slice() else {
        return Err(ctx.err(format!("input must have rank 3, got {shape:?}")));
    };
    let (max_time, n_batch) = if time_major { (d0, d1) } else { (d1, d0) };
    let w_io = ctx.input_shape(4)?.to_vec();
    let &[n_cell, w_in] = w_io.as_slice() else {
        return Err(ctx.err("input_to_output weights must be 2-D"));
    };
    if w_in != n_input {
        return Err(ctx.err("input_to_output weights do not match the input depth"));
    }
    let r_o = ctx.input_shape(8)?.to_vec();
    let &[r_cell, n_output] = r_o.as_slice() else {
        return Err(ctx.unsupported("recurrent_to_output weights must be 2-D (diagonal ones are not supported)"));
    };
    if r_cell != n_cell {
        return Err(ctx.err("recurrent_to_output weights do not match n_cell"));
    }
    let use_cifg = !ctx.has_input(1);
    if ctx.has_input(1) != ctx.has_input(5) || ctx.has_input(1) != ctx.has_input(12) {
        return Err(ctx.err("input-gate weights and bias must be all present or all absent"));
    }
    let use_peephole = ctx.has_input(11);
    // TFLite's rule: (input-gate peephole present or CIFG) and forget and output present, or none
    // present (a CIFG model's input-gate peephole is then unused).
    let (p_in, p_f) = (ctx.has_input(9), ctx.has_input(10));
    if !(((p_in || use_cifg) && p_f && use_peephole) || (!p_in && !p_f && !use_peephole)) {
        return Err(ctx.err("peephole weights must be all present or all absent"));
    }
    if use_layer_norm && use_cifg && ctx.has_input(20) {
        return Err(ctx.err("a CIFG layer-norm LSTM must not have input-gate layer-norm coefficients"));
    }
    let use_projection = ctx.has_input(16);
    if ctx.has_input(17) && !use_projection {
        return Err(ctx.err("a projection bias needs projection weights"));
    }
    if !use_projection && n_output != n_cell {
        return Err(ctx.err("n_output differs from n_cell without projection"));
    }
    if use_peephole && n_output != n_cell && (n_output > n_cell || (time_major && n_batch > 1)) {
        // TFLite's integer peephole walks n_output (not n_cell) elements per batch row: past the
        // gate for n_output > n_cell, and misaligned across batch rows when time-major.
        return Err(
            ctx.unsupported("a peephole with n_output != n_cell is not supported here (TFLite indexes it by n_output)")
        );
    }

    // Per time step and batch row: four gates of input and recurrent weights, the projection,
    // and per cell three fixed-point sigmoids, two tanhs and a reciprocal (about 200 integer
    // operations; measured: a 3x65535-step LSTM of 4 cells takes 0.5 s). Declared so that a
    // bounded service can refuse a small file that asks for a long sequence.
    let per_row = [4 * n_cell * (n_input + n_output), n_output * n_cell, 200 * n_cell]
        .iter()
        .fold(0u64, |a, &v| a.saturating_add(v as u64));
    ctx.charge_work(per_row.saturating_mul(max_time as u64).saturating_mul(n_batch as u64), "LSTM steps")?;

    let (s_in, zp_in) = per_tensor(ctx, ctx.input_quant(INPUT)?, "input")?;
    let state = ctx.input(OUTPUT_STATE)?;
    let cell = ctx.input(CELL_STATE)?;
    if state.dtype != DType::Int8 || cell.dtype != DType::Int16 {
        return Err(ctx.err("output state must be int8 and cell state int16"));
    }
    // Saturating (an empty tensor may have huge other dimensions); checked products of the sizes.
    let count = |s: &[usize]| -> Option<usize> {
        Some(if s.contains(&0) { 0 } else { s.iter().fold(1usize, |a, &d| a.saturating_mul(d)) })
    };
    if count(&state.shape) != n_batch.checked_mul(n_output) || count(&cell.shape) != n_batch.checked_mul(n_cell) {
        return Err(ctx.err("state tensor sizes do not match batch × units"));
    }
    let (s_state, zp_state) = per_tensor(ctx, ctx.input_quant(OUTPUT_STATE)?, "output state")?;
    let (s_cell, _) = per_tensor(ctx, ctx.input_quant(CELL_STATE)?, "cell state")?;
    let (pot, cell_scale) = arith::checked_log2(s_cell);
    if !pot {
        return Err(ctx.err(format!("cell state scale {s_cell} is not a power of two")));
    }
    if !(-15..=-9).contains(&cell_scale) {
        return Err(ctx.refused_by_tflite(format!(
            "cell state scale 2^{cell_scale} is not supported (TFLite needs 2^-15..2^-9)"
        )));
    }
    if ctx.output_dtype(0)? != DType::Int8 {
        return Err(ctx.err("output must be int8"));
    }
    let (s_out, _) = per_tensor(ctx, ctx.output_quant(0)?, "output")?;
    let inter = ctx.op().intermediates.clone();
    if inter.len() != 5 {
        return Err(ctx.err(format!("an int8 LSTM needs 5 intermediates, got {}", inter.len())));
    }
    let inter_quant = |k: usize| -> Result<(f32, i32)> {
        let q = ctx.model().subgraphs().get(ctx.subgraph).and_then(|sg| sg.tensors.get(inter[k]));
        let Some(q) = q.and_then(|t| t.quantization.as_ref()) else {
            return Err(ctx.err(format!("intermediate {k} is not quantized")));
        };
        per_tensor(ctx, q, "intermediate")
    };
    let (s_hidden, hidden_zp) = inter_quant(4)?;
    let mut gate_scales = [2f32.powi(-12); 4];
    if use_layer_norm {
        for (k, g) in gate_scales.iter_mut().enumerate() {
            *g = inter_quant(k)?.0;
        }
    }

    let make_gate = |g: usize| -> Result<Gate> {
        let (wi, wr, bk) = (1 + g, 5 + g, 12 + g);
        let wi_shape = ctx.input_shape(wi)?;
        let wr_shape = ctx.input_shape(wr)?;
        if wi_shape != [n_cell, n_input] || wr_shape != [n_cell, n_output] {
            return Err(ctx.err(format!("weights {wi}/{wr} have shapes {wi_shape:?}/{wr_shape:?}")));
        }
        for k in [wi, wr] {
            if ctx.input_dtype(k)? != DType::Int8 {
                return Err(ctx.err(format!("weights {k} must be int8")));
            }
        }
        if ctx.input_dtype(bk)? != DType::Int32 || ctx.input_shape(bk)? != [n_cell] {
            return Err(ctx.err(format!("bias {bk} must be int32 [{n_cell}]")));
        }
        let inter_scale = gate_scales[g];
        // The gate keeps copies of its weights (int8), bias, folded biases (int32), peephole
        // and layer-norm coefficients (int16): charged before they are made.
        let gate_bytes = n_cell
            .saturating_mul(n_input.saturating_add(n_output))
            .saturating_add(n_cell.saturating_mul(3 * 4 + 2 * 2));
        ctx.charge(gate_bytes, "LSTM gate weights")?;
        let (s_wi, _) = per_tensor(ctx, ctx.input_quant(wi)?, "weights")?;
        let (s_wr, _) = per_tensor(ctx, ctx.input_quant(wr)?, "weights")?;
        let w_in = ctx.const_input::<i8>(wi)?.into_owned();
        let w_rec = ctx.const_input::<i8>(wr)?.into_owned();
        let bias = ctx.const_input::<i32>(bk)?.into_owned();
        let row_sums = |w: &[i8], cols: usize| -> Vec<i32> {
            w.chunks_exact(cols.max(1)).map(|r| r.iter().fold(0i32, |a, &v| a.wrapping_add(v as i32))).collect()
        };
        // With layer norm the gate bias is added after the normalization, not to the matmul.
        let bias_in = row_sums(&w_in, n_input)
            .iter()
            .enumerate()
            .map(|(r, &s)| {
                let b = if use_layer_norm { 0 } else { bias.get(r).copied().unwrap_or(0) };
                b.wrapping_add(s.wrapping_mul(zp_in.wrapping_neg()))
            })
            .collect();
        let bias_rec = row_sums(&w_rec, n_output).iter().map(|&s| s.wrapping_mul(zp_state.wrapping_neg())).collect();
        let eff_in = s_wi * s_in / inter_scale;
        let eff_rec = s_wr * s_state / inter_scale;
        // The cell gate has no peephole.
        let peephole = if use_peephole && g != 2 {
            let pk = if g == 0 {
                9
            } else if g == 1 {
                10
            } else {
                11
            };
            if ctx.input_dtype(pk)? != DType::Int16 || ctx.input_shape(pk)? != [n_cell] {
                return Err(ctx.err(format!("peephole weights {pk} must be int16 [{n_cell}]")));
            }
            let (s_p, _) = per_tensor(ctx, ctx.input_quant(pk)?, "peephole weights")?;
            let eff = (2f64.powi(cell_scale) * s_p as f64 / inter_scale as f64) as f32;
            Some((ctx.const_input::<i16>(pk)?.into_owned(), arith::quantize_multiplier(eff as f64)))
        } else {
            None
        };
        let layer_norm = if use_layer_norm {
            let lk = 20 + g;
            if ctx.input_dtype(lk)? != DType::Int16 || ctx.input_shape(lk)? != [n_cell] {
                return Err(ctx.err(format!("layer-norm coefficients {lk} must be int16 [{n_cell}]")));
            }
            let (s_ln, _) = per_tensor(ctx, ctx.input_quant(lk)?, "layer-norm coefficients")?;
            Some(LayerNorm {
                weights: ctx.const_input::<i16>(lk)?.into_owned(),
                bias,
                scale: arith::quantize_multiplier(s_ln as f64),
                variance_guard: ((10000.0 * s_ln) as i32).max(1),
            })
        } else {
            None
        };
        Ok(Gate {
            w_in,
            w_rec,
            bias_in,
            bias_rec,
            in_scale: arith::quantize_multiplier(eff_in as f64),
            rec_scale: arith::quantize_multiplier(eff_rec as f64),
            peephole,
            layer_norm,
        })
    };
    let input_gate = if use_cifg { None } else { Some(make_gate(0)?) };
    let forget_gate = make_gate(1)?;
    let cell_gate = make_gate(2)?;
    let output_gate = make_gate(3)?;
    let projection = if use_projection {
        if ctx.input_dtype(16)? != DType::Int8 || ctx.input_shape(16)? != [n_output, n_cell] {
            return Err(ctx.err(format!("projection weights must be int8 [{n_output}, {n_cell}]")));
        }
        let (s_p, _) = per_tensor(ctx, ctx.input_quant(16)?, "projection weights")?;
        ctx.charge(n_output.saturating_mul(n_cell).saturating_add(n_output.saturating_mul(2 * 4)), "LSTM projection")?;
        let weights = ctx.const_input::<i8>(16)?.into_owned();
        let bias: Vec<i32> = if ctx.has_input(17) {
            if ctx.input_dtype(17)? != DType::Int32 || ctx.input_shape(17)? != [n_output] {
                return Err(ctx.err(format!("projection bias must be int32 [{n_output}]")));
            }
            ctx.const_input::<i32>(17)?.into_owned()
        } else {
            vec![0; n_output]
        };
        let bias = weights
            .chunks_exact(n_cell.max(1))
            .zip(&bias)
            .map(|(r, &b)| {
                let sum = r.iter().fold(0i32, |a, &v| a.wrapping_add(v as i32));
                b.wrapping_add(sum.wrapping_mul(hidden_zp))
            })
            .collect();
        let eff = s_p * s_hidden / s_state;
        let clip = if proj_clip > 0.0 { (proj_clip / s_out).clamp(-128.0, 127.0) as i8 } else { 0 };
        Some(Projection { weights, bias, scale: arith::quantize_multiplier(eff as f64), clip })
    } else {
        None
    };
    let eff_hidden = (2f64.powi(-15) / s_hidden as f64 * 2f64.powi(-15)) as f32;
    let cell_clip = if cell_clip > 0.0 { (cell_clip / s_cell).clamp(-32768.0, 32767.0) as i16 } else { 0 };
    let mut out_shape = shape.clone();
    out_shape[2] = n_output;
    ctx.set_output_shape(0, out_shape)?;
    let output_state = ctx.request_state::<i8>(n_batch * n_output, zp_state.clamp(-128, 127) as i8, "output state")?;
    Ok(Box::new(IntLstm {
        n_batch,
        max_time,
        n_input,
        n_cell,
        n_output,
        time_major,
        input_gate,
        forget_gate,
        cell_gate,
        output_gate,
        cell_scale,
        cell_clip,
        hidden_scale: arith::quantize_multiplier(eff_hidden as f64),
        hidden_zp,
        projection,
        output_state_zp: zp_state,
        hidden: ctx.request_scratch::<i8>(n_cell, "hidden state")?,
        output_state,
        cell_state: ctx.request_state::<i16>(n_batch * n_cell, 0, "cell state")?,
        scratch: [
            ctx.request_scratch::<i16>(n_cell, "scratch")?,
            ctx.request_scratch::<i16>(n_cell, "scratch")?,
            ctx.request_scratch::<i16>(n_cell, "scratch")?,
            ctx.request_scratch::<i16>(n_cell, "scratch")?,
        ],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matvec_accumulates_rounds_and_clamps() {
        // acc = 10 + 1·2 + (−3)·4 = 0 → 0 + old 5 = 5.
        let mut out = [5i16, 0];
        // Row 1: acc = −7 + 127·127 + 127·127 = 32251; × 0.5 (M = 2^30, shift 0) = 16125.5 → 16126
        // (round half away); + old 0.
        let half = (1 << 30, 0);
        matvec_acc_i16(&[1, -3], &[2, 4, 127, 127], &[10, -7], (1 << 30, 1), &mut out[..1]);
        assert_eq!(out[0], 5);
        let mut o2 = [0i16];
        matvec_acc_i16(&[127, 127], &[127, 127], &[-7], half, &mut o2);
        assert_eq!(o2[0], 16126);
        // Clamped: 32251·2 = 64502 > 32767.
        let mut o3 = [100i16];
        matvec_acc_i16(&[127, 127], &[127, 127], &[-7], (1 << 30, 2), &mut o3);
        assert_eq!(o3[0], 32767);
        let mut o4 = [-100i16];
        matvec_acc_i16(&[-128, -128], &[127, 127], &[0], (1 << 30, 2), &mut o4);
        assert_eq!(o4[0], -32768);
    }

    #[test]
    fn cell_update_by_hand() {
        // cell_scale −11: f = 16384 (0.5), c = 1000 → 500; i = 32767 (≈1), g = 16384 (0.5 in Q0.15)
        // → 32767·16384 / 2^19 = 1023.97 → 1024; c = 1524.
        assert_eq!(update_cell(1000, 16384, Some(32767), 16384, -11, 0), 1524);
        // Ties: f·c = 3·16384 / 2^15 = 1.5 → 2; −1.5 → −2.
        assert_eq!(update_cell(3, 16384, Some(0), 0, -11, 0), 2);
        assert_eq!(update_cell(-3, 16384, Some(0), 0, -11, 0), -2);
        // CIFG: i = 32767 − f = 16383; 16383·(−32768) / 2^19 = −1023.94 → −1024.
        assert_eq!(update_cell(0, 16384, None, -32768, -11, 0), -1024);
        // Saturation and clipping.
        assert_eq!(update_cell(32767, 32767, Some(32767), 32767, -15, 0), 32767);
        assert_eq!(update_cell(1000, 16384, Some(32767), 16384, -11, 1200), 1200);
        assert_eq!(update_cell(-1000, 16384, Some(32767), -16384, -11, 1200), -1200);
    }

    #[test]
    fn layer_norm_by_hand() {
        // x = [−4096, 4096]: sum 0, mean 0, sum_sq = 2^25, temp = 2^19, variance = 2^44 → 2^24;
        // inv sqrt of 2^24 = 2^−12 → rescaled = 1024·x·2^−12 = ±1024 (± 0.25·4096).
        // val3 = ±1024·w + b with w = 16384, b = 0: ±2^24 → val4 = ±2^14 (+512 then /1024 → 16384).
        // scale: M = 2^30 (0.5), shift −12 + 12 = 0 → ±8192.
        let ln = LayerNorm { weights: vec![16384, 16384], bias: vec![0, 0], scale: (1 << 30, -12), variance_guard: 1 };
        let (a, b) = arith::inv_sqrt_quantized_multiplier_exp(1 << 24, -1);
        assert_eq!(arith::mbqm(1024 * 4096, a, b), 1024);
        let mut x = [-4096i16, 4096];
        layer_norm_row(&mut x, &ln);
        assert_eq!(x, [-8192, 8192]);
        // A constant row has variance 0 → the guard; every value equals the mean → only the bias:
        // b = 1024·1000 → val4 = (1024000 + 512) / 1024 = 1000 → ×0.5 = 500.
        let ln =
            LayerNorm { weights: vec![7, 7, 7], bias: vec![1_024_000; 3], scale: (1 << 30, -12), variance_guard: 5 };
        let mut x = [300i16, 300, 300];
        layer_norm_row(&mut x, &ln);
        assert_eq!(x, [500, 500, 500]);
    }

    #[test]
    fn hidden_by_hand() {
        // c = 0 → tanh 0 → 0 + zp.
        assert_eq!(hidden_value(0, 32767, -11, (1 << 30, 0), 3), 3);
        // Effective scale 2^−30 (M = 2^30, shift −29): o·t = 32767·t; with t = tanh<4>(2048) =
        // tanh(1) in Q0.15; result = round(32767·t / 2^30)·… small → checks the rounding path.
        let t = arith::gemmlowp_tanh16(2048, 4);
        assert!((t as f64 / 32768.0 - 1f64.tanh()).abs() < 16.0 / 32768.0, "{t}");
        let want = arith::rdbpot(arith::srdhm(32767 * t as i32, 1 << 30), 14);
        assert_eq!(hidden_value(2048, 32767, -11, (1 << 30, -14), 0) as i32, want.clamp(-128, 127));
        // Clamped to int8.
        assert_eq!(hidden_value(32767, 32767, -11, (1 << 30, 0), 0), 127);
        assert_eq!(hidden_value(-32768, 32767, -11, (1 << 30, 0), 0), -128);
    }
}
