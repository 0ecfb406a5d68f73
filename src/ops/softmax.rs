//! SOFTMAX over the last dimension (int8 → int8, int8 → int16 and float32).
//!
//! int8 (TFLite reference, `reference_ops::Softmax<int8_t, OutT>` with the gemmlowp fixed-point
//! math of [`crate::fixedpoint`]): an int8 output must have zero point −128 and scale 1/256
//! (within 0.001/256, as TFLite checks); an int16 output (as in keyword_scrambled_8bit) is not
//! checked by TFLite and is written as if its zero point were −32768 and its scale 1/65536.
//! Prepare: `(M, shift, diff_min) =
//! softmax_input_scaling(β, s_in, 5)`. Per row, with `max` the row's largest q and d = q − max:
//! - for d ≥ diff_min: `z = MBQM(d, M, shift)` (Q5.26), `e = exp_on_negative_values(z)` (Q0.31),
//!   `sum += RDBPOT(e, 12)` (Q12.19, wrapping int32);
//! - `(recip, nbo) = GetReciprocal(sum, 12)`, `exponent = nbo + 31 − bits(OutT)` (23 for int8,
//!   15 for int16);
//! - out = `clamp(RDBPOT(SRDHM(recip, e), exponent) + OutT::MIN, OutT::MIN, OutT::MAX)` for
//!   d ≥ diff_min, `OutT::MIN` otherwise.
//!
//! Where TFLite aborts and qlite still computes (documented, deliberate):
//! - β·s_in·2²⁶ ≤ 1 (e.g. a tiny input scale): TFLite's `QuantizeMultiplierGreaterThanOne` aborts
//!   the process. qlite uses the ordinary multiplier: `MBQM` with a right shift, and every
//!   difference admitted (see [`crate::fixedpoint::softmax_input_scaling`]). For shift ≥ 0 MBQM
//!   is exactly TFLite's `MultiplyByQuantizedMultiplierGreaterThanOne`.
//! - A row whose sum of exponentials reaches 2²⁸ in Q12.19 (about 512 elements equal to the
//!   row's maximum) makes the int8 `exponent` exceed 31 and TFLite's `TFLITE_CHECK` abort; qlite
//!   divides by that power of two anyway ([`crate::fixedpoint::rdbpot_any`]), giving −128 or
//!   −127.
//! - β ≤ 0 is computed with the same formulas (a negative multiplier).
//!
//! float32 (`reference_ops::Softmax`): per row, `max` starts at `f32::MIN` and takes x when
//! `max < x`; `e = expf((x − max) · float(β))` stored, `sum += e` in order from 0.0f; then
//! `out = e / sum`. `expf` is the C library's (Rust's `f32::exp`), as in TFLite's build.

use super::{Inputs, Kernel, Outputs, PrepareContext, per_tensor};
use crate::arith;
use crate::dtype::DType;
use crate::error::Result;
use crate::fixedpoint;
use crate::tflite;

/// Q5.26 input to exp.
const SCALED_DIFF_INTEGER_BITS: i32 = 5;
/// Q12.19 sum of exponentials.
const ACCUMULATION_INTEGER_BITS: i32 = 12;

/// Output element of the integer softmax.
trait SoftmaxOut: super::Element + Copy {
    const BITS: i32;
    const MIN: i32;
    const MAX: i32;
    fn from_i32(v: i32) -> Self;
}
impl SoftmaxOut for i8 {
    const BITS: i32 = 8;
    const MIN: i32 = i8::MIN as i32;
    const MAX: i32 = i8::MAX as i32;
    fn from_i32(v: i32) -> Self {
        v as i8
    }
}
impl SoftmaxOut for i16 {
    const BITS: i32 = 16;
    const MIN: i32 = i16::MIN as i32;
    const MAX: i32 = i16::MAX as i32;
    fn from_i32(v: i32) -> Self {
        v as i16
    }
}

struct Int8Softmax<O> {
    _o: std::marker::PhantomData<O>,
    outer: usize,
    depth: usize,
    multiplier: i32,
    shift: i32,
    diff_min: i32,
}

impl<O> Int8Softmax<O> {
    #[inline]
    fn exp_of(&self, diff: i32) -> i32 {
        let scaled = arith::mbqm(diff, self.multiplier, self.shift);
        fixedpoint::exp_on_negative_values(scaled, SCALED_DIFF_INTEGER_BITS)
    }
}

