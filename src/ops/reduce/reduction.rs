//! MEAN, SUM, REDUCE_MAX, REDUCE_MIN over any set of axes (int8, uint8, int16 and float32),
//! `keep_dims` or not.
//!
//! The axes input must be a constant int32 tensor; negative axes count from the end and
//! duplicates are ignored (`ResolveAxis`). Output shape: the input's with reduced dimensions set
//! to 1 (`keep_dims`) or removed. A rank-0 input gives a rank-0 output.
//!
//! Every reduction visits the input in row-major order and folds each element into its output
//! slot, as TFLite's `reference_ops::Reduce` does, so float sums have TFLite's exact order.
//!
//! - int8 MEAN and SUM (`reference_ops::QuantizedMeanOrSum`, the reference kernel's only int8
//!   path, whatever the axes or scales): `(M, s) = QuantizeMultiplier(double(s_in) /
//!   double(s_out))`; for MEAN the 1/n factor is folded in ([`arith::mean_multiplier`]);
//!   `acc = Σ q` (wrapping int32), `v = int32(acc − zp_in·n)` (int64, truncated), output
//!   `clamp(MBQM(v, M, s) + zp_out, −128, 127)`. No fused activation.
//! - **TFLite quirk, int8 SUM**: the reference SUM of the pinned build (ai-edge-litert 2.3.0)
//!   runs `QuantizedMeanOrSum<uint8_t>` on int8 tensors — its `reduce.cc` wrapper passes
//!   `GetTensorData<uint8_t>` for input and output whatever the type (the string of its
//!   `TF_LITE_ENSURE` in the binary shows it; LiteRT's current source passes `T`). So each q is
//!   read as the byte `q as u8` (−1 is 255), the result is clamped to [0, 255] and its byte
//!   stored: `out = i8::from_ne_bytes([clamp(MBQM(Σ u8(q) − zp_in·n, M, s) + zp_out, 0, 255)])`.
//!   Measured: [100, 100, 100] with scales 1 and zero points 0 sums to −1 (255), [1, 2, 3]
//!   with zp_in 3 gives 0, not −3. qlite reproduces this, as the oracle is BUILTIN_REF.
//! - uint8 and int16 MEAN, uint8 SUM: the int8 formula clamped to the type's range (int16 needs
//!   zero points 0, as reduce.cc checks).
//! - **TFLite quirk, int16 SUM** (the converter emits it for `tf.reduce_sum` in 16x8 mode): the
//!   pinned reference SUM reads int16 tensors as bytes too: element i is byte i of the input
//!   buffer (so only the first half of the bytes is read), the uint8 formula above is applied
//!   and the result bytes are written to the first `out_len` bytes of the output. The rest of the
//!   output is never written by TFLite (stale arena contents, seen to vary between runs); qlite
//!   writes zeros there. So only the low half of such an output is comparable.
//! - float32 MEAN (`reference_ops::Mean<float, float>`): `Σ x` from 0.0, then `/ float(n)`.
//! - SUM / REDUCE_MAX / REDUCE_MIN otherwise (`EvalType` → `ReduceGeneric`): outputs start at
//!   0, the lowest or the highest value, then `acc + x`, `x > acc ? x : acc`, `x < acc ? x : acc`.
//!   When every dimension is reduced TFLite uses `ReduceAllDims` instead, which starts from the
//!   first element (this matters only for a −0.0 sum or a leading NaN). int8, uint8 and int16
//!   REDUCE_MAX/MIN compare the raw values and require the input and output scale and zero
//!   point to be identical (TFLite fails at invoke otherwise; here at prepare); int16 also
//!   requires zero points 0 (`PrepareSimple`).
//! - Empty input: MEAN gives NaN (float) or 0 (int8), int8 SUM gives 0, the others their start
//!   value.

use crate::arith;
use crate::dtype::DType;
use crate::error::Result;
use crate::ops::Scratch;
use crate::ops::common::{QInt, check_len, check_len_mut};
use crate::ops::{Element, Inputs, Kernel, Outputs, PrepareContext, ScratchId, per_tensor};
use crate::tflite;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Mean,
    Sum,
    Max,
    Min,
}

