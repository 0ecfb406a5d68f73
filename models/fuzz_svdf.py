"""Randomized SVDF check: single-op SVDF models built directly as flatbuffers (the TF 2.21
converter never emits SVDF), random geometry (batch, input, filters, rank, memory; sizes not
multiples of 4 included), scales, zero points, activation, with and without bias; each config
runs STEPS invokes in one interpreter (state carried over) in the oracle and in qlite.
Types and oracles:
- float32: TFLite BUILTIN_REF;
- int8 input, int16 weights_time/state (zero point 0): TFLite BUILTIN_REF and TFLite Micro;
- int8 input, int8 weights_time/state with a zero point: TFLite Micro (TFLite rejects it).
TFLite Micro is only asked about configs with a bias (it crashes without one); TFLite only runs
the integer SVDF with a RELU activation (which its integer kernel then never applies).
Usage: fuzz_svdf.py QLITE_BINARY [CONFIGS_PER_TYPE] [SEED]
"""
import os, subprocess, sys, tempfile

import flatbuffers
import numpy as np
from ai_edge_litert import schema_py_generated as s


def run_tflite(path, steps):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    it = Interpreter(model_path=path, experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    i, o = it.get_input_details()[0]["index"], it.get_output_details()[0]["index"]
    outs = []
    for x in steps:
        it.set_tensor(i, x)
        it.invoke()
        outs.append(it.get_tensor(o).copy())
    return np.concatenate(outs)


def run_tflm(path, steps):
    from tflite_micro.python.tflite_micro import runtime
    it = runtime.Interpreter.from_file(path)
    outs = []
    for x in steps:
        it.set_input(x, 0)
        it.invoke()
        outs.append(it.get_output(0).copy())
    return np.concatenate(outs)

STEPS = 6


def tensor(shape, ttype, buf, scale=None, zp=None, variable=False):
    t = s.TensorT()
    t.shape = np.array(shape, dtype=np.int32)
    t.type = ttype
    t.buffer = buf
    t.isVariable = variable
    if scale is not None:
        q = s.QuantizationParametersT()
        q.scale = np.array([scale], dtype=np.float32)
        q.zeroPoint = np.array([zp], dtype=np.int64)
        t.quantization = q
    return t


def build(kind, rng):
    B = int(rng.integers(1, 3))
    I = int(rng.integers(1, 20))
    rank = int(rng.integers(1, 4))
    U = int(rng.integers(1, 6))
    F = U * rank
    M = int(rng.integers(1, 11))
    # TFLite requires RELU on the integer SVDF (svdf.cc) though its integer kernel never applies it.
    act = int(rng.choice([0, 1, 3])) if kind == "float" else 1
    has_bias = bool(rng.random() < 0.8) or kind == "int8"  # TFLite Micro needs the bias
    m = s.ModelT()
    m.version = 3
    oc = s.OperatorCodeT()
    oc.builtinCode = s.BuiltinOperator.SVDF
    oc.deprecatedBuiltinCode = s.BuiltinOperator.SVDF
    oc.version = 1
    m.operatorCodes = [oc]
    bufs = [s.BufferT()]

    def cbuf(arr):
        b = s.BufferT()
        b.data = np.frombuffer(arr.tobytes(), dtype=np.uint8).copy()
        bufs.append(b)
        return len(bufs) - 1

    def ebuf():
        bufs.append(s.BufferT())
        return len(bufs) - 1

    T = s.TensorType
    if kind == "float":
        wf = rng.normal(0, 1, (F, I)).astype(np.float32)
        wt = rng.normal(0, 1, (F, M)).astype(np.float32)
        bias = rng.normal(0, 1, U).astype(np.float32)
        ts = [tensor([B, I], T.FLOAT32, ebuf()), tensor([F, I], T.FLOAT32, cbuf(wf)),
              tensor([F, M], T.FLOAT32, cbuf(wt)), tensor([U], T.FLOAT32, cbuf(bias)) if has_bias else None,
              tensor([B, F * M], T.FLOAT32, ebuf(), variable=True), tensor([B, U], T.FLOAT32, ebuf())]
    else:
        st_t, st_np = (T.INT16, np.int16) if kind == "int16" else (T.INT8, np.int8)
        lim = 32767 if kind == "int16" else 127
        wlim = 4096 if kind == "int16" else 127
        wf = rng.integers(-127, 128, (F, I)).astype(np.int8)
        wt = rng.integers(-wlim, wlim + 1, (F, M)).astype(st_np)
        bias = rng.integers(-20000, 20000, U).astype(np.int32)
        jitter = lambda: float(np.exp(rng.uniform(-1.5, 1.5)))  # noqa: E731
        s_in = float(np.exp(rng.uniform(np.log(1e-3), np.log(1.0))))
        s_wf = float(np.exp(rng.uniform(np.log(1e-3), np.log(0.1))))
        s_wt = float(np.exp(rng.uniform(np.log(1e-4), np.log(0.1))))
        # Scales that put typical projections and outputs inside the range (jittered, so that some
        # saturate): |Σ wf·(x − zp)| ~ 73·110·√I, |Σ_rank Σ wt·state| ~ (wlim/√3)·(lim/3)·√(M·rank).
        s_st = s_in * s_wf * 73 * 110 * np.sqrt(I) / (lim / 3) * jitter()
        s_out = s_st * s_wt * (wlim / 1.7) * (lim / 3) * np.sqrt(M * rank) / 50 * jitter()
        zp_in, zp_out = int(rng.integers(-128, 128)), int(rng.integers(-128, 128))
        zp_st = 0 if kind == "int16" else int(rng.integers(-128, 128))
        s_b = float(np.float32(s_st) * np.float32(s_wt))
        ts = [tensor([B, I], T.INT8, ebuf(), s_in, zp_in), tensor([F, I], T.INT8, cbuf(wf), s_wf, 0),
              tensor([F, M], st_t, cbuf(wt), s_wt, 0), tensor([U], T.INT32, cbuf(bias), s_b, 0) if has_bias else None,
              tensor([B, F * M], st_t, ebuf(), s_st, zp_st, variable=True), tensor([B, U], T.INT8, ebuf(), s_out, zp_out)]
    idx = {}
    tensors = []
    for k, t in enumerate(ts):
        if t is not None:
            idx[k] = len(tensors)
            tensors.append(t)
    op = s.OperatorT()
    op.opcodeIndex = 0
    op.inputs = np.array([idx[0], idx[1], idx[2], idx.get(3, -1), idx[4]], dtype=np.int32)
    op.outputs = np.array([idx[5]], dtype=np.int32)
    op.builtinOptionsType = s.BuiltinOptions.SVDFOptions
    o = s.SVDFOptionsT()
    o.rank = rank
    o.fusedActivationFunction = act
    op.builtinOptions = o
    sg = s.SubGraphT()
    sg.tensors = tensors
    sg.inputs = np.array([idx[0]], dtype=np.int32)
    sg.outputs = np.array([idx[5]], dtype=np.int32)
    sg.operators = [op]
    m.subgraphs = [sg]
    m.buffers = bufs
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    if kind == "float":
        x = rng.normal(0, 2, (STEPS * B, I)).astype(np.float32)
    else:
        x = rng.integers(-128, 128, (STEPS * B, I)).astype(np.int8)
        x[rng.random(STEPS * B) < 0.1] = rng.choice([-128, 127])
    return bytes(b.Output()), x, B, (B, I, F, rank, M, act, has_bias)


def main():
    qlite = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    rng = np.random.default_rng(seed)
    d = tempfile.mkdtemp()
    kinds = [("float", ["tflite"]), ("int16", ["tflite", "tflm"]), ("int8", ["tflm"])]
    only = os.environ.get("FUZZ_KIND")
    for kind, oracles in [k for k in kinds if only in (None, k[0])]:
        stats = {o: [0, 0, 0] for o in oracles}  # identical, differ, oracle error
        sat = [0, 0]  # saturated output values, all output values (integer kinds)
        for c in range(n):
            mb, x, B, cfg = build(kind, rng)
            path = os.path.join(d, "m.tflite")
            open(path, "wb").write(mb)
            steps = [x[k * B:(k + 1) * B] for k in range(STEPS)]
            for o in oracles:
                if o == "tflm" and not cfg[6]:
                    continue  # TFLite Micro dereferences the missing bias (segfault)
                if os.environ.get("FUZZ_TRACE"):
                    print("run", kind, o, c, cfg, flush=True)
                try:
                    ref = (run_tflite if o == "tflite" else run_tflm)(path, steps)
                except Exception as e:  # noqa: BLE001
                    stats[o][2] += 1
                    if stats[o][2] <= 2:
                        print(kind, o, "oracle error", cfg, str(e)[:200])
                    continue
                if kind != "float":
                    sat[0] += int(np.sum((ref == 127) | (ref == -128)))
                    sat[1] += ref.size
                np.save(os.path.join(d, "x.npy"), x)
                np.save(os.path.join(d, "e.npy"), ref)
                r = subprocess.run([qlite, "compare", path, "-i", os.path.join(d, "x.npy"), "-e",
                                    os.path.join(d, "e.npy")], capture_output=True, text=True)
                if r.returncode == 0:
                    stats[o][0] += 1
                else:
                    stats[o][1] += 1
                    if stats[o][1] <= 3:
                        print(kind, o, "MISMATCH", cfg, r.stdout[-400:], r.stderr[-300:])
        for o, (ok, bad, err) in stats.items():
            print(f"{kind} vs {o}: {ok} identical, {bad} differ, {err} oracle errors (seed {seed})", flush=True)
        if sat[1]:
            print(f"{kind}: {sat[0] / sat[1]:.0%} of the reference output values are saturated", flush=True)


if __name__ == "__main__":
    main()
