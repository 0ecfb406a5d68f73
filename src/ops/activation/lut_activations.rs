//! LOGISTIC, TANH, ELU and GELU: int8 (and uint8 except for ELU) through a 256-entry table,
//! int16 LOGISTIC/TANH in fixed point, int16 GELU through TFLite's 513-entry interpolated table
//! ([`arith::lut_int16_f32`], `LUTPopulate<int16_t>` with the float transform, any zero points;
//! eval [`arith::lut_lookup_i16`]), float32 elementwise. Output shape = input shape.
//!
//! int8 (TFLite's SigmoidPrepare/TanhPrepare/EluPrepare in `kernels/activations.cc`, the kReference
//! path): the table is [`arith::lut_int8`] (`LUTPopulate<int8_t>`) of
//! - LOGISTIC: `1 / (1 + expf(−x))` (float32); TFLite requires s_out == 1/256 exactly (any
//!   output zero point), and so do we;
//! - TANH: `tanhf(x)`;
//! - ELU: `x < 0 ? expm1f(x) : x`;
//! - GELU (`reference/gelu.h`): `0.5f·x·erfcf(x·float(−√½))`, or with `approximate`
//!   `0.5f·x·(1 + tanhf(float(√(2/π))·(x + 0.044715f·x·x·x)))`, float32 left to right;
//!
//! and eval is `out = table[q + 128]`. The table depends on the C library's `expf`/`tanhf`/
//! `expm1f`; qlite uses [`crate::libm`], identical to glibc 2.36 on all inputs.
//!
//! uint8 (TF1 legacy models; LOGISTIC, TANH, GELU): the same table built over q = 0..255 with
//! the output clamped to [0, 255] ([`arith::lut_uint8`], `LUTPopulate<uint8_t>`; an entry whose
//! value overflows int32 gives 0 here, where the int8 table saturates); LOGISTIC
//! again requires s_out == 1/256 (any zero point). TFLite has no uint8 ELU.
//!
//! int16 LOGISTIC / TANH (`reference_integer_ops::Logistic`/`Tanh`, int16 overloads, as
//! SigmoidPrepare/TanhPrepare set them up for kReference): zero points must be 0; the output
//! scale must be 2⁻¹⁵ (LOGISTIC: exactly 1/32768; TANH: `CheckedLog2` within 1e-3 of −15).
//! Prepare: `(M, shift) =` [`arith::int16_sigmoid_tanh_params`] — for an input scale of exactly
//! 2⁻¹² (LOGISTIC) or 2⁻¹²/2⁻¹¹ (TANH) the power-of-two case M = 3·2^shift, else
//! M = trunc(s_in·12288·2^shift) with shift the number of doublings that bring it above 16383.5
//! (at most 31). Eval per element: v = (q·M + round) >> shift, then a 256-entry sigmoid table
//! (`sigmoid_table_uint16`) interpolated on the low 9 (LOGISTIC) or 8 (TANH) bits of |v|, mirrored
//! for v < 0 ([`arith::logistic_int16`], [`arith::tanh_int16`]). int32 overflow of q·M (input
//! scales above about 2.7) wraps, as the x86 build does.
//!
//! float32:
//! - LOGISTIC (`reference_ops::Logistic`, TF 2.21): x > 16.619047 → 1; x < −9 → expf(x);
//!   else 1 / (1 + expf(−x)); NaN → NaN.
//! - TANH (`reference_ops::Tanh`): tanhf(x).
//! - ELU (`optimized_ops::Elu`, the only kernel TFLite has): x < 0 ? expm1f(x) : x.
//! - GELU (`reference_ops::Gelu`, Eigen array expressions; TFLite's x86-64 wheel is built for
//!   SSE4.1 without FMA, so Eigen works on packets of 4 floats, a multiply-add is a multiply then
//!   an add, and divisions are real divisions):
//!   - approximate = `(0.5·x)·(1 + tanh_eigen(√(2/π)·(x + 0.044715·(x·x·x))))` with Eigen's float
//!     tanh (a [9/8] rational approximation, inputs clamped to ±7.9073896; the same code in packets
//!     and in the scalar tail) — bit-identical (0 of 1,383,039 values differ,
//!     `models/fuzz_gelu.py --approximate`);
//!   - exact = `(0.5·x)·erfc_eigen(x·float(−√½))` with Eigen's `generic_fast_erfc<float>`
//!     ([`libm::erfc_eigen_packet`]: clamp to ±11; `1 + x·S(x²)` for x² ≤ 1, else
//!     `exp(−x²)·(1 − x2_lo)·P(1/x²)/(x·Q(1/x²)) (+ 2 if x < 0)` with Dekker's x² = x2 + x2_lo).
//!     Eigen's assignment loop computes the first `n − n % 4` elements of the tensor in packets,
//!     where `exp` is Eigen's `pexp_float`, and the last `n % 4` one at a time, where `exp` is
//!     glibc's `expf` ([`libm::erfc_eigen_scalar`]); the two give different results for about one
//!     in five inputs in (−13, −√2), so [`GeluExactF32`] picks the path by element index.
//!     Bit-identical: 0 of 2,766,078 values differ (`models/fuzz_gelu.py`, seeds 1 and 2: 33
//!     shapes of 1 to 300,000 elements, uniform in [−12, 12], normal(0, 2), the region where
//!     exp(−x²/2) is subnormal, random bit patterns, ±0, ±inf, NaN, subnormals), signed zeros and
//!     NaN bits included. (glibc's `erfcf`, used before, differed on 16% of the values of a
//!     722,116-value run, by up to 11 ULP.)
//!
//! ELU is not in TFLite's BUILTIN_REF resolver at all (a model with ELU fails to load there);
//! its kernel is the same LUT/Eigen-free code in every other resolver, so qlite matches that.

