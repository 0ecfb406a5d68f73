#!/usr/bin/env python3
"""Randomized differential check of CONV_2D, DEPTHWISE_CONV_2D and TRANSPOSE_CONV.

Each configuration (random shapes, strides, dilations, paddings, groups, depth multipliers,
biases, fused activations, per-tensor or per-channel weights, quantization ranges, int8 or
float32) is built with TensorFlow, converted with the TFLite converter, optionally patched in
the flatbuffer (fused activation, output/input quantization, stride together with dilation,
the ignored depth_multiplier field, a removed bias), run with
TFLite's reference kernels (BUILTIN_REF) and with `qlite compare`, and must match exactly.

    /work/venv/bin/python models/fuzz_conv.py --op conv --n 300 --seed 1
    /work/venv/bin/python models/fuzz_conv.py --op dw --n 200 --seed 2
    /work/venv/bin/python models/fuzz_conv.py --op tconv --n 100 --seed 3

Mismatching cases are kept in --keep (default /tmp/fuzz_conv_<op>_<seed>).
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
from oplib import N_CASES, convert_float, convert_int8, ops_of, run  # noqa: E402

try:
    from ai_edge_litert import schema_py_generated as fb  # noqa: E402
except ImportError:  # pragma: no cover
    from tensorflow.lite.python import schema_py_generated as fb  # noqa: E402

import flatbuffers  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ACTS = ["none", "relu", "relu6", "relu_n1"]
FB_ACT = {"none": 0, "relu": 1, "relu_n1": 2, "relu6": 3}
OP_NAME = {"conv": "CONV_2D", "dw": "DEPTHWISE_CONV_2D", "tconv": "TRANSPOSE_CONV"}


def activation(x, act):
    if act == "relu":
        return tf.nn.relu(x)
    if act == "relu6":
        return tf.nn.relu6(x)
    if act == "relu_n1":
        return tf.clip_by_value(x, -1.0, 1.0)
    return x


def rand_geom(rng, k_max=5, hw_max=13):
    kh, kw = int(rng.integers(1, k_max + 1)), int(rng.integers(1, k_max + 1))
    if rng.random() < 0.5:
        sh, sw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        dh = dw = 1
    else:
        sh = sw = 1
        dh, dw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    pad = "SAME" if rng.random() < 0.55 else "VALID"
    effh, effw = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    lo_h, lo_w = (effh, effw) if pad == "VALID" else (1, 1)
    h = int(rng.integers(lo_h, max(lo_h, hw_max) + 1))
    w = int(rng.integers(lo_w, max(lo_w, hw_max) + 1))
    return dict(kh=kh, kw=kw, sh=sh, sw=sw, dh=dh, dw=dw, pad=pad, h=h, w=w)


def rand_config(rng, op):
    c = rand_geom(rng, k_max=5 if op != "tconv" else 4, hw_max=13 if op != "tconv" else 7)
    c["op"] = op
    c["dtype"] = "float" if rng.random() < 0.25 else "int8"
    c["batch"] = 2 if rng.random() < 0.15 else 1
    c["bias"] = bool(rng.random() < 0.8)
    c["act"] = ACTS[int(rng.integers(0, 4))]
    c["per_channel"] = bool(rng.random() < 0.7)
    c["wmag"] = float(10 ** rng.uniform(-2, 0.5))
    lo = 0.0 if rng.random() < 0.2 else -float(rng.uniform(0.01, 4))
    c["range"] = (lo, float(rng.uniform(0.05, 4)))
    if op == "conv":
        c["groups"] = 1 if rng.random() < 0.7 else int(rng.integers(2, 4))
        c["fc"] = int(rng.integers(1, 7))
        c["oc"] = c["groups"] * int(rng.integers(1, 5))
        c["ic"] = c["groups"] * c["fc"]
    elif op == "dw":
        c["ic"] = int(rng.integers(1, 9))
        c["dm"] = int(rng.integers(1, 4))
        c["oc"] = c["ic"] * c["dm"]
        c["sw"] = c["sh"]  # TF's depthwise op wants equal strides; the patch may change them
    else:
        c["dh"] = c["dw"] = 1
        c["ic"] = int(rng.integers(1, 7))
        c["oc"] = int(rng.integers(1, 7))
        c["sh"], c["sw"] = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        c["h"], c["w"] = int(rng.integers(1, 7)), int(rng.integers(1, 7))
        # Any output size whose convolution gives back the input size (TFLite checks this):
        # SAME: ceil(OH / s) = H; VALID: (OH − KH + s) / s = H.
        if c["pad"] == "SAME":
            c["oh"] = int(rng.integers((c["h"] - 1) * c["sh"] + 1, c["h"] * c["sh"] + 1))
            c["ow"] = int(rng.integers((c["w"] - 1) * c["sw"] + 1, c["w"] * c["sw"] + 1))
        else:
            c["oh"] = (c["h"] - 1) * c["sh"] + c["kh"] + int(rng.integers(0, c["sh"]))
            c["ow"] = (c["w"] - 1) * c["sw"] + c["kw"] + int(rng.integers(0, c["sw"]))
    # Flatbuffer patches.
    if op == "tconv":
        c["act"] = "none"  # the converter does not fuse activations into TRANSPOSE_CONV: patch them in
    p_act = 0.6 if op == "tconv" else 0.35
    c["patch_act"] = FB_ACT[ACTS[int(rng.integers(0, 4))]] if rng.random() < p_act else None
    c["patch_out_q"] = (float(10 ** rng.uniform(-1.5, 1.5)), int(rng.integers(-128, 128))) if rng.random() < 0.3 else None
    c["patch_in_zp"] = int(rng.choice([-128, 127, int(rng.integers(-128, 128))])) if rng.random() < 0.2 else None
    c["patch_stride_dil"] = (
        (int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        if op != "tconv" and rng.random() < 0.2
        else None
    )
    c["patch_dm_field"] = int(rng.integers(0, 9)) if op == "dw" and rng.random() < 0.3 else None
    c["patch_drop_bias"] = bool(op != "conv" and rng.random() < 0.15)
    return c


def build(c, rng):
    b, h, w, ic, oc = c["batch"], c["h"], c["w"], c["ic"], c["oc"]
    mag = c["wmag"]
    spec = [tf.TensorSpec([b, h, w, ic], tf.float32)]
    bias = tf.constant(rng.normal(0, mag, size=[oc]).astype(np.float32))
    if c["op"] == "conv":
        wt = tf.constant(rng.normal(0, mag, size=[c["kh"], c["kw"], c["fc"], oc]).astype(np.float32))

        @tf.function(input_signature=spec)
        def f(x):
            y = tf.nn.conv2d(x, wt, strides=[1, c["sh"], c["sw"], 1], padding=c["pad"], dilations=[1, c["dh"], c["dw"], 1])
            if c["bias"]:
                y = tf.nn.bias_add(y, bias)
            return activation(y, c["act"])

    elif c["op"] == "dw":
        wt = tf.constant(rng.normal(0, mag, size=[c["kh"], c["kw"], ic, c["dm"]]).astype(np.float32))

        @tf.function(input_signature=spec)
        def f(x):
            y = tf.nn.depthwise_conv2d(
                x, wt, strides=[1, c["sh"], c["sw"], 1], padding=c["pad"], dilations=[c["dh"], c["dw"]]
            )
            if c["bias"]:
                y = tf.nn.bias_add(y, bias)
            return activation(y, c["act"])

    else:
        wt = tf.constant(rng.normal(0, mag, size=[c["kh"], c["kw"], oc, ic]).astype(np.float32))

        @tf.function(input_signature=spec)
        def f(x):
            y = tf.nn.conv2d_transpose(
                x, wt, output_shape=[b, c["oh"], c["ow"], oc], strides=[1, c["sh"], c["sw"], 1], padding=c["pad"]
            )
            if c["bias"]:
                y = tf.nn.bias_add(y, bias)
            return activation(y, c["act"])

    return f


def patch(model_bytes, c):
    """Applies the configuration's flatbuffer patches; returns new bytes."""
    m = fb.ModelT.InitFromPackedBuf(model_bytes, 0)
    sg = m.subgraphs[0]
    ops = [o for o in sg.operators if m.operatorCodes[o.opcodeIndex].builtinCode == getattr(fb.BuiltinOperator, OP_NAME[c["op"]])]
    if len(ops) != 1:
        return None
    op = ops[0]
    opt = op.builtinOptions
    if c["patch_act"] is not None:
        opt.fusedActivationFunction = c["patch_act"]
    if c["patch_stride_dil"] is not None:
        opt.strideH, opt.strideW = c["patch_stride_dil"][0], c["patch_stride_dil"][1]
        if c["op"] == "conv":
            opt.dilationHFactor, opt.dilationWFactor = c["patch_stride_dil"][2], c["patch_stride_dil"][3]
        else:
            opt.dilationHFactor, opt.dilationWFactor = c["patch_stride_dil"][2], c["patch_stride_dil"][3]
    if c["patch_dm_field"] is not None:
        opt.depthMultiplier = c["patch_dm_field"]
    data_in = op.inputs[2] if c["op"] == "tconv" else op.inputs[0]
    out = op.outputs[0]
    if c["dtype"] == "int8":
        if c["patch_out_q"] is not None:
            q = sg.tensors[out].quantization
            q.scale = [float(np.float32(q.scale[0] * c["patch_out_q"][0]))]
            q.zeroPoint = [c["patch_out_q"][1]]
        if c["patch_in_zp"] is not None:
            sg.tensors[data_in].quantization.zeroPoint = [c["patch_in_zp"]]
    if c["patch_drop_bias"]:
        bias_k = 3 if c["op"] == "tconv" else 2
        if len(op.inputs) > bias_k:
            op.inputs = list(op.inputs)[:bias_k]
    # Let TFLite recompute output shapes after geometry patches.
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def make_inputs(model_bytes, c, rng):
    from oplib import interpreter

    d = interpreter(model_bytes).get_input_details()[0]
    shape = tuple(d["shape"])
    cases = []
    for k in range(N_CASES):
        if d["dtype"] == np.int8:
            a = rng.integers(-128, 128, size=shape).astype(np.int8)
            if k == 0 and a.size >= 2:
                a.flat[0], a.flat[1] = -128, 127
            if k == 1:
                a[...] = rng.choice([-128, 127], size=shape)
        else:
            lo, hi = c["range"]
            a = rng.uniform(lo * 1.5 - 0.1, hi * 1.5, size=shape).astype(np.float32)
        cases.append(a)
    return [np.concatenate(cases, axis=0)]


