//! Tensor element types, named as NumPy names them.

use crate::schema::tflite::TensorType;

/// A tensor's element type. Names follow NumPy (`int8`, `float32`, ...); types NumPy has no name
/// for use TFLite's lower-cased name (`int4`, `bfloat16`, `resource`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DType {
    Float32,
    Float16,
    Int32,
    UInt8,
    Int64,
    String,
    Bool,
    Int16,
    Complex64,
    Int8,
    Float64,
    Complex128,
    UInt64,
    Resource,
    Variant,
    UInt32,
    UInt16,
    Int4,
    BFloat16,
    Int2,
    UInt4,
    Float8E4M3FN,
    Float8E5M2,
    /// A type code this build does not know (a newer file).
    Unknown(i8),
}

impl DType {
    /// From the file's `TensorType`.
    pub fn from_tflite(t: TensorType) -> DType {
        use DType::*;
        match t.0 {
            0 => Float32,
            1 => Float16,
            2 => Int32,
            3 => UInt8,
            4 => Int64,
            5 => String,
            6 => Bool,
            7 => Int16,
            8 => Complex64,
            9 => Int8,
            10 => Float64,
            11 => Complex128,
            12 => UInt64,
            13 => Resource,
            14 => Variant,
            15 => UInt32,
            16 => UInt16,
            17 => Int4,
            18 => BFloat16,
            19 => Int2,
            20 => UInt4,
            21 => Float8E4M3FN,
            22 => Float8E5M2,
            x => Unknown(x),
        }
    }

    /// The NumPy-style name.
    pub fn name(self) -> std::borrow::Cow<'static, str> {
        use DType::*;
        std::borrow::Cow::Borrowed(match self {
            Float32 => "float32",
            Float16 => "float16",
            Int32 => "int32",
            UInt8 => "uint8",
            Int64 => "int64",
            String => "string",
            Bool => "bool",
            Int16 => "int16",
            Complex64 => "complex64",
            Int8 => "int8",
            Float64 => "float64",
            Complex128 => "complex128",
            UInt64 => "uint64",
            Resource => "resource",
            Variant => "variant",
            UInt32 => "uint32",
            UInt16 => "uint16",
            Int4 => "int4",
            BFloat16 => "bfloat16",
            Int2 => "int2",
            UInt4 => "uint4",
            Float8E4M3FN => "float8_e4m3fn",
            Float8E5M2 => "float8_e5m2",
            Unknown(x) => return std::borrow::Cow::Owned(format!("unknown({x})")),
        })
    }

    /// Bits per element, or `None` for types without a fixed size (strings, resources, variants,
    /// unknown codes).
    pub fn bits(self) -> Option<u64> {
        use DType::*;
        Some(match self {
            Int2 => 2,
            Int4 | UInt4 => 4,
            UInt8 | Int8 | Bool | Float8E4M3FN | Float8E5M2 => 8,
            Float16 | Int16 | UInt16 | BFloat16 => 16,
            Float32 | Int32 | UInt32 => 32,
            Int64 | UInt64 | Float64 | Complex64 => 64,
            Complex128 => 128,
            String | Resource | Variant | Unknown(_) => return None,
        })
    }

    /// Bytes that `elements` packed elements take (sub-byte types are packed, rounded up), or
    /// `None` on overflow or for types without a fixed size.
    pub fn byte_size(self, elements: u64) -> Option<u64> {
        let bits = elements.checked_mul(self.bits()?)?;
        Some(bits.div_ceil(8))
    }

    /// The range of an integer type's values, for zero-point checks.
    pub fn int_range(self) -> Option<(i64, i64)> {
        use DType::*;
        Some(match self {
            Int2 => (-2, 1),
            Int4 => (-8, 7),
            UInt4 => (0, 15),
            Int8 => (-128, 127),
            UInt8 => (0, 255),
            Int16 => (-32768, 32767),
            UInt16 => (0, 65535),
            Int32 => (i32::MIN as i64, i32::MAX as i64),
            UInt32 => (0, u32::MAX as i64),
            Int64 | UInt64 => (i64::MIN, i64::MAX),
            _ => return None,
        })
    }
}

impl std::fmt::Display for DType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}
