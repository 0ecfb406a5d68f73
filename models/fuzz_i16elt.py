#!/usr/bin/env python3
"""Randomized differential check of qlite's int16 (zero point 0, TFLite's 16x8 mode) and uint8
(legacy asymmetric) element-wise, reduction, pooling, data-movement and (de)quantization kernels
against TFLite's reference kernels (BUILTIN_REF of the pinned ai-edge-litert).

Each configuration is a single-operator flatbuffer written directly (no converter), so every
quantization the kernels accept is reachable: random scales and zero points, power-of-two int16
scales (ADD/SUB `pot_scale_int16`), fused activations, broadcasting, random pooling geometry,
reduction axes, paddings, concatenation axes. Inputs are random over the type's full range and
include its extremes. TFLite runs the model first; if it refuses it (prepare or invoke), qlite
must refuse it too; otherwise `qlite compare --json` must report identical outputs.

Skipped (counted): ADD configurations whose output multiplier is >= 1 (TFLite aborts the process
in QuantizeMultiplierSmallerThanOneExp) and int16 power-of-two-scale ADDs with broadcasting
(TFLite aborts in MatchingElementsSize; qlite refuses them). int16 SUM is not checked (TFLite's reference SUM reads
int16 tensors as bytes and leaves half of the output uninitialized; see src/ops/reduce.rs).

    /work/venv/bin/python models/fuzz_i16elt.py [--seed S] [--n N] [--ops ADD,SUB] [--types int16,uint8]
        [--keep DIR] [--zp16 P]

Needs target/release/qlite (cargo build --release).

Runs recorded when the kernels were written (all 0 mismatches; pass / refused by both / skipped):
  --seed 11 --n 300               29 op x type pairs, 8700 configs: 8624 pass, 74 refused by both
                                  (power-of-two shift constraints, PADV2 constant quantization),
                                  2 skipped (ADD POT broadcast)
  --seed 12 --n 300 --zp16 0.08   8700 configs: 8374 pass, 323 refused by both, 3 skipped
  --seed 13 --n 300 --ops ADD,SUB,MUL --zp16 0.03      1800 configs: 1717 pass, 79 refused, 4 skipped
  --seed 14 --n 300 --ops TRANSPOSE,SLICE,GATHER,TILE  2400 configs: 2400 pass
  --seed 17 --n 300 --zp16 0.03   (final kernels, all 37 op x type pairs, incl. unquantized int16
                                  ADD/MUL) 11100 configs: 10909 pass, 189 refused by both, 2 skipped
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import flatbuffers
import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
from ai_edge_litert import schema_py_generated as s  # noqa: E402
from ai_edge_litert.interpreter import Interpreter, OpResolverType  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QLITE = os.path.join(ROOT, "target", "release", "qlite")

TT = {"float32": s.TensorType.FLOAT32, "int32": s.TensorType.INT32, "uint8": s.TensorType.UINT8,
      "int16": s.TensorType.INT16, "int8": s.TensorType.INT8, "int64": s.TensorType.INT64}
OPTS = {
    "ADD": "AddOptions", "SUB": "SubOptions", "MUL": "MulOptions", "MEAN": "ReducerOptions",
    "SUM": "ReducerOptions", "AVERAGE_POOL_2D": "Pool2DOptions", "MAX_POOL_2D": "Pool2DOptions",
    "CONCATENATION": "ConcatenationOptions", "PAD": "PadOptions", "PADV2": "PadV2Options",
    "RESHAPE": "ReshapeOptions", "QUANTIZE": None, "DEQUANTIZE": None,
    "MAXIMUM": "MaximumMinimumOptions", "MINIMUM": "MaximumMinimumOptions",
    "TRANSPOSE": "TransposeOptions", "SLICE": "SliceOptions", "GATHER": "GatherOptions", "TILE": "TileOptions",
}


class T:
    def __init__(self, name, dtype, shape, data=None, q=None):
        self.name, self.dtype, self.shape, self.q = name, dtype, list(shape), q
        self.data = None if data is None else np.asarray(data, dtype=np.dtype(dtype)).reshape(self.shape)


def single_op(op_name, inputs, outputs, no_options=False, **opts):
    tensors, buffers, in_idx, out_idx, graph_in = [], [s.BufferT()], [], [], []

    def add(t):
        tt = s.TensorT()
        tt.name, tt.type, tt.shape = t.name, TT[t.dtype], list(t.shape)
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
            graph_in.append(i)
    for t in outputs:
        out_idx.append(add(t))
    code = s.OperatorCodeT()
    c = getattr(s.BuiltinOperator, op_name)
    code.builtinCode, code.deprecatedBuiltinCode, code.version = c, min(c, 127), 1
    op = s.OperatorT()
    op.opcodeIndex, op.inputs, op.outputs = 0, in_idx, out_idx
    if OPTS[op_name] and not no_options:
        o = getattr(s, OPTS[op_name] + "T")()
        for k, v in opts.items():
            assert hasattr(o, k), (OPTS[op_name], k)
            setattr(o, k, v)
        op.builtinOptionsType = getattr(s.BuiltinOptions, OPTS[op_name])
        op.builtinOptions = o
    sg = s.SubGraphT()
    sg.tensors, sg.inputs, sg.outputs, sg.operators, sg.name = tensors, graph_in, out_idx, [op], "main"
    m = s.ModelT()
    m.version, m.operatorCodes, m.subgraphs, m.buffers, m.description = 3, [code], [sg], buffers, "fuzz_i16elt"
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


# ----------------------------------------------------------------------------- random helpers

def f32(x):
    return float(np.float32(x))


ZP16_P = 0.0  # probability of a nonzero int16 zero point (--zp16), which TFLite mostly refuses


def rand_q(rng, dtype, pot_p=0.0):
    if dtype == "int16":
        zp = int(rng.integers(-5, 6)) if rng.random() < ZP16_P else 0
        if rng.random() < pot_p:
            return (f32(2.0 ** int(rng.integers(-16, -6))), zp)
        return (f32(10 ** rng.uniform(-5.5, -1)), zp)
    if dtype == "uint8":
        return (f32(10 ** rng.uniform(-3, 0.5)), int(rng.integers(0, 256)))
    if dtype == "int8":
        return (f32(10 ** rng.uniform(-3, 0.5)), int(rng.integers(-128, 128)))
    raise ValueError(dtype)


def near(rng, q, dtype, spread=1.5):
    """A quantization near q (output scales in the inputs' ballpark)."""
    sc = f32(q[0] * 10 ** rng.uniform(-spread, spread))
    if dtype == "int16":
        return (sc, int(rng.integers(-5, 6)) if rng.random() < ZP16_P else 0)
    return (sc, int(rng.integers(0, 256)) if dtype == "uint8" else int(rng.integers(-128, 128)))


def rand_data(rng, dtype, shape):
    dt = np.dtype(dtype)
    if dt == np.float32:
        a = rng.uniform(-3, 3, size=shape).astype(np.float32)
        if a.size >= 3:
            a.flat[0], a.flat[1], a.flat[2] = 1e6, -1e6, 0.0
        return a
    info = np.iinfo(dt)
    k = rng.integers(0, 3)
    if k == 0:
        a = rng.integers(int(info.min), int(info.max) + 1, size=shape, dtype=np.int64)
    elif k == 1:
        a = rng.choice(np.array([info.min, info.max, 0, 1, -1 if info.min < 0 else 2]), size=shape)
    else:
        c = 0 if info.min < 0 else 128
        a = np.clip(c + rng.integers(-40, 41, size=shape), info.min, info.max)
    a = np.asarray(a).astype(dt)
    if a.size >= 2:
        a.flat[0], a.flat[-1] = info.min, info.max
    return a


def rand_shapes(rng, max_rank=5, max_elems=300):
    r = int(rng.integers(0, max_rank + 1))
    while True:
        out = [int(rng.integers(1, 6)) for _ in range(r)]
        if np.prod(out, dtype=np.int64) <= max_elems:
            break
    if rng.random() < 0.3:
        return list(out), list(out)
    a = [d if rng.random() > 0.35 else 1 for d in out]
    b = [d if rng.random() > 0.35 else 1 for d in out]
    if rng.random() < 0.3:
        a = a[int(rng.integers(0, len(a) + 1)):]
    if rng.random() < 0.3:
        b = b[int(rng.integers(0, len(b) + 1)):]
    return a, b


def bshape(a, b):
    r = max(len(a), len(b))
    a2, b2 = [1] * (r - len(a)) + a, [1] * (r - len(b)) + b
    return [max(x, y) for x, y in zip(a2, b2)]


ACT = [0, 0, 0, 1, 2, 3]

# ----------------------------------------------------------------------------- generators
# Each returns (model bytes, {input name: array}, skip reason or None).


def gen_binary(rng, op, dt):
    sa, sb = rand_shapes(rng)
    so = bshape(sa, sb)
    q1 = rand_q(rng, dt, pot_p=0.3)
    q2 = near(rng, q1, dt) if rng.random() < 0.7 else rand_q(rng, dt, pot_p=0.3)
    if dt == "int16" and q1[0] == 2.0 ** round(np.log2(q1[0])) and rng.random() < 0.5:
        q2 = (f32(2.0 ** int(rng.integers(-16, -6))), 0)
    qo = near(rng, (max(q1[0], q2[0]), 0), dt, 2.0)
    if dt == "int16" and rng.random() < 0.3:
        qo = (f32(2.0 ** int(rng.integers(-16, -6))), 0)
    if op == "SUB" and rng.random() < 0.1:
        # Output multiplier > 1: TFLite's SUB runs RoundingDivideByPOT with a negative exponent.
        qo = (f32(max(q1[0], q2[0]) * 10 ** rng.uniform(-7.5, -4.6)), qo[1])
    out_dt = dt
    opts = {}
    if op in ("ADD", "SUB", "MUL"):
        opts["fusedActivationFunction"] = int(rng.choice(ACT))
    if op in ("ADD", "SUB") and dt == "int16":
        opts["potScaleInt16"] = bool(rng.random() < 0.5)
    if op == "MUL" and dt == "int16" and rng.random() < 0.15:
        out_dt = "int8" if rng.random() < 0.5 else "uint8"
        qo = rand_q(rng, out_dt)
        sb = list(sa)
        so = list(sa)
    if op in ("MAXIMUM", "MINIMUM"):
        q2 = q1
        qo = q1
    if dt == "int16" and op in ("ADD", "MUL") and rng.random() < 0.1:
        # Unquantized int16 (wrapping arithmetic); MUL only looks at the output's quantization.
        qo = None
        if op == "ADD" or rng.random() < 0.5:
            q1 = q2 = None
    ins = [T("a", dt, sa, q=q1)]
    const = rng.random() < 0.2
    bdata = rand_data(rng, dt, sb)
    ins.append(T("b", dt, sb, data=bdata if const else None, q=q2))
    no_options = bool(op in ("ADD", "SUB") and rng.random() < 0.05)
    if no_options:
        opts = {}  # TFLite's parser then leaves zero-initialized params (no activation, no POT)
    m = single_op(op, ins, [T("out", out_dt, so, q=qo)], no_options=no_options, **opts)
    skip = None
    if op == "ADD" and qo is not None:
        ls = 15 if dt == "int16" else 20
        real = 2 * max(q1[0], q2[0]) / (2 ** ls * qo[0])
        pot = dt == "int16" and opts.get("potScaleInt16") and all(
            abs(np.log2(x) - round(np.log2(x))) < 1e-3 for x in (q1[0], q2[0], qo[0]))
        if real >= 1 and not pot:
            skip = "add_multiplier_ge_1"
        if pot and list(sa) != list(sb):
            # The power-of-two path has no broadcasting: TFLite aborts (MatchingElementsSize).
            skip = "add_pot_broadcast"
    feeds = {"a": rand_data(rng, dt, sa)}
    if not const:
        feeds["b"] = bdata
    return m, feeds, skip


def gen_reduce(rng, op, dt):
    r = int(rng.integers(1, 5))
    shape = [int(rng.integers(1, 6)) for _ in range(r)]
    k = int(rng.integers(1, r + 1))
    axes = list(rng.choice(np.arange(-r, r), size=k, replace=True))
    keep = bool(rng.random() < 0.5)
    red = {a % r for a in axes}
    out = [1 if (i in red) else d for i, d in enumerate(shape)] if keep else [d for i, d in enumerate(shape) if i not in red]
    qi = rand_q(rng, dt)
    qo = near(rng, qi, dt, 1.0) if rng.random() < 0.8 else qi
    if op == "SUM":
        qo = (f32(qi[0] * 10 ** rng.uniform(0, 2)), qo[1])
    m = single_op(op, [T("x", dt, shape, q=qi), T("axes", "int32", [len(axes)], data=np.array(axes, np.int32))],
                  [T("y", dt, out, q=qo)], keepDims=keep)
    return m, {"x": rand_data(rng, dt, shape)}, None


def gen_pool(rng, op, dt):
    n, h, w, c = int(rng.integers(1, 3)), int(rng.integers(1, 9)), int(rng.integers(1, 9)), int(rng.integers(1, 4))
    fh, fw = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    sh, sw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    pad = int(rng.integers(0, 2))  # 0 SAME, 1 VALID
    if pad == 1:
        fh, fw = min(fh, h), min(fw, w)
        oh, ow = (h - fh) // sh + 1, (w - fw) // sw + 1
    else:
        oh, ow = -(-h // sh), -(-w // sw)
    qi = rand_q(rng, dt)
    qo = qi if rng.random() < 0.8 else near(rng, qi, dt, 0.5)
    act = int(rng.choice(ACT))
    m = single_op(op, [T("x", dt, [n, h, w, c], q=qi)], [T("y", dt, [n, oh, ow, c], q=qo)],
                  padding=pad, strideW=sw, strideH=sh, filterWidth=fw, filterHeight=fh, fusedActivationFunction=act)
    return m, {"x": rand_data(rng, dt, [n, h, w, c])}, None


def gen_concat(rng, op, dt):
    r = int(rng.integers(1, 5))
    base = [int(rng.integers(1, 4)) for _ in range(r)]
    axis = int(rng.integers(-r, r))
    k = int(rng.integers(1, 4))
    qo = rand_q(rng, dt)
    ins, feeds, tot = [], {}, 0
    for i in range(k):
        sh = list(base)
        sh[axis % r] = int(rng.integers(1, 4))
        tot += sh[axis % r]
        q = qo if rng.random() < 0.5 else near(rng, qo, dt, 0.7)
        d = rand_data(rng, dt, sh)
        const = rng.random() < 0.15
        ins.append(T(f"x{i}", dt, sh, data=d if const else None, q=q))
        if not const:
            feeds[f"x{i}"] = d
    out = list(base)
    out[axis % r] = tot
    if not feeds:
        ins[0].data = None
        feeds["x0"] = rand_data(rng, dt, ins[0].shape)
    m = single_op(op, ins, [T("y", dt, out, q=qo)], axis=axis, fusedActivationFunction=0)
    return m, feeds, None


def gen_pad(rng, op, dt):
    r = int(rng.integers(1, 5))
    shape = [int(rng.integers(1, 4)) for _ in range(r)]
    pads = np.array([[int(rng.integers(0, 3)), int(rng.integers(0, 3))] for _ in range(r)], np.int32)
    out = [d + int(p[0] + p[1]) for d, p in zip(shape, pads)]
    qi = rand_q(rng, dt)
    qo = qi if rng.random() < 0.7 else near(rng, qi, dt, 0.5)
    ins = [T("x", dt, shape, q=qi), T("p", "int32", [r, 2], data=pads)]
    feeds = {"x": rand_data(rng, dt, shape)}
    if op == "PADV2":
        cv = rand_data(rng, dt, [1])
        cq = qo if rng.random() < 0.9 else near(rng, qo, dt, 0.5)
        ins.append(T("c", dt, [1], data=cv if rng.random() < 0.7 else None, q=cq))
        if ins[-1].data is None:
            feeds["c"] = cv
    m = single_op(op, ins, [T("y", dt, out, q=qo)])
    return m, feeds, None


def gen_reshape(rng, op, dt):
    shape = [int(rng.integers(1, 5)) for _ in range(int(rng.integers(1, 5)))]
    n = int(np.prod(shape))
    out = [n] if rng.random() < 0.5 else [1, n]
    q = rand_q(rng, dt)
    m = single_op(op, [T("x", dt, shape, q=q), T("s", "int32", [len(out)], data=np.array(out, np.int32))],
                  [T("y", dt, out, q=q)], newShape=out)
    return m, {"x": rand_data(rng, dt, shape)}, None


def gen_quantize(rng, op, dt):
    shape = [int(rng.integers(1, 5)) for _ in range(int(rng.integers(1, 4)))]
    if dt == "int16":
        src = str(rng.choice(["float32", "int16", "int16", "int8"]))
        dst = {"float32": "int16", "int16": str(rng.choice(["int8", "int16"])), "int8": "int16"}[src]
    else:
        src = str(rng.choice(["float32", "uint8", "uint8", "int8"]))
        dst = {"float32": "uint8", "uint8": str(rng.choice(["int8", "uint8"])), "int8": "uint8"}[src]
    qi = None if src == "float32" else rand_q(rng, src)
    qo = rand_q(rng, dst) if qi is None else near(rng, qi, dst, 1.0)
    if qi is not None and src != dst and dt == "uint8" and rng.random() < 0.4:
        qo = (qi[0], qi[1] + (128 if dst == "uint8" else -128))
    m = single_op(op, [T("x", src, shape, q=qi)], [T("y", dst, shape, q=qo)])
    x = rand_data(rng, src, shape)
    if src == "float32":
        x = (x * np.float32(qo[0] * 20000 if dst == "int16" else qo[0] * 100)).astype(np.float32)
    return m, {"x": x}, None


def gen_dequantize(rng, op, dt):
    shape = [int(rng.integers(1, 5)) for _ in range(int(rng.integers(1, 4)))]
    q = rand_q(rng, dt)
    m = single_op(op, [T("x", dt, shape, q=q)], [T("y", "float32", shape)])
    return m, {"x": rand_data(rng, dt, shape)}, None


def gen_move(rng, op, dt):
    r = int(rng.integers(1, 5))
    shape = [int(rng.integers(1, 5)) for _ in range(r)]
    q = rand_q(rng, dt)
    x = T("x", dt, shape, q=q)
    opts = {}
    if op == "TRANSPOSE":
        perm = rng.permutation(r).astype(np.int32)
        ins = [x, T("p", "int32", [r], data=perm)]
        out = [shape[i] for i in perm]
    elif op == "SLICE":
        begin = [int(rng.integers(0, d)) for d in shape]
        size = [int(rng.integers(1, d - b + 1)) if rng.random() < 0.8 else -1 for d, b in zip(shape, begin)]
        ins = [x, T("b", "int32", [r], data=np.array(begin, np.int32)), T("s", "int32", [r], data=np.array(size, np.int32))]
        out = [d - b if z == -1 else z for d, b, z in zip(shape, begin, size)]
    elif op == "GATHER":
        axis = int(rng.integers(0, r))
        k = int(rng.integers(1, 5))
        idx = rng.integers(0, shape[axis], size=k).astype(np.int32)
        ins = [x, T("i", "int32", [k], data=idx)]
        out = shape[:axis] + [k] + shape[axis + 1:]
        opts = {"axis": axis}
    else:  # TILE
        mult = [int(rng.integers(1, 3)) for _ in range(r)]
        ins = [x, T("m", "int32", [r], data=np.array(mult, np.int32))]
        out = [d * m for d, m in zip(shape, mult)]
    m = single_op(op, ins, [T("y", dt, out, q=q)], **opts)
    return m, {"x": rand_data(rng, dt, shape)}, None


GENS = {
    "ADD": gen_binary, "SUB": gen_binary, "MUL": gen_binary, "MAXIMUM": gen_binary, "MINIMUM": gen_binary,
    "MEAN": gen_reduce, "SUM": gen_reduce, "AVERAGE_POOL_2D": gen_pool, "MAX_POOL_2D": gen_pool,
    "CONCATENATION": gen_concat, "PAD": gen_pad, "PADV2": gen_pad, "RESHAPE": gen_reshape,
    "QUANTIZE": gen_quantize, "DEQUANTIZE": gen_dequantize,
    "TRANSPOSE": gen_move, "SLICE": gen_move, "GATHER": gen_move, "TILE": gen_move,
}

# ----------------------------------------------------------------------------- running


def run_tflite(model, feeds):
    it = Interpreter(model_content=model, experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    for d in it.get_input_details():
        it.set_tensor(d["index"], feeds[d["name"]])
    it.invoke()
    return [it.get_tensor(d["index"]).copy() for d in it.get_output_details()], it.get_input_details()


def check(model, feeds, work):
    mp = os.path.join(work, "model.tflite")
    with open(mp, "wb") as f:
        f.write(model)
    try:
        outs, details = run_tflite(model, feeds)
    except Exception as e:  # noqa: BLE001 - TFLite refused the model
        r = subprocess.run([QLITE, "inspect", mp], capture_output=True, text=True)
        args = []
        for k, (name, a) in enumerate(feeds.items()):
            p = os.path.join(work, f"in{k}.npy")
            np.save(p, a)
            args += ["-i", p]
        r = subprocess.run([QLITE, "run", mp, "-o", os.path.join(work, "out")] + args, capture_output=True, text=True)
        if r.returncode == 0:
            return "fail", "TFLite refuses (%s) but qlite runs it" % str(e).splitlines()[0][:160]
        return "refused", ""
    args = []
    for k, d in enumerate(details):
        p = os.path.join(work, f"in{k}.npy")
        np.save(p, feeds[d["name"]])
        args += ["-i", p]
    for k, a in enumerate(outs):
        p = os.path.join(work, f"ref{k}.npy")
        np.save(p, a)
        args += ["-e", p]
    r = subprocess.run([QLITE, "compare", mp, "--json"] + args, capture_output=True, text=True)
    if r.returncode == 0:
        return "pass", ""
    return "fail", (r.stdout + r.stderr)[-400:]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--ops", default=",".join(GENS))
    ap.add_argument("--types", default="int16,uint8")
    ap.add_argument("--keep", default=None)
    ap.add_argument("--zp16", type=float, default=0.0,
                    help="probability of a nonzero int16 zero point per tensor (refusal agreement)")
    a = ap.parse_args()
    global ZP16_P
    ZP16_P = a.zp16
    work = tempfile.mkdtemp(prefix="fuzz_i16elt_")
    total_fail = 0
    for dt in a.types.split(","):
        for op in a.ops.split(","):
            if op == "SUM" and dt == "int16":
                continue
            counts = {"pass": 0, "fail": 0, "refused": 0, "skipped": 0}
            for i in range(a.n):
                rng = np.random.default_rng([a.seed, i, hash(op) % 1000 if False else sum(map(ord, op)),
                                             sum(map(ord, dt))])
                model, feeds, skip = GENS[op](rng, op, dt)
                if skip:
                    counts["skipped"] += 1
                    continue
                st, detail = check(model, feeds, work)
                counts[st] += 1
                if st == "fail":
                    total_fail += 1
                    print(f"FAIL {op} {dt} case {i}: {detail}", flush=True)
                    if a.keep:
                        d = os.path.join(a.keep, f"{op}_{dt}_{i}")
                        shutil.copytree(work, d, dirs_exist_ok=True)
            print(f"{op:16s} {dt:6s} pass {counts['pass']:4d} fail {counts['fail']:3d} "
                  f"refused-by-both {counts['refused']:3d} skipped {counts['skipped']:3d}", flush=True)
    shutil.rmtree(work, ignore_errors=True)
    print(f"seed {a.seed}: {total_fail} failures")
    sys.exit(1 if total_fail else 0)


if __name__ == "__main__":
    main()