def one(c, rng, workdir, qlite):
    f = build(c, rng)
    try:
        if c["dtype"] == "int8":
            mb = convert_int8(f, rep=[c["range"]], per_channel=c["per_channel"])
        else:
            mb = convert_float(f)
    except Exception as e:  # noqa: BLE001
        return "skip", f"convert failed: {str(e)[:200]}"
    ops = ops_of(mb)
    if ops != [OP_NAME[c["op"]]]:
        return "skip", f"converter produced {ops}"
    mb = patch(mb, c)
    if mb is None:
        return "skip", "patch failed"
    try:
        inputs = make_inputs(mb, c, rng)
        ref = run(mb, inputs, ref=True)
    except Exception as e:  # noqa: BLE001
        # TFLite refuses the (patched) model: say whether qlite refuses it too.
        path = os.path.join(workdir, "rejected.tflite")
        with open(path, "wb") as fh:
            fh.write(mb)
        p = subprocess.run([qlite, "run", path, "-o", workdir], capture_output=True, text=True)
        verdict = "qlite refuses it too" if p.returncode == 2 else "qlite runs it"
        return "skip", f"tflite failed ({verdict}): {str(e)[:200]}"
    path = os.path.join(workdir, "case.tflite")
    with open(path, "wb") as fh:
        fh.write(mb)
    np.save(os.path.join(workdir, "case.in0.npy"), inputs[0])
    np.save(os.path.join(workdir, "case.ref0.npy"), ref[0])
    p = subprocess.run(
        [qlite, "compare", path, "-i", os.path.join(workdir, "case.in0.npy"), "-e", os.path.join(workdir, "case.ref0.npy"), "--json"],
        capture_output=True,
        text=True,
    )
    if p.returncode == 2:
        return "error", p.stderr.strip()
    doc = json.loads(p.stdout)
    if not doc["ok"]:
        o = doc["outputs"][0]
        return "mismatch", f"{o['differing']} of {o['elements']} differ, max {o['max_steps']}"
    return "ok", ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--op", choices=sorted(OP_NAME), required=True)
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", default=None)
    ap.add_argument("--qlite", default=os.path.join(ROOT, "target", "release", "qlite"))
    a = ap.parse_args()
    keep = a.keep or f"/tmp/fuzz_conv_{a.op}_{a.seed}"
    os.makedirs(keep, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    counts = {"ok": 0, "mismatch": 0, "error": 0, "skip": 0}
    kinds = {}
    with tempfile.TemporaryDirectory() as wd:
        i = 0
        while counts["ok"] + counts["mismatch"] + counts["error"] < a.n:
            c = rand_config(rng, a.op)
            status, msg = one(c, rng, wd, a.qlite)
            counts[status] += 1
            if status == "ok":
                key = (c["dtype"], c["per_channel"] if c["dtype"] == "int8" else None)
                kinds[key] = kinds.get(key, 0) + 1
            if status in ("mismatch", "error"):
                dst = os.path.join(keep, f"case{i}")
                os.makedirs(dst, exist_ok=True)
                for fn in os.listdir(wd):
                    shutil.copy(os.path.join(wd, fn), dst)
                with open(os.path.join(dst, "config.json"), "w") as fh:
                    json.dump(c, fh, indent=1)
                print(f"[{i}] {status}: {msg}\n    {c}", flush=True)
            elif status == "skip":
                print(f"[{i}] skip: {msg}\n    {c}", flush=True)
            i += 1
            if i % 25 == 0:
                print(f"... {i} configs: {counts}", flush=True)
    print(f"op {a.op} seed {a.seed}: {counts}; checked by kind {kinds}")
    sys.exit(0 if counts["mismatch"] == 0 and counts["error"] == 0 else 1)


if __name__ == "__main__":
    main()
