//! Type conversions: QUANTIZE, DEQUANTIZE and CAST.

pub mod cast;
pub mod dequantize;
pub mod quantize;
