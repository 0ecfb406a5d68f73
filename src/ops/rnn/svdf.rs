//! SVDF: a fully connected layer factored into a feature projection and a time filter over a
//! memory of the last `memory` projections (rank-`rank` low-rank factorization).
//!
//! Inputs: `x [batch, input]`, `weights_feature [filters, input]`, `weights_time [filters,
//! memory]`, optional `bias [units]` (`units = filters / rank`), and the variable
//! `state [batch, filters·memory]`. Output `[batch, units]`.
//!
//! Each invoke (TFLite `reference_ops::EvalFloatSVDF` / `EvalIntegerSVDF`, TFLite Micro
//! `svdf_common.cc`):
//! 1. the whole state buffer shifts left by one element (`state[i] = state[i+1]`);
//! 2. for each batch b and filter f, `state[b, f·memory + memory−1]` = the feature projection
//!    `Σ_c wf[f, c]·x[b, c]`;
//! 3. `t[b, f] = Σ_j wt[f, j]·state[b, f·memory + j]`;
//! 4. `out[b, u] = Σ_{r<rank} t[b, u·rank + r] + bias[u]`, then the activation.
//!
//! float32: the projection and time dot products as TFLite's x86 build computes them ([`dot4`]:
//! four running lanes, `((l0 + l1) + l2) + l3`, then any tail in order — measured, the source's
//! plain loop does not give TFLite's results), the projection stored as `0 + dot` (TFLite
//! accumulates into a zeroed scratch), the rank reduction in order from `0.0f`, the bias added
//! after it, then the fused activation clamp (NONE, RELU, RELU_N1_TO_1, RELU6; others are
//! rejected). Found on keyword_scrambled_8bit made float; the in-order tail is confirmed by
//! `fuzz_svdf.py` (input and memory sizes that are not multiples of 4).
//!
//! int8 (integer path): `s1 = float(s_x·s_wf / s_state)`, `s2 = float(s_state·s_wt / s_out)`
//! (float arithmetic, as TFLite computes them, then `QuantizeMultiplier` in double);
//! projection `(S)(clamp(MBQM(Σ wf·(x − zp_x), s1)) + zp_state)`: clamped to the state type
//! `S`, then the zero point added and the sum narrowed to `S` with wrap-around, as the pinned
//! TFLite Micro (PyPI tflite-micro 0.dev20261023) does (measured; e.g. a projection of −130 with
//! zero point −13 gives −128 − 13 = −141 → 115). Newer TFLite Micro sources add it before
//! the clamp; the two differ only when the sum leaves the state type's range (never for
//! int16 with zero point 0, TFLite's case);
//! `t = Σ wt·(state − zp_state)` in int32 (wrapping); `acc = Σ_rank t + bias` (wrapping);
//! `out = clamp(MBQM(acc, s2) + zp_out, −128, 127)`. The fused activation is ignored, as in
//! both TFLite and TFLite Micro (TFLite even requires it to be RELU for the integer path and
//! fails the invoke otherwise; qlite runs any activation). TFLite Micro needs a bias (it
//! crashes without one); qlite and TFLite run without.
//! - int16 weights_time and int16 state (TFLite's `EvalIntegerSVDF`): the state's zero point
//!   must be 0 (TFLite ignores it; TFLite Micro would use it — with 0 both agree).
//! - int8 weights_time and int8 state (TFLite Micro only; TFLite rejects the model): the state
//!   has a zero point, added before the clamp and subtracted in the time product, as TFLite
//!   Micro does. This is what `keyword_scrambled_8bit.tflite` uses.
//!
//! State: owned by the kernel, initialized at prepare to the state's zero point (0 for
//! float and int16; TFLite and TFLite Micro both reset int8 variable tensors to their zero
//! point), and carried from one invoke to the next. The variable tensor in the arena is not
//! read or written (a constant buffer on it is ignored, as TFLite does). Hybrid SVDF (float
//! input, int8 weights) is not supported. A bias whose scale is not `s_state·s_wt` (TFLite
//! Micro checks it within 1e-5) is still run, with the bias values as they are.
//!
//! Checked: `models/fuzz_svdf.py` (single-op models built as flatbuffers, random geometry incl.
//! sizes that are not multiples of 4, scales, zero points; 6 invokes each with the state carried)
//! and `models/svdf_check.py` (variants of keyword_scrambled_8bit, sequences of 12 invokes).

