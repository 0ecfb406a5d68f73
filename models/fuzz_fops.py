#!/usr/bin/env python3
"""Randomized differential check of qlite's comparison, select, logical, cast and L2
normalization kernels against TFLite's reference kernels (BUILTIN_REF of the pinned
ai-edge-litert).

Each configuration is a single-operator model written directly as a flatbuffer (so that any
quantization, type and shape combination is reachable), with random inputs that include the
type's extremes, repeated values (so that equal pairs occur), NaN, infinities and signed zeros.
Both interpreters run it; outputs must be identical byte for byte, and a model TFLite refuses must
be refused by qlite too.

    /work/venv/bin/python models/fuzz_fops.py [--seed S] [--n N] [--ops NAME,...] [--keep DIR]

NAME is an op (EQUAL, ..., CAST, L2_NORMALIZATION) or op:type (LESS:int8). Each op is checked
with N configurations per type. Needs target/release/qlite (cargo build --release).
"""

import argparse
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import flatbuffers
import numpy as np

from ai_edge_litert.interpreter import Interpreter, OpResolverType

try:
    from ai_edge_litert import schema_py_generated as s
except ImportError:  # pragma: no cover
    from tensorflow.lite.python import schema_py_generated as s

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QLITE = os.path.join(ROOT, "target", "release", "qlite")

TYPES = {
    "float32": s.TensorType.FLOAT32, "float64": s.TensorType.FLOAT64, "int32": s.TensorType.INT32,
    "uint8": s.TensorType.UINT8, "int64": s.TensorType.INT64, "bool": s.TensorType.BOOL,
    "int16": s.TensorType.INT16, "int8": s.TensorType.INT8, "uint16": s.TensorType.UINT16,
    "uint32": s.TensorType.UINT32,
}


class T:
    def __init__(self, name, dtype, shape, data=None, q=None):
        self.name, self.dtype, self.shape, self.q = name, dtype, list(shape), q
        self.data = None if data is None else np.asarray(data, dtype=np.dtype(dtype)).reshape(self.shape)


def single_op(op_name, inputs, outputs, options=None):
    """One-operator model. options: (BuiltinOptions name, {camelCase field: value}) or None."""
    tensors, buffers, in_idx, graph_inputs = [], [s.BufferT()], [], []

    def add(t):
        tt = s.TensorT()
        tt.name, tt.type, tt.shape = t.name, TYPES[t.dtype], list(t.shape)
        b = s.BufferT()
        if t.data is not None:
            b.data = list(np.ascontiguousarray(t.data).tobytes())
        buffers.append(b)
        tt.buffer = len(buffers) - 1
        if t.q is not None:
            qp = s.QuantizationParametersT()
            qp.scale, qp.zeroPoint = [float(t.q[0])], [int(t.q[1])]
            tt.quantization = qp
        tensors.append(tt)
        return len(tensors) - 1

    for t in inputs:
        i = add(t)
        in_idx.append(i)
        if t.data is None:
            graph_inputs.append(i)
    out_idx = [add(t) for t in outputs]
    code = s.OperatorCodeT()
    c = getattr(s.BuiltinOperator, op_name)
    code.builtinCode, code.deprecatedBuiltinCode, code.version = c, min(c, 127), 1
    op = s.OperatorT()
    op.opcodeIndex, op.inputs, op.outputs = 0, in_idx, out_idx
    if options is not None:
        name, fields = options
        o = getattr(s, name + "T")()
        for k, v in fields.items():
            setattr(o, k, v)
        op.builtinOptionsType, op.builtinOptions = getattr(s.BuiltinOptions, name), o
    sg = s.SubGraphT()
    sg.tensors, sg.inputs, sg.outputs, sg.operators, sg.name = tensors, graph_inputs, out_idx, [op], "main"
    m = s.ModelT()
    m.version, m.operatorCodes, m.subgraphs, m.buffers, m.description = 3, [code], [sg], buffers, "fuzz_fops"
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


# ----------------------------------------------------------------------------- random helpers

