//! Every registered kernel implementation against the reference, bit for bit.
//!
//! For each family of `qlite::kernels`, every table that `dispatch::registered()` yields (one per
//! instruction-set level this CPU supports: SIMD implementations are covered as soon as a `plug`
//! installs them) runs on random shapes and edge values, and its output must equal (`==`) the
//! reference table's. The reference itself is checked against a direct transcription of the
//! formula (no im2col, no blocking, no bias-first accumulation), so a wrong move of the loops
//! would show too.
//!
//! Cases: odd channel counts, depth 1 and large depths, batch > 1, per-tensor and per-channel
//! requantization of every `ChannelRequant` variant, zero points at −128/127 and 0/255, inputs and
//! weights at −128/127 (0/255), padding taps, strides and dilations, groups, biases near the
//! int32 limits (wrapping), narrow activation ranges.

use qlite::kernels::conv::{ConvGeometry, ConvParams};
use qlite::kernels::dispatch::{self, Isa, Kernels, REFERENCE};
use qlite::kernels::dwconv::DepthwiseParams;
use qlite::kernels::gemm::FcParams;
use qlite::kernels::{ChannelRequant, OutputStage, Q8};

mod common;

use common::Rng;

/// The draws these tests make, over the shared xorshift64* generator.
trait Draw {
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64;
    fn usize(&mut self, lo: usize, hi: usize) -> usize {
        self.range(lo as i64, hi as i64) as usize
    }
    fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        v[self.usize(0, v.len() - 1)]
    }
    fn chance(&mut self, percent: u64) -> bool;
    /// A value in `lo..=hi`, at one of the ends a quarter of the time.
    fn edgy(&mut self, lo: i32, hi: i32) -> i32;
}

impl Draw for Rng {
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % ((hi - lo + 1) as u64)) as i64
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
    fn edgy(&mut self, lo: i32, hi: i32) -> i32 {
        match self.next_u64() % 8 {
            0 => lo,
            1 => hi,
            _ => self.range(lo as i64, hi as i64) as i32,
        }
    }
}

fn q8_range<T: Q8>() -> (i32, i32) {
    if T::SIGNED { (-128, 127) } else { (0, 255) }
}

/// A zero point of `T`: the type's ends, its middle, or random.
fn zero_point<T: Q8>(r: &mut Rng) -> i32 {
    let (lo, hi) = q8_range::<T>();
    match r.next_u64() % 4 {
        0 => lo,
        1 => hi,
        2 => (lo + hi + 1) / 2,
        _ => r.range(lo as i64, hi as i64) as i32,
    }
}

fn values<T: Q8>(r: &mut Rng, n: usize) -> Vec<T> {
    let (lo, hi) = q8_range::<T>();
    (0..n).map(|_| T::from_i32(r.edgy(lo, hi))).collect()
}

/// `n` requantization stages of one variant: per-tensor (one value broadcast) or per-channel.
fn requants(r: &mut Rng, n: usize) -> ChannelRequant {
    let variant = r.next_u64() % 4;
    let per_tensor = r.chance(30);
    let mut first = None;
    let mut stages = Vec::new();
    for _ in 0..n {
        let (multiplier, shift) = match first {
            Some(v) if per_tensor => v,
            _ => {
                let m = r.range(1 << 30, i32::MAX as i64) as i32;
                let s = if r.chance(10) { r.range(1, 3) as i32 } else { r.range(-16, 0) as i32 };
                (m, s)
            }
        };
        first = Some((multiplier, shift));
        stages.push((multiplier, shift));
    }
    let scale = |&(m, s): &(i32, i32)| m as f64 / (1u64 << 31) as f64 * 2f64.powi(s);
    match variant {
        0 => ChannelRequant::Mbqm {
            multiplier: stages.iter().map(|v| v.0).collect(),
            shift: stages.iter().map(|v| v.1).collect(),
        },
        1 => ChannelRequant::Double { scale: stages.iter().map(scale).collect() },
        2 => ChannelRequant::MbqmSingle {
            multiplier: stages.iter().map(|v| v.0).collect(),
            shift: stages.iter().map(|v| v.1).collect(),
        },
        _ => ChannelRequant::FloatRne { scale: stages.iter().map(|v| scale(v) as f32).collect() },
    }
}

