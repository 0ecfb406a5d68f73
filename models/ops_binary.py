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
    ("sub_int8", fn2(S, S, lambda x, y: x - y), [(-1.0, 1.0), (-0.5, 3.0)], "SUB"),
    ("mul_int8", fn2(S, S, lambda x, y: x * y), [(-1.0, 1.0), (-3.0, 2.0)], "MUL"),
    ("add_bcast_c_int8", fn2(S, [3], lambda x, y: x + y), [(-1.0, 1.0), (-4.0, 4.0)], "ADD"),
    ("mul_bcast_1113_int8", fn2(S, [1, 1, 1, 3], lambda x, y: x * y), [(-2.0, 2.0), (0.0, 1.0)], "MUL"),
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


def main():
    rng = np.random.default_rng(7)
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
