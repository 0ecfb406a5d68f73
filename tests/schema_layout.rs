//! The vtable slots, field types and enum values that build.rs derived from `schema/schema.fbs`
//! must equal TensorFlow's own generated Python (`schema/reference_layout.txt`, extracted from
//! the pinned ai-edge-litert wheel by `schema/extract_reference.py`; `.ci/run` re-extracts it).

use std::collections::HashSet;

const OURS: &str = include_str!(concat!(env!("OUT_DIR"), "/schema_layout.txt"));
const REFERENCE: &str = include_str!("../schema/reference_layout.txt");

/// `builtin_options_type` -> `BuiltinOptionsType`, as flatc's Python generator names accessors.
fn camel(s: &str) -> String {
    s.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

fn ours_normalized() -> HashSet<String> {
    OURS.lines()
        .map(|l| {
            let p: Vec<&str> = l.split(' ').collect();
            if p[0] == "field" { format!("field {} {} {} {}", p[1], camel(p[2]), p[3], p[4]) } else { l.to_string() }
        })
        .collect()
}

#[test]
fn every_reference_slot_and_enum_value_matches() {
    let ours = ours_normalized();
    let reference: Vec<&str> = REFERENCE.lines().filter(|l| !l.is_empty()).collect();
    let missing: Vec<&&str> = reference.iter().filter(|l| !ours.contains(**l)).collect();
    let (enums, fields) = (
        reference.iter().filter(|l| l.starts_with("enum ")).count(),
        reference.iter().filter(|l| l.starts_with("field ")).count(),
    );
    println!("reference: {enums} enum values, {fields} fields; ours: {} entries", ours.len());
    assert!(enums > 400 && fields > 300, "reference looks truncated");
    assert!(
        missing.is_empty(),
        "{} reference entries differ from ours, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
}

#[test]
fn no_entry_of_ours_contradicts_the_reference() {
    // Ours may be newer (more values, more fields), but an enum value or field that the reference
    // also names must have the same number / slot / type.
    let reference: HashSet<&str> = REFERENCE.lines().collect();
    let key = |l: &str| l.rsplitn(if l.starts_with("field") { 3 } else { 2 }, ' ').last().map(str::to_string);
    let ref_keys: HashSet<String> = reference.iter().filter_map(|l| key(l)).collect();
    for l in ours_normalized() {
        if let Some(k) = key(&l)
            && ref_keys.contains(&k)
        {
            assert!(reference.contains(l.as_str()), "{l} contradicts the reference");
        }
    }
}