use crate::arith;
use crate::dtype::DType;
use crate::error::Result;
use crate::libm;
use crate::ops::Scratch;
use crate::ops::activation::relu::{io_quant, unary_same_type};
use crate::ops::{Inputs, Kernel, Outputs, PrepareContext};

/// An int8 → int8 table lookup.
pub(crate) struct LutInt8 {
    pub(crate) table: [i8; 256],
}

/// A uint8 → uint8 table lookup.
pub(crate) struct LutUInt8 {
    pub(crate) table: [u8; 256],
}

impl Kernel for LutUInt8 {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let x = inputs.get::<u8>(0)?;
        let out = outputs.get::<u8>(0)?;
        for (o, &q) in out.iter_mut().zip(x) {
            *o = self.table[q as usize];
        }
        Ok(())
    }
}

/// int16 through TFLite's 513-entry interpolated table (`LUTLookup`).
struct LutInt16 {
    table: [i16; arith::LUT_INT16_SIZE],
}

impl Kernel for LutInt16 {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let x = inputs.get::<i16>(0)?;
        let out = outputs.get::<i16>(0)?;
        for (o, &q) in out.iter_mut().zip(x) {
            *o = arith::lut_lookup_i16(q, &self.table);
        }
        Ok(())
    }
}

/// int16 LOGISTIC or TANH.
struct SigmoidTanhInt16 {
    multiplier: i32,
    shift: i32,
    tanh: bool,
}

impl Kernel for SigmoidTanhInt16 {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let x = inputs.get::<i16>(0)?;
        let out = outputs.get::<i16>(0)?;
        let (m, s) = (self.multiplier, self.shift);
        if self.tanh {
            for (o, &q) in out.iter_mut().zip(x) {
                *o = arith::tanh_int16(q, m, s);
            }
        } else {
            for (o, &q) in out.iter_mut().zip(x) {
                *o = arith::logistic_int16(q, m, s);
            }
        }
        Ok(())
    }
}

impl Kernel for LutInt8 {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let x = inputs.get::<i8>(0)?;
        let out = outputs.get::<i8>(0)?;
        for (o, &q) in out.iter_mut().zip(x) {
            *o = self.table[(q as i32 + 128) as usize];
        }
        Ok(())
    }
}

/// A float32 elementwise function.
pub(crate) struct MapF32(pub fn(f32) -> f32);

