//! EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL: element-wise comparisons with NumPy
//! broadcasting (see `broadcast.rs`), output bool (one byte, 0 or 1).
//!
//! TFLite (`kernels/comparisons.cc`, `reference/comparisons.h`): both inputs have the same type;
//! GREATER(a, b) is evaluated as LESS(b, a) and GREATER_EQUAL(a, b) as LESS_EQUAL(b, a), which
//! gives the same answers as `a > b` / `a >= b`, NaN included (every ordered comparison with NaN
//! is false, NOT_EQUAL is true).
//!
//! Types:
//! - float32, int32, int64: the stored values are compared (C++ operators, IEEE for floats).
//! - bool: EQUAL and NOT_EQUAL only (TFLite refuses the ordered comparisons).
//! - int8, uint8 (must be quantized per tensor): both inputs are rescaled to a common int32
//!   grid before comparing, with per-input parameters from the input's scale alone:
//!   `(M, s) = scale < 1 ? QuantizeMultiplierSmallerThanOneExp(scale)
//!   : QuantizeMultiplierGreaterThanOne(scale)`, then
//!   `v = MultiplyByQuantizedMultiplierSmallerThanOneExp((q − zp)·2^8, M, s)
//!   = RDBPOT(SRDHM((q − zp)·256, M), −s)`.
//!   For a scale ≥ 1 the shift `s` is positive and RDBPOT gets a negative exponent (undefined
//!   in C++); qlite computes what TFLite's x86-64 scalar code does
//!   ([`crate::arith::rdbpot_x86_scalar`]). A scale of exactly 1.0 makes TFLite abort
//!   (`QuantizeMultiplierGreaterThanOne` checks `> 1`); qlite runs it with (2^30, 1) and the
//!   same formula. A scale ≤ 0 (TFLite aborts too) is refused.
//! - int16: TFLite treats it per op: EQUAL and NOT_EQUAL rescale a quantized int16 input as
//!   above; EQUAL compares the stored values of an unquantized one, while NOT_EQUAL on an
//!   unquantized int16 writes nothing (the output keeps stale memory), which qlite refuses. LESS,
//!   LESS_EQUAL, GREATER, GREATER_EQUAL always compare the stored int16 values, even when the
//!   inputs are quantized with different scales or zero points.
//!
//! The output type must be bool.

use crate::arith::{quantize_multiplier, rdbpot_x86_scalar, srdhm};
use crate::dtype::DType;
use crate::error::Result;
use crate::ops::elementwise::broadcast::{self, BinaryKernel, Broadcast};
use crate::ops::{Element, Kernel, PrepareContext, per_tensor};

/// Which comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Equal,
    NotEqual,
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
}

const EQ: u8 = 0;
const NE: u8 = 1;
const LT: u8 = 2;
const LE: u8 = 3;
const GT: u8 = 4;
const GE: u8 = 5;

/// The comparison `OP` (one of the private constants above) as the C++ operator does it.
#[inline(always)]
fn compare<const OP: u8, T: PartialOrd>(a: T, b: T) -> u8 {
    u8::from(match OP {
        EQ => a == b,
        NE => a != b,
        LT => a < b,
        LE => a <= b,
        GT => a > b,
        _ => a >= b,
    })
}

/// Per-input rescaling of a quantized comparison input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rescale {
    pub offset: i32,
    pub multiplier: i32,
    pub shift: i32,
}

impl Rescale {
    /// The parameters TFLite derives from an input's scale and zero point.
    pub fn new(scale: f32, zero_point: i32) -> std::result::Result<Self, String> {
        if scale.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) || !scale.is_finite() {
            return Err(format!("input scale {scale} must be positive and finite"));
        }
        let (multiplier, shift) = quantize_multiplier(f64::from(scale));
        Ok(Rescale { offset: -zero_point, multiplier, shift })
    }

    /// RDBPOT(SRDHM((q + offset)·256, M), −shift).
    #[inline(always)]
    pub fn apply(&self, q: i32) -> i32 {
        let shifted = (self.offset + q).wrapping_mul(1 << 8);
        rdbpot_x86_scalar(srdhm(shifted, self.multiplier), -self.shift)
    }
}

fn raw<'m, T: Element + PartialOrd + Copy>(plan: Broadcast, op: u8) -> Box<dyn Kernel + 'm> {
    match op {
        EQ => Box::new(BinaryKernel::new(plan, compare::<EQ, T>)),
        NE => Box::new(BinaryKernel::new(plan, compare::<NE, T>)),
        LT => Box::new(BinaryKernel::new(plan, compare::<LT, T>)),
        LE => Box::new(BinaryKernel::new(plan, compare::<LE, T>)),
        GT => Box::new(BinaryKernel::new(plan, compare::<GT, T>)),
        _ => Box::new(BinaryKernel::new(plan, compare::<GE, T>)),
    }
}

