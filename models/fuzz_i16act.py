"""Randomized differential check of qlite's int16 (int16x8 mode) and uint8 (TF1 legacy) activation
kernels against TFLite's reference kernels (BUILTIN_REF).

For each operator an int8 single-op model is converted with the TFLite converter (the templates of
models/fuzz_act.py, plus SOFTMAX, ARG_MAX and ARG_MIN); every random configuration is that model
with its tensor types rewritten to int16 or uint8 (flatbuffer edit), a random shape, random scales
and zero points (the ones TFLite accepts mostly, and some it refuses: both must refuse), random
options (SOFTMAX beta, LEAKY_RELU alpha, ARG axis). Inputs: int16 values across the whole range
(extremes, zero, small values, random), uint8 all 256 values plus random ones. Each configuration
runs on TFLite and on `qlite run`; outputs must be identical.

Usage: /work/venv/bin/python models/fuzz_i16act.py [--n 300] [--seed 1] [--ops SOFTMAX,TANH] [--types int16,uint8]
"""

import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fuzz_act  # noqa: E402
from oplib import convert_int8, ops_of  # noqa: E402

import flatbuffers  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from ai_edge_litert import schema_py_generated as schema  # noqa: E402
from ai_edge_litert.interpreter import Interpreter, OpResolverType  # noqa: E402

INT16_OPS = ["SOFTMAX", "LOGISTIC", "TANH", "LEAKY_RELU", "RELU", "RELU6"]
UINT8_OPS = ["SOFTMAX", "SOFTMAX_U8_I16", "LOGISTIC", "TANH", "LEAKY_RELU", "RELU", "RELU6", "RELU_N1_TO_1",
             "RELU_0_TO_1", "HARD_SWISH", "ARG_MAX", "ARG_MIN", "GELU", "GELU_APPROX"]
TT = {"int16": schema.TensorType.INT16, "uint8": schema.TensorType.UINT8}
NP = {"int16": np.int16, "uint8": np.uint8}


def template(op):
    if op in ("SOFTMAX", "SOFTMAX_U8_I16"):
        @tf.function(input_signature=[tf.TensorSpec([1, 16], tf.float32)])
        def f(x):
            return tf.nn.softmax(x)
        m = convert_int8(f, rep=[(-6.0, 6.0)])
    elif op in ("ARG_MAX", "ARG_MIN"):
        g = tf.math.argmax if op == "ARG_MAX" else tf.math.argmin

        @tf.function(input_signature=[tf.TensorSpec([1, 16], tf.float32)])
        def f(x):
            return g(x, axis=-1, output_type=tf.int32)
        m = convert_int8(f, rep=[(-6.0, 6.0)])
    elif op == "RELU_0_TO_1":
        return fuzz_act.with_opcode(fuzz_act.template("RELU", True), "RELU_0_TO_1")
    else:
        return fuzz_act.template(op, True)
    got = ops_of(m)
    assert got == [op.split("_U8")[0]], f"{op}: converter produced {got}"
    return m


