//! x86-64 implementations, installed by [`dispatch::for_isa`](super::dispatch::for_isa) only
//! after runtime detection says the CPU has the level's features.
//!
//! There are none yet: every slot keeps the reference. To add one, write it in a file of this
//! module (`x86_64/avx2/gemm.rs`, …) as a `#[target_feature(enable = "avx2,fma")]` function
//! behind a safe wrapper with the family's signature (the wrapper's `// SAFETY:` comment cites
//! the detection done before `plug_avx2` runs), assign it in the matching `plug` function with
//! its name (`k.fc_s8 = Impl { name: "avx2", f: avx2::fc_s8 }`), and `tests/conformance.rs`
//! checks it against the reference automatically.

use super::Kernels;

/// Overrides slots with AVX2 + FMA implementations. Called only when the CPU has them.
pub(crate) fn plug_avx2(k: &mut Kernels) {
    // No AVX2 kernels yet.
    let _ = k;
}

/// Overrides slots with AVX-512 F + BW implementations, after [`plug_avx2`]. Called only when
/// the CPU has them.
pub(crate) fn plug_avx512(k: &mut Kernels) {
    // No AVX-512 kernels yet.
    let _ = k;
}
