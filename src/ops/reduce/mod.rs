//! Reductions: MEAN, SUM, REDUCE_MAX/MIN, ARG_MAX/MIN and the 2-D poolings.

pub mod arg_max;
pub mod pooling;
pub mod reduction;
