//! Reading and writing NumPy `.npy` arrays (C order, any endianness on read, little-endian on
//! write).
//!
//! The header is untrusted text, so it is read by a small hand-written parser, in one pass and
//! without recursion: the preamble (magic, version 1.0/2.0/3.0, header length, checked against
//! [`MAX_HEADER_LEN`] and against the bytes the file holds), then a Python dict literal with
//! exactly the keys `'descr'`, `'fortran_order'` and `'shape'`. Anything else is an error of one
//! line. The data is only allocated once the file is known to hold it.

use std::io::Read;
use std::path::Path;

use crate::dtype::DType;
use crate::error::{Error, Result};

/// The largest header accepted, in bytes. NumPy writes headers of a few hundred bytes (its own
/// reader refuses more than 10,000 by default).
pub const MAX_HEADER_LEN: usize = 64 << 10;

/// The largest number of dimensions accepted (NumPy's own limit is 64).
pub const MAX_DIMS: usize = 64;

/// The data size [`read`] accepts, in bytes (4 GiB, the interpreter's default memory budget);
/// [`read_limited`] takes another.
pub const DEFAULT_MAX_DATA_BYTES: usize = 4 << 30;

const MAGIC: &[u8; 6] = b"\x93NUMPY";

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
    /// The elements one by one, as `T` (nothing is copied in bulk).
    pub fn values<T: bytemuck::Pod>(&self) -> impl Iterator<Item = T> + '_ {
        self.data.chunks_exact(size_of::<T>().max(1)).map(bytemuck::pod_read_unaligned)
    }
    /// An array from typed values.
    pub fn from_slice<T: bytemuck::Pod>(dtype: DType, shape: Vec<usize>, values: &[T]) -> Array {
        Array { dtype, shape, data: bytemuck::cast_slice(values).to_vec() }
    }
}

/// A parsed `.npy` header.
#[derive(Debug, Clone, PartialEq)]
struct Header {
    dtype: DType,
    big_endian: bool,
    shape: Vec<usize>,
}

impl Header {
    /// Bytes of data the header announces.
    fn data_bytes(&self) -> std::result::Result<usize, String> {
        let n = self.shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d)).ok_or("shape overflows")?;
        let size = self.dtype.byte_size(1).ok_or("unsupported element type")?;
        usize::try_from(size).ok().and_then(|s| n.checked_mul(s)).ok_or_else(|| "shape overflows".into())
    }
}

/// The preamble's length (10 bytes for version 1.0, 12 for 2.0 and 3.0), from its first 10 bytes.
fn preamble_len(p: &[u8]) -> std::result::Result<usize, String> {
    if p.len() < MAGIC.len() || &p[..MAGIC.len()] != MAGIC {
        return Err("not a .npy file (no \\x93NUMPY magic)".into());
    }
    if p.len() < 10 {
        return Err(format!("truncated .npy preamble ({} bytes)", p.len()));
    }
    match (p[6], p[7]) {
        (1, 0) => Ok(10),
        (2 | 3, 0) => Ok(12),
        (major, minor) => Err(format!("unsupported .npy format version {major}.{minor} (1.0, 2.0 and 3.0 are)")),
    }
}

/// The header length from a whole preamble (as long as [`preamble_len`] says), checked against
/// [`MAX_HEADER_LEN`].
fn header_len(p: &[u8]) -> std::result::Result<usize, String> {
    let len = match p {
        [_, _, _, _, _, _, 1, _, a, b] => u16::from_le_bytes([*a, *b]) as usize,
        [_, _, _, _, _, _, _, _, a, b, c, d] => u32::from_le_bytes([*a, *b, *c, *d]) as usize,
        _ => return Err(format!("truncated .npy preamble ({} bytes)", p.len())),
    };
    if len > MAX_HEADER_LEN {
        return Err(format!("the header length is {len} bytes, over the limit of {MAX_HEADER_LEN}"));
    }
    Ok(len)
}