def rand_data(rng, dtype, shape, pool_p=0.5):
    """Random values of `dtype`; with probability pool_p drawn from a small pool (equal values),
    with the type's extremes (and NaN / ±inf / −0 for floats) sprinkled in."""
    dt = np.dtype(dtype)
    n = int(np.prod(shape)) if shape else 1
    if dt == np.bool_:
        return rng.integers(0, 2, size=shape).astype(np.bool_)
    if np.issubdtype(dt, np.integer):
        info = np.iinfo(dt)
        if rng.random() < pool_p:
            pool = rng.integers(int(info.min), int(info.max) + 1, size=3, dtype=np.int64)
            pool = np.concatenate([pool, [info.min, info.max, 0]])
            a = rng.choice(pool, size=shape)
        else:
            a = rng.integers(int(info.min), int(info.max) + 1, size=shape, dtype=np.int64)
        a = np.asarray(a).astype(dt)
        if n >= 2 and rng.random() < 0.5:
            a.flat[0], a.flat[-1] = info.min, info.max
        return a
    scale = 10 ** rng.uniform(-3, 3)
    if rng.random() < pool_p:
        pool = (rng.standard_normal(3) * scale).astype(dt)
        pool = np.concatenate([pool, np.array([0.0, -0.0, np.nan, np.inf, -np.inf], dtype=dt)])
        a = rng.choice(pool, size=shape).astype(dt)
    else:
        a = (rng.standard_normal(size=shape) * scale).astype(dt)
        if n >= 3 and rng.random() < 0.3:
            a.flat[0], a.flat[1], a.flat[2] = -0.0, np.finfo(dt).max, np.nan
    return np.asarray(a, dtype=dt).reshape(shape)


def rand_shape(rng, rank, hi=4, zero_p=0.0):
    return [0 if rng.random() < zero_p else int(rng.integers(1, hi + 1)) for _ in range(rank)]


def bcast_shapes(rng, n, max_rank=5):
    """n shapes that broadcast together (NumPy rules), and the output shape."""
    rank = int(rng.integers(0, max_rank + 1))
    out = rand_shape(rng, rank, zero_p=0.02)
    shapes = []
    for _ in range(n):
        r = int(rng.integers(0, rank + 1)) if rng.random() < 0.4 else rank
        sh = [d if rng.random() < 0.6 else 1 for d in out[rank - r:]]
        shapes.append(sh)
    if rng.random() < 0.3:  # all the same shape
        shapes = [list(out)] * n
    full = []
    for i in range(rank):
        ds = [sh[i - (rank - len(sh))] for sh in shapes if i >= rank - len(sh)]
        full.append(max([d for d in ds if d != 1], default=1) if 0 not in ds else 0)
    return shapes, full


def rand_q(rng, dtype):
    """(scale, zero point) for a quantized dtype: scales from 1e-4 to 30 (some above 1)."""
    scale = float(np.float32(10 ** rng.uniform(-4, 1.5)))
    if rng.random() < 0.05:
        scale = float(np.float32(2.0 ** int(rng.integers(-10, 5))))
    if scale == 1.0:
        scale = 0.5  # TFLite aborts on a comparison input scale of exactly 1.0
    if dtype == "int8":
        return scale, int(rng.integers(-128, 128))
    if dtype == "uint8":
        return scale, int(rng.integers(0, 256))
    return scale, int(rng.integers(-1000, 1001)) if rng.random() < 0.3 else 0


# ----------------------------------------------------------------------------- generators
# Each returns (model bytes, feeds, note).

CMP_OPS = ["EQUAL", "NOT_EQUAL", "LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL"]
CMP_TYPES = ["float32", "int32", "int64", "int8", "uint8", "int16", "bool"]


def gen_compare(rng, op, dtype):
    (sa, sb), out = bcast_shapes(rng, 2)
    qa = qb = None
    if dtype in ("int8", "uint8") or (dtype == "int16" and rng.random() < 0.6):
        qa = rand_q(rng, dtype)
        qb = qa if rng.random() < 0.3 else rand_q(rng, dtype)
    a = rand_data(rng, dtype, sa)
    b = rand_data(rng, dtype, sb)
    const_b = rng.random() < 0.2
    ins = [T("a", dtype, sa, q=qa), T("b", dtype, sb, data=b if const_b else None, q=qb)]
    opts_name = {"EQUAL": "EqualOptions", "NOT_EQUAL": "NotEqualOptions", "LESS": "LessOptions",
                 "LESS_EQUAL": "LessEqualOptions", "GREATER": "GreaterOptions",
                 "GREATER_EQUAL": "GreaterEqualOptions"}[op]
    m = single_op(op, ins, [T("out", "bool", out)], (opts_name, {}))
    feeds = [a] if const_b else [a, b]
    return m, feeds, f"{dtype} {sa} {sb} q={qa},{qb} const_b={const_b}"


