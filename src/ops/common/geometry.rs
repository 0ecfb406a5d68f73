//! The spatial geometry of a convolution or depthwise convolution, built from the model's
//! options (padding, strides, dilations) and checked so that no coordinate the kernels form overflows.

use super::{padding, positive, product};
use crate::error::Result;
use crate::ops::PrepareContext;
use crate::tflite;

/// Spatial geometry of a convolution or depthwise convolution: the kernel layer's
/// [`ConvGeometry`](crate::kernels::conv::ConvGeometry), built here from the model's options.
pub(crate) use crate::kernels::conv::ConvGeometry as Geometry;

impl Geometry {
    /// Output geometry from the input `[N, H, W, C]`, filter size, output channels and options.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        ctx: &PrepareContext<'_, '_>,
        input: [usize; 4],
        fh: usize,
        fw: usize,
        out_c: usize,
        pad: tflite::Padding,
        strides: (i32, i32),
        dilations: (i32, i32),
    ) -> Result<Self> {
        let stride_h = positive(ctx, strides.0, "stride_h")?;
        let stride_w = positive(ctx, strides.1, "stride_w")?;
        let dil_h = positive(ctx, dilations.0, "dilation_h_factor")?;
        let dil_w = positive(ctx, dilations.1, "dilation_w_factor")?;
        let [batches, in_h, in_w, in_c] = input;
        let bad = || ctx.err(format!("unsupported padding {pad:?} or geometry"));
        let ah = padding::axis(pad, in_h, fh, stride_h, dil_h).ok_or_else(bad)?;
        let aw = padding::axis(pad, in_w, fw, stride_w, dil_w).ok_or_else(bad)?;
        // TFLite's VALID size is `(in − eff + stride) / stride` in C (truncating toward zero):
        // negative, a failed prepare, when `eff ≥ in + 2·stride`; otherwise 0 when the filter
        // does not fit (an empty output, as `padding::axis` gives).
        if pad == tflite::Padding::VALID {
            let too_big = |n: usize, f: usize, s: usize, d: usize| {
                (f - 1).saturating_mul(d).saturating_add(1) >= n.saturating_add(s.saturating_mul(2))
            };
            if too_big(in_h, fh, stride_h, dil_h) || too_big(in_w, fw, stride_w, dil_w) {
                return Err(ctx.refused_by_tflite(format!(
                    "VALID filter {fh}×{fw} (dilation {dil_h}×{dil_w}) exceeds the {in_h}×{in_w} input by two strides \
                     or more: TFLite's output size would be negative"
                )));
            }
        }
        let g = Geometry {
            batches,
            in_h,
            in_w,
            in_c,
            out_h: ah.out,
            out_w: aw.out,
            out_c,
            fh,
            fw,
            stride_h,
            stride_w,
            dil_h,
            dil_w,
            pad_h: ah.pad_before,
            pad_w: aw.pad_before,
        };
        // Every input coordinate the kernels form (origin + tap offset) must fit in isize.
        let reach = |out: usize, s: usize, f: usize, d: usize, p: usize| {
            out.checked_mul(s)?.checked_add((f.checked_sub(1)?).checked_mul(d)?)?.checked_add(p)
        };
        if reach(g.out_h, stride_h, fh, dil_h, g.pad_h).is_none_or(|v| v > isize::MAX as usize / 2)
            || reach(g.out_w, stride_w, fw, dil_w, g.pad_w).is_none_or(|v| v > isize::MAX as usize / 2)
        {
            return Err(ctx.err("convolution geometry overflows"));
        }
        product(ctx, &[batches, in_h, in_w, in_c])?;
        product(ctx, &[batches, g.out_h, g.out_w, out_c])?;
        Ok(g)
    }

    /// The output shape.
    pub(crate) fn output_shape(&self) -> Vec<usize> {
        vec![self.batches, self.out_h, self.out_w, self.out_c]
    }
}
