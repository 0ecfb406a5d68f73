//! Dot products over int16 values (8-bit operands with their offsets applied), in wrapping
//! int32 arithmetic. Wrapping addition is associative, so any summation order, vector width or
//! blocking gives the same result: implementations need not follow the reference's order.

/// `Σ a[i]·b[i]` over the common length, wrapping int32.
pub type DotI16Fn = fn(a: &[i16], b: &[i16]) -> i32;

/// `Σ a_j[i]·b[i]` for four rows `a_0..a_3` against one `b` (the im2col patch loaded once for
/// four output channels), over the common length of all five slices, wrapping int32.
pub type Dot4I16Fn = fn(a: [&[i16]; 4], b: &[i16]) -> [i32; 4];
