#!/usr/bin/env python3
"""Golden single-op models for comparisons, SELECT/SELECT_V2, logical ops, CAST and
L2_NORMALIZATION (group "fops").

From the converter: float32 / int32 / int64 / bool comparisons with broadcasting (several ops
per model, bool outputs), int8 comparisons (inputs with different scales), SELECT_V2 with a bool
input condition and with a comparison condition (float32 and int8), SELECT (v1, rank-one
condition), LOGICAL_AND/OR/NOT, CASTs between float32, int32, int64, int8, uint8, int16 and
bool, L2_NORMALIZATION float32 and int8. Written directly (fuzz_fops.single_op), for what the
converter never makes: uint8 comparisons with input scales above 1 (negative RDBPOT exponents),
quantized int16 EQUAL, uint8 L2_NORMALIZATION, int8 L2_NORMALIZATION with a long row.

Inputs mix random values with repeated ones (so that equal pairs occur) and, for floats, NaN,
infinities and signed zeros.

    /work/venv/bin/python models/ops_fops.py

Writes models/golden/fops_*.{tflite,in<k>.npy,ref<k>.npy} (see oplib.py).
"""

import numpy as np
import tensorflow as tf

from fuzz_fops import T, single_op
from oplib import N_CASES, convert_float, convert_int8, make_inputs, ops_of, save_case

CMPS = ["LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL", "EQUAL", "NOT_EQUAL"]


def fn(specs, body):
    return tf.function(body, input_signature=[tf.TensorSpec(sh, dt) for sh, dt in specs])


def all_cmps(a, b):
    return (a < b, a <= b, a > b, a >= b, tf.equal(a, b), tf.not_equal(a, b))


def pooled(rng, shape, dtype, pool):
    """N_CASES cases stacked on axis 0, half of the values from `pool`."""
    cases = []
    for _ in range(N_CASES):
        if np.issubdtype(np.dtype(dtype), np.integer):
            info = np.iinfo(dtype)
            a = rng.integers(int(info.min), int(info.max) + 1, size=shape, dtype=np.int64)
        elif dtype == np.bool_:
            a = rng.integers(0, 2, size=shape)
        else:
            a = rng.uniform(-2, 2, size=shape)
        mask = rng.random(size=shape) < 0.5
        a = np.where(mask, rng.choice(np.asarray(pool), size=shape), a)
        cases.append(np.asarray(a).astype(dtype))
    return np.concatenate(cases, axis=0)


FPOOL = [0.0, -0.0, 0.5, -1.0, np.nan, np.inf, -np.inf]


def check(name, model, want):
    ops = ops_of(model)
    missing = [o for o in want if o not in ops]
    assert not missing, f"{name}: {missing} not in {ops}"
    assert len(model) < 30_000, f"{name}: {len(model)} bytes"


def save(name, model, want, inputs=None, seed=0, float_range=(-1.0, 1.0)):
    check(name, model, want)
    diff = save_case(name, model, seed=seed, inputs=inputs, float_range=float_range)
    print(f"{name}: {ops_of(model)}; default path differs on {diff} elements")


