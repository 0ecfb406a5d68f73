#!/usr/bin/env python3
"""Whole-network golden models for qlite (models/golden/net_*).

    /work/venv/bin/python models/make_nets.py

Builds small Keras networks, trains each briefly on a synthetic image task, converts them with
the TFLite converter and saves them with oplib.save_case (NAME.tflite, NAME.in0.npy with four
cases stacked on axis 0, NAME.ref0.npy from TFLite's reference kernels). tests/golden.rs then
requires qlite's outputs to be identical.

- net_mobilenetv2            MobileNetV2-style: conv stem, inverted residual blocks (1x1 expansion
                             conv + ReLU6, 3x3 depthwise stride 1/2, linear 1x1 projection, residual
                             ADD where shapes match; stride-2 blocks pad explicitly like Keras'
                             MobileNetV2), 1x1 conv, global average pooling (MEAN), dense, softmax.
                             Outputs: the probabilities and the logits (the trained network is
                             confident: its int8 probabilities saturate on real images).
                             int8 with int8 I/O, per-channel weights.
- net_mobilenetv2_pertensor  the same network, int8 with per-tensor weights.
- net_mobilenetv2_float      the same network, float32.
- net_mobilenetv2_float16    the same network, float16 weights (DEQUANTIZE of constants).
- net_mobilenetv2_dynamic    the same network, dynamic-range quantization (float activations,
                             int8 weights in the layers with at least 1024 weights, FULLY_CONNECTED
                             with asymmetric_quantize_inputs).
- net_mobilenetv2_int16      the same network, int16x8 (int16 activations, int8 weights, int64
                             bias), int16 I/O.
                             (TFLite refuses int32 bias in int16 DEPTHWISE_CONV_2D, so there is no
                             int32-bias variant of this network.)
- net_mobilenetv2_uint8      the per-tensor int8 network turned into a legacy uint8 one
                             (oplib.to_uint8: zero points + 128, asymmetric uint8 weights).
- net_branching              a conv feeding two branches (a sigmoid gate MULtiplied with a linear
                             conv; a tanh conv), CONCATENATION, hard swish, conv + leaky ReLU, max
                             pooling, global average pooling, dense. int8 with int8 I/O.
- net_branching_float        the same network, float32 (net_branching_float16: float16 weights).

Each model is under 100 KB. Inputs: three held-out images of the synthetic task (quantized with
the model's input parameters) and one random int8 case that includes -128 and 127.

Deterministic: fixed seeds, single-threaded TensorFlow with op determinism; a rerun rewrites
byte-identical files. The script prints each model's size, operators (oplib.ops_of), accuracy
of the Keras model and of the TFLite model (reference kernels) on held-out images, and how many
output elements TFLite's default path (XNNPACK) computes differently from the reference kernels.
"""

import hashlib
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("PYTHONHASHSEED", "0")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from oplib import GOLDEN_DIR, convert_float, convert_int8, ops_of, run, save_case, to_uint8  # noqa: E402

tf.config.experimental.enable_op_determinism()
keras = tf.keras
layers = keras.layers

SEED = 20261126
CLASSES = 4
MAX_BYTES = 100 * 1024


# --------------------------------------------------------------------------------------------
# Synthetic task: 4 classes of noisy coloured patterns
# --------------------------------------------------------------------------------------------


