"""Build single-operator .tflite files directly with the flatbuffer object API.

The TFLite converter canonicalizes many operator configurations away (it folds constants,
rewrites ellipsis/new-axis strided slices, merges transposes), so a kernel's full option space
can only be reached by writing the flatbuffer ourselves. Used by models/fuzz_move.py.

    from tflbuild import T, single_op
    m = single_op("TRANSPOSE", [T("x", "int8", [2, 3], q=(0.5, 3)),
                                T("perm", "int32", [2], data=[1, 0])],
                  [T("y", "int8", [3, 2], q=(0.5, 3))])
"""

import flatbuffers
import numpy as np

try:
    from ai_edge_litert import schema_py_generated as s
except ImportError:  # pragma: no cover
    from tensorflow.lite.python import schema_py_generated as s

_TYPES = {
    "float32": s.TensorType.FLOAT32,
    "float16": s.TensorType.FLOAT16,
    "int32": s.TensorType.INT32,
    "uint8": s.TensorType.UINT8,
    "int64": s.TensorType.INT64,
    "bool": s.TensorType.BOOL,
    "int16": s.TensorType.INT16,
    "int8": s.TensorType.INT8,
    "uint32": s.TensorType.UINT32,
    "uint16": s.TensorType.UINT16,
}


class T:
    """A tensor: name, NumPy dtype name, shape, optional constant data, optional (scale, zp)
    per-tensor quantization (or ([scales], [zps], axis) per-channel)."""

    def __init__(self, name, dtype, shape, data=None, q=None):
        self.name = name
        self.dtype = dtype
        self.shape = list(shape)
        self.data = None if data is None else np.asarray(data, dtype=np.dtype(dtype)).reshape(self.shape)
        self.q = q


def _options(op_name):
    """(BuiltinOptions enum value, options class) for an op's usual options table."""
    table = {
        "CONCATENATION": "ConcatenationOptions",
        "PAD": "PadOptions",
        "PADV2": "PadV2Options",
        "TRANSPOSE": "TransposeOptions",
        "STRIDED_SLICE": "StridedSliceOptions",
        "SLICE": "SliceOptions",
        "PACK": "PackOptions",
        "UNPACK": "UnpackOptions",
        "SPLIT": "SplitOptions",
        "SPLIT_V": "SplitVOptions",
        "GATHER": "GatherOptions",
        "TILE": "TileOptions",
        "REVERSE_V2": "ReverseV2Options",
        "DEPTH_TO_SPACE": "DepthToSpaceOptions",
        "SPACE_TO_DEPTH": "SpaceToDepthOptions",
        "RESHAPE": "ReshapeOptions",
    }[op_name]
    return getattr(s.BuiltinOptions, table), getattr(s, table + "T")


def single_op(op_name, inputs, outputs, **opts):
    """A model with one operator. `inputs`: list of T (constant when `data` is set; None for an
    omitted optional input); `outputs`: list of T. `opts`: fields of the op's options table in
    camelCase (e.g. beginMask=3, fusedActivationFunction=1)."""
    tensors, buffers = [], [s.BufferT()]
    in_idx, out_idx, graph_inputs = [], [], []

    def add(t):
        tt = s.TensorT()
        tt.name = t.name
        tt.type = _TYPES[t.dtype]
        tt.shape = list(t.shape)
        b = s.BufferT()
        if t.data is not None:
            b.data = list(np.ascontiguousarray(t.data).tobytes())
        buffers.append(b)
        tt.buffer = len(buffers) - 1
        if t.q is not None:
            qp = s.QuantizationParametersT()
            if len(t.q) == 3:
                qp.scale, qp.zeroPoint, qp.quantizedDimension = list(t.q[0]), list(t.q[1]), t.q[2]
            else:
                qp.scale, qp.zeroPoint = [float(t.q[0])], [int(t.q[1])]
            tt.quantization = qp
        tensors.append(tt)
        return len(tensors) - 1

    for t in inputs:
        if t is None:
            in_idx.append(-1)
            continue
        i = add(t)
        in_idx.append(i)
        if t.data is None:
            graph_inputs.append(i)
    for t in outputs:
        out_idx.append(add(t))

    code = s.OperatorCodeT()
    op_code = getattr(s.BuiltinOperator, op_name)
    code.builtinCode = op_code
    code.deprecatedBuiltinCode = min(op_code, 127)
    code.version = 1
    op = s.OperatorT()
    op.opcodeIndex = 0
    op.inputs = in_idx
    op.outputs = out_idx
    kind, cls = _options(op_name)
    o = cls()
    for k, v in opts.items():
        if not hasattr(o, k):
            raise AttributeError(f"{cls.__name__} has no field {k}")
        setattr(o, k, v)
    op.builtinOptionsType = kind
    op.builtinOptions = o

    sg = s.SubGraphT()
    sg.tensors = tensors
    sg.inputs = graph_inputs
    sg.outputs = out_idx
    sg.operators = [op]
    sg.name = "main"
    m = s.ModelT()
    m.version = 3
    m.operatorCodes = [code]
    m.subgraphs = [sg]
    m.buffers = buffers
    m.description = "tflbuild"
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())
