//! Convolutions: CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV, and the hybrid (float activations,
//! int8 weights) kernels of CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and BATCH_MATMUL.

pub mod conv2d;
pub mod depthwise;
pub mod hybrid;
pub mod transpose;
