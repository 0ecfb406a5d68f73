#!/usr/bin/env python3
"""Golden single-op models of the pool group: AVERAGE_POOL_2D, MAX_POOL_2D, MEAN, SUM,
REDUCE_MAX, REDUCE_MIN, SOFTMAX and ARG_MAX, int8 and float32.

    /work/venv/bin/python models/ops_pool.py

Writes models/golden/pool_*.{tflite,in<k>.npy,ref<k>.npy} (see oplib.py) and checks with
ops_of() that each model holds exactly the intended operator.
"""

import sys

import numpy as np
import tensorflow as tf

from oplib import convert_float, convert_int8, ops_of, save_case

MODELS = []


def model(name, op, shape, rep=(-2.0, 2.0), kind="int8", float_range=None):
    """Registers a model: `fn(x)` over one float input of `shape`; `op` is the operator expected."""

    def deco(fn):
        MODELS.append((name, op, shape, rep, kind, float_range, fn))
        return fn

    return deco


# --- pooling -------------------------------------------------------------------------------


@model("pool_avg_same_3x3_s2_int8", "AVERAGE_POOL_2D", [1, 7, 7, 4])
def _(x):
    # SAME with stride 2 on 7×7: edge windows hold 2×3, 3×2 or 2×2 valid cells.
    return tf.nn.avg_pool2d(x, ksize=3, strides=2, padding="SAME")


@model("pool_avg_valid_2x3_s1x2_int8", "AVERAGE_POOL_2D", [2, 6, 9, 3], rep=(-1.0, 3.0))
def _(x):
    return tf.nn.avg_pool2d(x, ksize=[2, 3], strides=[1, 2], padding="VALID")


@model("pool_avg_same_relu6_int8", "AVERAGE_POOL_2D", [1, 5, 6, 3], rep=(-4.0, 8.0))
def _(x):
    # ReLU6 after the pool is fused into it (the fused activation clamps to [Q(0), Q(6)]).
    return tf.nn.relu6(tf.nn.avg_pool2d(x, ksize=[4, 2], strides=[3, 1], padding="SAME"))


@model("pool_max_same_3x3_s2_int8", "MAX_POOL_2D", [1, 9, 9, 2])
def _(x):
    return tf.nn.max_pool2d(x, ksize=3, strides=2, padding="SAME")


@model("pool_max_valid_relu_int8", "MAX_POOL_2D", [1, 8, 7, 5], rep=(-3.0, 1.0))
def _(x):
    return tf.nn.relu(tf.nn.max_pool2d(x, ksize=[2, 2], strides=[2, 3], padding="VALID"))


@model("pool_avg_same_float", "AVERAGE_POOL_2D", [1, 7, 5, 3], kind="float", float_range=(-3.0, 3.0))
def _(x):
    return tf.nn.avg_pool2d(x, ksize=3, strides=2, padding="SAME")


@model("pool_max_valid_float", "MAX_POOL_2D", [2, 6, 6, 2], kind="float", float_range=(-3.0, 3.0))
def _(x):
    return tf.nn.max_pool2d(x, ksize=[3, 2], strides=[1, 2], padding="VALID")


# --- reductions ----------------------------------------------------------------------------


@model("pool_mean_hw_keep_int8", "MEAN", [1, 6, 5, 8])
def _(x):
    return tf.reduce_mean(x, axis=[1, 2], keepdims=True)


@model("pool_mean_hw_int8", "MEAN", [2, 7, 7, 6], rep=(-1.0, 5.0))
def _(x):
    return tf.reduce_mean(x, axis=[1, 2])


@model("pool_mean_last_int8", "MEAN", [3, 4, 10], rep=(-8.0, 8.0))
def _(x):
    # Averaging shrinks the range: the output scale differs from the input's.
    return tf.reduce_mean(x, axis=-1)


@model("pool_mean_axis0_2_int8", "MEAN", [4, 3, 5, 2], rep=(-0.5, 6.0))
def _(x):
    return tf.reduce_mean(x, axis=[0, 2], keepdims=True)


@model("pool_sum_int8", "SUM", [1, 4, 6], rep=(-1.0, 1.0))
def _(x):
    # TFLite 2.3.0's reference SUM treats int8 data as uint8 (see src/ops/reduce.rs).
    return tf.reduce_sum(x, axis=1)


@model("pool_reduce_max_int8", "REDUCE_MAX", [2, 5, 3])
def _(x):
    return tf.reduce_max(x, axis=[0, 2])


