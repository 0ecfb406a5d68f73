"""Golden models of the int16 (int16x8) and uint8 (TF1 legacy) activations: SOFTMAX, LOGISTIC,
TANH, LEAKY_RELU, RELU, RELU6, RELU_N1_TO_1, HARD_SWISH, ARG_MAX, ARG_MIN.

int16 models come from TensorFlow's converter in the int16x8 mode
(EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8, int16 I/O); the `_pot` variants have
their input scale set to a power of two afterwards (2^-12, 2^-11) to reach the power-of-two path of
TFLite's int16 LOGISTIC/TANH, which the converter's max/32767 scales never hit. uint8 models are TF1
graphs with fake-quant nodes converted with inference_type=uint8 (see /work/notes/uint8_example.py).

Writes models/golden/i16act_*.tflite with inputs and BUILTIN_REF outputs (oplib.save_case).
Usage: /work/venv/bin/python models/ops_i16act.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oplib import ops_of, representative, save_case  # noqa: E402

import flatbuffers  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from ai_edge_litert import schema_py_generated as schema  # noqa: E402

tf1 = tf.compat.v1


def convert_int16(fn, rep):
    c = tf.lite.TFLiteConverter.from_concrete_functions([fn.get_concrete_function()], fn)
    c.optimizations = [tf.lite.Optimize.DEFAULT]
    c.representative_dataset = representative(fn, rep)
    c.target_spec.supported_ops = [tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
    c.inference_input_type = tf.int16
    c.inference_output_type = tf.int16
    return c.convert()


def int16_model(shape, body, rep):
    @tf.function(input_signature=[tf.TensorSpec(shape, tf.float32)])
    def f(x):
        return body(x)
    return convert_int16(f, [rep])


def convert_uint8(shape, body, in_range, out_ranges):
    """TF1 graph: x (fake-quantized to in_range) → body → each output fake-quantized to its range."""
    g = tf1.Graph()
    lo, hi = in_range
    with g.as_default():
        x = tf1.placeholder(tf.float32, shape, name="x")
        xq = tf1.quantization.fake_quant_with_min_max_args(x, min=lo, max=hi)
        ys = body(xq)
        ys = ys if isinstance(ys, (list, tuple)) else [ys]
        outs = []
        for y, r in zip(ys, out_ranges):
            outs.append(y if r is None else tf1.quantization.fake_quant_with_min_max_args(y, min=r[0], max=r[1]))
        with tf1.Session(graph=g) as s:
            c = tf1.lite.TFLiteConverter.from_session(s, [x], outs)
            c.inference_type = tf.uint8
            std = 255.0 / (hi - lo)
            c.quantized_input_stats = {"x": (-lo * std, std)}
            return c.convert()


def set_input_scale(model_bytes, scale):
    m = schema.ModelT.InitFromPackedBuf(model_bytes, 0)
    sg = m.subgraphs[0]
    sg.tensors[sg.inputs[0]].quantization.scale = [scale]
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def hard_swish(x):
    return x * tf.nn.relu6(x + 3.0) / 6.0


def case(name, model, ops, seed=0):
    got = ops_of(model)
    assert got == ops, f"{name}: converter produced {got}, wanted {ops}"
    assert len(model) < 30_000, f"{name}: {len(model)} bytes"
    diff = save_case("i16act_" + name, model, seed=seed)
    print(f"i16act_{name}: {got}, {len(model)} bytes, {diff} elements differ on the default path")


def main():
    # int16x8.
    case("softmax_int16", int16_model([2, 10], tf.nn.softmax, (-6.0, 6.0)), ["SOFTMAX"])
    case("softmax_int16_3d", int16_model([1, 4, 33], lambda x: tf.nn.softmax(x, axis=-1), (-30.0, 30.0)),
         ["SOFTMAX"], seed=1)
    case("logistic_int16", int16_model([3, 40], tf.math.sigmoid, (-8.0, 8.0)), ["LOGISTIC"])
    case("logistic_int16_pot", set_input_scale(int16_model([3, 40], tf.math.sigmoid, (-8.0, 8.0)), 2.0 ** -12),
         ["LOGISTIC"], seed=2)
    case("tanh_int16", int16_model([3, 40], tf.math.tanh, (-5.0, 5.0)), ["TANH"])
    case("tanh_int16_pot", set_input_scale(int16_model([3, 40], tf.math.tanh, (-5.0, 5.0)), 2.0 ** -11),
         ["TANH"], seed=3)
    case("leaky_relu_int16", int16_model([2, 3, 17], lambda x: tf.nn.leaky_relu(x, alpha=0.15), (-4.0, 7.0)),
         ["LEAKY_RELU"])
    case("relu_int16", int16_model([4, 25], tf.nn.relu, (-3.0, 9.0)), ["RELU"])
    case("relu6_int16", int16_model([4, 25], tf.nn.relu6, (-8.0, 8.0)), ["RELU6"])

    # uint8 (TF1 fake-quant conversion).
    case("softmax_uint8", convert_uint8([2, 12], tf.nn.softmax, (-6.0, 6.0), [(0.0, 255.0 / 256.0)]), ["SOFTMAX"])
    case("logistic_uint8", convert_uint8([3, 20], tf.math.sigmoid, (-8.0, 6.0), [(0.0, 255.0 / 256.0)]),
         ["LOGISTIC"])
    case("tanh_uint8", convert_uint8([3, 20], tf.math.tanh, (-3.0, 4.0), [(-1.0, 127.0 / 128.0)]), ["TANH"])
    case("relu_family_uint8",
         convert_uint8([2, 30], lambda x: [tf.nn.relu(x), tf.nn.relu6(x), tf.clip_by_value(x, -1.0, 1.0)],
                       (-5.0, 9.0), [(0.0, 9.0), (0.0, 6.0), (-1.0, 1.0)]),
         ["RELU", "RELU6", "RELU_N1_TO_1"])
    case("leaky_relu_uint8",
         convert_uint8([2, 30], lambda x: tf.nn.leaky_relu(x, alpha=0.3), (-5.0, 9.0), [(-1.5, 9.0)]),
         ["LEAKY_RELU"])
    case("hard_swish_uint8", convert_uint8([2, 30], hard_swish, (-5.0, 5.0), [(-0.375, 5.0)]), ["HARD_SWISH"])
    case("arg_max_uint8",
         convert_uint8([3, 4, 9], lambda x: tf.math.argmax(x, axis=1, output_type=tf.int32), (-2.0, 2.0), [None]),
         ["ARG_MAX"])
    case("arg_min_uint8",
         convert_uint8([3, 4, 9], lambda x: tf.math.argmin(x, axis=-1), (-2.0, 2.0), [None]), ["ARG_MIN"])


if __name__ == "__main__":
    main()
