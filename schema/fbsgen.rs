//! A FlatBuffers schema parser and Rust code generator for the subset of the FlatBuffers IDL that
//! the TensorFlow Lite schema uses: `namespace`, `file_identifier`, `file_extension`, `root_type`,
//! `attribute`, `enum`, `union`, `table` and `struct` declarations, with attributes (such as
//! `(deprecated)`) accepted on fields, enum values and union members.
//!
//! Used by `build.rs` (to write the bindings into `OUT_DIR`) and by `tests/schema_layout.rs`
//! (to check the derived vtable slots and enum values against TensorFlow's own generated Python).
//!
//! The generated code targets the `flatbuffers` runtime crate (25.x): every table gets a
//! `Follow` and a `Verifiable` implementation, enums are open (`#[repr(transparent)]` newtypes,
//! so unknown values from newer files still verify), unions are a discriminant enum plus a
//! `<field>_as::<T>()` accessor checked against the discriminant.
//!
//! Build-time code: a malformed schema is a bug in this repository, so errors are returned as
//! `String` and `build.rs` stops the build with them.

#![allow(dead_code)]

use std::collections::HashMap;
use std::fmt::Write as _;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(String),
    Punct(char),
}

fn tokenize(src: &str) -> Result<Vec<(Tok, usize)>, String> {
    let b = src.as_bytes();
    let mut i = 0;
    let mut line = 1;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i] as char;
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_ascii_whitespace() {
            i += 1;
        } else if src[i..].starts_with("//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if src[i..].starts_with("/*") {
            let end = src[i + 2..].find("*/").ok_or(format!("line {line}: unterminated comment"))?;
            line += src[i..i + 2 + end].matches('\n').count();
            i += end + 4;
        } else if c == '"' {
            let end = src[i + 1..].find('"').ok_or(format!("line {line}: unterminated string"))?;
            out.push((Tok::Str(src[i + 1..i + 1 + end].to_string()), line));
            i += end + 2;
        } else if c.is_ascii_alphabetic() || c == '_' {
            let s = i;
            while i < b.len() && ((b[i] as char).is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.') {
                i += 1;
            }
            out.push((Tok::Ident(src[s..i].to_string()), line));
        } else if c.is_ascii_digit() || c == '-' || c == '+' {
            let s = i;
            i += 1;
            while i < b.len()
                && ((b[i] as char).is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'-' || b[i] == b'+')
            {
                i += 1;
            }
            out.push((Tok::Num(src[s..i].to_string()), line));
        } else if "{}()[]:;=,".contains(c) {
            out.push((Tok::Punct(c), line));
            i += 1;
        } else {
            return Err(format!("line {line}: unexpected character {c:?}"));
        }
    }
    Ok(out)
}

/// A field's type as written in the schema.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    Named(String),
    Vector(String),
}

#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub ty: Ty,
    pub default: Option<String>,
    pub attrs: Vec<(String, Option<String>)>,
}

impl Field {
    pub fn has_attr(&self, a: &str) -> bool {
        self.attrs.iter().any(|(k, _)| k == a)
    }
}

#[derive(Debug, Clone)]
pub struct EnumDef {
    pub name: String,
    pub base: String,
    pub values: Vec<(String, i64)>,
    pub is_union: bool,
}

#[derive(Debug, Clone)]
pub struct TableDef {
    pub name: String,
    pub fields: Vec<Field>,
    pub is_struct: bool,
}

#[derive(Debug, Default)]
pub struct Schema {
    pub namespace: String,
    pub file_identifier: Option<String>,
    pub root_type: Option<String>,
    pub enums: Vec<EnumDef>,
    pub tables: Vec<TableDef>,
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
}