/// How input elements map to output slots.
struct Plan {
    in_shape: Vec<usize>,
    /// Per input dimension: the output index step (0 for a reduced dimension).
    out_strides: Vec<usize>,
    in_len: usize,
    out_len: usize,
    /// Elements folded into each output.
    n: usize,
    /// Every input dimension is reduced (TFLite's `ReduceAllDims` path for SUM/MAX/MIN).
    all_dims: bool,
    /// Per input dimension, the product of it and the dimensions after it: the odometer wraps
    /// dimension `d` after every `wrap[d]` elements (so it needs no mutable counters).
    wrap: Vec<usize>,
}

impl Plan {
    fn new(in_shape: &[usize], axes: &[usize], keep_dims: bool) -> (Self, Vec<usize>) {
        let rank = in_shape.len();
        let mut out_shape = Vec::with_capacity(rank);
        let mut strides = vec![0; rank];
        // Saturating: the products only overflow for an empty input (a zero dimension next to
        // huge ones), whose strides and count are never used.
        let mut stride = 1usize;
        for d in (0..rank).rev() {
            if !axes.contains(&d) {
                strides[d] = stride;
                stride = stride.saturating_mul(in_shape[d]);
            }
        }
        let mut n = 1usize;
        for (d, &dim) in in_shape.iter().enumerate() {
            if axes.contains(&d) {
                n = n.saturating_mul(dim);
                if keep_dims {
                    out_shape.push(1);
                }
            } else {
                out_shape.push(dim);
            }
        }
        let plan = Plan {
            in_shape: in_shape.to_vec(),
            out_strides: strides,
            in_len: count(in_shape),
            out_len: count(&out_shape),
            n,
            all_dims: axes.len() == rank,
            wrap: {
                let mut wrap = vec![1usize; rank];
                let mut p = 1usize;
                for d in (0..rank).rev() {
                    p = p.saturating_mul(in_shape[d]);
                    wrap[d] = p;
                }
                wrap
            },
        };
        (plan, out_shape)
    }

    /// Calls `f(input index, output index)` for every input element in row-major order.
    #[inline]
    fn for_each(&self, mut f: impl FnMut(usize, usize)) {
        if self.in_len == 0 {
            return;
        }
        let mut out = 0;
        for i in 0..self.in_len {
            f(i, out);
            // Advance the odometer (last dimension fastest): dimension d wraps after every
            // wrap[d] elements.
            for d in (0..self.in_shape.len()).rev() {
                out += self.out_strides[d];
                if !(i + 1).is_multiple_of(self.wrap[d]) {
                    break;
                }
                out -= self.out_strides[d] * self.in_shape[d];
            }
        }
    }
}

/// Elements of a shape: 0 when a dimension is 0 (whatever the others), else the product
/// (saturating; the interpreter bounds every tensor's size).
fn count(dims: &[usize]) -> usize {
    if dims.contains(&0) { 0 } else { dims.iter().fold(1usize, |a, &d| a.saturating_mul(d)) }
}

impl Plan {
    /// The input and output of one invoke, checked to hold what the plan indexes (a planner
    /// bug is an error, not a panic: F1).
    fn check<'a, T, U>(&self, x: &'a [T], out: &'a mut [U]) -> Result<(&'a [T], &'a mut [U])> {
        Ok((check_len(x, self.in_len, "input")?, check_len_mut(out, self.out_len, "output")?))
    }
}

struct IntMeanSum<T> {
    plan: Plan,
    /// TFLite's int8 SUM quirk: read and write the bytes as uint8 (only for `T = i8`).
    as_uint8: bool,
    /// Accumulators (scratch), one i32 per output.
    acc: ScratchId,
    zp_in: i32,
    zp_out: i32,
    multiplier: i32,
    shift: i32,
    _t: std::marker::PhantomData<T>,
}

