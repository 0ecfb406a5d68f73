//! The kernel layer: pure compute over slices, the place SIMD implementations plug into.
//!
//! Contract of every kernel in this module tree:
//! - **Pure functions over slices and small parameter structs.** No TFLite, schema, model or
//!   operator types: nothing here imports `crate::tflite`, `crate::schema`, `crate::model` or
//!   `crate::ops`. Operators (`src/ops/`) keep TFLite's semantics: they validate the model,
//!   compute the parameters (multipliers as [`Requant`], offsets, activation ranges) at prepare,
//!   pick an implementation from [`best()`] and call it at eval.
//! - **Requantization is data.** Kernels receive one [`ChannelRequant`] per operator (one
//!   [`Requant`] per output channel, all of one variant, stored as arrays) and specialise their
//!   loops for the variant, so the same kernel serves TFLite's double-rounding multipliers,
//!   the single-rounding ones, FULLY_CONNECTED's double-precision scales and XNNPACK's float
//!   rounding.
//! - **No allocation.** Scratch space (an im2col patch, accumulators) is passed in by the caller,
//!   which allocates it once at prepare.
//! - **Inputs are validated by the caller** (shapes, zero points, lengths). Each kernel still
//!   checks the slice lengths against its parameters on entry and writes nothing when they
//!   disagree, so a caller bug can give a wrong output but never a panic.
//! - **Results are bit-identical to the reference.** [`reference`](mod@reference) holds the portable
//!   implementations (the operators' former loops), which stay the oracle; any other
//!   implementation registered in [`dispatch`] must produce exactly the same output for every
//!   input (`tests/conformance.rs` runs every registered implementation against the reference
//!   and requires `==`, never a tolerance).
//!
//! Families (one parameter struct and one function type each): [`dot`] (int16 dot products),
//! [`gemm`] (the int8/uint8 FULLY_CONNECTED GEMM), [`conv`] (CONV_2D via im2col) and
//! [`dwconv`] (DEPTHWISE_CONV_2D). [`dispatch`] holds the [`Kernels`] table: filled with the
//! reference once, then overridden slot by slot by what the CPU supports (tract's
//! `generic()`/`plug` pattern); `QLITE_ISA=scalar|avx2|avx512` forces a level.

pub mod conv;
pub mod dispatch;
pub mod dot;
pub mod dwconv;
pub mod gemm;
pub mod reference;
pub mod requant;
#[cfg(target_arch = "x86_64")]
mod x86_64;

pub use dispatch::{Impl, Isa, Kernels, best};
pub use requant::{ChannelRequant, Requant, Rescale};

/// The 8-bit activation types of the int8 and legacy uint8 kernels, with the table slots that
/// serve each.
pub trait Q8: Copy + Send + Sync + 'static {
    /// Whether the type is signed (int8).
    const SIGNED: bool;
    /// Widens to int32.
    fn to_i32(self) -> i32;
    /// C's `static_cast` from int32 (truncation); callers clamp to the type's range first.
    fn from_i32(v: i32) -> Self;
    /// The FULLY_CONNECTED implementation for this type in `k`.
    fn fully_connected(k: &Kernels) -> gemm::FcFn<Self>;
    /// The CONV_2D implementation for this type in `k`.
    fn conv(k: &Kernels) -> conv::ConvFn<Self>;
    /// The DEPTHWISE_CONV_2D implementation for this type in `k`.
    fn depthwise(k: &Kernels) -> dwconv::DepthwiseFn<Self>;
}

impl Q8 for i8 {
    const SIGNED: bool = true;
    #[inline(always)]
    fn to_i32(self) -> i32 {
        self as i32
    }
    #[inline(always)]
    fn from_i32(v: i32) -> Self {
        v as i8
    }
    fn fully_connected(k: &Kernels) -> gemm::FcFn<Self> {
        k.fc_s8.f
    }
    fn conv(k: &Kernels) -> conv::ConvFn<Self> {
        k.conv_s8.f
    }
    fn depthwise(k: &Kernels) -> dwconv::DepthwiseFn<Self> {
        k.depthwise_s8.f
    }
}

impl Q8 for u8 {
    const SIGNED: bool = false;
    #[inline(always)]
    fn to_i32(self) -> i32 {
        self as i32
    }
    #[inline(always)]
    fn from_i32(v: i32) -> Self {
        v as u8
    }
    fn fully_connected(k: &Kernels) -> gemm::FcFn<Self> {
        k.fc_u8.f
    }
    fn conv(k: &Kernels) -> conv::ConvFn<Self> {
        k.conv_u8.f
    }
    fn depthwise(k: &Kernels) -> dwconv::DepthwiseFn<Self> {
        k.depthwise_u8.f
    }
}

/// The output stage shared by the quantized kernels:
/// `min(max(requant[c](acc) + output_offset, act_min), act_max)`, the zero point added with
/// wrapping as TFLite's int32 arithmetic does.
#[derive(Debug, Clone, Copy)]
pub struct OutputStage<'a> {
    /// One requantization per output channel (a per-tensor scale broadcast by the caller).
    pub requant: &'a ChannelRequant,
    /// The output zero point.
    pub output_offset: i32,
    /// The fused activation's range in the output's quantized domain.
    pub act_min: i32,
    /// Upper end of the range (`act_min ≤ act_max`; otherwise TFLite's `min(max(·))` order).
    pub act_max: i32,
}

impl<'a> OutputStage<'a> {
    /// The output value of channel `c` through the generic [`Requant`] (0 for a channel the
    /// requantization does not describe). Kernels use [`OutputStage::with`] in their loops.
    pub fn apply(&self, acc: i32, c: usize) -> i32 {
        let v = self.requant.get(c).map_or(0, |r| r.apply(acc));
        self.clamp(v)
    }

    /// The stage with its requantization borrowed as the [`Rescale`] `r` (from the
    /// crate's `with_rescale!`, which monomorphizes a kernel's loop per variant).
    #[inline(always)]
    pub fn with<R: Rescale>(&self, r: R) -> Stage<R> {
        Stage { r, output_offset: self.output_offset, act_min: self.act_min, act_max: self.act_max }
    }

    #[inline(always)]
    fn clamp(&self, v: i32) -> i32 {
        v.wrapping_add(self.output_offset).max(self.act_min).min(self.act_max)
    }
}

/// An [`OutputStage`] specialised for one requantization variant.
#[derive(Clone, Copy)]
pub struct Stage<R> {
    r: R,
    output_offset: i32,
    act_min: i32,
    act_max: i32,
}

impl<R: Rescale> Stage<R> {
    /// The output value of channel `c` (below the channel count, which kernels check on entry).
    #[inline(always)]
    pub fn apply(&self, acc: i32, c: usize) -> i32 {
        self.r.rescale(acc, c).wrapping_add(self.output_offset).max(self.act_min).min(self.act_max)
    }
}

/// `a·b` as an `Option`, for the kernels' entry checks.
#[inline]
pub(crate) fn mul(a: usize, b: usize) -> Option<usize> {
    a.checked_mul(b)
}

/// Whether an optional bias has `n` values.
#[inline]
pub(crate) fn bias_ok(bias: Option<&[i32]>, n: usize) -> bool {
    bias.is_none_or(|b| b.len() == n)
}