SELECT_TYPES = ["float32", "int8", "uint8", "int16", "int32", "int64", "bool"]


def gen_select(rng, op, dtype):
    v2 = op == "SELECT_V2"
    if v2:
        (sc, sx, sy), out = bcast_shapes(rng, 3)
    else:
        rank = int(rng.integers(0, 5))
        out = rand_shape(rng, rank, zero_p=0.02)
        sx = sy = list(out)
        k = rng.random()
        sc = list(out) if k < 0.4 or rank == 0 else ([] if k < 0.7 else [out[0]])
    if rng.random() < 0.05:  # one-element mixes of scalars and [1]-shaped tensors
        sc, sx, sy = ([[], [1], [1, 1]][int(rng.integers(0, 3))] for _ in range(3))
        out = [[], [1], [1, 1]][int(rng.integers(0, 3))] if v2 else list(sx)
        if v2 and not (sc == sx == sy):
            out = max(sc, sx, sy, key=len) if rng.random() < 0.5 else out
    q = (0.1, 3) if dtype in ("int8", "uint8") else None
    qy = q if rng.random() < 0.7 else ((0.37, -5) if dtype == "int8" else q)
    c = rand_data(rng, "bool", sc)
    x = rand_data(rng, dtype, sx)
    y = rand_data(rng, dtype, sy)
    const_y = rng.random() < 0.15
    ins = [T("c", "bool", sc), T("x", dtype, sx, q=q), T("y", dtype, sy, data=y if const_y else None, q=qy)]
    m = single_op(op, ins, [T("out", dtype, out, q=q)], ("SelectV2Options" if v2 else "SelectOptions", {}))
    feeds = [c, x] if const_y else [c, x, y]
    return m, feeds, f"{dtype} c{sc} x{sx} y{sy} out{out} const_y={const_y}"


def gen_logical(rng, op, dtype):
    if op == "LOGICAL_NOT":
        shape = rand_shape(rng, int(rng.integers(0, 6)), zero_p=0.02)
        m = single_op(op, [T("x", "bool", shape)], [T("out", "bool", shape)])
        return m, [rand_data(rng, "bool", shape)], f"{shape}"
    (sa, sb), out = bcast_shapes(rng, 2, max_rank=4)
    a, b = rand_data(rng, "bool", sa), rand_data(rng, "bool", sb)
    name = "LogicalAndOptions" if op == "LOGICAL_AND" else "LogicalOrOptions"
    m = single_op(op, [T("a", "bool", sa), T("b", "bool", sb)], [T("out", "bool", out)], (name, {}))
    return m, [a, b], f"{sa} {sb}"


def gen_select_high_rank(rng, op, dtype):
    """SELECT_V2 with output rank 6-8 (TFLite's limit is 8) and LOGICAL_OR with rank 5-6."""
    if op == "LOGICAL_OR_RANK6":
        while True:
            (sa, sb), out = bcast_shapes(rng, 2, max_rank=6)
            if len(out) >= 5:
                break
        m = single_op("LOGICAL_OR", [T("a", "bool", sa), T("b", "bool", sb)], [T("out", "bool", out)])
        return m, [rand_data(rng, "bool", sa), rand_data(rng, "bool", sb)], f"{sa} {sb}"
    while True:
        (sc, sx, sy), out = bcast_shapes(rng, 3, max_rank=8)
        if len(out) >= 6:
            break
    ins = [T("c", "bool", sc), T("x", dtype, sx), T("y", dtype, sy)]
    m = single_op("SELECT_V2", ins, [T("out", dtype, out)])
    feeds = [rand_data(rng, "bool", sc), rand_data(rng, dtype, sx), rand_data(rng, dtype, sy)]
    return m, feeds, f"{dtype} c{sc} x{sx} y{sy}"


CAST_TYPES = ["float32", "int32", "int64", "int8", "uint8", "int16", "bool", "uint16", "uint32", "float64"]