/// A byte for an error message: itself when printable ASCII, else its code.
fn show_byte(c: u8) -> String {
    if c.is_ascii_graphic() { format!("'{}'", c as char) } else { format!("byte 0x{c:02x}") }
}

/// A string from the header for an error message (only printable ASCII gets here), shortened.
fn show_str(s: &str) -> String {
    if s.len() > 40 { format!("'{}...'", &s[..40]) } else { format!("'{s}'") }
}

/// A cursor over the header text. Every method moves forward or fails, so parsing is linear.
struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }
    /// Skips whitespace, then consumes `c` if it is next.
    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        let hit = self.peek() == Some(c);
        if hit {
            self.i += 1;
        }
        hit
    }
    fn unexpected(&self, what: &str) -> String {
        match self.peek() {
            None => format!("bad header: expected {what}, found the end of the header"),
            Some(c) => format!("bad header: expected {what} at byte {}, found {}", self.i, show_byte(c)),
        }
    }
    fn expect(&mut self, c: u8, what: &str) -> std::result::Result<(), String> {
        if self.eat(c) { Ok(()) } else { Err(self.unexpected(what)) }
    }
    /// A quoted string of printable ASCII without escapes.
    fn string(&mut self, what: &str) -> std::result::Result<&'a str, String> {
        self.ws();
        let quote = match self.peek() {
            Some(q @ (b'\'' | b'"')) => q,
            _ => return Err(self.unexpected(what)),
        };
        let start = self.i + 1;
        let mut j = start;
        loop {
            match self.s.get(j) {
                Some(&c) if c == quote => break,
                Some(&c) if (0x20..0x7f).contains(&c) && c != b'\\' => j += 1,
                Some(&c) => return Err(format!("bad header: {} in a string at byte {j}", show_byte(c))),
                None => return Err("bad header: unterminated string".into()),
            }
        }
        self.i = j + 1;
        // Printable ASCII only, so this cannot fail.
        std::str::from_utf8(&self.s[start..j]).map_err(|_| "bad header: string is not ASCII".into())
    }
    /// A run of ASCII letters, digits and underscores (possibly empty).
    fn word(&mut self) -> &'a [u8] {
        self.ws();
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_') {
            self.i += 1;
        }
        &self.s[start..self.i]
    }
    /// A shape: a tuple of non-negative integers, `()`, `(3,)`, `(2, 3)` or `(2, 3,)`.
    fn shape(&mut self) -> std::result::Result<Vec<usize>, String> {
        self.expect(b'(', "'(' starting the shape")?;
        let mut dims = Vec::new();
        let mut trailing_comma = false;
        while !self.eat(b')') {
            let w = self.word();
            // Python 2 wrote long integers with an L suffix (`(3L,)`).
            let digits = w.strip_suffix(b"L").unwrap_or(w);
            if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                self.i -= w.len();
                return Err(self.unexpected("a dimension or ')'"));
            }
            let d = digits
                .iter()
                .try_fold(0usize, |a, &c| a.checked_mul(10)?.checked_add(usize::from(c - b'0')))
                .ok_or("a dimension is too large")?;
            if dims.len() == MAX_DIMS {
                return Err(format!("the shape has more than {MAX_DIMS} dimensions"));
            }
            dims.push(d);
            trailing_comma = self.eat(b',');
            if !trailing_comma {
                self.expect(b')', "',' or ')'")?;
                break;
            }
        }
        if dims.len() == 1 && !trailing_comma {
            return Err(format!(
                "bad header: shape ({}) is not a tuple (a 1-d shape is written ({},))",
                dims[0], dims[0]
            ));
        }
        Ok(dims)
    }
}

