#!/usr/bin/env python3
"""Golden single-op models for the int16 (16x8 mode, zero point 0) and legacy uint8 (TF1
fake-quant, asymmetric) paths of ADD, SUB, MUL, MEAN, AVERAGE_POOL_2D, MAX_POOL_2D,
CONCATENATION, PAD, RESHAPE, QUANTIZE, DEQUANTIZE, MAXIMUM (group "i16elt").

int16 models come from TensorFlow's converter with
EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8 and int16 (or float32) I/O; uint8
models from TF1 graphs with fake-quant nodes converted with inference_type=tf.uint8 (as in
/work/notes/uint8_example.py). A few models are written directly as flatbuffers (models/
fuzz_i16elt.py's builder) for paths the converter does not emit: int16 ADD/SUB with
power-of-two scales (pot_scale_int16), int16 x int16 -> int8 MUL, QUANTIZE uint8 -> int8 and
int16 -> int8.

    /work/venv/bin/python models/ops_i16elt.py [NAME ...]    # all models, or only these

Writes models/golden/i16elt_*.{tflite,in<k>.npy,ref<k>.npy} (see oplib.py).
"""

import sys

import tensorflow as tf

from fuzz_i16elt import T, single_op
from oplib import _converter, ops_of, representative, save_case

tf1 = tf.compat.v1
S = [1, 4, 4, 3]


