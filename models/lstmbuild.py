"""Builds int8 UNIDIRECTIONAL_SEQUENCE_LSTM flatbuffers directly (no converter), the layout TFLite's
converter gives a Keras LSTM in full-integer int8 mode: int8 input/output/output state, int8 weights
(per tensor, zero point 0), int32 gate biases, an int16 cell state with a power-of-two scale, five
intermediates of which the fifth carries the hidden scale and zero point. (TensorFlow 2.21's
converter crashes in calibration on Keras LSTMs here, so ops_lstm.py and fuzz_lstm.py build them.)"""

import numpy as np
import flatbuffers

from ai_edge_litert import schema_py_generated as s

_T = {np.dtype(np.int8): s.TensorType.INT8, np.dtype(np.int16): s.TensorType.INT16,
      np.dtype(np.int32): s.TensorType.INT32, np.dtype(np.float32): s.TensorType.FLOAT32}


def lstm_model(rng, batch, time, depth, units, *, s_in, zp_in, s_w, s_h, zp_h, cell_log2, hidden=None,
               cifg=False, cell_clip=0.0, time_major=False, bias_range=1 << 12, weight_max=127,
               n_output=None, projection=None, proj_bias=True, proj_clip=0.0, s_out=None,
               peephole=None, layer_norm=None):
    """A one-operator model. s_w: 8 weight scales (input-to-{i,f,c,o}, recurrent-to-{i,f,c,o}).
    hidden: (scale, zp) of the hidden intermediate, default (s_h, zp_h). Weights are uniform in
    ±weight_max, biases in ±bias_range. projection: scale of int8 [n_output, units] projection
    weights (with an int32 bias when proj_bias). peephole: scale of the int16 peephole weights.
    layer_norm: (coefficient scale, [4 gate intermediate scales]). s_out: output scale (used by
    TFLite only for the projection clip), default s_h."""
    n_output = n_output or units
    m = s.ModelT()
    m.version = 3
    m.description = "qlite lstm"
    oc = s.OperatorCodeT()
    oc.builtinCode = s.BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM
    oc.deprecatedBuiltinCode = oc.builtinCode
    oc.version = 1
    m.operatorCodes = [oc]
    bufs = [s.BufferT()]
    tensors = []

    def tensor(name, shape, dtype, quant=None, data=None, variable=False):
        t = s.TensorT()
        t.name = name
        t.shape = list(shape)
        t.type = _T[np.dtype(dtype)]
        t.buffer = 0
        if data is not None:
            b = s.BufferT()
            b.data = np.ascontiguousarray(data, dtype=dtype).tobytes()
            bufs.append(b)
            t.buffer = len(bufs) - 1
        if quant is not None:
            q = s.QuantizationParametersT()
            q.scale = [float(quant[0])]
            q.zeroPoint = [int(quant[1])]
            t.quantization = q
        t.isVariable = variable
        tensors.append(t)
        return len(tensors) - 1

    in_shape = (time, batch, depth) if time_major else (batch, time, depth)
    x = tensor("input", in_shape, np.int8, (s_in, zp_in))
    ins = [x] + [-1] * 23
    gates = "ifco"
    for g in range(4):
        if cifg and g == 0:
            continue
        w = rng.integers(-weight_max, weight_max + 1, size=(units, depth))
        ins[1 + g] = tensor(f"w_in_{gates[g]}", (units, depth), np.int8, (s_w[g], 0), w)
        r = rng.integers(-weight_max, weight_max + 1, size=(units, n_output))
        ins[5 + g] = tensor(f"w_rec_{gates[g]}", (units, n_output), np.int8, (s_w[4 + g], 0), r)
        if peephole and g != 2:
            p = rng.integers(-32768, 32768, size=(units,))
            ins[9 + min(g, 2)] = tensor(f"w_peep_{gates[g]}", (units,), np.int16, (peephole, 0), p)
        if layer_norm:
            c = rng.integers(-32768, 32768, size=(units,))
            ins[20 + g] = tensor(f"ln_{gates[g]}", (units,), np.int16, (layer_norm[0], 0), c)
        b = rng.integers(-bias_range, bias_range + 1, size=(units,))
        ins[12 + g] = tensor(f"bias_{gates[g]}", (units,), np.int32, (s_w[g] * s_in, 0), b)
    if projection:
        pw = rng.integers(-weight_max, weight_max + 1, size=(n_output, units))
        ins[16] = tensor("w_proj", (n_output, units), np.int8, (projection, 0), pw)
        if proj_bias:
            pb = rng.integers(-bias_range, bias_range + 1, size=(n_output,))
            ins[17] = tensor("b_proj", (n_output,), np.int32, (projection * (hidden or (s_h, 0))[0], 0), pb)
    ins[18] = tensor("output_state", (batch, n_output), np.int8, (s_h, zp_h), variable=True)
    ins[19] = tensor("cell_state", (batch, units), np.int16, (2.0 ** cell_log2, 0), variable=True)
    if layer_norm:
        inter = [tensor(f"intermediate_{k}", (0,), np.int16, (layer_norm[1][k], 0)) for k in range(4)]
    else:
        inter = [tensor(f"intermediate_{k}", (0,), np.float32) for k in range(4)]
    hs, hz = hidden or (s_h, zp_h)
    inter.append(tensor("effective_hidden_scale_intermediate", (0,), np.int8, (hs, hz)))
    out_shape = (time, batch, n_output) if time_major else (batch, time, n_output)
    y = tensor("output", out_shape, np.int8, (s_out or s_h, zp_h))

    op = s.OperatorT()
    op.opcodeIndex = 0
    op.inputs = ins
    op.outputs = [y]
    op.intermediates = inter
    o = s.UnidirectionalSequenceLSTMOptionsT()
    o.fusedActivationFunction = s.ActivationFunctionType.TANH
    o.cellClip = float(cell_clip)
    o.projClip = float(proj_clip)
    o.timeMajor = bool(time_major)
    op.builtinOptionsType = s.BuiltinOptions.UnidirectionalSequenceLSTMOptions
    op.builtinOptions = o

    sg = s.SubGraphT()
    sg.tensors = tensors
    sg.inputs = [x]
    sg.outputs = [y]
    sg.operators = [op]
    sg.name = "main"
    m.subgraphs = [sg]
    m.buffers = bufs
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())