impl Kernel for MapF32 {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let x = inputs.get::<f32>(0)?;
        let out = outputs.get::<f32>(0)?;
        for (o, &v) in out.iter_mut().zip(x) {
            *o = (self.0)(v);
        }
        Ok(())
    }
}

/// The logistic function of TFLite's int8 table: `1 / (1 + expf(−x))`.
pub fn logistic_lut_fn(x: f32) -> f32 {
    1.0 / (1.0 + libm::expf(-x))
}

/// TFLite 2.21's float32 reference logistic.
pub fn logistic_f32(x: f32) -> f32 {
    const CUTOFF_UPPER: f32 = 16.619_047; // 16.619047164916992188f (0x4184f3cf)
    const CUTOFF_LOWER: f32 = -9.0;
    if x > CUTOFF_UPPER {
        1.0
    } else if x < CUTOFF_LOWER {
        libm::expf(x)
    } else {
        1.0 / (1.0 + libm::expf(-x))
    }
}

/// ELU with alpha 1: `x < 0 ? expm1f(x) : x`.
pub fn elu_f32(x: f32) -> f32 {
    if x < 0.0 { libm::expm1f(x) } else { x }
}

/// Which integer types besides int8 an operator accepts.
#[derive(Clone, Copy, PartialEq)]
enum Extra {
    None,
    /// uint8, and int16 (LOGISTIC with `tanh = false`, TANH with `tanh = true`).
    UInt8Int16 {
        tanh: bool,
    },
    /// uint8, and int16 through the float int16 table (GELU).
    UInt8LutInt16,
}

fn prepare_lut<'m>(
    ctx: &mut PrepareContext<'_, 'm>,
    lut_fn: fn(f32) -> f32,
    float_fn: fn(f32) -> f32,
    required_s_out: Option<f64>,
    extra: Extra,
) -> Result<Box<dyn Kernel + 'm>> {
    let dtype = unary_same_type(ctx)?;
    let check_s_out = |ctx: &PrepareContext<'_, 'm>, s_out: f32| match required_s_out {
        Some(r) if s_out as f64 != r => Err(ctx.err(format!("output scale must be {r}, got {s_out}"))),
        _ => Ok(()),
    };
    match (dtype, extra) {
        (DType::Float32, _) => Ok(Box::new(MapF32(float_fn))),
        (DType::Int8, _) => {
            let ((s_in, zp_in), (s_out, zp_out)) = io_quant(ctx)?;
            check_s_out(ctx, s_out)?;
            Ok(Box::new(LutInt8 { table: arith::lut_int8(s_in, zp_in, s_out, zp_out, lut_fn) }))
        }
        (DType::UInt8, Extra::UInt8Int16 { .. } | Extra::UInt8LutInt16) => {
            let ((s_in, zp_in), (s_out, zp_out)) = io_quant(ctx)?;
            check_s_out(ctx, s_out)?;
            Ok(Box::new(LutUInt8 { table: arith::lut_uint8(s_in, zp_in, s_out, zp_out, lut_fn) }))
        }
        (DType::Int16, Extra::UInt8Int16 { tanh }) => {
            let ((s_in, zp_in), (s_out, zp_out)) = io_quant(ctx)?;
            // SigmoidPrepare (kReference) checks the exact output scale first.
            if !tanh && (s_out as f64 != 1.0 / 32768.0 || zp_out != 0) {
                return Err(
                    ctx.err(format!("int16 output must have scale 1/32768 and zero point 0, got {s_out}, {zp_out}"))
                );
            }
            if zp_in != 0 || zp_out != 0 {
                return Err(ctx.err(format!("int16 zero points must be 0, got {zp_in} and {zp_out}")));
            }
            let (multiplier, shift) = arith::int16_sigmoid_tanh_params(s_in, tanh);
            let (pot, log2) = arith::checked_log2(s_out);
            if !pot || log2 != -15 {
                return Err(ctx.err(format!("int16 output scale must be 2^-15, got {s_out}")));
            }
            Ok(Box::new(SigmoidTanhInt16 { multiplier, shift, tanh }))
        }
        (DType::Int16, Extra::UInt8LutInt16) => {
            let ((s_in, zp_in), (s_out, zp_out)) = io_quant(ctx)?;
            Ok(Box::new(LutInt16 { table: arith::lut_int16_f32(s_in, zp_in, s_out, zp_out, lut_fn) }))
        }
        (t, _) => Err(ctx.unsupported(format!("unsupported type {t}"))),
    }
}