use crate::ops::Scratch;
use std::borrow::Cow;

use crate::arith;
use crate::dtype::DType;
use crate::error::Result;
use crate::ops::common::{QInt, check_len, check_len_mut};
use crate::ops::{Element, Inputs, Kernel, Outputs, PrepareContext, ScratchId, per_tensor};
use crate::tflite;

/// A weight or bias tensor: constant, or read from an input at eval.
enum Src<'m, T: Clone + 'static> {
    Const(Cow<'m, [T]>),
    Input(usize),
}

impl<'m, T: Element> Src<'m, T> {
    fn get<'a>(&'a self, inputs: &Inputs<'a>) -> Result<&'a [T]> {
        match self {
            Src::Const(c) => Ok(c),
            Src::Input(k) => inputs.get(*k),
        }
    }
    fn new(ctx: &PrepareContext<'_, 'm>, k: usize) -> Result<Self> {
        Ok(match ctx.input_value::<T>(k)? {
            Some(c) => Src::Const(c),
            None => Src::Input(k),
        })
    }
}

#[derive(Clone, Copy, Debug)]
struct Geometry {
    batch: usize,
    input: usize,
    filters: usize,
    memory: usize,
    rank: usize,
    units: usize,
}

/// Float dot product as TFLite's x86 build computes the SVDF sums (measured on
/// keyword_scrambled_8bit made float): four running lanes `l[i % 4] += a[i]·b[i]` over the
/// first `4·⌊n/4⌋` elements, then `((l0 + l1) + l2) + l3`, then the remaining elements in order.
fn dot4(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let body = n - n % 4;
    let mut l = [0.0f32; 4];
    for (ca, cb) in a[..body].chunks_exact(4).zip(b[..body].chunks_exact(4)) {
        for k in 0..4 {
            l[k] += ca[k] * cb[k];
        }
    }
    let mut sum = ((l[0] + l[1]) + l[2]) + l[3];
    for (x, y) in a[body..n].iter().zip(&b[body..n]) {
        sum += x * y;
    }
    sum
}

/// Shifts the state left by one element (the last element is overwritten by the caller).
fn shift_state<T: Copy>(state: &mut [T]) {
    if !state.is_empty() {
        state.copy_within(1.., 0);
    }
}

struct FloatSvdf<'m> {
    g: Geometry,
    wf: Src<'m, f32>,
    wt: Src<'m, f32>,
    bias: Option<Src<'m, f32>>,
    /// The activation state, `[batch][filters][memory]` f32 (persistent, starts at 0).
    state: ScratchId,
    /// Scratch: one f32 per batch and filter.
    scratch: ScratchId,
    act_min: f32,
    act_max: f32,
}

