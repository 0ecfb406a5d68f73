"""SVDF differential check on keyword_scrambled_8bit.tflite (the only SVDF model available: the
TF 2.21 converter does not emit SVDF).

Variants of the real model, each with every SVDF output (and the logits) made a model output:
- int8: the model as it is (int8 weights_time and int8 state with zero points: TFLite Micro's
  integer path; TFLite itself aborts on it). Oracle: TFLite Micro.
- int16: weights_time widened to int16 (same values, scale ×256) and the state made int16 with
  scale /256 and zero point 0 (TFLite's EvalIntegerSVDF path). Oracles: TFLite BUILTIN_REF and
  TFLite Micro.
- float: every constant dequantized, every tensor float32 (QUANTIZE ops removed). Oracle: TFLite
  BUILTIN_REF.
- int8_wide / int16_wide: the same with each SVDF's state scale ×64 and output scale ×64·8192
  (biases rescaled to keep TFLite Micro's bias-scale checks), because the scrambled weights
  saturate nearly every SVDF value of the original (only signs would be compared); here about
  half the values are inside the int8 range. These variants detect the int8 state's initial
  value (its zero point) and the clamp-then-add-zero-point order of the projection.
Each sequence runs STEPS invokes in one interpreter (state carried over) on seeded random int16
inputs (some steps all zeros or extremes), in TFLite Micro / TFLite, and in qlite
(`qlite compare`, which also runs the cases in one interpreter). Usage:
  svdf_check.py QLITE_BINARY [SEQUENCES] [STEPS] [SEED]
"""
import copy, json, os, subprocess, sys, tempfile

import flatbuffers
import numpy as np
from ai_edge_litert import schema_py_generated as s

# ../shared/real-models beside the repository, as tests/golden.rs looks for it; KW_MODEL overrides.
MODEL = os.environ.get("KW_MODEL", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                "../../shared/real-models/keyword_scrambled_8bit.tflite"))


def pack(m):
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def svdf_ops(m):
    sg = m.subgraphs[0]
    return [op for op in sg.operators if m.operatorCodes[op.opcodeIndex].builtinCode == s.BuiltinOperator.SVDF
            or m.operatorCodes[op.opcodeIndex].deprecatedBuiltinCode == s.BuiltinOperator.SVDF]


def buf_array(m, t, dtype):
    return np.frombuffer(bytes(bytearray(m.buffers[t.buffer].data)), dtype=dtype).copy()


def set_buf(m, t, arr):
    m.buffers[t.buffer].data = np.frombuffer(arr.tobytes(), dtype=np.uint8).copy()


def with_outputs(m):
    sg = m.subgraphs[0]
    outs = [op.outputs[0] for op in svdf_ops(m)]
    sg.outputs = np.array(outs + list(sg.outputs), dtype=np.int32)
    return m


def variant_int8(raw):
    return pack(with_outputs(s.ModelT.InitFromPackedBuf(raw, 0)))


def desaturate(m, ks, ko):
    """The keyword model's scrambled weights saturate most SVDF states and outputs; this widens
    each SVDF's state scale by ks (bias rescaled to keep s_bias = s_state·s_wt) and its output
    scale by ks·ko, so that the values land inside the int8 range."""
    sg = m.subgraphs[0]
    for op in svdf_ops(m):
        st, bias, out = sg.tensors[op.inputs[4]], sg.tensors[op.inputs[3]], sg.tensors[op.outputs[0]]
        st.quantization.scale = np.array([st.quantization.scale[0] * ks], dtype=np.float32)
        b = buf_array(m, bias, np.int32).astype(np.float64)
        set_buf(m, bias, np.round(b / ks).astype(np.int32))
        wt = sg.tensors[op.inputs[2]]
        bias.quantization.scale = np.array([np.float32(st.quantization.scale[0]) * np.float32(wt.quantization.scale[0])],
                                           dtype=np.float32)
        out.quantization.scale = np.array([out.quantization.scale[0] * ks * ko], dtype=np.float32)
        # A FULLY_CONNECTED reading this output needs s_bias = s_in·s_w (TFLite Micro checks it).
        for fc in sg.operators:
            if m.operatorCodes[fc.opcodeIndex].builtinCode == s.BuiltinOperator.FULLY_CONNECTED \
                    and fc.inputs[0] == op.outputs[0] and len(fc.inputs) > 2 and fc.inputs[2] >= 0:
                fb, fw = sg.tensors[fc.inputs[2]], sg.tensors[fc.inputs[1]]
                v = buf_array(m, fb, np.int32).astype(np.float64)
                set_buf(m, fb, np.round(v / (ks * ko)).astype(np.int32))
                fb.quantization.scale = np.array(
                    [np.float32(out.quantization.scale[0]) * np.float32(fw.quantization.scale[0])], dtype=np.float32)
    return m


def variant_int8_wide(raw):
    return pack(with_outputs(desaturate(s.ModelT.InitFromPackedBuf(raw, 0), 64, 8192)))


def variant_int16_wide(raw):
    return pack(with_outputs(desaturate(s.ModelT.InitFromPackedBuf(variant_int16(raw), 0), 64, 8192)))


