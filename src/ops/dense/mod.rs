//! Matrix products: FULLY_CONNECTED and BATCH_MATMUL (their hybrid kernels are in `conv::hybrid`).

pub mod batch_matmul;
pub mod fully_connected;