@model("pool_reduce_min_int8", "REDUCE_MIN", [3, 4, 6])
def _(x):
    return tf.reduce_min(x, axis=-1, keepdims=True)


@model("pool_mean_sum_float", "MEAN", [2, 5, 4, 3], kind="float", float_range=(-2.0, 2.0))
def _(x):
    return tf.reduce_mean(x, axis=[1, 3])


@model("pool_sum_float", "SUM", [3, 7, 4], kind="float", float_range=(-100.0, 100.0))
def _(x):
    return tf.reduce_sum(x, axis=[0, 1])


# --- softmax -------------------------------------------------------------------------------


@model("pool_softmax_2d_int8", "SOFTMAX", [3, 10], rep=(-6.0, 6.0))
def _(x):
    return tf.nn.softmax(x)


@model("pool_softmax_1d_int8", "SOFTMAX", [16], rep=(-2.0, 2.0))
def _(x):
    return tf.nn.softmax(x)


@model("pool_softmax_4d_wide_int8", "SOFTMAX", [1, 2, 3, 40], rep=(-20.0, 20.0))
def _(x):
    return tf.nn.softmax(x, axis=-1)


@model("pool_softmax_tiny_scale_int8", "SOFTMAX", [2, 12], rep=(-3e-6, 3e-6))
def _(x):
    # Input scale ≈ 2.4e-8: β·s_in·2^26 ≈ 1.6, just above TFLite's abort threshold (1).
    return tf.nn.softmax(x)


@model("pool_softmax_float", "SOFTMAX", [4, 9], kind="float", float_range=(-10.0, 10.0))
def _(x):
    return tf.nn.softmax(x)


# --- argmax --------------------------------------------------------------------------------


@model("pool_argmax_int8", "ARG_MAX", [2, 3, 11])
def _(x):
    return tf.math.argmax(x, axis=-1)


@model("pool_argmax_axis1_float", "ARG_MAX", [2, 6, 3], kind="float", float_range=(-2.0, 2.0))
def _(x):
    return tf.math.argmax(x, axis=1, output_type=tf.int32)


def edited_softmax(shape, rep, edit):
    """An int8 SOFTMAX model from the converter, then edited in the flatbuffer by `edit(model)`
    (for what the converter never writes: beta != 1, an int16 output)."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as s

    @tf.function(input_signature=[tf.TensorSpec(shape, tf.float32)])
    def f(x):
        return tf.nn.softmax(x)

    m = s.ModelT.InitFromPackedBuf(convert_int8(f, rep=[rep]), 0)
    edit(s, m)
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def set_beta(s, m):
    for op in m.subgraphs[0].operators:
        op.builtinOptions.beta = 0.37


def int16_output(s, m):
    # int8 → int16 softmax, as in keyword_scrambled_8bit (TFLite checks no output quantization).
    sg = m.subgraphs[0]
    t = sg.tensors[sg.operators[0].outputs[0]]
    t.type = s.TensorType.INT16
    t.quantization.scale = [1.0 / 65536]
    t.quantization.zeroPoint = [-32768]


def main():
    failures = []
    for name, op, shape, rep, kind, float_range, body in MODELS:
        f = tf.function(body, input_signature=[tf.TensorSpec(shape, tf.float32)])
        tfl = convert_int8(f, rep=[rep]) if kind == "int8" else convert_float(f)
        ops = ops_of(tfl)
        if ops != [op]:
            failures.append(f"{name}: expected [{op}], the converter wrote {ops}")
            continue
        if len(tfl) > 30_000:
            failures.append(f"{name}: {len(tfl)} bytes")
        kwargs = {"float_range": float_range} if float_range else {}
        diff = save_case(name, tfl, **kwargs)
        print(f"{name}: {ops}, {len(tfl)} bytes, default path differs on {diff} elements")
    for name, shape, rep, edit in [("pool_softmax_beta_int8", [2, 7], (-4.0, 4.0), set_beta),
                                   ("pool_softmax_int16_out_int8", [3, 6], (-3.0, 3.0), int16_output)]:
        tfl = edited_softmax(shape, rep, edit)
        assert ops_of(tfl) == ["SOFTMAX"], ops_of(tfl)
        diff = save_case(name, tfl)
        print(f"{name}: edited, default path differs on {diff} elements")
    if failures:
        print("\n".join(failures), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    np.set_printoptions(linewidth=120)
    main()
