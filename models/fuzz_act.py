"""Randomized differential check of qlite's activation kernels against TFLite's reference kernels.

For each operator, one small model is converted with the TFLite converter (a template); every
random configuration is that model with a random shape, random input/output scales and zero
points (far outside what the converter would pick, too) and random options (LeakyReLU alpha),
written back as a .tflite flatbuffer. Each configuration runs on TFLite (BUILTIN_REF; ELU, which
that resolver lacks, on BUILTIN_WITHOUT_DEFAULT_DELEGATES) and on `qlite run`; the outputs must
be bit-identical (any NaN matches any NaN; +0 and −0 differ). int8 inputs cover all 256 values (several cases per model) plus
random ones; float inputs mix normal, huge, tiny, subnormal, ±0, ±inf and NaN values.

Usage: /work/venv/bin/python models/fuzz_act.py [--n 300] [--seed 1] [--ops LOGISTIC,TANH]
"""

import argparse
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oplib import convert_float, convert_int8, ops_of  # noqa: E402

import flatbuffers  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from ai_edge_litert import schema_py_generated as schema  # noqa: E402
from ai_edge_litert.interpreter import Interpreter, OpResolverType  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QLITE = os.path.join(ROOT, "target", "release", "qlite")


def hard_swish(x):
    return x * tf.nn.relu6(x + 3.0) / 6.0


# name: (tf function, int8?, float?)
OPS = {
    "LOGISTIC": (tf.math.sigmoid, True, True),
    "TANH": (tf.math.tanh, True, True),
    "RELU": (tf.nn.relu, True, True),
    "RELU6": (tf.nn.relu6, True, True),
    "RELU_N1_TO_1": (lambda x: tf.clip_by_value(x, -1.0, 1.0), True, True),
    "LEAKY_RELU": (lambda x: tf.nn.leaky_relu(x, alpha=0.2), True, True),
    "HARD_SWISH": (hard_swish, True, True),
    "ELU": (tf.nn.elu, True, True),
    "GELU": (lambda x: tf.nn.gelu(x, approximate=False), True, True),
    "GELU_APPROX": (lambda x: tf.nn.gelu(x, approximate=True), True, True),
    "EXP": (tf.math.exp, True, True),
    "LOG": (tf.math.log, True, True),
    "SQRT": (tf.math.sqrt, False, True),
    "RSQRT": (tf.math.rsqrt, False, True),
    "NEG": (tf.math.negative, False, True),
    "ABS": (tf.math.abs, True, True),
    "FLOOR": (tf.math.floor, False, True),
}


def with_opcode(model_bytes, op):
    """The same model with its (single) operator replaced by builtin `op` (no options)."""
    m = schema.ModelT.InitFromPackedBuf(model_bytes, 0)
    code = getattr(schema.BuiltinOperator, op)
    for oc in m.operatorCodes:
        oc.builtinCode = code
        oc.deprecatedBuiltinCode = min(code, 127)
        oc.version = 1
    for o in m.subgraphs[0].operators:
        o.builtinOptionsType = 0
        o.builtinOptions = None
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def template(op, int8):
    if op == "ELU" and int8:
        # The converter keeps ELU in float (DEQUANTIZE, ELU, QUANTIZE); TFLite's ELU kernel has an
        # int8 path all the same: an int8 TANH model with the opcode changed to ELU.
        return with_opcode(template("TANH", True), "ELU")
    fn = OPS[op][0]

    @tf.function(input_signature=[tf.TensorSpec([1, 16], tf.float32)])
    def f(x):
        return fn(x)

    m = convert_int8(f, rep=[(-6.0, 6.0)]) if int8 else convert_float(f)
    got = ops_of(m)
    if int8 and got != [op.split("_APPROX")[0]]:
        # The converter left the op in float (DEQUANTIZE, op, QUANTIZE): use an int8 TANH model
        # with the opcode changed; TFLite's kernel has an int8 path all the same.
        print(f"{op}: converter produced {got}; using an int8 model with the opcode replaced")
        return with_opcode(template("TANH", True), op)
    assert got == [op.split("_APPROX")[0]], f"{op}: converter produced {got}"
    return m


def resolver(op):
    if op == "ELU":
        return OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    return OpResolverType.BUILTIN_REF