def images(n, size, seed):
    """Class 0 horizontal stripes, 1 vertical stripes, 2 a bright square, 3 a diagonal line;
    random colours, positions, periods and noise. Values in [0, 1]."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 0.35, size=(n, size, size, 3)).astype(np.float32)
    y = rng.integers(0, CLASSES, size=n).astype(np.int32)
    yy, xx = np.mgrid[0:size, 0:size]
    for i in range(n):
        colour = rng.uniform(0.4, 1.0, size=3).astype(np.float32)
        if y[i] == 0:
            period = rng.integers(3, 7)
            mask = (yy + rng.integers(0, period)) % period < period // 2
        elif y[i] == 1:
            period = rng.integers(3, 7)
            mask = (xx + rng.integers(0, period)) % period < period // 2
        elif y[i] == 2:
            s = rng.integers(size // 4, size // 2)
            r, c = rng.integers(0, size - s, size=2)
            mask = (yy >= r) & (yy < r + s) & (xx >= c) & (xx < c + s)
        else:
            off = rng.integers(-size // 3, size // 3)
            mask = np.abs(yy - xx - off) <= 1 if rng.random() < 0.5 else np.abs(yy + xx - size + 1 - off) <= 1
        x[i][mask] = x[i][mask] * 0.3 + colour
    return np.clip(x, 0.0, 1.0), y


# --------------------------------------------------------------------------------------------
# Networks
# --------------------------------------------------------------------------------------------


def inverted_residual(x, expansion, out_ch, stride, name):
    in_ch = x.shape[-1]
    h = x
    if expansion != 1:
        h = layers.Conv2D(in_ch * expansion, 1, use_bias=False, name=f"{name}_expand")(h)
        h = layers.BatchNormalization(momentum=0.9, name=f"{name}_expand_bn")(h)
        h = layers.ReLU(6.0, name=f"{name}_expand_relu6")(h)
    if stride == 2:
        h = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"{name}_pad")(h)
    h = layers.DepthwiseConv2D(3, strides=stride, padding="same" if stride == 1 else "valid", use_bias=False,
                               name=f"{name}_depthwise")(h)
    h = layers.BatchNormalization(momentum=0.9, name=f"{name}_depthwise_bn")(h)
    h = layers.ReLU(6.0, name=f"{name}_depthwise_relu6")(h)
    h = layers.Conv2D(out_ch, 1, use_bias=False, name=f"{name}_project")(h)
    h = layers.BatchNormalization(momentum=0.9, name=f"{name}_project_bn")(h)
    if stride == 1 and in_ch == out_ch:
        h = layers.Add(name=f"{name}_add")([x, h])
    return h


def mobilenetv2():
    keras.utils.set_random_seed(SEED)
    inp = keras.Input((32, 32, 3), name="image")
    h = layers.Conv2D(16, 3, strides=2, padding="same", use_bias=False, name="stem")(inp)
    h = layers.BatchNormalization(momentum=0.9, name="stem_bn")(h)
    h = layers.ReLU(6.0, name="stem_relu6")(h)
    for i, (t, c, s) in enumerate([(1, 8, 1), (4, 16, 2), (4, 16, 1), (4, 24, 2), (4, 24, 1)]):
        h = inverted_residual(h, t, c, s, f"block{i}")
    h = layers.Conv2D(64, 1, use_bias=False, name="head")(h)
    h = layers.BatchNormalization(momentum=0.9, name="head_bn")(h)
    h = layers.ReLU(6.0, name="head_relu6")(h)
    h = layers.GlobalAveragePooling2D(name="pool")(h)
    h = layers.Dense(CLASSES, name="logits")(h)
    out = layers.Softmax(name="probs")(h)
    return keras.Model(inp, out, name="mobilenetv2")


def branching():
    keras.utils.set_random_seed(SEED + 1)
    inp = keras.Input((16, 16, 3), name="image")
    c = layers.Conv2D(12, 3, padding="same", activation="relu", name="trunk")(inp)
    gate = layers.Conv2D(8, 1, activation="sigmoid", name="gate")(c)
    value = layers.Conv2D(8, 1, name="value")(c)
    a = layers.Multiply(name="gated")([value, gate])
    b = layers.Conv2D(8, 3, padding="same", activation="tanh", name="tanh_branch")(c)
    m = layers.Concatenate(name="concat")([a, b])
    m = layers.Activation(lambda t: t * keras.ops.relu6(t + 3.0) * (1.0 / 6.0), name="hard_swish")(m)
    h = layers.Conv2D(16, 3, padding="same", name="mix")(m)
    h = layers.LeakyReLU(negative_slope=0.1, name="leaky")(h)
    h = layers.MaxPooling2D(2, name="maxpool")(h)
    h = layers.GlobalAveragePooling2D(name="pool")(h)
    out = layers.Dense(CLASSES, name="logits")(h)
    return keras.Model(inp, out, name="branching")


def train(model, x, y, epochs, from_logits):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits),
                  metrics=["accuracy"])
    hist = model.fit(x, y, batch_size=32, epochs=epochs, shuffle=False, verbose=0)
    print(f"  trained {model.name}: loss {hist.history['loss'][-1]:.4f}, "
          f"train accuracy {hist.history['accuracy'][-1]:.3f}")


# --------------------------------------------------------------------------------------------
# Conversion and saving
# --------------------------------------------------------------------------------------------


def calibration(x):
    def gen():
        for i in range(min(100, len(x))):
            yield [x[i:i + 1]]

    return lambda c: setattr(c, "representative_dataset", gen)


def convert_float16(net):
    c = tf.lite.TFLiteConverter.from_keras_model(net)
    c.optimizations = [tf.lite.Optimize.DEFAULT]
    c.target_spec.supported_types = [tf.float16]
    return c.convert()


def convert_dynamic(net):
    c = tf.lite.TFLiteConverter.from_keras_model(net)
    c.optimizations = [tf.lite.Optimize.DEFAULT]
    return c.convert()


def convert_int16(net, x, bias32=False):
    def extra(c):
        calibration(x)(c)
        c.target_spec.supported_ops = [tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
        c.inference_input_type = c.inference_output_type = tf.int16
        if bias32:
            c._experimental_full_integer_quantization_bias_type = tf.int32

    return convert_int8(net, [(0.0, 1.0)], extra=extra)


def quantize_input(model_bytes, x):
    from oplib import interpreter

    d = interpreter(model_bytes).get_input_details()[0]
    if d["dtype"] == np.float32:
        return x.astype(np.float32)
    scale, zp = d["quantization"]
    info = np.iinfo(d["dtype"])
    return np.clip(np.round(x / scale) + zp, info.min, info.max).astype(d["dtype"])


def golden_inputs(model_bytes, x_test, seed):
    """Three held-out images and one random case with the type's extremes (integer inputs), stacked."""
    rng = np.random.default_rng(seed)
    q = quantize_input(model_bytes, x_test[:3])
    if q.dtype != np.float32:
        info = np.iinfo(q.dtype)
        r = rng.integers(int(info.min), int(info.max) + 1, size=(1,) + q.shape[1:]).astype(q.dtype)
        r.flat[0], r.flat[1] = info.min, info.max
    else:
        r = rng.uniform(-0.5, 1.5, size=(1,) + q.shape[1:]).astype(np.float32)
    return [np.concatenate([q, r], axis=0)]


