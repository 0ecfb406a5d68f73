//! Reference int8 / uint8 FULLY_CONNECTED (TFLite `reference_integer_ops::FullyConnected` and
//! the legacy uint8 `reference_ops::FullyConnected`, the overloads taking float scales).

use crate::kernels::gemm::FcParams;
use crate::kernels::{Q8, Rescale, Stage};

/// See [`gemm`](crate::kernels::gemm). Writes nothing when [`FcParams::check`] fails.
pub fn fully_connected<T: Q8>(p: &FcParams<'_>, x: &[T], w: &[T], bias: Option<&[i32]>, out: &mut [T]) {
    if !p.check(x.len(), w.len(), bias, out.len()) || p.units == 0 {
        return;
    }
    crate::kernels::requant::with_rescale!(p.out.requant, r => imp(p, p.out.with(r), x, w, bias, out));
}

/// The loop, specialised for the requantization variant.
#[inline(always)]
fn imp<T: Q8, R: Rescale>(p: &FcParams<'_>, q: Stage<R>, x: &[T], w: &[T], bias: Option<&[i32]>, out: &mut [T]) {
    let (depth, units) = (p.depth, p.units);
    for (b, ob) in out.chunks_exact_mut(units).enumerate() {
        let xb = &x[b * depth..(b + 1) * depth];
        for (u, o) in ob.iter_mut().enumerate() {
            let wu = &w[u * depth..(u + 1) * depth];
            let mut acc: i32 = 0;
            for (&xv, &wv) in xb.iter().zip(wu) {
                acc = acc.wrapping_add(
                    wv.to_i32().wrapping_add(p.filter_offset).wrapping_mul(xv.to_i32().wrapping_add(p.input_offset)),
                );
            }
            if let Some(bias) = bias {
                acc = acc.wrapping_add(bias[u]);
            }
            *o = T::from_i32(q.apply(acc, u));
        }
    }
}