def patch(model_bytes, shape, qin=None, qout=None, alpha=None):
    m = schema.ModelT.InitFromPackedBuf(model_bytes, 0)
    sg = m.subgraphs[0]
    op = sg.operators[0]
    tin, tout = sg.tensors[op.inputs[0]], sg.tensors[op.outputs[0]]
    for t in (tin, tout):
        t.shape = np.array(shape, dtype=np.int32)
        t.shapeSignature = None
    if qin is not None:
        tin.quantization.scale = [qin[0]]
        tin.quantization.zeroPoint = [qin[1]]
        tout.quantization.scale = [qout[0]]
        tout.quantization.zeroPoint = [qout[1]]
    if alpha is not None:
        op.builtinOptions.alpha = alpha
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def random_shape(rng):
    rank = int(rng.integers(1, 5))
    dims = [int(rng.integers(1, 9)) for _ in range(rank)]
    if rng.random() < 0.2:
        dims[-1] = int(rng.integers(1, 300))
    return dims


def random_scale(rng):
    r = rng.random()
    if r < 0.1:
        return float(np.float32(10 ** rng.uniform(-9, -4)))  # tiny
    if r < 0.2:
        return float(np.float32(10 ** rng.uniform(1, 4)))  # huge
    return float(np.float32(10 ** rng.uniform(-3.5, 0.7)))


def random_zp(rng):
    return int(rng.integers(-128, 128)) if rng.random() < 0.8 else int(rng.choice([-128, 127, 0]))


# Extreme (input, output) quantizations tried first for every int8 operator: int32 overflow of
# activation bounds and of table entries (TFLite's x86 build wraps the former, clamps the latter).
EDGE_QUANT = [
    ((0.5, 3), (1e-9, 5)), ((0.5, 3), (1e-9, -5)), ((0.5, 0), (1e-10, -7)), ((0.5, 0), (1e-10, 7)),
    ((1e-3, 0), (1e-12, -3)), ((0.1, 0), (1e-10, 3)), ((3e38, 0), (1.0, 0)), ((1e30, 0), (1e-20, 0)),
    ((1e-30, -128), (1e-30, 127)), ((1e-38, 5), (3e38, -5)), ((100.0, 127), (1e-3, -128)), ((2.0, 0), (1.0, 0)),
    ((0.05, 3), (0.05, -7)), ((0.1, -128), (0.1, 127)),
]


