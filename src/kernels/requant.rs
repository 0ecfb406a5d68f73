//! [`Requant`]: how an integer accumulator becomes an output value, one per output channel.
//!
//! Kernels store one `Requant` per output channel (a per-tensor scale is broadcast at prepare;
//! [`ChannelRequant`] holds them as arrays of one variant) instead of raw multipliers, so which arithmetic an operator follows is data, not code: the
//! seam for the TFLite-reference / TFLite-Micro / XNNPACK profiles of the architecture review
//! (P2). The rounding itself still happens only in `crate::arith`; the variants wrap it.
//!
//! `apply` returns the rescaled value *before* the output zero point is added and the
//! activation clamp applied; [`OutputStage`](super::OutputStage) does both.

use crate::arith;

/// One output channel's requantization.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Requant {
    /// The double-precision requantization of TFLite's reference FULLY_CONNECTED (the overloads
    /// taking float scales): `(int32)round(double(acc)·scale)`, `round` half away from zero and
    /// the conversion as x86 does it (`i32::MIN` out of range). `scale` is
    /// `double(s_in)·double(s_w)/double(s_out)`.
    Double {
        /// The real multiplier.
        scale: f64,
    },
    /// TFLite's `MultiplyByQuantizedMultiplier` in its default (double-rounding) build:
    /// `RDBPOT(SRDHM(acc·2^max(shift,0), M), max(−shift,0))`, the left shift wrapping. On an
    /// int64 accumulator, TFLite's int64 overload (multiplier reduced to 16 bits).
    Mbqm {
        /// Q0.31 multiplier (`QuantizeMultiplier`).
        multiplier: i32,
        /// Power-of-two exponent, positive to the left.
        shift: i32,
    },
    /// `MultiplyByQuantizedMultiplier` of a `TFLITE_SINGLE_ROUNDING` build (TFLite Micro's
    /// default): `(acc·M + 2^(30−shift)) >> (31−shift)` in int64, one rounding (half up).
    /// On an int64 accumulator the same int64 overload as [`Requant::Mbqm`] (TFLite's two
    /// builds share it).
    MbqmSingle {
        /// Q0.31 multiplier (`QuantizeMultiplier`).
        multiplier: i32,
        /// Power-of-two exponent, positive to the left; TFLite requires −31..=30 (values
        /// outside are clamped to it here).
        shift: i32,
    },
    /// XNNPACK's fp32 requantization: `float(acc)·scale` in float32, rounded to nearest with
    /// ties to even (`lrintf`). XNNPACK clamps in float before rounding; the result here is
    /// limited to ±2^30 so that the caller's zero-point addition and clamp give the same value.
    FloatRne {
        /// The real multiplier, in float32.
        scale: f32,
    },
}

impl Default for Requant {
    /// A multiplier of zero: every accumulator maps to 0.
    fn default() -> Self {
        Requant::Mbqm { multiplier: 0, shift: 0 }
    }
}

/// One operator's requantization: one value per output channel (a per-tensor scale broadcast),
/// all of one [`Requant`] variant (a profile requantizes a whole operator one way), stored as
/// arrays so that kernels can specialise their loops for the variant and an output stage over
/// consecutive channels vectorizes (see `with_rescale!`).
#[derive(Debug, Clone, PartialEq)]
pub enum ChannelRequant {
    /// [`Requant::Double`] per channel.
    Double { scale: Vec<f64> },
    /// [`Requant::Mbqm`] per channel.
    Mbqm { multiplier: Vec<i32>, shift: Vec<i32> },
    /// [`Requant::MbqmSingle`] per channel.
    MbqmSingle { multiplier: Vec<i32>, shift: Vec<i32> },
    /// [`Requant::FloatRne`] per channel.
    FloatRne { scale: Vec<f32> },
}

impl Default for ChannelRequant {
    /// No channels.
    fn default() -> Self {
        ChannelRequant::Mbqm { multiplier: Vec::new(), shift: Vec::new() }
    }
}