fn bias(r: &mut Rng, n: usize) -> Option<Vec<i32>> {
    if r.chance(20) {
        return None;
    }
    let big = r.chance(10);
    Some((0..n).map(|_| if big { r.edgy(i32::MIN, i32::MAX) } else { r.range(-(1 << 20), 1 << 20) as i32 }).collect())
}

/// A full or narrowed activation range of `T`, and an output zero point.
fn stage_params<T: Q8>(r: &mut Rng) -> (i32, i32, i32) {
    let (lo, hi) = q8_range::<T>();
    let zp_out = zero_point::<T>(r);
    if r.chance(60) {
        return (zp_out, lo, hi);
    }
    let a = r.range(lo as i64, hi as i64) as i32;
    let b = r.range(lo as i64, hi as i64) as i32;
    (zp_out, a.min(b), a.max(b))
}

/// The tables to check: one per supported level, the reference table first.
fn tables() -> Vec<Kernels> {
    let t: Vec<Kernels> = dispatch::registered().collect();
    assert!(t.first().is_some_and(|k| k.isa == Isa::Scalar && k.slots().iter().all(|s| s.1 == REFERENCE)));
    t
}

// ---------- dot products ----------

fn naive_dot(a: &[i16], b: &[i16]) -> i32 {
    a.iter().zip(b).fold(0i32, |acc, (&x, &y)| acc.wrapping_add(x as i32 * y as i32))
}

#[test]
fn dot_products_match_the_reference() {
    let mut r = Rng(0x1234_5678_9abc_def1);
    let reference = dispatch::reference();
    for case in 0..400usize {
        let n = if case.is_multiple_of(10) { r.usize(1000, 70_000) } else { r.usize(0, 70) };
        let vec = |r: &mut Rng, n| (0..n).map(|_| r.edgy(-255, 255) as i16).collect::<Vec<_>>();
        let b = vec(&mut r, n);
        let rows: Vec<Vec<i16>> = (0..4).map(|_| vec(&mut r, n)).collect();
        let rows4 = [&rows[0][..], &rows[1][..], &rows[2][..], &rows[3][..]];
        let want1 = (reference.dot_i16.f)(&rows[0], &b);
        let want4 = (reference.dot4_i16.f)(rows4, &b);
        assert_eq!(want1, naive_dot(&rows[0], &b));
        assert_eq!(want4, [0, 1, 2, 3].map(|j| naive_dot(&rows[j], &b)));
        for k in tables() {
            assert_eq!((k.dot_i16.f)(&rows[0], &b), want1, "dot_i16 {} ({:?}), n {n}", k.dot_i16.name, k.isa);
            assert_eq!((k.dot4_i16.f)(rows4, &b), want4, "dot4_i16 {} ({:?}), n {n}", k.dot4_i16.name, k.isa);
        }
    }
    // Rows of different lengths: the common length, for every implementation.
    let a: [&[i16]; 4] = [&[1, 2, 3], &[1, 1], &[5, 5, 5, 5], &[2, 2, 2]];
    for k in tables() {
        assert_eq!((k.dot4_i16.f)(a, &[1, 1, 1, 1]), [3, 2, 10, 4]);
        assert_eq!((k.dot_i16.f)(&[3, 4, 5], &[-1, 1]), 1);
    }
}

// ---------- FULLY_CONNECTED ----------

struct FcCase<T> {
    batches: usize,
    depth: usize,
    units: usize,
    input_offset: i32,
    filter_offset: i32,
    stage: (i32, i32, i32),
    requant: ChannelRequant,
    x: Vec<T>,
    w: Vec<T>,
    bias: Option<Vec<i32>>,
}

impl<T: Q8> FcCase<T> {
    fn random(r: &mut Rng, case: usize) -> Self {
        let batches = r.pick(&[1, 1, 2, 3, 5]);
        let depth = match case % 8 {
            0 => 1,
            1 => r.usize(1000, 3000),
            _ => r.usize(1, 67),
        };
        let units = r.pick(&[1, 2, 3, 5, 7, 8, 13, 16, 31]);
        let input_offset = -zero_point::<T>(r);
        // int8 per-channel weights have offset 0; per-tensor int8 and uint8 weights −zp_w.
        let filter_offset = if T::SIGNED && r.chance(50) { 0 } else { -zero_point::<T>(r) };
        FcCase {
            batches,
            depth,
            units,
            input_offset,
            filter_offset,
            stage: stage_params::<T>(r),
            requant: requants(r, units),
            x: values(r, batches * depth),
            w: values(r, units * depth),
            bias: bias(r, units),
        }
    }

