//! Single-precision math functions that reproduce, bit for bit, the C library that TFLite's
//! x86-64 wheels call (glibc 2.36, Debian 12, on a CPU with FMA).
//!
//! Why: TFLite builds its int8 LOGISTIC/TANH/ELU lookup tables and its float32 kernels with
//! `std::exp`, `std::tanh`, `std::expm1`, `std::log` on `float`, i.e. glibc's `expf`, `tanhf`,
//! `expm1f`, `logf`. None of these is correctly rounded (glibc's `expf` differs from the
//! correctly rounded result on 170,648 of the 2^32 inputs), so a different libm (musl, macOS,
//! Windows, or a Rust `libm` crate) would give different tables and different int8 outputs.
//! These ports make qlite's results independent of the platform's libm.
//!
//! Provenance of the algorithms (constants are the published ones):
//! - [`expf`], [`logf`]: Arm's optimized-routines (in glibc since 2.27; MIT / Apache-2.0). They
//!   compute in double. glibc picks an FMA-compiled variant at run time on CPUs with FMA (any
//!   x86-64-v3 machine), where GCC contracted `a*b + c` into fused multiply-adds; the ports use
//!   [`f64::mul_add`] at exactly those places. On a CPU without FMA glibc's `expf` differs from
//!   this port on 2 of the 2^32 inputs.
//! - [`expm1f`], [`tanhf`], [`erfcf`]: the SunPro/FreeBSD float code (glibc ≤ 2.40; permissive Sun notice),
//!   all in float arithmetic. glibc 2.41+ replaced `tanhf` by a correctly rounded one, which
//!   differs from this on a small fraction of inputs (likewise `erfcf` in 2.42).
//!
//! - [`erfc_eigen_packet`], [`erfc_eigen_scalar`], [`exp_eigen_sse`]: not a C library function but
//!   Eigen's float `erfc` and `exp` (MPL-2.0), which TFLite's float GELU uses, in the operation
//!   order of TFLite's SSE4.1 build; checked against TFLite itself (models/fuzz_gelu.py).
//!
//! Verification: `cargo test --release --lib libm -- --ignored` compares every one of the 2^32
//! float inputs against the host C library (on glibc Linux); on the reference machine all five
//! functions agree on all inputs (NaN payloads aside). The normal unit tests pin a set of values
//! taken from glibc.

/// 2^(i/32) table of Arm's `expf`: bits of 2^(i/32) minus i << 47.
const EXP2F_TAB: [u64; 32] = [
    0x3ff0000000000000,
    0x3fefd9b0d3158574,
    0x3fefb5586cf9890f,
    0x3fef9301d0125b51,
    0x3fef72b83c7d517b,
    0x3fef54873168b9aa,
    0x3fef387a6e756238,
    0x3fef1e9df51fdee1,
    0x3fef06fe0a31b715,
    0x3feef1a7373aa9cb,
    0x3feedea64c123422,
    0x3feece086061892d,
    0x3feebfdad5362a27,
    0x3feeb42b569d4f82,
    0x3feeab07dd485429,
    0x3feea47eb03a5585,
    0x3feea09e667f3bcd,
    0x3fee9f75e8ec5f74,
    0x3feea11473eb0187,
    0x3feea589994cce13,
    0x3feeace5422aa0db,
    0x3feeb737b0cdc5e5,
    0x3feec49182a3f090,
    0x3feed503b23e255d,
    0x3feee89f995ad3ad,
    0x3feeff76f2fb5e47,
    0x3fef199bdd85529c,
    0x3fef3720dcef9069,
    0x3fef5818dcfba487,
    0x3fef7c97337b9b5f,
    0x3fefa4afa2a490da,
    0x3fefd0765b6e4540,
];

