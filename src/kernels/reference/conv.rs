//! Reference int8 / uint8 CONV_2D (TFLite `reference_integer_ops::ConvPerChannel` and the legacy
//! uint8 `reference_ops::Conv`), via one im2col patch per output pixel and group.

use super::dot::{dot_i16, dot4_i16};
use crate::kernels::conv::ConvParams;
use crate::kernels::{Q8, Rescale, Stage};

/// See [`conv`](crate::kernels::conv). Writes nothing when [`ConvParams::check`] fails.
pub fn conv<T: Q8>(p: &ConvParams<'_>, x: &[T], w: &[i16], bias: Option<&[i32]>, patch: &mut [i16], out: &mut [T]) {
    if !p.check(x.len(), w.len(), bias, patch.len(), out.len()) || out.is_empty() {
        return;
    }
    crate::kernels::requant::with_rescale!(p.out.requant, r => imp(p, p.out.with(r), x, w, bias, patch, out));
}

/// The loop, specialised for the requantization variant.
#[inline(always)]
fn imp<T: Q8, R: Rescale>(
    p: &ConvParams<'_>,
    q: Stage<R>,
    x: &[T],
    w: &[i16],
    bias: Option<&[i32]>,
    patch: &mut [i16],
    out: &mut [T],
) {
    let g = p.geometry;
    let (fc, groups, fpg) = (p.filter_channels, p.groups, p.channels_per_group);
    let k = fh_fw_fc(p);
    // −255..=255 (checked), so x − zp_in fits in i16.
    let in_off = p.input_offset as i16;
    let patch = &mut patch[..k];
    let image = g.in_h * g.in_w * g.in_c;
    let mut opix_chunks = out.chunks_exact_mut(g.out_c.max(1));
    for b in 0..g.batches {
        let xb = &x[b * image..(b + 1) * image];
        for oy in 0..g.out_h {
            for ox in 0..g.out_w {
                let Some(opix) = opix_chunks.next() else { return };
                for grp in 0..groups {
                    g.im2col(xb, (oy, ox), (grp * fc, fc), patch, 0, |v: T| (v.to_i32() as i16).wrapping_add(in_off));
                    let patch = &patch[..];
                    let oc0 = grp * fpg;
                    let mut oc = oc0;
                    while oc + 4 <= oc0 + fpg {
                        let rows = [
                            &w[oc * k..(oc + 1) * k],
                            &w[(oc + 1) * k..(oc + 2) * k],
                            &w[(oc + 2) * k..(oc + 3) * k],
                            &w[(oc + 3) * k..(oc + 4) * k],
                        ];
                        let acc = dot4_i16(rows, patch);
                        for (j, &a) in acc.iter().enumerate() {
                            let a = match bias {
                                Some(bias) => a.wrapping_add(bias[oc + j]),
                                None => a,
                            };
                            opix[oc + j] = T::from_i32(q.apply(a, oc + j));
                        }
                        oc += 4;
                    }
                    while oc < oc0 + fpg {
                        let mut acc = dot_i16(&w[oc * k..(oc + 1) * k], patch);
                        if let Some(bias) = bias {
                            acc = acc.wrapping_add(bias[oc]);
                        }
                        opix[oc] = T::from_i32(q.apply(acc, oc));
                        oc += 1;
                    }
                }
            }
        }
    }
}

/// KH·KW·FC (checked not to overflow by [`ConvParams::check`]).
#[inline(always)]
fn fh_fw_fc(p: &ConvParams<'_>) -> usize {
    p.geometry.fh * p.geometry.fw * p.filter_channels
}