    fn params(&self) -> FcParams<'_> {
        let (output_offset, act_min, act_max) = self.stage;
        FcParams {
            batches: self.batches,
            depth: self.depth,
            units: self.units,
            input_offset: self.input_offset,
            filter_offset: self.filter_offset,
            out: OutputStage { requant: &self.requant, output_offset, act_min, act_max },
        }
    }

    fn run(&self, f: qlite::kernels::gemm::FcFn<T>) -> Vec<i32> {
        let mut out = vec![T::from_i32(0x55); self.batches * self.units];
        f(&self.params(), &self.x, &self.w, self.bias.as_deref(), &mut out);
        out.into_iter().map(T::to_i32).collect()
    }

    fn naive(&self) -> Vec<i32> {
        let p = self.params();
        let mut out = Vec::new();
        for b in 0..self.batches {
            for u in 0..self.units {
                let mut acc = 0i32;
                for d in 0..self.depth {
                    let xv = self.x[b * self.depth + d].to_i32() + self.input_offset;
                    let wv = self.w[u * self.depth + d].to_i32() + self.filter_offset;
                    acc = acc.wrapping_add(xv * wv);
                }
                acc = acc.wrapping_add(self.bias.as_ref().map_or(0, |b| b[u]));
                out.push(T::from_i32(p.out.apply(acc, u)).to_i32());
            }
        }
        out
    }
}

fn check_fc<T: Q8>(seed: u64) {
    let mut r = Rng(seed);
    let reference = T::fully_connected(&dispatch::reference());
    for case in 0..300 {
        let c = FcCase::<T>::random(&mut r, case);
        let want = c.run(reference);
        assert_eq!(want, c.naive(), "reference fc, case {case}");
        for k in tables() {
            assert_eq!(c.run(T::fully_connected(&k)), want, "fc ({:?}) case {case}", k.isa);
        }
    }
}

#[test]
fn fully_connected_s8_matches_the_reference() {
    check_fc::<i8>(0xfc58);
}

#[test]
fn fully_connected_u8_matches_the_reference() {
    check_fc::<u8>(0xfc08);
}

// ---------- CONV_2D ----------

struct ConvCase<T> {
    g: ConvGeometry,
    fc: usize,
    groups: usize,
    fpg: usize,
    input_offset: i32,
    stage: (i32, i32, i32),
    requant: ChannelRequant,
    x: Vec<T>,
    /// Widened weights `[OC][KH·KW·FC]` (`w − zp_w`).
    w: Vec<i16>,
    bias: Option<Vec<i32>>,
}

/// A random geometry with `in_c`, `out_c` channels; output sizes are free (taps falling outside
/// the input on either side are skipped).
fn geometry(r: &mut Rng, in_c: usize, out_c: usize, big_filter_ok: bool) -> ConvGeometry {
    let f = |r: &mut Rng| if big_filter_ok { r.usize(1, 3) } else { 1 };
    ConvGeometry {
        batches: r.pick(&[1, 1, 2, 3]),
        in_h: r.usize(1, 6),
        in_w: r.usize(1, 6),
        in_c,
        out_h: r.usize(1, 5),
        out_w: r.usize(1, 5),
        out_c,
        fh: f(r),
        fw: f(r),
        stride_h: r.usize(1, 2),
        stride_w: r.usize(1, 2),
        dil_h: r.usize(1, 2),
        dil_w: r.usize(1, 2),
        pad_h: r.usize(0, 2),
        pad_w: r.usize(0, 2),
    }
}