def conv16(fn, rep, float_io=False):
    c = _converter(fn)
    c.optimizations = [tf.lite.Optimize.DEFAULT]
    c.representative_dataset = representative(fn, rep)
    c.target_spec.supported_ops = [tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
    if not float_io:
        c.inference_input_type = tf.int16
        c.inference_output_type = tf.int16
    return c.convert()


def fn(*shapes):
    def deco(body):
        return tf.function(body, input_signature=[tf.TensorSpec(sh, tf.float32) for sh in shapes])
    return deco


@fn(S, S)
def add16(x, y):
    return x + y


@fn(S, [3])
def sub16(x, y):
    return x - y


@fn(S, [1, 1, 4, 3])
def mul16(x, y):
    return tf.nn.relu(x * y)


@fn(S)
def mean16(x):
    return tf.reduce_mean(x, axis=[1, 2], keepdims=True)


@fn([1, 5, 6, 3])
def avg16(x):
    return tf.nn.avg_pool2d(x, 3, 2, "SAME")


@fn([1, 5, 6, 3])
def max16(x):
    return tf.nn.max_pool2d(x, 2, 2, "VALID")


@fn(S, S)
def concat16(x, y):
    return tf.concat([x, 3.0 * y], axis=2)


@fn(S)
def pad16(x):
    return tf.reshape(tf.pad(x, [[0, 0], [1, 0], [0, 2], [0, 0]]), [1, 5, 18])


@fn(S, S)
def addq16(x, y):
    return x + y


INT16 = [
    ("add_int16", add16, [(-1.0, 1.0), (-3.0, 2.0)], "ADD", False),
    ("sub_bcast_int16", sub16, [(-2.0, 2.0), (-0.5, 0.5)], "SUB", False),
    ("mul_relu_bcast_int16", mul16, [(-1.0, 1.0), (-4.0, 4.0)], "MUL", False),
    ("mean_int16", mean16, [(-1.0, 3.0)], "MEAN", False),
    ("avgpool_same_int16", avg16, [(-2.0, 2.0)], "AVERAGE_POOL_2D", False),
    ("maxpool_int16", max16, [(-2.0, 2.0)], "MAX_POOL_2D", False),
    ("concat_int16", concat16, [(-1.0, 1.0), (-1.0, 1.0)], "CONCATENATION", False),
    ("pad_reshape_int16", pad16, [(-1.0, 1.0)], "PAD", False),
    ("add_floatio_int16", addq16, [(-1.0, 1.0), (-2.0, 2.0)], "QUANTIZE", True),
]


def conv_uint8(build, inputs):
    """build(placeholders) -> output tensor (with its own fake-quant); inputs: [(shape, lo, hi)]."""
    g = tf1.Graph()
    with g.as_default():
        phs, qs, stats = [], [], {}
        for k, (shape, lo, hi) in enumerate(inputs):
            x = tf1.placeholder(tf.float32, shape, name=f"x{k}")
            phs.append(x)
            qs.append(tf1.quantization.fake_quant_with_min_max_args(x, min=lo, max=hi))
            scale = (hi - lo) / 255.0
            stats[f"x{k}"] = (-lo / scale, 1.0 / scale)
        y = build(*qs)
        with tf1.Session(graph=g) as sess:
            c = tf1.lite.TFLiteConverter.from_session(sess, phs, [y])
            c.inference_type = tf.uint8
            c.quantized_input_stats = stats
            return c.convert()


def fq(t, lo, hi):
    return tf1.quantization.fake_quant_with_min_max_args(t, min=lo, max=hi)


UINT8 = [
    ("add_uint8", lambda x, y: fq(x + y, -3.0, 3.5), [(S, -1.0, 1.0), (S, -2.0, 2.5)], "ADD"),
    ("sub_uint8", lambda x, y: fq(x - y, -4.0, 2.0), [(S, -1.0, 1.0), (S, -1.5, 3.0)], "SUB"),
    ("mul_relu_uint8", lambda x, y: fq(tf.nn.relu(x * y), 0.0, 4.0), [(S, -1.0, 2.0), (S, -2.0, 2.0)], "MUL"),
    ("mean_uint8", lambda x: fq(tf.reduce_mean(x, axis=[1, 2], keepdims=True), -0.5, 1.5), [(S, -1.0, 2.0)], "MEAN"),
    ("avgpool_uint8", lambda x: tf.nn.avg_pool2d(x, 2, 1, "SAME"), [([1, 5, 5, 2], -1.0, 3.0)], "AVERAGE_POOL_2D"),
    ("maxpool_relu6_uint8", lambda x: fq(tf.nn.relu6(tf.nn.max_pool2d(x, 3, 2, "VALID")), 0.0, 6.0),
     [([1, 7, 6, 2], -4.0, 8.0)], "MAX_POOL_2D"),
    ("concat_rescale_uint8", lambda x, y: fq(tf.concat([x, y], axis=3), -3.0, 3.0),
     [(S, -1.0, 1.0), (S, -3.0, 2.0)], "CONCATENATION"),
    ("pad_uint8", lambda x: tf.pad(x, [[0, 0], [2, 1], [1, 1], [0, 0]]), [(S, 0.5, 3.0)], "PAD"),
    ("sum_uint8", lambda x: fq(tf.reduce_sum(x, axis=[3]), -3.0, 6.0), [(S, -1.0, 2.0)], "SUM"),
    ("max_uint8", lambda x, y: fq(tf.maximum(x, y), -2.0, 2.0), [(S, -1.0, 1.0), (S, -2.0, 2.0)], "MAXIMUM"),
]


def direct():
    """Paths the converter does not emit."""
    out = []
    # int16 ADD / SUB with power-of-two scales and pot_scale_int16 (the LSTM path).
    s1, s2, so = 2.0 ** -12, 2.0 ** -14, 2.0 ** -12
    out.append(("add_pot_int16", single_op(
        "ADD", [T("a", "int16", [2, 3, 5], q=(s1, 0)), T("b", "int16", [2, 3, 5], q=(s2, 0))],
        [T("y", "int16", [2, 3, 5], q=(so, 0))], fusedActivationFunction=0, potScaleInt16=True), "ADD"))
    out.append(("sub_pot_bcast_int16", single_op(
        "SUB", [T("a", "int16", [2, 3, 5], q=(s2, 0)), T("b", "int16", [5], q=(s1, 0))],
        [T("y", "int16", [2, 3, 5], q=(so, 0))], fusedActivationFunction=1, potScaleInt16=True), "SUB"))
    # int16 x int16 -> int8 MUL (Q0.15 product, RDBPOT by 8).
    out.append(("mul_int16_to_int8", single_op(
        "MUL", [T("a", "int16", [3, 7], q=(2.0 ** -15, 0)), T("b", "int16", [3, 7], q=(2.0 ** -15, 0))],
        [T("y", "int8", [3, 7], q=(2.0 ** -7, 5))], fusedActivationFunction=0), "MUL"))
    # QUANTIZE uint8 -> int8 (the zero point shift of 128) and int16 -> int8.
    out.append(("quantize_uint8_to_int8", single_op(
        "QUANTIZE", [T("x", "uint8", [4, 9], q=(0.02, 131))], [T("y", "int8", [4, 9], q=(0.03, -7))]), "QUANTIZE"))
    out.append(("quantize_int16_to_int8", single_op(
        "QUANTIZE", [T("x", "int16", [4, 9], q=(1e-4, 0))], [T("y", "int8", [4, 9], q=(0.01, 3))]), "QUANTIZE"))
    out.append(("quantize_float_to_uint8", single_op(
        "QUANTIZE", [T("x", "float32", [4, 9])], [T("y", "uint8", [4, 9], q=(0.004, 120))]), "QUANTIZE"))
    out.append(("dequantize_uint8", single_op(
        "DEQUANTIZE", [T("x", "uint8", [4, 9], q=(0.07, 37))], [T("y", "float32", [4, 9])]), "DEQUANTIZE"))
    out.append(("dequantize_int16", single_op(
        "DEQUANTIZE", [T("x", "int16", [4, 9], q=(3.1e-5, 0))], [T("y", "float32", [4, 9])]), "DEQUANTIZE"))
    return out


def main():
    only = set(sys.argv[1:])

    def want(name):
        return not only or name in only

    for name, f, rep, op, float_io in INT16:
        if not want(name):
            continue
        m = conv16(f, rep, float_io)
        assert op in ops_of(m), (name, ops_of(m))
        save_case("i16elt_" + name, m, float_range=(-2.0, 2.0))
        print(name, ops_of(m), len(m))
    for name, build, inputs, op in UINT8:
        if not want(name):
            continue
        m = conv_uint8(build, inputs)
        assert op in ops_of(m), (name, ops_of(m))
        save_case("i16elt_" + name, m)
        print(name, ops_of(m), len(m))
    for name, m, op in direct():
        if not want(name):
            continue
        save_case("i16elt_" + name, m)
        print(name, ops_of(m), len(m))


if __name__ == "__main__":
    main()
