"""Golden single-op models for the "space" group: RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR,
SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND, int8 and float32 (models/golden/space_*).

    /work/venv/bin/python models/ops_space.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oplib import GOLDEN_DIR, convert_float, convert_int8, ops_of, save_case  # noqa: E402

import tensorflow as tf  # noqa: E402

v1 = tf.compat.v1.image


def fn(shape, body):
    return tf.function(body, input_signature=[tf.TensorSpec(shape, tf.float32)])


# name: (input shape, body, expected op, int8 representative range or None for float32)
MODELS = {
    # Bilinear, int8 (ResizeBilinearInteger, 10-bit fixed point).
    "space_bilinear_int8_up2_halfpixel": ([1, 4, 5, 3], lambda x: tf.image.resize(x, [8, 10], method="bilinear"),
                                          "RESIZE_BILINEAR", (-1.0, 1.0)),
    "space_bilinear_int8_5x7_to_7x5": ([1, 5, 7, 2], lambda x: v1.resize_bilinear(x, [7, 5]),
                                       "RESIZE_BILINEAR", (-3.0, 5.0)),
    "space_bilinear_int8_align_corners": ([2, 5, 7, 3], lambda x: v1.resize_bilinear(x, [7, 5], align_corners=True),
                                          "RESIZE_BILINEAR", (0.0, 6.0)),
    "space_bilinear_int8_halfpixel_down": ([1, 7, 9, 2], lambda x: tf.image.resize(x, [5, 4], method="bilinear"),
                                           "RESIZE_BILINEAR", (-20.0, -1.0)),
    "space_bilinear_int8_up3_plain": ([3, 3, 2, 4], lambda x: v1.resize_bilinear(x, [9, 6]),
                                      "RESIZE_BILINEAR", (-1.0, 1.0)),
    # Bilinear, float32.
    "space_bilinear_float_up2_halfpixel": ([1, 4, 5, 3], lambda x: tf.image.resize(x, [8, 10], method="bilinear"),
                                           "RESIZE_BILINEAR", None),
    "space_bilinear_float_align_corners": ([2, 5, 7, 2], lambda x: v1.resize_bilinear(x, [7, 5], align_corners=True),
                                           "RESIZE_BILINEAR", None),
    "space_bilinear_float_7x5_to_5x7": ([1, 7, 5, 2], lambda x: v1.resize_bilinear(x, [5, 7]),
                                        "RESIZE_BILINEAR", None),
    # Nearest neighbor.
    "space_nearest_int8_up2_halfpixel": ([1, 4, 5, 3], lambda x: tf.image.resize(x, [8, 10], method="nearest"),
                                         "RESIZE_NEAREST_NEIGHBOR", (-1.0, 1.0)),
    "space_nearest_int8_align_corners": ([2, 5, 7, 2],
                                         lambda x: v1.resize_nearest_neighbor(x, [7, 5], align_corners=True),
                                         "RESIZE_NEAREST_NEIGHBOR", (-2.0, 9.0)),
    "space_nearest_float_5x7_to_7x5": ([1, 5, 7, 3], lambda x: v1.resize_nearest_neighbor(x, [7, 5]),
                                       "RESIZE_NEAREST_NEIGHBOR", None),
    "space_nearest_float_halfpixel_down": ([1, 9, 7, 2], lambda x: tf.image.resize(x, [4, 3], method="nearest"),
                                           "RESIZE_NEAREST_NEIGHBOR", None),
    # SPACE_TO_BATCH_ND: int8 pads with the output zero point (−128 and 127 here).
    "space_s2b_int8_pad_zp_min": ([2, 5, 6, 3], lambda x: tf.space_to_batch_nd(x, [2, 3], [[1, 0], [2, 1]]),
                                  "SPACE_TO_BATCH_ND", (0.0, 6.0)),
    "space_s2b_int8_pad_zp_max": ([1, 4, 4, 2], lambda x: tf.space_to_batch_nd(x, [3, 2], [[1, 1], [0, 2]]),
                                  "SPACE_TO_BATCH_ND", (-8.0, -0.5)),
    "space_s2b_float_3d": ([2, 7, 3], lambda x: tf.space_to_batch_nd(x, [3], [[2, 0]]),
                           "SPACE_TO_BATCH_ND", None),
    # BATCH_TO_SPACE_ND.
    "space_b2s_int8_crop": ([12, 3, 2, 3], lambda x: tf.compat.v1.batch_to_space_nd(x, [2, 3], [[1, 0], [2, 1]]),
                            "BATCH_TO_SPACE_ND", (-4.0, 2.0)),
    "space_b2s_float_3d": ([6, 4, 2], lambda x: tf.compat.v1.batch_to_space_nd(x, [3], [[1, 2]]),
                           "BATCH_TO_SPACE_ND", None),
    "space_b2s_float_4d": ([8, 2, 3, 2], lambda x: tf.compat.v1.batch_to_space_nd(x, [2, 2], [[0, 1], [1, 0]]),
                           "BATCH_TO_SPACE_ND", None),
}


def main():
    os.makedirs(GOLDEN_DIR, exist_ok=True)
    for name, (shape, body, op, rep) in MODELS.items():
        f = fn(shape, body)
        model = convert_float(f) if rep is None else convert_int8(f, rep=[rep])
        ops = ops_of(model)
        assert ops == [op], f"{name}: converter emitted {ops}, expected [{op}]"
        float_range = (-4.0, 4.0) if rep is None else (-1.0, 1.0)
        differ = save_case(name, model, float_range=float_range)
        print(f"{name}: {ops} {len(model)} bytes; default path differs on {differ} elements")


if __name__ == "__main__":
    main()