impl Parser {
    fn line(&self) -> usize {
        self.toks.get(self.pos).or(self.toks.last()).map(|t| t.1).unwrap_or(0)
    }
    fn err<T>(&self, msg: &str) -> Result<T, String> {
        Err(format!("schema line {}: {msg}", self.line()))
    }
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.0)
    }
    fn next(&mut self) -> Result<Tok, String> {
        let t = self.toks.get(self.pos).map(|t| t.0.clone());
        self.pos += 1;
        t.ok_or_else(|| "schema: unexpected end of file".to_string())
    }
    fn ident(&mut self) -> Result<String, String> {
        match self.next()? {
            Tok::Ident(s) => Ok(s),
            t => self.err(&format!("expected identifier, got {t:?}")),
        }
    }
    fn punct(&mut self, c: char) -> Result<(), String> {
        match self.next()? {
            Tok::Punct(p) if p == c => Ok(()),
            t => self.err(&format!("expected '{c}', got {t:?}")),
        }
    }
    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(&Tok::Punct(c)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn value(&mut self) -> Result<String, String> {
        match self.next()? {
            Tok::Ident(s) | Tok::Num(s) | Tok::Str(s) => Ok(s),
            t => self.err(&format!("expected a value, got {t:?}")),
        }
    }
    /// `( name [: value], ... )`, or nothing.
    fn attrs(&mut self) -> Result<Vec<(String, Option<String>)>, String> {
        let mut out = Vec::new();
        if !self.eat('(') {
            return Ok(out);
        }
        loop {
            let k = self.ident()?;
            let v = if self.eat(':') { Some(self.value()?) } else { None };
            out.push((k, v));
            if self.eat(')') {
                return Ok(out);
            }
            self.punct(',')?;
        }
    }
}

fn parse_int(s: &str) -> Option<i64> {
    if let Some(h) = s.strip_prefix("0x") { i64::from_str_radix(h, 16).ok() } else { s.parse().ok() }
}

pub fn parse(src: &str) -> Result<Schema, String> {
    let mut p = Parser { toks: tokenize(src)?, pos: 0 };
    let mut s = Schema::default();
    while p.peek().is_some() {
        let kw = p.ident()?;
        match kw.as_str() {
            "namespace" => {
                s.namespace = p.ident()?;
                p.punct(';')?;
            }
            "file_identifier" | "file_extension" | "attribute" => {
                let v = p.value()?;
                if kw == "file_identifier" {
                    s.file_identifier = Some(v);
                }
                p.punct(';')?;
            }
            "root_type" => {
                s.root_type = Some(p.ident()?);
                p.punct(';')?;
            }
            "include" => return p.err("include is not supported"),
            "enum" | "union" => {
                let name = p.ident()?;
                let is_union = kw == "union";
                let base = if is_union {
                    "ubyte".to_string()
                } else {
                    p.punct(':')?;
                    p.ident()?
                };
                p.attrs()?;
                p.punct('{')?;
                let mut values: Vec<(String, i64)> = Vec::new();
                if is_union {
                    values.push(("NONE".into(), 0));
                }
                let mut next = if is_union { 1 } else { 0 };
                while !p.eat('}') {
                    let vname = p.ident()?;
                    p.attrs()?;
                    let mut v = next;
                    if p.eat('=') {
                        let lit = p.value()?;
                        v = parse_int(&lit).ok_or(format!("bad enum value {lit}"))?;
                    }
                    p.attrs()?;
                    if values.iter().any(|(n, x)| *n == vname || (*x == v && !is_union)) {
                        return p.err(&format!("duplicate enum value {vname} = {v}"));
                    }
                    values.push((vname, v));
                    next = v + 1;
                    if !p.eat(',') {
                        p.punct('}')?;
                        break;
                    }
                }
                s.enums.push(EnumDef { name, base, values, is_union });
            }
            "table" | "struct" => {
                let name = p.ident()?;
                p.attrs()?;
                p.punct('{')?;
                let mut fields = Vec::new();
                while !p.eat('}') {
                    let fname = p.ident()?;
                    p.punct(':')?;
                    let ty = if p.eat('[') {
                        let t = p.ident()?;
                        p.punct(']')?;
                        Ty::Vector(t)
                    } else {
                        Ty::Named(p.ident()?)
                    };
                    let default = if p.eat('=') { Some(p.value()?) } else { None };
                    let attrs = p.attrs()?;
                    p.punct(';')?;
                    fields.push(Field { name: fname, ty, default, attrs });
                }
                s.tables.push(TableDef { name, fields, is_struct: kw == "struct" });
            }
            _ => return p.err(&format!("unexpected keyword {kw}")),
        }
    }
    Ok(s)
}