/// The element type and byte order of a `descr` string such as `'<f4'` or `'|u1'`.
fn parse_descr(d: &str) -> std::result::Result<(DType, bool), String> {
    let (order, code) = match d.as_bytes().first() {
        Some(&c @ (b'<' | b'>' | b'|' | b'=')) => (c, &d[1..]),
        _ => (b'=', d),
    };
    let dtype = match code {
        "b1" | "?" => DType::Bool,
        "i1" => DType::Int8,
        "i2" => DType::Int16,
        "i4" => DType::Int32,
        "i8" => DType::Int64,
        "u1" => DType::UInt8,
        "u2" => DType::UInt16,
        "u4" => DType::UInt32,
        "u8" => DType::UInt64,
        "f2" => DType::Float16,
        "f4" => DType::Float32,
        "f8" => DType::Float64,
        _ => return Err(format!("unsupported element type {}", show_str(d))),
    };
    let multi_byte = dtype.byte_size(1).is_some_and(|s| s > 1);
    let big_endian = match order {
        b'<' => false,
        b'>' => true,
        b'|' if multi_byte => return Err(format!("element type {} has no byte order", show_str(d))),
        b'|' => false,
        _ => cfg!(target_endian = "big"),
    };
    Ok((dtype, big_endian))
}

/// Parses the header text: `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`, keys
/// in any order, each exactly once, with any whitespace and an optional trailing comma.
fn parse_header(text: &[u8]) -> std::result::Result<Header, String> {
    let mut c = Cursor { s: text, i: 0 };
    let (mut descr, mut fortran_order, mut shape) = (None, None, None);
    c.expect(b'{', "'{'")?;
    while !c.eat(b'}') {
        let key = c.string("a key or '}'")?;
        c.expect(b':', "':'")?;
        let dup = match key {
            "descr" => {
                c.ws();
                if matches!(c.peek(), Some(b'[' | b'{')) {
                    return Err("structured arrays are not supported".into());
                }
                descr.replace(parse_descr(c.string("the 'descr' string")?)?).is_some()
            }
            "fortran_order" => {
                let v = match c.word() {
                    b"True" => true,
                    b"False" => false,
                    w => {
                        c.i -= w.len();
                        return Err(c.unexpected("True or False"));
                    }
                };
                fortran_order.replace(v).is_some()
            }
            "shape" => shape.replace(c.shape()?).is_some(),
            other => return Err(format!("bad header: unknown key {}", show_str(other))),
        };
        if dup {
            return Err(format!("bad header: key '{key}' given twice"));
        }
        if !c.eat(b',') {
            c.expect(b'}', "',' or '}'")?;
            break;
        }
    }
    c.ws();
    if c.i != text.len() {
        return Err(c.unexpected("the end of the header after '}'"));
    }
    let missing = |k: &str| format!("bad header: no '{k}' key");
    let (dtype, big_endian) = descr.ok_or_else(|| missing("descr"))?;
    let fortran_order = fortran_order.ok_or_else(|| missing("fortran_order"))?;
    let shape = shape.ok_or_else(|| missing("shape"))?;
    if fortran_order && shape.len() > 1 {
        return Err("Fortran-ordered arrays are not supported (save with np.ascontiguousarray)".into());
    }
    Ok(Header { dtype, big_endian, shape })
}

/// The array of a header and its data bytes (at least as many as the header announces).
fn finish(h: Header, mut data: Vec<u8>) -> Array {
    let size = h.dtype.byte_size(1).unwrap_or(1) as usize;
    if h.big_endian && size > 1 {
        for c in data.chunks_exact_mut(size) {
            c.reverse();
        }
    }
    Array { dtype: h.dtype, shape: h.shape, data }
}

fn short_data(want: usize, have: usize) -> String {
    format!("the header announces {want} bytes of data but the file holds {have}")
}

/// Parses `.npy` bytes. Errors are one line.
pub fn parse(bytes: &[u8]) -> std::result::Result<Array, String> {
    let pre = preamble_len(bytes.get(..10).unwrap_or(bytes))?;
    let hl = header_len(bytes.get(..pre).unwrap_or(bytes))?;
    let header = bytes.get(pre..pre + hl).ok_or_else(|| {
        format!("the header length is {hl} bytes, but the file holds {} after the preamble", bytes.len() - pre)
    })?;
    let h = parse_header(header)?;
    let want = h.data_bytes()?;
    let data = &bytes[pre + hl..];
    if data.len() < want {
        return Err(short_data(want, data.len()));
    }
    let mut v = Vec::new();
    v.try_reserve_exact(want).map_err(|e| format!("cannot allocate {want} bytes: {e}"))?;
    v.extend_from_slice(&data[..want]);
    Ok(finish(h, v))
}

