//! The int8 / uint8 FULLY_CONNECTED GEMM: `out[b, u] = stage_u(Σ_d (w[u, d] + filter_offset)·
//! (x[b, d] + input_offset) + bias[u])`, the sum in wrapping int32. Layouts: `x` `[batches][depth]`,
//! `w` `[units][depth]`, `out` `[batches][units]`. TFLite's reference FULLY_CONNECTED uses
//! [`Requant::Double`](super::Requant::Double) stages.

use super::OutputStage;

/// Parameters of an int8 / uint8 FULLY_CONNECTED.
#[derive(Debug, Clone, Copy)]
pub struct FcParams<'a> {
    pub batches: usize,
    pub depth: usize,
    pub units: usize,
    /// −zp_in.
    pub input_offset: i32,
    /// −zp_w (per-tensor uint8 or int8 weights), 0 for per-channel int8 weights.
    pub filter_offset: i32,
    /// Requantization, output zero point and activation range; one per unit.
    pub out: OutputStage<'a>,
}

impl FcParams<'_> {
    /// Whether the slices have the lengths the parameters index.
    pub fn check(&self, x: usize, w: usize, bias: Option<&[i32]>, out: usize) -> bool {
        super::mul(self.batches, self.depth) == Some(x)
            && super::mul(self.units, self.depth) == Some(w)
            && super::mul(self.batches, self.units) == Some(out)
            && super::bias_ok(bias, self.units)
            && self.out.requant.len() == self.units
    }
}

/// `fc(params, x, w, bias, out)`: an int8 or uint8 (`T`) FULLY_CONNECTED.
pub type FcFn<T> = fn(&FcParams<'_>, x: &[T], w: &[T], bias: Option<&[i32]>, out: &mut [T]);