/// Scalar type names of the IDL mapped to Rust.
pub fn scalar_rust(t: &str) -> Option<&'static str> {
    Some(match t {
        "bool" => "bool",
        "byte" | "int8" => "i8",
        "ubyte" | "uint8" => "u8",
        "short" | "int16" => "i16",
        "ushort" | "uint16" => "u16",
        "int" | "int32" => "i32",
        "uint" | "uint32" => "u32",
        "long" | "int64" => "i64",
        "ulong" | "uint64" => "u64",
        "float" | "float32" => "f32",
        "double" | "float64" => "f64",
        _ => return None,
    })
}

/// What a field's type resolves to.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Scalar(&'static str),
    Enum(String, &'static str),
    Union(String),
    Str,
    Table(String),
    VecScalar(&'static str),
    VecEnum(String, &'static str),
    VecStr,
    VecTable(String),
}

impl Schema {
    pub fn find_enum(&self, n: &str) -> Option<&EnumDef> {
        self.enums.iter().find(|e| e.name == n)
    }
    fn is_table(&self, n: &str) -> bool {
        self.tables.iter().any(|t| t.name == n && !t.is_struct)
    }

    pub fn kind(&self, ty: &Ty) -> Result<Kind, String> {
        let base = |n: &str| -> Result<Kind, String> {
            if let Some(r) = scalar_rust(n) {
                return Ok(Kind::Scalar(r));
            }
            if n == "string" {
                return Ok(Kind::Str);
            }
            if let Some(e) = self.find_enum(n) {
                if e.is_union {
                    return Ok(Kind::Union(n.to_string()));
                }
                let r = scalar_rust(&e.base).ok_or(format!("enum {n}: bad base type"))?;
                return Ok(Kind::Enum(n.to_string(), r));
            }
            if self.is_table(n) {
                return Ok(Kind::Table(n.to_string()));
            }
            Err(format!("unknown or unsupported type {n}"))
        };
        Ok(match ty {
            Ty::Named(n) => base(n)?,
            Ty::Vector(n) => match base(n)? {
                Kind::Scalar(r) => Kind::VecScalar(r),
                Kind::Enum(e, r) => Kind::VecEnum(e, r),
                Kind::Str => Kind::VecStr,
                Kind::Table(t) => Kind::VecTable(t),
                _ => return Err(format!("vectors of {n} are not supported")),
            },
        })
    }

    /// Every (table, accessor field name, vtable offset, kind label) in declaration order, with
    /// deprecated fields omitted (their slots still count). A union field yields `NAME_type` and
    /// `NAME`.
    pub fn slots(&self) -> Result<Vec<(String, String, u16, String)>, String> {
        let mut out = Vec::new();
        for t in self.tables.iter().filter(|t| !t.is_struct) {
            let mut slot: u16 = 0;
            for f in &t.fields {
                let k = self.kind(&f.ty)?;
                let dep = f.has_attr("deprecated");
                if let Kind::Union(_) = k {
                    if !dep {
                        out.push((t.name.clone(), format!("{}_type", f.name), 4 + 2 * slot, "uint8".into()));
                        out.push((t.name.clone(), f.name.clone(), 6 + 2 * slot, "union".into()));
                    }
                    slot += 2;
                } else {
                    if !dep {
                        out.push((t.name.clone(), f.name.clone(), 4 + 2 * slot, kind_label(&k)));
                    }
                    slot += 1;
                }
            }
        }
        Ok(out)
    }
}

/// A type label shared with the reference extracted from TensorFlow's generated Python.
pub fn kind_label(k: &Kind) -> String {
    fn sc(r: &str) -> &'static str {
        match r {
            "bool" => "bool",
            "i8" => "int8",
            "u8" => "uint8",
            "i16" => "int16",
            "u16" => "uint16",
            "i32" => "int32",
            "u32" => "uint32",
            "i64" => "int64",
            "u64" => "uint64",
            "f32" => "float32",
            _ => "float64",
        }
    }
    match k {
        Kind::Scalar(r) | Kind::Enum(_, r) => sc(r).to_string(),
        Kind::Union(_) => "union".into(),
        Kind::Str => "string".into(),
        Kind::Table(_) => "table".into(),
        Kind::VecScalar(r) | Kind::VecEnum(_, r) => format!("[{}]", sc(r)),
        Kind::VecStr => "[string]".into(),
        Kind::VecTable(_) => "[table]".into(),
    }
}

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "box", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false",
    "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while", "yield",
];

