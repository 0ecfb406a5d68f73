//! Element-wise operators: the binary arithmetic with NumPy broadcasting (`broadcast`),
//! comparisons, logical operators, SELECT and the unary math functions.

pub mod add_sub;
pub mod broadcast;
pub mod comparisons;
pub mod div;
pub mod logical;
pub mod maximum_minimum;
pub mod mul;
pub mod pow;
pub mod select;
pub mod squared_difference;
pub mod unary;
