//! Convolution and pooling geometry (TFLite `kernels/padding.h`).
//!
//! Effective filter size `eff = (k − 1)·dilation + 1`. SAME: `out = ceil(in / stride)`; VALID:
//! `out = floor((in − eff) / stride) + 1` (0 when the filter does not fit). Total padding
//! `max(0, (out − 1)·stride + eff − in)`, of which `total / 2` goes before (the odd one after).

use crate::tflite::Padding;

/// Output size and padding before, along one spatial axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Axis {
    /// Output size.
    pub out: usize,
    /// Padding before the first input element.
    pub pad_before: usize,
}

/// Geometry along one axis; `None` for a zero stride or dilation, an unknown padding type, or
/// an overflow.
pub fn axis(padding: Padding, input: usize, filter: usize, stride: usize, dilation: usize) -> Option<Axis> {
    if stride == 0 || dilation == 0 || filter == 0 {
        return None;
    }
    let eff = (filter - 1).checked_mul(dilation)?.checked_add(1)?;
    let out = match padding {
        Padding::SAME => input.div_ceil(stride),
        Padding::VALID => {
            if input < eff {
                0
            } else {
                (input - eff) / stride + 1
            }
        }
        _ => return None,
    };
    let needed = out.saturating_sub(1).checked_mul(stride)?.checked_add(eff)?;
    let total = needed.saturating_sub(input);
    Some(Axis { out, pad_before: total / 2 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_and_valid() {
        // SAME, in 5, k 3, stride 2: out 3, total (2·2 + 3 − 5) = 2, before 1.
        assert_eq!(axis(Padding::SAME, 5, 3, 2, 1), Some(Axis { out: 3, pad_before: 1 }));
        // SAME, in 4, k 3, stride 2: out 2, total (2 + 3 − 4) = 1, before 0 (odd one after).
        assert_eq!(axis(Padding::SAME, 4, 3, 2, 1), Some(Axis { out: 2, pad_before: 0 }));
        // VALID, in 7, k 3, dilation 2 (eff 5), stride 1: out 3, no padding.
        assert_eq!(axis(Padding::VALID, 7, 3, 1, 2), Some(Axis { out: 3, pad_before: 0 }));
        assert_eq!(axis(Padding::VALID, 2, 3, 1, 1), Some(Axis { out: 0, pad_before: 0 }));
        assert_eq!(axis(Padding::SAME, 4, 3, 0, 1), None);
    }
}
