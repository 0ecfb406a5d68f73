//! SELECT and SELECT_V2: `out = condition ? x : y`, element by element.
//!
//! TFLite (`kernels/select.cc`, `reference/select.h`): the condition is bool, `x` and `y` have the
//! same type, which is the output's; the values are copied bit for bit (TFLite dispatches on the
//! element size only), so quantized x, y and output are NOT requantized, whatever their scales.
//! A condition byte is true when non-zero. Shapes:
//! - condition, x, y and the output (as declared in the model) all have one element: the output
//!   keeps its declared shape (a scalar/[1]/[1,1] mix), `out[0] = c[0] ? x[0] : y[0]`;
//! - condition, x and y of the same shape: element-wise;
//! - SELECT (v1) otherwise: x and y must have the same shape (the output's), and the condition
//!   is a scalar (rank 0: all of x or all of y) or of rank 1 with as many elements as x's first
//!   dimension (each slice along dimension 0 comes from x or y);
//! - SELECT_V2 otherwise: NumPy broadcasting of the three shapes, output rank ≤ 8 (TFLite's
//!   limit; ranks 6–8 checked against TFLite 2.21 too).
//!
//! Types: float32, int8, uint8, int16, int32, int64, bool (TFLite accepts any 8/16/32/64-bit
//! type).

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::ops::Scratch;
use crate::ops::{Inputs, Kernel, Outputs, PrepareContext};

/// Most output dimensions for SELECT_V2 broadcasting (TFLite's limit).
const MAX_RANK: usize = 8;

#[derive(Debug, Clone)]
struct Strided {
    rank: usize,
    extent: [usize; MAX_RANK],
    strides: [[usize; MAX_RANK]; 3],
    lens: [usize; 3],
    len: usize,
}

#[derive(Debug, Clone)]
enum Plan {
    /// Element-wise over `n` elements (also the one-element case).
    Elementwise(usize),
    /// SELECT v1 with a low-rank condition: `outer` slices of `inner` elements.
    RankOne { outer: usize, inner: usize },
    /// SELECT_V2 broadcasting: row-major over `extent`, element strides per input (0 when
    /// broadcast).
    Broadcast(Box<Strided>),
}

struct SelectKernel<T> {
    plan: Plan,
    _t: std::marker::PhantomData<fn() -> T>,
}

fn mismatch(what: &str) -> Error {
    Error::Internal(format!("SELECT buffers do not have the planned sizes ({what})"))
}

impl<T: crate::ops::Element + Copy> Kernel for SelectKernel<T> {
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let c = inputs.get::<u8>(0)?;
        let x = inputs.get::<T>(1)?;
        let y = inputs.get::<T>(2)?;
        let out = outputs.get::<T>(0)?;
        match &self.plan {
            Plan::Elementwise(n) => {
                let n = *n;
                if c.len() < n || x.len() < n || y.len() < n || out.len() < n {
                    return Err(mismatch("element-wise"));
                }
                for (((o, &ci), &xi), &yi) in out[..n].iter_mut().zip(&c[..n]).zip(&x[..n]).zip(&y[..n]) {
                    *o = if ci != 0 { xi } else { yi };
                }
            }
            &Plan::RankOne { outer, inner } => {
                let n = outer * inner;
                if c.len() != outer || x.len() != n || y.len() != n || out.len() != n {
                    return Err(mismatch("rank one"));
                }
                if inner == 0 {
                    return Ok(());
                }
                for (((o, &ci), xs), ys) in
                    out.chunks_exact_mut(inner).zip(c).zip(x.chunks_exact(inner)).zip(y.chunks_exact(inner))
                {
                    o.copy_from_slice(if ci != 0 { xs } else { ys });
                }
            }
            Plan::Broadcast(b) => {
                let Strided { rank, extent, strides, lens, len } = &**b;
                if c.len() != lens[0] || x.len() != lens[1] || y.len() != lens[2] || out.len() != *len {
                    return Err(mismatch("broadcast"));
                }
                if *len == 0 {
                    return Ok(());
                }
                let rank = *rank;
                let mut counter = [0usize; MAX_RANK];
                let mut off = [0usize; 3];
                for o in out.iter_mut() {
                    *o = if c[off[0]] != 0 { x[off[1]] } else { y[off[2]] };
                    let mut d = rank;
                    while d > 0 {
                        d -= 1;
                        counter[d] += 1;
                        for (k, v) in off.iter_mut().enumerate() {
                            *v += strides[k][d];
                        }
                        if counter[d] < extent[d] {
                            break;
                        }
                        for (k, v) in off.iter_mut().enumerate() {
                            *v -= strides[k][d] * extent[d];
                        }
                        counter[d] = 0;
                    }
                }
            }
        }
        Ok(())
    }
}