impl<T: Q8> ConvCase<T> {
    fn random(r: &mut Rng, case: usize) -> Self {
        let large = case.is_multiple_of(10);
        let fc = if large { r.usize(200, 700) } else { r.pick(&[1, 1, 2, 3, 5, 7, 16, 33]) };
        let groups = if large { 1 } else { r.pick(&[1, 1, 1, 2, 3]) };
        let fpg = r.pick(&[1, 2, 3, 4, 5, 7, 8, 9, 13]);
        let g = geometry(r, fc * groups, fpg * groups, !large);
        let k = g.fh * g.fw * fc;
        let oc = g.out_c;
        let w = if T::SIGNED {
            (0..oc * k).map(|_| r.edgy(-128, 127) as i16).collect()
        } else {
            let zp_w = zero_point::<T>(r);
            (0..oc * k).map(|_| (r.edgy(0, 255) - zp_w) as i16).collect()
        };
        ConvCase {
            g,
            fc,
            groups,
            fpg,
            input_offset: -zero_point::<T>(r),
            stage: stage_params::<T>(r),
            requant: requants(r, oc),
            x: values(r, g.input_len()),
            w,
            bias: bias(r, oc),
        }
    }

    fn params(&self) -> ConvParams<'_> {
        let (output_offset, act_min, act_max) = self.stage;
        ConvParams {
            geometry: self.g,
            filter_channels: self.fc,
            groups: self.groups,
            channels_per_group: self.fpg,
            input_offset: self.input_offset,
            out: OutputStage { requant: &self.requant, output_offset, act_min, act_max },
        }
    }

    fn run(&self, f: qlite::kernels::conv::ConvFn<T>) -> Vec<i32> {
        let mut out = vec![T::from_i32(0x55); self.g.output_len()];
        let mut patch = vec![0x5555i16; self.g.fh * self.g.fw * self.fc + 3];
        f(&self.params(), &self.x, &self.w, self.bias.as_deref(), &mut patch, &mut out);
        out.into_iter().map(T::to_i32).collect()
    }

    /// CONV_2D as TFLite's reference writes it: taps outside the input skipped, bias last.
    fn naive(&self) -> Vec<i32> {
        let (g, p) = (&self.g, self.params());
        let k = g.fh * g.fw * self.fc;
        let mut out = Vec::new();
        for b in 0..g.batches {
            for oy in 0..g.out_h {
                for ox in 0..g.out_w {
                    for oc in 0..g.out_c {
                        let grp = oc / self.fpg;
                        let mut acc = 0i32;
                        for fy in 0..g.fh {
                            for fx in 0..g.fw {
                                let iy = (oy * g.stride_h + fy * g.dil_h) as isize - g.pad_h as isize;
                                let ix = (ox * g.stride_w + fx * g.dil_w) as isize - g.pad_w as isize;
                                if iy < 0 || ix < 0 || iy >= g.in_h as isize || ix >= g.in_w as isize {
                                    continue;
                                }
                                for ic in 0..self.fc {
                                    let xi = ((b * g.in_h + iy as usize) * g.in_w + ix as usize) * g.in_c
                                        + grp * self.fc
                                        + ic;
                                    let xv = self.x[xi].to_i32() + self.input_offset;
                                    let wv = self.w[oc * k + (fy * g.fw + fx) * self.fc + ic] as i32;
                                    acc = acc.wrapping_add(xv * wv);
                                }
                            }
                        }
                        acc = acc.wrapping_add(self.bias.as_ref().map_or(0, |b| b[oc]));
                        out.push(T::from_i32(p.out.apply(acc, oc)).to_i32());
                    }
                }
            }
        }
        out
    }
}

fn check_conv<T: Q8>(seed: u64) {
    let mut r = Rng(seed);
    let reference = T::conv(&dispatch::reference());
    for case in 0..250 {
        let c = ConvCase::<T>::random(&mut r, case);
        let want = c.run(reference);
        assert_eq!(want, c.naive(), "reference conv, case {case}: {:?}", c.g);
        for k in tables() {
            assert_eq!(c.run(T::conv(&k)), want, "conv ({:?}) case {case}: {:?}", k.isa, c.g);
        }
    }
}

#[test]
fn conv_s8_matches_the_reference() {
    check_conv::<i8>(0xc0);
}

#[test]
fn conv_u8_matches_the_reference() {
    check_conv::<u8>(0xc1);
}

// ---------- DEPTHWISE_CONV_2D ----------

