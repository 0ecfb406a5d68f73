#!/usr/bin/env python3
"""Extracts the TFLite schema layout (enum values, table field vtable offsets and types) from
TensorFlow's own generated Python (`schema_py_generated.py` in the ai-edge-litert wheel), in the
format that build.rs writes for our own schema (`OUT_DIR/schema_layout.txt`).

    python schema/extract_reference.py [PATH/schema_py_generated.py] > schema/reference_layout.txt

Without a path it imports `ai_edge_litert` to find the file. tests/schema_layout.rs compares the
committed output with what build.rs derives from schema/schema.fbs; .ci/run re-extracts it from
the pinned wheel and fails if the committed file differs.
"""
import re
import sys


def main():
    if len(sys.argv) > 1:
        path = sys.argv[1]
    else:
        import os
        import ai_edge_litert
        path = os.path.join(os.path.dirname(ai_edge_litert.__file__), "schema_py_generated.py")
    src = open(path).read()
    classes = re.split(r"^class (\w+)\(object\):\n", src, flags=re.M)
    out = []
    for name, body in zip(classes[1::2], classes[2::2]):
        if name.endswith("T") and "def __init__" in body:
            continue  # object-API class
        if "_tab" not in body:
            vals = re.findall(r"^    (\w+) = (-?\d+)\s*$", body, flags=re.M)
            for n, v in vals:
                out.append(f"enum {name} {n} {v}")
            continue
        seen = set()
        for m in re.finditer(r"^    def (\w+)\(self(?:, j)?\):\n((?:        .*\n|\n)*)", body, flags=re.M):
            meth, mbody = m.group(1), m.group(2)
            off = re.search(r"self\._tab\.Offset\((\d+)\)", mbody)
            if not off or meth.endswith(("AsNumpy", "Length", "IsNone")) or meth in seen:
                continue
            seen.add(meth)
            flags = re.search(r"number_types\.(\w+)Flags, (a|o)", mbody)
            if "self._tab.Union(" in mbody:
                kind = "union"
            elif "self._tab.Vector(o)" in mbody:
                if "Indirect" in mbody:
                    kind = "[table]"
                elif "self._tab.String(" in mbody:
                    kind = "[string]"
                elif flags:
                    kind = "[" + pytype(flags.group(1)) + "]"
                else:
                    kind = "[?]"
            elif "self._tab.String(" in mbody:
                kind = "string"
            elif "Indirect" in mbody:
                kind = "table"
            elif flags:
                kind = pytype(flags.group(1))
            else:
                kind = "?"
            out.append(f"field {name} {meth} {off.group(1)} {kind}")
    print("\n".join(out))


def pytype(flag):
    return {"Bool": "bool", "Int8": "int8", "Uint8": "uint8", "Int16": "int16", "Uint16": "uint16",
            "Int32": "int32", "Uint32": "uint32", "Int64": "int64", "Uint64": "uint64",
            "Float32": "float32", "Float64": "float64"}.get(flag, "?" + flag)


if __name__ == "__main__":
    main()
