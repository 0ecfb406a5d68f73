//! BATCH_MATMUL: `out[..., a, c] = Σ_k lhs[..., a, k]·rhs[..., k, c]` with NumPy broadcasting of
//! the batch dimensions (ranks 2..=5); `adj_x` / `adj_y` transpose the last two dimensions of
//! LHS / RHS first.
//!
//! Contract (TFLite `kernels/batch_matmul.cc`, the only (reference) kernel):
//! - Output shape: broadcast batch dimensions, then `[A, C]`. The accumulation depths must match.
//! - TFLite evaluates `RHSᵀ · LHSᵀ` with `reference_ops::BatchMatMul`: the RHS is transposed to
//!   `[..., C, K]` (once at prepare when constant), the LHS is transposed to `[..., A, K]` when
//!   `adj_x`. When `!adj_x` and both ranks are > 2 and the RHS's third-from-last dimension is 1,
//!   the LHS `[..., Q, R, S]` is viewed as `[..., Q·R, S]` and the RHS `[..., 1, X, Y]` as
//!   `[..., X, Y]` (same values; it matters for the hybrid indexing below). Shapes are extended to
//!   5-D; a batch dimension of size 1 does not advance.
//! - float32: `total = 0; total += rhs·lhs` over k = 0.., stored as is (no activation).
//! - int8 → int8: `acc = Σ (rhs − zp_rhs)·(lhs − zp_lhs)` in wrapping int32;
//!   `out = clamp(MBQM(acc, M, s) + zp_out, −128, 127)` with
//!   `(M, s) = QuantizeMultiplier(double(float(s_lhs·s_rhs)) / double(s_out))`. Only the first
//!   scale and zero point of each tensor are used. int8 → int32: the raw `Σ rhs·lhs` (no offsets).
//! - int16 (int16·int16 or int16·int8 → int16): the same with an int64 accumulator and the int64
//!   MultiplyByQuantizedMultiplier; all zero points must be 0 (as TFLite's prepare requires).
//! - Hybrid (float32 LHS, int8 RHS → float32; `EvalHybrid`): every LHS row of K values (after
//!   the `adj_x` transpose) is quantized (`ops::common::hybrid_quant`: symmetric, or asymmetric with
//!   `asymmetric_quantize_inputs`); per-tensor: `sf[r] *= s_rhs`. Then per output element
//!   `acc = Σ rhs·q` (int32), `acc = (int32)(float(acc) − float(row_sum[c])·float(zp[r]))`
//!   (row_sum = Σ of the RHS row, used even when symmetric with zp = 0, so accumulators beyond
//!   2²⁴ are rounded to float32 and back), `out = 0.0f + (sf[r]·s_rhs[c] or sf[r])·float(acc)`.
//!   **TFLite quirk reproduced**: the batch offsets into the scaling factors / zero points are
//!   `(Σ_d b_d·[lhs dim d ≠ 1])·A + a` and into the row sums `(Σ_d b_d·[rhs dim d ≠ 1])·C + c`
//!   (`reference/batch_matmul.h`), not the row-major batch index: with two or more non-trivial
//!   batch dimensions TFLite dequantizes some batches with another batch's scaling factor.
//!
//! Differences from TFLite: the hybrid row sums are recomputed at every invoke (TFLite computes
//! them once, so a non-constant int8 RHS gets stale sums after the first invoke) and for every
//! RHS matrix (TFLite skips the outermost of five dimensions, leaving those sums uninitialized).

use crate::ops::Scratch;
use std::borrow::Cow;

use crate::arith;
use crate::dtype::DType;
use crate::error::Result;
use crate::ops::common::hybrid_quant;
use crate::ops::common::{buffer, check_len, check_len_mut};
use crate::ops::{Element, Inputs, Kernel, Outputs, PrepareContext, ScratchId};
use crate::tflite;

/// The 5-D iteration of `reference_ops::BatchMatMul` (filter = transposed RHS `[.., C, K]`,
/// input = LHS rows `[.., A, K]`).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Geo {
    bd: [usize; 3],
    /// Element offsets per batch step of the filter and of the input (0 when broadcast).
    fe: [usize; 3],
    ie: [usize; 3],
    c: usize,
    a: usize,
    k: usize,
}