struct DwCase<T> {
    g: ConvGeometry,
    dm: usize,
    input_offset: i32,
    stage: (i32, i32, i32),
    requant: ChannelRequant,
    x: Vec<T>,
    /// Widened weights `[KH·KW][OC]`: raw int8 values, or `w − zp_w` for uint8.
    w: Vec<i16>,
    bias: Option<Vec<i32>>,
}

impl<T: Q8> DwCase<T> {
    fn random(r: &mut Rng, case: usize) -> Self {
        let ic = if case.is_multiple_of(10) { r.usize(100, 400) } else { r.pick(&[1, 1, 2, 3, 5, 7, 8, 16, 17]) };
        let dm = r.pick(&[1, 1, 1, 2, 3, 4]);
        let g = geometry(r, ic, ic * dm, true);
        let n = g.fh * g.fw * g.out_c;
        let w = if T::SIGNED {
            (0..n).map(|_| r.edgy(-128, 127) as i16).collect()
        } else {
            let zp_w = zero_point::<T>(r);
            (0..n).map(|_| (r.edgy(0, 255) - zp_w) as i16).collect()
        };
        DwCase {
            g,
            dm,
            input_offset: -zero_point::<T>(r),
            stage: stage_params::<T>(r),
            requant: requants(r, g.out_c),
            x: values(r, g.input_len()),
            w,
            bias: bias(r, g.out_c),
        }
    }

    fn params(&self) -> DepthwiseParams<'_> {
        let (output_offset, act_min, act_max) = self.stage;
        DepthwiseParams {
            geometry: self.g,
            depth_multiplier: self.dm,
            input_offset: self.input_offset,
            out: OutputStage { requant: &self.requant, output_offset, act_min, act_max },
        }
    }

    fn run(&self, f: qlite::kernels::dwconv::DepthwiseFn<T>) -> Vec<i32> {
        let mut out = vec![T::from_i32(0x55); self.g.output_len()];
        let mut acc = vec![0x5555_5555i32; self.g.out_c + 2];
        f(&self.params(), &self.x, &self.w, self.bias.as_deref(), &mut acc, &mut out);
        out.into_iter().map(T::to_i32).collect()
    }

    /// DEPTHWISE_CONV_2D as TFLite's reference writes it: Σ over taps inside the input, bias last.
    fn naive(&self) -> Vec<i32> {
        let (g, p) = (&self.g, self.params());
        let mut out = Vec::new();
        for b in 0..g.batches {
            for oy in 0..g.out_h {
                for ox in 0..g.out_w {
                    for oc in 0..g.out_c {
                        let ic = oc / self.dm;
                        let mut acc = 0i32;
                        for fy in 0..g.fh {
                            for fx in 0..g.fw {
                                let iy = (oy * g.stride_h + fy * g.dil_h) as isize - g.pad_h as isize;
                                let ix = (ox * g.stride_w + fx * g.dil_w) as isize - g.pad_w as isize;
                                if iy < 0 || ix < 0 || iy >= g.in_h as isize || ix >= g.in_w as isize {
                                    continue;
                                }
                                let xi = ((b * g.in_h + iy as usize) * g.in_w + ix as usize) * g.in_c + ic;
                                let xv = self.x[xi].to_i32() + self.input_offset;
                                let wv = self.w[(fy * g.fw + fx) * g.out_c + oc] as i32;
                                acc = acc.wrapping_add(xv * wv);
                            }
                        }
                        acc = acc.wrapping_add(self.bias.as_ref().map_or(0, |b| b[oc]));
                        out.push(T::from_i32(p.out.apply(acc, oc)).to_i32());
                    }
                }
            }
        }
        out
    }
}

fn check_dw<T: Q8>(seed: u64) {
    let mut r = Rng(seed);
    let reference = T::depthwise(&dispatch::reference());
    for case in 0..300 {
        let c = DwCase::<T>::random(&mut r, case);
        let want = c.run(reference);
        assert_eq!(want, c.naive(), "reference depthwise, case {case}: {:?} dm {}", c.g, c.dm);
        for k in tables() {
            assert_eq!(c.run(T::depthwise(&k)), want, "depthwise ({:?}) case {case}: {:?}", k.isa, c.g);
        }
    }
}

