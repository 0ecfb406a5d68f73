//! Activation functions: the RELU family and LEAKY_RELU, the table-driven LOGISTIC/TANH/ELU/GELU,
//! SOFTMAX, HARD_SWISH and L2_NORMALIZATION.

pub mod hard_swish;
pub mod l2norm;
pub mod lut_activations;
pub mod relu;
pub mod softmax;
