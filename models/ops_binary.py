#!/usr/bin/env python3
"""Golden single-op models for the element-wise binary operators (group "binary"):
ADD, SUB, MUL, MAXIMUM, MINIMUM (int8 and float32), DIV, POW (float32), SQUARED_DIFFERENCE
(int8 and float32). Same shapes, NumPy broadcasting ([3], [1,1,1,3], a scalar constant,
[1,4,1,3] against [1,1,5,3]), input scales 100x apart, fused RELU/RELU6, constant operands.

    /work/venv/bin/python models/ops_binary.py

Writes models/golden/binary_*.{tflite,in<k>.npy,ref<k>.npy} (see oplib.py).
"""

import numpy as np
import tensorflow as tf

from oplib import N_CASES, convert_float, convert_int8, ops_of, save_case
from tflbuild import binary_model

S = [1, 4, 4, 3]


def fn2(shape1, shape2, body):
    @tf.function(input_signature=[tf.TensorSpec(shape1, tf.float32), tf.TensorSpec(shape2, tf.float32)])
    def f(x, y):
        return body(x, y)

    return f


def fn1(shape, body):
    @tf.function(input_signature=[tf.TensorSpec(shape, tf.float32)])
    def f(x):
        return body(x)

    return f


CONST_1113 = tf.constant(np.array([0.5, -1.25, 2.0], np.float32).reshape(1, 1, 1, 3))

INT8 = [
    # name, function, representative ranges, expected op
    ("add_int8", fn2(S, S, lambda x, y: x + y), [(-1.0, 1.0), (-2.0, 0.5)], "ADD"),
    ("mul_int8", fn2(S, S, lambda x, y: x * y), [(-1.0, 1.0), (-3.0, 2.0)], "MUL"),
    ("add_bcast_c_int8", fn2(S, [3], lambda x, y: x + y), [(-1.0, 1.0), (-4.0, 4.0)], "ADD"),
    ("sub_bcast_outer_int8", fn2([1, 4, 1, 3], [1, 1, 5, 3], lambda x, y: x - y), [(-1.0, 1.0), (-1.5, 0.2)], "SUB"),
    ("add_scalar_const_int8", fn1(S, lambda x: x + 0.7), [(-1.0, 1.0)], "ADD"),
    ("mul_const_int8", fn1(S, lambda x: x * CONST_1113), [(-1.0, 1.0)], "MUL"),
    ("add_scales100_int8", fn2(S, S, lambda x, y: x + y), [(-0.05, 0.05), (-5.0, 5.0)], "ADD"),
    ("sub_scales100_int8", fn2(S, [1, 1, 1, 3], lambda x, y: x - y), [(-8.0, 8.0), (-0.08, 0.08)], "SUB"),
    ("add_relu_int8", fn2(S, S, lambda x, y: tf.nn.relu(x + y)), [(-1.0, 1.0), (-1.0, 1.0)], "ADD"),
    ("sub_relu6_int8", fn2(S, S, lambda x, y: tf.nn.relu6(x - y)), [(-8.0, 8.0), (-4.0, 4.0)], "SUB"),
    ("mul_relu_bcast_int8", fn2(S, [3], lambda x, y: tf.nn.relu(x * y)), [(-2.0, 2.0), (-2.0, 2.0)], "MUL"),
    ("max_bcast_int8", fn2(S, [1, 1, 1, 3], tf.maximum), [(-1.0, 1.0), (-1.0, 1.0)], "MAXIMUM"),
    ("min_int8", fn2(S, S, tf.minimum), [(-1.0, 1.0), (-1.0, 1.0)], "MINIMUM"),
    ("sqdiff_int8", fn2(S, [3], tf.math.squared_difference), [(-1.0, 1.0), (-0.5, 0.5)], "SQUARED_DIFFERENCE"),
]

FLOAT = [
    ("add_float", fn2(S, [3], lambda x, y: x + y), "ADD", None),
    ("sub_relu6_float", fn2([1, 4, 1, 3], [1, 1, 5, 3], lambda x, y: tf.nn.relu6(4.0 * x - y)), "SUB", None),
    ("mul_float", fn2(S, S, lambda x, y: x * y), "MUL", None),
    ("max_min_float", fn2(S, [1, 1, 1, 3], lambda x, y: tf.minimum(tf.maximum(x, y), 0.5)), "MAXIMUM", None),
    ("div_float", fn2(S, [1, 1, 1, 3], lambda x, y: x / y), "DIV", "div"),
    ("sqdiff_float", fn2(S, S, tf.math.squared_difference), "SQUARED_DIFFERENCE", None),
    ("pow_float", fn2(S, [1, 1, 1, 3], tf.pow), "POW", "pow"),
]


