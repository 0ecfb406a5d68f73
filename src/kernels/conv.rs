//! CONV_2D via im2col on int8 / uint8 activations, and the convolution geometry shared with the
//! depthwise, transpose and hybrid convolutions.
//!
//! Layouts: input `[N, H, W, C]`, weights `[OC][KH·KW·FC]` widened to int16 with the filter
//! offset already added (`w − zp_w`; 0 for int8), output `[N, OH, OW, OC]`. Output channel `oc`
//! of group `g = oc / channels_per_group` reads input channels `g·FC .. (g+1)·FC`.
//! For each output pixel and group, the im2col patch holds `x − zp_in` for the taps inside the
//! input and 0 for the taps outside (so they add nothing, as TFLite's skipped taps), and
//! `acc[oc] = Σ w[oc]·patch (wrapping int32) + bias[oc]`, then the [`OutputStage`].

use super::OutputStage;

/// Spatial geometry of a convolution or depthwise convolution (all sizes in elements).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConvGeometry {
    pub batches: usize,
    pub in_h: usize,
    pub in_w: usize,
    pub in_c: usize,
    pub out_h: usize,
    pub out_w: usize,
    pub out_c: usize,
    /// Filter height and width.
    pub fh: usize,
    pub fw: usize,
    pub stride_h: usize,
    pub stride_w: usize,
    pub dil_h: usize,
    pub dil_w: usize,
    /// Padding before the first row and column.
    pub pad_h: usize,
    pub pad_w: usize,
}

impl ConvGeometry {
    /// Elements of the input (callers have checked that the product fits).
    pub fn input_len(&self) -> usize {
        self.batches * self.in_h * self.in_w * self.in_c
    }

    /// Elements of the output (callers have checked that the product fits).
    pub fn output_len(&self) -> usize {
        self.batches * self.out_h * self.out_w * self.out_c
    }

    /// The input and output element counts, if every product and every input coordinate a
    /// kernel forms (`o·stride + f·dilation`) fits in `usize`; `None` otherwise. Kernels call
    /// this on entry.
    pub fn checked_lens(&self) -> Option<(usize, usize)> {
        let reach = |out: usize, s: usize, f: usize, d: usize| out.checked_mul(s)?.checked_add(f.checked_mul(d)?);
        reach(self.out_h, self.stride_h, self.fh, self.dil_h)?;
        reach(self.out_w, self.stride_w, self.fw, self.dil_w)?;
        let input = [self.in_h, self.in_w, self.in_c].iter().try_fold(self.batches, |a, &d| a.checked_mul(d))?;
        let output = [self.out_h, self.out_w, self.out_c].iter().try_fold(self.batches, |a, &d| a.checked_mul(d))?;
        Some((input, output))
    }

    /// Input row of filter row `fy` for output row `oy`, if inside the input.
    #[inline(always)]
    pub fn in_y(&self, oy: usize, fy: usize) -> Option<usize> {
        let y = (oy * self.stride_h + fy * self.dil_h).checked_sub(self.pad_h)?;
        (y < self.in_h).then_some(y)
    }

    /// Input column of filter column `fx` for output column `ox`, if inside the input.
    #[inline(always)]
    pub fn in_x(&self, ox: usize, fx: usize) -> Option<usize> {
        let x = (ox * self.stride_w + fx * self.dil_w).checked_sub(self.pad_w)?;
        (x < self.in_w).then_some(x)
    }

    /// Calls `f(pix, tap)` for each filter tap `(fy, fx)`, in filter row then column order, that
    /// falls inside the input under output pixel `(oy, ox)`: `pix = (iy·in_w + ix)·in_c` is the
    /// tap's input pixel offset in one image, `tap = fy·fw + fx`.
    #[inline(always)]
    pub fn for_each_tap(&self, oy: usize, ox: usize, mut f: impl FnMut(usize, usize)) {
        for fy in 0..self.fh {
            let Some(iy) = self.in_y(oy, fy) else { continue };
            for fx in 0..self.fw {
                let Some(ix) = self.in_x(ox, fx) else { continue };
                f((iy * self.in_w + ix) * self.in_c, fy * self.fw + fx);
            }
        }
    }

    /// im2col: fills `patch` (`fh·fw·fc` values, filter row, filter column, channel) with the
    /// input channels `c0..c0 + fc` of one image `xb` under output pixel `(oy, ox)`, each
    /// converted by `f`; taps outside the input are `pad`. `xb` holds one image and
    /// `c0 + fc ≤ in_c`.
    #[inline(always)]
    pub fn im2col<X: Copy, P: Copy>(
        &self,
        xb: &[X],
        (oy, ox): (usize, usize),
        (c0, fc): (usize, usize),
        patch: &mut [P],
        pad: P,
        f: impl Fn(X) -> P,
    ) {
        let mut p = 0;
        for fy in 0..self.fh {
            let iy = self.in_y(oy, fy);
            for fx in 0..self.fw {
                let dst = &mut patch[p..p + fc];
                p += fc;
                match (iy, self.in_x(ox, fx)) {
                    (Some(iy), Some(ix)) => {
                        let s = (iy * self.in_w + ix) * self.in_c + c0;
                        for (d, &v) in dst.iter_mut().zip(&xb[s..s + fc]) {
                            *d = f(v);
                        }
                    }
                    _ => dst.fill(pad),
                }
            }
        }
    }
}

/// Parameters of an int8 / uint8 CONV_2D.
#[derive(Debug, Clone, Copy)]
pub struct ConvParams<'a> {
    pub geometry: ConvGeometry,
    /// Filter input channels FC (`in_c = groups·FC`).
    pub filter_channels: usize,
    pub groups: usize,
    /// Output channels per group (`out_c = groups·channels_per_group`).
    pub channels_per_group: usize,
    /// −zp_in; `x + input_offset` must fit in int16 (−255..=255 for 8-bit zero points).
    pub input_offset: i32,
    /// Requantization, output zero point and activation range; one per output channel.
    pub out: OutputStage<'a>,
}

impl ConvParams<'_> {
    /// Elements of one filter row (one output channel): KH·KW·FC.
    pub fn filter_len(&self) -> Option<usize> {
        self.geometry.fh.checked_mul(self.geometry.fw)?.checked_mul(self.filter_channels)
    }

    /// Whether the parameters are consistent and the slices have the lengths they index:
    /// `x` the input, `w` `[OC][KH·KW·FC]`, the bias `OC` values, `patch` at least one filter
    /// row, `out` the output.
    pub fn check(&self, x: usize, w: usize, bias: Option<&[i32]>, patch: usize, out: usize) -> bool {
        let g = &self.geometry;
        let (Some((input, output)), Some(k)) = (g.checked_lens(), self.filter_len()) else { return false };
        super::mul(self.groups, self.filter_channels) == Some(g.in_c)
            && super::mul(self.groups, self.channels_per_group) == Some(g.out_c)
            && (-255..=255).contains(&self.input_offset)
            && x == input
            && out == output
            && super::mul(g.out_c, k) == Some(w)
            && patch >= k
            && super::bias_ok(bias, g.out_c)
            && self.out.requant.len() == g.out_c
    }
}

/// `conv(params, x, w, bias, patch, out)`: an int8 or uint8 (`T`) CONV_2D; `patch` is scratch
/// of at least KH·KW·FC values.
pub type ConvFn<T> = fn(&ConvParams<'_>, x: &[T], w: &[i16], bias: Option<&[i32]>, patch: &mut [i16], out: &mut [T]);