fn scaled<'m, T: Element + Copy + Into<i32>>(
    plan: Broadcast,
    op: u8,
    p1: Rescale,
    p2: Rescale,
) -> Box<dyn Kernel + 'm> {
    macro_rules! k {
        ($op:ident) => {
            Box::new(BinaryKernel::new(plan, move |a: T, b: T| {
                compare::<$op, i32>(p1.apply(a.into()), p2.apply(b.into()))
            }))
        };
    }
    match op {
        EQ => k!(EQ),
        NE => k!(NE),
        LT => k!(LT),
        LE => k!(LE),
        GT => k!(GT),
        _ => k!(GE),
    }
}

fn prepare_op<'m>(ctx: &mut PrepareContext<'_, 'm>, cmp: Cmp) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(2..=2, 1)?;
    let (t1, t2, to) = (ctx.input_dtype(0)?, ctx.input_dtype(1)?, ctx.output_dtype(0)?);
    if t1 != t2 {
        return Err(ctx.err(format!("inputs have different types {t1} and {t2}")));
    }
    if to != DType::Bool {
        return Err(ctx.err(format!("output is {to}, expected bool")));
    }
    let op = match cmp {
        Cmp::Equal => EQ,
        Cmp::NotEqual => NE,
        Cmp::Less => LT,
        Cmp::LessEqual => LE,
        Cmp::Greater => GT,
        Cmp::GreaterEqual => GE,
    };
    let equality = matches!(cmp, Cmp::Equal | Cmp::NotEqual);
    let quantized = ctx.input(0)?.quantization.is_some();
    let rescales = |ctx: &PrepareContext<'_, 'm>| -> Result<(Rescale, Rescale)> {
        let (s1, z1) = per_tensor(ctx, ctx.input_quant(0)?, "input 0")?;
        let (s2, z2) = per_tensor(ctx, ctx.input_quant(1)?, "input 1")?;
        Ok((Rescale::new(s1, z1).map_err(|e| ctx.err(e))?, Rescale::new(s2, z2).map_err(|e| ctx.err(e))?))
    };
    let kernel = match t1 {
        DType::Float32 => raw::<f32>(broadcast::plan(ctx)?, op),
        DType::Int32 => raw::<i32>(broadcast::plan(ctx)?, op),
        DType::Int64 => raw::<i64>(broadcast::plan(ctx)?, op),
        DType::Bool if equality => raw::<u8>(broadcast::plan(ctx)?, op),
        DType::Int8 => {
            let (p1, p2) = rescales(ctx)?;
            scaled::<i8>(broadcast::plan(ctx)?, op, p1, p2)
        }
        DType::UInt8 => {
            let (p1, p2) = rescales(ctx)?;
            scaled::<u8>(broadcast::plan(ctx)?, op, p1, p2)
        }
        DType::Int16 if equality && quantized => {
            let (p1, p2) = rescales(ctx)?;
            scaled::<i16>(broadcast::plan(ctx)?, op, p1, p2)
        }
        DType::Int16 if cmp == Cmp::NotEqual => {
            return Err(ctx.unsupported("NOT_EQUAL on unquantized int16 (TFLite leaves the output unwritten)"));
        }
        DType::Int16 => raw::<i16>(broadcast::plan(ctx)?, op),
        _ => return Err(ctx.unsupported(format!("unsupported input type {t1}"))),
    };
    Ok(kernel)
}

/// Prepares EQUAL.
pub fn prepare_equal<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_op(ctx, Cmp::Equal)
}

/// Prepares NOT_EQUAL.
pub fn prepare_not_equal<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_op(ctx, Cmp::NotEqual)
}

/// Prepares LESS.
pub fn prepare_less<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_op(ctx, Cmp::Less)
}

/// Prepares LESS_EQUAL.
pub fn prepare_less_equal<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_op(ctx, Cmp::LessEqual)
}

/// Prepares GREATER.
pub fn prepare_greater<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_op(ctx, Cmp::Greater)
}