def gen_cast(rng, op, src):
    dst = str(rng.choice(CAST_TYPES))
    shape = rand_shape(rng, int(rng.integers(0, 5)), hi=5, zero_p=0.02)
    x = rand_data(rng, src, shape, pool_p=0.3)
    if src.startswith("float") and rng.random() < 0.5:  # values around the target's limits
        if dst != "bool" and dst not in ("float32", "float64"):
            info = np.iinfo(np.dtype(dst))
            pool = np.array([info.min, info.max, info.min - 1, info.max + 1, info.max + 0.5, -0.5, 0.5,
                             -1.5, 255.5, 128.0, -129.0], dtype=np.float64)
            x = rng.choice(pool, size=shape).astype(src) + rng.uniform(-2, 2, size=shape).astype(src)
            x = np.asarray(x, dtype=src).reshape(shape)
    q = rand_q(rng, src) if src in ("int8", "uint8") and rng.random() < 0.5 else None
    opts = ("CastOptions", {"inDataType": TYPES[src], "outDataType": TYPES[dst]}) if rng.random() < 0.7 else None
    m = single_op("CAST", [T("x", src, shape, q=q)], [T("out", dst, shape)], opts)
    return m, [x], f"{src}->{dst} {shape}"


def gen_l2norm(rng, op, dtype):
    rank = int(rng.integers(1, 5))
    shape = rand_shape(rng, rank, hi=5, zero_p=0.01)
    if rng.random() < 0.3:
        shape[-1] = int(rng.choice([1, 2, 16, 64, 255, 1000]))
    qi = qo = None
    if dtype == "int8":
        qi, qo = rand_q(rng, dtype), (1.0 / 128, 0)
    elif dtype == "uint8":
        qi, qo = rand_q(rng, dtype), (1.0 / 128, 128)
    if dtype != "float32":
        x = rand_data(rng, dtype, shape, pool_p=0.2)
        if rng.random() < 0.2:  # near the zero point: small sums (acc <= 1, tiny norms)
            lo, hi = (-128, 127) if dtype == "int8" else (0, 255)
            x = np.clip(qi[1] + rng.integers(-1, 2, size=shape), lo, hi).astype(dtype)
    else:
        x = rand_data(rng, dtype, shape, pool_p=0.1)
        if rng.random() < 0.2:
            x = (x * np.float32(10 ** rng.uniform(-12, -4))).astype(np.float32)
    m = single_op(op, [T("x", dtype, shape, q=qi)], [T("out", dtype, shape, q=qo)],
                  ("L2NormOptions", {"fusedActivationFunction": 0}))
    return m, [x], f"{dtype} {shape} q={qi}"


GENERATORS = {}
for _op in CMP_OPS:
    GENERATORS[_op] = (gen_compare, [t for t in CMP_TYPES if t != "bool" or _op in ("EQUAL", "NOT_EQUAL")])
for _op in ("SELECT", "SELECT_V2"):
    GENERATORS[_op] = (gen_select, SELECT_TYPES)
for _op in ("LOGICAL_AND", "LOGICAL_OR", "LOGICAL_NOT"):
    GENERATORS[_op] = (gen_logical, ["bool"])
GENERATORS["CAST"] = (gen_cast, CAST_TYPES)
GENERATORS["SELECT_V2_RANK8"] = (gen_select_high_rank, ["float32", "int8"])
GENERATORS["LOGICAL_OR_RANK6"] = (gen_select_high_rank, ["bool"])
GENERATORS["L2_NORMALIZATION"] = (gen_l2norm, ["float32", "int8", "uint8"])


# ----------------------------------------------------------------------------- running