/// `expf(x)` as glibc 2.36 computes it (FMA variant).
pub fn expf(x: f32) -> f32 {
    const N: f64 = 32.0;
    let inv_ln2_n = f64::from_bits(0x3ff71547652b82fe) * N;
    let shift = f64::from_bits(0x4338000000000000); // 0x1.8p52
    let c0 = f64::from_bits(0x3fac6af84b912394) / N / N / N;
    let c1 = f64::from_bits(0x3fcebfce50fac4f3) / N / N;
    let c2 = f64::from_bits(0x3fe62e42ff0c52d6) / N;

    let abstop = (x.to_bits() >> 20) & 0x7ff;
    if abstop >= (88.0f32.to_bits() >> 20) {
        // |x| >= 88 or NaN.
        if x == f32::NEG_INFINITY {
            return 0.0;
        }
        if abstop >= (f32::INFINITY.to_bits() >> 20) {
            return x + x;
        }
        if x > f32::from_bits(0x42b17217) {
            return f32::INFINITY; // x > log(2^128)
        }
        if x < f32::from_bits(0xc2cff1b4) {
            return 0.0; // x < log(2^-150)
        }
    }
    // x·N/ln2 = k + r, r in [-1/2, 1/2].
    let xd = x as f64;
    let kd_shifted = inv_ln2_n.mul_add(xd, shift);
    let ki = kd_shifted.to_bits();
    let kd = kd_shifted - shift;
    let r = inv_ln2_n.mul_add(xd, -kd);
    // exp(x) = 2^(k/N) · 2^(r/N) ≈ s · (c0·r³ + c1·r² + c2·r + 1).
    let t = EXP2F_TAB[(ki % 32) as usize].wrapping_add(ki << 47);
    let s = f64::from_bits(t);
    let z = c0.mul_add(r, c1);
    let r2 = r * r;
    let y = c2.mul_add(r, 1.0);
    let y = z.mul_add(r2, y);
    (y * s) as f32
}

/// `expm1f(x)` as glibc 2.36 computes it (SunPro float algorithm).
pub fn expm1f(x: f32) -> f32 {
    const HUGE: f32 = 1.0e30;
    const TINY: f32 = 1.0e-30;
    let o_threshold = f32::from_bits(0x42b17180);
    let ln2_hi = f32::from_bits(0x3f317180);
    let ln2_lo = f32::from_bits(0x3717f7d1);
    let inv_ln2 = f32::from_bits(0x3fb8aa3b);
    let q1 = f32::from_bits(0xbd088889);
    let q2 = f32::from_bits(0x3ad00d01);
    let q3 = f32::from_bits(0xb8a670cd);
    let q4 = f32::from_bits(0x36867e54);
    let q5 = f32::from_bits(0xb457edbb);

    let mut x = x;
    let bits = x.to_bits();
    let negative = bits & 0x8000_0000 != 0;
    let hx = bits & 0x7fff_ffff;
    // Huge and non-finite arguments.
    if hx >= 0x4195b844 {
        // |x| >= 27·ln2
        if hx >= 0x42b17218 {
            if hx > 0x7f80_0000 {
                return x + x; // NaN
            }
            if hx == 0x7f80_0000 {
                return if negative { -1.0 } else { x };
            }
            if x > o_threshold {
                return HUGE * HUGE; // overflow
            }
        }
        if negative {
            return TINY - 1.0;
        }
    }
    // Argument reduction: x = k·ln2 + (hi − lo), c = correction.
    let k: i32;
    let mut c = 0.0f32;
    if hx > 0x3eb17218 {
        // |x| > ln2/2
        let (hi, lo);
        if hx < 0x3f851592 {
            // and |x| < 1.5·ln2
            if negative {
                (hi, lo, k) = (x + ln2_hi, -ln2_lo, -1);
            } else {
                (hi, lo, k) = (x - ln2_hi, ln2_lo, 1);
            }
        } else {
            // Truncating conversion, as C's (int) cast; |x| < 89 here.
            k = (inv_ln2 * x + if negative { -0.5 } else { 0.5 }) as i32;
            let t = k as f32;
            hi = x - t * ln2_hi;
            lo = t * ln2_lo;
        }
        x = hi - lo;
        c = (hi - x) - lo;
    } else if hx < 0x3300_0000 {
        // |x| < 2^-25
        let t = HUGE + x;
        return x - (t - (HUGE + x));
    } else {
        k = 0;
    }
    // x is now in the primary range.
    let hfx = 0.5 * x;
    let hxs = x * hfx;
    let r1 = 1.0 + hxs * (q1 + hxs * (q2 + hxs * (q3 + hxs * (q4 + hxs * q5))));
    let t = 3.0 - r1 * hfx;
    let mut e = hxs * ((r1 - t) / (6.0 - x * t));
    if k == 0 {
        return x - (x * e - hxs);
    }
    e = x * (e - c) - c;
    e -= hxs;
    if k == -1 {
        return 0.5 * (x - e) - 0.5;
    }
    if k == 1 {
        return if x < -0.25 { -2.0 * (e - (x + 0.5)) } else { 1.0 + 2.0 * (x - e) };
    }
    let add_exponent = |y: f32| f32::from_bits((y.to_bits() as i32).wrapping_add(k << 23) as u32);
    if k <= -2 || k > 56 {
        let y = 1.0 - (e - x);
        return add_exponent(y) - 1.0;
    }
    if k < 23 {
        let t = f32::from_bits((0x3f80_0000 - (0x0100_0000 >> k)) as u32); // 1 − 2^-k
        add_exponent(t - (e - x))
    } else {
        let t = f32::from_bits(((0x7f - k) << 23) as u32); // 2^-k
        add_exponent((x - (e + t)) + 1.0)
    }
}