/// Reads up to `n` bytes (fewer at the end of the file), allocating only for what is read.
fn read_up_to(r: &mut impl Read, n: usize) -> std::io::Result<Vec<u8>> {
    let mut v = Vec::new();
    r.take(n as u64).read_to_end(&mut v)?;
    Ok(v)
}

/// Reads a `.npy` file whose data is at most [`DEFAULT_MAX_DATA_BYTES`].
pub fn read(path: &Path) -> Result<Array> {
    read_limited(path, DEFAULT_MAX_DATA_BYTES)
}

/// Reads a `.npy` file whose data is at most `max_data_bytes`. Only the header is read before
/// the data size is known; the data is allocated only once the file is known to hold it (or, for
/// a pipe or device, as it arrives). Errors name the file and are one line.
pub fn read_limited(path: &Path, max_data_bytes: usize) -> Result<Array> {
    let io = |source| Error::Io { path: path.to_path_buf(), source };
    let bad = |e: String| Error::Usage(format!("{}: {e}", path.display()));
    let mut f = std::fs::File::open(path).map_err(io)?;
    let mut pre = read_up_to(&mut f, 10).map_err(io)?;
    let n = preamble_len(&pre).map_err(bad)?;
    pre.extend(read_up_to(&mut f, n - pre.len()).map_err(io)?);
    let hl = header_len(&pre).map_err(bad)?;
    let header = read_up_to(&mut f, hl).map_err(io)?;
    if header.len() < hl {
        return Err(bad(format!(
            "the header length is {hl} bytes, but the file holds {} after the preamble",
            header.len()
        )));
    }
    let h = parse_header(&header).map_err(bad)?;
    let want = h.data_bytes().map_err(bad)?;
    if want > max_data_bytes {
        return Err(bad(format!("the header announces {want} bytes of data, over the limit of {max_data_bytes}")));
    }
    let meta = f.metadata().map_err(io)?;
    let mut data = Vec::new();
    if meta.is_file() {
        let have = meta.len().saturating_sub((n + hl) as u64);
        if have < want as u64 {
            return Err(bad(short_data(want, have as usize)));
        }
        data.try_reserve_exact(want).map_err(|e| bad(format!("cannot allocate {want} bytes: {e}")))?;
    }
    (&mut f).take(want as u64).read_to_end(&mut data).map_err(io)?;
    if data.len() < want {
        return Err(bad(short_data(want, data.len())));
    }
    Ok(finish(h, data))
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

/// The `.npy` (format 1.0) header of an array: magic, version, length and the padded dict.
fn header_bytes(a: &Array) -> Result<Vec<u8>> {
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
    let len = u16::try_from(header.len())
        .map_err(|_| Error::Usage(format!("a {}-dimensional array does not fit a .npy 1.0 header", a.shape.len())))?;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    Ok(out)
}

/// Serializes an array as `.npy` (format 1.0) bytes.
pub fn to_bytes(a: &Array) -> Result<Vec<u8>> {
    let mut out = header_bytes(a)?;
    out.extend_from_slice(&a.data);
    Ok(out)
}

/// Writes a `.npy` file (without copying the data).
pub fn write(path: &Path, a: &Array) -> Result<()> {
    use std::io::Write;
    let header = header_bytes(a)?;
    let io = |source| Error::Io { path: path.to_path_buf(), source };
    let mut f = std::fs::File::create(path).map_err(io)?;
    f.write_all(&header).map_err(io)?;
    f.write_all(&a.data).map_err(io)?;
    f.flush().map_err(io)
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

    /// A .npy file with the given version and header text, then `data`.
    fn npy(major: u8, header: &str, data: &[u8]) -> Vec<u8> {
        let mut b = vec![0x93, b'N', b'U', b'M', b'P', b'Y', major, 0];
        match major {
            1 => b.extend_from_slice(&(header.len() as u16).to_le_bytes()),
            _ => b.extend_from_slice(&(header.len() as u32).to_le_bytes()),
        }
        b.extend_from_slice(header.as_bytes());
        b.extend_from_slice(data);
        b
    }

    fn header(text: &str) -> std::result::Result<Header, String> {
        parse_header(text.as_bytes())
    }

    fn one_line(e: String) -> String {
        assert!(!e.contains('\n'), "multi-line error: {e:?}");
        e
    }

    #[test]
    fn versions_1_2_3() {
        let h = "{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }\n";
        for major in [1, 2, 3] {
            let a = parse(&npy(major, h, &[1, 0, 2, 0])).unwrap();
            assert_eq!((a.dtype, a.shape.clone(), a.to_vec::<i16>()), (DType::Int16, vec![2], vec![1, 2]));
        }
        let e = one_line(parse(&npy(4, h, &[1, 0, 2, 0])).unwrap_err());
        assert!(e.contains("version 4.0"), "{e}");
        let mut b = npy(1, h, &[1, 0, 2, 0]);
        b[7] = 1;
        assert!(parse(&b).unwrap_err().contains("version 1.1"));
    }

    #[test]
    fn headers_numpy_writes() {
        let ok = |t: &str| header(t).unwrap_or_else(|e| panic!("{t:?}: {e}"));
        assert_eq!(ok("{'descr': '<f4', 'fortran_order': False, 'shape': (), }").shape, Vec::<usize>::new());
        assert_eq!(ok("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }").shape, vec![3]);
        assert_eq!(ok("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}").shape, vec![2, 3]);
        assert_eq!(ok("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3,), }").shape, vec![2, 3]);
        // Key order, double quotes, whitespace, Python 2 longs, a 1-d Fortran array.
        let h = ok(" {\"shape\" :( 4L , ) ,'fortran_order':True,\n'descr':'>u2'}  \n");
        assert_eq!(h, Header { dtype: DType::UInt16, big_endian: true, shape: vec![4] });
        assert_eq!(ok("{'descr': '|b1', 'fortran_order': False, 'shape': (0, 5)}").shape, vec![0, 5]);
        assert_eq!(ok("{'descr': '|u1', 'fortran_order': True, 'shape': ()}").dtype, DType::UInt8);
    }

    #[test]
    fn bad_headers_are_one_line_errors() {
        let base = "'descr': '<f4', 'fortran_order': False";
        for (text, want) in [
            (String::new(), "expected '{'"),
            ("{".to_string(), "end of the header"),
            (format!("{{{base}, 'shape': (3,)"), "end of the header"),
            (format!("{{{base}, 'shape': (3,)}} x"), "after '}'"),
            (format!("{{{base}, 'shape': (3,), 'extra': 1}}"), "unknown key 'extra'"),
            (format!("{{{base}, 'shape': (3,), 'shape': (3,)}}"), "given twice"),
            (format!("{{{base}}}"), "no 'shape'"),
            (format!("{{{base}, 'shape': (3)}}"), "not a tuple"),
            (format!("{{{base}, 'shape': (,)}}"), "a dimension"),
            (format!("{{{base}, 'shape': (3,,)}}"), "a dimension"),
            (format!("{{{base}, 'shape': (-3,)}}"), "a dimension"),
            (format!("{{{base}, 'shape': (3 4)}}"), "',' or ')'"),
            (format!("{{{base}, 'shape': [3]}}"), "'('"),
            (format!("{{{base}, 'shape': ((3,),)}}"), "a dimension"),
            (format!("{{{base}, 'shape': (99999999999999999999999,)}}"), "too large"),
            (format!("{{{base}, 'shape': ({})}}", "1,".repeat(65)), "more than 64"),
            ("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': ()}".into(), "structured"),
            ("{'descr': '<c8', 'fortran_order': False, 'shape': ()}".into(), "unsupported element type '<c8'"),
            ("{'descr': '|O', 'fortran_order': False, 'shape': ()}".into(), "unsupported element type"),
            ("{'descr': '|f4', 'fortran_order': False, 'shape': ()}".into(), "no byte order"),
            ("{'descr': '<f4', 'fortran_order': Maybe, 'shape': ()}".into(), "True or False"),
            ("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2)}".into(), "Fortran"),
            ("{'descr': '<f4\n', 'fortran_order': False, 'shape': ()}".into(), "in a string"),
            ("{'descr': '<f4".into(), "unterminated"),
        ] {
            let e = one_line(header(&text).unwrap_err());
            assert!(e.contains(want), "{text:?}: {e:?} does not mention {want:?}");
        }
    }

    #[test]
    fn nesting_is_rejected_at_once() {
        // F13: npyz's grammar backtracked exponentially on these (40 braces never finished).
        for open in ["{", "[", "(", "{[", "[(", "{'a':["] {
            let text = open.repeat(10_000);
            let b = npy(2, &text, &[]);
            let e = one_line(parse(&b).unwrap_err());
            assert!(e.starts_with("bad header"), "{e}");
        }
        let e = header(&format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {}", "(".repeat(50_000)));
        assert!(e.unwrap_err().contains("a dimension"));
    }

    #[test]
    fn header_length_is_checked_first() {
        // F6: a v2 preamble announcing a 4 GiB header, and nothing else.
        let e = one_line(parse(b"\x93NUMPY\x02\x00\xff\xff\xff\xff").unwrap_err());
        assert!(e.contains("over the limit of 65536"), "{e}");
        let mut b = npy(2, "{}", &[]);
        b[8..12].copy_from_slice(&60_000u32.to_le_bytes());
        assert!(parse(&b).unwrap_err().contains("the file holds 2 after the preamble"));
        // Truncated preambles and headers.
        for n in 0..10 {
            assert!(parse(&b"\x93NUMPY\x01\x00\x10\x00"[..n]).is_err());
        }
        assert!(parse(b"\x93NUMPY\x02\x00\x10\x00").unwrap_err().contains("truncated"));
        let full = npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", &[0; 4]);
        for n in 0..full.len() {
            one_line(parse(&full[..n]).unwrap_err());
        }
        assert!(parse(&full).is_ok());
    }

    #[test]
    fn the_data_is_checked_before_it_is_allocated() {
        let e = parse(&npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,)}", &[]));
        assert_eq!(e.unwrap_err(), "the header announces 8000000000000 bytes of data but the file holds 0");
        let e = parse(&npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296)}", &[]));
        assert_eq!(e.unwrap_err(), "shape overflows");
    }

    #[test]
    fn big_endian_data_is_swapped() {
        let a = parse(&npy(
            1,
            "{'descr': '>i4', 'fortran_order': False, 'shape': (2,)}",
            &[0, 0, 1, 2, 255, 255, 255, 254],
        ))
        .unwrap();
        assert_eq!(a.to_vec::<i32>(), vec![0x0102, -2]);
    }

    #[test]
    fn read_limited_checks_the_file() {
        let dir = std::env::temp_dir().join(format!("qlite-npy-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("a.npy");
        let a = Array::from_slice(DType::Float32, vec![2, 2], &[1f32, 2.0, 3.0, 4.0]);
        write(&p, &a).unwrap();
        assert_eq!(read(&p).unwrap(), a);
        let e = read_limited(&p, 15).unwrap_err().to_string();
        assert!(e.contains("a.npy: the header announces 16 bytes of data, over the limit of 15"), "{e}");
        let mut b = to_bytes(&a).unwrap();
        b.truncate(b.len() - 1);
        std::fs::write(&p, &b).unwrap();
        let e = read(&p).unwrap_err().to_string();
        assert!(e.contains("a.npy: the header announces 16 bytes of data but the file holds 15"), "{e}");
        std::fs::write(&p, b"\x93NUMPY\x02\x00\xff\xff\xff\xff").unwrap();
        assert!(read(&p).unwrap_err().to_string().contains("over the limit of 65536"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