impl<T: QInt> Kernel for IntMeanSum<T> {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, scratch: &mut Scratch<'_>) -> Result<()> {
        let (x, out) = self.plan.check(inputs.get::<T>(0)?, outputs.get::<T>(0)?)?;
        let acc = check_len_mut(scratch.get::<i32>(self.acc)?, self.plan.out_len, "accumulators")?;
        if self.plan.in_len == 0 {
            out.iter_mut().for_each(|o| *o = T::from_i32(0));
            return Ok(());
        }
        if self.as_uint8 {
            self.plan.for_each(|i, o| acc[o] = acc[o].wrapping_add(x[i].to_i32() as u8 as i32));
        } else {
            self.plan.for_each(|i, o| acc[o] = acc[o].wrapping_add(x[i].to_i32()));
        }
        let zp_n = self.zp_in as i64 * self.plan.n as i64;
        let (lo, hi) = if self.as_uint8 { (0, 255) } else { (T::MIN, T::MAX) };
        for (o, &a) in out.iter_mut().zip(acc.iter()) {
            let shifted = (a as i64 - zp_n) as i32;
            let v = arith::mbqm(shifted, self.multiplier, self.shift).wrapping_add(self.zp_out);
            let v = v.clamp(lo, hi);
            *o = T::from_i32(if self.as_uint8 { v as u8 as i8 as i32 } else { v });
        }
        Ok(())
    }
}

/// int16 SUM as the pinned TFLite computes it (see the module doc): the reference SUM runs
/// `QuantizedMeanOrSum<uint8_t>` on the tensors' bytes, so element `i` is byte `i` of the input
/// buffer (the first half of the bytes), and the result bytes go to the first `out_len` bytes
/// of the output; the remaining bytes are left alone by TFLite (0 in a fresh arena, which qlite
/// writes).
struct Int16SumBytes {
    plan: Plan,
    /// Accumulators (scratch), one i32 per output.
    acc: ScratchId,
    zp_in: i32,
    zp_out: i32,
    multiplier: i32,
    shift: i32,
}

impl Kernel for Int16SumBytes {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, scratch: &mut Scratch<'_>) -> Result<()> {
        let x = inputs.bytes(0);
        let out = outputs.bytes(0);
        // int16 tensors: two bytes per element.
        let x = check_len(x, self.plan.in_len.saturating_mul(2), "input bytes")?;
        let out = check_len_mut(out, self.plan.out_len.saturating_mul(2), "output bytes")?;
        let acc = check_len_mut(scratch.get::<i32>(self.acc)?, self.plan.out_len, "accumulators")?;
        out.iter_mut().for_each(|o| *o = 0);
        if self.plan.in_len == 0 {
            return Ok(());
        }
        self.plan.for_each(|i, o| acc[o] = acc[o].wrapping_add(i32::from(x[i])));
        let zp_n = self.zp_in as i64 * self.plan.n as i64;
        for (o, &a) in out.iter_mut().zip(acc.iter()) {
            let shifted = (a as i64 - zp_n) as i32;
            let v = arith::mbqm(shifted, self.multiplier, self.shift).wrapping_add(self.zp_out);
            *o = v.clamp(0, 255) as u8;
        }
        Ok(())
    }
}

struct FloatMean {
    plan: Plan,
    /// Accumulators (scratch), one f32 per output.
    acc: ScratchId,
}

impl Kernel for FloatMean {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, scratch: &mut Scratch<'_>) -> Result<()> {
        let (x, out) = self.plan.check(inputs.get::<f32>(0)?, outputs.get::<f32>(0)?)?;
        let acc = check_len_mut(scratch.get::<f32>(self.acc)?, self.plan.out_len, "accumulators")?;
        if self.plan.in_len == 0 {
            out.iter_mut().for_each(|o| *o = f32::NAN);
            return Ok(());
        }
        self.plan.for_each(|i, o| acc[o] += x[i]);
        let n = self.plan.n as f32;
        for (o, &a) in out.iter_mut().zip(acc.iter()) {
            *o = a / n;
        }
        Ok(())
    }
}

/// A value type for SUM / MAX / MIN without requantization.
trait Value: Element + Copy + PartialOrd {
    const ZERO: Self;
    const LOWEST: Self;
    const HIGHEST: Self;
    fn add(self, other: Self) -> Self;
}