impl ChannelRequant {
    /// Channels described (the shorter array for the multiplier variants).
    pub fn len(&self) -> usize {
        match self {
            ChannelRequant::Double { scale } => scale.len(),
            ChannelRequant::Mbqm { multiplier, shift } | ChannelRequant::MbqmSingle { multiplier, shift } => {
                multiplier.len().min(shift.len())
            }
            ChannelRequant::FloatRne { scale } => scale.len(),
        }
    }

    /// Whether there are no channels.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Channel `c`'s requantization.
    pub fn get(&self, c: usize) -> Option<Requant> {
        Some(match self {
            ChannelRequant::Double { scale } => Requant::Double { scale: *scale.get(c)? },
            ChannelRequant::Mbqm { multiplier, shift } => {
                Requant::Mbqm { multiplier: *multiplier.get(c)?, shift: *shift.get(c)? }
            }
            ChannelRequant::MbqmSingle { multiplier, shift } => {
                Requant::MbqmSingle { multiplier: *multiplier.get(c)?, shift: *shift.get(c)? }
            }
            ChannelRequant::FloatRne { scale } => Requant::FloatRne { scale: *scale.get(c)? },
        })
    }
}

/// A [`ChannelRequant`] borrowed as one variant, known at compile time: what a kernel's loop is
/// specialised on (`with_rescale!`). `rescale(acc, c)` equals
/// `get(c).apply(acc)`; `c` must be below the channel count (kernels check it on entry).
pub trait Rescale: Copy {
    /// Channel `c`'s [`Requant::apply`].
    fn rescale(&self, acc: i32, c: usize) -> i32;
}

/// [`ChannelRequant::Double`] borrowed.
#[derive(Clone, Copy)]
pub struct DoubleRescale<'a>(pub &'a [f64]);
/// [`ChannelRequant::Mbqm`] borrowed: multipliers, shifts.
#[derive(Clone, Copy)]
pub struct MbqmRescale<'a>(pub &'a [i32], pub &'a [i32]);
/// [`ChannelRequant::MbqmSingle`] borrowed: multipliers, shifts.
#[derive(Clone, Copy)]
pub struct MbqmSingleRescale<'a>(pub &'a [i32], pub &'a [i32]);
/// [`ChannelRequant::FloatRne`] borrowed.
#[derive(Clone, Copy)]
pub struct FloatRneRescale<'a>(pub &'a [f32]);

impl Rescale for DoubleRescale<'_> {
    #[inline(always)]
    fn rescale(&self, acc: i32, c: usize) -> i32 {
        arith::requantize_f64(acc as i64, self.0[c], 0)
    }
}
impl Rescale for MbqmRescale<'_> {
    #[inline(always)]
    fn rescale(&self, acc: i32, c: usize) -> i32 {
        arith::mbqm(acc, self.0[c], self.1[c])
    }
}
impl Rescale for MbqmSingleRescale<'_> {
    #[inline(always)]
    fn rescale(&self, acc: i32, c: usize) -> i32 {
        mbqm_single(acc, self.0[c], self.1[c])
    }
}
impl Rescale for FloatRneRescale<'_> {
    #[inline(always)]
    fn rescale(&self, acc: i32, c: usize) -> i32 {
        float_rne(acc as f32, self.0[c])
    }
}

/// Runs `$body` with `$r` bound to the [`Rescale`] of the [`ChannelRequant`] `$cr` (one
/// monomorphized copy of the body per variant): `with_rescale!(stage.requant, r => imp(r, …))`.
macro_rules! with_rescale {
    ($cr:expr, $r:ident => $body:expr) => {{
        use $crate::kernels::requant as rq;
        match $cr {
            rq::ChannelRequant::Double { scale } => {
                let $r = rq::DoubleRescale(scale);
                $body
            }
            rq::ChannelRequant::Mbqm { multiplier, shift } => {
                let $r = rq::MbqmRescale(multiplier, shift);
                $body
            }
            rq::ChannelRequant::MbqmSingle { multiplier, shift } => {
                let $r = rq::MbqmSingleRescale(multiplier, shift);
                $body
            }
            rq::ChannelRequant::FloatRne { scale } => {
                let $r = rq::FloatRneRescale(scale);
                $body
            }
        }
    }};
}

pub(crate) use with_rescale;