def tflite_accuracy(model_bytes, x, y):
    xs = quantize_input(model_bytes, x)
    pred = []
    for i in range(0, len(xs), 4):
        chunk = xs[i:i + 4]
        if len(chunk) < 4:
            break
        pred.append(np.argmax(run(model_bytes, [chunk])[0], axis=-1))
    pred = np.concatenate(pred)
    return float(np.mean(pred == y[:len(pred)]))


def save(name, model_bytes, expect_ops, x_test, y_test, seed):
    assert len(model_bytes) < MAX_BYTES, f"{name}: {len(model_bytes)} bytes, more than {MAX_BYTES}"
    ops = ops_of(model_bytes)
    missing = sorted(set(expect_ops) - set(ops))
    assert not missing, f"{name}: the converter produced {ops}, without {missing}"
    xnn = save_case(name, model_bytes, inputs=golden_inputs(model_bytes, x_test, seed))
    acc = tflite_accuracy(model_bytes, x_test, y_test)
    counts = {o: ops.count(o) for o in sorted(set(ops))}
    print(f"{name}: {len(model_bytes)} bytes, sha256 {hashlib.sha256(model_bytes).hexdigest()[:16]}, "
          f"TFLite (reference kernels) accuracy {acc:.3f}, XNNPACK differs on {xnn} output elements")
    print(f"  ops ({len(ops)}): {' '.join(ops)}")
    print(f"  op counts: {counts}")
    return ops


def keras_accuracy(model, x, y, from_logits):
    p = model.predict(x, verbose=0)
    return float(np.mean(np.argmax(p, axis=-1) == y))


def main():
    os.makedirs(GOLDEN_DIR, exist_ok=True)

    # MobileNetV2-style, 32x32x3
    x, y = images(1024, 32, seed=1)
    xt, yt = images(200, 32, seed=2)
    net = mobilenetv2()
    train(net, x, y, epochs=8, from_logits=False)
    print(f"  Keras accuracy on held-out images: {keras_accuracy(net, xt, yt, False):.3f}")
    # The trained network is confident, so its int8 probabilities saturate at -128/127 on real
    # images; exporting the logits as a second output keeps the golden outputs sensitive.
    net = keras.Model(net.input, [net.output, net.get_layer("logits").output], name="mobilenetv2_export")
    # the explicit stride-2 padding equals SAME here, so the converter folds it into the depthwise conv
    mnv2_ops = ["CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "MEAN", "FULLY_CONNECTED", "SOFTMAX"]
    save("net_mobilenetv2", convert_int8(net, [(0.0, 1.0)], extra=calibration(x)), mnv2_ops, xt, yt, 11)
    save("net_mobilenetv2_pertensor", convert_int8(net, [(0.0, 1.0)], per_channel=False, extra=calibration(x)),
         mnv2_ops, xt, yt, 12)
    save("net_mobilenetv2_float", convert_float(net), mnv2_ops, xt, yt, 13)
    save("net_mobilenetv2_float16", convert_float16(net), mnv2_ops + ["DEQUANTIZE"], xt, yt, 15)
    save("net_mobilenetv2_dynamic", convert_dynamic(net), mnv2_ops, xt, yt, 16)
    save("net_mobilenetv2_int16", convert_int16(net, x), mnv2_ops, xt, yt, 17)
    pertensor = convert_int8(net, [(0.0, 1.0)], per_channel=False, extra=calibration(x))
    save("net_mobilenetv2_uint8", to_uint8(pertensor, np.random.default_rng(19)), mnv2_ops, xt, yt, 19)

    # Branching graph, 16x16x3
    x, y = images(1024, 16, seed=3)
    xt, yt = images(200, 16, seed=4)
    net = branching()
    train(net, x, y, epochs=6, from_logits=True)
    print(f"  Keras accuracy on held-out images: {keras_accuracy(net, xt, yt, True):.3f}")
    br_ops = ["CONV_2D", "LOGISTIC", "MUL", "TANH", "CONCATENATION", "HARD_SWISH", "LEAKY_RELU", "MAX_POOL_2D",
              "MEAN", "FULLY_CONNECTED"]
    save("net_branching", convert_int8(net, [(0.0, 1.0)], extra=calibration(x)), br_ops, xt, yt, 14)
    save("net_branching_float", convert_float(net), br_ops, xt, yt, 20)
    save("net_branching_float16", convert_float16(net), br_ops + ["DEQUANTIZE"], xt, yt, 21)


if __name__ == "__main__":
    main()