impl Geo {
    /// Calls `f(out_index, filter_row_start, input_row_start, hybrid_row, hybrid_col)` for every
    /// output element, in TFLite's order. `hybrid_row` / `hybrid_col` are TFLite's (quirky) indices
    /// into the per-row scaling factors and the per-column row sums.
    #[inline]
    fn walk(&self, mut f: impl FnMut(usize, usize, usize, usize, usize)) {
        let Geo { bd, fe, ie, c, a, k } = *self;
        let nz = |e: usize| usize::from(e != 0);
        for b0 in 0..bd[0] {
            for b1 in 0..bd[1] {
                for b2 in 0..bd[2] {
                    let fb = b0 * fe[0] + b1 * fe[1] + b2 * fe[2];
                    let ib = b0 * ie[0] + b1 * ie[1] + b2 * ie[2];
                    let ob = ((b0 * bd[1] + b1) * bd[2] + b2) * c * a;
                    let hr = (b0 * nz(ie[0]) + b1 * nz(ie[1]) + b2 * nz(ie[2])) * a;
                    let hc = (b0 * nz(fe[0]) + b1 * nz(fe[1]) + b2 * nz(fe[2])) * c;
                    for j in 0..a {
                        for i in 0..c {
                            f(ob + c * j + i, fb + i * k, ib + j * k, hr + j, hc + i);
                        }
                    }
                }
            }
        }
    }
}

/// `extent` of `reference_ops::batch_matmul`: 0 for a dimension of 1, else the product of the
/// later dimensions.
fn extents(s: &[usize; 5]) -> [usize; 3] {
    let mut e = [0; 3];
    for (d, v) in e.iter_mut().enumerate() {
        *v = if s[d] == 1 { 0 } else { s[d + 1..].iter().product() };
    }
    e
}

fn extend5(s: &[usize]) -> [usize; 5] {
    let mut r = [1; 5];
    r[5 - s.len()..].copy_from_slice(s);
    r
}

/// Transposes the last two dimensions of `mats` matrices `rows × cols` from `src` into `dst`.
fn transpose_last2<T: Copy>(src: &[T], dst: &mut [T], rows: usize, cols: usize) {
    let n = rows * cols;
    if n == 0 {
        return;
    }
    for (s, d) in src.chunks_exact(n).zip(dst.chunks_exact_mut(n)) {
        for r in 0..rows {
            for c in 0..cols {
                d[c * rows + r] = s[r * cols + c];
            }
        }
    }
}

/// Where the `[.., C, K]` filter (transposed RHS) comes from.
enum Filter<'m, U: Element> {
    /// Constant, already in `[.., C, K]` layout.
    Const(Cow<'m, [U]>),
    /// Input 1 used as is (`adj_y`).
    Input,
    /// Input 1 transposed into this scratch region at every invoke (`rows × cols` = K × C).
    Transposed(ScratchId, usize, usize),
}

enum Mode {
    Float,
    /// int8·int8 → int8.
    Int8 {
        lhs_off: i32,
        rhs_off: i32,
        out_off: i32,
        m: i32,
        s: i32,
    },
    /// int8·int8 → int32.
    Int8Raw,
    /// int16·(int16 or int8) → int16, int64 accumulator.
    Int16 {
        lhs_off: i64,
        rhs_off: i64,
        out_off: i32,
        m: i32,
        s: i32,
    },
    Hybrid {
        asymmetric: bool,
        per_channel: Option<Vec<f32>>,
        scale: f32,
    },
}

