//! A minimal JSON value and writer for the CLI's `--json` outputs (no extra dependency).

use std::fmt::Write as _;

/// A JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float32, written with the shortest digits that read back as the same float32;
    /// non-finite values are written as `null`.
    F32(f32),
    /// A float64, likewise.
    F64(f64),
    /// A string.
    Str(String),
    /// An array.
    Arr(Vec<Json>),
    /// An object, keys in insertion order.
    Obj(Vec<(String, Json)>),
}

impl Json {
    /// An object from key/value pairs.
    pub fn obj<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Json)>) -> Json {
        Json::Obj(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// Serializes compactly.
    pub fn to_compact(&self) -> String {
        let mut s = String::new();
        self.write(&mut s, None, 0);
        s
    }

    /// Serializes with two-space indentation.
    pub fn to_pretty(&self) -> String {
        let mut s = String::new();
        self.write(&mut s, Some(2), 0);
        s
    }

    fn write(&self, out: &mut String, indent: Option<usize>, depth: usize) {
        let nl = |out: &mut String, d: usize| {
            if let Some(n) = indent {
                out.push('\n');
                out.extend(std::iter::repeat_n(' ', n * d));
            }
        };
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Json::F32(f) if f.is_finite() => {
                let _ = write!(out, "{f:?}");
            }
            Json::F64(f) if f.is_finite() => {
                let _ = write!(out, "{f:?}");
            }
            Json::F32(_) | Json::F64(_) => out.push_str("null"),
            Json::Str(s) => escape(out, s),
            Json::Arr(a) => {
                out.push('[');
                // Arrays of scalars stay on one line.
                let flat = a.iter().all(|v| !matches!(v, Json::Arr(_) | Json::Obj(_)));
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                        if flat && indent.is_some() {
                            out.push(' ');
                        }
                    }
                    if !flat {
                        nl(out, depth + 1);
                    }
                    v.write(out, indent, depth + 1);
                }
                if !flat && !a.is_empty() {
                    nl(out, depth);
                }
                out.push(']');
            }
            Json::Obj(o) => {
                out.push('{');
                for (i, (k, v)) in o.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    nl(out, depth + 1);
                    escape(out, k);
                    out.push(':');
                    if indent.is_some() {
                        out.push(' ');
                    }
                    v.write(out, indent, depth + 1);
                }
                if !o.is_empty() {
                    nl(out, depth);
                }
                out.push('}');
            }
        }
    }
}

fn escape(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::Json;

    #[test]
    fn writes_escaped_compact_json() {
        let v = Json::obj([
            ("a", Json::Arr(vec![Json::Int(-3), Json::F32(0.1), Json::F32(f32::NAN), Json::Null])),
            ("s", Json::Str("q\"\\\n\u{1}".into())),
            ("b", Json::Bool(true)),
        ]);
        assert_eq!(v.to_compact(), r#"{"a":[-3,0.1,null,null],"s":"q\"\\\n\u0001","b":true}"#);
    }

    #[test]
    fn float32_round_trips() {
        let x = 0.003921568859368563_f64 as f32;
        let s = Json::F32(x).to_compact();
        assert_eq!(s.parse::<f32>().ok(), Some(x));
        assert_eq!(Json::F32(1e-10).to_compact(), "1e-10");
    }
}