#[test]
fn depthwise_s8_matches_the_reference() {
    check_dw::<i8>(0xd0);
}

#[test]
fn depthwise_u8_matches_the_reference() {
    check_dw::<u8>(0xd1);
}

// ---------- contract ----------

#[test]
fn inconsistent_lengths_write_nothing_and_never_panic() {
    let mut r = Rng(7);
    for k in tables() {
        let c = ConvCase::<i8>::random(&mut r, 1);
        let mut out = vec![0x55i8; c.g.output_len()];
        let mut patch = vec![0i16; 1]; // too short unless the filter has one tap and channel
        let k_len = c.g.fh * c.g.fw * c.fc;
        let short = &c.x[..c.x.len() - 1];
        (k.conv_s8.f)(&c.params(), short, &c.w, c.bias.as_deref(), &mut patch, &mut out);
        assert!(out.iter().all(|&v| v == 0x55), "conv with a short input wrote");
        if k_len > 1 {
            (k.conv_s8.f)(&c.params(), &c.x, &c.w, c.bias.as_deref(), &mut patch, &mut out);
            assert!(out.iter().all(|&v| v == 0x55), "conv with a short patch wrote");
        }
        let d = DwCase::<u8>::random(&mut r, 1);
        let mut out = vec![0x55u8; d.g.output_len() + 1];
        let mut acc = vec![0i32; d.g.out_c];
        (k.depthwise_u8.f)(&d.params(), &d.x, &d.w, d.bias.as_deref(), &mut acc, &mut out);
        assert!(out.iter().all(|&v| v == 0x55), "depthwise with a long output wrote");
        let f = FcCase::<i8>::random(&mut r, 2);
        let mut out = vec![0x55i8; f.batches * f.units];
        let mut p = f.params();
        let fewer = match &f.requant {
            ChannelRequant::Double { scale } => ChannelRequant::Double { scale: scale[1..].to_vec() },
            ChannelRequant::Mbqm { multiplier, shift } => {
                ChannelRequant::Mbqm { multiplier: multiplier.clone(), shift: shift[1..].to_vec() }
            }
            ChannelRequant::MbqmSingle { multiplier, shift } => {
                ChannelRequant::MbqmSingle { multiplier: multiplier[1..].to_vec(), shift: shift.clone() }
            }
            ChannelRequant::FloatRne { scale } => ChannelRequant::FloatRne { scale: scale[1..].to_vec() },
        };
        p.out.requant = &fewer;
        (k.fc_s8.f)(&p, &f.x, &f.w, f.bias.as_deref(), &mut out);
        assert!(out.iter().all(|&v| v == 0x55), "fc with too few requantization stages wrote");
        // Absurd geometry: overflowing products are refused, not computed.
        let mut huge = c.params();
        huge.geometry.out_h = usize::MAX / 2;
        (k.conv_s8.f)(&huge, &c.x, &c.w, c.bias.as_deref(), &mut patch, &mut out);
    }
}

/// `QLITE_ISA=scalar` makes `best()` the reference table. `best()` is built once per process, so
/// the check runs in a child process (this test binary, filtered to this test) with the
/// variable set.
#[test]
fn qlite_isa_scalar_selects_the_reference_table() {
    const CHILD: &str = "QLITE_CONFORMANCE_CHILD";
    if std::env::var_os(CHILD).is_some() {
        let k = qlite::kernels::best();
        assert_eq!(k.isa, Isa::Scalar);
        for (slot, name) in k.slots() {
            assert_eq!(name, REFERENCE, "slot {slot}");
        }
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args(["--exact", "qlite_isa_scalar_selects_the_reference_table", "--test-threads=1"])
        .env("QLITE_ISA", "scalar")
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "child failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("1 passed"), "the child did not run the test:\n{stdout}");
    // The pure selection rule: a forced level is lowered to what the CPU has.
    assert_eq!(dispatch::select_isa(Some("scalar"), Isa::detect()), Isa::Scalar);
    assert_eq!(dispatch::select_isa(Some("avx512"), Isa::Scalar), Isa::Scalar);
    assert_eq!(dispatch::for_isa(Isa::Avx512).isa, Isa::detect().min(Isa::Avx512));
}