def patch(model_bytes, op, dtype, shape, qin, qout, beta=None, alpha=None, axis=None):
    m = schema.ModelT.InitFromPackedBuf(model_bytes, 0)
    sg = m.subgraphs[0]
    o = sg.operators[0]
    tin, tout = sg.tensors[o.inputs[0]], sg.tensors[o.outputs[0]]
    tin.type = TT[dtype]
    tin.shape = np.array(shape, dtype=np.int32)
    tin.shapeSignature = None
    tin.quantization.scale = [qin[0]]
    tin.quantization.zeroPoint = [qin[1]]
    if op in ("ARG_MAX", "ARG_MIN"):
        a = axis % len(shape)
        tout.shape = np.array([d for i, d in enumerate(shape) if i != a], dtype=np.int32)
        tout.shapeSignature = None
        tax = sg.tensors[o.inputs[1]]
        m.buffers[tax.buffer].data = np.frombuffer(np.array([axis], np.int32).tobytes(), np.uint8)
        tax.shape = np.array([1], np.int32)
    else:
        tout.type = schema.TensorType.INT16 if op == "SOFTMAX_U8_I16" else TT[dtype]
        tout.shape = np.array(shape, dtype=np.int32)
        tout.shapeSignature = None
        tout.quantization.scale = [qout[0]]
        tout.quantization.zeroPoint = [qout[1]]
    if beta is not None:
        o.builtinOptions.beta = beta
    if alpha is not None:
        o.builtinOptions.alpha = alpha
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def random_scale(rng):
    r = rng.random()
    if r < 0.1:
        return float(np.float32(10 ** rng.uniform(-9, -5)))
    if r < 0.2:
        return float(np.float32(10 ** rng.uniform(0.5, 4)))
    if r < 0.35:
        return float(np.float32(2.0 ** int(rng.integers(-16, -8))))  # powers of two
    if r < 0.45:
        return float(np.float32(2.0 ** int(rng.integers(-16, -8)) * (1 + rng.uniform(-2e-3, 2e-3))))
    return float(np.float32(10 ** rng.uniform(-5, 0.5)))


def int16_values(rng, n):
    kind = rng.random(n)
    v = rng.integers(-32768, 32768, n)
    small = rng.integers(-600, 600, n)
    v = np.where(kind < 0.3, small, v)
    v = np.where(kind > 0.95, rng.choice([-32768, 32767, 0, -1, 1], n), v)
    return v.astype(np.int16)