def _run_tflite(model, feeds):
    try:
        it = Interpreter(model_content=model, experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
        it.allocate_tensors()
        for d, a in zip(it.get_input_details(), feeds):
            it.set_tensor(d["index"], a)
        it.invoke()
        return [it.get_tensor(d["index"]).copy() for d in it.get_output_details()]
    except Exception as e:  # noqa: BLE001
        return f"exception {str(e).strip().splitlines()[-1] if str(e).strip() else e!r}"


def run_tflite(model, feeds):
    """In a forked child: TFLite may abort on models qlite runs or refuses."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        signal.alarm(60)
        try:
            res = _run_tflite(model, feeds)
        except BaseException as e:  # noqa: BLE001
            res = f"exception {e}"
        with os.fdopen(w, "wb") as f:
            f.write(pickle.dumps(res))
        os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        data = f.read()
    _, status = os.waitpid(pid, 0)
    if not data:
        return f"TFLite crashed (wait status {status})"
    return pickle.loads(data)


def run_qlite(path, input_paths, outdir):
    cmd = [QLITE, "run", path, "-o", outdir]
    for p in input_paths:
        cmd += ["-i", p]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        return (r.stderr.strip().splitlines() or ["?"])[-1][:300]
    outs, k = [], 0
    while os.path.exists(os.path.join(outdir, f"output_{k}.npy")):
        outs.append(np.load(os.path.join(outdir, f"output_{k}.npy")))
        k += 1
    return outs


def check_one(workdir, name, model, feeds):
    path = os.path.join(workdir, name + ".tflite")
    with open(path, "wb") as f:
        f.write(model)
    ipaths = []
    for k, a in enumerate(feeds):
        p = os.path.join(workdir, f"{name}.in{k}.npy")
        np.save(p, a)
        ipaths.append(p)
    ref = run_tflite(model, feeds)
    outdir = os.path.join(workdir, name + ".out")
    shutil.rmtree(outdir, ignore_errors=True)
    got = run_qlite(path, ipaths, outdir)
    if isinstance(ref, str) and isinstance(got, str):
        return "both_refuse", f"tflite: {ref} | qlite: {got}"
    if isinstance(ref, str):
        return ("tflite_crash" if "crashed" in ref else "FAIL"), f"tflite: {ref}; qlite ran"
    if isinstance(got, str) and "leaves the output unwritten" in got:
        return "refused_unwritten", got  # NOT_EQUAL on unquantized int16 (src/ops/comparisons.rs)
    if isinstance(got, str):
        return "FAIL", f"qlite refused ({got}) but tflite ran"
    if len(got) != len(ref):
        return "FAIL", f"{len(got)} outputs vs {len(ref)}"
    for k, (g, r) in enumerate(zip(got, ref)):
        if g.shape != r.shape or g.dtype != r.dtype:
            return "FAIL", f"output {k}: qlite {g.dtype}{g.shape} vs tflite {r.dtype}{r.shape}"
        gb = np.ascontiguousarray(g).reshape(-1).view(np.uint8)
        rb = np.ascontiguousarray(r).reshape(-1).view(np.uint8)
        if not np.array_equal(gb, rb):
            bad = int(np.sum(g.reshape(-1) != r.reshape(-1))) if g.dtype.kind != "f" else int(np.sum(
                gb.reshape(g.size, -1).any(axis=-1) & np.any(gb.reshape(g.size, -1) != rb.reshape(r.size, -1), axis=-1)))
            return "FAIL", f"output {k}: {bad} of {g.size} elements differ"
    return "match", ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--n", type=int, default=300, help="configurations per op and type")
    ap.add_argument("--ops", default=",".join(GENERATORS))
    ap.add_argument("--keep", help="keep the models of failures in this directory")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if not os.path.exists(QLITE):
        sys.exit(f"build qlite first: {QLITE} is missing")
    workdir = tempfile.mkdtemp(prefix="fuzz_fops_")
    total_fail = total = 0
    t0 = time.time()
    for spec in [o for o in args.ops.split(",") if o]:
        op, _, only = spec.partition(":")
        gen, types = GENERATORS[op]
        for dtype in [only] if only else types:
            rng = np.random.default_rng([args.seed, sum(map(ord, op)), sum(map(ord, dtype))])
            counts = {"match": 0, "both_refuse": 0, "refused_unwritten": 0, "tflite_crash": 0, "FAIL": 0}
            for i in range(args.n):
                model, feeds, note = gen(rng, op, dtype)
                name = f"{op.lower()}_{dtype}_{i}"
                status, msg = check_one(workdir, name, model, feeds)
                counts[status] += 1
                if status in ("FAIL", "tflite_crash") or args.verbose:
                    print(f"  {status} {name}: {note}: {msg}")
                if status == "FAIL" and args.keep:
                    os.makedirs(args.keep, exist_ok=True)
                    for f in os.listdir(workdir):
                        if f.startswith(name + ".") and not f.endswith(".out"):
                            shutil.copy(os.path.join(workdir, f), args.keep)
                for f in os.listdir(workdir):
                    p = os.path.join(workdir, f)
                    shutil.rmtree(p) if os.path.isdir(p) else os.remove(p)
            total += args.n
            total_fail += counts["FAIL"]
            print(f"{op} {dtype}: {args.n} configs (seed {args.seed}): {counts['match']} identical, "
                  f"{counts['both_refuse']} refused by both, {counts['refused_unwritten']} refused by qlite where TFLite "
                  f"writes no output, {counts['tflite_crash']} TFLite crashes, "
                  f"{counts['FAIL']} mismatches")
            sys.stdout.flush()
    shutil.rmtree(workdir, ignore_errors=True)
    print(f"fuzz_fops: {total} configs, {total_fail} mismatches, {time.time() - t0:.0f} s, seed {args.seed}")
    sys.exit(1 if total_fail else 0)


if __name__ == "__main__":
    main()