impl Value for f32 {
    const ZERO: Self = 0.0;
    const LOWEST: Self = f32::MIN;
    const HIGHEST: Self = f32::MAX;
    fn add(self, other: Self) -> Self {
        self + other
    }
}

macro_rules! int_value {
    ($($t:ty),*) => {$(
        impl Value for $t {
            const ZERO: Self = 0;
            const LOWEST: Self = <$t>::MIN;
            const HIGHEST: Self = <$t>::MAX;
            fn add(self, other: Self) -> Self {
                self.wrapping_add(other)
            }
        }
    )*};
}
int_value!(i8, u8, i16);

struct Generic<T> {
    plan: Plan,
    op: Op,
    _t: std::marker::PhantomData<T>,
}

impl<T: Value> Generic<T> {
    #[inline]
    fn reduce(op: Op, acc: T, x: T) -> T {
        match op {
            Op::Max => {
                if x > acc {
                    x
                } else {
                    acc
                }
            }
            Op::Min => {
                if x < acc {
                    x
                } else {
                    acc
                }
            }
            _ => acc.add(x),
        }
    }
}

impl<T: Value> Kernel for Generic<T> {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let (x, out) = self.plan.check(inputs.get::<T>(0)?, outputs.get::<T>(0)?)?;
        let op = self.op;
        let init = match op {
            Op::Max => T::LOWEST,
            Op::Min => T::HIGHEST,
            _ => T::ZERO,
        };
        if self.plan.all_dims {
            // ReduceAllDims: the first element, then the rest in order.
            if let Some(o) = out.first_mut() {
                *o = match x.split_first() {
                    Some((&first, rest)) => rest.iter().fold(first, |a, &v| Self::reduce(op, a, v)),
                    None => init,
                };
            }
            return Ok(());
        }
        out.iter_mut().for_each(|o| *o = init);
        self.plan.for_each(|i, o| out[o] = Self::reduce(op, out[o], x[i]));
        Ok(())
    }
}

