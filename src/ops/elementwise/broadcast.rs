//! NumPy broadcasting for element-wise binary operators, planned at prepare time.
//!
//! Contract: [`Broadcast::new`] takes the two input shapes and computes the output shape with
//! NumPy's rules (shapes aligned on the right, each pair of dimensions equal or one of them 1;
//! a 0 dimension against 1 gives 0). It then reduces the iteration to the fewest loops: output
//! dimensions of extent 1 are dropped and adjacent dimensions in which each input is either read
//! contiguously or broadcast in the same way are fused; at most [`MAX_RANK`] loops remain for
//! any pair of shapes of rank ≤ 8, and more are refused. (TFLite 2.21's reference kernels for
//! every operator here broadcast up to rank 8 with `BroadcastBinaryOpSimple` and abort beyond;
//! qlite also runs higher ranks whose fused loops fit, e.g. equal shapes of any rank.) [`Broadcast::run`] walks the output in row-major order with an odometer over the outer
//! loops and one tight inner loop (element-wise, or one side held constant), without allocating.
//! Equal shapes become a single element-wise loop; a scalar (or any one-element) side becomes a
//! single loop with that side constant.
//!
//! The visiting order does not matter for results: every binary operator here computes each
//! output element from its two input elements alone. TFLite's reference kernels
//! (`reference/broadcast_loop.h`, `BroadcastBinaryOpSimple`, and the older NdArrayDesc loops)
//! compute the same per-element function on the same element pairs.

use crate::error::{Error, Result};
use crate::ops::Scratch;
use crate::ops::{Inputs, Kernel, Outputs};

/// Most loops a plan may need (TFLite's `BroadcastBinaryOpSimple` allows rank 8).
pub const MAX_RANK: usize = 8;

/// A broadcasting plan for two input shapes.
#[derive(Debug, Clone)]
pub struct Broadcast {
    out_shape: Vec<usize>,
    len_a: usize,
    len_b: usize,
    len_out: usize,
    /// Number of fused loops; the last is the inner loop. 0 for a one-element output.
    loops: usize,
    extent: [usize; MAX_RANK],
    stride_a: [usize; MAX_RANK],
    stride_b: [usize; MAX_RANK],
}

impl Broadcast {
    /// Plans broadcasting `a` against `b`; an error message when the shapes are incompatible.
    pub fn new(a: &[usize], b: &[usize]) -> std::result::Result<Self, String> {
        let rank = a.len().max(b.len());
        let dim = |s: &[usize], i: usize| if i + s.len() >= rank { s[i + s.len() - rank] } else { 1 };
        let mut out_shape = Vec::with_capacity(rank);
        // (output extent, a broadcast, b broadcast) per dimension whose extent is not 1.
        let mut dims: Vec<(usize, bool, bool)> = Vec::with_capacity(rank);
        for i in 0..rank {
            let (da, db) = (dim(a, i), dim(b, i));
            let d = if da == db || db == 1 {
                da
            } else if da == 1 {
                db
            } else {
                return Err(format!("shapes {a:?} and {b:?} cannot be broadcast together"));
            };
            out_shape.push(d);
            if d != 1 {
                dims.push((d, da == 1, db == 1));
            }
        }
        let count = |s: &[usize]| s.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
        let too_big = || format!("shapes {a:?} and {b:?} have too many elements");
        let len_a = count(a).ok_or_else(too_big)?;
        let len_b = count(b).ok_or_else(too_big)?;
        let len_out = count(&out_shape).ok_or_else(too_big)?;

        // Fuse adjacent dimensions with the same broadcast pattern.
        let mut fused: Vec<(usize, bool, bool)> = Vec::with_capacity(dims.len());
        for (d, ba, bb) in dims {
            match fused.last_mut() {
                Some(last) if last.1 == ba && last.2 == bb => last.0 *= d,
                _ => fused.push((d, ba, bb)),
            }
        }
        if fused.len() > MAX_RANK {
            return Err(format!(
                "shapes {a:?} and {b:?} need {} broadcast loops, over the supported {MAX_RANK}",
                fused.len()
            ));
        }
        let mut plan = Broadcast {
            out_shape,
            len_a,
            len_b,
            len_out,
            loops: fused.len(),
            extent: [1; MAX_RANK],
            stride_a: [0; MAX_RANK],
            stride_b: [0; MAX_RANK],
        };
        // Strides in elements, innermost first.
        let (mut acc_a, mut acc_b) = (1usize, 1usize);
        for (i, &(d, ba, bb)) in fused.iter().enumerate().rev() {
            plan.extent[i] = d;
            plan.stride_a[i] = if ba { 0 } else { acc_a };
            plan.stride_b[i] = if bb { 0 } else { acc_b };
            if !ba {
                acc_a *= d;
            }
            if !bb {
                acc_b *= d;
            }
        }
        Ok(plan)
    }

    /// The output shape.
    pub fn output_shape(&self) -> &[usize] {
        &self.out_shape
    }

    /// Number of output elements.
    pub fn output_len(&self) -> usize {
        self.len_out
    }

