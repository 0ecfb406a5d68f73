#!/usr/bin/env python3
"""Randomized differential check of BATCH_MATMUL (float32, int8, int16) and of the
dynamic-range ("hybrid": float activations, int8 weights) FULLY_CONNECTED, BATCH_MATMUL,
CONV_2D and DEPTHWISE_CONV_2D.

Each configuration (random shapes, adj_x/adj_y, batch broadcasting, constant or variable RHS,
strides, dilations, paddings, depth multipliers, biases, fused activations, per-tensor or
per-channel weights with random scales, symmetric or asymmetric input quantization) is built
with TensorFlow and converted with the TFLite converter. Hybrid models are made from the float
model by replacing the weights with int8 values and scales in the flatbuffer (the converter
only quantizes weights of >= 1024 elements, which would make every case large;
models/ops_hybrid.py has converter-made ones), and `asymmetric_quantize_inputs` is set by edit.
Each model is run with TFLite's reference kernels (BUILTIN_REF) and with `qlite compare`, and
must match exactly (float outputs bit for bit).

    /work/venv/bin/python models/fuzz_hybrid.py --op bmm_float --n 300 --seed 1
    ops: bmm_float bmm_int8 bmm_int16 fc_hybrid bmm_hybrid conv_hybrid dw_hybrid

Mismatching cases are kept in --keep (default /tmp/fuzz_hybrid_<op>_<seed>).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from oplib import N_CASES, convert_float, convert_int8, ops_of, representative, run  # noqa: E402

try:
    from ai_edge_litert import schema_py_generated as fb  # noqa: E402
except ImportError:  # pragma: no cover
    from tensorflow.lite.python import schema_py_generated as fb  # noqa: E402

import flatbuffers  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OP_NAME = {"bmm_float": "BATCH_MATMUL", "bmm_int8": "BATCH_MATMUL", "bmm_int16": "BATCH_MATMUL",
           "fc_hybrid": "FULLY_CONNECTED", "bmm_hybrid": "BATCH_MATMUL", "conv_hybrid": "CONV_2D",
           "dw_hybrid": "DEPTHWISE_CONV_2D"}
FB_ACT = {"none": 0, "relu": 1, "relu_n1": 2, "relu6": 3}


def edit(model_bytes, post):
    m = fb.ModelT.InitFromPackedBuf(model_bytes, 0)
    post(m)
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def main_op(m, name):
    sg = m.subgraphs[0]
    code = getattr(fb.BuiltinOperator, name)
    for op in sg.operators:
        oc = m.operatorCodes[op.opcodeIndex]
        if max(oc.builtinCode, oc.deprecatedBuiltinCode) == code:
            return sg, op
    raise RuntimeError(f"no {name}")


def quantize_weights(rng, w, axis):
    """int8 weights and scales: the converter's symmetric max/127 per tensor or per channel
    (axis), or raw random int8 values (full range, incl. -128) with random scales."""
    kind = rng.choice(["conv", "conv", "raw", "raw", "sparse"])
    if axis is None:
        if kind == "raw":
            q = rng.integers(-128, 128, size=w.shape).astype(np.int8)
            return q, np.array([10 ** rng.uniform(-4, 1)], np.float32)
        m = float(np.max(np.abs(w))) or 1.0
        s = np.float32(m / 127)
        q = np.clip(np.round(w / s), -127, 127).astype(np.int8)
        if kind == "sparse":
            q[rng.random(q.shape) < 0.5] = 0
        return q, np.array([s], np.float32)
    n = w.shape[axis]
    if kind == "raw":
        q = rng.integers(-128, 128, size=w.shape).astype(np.int8)
        s = (10 ** rng.uniform(-4, 1, size=n)).astype(np.float32)
        if n > 1 and rng.random() < 0.2:
            s[:] = s[0]  # equal scales: CONV_2D then takes its per-tensor path
        return q, s
    m = np.max(np.abs(np.moveaxis(w, axis, 0).reshape(n, -1)), axis=1)
    m[m == 0] = 1.0
    s = (m / 127).astype(np.float32)
    shp = [1] * w.ndim
    shp[axis] = n
    q = np.clip(np.round(w / s.reshape(shp)), -127, 127).astype(np.int8)
    if kind == "sparse":
        q[rng.random(q.shape) < 0.5] = 0
    return q, s


def make_hybrid(model_bytes, opname, wk, rng, axis, asym=None, act=None):
    """Replaces input `wk` (constant float weights) of the op by int8 weights; returns
    (bytes, description)."""
    info = {}

    def post(m):
        sg, op = main_op(m, opname)
        t = sg.tensors[op.inputs[wk]]
        buf = m.buffers[t.buffer]
        w = np.frombuffer(bytes(bytearray(buf.data)), np.float32).reshape(t.shape)
        q, s = quantize_weights(rng, w, axis)
        buf.data = np.frombuffer(q.tobytes(), np.uint8)
        t.type = fb.TensorType.INT8
        qp = fb.QuantizationParametersT()
        qp.scale = [float(v) for v in s]
        qp.zeroPoint = [0] * len(s)
        qp.quantizedDimension = 0 if axis is None else axis
        t.quantization = qp
        info["scales"] = len(s)
        if asym is not None:
            op.builtinOptions.asymmetricQuantizeInputs = asym
        if act is not None:
            op.builtinOptions.fusedActivationFunction = FB_ACT[act]

    return edit(model_bytes, post), info


def float_values(rng, shape):
    """One case of float inputs: random ranges, sometimes zeros, ties, extremes, one sign."""
    kind = rng.choice(["normal", "normal", "wide", "narrow", "pos", "neg", "zeros", "zrow", "ints"])
    a = 10 ** rng.uniform(-1, 1)
    if kind == "wide":
        a = 10 ** rng.uniform(2, 5)
    if kind == "narrow":
        a = 10 ** rng.uniform(-6, -3)
    x = rng.uniform(-a, a, size=shape).astype(np.float32)
    if kind == "pos":
        x = np.abs(x)
    elif kind == "neg":
        x = -np.abs(x)
    elif kind == "zeros":
        x[:] = 0
    elif kind == "zrow" and x.ndim >= 1 and x.shape[-1] > 0:
        x.reshape(-1, x.shape[-1])[:: 2] = 0
    elif kind == "ints":
        x = rng.integers(-127, 128, size=shape).astype(np.float32) * np.float32(a / 127)
    return x


def stacked(rng, shapes, gen):
    return [np.concatenate([gen(rng, s) for _ in range(N_CASES)], axis=0) for s in shapes]


def bmm_shapes(rng):
    """LHS and RHS shapes (before adj) with broadcastable batch dims, and adj flags."""
    a, k, c = int(rng.integers(1, 7)), int(rng.integers(1, 9)), int(rng.integers(1, 7))
    nb = int(rng.integers(0, 4))
    batch = [int(rng.integers(1, 4)) for _ in range(nb)]
    lb, rb = list(batch), list(batch)
    for i in range(nb):
        r = rng.random()
        if r < 0.25:
            lb[i] = 1
        elif r < 0.5:
            rb[i] = 1
    # drop leading dims on one side (rank broadcasting)
    if nb and rng.random() < 0.3:
        if rng.random() < 0.5:
            lb = lb[int(rng.integers(1, nb + 1)):]
        else:
            rb = rb[int(rng.integers(1, nb + 1)):]
    adj_x, adj_y = bool(rng.random() < 0.3), bool(rng.random() < 0.3)
    ls = lb + ([k, a] if adj_x else [a, k])
    rs = rb + ([c, k] if adj_y else [k, c])
    return ls, rs, adj_x, adj_y


def case_bmm(rng, mode):
    ls, rs, adj_x, adj_y = bmm_shapes(rng)
    const_rhs = mode == "hybrid" or rng.random() < 0.4
    params = dict(lhs=ls, rhs=rs, adj_x=adj_x, adj_y=adj_y, const_rhs=const_rhs)
    if const_rhs:
        w = (rng.standard_normal(rs) * 10 ** rng.uniform(-2, 1)).astype(np.float32)
        fn = tf.function(lambda x: tf.linalg.matmul(x, w, adjoint_a=adj_x, adjoint_b=adj_y),
                         input_signature=[tf.TensorSpec(ls, tf.float32)])
        shapes = [ls]
    else:
        fn = tf.function(lambda x, y: tf.linalg.matmul(x, y, adjoint_a=adj_x, adjoint_b=adj_y),
                         input_signature=[tf.TensorSpec(ls, tf.float32), tf.TensorSpec(rs, tf.float32)])
        shapes = [ls, rs]
    if mode == "float":
        model = convert_float(fn)
        inputs = stacked(rng, shapes, float_values)
    elif mode in ("int8", "int16"):
        rngs = [(-a, b) for a, b in [(10 ** rng.uniform(-1, 1), 10 ** rng.uniform(-1, 1)) for _ in shapes]]
        if mode == "int8":
            model = convert_int8(fn, rngs)
        else:
            def extra(c):
                c.target_spec.supported_ops = [
                    tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
                c.inference_input_type = tf.int16
                c.inference_output_type = tf.int16
            model = convert_int8(fn, rngs, extra=extra)
        inputs = None
    else:  # hybrid
        asym = bool(rng.random() < 0.5)
        if asym and len(rs) == 5 and rs[0] > 1:
            # TFLite sums the rows of 5-D dims 1-2 only and reads uninitialized row sums for the
            # others (src/ops/batch_matmul.rs): outputs undefined, not compared.
            return None, None, None
        model = convert_float(fn)
        axis = None
        if rng.random() < 0.3 and np.prod(rs) > 0:
            axis = len(rs) - 2 if adj_y else len(rs) - 1
        model, info = make_hybrid(model, "BATCH_MATMUL", 1, rng, axis, asym=asym)
        params.update(asym=asym, per_channel=axis is not None)
        inputs = stacked(rng, shapes, float_values)
    return model, inputs, params


def case_fc(rng):
    k, units = int(rng.integers(1, 40)), int(rng.integers(1, 16))
    lead = [int(rng.choice([1, 1, 2, 3]))] + ([int(rng.integers(1, 4))] if rng.random() < 0.3 else [])
    w = (rng.standard_normal((k, units)) * 10 ** rng.uniform(-2, 1)).astype(np.float32)
    bias = (rng.standard_normal(units) * 10 ** rng.uniform(-2, 1)).astype(np.float32) if rng.random() < 0.7 else None
    act = str(rng.choice(["none", "none", "relu", "relu6", "relu_n1"]))

    def f(x):
        y = tf.matmul(x, w) if len(lead) == 1 else tf.tensordot(x, w, 1)
        return y + bias if bias is not None else y

    fn = tf.function(f, input_signature=[tf.TensorSpec(lead + [k], tf.float32)])
    model = convert_float(fn)
    if "FULLY_CONNECTED" not in ops_of(model):
        return None, None, None
    asym = bool(rng.random() < 0.5)
    per_channel = bool(rng.random() < 0.5)
    model, info = make_hybrid(model, "FULLY_CONNECTED", 1, rng, 0 if per_channel else None, asym=asym, act=act)
    inputs = stacked(rng, [lead + [k]], float_values)
    return model, inputs, dict(x=lead + [k], units=units, bias=bias is not None, act=act, asym=asym,
                               per_channel=per_channel)


def rand_geom(rng, k_max=4, hw_max=10):
    kh, kw = int(rng.integers(1, k_max + 1)), int(rng.integers(1, k_max + 1))
    if rng.random() < 0.5:
        sh, sw, dh, dw = int(rng.integers(1, 4)), int(rng.integers(1, 4)), 1, 1
    else:
        sh = sw = 1
        dh, dw = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    pad = str(rng.choice(["SAME", "VALID"]))
    h = int(rng.integers(max(1, (kh - 1) * dh + 1), hw_max + 1))
    w = int(rng.integers(max(1, (kw - 1) * dw + 1), hw_max + 1))
    return kh, kw, sh, sw, dh, dw, pad, h, w


def case_conv(rng, dw_op):
    kh, kw, sh, sw, dh, dwl, pad, h, w = rand_geom(rng)
    n = int(rng.choice([1, 1, 2]))
    cin = int(rng.integers(1, 7))
    act = str(rng.choice(["none", "none", "relu", "relu6", "relu_n1"]))
    if dw_op:
        dm = int(rng.choice([1, 1, 2, 3]))
        f = (rng.standard_normal((kh, kw, cin, dm)) * 10 ** rng.uniform(-2, 1)).astype(np.float32)
        cout = cin * dm
    else:
        cout = int(rng.integers(1, 9))
        f = (rng.standard_normal((kh, kw, cin, cout)) * 10 ** rng.uniform(-2, 1)).astype(np.float32)
    bias = (rng.standard_normal(cout) * 10 ** rng.uniform(-2, 1)).astype(np.float32)

    def body(x):
        if dw_op:
            y = tf.nn.depthwise_conv2d(x, f, [1, sh, sw, 1], pad, dilations=[dh, dwl])
        else:
            y = tf.nn.conv2d(x, f, [1, sh, sw, 1], pad, dilations=[dh, dwl])
        return y + bias

    fn = tf.function(body, input_signature=[tf.TensorSpec([n, h, w, cin], tf.float32)])
    model = convert_float(fn)
    name = "DEPTHWISE_CONV_2D" if dw_op else "CONV_2D"
    if name not in ops_of(model):
        return None, None, None
    per_channel = bool(rng.random() < 0.6)
    if dw_op and cout > 1:
        # A per-tensor DEPTHWISE_CONV_2D filter makes TFLite read past its one scale
        # (src/ops/hybrid.rs): outputs undefined, not compared.
        per_channel = True
    axis = (3 if dw_op else 0) if per_channel else None
    model, info = make_hybrid(model, name, 1, rng, axis, act=act)
    inputs = stacked(rng, [[n, h, w, cin]], float_values)
    return model, inputs, dict(x=[n, h, w, cin], k=[kh, kw], s=[sh, sw], d=[dh, dwl], pad=pad, cout=cout,
                               act=act, per_channel=per_channel, scales=info.get("scales"))


def make_case(op, rng):
    if op.startswith("bmm_"):
        return case_bmm(rng, op[4:])
    if op == "fc_hybrid":
        return case_fc(rng)
    if op == "conv_hybrid":
        return case_conv(rng, False)
    if op == "dw_hybrid":
        return case_conv(rng, True)
    raise ValueError(op)


def int_inputs(model):
    from oplib import make_inputs
    return make_inputs(model, seed=0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--op", required=True, choices=sorted(OP_NAME))
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", default=None)
    ap.add_argument("--qlite", default=os.path.join(ROOT, "target", "release", "qlite"))
    args = ap.parse_args()
    keep = args.keep or f"/tmp/fuzz_hybrid_{args.op}_{args.seed}"
    rng = np.random.default_rng(args.seed)
    ok = bad = skipped = 0
    tmp = tempfile.mkdtemp(prefix="fuzz_hybrid_")
    for i in range(args.n):
        try:
            model, inputs, params = make_case(args.op, rng)
        except Exception as e:  # noqa: BLE001 - converter refusals are skipped
            skipped += 1
            print(f"case {i}: skipped ({str(e)[:120]})", file=sys.stderr)
            continue
        if model is None or OP_NAME[args.op] not in ops_of(model):
            skipped += 1
            continue
        if inputs is None:
            inputs = int_inputs(model)
        try:
            ref = run(model, inputs)
        except Exception as e:  # noqa: BLE001
            skipped += 1
            print(f"case {i}: TFLite failed ({str(e)[:160]}) {params}", file=sys.stderr)
            continue
        d = os.path.join(tmp, f"c{i}")
        os.makedirs(d, exist_ok=True)
        mp = os.path.join(d, "m.tflite")
        with open(mp, "wb") as f:
            f.write(model)
        cmd = [args.qlite, "compare", mp, "--json"]
        for k, a in enumerate(inputs):
            p = os.path.join(d, f"in{k}.npy")
            np.save(p, a)
            cmd += ["-i", p]
        for k, a in enumerate(ref):
            p = os.path.join(d, f"ref{k}.npy")
            np.save(p, a)
            cmd += ["-e", p]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode == 0:
            ok += 1
            shutil.rmtree(d)
        else:
            bad += 1
            os.makedirs(keep, exist_ok=True)
            dst = os.path.join(keep, f"c{i}")
            shutil.rmtree(dst, ignore_errors=True)
            shutil.move(d, dst)
            with open(os.path.join(dst, "params.json"), "w") as f:
                json.dump(params, f)
            print(f"case {i}: MISMATCH {params}\n{(r.stdout + r.stderr)[:600]}", file=sys.stderr)
    shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(dict(op=args.op, seed=args.seed, n=args.n, identical=ok, mismatches=bad, skipped=skipped)))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
