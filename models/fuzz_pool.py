#!/usr/bin/env python3
"""Randomized differential check of the pool group's kernels against TFLite's reference kernels.

Builds random single-operator models directly as flatbuffers (so any shape, axis set and
quantization can be drawn, including ones the converter never writes), runs each with
ai_edge_litert's BUILTIN_REF resolver on seeded random inputs (extremes and ties included), then
runs `qlite compare` on the same inputs and requires identical outputs.

    /work/venv/bin/python models/fuzz_pool.py --seed 1 --pool 300 --reduce 300 --softmax 300 --argmax 100

Families: pool (AVERAGE_POOL_2D, MAX_POOL_2D), reduce (MEAN, SUM, REDUCE_MAX, REDUCE_MIN),
softmax (SOFTMAX), argmax (ARG_MAX, ARG_MIN); int8 and float32 each. Configurations on which
TFLite's reference aborts the process (softmax with beta*s_in*2^26 <= 1, or rows of >= 512
maxima) are not drawn; qlite's unit tests cover them. Failing cases are kept in --keep DIR.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import flatbuffers  # noqa: E402
import numpy as np  # noqa: E402
from ai_edge_litert import schema_py_generated as s  # noqa: E402
from ai_edge_litert.interpreter import Interpreter, OpResolverType  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QLITE = os.path.join(ROOT, "target", "release", "qlite")
N_CASES = 3

TYPES = {
    np.dtype(np.float32): s.TensorType.FLOAT32,
    np.dtype(np.int8): s.TensorType.INT8,
    np.dtype(np.int16): s.TensorType.INT16,
    np.dtype(np.uint8): s.TensorType.UINT8,
    np.dtype(np.int32): s.TensorType.INT32,
    np.dtype(np.int64): s.TensorType.INT64,
}


class T:
    """A tensor of the model being built."""

    def __init__(self, shape, dtype, quant=None, data=None):
        self.shape = list(shape)
        self.dtype = np.dtype(dtype)
        self.quant = quant  # (scale, zero_point) or None
        self.data = data


def build_model(opcode, options_type, options, inputs, outputs):
    """A one-operator model; `inputs` and `outputs` are lists of T (constant when data is set)."""
    tensors, buffers = [], [s.BufferT()]
    graph_inputs = []
    for k, t in enumerate(inputs + outputs):
        b = s.BufferT()
        if t.data is not None:
            b.data = np.frombuffer(np.ascontiguousarray(t.data, dtype=t.dtype).tobytes(), dtype=np.uint8)
        buffers.append(b)
        tt = s.TensorT()
        tt.shape = t.shape
        tt.type = TYPES[t.dtype]
        tt.buffer = len(buffers) - 1
        tt.name = f"t{k}"
        if t.quant is not None:
            q = s.QuantizationParametersT()
            q.scale = [float(t.quant[0])]
            q.zeroPoint = [int(t.quant[1])]
            tt.quantization = q
        tensors.append(tt)
        if k < len(inputs) and t.data is None:
            graph_inputs.append(k)
    op = s.OperatorT()
    op.opcodeIndex = 0
    op.inputs = list(range(len(inputs)))
    op.outputs = list(range(len(inputs), len(inputs) + len(outputs)))
    op.builtinOptionsType = options_type
    op.builtinOptions = options
    sg = s.SubGraphT()
    sg.tensors = tensors
    sg.inputs = graph_inputs
    sg.outputs = op.outputs
    sg.operators = [op]
    sg.name = "main"
    code = s.OperatorCodeT()
    code.builtinCode = opcode
    code.deprecatedBuiltinCode = min(opcode, 127)
    code.version = 1
    m = s.ModelT()
    m.version = 3
    m.operatorCodes = [code]
    m.subgraphs = [sg]
    m.buffers = buffers
    m.description = "fuzz_pool"
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def run_ref(model, cases):
    """BUILTIN_REF outputs of each case, stacked on axis 0."""
    it = Interpreter(model_content=model, experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    d_in = it.get_input_details()[0]
    d_out = it.get_output_details()[0]
    outs = []
    for c in cases:
        it.set_tensor(d_in["index"], c)
        it.invoke()
        outs.append(it.get_tensor(d_out["index"]).copy())
    return np.concatenate(outs, axis=0) if outs[0].ndim else np.stack(outs)


def int8_values(rng, shape):
    """Random int8 values: full range, a narrow range (many ties) or near-constant; extremes."""
    kind = rng.integers(0, 4)
    if kind == 0:
        a = rng.integers(-128, 128, size=shape)
    elif kind == 1:
        lo = int(rng.integers(-128, 120))
        a = rng.integers(lo, min(128, lo + int(rng.integers(1, 8))), size=shape)
    elif kind == 2:
        a = rng.choice(np.array([-128, 127, 0, -1, 1]), size=shape)
    else:
        a = np.clip(np.round(rng.normal(0, 40, size=shape)), -128, 127)
    a = a.astype(np.int8)
    if a.size >= 2 and rng.random() < 0.5:
        a.flat[int(rng.integers(0, a.size))] = -128
        a.flat[int(rng.integers(0, a.size))] = 127
    return a


def float_values(rng, shape):
    kind = rng.integers(0, 3)
    scale = float(10 ** rng.uniform(-3, 3))
    if kind == 0:
        a = rng.normal(0, scale, size=shape)
    elif kind == 1:
        a = rng.integers(-3, 4, size=shape) * scale  # ties
    else:
        a = rng.uniform(-scale, scale, size=shape)
    a = a.astype(np.float32)
    if a.size and rng.random() < 0.1:  # NaN and infinities now and then
        for _ in range(int(rng.integers(1, 3))):
            a.flat[int(rng.integers(0, a.size))] = rng.choice(np.array([np.nan, np.inf, -np.inf], dtype=np.float32))
    return a


def values(rng, shape, dtype):
    dtype = np.dtype(dtype)
    if dtype == np.int8:
        return int8_values(rng, shape)
    if dtype == np.uint8:
        return rng.integers(0, 256, size=shape).astype(np.uint8)
    if dtype == np.int32:
        return rng.integers(-5, 6, size=shape).astype(np.int32)
    return float_values(rng, shape)


def rand_quant(rng):
    return (float(10 ** rng.uniform(-3, 1)), int(rng.integers(-128, 128)))


def gen_pool(rng):
    kind = rng.choice(["AVERAGE_POOL_2D", "MAX_POOL_2D"])
    dtype = np.int8 if rng.random() < 0.6 else np.float32
    n, h, w, c = int(rng.integers(1, 3)), int(rng.integers(1, 13)), int(rng.integers(1, 13)), int(rng.integers(1, 6))
    fh, fw = int(rng.integers(1, 6)), int(rng.integers(1, 6))
    sh, sw = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    same = rng.random() < 0.5
    if not same and (h < fh or w < fw):
        fh, fw = min(fh, h), min(fw, w)
    if same:
        oh, ow = -(-h // sh), -(-w // sw)
    else:
        oh, ow = (h - fh) // sh + 1, (w - fw) // sw + 1
    o = s.Pool2DOptionsT()
    o.padding = s.Padding.SAME if same else s.Padding.VALID
    o.strideW, o.strideH, o.filterWidth, o.filterHeight = sw, sh, fw, fh
    o.fusedActivationFunction = int(rng.choice([0, 0, 1, 2, 3]))  # NONE, RELU, RELU_N1_TO_1, RELU6
    qi = rand_quant(rng) if dtype == np.int8 else None
    qo = qi if (qi is None or rng.random() < 0.8) else rand_quant(rng)
    x = T([n, h, w, c], dtype, qi)
    y = T([n, oh, ow, c], dtype, qo)
    desc = f"{kind} {dtype.__name__} in {[n, h, w, c]} f {fh}x{fw} s {sh}x{sw} {'SAME' if same else 'VALID'} act {o.fusedActivationFunction} q {qi}->{qo}"
    return getattr(s.BuiltinOperator, kind), s.BuiltinOptions.Pool2DOptions, o, [x], y, desc


def gen_reduce(rng):
    kind = rng.choice(["MEAN", "MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN"])
    dtype = np.int8 if rng.random() < 0.65 else np.float32
    rank = int(rng.integers(1, 6))
    shape = [int(rng.integers(1, 7)) for _ in range(rank)]
    if rng.random() < 0.2 and rank == 4:
        shape = [int(rng.integers(1, 3)), int(rng.integers(1, 12)), int(rng.integers(1, 12)), int(rng.integers(1, 9))]
    if rng.random() < 0.1:
        shape[-1] = int(rng.integers(50, 400))  # long reductions
    n_axes = int(rng.integers(0, rank + 1)) if rng.random() < 0.9 else 0
    axes = sorted(rng.choice(rank, size=n_axes, replace=False).tolist()) if n_axes else []
    if rank == 4 and rng.random() < 0.25:
        axes = [1, 2]
    axes = [a - rank if rng.random() < 0.3 else a for a in axes]
    if axes and rng.random() < 0.1:
        axes.append(axes[0])  # duplicate
    keep = bool(rng.random() < 0.5)
    resolved = sorted({a % rank for a in axes})
    out_shape = [1 if d in resolved else shape[d] for d in range(rank)] if keep else [shape[d] for d in range(rank) if d not in resolved]
    qi = rand_quant(rng) if dtype == np.int8 else None
    if dtype == np.int8 and kind in ("MEAN", "SUM"):
        r = rng.random()
        qo = qi if r < 0.3 else (qi[0], int(rng.integers(-128, 128))) if r < 0.4 else rand_quant(rng)
        if kind == "SUM" and rng.random() < 0.5:
            cnt = int(np.prod([shape[d] for d in resolved])) if resolved else 1
            qo = (qi[0] * cnt * float(10 ** rng.uniform(-1, 0.3)), int(rng.integers(-128, 128)))
    else:
        qo = qi
    o = s.ReducerOptionsT()
    o.keepDims = keep
    x = T(shape, dtype, qi)
    a = T([len(axes)], np.int32, None, np.array(axes, dtype=np.int32))
    y = T(out_shape, dtype, qo)
    desc = f"{kind} {dtype.__name__} in {shape} axes {axes} keep {keep} q {qi}->{qo}"
    return getattr(s.BuiltinOperator, kind), s.BuiltinOptions.ReducerOptions, o, [x, a], y, desc


def gen_softmax(rng):
    dtype = np.int8 if rng.random() < 0.7 else np.float32
    rank = int(rng.integers(1, 5))
    shape = [int(rng.integers(1, 5)) for _ in range(rank)]
    shape[-1] = int(rng.choice([int(rng.integers(1, 12)), int(rng.integers(12, 300))]))
    beta = float(rng.choice([1.0, 1.0, float(10 ** rng.uniform(-1.5, 1.5))]))
    while True:
        s_in = float(10 ** rng.uniform(-4, 1)) if rng.random() < 0.9 else float(10 ** rng.uniform(-7, -4))
        if dtype != np.int8 or beta * s_in * 2**26 > 1.0:
            break
    qi = (s_in, int(rng.integers(-128, 128))) if dtype == np.int8 else None
    qo = (1.0 / 256, -128) if dtype == np.int8 else None
    out_dtype = dtype
    if dtype == np.int8 and rng.random() < 0.2:  # int8 → int16 (as in keyword_scrambled_8bit)
        out_dtype, qo = np.int16, (1.0 / 65536, -32768)
    o = s.SoftmaxOptionsT()
    o.beta = beta
    x = T(shape, dtype, qi)
    y = T(shape, out_dtype, qo)
    desc = f"SOFTMAX {dtype.__name__}->{np.dtype(out_dtype).name} in {shape} beta {beta} q {qi}"
    return s.BuiltinOperator.SOFTMAX, s.BuiltinOptions.SoftmaxOptions, o, [x], y, desc


def gen_argmax(rng):
    is_max = rng.random() < 0.75
    dtype = rng.choice([np.int8, np.int8, np.float32, np.float32, np.uint8, np.int32])
    rank = int(rng.integers(1, 5))
    shape = [int(rng.integers(1, 7)) for _ in range(rank)]
    axis = int(rng.integers(0, rank))
    if rng.random() < 0.3:
        axis -= rank
    axis_t = np.int32 if rng.random() < 0.7 else np.int64
    out_t = np.int32 if rng.random() < 0.5 else np.int64
    out_shape = [d for i, d in enumerate(shape) if i != axis % rank]
    if is_max:
        o = s.ArgMaxOptionsT()
        opt_type, code = s.BuiltinOptions.ArgMaxOptions, s.BuiltinOperator.ARG_MAX
    else:
        o = s.ArgMinOptionsT()
        opt_type, code = s.BuiltinOptions.ArgMinOptions, s.BuiltinOperator.ARG_MIN
    o.outputType = TYPES[np.dtype(out_t)]
    q = rand_quant(rng) if dtype == np.int8 else None
    x = T(shape, dtype, q)
    a = T([1], axis_t, None, np.array([axis], dtype=axis_t))
    y = T(out_shape, out_t)
    desc = f"{'ARG_MAX' if is_max else 'ARG_MIN'} {np.dtype(dtype).name} in {shape} axis {axis} ({np.dtype(axis_t).name}) -> {np.dtype(out_t).name}"
    return code, opt_type, o, [x, a], y, desc


def check(rng, gen, workdir, keep):
    code, opt_type, opts, ins, out, desc = gen(rng)
    model = build_model(code, opt_type, opts, ins, [out])
    x = ins[0]
    cases = [values(rng, x.shape, x.dtype) for _ in range(N_CASES)]
    ref = run_ref(model, cases)
    stacked = np.concatenate(cases, axis=0)
    paths = {k: os.path.join(workdir, f"case.{k}") for k in ("tflite", "in0.npy", "ref0.npy")}
    with open(paths["tflite"], "wb") as f:
        f.write(model)
    np.save(paths["in0.npy"], stacked)
    np.save(paths["ref0.npy"], ref)
    r = subprocess.run([QLITE, "compare", paths["tflite"], "-i", paths["in0.npy"], "-e", paths["ref0.npy"], "--json"],
                       capture_output=True, text=True)
    ok = r.returncode == 0
    detail = ""
    if not ok:
        try:
            detail = json.dumps(json.loads(r.stdout)["outputs"])
        except Exception:  # noqa: BLE001
            detail = (r.stdout + r.stderr).strip()
        if keep:
            os.makedirs(keep, exist_ok=True)
            n = len(os.listdir(keep)) // 3
            for k, p in paths.items():
                shutil.copy(p, os.path.join(keep, f"fail{n}.{k}"))
    return ok, desc, detail


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pool", type=int, default=300)
    ap.add_argument("--reduce", type=int, default=300)
    ap.add_argument("--softmax", type=int, default=300)
    ap.add_argument("--argmax", type=int, default=100)
    ap.add_argument("--keep", default=None, help="directory for failing cases")
    args = ap.parse_args()
    total_bad = 0
    with tempfile.TemporaryDirectory() as workdir:
        families = [("pool", gen_pool, args.pool), ("reduce", gen_reduce, args.reduce),
                    ("softmax", gen_softmax, args.softmax), ("argmax", gen_argmax, args.argmax)]
        for family, (name, gen, count) in enumerate(families):
            rng = np.random.default_rng([args.seed, family])
            bad = 0
            for i in range(count):
                ok, desc, detail = check(rng, gen, workdir, args.keep)
                if not ok:
                    bad += 1
                    print(f"MISMATCH {name} #{i}: {desc}: {detail}", flush=True)
            print(f"{name}: {count} configurations, {bad} mismatches (seed {args.seed})", flush=True)
            total_bad += bad
    sys.exit(1 if total_bad else 0)


if __name__ == "__main__":
    main()
