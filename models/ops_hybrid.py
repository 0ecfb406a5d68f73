#!/usr/bin/env python3
"""Golden models for BATCH_MATMUL (float32, int8, int16) and the dynamic-range ("hybrid": float
activations, int8 weights) FULLY_CONNECTED, CONV_2D, DEPTHWISE_CONV_2D and BATCH_MATMUL.

Hybrid models come from the converter with `optimizations=[tf.lite.Optimize.DEFAULT]` and no
representative dataset: it quantizes constant weights of >= 1024 elements to int8 (per-channel,
or per-tensor with `_experimental_disable_per_channel`; BATCH_MATMUL always per-tensor) and sets
`asymmetric_quantize_inputs=True` on FULLY_CONNECTED and BATCH_MATMUL; the symmetric variants
are made by clearing that option in the flatbuffer. CONV_2D and DEPTHWISE_CONV_2D have no such
option (TFLite picks symmetric for per-tensor CONV_2D, asymmetric otherwise).

    /work/venv/bin/python models/ops_hybrid.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from oplib import _converter, convert_float, convert_int8, ops_of, save_case  # noqa: E402

try:
    from ai_edge_litert import schema_py_generated as fb  # noqa: E402
except ImportError:  # pragma: no cover
    from tensorflow.lite.python import schema_py_generated as fb  # noqa: E402

import flatbuffers  # noqa: E402

RNG = np.random.default_rng(2026)


def convert_dynamic(fn, per_channel=True):
    c = _converter(fn)
    c.optimizations = [tf.lite.Optimize.DEFAULT]
    if not per_channel:
        c._experimental_disable_per_channel = True
    return c.convert()


def edit(model_bytes, post):
    m = fb.ModelT.InitFromPackedBuf(model_bytes, 0)
    post(m)
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def set_asymmetric(value):
    def post(m):
        for op in m.subgraphs[0].operators:
            if hasattr(op.builtinOptions, "asymmetricQuantizeInputs"):
                op.builtinOptions.asymmetricQuantizeInputs = value
    return post


def put_minus_128(every):
    """Sets every `every`-th value of the int8 weights to -128 (the SSE dot-product quirk)."""
    def post(m):
        sg = m.subgraphs[0]
        for op in sg.operators:
            t = sg.tensors[op.inputs[1]]
            if t.type == fb.TensorType.INT8:
                buf = m.buffers[t.buffer]
                q = np.frombuffer(bytes(bytearray(buf.data)), np.int8).copy()
                q[::every] = -128
                buf.data = np.frombuffer(q.tobytes(), np.uint8)
    return post


def tensor_types(model_bytes, op_name):
    """(input types) of the first `op_name` operator."""
    m = fb.ModelT.InitFromPackedBuf(model_bytes, 0)
    sg = m.subgraphs[0]
    code = getattr(fb.BuiltinOperator, op_name)
    for op in sg.operators:
        oc = m.operatorCodes[op.opcodeIndex]
        if max(oc.builtinCode, oc.deprecatedBuiltinCode) == code:
            return [sg.tensors[i].type if i >= 0 else None for i in op.inputs]
    raise RuntimeError(f"no {op_name} in {ops_of(model_bytes)}")


def check(model, op_name, hybrid=True):
    ops = ops_of(model)
    assert ops == [op_name], ops
    if hybrid:
        t = tensor_types(model, op_name)
        assert t[0] == fb.TensorType.FLOAT32 and t[1] == fb.TensorType.INT8, t
    assert len(model) < 30 * 1024, len(model)
    return model


def w(*shape, scale=0.3):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def fn(body, *shapes):
    return tf.function(body, input_signature=[tf.TensorSpec(s, tf.float32) for s in shapes])


def main():
    cases = []

    # FULLY_CONNECTED
    W1, B1 = w(64, 32), w(32)
    f = fn(lambda x: tf.nn.relu(tf.matmul(x, W1) + B1), [3, 64])
    cases.append(("hybrid_fc_asym_per_channel_relu", check(convert_dynamic(f), "FULLY_CONNECTED"), (-2, 2)))
    W2 = w(40, 30) * np.linspace(0.1, 3, 30, dtype=np.float32)
    f = fn(lambda x: tf.matmul(x, W2), [2, 40])
    m = edit(convert_dynamic(f, per_channel=False), set_asymmetric(False))
    cases.append(("hybrid_fc_sym_per_tensor", check(m, "FULLY_CONNECTED"), (-5, 5)))
    W3, B3 = w(48, 24), w(24)
    f = fn(lambda x: tf.clip_by_value(tf.matmul(x, W3) + B3, -1.0, 1.0), [4, 48])
    m = edit(convert_dynamic(f), put_minus_128(7))
    cases.append(("hybrid_fc_asym_minus128_relu_n1", check(m, "FULLY_CONNECTED"), (-1, 3)))

    # CONV_2D
    K1, B4 = w(3, 3, 16, 12), w(12)
    f = fn(lambda x: tf.nn.conv2d(x, K1, 1, "SAME") + B4, [1, 6, 6, 16])
    cases.append(("hybrid_conv_per_channel_same", check(convert_dynamic(f), "CONV_2D"), (-1, 1)))
    K2, B5 = w(3, 3, 8, 16), w(16)
    f = fn(lambda x: tf.nn.relu6(tf.nn.conv2d(x, K2, 2, "VALID") + B5), [2, 7, 7, 8])
    cases.append(("hybrid_conv_per_tensor_oc16_stride2", check(convert_dynamic(f, False), "CONV_2D"), (-3, 3)))
    K3, B6 = w(3, 3, 24, 6), w(6)
    f = fn(lambda x: tf.nn.conv2d(x, K3, 1, "SAME", dilations=2) + B6, [1, 7, 6, 24])
    m = edit(convert_dynamic(f, False), put_minus_128(5))
    cases.append(("hybrid_conv_per_tensor_oc6_minus128_dilated", check(m, "CONV_2D"), (-2, 2)))

    # DEPTHWISE_CONV_2D
    D1, B7 = w(3, 3, 64, 2), w(128)
    f = fn(lambda x: tf.nn.depthwise_conv2d(x, D1, [1, 1, 1, 1], "SAME") + B7, [1, 5, 5, 64])
    cases.append(("hybrid_dw_dm2_same", check(convert_dynamic(f), "DEPTHWISE_CONV_2D"), (-1, 1)))
    D2, B8 = w(5, 5, 48, 1), w(48)
    f = fn(lambda x: tf.nn.relu(tf.nn.depthwise_conv2d(x, D2, [1, 2, 2, 1], "VALID") + B8), [2, 9, 9, 48])
    cases.append(("hybrid_dw_5x5_stride2_relu", check(convert_dynamic(f), "DEPTHWISE_CONV_2D"), (-4, 1)))

    # BATCH_MATMUL, hybrid
    R1 = w(3, 64, 16)
    f = fn(lambda x: tf.matmul(x, R1), [3, 4, 64])
    cases.append(("hybrid_bmm_asym", check(convert_dynamic(f), "BATCH_MATMUL"), (-1, 2)))
    R2 = w(2, 1, 48, 12)
    f = fn(lambda x: tf.matmul(x, R2, adjoint_a=True), [2, 3, 48, 5])
    m = edit(convert_dynamic(f), set_asymmetric(False))
    cases.append(("hybrid_bmm_sym_bcast_adj_x", check(m, "BATCH_MATMUL"), (-3, 3)))
    R3 = w(2, 3, 40, 16)
    f = fn(lambda x: tf.matmul(x, R3), [2, 3, 2, 40])
    cases.append(("hybrid_bmm_asym_two_batch_dims", check(convert_dynamic(f), "BATCH_MATMUL"), (-1, 1)))

    # BATCH_MATMUL, float32 / int8 / int16
    f = fn(lambda x, y: tf.matmul(x, y, adjoint_a=True), [2, 1, 5, 3], [3, 5, 4])
    cases.append(("hybrid_batch_matmul_f32_adj_x_bcast", check(convert_float(f), "BATCH_MATMUL", False), (-2, 2)))
    f = fn(lambda x, y: tf.matmul(x, y, adjoint_b=True), [2, 3, 7], [1, 4, 7])
    cases.append(("hybrid_batch_matmul_int8_adj_y_bcast", check(convert_int8(f, [(-2, 2), (-1, 3)]), "BATCH_MATMUL", False), None))
    R4 = w(2, 6, 5, scale=1.0)
    f = fn(lambda x: tf.matmul(x, R4), [2, 3, 6])
    cases.append(("hybrid_batch_matmul_int8_const_rhs", check(convert_int8(f, [(-1, 1)]), "BATCH_MATMUL", False), None))

    def int16(c):
        c.target_spec.supported_ops = [tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
        c.inference_input_type = tf.int16
        c.inference_output_type = tf.int16

    f = fn(lambda x, y: tf.matmul(x, y), [2, 4, 6], [2, 6, 3])
    try:
        cases.append(("hybrid_batch_matmul_int16", check(convert_int8(f, [(-2, 2), (-1, 1)], extra=int16), "BATCH_MATMUL", False),
                      None))
    except Exception as e:  # noqa: BLE001
        print(f"hybrid_batch_matmul_int16 not made: {e}", file=sys.stderr)

    for name, model, rng in cases:
        n = save_case(name, model, seed=7, float_range=rng or (-1.0, 1.0))
        print(f"{name}: {len(model)} bytes, ops {ops_of(model)}, default path differs on {n} elements")


if __name__ == "__main__":
    main()
