"""Golden single-op models for the activation group (models/golden/act_*).

int8 models: LOGISTIC and TANH over narrow, usual and wide input ranges, standalone RELU /
RELU6 / RELU_N1_TO_1, LEAKY_RELU with alpha 0.2, −0.5 and 3, HARD_SWISH, ELU, GELU (exact and
approximate), and EXP, LOG and ABS side by side. The first case of every int8 input holds all
256 int8 values. float32 models: one model with LOGISTIC, TANH, RELU,
RELU6, RELU_N1_TO_1, LEAKY_RELU and HARD_SWISH side by side, one with EXP, LOG, SQRT, RSQRT, NEG,
ABS and FLOOR, approximate GELU, and ELU (float exact GELU: models/ops_gelu.py); their inputs include ±0, ±inf, NaN, subnormals and the logistic cutoffs.

Reference outputs come from TFLite's BUILTIN_REF kernels, except ELU, which BUILTIN_REF does not
have: its outputs come from BUILTIN_WITHOUT_DEFAULT_DELEGATES (TFLite's only ELU kernel).

Run: /work/venv/bin/python models/ops_act.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fuzz_act import with_opcode  # noqa: E402
from oplib import GOLDEN_DIR, N_CASES, convert_float, convert_int8, ops_of, save_case  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from ai_edge_litert.interpreter import Interpreter, OpResolverType  # noqa: E402

INT8_SHAPE = [1, 8, 8, 4]  # 256 elements


def single(fn, shape):
    @tf.function(input_signature=[tf.TensorSpec(shape, tf.float32)])
    def f(x):
        return fn(x)

    return f


def multi(fns, shape):
    @tf.function(input_signature=[tf.TensorSpec(shape, tf.float32)])
    def f(x):
        return [fn(x) for fn in fns]

    return f


def hard_swish(x):
    return x * tf.nn.relu6(x + 3.0) / 6.0


def int8_inputs(seed):
    rng = np.random.default_rng(seed)
    n = int(np.prod(INT8_SHAPE))
    cases = [rng.permutation(np.arange(-128, 128))] + [rng.integers(-128, 128, n) for _ in range(N_CASES - 1)]
    return [np.concatenate([c.reshape(INT8_SHAPE) for c in cases], axis=0).astype(np.int8)]


SPECIALS = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 1e-40, 3.4e38, -3.4e38, 88.72, -103.9, 16.619047,
            16.619048, -9.0, -9.000001, -3.0, 3.0, 6.0, 1.0, -1.0, 0.5, -0.5, 2.5, -2.5, 1e-7, -20.0, 20.0, 100.0,
            -100.0]


def float_inputs(shape, seed):
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    cases = []
    for c in range(N_CASES):
        v = np.where(rng.random(n) < 0.7, rng.uniform(-8, 8, n), rng.normal(0, 30, n)).astype(np.float32)
        if c == 0:
            v[: len(SPECIALS)] = SPECIALS
        cases.append(v.reshape(shape))
    return [np.concatenate(cases, axis=0)]


def save_with_resolver(name, model_bytes, inputs, resolver):
    """save_case for an operator that BUILTIN_REF lacks: reference outputs from `resolver`."""
    it = Interpreter(model_content=model_bytes, experimental_op_resolver_type=resolver)
    it.allocate_tensors()
    din, douts = it.get_input_details()[0], it.get_output_details()
    per = inputs[0].shape[0] // N_CASES
    outs = [[] for _ in douts]
    for c in range(N_CASES):
        it.set_tensor(din["index"], inputs[0][c * per:(c + 1) * per])
        it.invoke()
        for k, d in enumerate(douts):
            outs[k].append(it.get_tensor(d["index"]).copy())
    with open(os.path.join(GOLDEN_DIR, name + ".tflite"), "wb") as f:
        f.write(model_bytes)
    np.save(os.path.join(GOLDEN_DIR, f"{name}.in0.npy"), inputs[0])
    for k, o in enumerate(outs):
        np.save(os.path.join(GOLDEN_DIR, f"{name}.ref{k}.npy"), np.concatenate(o, axis=0))


def check_ops(name, m, want):
    got = ops_of(m)
    assert sorted(got) == sorted(want), f"{name}: expected {want}, converter produced {got}"


def main():
    os.makedirs(GOLDEN_DIR, exist_ok=True)
    int8_models = [
        ("act_logistic_int8", tf.math.sigmoid, (-8.0, 8.0), "LOGISTIC"),
        ("act_logistic_int8_wide", tf.math.sigmoid, (-120.0, 90.0), "LOGISTIC"),
        ("act_logistic_int8_narrow", tf.math.sigmoid, (-0.3, 0.2), "LOGISTIC"),
        ("act_tanh_int8", tf.math.tanh, (-4.0, 4.0), "TANH"),
        ("act_tanh_int8_wide", tf.math.tanh, (-60.0, 40.0), "TANH"),
        ("act_tanh_int8_narrow", tf.math.tanh, (-0.05, 0.08), "TANH"),
        ("act_relu_int8", tf.nn.relu, (-3.0, 5.0), "RELU"),
        ("act_relu6_int8", tf.nn.relu6, (-10.0, 10.0), "RELU6"),
        ("act_relu_n1_to_1_int8", lambda x: tf.clip_by_value(x, -1.0, 1.0), (-2.5, 1.5), "RELU_N1_TO_1"),
        ("act_leaky_relu_int8", lambda x: tf.nn.leaky_relu(x, alpha=0.2), (-6.0, 6.0), "LEAKY_RELU"),
        ("act_leaky_relu_neg_alpha_int8", lambda x: tf.nn.leaky_relu(x, alpha=-0.5), (-8.0, 3.0), "LEAKY_RELU"),
        ("act_leaky_relu_large_alpha_int8", lambda x: tf.nn.leaky_relu(x, alpha=3.0), (-2.0, 7.0), "LEAKY_RELU"),
        ("act_hard_swish_int8", hard_swish, (-7.0, 9.0), "HARD_SWISH"),
        ("act_gelu_int8", lambda x: tf.nn.gelu(x, approximate=False), (-5.0, 4.0), "GELU"),
        ("act_gelu_approx_int8", lambda x: tf.nn.gelu(x, approximate=True), (-9.0, 3.0), "GELU"),
    ]
    for seed, (name, fn, rng, op) in enumerate(int8_models):
        m = convert_int8(single(fn, INT8_SHAPE), rep=[rng])
        check_ops(name, m, [op])
        diff = save_case(name, m, inputs=int8_inputs(seed))
        print(f"{name}: {len(m)} bytes, default path differs on {diff} elements")

    m = convert_int8(multi([tf.math.exp, tf.math.log, tf.math.abs], INT8_SHAPE), rep=[(-2.0, 3.0)])
    check_ops("act_exp_log_abs_int8", m, ["EXP", "LOG", "ABS"])
    save_case("act_exp_log_abs_int8", m, inputs=int8_inputs(50))
    print(f"act_exp_log_abs_int8: {len(m)} bytes")

    # The converter keeps ELU in float (DEQUANTIZE, ELU, QUANTIZE), but TFLite's ELU kernel has an
    # int8 path: an int8 TANH model with its opcode changed to ELU.
    m = with_opcode(convert_int8(single(tf.math.tanh, INT8_SHAPE), rep=[(-5.0, 3.0)]), "ELU")
    check_ops("act_elu_int8", m, ["ELU"])
    save_with_resolver("act_elu_int8", m, int8_inputs(100), OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    print(f"act_elu_int8: {len(m)} bytes")

    shape = [2, 32]
    acts = [tf.math.sigmoid, tf.math.tanh, tf.nn.relu, tf.nn.relu6, lambda x: tf.clip_by_value(x, -1.0, 1.0),
            lambda x: tf.nn.leaky_relu(x, alpha=-0.3), hard_swish]
    m = convert_float(multi(acts, shape))
    check_ops("act_activations_f32", m,
              ["LOGISTIC", "TANH", "RELU", "RELU6", "RELU_N1_TO_1", "LEAKY_RELU", "HARD_SWISH"])
    save_case("act_activations_f32", m, inputs=float_inputs(shape, 200))
    print(f"act_activations_f32: {len(m)} bytes")

    maths = [tf.math.exp, tf.math.log, tf.math.sqrt, tf.math.rsqrt, tf.math.negative, tf.math.abs, tf.math.floor]
    m = convert_float(multi(maths, shape))
    check_ops("act_unary_f32", m, ["EXP", "LOG", "SQRT", "RSQRT", "NEG", "ABS", "FLOOR"])
    ins = float_inputs(shape, 201)
    ins[0][N_CASES // 2:] = np.abs(ins[0][N_CASES // 2:])  # mostly valid inputs for LOG/SQRT
    save_case("act_unary_f32", m, inputs=ins)
    print(f"act_unary_f32: {len(m)} bytes")

    m = convert_float(single(lambda x: tf.nn.gelu(x, approximate=True), shape))
    check_ops("act_gelu_approx_f32", m, ["GELU"])
    save_case("act_gelu_approx_f32", m, inputs=float_inputs(shape, 203))
    print(f"act_gelu_approx_f32: {len(m)} bytes")

    m = convert_float(single(tf.nn.elu, shape))
    check_ops("act_elu_f32", m, ["ELU"])
    save_with_resolver("act_elu_f32", m, float_inputs(shape, 202), OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    print(f"act_elu_f32: {len(m)} bytes")


if __name__ == "__main__":
    main()
