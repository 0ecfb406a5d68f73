//! SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND: move blocks of the spatial axes to and from the
//! batch axis. Values are copied unchanged (any 8/16/32/64-bit type, as TFLite's kernels, which
//! switch on the element size: float32, int8, uint8, int16, int32, int64, ...).
//!
//! Inputs: the data (3-D `[N, H, C]` or 4-D `[N, H, W, C]`), then two constant int32 tensors:
//! `block_shape` `[S]` and `paddings` / `crops` `[S, 2]`, with S = rank − 2 spatial axes. A 3-D
//! tensor is handled as `[N, H, 1, C]` with block width 1 and no left/right padding (TFLite's
//! `ExtendShapeSpaceToBatch`).
//!
//! **SPACE_TO_BATCH_ND** (`reference/space_to_batch_nd.h`): output
//! `[N·bh·bw, (H + pt + pb)/bh, (W + pl + pr)/bw, C]`. Output batch `ob` takes input batch
//! `ob mod N` at block offset `(sh, sw) = ((ob div N) div bw, (ob div N) mod bw)`; output pixel
//! `(oh, ow)` copies input pixel `(oh·bh + sh − pt, ow·bw + sw − pl)` when that lies inside the
//! input, else every byte of the pixel is set to the low byte of the pad value (TFLite's `memset`):
//! the output zero point for 8- and 16-bit types (0 for float32, int32, int64). So int8 pads with
//! the zero point, i.e. the quantized 0.0.
//!
//! **BATCH_TO_SPACE_ND** (`reference/batch_to_space_nd.h`): output
//! `[N/(bh·bw), H·bh − ct − cb, W·bw − cl − cr, C]`; input pixel `(ib, ih, iw)` goes to output
//! batch `ib mod N'` at `(ih·bh + (ib div N') div bw − ct, iw·bw + (ib div N') mod bw − cl)` when
//! that is inside the output (N' = output batches).
//!
//! Checks as TFLite's Prepare (`kernels/space_to_batch_nd.cc`, `kernels/batch_to_space_nd.cc`):
//! rank 3 or 4, same input and output type, int8/uint8/int16 input and output with the same scale
//! and zero point, int16 zero points 0, block shape `[S]` and paddings/crops `[S, 2]`,
//! `(H + pt + pb)` divisible by bh, N divisible by bh·bw, crops ≥ 0.
//! Where TFLite only checks `block ≠ 0` we require block > 0, and we reject negative output
//! dimensions (TFLite would fail to allocate or misbehave). Negative paddings are accepted, as in
//! TFLite: its kernel treats them as crops, reading only inside the input.

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::ops::Scratch;
use crate::ops::{Inputs, Kernel, Outputs, PrepareContext};

/// Validated, 4-D-extended geometry of either operator (all sizes in elements, as isize).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Geometry {
    in_b: isize,
    in_h: isize,
    in_w: isize,
    out_b: isize,
    out_h: isize,
    out_w: isize,
    block_h: isize,
    block_w: isize,
    /// Top and left padding (SPACE_TO_BATCH_ND) or crop (BATCH_TO_SPACE_ND).
    top: isize,
    left: isize,
    /// Bytes of one pixel (depth × element size).
    pixel: usize,
}

/// Parameters read from the model, before the operator-specific shape rules.
struct Params {
    in_shape: Vec<usize>,
    block: [i64; 2],
    /// [top, bottom, left, right].
    pads: [i64; 4],
    elem: usize,
    pad_byte: u8,
}

