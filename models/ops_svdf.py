"""Golden SVDF models (models/golden/svdf_*): single-op models built as flatbuffers with
fuzz_svdf.build (the TF 2.21 converter never emits SVDF), the reference outputs from TFLite
BUILTIN_REF running the stacked cases one after another in ONE interpreter, so the state carries
over from case to case exactly as tests/golden.rs (runner::run_cases) runs them.
Only float32 and int16-state models: TFLite rejects the int8-state SVDF (TFLite Micro's
int8-state path is covered by keyword_scrambled_8bit in ../shared/real-models and by
fuzz_svdf.py). Usage: ops_svdf.py
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fuzz_svdf import STEPS, build, run_tflite  # noqa: E402

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")

# name, kind, predicate on cfg = (batch, input, filters, rank, memory, activation, has_bias)
WANTED = [
    ("svdf_f32_rank1", "float", lambda c: c[3] == 1 and c[0] == 1 and c[6]),
    ("svdf_f32_rank3_batch2", "float", lambda c: c[3] == 3 and c[0] == 2 and c[6]),
    ("svdf_f32_relu6_odd_sizes", "float", lambda c: c[5] == 3 and c[1] % 4 != 0 and c[4] % 4 != 0),
    ("svdf_f32_nobias_relu", "float", lambda c: not c[6] and c[5] == 1),
    ("svdf_f32_memory1", "float", lambda c: c[4] == 1),
    ("svdf_i16_rank1", "int16", lambda c: c[3] == 1 and c[0] == 1 and c[6]),
    ("svdf_i16_rank2_batch2", "int16", lambda c: c[3] == 2 and c[0] == 2 and c[6]),
    ("svdf_i16_nobias", "int16", lambda c: not c[6]),
    ("svdf_i16_long_memory", "int16", lambda c: c[4] >= 9 and c[1] >= 12),
]


def main():
    for name, kind, want in WANTED:
        for seed in range(10000):
            mb, x, batch, cfg = build(kind, np.random.default_rng(seed))
            if want(cfg):
                break
        path = os.path.join(GOLDEN, name + ".tflite")
        with open(path, "wb") as f:
            f.write(mb)
        ref = run_tflite(path, [x[k * batch:(k + 1) * batch] for k in range(STEPS)])
        np.save(os.path.join(GOLDEN, name + ".in0.npy"), x)
        np.save(os.path.join(GOLDEN, name + ".ref0.npy"), ref)
        print(name, "seed", seed, "cfg (batch, input, filters, rank, memory, act, bias)", cfg, len(mb), "bytes")


if __name__ == "__main__":
    main()
