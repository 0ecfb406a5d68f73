#!/usr/bin/env python3
"""Randomized differential check of qlite's int8 UNIDIRECTIONAL_SEQUENCE_LSTM against TFLite's
BUILTIN_REF kernels.

Each configuration is a one-operator model from lstmbuild.lstm_model with random batch (1-3),
time steps (1-8), input depth (1-12), units (1-12), input/weight/state/hidden scales (log-uniform)
and zero points, cell-state scale 2^-15..2^-9, random weights (±1, ±10 or ±127) and biases
(0, ±2^8, ±2^14 or ±2^20), and randomly CIFG, a cell clip and time_major. Four random int8 cases
(the first with -128 and 127) run one after another in one interpreter, so the state carries over;
`qlite compare --json` must report identical outputs.

Usage: /work/venv/bin/python models/fuzz_lstm.py [--seed S] [--n N]   (needs target/release/qlite)
"""

import argparse
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lstmbuild import lstm_model  # noqa: E402
from oplib import make_inputs, run  # noqa: E402

import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QLITE = os.path.join(ROOT, "target", "release", "qlite")


def logu(rng, lo, hi):
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def config(rng):
    zp = lambda: 0 if rng.random() < 0.3 else int(rng.integers(-128, 128))  # noqa: E731
    s_h, zp_h = logu(rng, 1e-3, 0.05), zp()
    return dict(
        batch=int(rng.integers(1, 4)), time=int(rng.integers(1, 9)), depth=int(rng.integers(1, 13)),
        units=int(rng.integers(1, 13)), s_in=logu(rng, 1e-3, 0.1), zp_in=zp(),
        s_w=[logu(rng, 1e-3, 0.05) for _ in range(8)], s_h=s_h, zp_h=zp_h,
        cell_log2=int(rng.integers(-15, -8)),
        hidden=None if rng.random() < 0.7 else (logu(rng, 1e-3, 0.05), zp()),
        cifg=bool(rng.random() < 0.3), cell_clip=float(rng.uniform(0.01, 4.0)) if rng.random() < 0.3 else 0.0,
        time_major=bool(rng.random() < 0.3), bias_range=int(rng.choice([0, 1 << 8, 1 << 14, 1 << 20])),
        weight_max=int(rng.choice([1, 10, 127])))


def config_ext(rng):
    """config() plus peephole, projection (n_output 1-12, proj clip) and layer norm, each half
    the time."""
    c = config(rng)
    if rng.random() < 0.5:
        c["peephole"] = logu(rng, 1e-4, 0.05)
    if rng.random() < 0.5:
        c["projection"] = logu(rng, 1e-3, 0.05)
        c["n_output"] = int(rng.integers(1, 13))
        c["proj_bias"] = bool(rng.random() < 0.7)
        c["proj_clip"] = float(rng.uniform(0.01, 1.0)) if rng.random() < 0.3 else 0.0
        c["s_out"] = logu(rng, 1e-3, 0.05)
    if rng.random() < 0.5:
        c["layer_norm"] = (logu(rng, 1e-5, 1e-2), [logu(rng, 1e-4, 1e-2) for _ in range(4)])
    no = c.get("n_output", c["units"])
    if c.get("peephole") and no != c["units"] and (no > c["units"] or (c["time_major"] and c["batch"] > 1)):
        c["n_output"] = c["units"]  # qlite refuses these (TFLite indexes the peephole by n_output)
    return c


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--ext", action="store_true", help="also peephole, projection and layer norm")
    a = ap.parse_args()
    fails = 0
    with tempfile.TemporaryDirectory() as work:
        for i in range(a.n):
            rng = np.random.default_rng([a.seed, i])
            cfg = config_ext(rng) if a.ext else config(rng)
            model = lstm_model(rng, **cfg)
            mp = os.path.join(work, "m.tflite")
            with open(mp, "wb") as f:
                f.write(model)
            ins = make_inputs(model, seed=int(rng.integers(1 << 30)))
            ref = run(model, ins)
            np.save(os.path.join(work, "in0.npy"), ins[0])
            np.save(os.path.join(work, "ref0.npy"), ref[0])
            r = subprocess.run([QLITE, "compare", mp, "--json", "-i", os.path.join(work, "in0.npy"),
                                "-e", os.path.join(work, "ref0.npy")], capture_output=True, text=True)
            if r.returncode != 0:
                fails += 1
                print(f"FAIL config {i}: {cfg}\n{(r.stdout + r.stderr)[-400:]}")
    print(f"seed {a.seed}: {a.n} configs, {fails} failures")


if __name__ == "__main__":
    main()