def special_inputs(kind, rng):
    x = rng.uniform(-2.0, 2.0, size=[N_CASES] + S[1:]).astype(np.float32)
    y = rng.uniform(-2.0, 2.0, size=[N_CASES, 1, 1, 3]).astype(np.float32)
    if kind == "div":
        y[0, 0, 0, 1] = 0.0  # x/0 → ±FLT_MAX (TFLite clamps to the activation range)
        y[1, 0, 0, 2] = -0.0
        x[2, 0, 0, 0] = 0.0
        y[2, 0, 0, 0] = 0.0  # 0/0 → NaN
    if kind == "pow":
        y[0] = np.array([2.0, 3.0, -1.0], np.float32).reshape(1, 1, 3)  # integer exponents of negatives
        y[1] = np.array([0.5, 0.0, 1.5], np.float32).reshape(1, 1, 3)  # NaN for negative bases
        x[3] = np.abs(x[3])
    return [x, y]


# Single-op models written directly (tflbuild.py), for cases the converter does not produce.
DIRECT = [
    # SUB with output multiplier T/(2^20 s_out) = 2^7 > 1: TFLite's RoundingDivideByPOT with a
    # negative exponent (x86 behaviour: SSE blocks of 4, scalar tail of 3 per invoke).
    ("sub_tiny_out_int8", "SUB", [1, 7], [1, 7], np.int8, ((0.5, 3), (0.25, -7), (2.0**-27, 5)), "NONE", None),
    # ... and broadcasting (scalar path throughout).
    ("sub_tiny_out_bcast_int8", "SUB", [1, 2, 5], [1, 1, 5], np.int8, ((0.5, 3), (0.25, -7), (2.0**-27, 5)),
     "NONE", None),
    # Output ranges that the fused activation really clips (the converter never makes these).
    ("add_relu_n1_clip_int8", "ADD", [1, 4, 4, 3], [3], np.int8, ((0.05, 10), (0.02, -3), (0.02, 7)),
     "RELU_N1_TO_1", None),
    ("mul_relu6_clip_int8", "MUL", [1, 4, 4, 3], [1, 4, 4, 3], np.int8, ((0.1, 0), (0.1, 0), (0.05, -100)),
     "RELU6", None),
    # MAXIMUM compares raw values even when the quantization differs.
    ("max_diffq_int8", "MAXIMUM", [1, 4, 4, 3], [1, 1, 1, 3], np.int8, ((0.1, 5), (0.3, -20), (0.2, 0)),
     "NONE", None),
    # POW with a scalar integer exponent: TFLite's binary exponentiation clamped to +-FLT_MAX.
    ("pow_int_exp_float", "POW", [1, 4, 4, 3], [], np.float32, (None, None, None), "NONE",
     np.array(7.0, np.float32)),
]


def main():
    rng = np.random.default_rng(7)
    rng_direct = np.random.default_rng(8)
    for name, op, s1, s2, dt, quants, act, const in DIRECT:
        out = list(np.broadcast_shapes(tuple(s1), tuple(s2)))
        m = binary_model(op, s1, s2, out, dt, quants, act=act, const2=const, version=2 if dt == np.int8 else 1)
        inputs = None
        if dt == np.float32:
            x = rng_direct.uniform(-3.0, 3.0, size=[N_CASES] + s1[1:]).astype(np.float32)
            x[0, 0, 0, :3] = [np.inf, -3e38, np.nan]
            inputs = [x]
        n = save_case("binary_" + name, m, seed=len(name), inputs=inputs)
        print(f"binary_{name}: {ops_of(m)}, {len(m)} bytes, {n} elements differ on the default path")
    for name, f, rep, op in INT8:
        m = convert_int8(f, rep)
        ops = ops_of(m)
        assert ops == [op], (name, ops)
        n = save_case("binary_" + name, m, seed=len(name))
        print(f"binary_{name}: {ops}, {len(m)} bytes, {n} elements differ on the default path")
    for name, f, op, special in FLOAT:
        m = convert_float(f)
        ops = ops_of(m)
        assert op in ops, (name, ops)
        inputs = special_inputs(special, rng) if special else None
        n = save_case("binary_" + name, m, seed=len(name), float_range=(-2.0, 2.0), inputs=inputs)
        print(f"binary_{name}: {ops}, {len(m)} bytes, {n} elements differ on the default path")


if __name__ == "__main__":
    main()