fn prepare_reduce<'m>(ctx: &mut PrepareContext<'_, 'm>, op: Op) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(2..=2, 1)?;
    let keep_dims = ctx.options::<tflite::ReducerOptions>().is_some_and(|o| o.keep_dims());
    let in_shape = ctx.input_shape(0)?.to_vec();
    let rank = in_shape.len();
    // A zero-element axes tensor has no data to be constant with: it means "no axes".
    let axis_values =
        if ctx.input_shape(1)?.contains(&0) { std::borrow::Cow::Owned(Vec::new()) } else { ctx.const_input::<i32>(1)? };
    let mut axes: Vec<usize> = Vec::new();
    if rank > 0 {
        for &a in axis_values.iter() {
            let r = if a < 0 { a as i64 + rank as i64 } else { a as i64 };
            if r < 0 || r >= rank as i64 {
                return Err(ctx.err(format!("axis {a} is out of range for rank {rank}")));
            }
            if !axes.contains(&(r as usize)) {
                axes.push(r as usize);
            }
        }
    }
    let (plan, out_shape) = Plan::new(&in_shape, &axes, keep_dims);
    ctx.set_output_shape(0, out_shape)?;
    let out_len = plan.out_len;

    let (ti, to) = (ctx.input_dtype(0)?, ctx.output_dtype(0)?);
    if ti != to {
        return Err(ctx.err(format!("input is {ti} but output is {to}")));
    }
    Ok(match (ti, op) {
        (DType::Int8 | DType::UInt8 | DType::Int16, Op::Mean | Op::Sum) => {
            let (s_in, zp_in) = per_tensor(ctx, ctx.input_quant(0)?, "input")?;
            let (s_out, zp_out) = per_tensor(ctx, ctx.output_quant(0)?, "output")?;
            if ti == DType::Int16 && (zp_in, zp_out) != (0, 0) {
                return Err(ctx.err("int16 zero points must be 0"));
            }
            let (m, s) = arith::quantize_multiplier(s_in as f64 / s_out as f64);
            let (multiplier, shift) =
                if op == Op::Mean && plan.n > 0 { arith::mean_multiplier(m, s, plan.n as u64) } else { (m, s) };
            let as_uint8 = op == Op::Sum && ti == DType::Int8;
            let acc = ctx.request_scratch::<i32>(out_len, "accumulators")?;
            if op == Op::Sum && ti == DType::Int16 {
                return Ok(Box::new(Int16SumBytes { plan, acc, zp_in, zp_out, multiplier, shift }));
            }
            match ti {
                DType::Int8 => Box::new(IntMeanSum::<i8> {
                    plan,
                    as_uint8,
                    acc,
                    zp_in,
                    zp_out,
                    multiplier,
                    shift,
                    _t: std::marker::PhantomData,
                }),
                DType::UInt8 => Box::new(IntMeanSum::<u8> {
                    plan,
                    as_uint8,
                    acc,
                    zp_in,
                    zp_out,
                    multiplier,
                    shift,
                    _t: std::marker::PhantomData,
                }),
                _ => Box::new(IntMeanSum::<i16> {
                    plan,
                    as_uint8,
                    acc,
                    zp_in,
                    zp_out,
                    multiplier,
                    shift,
                    _t: std::marker::PhantomData,
                }),
            }
        }
        (DType::Int8 | DType::UInt8 | DType::Int16, Op::Max | Op::Min) => {
            // Unquantized int8 compares as scale 0, zero point 0 (TFLite's default params).
            let params = |q: Option<&crate::model::Quantization>, what: &str| -> Result<(f32, i32)> {
                q.map_or(Ok((0.0, 0)), |q| per_tensor(ctx, q, what))
            };
            let qi = params(ctx.input(0)?.quantization.as_ref(), "input")?;
            let qo = params(ctx.output(0)?.quantization.as_ref(), "output")?;
            if qi != qo {
                return Err(
                    ctx.err(format!("input quantization {qi:?} and output quantization {qo:?} must be identical"))
                );
            }
            if ti == DType::Int16 && (qi.1, qo.1) != (0, 0) {
                return Err(ctx.err("int16 input and output zero points must be 0"));
            }
            match ti {
                DType::Int8 => Box::new(Generic::<i8> { plan, op, _t: std::marker::PhantomData }),
                DType::UInt8 => Box::new(Generic::<u8> { plan, op, _t: std::marker::PhantomData }),
                _ => Box::new(Generic::<i16> { plan, op, _t: std::marker::PhantomData }),
            }
        }
        (DType::Float32, Op::Mean) => {
            Box::new(FloatMean { plan, acc: ctx.request_scratch::<f32>(out_len, "accumulators")? })
        }
        (DType::Float32, _) => Box::new(Generic::<f32> { plan, op, _t: std::marker::PhantomData }),
        _ => return Err(ctx.unsupported(format!("unsupported type {ti}"))),
    })
}

/// Prepares MEAN.
pub fn prepare_mean<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_reduce(ctx, Op::Mean)
}

/// Prepares SUM.
pub fn prepare_sum<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_reduce(ctx, Op::Sum)
}

/// Prepares REDUCE_MAX.
pub fn prepare_max<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_reduce(ctx, Op::Max)
}