def main():
    rng = np.random.default_rng(7)

    # --- comparisons from the converter
    f = fn([([1, 4, 3], tf.float32), ([3], tf.float32)], all_cmps)
    save("fops_compare_f32", convert_float(f), CMPS,
         inputs=[pooled(rng, [1, 4, 3], np.float32, FPOOL), pooled(rng, [3], np.float32, FPOOL)])

    f = fn([([2, 1, 5], tf.int32), ([1, 3, 5], tf.int32)], all_cmps)
    save("fops_compare_int32", convert_float(f), CMPS,
         inputs=[pooled(rng, [2, 1, 5], np.int32, [0, -1, 7, 2**31 - 1]), pooled(rng, [1, 3, 5], np.int32, [0, -1, 7, -2**31])])

    f = fn([([1, 6], tf.int64), ([1, 6], tf.int64)], lambda a, b: (a < b, tf.equal(a, b), a >= b))
    save("fops_compare_int64", convert_float(f), ["LESS", "EQUAL", "GREATER_EQUAL"],
         inputs=[pooled(rng, [1, 6], np.int64, [0, 5, -2**63]), pooled(rng, [1, 6], np.int64, [0, 5, 2**63 - 1])])

    f = fn([([1, 2, 3], tf.float32), ([1, 1, 3], tf.float32)], all_cmps)
    m = convert_int8(f, rep=[(-2.0, 2.0), (-0.5, 1.5)])
    save("fops_compare_int8_dequantized", m, CMPS + ["DEQUANTIZE"])  # the converter compares in float

    f = fn([([1, 4, 2], tf.bool), ([2], tf.bool)],
           lambda a, b: (tf.equal(a, b), tf.not_equal(a, b), tf.logical_and(a, b), tf.logical_or(a, b),
                         tf.logical_not(a)))
    save("fops_bool_logical", convert_float(f), ["EQUAL", "NOT_EQUAL", "LOGICAL_AND", "LOGICAL_OR", "LOGICAL_NOT"])

    # --- SELECT / SELECT_V2
    f = fn([([1, 3, 1], tf.bool), ([1, 1, 4], tf.float32), ([1, 3, 4], tf.float32)],
           lambda c, x, y: tf.where(c, x, y))
    save("fops_select_v2_bcast_f32", convert_float(f), ["SELECT_V2"],
         inputs=[pooled(rng, [1, 3, 1], np.bool_, [True]), pooled(rng, [1, 1, 4], np.float32, FPOOL),
                 pooled(rng, [1, 3, 4], np.float32, FPOOL)])

    f = fn([([1, 4, 3], tf.float32), ([1, 4, 3], tf.float32)], lambda a, b: tf.where(a > b, a, b * 0.5))
    m = convert_int8(f, rep=[(-1.0, 1.0), (-3.0, 3.0)])
    save("fops_select_cmp_int8", m, ["SELECT", "GREATER"])

    f = fn([([3], tf.bool), ([3, 2], tf.int32), ([3, 2], tf.int32)],
           lambda c, x, y: tf.raw_ops.Select(condition=c, x=x, y=y))
    save("fops_select_rank1_int32", convert_float(f), ["SELECT"])

    # --- CAST
    f = fn([([2, 6], tf.float32)],
           lambda x: (tf.cast(x, tf.int32), tf.cast(x, tf.int8), tf.cast(x, tf.uint8), tf.cast(x, tf.int16),
                      tf.cast(x, tf.int64), tf.cast(x, tf.bool)))
    xs = pooled(rng, [2, 6], np.float32, [np.nan, np.inf, -np.inf, -0.0, 300.7, -129.5, 2.5e9, -2.5, 255.9])
    save("fops_cast_from_f32", convert_float(f), ["CAST"], inputs=[xs * np.float32(40)])

    f = fn([([1, 8], tf.int32)],
           lambda x: (tf.cast(x, tf.float32), tf.cast(x, tf.int8), tf.cast(x, tf.uint8), tf.cast(x, tf.int16),
                      tf.cast(x, tf.int64), tf.cast(x, tf.bool)))
    save("fops_cast_from_int32", convert_float(f), ["CAST"])

    f = fn([([1, 5], tf.bool), ([1, 5], tf.int64)],
           lambda b, i: (tf.cast(b, tf.float32), tf.cast(b, tf.int32), tf.cast(i, tf.float32), tf.cast(i, tf.int32)))
    save("fops_cast_bool_int64", convert_float(f), ["CAST"],
         inputs=[pooled(rng, [1, 5], np.bool_, [True]), pooled(rng, [1, 5], np.int64, [2**53 + 1, -(2**40) - 1, 2**31])])

    # --- L2_NORMALIZATION
    f = fn([([2, 3, 8], tf.float32)], lambda x: tf.math.l2_normalize(x, axis=-1))
    xf = pooled(rng, [2, 3, 8], np.float32, [0.0, 1e-9, -1e-8, 3.0])
    save("fops_l2norm_f32", convert_float(f), ["L2_NORMALIZATION"], inputs=[xf])

    f = fn([([1, 4, 16], tf.float32)], lambda x: tf.math.l2_normalize(x, axis=-1))
    save("fops_l2norm_int8", convert_int8(f, rep=[(-0.5, 2.0)]), ["L2_NORMALIZATION"])

    # --- written directly
    def direct(name, op, ins, outs, feeds, want, opts=None):
        m = single_op(op, ins, outs, opts)
        save(name, m, want, inputs=feeds)

    a = pooled(rng, [1, 2, 5], np.uint8, [0, 128, 255])
    b = pooled(rng, [1, 1, 5], np.uint8, [0, 128, 255])
    direct("fops_less_uint8_big_scales", "LESS",
           [T("a", "uint8", [1, 2, 5], q=(3.7, 128)), T("b", "uint8", [1, 1, 5], q=(2.5, 120))],
           [T("o", "bool", [1, 2, 5])], [a, b], ["LESS"])
    a = pooled(rng, [2, 3, 4], np.int8, [0, 8, -128, 127])
    b = pooled(rng, [3, 1], np.int8, [0, 8, -128, 127])
    for op in ["LESS", "GREATER_EQUAL", "EQUAL", "NOT_EQUAL"]:
        direct(f"fops_{op.lower()}_int8", op,
               [T("a", "int8", [2, 3, 4], q=(0.05, 8)), T("b", "int8", [3, 1], q=(0.1, -4))],
               [T("o", "bool", [2, 3, 4])], [a, b], [op])
    a = pooled(rng, [1, 12], np.uint8, [0, 128, 255, 130])
    b = pooled(rng, [1, 12], np.uint8, [0, 128, 255, 132])
    direct("fops_equal_uint8_mixed_scales", "EQUAL",
           [T("a", "uint8", [1, 12], q=(0.02, 128)), T("b", "uint8", [1, 12], q=(0.01, 126))],
           [T("o", "bool", [1, 12])], [a, b], ["EQUAL"])
    a = pooled(rng, [1, 12], np.int16, [0, 100, -32768, 32767])
    b = pooled(rng, [1, 12], np.int16, [0, 200, -32768, 32767])
    direct("fops_equal_int16_quantized", "EQUAL",
           [T("a", "int16", [1, 12], q=(0.002, 0)), T("b", "int16", [1, 12], q=(0.001, 0))],
           [T("o", "bool", [1, 12])], [a, b], ["EQUAL"])
    x = pooled(rng, [1, 3, 7], np.uint8, [127, 128, 129])
    direct("fops_l2norm_uint8", "L2_NORMALIZATION", [T("x", "uint8", [1, 3, 7], q=(0.1, 128))],
           [T("o", "uint8", [1, 3, 7], q=(1.0 / 128, 128))], [x], ["L2_NORMALIZATION"],
           ("L2NormOptions", {"fusedActivationFunction": 0}))
    x = pooled(rng, [1, 1, 600], np.int8, [-128, 127])
    direct("fops_l2norm_int8_long_row", "L2_NORMALIZATION", [T("x", "int8", [1, 1, 600], q=(0.05, -3))],
           [T("o", "int8", [1, 1, 600], q=(1.0 / 128, 0))], [x], ["L2_NORMALIZATION"],
           ("L2NormOptions", {"fusedActivationFunction": 0}))


if __name__ == "__main__":
    main()
