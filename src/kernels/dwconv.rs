//! The int8 / uint8 DEPTHWISE_CONV_2D: output channel `oc = ic·depth_multiplier + m` reads input
//! channel `ic`; `acc[oc] = bias[oc] + Σ_{taps inside the input} w[tap][oc]·(x[tap][ic] +
//! input_offset)` in wrapping int32, then the [`OutputStage`]. Layouts: input `[N, H, W, IC]`,
//! weights `[KH·KW][OC]` widened to int16 with the filter offset added (`w − zp_w` for uint8;
//! the raw int8 values for int8, whose filter zero point TFLite ignores), output
//! `[N, OH, OW, OC]`.

use super::OutputStage;
use super::conv::ConvGeometry;

/// Parameters of an int8 / uint8 DEPTHWISE_CONV_2D.
#[derive(Debug, Clone, Copy)]
pub struct DepthwiseParams<'a> {
    /// `out_c = in_c·depth_multiplier`.
    pub geometry: ConvGeometry,
    pub depth_multiplier: usize,
    /// −zp_in; `x + input_offset` must lie in −255..=255. For int8 the weights must be the raw
    /// int8 values (−128..=127), so that each product fits in int16.
    pub input_offset: i32,
    /// Requantization, output zero point and activation range; one per output channel.
    pub out: OutputStage<'a>,
}

impl DepthwiseParams<'_> {
    /// Whether the parameters are consistent and the slices have the lengths they index:
    /// `x` the input, `w` KH·KW·OC, the bias OC, `acc` scratch at least OC, `out` the output.
    pub fn check(&self, x: usize, w: usize, bias: Option<&[i32]>, acc: usize, out: usize) -> bool {
        let g = &self.geometry;
        let Some((input, output)) = g.checked_lens() else { return false };
        self.depth_multiplier > 0
            && super::mul(g.in_c, self.depth_multiplier) == Some(g.out_c)
            && (-255..=255).contains(&self.input_offset)
            && x == input
            && out == output
            && super::mul(g.fh, g.fw).and_then(|t| super::mul(t, g.out_c)) == Some(w)
            && acc >= g.out_c
            && super::bias_ok(bias, g.out_c)
            && self.out.requant.len() == g.out_c
    }
}

/// `depthwise(params, x, w, bias, acc, out)`: an int8 or uint8 (`T`) DEPTHWISE_CONV_2D; `acc`
/// is scratch of at least OC values.
pub type DepthwiseFn<T> =
    fn(&DepthwiseParams<'_>, x: &[T], w: &[i16], bias: Option<&[i32]>, acc: &mut [i32], out: &mut [T]);