/// Prepares GREATER_EQUAL.
pub fn prepare_greater_equal<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_op(ctx, Cmp::GreaterEqual)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::run_kernel;

    #[test]
    fn float_semantics() {
        let n = f32::NAN;
        assert_eq!(compare::<EQ, f32>(n, n), 0);
        assert_eq!(compare::<NE, f32>(n, n), 1);
        assert_eq!(compare::<LT, f32>(n, 1.0), 0);
        assert_eq!(compare::<GE, f32>(1.0, n), 0);
        assert_eq!(compare::<EQ, f32>(-0.0, 0.0), 1);
        assert_eq!(compare::<LE, f32>(-0.0, 0.0), 1);
        assert_eq!(compare::<GT, i64>(i64::MIN, i64::MAX), 0);
    }

    #[test]
    fn rescale_parameters() {
        // scale 0.5: M = 2^30, shift 0 → v = RDBPOT(SRDHM(256·x, 2^30), 0) = 128·x.
        let p = Rescale::new(0.5, 3).unwrap();
        assert_eq!(p, Rescale { offset: -3, multiplier: 1 << 30, shift: 0 });
        assert_eq!(p.apply(5), 256);
        assert_eq!(p.apply(-128), -131 * 128);
        // scale 0.1f (0.100000001490…): frexp 0.8000000119·2^−3 → M = 1717986944, shift −3;
        // x = 1: SRDHM(256, M) = round(256·0.8) = 205, RDBPOT(205, 3) = 25.625 → 26.
        let p = Rescale::new(0.1, 0).unwrap();
        assert_eq!((p.multiplier, p.shift), (1717986944, -3));
        assert_eq!(p.apply(1), 26);
        assert_eq!(p.apply(-1), -26);
        // Ties: scale 2^-9, x = 1: SRDHM(256, 2^30) = 128, RDBPOT(128, 8) = 0.5 → 1 (away from 0),
        // x = −1 → −1.
        let p = Rescale::new(1.0 / 512.0, 0).unwrap();
        assert_eq!((p.multiplier, p.shift), (1 << 30, -8));
        assert_eq!(p.apply(1), 1);
        assert_eq!(p.apply(-1), -1);
        assert!(Rescale::new(0.0, 0).is_err());
        assert!(Rescale::new(-1.0, 0).is_err());
    }

    #[test]
    fn scale_above_one_uses_x86_negative_shift() {
        // scale 2: M = 2^30, shift 2; RDBPOT with exponent −2: x86 shifts mod 32/64:
        // mask = (1 << 62) − 1 truncated = −1, x >> 30, plus (x & −1) > (−1 >> 1) + (x<0).
        let p = Rescale::new(2.0, 0).unwrap();
        assert_eq!((p.multiplier, p.shift), (1 << 30, 2));
        let h = srdhm(3 * 256, 1 << 30);
        assert_eq!(h, 384);
        assert_eq!(p.apply(3), crate::arith::rdbpot_negative_exponent_x86_scalar(384, -2));
    }

    #[test]
    fn quantized_kernel_compares_rescaled_values() {
        // a: scale 0.5 zp 0, b: scale 0.25 zp 2: a = 1 is 0.5, b = 4 is 0.5 → equal.
        let p1 = Rescale::new(0.5, 0).unwrap();
        let p2 = Rescale::new(0.25, 2).unwrap();
        let plan = Broadcast::new(&[3], &[3]).unwrap();
        let mut k = scaled::<i8>(plan, EQ, p1, p2);
        let a: [i8; 3] = [1, 1, -128];
        let b: [i8; 3] = [4, 5, -126];
        let out = run_kernel(k.as_mut(), &[bytemuck::cast_slice(&a), bytemuck::cast_slice(&b)], &[3]).unwrap();
        assert_eq!(out[0], vec![1, 0, 0]);
        let plan = Broadcast::new(&[3], &[3]).unwrap();
        let mut k = scaled::<i8>(plan, LT, p1, p2);
        let out = run_kernel(k.as_mut(), &[bytemuck::cast_slice(&a), bytemuck::cast_slice(&b)], &[3]).unwrap();
        assert_eq!(out[0], vec![0, 1, 1]);
    }

    #[test]
    fn broadcast_raw_kernel() {
        let plan = Broadcast::new(&[2, 2], &[2]).unwrap();
        let mut k = raw::<i32>(plan, GE);
        let a: [i32; 4] = [1, 2, 3, 4];
        let b: [i32; 2] = [2, 3];
        let out = run_kernel(k.as_mut(), &[bytemuck::cast_slice(&a), bytemuck::cast_slice(&b)], &[4]).unwrap();
        assert_eq!(out[0], vec![0, 0, 1, 1]);
    }
}
