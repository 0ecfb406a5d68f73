#!/usr/bin/env python3
"""Records every tensor of models/cnn_int8.tflite after one invoke on the first case of its
recorded input, with TFLite's reference kernels and `experimental_preserve_all_tensors=True`:
models/intermediates/cnn_int8.t<index>.npy. tests/intermediates.rs checks that qlite's
`preserve_all_tensors` interpreter gives the same value for every tensor."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
from ai_edge_litert.interpreter import Interpreter, OpResolverType  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
NAME = "cnn_int8"


def main():
    it = Interpreter(model_path=os.path.join(HERE, NAME + ".tflite"),
                     experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
                     experimental_preserve_all_tensors=True)
    it.allocate_tensors()
    x = np.load(os.path.join(HERE, NAME + ".in0.npy"))[0:1]
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    out = os.path.join(HERE, "intermediates")
    os.makedirs(out, exist_ok=True)
    n = 0
    for d in it.get_tensor_details():
        try:
            v = it.get_tensor(d["index"])
        except ValueError:
            continue  # tensors without data
        np.save(os.path.join(out, f"{NAME}.t{d['index']}.npy"), v)
        n += 1
    print(f"wrote {n} tensors")


if __name__ == "__main__":
    main()
