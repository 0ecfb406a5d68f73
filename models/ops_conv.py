#!/usr/bin/env python3
"""Golden single-op models for CONV_2D, DEPTHWISE_CONV_2D and TRANSPOSE_CONV (group "conv").

    /work/venv/bin/python models/ops_conv.py

Writes models/golden/conv_*.tflite with seeded inputs and TFLite reference-kernel outputs
(BUILTIN_REF), see models/oplib.py. Each model is checked to contain exactly the intended op.
A few models are patched in the flatbuffer after conversion (with the same helper as
models/fuzz_conv.py) to reach cases the converter never emits: a filter given as a model input, a requantization multiplier
above 1 (left shift), a fused RELU_N1_TO_1, a fused activation on TRANSPOSE_CONV, a depthwise
depth_multiplier field that disagrees with the shapes (TFLite ignores it).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from oplib import convert_float, convert_int8, interpreter, ops_of, save_case  # noqa: E402

import fuzz_conv  # noqa: E402

L = tf.keras.layers
RNG = np.random.default_rng(20261126)


def keras(shape, *layers, batch=1):
    tf.keras.utils.set_random_seed(int(RNG.integers(0, 2**31)))
    inp = tf.keras.Input(shape, batch_size=batch)
    x = inp
    for layer in layers:
        x = layer(x)
    m = tf.keras.Model(inp, x)
    for layer in m.layers:  # Keras starts biases at zero: make them random
        if getattr(layer, "bias", None) is not None:
            layer.bias.assign(RNG.normal(0, 0.3, size=layer.bias.shape).astype(np.float32))
    return m


def weights(shape, mag=0.5):
    return tf.constant(RNG.normal(0, mag, size=shape).astype(np.float32))


def fn(spec_shape, body):
    @tf.function(input_signature=[tf.TensorSpec(spec_shape, tf.float32)])
    def f(x):
        return body(x)

    return f


def patched(model_bytes, op, **changes):
    """Applies fuzz_conv's flatbuffer patches (keys as in fuzz_conv.rand_config)."""
    c = dict(op=op, dtype="int8", patch_act=None, patch_out_q=None, patch_in_zp=None, patch_stride_dil=None,
             patch_dm_field=None, patch_drop_bias=False)
    c.update(changes)
    return fuzz_conv.patch(model_bytes, c)


def filter_as_input(model_bytes):
    """The converter feeds a non-constant filter through TRANSPOSE or RESHAPE: drop that first
    operator and make its output a model input, so the filter is given in TFLite's layout."""
    import flatbuffers

    m = fuzz_conv.fb.ModelT.InitFromPackedBuf(model_bytes, 0)
    sg = m.subgraphs[0]
    first = sg.operators[0]
    sg.inputs = [first.outputs[0] if i == first.inputs[0] else i for i in sg.inputs]
    sg.operators = sg.operators[1:]
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def case(name, model_bytes, op, **kw):
    ops = ops_of(model_bytes)
    assert ops == [op], f"{name}: converter produced {ops}, expected [{op}]"
    assert len(model_bytes) < 30_000, f"{name}: {len(model_bytes)} bytes"
    diff = save_case(name, model_bytes, **kw)
    print(f"{name}: {len(model_bytes)} bytes, ok (default path differs on {diff} elements)")


