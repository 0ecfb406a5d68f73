#!/usr/bin/env python3
"""Exhaustive check of quantized DIV (int8 and uint8): for random quantization parameters, one
model divides EVERY dividend value by EVERY divisor value except the divisor's zero point (TFLite
refuses to divide by it), either element-wise ([1, 256·255] against [1, 256·255]) or broadcast
([256, 1] against [1, 255]), with a random fused activation. Models are written directly
(tflbuild.py), so the scales are arbitrary: 10^-6..10^3, and for a tenth of the cases an output
scale of 10^-13..10^-5 (real multipliers s1/(s2·s_out) far above 2^23). TFLite's BUILTIN_REF
output is compared with `qlite compare`, which must report no difference.

    /work/venv/bin/python models/fuzz_div.py --seed 2 --count 150 [--qlite target/release/qlite]

Configurations TFLite refuses (an activation bound overflowing int32) must be refused by qlite
too; they are counted as skipped.
Exit status 0 when every configuration matched.
"""

import argparse
import os
import subprocess
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from ai_edge_litert.interpreter import Interpreter, OpResolverType  # noqa: E402

from tflbuild import binary_model  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tflite_ref(model, a, b):
    it = Interpreter(model_content=model, experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    ins = it.get_input_details()
    it.set_tensor(ins[0]["index"], a)
    it.set_tensor(ins[1]["index"], b)
    it.invoke()
    return it.get_tensor(it.get_output_details()[0]["index"])


def one_case(rng, qlite, d):
    dtype = np.int8 if rng.random() < 0.7 else np.uint8
    info = np.iinfo(dtype)

    def q():
        return float(np.float32(10 ** rng.uniform(-6, 3))), int(rng.integers(info.min, info.max + 1))

    quants = (q(), q(), q())
    if rng.random() < 0.1:
        quants = (quants[0], quants[1], (float(np.float32(10 ** rng.uniform(-13, -5))), quants[2][1]))
    act = str(rng.choice(["NONE", "NONE", "RELU", "RELU6", "RELU_N1_TO_1"]))
    bcast = bool(rng.random() < 0.5)
    zp2 = quants[1][1]
    q1 = np.arange(info.min, info.max + 1).astype(dtype)
    q2 = np.array([v for v in range(info.min, info.max + 1) if v != zp2]).astype(dtype)
    if bcast:
        a, b = q1.reshape(-1, 1), q2.reshape(1, -1)
        out = [a.shape[0], b.shape[1]]
    else:
        aa, bb = np.meshgrid(q1, q2, indexing="ij")
        a, b = aa.reshape(1, -1), bb.reshape(1, -1)
        out = list(a.shape)
    model = binary_model("DIV", list(a.shape), list(b.shape), out, dtype, quants, act=act, version=2)
    desc = f"{np.dtype(dtype).name} {quants} {act} {'broadcast' if bcast else 'element-wise'}"
    refused = None
    try:
        ref = tflite_ref(model, a, b)
    except (RuntimeError, ValueError) as e:
        refused = str(e).splitlines()[0]
        ref = np.zeros(out, dtype)
    paths = [os.path.join(d, n) for n in ("m.tflite", "a.npy", "b.npy", "ref.npy")]
    with open(paths[0], "wb") as f:
        f.write(model)
    np.save(paths[1], a)
    np.save(paths[2], b)
    np.save(paths[3], ref)
    r = subprocess.run([qlite, "compare", paths[0], "-i", paths[1], "-i", paths[2], "-e", paths[3]],
                       capture_output=True, text=True)
    if refused is not None:  # qlite must refuse the model too
        if r.returncode == 2 and "DIV" in r.stderr + r.stdout:
            return "skipped", f"{desc}: TFLite and qlite refuse: {refused}"
        return "failed", f"{desc}: TFLite refuses ({refused}), qlite exit {r.returncode}"
    if r.returncode != 0:
        return "failed", f"{desc}: qlite exit {r.returncode}: {(r.stdout + r.stderr)[-400:]}"
    return "passed", desc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--count", type=int, default=150)
    ap.add_argument("--qlite", default=os.path.join(REPO, "target", "release", "qlite"))
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    with tempfile.TemporaryDirectory() as d:
        for k in range(args.count):
            verdict, msg = one_case(rng, args.qlite, d)
            counts[verdict] += 1
            if verdict != "passed":
                print(f"case {k} {verdict}: {msg}")
    print(f"fuzz_div: seed {args.seed}: {counts['passed']} passed (all q1, q2 pairs each), "
          f"{counts['failed']} failed, {counts['skipped']} skipped (TFLite and qlite refuse)")
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