    /// True when the inputs have the same number of elements as the output and are read in
    /// order (no broadcasting at all).
    pub fn is_elementwise(&self) -> bool {
        self.loops <= 1 && self.len_a == self.len_out && self.len_b == self.len_out
    }

    /// Computes `out[i] = f(a[ia(i)], b[ib(i)])` for every output element in order.
    /// An error (never a panic) when the slices do not have the planned lengths.
    #[inline]
    pub fn run<A: Copy, B: Copy, O>(&self, a: &[A], b: &[B], out: &mut [O], f: impl Fn(A, B) -> O) -> Result<()> {
        if a.len() != self.len_a || b.len() != self.len_b || out.len() != self.len_out {
            return Err(Error::Internal(format!(
                "binary operator buffers have {}, {} and {} elements; planned {}, {} and {}",
                a.len(),
                b.len(),
                out.len(),
                self.len_a,
                self.len_b,
                self.len_out
            )));
        }
        if self.len_out == 0 {
            return Ok(());
        }
        if self.loops == 0 {
            out[0] = f(a[0], b[0]);
            return Ok(());
        }
        let n = self.loops;
        let inner = self.extent[n - 1];
        let (ia, ib) = (self.stride_a[n - 1], self.stride_b[n - 1]);
        let mut counter = [0usize; MAX_RANK];
        let (mut oa, mut ob) = (0usize, 0usize);
        for row in out.chunks_exact_mut(inner) {
            if ia == 0 {
                let x = a[oa];
                for (o, &y) in row.iter_mut().zip(&b[ob..ob + inner]) {
                    *o = f(x, y);
                }
            } else if ib == 0 {
                let y = b[ob];
                for (o, &x) in row.iter_mut().zip(&a[oa..oa + inner]) {
                    *o = f(x, y);
                }
            } else {
                for ((o, &x), &y) in row.iter_mut().zip(&a[oa..oa + inner]).zip(&b[ob..ob + inner]) {
                    *o = f(x, y);
                }
            }
            // Advance the odometer over the outer loops.
            let mut d = n - 1;
            while d > 0 {
                d -= 1;
                counter[d] += 1;
                oa += self.stride_a[d];
                ob += self.stride_b[d];
                if counter[d] < self.extent[d] {
                    break;
                }
                oa -= self.stride_a[d] * self.extent[d];
                ob -= self.stride_b[d] * self.extent[d];
                counter[d] = 0;
            }
        }
        Ok(())
    }
}

/// An element-wise binary kernel: input 0 and input 1 broadcast together, `f` per element,
/// written to output 0.
pub struct BinaryKernel<A, B, O, F> {
    plan: Broadcast,
    f: F,
    _t: std::marker::PhantomData<fn(A, B) -> O>,
}

impl<A, B, O, F> BinaryKernel<A, B, O, F>
where
    A: crate::ops::Element + Copy,
    B: crate::ops::Element + Copy,
    O: crate::ops::Element,
    F: Fn(A, B) -> O + Send + Sync,
{
    /// A kernel running `f` over `plan`.
    pub fn new(plan: Broadcast, f: F) -> Self {
        BinaryKernel { plan, f, _t: std::marker::PhantomData }
    }
}

impl<A, B, O, F> Kernel for BinaryKernel<A, B, O, F>
where
    A: crate::ops::Element + Copy,
    B: crate::ops::Element + Copy,
    O: crate::ops::Element,
    F: Fn(A, B) -> O + Send + Sync,
{
    fn eval(&self, inputs: &Inputs<'_>, outputs: &mut Outputs<'_>, _scratch: &mut Scratch<'_>) -> Result<()> {
        let a = inputs.get::<A>(0)?;
        let b = inputs.get::<B>(1)?;
        let out = outputs.get::<O>(0)?;
        self.plan.run(a, b, out, &self.f)
    }
}

/// Plans the broadcast of inputs 0 and 1 of the operator and sets output 0's shape.
pub fn plan(ctx: &mut crate::ops::PrepareContext<'_, '_>) -> Result<Broadcast> {
    let a = ctx.input_shape(0)?.to_vec();
    let b = ctx.input_shape(1)?.to_vec();
    let plan = Broadcast::new(&a, &b).map_err(|e| ctx.err(e))?;
    ctx.set_output_shape(0, plan.output_shape().to_vec())?;
    Ok(plan)
}