def main():
    C, D, T = "CONV_2D", "DEPTHWISE_CONV_2D", "TRANSPOSE_CONV"

    # --- CONV_2D -------------------------------------------------------------------------
    m = keras((8, 8, 3), L.Conv2D(8, 3, padding="same"))
    case("conv_int8_pc_same", convert_int8(m, rep=[(-1.0, 1.0)]), C)

    m = keras((8, 8, 3), L.Conv2D(6, 3, padding="same"))
    case("conv_int8_pt_same", convert_int8(m, rep=[(-2.0, 0.5)], per_channel=False), C)

    m = keras((9, 9, 4), L.Conv2D(5, 3, strides=2, padding="same"))
    case("conv_int8_s2_same_odd", convert_int8(m, rep=[(-1.0, 3.0)]), C)

    m = keras((10, 8, 2), L.Conv2D(4, (4, 2), strides=2, padding="same"))
    case("conv_int8_s2_same_even", convert_int8(m, rep=[(-1.0, 1.0)]), C)

    m = keras((9, 10, 3), L.Conv2D(4, 3, dilation_rate=2, padding="same"))
    case("conv_int8_dilation2", convert_int8(m, rep=[(-1.0, 1.0)]), C)

    m = keras((9, 7, 3), L.Conv2D(5, (5, 3), strides=(2, 1), padding="valid"))
    case("conv_int8_valid_s21", convert_int8(m, rep=[(0.0, 2.0)]), C)

    m = keras((6, 6, 4), L.Conv2D(6, 3, groups=2, padding="same"))
    case("conv_int8_grouped2", convert_int8(m, rep=[(-1.0, 1.0)]), C)

    m = keras((7, 7, 4), L.Conv2D(8, 3, padding="same", activation="relu6"))
    case("conv_int8_relu6", convert_int8(m, rep=[(-4.0, 4.0)]), C)

    # Batch 2, fused RELU_N1_TO_1 patched in, output scale ×0.002 so the multiplier exceeds 1
    # for most channels (a left shift in MultiplyByQuantizedMultiplier).
    w = weights([1, 1, 3, 4], 0.3)
    f = fn([2, 5, 5, 3], lambda x: tf.nn.conv2d(x, w, strides=1, padding="SAME"))
    mb = patched(convert_int8(f, rep=[(-1.0, 1.0)]), "conv", patch_act=2, patch_out_q=(0.002, 5))
    # Inputs within ±1 of the zero point (mostly at it) keep most outputs inside the int8 range.
    d = interpreter(mb).get_input_details()[0]
    zp = int(d["quantization"][1])
    x = zp + RNG.choice([-1, 0, 0, 0, 1], size=(4 * 2, 5, 5, 3))
    case("conv_int8_relun1_mult_gt1_batch2", mb, C, inputs=[x.astype(np.int8)])

    m = keras((7, 6, 3), L.Conv2D(5, 3, strides=2, padding="same", activation="relu"))
    case("conv_float_s2_relu", convert_float(m), C, float_range=(-2.0, 2.0))

    m = keras((6, 6, 4), L.Conv2D(4, 2, groups=2, padding="valid", dilation_rate=2))
    case("conv_float_grouped_dil2", convert_float(m), C)

    # Non-constant filter (a second model input, OHWI).
    @tf.function(input_signature=[tf.TensorSpec([1, 6, 5, 3], tf.float32), tf.TensorSpec([3, 2, 3, 4], tf.float32)])
    def dyn(x, w):
        return tf.nn.conv2d(x, w, strides=[1, 2, 1, 1], padding="SAME")

    case("conv_float_dyn_filter", filter_as_input(convert_float(dyn)), C)

    # --- DEPTHWISE_CONV_2D ----------------------------------------------------------------
    m = keras((8, 8, 4), L.DepthwiseConv2D(3, padding="same"))
    case("conv_dw_int8_m1_same", convert_int8(m, rep=[(-1.0, 1.0)]), D)

    m = keras((9, 8, 3), L.DepthwiseConv2D(3, strides=2, depth_multiplier=2, padding="valid"))
    case("conv_dw_int8_m2_s2_valid", convert_int8(m, rep=[(-0.5, 2.0)]), D)

    m = keras((9, 9, 3), L.DepthwiseConv2D(3, dilation_rate=2, padding="same", activation="relu6"))
    case("conv_dw_int8_dil2_relu6_pt", convert_int8(m, rep=[(-3.0, 3.0)], per_channel=False), D)

    # One input channel, multiplier 8 (person_detect's first layer), option field patched to 3.
    w = weights([3, 3, 1, 8])
    f = fn([1, 10, 10, 1], lambda x: tf.nn.depthwise_conv2d(x, w, strides=[1, 2, 2, 1], padding="SAME"))
    mb = patched(convert_int8(f, rep=[(-1.0, 1.0)]), "dw", patch_dm_field=3)
    case("conv_dw_int8_ic1_m8", mb, D)

    m = keras((7, 8, 3), L.DepthwiseConv2D((3, 2), depth_multiplier=2, padding="same"))
    case("conv_dw_float_m2", convert_float(m), D)

    @tf.function(input_signature=[tf.TensorSpec([1, 6, 6, 3], tf.float32), tf.TensorSpec([3, 3, 3, 2], tf.float32)])
    def dyn_dw(x, w):
        return tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "VALID")

    case("conv_dw_float_dyn_filter", filter_as_input(convert_float(dyn_dw)), D)

    # --- TRANSPOSE_CONV -------------------------------------------------------------------
    m = keras((4, 5, 3), L.Conv2DTranspose(4, 3, strides=2, padding="same"))
    case("conv_tconv_int8_s2_same", convert_int8(m, rep=[(-1.0, 1.0)]), T)

    # Per-tensor weights, VALID, stride (2, 3), fused RELU6 patched in.
    w = weights([3, 2, 2, 3])
    f = fn([1, 3, 4, 3], lambda x: tf.nn.conv2d_transpose(x, w, [1, 8, 12, 2], strides=[1, 2, 3, 1], padding="VALID"))
    mb = patched(convert_int8(f, rep=[(-1.0, 1.0)], per_channel=False), "tconv", patch_act=3)
    case("conv_tconv_int8_pt_valid_relu6", mb, T)

    m = keras((4, 4, 3), L.Conv2DTranspose(2, 3, strides=2, padding="valid"))
    case("conv_tconv_float_valid", convert_float(m), T)

    # No bias, fused RELU patched in (TFLite's float kernel applies it).
    w = weights([3, 3, 2, 3])
    f = fn([1, 4, 4, 3], lambda x: tf.nn.conv2d_transpose(x, w, [1, 7, 8, 2], strides=2, padding="SAME"))
    mb = patched(convert_float(f), "tconv", dtype="float", patch_act=1, patch_drop_bias=True)
    case("conv_tconv_float_s2_relu_nobias", mb, T)


if __name__ == "__main__":
    main()
