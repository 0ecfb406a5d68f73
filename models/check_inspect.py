#!/usr/bin/env python3
"""Check `qlite inspect --json` against TensorFlow Lite's own view of a model.

Usage:
    python models/check_inspect.py --qlite PATH_TO_QLITE MODEL.tflite [MODEL.tflite ...]

For each model, runs `QLITE inspect --json MODEL` and compares every input and
output (tensor index, name, dtype, shape, quantization scales as float32,
zero points, quantized_dimension; shape_signature too if qlite reports it)
with what an oracle interpreter reports:

  1. TFLite (ai_edge_litert.interpreter.Interpreter(model_path).get_input_details()
     / get_output_details(); no allocate_tensors), in a subprocess, because some
     models make TFLite raise or even abort the process;
  2. if TFLite cannot load the model: TensorFlow Lite Micro's Python interpreter
     (package `tflite-micro`, if installed), also in a subprocess:
     runtime.Interpreter.from_file(path, arena_size=...).get_input_details(i) /
     get_output_details(i).  TFLM reports neither tensor indices nor names, so
     those (and the input/output count) come from the model's flatbuffer
     (subgraph 0 inputs/outputs), read with TFLM's own schema_py_generated;
  3. otherwise the model is reported UNCHECKED ("not checkable by an oracle"),
     which is not a pass.

Expected qlite JSON:
  {"inputs": [{"name", "tensor", "dtype", "shape",
               "quantization": {"scale": [..], "zero_point": [..],
                                "quantized_dimension": N} | null}, ...],
   "outputs": [same], ...}

Prints one line per model (OK / MISMATCH / UNCHECKED) and finally
`inspect-check: N passed, M failed` (with `, K unchecked` appended when K > 0).
Exits 1 if any model mismatched, 2 on usage errors, else 0.
"""

import argparse
import json
import os
import subprocess
import sys

ORACLE_TIMEOUT = 300
QLITE_TIMEOUT = 120
TFLM_ARENAS = (None, 64 << 20, 512 << 20)  # None = TFLM's default (10x model size)


# --------------------------------------------------------------------------
# Oracle workers (run in a child process: `check_inspect.py --oracle-worker B M`)
# --------------------------------------------------------------------------

def _norm_detail(d, index=None, name=None):
    import numpy as np
    q = d.get("quantization_parameters") or {}
    return {
        "name": d.get("name", name),
        "index": int(d["index"]) if "index" in d else index,
        "dtype": np.dtype(d["dtype"]).name,
        "shape": [int(v) for v in d["shape"]],
        "shape_signature": ([int(v) for v in d["shape_signature"]]
                            if "shape_signature" in d else None),
        "scales": [float(np.float32(v)) for v in q.get("scales", [])],
        "zero_points": [int(v) for v in q.get("zero_points", [])],
        "quantized_dimension": int(q.get("quantized_dimension", 0)),
    }


def worker_tflite(path):
    try:
        from ai_edge_litert.interpreter import Interpreter
        import ai_edge_litert
        who = f"tflite (ai-edge-litert {ai_edge_litert.__version__})"
    except ImportError:
        import tensorflow as tf
        Interpreter = tf.lite.Interpreter
        who = f"tflite (tensorflow {tf.__version__})"
    interp = Interpreter(model_path=path)
    return {
        "oracle": who,
        "inputs": [_norm_detail(d) for d in interp.get_input_details()],
        "outputs": [_norm_detail(d) for d in interp.get_output_details()],
    }


def worker_tflm(path):
    try:
        from tflite_micro.python.tflite_micro import runtime
        from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as fb
    except ImportError as e:
        raise RuntimeError(f"tflite-micro not installed ({e})")
    with open(path, "rb") as f:
        data = f.read()
    model = fb.Model.GetRootAsModel(data, 0)
    sg = model.Subgraphs(0)

    def name_of(t):
        n = sg.Tensors(t).Name()
        return n.decode("utf-8", "replace") if n is not None else ""

    in_idx = [int(sg.Inputs(i)) for i in range(sg.InputsLength())]
    out_idx = [int(sg.Outputs(i)) for i in range(sg.OutputsLength())]
    errors = []
    for arena in TFLM_ARENAS:
        try:
            interp = runtime.Interpreter.from_file(path, arena_size=arena)
            break
        except Exception as e:  # noqa: BLE001  (TFLM raises RuntimeError)
            errors.append(f"arena={arena or 'default'}: {type(e).__name__}: {e}")
    else:
        raise RuntimeError("; ".join(errors))
    return {
        "oracle": "tflm (tflite-micro runtime; indices/names from the flatbuffer)",
        "inputs": [_norm_detail(interp.get_input_details(i), t, name_of(t))
                   for i, t in enumerate(in_idx)],
        "outputs": [_norm_detail(interp.get_output_details(i), t, name_of(t))
                    for i, t in enumerate(out_idx)],
    }