impl Kernel for FloatSvdf<'_> {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, scratch: &mut Scratch<'_>) -> Result<()> {
        let g = self.g;
        let x = check_len(inputs.get::<f32>(0)?, g.batch * g.input, "input")?;
        let wf = check_len(self.wf.get(inputs)?, g.filters * g.input, "weights_feature")?;
        let wt = check_len(self.wt.get(inputs)?, g.filters * g.memory, "weights_time")?;
        let bias = match &self.bias {
            Some(b) => Some(check_len(b.get(inputs)?, g.units, "bias")?),
            None => None,
        };
        let out = check_len_mut(outputs.get::<f32>(0)?, g.batch * g.units, "output")?;
        let state = check_len_mut(scratch.state::<f32>(self.state)?, g.batch * g.filters * g.memory, "state")?;
        let sums = check_len_mut(scratch.get::<f32>(self.scratch)?, g.batch * g.filters, "scratch")?;
        shift_state(state);
        for b in 0..g.batch {
            let xb = &x[b * g.input..(b + 1) * g.input];
            for f in 0..g.filters {
                let dot = dot4(&wf[f * g.input..(f + 1) * g.input], xb);
                state[(b * g.filters + f) * g.memory + g.memory - 1] = 0.0 + dot;
            }
        }
        for b in 0..g.batch {
            for f in 0..g.filters {
                let s = &state[(b * g.filters + f) * g.memory..(b * g.filters + f + 1) * g.memory];
                sums[b * g.filters + f] = dot4(&wt[f * g.memory..(f + 1) * g.memory], s);
            }
        }
        for b in 0..g.batch {
            for u in 0..g.units {
                let mut sum = 0.0f32;
                for r in 0..g.rank {
                    sum += sums[b * g.filters + u * g.rank + r];
                }
                if let Some(bias) = bias {
                    sum += bias[u];
                }
                out[b * g.units + u] = sum.max(self.act_min).min(self.act_max);
            }
        }
        Ok(())
    }
}

/// The integer SVDF; `S` is the type of weights_time and of the state (int16 or int8).
struct IntSvdf<'m, S: QInt> {
    g: Geometry,
    wf: Src<'m, i8>,
    wt: Src<'m, S>,
    bias: Option<Src<'m, i32>>,
    /// The activation state, `[batch][filters][memory]` of `S` (persistent, starts at the
    /// state's zero point).
    state: ScratchId,
    /// Scratch: one i32 per batch and filter.
    scratch: ScratchId,
    zp_in: i32,
    zp_state: i32,
    zp_out: i32,
    m1: (i32, i32),
    m2: (i32, i32),
}

impl<S: QInt> Kernel for IntSvdf<'_, S> {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, scratch: &mut Scratch<'_>) -> Result<()> {
        let g = self.g;
        let x = check_len(inputs.get::<i8>(0)?, g.batch * g.input, "input")?;
        let wf = check_len(self.wf.get(inputs)?, g.filters * g.input, "weights_feature")?;
        let wt = check_len(self.wt.get(inputs)?, g.filters * g.memory, "weights_time")?;
        let bias = match &self.bias {
            Some(b) => Some(check_len(b.get(inputs)?, g.units, "bias")?),
            None => None,
        };
        let out = check_len_mut(outputs.get::<i8>(0)?, g.batch * g.units, "output")?;
        let state = check_len_mut(scratch.state::<S>(self.state)?, g.batch * g.filters * g.memory, "state")?;
        let sums = check_len_mut(scratch.get::<i32>(self.scratch)?, g.batch * g.filters, "scratch")?;
        shift_state(state);
        for b in 0..g.batch {
            let xb = &x[b * g.input..(b + 1) * g.input];
            for f in 0..g.filters {
                let row = &wf[f * g.input..(f + 1) * g.input];
                let mut dot = 0i32;
                for (&w, &v) in row.iter().zip(xb) {
                    dot = dot.wrapping_add(i32::from(w) * (i32::from(v) - self.zp_in));
                }
                // Clamp, then add the zero point and narrow with wrap-around (the pinned TFLite Micro).
                let v = arith::mbqm(dot, self.m1.0, self.m1.1).clamp(S::MIN, S::MAX) + self.zp_state;
                state[(b * g.filters + f) * g.memory + g.memory - 1] = S::from_i32(v);
            }
        }
        for b in 0..g.batch {
            for f in 0..g.filters {
                let s = &state[(b * g.filters + f) * g.memory..(b * g.filters + f + 1) * g.memory];
                let w = &wt[f * g.memory..(f + 1) * g.memory];
                let mut dot = 0i32;
                for (&a, &c) in w.iter().zip(s) {
                    dot = dot.wrapping_add(a.to_i32() * (c.to_i32() - self.zp_state));
                }
                sums[b * g.filters + f] = dot;
            }
        }
        for b in 0..g.batch {
            for u in 0..g.units {
                let mut acc = 0i32;
                for r in 0..g.rank {
                    acc = acc.wrapping_add(sums[b * g.filters + u * g.rank + r]);
                }
                if let Some(bias) = bias {
                    acc = acc.wrapping_add(bias[u]);
                }
                let v = arith::mbqm(acc, self.m2.0, self.m2.1).wrapping_add(self.zp_out);
                out[b * g.units + u] = v.clamp(-128, 127) as i8;
            }
        }
        Ok(())
    }
}