/// `tanhf(x)` as glibc 2.36 computes it (SunPro float algorithm on top of [`expm1f`]).
pub fn tanhf(x: f32) -> f32 {
    let jx = x.to_bits() as i32;
    let ix = jx & 0x7fff_ffff;
    if ix >= 0x7f80_0000 {
        // ±inf → ±1, NaN → NaN.
        return if jx >= 0 { 1.0 / x + 1.0 } else { 1.0 / x - 1.0 };
    }
    let z = if ix < 0x41b0_0000 {
        // |x| < 22
        if ix == 0 {
            return x;
        }
        if ix < 0x2400_0000 {
            // |x| < 2^-55
            return x * (1.0 + x);
        }
        if ix >= 0x3f80_0000 {
            // |x| >= 1
            let t = expm1f(2.0 * x.abs());
            1.0 - 2.0 / (t + 2.0)
        } else {
            let t = expm1f(-2.0 * x.abs());
            -t / (t + 2.0)
        }
    } else {
        1.0 - 1.0e-30
    };
    if jx >= 0 { z } else { -z }
}

/// (1/c, log c) table of Arm's `logf`.
const LOGF_TAB: [(u64, u64); 16] = [
    (0x3ff661ec79f8f3be, 0xbfd57bf7808caade),
    (0x3ff571ed4aaf883d, 0xbfd2bef0a7c06ddb),
    (0x3ff49539f0f010b0, 0xbfd01eae7f513a67),
    (0x3ff3c995b0b80385, 0xbfcb31d8a68224e9),
    (0x3ff30d190c8864a5, 0xbfc6574f0ac07758),
    (0x3ff25e227b0b8ea0, 0xbfc1aa2bc79c8100),
    (0x3ff1bb4a4a1a343f, 0xbfba4e76ce8c0e5e),
    (0x3ff12358f08ae5ba, 0xbfb1973c5a611ccc),
    (0x3ff0953f419900a7, 0xbfa252f438e10c1e),
    (0x3ff0000000000000, 0x0000000000000000),
    (0x3fee608cfd9a47ac, 0x3faaa5aa5df25984),
    (0x3feca4b31f026aa0, 0x3fbc5e53aa362eb4),
    (0x3feb2036576afce6, 0x3fc526e57720db08),
    (0x3fe9c2d163a1aa2d, 0x3fcbc2860d224770),
    (0x3fe886e6037841ed, 0x3fd1058bc8a07ee1),
    (0x3fe767dcf5534862, 0x3fd4043057b6ee09),
];

