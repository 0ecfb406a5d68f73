"""Builds single-operator TFLite flatbuffers directly (no converter), for randomized checks of
element-wise binary operators with arbitrary quantization parameters, fused activations and
shapes. Used by fuzz_binary.py."""

import numpy as np

try:
    from ai_edge_litert import schema_py_generated as s
except ImportError:  # pragma: no cover
    from tensorflow.lite.python import schema_py_generated as s
import flatbuffers

TYPES = {np.dtype(np.int8): s.TensorType.INT8, np.dtype(np.float32): s.TensorType.FLOAT32,
         np.dtype(np.int32): s.TensorType.INT32, np.dtype(np.uint8): s.TensorType.UINT8}

OPTIONS = {
    "ADD": ("AddOptions", s.AddOptionsT),
    "SUB": ("SubOptions", s.SubOptionsT),
    "MUL": ("MulOptions", s.MulOptionsT),
    "DIV": ("DivOptions", s.DivOptionsT),
    "MAXIMUM": ("MaximumMinimumOptions", s.MaximumMinimumOptionsT),
    "MINIMUM": ("MaximumMinimumOptions", s.MaximumMinimumOptionsT),
    "POW": ("PowOptions", s.PowOptionsT),
    "SQUARED_DIFFERENCE": ("SquaredDifferenceOptions", s.SquaredDifferenceOptionsT),
}

ACTS = {"NONE": 0, "RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3}


def _tensor(name, shape, dtype, buffer, quant):
    t = s.TensorT()
    t.name = name
    t.shape = list(shape)
    t.type = TYPES[np.dtype(dtype)]
    t.buffer = buffer
    if quant is not None:
        q = s.QuantizationParametersT()
        q.scale = [float(quant[0])]
        q.zeroPoint = [int(quant[1])]
        t.quantization = q
    return t


def binary_model(op, shape1, shape2, out_shape, dtype, quants=(None, None, None), act="NONE", const2=None,
                 version=1):
    """A model with one binary operator `op` (BuiltinOperator name). quants: (scale, zp) or None
    per tensor (input 1, input 2, output). const2: values of input 2 as a constant, else input 2
    is a model input."""
    m = s.ModelT()
    m.version = 3
    m.description = "qlite fuzz"
    oc = s.OperatorCodeT()
    code = getattr(s.BuiltinOperator, op)
    oc.builtinCode = code
    oc.deprecatedBuiltinCode = min(code, 127)
    oc.version = version
    m.operatorCodes = [oc]
    bufs = [s.BufferT(), s.BufferT(), s.BufferT(), s.BufferT()]
    if const2 is not None:
        bufs[2].data = np.ascontiguousarray(const2, dtype=dtype).tobytes()
    m.buffers = bufs
    sg = s.SubGraphT()
    sg.tensors = [
        _tensor("a", shape1, dtype, 1, quants[0]),
        _tensor("b", shape2, dtype, 2, quants[1]),
        _tensor("out", out_shape, dtype, 3, quants[2]),
    ]
    sg.inputs = [0] if const2 is not None else [0, 1]
    sg.outputs = [2]
    o = s.OperatorT()
    o.opcodeIndex = 0
    o.inputs = [0, 1]
    o.outputs = [2]
    opt_name, opt_cls = OPTIONS[op]
    o.builtinOptionsType = getattr(s.BuiltinOptions, opt_name)
    opts = opt_cls()
    if hasattr(opts, "fusedActivationFunction"):
        opts.fusedActivationFunction = ACTS[act]
    o.builtinOptions = opts
    sg.operators = [o]
    m.subgraphs = [sg]
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())