struct Bmm<'m, T: Element, U: Element> {
    g: Geo,
    mode: Mode,
    lhs_len: usize,
    rhs_len: usize,
    out_len: usize,
    /// `adj_x`: the LHS transposed into this scratch region (`rows × cols` = K × A).
    lhs_t: Option<(ScratchId, usize, usize)>,
    filter: Filter<'m, U>,
    // Hybrid scratch: quantized LHS (i8), scaling factors (f32), zero points (i32).
    q: ScratchId,
    sf: ScratchId,
    zp: ScratchId,
    /// Hybrid row sums of a constant RHS (computed at prepare).
    sums: Vec<i32>,
    /// Hybrid: scratch for the row sums of a non-constant RHS (computed at every invoke).
    sums_input: Option<ScratchId>,
    _t: std::marker::PhantomData<fn() -> T>,
}

/// Widening of an element to the accumulator types.
trait Val: Element + Copy {
    fn i(self) -> i64;
    fn f(self) -> f32;
}
impl Val for f32 {
    fn i(self) -> i64 {
        0
    }
    fn f(self) -> f32 {
        self
    }
}
macro_rules! int_val {
    ($($t:ty),*) => {$(
        impl Val for $t {
            fn i(self) -> i64 {
                self as i64
            }
            fn f(self) -> f32 {
                self as f32
            }
        }
    )*};
}
int_val!(i8, i16);

impl<T: Val, U: Val> Kernel for Bmm<'_, T, U> {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, scratch: &mut Scratch<'_>) -> Result<()> {
        let lhs_in = check_len(inputs.get::<T>(0)?, self.lhs_len, "lhs")?;
        let x: &[T] = match self.lhs_t {
            Some((buf, rows, cols)) => {
                let buf = scratch.get::<T>(buf)?;
                transpose_last2(lhs_in, buf, rows, cols);
                buf
            }
            None => lhs_in,
        };
        let w: &[U] = match &self.filter {
            Filter::Const(c) => c,
            Filter::Input => check_len(inputs.get::<U>(1)?, self.rhs_len, "rhs")?,
            &Filter::Transposed(buf, rows, cols) => {
                let src = check_len(inputs.get::<U>(1)?, self.rhs_len, "rhs")?;
                let buf = scratch.get::<U>(buf)?;
                transpose_last2(src, buf, rows, cols);
                buf
            }
        };
        let g = self.g;
        let k = g.k;
        let n = self.out_len;
        if n == 0 {
            // An empty output: the batch loops could still be huge.
            return Ok(());
        }
        match &self.mode {
            Mode::Float => {
                let out = check_len_mut(outputs.get::<f32>(0)?, n, "output")?;
                g.walk(|o, fr, ir, _, _| {
                    let mut total = 0.0f32;
                    for (&wv, &xv) in w[fr..fr + k].iter().zip(&x[ir..ir + k]) {
                        total += wv.f() * xv.f();
                    }
                    out[o] = total;
                });
            }
            &Mode::Int8 { lhs_off, rhs_off, out_off, m, s } => {
                let out = check_len_mut(outputs.get::<i8>(0)?, n, "output")?;
                g.walk(|o, fr, ir, _, _| {
                    let mut acc = 0i32;
                    for (&wv, &xv) in w[fr..fr + k].iter().zip(&x[ir..ir + k]) {
                        acc = acc.wrapping_add((wv.i() as i32 + rhs_off).wrapping_mul(xv.i() as i32 + lhs_off));
                    }
                    out[o] = arith::mbqm(acc, m, s).wrapping_add(out_off).clamp(-128, 127) as i8;
                });
            }
            Mode::Int8Raw => {
                let out = check_len_mut(outputs.get::<i32>(0)?, n, "output")?;
                g.walk(|o, fr, ir, _, _| {
                    let mut acc = 0i32;
                    for (&wv, &xv) in w[fr..fr + k].iter().zip(&x[ir..ir + k]) {
                        acc = acc.wrapping_add((wv.i() as i32).wrapping_mul(xv.i() as i32));
                    }
                    out[o] = acc;
                });
            }
            &Mode::Int16 { lhs_off, rhs_off, out_off, m, s } => {
                let out = check_len_mut(outputs.get::<i16>(0)?, n, "output")?;
                g.walk(|o, fr, ir, _, _| {
                    let mut acc = 0i64;
                    for (&wv, &xv) in w[fr..fr + k].iter().zip(&x[ir..ir + k]) {
                        acc = acc.wrapping_add((wv.i() + rhs_off).wrapping_mul(xv.i() + lhs_off));
                    }
                    out[o] = arith::mbqm_i64(acc, m, s).wrapping_add(out_off).clamp(-32768, 32767) as i16;
                });
            }
            Mode::Hybrid { asymmetric, per_channel, scale } => {
                let xf: &[f32] = bytemuck::cast_slice(x);
                let wq: &[i8] = bytemuck::cast_slice(w);
                let (q, sf, zp) =
                    (scratch.get::<i8>(self.q)?, scratch.get::<f32>(self.sf)?, scratch.get::<i32>(self.zp)?);
                hybrid_quant::quantize_rows(xf, k, q, sf, zp, *asymmetric);
                if per_channel.is_none() {
                    for v in sf.iter_mut() {
                        *v *= *scale;
                    }
                }
                // (a constant RHS's row sums were computed at prepare)
                let sums: &[i32] = match self.sums_input {
                    Some(id) => {
                        let sums = scratch.get::<i32>(id)?;
                        hybrid_quant::row_sums(wq, k, sums);
                        sums
                    }
                    None => &self.sums,
                };
                let out = check_len_mut(outputs.get::<f32>(0)?, n, "output")?;
                let (nr, nc) = (sf.len(), sums.len());
                let mut bad = false;
                g.walk(|o, fr, ir, hr, hc| {
                    if hr >= nr || hc >= nc {
                        bad = true;
                        return;
                    }
                    let acc = hybrid_quant::dot_i8(&wq[fr..fr + k], &q[ir..ir + k]);
                    let acc = arith::f32_to_i32_x86(acc as f32 - sums[hc] as f32 * zp[hr] as f32);
                    let mut s = sf[hr];
                    if let Some(pc) = per_channel {
                        s *= pc[(hc % g.c.max(1)).min(pc.len() - 1)];
                    }
                    out[o] = 0.0 + s * acc as f32;
                });
                if bad {
                    return Err(crate::error::Error::Internal("batch index out of range".into()));
                }
            }
        }
        Ok(())
    }
}