fn elements(s: &[usize]) -> Option<usize> {
    s.iter().try_fold(1usize, |a, &d| a.checked_mul(d))
}

/// NumPy broadcast of three shapes: the output shape and each input's element strides.
fn broadcast3(shapes: [&[usize]; 3]) -> std::result::Result<Plan, String> {
    let rank = shapes.iter().map(|s| s.len()).max().unwrap_or(0);
    if rank > MAX_RANK {
        return Err(format!("output rank {rank} is over {MAX_RANK}"));
    }
    let dim = |s: &[usize], i: usize| if i + s.len() >= rank { s[i + s.len() - rank] } else { 1 };
    let mut extent = [1usize; MAX_RANK];
    for (i, e) in extent.iter_mut().enumerate().take(rank) {
        let mut d = 1;
        for s in shapes {
            let v = dim(s, i);
            if v != 1 {
                if d != 1 && d != v {
                    return Err(format!(
                        "shapes {:?}, {:?} and {:?} cannot be broadcast together",
                        shapes[0], shapes[1], shapes[2]
                    ));
                }
                d = v;
            }
        }
        *e = d;
    }
    let mut strides = [[0usize; MAX_RANK]; 3];
    let mut lens = [0usize; 3];
    for (k, s) in shapes.iter().enumerate() {
        let mut acc = 1usize;
        for i in (0..rank).rev() {
            let v = dim(s, i);
            strides[k][i] = if v == 1 { 0 } else { acc };
            acc = acc.checked_mul(v).ok_or("too many elements")?;
        }
        lens[k] = acc;
    }
    let len = elements(&extent[..rank]).ok_or("too many elements")?;
    Ok(Plan::Broadcast(Box::new(Strided { rank, extent, strides, lens, len })))
}

fn prepare_common<'m>(ctx: &mut PrepareContext<'_, 'm>, v2: bool) -> Result<Box<dyn Kernel + 'm>> {
    ctx.expect_io(3..=3, 1)?;
    let (tc, tx, ty, to) = (ctx.input_dtype(0)?, ctx.input_dtype(1)?, ctx.input_dtype(2)?, ctx.output_dtype(0)?);
    if tc != DType::Bool {
        return Err(ctx.err(format!("condition is {tc}, expected bool")));
    }
    if tx != ty || tx != to {
        return Err(ctx.err(format!("x, y and output types differ: {tx}, {ty}, {to}")));
    }
    let cs = ctx.input_shape(0)?.to_vec();
    let xs = ctx.input_shape(1)?.to_vec();
    let ys = ctx.input_shape(2)?.to_vec();
    let too_big = || ctx.err("too many elements");
    let (nc, nx, ny) =
        (elements(&cs).ok_or_else(too_big)?, elements(&xs).ok_or_else(too_big)?, elements(&ys).ok_or_else(too_big)?);
    let declared = ctx.output(0)?.shape.clone();
    let plan = if nc == 1 && nx == 1 && ny == 1 && elements(&declared) == Some(1) {
        ctx.set_output_shape(0, declared)?;
        Plan::Elementwise(1)
    } else if cs == xs && xs == ys {
        ctx.set_output_shape(0, xs)?;
        Plan::Elementwise(nx)
    } else if !v2 {
        if xs != ys {
            return Err(ctx.err(format!("x {xs:?} and y {ys:?} must have the same shape")));
        }
        let low_rank = cs.is_empty() || (cs.len() == 1 && !xs.is_empty() && cs[0] == xs[0]);
        if !low_rank {
            return Err(ctx.err(format!(
                "condition {cs:?} must be a scalar, x's shape, or [{}]",
                xs.first().copied().unwrap_or(0)
            )));
        }
        let inner = nx.checked_div(nc).unwrap_or(0);
        ctx.set_output_shape(0, xs)?;
        Plan::RankOne { outer: nc, inner }
    } else {
        let plan = broadcast3([&cs, &xs, &ys]).map_err(|e| ctx.err(e))?;
        if let Plan::Broadcast(b) = &plan {
            ctx.set_output_shape(0, b.extent[..b.rank].to_vec())?;
        }
        plan
    };
    macro_rules! kernel {
        ($t:ty) => {
            Box::new(SelectKernel::<$t> { plan, _t: std::marker::PhantomData }) as Box<dyn Kernel + 'm>
        };
    }
    Ok(match tx {
        DType::Bool | DType::Int8 | DType::UInt8 => kernel!(u8),
        DType::Int16 => kernel!(i16),
        DType::Float32 | DType::Int32 => kernel!(u32),
        DType::Int64 => kernel!(i64),
        _ => return Err(ctx.unsupported(format!("unsupported type {tx}"))),
    })
}