/// TFLite's `ActivationFunctionWithMinMax` on floats: `std::min(std::max(x, lo), hi)`
/// (NaN passes through).
#[inline]
pub fn clamp_f32(x: f32, lo: f32, hi: f32) -> f32 {
    let x = if x < lo { lo } else { x };
    if hi < x { hi } else { x }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference broadcast by explicit multi-indices.
    fn naive(a_shape: &[usize], a: &[i32], b_shape: &[usize], b: &[i32]) -> (Vec<usize>, Vec<(i32, i32)>) {
        let rank = a_shape.len().max(b_shape.len());
        let pad = |s: &[usize]| {
            let mut v = vec![1; rank - s.len()];
            v.extend_from_slice(s);
            v
        };
        let (pa, pb) = (pad(a_shape), pad(b_shape));
        let out: Vec<usize> = pa.iter().zip(&pb).map(|(&x, &y)| if x == 1 { y } else { x }).collect();
        let n: usize = out.iter().product();
        let mut res = Vec::new();
        for flat in 0..n {
            let mut rem = flat;
            let mut idx = vec![0; rank];
            for d in (0..rank).rev() {
                idx[d] = rem % out[d];
                rem /= out[d];
            }
            let off = |s: &[usize]| {
                let mut o = 0;
                for d in 0..rank {
                    o = o * s[d] + if s[d] == 1 { 0 } else { idx[d] };
                }
                o
            };
            res.push((a[off(&pa)], b[off(&pb)]));
        }
        (out, res)
    }

    fn check(a_shape: &[usize], b_shape: &[usize]) {
        let na: usize = a_shape.iter().product();
        let nb: usize = b_shape.iter().product();
        let a: Vec<i32> = (0..na as i32).collect();
        let b: Vec<i32> = (0..nb as i32).map(|v| 1000 + v).collect();
        let plan = Broadcast::new(a_shape, b_shape).unwrap();
        let (shape, want) = naive(a_shape, &a, b_shape, &b);
        assert_eq!(plan.output_shape(), &shape[..], "{a_shape:?} {b_shape:?}");
        let mut got = vec![(0, 0); plan.output_len()];
        plan.run(&a, &b, &mut got, |x, y| (x, y)).unwrap();
        assert_eq!(got, want, "{a_shape:?} {b_shape:?}");
    }

    #[test]
    fn matches_numpy_rules() {
        check(&[1, 4, 4, 3], &[1, 4, 4, 3]);
        check(&[1, 4, 4, 3], &[3]);
        check(&[3], &[1, 4, 4, 3]);
        check(&[1, 4, 4, 3], &[1, 1, 1, 3]);
        check(&[1, 4, 4, 3], &[]);
        check(&[], &[2, 5]);
        check(&[], &[]);
        check(&[1, 4, 1, 3], &[1, 1, 5, 3]);
        check(&[2, 1, 3, 1, 2, 1], &[1, 4, 1, 5, 1, 3]);
        check(&[2, 3, 1], &[2, 1, 4]);
        check(&[5, 1], &[1, 5]);
        check(&[2, 1, 1, 3], &[2, 2, 2, 1]);
        check(&[1, 1, 1, 1, 1, 1, 1, 7], &[2, 1, 2, 1, 2, 1, 2, 1]);
        check(&[4, 1], &[4, 1]);
    }

    #[test]
    fn fuses_loops() {
        let p = Broadcast::new(&[1, 4, 4, 3], &[1, 4, 4, 3]).unwrap();
        assert_eq!(p.loops, 1);
        assert!(p.is_elementwise());
        let p = Broadcast::new(&[1, 4, 4, 3], &[]).unwrap();
        assert_eq!((p.loops, p.stride_b[0]), (1, 0));
        let p = Broadcast::new(&[1, 4, 4, 3], &[1, 1, 1, 1]).unwrap();
        assert_eq!(p.loops, 1);
        assert_eq!(p.output_shape(), &[1, 4, 4, 3]);
        let p = Broadcast::new(&[2, 4, 4, 3], &[3]).unwrap();
        assert_eq!(p.loops, 2);
        assert_eq!(&p.extent[..2], &[32, 3]);
    }

    #[test]
    fn empty_and_invalid() {
        let p = Broadcast::new(&[0, 3], &[1, 3]).unwrap();
        assert_eq!(p.output_shape(), &[0, 3]);
        let mut out: Vec<i32> = vec![];
        p.run(&[] as &[i32], &[1, 2, 3], &mut out, |x, y| x + y).unwrap();
        assert!(Broadcast::new(&[0, 3], &[2, 3]).is_err());
        assert!(Broadcast::new(&[2, 3], &[3, 3]).is_err());
        // Equal shapes of any rank are one loop; 9 alternating broadcast dimensions are refused.
        assert_eq!(Broadcast::new(&[2; 12], &[2; 12]).unwrap().loops, 1);
        assert!(Broadcast::new(&[2, 1, 2, 1, 2, 1, 2, 1, 2], &[1, 2, 1, 2, 1, 2, 1, 2, 1]).is_err());
        let p = Broadcast::new(&[2, 3], &[3]).unwrap();
        let mut out = vec![0; 6];
        assert!(p.run(&[1, 2, 3], &[1, 2, 3], &mut out, |x: i32, y: i32| x + y).is_err());
    }

    #[test]
    fn float_clamp_follows_std_min_max() {
        assert!(clamp_f32(f32::NAN, 0.0, 6.0).is_nan());
        assert_eq!(clamp_f32(f32::INFINITY, f32::MIN, f32::MAX), f32::MAX);
        assert_eq!(clamp_f32(-7.0, 0.0, 6.0), 0.0);
        assert_eq!(clamp_f32(7.0, 0.0, 6.0), 6.0);
        assert!(clamp_f32(-0.0, 0.0, 6.0).is_sign_negative());
    }
}