/// Prepares REDUCE_MIN.
pub fn prepare_min<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_reduce(ctx, Op::Min)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::run_kernel;

    #[test]
    fn plan_maps_inputs_to_outputs() {
        // [2, 3, 2] reduced over axis 1: output [2, 2] (keep_dims [2, 1, 2]).
        let (p, shape) = Plan::new(&[2, 3, 2], &[1], false);
        assert_eq!(shape, vec![2, 2]);
        assert_eq!(Plan::new(&[2, 3, 2], &[1], true).1, vec![2, 1, 2]);
        let mut seen = Vec::new();
        p.for_each(|i, o| seen.push((i, o)));
        let outs: Vec<usize> = seen.iter().map(|&(_, o)| o).collect();
        assert_eq!(outs, vec![0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3]);
        assert_eq!((p.n, p.all_dims), (3, false));
        // Axes {0, 2}: output [3].
        let (p, shape) = Plan::new(&[2, 3, 2], &[2, 0], false);
        assert_eq!(shape, vec![3]);
        let mut outs = Vec::new();
        p.for_each(|_, o| outs.push(o));
        assert_eq!(outs, vec![0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2]);
        // Scalar input: one element, one output, "all dims".
        let (p, shape) = Plan::new(&[], &[], false);
        assert_eq!((shape, p.in_len, p.out_len, p.n, p.all_dims), (vec![], 1, 1, 1, true));
    }

    fn int8_kernel(
        shape: &[usize],
        axes: &[usize],
        s_ratio: f64,
        zp_in: i32,
        zp_out: i32,
        mean: bool,
    ) -> IntMeanSum<i8> {
        let (plan, _) = Plan::new(shape, axes, false);
        let (m, s) = arith::quantize_multiplier(s_ratio);
        let (multiplier, shift) = if mean { arith::mean_multiplier(m, s, plan.n as u64) } else { (m, s) };
        let out_len = plan.out_len;
        IntMeanSum {
            plan,
            as_uint8: !mean,
            acc: crate::ops::test_scratch::<i32>(out_len),
            zp_in,
            zp_out,
            multiplier,
            shift,
            _t: std::marker::PhantomData,
        }
    }

    fn run_i8(k: &mut dyn Kernel, x: &[i8], n: usize) -> Vec<i8> {
        let out = run_kernel(k, &[bytemuck::cast_slice(x)], &[n]).unwrap();
        bytemuck::cast_slice(&out[0]).to_vec()
    }

    #[test]
    fn uint8_and_int16_max_min_compare_raw_values() {
        // [2, 3] over axis 1 (not all dims: starts from the type's lowest / highest).
        let k = Generic::<u8> { plan: Plan::new(&[2, 3], &[1], false).0, op: Op::Max, _t: Default::default() };
        let out = run_kernel(&k, &[&[0u8, 255, 7, 9, 3, 200]], &[2]).unwrap();
        assert_eq!(out[0], vec![255, 200]);
        let k = Generic::<i16> { plan: Plan::new(&[2, 3], &[1], false).0, op: Op::Min, _t: Default::default() };
        let x: [i16; 6] = [-32768, 5, 0, 7, 32767, 6];
        let out = run_kernel(&k, &[bytemuck::cast_slice(&x)], &[4]).unwrap();
        assert_eq!(bytemuck::pod_collect_to_vec::<u8, i16>(&out[0]), vec![-32768, 6]);
    }

    #[test]
    fn int8_mean_rounds_through_the_folded_multiplier() {
        // Mean of [1, 2] with equal scales, zp 0: M = 2^30, s = 1 (QM(1.0)); n = 2 → k = 1,
        // M' = 2^30, s' = 0: MBQM(3, 2^30, 0) = SRDHM(3, 2^30) = round(1.5) = 2.
        let mut k = int8_kernel(&[1, 2], &[1], 1.0, 0, 0, true);
        assert_eq!(run_i8(&mut k, &[1, 2], 1), vec![2]);
        // Negative tie: [−1, −2] → −3·0.5 = −1.5 → SRDHM rounds a negative tie toward zero: −1.
        assert_eq!(run_i8(&mut k, &[-1, -2], 1), vec![-1]);
        // zp_in 5, zp_out −3: Σ(q − 5) = (10 + 20) − 10 = 20 → 10, − 3 = 7.
        let mut k = int8_kernel(&[1, 2], &[1], 1.0, 5, -3, true);
        assert_eq!(run_i8(&mut k, &[10, 20], 1), vec![7]);
        // Saturates to the int8 range.
        let mut k = int8_kernel(&[1, 2], &[1], 4.0, 0, 0, true);
        assert_eq!(run_i8(&mut k, &[100, 100], 1), vec![127]);
    }

    #[test]
    fn int8_mean_of_three_uses_the_truncated_multiplier() {
        // n = 3: M' = 715827882 (2^31/3 truncated), s' = 0 from QM(1.0) = (2^30, 1), k = 1.
        // Σ = 4: SRDHM(4, 715827882) = 4·715827882/2^31 = 1.333 → 1. Σ = 5 → 1.667 → 2.
        let mut k = int8_kernel(&[3], &[0], 1.0, 0, 0, true);
        assert_eq!(k.multiplier, 715_827_882);
        assert_eq!(run_i8(&mut k, &[1, 1, 2], 1), vec![1]);
        assert_eq!(run_i8(&mut k, &[1, 2, 2], 1), vec![2]);
        // Σ = 3·127 = 381 → 126.99999... → 127: the truncated 1/3 is slightly small, but
        // SRDHM's rounding lands on 127 (381·715827882/2^31 = 126.99999996).
        assert_eq!(run_i8(&mut k, &[127, 127, 127], 1), vec![127]);
    }

    #[test]
    fn int8_sum_requantizes_without_the_count() {
        // Sum of [3, 4, 5] with s_in/s_out = 0.5: 12·0.5 = 6, + zp_out 1 = 7.
        let mut k = int8_kernel(&[3], &[0], 0.5, 0, 1, false);
        assert_eq!(run_i8(&mut k, &[3, 4, 5], 1), vec![7]);
        // zp_in −2: Σ(q + 2) = 12 + 6 = 18 → 9 + 1 = 10.
        let mut k = int8_kernel(&[3], &[0], 0.5, -2, 1, false);
        assert_eq!(run_i8(&mut k, &[3, 4, 5], 1), vec![10]);
    }

    #[test]
    fn int8_sum_reads_and_writes_bytes_as_uint8_like_tflite() {
        // Values measured with TFLite 2.3.0 BUILTIN_REF (scales 1, zero points 0 unless noted).
        let mut k = int8_kernel(&[3], &[0], 1.0, 0, 0, false);
        assert_eq!(run_i8(&mut k, &[100, 100, 100], 1), vec![-1]); // 300 → 255
        assert_eq!(run_i8(&mut k, &[50, 50, 50], 1), vec![-106]); // 150 as a byte
        assert_eq!(run_i8(&mut k, &[-100, -100, -100], 1), vec![-1]); // 3·156 → 255
        assert_eq!(run_i8(&mut k, &[60, 60, 10], 1), vec![-126]); // 130
        let mut k = int8_kernel(&[3], &[0], 1.0, 3, 0, false);
        assert_eq!(run_i8(&mut k, &[1, 2, 3], 1), vec![0]); // 6 − 9 = −3 → 0
        let mut k = int8_kernel(&[3], &[0], 1.0, 0, -100, false);
        assert_eq!(run_i8(&mut k, &[100, 100, 100], 1), vec![-56]); // 200
    }

    #[test]
    fn generic_max_min_sum() {
        let (plan, _) = Plan::new(&[2, 3], &[1], false);
        let mut k = Generic::<i8> { plan, op: Op::Max, _t: Default::default() };
        assert_eq!(run_i8(&mut k, &[-128, -128, -128, 1, 7, -3], 2), vec![-128, 7]);
        k.op = Op::Min;
        assert_eq!(run_i8(&mut k, &[-128, 5, 127, 1, 7, -3], 2), vec![-128, -3]);
        // Float, every dimension: starts from the first element (a leading NaN stays).
        let (plan, _) = Plan::new(&[3], &[0], false);
        let mut k = Generic::<f32> { plan, op: Op::Max, _t: Default::default() };
        let run = |k: &mut Generic<f32>, x: &[f32]| -> f32 {
            let out = run_kernel(k, &[bytemuck::cast_slice(x)], &[4]).unwrap();
            bytemuck::cast_slice::<u8, f32>(&out[0])[0]
        };
        assert!(run(&mut k, &[f32::NAN, 1.0, 2.0]).is_nan());
        assert_eq!(run(&mut k, &[1.0, f32::NAN, 2.0]), 2.0);
        k.op = Op::Sum;
        assert_eq!(run(&mut k, &[1.0, 2.0, 3.5]), 6.5);
        let mut k = Generic::<f32> { plan: Plan::new(&[1], &[0], false).0, op: Op::Sum, _t: Default::default() };
        assert_eq!(run(&mut k, &[-0.0]).to_bits(), (-0.0f32).to_bits());
        // The buffers must have the planned sizes: an error, not a panic or a silent result.
        assert!(run_kernel(&k, &[bytemuck::cast_slice(&[1.0f32, 2.0])], &[4]).is_err());
        assert!(run_kernel(&k, &[bytemuck::cast_slice(&[1.0f32])], &[8]).is_err());
    }

    #[test]
    fn float_mean_divides_by_the_count() {
        let (plan, _) = Plan::new(&[2, 2], &[0], false);
        let k = FloatMean { plan, acc: crate::ops::test_scratch::<f32>(2) };
        let x: [f32; 4] = [1.0, 2.0, 4.0, 7.0];
        let out = run_kernel(&k, &[bytemuck::cast_slice(&x)], &[8]).unwrap();
        assert_eq!(bytemuck::cast_slice::<u8, f32>(&out[0]), &[2.5, 4.5]);
    }

    #[test]
    fn int16_mean_and_uint8_sum() {
        // int16 mean of [32767, 32767, 32766] (scales equal): QM(1) = (2^30, 1); n = 3 → k = 1,
        // M' = 2^31/3 = 715827882, s' = 0: SRDHM(98300, M') = 32766.66… → 32767.
        let (plan, _) = Plan::new(&[3], &[0], false);
        let (m, s) = arith::mean_multiplier(1 << 30, 1, 3);
        assert_eq!((m, s), (715827882, 0));
        let k = IntMeanSum::<i16> {
            plan,
            as_uint8: false,
            acc: crate::ops::test_scratch::<i32>(1),
            zp_in: 0,
            zp_out: 0,
            multiplier: m,
            shift: s,
            _t: std::marker::PhantomData,
        };
        let x: [i16; 3] = [32767, 32767, 32766];
        let out = run_kernel(&k, &[bytemuck::cast_slice(&x)], &[2]).unwrap();
        assert_eq!(bytemuck::cast_slice::<u8, i16>(&out[0]), &[32767]);
        let x: [i16; 3] = [-32768, -32768, -1];
        let out = run_kernel(&k, &[bytemuck::cast_slice(&x)], &[2]).unwrap();
        assert_eq!(bytemuck::cast_slice::<u8, i16>(&out[0]), &[-21846]); // −21845.67
        // uint8 SUM with zp_in 10, zp_out 20, equal scales: Σ(q − 10) + 20, clamped to [0, 255].
        let (plan, _) = Plan::new(&[2, 2], &[1], false);
        let (m, s) = arith::quantize_multiplier(1.0);
        let k = IntMeanSum::<u8> {
            plan,
            as_uint8: false,
            acc: crate::ops::test_scratch::<i32>(2),
            zp_in: 10,
            zp_out: 20,
            multiplier: m,
            shift: s,
            _t: std::marker::PhantomData,
        };
        let out = run_kernel(&k, &[&[15, 16, 200, 100]], &[2]).unwrap();
        assert_eq!(out[0], vec![31, 255]);
        let out = run_kernel(&k, &[&[0, 1, 10, 10]], &[2]).unwrap();
        assert_eq!(out[0], vec![1, 20]);
    }

    #[test]
    fn int16_sum_reads_bytes() {
        // [2, 2] int16 summed over axis 1 reads the first 4 bytes as uint8 elements [[1, 0], [2, 1]]
        // (little-endian 1 and 258) and writes bytes [1, 3] then zeros.
        let (plan, _) = Plan::new(&[2, 2], &[1], false);
        let (m, s) = arith::quantize_multiplier(1.0);
        let k = Int16SumBytes {
            plan,
            acc: crate::ops::test_scratch::<i32>(2),
            zp_in: 0,
            zp_out: 0,
            multiplier: m,
            shift: s,
        };
        let x: [i16; 4] = [1, 258, 7, 9];
        let out = run_kernel(&k, &[bytemuck::cast_slice(&x)], &[4]).unwrap();
        assert_eq!(out[0], vec![1, 3, 0, 0]);
    }
}