/// `logf(x)` as glibc 2.36 computes it (FMA variant).
pub fn logf(x: f32) -> f32 {
    const OFF: u32 = 0x3f33_0000;
    let ln2 = f64::from_bits(0x3fe62e42fefa39ef);
    let a0 = f64::from_bits(0xbfd00ea348b88334);
    let a1 = f64::from_bits(0x3fd5575b0be00b6a);
    let a2 = f64::from_bits(0xbfdffffef20a4123);

    let mut ix = x.to_bits();
    if ix == 0x3f80_0000 {
        return 0.0;
    }
    if ix.wrapping_sub(0x0080_0000) >= 0x7f80_0000 - 0x0080_0000 {
        // x < 2^-126, inf or NaN.
        if ix.wrapping_mul(2) == 0 {
            return f32::NEG_INFINITY;
        }
        if ix == 0x7f80_0000 {
            return x;
        }
        if (ix & 0x8000_0000) != 0 || ix.wrapping_mul(2) >= 0xff00_0000 {
            return if x.is_nan() { x + x } else { f32::NAN };
        }
        // Subnormal: normalize.
        ix = (x * f32::from_bits(0x4b00_0000)).to_bits(); // · 2^23
        ix = ix.wrapping_sub(23 << 23);
    }
    // x = 2^k·z, z in [OFF, 2·OFF].
    let tmp = ix.wrapping_sub(OFF);
    let i = ((tmp >> 19) % 16) as usize;
    let k = (tmp as i32) >> 23;
    let iz = ix.wrapping_sub(tmp & (0x1ff << 23));
    let (invc, logc) = (f64::from_bits(LOGF_TAB[i].0), f64::from_bits(LOGF_TAB[i].1));
    let z = f32::from_bits(iz) as f64;
    // log(x) = log1p(z/c − 1) + log(c) + k·ln2.
    let r = z.mul_add(invc, -1.0);
    let y0 = (k as f64).mul_add(ln2, logc);
    let r2 = r * r;
    let y = a1.mul_add(r, a2);
    let y = a0.mul_add(r2, y);
    let y = y.mul_add(r2, y0 + r);
    y as f32
}