fn params(ctx: &PrepareContext<'_, '_>) -> Result<Params> {
    ctx.expect_io(3..=3, 1)?;
    let in_shape = ctx.input_shape(0)?.to_vec();
    let rank = in_shape.len();
    if !(3..=4).contains(&rank) {
        return Err(ctx.err(format!("input must be 3-D or 4-D, got shape {in_shape:?}")));
    }
    let (ti, to) = (ctx.input_dtype(0)?, ctx.output_dtype(0)?);
    if ti != to {
        return Err(ctx.err(format!("input is {ti}, output is {to}")));
    }
    let elem = match ti.bits() {
        Some(b @ (8 | 16 | 32 | 64)) if ti != DType::String => (b / 8) as usize,
        _ => return Err(ctx.unsupported(format!("unsupported type {ti}"))),
    };
    let qp = |q: Option<&crate::model::Quantization>| -> (f32, i64) {
        q.and_then(|q| Some((*q.scale.first()?, *q.zero_point.first()?))).unwrap_or((0.0, 0))
    };
    let (in_q, out_q) = (qp(ctx.input(0)?.quantization.as_ref()), qp(ctx.output(0)?.quantization.as_ref()));
    if matches!(ti, DType::Int8 | DType::UInt8 | DType::Int16) && in_q != out_q {
        return Err(ctx.err(format!("input quantization {in_q:?} differs from output quantization {out_q:?}")));
    }
    if ti == DType::Int16 && (in_q.1 != 0 || out_q.1 != 0) {
        return Err(ctx.err("int16 zero points must be 0"));
    }
    let spatial = rank - 2;
    for (k, want, what) in [(1, vec![spatial], "block_shape"), (2, vec![spatial, 2], "paddings/crops")] {
        if ctx.input_dtype(k)? != DType::Int32 || ctx.input_shape(k)? != want.as_slice() {
            return Err(ctx.err(format!(
                "{what} must be int32 of shape {want:?}, got {} {:?}",
                ctx.input_dtype(k)?,
                ctx.input_shape(k)?
            )));
        }
    }
    let b: Vec<i64> = ctx.const_input::<i32>(1)?.iter().map(|&v| v as i64).collect();
    let p: Vec<i64> = ctx.const_input::<i32>(2)?.iter().map(|&v| v as i64).collect();
    if b.len() != spatial || p.len() != 2 * spatial {
        return Err(ctx.err("block_shape or paddings/crops has too few values"));
    }
    let (block, pads) = match (&b[..], &p[..]) {
        (&[bh, bw], &[t, bo, l, r]) => ([bh, bw], [t, bo, l, r]),
        (&[bh], &[t, bo]) => ([bh, 1], [t, bo, 0, 0]),
        _ => return Err(ctx.unsupported("unsupported number of spatial axes")),
    };
    if block.iter().any(|&v| v <= 0) {
        return Err(ctx.err(format!("block shape {b:?} must be positive")));
    }
    // TFLite's memset value: the output zero point for 8- and 16-bit types, else 0.
    let pad_byte = if elem <= 2 { out_q.1 as u8 } else { 0 };
    Ok(Params { in_shape, block, pads, elem, pad_byte })
}

/// `[N, H, W, C]` of a 3-D or 4-D shape (W = 1 for 3-D).
fn nhwc(s: &[usize]) -> [usize; 4] {
    if s.len() == 4 { [s[0], s[1], s[2], s[3]] } else { [s[0], s[1], 1, s[2]] }
}

/// The output shape in the input's rank.
fn shape_of_rank(rank: usize, n: usize, h: usize, w: usize, c: usize) -> Vec<usize> {
    if rank == 4 { vec![n, h, w, c] } else { vec![n, h, c] }
}

fn finish<'m>(
    ctx: &mut PrepareContext<'_, 'm>,
    p: &Params,
    out: [i64; 4],
    kernel: fn(Geometry, u8) -> Box<dyn Kernel + 'm>,
) -> Result<Box<dyn Kernel + 'm>> {
    let [n, h, w, c] = nhwc(&p.in_shape);
    let dim = |v: i64| usize::try_from(v).ok().filter(|&v| v <= isize::MAX as usize / 16);
    let (Some(ob), Some(oh), Some(ow)) = (dim(out[0]), dim(out[1]), dim(out[2])) else {
        return Err(ctx.err(format!("invalid output dimensions {:?}", &out[..3])));
    };
    let shape = shape_of_rank(p.in_shape.len(), ob, oh, ow, c);
    ctx.set_output_shape(0, shape)?;
    let g = Geometry {
        in_b: n as isize,
        in_h: h as isize,
        in_w: w as isize,
        out_b: ob as isize,
        out_h: oh as isize,
        out_w: ow as isize,
        block_h: p.block[0] as isize,
        block_w: p.block[1] as isize,
        top: p.pads[0] as isize,
        left: p.pads[2] as isize,
        pixel: c * p.elem,
    };
    // (No products: an empty tensor's other dimensions may be huge.)
    if g.pixel == 0 || [ob, oh, ow].contains(&0) || [n, h, w].contains(&0) {
        return Ok(Box::new(Empty));
    }
    Ok(kernel(g, p.pad_byte))
}

