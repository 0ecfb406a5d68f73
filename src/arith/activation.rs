//! Fused-activation ranges (`CalculateActivationRange*`) and the bounds of the standalone quantized
//! RELU family.

use super::{f32_to_i32_x86, round_f32};
use crate::error::{Error, Result};

/// A bound of the standalone quantized RELU family (`QuantizedReluX` in
/// `kernels/activations.cc`): `zp + (int32)roundf(f / scale)` in float32, the conversion as x86
/// does it ([`f32_to_i32_x86`]) and the addition wrapping, so absurd scales behave as in TFLite.
#[inline]
pub fn relu_bound_quantized(f: f32, scale: f32, zero_point: i32) -> i32 {
    zero_point.wrapping_add(f32_to_i32_x86(round_f32(f / scale)))
}

/// The integer range of a fused activation on a quantized output
/// (`CalculateActivationRangeQuantized`): `Q(f) = zp + (int)roundf(f / scale)` in float32.
pub fn activation_range_quantized(
    act: crate::tflite::ActivationFunctionType,
    scale: f32,
    zero_point: i32,
    qmin: i32,
    qmax: i32,
) -> (i32, i32) {
    use crate::tflite::ActivationFunctionType as A;
    let q = |f: f32| zero_point.saturating_add(round_f32(f / scale) as i32);
    match act {
        A::RELU => (qmin.max(q(0.0)), qmax),
        A::RELU6 => (qmin.max(q(0.0)), qmax.min(q(6.0))),
        A::RELU_N1_TO_1 => (qmin.max(q(-1.0)), qmax.min(q(1.0))),
        _ => (qmin, qmax),
    }
}

/// [`activation_range_quantized`] with TFLite's overflow check (`kernel_util.cc`, `Quantize`):
/// TFLite refuses the operator (a prepare error, not an abort) when roundf(f / scale) is outside
/// [−2³¹, 2³¹] as a float; the value 2³¹ itself passes the check and converts to INT32_MIN, as
/// x86's `cvttss2si` does, and the zero point is then added with wrapping.
pub fn activation_range_quantized_checked(
    act: crate::tflite::ActivationFunctionType,
    scale: f32,
    zero_point: i32,
    qmin: i32,
    qmax: i32,
) -> Result<(i32, i32)> {
    use crate::tflite::ActivationFunctionType as A;
    let q = |f: f32| -> Result<i32> {
        let tmp = round_f32(f / scale);
        let limit = 2147483648.0f32;
        if !(tmp >= -limit && tmp <= limit) {
            return Err(Error::Usage(format!(
                "the fused activation's bound {f} overflows int32 at output scale {scale}"
            )));
        }
        let v = if tmp >= limit { i32::MIN } else { tmp as i32 };
        Ok(zero_point.wrapping_add(v))
    };
    Ok(match act {
        A::RELU => (qmin.max(q(0.0)?), qmax),
        A::RELU6 => (qmin.max(q(0.0)?), qmax.min(q(6.0)?)),
        A::RELU_N1_TO_1 => (qmin.max(q(-1.0)?), qmax.min(q(1.0)?)),
        _ => (qmin, qmax),
    })
}

/// The float range of a fused activation (`CalculateActivationRange<float>`).
pub fn activation_range_f32(act: crate::tflite::ActivationFunctionType) -> (f32, f32) {
    use crate::tflite::ActivationFunctionType as A;
    match act {
        A::RELU => (0.0, f32::MAX),
        A::RELU6 => (0.0, 6.0),
        A::RELU_N1_TO_1 => (-1.0, 1.0),
        _ => (f32::MIN, f32::MAX),
    }
}

/// Whether a fused activation is one that quantized kernels support.
pub fn is_supported_activation(act: crate::tflite::ActivationFunctionType) -> bool {
    use crate::tflite::ActivationFunctionType as A;
    matches!(act, A::NONE | A::RELU | A::RELU6 | A::RELU_N1_TO_1)
}

/// The integer range of a fused activation on an unquantized integer output
/// (`CalculateActivationRange<T>`): RELU `[0, max]`, RELU6 `[0, 6]`, RELU_N1_TO_1 `[−1, 1]`,
/// otherwise the type's `[min, max]`.
pub fn activation_range_int(act: crate::tflite::ActivationFunctionType, min: i32, max: i32) -> (i32, i32) {
    use crate::tflite::ActivationFunctionType as A;
    match act {
        A::RELU => (0, max),
        A::RELU6 => (0, 6),
        A::RELU_N1_TO_1 => (-1, 1),
        _ => (min, max),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activation_range_overflow_is_an_error() {
        use crate::tflite::ActivationFunctionType as A;
        assert_eq!(activation_range_quantized_checked(A::RELU6, 0.1, -128, -128, 127).ok(), Some((-128, -68)));
        assert_eq!(activation_range_quantized_checked(A::NONE, 1e-30, 0, -128, 127).ok(), Some((-128, 127)));
        // 0/scale is fine at any scale; 6/1e-30 overflows.
        assert_eq!(activation_range_quantized_checked(A::RELU, 1e-30, 5, -128, 127).ok(), Some((5, 127)));
        assert!(activation_range_quantized_checked(A::RELU6, 1e-30, 0, -128, 127).is_err());
        assert!(activation_range_quantized_checked(A::RELU_N1_TO_1, 1e-12, 0, -128, 127).is_err());
        // roundf(6 / s) = 2^31 exactly passes and converts to INT32_MIN.
        let s = 6.0 / 2147483648.0f32;
        assert_eq!(activation_range_quantized_checked(A::RELU6, s, 0, -128, 127).ok(), Some((0, i32::MIN)));
    }

    #[test]
    fn activation_ranges() {
        use crate::tflite::ActivationFunctionType as A;
        assert_eq!(activation_range_quantized(A::NONE, 0.1, 3, -128, 127), (-128, 127));
        assert_eq!(activation_range_quantized(A::RELU, 0.1, 3, -128, 127), (3, 127));
        assert_eq!(activation_range_quantized(A::RELU6, 0.1, -128, -128, 127), (-128, -68));
        assert_eq!(activation_range_quantized(A::RELU6, 0.01, 0, -128, 127), (0, 127));
        assert_eq!(activation_range_quantized(A::RELU_N1_TO_1, 0.5, 0, -128, 127), (-2, 2));
        // roundf(0.25 / 0.1) = roundf(2.5) = 3: half away from zero.
        let q = |f: f32| round_f32(f / 0.1);
        assert_eq!(q(0.25), 3.0);
        assert_eq!(activation_range_f32(A::RELU6), (0.0, 6.0));
    }
    #[test]
    fn integer_activation_ranges() {
        use crate::tflite::ActivationFunctionType as A;
        assert_eq!(activation_range_int(A::NONE, -32768, 32767), (-32768, 32767));
        assert_eq!(activation_range_int(A::RELU, -32768, 32767), (0, 32767));
        assert_eq!(activation_range_int(A::RELU6, -32768, 32767), (0, 6));
        assert_eq!(activation_range_int(A::RELU_N1_TO_1, -32768, 32767), (-1, 1));
    }
}