fn field_ident(n: &str) -> String {
    if KEYWORDS.contains(&n) { format!("{n}_") } else { n.to_string() }
}

fn default_literal(s: &Schema, k: &Kind, d: Option<&str>) -> Result<String, String> {
    Ok(match k {
        Kind::Scalar("bool") => match d {
            None | Some("false") | Some("0") => "false".into(),
            Some("true") | Some("1") => "true".into(),
            Some(x) => return Err(format!("bad bool default {x}")),
        },
        Kind::Scalar(r @ ("f32" | "f64")) => {
            let v: f64 = d.unwrap_or("0").parse().map_err(|_| format!("bad float default {d:?}"))?;
            format!("{v:?}{r}")
        }
        Kind::Scalar(r) => {
            let v = d.map(|x| parse_int(x).ok_or(format!("bad int default {x}"))).transpose()?.unwrap_or(0);
            format!("{v}{r}")
        }
        Kind::Enum(e, _) => {
            let def = s.find_enum(e).ok_or("enum vanished")?;
            let v = match d {
                None => 0,
                Some(x) => match parse_int(x) {
                    Some(v) => v,
                    None => def
                        .values
                        .iter()
                        .find(|(n, _)| n == x)
                        .map(|(_, v)| *v)
                        .ok_or(format!("enum {e} has no {x}"))?,
                },
            };
            format!("{e}({v})")
        }
        _ => return Err("default on a non-scalar field".into()),
    })
}

