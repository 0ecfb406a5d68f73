//! Quantized integer arithmetic: the only place in qlite where rounding happens.
//!
//! Contract: every function here reproduces, bit for bit, the function of TensorFlow Lite's
//! reference kernels (built with double rounding, `TFLITE_SINGLE_ROUNDING` off) or gemmlowp's
//! `fixedpoint.h` that it is named after. Where TFLite would abort on an argument (a `TFLITE_CHECK`),
//! these return an error or saturate instead, and the caller's `prepare` rejects the model or
//! documents what it does. Kernels call these; they never round by themselves.
//!
//! The functions are grouped by topic in the submodules below and re-exported here, so call sites
//! name them `crate::arith::name`:
//! - `multiplier`: TFLite's prepare-time multipliers (`QuantizeMultiplier*`, `frexp`) and
//!   `MultiplyByQuantizedMultiplier` in its variants;
//! - `fixedpoint32`: gemmlowp fixed point on int32 (SRDHM, RDBPOT) and the other roundings of
//!   divisions by powers of two;
//! - `fixedpoint16`: gemmlowp fixed point on int16 (products, shifts, exp/logistic/tanh);
//! - `emul_x86`: what TFLite's x86-64 build computes where C++ is undefined (conversions, shift
//!   counts);
//! - `requant`: float-side (re)quantization (`AffineQuantize`, dequantization, FULLY_CONNECTED's
//!   float requantization, CONCATENATION's rescaling);
//! - `lut`: lookup tables (`LUTPopulate`, `LUTLookup`);
//! - `int16_activations`: the int16 LOGISTIC, TANH and SOFTMAX helpers;
//! - `activation`: fused-activation ranges and the bounds of the quantized RELU family.
//!
//! The larger fixed-point math functions on int32 (exp, 1/(1+x), softmax scaling) are in
//! [`crate::fixedpoint`].

mod activation;
mod emul_x86;
mod fixedpoint16;
mod fixedpoint32;
mod int16_activations;
mod lut;
mod multiplier;
mod requant;

pub use activation::*;
pub use emul_x86::*;
pub use fixedpoint16::*;
pub use fixedpoint32::*;
pub use int16_activations::*;
pub use lut::*;
pub use multiplier::*;
pub use requant::*;