/// The bound of [`Requant::FloatRne`]'s result.
const FLOAT_RNE_LIMIT: f32 = (1u32 << 30) as f32;

impl Requant {
    /// Rescales an int32 accumulator.
    #[inline(always)]
    pub fn apply(&self, acc: i32) -> i32 {
        match *self {
            Requant::Double { scale } => arith::requantize_f64(acc as i64, scale, 0),
            Requant::Mbqm { multiplier, shift } => arith::mbqm(acc, multiplier, shift),
            Requant::MbqmSingle { multiplier, shift } => mbqm_single(acc, multiplier, shift),
            Requant::FloatRne { scale } => float_rne(acc as f32, scale),
        }
    }

    /// Rescales an int64 accumulator (the 16x8 kernels').
    #[inline(always)]
    pub fn apply_i64(&self, acc: i64) -> i32 {
        match *self {
            Requant::Double { scale } => arith::requantize_f64(acc, scale, 0),
            Requant::Mbqm { multiplier, shift } | Requant::MbqmSingle { multiplier, shift } => {
                arith::mbqm_i64(acc, multiplier, shift)
            }
            Requant::FloatRne { scale } => float_rne(acc as f32, scale),
        }
    }
}

/// The single-rounding `MultiplyByQuantizedMultiplier`. |acc·M| ≤ 2^62 and the rounding term is
/// at most 2^61, so the int64 arithmetic cannot overflow; the result is truncated to int32 as
/// the C++ `static_cast` does (TFLite DCHECKs that it fits).
#[inline(always)]
fn mbqm_single(acc: i32, multiplier: i32, shift: i32) -> i32 {
    let total_shift = 31 - shift.clamp(-31, 30);
    let round = 1i64 << (total_shift - 1);
    ((acc as i64 * multiplier as i64 + round) >> total_shift) as i32
}

