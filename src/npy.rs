//! Reading and writing NumPy `.npy` arrays (C order, any endianness on read, little-endian on
//! write). The header is parsed with `npyz`; the data is checked against the header's shape
//! before anything is allocated for it, so a lying header cannot make us allocate.

use std::path::Path;

use crate::dtype::DType;
use crate::error::{Error, Result};

/// An array: element type, shape, and the elements as little-endian bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    /// Element type.
    pub dtype: DType,
    /// Shape (C order).
    pub shape: Vec<usize>,
    /// Little-endian element bytes, `shape.product() × element size` of them.
    pub data: Vec<u8>,
}

impl Array {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }
    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The elements as `[T]` (copied, so alignment never matters).
    pub fn to_vec<T: bytemuck::Pod>(&self) -> Vec<T> {
        bytemuck::pod_collect_to_vec(&self.data)
    }
    /// An array from typed values.
    pub fn from_slice<T: bytemuck::Pod>(dtype: DType, shape: Vec<usize>, values: &[T]) -> Array {
        Array { dtype, shape, data: bytemuck::cast_slice(values).to_vec() }
    }
}

fn npy_dtype(ts: &npyz::TypeStr) -> Option<DType> {
    use npyz::TypeChar::*;
    Some(match (ts.type_char(), ts.size_field()) {
        (Bool, 1) => DType::Bool,
        (Int, 1) => DType::Int8,
        (Int, 2) => DType::Int16,
        (Int, 4) => DType::Int32,
        (Int, 8) => DType::Int64,
        (Uint, 1) => DType::UInt8,
        (Uint, 2) => DType::UInt16,
        (Uint, 4) => DType::UInt32,
        (Uint, 8) => DType::UInt64,
        (Float, 2) => DType::Float16,
        (Float, 4) => DType::Float32,
        (Float, 8) => DType::Float64,
        _ => return None,
    })
}

fn descr(dtype: DType) -> Option<&'static str> {
    Some(match dtype {
        DType::Bool => "|b1",
        DType::Int8 => "|i1",
        DType::UInt8 => "|u1",
        DType::Int16 => "<i2",
        DType::UInt16 => "<u2",
        DType::Int32 => "<i4",
        DType::UInt32 => "<u4",
        DType::Int64 => "<i8",
        DType::UInt64 => "<u8",
        DType::Float16 => "<f2",
        DType::Float32 => "<f4",
        DType::Float64 => "<f8",
        _ => return None,
    })
}

/// Parses `.npy` bytes.
pub fn parse(bytes: &[u8]) -> std::result::Result<Array, String> {
    let file = npyz::NpyFile::new(bytes).map_err(|e| format!("not a valid .npy file: {e}"))?;
    let header = file.header().clone();
    if header.order() == npyz::Order::Fortran && header.shape().len() > 1 {
        return Err("Fortran-ordered arrays are not supported (save with np.ascontiguousarray)".into());
    }
    let npyz::DType::Plain(ts) = header.dtype() else {
        return Err("structured arrays are not supported".into());
    };
    let dtype = npy_dtype(&ts).ok_or_else(|| format!("unsupported element type {ts}"))?;
    let size = ts.size_field() as usize;
    let shape: Vec<usize> = header
        .shape()
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| "dimension too large".to_string()))
        .collect::<std::result::Result<_, _>>()?;
    let n = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d)).ok_or("shape overflows")?;
    let data = file.into_inner();
    let want = n.checked_mul(size).ok_or("shape overflows")?;
    if data.len() < want {
        return Err(format!("the header announces {want} bytes of data but the file holds {}", data.len()));
    }
    let mut data = data[..want].to_vec();
    if ts.endianness() == npyz::Endianness::Big && size > 1 {
        for c in data.chunks_exact_mut(size) {
            c.reverse();
        }
    }
    Ok(Array { dtype, shape, data })
}

/// Reads a `.npy` file.
pub fn read(path: &Path) -> Result<Array> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    parse(&bytes).map_err(|e| Error::Usage(format!("{}: {e}", path.display())))
}

/// Serializes an array as `.npy` (format 1.0) bytes.
pub fn to_bytes(a: &Array) -> Result<Vec<u8>> {
    let d = descr(a.dtype).ok_or_else(|| Error::Usage(format!("cannot write {} arrays to .npy", a.dtype)))?;
    let shape = match a.shape.len() {
        0 => "()".to_string(),
        1 => format!("({},)", a.shape[0]),
        _ => format!("({})", a.shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")),
    };
    let mut header = format!("{{'descr': '{d}', 'fortran_order': False, 'shape': {shape}, }}");
    // Magic (6) + version (2) + length (2) + header, padded with spaces to a multiple of 64,
    // ending in a newline.
    let total = (10 + header.len() + 1).div_ceil(64) * 64;
    while 10 + header.len() + 1 < total {
        header.push(' ');
    }
    header.push('\n');
    let mut out = Vec::with_capacity(total + a.data.len());
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&a.data);
    Ok(out)
}

/// Writes a `.npy` file.
pub fn write(path: &Path, a: &Array) -> Result<()> {
    let bytes = to_bytes(a)?;
    std::fs::write(path, bytes).map_err(|source| Error::Io { path: path.to_path_buf(), source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for a in [
            Array::from_slice(DType::Int8, vec![2, 3], &[1i8, -2, 3, -128, 127, 0]),
            Array::from_slice(DType::Float32, vec![3], &[0.5f32, -1.0, 3.25]),
            Array::from_slice(DType::Int32, vec![], &[7i32]),
        ] {
            let b = to_bytes(&a).unwrap();
            assert_eq!((b.len() - a.data.len()) % 64, 0);
            assert_eq!(parse(&b).unwrap(), a);
        }
    }

    #[test]
    fn a_lying_header_is_an_error() {
        let a = Array::from_slice(DType::Int16, vec![4], &[1i16, 2, 3, 4]);
        let mut b = to_bytes(&a).unwrap();
        b.truncate(b.len() - 1);
        assert!(parse(&b).unwrap_err().contains("announces"));
        let text = String::from_utf8_lossy(&b).replace("(4,)", "(9999999999999,)");
        assert!(parse(text.as_bytes()).is_err());
        assert!(parse(b"not an npy file").is_err());
    }
}