/// Prepares BATCH_MATMUL.
pub fn prepare<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(2..=2, 1)?;
    let opts = ctx.options::<tflite::BatchMatMulOptions>();
    let adj_x = opts.is_some_and(|o| o.adj_x());
    let adj_y = opts.is_some_and(|o| o.adj_y());
    let asymmetric = opts.is_some_and(|o| o.asymmetric_quantize_inputs());
    let l = ctx.input_shape(0)?.to_vec();
    let r = ctx.input_shape(1)?.to_vec();
    if !(2..=5).contains(&l.len()) || !(2..=5).contains(&r.len()) {
        return Err(ctx.err(format!("ranks must be 2..=5, got {l:?} and {r:?}")));
    }
    let rank = l.len().max(r.len());
    let (le, re) = (extend5(&l), extend5(&r));
    let mut out_shape = Vec::with_capacity(rank);
    for d in 5 - rank..3 {
        let (a, b) = (le[d], re[d]);
        if a != b && a != 1 && b != 1 {
            return Err(ctx.err(format!("batch dimensions of {l:?} and {r:?} do not broadcast")));
        }
        out_shape.push(if a == 1 { b } else { a });
    }
    let (ln, rn) = (l.len(), r.len());
    let (a_dim, k_l) = if adj_x { (l[ln - 1], l[ln - 2]) } else { (l[ln - 2], l[ln - 1]) };
    let (k_r, c_dim) = if adj_y { (r[rn - 1], r[rn - 2]) } else { (r[rn - 2], r[rn - 1]) };
    if k_l != k_r {
        return Err(ctx.err(format!("accumulation depths differ: {l:?} and {r:?} (adj_x {adj_x}, adj_y {adj_y})")));
    }
    out_shape.push(a_dim);
    out_shape.push(c_dim);
    let out_len: usize = out_shape.iter().product();
    ctx.charge_macs(&[out_len, k_l], "BATCH_MATMUL multiply-adds")?;
    ctx.set_output_shape(0, out_shape)?;

    // TFLite's view: compression, then filter [.., C, K] and input [.., K, A] (data [.., A, K]).
    let (mut lv, mut rv) = (l.clone(), r.clone());
    if !adj_x && ln > 2 && rn > 2 && r[rn - 3] == 1 {
        lv = l[..ln - 3].to_vec();
        lv.push(l[ln - 3] * l[ln - 2]);
        lv.push(l[ln - 1]);
        rv = r[..rn - 3].to_vec();
        rv.extend_from_slice(&r[rn - 2..]);
    }
    let mut fshape = rv.clone();
    let fl = fshape.len();
    if !adj_y {
        fshape.swap(fl - 2, fl - 1);
    }
    let mut ishape = lv.clone();
    let il = ishape.len();
    if !adj_x {
        ishape.swap(il - 2, il - 1);
    }
    let (f5, i5) = (extend5(&fshape), extend5(&ishape));
    let mut bd = [0; 3];
    for (d, v) in bd.iter_mut().enumerate() {
        *v = if f5[d] == 1 { i5[d] } else { f5[d] };
    }
    let g = Geo { bd, fe: extents(&f5), ie: extents(&i5), c: f5[3], a: i5[4], k: f5[4] };
    let lhs_len: usize = l.iter().product();
    let rhs_len: usize = r.iter().product();
    let lhs_t_dims = (l[ln - 2], l[ln - 1]);
    let rhs_t_dims = (r[rn - 2], r[rn - 1]);

    let (tl, tr, to) = (ctx.input_dtype(0)?, ctx.input_dtype(1)?, ctx.output_dtype(0)?);
    macro_rules! build {
        ($t:ty, $u:ty, $mode:expr) => {{
            let mode = $mode;
            // The LHS first: its transposed copy is the larger request when both are made.
            let lhs_t = if adj_x {
                Some((ctx.request_scratch::<$t>(lhs_len, "transposed lhs")?, lhs_t_dims.0, lhs_t_dims.1))
            } else {
                None
            };
            let filter: Filter<'m, $u> = if adj_y {
                match ctx.input_value::<$u>(1)? {
                    Some(c) if c.len() != rhs_len => {
                        return Err(ctx.err(format!("rhs holds {} values, its shape needs {rhs_len}", c.len())));
                    }
                    Some(c) => Filter::Const(c),
                    None => Filter::Input,
                }
            } else {
                match ctx.input_value::<$u>(1)? {
                    Some(c) => {
                        if c.len() != rhs_len {
                            return Err(ctx.err(format!("rhs holds {} values, its shape needs {rhs_len}", c.len())));
                        }
                        let mut t = buffer::<$u>(ctx, rhs_len, "transposed rhs")?;
                        transpose_last2(&c, &mut t, rhs_t_dims.0, rhs_t_dims.1);
                        Filter::Const(Cow::Owned(t))
                    }
                    None => Filter::Transposed(
                        ctx.request_scratch::<$u>(rhs_len, "transposed rhs")?,
                        rhs_t_dims.0,
                        rhs_t_dims.1,
                    ),
                }
            };
            let hybrid = matches!(mode, Mode::Hybrid { .. });
            let rows = if hybrid && g.k > 0 { lhs_len / g.k } else { 0 };
            let n_sums = if hybrid && g.k > 0 { rhs_len / g.k } else { 0 };
            let (sums, sums_input) = match (hybrid, &filter) {
                (true, Filter::Const(c)) => {
                    let mut sums = buffer::<i32>(ctx, n_sums, "row sums")?;
                    if g.k > 0 {
                        hybrid_quant::row_sums(bytemuck::cast_slice(&c[..]), g.k, &mut sums);
                    }
                    (sums, None)
                }
                (true, _) => (Vec::new(), Some(ctx.request_scratch::<i32>(n_sums, "row sums")?)),
                (false, _) => (Vec::new(), None),
            };
            let kernel: Box<dyn Kernel + 'm> = Box::new(Bmm::<$t, $u> {
                g,
                mode,
                lhs_len,
                rhs_len,
                out_len,
                lhs_t,
                filter,
                q: ctx.request_scratch::<i8>(if hybrid { lhs_len } else { 0 }, "quantized input")?,
                sf: ctx.request_scratch::<f32>(rows, "scaling factors")?,
                zp: ctx.request_scratch::<i32>(rows, "zero points")?,
                sums,
                sums_input,
                _t: std::marker::PhantomData,
            });
            Ok(kernel)
        }};
    }
    match (tl, tr, to) {
        (DType::Float32, DType::Float32, DType::Float32) => build!(f32, f32, Mode::Float),
        (DType::Float32, DType::Int8, DType::Float32) => {
            let (per_channel, scale) = hybrid_quant::filter_scales(ctx, 1)?;
            if let Some(pc) = &per_channel {
                let qd = ctx.input_quant(1)?.quantized_dimension;
                let want = if adj_y { rn - 2 } else { rn - 1 };
                if pc.len() != c_dim || qd != want {
                    return Err(ctx.err("per-channel RHS scales must run along the output columns"));
                }
            }
            build!(f32, i8, Mode::Hybrid { asymmetric, per_channel, scale })
        }
        (DType::Int8, DType::Int8, DType::Int8) => {
            let (m, s, lhs_off, rhs_off, out_off) = quant_params(ctx)?;
            build!(i8, i8, Mode::Int8 { lhs_off, rhs_off, out_off, m, s })
        }
        (DType::Int8, DType::Int8, DType::Int32) => build!(i8, i8, Mode::Int8Raw),
        (DType::Int16, DType::Int16 | DType::Int8, DType::Int16) => {
            let (m, s, lhs_off, rhs_off, out_off) = quant_params(ctx)?;
            if lhs_off != 0 || rhs_off != 0 || out_off != 0 {
                return Err(ctx.err("int16 BATCH_MATMUL needs zero points 0"));
            }
            let mode = Mode::Int16 { lhs_off: lhs_off as i64, rhs_off: rhs_off as i64, out_off, m, s };
            if tr == DType::Int16 { build!(i16, i16, mode) } else { build!(i16, i8, mode) }
        }
        _ => Err(ctx.unsupported(format!("unsupported types: lhs {tl}, rhs {tr}, output {to}"))),
    }
}