/// Generates the Rust bindings.
pub fn generate(s: &Schema) -> Result<String, String> {
    let mut o = String::new();
    let w = &mut o;
    let _ = writeln!(w, "// Generated by build.rs from schema/schema.fbs. Do not edit.");
    let _ = writeln!(
        w,
        "use flatbuffers::{{Follow, ForwardsUOffset, Vector, Verifiable, Verifier, InvalidFlatbuffer, VOffsetT}};\n"
    );
    // A union member of a type this schema does not know (a newer converter's options table) is
    // still verified as a table, so that the raw union accessors (`builtin_options()`), which
    // follow it as a table, never read a vtable outside the buffer.
    let _ = writeln!(
        w,
        "/// A table of a union type this schema does not know: only its table structure is verified.\n\
         pub struct UnknownUnionTable;\n\
         impl Verifiable for UnknownUnionTable {{\n    #[inline]\n    \
         fn run_verifier(v: &mut Verifier, pos: usize) -> Result<(), InvalidFlatbuffer> {{\n        \
         v.visit_table(pos)?.finish();\n        Ok(())\n    }}\n}}\n"
    );

    for e in &s.enums {
        let r = scalar_rust(&e.base).ok_or(format!("enum {}: bad base {}", e.name, e.base))?;
        let n = &e.name;
        let _ =
            writeln!(w, "#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]\n#[repr(transparent)]");
        let _ = writeln!(w, "pub struct {n}(pub {r});\n#[allow(non_upper_case_globals)]\nimpl {n} {{");
        for (vn, v) in &e.values {
            let _ = writeln!(w, "    pub const {vn}: Self = Self({v});");
        }
        let _ = writeln!(
            w,
            "    pub const ENUM_VALUES: &'static [Self] = &[{}];",
            e.values.iter().map(|(v, _)| format!("Self::{v}")).collect::<Vec<_>>().join(", ")
        );
        let _ =
            writeln!(w, "    /// The schema's name for this value, or `None` for a value this build does not know.");
        let _ = writeln!(w, "    pub fn variant_name(self) -> Option<&'static str> {{\n        match self.0 {{");
        for (vn, v) in &e.values {
            let _ = writeln!(w, "            {v} => Some(\"{vn}\"),");
        }
        let _ = writeln!(w, "            _ => None,\n        }}\n    }}\n}}");
        let _ = writeln!(
            w,
            "impl core::fmt::Debug for {n} {{\n    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {{\n        match self.variant_name() {{ Some(s) => f.write_str(s), None => write!(f, \"<unknown {n} {{}}>\", self.0) }}\n    }}\n}}"
        );
        let _ = writeln!(
            w,
            "impl<'a> Follow<'a> for {n} {{\n    type Inner = Self;\n    #[inline]\n    unsafe fn follow(buf: &'a [u8], loc: usize) -> Self {{\n        // SAFETY: the caller guarantees a verified scalar at `loc`.\n        Self(unsafe {{ flatbuffers::read_scalar_at::<{r}>(buf, loc) }})\n    }}\n}}"
        );
        let _ = writeln!(
            w,
            "impl Verifiable for {n} {{\n    #[inline]\n    fn run_verifier(v: &mut Verifier, pos: usize) -> Result<(), InvalidFlatbuffer> {{ {r}::run_verifier(v, pos) }}\n}}"
        );
        let _ = writeln!(w, "impl flatbuffers::SimpleToVerifyInSlice for {n} {{}}\n");
        if e.is_union {
            let _ = writeln!(
                w,
                "/// Tables that are members of the union `{n}`.\npub trait {n}Member<'a>: Follow<'a, Inner = Self> + Verifiable + 'a {{\n    const TAG: {n};\n}}\n"
            );
        }
    }

    let mut union_members: HashMap<String, Vec<String>> = HashMap::new();
    for e in s.enums.iter().filter(|e| e.is_union) {
        for (m, _) in e.values.iter().skip(1) {
            union_members.entry(m.clone()).or_default().push(e.name.clone());
        }
    }

    for t in &s.tables {
        if t.is_struct {
            return Err(format!("struct {} is not supported by this generator", t.name));
        }
        let n = &t.name;
        let _ = writeln!(
            w,
            "#[derive(Clone, Copy, PartialEq)]\npub struct {n}<'a> {{\n    pub _tab: flatbuffers::Table<'a>,\n}}"
        );
        let _ = writeln!(
            w,
            "impl<'a> Follow<'a> for {n}<'a> {{\n    type Inner = {n}<'a>;\n    #[inline]\n    unsafe fn follow(buf: &'a [u8], loc: usize) -> Self {{\n        // SAFETY: the caller guarantees a verified table at `loc`.\n        Self {{ _tab: unsafe {{ flatbuffers::Table::new(buf, loc) }} }}\n    }}\n}}"
        );
        for u in union_members.get(n).into_iter().flatten() {
            let _ = writeln!(w, "impl<'a> {u}Member<'a> for {n}<'a> {{\n    const TAG: {u} = {u}::{n};\n}}");
        }
        let _ = writeln!(w, "impl<'a> {n}<'a> {{");
        let mut slot: u16 = 0;
        let mut verify = String::new();
        for f in &t.fields {
            let k = s.kind(&f.ty).map_err(|e| format!("{n}.{}: {e}", f.name))?;
            let dep = f.has_attr("deprecated");
            let req = f.has_attr("required");
            let fi = field_ident(&f.name);
            let vt = format!("VT_{}", f.name.to_uppercase());
            if let Kind::Union(u) = &k {
                let (ts, vs) = (4 + 2 * slot, 6 + 2 * slot);
                slot += 2;
                if dep {
                    continue;
                }
                let _ = writeln!(w, "    pub const {vt}_TYPE: VOffsetT = {ts};\n    pub const {vt}: VOffsetT = {vs};");
                let _ = writeln!(
                    w,
                    "    #[inline]\n    pub fn {}_type(&self) -> {u} {{\n        // SAFETY: verified at load (the table came from a verified root).\n        unsafe {{ self._tab.get::<{u}>(Self::{vt}_TYPE, Some({u}::NONE)) }}.unwrap_or({u}::NONE)\n    }}",
                    f.name
                );
                let _ = writeln!(
                    w,
                    "    #[inline]\n    pub fn {fi}(&self) -> Option<flatbuffers::Table<'a>> {{\n        // SAFETY: verified at load.\n        unsafe {{ self._tab.get::<ForwardsUOffset<flatbuffers::Table<'a>>>(Self::{vt}, None) }}\n    }}"
                );
                let _ = writeln!(
                    w,
                    "    /// The union value as table `T`, if the discriminant says it is one.\n    #[inline]\n    pub fn {}_as<T: {u}Member<'a>>(&self) -> Option<T> {{\n        if self.{}_type() != T::TAG {{\n            return None;\n        }}\n        // SAFETY: the verifier checked the value as the table named by the discriminant.\n        unsafe {{ self._tab.get::<ForwardsUOffset<T>>(Self::{vt}, None) }}\n    }}",
                    f.name, f.name
                );
                let members = s.find_enum(u).ok_or("union vanished")?;
                let mut arms = String::new();
                for (m, _) in members.values.iter().skip(1) {
                    let _ = writeln!(
                        arms,
                        "                {u}::{m} => v.verify_union_variant::<ForwardsUOffset<{m}>>(\"{u}::{m}\", pos),"
                    );
                }
                let _ = write!(
                    verify,
                    "            .visit_union::<{u}, _>(\"{}_type\", Self::{vt}_TYPE, \"{}\", Self::{vt}, {req}, |key, v, pos| match key {{\n{arms}                _ => v.verify_union_variant::<ForwardsUOffset<UnknownUnionTable>>(\"{u}::unknown\", pos),\n            }})?\n",
                    f.name, f.name
                );
                continue;
            }
            let off = 4 + 2 * slot;
            slot += 1;
            if dep {
                continue;
            }
            let _ = writeln!(w, "    pub const {vt}: VOffsetT = {off};");
            let (ret, follow_ty, def) = match &k {
                Kind::Scalar(r) => (r.to_string(), r.to_string(), Some(default_literal(s, &k, f.default.as_deref())?)),
                Kind::Enum(e, _) => (e.clone(), e.clone(), Some(default_literal(s, &k, f.default.as_deref())?)),
                Kind::Str => ("&'a str".into(), "ForwardsUOffset<&'a str>".into(), None),
                Kind::Table(tn) => (format!("{tn}<'a>"), format!("ForwardsUOffset<{tn}<'a>>"), None),
                Kind::VecScalar(r) => (format!("Vector<'a, {r}>"), format!("ForwardsUOffset<Vector<'a, {r}>>"), None),
                Kind::VecEnum(e, _) => (format!("Vector<'a, {e}>"), format!("ForwardsUOffset<Vector<'a, {e}>>"), None),
                Kind::VecStr => (
                    "Vector<'a, ForwardsUOffset<&'a str>>".into(),
                    "ForwardsUOffset<Vector<'a, ForwardsUOffset<&'a str>>>".into(),
                    None,
                ),
                Kind::VecTable(tn) => (
                    format!("Vector<'a, ForwardsUOffset<{tn}<'a>>>"),
                    format!("ForwardsUOffset<Vector<'a, ForwardsUOffset<{tn}<'a>>>>"),
                    None,
                ),
                Kind::Union(_) => unreachable!(),
            };
            let verify_ty = follow_ty.replace("'a", "'_");
            let _ = writeln!(verify, "            .visit_field::<{verify_ty}>(\"{}\", Self::{vt}, {req})?", f.name);
            match def {
                Some(d) => {
                    let _ = writeln!(
                        w,
                        "    #[inline]\n    pub fn {fi}(&self) -> {ret} {{\n        // SAFETY: verified at load.\n        unsafe {{ self._tab.get::<{follow_ty}>(Self::{vt}, Some({d})) }}.unwrap_or({d})\n    }}"
                    );
                }
                None => {
                    let _ = writeln!(
                        w,
                        "    #[inline]\n    pub fn {fi}(&self) -> Option<{ret}> {{\n        // SAFETY: verified at load.\n        unsafe {{ self._tab.get::<{follow_ty}>(Self::{vt}, None) }}\n    }}"
                    );
                }
            }
        }
        let _ = writeln!(w, "}}");
        let _ = writeln!(
            w,
            "impl Verifiable for {n}<'_> {{\n    #[inline]\n    fn run_verifier(v: &mut Verifier, pos: usize) -> Result<(), InvalidFlatbuffer> {{\n        v.visit_table(pos)?\n{verify}            .finish();\n        Ok(())\n    }}\n}}\n"
        );
    }

    if let Some(root) = &s.root_type {
        let id = s.file_identifier.clone().unwrap_or_default();
        let _ = writeln!(
            w,
            "/// The file identifier at bytes 4..8 of a file with this schema.\npub const FILE_IDENTIFIER: &str = \"{id}\";"
        );
        let _ = writeln!(
            w,
            "/// Verifies `buf` and returns its root table.\npub fn root_with_opts<'a>(opts: &flatbuffers::VerifierOptions, buf: &'a [u8]) -> Result<{root}<'a>, InvalidFlatbuffer> {{\n    flatbuffers::root_with_opts::<{root}<'a>>(opts, buf)\n}}"
        );
    }
    Ok(o)
}