impl<O: SoftmaxOut> Kernel for Int8Softmax<O> {
    fn eval(&mut self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>) -> Result<()> {
        let x = inputs.get::<i8>(0)?;
        let out = outputs.get::<O>(0)?;
        if self.depth == 0 {
            return Ok(());
        }
        for (row, orow) in x.chunks_exact(self.depth).zip(out.chunks_exact_mut(self.depth)).take(self.outer) {
            let max = row.iter().fold(i8::MIN, |m, &v| m.max(v)) as i32;
            let mut sum: i32 = 0;
            for &v in row {
                let diff = v as i32 - max;
                if diff >= self.diff_min {
                    let e = self.exp_of(diff);
                    sum = sum.wrapping_add(fixedpoint::rescale(e, 0, ACCUMULATION_INTEGER_BITS));
                }
            }
            let (recip, num_bits_over_unit) = fixedpoint::get_reciprocal(sum, ACCUMULATION_INTEGER_BITS);
            let exponent = num_bits_over_unit + 31 - O::BITS;
            for (o, &v) in orow.iter_mut().zip(row) {
                let diff = v as i32 - max;
                *o = O::from_i32(if diff >= self.diff_min {
                    let e = self.exp_of(diff);
                    let unsat = fixedpoint::rdbpot_any(arith::srdhm(recip, e), exponent);
                    unsat.wrapping_add(O::MIN).clamp(O::MIN, O::MAX)
                } else {
                    O::MIN
                });
            }
        }
        Ok(())
    }
}

struct FloatSoftmax {
    outer: usize,
    depth: usize,
    beta: f32,
}

impl Kernel for FloatSoftmax {
    fn eval(&mut self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>) -> Result<()> {
        let x = inputs.get::<f32>(0)?;
        let out = outputs.get::<f32>(0)?;
        if self.depth == 0 {
            return Ok(());
        }
        for (row, orow) in x.chunks_exact(self.depth).zip(out.chunks_exact_mut(self.depth)).take(self.outer) {
            let max = row.iter().fold(f32::MIN, |m, &v| if m < v { v } else { m });
            let mut sum = 0.0f32;
            for (o, &v) in orow.iter_mut().zip(row) {
                let e = ((v - max) * self.beta).exp();
                *o = e;
                sum += e;
            }
            for o in orow.iter_mut() {
                *o /= sum;
            }
        }
        Ok(())
    }
}