/// `erfcf(x)` as glibc 2.36 computes it (SunPro float algorithm, with [`expf`]).
pub fn erfcf(x: f32) -> f32 {
    const TINY: f32 = 1e-30;
    let c = |b: u32| f32::from_bits(b);
    let erx = c(0x3f58560b);
    // erf on [0, 0.84375].
    let (pp0, pp1, pp2, pp3, pp4) = (c(0x3e0375d4), c(0xbea66beb), c(0xbce9528f), c(0xbbbd1489), c(0xb7c756b1));
    let (qq1, qq2, qq3, qq4, qq5) = (c(0x3ecbbbce), c(0x3d852a63), c(0x3ba68116), c(0x390aee49), c(0xb684e21a));
    // erf on [0.84375, 1.25].
    let (pa0, pa1, pa2, pa3, pa4, pa5, pa6) =
        (c(0xbb1acdc6), c(0x3ed46805), c(0xbebe9208), c(0x3ea2fe54), c(0xbde31cc2), c(0x3d1151b3), c(0xbb0df9c0));
    let (qa1, qa2, qa3, qa4, qa5, qa6) =
        (c(0x3dd9f331), c(0x3f0a5785), c(0x3d931ae7), c(0x3e013307), c(0x3c5f6e13), c(0x3c445aa3));
    // erfc on [1.25, 1/0.35].
    let ra = [c(0xbc21a093), c(0xbf31a0b7), c(0xc128f022), c(0xc2798057), c(0xc322658c), c(0xc3389ae7), c(0xc2a2932b)];
    let ra7 = c(0xc11d077e);
    let sa = [c(0x419d35ce), c(0x4309a863), c(0x43d9486f), c(0x442158c9), c(0x43d6810b), c(0x42d9451f), c(0x40d23f7c)];
    let sa8 = c(0xbd777f97);
    // erfc on [1/0.35, 28].
    let rb = [c(0xbc21a092), c(0xbf4c9dd4), c(0xc18e104b), c(0xc320a2ea), c(0xc41f6441), c(0xc480230b), c(0xc3f1c275)];
    let sb = [c(0x41f2b459), c(0x43a2e571), c(0x44c01759), c(0x4547fdbb), c(0x451f90ce), c(0x43ed43a7), c(0xc1b38712)];

    let hx = x.to_bits() as i32;
    let ix = hx & 0x7fff_ffff;
    if ix >= 0x7f80_0000 {
        // erfc(NaN) = NaN, erfc(±inf) = 0, 2.
        return ((((hx as u32) >> 31) << 1) as f32) + 1.0 / x;
    }
    if ix < 0x3f58_0000 {
        // |x| < 0.84375
        if ix < 0x2380_0000 {
            return 1.0 - x; // |x| < 2^-56
        }
        let z = x * x;
        let r = pp0 + z * (pp1 + z * (pp2 + z * (pp3 + z * pp4)));
        let s = 1.0 + z * (qq1 + z * (qq2 + z * (qq3 + z * (qq4 + z * qq5))));
        let y = r / s;
        if hx < 0x3e80_0000 {
            // x < 1/4
            return 1.0 - (x + x * y);
        }
        let mut r = x * y;
        r += x - 0.5;
        return 0.5 - r;
    }
    if ix < 0x3fa0_0000 {
        // 0.84375 <= |x| < 1.25
        let s = x.abs() - 1.0;
        let p = pa0 + s * (pa1 + s * (pa2 + s * (pa3 + s * (pa4 + s * (pa5 + s * pa6)))));
        let q = 1.0 + s * (qa1 + s * (qa2 + s * (qa3 + s * (qa4 + s * (qa5 + s * qa6)))));
        return if hx >= 0 { (1.0 - erx) - p / q } else { 1.0 + (erx + p / q) };
    }
    if ix < 0x41e0_0000 {
        // |x| < 28
        let x = x.abs();
        let s = 1.0 / (x * x);
        let (r, ss);
        if ix < 0x4036_db6d {
            // |x| < 1/0.35
            r = ra[0] + s * (ra[1] + s * (ra[2] + s * (ra[3] + s * (ra[4] + s * (ra[5] + s * (ra[6] + s * ra7))))));
            ss = 1.0
                + s * (sa[0]
                    + s * (sa[1] + s * (sa[2] + s * (sa[3] + s * (sa[4] + s * (sa[5] + s * (sa[6] + s * sa8)))))));
        } else {
            if hx < 0 && ix >= 0x40c0_0000 {
                return 2.0 - TINY; // x < −6
            }
            r = rb[0] + s * (rb[1] + s * (rb[2] + s * (rb[3] + s * (rb[4] + s * (rb[5] + s * rb[6])))));
            ss = 1.0 + s * (sb[0] + s * (sb[1] + s * (sb[2] + s * (sb[3] + s * (sb[4] + s * (sb[5] + s * sb[6]))))));
        }
        let z = f32::from_bits(x.to_bits() & 0xffff_e000);
        let r = expf(-z * z - 0.5625) * expf((z - x) * (z + x) + r / ss);
        return if hx > 0 { r / x } else { 2.0 - r / x };
    }
    if hx > 0 { TINY * TINY } else { 2.0 - TINY }
}

// ---------------------------------------------------------------------------------------------
// Eigen's float erfc, as compiled into TFLite 2.21's x86-64 wheel (ai-edge-litert 2.3.0).
//
// TFLite's float32 exact GELU (`reference_ops::Gelu`) is an Eigen array expression, so its erfc
// is Eigen's `generic_fast_erfc<float>` (SpecialFunctionsImpl.h, the Eigen commit TF 2.21 pins),
// not the C library's. The wheel is built for SSE4.1 without FMA: the assignment loop evaluates
// 4-float packets (Packet4f, `pmadd` = a multiply then an add, `preciprocal`/`pdiv` = `divps`,
// `pexp` = Eigen's Cephes-style `pexp_float`), and the elements after the last full packet
// with the scalar instantiation of the same template, whose `pexp` is `std::exp`, i.e. glibc's
// `expf`. The operation order below is the one in the wheel's machine code (the loop
// `dense_assignment_loop_impl<..., scalar_erfc_op<float> ...>` in libpywrap_litert_common.so).

/// x86 `maxss/maxps a, b` (Intel order, `a` the destination): `a > b ? a : b`, so a NaN in either
/// operand gives `b`.
fn x86_max(a: f32, b: f32) -> f32 {
    if a > b { a } else { b }
}

/// x86 `minss/minps a, b`: `a < b ? a : b` (a NaN in either operand gives `b`).
fn x86_min(a: f32, b: f32) -> f32 {
    if a < b { a } else { b }
}

