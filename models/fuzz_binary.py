#!/usr/bin/env python3
"""Randomized differential check of qlite's element-wise binary operators against TFLite's
reference kernels (BUILTIN_REF).

Two kinds of configurations:
  convert  a tf.function with random shapes (NumPy broadcasting, rank 0-6), random float input
           ranges (scales up to ~10^5 apart), an optional constant operand and an optional
           RELU/RELU6 (which the converter fuses), converted by the TFLite converter (int8, or
           float32 for a share of them);
  direct   a single-operator flatbuffer written by tflbuild.py with random scales and zero points
           for every tensor (including output ranges that clip and tiny output scales), random
           fused activations, rank 0-8, int8 or float32 with special values (0, -0, inf, NaN,
           huge).
Each model runs once in TFLite (BUILTIN_REF) on random inputs that include the type's extremes,
then `qlite compare --json` must report identical outputs (float: 0 ULP, NaN == NaN).

    /work/venv/bin/python models/fuzz_binary.py --mode convert --op ADD --n 300 --seed 1
    /work/venv/bin/python models/fuzz_binary.py --mode direct --op all --n 200 --seed 2

Models on which TFLite would abort the process (ADD / SQUARED_DIFFERENCE with an output
multiplier >= 1) are only run through qlite; models TFLite refuses at prepare must be refused by
qlite too.

Runs recorded when the kernels were written (all 0 mismatches):
  convert --op ADD,SUB,MUL --n 350 --seed 11      1050 configs (+19 ADD that abort TFLite)
  convert --op MAXIMUM,MINIMUM,SQUARED_DIFFERENCE --n 150 --seed 12   450 configs
  convert --op DIV,POW --n 100 --seed 13           200 configs
  direct --op all --n 500 --seed 2                 4000 configs
  direct --op all --n 300 --seed 4                 2400 configs
  direct --op POW --n 1500 --seed 3                1500 configs
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from tflbuild import binary_model  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QLITE = os.path.join(ROOT, "target", "release", "qlite")

INT8_OPS = ["ADD", "SUB", "MUL", "MAXIMUM", "MINIMUM", "SQUARED_DIFFERENCE"]
FLOAT_OPS = INT8_OPS + ["DIV", "POW"]
ACT_OPS = {"ADD", "SUB", "MUL", "DIV"}


def rand_shapes(rng, max_rank=6, max_elems=400):
    r = int(rng.integers(0, max_rank + 1))
    while True:
        out = [int(rng.integers(1, 6)) for _ in range(r)]
        if np.prod(out, dtype=np.int64) <= max_elems:
            break
    if rng.random() < 0.25:
        return list(out), list(out)
    a = [d if rng.random() > 0.35 else 1 for d in out]
    b = [d if rng.random() > 0.35 else 1 for d in out]
    if rng.random() < 0.3:
        a = a[int(rng.integers(0, len(a) + 1)):]
    if rng.random() < 0.3:
        b = b[int(rng.integers(0, len(b) + 1)):]
    return a, b


def rand_range(rng):
    mag = 10 ** rng.uniform(-3, 2)
    k = rng.integers(0, 4)
    if k == 0:
        return (-mag, mag)
    if k == 1:
        return (0.0, mag)
    if k == 2:
        return (-mag, 0.0)
    lo = rng.uniform(-mag, mag)
    return (lo, lo + mag * rng.uniform(0.05, 2))


def int8_input(rng, shape):
    a = rng.integers(-128, 128, size=shape).astype(np.int8)
    if a.size >= 2 and rng.random() < 0.7:
        a.flat[0], a.flat[1] = -128, 127
    return a


def float_input(rng, shape, op, second):
    if op == "POW" and not second:
        a = rng.uniform(-3, 3, size=shape).astype(np.float32)
    elif op == "POW":
        a = rng.choice(np.array([-2, -1, 0, 0.5, 1, 2, 3, 4, 5, 7, 10, 16, 31, 100], np.float32), size=shape)
        a = np.where(rng.random(size=shape) < 0.5, rng.uniform(-3, 3, size=shape), a).astype(np.float32)
    else:
        a = (rng.standard_normal(size=shape) * 10 ** rng.uniform(-2, 3)).astype(np.float32)
    a = np.array(a, np.float32)
    if a.size and rng.random() < 0.5:
        specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 3e38, -3e38, 1e-40], np.float32)
        idx = rng.integers(0, a.size, size=max(1, a.size // 8))
        a.flat[idx] = rng.choice(specials, size=idx.size)
    return a


def qlite_compare(model, inputs, refs, workdir):
    mpath = os.path.join(workdir, "m.tflite")
    with open(mpath, "wb") as f:
        f.write(model)
    cmd = [QLITE, "compare", mpath, "--json"]
    for k, a in enumerate(inputs):
        p = os.path.join(workdir, f"in{k}.npy")
        np.save(p, a)
        cmd += ["-i", p]
    for k, a in enumerate(refs):
        p = os.path.join(workdir, f"ref{k}.npy")
        np.save(p, a)
        cmd += ["-e", p]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode == 2:
        return False, "qlite error: " + r.stderr.strip()
    doc = json.loads(r.stdout)
    if doc["ok"]:
        return True, ""
    o = [x for x in doc["outputs"] if not x["ok"]][0]
    return False, f"{o['differing']} of {o['elements']} differ, max {o['max_steps']} at {o['worst_index']}"


def tflite_would_abort(model):
    """True when TFLite's int8 ADD / SQUARED_DIFFERENCE prepare would abort the process
    (QuantizeMultiplierSmallerThanOneExp on an output multiplier >= 1, e.g. a converter-made
    output scale for a constant-zero output)."""
    from tflbuild import s as schema
    import math

    m = schema.ModelT.InitFromObj(schema.Model.GetRootAs(model, 0))
    sg = m.subgraphs[0]
    for op in sg.operators:
        code = m.operatorCodes[op.opcodeIndex]
        name = max(code.builtinCode, code.deprecatedBuiltinCode)
        ts = [sg.tensors[i] for i in list(op.inputs) + list(op.outputs)]
        if any(t.type != schema.TensorType.INT8 or t.quantization is None for t in ts):
            continue
        s1, s2, so = (float(np.float32(t.quantization.scale[0])) for t in ts)
        t2 = 2 * max(s1, s2)
        if name == schema.BuiltinOperator.ADD:
            real = t2 / (2**20 * so)
        elif name == schema.BuiltinOperator.SQUARED_DIFFERENCE:
            real = t2 * t2 / (2**14 * so)
        elif name == schema.BuiltinOperator.SUB:
            real = t2 / (2**20 * so)
            if real > 1:
                continue
        else:
            continue
        q, e = math.frexp(real)
        if real >= 1 or (round(q * 2**31) == 2**31 and e + 1 > 0):
            return True
    return False


def run_ref(model, inputs):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    it = Interpreter(model_content=model, experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    try:
        it.allocate_tensors()
    except RuntimeError as e:  # TFLite refuses the model at prepare
        return str(e)
    for d, a in zip(it.get_input_details(), inputs):
        it.set_tensor(d["index"], a)
    it.invoke()
    return [it.get_tensor(d["index"]).copy() for d in it.get_output_details()]


# ---------------------------------------------------------------- converter configurations

def convert_config(rng, op, use_float):
    import tensorflow as tf
    from oplib import convert_float, convert_int8, ops_of

    sa, sb = rand_shapes(rng)
    const = rng.random() < 0.25
    act = rng.choice(["none", "relu", "relu6"]) if op in ACT_OPS else "none"
    ra, rb = rand_range(rng), rand_range(rng)
    if op == "DIV" and not use_float:
        use_float = True
    base = {
        "ADD": lambda x, y: x + y,
        "SUB": lambda x, y: x - y,
        "MUL": lambda x, y: x * y,
        "DIV": lambda x, y: x / y,
        "POW": tf.pow,
        "MAXIMUM": tf.maximum,
        "MINIMUM": tf.minimum,
        "SQUARED_DIFFERENCE": tf.math.squared_difference,
    }[op]
    post = {"none": lambda v: v, "relu": tf.nn.relu, "relu6": tf.nn.relu6}[act]
    if const:
        cval = tf.constant(rng.uniform(rb[0], rb[1], size=sb).astype(np.float32))

        @tf.function(input_signature=[tf.TensorSpec(sa, tf.float32)])
        def f(x):
            return post(base(x, cval))

        rep = [ra]
    else:

        @tf.function(input_signature=[tf.TensorSpec(sa, tf.float32), tf.TensorSpec(sb, tf.float32)])
        def f(x, y):
            return post(base(x, y))

        rep = [ra, rb]
    model = convert_float(f) if use_float else convert_int8(f, rep)
    ops = ops_of(model)
    desc = f"{op} {'f32' if use_float else 'i8'} {sa} {sb} const={const} act={act} ranges={ra} {rb}"
    if op not in ops or any(o not in INT8_OPS + ["DIV", "POW", "QUANTIZE", "DEQUANTIZE"] for o in ops):
        return None, None, desc + f" ops={ops}"
    if use_float:
        inputs = [float_input(rng, sa, op, False)] + ([] if const else [float_input(rng, sb, op, True)])
    else:
        inputs = [int8_input(rng, sa)] + ([] if const else [int8_input(rng, sb)])
    return model, inputs, desc


# ---------------------------------------------------------------- direct configurations

def qm_exp(d):
    """QuantizeMultiplier's shift of d."""
    import math

    q, e = math.frexp(d)
    if round(abs(q) * 2**31) == 2**31:
        e += 1
    return e