/// float(−M_SQRT1_2).
const NEG_SQRT_HALF: f32 = -0.707_106_77;
/// float(M_2_SQRTPI · M_SQRT1_2) = float(√(2/π)).
const SQRT_2_OVER_PI: f32 = 0.797_884_6;

/// TFLite's `GeluTransform`: `0.5f · x · erfcf(x · float(−√½))`.
pub fn gelu_f32(x: f32) -> f32 {
    0.5 * x * libm::erfcf(x * NEG_SQRT_HALF)
}

/// TFLite's `GeluTransformApproximate`: `0.5f·x·(1 + tanhf(√(2/π)·(x + 0.044715f·x·x·x)))`.
pub fn gelu_approximate_f32(x: f32) -> f32 {
    0.5 * x * (1.0 + libm::tanhf(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)))
}

/// TFLite's float32 exact GELU on one element: `(0.5·x)·erfc(x·float(−√½))` with Eigen's erfc
/// in its 4-float packet form ([`libm::erfc_eigen_packet`]).
pub fn gelu_eigen_packet(x: f32) -> f32 {
    0.5 * x * libm::erfc_eigen_packet(x * NEG_SQRT_HALF)
}

/// The same for the elements after the last full packet ([`libm::erfc_eigen_scalar`]).
pub fn gelu_eigen_scalar(x: f32) -> f32 {
    0.5 * x * libm::erfc_eigen_scalar(x * NEG_SQRT_HALF)
}

/// TFLite's float32 exact GELU over a tensor: Eigen's assignment loop evaluates the first
/// `n − n % 4` elements in packets of 4 and the rest one by one (the output buffer is 16-byte
/// aligned in TFLite's arena, so there is no unaligned head).
pub(crate) struct GeluExactF32;

impl Kernel for GeluExactF32 {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let x = inputs.get::<f32>(0)?;
        let out = outputs.get::<f32>(0)?;
        let n = out.len().min(x.len());
        let packed = n - n % 4;
        for (o, &v) in out[..packed].iter_mut().zip(&x[..packed]) {
            *o = gelu_eigen_packet(v);
        }
        for (o, &v) in out[packed..n].iter_mut().zip(&x[packed..n]) {
            *o = gelu_eigen_scalar(v);
        }
        Ok(())
    }
}

/// Eigen's `ptanh_float` (EIGEN_FAST_MATH, no FMA): clamp to ±7.90738964, then
/// `(x³·P(x²) + x) / Q(x²)` with Horner steps as separate multiply and add.
pub fn tanh_eigen(a: f32) -> f32 {
    const CLAMP: f32 = 7.907_389_6;
    const ALPHA: [f32; 4] = [1.394_553_6e-8, 2.102_733_6e-5, 3.520_756_7e-3, 1.340_216_1e-1];
    const BETA: [f32; 5] = [8.015_777e-7, 3.326_951_4e-4, 2.597_254_5e-2, 4.673_548_3e-1, 1.0];
    // pmax(pmin(a, c), −c), with x86 minps/maxps operand order (NaN propagates as in Eigen's
    // scalar std::min/max: min(NaN, c) = NaN).
    let x = if a < CLAMP || a.is_nan() { a } else { CLAMP };
    let x = if x > -CLAMP || x.is_nan() { x } else { -CLAMP };
    let x2 = x * x;
    let x3 = x2 * x;
    let mut p = ALPHA[0];
    for &c in &ALPHA[1..] {
        p = p * x2 + c;
    }
    let mut q = BETA[0];
    for &c in &BETA[1..] {
        q = q * x2 + c;
    }
    (x3 * p + x) / q
}