/// Eigen's `pexp_float` on SSE4.1 without FMA (one lane of a Packet4f).
///
/// `x = min(x, 88.72300)`, `m = floor(x·log2(e) + ½)`, `r = (x + m·(−0.693359375)) +
/// m·2.12194440e-4`, `y = ((p0·r² + p1)·r² + p2 + (p3·r² + p4)·r)·r² + (r + 1)` and the result
/// `max(x_orig, y·2^m)`. When a lane of the packet has |x| > 87, the whole packet takes Eigen's
/// generic `pldexp` (`y·c·c·c·2^(m−3b)`, `c = 2^b`, `b = ⌊m/4⌋`) and is 0 below −104; for the
/// other lanes that gives the same value as the fast `y·2^m` (both round once), so the result does
/// not depend on the neighbours.
pub fn exp_eigen_sse(x_orig: f32) -> f32 {
    let c = f32::from_bits;
    let x = x86_min(c(0x42b1_722d), x_orig); // exp_hi = 88.72300
    let m = (x * c(0x3fb8_aa3b) + 0.5).floor(); // log2(e)
    let r = m * c(0xbf31_8000) + x; // −0.693359375
    let r = m * c(0x395e_8083) + r; // 2.12194440e-4
    let r2 = r * r;
    let a = (c(0x3ab4_2872) * r2 + c(0x3d2a_adcc)) * r2 + c(0x3eff_fffc);
    let b = (c(0x3c09_1de6) * r2 + c(0x3e2a_aa47)) * r;
    let y = (b + a) * r2 + (r + 1.0);
    let scaled = if x.abs() > 87.0 {
        // Generic pldexp: e = clamp(m, ±278) (truncated to int), b = e >> 2.
        let e = x86_min(278.0, x86_max(-278.0, m)) as i32;
        let b = e >> 2;
        let pow2 = |k: i32| f32::from_bits(((k + 127) as u32) << 23);
        let cb = pow2(b);
        let out = y * cb * cb * cb * pow2(e - 3 * b);
        if x_orig < -104.0 {
            return 0.0;
        }
        out
    } else {
        // Fast pldexp: 2^m from the clamped biased exponent m + 127 in [0, 255]. A NaN m
        // converts to 0x80000000 (cvttps2dq), whose shifted bits are 0.
        let biased = x86_min(255.0, x86_max(0.0, m + 127.0));
        let bits = if biased.is_nan() { 0 } else { (biased as u32) << 23 };
        y * f32::from_bits(bits)
    };
    x86_max(x_orig, scaled)
}

/// Eigen's `generic_fast_erfc<float>` without FMA, with `exp` for its `pexp`.
fn erfc_eigen_with(x_in: f32, exp: fn(f32) -> f32) -> f32 {
    let c = f32::from_bits;
    // erfc(x) = 1 + x·S(x²) for |x| <= 1.
    const ALPHA: [u32; 6] = [0x3a13_45ea, 0xbba1_0415, 0x3cda_c9b8, 0xbde7_03be, 0x3ec0_9330, 0xbf90_6eba];
    // erfc(x) = exp(−x²)·P(1/x²) / (x·Q(1/x²)) for |x| > 1.
    const GAMMA: [u32; 4] = [0x3dd1_0fee, 0x3edb_c0fa, 0x3ea5_c7e8, 0x3d5d_11b8];
    const DELTA: [u32; 5] = [0x3c8d_5364, 0x3ec8_61dd, 0x3f80_0000, 0x3f1f_29db, 0x3dc3_eae4];
    let horner = |coef: &[u32], t: f32| coef[1..].iter().fold(c(coef[0]), |p, &k| p * t + c(k));

    let x = x86_min(11.0, x86_max(-11.0, x_in)); // NaN stays NaN
    let x2 = x * x;
    if x2 <= 1.0 || x2.is_nan() {
        return horner(&ALPHA, x2) * x + 1.0;
    }
    // x² = x2 + x2_lo exactly (Dekker's product with a Veltkamp split, no FMA).
    let t = x * 4097.0;
    let hi = (x - t) + t;
    let lo = x - hi;
    let x2_lo = lo * lo + (((hi * hi - x2) + hi * lo) + hi * lo);
    // exp(−x²) ≈ exp(−x2)·(1 − x2_lo).
    let e = exp(-x2);
    let z = e - x2_lo * e;
    let q2 = 1.0 / x2;
    let r = horner(&GAMMA, q2) / (horner(&DELTA, q2) * x);
    (if x < 0.0 { 2.0 } else { 0.0 }) + r * z
}