/// Writes nothing: the output (or the input) has no elements.
struct Empty;

impl Kernel for Empty {
    fn eval(&self, _: &Inputs<'_>, _: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        Ok(())
    }
}

fn short(op: &str) -> Error {
    Error::Internal(format!("{op}: tensor buffer smaller than its shape"))
}

struct SpaceToBatch {
    g: Geometry,
    pad_byte: u8,
}

impl Kernel for SpaceToBatch {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let g = self.g;
        let x = inputs.bytes(0);
        let mut pixels = outputs.bytes(0).chunks_exact_mut(g.pixel);
        for ob in 0..g.out_b {
            let ib = ob % g.in_b;
            let shift_w = (ob / g.in_b) % g.block_w;
            let shift_h = (ob / g.in_b) / g.block_w;
            for oh in 0..g.out_h {
                let ih = oh * g.block_h + shift_h - g.top;
                for ow in 0..g.out_w {
                    let iw = ow * g.block_w + shift_w - g.left;
                    let Some(px) = pixels.next() else { return Ok(()) };
                    if (0..g.in_h).contains(&ih) && (0..g.in_w).contains(&iw) {
                        let start = (((ib * g.in_h + ih) * g.in_w + iw) as usize) * g.pixel;
                        px.copy_from_slice(x.get(start..start + g.pixel).ok_or_else(|| short("SPACE_TO_BATCH_ND"))?);
                    } else {
                        px.fill(self.pad_byte);
                    }
                }
            }
        }
        Ok(())
    }
}

struct BatchToSpace {
    g: Geometry,
}

impl Kernel for BatchToSpace {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let g = self.g;
        let x = inputs.bytes(0);
        let out = outputs.bytes(0);
        for ib in 0..g.in_b {
            let ob = ib % g.out_b;
            let offset = ib / g.out_b;
            for ih in 0..g.in_h {
                let oh = ih * g.block_h + offset / g.block_w - g.top;
                if !(0..g.out_h).contains(&oh) {
                    continue;
                }
                for iw in 0..g.in_w {
                    let ow = iw * g.block_w + offset % g.block_w - g.left;
                    if !(0..g.out_w).contains(&ow) {
                        continue;
                    }
                    let src = (((ib * g.in_h + ih) * g.in_w + iw) as usize) * g.pixel;
                    let dst = (((ob * g.out_h + oh) * g.out_w + ow) as usize) * g.pixel;
                    let s = x.get(src..src + g.pixel).ok_or_else(|| short("BATCH_TO_SPACE_ND"))?;
                    out.get_mut(dst..dst + g.pixel).ok_or_else(|| short("BATCH_TO_SPACE_ND"))?.copy_from_slice(s);
                }
            }
        }
        Ok(())
    }
}

/// Prepares SPACE_TO_BATCH_ND.
pub fn prepare_space_to_batch<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    let p = params(ctx)?;
    let [n, h, w, _] = nhwc(&p.in_shape).map(|d| d as i64);
    // Saturating: an overflow is rejected as an invalid output dimension.
    let mut out = [n.saturating_mul(p.block[0]).saturating_mul(p.block[1]), 0, 0, 0];
    for (k, size) in [h, w].into_iter().enumerate() {
        let total = size + p.pads[2 * k] + p.pads[2 * k + 1];
        if total < 0 || total % p.block[k] != 0 {
            return Err(ctx.err(format!(
                "padded size {total} of spatial axis {k} is not a non-negative multiple of the block size {}",
                p.block[k]
            )));
        }
        out[k + 1] = total / p.block[k];
    }
    finish(ctx, &p, out, |g, pad_byte| Box::new(SpaceToBatch { g, pad_byte }))
}

