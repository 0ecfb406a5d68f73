#!/usr/bin/env python3
"""Builds models/custom_bessel.tflite: one custom operator (TensorFlow's BesselI0e, which TFLite
has no builtin for, kept as a custom op with `allow_custom_ops`). It backs examples/custom_op.rs
and tests/custom_op.rs, which show how a user registers a kernel for a custom op.

Writes custom_bessel.tflite, custom_bessel.in0.npy (4 cases stacked on axis 0) and
custom_bessel.tf0.npy: TensorFlow's own float32 outputs (TFLite cannot run the model without
the user's kernel, so there is no BUILTIN_REF output for it).
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

OUT = os.path.dirname(os.path.abspath(__file__))


@tf.function(input_signature=[tf.TensorSpec([1, 8], tf.float32)])
def bessel(x):
    return tf.math.special.bessel_i0e(x)


def main():
    c = tf.lite.TFLiteConverter.from_concrete_functions([bessel.get_concrete_function()], bessel)
    c.allow_custom_ops = True
    model = c.convert()
    with open(os.path.join(OUT, "custom_bessel.tflite"), "wb") as f:
        f.write(model)
    x = np.random.default_rng(5).uniform(-6.0, 6.0, size=(4, 8)).astype(np.float32)
    np.save(os.path.join(OUT, "custom_bessel.in0.npy"), x)
    ref = np.concatenate([bessel(x[i:i + 1]).numpy() for i in range(4)])
    np.save(os.path.join(OUT, "custom_bessel.tf0.npy"), ref)


if __name__ == "__main__":
    main()
