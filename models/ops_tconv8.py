#!/usr/bin/env python3
"""Golden single-op models for legacy uint8 TRANSPOSE_CONV (group "tconv8").

    /work/venv/bin/python models/ops_tconv8.py

Writes models/golden/tconv8_*.tflite with seeded uint8 inputs (the first case with 0 and 255)
and TFLite reference-kernel outputs (BUILTIN_REF), see models/oplib.py. Two models come from a
TF1 graph with fake-quant nodes converted with inference_type=uint8 (the builders of
models/fuzz_i16mm.py: asymmetric per-tensor uint8 weights, a fused activation and an input zero
point patched into the flatbuffer); one is the per-tensor int8 model of a Keras-free tf.function
turned into uint8 by oplib.to_uint8 (weights requantized over their own asymmetric range, bias
rescaled). Each model is checked to contain exactly one TRANSPOSE_CONV with uint8 weights whose
zero point is not 128.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from oplib import convert_int8, ops_of, save_case, to_uint8  # noqa: E402

import fuzz_i16mm as fz  # noqa: E402
from ops_i16mm import cfg  # noqa: E402

try:
    from ai_edge_litert import schema_py_generated as fb  # noqa: E402
except ImportError:  # pragma: no cover
    from tensorflow.lite.python import schema_py_generated as fb  # noqa: E402

RNG = np.random.default_rng(20261127)

TF1_CASES = [
    # SAME, stride 2, RELU6 patched in, bias, weights over an asymmetric range.
    ("same_s2_relu6", cfg("tconv", "u8", per_channel=False, patch_act=fb.ActivationFunctionType.RELU6,
                          range=(-1.0, 2.0))),
    # VALID, strides (1, 3), no bias, input zero point 0 and output zero point 200.
    ("valid_s13_nobias", cfg("tconv", "u8", per_channel=False, bias=False, pad="VALID", kh=2, kw=3, h=3, w=4,
                             sh=1, sw=3, oh=4, ow=12, patch_in_zp=0, patch_out_zp=200, range=(0.0, 3.0))),
]


def to_uint8_case():
    """Per-tensor int8 tf.function model turned into uint8 (oplib.to_uint8), with bias."""
    rng = np.random.default_rng(7)
    wt = tf.constant(rng.normal(0, 0.4, size=[3, 3, 5, 2]).astype(np.float32))  # [KH, KW, OC, IC]
    b = tf.constant(rng.normal(0, 0.5, size=[5]).astype(np.float32))

    @tf.function(input_signature=[tf.TensorSpec([2, 3, 4, 2], tf.float32)])
    def f(x):
        return tf.nn.conv2d_transpose(x, wt, [2, 5, 8, 5], [1, 2, 2, 1], "SAME") + b

    for attempt in range(20):
        mb = to_uint8(convert_int8(f, [(-1.5, 1.0)], per_channel=False), np.random.default_rng(attempt))
        if weight_zp(mb) != 128:  # to_uint8 leaves 20% of the weights symmetric: want asymmetric
            return mb
    raise RuntimeError("to_uint8 kept symmetric weights")


def tconv_op(mb):
    m = fb.ModelT.InitFromPackedBuf(mb, 0)
    sg = m.subgraphs[0]
    (op,) = [o for o in sg.operators if m.operatorCodes[o.opcodeIndex].builtinCode == fb.BuiltinOperator.TRANSPOSE_CONV]
    return sg, op


def weight_zp(mb):
    sg, op = tconv_op(mb)
    w = sg.tensors[op.inputs[1]]
    assert w.type == fb.TensorType.UINT8, w.type
    return int(w.quantization.zeroPoint[0])


def main():
    cases = []
    for name, c in TF1_CASES:
        wt, bias = fz.weights(c, RNG)
        mb = fz.convert_u8(c, wt, bias, RNG)
        assert ops_of(mb) == ["TRANSPOSE_CONV"], (name, ops_of(mb))
        cases.append((name, fz.patch(mb, c), c["bias"]))
    mb = to_uint8_case()
    assert ops_of(mb) == ["TRANSPOSE_CONV"], ops_of(mb)
    cases.append(("from_int8_bias", mb, True))
    for name, mb, has_bias in cases:
        sg, op = tconv_op(mb)
        assert sg.tensors[op.inputs[2]].type == fb.TensorType.UINT8
        assert (len(op.inputs) > 3 and op.inputs[3] >= 0) == has_bias, name
        zp = weight_zp(mb)
        assert zp != 128, (name, zp)
        assert len(mb) < 30000, (name, len(mb))
        diff = save_case("tconv8_" + name, mb, seed=int(RNG.integers(0, 2**31)))
        print(f"tconv8_{name}: {len(mb)} bytes, weight zp {zp}, default path differs on {diff} elements")


if __name__ == "__main__":
    main()
