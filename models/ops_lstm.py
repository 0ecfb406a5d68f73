"""Golden models of UNIDIRECTIONAL_SEQUENCE_LSTM, int8 (TFLite's integer "8x8_16" LSTM).

The models are built directly as flatbuffers (models/lstmbuild.py) in the layout TFLite's
converter gives a Keras LSTM in full-integer int8 mode: TensorFlow 2.21's converter crashes
(segmentation fault in the calibrator) on Keras LSTM layers on this machine. They cover batch and
time-major layouts, CIFG (no input gate), the cell clip, every supported cell-state scale
(2^-15, 2^-11, 2^-9), a hidden intermediate whose scale/zero point differ from the output
state's, saturating weights/biases, a long sequence, peephole weights, a projection (with and
without bias, with a projection clip), layer normalization, and all of them together.

The four cases of each model run one after another in one interpreter (oplib.run), so the LSTM
state carries over from case to case, as in TFLite (and in qlite's golden test).

Writes models/golden/lstm_*.tflite with inputs and BUILTIN_REF outputs (oplib.save_case).
Usage: /work/venv/bin/python models/ops_lstm.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lstmbuild import lstm_model  # noqa: E402
from oplib import ops_of, save_case  # noqa: E402

import numpy as np  # noqa: E402

LSTM = "UNIDIRECTIONAL_SEQUENCE_LSTM"


def main():
    rows = []

    def case(name, seed, batch, time, depth, units, **kw):
        rng = np.random.default_rng(seed)
        p = dict(s_in=0.02, zp_in=-5, s_w=[0.004, 0.005, 0.006, 0.007, 0.008, 0.006, 0.005, 0.004],
                 s_h=0.0078125, zp_h=0, cell_log2=-11)
        p.update(kw)
        tfl = lstm_model(rng, batch, time, depth, units, **p)
        assert ops_of(tfl) == [LSTM], ops_of(tfl)
        diff = save_case(name, tfl, seed=seed)
        rows.append((name, len(tfl), diff))

    case("lstm_basic", 1, 1, 6, 5, 8)
    case("lstm_batch3", 2, 3, 4, 7, 5, s_in=0.05, zp_in=17, s_h=0.01, zp_h=-9)
    case("lstm_time_major", 3, 2, 5, 4, 6, time_major=True)
    case("lstm_cifg", 4, 2, 5, 4, 6, cifg=True)
    case("lstm_cell_clip", 5, 2, 5, 6, 6, cell_clip=0.3, bias_range=1 << 14)
    case("lstm_cifg_clip", 6, 1, 7, 5, 7, cifg=True, cell_clip=1.0, s_in=0.04)
    case("lstm_cell_2e-15", 7, 2, 4, 4, 5, cell_log2=-15, cell_clip=0.9)
    case("lstm_cell_2e-9", 8, 2, 4, 4, 5, cell_log2=-9, s_w=[0.02] * 8)
    case("lstm_hidden_zp", 9, 2, 5, 4, 6, hidden=(0.004, 11), zp_h=-20, s_h=0.006)
    case("lstm_saturating", 10, 2, 5, 8, 6, s_w=[0.05] * 8, bias_range=1 << 20, s_in=0.1, zp_in=-128)
    case("lstm_small_weights", 11, 1, 6, 12, 12, weight_max=10, s_w=[0.002] * 8, bias_range=1 << 8)
    case("lstm_long", 12, 1, 32, 3, 4, s_w=[0.01] * 8)
    case("lstm_peephole", 13, 2, 5, 4, 6, peephole=0.002, cell_log2=-12)
    case("lstm_projection", 14, 2, 5, 4, 7, projection=0.01, n_output=4, hidden=(0.006, 7), zp_h=-3)
    case("lstm_projection_clip", 15, 1, 6, 5, 5, projection=0.02, n_output=8, proj_bias=False,
         proj_clip=0.3, s_out=0.004, time_major=True)
    case("lstm_layer_norm", 16, 2, 5, 4, 8, layer_norm=(0.0005, [0.002, 0.001, 0.004, 0.003]))
    case("lstm_full", 17, 3, 4, 6, 6, cifg=True, peephole=0.004, projection=0.015, n_output=5,
         layer_norm=(0.0003, [0.002, 0.001, 0.004, 0.003]), cell_clip=0.8, proj_clip=0.5, s_out=0.01)

    for name, size, diff in rows:
        print(f"{name:22s} {size:6d} B  default-path diffs: {diff}")


if __name__ == "__main__":
    main()