/// Prepares SVDF (float32, or the int8 integer path with int16 or int8 time weights/state).
pub fn prepare<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(5..=5, 1)?;
    let opts = ctx.options::<tflite::SVDFOptions>().ok_or_else(|| ctx.err("missing SVDF options"))?;
    let rank = usize::try_from(opts.rank()).ok().filter(|&r| r > 0).ok_or_else(|| ctx.err("rank must be positive"))?;
    let act = opts.fused_activation_function();
    let x_shape = ctx.input_shape(0)?.to_vec();
    let wf_shape = ctx.input_shape(1)?.to_vec();
    let wt_shape = ctx.input_shape(2)?.to_vec();
    if x_shape.len() != 2 || wf_shape.len() != 2 || wt_shape.len() != 2 {
        return Err(ctx.err(format!(
            "input {x_shape:?}, weights_feature {wf_shape:?} and weights_time {wt_shape:?} must be 2-D"
        )));
    }
    let (batch, input) = (x_shape[0], x_shape[1]);
    let (filters, memory) = (wf_shape[0], wt_shape[1]);
    if wf_shape[1] != input || wt_shape[0] != filters {
        return Err(
            ctx.err(format!("weights_feature {wf_shape:?} / weights_time {wt_shape:?} do not match input {x_shape:?}"))
        );
    }
    if filters == 0 || memory == 0 || !filters.is_multiple_of(rank) {
        return Err(ctx.err(format!("{filters} filters, memory {memory}: need a positive multiple of rank {rank}")));
    }
    let units = filters / rank;
    let has_bias = ctx.has_input(3);
    if has_bias && ctx.input_shape(3)?.iter().product::<usize>() != units {
        return Err(ctx.err(format!("bias shape {:?} does not match {units} units", ctx.input_shape(3)?)));
    }
    let st_shape = ctx.input_shape(4)?;
    // The state tensor's own size bounds these products once its shape matches.
    let (Some(row), Some(state_len)) =
        (filters.checked_mul(memory), filters.checked_mul(memory).and_then(|r| r.checked_mul(batch)))
    else {
        return Err(ctx.err(format!("{filters} filters × memory {memory} × batch {batch} overflow")));
    };
    if st_shape.len() != 2 || st_shape[0] != batch || st_shape[1] != row {
        return Err(ctx.err(format!("state shape {st_shape:?}, expected [{batch}, {row}]")));
    }
    if !ctx.input(4)?.is_variable {
        return Err(ctx.err("the state (input 4) must be a variable tensor"));
    }
    ctx.set_output_shape(0, vec![batch, units])?;
    let g = Geometry { batch, input, filters, memory, rank, units };
    let types =
        (ctx.input_dtype(0)?, ctx.input_dtype(1)?, ctx.input_dtype(2)?, ctx.input_dtype(4)?, ctx.output_dtype(0)?);
    let bias_type = if has_bias { Some(ctx.input_dtype(3)?) } else { None };
    use DType::{Float32 as F, Int8 as I8, Int16 as I16};
    match types {
        (F, F, F, F, F) => {
            if bias_type.is_some_and(|t| t != F) {
                return Err(ctx.err("float SVDF needs a float32 bias"));
            }
            let (act_min, act_max) = match act {
                tflite::ActivationFunctionType::NONE
                | tflite::ActivationFunctionType::RELU
                | tflite::ActivationFunctionType::RELU_N1_TO_1
                | tflite::ActivationFunctionType::RELU6 => arith::activation_range_f32(act),
                _ => return Err(ctx.unsupported(format!("unsupported fused activation {act:?}"))),
            };
            Ok(Box::new(FloatSvdf {
                g,
                wf: Src::new(ctx, 1)?,
                wt: Src::new(ctx, 2)?,
                bias: if has_bias { Some(Src::new(ctx, 3)?) } else { None },
                state: ctx.request_state::<f32>(state_len, 0.0, "state")?,
                scratch: ctx.request_scratch::<f32>(batch * filters, "scratch")?,
                act_min,
                act_max,
            }))
        }
        (I8, I8, I16, I16, I8) => prepare_int::<i16>(ctx, g, bias_type, true),
        (I8, I8, I8, I8, I8) => prepare_int::<i8>(ctx, g, bias_type, false),
        (F, I8, ..) => Err(ctx.unsupported("hybrid SVDF (float input, int8 weights) is not supported")),
        t => Err(ctx.unsupported(format!(
            "unsupported SVDF types (input, weights_feature, weights_time, state, output) {t:?}"
        ))),
    }
}

