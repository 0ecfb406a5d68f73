#!/usr/bin/env python3
"""Golden single-op models for quantized DIV (group "div"): int8 from the converter (same shapes,
broadcasting, fused RELU/RELU6, a constant dividend, 1/y with a scalar constant, divisors of
either sign) and models written directly (tflbuild.py) for what the converter never makes: uint8,
real multipliers s1/(s2·s_out) far above 2^23 (negative RDBPOT exponents) and below 2^-31 (a zero
multiplier), an output range that RELU_N1_TO_1 clips, and many zero dividends with a multiplier < 1
(TFLite's x86 build gives zp_out + 1 for 0/y there and saturates small quotients, see
src/ops/div.rs; so does div_bcast_outer_mixed_sign_int8, whose mixed-sign divisor range makes the
multiplier 0.012). Plus one float32 model.

A divisor equal to its zero point makes TFLite's invoke fail (`CheckNonZero`), so the divisor
inputs here avoid it (a value at the zero point is moved one step away). A constant divisor is
converted to MUL by the converter, so it does not appear.

    /work/venv/bin/python models/ops_div.py

Writes models/golden/div_*.{tflite,in<k>.npy,ref<k>.npy} (see oplib.py).
"""

import numpy as np
import tensorflow as tf

from oplib import N_CASES, convert_float, convert_int8, make_inputs, ops_of, save_case
from tflbuild import binary_model, s

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
    # name, function, representative ranges (dividend, divisor)
    ("div_int8", fn2(S, S, lambda x, y: x / y), [(-1.0, 1.0), (0.5, 2.0)]),
    ("div_neg_divisor_relu_int8", fn2(S, S, lambda x, y: tf.nn.relu(x / y)), [(-1.0, 1.0), (-2.0, -0.25)]),
    ("div_bcast_c_int8", fn2(S, [3], lambda x, y: x / y), [(-4.0, 4.0), (0.25, 3.0)]),
    ("div_bcast_outer_mixed_sign_int8", fn2([1, 4, 1, 3], [1, 1, 5, 3], lambda x, y: x / y), [(-1.0, 1.0), (-3.0, 3.0)]),
    ("div_relu6_bcast_int8", fn2(S, [1, 1, 1, 3], lambda x, y: tf.nn.relu6(x / y)), [(0.0, 8.0), (0.1, 1.0)]),
    ("div_const_dividend_int8", fn1(S, lambda y: CONST_1113 / y), [(0.5, 2.0)]),
    ("div_reciprocal_int8", fn1(S, lambda y: 1.0 / y), [(0.05, 4.0)]),
]

# Written directly: (name, shape1, shape2, dtype, ((s1, zp1), (s2, zp2), (s_out, zp_out)), activation)
DIRECT = [
    # s1/(s2·s_out) = 0.1: every 0/y is zp_out + 1 in TFLite (RDBPOT exponent ≥ 32).
    ("div_zero_dividend_int8", [1, 64], [1, 64], np.int8, ((0.01, 5), (0.1, -3), (1.0, 2)), "NONE"),
    ("div_uint8", [1, 6, 5], [1, 6, 5], np.uint8, ((0.05, 128), (0.02, 120), (0.1, 130)), "NONE"),
    ("div_uint8_bcast_relu6", [1, 3, 4], [4], np.uint8, ((0.1, 10), (0.03, 200), (0.03, 20)), "RELU6"),
    # s1/(s2·s_out) ≈ 2^28: total shift positive for small |x1| (RDBPOT with negative exponents).
    ("div_huge_multiplier_int8", [1, 64], [1, 64], np.int8, ((4.0, -7), (0.125, 11), (2.0**-25 * 1.3, 0)), "NONE"),
    # s1/(s2·s_out) ≈ 2^-35: QuantizeMultiplier flushes it to zero.
    ("div_tiny_multiplier_int8", [1, 32], [1, 32], np.int8, ((2.0**-30, 3), (8.0, 0), (16.0, -1)), "NONE"),
    ("div_relu_n1_clip_int8", [1, 4, 3], [1, 1, 3], np.int8, ((0.05, 10), (0.02, -3), (0.02, 7)), "RELU_N1_TO_1"),
]


def operand(model_bytes, k):
    """(model input position of the DIV's operand k, or None if it is constant; its zero point)."""
    m = s.Model.GetRootAs(model_bytes, 0)
    sg = m.Subgraphs(0)
    t = sg.Operators(0).Inputs(k)
    zp = int(sg.Tensors(t).Quantization().ZeroPoint(0))
    inputs = [sg.Inputs(i) for i in range(sg.InputsLength())]
    return (inputs.index(t) if t in inputs else None), zp


def div_inputs(model_bytes, seed, zero_dividends=False):
    """make_inputs, with the divisor moved off its zero point (TFLite refuses to divide by zero);
    `zero_dividends` puts the dividend's zero point into a quarter of the dividend elements."""
    inputs = make_inputs(model_bytes, seed)
    pos1, zp1 = operand(model_bytes, 0)
    pos2, zp2 = operand(model_bytes, 1)
    if zero_dividends and pos1 is not None:
        x = inputs[pos1]
        rng = np.random.default_rng(seed + 1)
        x[rng.random(x.shape) < 0.25] = zp1
    if pos2 is not None:
        info = np.iinfo(inputs[pos2].dtype)
        y = inputs[pos2]
        y[y == zp2] = zp2 + 1 if zp2 < info.max else zp2 - 1
    return inputs


def main():
    for name, op_shape1, op_shape2, dt, quants, act in DIRECT:
        out = list(np.broadcast_shapes(tuple(op_shape1), tuple(op_shape2)))
        m = binary_model("DIV", op_shape1, op_shape2, out, dt, quants, act=act, version=2)
        inputs = div_inputs(m, len(name), zero_dividends=True)
        n = save_case(name, m, inputs=inputs)
        print(f"{name}: {ops_of(m)}, {len(m)} bytes, {n} elements differ on the default path")
    for name, f, rep in INT8:
        m = convert_int8(f, rep)
        ops = ops_of(m)
        assert ops == ["DIV"], (name, ops)
        n = save_case(name, m, inputs=div_inputs(m, len(name), zero_dividends=True))
        print(f"{name}: {ops}, {len(m)} bytes, {n} elements differ on the default path")

    # float32: broadcasting with RELU6, divisions by ±0 (→ the activation's bounds) and 0/0 (NaN).
    m = convert_float(fn2([1, 4, 1, 3], [1, 1, 5, 3], lambda x, y: tf.nn.relu6(x / y)))
    assert ops_of(m) == ["DIV"], ops_of(m)
    rng = np.random.default_rng(5)
    x = rng.uniform(-3.0, 3.0, size=[N_CASES, 4, 1, 3]).astype(np.float32)
    y = rng.uniform(-2.0, 2.0, size=[N_CASES, 1, 5, 3]).astype(np.float32)
    y[0, 0, 0, :] = [0.0, -0.0, 0.0]
    x[0, 0, 0, :] = [1.0, 1.0, 0.0]
    x[1, 1, 0, :] = [np.inf, -np.inf, np.nan]
    n = save_case("div_relu6_bcast_float", m, inputs=[x, y])
    print(f"div_relu6_bcast_float: {ops_of(m)}, {len(m)} bytes, {n} elements differ on the default path")


if __name__ == "__main__":
    main()
