"""Golden models for float32 exact GELU (models/golden/gelu_*).

TFLite's float GELU(approximate=False) computes erfc with Eigen: in packets of 4 floats for the
first n - n % 4 elements of the tensor (Eigen's own exp) and one element at a time for the rest
(glibc's expf), see src/ops/lut_activations.rs. Each model has a flat size that is not a
multiple of 4, and the inputs put values where the two paths disagree both in packets and in
the tail, next to +-0, +-inf, NaN, subnormals and values around the |x| = sqrt(2) switch.

Models: gelu_exact_f32_7 ([7]: one packet, three tail elements), gelu_exact_f32_189
([1, 7, 9, 3]), gelu_exact_f32_3 ([3]: all tail), gelu_exact_f32_64 ([4, 16]: all packets).
models/fuzz_gelu.py is the randomized check.

Run: /work/venv/bin/python models/ops_gelu.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oplib import N_CASES, convert_float, ops_of, save_case, tf  # noqa: E402

import numpy as np  # noqa: E402

# Inputs where Eigen's exp and glibc's expf give different GELU outputs (found with TFLite).
SPLIT = np.array([0xc081a9a9, 0xc0ffbaf6, 0xbfe022fd, 0xc11a9cdd, 0xc048d750, 0xc0ac1912, 0xc10277cf, 0xc0812295],
                 dtype=np.uint32).view(np.float32)
SPECIALS = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-40, -1e-40, 3.4028235e38, -3.4028235e38,
                     1.4142135, -1.4142135, 1.4142137, -1.4142137, -13.5, -14.2, -20.0, 20.0], dtype=np.float32)


def inputs(shape, seed):
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    pool = np.concatenate([SPLIT, SPECIALS])
    cases = []
    for c in range(N_CASES):
        v = np.where(rng.random(n) < 0.6, rng.uniform(-12, 12, n), rng.normal(0, 3, n)).astype(np.float32)
        # A third of the elements from the pool, always including the tail.
        pick = rng.random(n) < 0.35
        pick[n - n % 4:] = True
        v[pick] = rng.choice(pool, int(pick.sum()))
        if c == 0 and n >= len(pool):
            v[:len(pool)] = pool
        cases.append(v.reshape(shape))
    return [np.concatenate(cases, axis=0)]


def main():
    for name, shape, seed in [("gelu_exact_f32_7", [7], 1), ("gelu_exact_f32_189", [1, 7, 9, 3], 2),
                              ("gelu_exact_f32_3", [3], 3), ("gelu_exact_f32_64", [4, 16], 4)]:
        @tf.function(input_signature=[tf.TensorSpec(shape, tf.float32)])
        def f(x):
            return tf.nn.gelu(x, approximate=False)

        m = convert_float(f)
        assert ops_of(m) == ["GELU"], ops_of(m)
        diff = save_case(name, m, inputs=inputs(shape, seed))
        print(f"{name}: {len(m)} bytes, default path differs on {diff} elements")


if __name__ == "__main__":
    main()
