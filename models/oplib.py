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


def to_uint8(model_bytes, rng):
    """A legacy uint8 model made from a per-tensor int8 one (see uint8_edit)."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as s

    m = s.ModelT.InitFromPackedBuf(model_bytes, 0)
    uint8_edit(m, rng)
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def uint8_edit(m, rng):
    """Turns a per-tensor int8 model into a legacy uint8 one (the old TFLite quantization): every
    int8 tensor becomes uint8 with zero point + 128 (the same real values; constant data shifted
    by 128), and the weights of FULLY_CONNECTED, CONV_2D, DEPTHWISE_CONV_2D and TRANSPOSE_CONV are
    requantized asymmetrically over their own [min, max] (with their int32 bias rescaled to the new
    input x weight scale), as TF1's converter made them."""
    from collections import defaultdict

    from ai_edge_litert import schema_py_generated as s

    sg = m.subgraphs[0]
    weighted = {s.BuiltinOperator.FULLY_CONNECTED, s.BuiltinOperator.CONV_2D, s.BuiltinOperator.DEPTHWISE_CONV_2D,
                s.BuiltinOperator.TRANSPOSE_CONV}
    uses = defaultdict(int)
    for op in sg.operators:
        for t in op.inputs:
            uses[int(t)] += 1
    for op in sg.operators:
        code = max(m.operatorCodes[op.opcodeIndex].builtinCode, m.operatorCodes[op.opcodeIndex].deprecatedBuiltinCode)
        if code not in weighted or len(op.inputs) < 2 or not rng.random() < 0.8:
            continue
        wi = int(op.inputs[1])
        bk = 3 if code == s.BuiltinOperator.TRANSPOSE_CONV else 2  # TRANSPOSE_CONV: (shape, w, x, bias)
        bi = int(op.inputs[bk]) if len(op.inputs) > bk and op.inputs[bk] >= 0 else -1
        w = sg.tensors[wi]
        buf = m.buffers[w.buffer].data if w.buffer < len(m.buffers) else None
        if w.type != s.TensorType.INT8 or buf is None or len(buf) == 0 or uses[wi] != 1 or w.quantization is None \
                or len(w.quantization.scale) != 1:
            continue
        old_scale = float(w.quantization.scale[0])
        real = np.frombuffer(bytes(bytearray(buf)), np.int8).astype(np.float64) * old_scale
        lo, hi = min(0.0, float(real.min())), max(0.0, float(real.max()))
        lo -= rng.uniform(0, 0.3) * (hi - lo)  # not centred: a zero point away from 128
        if hi - lo <= 0:
            continue
        scale = np.float32((hi - lo) / 255.0)
        zp = int(np.clip(np.round(-lo / float(scale)), 0, 255))
        q = np.clip(np.round(real / float(scale)) + zp, 0, 255).astype(np.uint8)
        m.buffers[w.buffer].data = np.frombuffer(q.tobytes(), np.uint8)
        w.type = s.TensorType.UINT8
        w.quantization.scale = [float(scale)]
        w.quantization.zeroPoint = [zp]
        if bi >= 0 and uses[bi] == 1:
            b = sg.tensors[bi]
            bbuf = m.buffers[b.buffer].data if b.buffer < len(m.buffers) else None
            if b.type == s.TensorType.INT32 and bbuf is not None and len(bbuf) and b.quantization is not None:
                bs_old = float(b.quantization.scale[0])
                bs_new = float(np.float32(bs_old / old_scale * float(scale)))
                bq = np.frombuffer(bytes(bytearray(bbuf)), np.int32).astype(np.float64) * bs_old / bs_new
                bq = np.clip(np.round(bq), -2**31, 2**31 - 1).astype(np.int32)
                m.buffers[b.buffer].data = np.frombuffer(bq.tobytes(), np.uint8)
                b.quantization.scale = [bs_new]
    for t in sg.tensors:
        if t.type != s.TensorType.INT8:
            continue
        t.type = s.TensorType.UINT8
        if t.quantization is not None and t.quantization.zeroPoint is not None and len(t.quantization.zeroPoint):
            t.quantization.zeroPoint = [int(z) + 128 for z in t.quantization.zeroPoint]
        buf = m.buffers[t.buffer].data if t.buffer < len(m.buffers) else None
        if buf is not None and len(buf):
            m.buffers[t.buffer].data = np.frombuffer(bytes(bytearray(buf)), np.uint8) ^ np.uint8(0x80)