/// TFLite's float32 approximate GELU (Eigen): `(0.5·x)·(1 + tanh_eigen(√(2/π)·(x + 0.044715·x³)))`.
pub fn gelu_approximate_eigen(x: f32) -> f32 {
    0.5 * x * (1.0 + tanh_eigen(SQRT_2_OVER_PI * (x + 0.044715 * (x * x * x))))
}

/// Prepares GELU.
pub fn prepare_gelu<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    let approximate = ctx.options::<crate::tflite::GeluOptions>().is_some_and(|o| o.approximate());
    if approximate {
        prepare_lut(ctx, gelu_approximate_f32, gelu_approximate_eigen, None, Extra::UInt8LutInt16)
    } else if unary_same_type(ctx)? == DType::Float32 {
        // (prepare_lut repeats the shape and type check for the int8 and uint8 tables.)
        Ok(Box::new(GeluExactF32))
    } else {
        prepare_lut(ctx, gelu_f32, gelu_f32, None, Extra::UInt8LutInt16)
    }
}

/// Prepares LOGISTIC.
pub fn prepare_logistic<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_lut(ctx, logistic_lut_fn, logistic_f32, Some(1.0 / 256.0), Extra::UInt8Int16 { tanh: false })
}

/// Prepares TANH.
pub fn prepare_tanh<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_lut(ctx, libm::tanhf, libm::tanhf, None, Extra::UInt8Int16 { tanh: true })
}