/// (M, shift, −zp_lhs, −zp_rhs, zp_out) of a quantized BATCH_MATMUL (first scale / zero point
/// of each tensor, as TFLite's `params.scale`).
fn quant_params(ctx: &PrepareContext<'_, '_>) -> Result<(i32, i32, i32, i32, i32)> {
    let first = |q: &crate::model::Quantization, what: &str| -> Result<(f32, i32)> {
        match (q.scale.first(), q.zero_point.first()) {
            (Some(&s), Some(&z)) => {
                let z = i32::try_from(z).map_err(|_| ctx.err(format!("{what} zero point out of range")))?;
                Ok((s, z))
            }
            _ => Err(ctx.err(format!("{what} has no scale"))),
        }
    };
    let (sl, zl) = first(ctx.input_quant(0)?, "lhs")?;
    let (sr, zr) = first(ctx.input_quant(1)?, "rhs")?;
    let (so, zo) = first(ctx.output_quant(0)?, "output")?;
    if !(sl.is_finite() && sr.is_finite() && so.is_finite() && so > 0.0) {
        return Err(ctx.err("quantization scales must be finite and the output's positive"));
    }
    let (m, s) = arith::quantize_multiplier((sl * sr) as f64 / so as f64);
    Ok((m, s, -zl, -zr, zo))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geo(l: &[usize], r: &[usize]) -> Geo {
        let (f5, i5) = (extend5(r), extend5(l));
        let mut bd = [0; 3];
        for d in 0..3 {
            bd[d] = if f5[d] == 1 { i5[d] } else { f5[d] };
        }
        Geo { bd, fe: extents(&f5), ie: extents(&i5), c: f5[3], a: i5[4], k: f5[4] }
    }

    #[test]
    fn float_matmul_with_broadcast() {
        // lhs [2, 1, 2] (two 1×2 rows), filter (transposed rhs) [1, 3, 2], broadcast over batch.
        let x = [1.0f32, 2.0, 3.0, 4.0];
        let w = [1.0f32, 0.0, 0.0, 1.0, 1.0, 1.0];
        let k = Bmm::<f32, f32> {
            g: geo(&[2, 2, 1], &[1, 3, 2]),
            mode: Mode::Float,
            lhs_len: 4,
            rhs_len: 6,
            out_len: 6,
            lhs_t: None,
            filter: Filter::Const(Cow::Owned(w.to_vec())),
            q: crate::ops::test_scratch::<i8>(0),
            sf: crate::ops::test_scratch::<f32>(0),
            zp: crate::ops::test_scratch::<i32>(0),
            sums: vec![],
            sums_input: None,
            _t: std::marker::PhantomData,
        };
        let out = crate::ops::run_kernel(&k, &[bytemuck::cast_slice(&x)], &[24]).unwrap();
        let out: &[f32] = bytemuck::cast_slice(&out[0]);
        assert_eq!(out, &[1.0, 2.0, 3.0, 3.0, 4.0, 7.0]);
    }

    #[test]
    fn int8_requantizes_with_offsets() {
        // Filter [2, −1] with zp_rhs 1 → (1, −2); zp_lhs −2 → x + 2. M = 0.5, zp_out 3.
        let (m, s) = arith::quantize_multiplier(0.5);
        let mut k = Bmm::<i8, i8> {
            g: geo(&[2, 1], &[1, 2]),
            mode: Mode::Int8 { lhs_off: 2, rhs_off: -1, out_off: 3, m, s },
            lhs_len: 2,
            rhs_len: 2,
            out_len: 1,
            lhs_t: None,
            filter: Filter::Const(Cow::Owned(vec![2, -1])),
            q: crate::ops::test_scratch::<i8>(0),
            sf: crate::ops::test_scratch::<f32>(0),
            zp: crate::ops::test_scratch::<i32>(0),
            sums: vec![],
            sums_input: None,
            _t: std::marker::PhantomData,
        };
        let run = |k: &mut Bmm<i8, i8>, x: [i8; 2]| -> i8 {
            let out = crate::ops::run_kernel(k, &[bytemuck::cast_slice(&x)], &[1]).unwrap();
            out[0][0] as i8
        };
        // acc = 7 − 6 = 1 → 0.5 → 1 (half away) + 3 = 4.
        assert_eq!(run(&mut k, [5, 1]), 4);
        // acc = −3 − 6 = −9 → SRDHM rounds −4.5 up to −4, + 3 = −1.
        assert_eq!(run(&mut k, [-5, 1]), -1);
        // acc = 127 + 2 − 2·(−128 + 2) = 381 → 190.5 → 191 + 3 → clamped to 127.
        assert_eq!(run(&mut k, [127, -128]), 127);
    }

    #[test]
    fn hybrid_batch_offsets_follow_tflite() {
        // Input rows [2, 3, A=1, K=4] (TFLite's view [2, 3, K, A]) → 5-D [1, 2, 3, 4, 1]: TFLite's scaling-factor row for
        // (b1, b2) is (b1 + b2)·A, not b1·3 + b2.
        let g = geo(&[2, 3, 4, 1], &[1, 4]);
        let mut rows = Vec::new();
        g.walk(|o, _, ir, hr, _| rows.push((o, ir / 4, hr)));
        assert_eq!(rows, vec![(0, 0, 0), (1, 1, 1), (2, 2, 2), (3, 3, 1), (4, 4, 2), (5, 5, 3)]);
    }

    #[test]
    fn transpose_last_two() {
        let src = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
        let mut dst = [0; 12];
        transpose_last2(&src, &mut dst, 2, 3);
        assert_eq!(dst, [1, 4, 2, 5, 3, 6, 7, 10, 8, 11, 9, 12]);
    }
}
