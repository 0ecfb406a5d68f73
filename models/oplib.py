"""Shared helpers for the golden single-op model generators (models/ops_*.py).

A generator builds small models with TensorFlow, converts them with the TFLite converter,
records seeded inputs and TFLite's reference-kernel outputs, and writes everything into
models/golden/:

    NAME.tflite, NAME.in<k>.npy (cases stacked on axis 0), NAME.ref<k>.npy

tests/golden.rs runs every model there through qlite and requires identical outputs.

Typical use:

    from oplib import convert_int8, save_case

    def build():
        @tf.function(input_signature=[tf.TensorSpec([1, 8, 8, 3], tf.float32)])
        def f(x):
            return tf.nn.relu(x)
        return f

    tfl = convert_int8(build(), rep=[(-2.0, 2.0)])
    save_case("relu_int8", tfl)
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from ai_edge_litert.interpreter import Interpreter, OpResolverType  # noqa: E402

GOLDEN_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")
N_CASES = 4

tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)


def _concrete(fn):
    """A concrete function from a tf.function with an input_signature, or a Keras model."""
    if isinstance(fn, tf.keras.Model):
        return None
    return fn.get_concrete_function()


def _converter(fn):
    if isinstance(fn, tf.keras.Model):
        return tf.lite.TFLiteConverter.from_keras_model(fn)
    return tf.lite.TFLiteConverter.from_concrete_functions([_concrete(fn)], fn)


def input_specs(fn):
    """[(shape, dtype)] of a tf.function's or Keras model's inputs."""
    if isinstance(fn, tf.keras.Model):
        return [(tuple(d or 1 for d in t.shape), t.dtype) for t in fn.inputs]
    return [(tuple(s.shape), s.dtype) for s in fn.input_signature]


def representative(fn, ranges, n=64, seed=0):
    """A representative dataset: inputs uniform in ranges[k] (one (lo, hi) per input)."""
    rng = np.random.default_rng(seed)
    specs = input_specs(fn)

    def gen():
        for _ in range(n):
            yield [rng.uniform(lo, hi, size=shape).astype(np.float32) for (shape, _), (lo, hi) in zip(specs, ranges)]

    return gen


def convert_int8(fn, rep, int8_io=True, per_channel=True, extra=None):
    """Full-integer int8 conversion. `rep`: one (lo, hi) float range per input.
    `per_channel=False` asks for per-tensor weights (`_experimental_disable_per_channel`)."""
    c = _converter(fn)
    c.optimizations = [tf.lite.Optimize.DEFAULT]
    c.representative_dataset = representative(fn, rep)
    c.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if int8_io:
        c.inference_input_type = tf.int8
        c.inference_output_type = tf.int8
    if not per_channel:
        c._experimental_disable_per_channel = True
    if extra:
        extra(c)
    return c.convert()


def convert_float(fn):
    """Plain float32 conversion."""
    return _converter(fn).convert()


def interpreter(model_bytes, ref=True):
    kind = OpResolverType.BUILTIN_REF if ref else OpResolverType.AUTO
    it = Interpreter(model_content=model_bytes, experimental_op_resolver_type=kind)
    it.allocate_tensors()
    return it


def make_inputs(model_bytes, seed=0, float_range=(-1.0, 1.0), extremes=True):
    """N_CASES seeded cases per input, stacked on axis 0, in the input's dtype. Integer inputs
    span the type's full range (the first case includes its min and max when `extremes`)."""
    it = interpreter(model_bytes)
    rng = np.random.default_rng(seed)
    out = []
    for d in it.get_input_details():
        shape = tuple(d["shape"])
        dt = np.dtype(d["dtype"])
        cases = []
        for c in range(N_CASES):
            if np.issubdtype(dt, np.integer):
                info = np.iinfo(dt)
                a = rng.integers(info.min, int(info.max) + 1, size=shape, dtype=np.int64).astype(dt)
                if extremes and c == 0 and a.size >= 2:
                    a.flat[0], a.flat[1] = info.min, info.max
            elif dt == np.bool_:
                a = rng.integers(0, 2, size=shape).astype(np.bool_)
            else:
                a = rng.uniform(*float_range, size=shape).astype(dt)
            cases.append(a)
        out.append(np.concatenate(cases, axis=0) if shape else np.stack(cases))
    return out


def run(model_bytes, inputs, ref=True):
    """Runs each case (one invoke per case) and stacks the outputs on axis 0."""
    it = interpreter(model_bytes, ref)
    ins = it.get_input_details()
    outs = it.get_output_details()
    results = [[] for _ in outs]
    for c in range(N_CASES):
        for d, a in zip(ins, inputs):
            per = a.shape[0] // N_CASES if a.ndim else 1
            it.set_tensor(d["index"], a[c * per:(c + 1) * per] if a.ndim else a)
        it.invoke()
        for k, d in enumerate(outs):
            results[k].append(it.get_tensor(d["index"]).copy())
    return [np.concatenate(r, axis=0) if r[0].ndim else np.stack(r) for r in results]


def save_case(name, model_bytes, seed=0, float_range=(-1.0, 1.0), inputs=None, outdir=None):
    """Writes NAME.tflite, NAME.in<k>.npy and NAME.ref<k>.npy (BUILTIN_REF outputs). Returns the
    number of elements that TFLite's default path (XNNPACK) computes differently, for information."""
    outdir = outdir or GOLDEN_DIR
    os.makedirs(outdir, exist_ok=True)
    if inputs is None:
        inputs = make_inputs(model_bytes, seed, float_range)
    ref = run(model_bytes, inputs, ref=True)
    with open(os.path.join(outdir, name + ".tflite"), "wb") as f:
        f.write(model_bytes)
    for k, a in enumerate(inputs):
        np.save(os.path.join(outdir, f"{name}.in{k}.npy"), a)
    for k, a in enumerate(ref):
        np.save(os.path.join(outdir, f"{name}.ref{k}.npy"), a)
    try:
        default = run(model_bytes, inputs, ref=False)
        return sum(int(np.sum(a != b)) for a, b in zip(default, ref))
    except Exception as e:  # noqa: BLE001 - information only
        print(f"{name}: default path failed: {e}", file=sys.stderr)
        return -1


def ops_of(model_bytes):
    """Builtin op names in a model."""
    try:
        from ai_edge_litert import schema_py_generated as s
    except ImportError:  # pragma: no cover
        from tensorflow.lite.python import schema_py_generated as s
    m = s.Model.GetRootAs(model_bytes, 0)
    names = {v: k for k, v in vars(s.BuiltinOperator).items() if not k.startswith("_")}
    codes = []
    for i in range(m.OperatorCodesLength()):
        oc = m.OperatorCodes(i)
        codes.append(names.get(max(oc.DeprecatedBuiltinCode(), oc.BuiltinCode()), "?"))
    sg = m.Subgraphs(0)
    return [codes[sg.Operators(i).OpcodeIndex()] for i in range(sg.OperatorsLength())]