def variant_int16(raw):
    m = s.ModelT.InitFromPackedBuf(raw, 0)
    sg = m.subgraphs[0]
    for op in svdf_ops(m):
        wt, st = sg.tensors[op.inputs[2]], sg.tensors[op.inputs[4]]
        v = buf_array(m, wt, np.int8).astype(np.int16)
        wt.type = s.TensorType.INT16
        set_buf(m, wt, v)
        wt.quantization.scale = np.array([wt.quantization.scale[0] * 256], dtype=np.float32)
        st.type = s.TensorType.INT16
        st.quantization.scale = np.array([st.quantization.scale[0] / 256], dtype=np.float32)
        st.quantization.zeroPoint = np.array([0], dtype=np.int64)
    return pack(with_outputs(m))


def variant_float(raw):
    m = s.ModelT.InitFromPackedBuf(raw, 0)
    sg = m.subgraphs[0]
    np_t = {s.TensorType.INT8: np.int8, s.TensorType.INT16: np.int16, s.TensorType.INT32: np.int32}
    for t in sg.tensors:
        q = t.quantization
        if t.buffer and m.buffers[t.buffer].data is not None and len(m.buffers[t.buffer].data):
            v = buf_array(m, t, np_t[t.type]).astype(np.float64)
            f = ((v - q.zeroPoint[0]) * q.scale[0]).astype(np.float32)
            set_buf(m, t, f)
        t.type = s.TensorType.FLOAT32
        t.quantization = None
    # Drop both QUANTIZE ops: the graph input feeds the first SVDF, the softmax output is the output.
    ops = sg.operators
    q_first, q_last = ops[0], ops[-1]
    ins = np.array(ops[1].inputs, dtype=np.int32)
    ins[0] = q_first.inputs[0]
    ops[1].inputs = ins
    sg.outputs = np.array([q_last.inputs[0]], dtype=np.int32)
    sg.operators = ops[1:-1]
    return pack(with_outputs(m))


def run_tflm(path, seq):
    from tflite_micro.python.tflite_micro import runtime
    it = runtime.Interpreter.from_file(path)
    outs = None
    for x in seq:
        it.set_input(x[None], 0)
        it.invoke()
        got = [it.get_output(k).copy() for k in range(n_out(path))]
        outs = [[g] for g in got] if outs is None else [o + [g] for o, g in zip(outs, got)]
    return [np.concatenate(o) for o in outs]


def n_out(path):
    return len(s.ModelT.InitFromPackedBuf(open(path, "rb").read(), 0).subgraphs[0].outputs)


def run_tflite(path, seq):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    it = Interpreter(model_path=path, experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    det = it.get_output_details()
    inp = it.get_input_details()[0]
    outs = [[] for _ in det]
    for x in seq:
        it.set_tensor(inp["index"], x[None].astype(inp["dtype"]))
        it.invoke()
        for k, d in enumerate(det):
            outs[k].append(it.get_tensor(d["index"]).copy())
    return [np.concatenate(o) for o in outs]


def run_qlite(qlite, path, seq, expected, d):
    inp = os.path.join(d, "in.npy")
    np.save(inp, seq)
    exps = []
    for k, e in enumerate(expected):
        p = os.path.join(d, f"exp{k}.npy")
        np.save(p, e)
        exps += ["-e", p]
    r = subprocess.run([qlite, "compare", path, "-i", inp, *exps, "--json"], capture_output=True, text=True)
    if r.returncode not in (0, 1):
        raise SystemExit(f"qlite failed on {path}: {r.stderr}")
    return r.returncode == 0, r.stdout


def main():
    qlite = sys.argv[1]
    nseq = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    steps = int(sys.argv[3]) if len(sys.argv) > 3 else 12
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    raw = open(MODEL, "rb").read()
    rng = np.random.default_rng(seed)
    d = tempfile.mkdtemp()
    variants = {"int8": (variant_int8(raw), ["tflm"]), "int16": (variant_int16(raw), ["tflite", "tflm"]),
                "int8_wide": (variant_int8_wide(raw), ["tflm"]),
                "int16_wide": (variant_int16_wide(raw), ["tflite", "tflm"]),
                "float": (variant_float(raw), ["tflite"])}
    counts = {}
    for name, (mb, oracles) in variants.items():
        path = os.path.join(d, f"kw_{name}.tflite")
        open(path, "wb").write(mb)
        for o in oracles:
            ok_n = bad_n = 0
            for q in range(nseq):
                scale = rng.choice([300, 3000, 32767])
                seq = rng.integers(-scale, scale + 1, size=(steps, 96)).astype(np.int16)
                for t in range(steps):
                    if rng.random() < 0.1:
                        seq[t] = 0
                    elif rng.random() < 0.1:
                        seq[t] = rng.choice([-32768, 32767], size=96)
                x = seq if name != "float" else (seq.astype(np.float32) * np.float32(0.000625))
                ref = run_tflm(path, x) if o == "tflm" else run_tflite(path, x)
                ok, out = run_qlite(qlite, path, x, ref, d)
                if ok:
                    ok_n += 1
                else:
                    bad_n += 1
                    if bad_n <= 2:
                        print(name, o, "seq", q, "MISMATCH", out[:2000])
            counts[f"{name} vs {o}"] = (ok_n, bad_n)
            print(f"{name} vs {o}: {ok_n} sequences identical, {bad_n} differ ({steps} invokes each, seed {seed})",
                  flush=True)
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