def oracle_worker_main(backend, path):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    fn = {"tflite": worker_tflite, "tflm": worker_tflm}[backend]
    try:
        result = fn(path)
    except Exception as e:  # noqa: BLE001
        msg = " ".join(f"{type(e).__name__}: {e}".split())
        sys.stdout.write(json.dumps({"error": msg}) + "\n")
        return 3
    sys.stdout.write("ORACLE-JSON " + json.dumps(result) + "\n")
    return 0


# --------------------------------------------------------------------------
# Parent side
# --------------------------------------------------------------------------

def _short(text, n=200):
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n] + "..."


def _describe_exit(rc):
    if rc < 0:
        import signal
        try:
            return f"killed by {signal.Signals(-rc).name}"
        except ValueError:
            return f"killed by signal {-rc}"
    return f"exit code {rc}"


def run_oracle(backend, path):
    """Returns (details, None) or (None, reason)."""
    cmd = [sys.executable, os.path.abspath(__file__), "--oracle-worker", backend, path]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=ORACLE_TIMEOUT,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None, f"{backend}: timed out after {ORACLE_TIMEOUT}s"
    for line in p.stdout.splitlines():
        if line.startswith("ORACLE-JSON ") and p.returncode == 0:
            return json.loads(line[len("ORACLE-JSON "):]), None
    for line in p.stdout.splitlines():
        if line.startswith('{"error"'):
            return None, f"{backend}: {_short(json.loads(line)['error'], 120)}"
    tail = _short(p.stderr.strip().splitlines()[-1]) if p.stderr.strip() else "no output"
    return None, f"{backend}: process died ({_describe_exit(p.returncode)}): {tail}"


