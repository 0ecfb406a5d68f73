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
//! Supported: with or without the input gate (CIFG), no peephole, no projection, no layer norm
//! (those are rejected at prepare), constant per-tensor weights and biases.
//!
//! Prepare (float32 arithmetic as in TFLite, Q3.12 = 2^−12 gate inputs):
//! - `eff_in[g] = float(s_w_in[g]·s_in) / 2^−12`, `eff_rec[g] = float(s_w_rec[g]·s_state) / 2^−12`,
//!   `eff_hidden = float(2^−15 / double(s_hidden) · 2^−15)`, each `QuantizeMultiplier`'d.
//! - `cell_scale = log2(s_cell)` (`CheckedLog2`; must be a power of two, and 15 + cell_scale must
//!   be in 0..=6 — TFLite's `ApplyTanh` silently writes nothing otherwise, so qlite rejects it).
//! - effective biases: `bias[r] − zp_in·Σ_c w_in[r, c]` and `−zp_state·Σ_c w_rec[r, c]` (int32,
//!   wrapping).
//! - quantized cell clip: `int16(min(max(cell_clip / s_cell, −32768), 32767))` (truncation), 0 = off.
//!
//! Per time step and batch row (all int32 arithmetic wraps like the compiled C++):
//! - gate pre-activation `g[r] = clamp16(mbqm(eff_bias_in[r] + Σ x·w_in, eff_in) +
//!   clamp16(mbqm(eff_bias_rec[r] + Σ h·w_rec, eff_rec)))` (the input part is clamped first);
//! - input/forget/output gates: gemmlowp `logistic` on Q3.12 → Q0.15; cell gate: gemmlowp
//!   `tanh` on Q3.12 (the options' activation is ignored, as in TFLite's integer kernel);
//! - `c = int16(rdbpot(f·c, 15))`, `u = int16(rdbpot(i·g, 30 + cell_scale))` (CIFG:
//!   `i = 32767 − f`), `c = clamp16(c + u)`, then `clamp(c, ±clip)` when clipping;
//! - `h = clamp8(mbqm(o·tanh_(15+cell_scale)(c), eff_hidden) + zp_hidden)`; the output row is h.
//!
//! State: the output and cell states persist across invokes and start as TFLite's
//! `ResetVariableTensor` leaves them (output state = its zero point, cell state = 0). qlite
//! keeps them inside the kernel; the state tensors in the arena are not written.

use super::{Inputs, Kernel, Outputs, PrepareContext, per_tensor};
use crate::arith;
use crate::dtype::DType;
use crate::error::Result;
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
    output_state: Vec<i8>,
    cell_state: Vec<i16>,
    /// Scratch rows: input, forget, cell, output gate.
    scratch: [Vec<i16>; 4],
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

/// One gate for one batch row: the two accumulations into `out`, then the activation
/// (logistic, or tanh for the cell gate), both on Q3.12.
fn gate_row(g: &Gate, x: &[i8], h: &[i8], tanh: bool, out: &mut [i16]) {
    out.fill(0);
    matvec_acc_i16(x, &g.w_in, &g.bias_in, g.in_scale, out);
    matvec_acc_i16(h, &g.w_rec, &g.bias_rec, g.rec_scale, out);
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
    fn step(&mut self, x: &[i8], b: usize, out: &mut [i8]) {
        let (nc, no) = (self.n_cell, self.n_output);
        let h = &self.output_state[b * no..(b + 1) * no];
        let [si, sf, sg, so] = &mut self.scratch;
        if let Some(g) = &self.input_gate {
            gate_row(g, x, h, false, si);
        }
        gate_row(&self.forget_gate, x, h, false, sf);
        gate_row(&self.cell_gate, x, h, true, sg);
        gate_row(&self.output_gate, x, h, false, so);
        let cifg = self.input_gate.is_none();
        let cells = &mut self.cell_state[b * nc..(b + 1) * nc];
        for (k, c) in cells.iter_mut().enumerate() {
            let i = if cifg { None } else { Some(si[k]) };
            *c = update_cell(*c, sf[k], i, sg[k], self.cell_scale, self.cell_clip);
        }
        let hs = &mut self.output_state[b * no..(b + 1) * no];
        for ((hv, &c), &o) in hs.iter_mut().zip(cells.iter()).zip(so.iter()) {
            *hv = hidden_value(c, o, self.cell_scale, self.hidden_scale, self.hidden_zp);
        }
        out.copy_from_slice(hs);
    }
}