/// Prepares SELECT.
pub fn prepare_select<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_common(ctx, false)
}

/// Prepares SELECT_V2.
pub fn prepare_select_v2<'m>(ctx: &mut PrepareContext<'_, 'm>) -> Result<Box<dyn Kernel + 'm>> {
    prepare_common(ctx, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::run_kernel;

    fn run(plan: Plan, c: &[u8], x: &[i32], y: &[i32], n: usize) -> Vec<i32> {
        let k = SelectKernel::<i32> { plan, _t: std::marker::PhantomData };
        let out = run_kernel(&k, &[c, bytemuck::cast_slice(x), bytemuck::cast_slice(y)], &[4 * n]).unwrap();
        bytemuck::pod_collect_to_vec(&out[0])
    }

    #[test]
    fn elementwise_and_rank_one() {
        assert_eq!(run(Plan::Elementwise(3), &[1, 0, 2], &[1, 2, 3], &[7, 8, 9], 3), vec![1, 8, 3]);
        let plan = Plan::RankOne { outer: 2, inner: 2 };
        assert_eq!(run(plan, &[0, 1], &[1, 2, 3, 4], &[5, 6, 7, 8], 4), vec![5, 6, 3, 4]);
        let plan = Plan::RankOne { outer: 1, inner: 3 };
        assert_eq!(run(plan, &[1], &[1, 2, 3], &[5, 6, 7], 3), vec![1, 2, 3]);
    }

    #[test]
    fn three_way_broadcast() {
        // c [2,1], x [3], y [] → out [2,3].
        let plan = broadcast3([&[2, 1], &[3], &[]]).unwrap();
        if let Plan::Broadcast(b) = &plan {
            assert_eq!(&b.extent[..b.rank], &[2, 3]);
        }
        assert_eq!(run(plan, &[1, 0], &[1, 2, 3], &[9], 6), vec![1, 2, 3, 9, 9, 9]);
        // c [3], x [2,1], y [2,3]
        let plan = broadcast3([&[3], &[2, 1], &[2, 3]]).unwrap();
        assert_eq!(run(plan, &[1, 0, 1], &[10, 20], &[1, 2, 3, 4, 5, 6], 6), vec![10, 2, 10, 20, 5, 20]);
        assert!(broadcast3([&[2], &[3], &[1]]).is_err());
        assert!(broadcast3([&[1; 9], &[1], &[1]]).is_err());
        // An empty dimension.
        let plan = broadcast3([&[0, 1], &[3], &[1]]).unwrap();
        assert_eq!(run(plan, &[], &[1, 2, 3], &[9], 0), Vec::<i32>::new());
    }
}
