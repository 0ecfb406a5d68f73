//! Recurrent operators: UNIDIRECTIONAL_SEQUENCE_LSTM and SVDF.

pub mod lstm;
pub mod svdf;