impl Kernel for IntLstm {
    fn eval(&mut self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>) -> Result<()> {
        let x = inputs.get::<i8>(0)?;
        let out = outputs.get::<i8>(0)?;
        let (ni, no) = (self.n_input, self.n_output);
        for b in 0..self.n_batch {
            for t in 0..self.max_time {
                let row = if self.time_major { t * self.n_batch + b } else { b * self.max_time + t };
                let (Some(xr), Some(or)) = (x.get(row * ni..(row + 1) * ni), out.get_mut(row * no..(row + 1) * no))
                else {
                    return Err(crate::error::Error::Usage("LSTM input/output sizes changed".into()));
                };
                self.step(xr, b, or);
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
        t => return Err(ctx.err(format!("input type {t} is not supported (int8 only)"))),
    }
    for k in [9, 10, 11, 16, 17] {
        if ctx.has_input(k) {
            return Err(ctx.err("peephole and projection LSTMs are not supported yet"));
        }
    }
    if n == 24 && (20..24).any(|k| ctx.has_input(k)) {
        return Err(ctx.err("layer-norm LSTMs are not supported yet"));
    }
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
        return Err(ctx.err("recurrent_to_output weights must be 2-D (diagonal ones are not supported)"));
    };
    if r_cell != n_cell {
        return Err(ctx.err("recurrent_to_output weights do not match n_cell"));
    }
    if n_output != n_cell {
        return Err(ctx.err("n_output differs from n_cell without projection"));
    }
    let use_cifg = !ctx.has_input(1);
    if ctx.has_input(1) != ctx.has_input(5) || ctx.has_input(1) != ctx.has_input(12) {
        return Err(ctx.err("input-gate weights and bias must be all present or all absent"));
    }

    let (s_in, zp_in) = per_tensor(ctx, ctx.input_quant(INPUT)?, "input")?;
    let state = ctx.input(OUTPUT_STATE)?;
    let cell = ctx.input(CELL_STATE)?;
    if state.dtype != DType::Int8 || cell.dtype != DType::Int16 {
        return Err(ctx.err("output state must be int8 and cell state int16"));
    }
    let count = |s: &[usize]| s.iter().product::<usize>();
    if count(&state.shape) != n_batch * n_output || count(&cell.shape) != n_batch * n_cell {
        return Err(ctx.err("state tensor sizes do not match batch × units"));
    }
    let (s_state, zp_state) = per_tensor(ctx, ctx.input_quant(OUTPUT_STATE)?, "output state")?;
    let (s_cell, _) = per_tensor(ctx, ctx.input_quant(CELL_STATE)?, "cell state")?;
    let (pot, cell_scale) = arith::checked_log2(s_cell);
    if !pot {
        return Err(ctx.err(format!("cell state scale {s_cell} is not a power of two")));
    }
    if !(-15..=-9).contains(&cell_scale) {
        return Err(ctx.err(format!("cell state scale 2^{cell_scale} is not supported (TFLite needs 2^-15..2^-9)")));
    }
    if ctx.output_dtype(0)? != DType::Int8 {
        return Err(ctx.err("output must be int8"));
    }
    let inter = &ctx.op().intermediates;
    if inter.len() != 5 {
        return Err(ctx.err(format!("an int8 LSTM needs 5 intermediates, got {}", inter.len())));
    }
    let hidden = ctx
        .model()
        .subgraphs()
        .get(ctx.subgraph)
        .and_then(|sg| sg.tensors.get(inter[4]))
        .and_then(|t| t.quantization.as_ref());
    let Some(hq) = hidden else {
        return Err(ctx.err("the hidden intermediate is not quantized"));
    };
    let (s_hidden, hidden_zp) = per_tensor(ctx, hq, "hidden intermediate")?;

    let gate_scale: f32 = 2f32.powi(-12);
    let make_gate = |wi: usize, wr: usize, bk: usize| -> Result<Gate> {
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
        let (s_wi, _) = per_tensor(ctx, ctx.input_quant(wi)?, "weights")?;
        let (s_wr, _) = per_tensor(ctx, ctx.input_quant(wr)?, "weights")?;
        let w_in = ctx.const_input::<i8>(wi)?.into_owned();
        let w_rec = ctx.const_input::<i8>(wr)?.into_owned();
        let bias = ctx.const_input::<i32>(bk)?;
        let row_sums = |w: &[i8], cols: usize| -> Vec<i32> {
            w.chunks_exact(cols.max(1)).map(|r| r.iter().fold(0i32, |a, &v| a.wrapping_add(v as i32))).collect()
        };
        let bias_in = row_sums(&w_in, n_input)
            .iter()
            .zip(bias.iter())
            .map(|(&s, &b)| b.wrapping_add(s.wrapping_mul(zp_in.wrapping_neg())))
            .collect();
        let bias_rec = row_sums(&w_rec, n_output).iter().map(|&s| s.wrapping_mul(zp_state.wrapping_neg())).collect();
        let eff_in = s_wi * s_in / gate_scale;
        let eff_rec = s_wr * s_state / gate_scale;
        Ok(Gate {
            w_in,
            w_rec,
            bias_in,
            bias_rec,
            in_scale: arith::quantize_multiplier(eff_in as f64),
            rec_scale: arith::quantize_multiplier(eff_rec as f64),
        })
    };
    let input_gate = if use_cifg { None } else { Some(make_gate(1, 5, 12)?) };
    let forget_gate = make_gate(2, 6, 13)?;
    let cell_gate = make_gate(3, 7, 14)?;
    let output_gate = make_gate(4, 8, 15)?;
    let eff_hidden = (2f64.powi(-15) / s_hidden as f64 * 2f64.powi(-15)) as f32;
    let cell_clip = if cell_clip > 0.0 { (cell_clip / s_cell).clamp(-32768.0, 32767.0) as i16 } else { 0 };
    let mut out_shape = shape.clone();
    out_shape[2] = n_output;
    ctx.set_output_shape(0, out_shape)?;
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
        output_state: vec![zp_state.clamp(-128, 127) as i8; n_batch * n_output],
        cell_state: vec![0; n_batch * n_cell],
        scratch: std::array::from_fn(|_| vec![0i16; n_cell]),
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
