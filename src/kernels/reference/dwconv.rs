//! Reference int8 / uint8 DEPTHWISE_CONV_2D (TFLite `reference_integer_ops::DepthwiseConvPerChannel`
//! and the legacy uint8 `reference_ops::DepthwiseConv`).

use crate::kernels::dwconv::DepthwiseParams;
use crate::kernels::{Q8, Rescale, Stage};

/// See [`dwconv`](crate::kernels::dwconv). Writes nothing when [`DepthwiseParams::check`] fails.
pub fn depthwise<T: Q8>(
    p: &DepthwiseParams<'_>,
    x: &[T],
    w: &[i16],
    bias: Option<&[i32]>,
    acc: &mut [i32],
    out: &mut [T],
) {
    if !p.check(x.len(), w.len(), bias, acc.len(), out.len()) || out.is_empty() {
        return;
    }
    crate::kernels::requant::with_rescale!(p.out.requant, r => imp(p, p.out.with(r), x, w, bias, acc, out));
}

/// The loop, specialised for the requantization variant.
#[inline(always)]
fn imp<T: Q8, R: Rescale>(
    p: &DepthwiseParams<'_>,
    q: Stage<R>,
    x: &[T],
    w: &[i16],
    bias: Option<&[i32]>,
    acc: &mut [i32],
    out: &mut [T],
) {
    let g = p.geometry;
    let (ic_n, oc_n, dm) = (g.in_c, g.out_c, p.depth_multiplier);
    // −255..=255 (checked), so x − zp_in fits in i16.
    let off = p.input_offset as i16;
    let acc = &mut acc[..oc_n];
    let image = g.in_h * g.in_w * ic_n;
    let mut opix_chunks = out.chunks_exact_mut(oc_n.max(1));
    for b in 0..g.batches {
        let xb = &x[b * image..(b + 1) * image];
        for oy in 0..g.out_h {
            for ox in 0..g.out_w {
                let Some(opix) = opix_chunks.next() else { return };
                // Start from the bias: wrapping int32 addition is associative, so this equals
                // TFLite's Σ-then-bias.
                match bias {
                    Some(bias) => acc.copy_from_slice(bias),
                    None => acc.fill(0),
                }
                g.for_each_tap(oy, ox, |pix, tap| {
                    let xs = &xb[pix..pix + ic_n];
                    let ws = &w[tap * oc_n..(tap + 1) * oc_n];
                    // int8: |w·(x − zp_in)| ≤ 128·255 fits in i16, so multiply in 16 bits;
                    // uint8: |w − zp_w|, |x − zp_in| ≤ 255, the product needs i32.
                    if dm == 1 {
                        for ((a, &wv), &xv) in acc.iter_mut().zip(ws).zip(xs) {
                            let xo = (xv.to_i32() as i16).wrapping_add(off);
                            let p = if T::SIGNED { wv.wrapping_mul(xo) as i32 } else { wv as i32 * xo as i32 };
                            *a = a.wrapping_add(p);
                        }
                    } else {
                        for ((ac, wc), &xv) in acc.chunks_exact_mut(dm).zip(ws.chunks_exact(dm)).zip(xs) {
                            let xo = (xv.to_i32() as i16).wrapping_add(off);
                            for (a, &wv) in ac.iter_mut().zip(wc) {
                                let p = if T::SIGNED { wv.wrapping_mul(xo) as i32 } else { wv as i32 * xo as i32 };
                                *a = a.wrapping_add(p);
                            }
                        }
                    }
                });
                for (oc, (o, &a)) in opix.iter_mut().zip(acc.iter()).enumerate() {
                    *o = T::from_i32(q.apply(a, oc));
                }
            }
        }
    }
}