/// Prepares BATCH_TO_SPACE_ND.
pub fn prepare_batch_to_space<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    let p = params(ctx)?;
    if p.pads.iter().any(|&c| c < 0) {
        return Err(ctx.err(format!("crops {:?} must be non-negative", p.pads)));
    }
    let [n, h, w, _] = nhwc(&p.in_shape).map(|d| d as i64);
    let blocks = p.block[0].saturating_mul(p.block[1]);
    if n % blocks != 0 {
        return Err(ctx.err(format!("batch {n} is not a multiple of the block size {blocks}")));
    }
    let out = [
        n / blocks,
        h.saturating_mul(p.block[0]) - p.pads[0] - p.pads[1],
        w.saturating_mul(p.block[1]) - p.pads[2] - p.pads[3],
        0,
    ];
    finish(ctx, &p, out, |g, _| Box::new(BatchToSpace { g }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(k: &mut dyn Kernel, x: &[i8], n_out: usize) -> Vec<i8> {
        let out = crate::ops::run_kernel(k, &[bytemuck::cast_slice(x)], &[n_out]).unwrap();
        bytemuck::cast_slice(&out[0]).to_vec()
    }

    fn geom(i: [isize; 3], o: [isize; 3], block: [isize; 2], tl: [isize; 2], pixel: usize) -> Geometry {
        Geometry {
            in_b: i[0],
            in_h: i[1],
            in_w: i[2],
            out_b: o[0],
            out_h: o[1],
            out_w: o[2],
            block_h: block[0],
            block_w: block[1],
            top: tl[0],
            left: tl[1],
            pixel,
        }
    }

    #[test]
    fn space_to_batch_pads_with_the_zero_point() {
        // [1, 2, 3, 1] with block [2, 2], paddings [[0, 0], [1, 0]] → [4, 1, 2, 1].
        // Padded rows: [p 1 2 3], [p 4 5 6]; block (sh, sw) picks rows sh, columns sw, sw + 2.
        let g = geom([1, 2, 3], [4, 1, 2], [2, 2], [0, 1], 1);
        let mut k = SpaceToBatch { g, pad_byte: (-5i8) as u8 };
        let out = run(&mut k, &[1, 2, 3, 4, 5, 6], 8);
        assert_eq!(out, vec![-5, 2, 1, 3, -5, 5, 4, 6]);
    }

    #[test]
    fn space_to_batch_negative_padding_crops() {
        // 3-D [1, 4, 1] (as [1, 4, 1, 1]) with block [2] and paddings [[-1, 1]]: the padded
        // rows are [2, 3, 4, p] → batches [2, 4] and [3, p].
        let g = geom([1, 4, 1], [2, 2, 1], [2, 1], [-1, 0], 1);
        let mut k = SpaceToBatch { g, pad_byte: 7 };
        assert_eq!(run(&mut k, &[1, 2, 3, 4], 4), vec![2, 4, 3, 7]);
    }

    #[test]
    fn batch_to_space_inverts_space_to_batch_and_crops() {
        // The inverse of the first test: crops [[0, 0], [1, 0]].
        let g = geom([4, 1, 2], [1, 2, 3], [2, 2], [0, 1], 1);
        let mut k = BatchToSpace { g };
        assert_eq!(run(&mut k, &[-5, 2, 1, 3, -5, 5, 4, 6], 6), vec![1, 2, 3, 4, 5, 6]);
        // Two output batches, 3-D, block [2]: input batches 0, 1 → offset 0; 2, 3 → offset 1.
        let g = geom([4, 1, 1], [2, 2, 1], [2, 1], [0, 0], 2);
        let mut k = BatchToSpace { g };
        assert_eq!(run(&mut k, &[1, 1, 2, 2, 3, 3, 4, 4], 8), vec![1, 1, 3, 3, 2, 2, 4, 4]);
    }
}
