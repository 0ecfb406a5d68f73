#!/usr/bin/env python3
"""Randomized differential check of int16x8 and legacy uint8 CONV_2D, DEPTHWISE_CONV_2D and
FULLY_CONNECTED.

Modes:
  i16_64  int16 activations, int8 weights, int64 bias (the converter's default)
  i16_32  the same with `_experimental_full_integer_quantization_bias_type = tf.int32`
          (DEPTHWISE_CONV_2D: TFLite refuses int32 bias, so such configs are skipped)
  u8      TF1 graph with fake-quant nodes converted with inference_type=uint8 (asymmetric
          per-tensor uint8 weights)

Each configuration (random shapes, strides, dilations, paddings, groups, depth multipliers,
biases, fused activations, per-tensor/per-channel weights, quantization ranges) is converted,
optionally patched in the flatbuffer (fused activation, output scale / zero point), run with
TFLite's reference kernels (BUILTIN_REF) and with `qlite compare`, and must match exactly.

    /work/venv/bin/python models/fuzz_i16mm.py --op conv --mode i16_64 --n 300 --seed 1
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
from oplib import N_CASES, ops_of, representative, run  # noqa: E402

try:
    from ai_edge_litert import schema_py_generated as fb  # noqa: E402
except ImportError:  # pragma: no cover
    from tensorflow.lite.python import schema_py_generated as fb  # noqa: E402

import flatbuffers  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ACTS = ["none", "relu", "relu6", "relu_n1"]
FB_ACT = {"none": 0, "relu": 1, "relu_n1": 2, "relu6": 3}
OP_NAME = {"conv": "CONV_2D", "dw": "DEPTHWISE_CONV_2D", "fc": "FULLY_CONNECTED", "tconv": "TRANSPOSE_CONV"}
tf1 = tf.compat.v1


def activation(x, act):
    if act == "relu":
        return tf.nn.relu(x)
    if act == "relu6":
        return tf.nn.relu6(x)
    if act == "relu_n1":
        return tf.clip_by_value(x, -1.0, 1.0)
    return x


def rand_config(rng, op, mode):
    c = {"op": op, "mode": mode}
    kh, kw = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    if rng.random() < 0.5:
        sh, sw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        dh = dw = 1
    else:
        sh = sw = 1
        dh, dw = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    pad = "SAME" if rng.random() < 0.55 else "VALID"
    effh, effw = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    lo_h, lo_w = (effh, effw) if pad == "VALID" else (1, 1)
    c.update(kh=kh, kw=kw, sh=sh, sw=sw, dh=dh, dw=dw, pad=pad)
    c["h"] = int(rng.integers(lo_h, max(lo_h, 10) + 1))
    c["w"] = int(rng.integers(lo_w, max(lo_w, 10) + 1))
    c["batch"] = 2 if rng.random() < 0.15 else 1
    # TFLite refuses an int32 bias on int16 DEPTHWISE_CONV_2D: half the DW i16_32 configs have none
    # (compared), the others check that both refuse.
    c["bias"] = bool(rng.random() < (0.5 if (op == "dw" and mode == "i16_32") else 0.85))
    c["act"] = ACTS[int(rng.integers(0, 4))]
    c["per_channel"] = bool(rng.random() < 0.6) and mode != "u8"
    c["wmag"] = float(10 ** rng.uniform(-2, 0.5))
    lo = 0.0 if rng.random() < 0.2 else -float(rng.uniform(0.01, 4))
    c["range"] = (lo, float(rng.uniform(0.05, 4)))
    if op == "conv":
        c["groups"] = 1 if (rng.random() < 0.7 or mode == "u8") else int(rng.integers(2, 4))
        c["fc"] = int(rng.integers(1, 7))
        c["oc"] = c["groups"] * int(rng.integers(1, 5))
        c["ic"] = c["groups"] * c["fc"]
    elif op == "dw":
        c["ic"] = int(rng.integers(1, 9))
        c["dm"] = int(rng.integers(1, 4))
        c["oc"] = c["ic"] * c["dm"]
        c["sw"] = c["sh"]
        c["per_channel"] = mode != "u8"  # the converter cannot make per-tensor int16 DW
    elif op == "tconv":
        c["dh"] = c["dw"] = 1
        c["ic"] = int(rng.integers(1, 7))
        c["oc"] = int(rng.integers(1, 7))
        c["sh"], c["sw"] = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        c["h"], c["w"] = int(rng.integers(1, 7)), int(rng.integers(1, 7))
        # An output size whose convolution gives back the input size (TFLite checks this).
        if c["pad"] == "SAME":
            c["oh"] = int(rng.integers((c["h"] - 1) * c["sh"] + 1, c["h"] * c["sh"] + 1))
            c["ow"] = int(rng.integers((c["w"] - 1) * c["sw"] + 1, c["w"] * c["sw"] + 1))
        else:
            c["oh"] = (c["h"] - 1) * c["sh"] + c["kh"] + int(rng.integers(0, c["sh"]))
            c["ow"] = (c["w"] - 1) * c["sw"] + c["kw"] + int(rng.integers(0, c["sw"]))
        c["act"] = "none"  # the converter does not fuse activations into TRANSPOSE_CONV: patch them in
        if rng.random() < 0.5:
            c["patch_act_tconv"] = FB_ACT[ACTS[int(rng.integers(0, 4))]]
    else:
        c["depth"] = int(rng.integers(1, 48))
        c["units"] = int(rng.integers(1, 24))
        c["batch"] = int(rng.integers(1, 4))
        c["rank3"] = bool(rng.random() < 0.2)
    c["patch_act"] = FB_ACT[ACTS[int(rng.integers(0, 4))]] if rng.random() < 0.3 else None
    c["patch_act"] = c.get("patch_act_tconv", c["patch_act"])
    c["patch_out_scale"] = float(10 ** rng.uniform(-1.5, 1.5)) if rng.random() < 0.3 else None
    c["patch_out_zp"] = int(rng.integers(0, 256)) if (mode == "u8" and rng.random() < 0.2) else None
    c["patch_in_zp"] = int(rng.integers(0, 256)) if (mode == "u8" and rng.random() < 0.2) else None
    return c


def weights(c, rng):
    mag = c["wmag"]
    if c["op"] == "conv":
        shape = [c["kh"], c["kw"], c["fc"], c["oc"]]
    elif c["op"] == "dw":
        shape = [c["kh"], c["kw"], c["ic"], c["dm"]]
    elif c["op"] == "tconv":
        shape = [c["kh"], c["kw"], c["oc"], c["ic"]]
    else:
        shape = [c["depth"], c["units"]]
    wt = rng.normal(0, mag, size=shape).astype(np.float32)
    n_out = c["oc"] if c["op"] != "fc" else c["units"]
    bias = rng.normal(0, mag, size=[n_out]).astype(np.float32)
    return wt, bias


def in_shape(c):
    if c["op"] == "fc":
        return [c["batch"], 2, c["depth"]] if c["rank3"] else [c["batch"], c["depth"]]
    return [c["batch"], c["h"], c["w"], c["ic"]]


def core(c, x, wt, bias):
    if c["op"] == "conv":
        y = tf.nn.conv2d(x, wt, strides=[1, c["sh"], c["sw"], 1], padding=c["pad"], dilations=[1, c["dh"], c["dw"], 1])
    elif c["op"] == "tconv":
        y = tf.nn.conv2d_transpose(
            x, wt, output_shape=[x.shape[0], c["oh"], c["ow"], c["oc"]], strides=[1, c["sh"], c["sw"], 1], padding=c["pad"]
        )
    elif c["op"] == "dw":
        y = tf.nn.depthwise_conv2d(x, wt, strides=[1, c["sh"], c["sw"], 1], padding=c["pad"], dilations=[c["dh"], c["dw"]])
    else:
        if c["rank3"]:
            y = tf.tensordot(x, wt, axes=[[2], [0]])
        else:
            y = tf.matmul(x, wt)
    if c["bias"]:
        y = y + bias
    return activation(y, c["act"])


def convert_i16(c, wt, bias):
    spec = [tf.TensorSpec(in_shape(c), tf.float32)]

    @tf.function(input_signature=spec)
    def f(x):
        return core(c, x, tf.constant(wt), tf.constant(bias))

    cv = tf.lite.TFLiteConverter.from_concrete_functions([f.get_concrete_function()], f)
    cv.optimizations = [tf.lite.Optimize.DEFAULT]
    cv.representative_dataset = representative(f, [c["range"]])
    cv.target_spec.supported_ops = [tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
    cv.inference_input_type = tf.int16
    cv.inference_output_type = tf.int16
    if c["mode"] == "i16_32":
        cv._experimental_full_integer_quantization_bias_type = tf.int32
    if not c["per_channel"]:
        cv._experimental_disable_per_channel = True
    return cv.convert()


def convert_u8(c, wt, bias, rng):
    lo, hi = c["range"]
    # Output range from the float graph on samples, widened a little.
    xs = rng.uniform(lo, hi, size=[8] + in_shape(c)[1:]).astype(np.float32)
    ys = core(c, tf.constant(xs), tf.constant(wt), tf.constant(bias)).numpy()
    ylo, yhi = float(min(ys.min(), 0.0)), float(max(ys.max(), 0.0))
    ylo, yhi = ylo * float(rng.uniform(1.0, 1.5)), yhi * float(rng.uniform(1.0, 1.5))
    if c["act"] in ("relu", "relu6"):
        ylo = 0.0
    if yhi - ylo < 1e-3:
        yhi = ylo + 1e-3
    wlo, whi = float(min(wt.min(), 0.0)), float(max(wt.max(), 0.0))
    if rng.random() < 0.5:  # asymmetric weight ranges
        wlo, whi = wlo * float(rng.uniform(0.3, 1.0)), whi * float(rng.uniform(1.0, 2.0))
    if whi - wlo < 1e-4:
        whi = wlo + 1e-4
    g = tf1.Graph()
    with g.as_default():
        x = tf1.placeholder(tf.float32, in_shape(c), name="x")
        xq = tf1.quantization.fake_quant_with_min_max_args(x, min=lo, max=hi)
        w = tf1.constant(wt)
        wq = tf1.quantization.fake_quant_with_min_max_args(w, min=wlo, max=whi)
        y = core(c, xq, wq, tf1.constant(bias))
        yq = tf1.quantization.fake_quant_with_min_max_args(y, min=ylo, max=yhi)
        with tf1.Session(graph=g) as s:
            cv = tf1.lite.TFLiteConverter.from_session(s, [x], [yq])
            cv.inference_type = tf.uint8
            std = 255.0 / (hi - lo)
            cv.quantized_input_stats = {"x": (-lo * std, std)}
            return cv.convert()


def patch(model_bytes, c):
    m = fb.ModelT.InitFromPackedBuf(model_bytes, 0)
    sg = m.subgraphs[0]
    ops = [o for o in sg.operators if m.operatorCodes[o.opcodeIndex].builtinCode == getattr(fb.BuiltinOperator, OP_NAME[c["op"]])]
    if len(ops) != 1:
        return None
    op = ops[0]
    if c["patch_act"] is not None:
        op.builtinOptions.fusedActivationFunction = c["patch_act"]
    bias_k = 3 if c["op"] == "tconv" else 2
    if not c["bias"] and c["op"] != "conv" and len(op.inputs) > bias_k:
        # The converter adds a zero bias to a bias-less graph: remove it (TFLite's CONV_2D
        # requires a bias, so there it stays).
        op.inputs = list(op.inputs)[:bias_k]
    out = sg.tensors[op.outputs[0]].quantization
    if c["patch_out_scale"] is not None:
        out.scale = [float(np.float32(out.scale[0] * c["patch_out_scale"]))]
    if c["patch_out_zp"] is not None:
        out.zeroPoint = [c["patch_out_zp"]]
    if c["patch_in_zp"] is not None:
        sg.tensors[op.inputs[2 if c["op"] == "tconv" else 0]].quantization.zeroPoint = [c["patch_in_zp"]]
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def make_inputs(model_bytes, rng):
    from oplib import interpreter

    d = interpreter(model_bytes).get_input_details()[0]
    shape = tuple(d["shape"])
    info = np.iinfo(d["dtype"])
    cases = []
    for k in range(N_CASES):
        a = rng.integers(info.min, int(info.max) + 1, size=shape).astype(d["dtype"])
        if k == 0 and a.size >= 2:
            a.flat[0], a.flat[1] = info.min, info.max
        if k == 1:
            a[...] = rng.choice([info.min, info.max], size=shape)
        if k == 2:  # small values: a normal activation range
            a = np.clip(rng.normal(0, (info.max - info.min) / 16, size=shape) + (info.min + info.max) / 2, info.min, info.max).astype(d["dtype"])
        cases.append(a)
    return [np.concatenate(cases, axis=0)]


def one(c, rng, workdir, qlite):
    wt, bias = weights(c, rng)
    try:
        mb = convert_u8(c, wt, bias, rng) if c["mode"] == "u8" else convert_i16(c, wt, bias)
    except Exception as e:  # noqa: BLE001
        return "skip", f"convert failed: {str(e)[:200]}"
    ops = ops_of(mb)
    if OP_NAME[c["op"]] not in ops or len(ops) != 1:
        return "skip", f"converter produced {ops}"
    mb = patch(mb, c)
    if mb is None:
        return "skip", "patch failed"
    try:
        inputs = make_inputs(mb, rng)
        ref = run(mb, inputs, ref=True)
    except Exception as e:  # noqa: BLE001
        path = os.path.join(workdir, "rejected.tflite")
        with open(path, "wb") as fh:
            fh.write(mb)
        p = subprocess.run([qlite, "run", path, "-o", workdir], capture_output=True, text=True)
        verdict = "qlite refuses it too" if p.returncode == 2 else "qlite runs it"
        return "skip", f"tflite failed ({verdict}): {str(e)[:160]}"
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
        return "error", p.stderr.strip()[:300]
    doc = json.loads(p.stdout)
    if not doc["ok"]:
        o = doc["outputs"][0]
        return "mismatch", f"{o['differing']} of {o['elements']} differ, max {o['max_steps']}"
    return "ok", ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--op", choices=sorted(OP_NAME), required=True)
    ap.add_argument("--mode", choices=["i16_64", "i16_32", "u8"], required=True)
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", default=None)
    ap.add_argument("--qlite", default=os.path.join(ROOT, "target", "release", "qlite"))
    a = ap.parse_args()
    keep = a.keep or f"/tmp/fuzz_i16mm_{a.op}_{a.mode}_{a.seed}"
    os.makedirs(keep, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    counts = {"ok": 0, "mismatch": 0, "error": 0, "skip": 0}
    kinds = {}
    with tempfile.TemporaryDirectory() as wd:
        i = 0
        while counts["ok"] + counts["mismatch"] + counts["error"] < a.n and i < 4 * a.n + 20:
            c = rand_config(rng, a.op, a.mode)
            status, msg = one(c, rng, wd, a.qlite)
            counts[status] += 1
            if status == "ok":
                key = f"per_channel={c['per_channel']}"
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
                print(f"[{i}] skip: {msg}", flush=True)
            i += 1
            if i % 25 == 0:
                print(f"... {i} configs: {counts}", flush=True)
    print(f"op {a.op} mode {a.mode} seed {a.seed}: {counts}; checked by kind {kinds}")
    sys.exit(0 if counts["mismatch"] == 0 and counts["error"] == 0 else 1)


if __name__ == "__main__":
    main()