/// Prepares SOFTMAX.
pub fn prepare<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(1..=1, 1)?;
    let beta = ctx.options::<tflite::SoftmaxOptions>().map_or(0.0, |o| o.beta());
    let shape = ctx.input_shape(0)?.to_vec();
    let Some((&depth, rest)) = shape.split_last() else {
        return Err(ctx.err("input must have at least one dimension"));
    };
    let outer: usize = rest.iter().product();
    ctx.set_output_shape(0, shape.clone())?;
    let (ti, to) = (ctx.input_dtype(0)?, ctx.output_dtype(0)?);
    match (ti, to) {
        (DType::Int8, DType::Int8) => {
            let (s_in, _) = per_tensor(ctx, ctx.input_quant(0)?, "input")?;
            let (s_out, zp_out) = per_tensor(ctx, ctx.output_quant(0)?, "output")?;
            if zp_out != -128 {
                return Err(ctx.err(format!("int8 output zero point must be -128, got {zp_out}")));
            }
            if (s_out - 1.0 / 256.0).abs() > 0.001 / 256.0 {
                return Err(ctx.err(format!("int8 output scale must be 1/256, got {s_out}")));
            }
            let (multiplier, shift, diff_min) =
                fixedpoint::softmax_input_scaling(beta as f64, s_in as f64, SCALED_DIFF_INTEGER_BITS);
            Ok(Box::new(Int8Softmax::<i8> { _o: Default::default(), outer, depth, multiplier, shift, diff_min }))
        }
        (DType::Int8, DType::Int16) => {
            let (s_in, _) = per_tensor(ctx, ctx.input_quant(0)?, "input")?;
            let (multiplier, shift, diff_min) =
                fixedpoint::softmax_input_scaling(beta as f64, s_in as f64, SCALED_DIFF_INTEGER_BITS);
            Ok(Box::new(Int8Softmax::<i16> { _o: Default::default(), outer, depth, multiplier, shift, diff_min }))
        }
        (DType::Float32, DType::Float32) => Ok(Box::new(FloatSoftmax { outer, depth, beta })),
        _ => Err(ctx.err(format!("unsupported types: input {ti}, output {to}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::run_kernel;

    fn int8(beta: f64, s_in: f64, depth: usize) -> Int8Softmax<i8> {
        let (multiplier, shift, diff_min) = fixedpoint::softmax_input_scaling(beta, s_in, 5);
        Int8Softmax { _o: Default::default(), outer: 1, depth, multiplier, shift, diff_min }
    }

    fn run(k: &mut dyn Kernel, x: &[i8]) -> Vec<i8> {
        let out = run_kernel(k, &[bytemuck::cast_slice(x)], &[x.len()]).unwrap();
        bytemuck::cast_slice(&out[0]).to_vec()
    }

    #[test]
    fn int8_uniform_row() {
        // Four equal inputs: each e = 1 (INT32_MAX), sum = 4·RDBPOT(2^31 − 1, 12) = 4·2^19 = 2^21
        // (Q12.19 value 4). GetReciprocal: clz = 10, nbo = 2, x·2^10 − 2^31 = 0 → recip of 1.0 ≈
        // 2^31 − 1; exponent 25: SRDHM(≈2^31, 2^31 − 1)/2^25 = 64 → 64 − 128 = −64 (0.25·256).
        let mut k = int8(1.0, 0.1, 4);
        assert_eq!(run(&mut k, &[5, 5, 5, 5]), vec![-64; 4]);
        // One element: probability 1 → 256 − 128 saturates to 127.
        let mut k = int8(1.0, 0.1, 1);
        assert_eq!(run(&mut k, &[-100]), vec![127]);
    }

    #[test]
    fn int8_differences_below_diff_min_are_zero() {
        // s_in = 1/16, β = 1: diff_min = −248. A difference of −255 gives −128 exactly; the max
        // gets all the mass (127 after saturation).
        let mut k = int8(1.0, 1.0 / 16.0, 2);
        assert_eq!(k.diff_min, -248);
        assert_eq!(run(&mut k, &[127, -128]), vec![127, -128]);
        // A huge β caps the multiplier: only the row maximum counts (diff_min 0). Two tied
        // maxima get 0.5 each: 128 − 128 = 0.
        let mut k = int8(1e6, 1.0, 3);
        assert_eq!(k.diff_min, 0);
        assert_eq!(run(&mut k, &[3, 3, 2]), vec![0, 0, -128]);
    }

    #[test]
    fn int8_tiny_scale_is_computed_not_aborted() {
        // β·s_in·2^26 = 2^−4 ≤ 1: TFLite aborts; qlite shifts right: M = 2^30, shift −3, and
        // d = −255 gives z = RDBPOT(SRDHM(−255, 2^30), 3) = RDBPOT(−127, 3) = −16 (Q5.26,
        // ≈ −2.4e−7): the row is uniform to 1e−7 and both halves give 128 − 128 = 0.
        let mut k = int8(1.0, 2f64.powi(-30), 2);
        assert!(k.shift < 0);
        assert_eq!(run(&mut k, &[127, -128]), vec![0, 0]);
    }

    #[test]
    fn int8_huge_rows_do_not_abort() {
        // 600 equal values: sum = 600·2^19 ≥ 2^28, exponent 32 > 31 (TFLite aborts): 1/600 of
        // 256 rounds to 0 → −128.
        let mut k = int8(1.0, 0.1, 600);
        assert_eq!(run(&mut k, &[1; 600]), vec![-128; 600]);
    }

    #[test]
    fn int16_output() {
        // Four equal inputs: 0.25·65536 = 16384 → 16384 − 32768 = −16384 (exponent 17: SRDHM ≈
        // 2^31 − 2, / 2^17 = 16383.99998 → 16384). One element: 65536 − 32768 saturates.
        let (multiplier, shift, diff_min) = fixedpoint::softmax_input_scaling(1.0, 0.1, 5);
        let mut k = Int8Softmax::<i16> { _o: Default::default(), outer: 2, depth: 4, multiplier, shift, diff_min };
        let out = run_kernel(&mut k, &[bytemuck::cast_slice(&[5i8, 5, 5, 5, 127, -128, -128, -128])], &[16]).unwrap();
        assert_eq!(
            bytemuck::cast_slice::<u8, i16>(&out[0]),
            &[-16384, -16384, -16384, -16384, 32767, -32768, -32768, -32768]
        );
    }

    #[test]
    fn float_softmax() {
        let mut k = FloatSoftmax { outer: 2, depth: 2, beta: 1.0 };
        let x: [f32; 4] = [0.0, 0.0, 1.0, f32::NEG_INFINITY];
        let out = run_kernel(&mut k, &[bytemuck::cast_slice(&x)], &[16]).unwrap();
        assert_eq!(bytemuck::cast_slice::<u8, f32>(&out[0]), &[0.5, 0.5, 1.0, 0.0]);
    }
}