/// Eigen's float `erfc` as TFLite's SSE4.1 build evaluates it in a full 4-float packet.
pub fn erfc_eigen_packet(x: f32) -> f32 {
    erfc_eigen_with(x, exp_eigen_sse)
}

/// Eigen's float `erfc` as TFLite's build evaluates it on a single element (the elements after
/// the last full packet): the same formula with glibc's `expf`.
pub fn erfc_eigen_scalar(x: f32) -> f32 {
    erfc_eigen_with(x, expf)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values from glibc 2.36 (x86-64, FMA), as bit patterns: (input, output).
    #[test]
    fn pinned_glibc_values() {
        let check = |f: fn(f32) -> f32, name: &str, cases: &[(u32, u32)]| {
            for &(x, want) in cases {
                let got = f(f32::from_bits(x)).to_bits();
                assert_eq!(
                    got,
                    want,
                    "{name}({:e}) = {:e}, glibc {:e}",
                    f32::from_bits(x),
                    f32::from_bits(got),
                    f32::from_bits(want)
                );
            }
        };
        check(expf, "expf", EXPF_CASES);
        check(expm1f, "expm1f", EXPM1F_CASES);
        check(tanhf, "tanhf", TANHF_CASES);
        check(logf, "logf", LOGF_CASES);
        check(erfcf, "erfcf", ERFCF_CASES);
    }

    #[test]
    fn special_values() {
        assert_eq!(expf(0.0), 1.0);
        assert_eq!(expf(f32::NEG_INFINITY), 0.0);
        assert_eq!(expf(f32::INFINITY), f32::INFINITY);
        assert_eq!(expf(100.0), f32::INFINITY);
        assert_eq!(expf(-110.0), 0.0);
        assert!(expf(f32::NAN).is_nan());
        assert_eq!(tanhf(f32::INFINITY), 1.0);
        assert_eq!(tanhf(f32::NEG_INFINITY), -1.0);
        assert_eq!(tanhf(30.0), 1.0);
        assert_eq!(tanhf(-0.0).to_bits(), (-0.0f32).to_bits());
        assert!(tanhf(f32::NAN).is_nan());
        assert_eq!(expm1f(f32::NEG_INFINITY), -1.0);
        assert_eq!(expm1f(-100.0), -1.0);
        assert_eq!(logf(1.0), 0.0);
        assert_eq!(logf(0.0), f32::NEG_INFINITY);
        assert!(logf(-1.0).is_nan());
        assert_eq!(logf(f32::INFINITY), f32::INFINITY);
    }

    include!("libm_cases.rs");

    /// Exhaustive comparison with the host C library over all 2^32 inputs (minutes per
    /// function; meaningful on glibc 2.36 x86-64 with FMA, the TFLite reference platform).
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    #[ignore]
    fn exhaustive_against_host_libm() {
        unsafe extern "C" {
            fn expf(x: f32) -> f32;
            fn expm1f(x: f32) -> f32;
            fn tanhf(x: f32) -> f32;
            fn logf(x: f32) -> f32;
            fn erfcf(x: f32) -> f32;
        }
        type Pair = (&'static str, fn(f32) -> f32, unsafe extern "C" fn(f32) -> f32);
        let pairs: [Pair; 5] = [
            ("expf", super::expf, expf),
            ("expm1f", super::expm1f, expm1f),
            ("tanhf", super::tanhf, tanhf),
            ("logf", super::logf, logf),
            ("erfcf", super::erfcf, erfcf),
        ];
        // QLITE_LIBM_ONLY=name checks one function.
        let only = std::env::var("QLITE_LIBM_ONLY").ok();
        let mut report = Vec::new();
        for (name, ours, theirs) in pairs.into_iter().filter(|p| only.as_deref().is_none_or(|o| o == p.0)) {
            let mut bad = 0u64;
            let mut first = None;
            for bits in 0..=u32::MAX {
                let x = f32::from_bits(bits);
                let (a, b) = (ours(x), unsafe { theirs(x) });
                if a.to_bits() != b.to_bits() && !(a.is_nan() && b.is_nan()) {
                    bad += 1;
                    first.get_or_insert(bits);
                }
            }
            report.push(format!("{name}: {bad} mismatches (first input bits {first:x?})"));
        }
        println!("{}", report.join("\n"));
        assert!(report.iter().all(|r| r.contains(": 0 mismatches")), "{}", report.join("\n"));
    }

    /// erfc values recovered from TFLite 2.21's float GELU at x = ±2^k (where `0.5·x·erfc` is
    /// exact): (argument x·float(−√½), erfc), identical in the packet and the scalar path.
    #[test]
    fn eigen_erfc_pinned_from_tflite() {
        let cases: [(u32, u32); 16] = [
            (0xbdb504f3, 0x3f8cbba5),
            (0x3db504f3, 0x3f6688b6),
            (0xbe3504f3, 0x3f9944d1),
            (0x3e3504f3, 0x3f4d765d),
            (0xbeb504f3, 0x3fb103af),
            (0x3eb504f3, 0x3f1df8a2),
            (0xbf3504f3, 0x3fd7625e),
            (0x3f3504f3, 0x3ea27686),
            (0xbfb504f3, 0x3ffa2d0c),
            (0x3fb504f3, 0x3d3a5e7c),
            (0xc03504f3, 0x3ffffded),
            (0x403504f3, 0x3884d6c0),
            (0xc0b504f3, 0x40000000),
            (0x40b504f3, 0x26b34ea3),
            (0xc13504f3, 0x40000000),
            (0x413504f3, 0x00000000),
        ];
        for (a, want) in cases {
            let a = f32::from_bits(a);
            assert_eq!(erfc_eigen_packet(a).to_bits(), want, "packet erfc({a:e})");
            assert_eq!(erfc_eigen_scalar(a).to_bits(), want, "scalar erfc({a:e})");
        }
    }

    #[test]
    fn eigen_erfc_and_exp_edges() {
        for f in [erfc_eigen_packet, erfc_eigen_scalar] {
            assert_eq!(f(0.0), 1.0);
            assert_eq!(f(-0.0), 1.0);
            assert!(f(f32::NAN).is_nan());
            // Clamped to ±11: erfc(11) underflows to 0, erfc(−11) = 2 + 0.
            assert_eq!(f(f32::INFINITY), 0.0);
            assert_eq!(f(f32::NEG_INFINITY), 2.0);
            assert_eq!(f(100.0), f(11.0));
            // Tiny arguments: 1 + x·S(x²) rounds to 1.
            assert_eq!(f(1e-30), 1.0);
            assert!((f(0.5) - 0.479_500_12).abs() < 1e-7);
            assert!((f(-2.0) - 1.995_322_3).abs() < 3e-7);
        }
        // Eigen's pexp: exact at 0, 0 below −104, subnormal results through the generic ldexp.
        assert_eq!(exp_eigen_sse(0.0), 1.0);
        assert_eq!(exp_eigen_sse(-104.5), 0.0);
        assert_eq!(exp_eigen_sse(-121.0), 0.0);
        let e = exp_eigen_sse(-90.0);
        assert!(e > 0.0 && e < f32::MIN_POSITIVE && ((e as f64) / (-90.0f64).exp() - 1.0).abs() < 1e-4);
        assert!((exp_eigen_sse(-1.0) - 0.367_879_44).abs() < 1e-7);
        assert!((exp_eigen_sse(-50.0) as f64 / (-50.0f64).exp() - 1.0).abs() < 1e-6);
        assert!((exp_eigen_sse(-87.0) as f64 / (-87.0f64).exp() - 1.0).abs() < 1e-6);
        // The packet path (Eigen's exp) and the scalar path (glibc's expf) differ, e.g. at
        // erfc(−4.0519605·(−√½)) (values from TFLite's GELU at x = −4.0519605).
        let a = f32::from_bits(0xc081_a9a9) * -std::f32::consts::FRAC_1_SQRT_2;
        assert_ne!(erfc_eigen_packet(a), erfc_eigen_scalar(a));
    }
}