/// `lrintf(acc·scale)` limited to ±2^30 (NaN, impossible with a finite scale, gives 0).
#[inline(always)]
fn float_rne(acc: f32, scale: f32) -> i32 {
    (acc * scale).round_ties_even().clamp(-FLOAT_RNE_LIMIT, FLOAT_RNE_LIMIT) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    const HALF: i32 = 1 << 30; // 0.5 in Q0.31

    #[test]
    fn double_wraps_requantize_f64() {
        // 22·0.25 = 5.5 → 6, −5.5 → −6 (half away from zero); out of range → i32::MIN.
        let r = Requant::Double { scale: 0.25 };
        assert_eq!(r.apply(22), 6);
        assert_eq!(r.apply(-22), -6);
        assert_eq!(r.apply_i64(1 << 40), i32::MIN); // 2^38 is out of the int32 range
        assert_eq!(Requant::Double { scale: 1.0 }.apply_i64(1 << 40), i32::MIN);
    }

    #[test]
    fn mbqm_is_the_double_rounding_reference() {
        // ×0.25 (M = 0.5, shift −1): 5 → SRDHM 3 (2.5 rounded up) → RDBPOT(3, 1) = 2: the double
        // rounding gives 2 where the exact 1.25 rounds to 1.
        let r = Requant::Mbqm { multiplier: HALF, shift: -1 };
        assert_eq!(r.apply(5), 2);
        // −6·0.25 = −1.5: SRDHM −3 exactly, RDBPOT(−3, 1) = −2 (half away from zero).
        assert_eq!(r.apply(-6), -2);
        assert_eq!(r.apply(5), arith::mbqm(5, HALF, -1));
        assert_eq!(r.apply_i64(5), arith::mbqm_i64(5, HALF, -1));
    }

    #[test]
    fn single_rounding_hand_values() {
        // ×0.5 (shift 0, total shift 31): 3 → (3·2^30 + 2^30) >> 31 = 2; −3 → (−2^31) >> 31 = −1
        // (−1.5 rounds half up).
        let half = Requant::MbqmSingle { multiplier: HALF, shift: 0 };
        assert_eq!(half.apply(3), 2);
        assert_eq!(half.apply(-3), -1);
        // ×0.25 (shift −1, total shift 32): 5 → (5·2^30 + 2^31) >> 32 = 7·2^30 >> 32 = 1 (1.25;
        // the double-rounding Mbqm gives 2).
        let quarter = Requant::MbqmSingle { multiplier: HALF, shift: -1 };
        assert_eq!(quarter.apply(5), 1);
        // −6·0.25 = −1.5 → (−6·2^30 + 2^31) >> 32 = −2^32 >> 32 = −1 (Mbqm: −2).
        assert_eq!(quarter.apply(-6), -1);
        // −3·0.25 = −0.75 → (−2^30) >> 32 = −1.
        assert_eq!(quarter.apply(-3), -1);
        // Left shift: ×2 (M = 0.5, shift 2, total shift 29): 3 → (3·2^30 + 2^28) >> 29 = 6.
        assert_eq!(Requant::MbqmSingle { multiplier: HALF, shift: 2 }.apply(3), 6);
        // The extremes stay in int64: i32::MIN·(2^31 − 1) with shift −31 (total 62):
        // (−2^62 + 2^31 + 2^61) >> 62 = −1.
        let tiny = Requant::MbqmSingle { multiplier: i32::MAX, shift: -31 };
        assert_eq!(tiny.apply(i32::MIN), -1);
        assert_eq!(tiny.apply(i32::MAX), 1); // (2^62 − 2^32 + 1 + 2^61) >> 62 = 1
        // An out-of-range shift is clamped, not a panic.
        assert_eq!(Requant::MbqmSingle { multiplier: HALF, shift: 99 }.apply(0), 0);
        assert_eq!(Requant::MbqmSingle { multiplier: HALF, shift: -99 }.apply(1 << 30), 0);
        // int64 accumulators take TFLite's shared int64 overload.
        assert_eq!(quarter.apply_i64(5), arith::mbqm_i64(5, HALF, -1));
    }

    #[test]
    fn channel_requant_matches_requant() {
        let cr = ChannelRequant::MbqmSingle { multiplier: vec![HALF, HALF], shift: vec![0, -1] };
        assert_eq!(cr.len(), 2);
        assert_eq!(cr.get(1), Some(Requant::MbqmSingle { multiplier: HALF, shift: -1 }));
        assert_eq!(cr.get(2), None);
        let via_macro = |c: usize| with_rescale!(&cr, r => r.rescale(-6, c));
        assert_eq!(via_macro(1), -1);
        assert_eq!(via_macro(0), Requant::MbqmSingle { multiplier: HALF, shift: 0 }.apply(-6));
        let d = ChannelRequant::Double { scale: vec![0.25] };
        assert_eq!(with_rescale!(&d, r => r.rescale(22, 0)), 6);
        let f = ChannelRequant::FloatRne { scale: vec![0.5] };
        assert_eq!(with_rescale!(&f, r => r.rescale(5, 0)), 2);
        assert!(ChannelRequant::default().is_empty());
    }

    #[test]
    fn float_rne_hand_values() {
        let half = Requant::FloatRne { scale: 0.5 };
        // Ties to even: 2.5 → 2, 3.5 → 4, −2.5 → −2, −3.5 → −4 (the reference gives 3, 4, −3, −4).
        assert_eq!(half.apply(5), 2);
        assert_eq!(half.apply(7), 4);
        assert_eq!(half.apply(-5), -2);
        assert_eq!(half.apply(-7), -4);
        // 3·0.25 = 0.75 → 1; 1·0.25 → 0.
        let quarter = Requant::FloatRne { scale: 0.25 };
        assert_eq!(quarter.apply(3), 1);
        assert_eq!(quarter.apply(1), 0);
        // float(2^24 + 1) = 2^24: the accumulator is converted to float32 first.
        assert_eq!(Requant::FloatRne { scale: 1.0 }.apply((1 << 24) + 1), 1 << 24);
        // Beyond ±2^30 the result is limited (XNNPACK clamps before rounding).
        assert_eq!(Requant::FloatRne { scale: 1.0 }.apply(i32::MAX), 1 << 30);
        assert_eq!(Requant::FloatRne { scale: 1.0 }.apply_i64(-(1 << 40)), -(1 << 30));
        assert_eq!(Requant::FloatRne { scale: 0.5 }.apply_i64(7), 4);
    }
}
