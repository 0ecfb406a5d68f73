#!/usr/bin/env python3
"""Build qlite's small test models and their TFLite reference outputs.

Run with the pinned environment (models/requirements.txt):

    python models/make_models.py

Everything is written next to this script (the models/ directory), whatever the
current directory is.  The script is deterministic: fixed seeds, single-threaded
TensorFlow, op determinism on; rerunning it rewrites byte-identical files.

Per model NAME it writes:
  NAME.tflite        the model
  NAME.in<k>.npy     4 seeded test cases for input k, stacked on axis 0 (the
                     batch axis: case c is a[c:c+1], with the input's shape)
  NAME.ref<k>.npy    output k of TFLite's reference kernels (BUILTIN_REF),
                     one invoke per case (batch 1), stacked the same way
  NAME.details.json  what TFLite's get_input_details()/get_output_details() say
and MANIFEST.json with each model's builtin ops, I/O dtypes/shapes and versions.
"""

import hashlib
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
os.environ.setdefault("PYTHONHASHSEED", "0")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import ai_edge_litert  # noqa: E402
from ai_edge_litert.interpreter import Interpreter, OpResolverType  # noqa: E402

try:
    from ai_edge_litert import schema_py_generated as schema_fb  # noqa: E402
except ImportError:  # pragma: no cover
    from tensorflow.lite.python import schema_py_generated as schema_fb  # noqa: E402

OUT_DIR = os.path.dirname(os.path.abspath(__file__))
N_CASES = 4
SEED = 1234

tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.experimental.enable_op_determinism()
keras = tf.keras


# --------------------------------------------------------------------------
# Synthetic tasks
# --------------------------------------------------------------------------

MLP_FEATURES = 16
MLP_CLASSES = 4
MLP_RANGE = (-1.0, 1.0)  # training inputs are uniform in this range

CNN_SHAPE = (12, 12, 1)
CNN_CLASSES = 3
CNN_RANGE = (0.0, 1.0)


def mlp_data(n, seed):
    """4-class task: argmax of a fixed random linear projection of the features."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(*MLP_RANGE, size=(n, MLP_FEATURES)).astype(np.float32)
    w = np.random.default_rng(7).standard_normal((MLP_FEATURES, MLP_CLASSES)).astype(np.float32)
    y = np.argmax(x @ w + 0.3 * np.sin(3.0 * x[:, :MLP_CLASSES]), axis=1).astype(np.int32)
    return x, y


def cnn_data(n, seed):
    """3-class images: noise plus a horizontal bar, a vertical bar, or a square."""
    rng = np.random.default_rng(seed)
    h, w, _ = CNN_SHAPE
    x = rng.uniform(0.0, 0.4, size=(n,) + CNN_SHAPE).astype(np.float32)
    y = rng.integers(0, CNN_CLASSES, size=n).astype(np.int32)
    for i in range(n):
        r, c = rng.integers(2, h - 3), rng.integers(2, w - 3)
        if y[i] == 0:
            x[i, r, 1:w - 1, 0] = 1.0
        elif y[i] == 1:
            x[i, 1:h - 1, c, 0] = 1.0
        else:
            x[i, r - 1:r + 2, c - 1:c + 2, 0] = 1.0
    return np.clip(x, *CNN_RANGE), y


# --------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------

def build_mlp():
    keras.utils.set_random_seed(SEED)
    inp = keras.Input(shape=(MLP_FEATURES,), name="features")
    h = keras.layers.Dense(32, activation="relu", name="dense1")(inp)
    h = keras.layers.Dense(16, activation="relu", name="dense2")(h)
    out = keras.layers.Dense(MLP_CLASSES, name="logits")(h)
    model = keras.Model(inp, out, name="mlp")
    x, y = mlp_data(512, seed=1)
    train(model, x, y)
    return model, x


def build_cnn():
    keras.utils.set_random_seed(SEED + 1)
    inp = keras.Input(shape=CNN_SHAPE, name="image")
    h = keras.layers.Conv2D(4, 3, activation="relu", name="conv")(inp)
    h = keras.layers.MaxPooling2D(2, name="pool")(h)
    h = keras.layers.Flatten(name="flatten")(h)
    h = keras.layers.Dense(16, activation="relu", name="dense1")(h)
    out = keras.layers.Dense(CNN_CLASSES, name="logits")(h)
    model = keras.Model(inp, out, name="cnn")
    x, y = cnn_data(384, seed=2)
    train(model, x, y)
    return model, x


def train(model, x, y):
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    hist = model.fit(x, y, batch_size=32, epochs=6, shuffle=False, verbose=0)
    print(f"  trained {model.name}: loss {hist.history['loss'][-1]:.4f} "
          f"acc {hist.history['accuracy'][-1]:.3f}")


# --------------------------------------------------------------------------
# Conversion
# --------------------------------------------------------------------------

def convert(model, calib_x=None, int8_io=False):
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if calib_x is not None:
        calib = calib_x[:100]

        def representative_dataset():
            for i in range(calib.shape[0]):
                yield [calib[i:i + 1]]

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative_dataset
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if int8_io:
            converter.inference_input_type = tf.int8
            converter.inference_output_type = tf.int8
    return converter.convert()


# --------------------------------------------------------------------------
# Flatbuffer inspection
# --------------------------------------------------------------------------

_OP_NAMES = {v: k for k, v in vars(schema_fb.BuiltinOperator).items()
             if not k.startswith("_") and isinstance(v, int)}
_TYPE_NAMES = {v: k for k, v in vars(schema_fb.TensorType).items()
               if not k.startswith("_") and isinstance(v, int)}


def flatbuffer_ops(model_bytes):
    """Builtin op names of subgraph 0's operators, in execution order."""
    m = schema_fb.Model.GetRootAsModel(model_bytes, 0)
    codes = []
    for i in range(m.OperatorCodesLength()):
        oc = m.OperatorCodes(i)
        code = max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())
        codes.append(_OP_NAMES.get(code, f"UNKNOWN_{code}"))
    seq = []
    for s in range(m.SubgraphsLength()):
        sg = m.Subgraphs(s)
        for o in range(sg.OperatorsLength()):
            seq.append(codes[sg.Operators(o).OpcodeIndex()])
    return seq