def int8_cases(rng, n_elems):
    """Inputs stacked on axis 0: all 256 values, then random values."""
    cases = max(2, -(-256 // n_elems) + 1)
    flat = np.concatenate([np.arange(-128, 128), rng.integers(-128, 128, cases * n_elems)])[: cases * n_elems]
    perm = rng.permutation(256) if n_elems * cases >= 256 else None
    if perm is not None:
        flat[:256] = flat[:256][perm]
    return flat.astype(np.int8), cases


def float_values(rng, n, op):
    specials = np.array(
        [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 1e-40, 3.4e38, -3.4e38, 88.72, -103.9, 16.619047, -9.0,
         -3.0, 3.0, 6.0, 1.0, -1.0, 0.5, -0.5, 2.5, -2.5, 1e-7, -1e-7], dtype=np.float32)
    kind = rng.random(n)
    v = np.where(kind < 0.5, rng.uniform(-12, 12, n), rng.normal(0, 3, n))
    v = np.where(kind > 0.85, rng.uniform(-100, 100, n), v)
    v = np.where(kind > 0.95, np.exp(rng.uniform(-100, 88, n)) * rng.choice([-1, 1], n), v)
    if op in ("LOG", "SQRT", "RSQRT"):
        v = np.where(rng.random(n) < 0.9, np.abs(v), v)
    v = v.astype(np.float32)
    k = min(n, len(specials))
    v[rng.choice(n, k, replace=False)] = specials[rng.permutation(len(specials))[:k]]
    return v


def tflite_run(model_bytes, op, x, cases):
    it = Interpreter(model_content=model_bytes, experimental_op_resolver_type=resolver(op))
    it.allocate_tensors()
    din, dout = it.get_input_details()[0], it.get_output_details()[0]
    per = x.shape[0] // cases
    outs = []
    for c in range(cases):
        it.set_tensor(din["index"], x[c * per:(c + 1) * per])
        it.invoke()
        outs.append(it.get_tensor(dout["index"]).copy())
    return np.concatenate(outs, axis=0)


def qlite_compare(tmp, model_bytes, x, ref):
    """Runs qlite; returns (number of elements whose bits differ from `ref`, error). NaN
    matches any NaN; +0 and −0 are different."""
    mp, ip = os.path.join(tmp, "m.tflite"), os.path.join(tmp, "in.npy")
    outdir = os.path.join(tmp, "out")
    with open(mp, "wb") as f:
        f.write(model_bytes)
    np.save(ip, x)
    p = subprocess.run([QLITE, "run", mp, "-i", ip, "-o", outdir], capture_output=True, text=True)
    if p.returncode != 0:
        return None, p.stderr.strip() or p.stdout.strip()
    got = np.load(os.path.join(outdir, "output_0.npy"))
    if got.shape != ref.shape or got.dtype != ref.dtype:
        return None, f"output {got.dtype}{got.shape}, TFLite {ref.dtype}{ref.shape}"
    if got.dtype == np.float32:
        same = (got.view(np.uint32) == ref.view(np.uint32)) | (np.isnan(got) & np.isnan(ref))
    else:
        same = got == ref
    return int((~same).sum()), None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ops", default=",".join(OPS))
    ap.add_argument("--float-n", type=int, default=60)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    summary = []
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for op in args.ops.split(","):
            _, do_int8, do_float = OPS[op]
            for int8 in ([True] if do_int8 else []) + ([False] if do_float else []):
                base = template(op, int8)
                n_cfg = args.n if int8 else args.float_n
                ok = bad = rejected = elems = 0
                i = -1
                # Configurations that TFLite rejects (and qlite too) do not count toward n.
                while ok + bad < n_cfg and i < 3 * n_cfg:
                    i += 1
                    shape = random_shape(rng)
                    n = int(np.prod(shape))
                    alpha = None
                    if op == "LEAKY_RELU":
                        alpha = float(np.float32(rng.choice([0.2, 0.01, -0.5, 1.5, 3.0, 0.0, -3.0, rng.uniform(-4, 4)])))
                    if int8:
                        qin = (random_scale(rng), random_zp(rng))
                        qout = (random_scale(rng), random_zp(rng))
                        if i < len(EDGE_QUANT):
                            qin, qout = EDGE_QUANT[i]
                        if op == "LOGISTIC":
                            qout = (1.0 / 256.0, random_zp(rng) if rng.random() < 0.3 else -128)
                        if op == "TANH" and rng.random() < 0.5:
                            qout = (1.0 / 128.0, 0)
                        m = patch(base, shape, qin, qout, alpha)
                        flat, cases = int8_cases(rng, n)
                        x = flat.reshape([cases * shape[0]] + shape[1:])
                    else:
                        qin = qout = None
                        m = patch(base, shape, alpha=alpha)
                        cases = max(1, -(-512 // n))
                        x = float_values(rng, cases * n, op).reshape([cases * shape[0]] + shape[1:])
                    try:
                        ref = tflite_run(m, op, x, cases)
                    except Exception:  # noqa: BLE001 - TFLite refuses the config: qlite must too
                        _, err = qlite_compare(tmp, m, x, np.zeros(x.shape, x.dtype))
                        if err is None:
                            bad += 1
                            failures += 1
                            print(f"ACCEPTED {op} cfg {i}: TFLite rejects shape {shape} qin {qin} qout {qout} alpha {alpha}")
                        else:
                            rejected += 1
                        continue
                    ndiff, err = qlite_compare(tmp, m, x, ref)
                    if err is not None or ndiff != 0:
                        bad += 1
                        failures += 1
                        if bad <= 5:
                            print(f"MISMATCH {op} int8={int8} cfg {i}: shape {shape} qin {qin} qout {qout} alpha {alpha}: "
                                  f"{err or str(ndiff) + ' elements differ'}")
                            np.save(os.path.join("/tmp", f"fuzz_{op}_{i}_in.npy"), x)
                            with open(os.path.join("/tmp", f"fuzz_{op}_{i}.tflite"), "wb") as f:
                                f.write(m)
                    else:
                        ok += 1
                        elems += x.size
                line = (f"{op:13s} {'int8 ' if int8 else 'float'}: {ok} configs identical "
                        f"({elems} elements), {bad} mismatching, {rejected} rejected by both")
                print(line, flush=True)
                summary.append(line)
    print(f"seed {args.seed}: {failures} mismatching configs")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
