//! The [`Kernels`] table: one function pointer per kernel family and element type.
//!
//! [`reference()`] fills every slot with the portable implementation. [`for_isa`] starts from it
//! and lets each instruction-set level the CPU supports override slots, in increasing order
//! (`x86_64::plug_avx2`, then `x86_64::plug_avx512`): tract's `generic()`/`plug` pattern, so a
//! SIMD kernel is added by writing a file and one assignment in a `plug` function, not by
//! editing operators. [`best()`] builds the table for the detected level once per process
//! (`OnceLock`); operators fetch it at prepare and store the function pointer they need.
//!
//! `QLITE_ISA=scalar|avx2|avx512` forces the level; a level the CPU lacks is lowered to the
//! detected one (a plug never installs instructions the CPU cannot run), and any other value is
//! ignored. Each slot records the name of the implementation that filled it ([`Impl::name`]),
//! so tests and diagnostics can tell which one runs; [`registered`] yields one table per level
//! the CPU supports, which is how `tests/conformance.rs` reaches every implementation.

use std::sync::OnceLock;

use super::conv::ConvFn;
use super::dot::{Dot4I16Fn, DotI16Fn};
use super::dwconv::DepthwiseFn;
use super::gemm::FcFn;
use super::reference as r;

/// An instruction-set level, in increasing order of capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Isa {
    /// Portable code only: the reference table.
    Scalar,
    /// x86-64 AVX2 and FMA.
    Avx2,
    /// x86-64 AVX-512 F and BW.
    Avx512,
}

impl Isa {
    /// Every level, lowest first.
    pub const ALL: [Isa; 3] = [Isa::Scalar, Isa::Avx2, Isa::Avx512];

    /// The level's name, as `QLITE_ISA` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Scalar => "scalar",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
        }
    }

    /// The level named `s` (`scalar`, `avx2`, `avx512`, any case), if any.
    pub fn parse(s: &str) -> Option<Isa> {
        Isa::ALL.into_iter().find(|i| i.name().eq_ignore_ascii_case(s.trim()))
    }

    /// Whether this CPU can run the level's instructions.
    pub fn supported(self) -> bool {
        match self {
            Isa::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma"),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => {
                Isa::Avx2.supported()
                    && std::is_x86_feature_detected!("avx512f")
                    && std::is_x86_feature_detected!("avx512bw")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The highest level this CPU supports.
    pub fn detect() -> Isa {
        Isa::ALL.into_iter().rev().find(|i| i.supported()).unwrap_or(Isa::Scalar)
    }
}

/// One slot: an implementation and its name (`"reference"` for the portable one).
#[derive(Debug, Clone, Copy)]
pub struct Impl<F> {
    pub name: &'static str,
    pub f: F,
}

/// The name of the portable implementations.
pub const REFERENCE: &str = "reference";

/// One implementation per kernel family and element type.
#[derive(Debug, Clone, Copy)]
pub struct Kernels {
    /// The level the table was built for.
    pub isa: Isa,
    pub dot_i16: Impl<DotI16Fn>,
    pub dot4_i16: Impl<Dot4I16Fn>,
    pub fc_s8: Impl<FcFn<i8>>,
    pub fc_u8: Impl<FcFn<u8>>,
    pub conv_s8: Impl<ConvFn<i8>>,
    pub conv_u8: Impl<ConvFn<u8>>,
    pub depthwise_s8: Impl<DepthwiseFn<i8>>,
    pub depthwise_u8: Impl<DepthwiseFn<u8>>,
}

impl Kernels {
    /// `(slot, implementation name)` for every slot, in declaration order.
    pub fn slots(&self) -> [(&'static str, &'static str); 8] {
        [
            ("dot_i16", self.dot_i16.name),
            ("dot4_i16", self.dot4_i16.name),
            ("fc_s8", self.fc_s8.name),
            ("fc_u8", self.fc_u8.name),
            ("conv_s8", self.conv_s8.name),
            ("conv_u8", self.conv_u8.name),
            ("depthwise_s8", self.depthwise_s8.name),
            ("depthwise_u8", self.depthwise_u8.name),
        ]
    }
}

/// The portable table: every slot holds the reference implementation.
pub fn reference() -> Kernels {
    fn slot<F>(f: F) -> Impl<F> {
        Impl { name: REFERENCE, f }
    }
    Kernels {
        isa: Isa::Scalar,
        dot_i16: slot(r::dot_i16),
        dot4_i16: slot(r::dot4_i16),
        fc_s8: slot(r::fully_connected::<i8>),
        fc_u8: slot(r::fully_connected::<u8>),
        conv_s8: slot(r::conv::<i8>),
        conv_u8: slot(r::conv::<u8>),
        depthwise_s8: slot(r::depthwise::<i8>),
        depthwise_u8: slot(r::depthwise::<u8>),
    }
}

/// The table for `isa`, lowered to the detected level when the CPU lacks it: the reference,
/// then each supported level's `plug`, lowest first.
pub fn for_isa(isa: Isa) -> Kernels {
    let isa = isa.min(Isa::detect());
    let mut k = reference();
    k.isa = isa;
    #[cfg(target_arch = "x86_64")]
    {
        if isa >= Isa::Avx2 {
            super::x86_64::plug_avx2(&mut k);
        }
        if isa >= Isa::Avx512 {
            super::x86_64::plug_avx512(&mut k);
        }
    }
    k
}

/// The level to use: `QLITE_ISA`'s value when it names one (lowered to `detected`), else
/// `detected`.
pub fn select_isa(env: Option<&str>, detected: Isa) -> Isa {
    env.and_then(Isa::parse).map_or(detected, |forced| forced.min(detected))
}

/// The table for this process: built once, for [`select_isa`] of `QLITE_ISA` and the detected
/// level.
pub fn best() -> &'static Kernels {
    static BEST: OnceLock<Kernels> = OnceLock::new();
    BEST.get_or_init(|| {
        let env = std::env::var("QLITE_ISA").ok();
        for_isa(select_isa(env.as_deref(), Isa::detect()))
    })
}

/// One table per level this CPU supports, lowest (the reference) first: together they hold
/// every implementation that can run here.
pub fn registered() -> impl Iterator<Item = Kernels> {
    Isa::ALL.into_iter().filter(|i| i.supported()).map(for_isa)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isa_names_and_selection() {
        assert_eq!(Isa::parse("scalar"), Some(Isa::Scalar));
        assert_eq!(Isa::parse(" AVX2 "), Some(Isa::Avx2));
        assert_eq!(Isa::parse("avx512"), Some(Isa::Avx512));
        assert_eq!(Isa::parse("neon"), None);
        assert_eq!(select_isa(Some("scalar"), Isa::Avx512), Isa::Scalar);
        assert_eq!(select_isa(Some("avx512"), Isa::Avx2), Isa::Avx2);
        assert_eq!(select_isa(Some("bogus"), Isa::Avx2), Isa::Avx2);
        assert_eq!(select_isa(None, Isa::Scalar), Isa::Scalar);
    }

    #[test]
    fn scalar_is_the_reference_table() {
        let k = for_isa(Isa::Scalar);
        assert_eq!(k.isa, Isa::Scalar);
        assert!(k.slots().iter().all(|&(_, name)| name == REFERENCE));
        assert!(registered().next().is_some_and(|k| k.isa == Isa::Scalar));
    }
}
