"""Differential check of float32 exact GELU (tf.nn.gelu(approximate=False)) against TFLite.

TFLite's BUILTIN_REF GELU evaluates erfc with Eigen: 4-float packets for the first n - n % 4
elements of the tensor, one element at a time (with glibc's expf inside) for the rest. This
script converts single-GELU float models of many flat sizes (multiples of 4/8/16 and not,
rank 1 to 4), feeds seeded values (uniform in [-12, 12], normal(0, 2), the region where
exp(-x^2/2) is subnormal, values around |x| = sqrt(2), random bit patterns, and special values:
+-0, +-inf, NaN, subnormals, +-FLT_MAX), runs TFLite BUILTIN_REF, `qlite compare --json` and
`qlite run` (cases stacked on axis 0), and requires bit-identical outputs (signed zeros and NaN
bits included).

Usage: /work/venv/bin/python models/fuzz_gelu.py [--seed N] [--scale K] [--qlite PATH] [--approximate]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oplib import convert_float, interpreter, ops_of, tf  # noqa: E402

import numpy as np  # noqa: E402

SPECIALS = np.array(
    [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 1e-40, -1e-40, 1.1754944e-38, -1.1754944e-38,
     3.4028235e38, -3.4028235e38, 1e30, -1e30, 1.4142135, -1.4142135, 1.4142137, -1.4142137,
     15.556349, -15.556349, 15.556351, -15.556351, 13.19, -13.19, 14.422, -14.422, 14.43, -14.43,
     1.0, -1.0, 2.0, -2.0, 12.0, -12.0, 100.0, -100.0, 5e-8, -5e-8],
    dtype=np.float32)


def values(rng, n):
    """n float32 values from a mix of distributions."""
    kind = rng.integers(0, 7, size=n)
    out = np.empty(n, np.float32)
    draws = [
        lambda m: rng.uniform(-12.0, 12.0, m),
        lambda m: rng.normal(0.0, 2.0, m),
        lambda m: rng.uniform(-15.0, -12.5, m),  # exp(-x^2/2) subnormal or 0: pexp's slow path
        lambda m: rng.uniform(-2.5, 2.5, m),  # around the |x| = sqrt(2) switch
        lambda m: rng.integers(0, 2**32, m, dtype=np.uint64).astype(np.uint32).view(np.float32),
        lambda m: rng.choice(SPECIALS, m),
        lambda m: (rng.integers(1, 2**23, m).astype(np.uint32) | (rng.integers(0, 2, m).astype(np.uint32) << 31)).view(np.float32),
    ]
    for k, d in enumerate(draws):
        idx = np.nonzero(kind == k)[0]
        if len(idx):
            out[idx] = np.asarray(d(len(idx))).astype(np.float32)
    return out


def build(shape, approximate):
    @tf.function(input_signature=[tf.TensorSpec(shape, tf.float32)])
    def f(x):
        return tf.nn.gelu(x, approximate=approximate)

    m = convert_float(f)
    assert ops_of(m) == ["GELU"], ops_of(m)
    return m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies the number of cases")
    ap.add_argument("--qlite", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "release", "qlite"))
    ap.add_argument("--approximate", action="store_true")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    # (shape, cases): small flat sizes get many cases so the scalar tail sees many values.
    configs = [((n,), 4000) for n in (1, 2, 3, 5, 6, 7)]
    configs += [((n,), 1000) for n in (4, 8, 9, 11, 15, 16, 17, 31, 32, 33)]
    configs += [((n,), 50) for n in (63, 64, 65, 255, 256, 257, 1021, 1024)]
    configs += [((2, 3, 5, 7), 200), ((1, 17, 19), 100), ((3, 4, 4), 300), ((1, 5, 5, 3), 200)]
    configs += [((4099,), 8), ((65536,), 2), ((65539,), 2), ((262147,), 1), ((300000,), 1)]
    total = fails = 0
    worst = 0
    with tempfile.TemporaryDirectory() as tmp:
        for shape, cases in configs:
            cases = max(1, int(cases * args.scale))
            m = build(shape, args.approximate)
            it = interpreter(m)
            i_in, i_out = it.get_input_details()[0]["index"], it.get_output_details()[0]["index"]
            n = int(np.prod(shape))
            xs = values(rng, n * cases).reshape((cases,) + shape)
            ys = np.empty_like(xs)
            for c in range(cases):
                it.set_tensor(i_in, xs[c])
                it.invoke()
                ys[c] = it.get_tensor(i_out)
            stacked = (cases * shape[0],) + shape[1:]
            mp, xp, yp = (os.path.join(tmp, f) for f in ("m.tflite", "x.npy", "y.npy"))
            open(mp, "wb").write(m)
            np.save(xp, xs.reshape(stacked))
            np.save(yp, ys.reshape(stacked))
            p = subprocess.run([args.qlite, "compare", mp, "-i", xp, "-e", yp, "--json"], capture_output=True, text=True)
            try:
                o = json.loads(p.stdout)["outputs"][0]
            except (ValueError, KeyError, IndexError):
                print(f"shape {shape}: qlite failed: {p.stdout} {p.stderr}")
                fails += n * cases
                continue
            # `compare` treats +0 and -0 (and all NaNs) as equal: also compare the raw bits.
            subprocess.run([args.qlite, "run", mp, "-i", xp, "-o", tmp], check=True, capture_output=True)
            got = np.load(os.path.join(tmp, "output_0.npy")).reshape(-1).view(np.uint32)
            bits = int(np.count_nonzero(got != ys.reshape(-1).view(np.uint32)))
            total += n * cases
            fails += max(o["differing"], bits)
            worst = max(worst, o["max_steps"])
            print(f"shape {shape} x {cases} cases: {n * cases} values, {o['differing']} differ, max {o['max_steps']} ULP, "
                  f"{bits} differ in bits" + (f" (worst index {o['worst_index']})" if o["differing"] else ""), flush=True)
    print(f"fuzz_gelu (approximate={args.approximate}, seed {args.seed}): {total} values, {fails} differ, max {worst} ULP")
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