/// Prepares ELU.
pub fn prepare_elu<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_lut(ctx, elu_f32, elu_f32, None, Extra::None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logistic_table_hand_values() {
        // s_in = 0.1, zp_in = 0, s_out = 1/256, zp_out = −128: q = 0 → 0.5·256 − 128 = 0;
        // q = 127 → σ(12.7) = 0.999997 → 256 − 128 = 128 → 127; q = −128 → σ(−12.8) ≈ 2.8e-6 → −128.
        let t = arith::lut_int8(0.1, 0, 1.0 / 256.0, -128, logistic_lut_fn);
        assert_eq!((t[128], t[255], t[0]), (0, 127, -128));
        // q = 10 → σ(1.0) = 0.7310586 → 187.15 → 187 − 128 = 59.
        assert_eq!(t[138], 59);
    }

    #[test]
    fn tanh_table_is_odd_with_symmetric_params() {
        let t = arith::lut_int8(0.05, 0, 1.0 / 128.0, 0, libm::tanhf);
        for q in 1..=127 {
            // Away from the asymmetric clamp [−128, 127].
            if t[128 + q] < 127 {
                assert_eq!(t[128 + q] as i32, -(t[128 - q] as i32), "q = {q}");
            }
        }
        // tanh(1) = 0.7615942 → 97.48 → 97.
        assert_eq!(t[128 + 20], 97);
    }

    #[test]
    fn uint8_logistic_table() {
        // s_in 0.1, zp_in 128, s_out 1/256, zp_out 0: q = 128 → 0.5·256 = 128; q = 138 → σ(1) =
        // 0.7310586·256 = 187.15 → 187; q = 0 → σ(−12.8) → 0; q = 255 → σ(12.7)·256 = 255.99 → 255.
        let t = arith::lut_uint8(0.1, 128, 1.0 / 256.0, 0, logistic_lut_fn);
        assert_eq!((t[128], t[138], t[0], t[255]), (128, 187, 0, 255));
        let k = LutUInt8 { table: t };
        let out = crate::ops::run_kernel(&k, &[&[128u8, 138, 0]], &[3]).unwrap();
        assert_eq!(out[0], vec![128, 187, 0]);
    }

    #[test]
    fn int16_logistic_and_tanh_kernel() {
        // Scale 2^-12 (power of two): M = 3, shift 0. q = 0 → 16384 (0.5) / 0; q = 4096 (1.0).
        let (multiplier, shift) = arith::int16_sigmoid_tanh_params(1.0 / 4096.0, false);
        assert_eq!((multiplier, shift), (0, 0));
        let x: [i16; 3] = [0, 4096, -4096];
        let mut k = SigmoidTanhInt16 { multiplier, shift, tanh: false };
        let out = crate::ops::run_kernel(&k, &[bytemuck::cast_slice(&x)], &[6]).unwrap();
        let out: &[i16] = bytemuck::cast_slice(&out[0]);
        // σ(1)·32768 = 23955.8: T[24] = 47911 → (47911·512 + 512) >> 10 = 23956; σ(−1) → 8812.
        assert_eq!(out, &[16384, 23956, 8812]);
        k.tanh = true;
        let out = crate::ops::run_kernel(&k, &[bytemuck::cast_slice(&x)], &[6]).unwrap();
        let out: &[i16] = bytemuck::cast_slice(&out[0]);
        // tanh(1)·32768 = 24956 (T[48] = 57724 − 32768); tanh(−1): (−57724·256 + 2^23 + 127) >> 8
        // = −24955.5 → −24956 (floor).
        assert_eq!(out, &[0, 24956, -24956]);
    }

    #[test]
    fn gelu_constants_and_values() {
        assert_eq!(NEG_SQRT_HALF, -std::f64::consts::FRAC_1_SQRT_2 as f32);
        assert_eq!(SQRT_2_OVER_PI, (std::f64::consts::FRAC_2_SQRT_PI * std::f64::consts::FRAC_1_SQRT_2) as f32);
        assert_eq!(gelu_f32(0.0), 0.0);
        assert_eq!(gelu_f32(10.0), 10.0);
        assert_eq!(gelu_f32(-10.0), -5.0 * libm::erfcf(10.0 * -NEG_SQRT_HALF));
        assert_eq!(gelu_approximate_f32(10.0), 10.0);
        assert!((gelu_f32(1.0) - 0.841_344_7).abs() < 1e-6);
        assert!((gelu_approximate_f32(1.0) - 0.841_192).abs() < 1e-6);
        // Eigen's tanh: exact 1 beyond the clamp, odd, close to tanh.
        assert_eq!(tanh_eigen(8.0), tanh_eigen(7.907_389_6));
        assert_eq!(tanh_eigen(-0.5), -tanh_eigen(0.5));
        assert!((tanh_eigen(0.5) - 0.462_117_16).abs() < 2e-7);
        assert!(tanh_eigen(f32::NAN).is_nan());
        assert_eq!(gelu_approximate_eigen(20.0), 20.0);
    }

    /// (x, TFLite's GELU in a 4-float packet, TFLite's GELU as a tail element), as bits.
    const GELU_TFLITE: [(u32, u32, u32); 32] = [
        (0xc1633333, 0x80000007, 0x80000007), // −14.2: a subnormal
        (0xc15e6666, 0x80000139, 0x80000139),
        (0xc1580000, 0x8001263b, 0x8001263b),
        (0xc1500000, 0x81d87c20, 0x81d87c20),
        (0xc1400000, 0x8add60c4, 0x8add60c4),
        (0xc111999a, 0xa0f29deb, 0xa0f29deb),
        (0xc0b00000, 0xb3e049f7, 0xb3e049f7),
        (0xc0400000, 0xbb84b34f, 0xbb84b34f),
        (0xbfc00000, 0xbdcd3b56, 0xbdcd3b56),
        (0xbf800000, 0xbe227686, 0xbe227686),
        (0xbe99999a, 0xbdeac157, 0xbdeac157),
        (0x00000000, 0x00000000, 0x00000000),
        (0x3f000000, 0x3eb103af, 0x3eb103af),
        (0x3f800000, 0x3f57625e, 0x3f57625e),
        (0x3fb504f3, 0x3fa6c840, 0x3fa6c840),
        (0x40000000, 0x3ffa2d0c, 0x3ffa2d0c),
        (0x406ccccd, 0x406cc644, 0x406cc644),
        (0x40c00000, 0x40c00000, 0x40c00000),
        (0x41a00000, 0x41a00000, 0x41a00000),
        (0xc1a00000, 0x80000000, 0x80000000), // −20 → −0
        (0x000116c2, 0x00008b61, 0x00008b61),
        (0x800116c2, 0x80008b61, 0x80008b61),
        (0x42c80000, 0x42c80000, 0x42c80000),
        (0xc2c80000, 0x80000000, 0x80000000),
        // Inputs where Eigen's exp and glibc's expf disagree.
        (0xc081a9a9, 0xb8d7cc18, 0xb8d7cc17),
        (0xc0ffbaf6, 0xa7bfccca, 0xa7bfcccb),
        (0xbfe022fd, 0xbd8f5460, 0xbd8f545f),
        (0xc11a9cdd, 0x9d1d9da6, 0x9d1d9da5),
        (0xc048d750, 0xbb2ed5db, 0xbb2ed5da),
        (0xc0ac1912, 0xb45964e9, 0xb45964e7),
        (0xc10277cf, 0xa6ce7264, 0xa6ce7265),
        (0xc0812295, 0xb8e6960c, 0xb8e6960b),
    ];

    #[test]
    fn gelu_exact_matches_tflite_values() {
        for (x, packet, scalar) in GELU_TFLITE {
            let x = f32::from_bits(x);
            assert_eq!(gelu_eigen_packet(x).to_bits(), packet, "packet gelu({x:e})");
            assert_eq!(gelu_eigen_scalar(x).to_bits(), scalar, "scalar gelu({x:e})");
        }
        // ±inf: (0.5·inf)·2 = inf; (0.5·−inf)·0 = NaN, as in TFLite.
        assert_eq!(gelu_eigen_packet(f32::INFINITY), f32::INFINITY);
        assert!(gelu_eigen_scalar(f32::NEG_INFINITY).is_nan());
    }

    #[test]
    fn gelu_exact_kernel_uses_the_scalar_path_after_the_last_packet() {
        // 7 elements: indices 0..4 are one packet, 4..7 the scalar tail.
        let (a, b) = (f32::from_bits(0xc081_a9a9), f32::from_bits(0xc0ff_baf6));
        let x = [a, b, 1.0, -2.0, a, b, 0.5];
        let bytes: Vec<u8> = x.iter().flat_map(|v| v.to_le_bytes()).collect();
        let out = crate::ops::run_kernel(&GeluExactF32, &[&bytes], &[28]).unwrap();
        let y: Vec<u32> = out[0].chunks(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        assert_eq!(&y[..2], &[0xb8d7cc18, 0xa7bfccca]);
        assert_eq!(&y[4..6], &[0xb8d7cc17, 0xa7bfcccb]);
        assert_eq!(y[6], 0x3eb103af);
        // Fewer than 4 elements: all scalar.
        let out = crate::ops::run_kernel(&GeluExactF32, &[&bytes[..8]], &[8]).unwrap();
        assert_eq!(out[0], [0xb8d7cc17u32.to_le_bytes(), 0xa7bfcccbu32.to_le_bytes()].concat());
    }

    #[test]
    fn float_logistic_cutoffs() {
        assert_eq!(16.619_047f32.to_bits(), 0x4184_f3cf); // TFLite's 16.619047164916992188f
        assert_eq!(logistic_f32(16.619_047), 1.0 / (1.0 + libm::expf(-16.619_047)));
        assert_eq!(logistic_f32(f32::from_bits(0x4184_f3d0)), 1.0);
        assert_eq!(logistic_f32(-9.0), 1.0 / (1.0 + libm::expf(9.0)));
        assert_eq!(logistic_f32(-9.000_001), libm::expf(-9.000_001));
        assert_eq!(logistic_f32(20.0), 1.0);
        assert_eq!(logistic_f32(-10.0), libm::expf(-10.0));
        assert_eq!(logistic_f32(-100.0), libm::expf(-100.0)); // a subnormal, not 0
        assert_eq!(logistic_f32(0.0), 0.5);
        assert!(logistic_f32(f32::NAN).is_nan());
        assert_eq!(elu_f32(-1.0), libm::expm1f(-1.0));
        assert_eq!(elu_f32(2.5), 2.5);
    }
}
