#!/usr/bin/env python3
"""Golden single-op models for int16x8 and legacy uint8 CONV_2D, DEPTHWISE_CONV_2D and
FULLY_CONNECTED (group "i16mm").

    /work/venv/bin/python models/ops_i16mm.py

Writes models/golden/i16mm_*.tflite with seeded inputs (the full int16 / uint8 range, the first
case with the type's extremes) and TFLite reference-kernel outputs (BUILTIN_REF), see
models/oplib.py. The models are made with the same builders as models/fuzz_i16mm.py:
int16x8 with the converter's EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8 (int64
bias by default, int32 bias with `_experimental_full_integer_quantization_bias_type`), uint8
from a TF1 graph with fake-quant nodes (asymmetric per-tensor uint8 weights). A few are patched
in the flatbuffer (an output scale that saturates, a fused RELU_N1_TO_1, a uint8 input zero
point at the edge). Each model is checked to contain exactly the intended op and bias type.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from oplib import ops_of, save_case  # noqa: E402

import fuzz_i16mm as fz  # noqa: E402

try:
    from ai_edge_litert import schema_py_generated as fb  # noqa: E402
except ImportError:  # pragma: no cover
    from tensorflow.lite.python import schema_py_generated as fb  # noqa: E402

RNG = np.random.default_rng(20261126)

BASE = dict(
    kh=3, kw=3, sh=1, sw=1, dh=1, dw=1, pad="SAME", h=6, w=6, batch=1, bias=True, act="none",
    per_channel=True, wmag=0.5, range=(-2.0, 2.0), patch_act=None, patch_out_scale=None,
    patch_out_zp=None, patch_in_zp=None,
)


def cfg(op, mode, **kw):
    c = dict(BASE, op=op, mode=mode)
    if op == "conv":
        c.update(groups=1, fc=3, oc=4, ic=3)
    elif op == "dw":
        c.update(ic=3, dm=2, oc=6)
    elif op == "tconv":
        c.update(ic=3, oc=4, h=4, w=5, sh=2, sw=2, oh=8, ow=10)
    else:
        c.update(depth=12, units=5, batch=2, rank3=False)
    c.update(kw)
    if op == "conv":
        c["ic"] = c["groups"] * c["fc"]
    if op == "dw":
        c["oc"] = c["ic"] * c["dm"]
    return c


BIAS_TYPE = {"i16_64": fb.TensorType.INT64, "i16_32": fb.TensorType.INT32, "u8": fb.TensorType.INT32}

CASES = [
    ("conv_int64bias", cfg("conv", "i16_64", sh=2, sw=2, act="relu")),
    ("conv_int32bias", cfg("conv", "i16_32", dh=2, dw=2, act="relu6", h=7, w=7)),
    ("conv_pertensor_int64bias", cfg("conv", "i16_64", per_channel=False, pad="VALID", kh=2, kw=3)),
    ("conv_grouped_int32bias", cfg("conv", "i16_32", groups=2, fc=2, oc=4, kh=1, kw=2)),
    ("conv_saturating_int64bias", cfg("conv", "i16_64", patch_out_scale=0.05, patch_act=2, wmag=2.0)),
    ("dw_int64bias", cfg("dw", "i16_64", act="relu", sh=2, sw=2)),
    ("dw_dilated_nobias", cfg("dw", "i16_64", bias=False, dh=2, dw=2, pad="VALID", h=7, w=8, dm=1, ic=4)),
    ("fc_int64bias", cfg("fc", "i16_64", act="relu")),
    ("fc_int32bias_pertensor", cfg("fc", "i16_32", per_channel=False, patch_out_scale=0.1)),
    ("fc_rank3_int64bias", cfg("fc", "i16_64", rank3=True, depth=7, units=3, batch=1)),
    ("tconv_int64bias", cfg("tconv", "i16_64", patch_act=1)),
    ("tconv_int32bias_valid", cfg("tconv", "i16_32", pad="VALID", kh=2, kw=3, oh=8, ow=11, patch_out_scale=0.2)),
    ("conv_u8", cfg("conv", "u8", per_channel=False, act="relu6", range=(0.0, 3.0))),
    ("conv_u8_valid_stride", cfg("conv", "u8", per_channel=False, pad="VALID", sh=2, sw=2, h=7, w=7, range=(-1.0, 2.0))),
    ("dw_u8", cfg("dw", "u8", per_channel=False, act="relu", patch_in_zp=0)),
    ("fc_u8", cfg("fc", "u8", per_channel=False)),
    ("fc_nobias_int32bias", cfg("fc", "i16_32", bias=False, act="relu_n1", range=(-1.0, 1.0))),
    ("fc_u8_relu", cfg("fc", "u8", per_channel=False, act="relu", depth=30, units=9, patch_out_zp=255)),
]


def bias_type(mb, op):
    m = fb.ModelT.InitFromPackedBuf(mb, 0)
    sg = m.subgraphs[0]
    o = sg.operators[0]
    k = 3 if op == "tconv" else 2
    return sg.tensors[o.inputs[k]].type if len(o.inputs) > k and o.inputs[k] >= 0 else None


def main():
    for name, c in CASES:
        wt, bias = fz.weights(c, RNG)
        mb = fz.convert_u8(c, wt, bias, RNG) if c["mode"] == "u8" else fz.convert_i16(c, wt, bias)
        ops = ops_of(mb)
        assert ops == [fz.OP_NAME[c["op"]]], (name, ops)
        mb = fz.patch(mb, c)
        bt = bias_type(mb, c["op"])
        assert bt == (BIAS_TYPE[c["mode"]] if c["bias"] else None), (name, bt)
        assert len(mb) < 30000, (name, len(mb))
        diff = save_case("i16mm_" + name, mb, seed=int(RNG.integers(0, 2**31)))
        print(f"i16mm_{name}: {len(mb)} bytes, default path differs on {diff} elements")


if __name__ == "__main__":
    main()