def direct_config(rng, op, use_float):
    sa, sb = rand_shapes(rng, max_rank=8 if rng.random() < 0.15 else 6)
    out_shape = list(np.broadcast_shapes(tuple(sa), tuple(sb)))
    act = str(rng.choice(["NONE", "RELU", "RELU6", "RELU_N1_TO_1"])) if op in ACT_OPS else "NONE"
    const = rng.random() < 0.2
    if use_float:
        a = float_input(rng, sa, op, False)
        b = float_input(rng, sb, op, True)
        model = binary_model(op, sa, sb, out_shape, np.float32, act=act, const2=b if const else None)
        desc = f"{op} f32 {sa} {sb} act={act} const={const}"
        return model, [a] if const else [a, b], desc
    s1 = float(np.float32(10 ** rng.uniform(-4, 1)))
    s2 = float(np.float32(s1 * 10 ** rng.uniform(-3, 3))) if rng.random() < 0.8 else s1
    zp = [int(v) for v in rng.integers(-128, 128, 3)]
    t = 2 * max(s1, s2)
    if op in ("ADD", "SUB"):
        so = (s1 + s2) * 10 ** rng.uniform(-1.5, 1)
        if op == "SUB" and rng.random() < 0.15:
            so = t / 2**20 / 10 ** rng.uniform(0.05, 6)  # output multiplier > 1
    elif op == "MUL":
        so = s1 * s2 * 128 * 10 ** rng.uniform(-2, 1.5)
    elif op == "SQUARED_DIFFERENCE":
        so = max(s1, s2) ** 2 * 255 * 10 ** rng.uniform(-2, 1.5)
    else:  # MAXIMUM / MINIMUM: usually the same quantization, sometimes not
        so = s1
        if rng.random() < 0.7:
            s2, zp = s1, [zp[0]] * 3
    so = float(np.float32(so))
    if op == "ADD" and t / (2**20 * so) >= 1:
        return None, None, "skip: ADD output multiplier >= 1 aborts TFLite"
    if op == "SQUARED_DIFFERENCE" and t * t / (2**14 * so) >= 1:
        return None, None, "skip: SQUARED_DIFFERENCE output multiplier >= 1 aborts TFLite"
    real_out = t / (2**20 * so)
    if op in ("ADD", "SUB") and real_out <= 1 and (real_out == 1 or qm_exp(real_out) > 0):
        return None, None, "skip: rounds to a left shift, TFLite aborts"
    quants = ((s1, zp[0]), (s2, zp[1]), (so, zp[2]))
    a = int8_input(rng, sa)
    b = int8_input(rng, sb)
    model = binary_model(op, sa, sb, out_shape, np.int8, quants, act=act, const2=b if const else None, version=2)
    desc = f"{op} i8 {sa} {sb} act={act} const={const} q={quants}"
    return model, [a] if const else [a, b], desc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["convert", "direct"], required=True)
    ap.add_argument("--op", default="all", help="comma-separated ops, or all")
    ap.add_argument("--n", type=int, default=100, help="configurations per op")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--float-share", type=float, default=0.25, help="share of float32 configurations")
    ap.add_argument("--verbose", action="store_true", help="print each configuration before running it")
    args = ap.parse_args()
    ops = FLOAT_OPS if args.op == "all" else args.op.split(",")
    rng = np.random.default_rng(args.seed)
    totals = {}
    failures = []
    with tempfile.TemporaryDirectory() as work:
        for op in ops:
            done = {"i8": 0, "f32": 0}
            skipped = 0
            refused = 0
            aborts = 0
            while sum(done.values()) < args.n:
                use_float = op in ("DIV", "POW") or rng.random() < args.float_share
                make = convert_config if args.mode == "convert" else direct_config
                model, inputs, desc = make(rng, op, use_float)
                if model is None:
                    skipped += 1
                    continue
                if args.verbose:
                    print("config", desc, flush=True)
                if tflite_would_abort(model):
                    # TFLite aborts the process on this model; qlite must still run it.
                    aborts += 1
                    mpath = os.path.join(work, "m.tflite")
                    with open(mpath, "wb") as fh:
                        fh.write(model)
                    r = subprocess.run([QLITE, "run", mpath], capture_output=True, text=True)
                    if r.returncode != 0:
                        failures.append(f"{desc}: TFLite aborts; qlite failed: {r.stderr.strip()}")
                    continue
                refs = run_ref(model, inputs)
                if isinstance(refs, str):
                    # TFLite refuses the model: qlite must refuse it too.
                    refused += 1
                    mpath = os.path.join(work, "m.tflite")
                    with open(mpath, "wb") as fh:
                        fh.write(model)
                    r2 = subprocess.run([QLITE, "run", mpath], capture_output=True, text=True)
                    ok, msg = r2.returncode == 2, f"TFLite refuses ({refs.strip()}), qlite ran it"
                else:
                    ok, msg = qlite_compare(model, inputs, refs, work)
                kind = "f32" if use_float or op in ("DIV", "POW") else "i8"
                done[kind] += 1
                if not ok:
                    failures.append(f"{desc}: {msg}")
                    bad = os.path.join(work, "..", f"fuzz_fail_{op}_{len(failures)}.tflite")
                    with open(bad, "wb") as fh:
                        fh.write(model)
                    for k, a in enumerate(inputs):
                        np.save(bad[:-7] + f".in{k}.npy", a)
                    for k, a in enumerate(refs if not isinstance(refs, str) else []):
                        np.save(bad[:-7] + f".ref{k}.npy", a)
                    print("MISMATCH", desc, msg, flush=True)
            totals[op] = (done, skipped)
            print(f"{op}: {done['i8']} int8 + {done['f32']} float32 configurations ({refused} refused by TFLite "
                  f"and by qlite), {skipped} skipped, {aborts} that abort TFLite (run by qlite only)", flush=True)
    print(f"mode {args.mode} seed {args.seed}: {sum(sum(d.values()) for d, _ in totals.values())} configurations, "
          f"{len(failures)} mismatches")
    for f in failures[:20]:
        print("  ", f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
