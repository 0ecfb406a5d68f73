//! What the operators share: operands that are constant or read at invoke ([`operand`]), the
//! quantization parameters and integer element types ([`quant`]), the convolution geometry
//! ([`geometry`], [`padding`]), the checks of shapes, lengths and biases ([`checks`]), and the
//! dynamic-range input quantization of the hybrid kernels ([`hybrid_quant`], not re-exported).
//!
//! Everything else is re-exported here: operators import `crate::ops::common::{...}`. This module
//! depends on no operator, so operators never import each other for a helper.

pub(crate) mod checks;
pub(crate) mod geometry;
pub(crate) mod hybrid_quant;
pub(crate) mod operand;
pub(crate) mod padding;
pub(crate) mod quant;

pub(crate) use checks::*;
pub(crate) use geometry::*;
pub(crate) use operand::*;
pub(crate) use quant::*;