def inputs(rng, dtype, shape):
    n = int(np.prod(shape))
    if dtype == "uint8":
        cases = max(2, -(-256 // n) + 1)
        flat = np.concatenate([rng.permutation(256), rng.integers(0, 256, cases * n)])[: cases * n].astype(np.uint8)
    else:
        cases = max(2, -(-512 // n))
        flat = int16_values(rng, cases * n)
        if flat.size >= 2:
            flat[0], flat[1] = -32768, 32767
    return flat.reshape([cases * shape[0]] + list(shape[1:])), cases


def config(rng, op, dtype, i):
    shape = fuzz_act.random_shape(rng)
    beta = alpha = axis = None
    if dtype == "int16":
        zp_in = zp_out = 0
        if rng.random() < 0.03:
            zp_in = int(rng.integers(-5, 6))
        if rng.random() < 0.03:
            zp_out = int(rng.integers(-5, 6))
    else:
        zp_in, zp_out = int(rng.integers(0, 256)), int(rng.integers(0, 256))
        if rng.random() < 0.2:
            zp_in = int(rng.choice([0, 255, 128]))
    s_in, s_out = random_scale(rng), random_scale(rng)
    if op in ("SOFTMAX", "SOFTMAX_U8_I16"):
        beta = float(np.float32(rng.choice([1.0, 0.5, 2.0, 0.0, -1.0, rng.uniform(0, 10), 10 ** rng.uniform(-4, 3)])))
        if dtype == "int16":
            s_out = 1.0 / 32768 if rng.random() < 0.9 else float(np.float32((1 + rng.uniform(-2e-3, 2e-3)) / 32768))
            if rng.random() < 0.3 and len(shape) < 5:
                shape = shape[:-1] + [int(rng.integers(1, 2000))]
        else:
            s_out = 1.0 / 256 if op == "SOFTMAX" else 1.0 / 65536
            zp_out = 0 if op == "SOFTMAX" else -32768
            if op == "SOFTMAX_U8_I16":
                zp_out = -32768
            if rng.random() < 0.1:
                s_out, zp_out = random_scale(rng), (int(rng.integers(0, 256)) if op == "SOFTMAX" else 0)
            # Large input scales make the reference's QuantizeMultiplierGreaterThanOne succeed; tiny
            # ones (beta·s·2^26 ≤ 1) abort TFLite's process, which the harness cannot survive.
            while beta * s_in * 2 ** 26 <= 1.0 or not np.isfinite(beta * s_in):
                beta, s_in = 1.0, random_scale(rng)
    if op == "LOGISTIC":
        if dtype == "int16":
            s_out = 1.0 / 32768 if rng.random() < 0.95 else float(np.float32(2.0 ** -15 * (1 + rng.uniform(-1e-3, 1e-3))))
        else:
            s_out = 1.0 / 256
    if op == "TANH":
        if dtype == "int16":
            r = rng.random()
            s_out = 1.0 / 32768 if r < 0.8 else float(np.float32(2.0 ** -15 * (1 + rng.uniform(-1.5e-3, 1.5e-3))))
        elif rng.random() < 0.5:
            s_out, zp_out = 1.0 / 128, 128
    if op == "HARD_SWISH" and rng.random() < 0.8:
        s_out = s_in * float(10 ** rng.uniform(-1.5, 1.5))
    if op == "LEAKY_RELU":
        alpha = float(np.float32(rng.choice([0.2, 0.01, -0.5, 1.5, 3.0, 0.0, -3.0, rng.uniform(-4, 4)])))
    if op in ("ARG_MAX", "ARG_MIN"):
        if len(shape) == 1:
            shape = [int(rng.integers(1, 4))] + shape  # a rank-1 input has a scalar output: no stacked cases
        axis = int(rng.integers(-len(shape), len(shape)))
    if i < 4 and op not in ("SOFTMAX", "SOFTMAX_U8_I16", "LOGISTIC", "TANH"):
        s_in, s_out = [(1e-9, 1e3), (1e3, 1e-9), (3e38, 1.0), (1e-30, 1e-30)][i]
    return shape, (s_in, zp_in), (s_out, zp_out), beta, alpha, axis


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ops", default=None)
    ap.add_argument("--types", default="int16,uint8")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for dtype in args.types.split(","):
            ops = INT16_OPS if dtype == "int16" else UINT8_OPS
            if args.ops:
                ops = [o for o in ops if o in args.ops.split(",")]
            for op in ops:
                base = template(op)
                ok = bad = rejected = elems = 0
                i = -1
                while ok + bad < args.n and i < 3 * args.n:
                    i += 1
                    shape, qin, qout, beta, alpha, axis = config(rng, op, dtype, i)
                    m = patch(base, op, dtype, shape, qin, qout, beta, alpha, axis)
                    x, cases = inputs(rng, dtype, shape)
                    try:
                        ref = fuzz_act.tflite_run(m, op, x, cases)
                    except Exception:  # noqa: BLE001 - TFLite refuses the config: qlite must too
                        _, err = fuzz_act.qlite_compare(tmp, m, x, np.zeros(x.shape, x.dtype))
                        if err is None:
                            bad += 1
                            failures += 1
                            print(f"ACCEPTED {op} {dtype} cfg {i}: TFLite rejects shape {shape} qin {qin} qout {qout} "
                                  f"beta {beta} alpha {alpha} axis {axis}")
                        else:
                            rejected += 1
                        continue
                    ndiff, err = fuzz_act.qlite_compare(tmp, m, x, ref)
                    if err is not None or ndiff != 0:
                        bad += 1
                        failures += 1
                        if bad <= 5:
                            print(f"MISMATCH {op} {dtype} cfg {i}: shape {shape} qin {qin} qout {qout} beta {beta} "
                                  f"alpha {alpha} axis {axis}: {err or str(ndiff) + ' elements differ'}")
                            np.save(f"/tmp/i16act/fuzz_{op}_{dtype}_{i}_in.npy", x)
                            np.save(f"/tmp/i16act/fuzz_{op}_{dtype}_{i}_ref.npy", ref)
                            with open(f"/tmp/i16act/fuzz_{op}_{dtype}_{i}.tflite", "wb") as f:
                                f.write(m)
                    else:
                        ok += 1
                        elems += x.size
                print(f"{op:15s} {dtype:5s}: {ok} configs identical ({elems} elements), {bad} mismatching, "
                      f"{rejected} rejected by both", flush=True)
    print(f"seed {args.seed}: {failures} mismatching configs")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