fn prepare_int<'m, S: QInt>(
    ctx: &mut PrepareContext<'_, 'm>,
    g: Geometry,
    bias_type: Option<DType>,
    state_zp_must_be_zero: bool,
) -> Result<Box<dyn Kernel + 'm>> {
    if bias_type.is_some_and(|t| t != DType::Int32) {
        return Err(ctx.err("integer SVDF needs an int32 bias"));
    }
    let (s_in, zp_in) = per_tensor(ctx, ctx.input_quant(0)?, "input")?;
    let (s_wf, _) = per_tensor(ctx, ctx.input_quant(1)?, "weights_feature")?;
    let (s_wt, _) = per_tensor(ctx, ctx.input_quant(2)?, "weights_time")?;
    let (s_state, zp_state) = per_tensor(ctx, ctx.input_quant(4)?, "state")?;
    let (s_out, zp_out) = per_tensor(ctx, ctx.output_quant(0)?, "output")?;
    if state_zp_must_be_zero && zp_state != 0 {
        return Err(ctx.err("an int16 SVDF state needs zero point 0"));
    }
    if !(S::MIN..=S::MAX).contains(&zp_state) {
        return Err(ctx.err("state zero point out of range"));
    }
    // Float arithmetic, as TFLite and TFLite Micro compute the effective scales.
    let e1 = f64::from(s_in * s_wf / s_state);
    let e2 = f64::from(s_state * s_wt / s_out);
    if !e1.is_finite() || !e2.is_finite() {
        return Err(ctx.err("non-finite effective scale"));
    }
    let state = ctx.request_state::<S>(g.batch * g.filters * g.memory, S::from_i32(zp_state), "state")?;
    Ok(Box::new(IntSvdf::<S> {
        g,
        wf: Src::new(ctx, 1)?,
        wt: Src::new(ctx, 2)?,
        bias: if bias_type.is_some() { Some(Src::new(ctx, 3)?) } else { None },
        state,
        scratch: ctx.request_scratch::<i32>(g.batch * g.filters, "scratch")?,
        zp_in,
        zp_state,
        zp_out,
        m1: arith::quantize_multiplier(e1),
        m2: arith::quantize_multiplier(e2),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int_kernel() -> IntSvdf<'static, i8> {
        // batch 1, input 2, filters 2, memory 2, rank 1 → 2 units.
        IntSvdf::<i8> {
            g: Geometry { batch: 1, input: 2, filters: 2, memory: 2, rank: 1, units: 2 },
            wf: Src::Const(Cow::Owned(vec![1, 2, 3, -1])),
            wt: Src::Const(Cow::Owned(vec![1, 2, -1, 1])),
            bias: Some(Src::Const(Cow::Owned(vec![1, -2]))),
            state: crate::ops::test_state::<i8>(4, -10),
            scratch: crate::ops::test_scratch::<i32>(2),
            zp_in: 1,
            zp_state: -10,
            zp_out: 3,
            m1: arith::quantize_multiplier(0.5),
            m2: arith::quantize_multiplier(0.25),
        }
    }

    fn run_int(k: &mut IntSvdf<'_, i8>, x: [i8; 2]) -> Vec<i8> {
        let out = crate::ops::run_kernel(k, &[bytemuck::cast_slice(&x)], &[2]).unwrap();
        bytemuck::cast_slice(&out[0]).to_vec()
    }

    #[test]
    fn int8_state_carries_over_with_zero_points() {
        let mut k = int_kernel();
        // x − zp_in = [4, −4]: projections −4·0.5 = −2 → −12 (zp −10), 16·0.5 = 8 → −2.
        // State [−10, −12, −10, −2]; time: [1, 2]·[0, −2] = −4, [−1, 1]·[0, 8] = 8.
        // u0: (−4 + 1)·0.25 = −0.75 → −1, + 3 = 2; u1: (8 − 2)·0.25 = 1.5 → 2 (half away), + 3 = 5.
        assert_eq!(run_int(&mut k, [5, -3]), vec![2, 5]);
        assert_eq!(crate::ops::test_state_values::<i8>(k.state), vec![-10, -12, -10, -2]);
        // x − zp_in = 0: both projections are the zero point; state [−12, −10, −2, −10].
        // time: [1, 2]·[−2, 0] = −2, [−1, 1]·[8, 0] = −8; u0: −1·0.25 → 0, + 3 = 3;
        // u1: −10·0.25 = −2.5 → −3 (half away), + 3 = 0.
        assert_eq!(run_int(&mut k, [1, 1]), vec![3, 0]);
        assert_eq!(crate::ops::test_state_values::<i8>(k.state), vec![-12, -10, -2, -10]);
        // x − zp_in = [126, 126]: 378·0.5 = 189 → clamped to 127, then − 10 = 117 (the zero point
        // is added after the clamp); 252·0.5 = 126 − 10 = 116. State [−10, 117, −10, 116].
        // time: [1, 2]·[0, 127] = 254, [−1, 1]·[0, 126] = 126; u0: 255·0.25 = 63.75 → 64 + 3;
        // u1: 124·0.25 = 31 + 3.
        assert_eq!(run_int(&mut k, [127, 127]), vec![67, 34]);
        assert_eq!(crate::ops::test_state_values::<i8>(k.state), vec![-10, 117, -10, 116]);
        // x − zp_in = [−128, −128]: −384·0.5 = −192 → −128, − 10 = −138 wraps to 118;
        // −256·0.5 = −128 → −128 − 10 = −138 → 118.
        run_int(&mut k, [-127, -127]);
        assert_eq!(crate::ops::test_state_values::<i8>(k.state), vec![117, 118, 116, 118]);
    }

    #[test]
    fn int8_output_clamps_and_bias_is_optional() {
        let mut k = int_kernel();
        k.bias = None;
        k.m2 = arith::quantize_multiplier(8.0);
        // Projections −12 and −2 as above; time −4 and 8; ×8 = −32 + 3 = −29, 64 + 3 = 67.
        assert_eq!(run_int(&mut k, [5, -3]), vec![-29, 67]);
        k.m2 = arith::quantize_multiplier(100.0);
        // Time −2 and −8 (second invoke above): ×100 saturates the output at −128.
        assert_eq!(run_int(&mut k, [1, 1]), vec![-128, -128]);
    }

    #[test]
    fn float_reduces_rank_adds_bias_then_activation() {
        // batch 1, input 2, filters 2, memory 2, rank 2 → 1 unit, RELU.
        let k = FloatSvdf {
            g: Geometry { batch: 1, input: 2, filters: 2, memory: 2, rank: 2, units: 1 },
            wf: Src::Const(Cow::Owned(vec![1.0, 2.0, 0.5, -1.0])),
            wt: Src::Const(Cow::Owned(vec![1.0, 0.5, 2.0, -1.0])),
            bias: Some(Src::Const(Cow::Owned(vec![0.25]))),
            state: crate::ops::test_state::<f32>(4, 0.0),
            scratch: crate::ops::test_scratch::<f32>(2),
            act_min: 0.0,
            act_max: f32::MAX,
        };
        let run = |x: [f32; 2]| -> f32 {
            let out = crate::ops::run_kernel(&k, &[bytemuck::cast_slice(&x)], &[4]).unwrap();
            bytemuck::cast_slice::<u8, f32>(&out[0])[0]
        };
        // Projections 3, −0.5; state [0, 3, 0, −0.5]; time 1.5 and 0.5; 2 + 0.25.
        assert_eq!(run([1.0, 1.0]), 2.25);
        // Projections −1, −0.5; state [3, −1, −0.5, −0.5]; time 2.5 and −0.5; 2 + 0.25.
        assert_eq!(run([-1.0, 0.0]), 2.25);
        // Projections −4, −2; state [−1, −4, −0.5, −2]; time −3 and 1; −1.75 → RELU 0.
        assert_eq!(run([-4.0, 0.0]), 0.0);
    }

    #[test]
    fn dot4_sums_four_lanes_then_the_tail() {
        // Lanes: 1e8 − 1e8 = 0, 2, 2, 2 → 6 (in order, each +1 would vanish next to 1e8: 3).
        let a = [1e8f32, 1.0, 1.0, 1.0, -1e8, 1.0, 1.0, 1.0];
        assert_eq!(dot4(&a, &[1.0; 8]), 6.0);
        // Tail after the lanes: ((1e8 + 0) + 0) + 0, then + 1 + 1 − 1e8 in order → 0.
        let b = [1e8f32, 0.0, 0.0, 0.0, 1.0, 1.0, -1e8];
        assert_eq!(dot4(&b, &[1.0; 7]), 0.0);
        assert_eq!(dot4(&[], &[]), 0.0);
    }

    #[test]
    fn eval_checks_every_buffer_against_the_geometry() {
        // Fuzz finding F1: the input, weights, bias and output must have the planned sizes.
        let x = [5i8, -3];
        let mut k = int_kernel();
        assert!(crate::ops::run_kernel(&k, &[bytemuck::cast_slice(&x[..1])], &[2]).is_err());
        assert!(crate::ops::run_kernel(&k, &[bytemuck::cast_slice(&x)], &[1]).is_err());
        assert!(crate::ops::run_kernel(&k, &[bytemuck::cast_slice(&x)], &[3]).is_err());
        k.wf = Src::Const(Cow::Owned(vec![1, 2, 3]));
        assert!(crate::ops::run_kernel(&k, &[bytemuck::cast_slice(&x)], &[2]).is_err());
        let mut k = int_kernel();
        k.wt = Src::Const(Cow::Owned(vec![1, 2, 3]));
        assert!(crate::ops::run_kernel(&k, &[bytemuck::cast_slice(&x)], &[2]).is_err());
        let mut k = int_kernel();
        k.bias = Some(Src::Const(Cow::Owned(vec![1])));
        assert!(crate::ops::run_kernel(&k, &[bytemuck::cast_slice(&x)], &[2]).is_err());
        // The errors leave the state alone; the right sizes still run (as in the test above).
        let mut k = int_kernel();
        assert_eq!(run_int(&mut k, [5, -3]), vec![2, 5]);
        let f = FloatSvdf {
            g: Geometry { batch: 1, input: 1, filters: 1, memory: 1, rank: 1, units: 1 },
            wf: Src::Const(Cow::Owned(vec![2.0])),
            wt: Src::Const(Cow::Owned(vec![3.0])),
            bias: None,
            state: crate::ops::test_state::<f32>(1, 0.0),
            scratch: crate::ops::test_scratch::<f32>(1),
            act_min: f32::MIN,
            act_max: f32::MAX,
        };
        assert!(crate::ops::run_kernel(&f, &[bytemuck::cast_slice(&[1.0f32, 2.0])], &[4]).is_err());
        // 1·2 = 2 into the state, then 3·2 = 6.
        let out = crate::ops::run_kernel(&f, &[bytemuck::cast_slice(&[1.0f32])], &[4]).unwrap();
        assert_eq!(bytemuck::cast_slice::<u8, f32>(&out[0]), &[6.0]);
    }
}