def run_qlite(qlite, path):
    """Returns (json, None) or (None, reason)."""
    try:
        p = subprocess.run([qlite, "inspect", "--json", path], capture_output=True,
                           text=True, timeout=QLITE_TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None, f"qlite timed out after {QLITE_TIMEOUT}s"
    except OSError as e:
        return None, f"cannot run qlite: {e}"
    if p.returncode != 0:
        err = p.stderr.strip() or p.stdout.strip() or "no output"
        return None, f"qlite failed ({_describe_exit(p.returncode)}): {_short(err)}"
    try:
        return json.loads(p.stdout), None
    except json.JSONDecodeError as e:
        return None, f"qlite printed invalid JSON ({e}): {_short(p.stdout)}"


def _f32_list_equal(a, b):
    import numpy as np
    if len(a) != len(b):
        return False
    try:
        fa = np.asarray([float(v) for v in a], dtype=np.float32)
        fb = np.asarray([float(v) for v in b], dtype=np.float32)
    except (TypeError, ValueError):
        return False
    return bool(np.array_equal(fa, fb, equal_nan=True))


def _qlite_quant(q):
    """qlite's quantization → (scales, zero_points, qdim) or None."""
    if q is None:
        return None
    scales = q.get("scale") or []
    zps = q.get("zero_point") or []
    if not scales and not zps:
        return None
    return (list(scales), list(zps), q.get("quantized_dimension"))


def _oracle_quant(o):
    if not o["scales"] and not o["zero_points"]:
        return None  # TFLite reports empty arrays for unquantized tensors
    return (o["scales"], o["zero_points"], o["quantized_dimension"])


def compare_entry(where, q, o, oracle):
    errs = []

    def diff(field, qv, ov):
        errs.append(f"{where}.{field}: qlite {json.dumps(qv)} vs {oracle} {json.dumps(ov)}")

    if not isinstance(q, dict):
        return [f"{where}: qlite entry is not an object: {_short(json.dumps(q))}"]
    if q.get("tensor") != o["index"]:
        diff("tensor", q.get("tensor"), o["index"])
    if o["name"] is not None and (q.get("name") or "") != o["name"]:
        diff("name", q.get("name"), o["name"])
    if q.get("dtype") != o["dtype"]:
        diff("dtype", q.get("dtype"), o["dtype"])
    if q.get("shape") != o["shape"]:
        diff("shape", q.get("shape"), o["shape"])
    if ("shape_signature" in q and o["shape_signature"] is not None
            and q["shape_signature"] != o["shape_signature"]):
        diff("shape_signature", q["shape_signature"], o["shape_signature"])
    if "quantization" not in q:
        errs.append(f"{where}: qlite entry has no 'quantization' key")
        return errs
    qq = _qlite_quant(q["quantization"])
    oq = _oracle_quant(o)
    if qq is None or oq is None:
        if (qq is None) != (oq is None):
            diff("quantization", q["quantization"],
                 None if oq is None else {"scale": oq[0], "zero_point": oq[1],
                                          "quantized_dimension": oq[2]})
        return errs
    if not _f32_list_equal(qq[0], oq[0]):
        diff("quantization.scale", qq[0], oq[0])
    if list(qq[1]) != oq[1]:
        diff("quantization.zero_point", qq[1], oq[1])
    if qq[2] != oq[2]:
        diff("quantization.quantized_dimension", qq[2], oq[2])
    return errs


def compare(qj, oj):
    oracle = oj["oracle"].split()[0]
    errs = []
    if not isinstance(qj, dict):
        return ["qlite JSON is not an object"]
    for side in ("inputs", "outputs"):
        ql = qj.get(side)
        ol = oj[side]
        if not isinstance(ql, list):
            errs.append(f"qlite JSON has no '{side}' list")
            continue
        if len(ql) != len(ol):
            errs.append(f"{side}: qlite lists {len(ql)}, {oracle} {len(ol)}")
        for i, (q, o) in enumerate(zip(ql, ol)):
            errs.extend(compare_entry(f"{side}[{i}]", q, o, oracle))
    return errs


def check_model(qlite, path, oracles):
    name = os.path.basename(path)
    reasons = []
    oj = None
    for backend in oracles:
        oj, why = run_oracle(backend, path)
        if oj is not None:
            break
        reasons.append(why)
    qj, qerr = run_qlite(qlite, path)
    if oj is None:
        extra = f"; {qerr}" if qerr else ""
        return "UNCHECKED", f"{name}: not checkable by an oracle ({'; '.join(reasons)}){extra}"
    via = oj["oracle"].split()[0]
    if reasons:
        via += " [after " + "; ".join(reasons) + "]"
    if qerr:
        return "MISMATCH", f"{name} (oracle {via}): {qerr}"
    errs = compare(qj, oj)
    if errs:
        return "MISMATCH", f"{name} (oracle {via}): " + "; ".join(errs)
    n_in, n_out = len(oj["inputs"]), len(oj["outputs"])
    return "OK", f"{name} (oracle {via}; {n_in} in, {n_out} out)"


def main(argv):
    if len(argv) >= 1 and argv[0] == "--oracle-worker":
        if len(argv) != 3:
            print("usage: --oracle-worker tflite|tflm MODEL", file=sys.stderr)
            return 2
        return oracle_worker_main(argv[1], argv[2])

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--qlite", required=True, help="path to the qlite binary")
    ap.add_argument("--oracle", choices=["auto", "tflite", "tflm"], default="auto",
                    help="auto: TFLite, falling back to TFLite Micro (default)")
    ap.add_argument("models", nargs="+", metavar="MODEL.tflite")
    args = ap.parse_args(argv)
    oracles = {"auto": ["tflite", "tflm"], "tflite": ["tflite"], "tflm": ["tflm"]}[args.oracle]

    passed = failed = unchecked = 0
    for path in args.models:
        if not os.path.isfile(path):
            status, msg = "MISMATCH", f"{path}: no such file"
        else:
            status, msg = check_model(args.qlite, path, oracles)
        print(f"{status:<9} {msg}", flush=True)
        if status == "OK":
            passed += 1
        elif status == "UNCHECKED":
            unchecked += 1
        else:
            failed += 1
    summary = f"inspect-check: {passed} passed, {failed} failed"
    if unchecked:
        summary += f", {unchecked} unchecked"
    print(summary)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