# --------------------------------------------------------------------------
# TFLite reference outputs
# --------------------------------------------------------------------------

def detail_json(d):
    q = d["quantization_parameters"]
    return {
        "name": d["name"],
        "index": int(d["index"]),
        "dtype": np.dtype(d["dtype"]).name,
        "shape": [int(v) for v in d["shape"]],
        "shape_signature": [int(v) for v in d["shape_signature"]],
        "quantization_parameters": {
            "scales": [float(np.float32(v)) for v in q["scales"]],
            "zero_points": [int(v) for v in q["zero_points"]],
            "quantized_dimension": int(q["quantized_dimension"]),
        },
    }


def make_inputs(details, seed, float_range):
    rng = np.random.default_rng(seed)
    arrays = []
    for d in details:
        shape = [int(v) for v in d["shape_signature"]]
        shape = [1 if v < 0 else v for v in shape]
        dt = np.dtype(d["dtype"])
        # Cases are concatenated along the (batch-1) leading axis, like the
        # files in shared/real-models: case c is a[c:c+1], of the input's shape.
        assert shape and shape[0] == 1, f"leading dim must be batch 1: {shape}"
        full = (N_CASES,) + tuple(shape[1:])
        if dt.kind in "iu":
            info = np.iinfo(dt)
            a = rng.integers(info.min, info.max, size=full, endpoint=True).astype(dt)
            # make sure both range ends appear
            flat = a.reshape(N_CASES, -1)
            flat[0, 0] = info.min
            flat[0, -1] = info.max
            a = flat.reshape(full)
        elif dt.kind == "f":
            a = rng.uniform(*float_range, size=full).astype(dt)
        else:
            raise ValueError(f"unsupported input dtype {dt}")
        arrays.append(a)
    return arrays


def run_reference(path, seed, float_range):
    interp = Interpreter(model_path=path,
                         experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    in_det = interp.get_input_details()
    out_det = interp.get_output_details()
    details = {"inputs": [detail_json(d) for d in in_det],
               "outputs": [detail_json(d) for d in out_det]}
    inputs = make_inputs(in_det, seed, float_range)
    for d in in_det:
        shape = [int(v) for v in d["shape"]]
        if shape and shape[0] != 1:  # batch 1 per invoke
            shape[0] = 1
            interp.resize_tensor_input(d["index"], shape)
    interp.allocate_tensors()
    outs = [[] for _ in out_det]
    for c in range(N_CASES):
        for d, a in zip(in_det, inputs):
            interp.set_tensor(d["index"], a[c:c + 1])
        interp.invoke()
        for k, d in enumerate(out_det):
            outs[k].append(interp.get_tensor(d["index"]).copy())
    return details, inputs, [np.concatenate(o, axis=0) for o in outs]


# --------------------------------------------------------------------------

def write(name, data):
    path = os.path.join(OUT_DIR, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def save_npy(name, arr):
    np.save(os.path.join(OUT_DIR, name), arr, allow_pickle=False)


def main():
    print(f"TensorFlow {tf.__version__}, ai-edge-litert {ai_edge_litert.__version__}, "
          f"numpy {np.__version__}")
    mlp, mlp_x = build_mlp()
    cnn, cnn_x = build_cnn()

    specs = [
        # name, tflite bytes, seed for test inputs, float input range
        ("mlp_int8", convert(mlp, mlp_x, int8_io=True), 101, MLP_RANGE),
        ("cnn_int8", convert(cnn, cnn_x, int8_io=True), 102, CNN_RANGE),
        ("mlp_float", convert(mlp), 103, MLP_RANGE),
        ("mlp_int8_floatio", convert(mlp, mlp_x, int8_io=False), 104, MLP_RANGE),
    ]

    manifest = {
        "generator": "models/make_models.py",
        "versions": {
            "tensorflow": tf.__version__,
            "ai_edge_litert": ai_edge_litert.__version__,
            "numpy": np.__version__,
        },
        "reference": "ai_edge_litert Interpreter, OpResolverType.BUILTIN_REF, "
                     "one invoke per case (batch 1)",
        "models": {},
    }
    for name, data, seed, frange in specs:
        path = write(f"{name}.tflite", data)
        seq = flatbuffer_ops(data)
        ops = list(dict.fromkeys(seq))
        details, inputs, outputs = run_reference(path, seed, frange)
        for k, a in enumerate(inputs):
            save_npy(f"{name}.in{k}.npy", a)
        for k, a in enumerate(outputs):
            save_npy(f"{name}.ref{k}.npy", a)
        with open(os.path.join(OUT_DIR, f"{name}.details.json"), "w") as f:
            json.dump(details, f, indent=1)
            f.write("\n")
        manifest["models"][name] = {
            "file": f"{name}.tflite",
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "ops": ops,
            "operators": seq,
            "inputs": [{"dtype": d["dtype"], "shape": d["shape"],
                        "shape_signature": d["shape_signature"]}
                       for d in details["inputs"]],
            "outputs": [{"dtype": d["dtype"], "shape": d["shape"],
                         "shape_signature": d["shape_signature"]}
                        for d in details["outputs"]],
        }
        print(f"  {name}.tflite: {len(data)} bytes, ops {ops}")
    with open(os.path.join(OUT_DIR, "MANIFEST.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
