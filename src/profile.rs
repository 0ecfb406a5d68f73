//! The arithmetic profile: which TensorFlow Lite runtime's bits an interpreter reproduces.
//!
//! TFLite's runtimes disagree with each other on quantized models: the reference kernels
//! (`BUILTIN_REF`) requantize FULLY_CONNECTED in double precision, TFLite Micro with the integer
//! multiplier, XNNPACK in float with round-half-to-even. A [`Profile`] names one of them; it is
//! chosen in [`crate::InterpreterOptions::profile`] and every kernel's prepare can read it
//! ([`crate::ops::PrepareContext::profile`]) to pick its requantization rule, the way TFLite
//! itself picks a kernel variant at registration (`Register_FULLY_CONNECTED_REF` vs
//! `_GENERIC_OPT`).
//!
//! Today there is one profile, the one every kernel implements: TFLite's reference kernels as
//! built in the x86-64 wheels (`tensorflow-cpu==2.21.0`, `ai-edge-litert==2.3.0`), including the
//! x86 build's quirks (SSE/NEON_2_SSE rounding emulation, `cvtt` conversions, glibc's `expf`).

/// Which runtime's arithmetic an interpreter reproduces, bit for bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Profile {
    /// TFLite's reference kernels (`OpResolverType.BUILTIN_REF`) of the pinned x86-64 wheels.
    #[default]
    TfliteRef,
}

impl Profile {
    /// Every profile this build implements.
    pub const ALL: &'static [Profile] = &[Profile::TfliteRef];

    /// The profile's name on the command line and in reports (`tflite-ref`).
    pub fn name(self) -> &'static str {
        match self {
            Profile::TfliteRef => "tflite-ref",
        }
    }

    /// The profile called `name`, if this build has it.
    ///
    /// ```
    /// assert_eq!(qlite::Profile::from_name("tflite-ref"), Some(qlite::Profile::TfliteRef));
    /// assert_eq!(qlite::Profile::from_name("tflite-ref").map(|p| p.name()), Some("tflite-ref"));
    /// assert_eq!(qlite::Profile::from_name("xnnpack"), None); // not implemented yet
    /// ```
    pub fn from_name(name: &str) -> Option<Profile> {
        Profile::ALL.iter().copied().find(|p| p.name() == name)
    }
}
