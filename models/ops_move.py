"""Golden single-op models for the "move" group (data movement): CONCATENATION, PAD, PADV2,
TRANSPOSE, STRIDED_SLICE, SLICE, PACK, UNPACK, SPLIT, SPLIT_V, GATHER, TILE, REVERSE_V2,
DEPTH_TO_SPACE, SPACE_TO_DEPTH, and Keras Flatten → Dense (SHAPE → STRIDED_SLICE → PACK →
RESHAPE folded at prepare time). Writes models/golden/move_*.

    /work/venv/bin/python models/ops_move.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oplib import GOLDEN_DIR, N_CASES, convert_float, convert_int8, ops_of, save_case  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

keras = tf.keras


def fn(shapes, body, dtypes=None):
    dtypes = dtypes or [tf.float32] * len(shapes)
    return tf.function(body, input_signature=[tf.TensorSpec(s, d) for s, d in zip(shapes, dtypes)])


def flatten_dense():
    tf.keras.utils.set_random_seed(7)
    inp = keras.Input((4, 4, 2))
    x = keras.layers.Flatten()(inp)
    out = keras.layers.Dense(5)(x)
    return keras.Model(inp, out)


def concat_ranges():
    # Inputs with very different ranges: the int8 quantizer must give the concatenation's
    # inputs the output's scale (TFLite's kernel requires it), inserting requantizations.
    return fn([[1, 3, 4], [1, 2, 4]], lambda a, b: tf.concat([a, b], axis=1))


def gather_idx(shape, idx_shape, axis, n):
    rng = np.random.default_rng(5)
    return [rng.uniform(-1, 1, size=[N_CASES * shape[0]] + list(shape[1:])).astype(np.float32),
            rng.integers(0, n, size=[N_CASES * idx_shape[0]] + list(idx_shape[1:])).astype(np.int32)]


# name: (builder, expected ops, int8 representative ranges or None for float32, custom inputs)
MODELS = {
    "move_concat_int8_axis3": (fn([[1, 4, 4, 3], [1, 4, 4, 5]], lambda a, b: tf.concat([a, b], axis=-1)),
                               ["CONCATENATION"], [(-1.0, 1.0), (-1.0, 1.0)], None),
    "move_concat_int8_ranges": (concat_ranges(), ["CONCATENATION"], [(-1.0, 1.0), (-9.0, 7.0)], None),
    "move_concat_float_axis1_const": (fn([[2, 3, 4], [2, 1, 4]],
                                         lambda a, b: tf.concat([a, tf.constant(np.arange(16, dtype=np.float32)
                                                                                .reshape(2, 2, 4)), b], axis=1)),
                                      ["CONCATENATION"], None, None),
    "move_pad_int8": (fn([[1, 5, 6, 3]], lambda x: tf.pad(x, [[0, 0], [1, 2], [2, 1], [0, 0]])),
                      ["PAD"], [(0.0, 6.0)], None),
    "move_padv2_int8": (fn([[2, 3, 5]], lambda x: tf.pad(x, [[1, 0], [0, 2], [3, 1]], constant_values=-0.5)),
                        ["PADV2"], [(-2.0, 1.0)], None),
    "move_pad_float_5d": (fn([[1, 2, 3, 2, 2]], lambda x: tf.pad(x, [[0, 1], [1, 0], [2, 2], [0, 1], [1, 1]])),
                          ["PAD"], None, None),
    "move_transpose_int8_2d_4d": (fn([[6, 5], [1, 3, 4, 5]],
                                     lambda a, b: (tf.transpose(a), tf.transpose(b, [0, 3, 1, 2]))),
                                  ["TRANSPOSE", "TRANSPOSE"], [(-1.0, 1.0), (-3.0, 3.0)], None),
    "move_transpose_float_5d": (fn([[2, 3, 1, 4, 2]], lambda x: tf.transpose(x, [4, 1, 3, 0, 2])),
                                ["TRANSPOSE"], None, None),
    "move_strided_slice_int8": (fn([[1, 9, 8, 4]], lambda x: x[:, 1:8:2, ::-1, 2]),
                                ["STRIDED_SLICE"], [(-1.0, 1.0)], None),
    "move_strided_slice_float_masks": (fn([[3, 5, 6]], lambda x: (x[-1:0:-2, ..., 4:1:-1], x[1, :, -3:])),
                                       ["STRIDED_SLICE", "STRIDED_SLICE"], None, None),
    "move_slice_int8": (fn([[2, 6, 5, 3]], lambda x: tf.slice(x, [1, 2, 0, 1], [1, -1, 4, 2])),
                        ["SLICE"], [(-4.0, 4.0)], None),
    "move_pack_unpack_int8": (fn([[1, 3, 4], [1, 3, 4]],
                                 lambda a, b: tf.unstack(tf.stack([a, b], axis=2), axis=1)),
                              ["PACK", "UNPACK"], [(-1.0, 1.0), (-1.0, 1.0)], None),
    "move_split_int8": (fn([[1, 4, 6, 2]], lambda x: tf.split(x, 3, axis=2)),
                        ["SPLIT"], [(-1.0, 1.0)], None),
    "move_split_v_float": (fn([[2, 7, 3]], lambda x: tf.split(x, [2, -1, 1], axis=1)),
                           ["SPLIT_V"], None, None),
    "move_gather_int8_axis0": (fn([[5, 4]], lambda x: tf.gather(x, [[4, 0], [2, 2], [1, 3]])),
                               ["GATHER"], [(-1.0, 1.0)], None),
    "move_gather_float_axis1": (fn([[2, 6, 3], [1, 4]], lambda x, i: tf.gather(x, i, axis=1),
                                   [tf.float32, tf.int32]),
                                ["GATHER"], None, gather_idx([2, 6, 3], [1, 4], 1, 6)),
    "move_tile_reverse_float": (fn([[2, 3, 2]], lambda x: (tf.tile(x, [2, 1, 3]), tf.reverse(x, [1, 2]))),
                                ["TILE", "REVERSE_V2"], None, None),
    "move_reverse_int8": (fn([[2, 5, 3]], lambda x: tf.reverse(x, [-2])), ["REVERSE_V2"], [(-1.0, 3.0)], None),
    # float32: TFLite 2.21's BUILTIN_REF resolver does not register the int8 versions of TILE (3)
    # and DEPTH_TO_SPACE (2), so no int8 reference output can be recorded for them.
    "move_depth_space_float": (fn([[1, 4, 6, 8]], lambda x: (tf.nn.depth_to_space(x, 2), tf.nn.space_to_depth(x, 2))),
                               ["DEPTH_TO_SPACE", "SPACE_TO_DEPTH"], None, None),
    "move_flatten_dense": (flatten_dense(), ["SHAPE", "STRIDED_SLICE", "PACK", "RESHAPE", "FULLY_CONNECTED"],
                           [(-1.0, 1.0)], None),
}


def main():
    os.makedirs(GOLDEN_DIR, exist_ok=True)
    for name, (f, want, rep, inputs) in MODELS.items():
        model = convert_int8(f, rep) if rep else convert_float(f)
        ops = ops_of(model)
        for op in set(want):
            if ops.count(op) < want.count(op):
                raise SystemExit(f"{name}: expected {want}, converter produced {ops}")
        if len(model) > 30_000:
            raise SystemExit(f"{name}: {len(model)} bytes, over 30 KB")
        diff = save_case(name, model, inputs=inputs)
        print(f"{name}: {ops}, {len(model)} bytes, default path differs on {diff} elements")


if __name__ == "__main__":
    main()
