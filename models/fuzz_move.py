#!/usr/bin/env python3
"""Randomized differential check of qlite's data-movement kernels against TFLite's reference
kernels (BUILTIN_REF of the pinned ai-edge-litert).

Each configuration is a single-operator model written directly as a flatbuffer (models/
tflbuild_move.py), so that every option the kernels accept is reachable (the converter never emits
most mask combinations, offsets, int64 paddings, ...). Inputs are random, including the type's
extremes. Both interpreters run the model; the outputs must be identical byte for byte, and a
model TFLite refuses (at prepare or at invoke) must be refused by qlite too.

TFLite leaves some output elements unwritten in a few degenerate configurations (see
src/ops/strided_slice.rs). To see them, the TFLite output buffers are pre-filled with two
different sentinels in two runs; elements that keep the sentinel in both were never written and
are excluded from the comparison (and counted).

    /work/venv/bin/python models/fuzz_move.py [--seed S] [--n N] [--ops OP,OP] [--keep DIR]

Needs target/release/qlite (cargo build --release).
"""

import argparse
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tflbuild_move import T, single_op  # noqa: E402
from ai_edge_litert.interpreter import Interpreter, OpResolverType  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QLITE = os.path.join(ROOT, "target", "release", "qlite")


# ----------------------------------------------------------------------------- random helpers

def rand_shape(rng, rank, lo=1, hi=4, zero_p=0.0):
    return [0 if rng.random() < zero_p else int(rng.integers(lo, hi + 1)) for _ in range(rank)]


def rand_quant(rng):
    return (float(np.float32(10 ** rng.uniform(-4, 1))), int(rng.integers(-128, 128)))


def rand_data(rng, dtype, shape):
    dt = np.dtype(dtype)
    if dt == np.bool_:
        return rng.integers(0, 2, size=shape).astype(np.bool_)
    if np.issubdtype(dt, np.integer):
        info = np.iinfo(dt)
        a = rng.integers(int(info.min), int(info.max) + 1, size=shape, dtype=np.int64).astype(dt)
        if a.size >= 2:
            a.flat[0], a.flat[-1] = info.min, info.max
        return a
    a = rng.standard_normal(size=shape).astype(dt) * 10
    if a.size >= 3:
        a.flat[0], a.flat[1], a.flat[2] = -0.0, np.finfo(dt).max, np.inf
    return a


def pick_dtype(rng, extra=()):
    """Mostly int8 (quantized), float32, int32; sometimes other types."""
    r = rng.random()
    if r < 0.4:
        return "int8"
    if r < 0.7:
        return "float32"
    if r < 0.85 or not extra:
        return "int32"
    return str(rng.choice(list(extra)))


def other_q(rng, dtype, q):
    """Usually `q`; sometimes other parameters (ops that do not check them must copy anyway)."""
    return q if rng.random() < 0.85 else qfor(rng, dtype)


def qfor(rng, dtype, q=None):
    if dtype in ("int8",):
        return q or rand_quant(rng)
    if dtype == "int16" and rng.random() < 0.5:
        return (float(np.float32(10 ** rng.uniform(-4, 0))), 0)
    if dtype == "uint8" and rng.random() < 0.7:
        return (float(np.float32(10 ** rng.uniform(-3, 1))), int(rng.integers(0, 256)))
    return None


# ----------------------------------------------------------------------------- op generators
# Each returns (model_bytes, [input arrays in graph-input order], note).

def gen_concat(rng, dtype=None):
    dtype = dtype or pick_dtype(rng, ("uint8", "int16", "int64", "bool", "float16", "uint32"))
    rank = int(rng.integers(1, 6))
    n = int(rng.integers(1, 5))
    axis = int(rng.integers(-rank, rank))
    a = axis % rank
    base = rand_shape(rng, rank, zero_p=0.05)
    q = qfor(rng, dtype)
    ins, tins, feeds = [], [], []
    total = 0
    for i in range(n):
        s = list(base)
        s[a] = int(rng.integers(0, 4)) if rng.random() < 0.1 else int(rng.integers(1, 4))
        total += s[a]
        qi = q
        if dtype == "uint8" and rng.random() < 0.7:
            qi = qfor(rng, dtype)  # ConcatenationWithScaling rescales this input
        if dtype == "int8" and rng.random() < 0.05:
            qi = rand_quant(rng)  # TFLite refuses: the error must agree
        const = rng.random() < 0.2
        data = rand_data(rng, dtype, s)
        t = T(f"in{i}", dtype, s, data=data if const else None, q=qi)
        tins.append(t)
        if not const:
            feeds.append(data)
    out = list(base)
    out[a] = total
    act = 1 if rng.random() < 0.05 else 0
    m = single_op("CONCATENATION", tins, [T("out", dtype, out, q=q)], axis=axis, fusedActivationFunction=act)
    return m, feeds, f"{dtype} rank{rank} n{n} axis{axis}"


def gen_pad(rng, v2=None):
    v2 = rng.random() < 0.5 if v2 is None else v2
    dtype = pick_dtype(rng, ("uint8", "int16", "int64", "bool", "float16"))
    rank = int(rng.integers(0, 7)) if rng.random() < 0.1 else int(rng.integers(1, 6))
    shape = rand_shape(rng, rank, zero_p=0.03)
    ptype = str(rng.choice(["int32", "int64", "int32", "int8", "int16"]))
    pads = [[int(rng.integers(0, 4)), int(rng.integers(0, 4))] for _ in range(rank)]
    if rank and rng.random() < 0.03:
        pads[0][0] = -1  # refused
    out = [d + p[0] + p[1] for d, p in zip(shape, pads)]
    q = qfor(rng, dtype)
    qo = q if rng.random() < 0.8 else qfor(rng, dtype)
    x = rand_data(rng, dtype, shape)
    ins = [T("x", dtype, shape, q=q), T("paddings", ptype, [rank, 2], data=np.array(pads).reshape(rank, 2))]
    feeds = [x]
    if v2:
        cv = rand_data(rng, dtype, [1] if rng.random() < 0.5 else [])
        qc = qo if rng.random() < 0.9 else qfor(rng, dtype)
        if rng.random() < 0.7:
            ins.append(T("c", dtype, list(cv.shape), data=cv, q=qc))
        else:
            ins.append(T("c", dtype, list(cv.shape), q=qc))
            feeds.append(cv)
    m = single_op("PADV2" if v2 else "PAD", ins, [T("out", dtype, out, q=qo)])
    return m, feeds, f"{'padv2' if v2 else 'pad'} {dtype} {shape} {pads} {ptype}"


def gen_transpose(rng):
    dtype = pick_dtype(rng, ("uint8", "int16", "int64", "bool", "float16"))
    # Not rank 0: TFLite's reference transpose indexes stride[-1] there and may loop for ages.
    rank = int(rng.integers(1, 10)) if rng.random() < 0.1 else int(rng.integers(1, 7))
    shape = rand_shape(rng, rank, hi=3 if rank > 5 else 4, zero_p=0.02)
    perm = list(rng.permutation(rank))
    perm = [int(p) - rank if rng.random() < 0.2 else int(p) for p in perm]
    if rank >= 2 and rng.random() < 0.03:
        perm[0] = perm[1]  # refused
    out = [shape[p % rank] for p in perm] if rank else []
    q = qfor(rng, dtype)
    qo = other_q(rng, dtype, q)
    m = single_op("TRANSPOSE", [T("x", dtype, shape, q=q), T("perm", "int32", [rank], data=perm)],
                  [T("out", dtype, out, q=qo)])
    return m, [rand_data(rng, dtype, shape)], f"{dtype} {shape} perm{perm}"


def gen_strided_slice(rng):
    dtype = pick_dtype(rng, ("uint8", "int16", "int64", "bool", "float16"))
    rank = int(rng.integers(0, 6))
    shape = rand_shape(rng, rank, hi=5, zero_p=0.03)
    offset = rng.random() < 0.08
    n = max(0, rank + int(rng.integers(-1, 3))) if rng.random() < 0.5 else rank
    n = max(n, 1) if rank else int(rng.integers(0, 2))
    if offset:
        n = rank  # TFLite reads `end` at every effective axis for the output shape (past its end if shorter)
    begin, end, strides = [], [], []
    for i in range(n):
        d = shape[i] if i < rank else 3
        s = int(rng.choice([1, 1, 1, 2, 3, -1, -1, -2, -3]))
        b = int(rng.integers(-d - 2, d + 3))
        e = int(rng.integers(-d - 2, d + 3))
        if offset:
            b = int(rng.integers(0, d + 1))
            e = int(rng.integers(0, d - b + 1))
            s = int(rng.choice([1, 1, 2]))
        begin.append(b)
        end.append(e)
        strides.append(s)
    bits = lambda p: sum(1 << i for i in range(n) if rng.random() < p)  # noqa: E731
    begin_mask, end_mask = bits(0.25), bits(0.25)
    ellipsis = 0
    if n and rng.random() < 0.25:
        ellipsis = 1 << int(rng.integers(0, n))
    new_axis = bits(0.15) if rng.random() < 0.3 else 0
    shrink = bits(0.3) if rng.random() < 0.5 else 0
    if offset:
        begin_mask = end_mask = ellipsis = new_axis = shrink = 0
    if rng.random() < 0.02 and n:
        strides[0] = 0  # refused
    q = qfor(rng, dtype)
    qo = other_q(rng, dtype, q)
    const = rng.random() < 0.1
    x = rand_data(rng, dtype, shape)
    ins = [T("x", dtype, shape, data=x if const else None, q=q), T("begin", "int32", [n], data=begin),
           T("end", "int32", [n], data=end), T("strides", "int32", [n], data=strides)]
    # The output shape in the file is informative only; use TensorFlow's answer when it has one.
    out_shape = [1]
    try:
        import tensorflow as tf  # noqa: F401  (lazy: only for the file's output shape)
        out_shape = list(tf.strided_slice(np.zeros(shape, np.float32), begin, end, strides, begin_mask=begin_mask,
                                          end_mask=end_mask, ellipsis_mask=ellipsis, new_axis_mask=new_axis,
                                          shrink_axis_mask=shrink).shape)
    except Exception:  # noqa: BLE001 - TF refuses some masks that TFLite runs
        pass
    opts = dict(beginMask=begin_mask, endMask=end_mask, ellipsisMask=ellipsis, newAxisMask=new_axis,
                shrinkAxisMask=shrink, offset=offset)
    m = single_op("STRIDED_SLICE", ins, [T("out", dtype, out_shape, q=qo)], **opts)
    note = (f"{dtype} {shape} b{begin} e{end} s{strides} bm{begin_mask} em{end_mask} el{ellipsis} "
            f"na{new_axis} sh{shrink} off{int(offset)}{' const' if const else ''}")
    if const:
        # TFLite computes a constant slice at prepare time, where unwritten elements cannot be
        # seen; the same slice of a graph input shows them.
        ins[0] = T("x", dtype, shape, q=q)
        twin = single_op("STRIDED_SLICE", ins, [T("out", dtype, out_shape, q=qo)], **opts)
        return m, [], note, (twin, [x])
    return m, [x], note


def gen_slice(rng):
    dtype = pick_dtype(rng, ("uint8", "int16", "int64", "bool", "float16"))
    rank = int(rng.integers(0, 7))
    shape = rand_shape(rng, rank, zero_p=0.03)
    it = str(rng.choice(["int32", "int64"]))
    begin, size = [], []
    for d in shape:
        b = int(rng.integers(0, d + 1))
        s = -1 if rng.random() < 0.25 else int(rng.integers(0, d - b + 1))
        begin.append(b)
        size.append(s)
    if rank and rng.random() < 0.03:
        size[0] = shape[0] + 1  # refused
    out = [d - b if s == -1 else s for d, b, s in zip(shape, begin, size)]
    q = qfor(rng, dtype)
    qo = other_q(rng, dtype, q)
    m = single_op("SLICE", [T("x", dtype, shape, q=q), T("begin", it, [rank], data=begin),
                            T("size", it, [rank], data=size)], [T("out", dtype, [max(o, 0) for o in out], q=qo)])
    return m, [rand_data(rng, dtype, shape)], f"{dtype} {shape} b{begin} s{size} {it}"


def gen_pack(rng):
    dtype = pick_dtype(rng, ("uint8", "int16", "int64", "uint16", "uint32"))
    rank = int(rng.integers(0, 5))
    shape = rand_shape(rng, rank, zero_p=0.03)
    n = int(rng.integers(1, 5))
    axis = int(rng.integers(-rank - 1, rank + 1))
    q = qfor(rng, dtype)
    ins, feeds = [], []
    for i in range(n):
        qi = q if rng.random() > 0.03 else qfor(rng, "int8")
        data = rand_data(rng, dtype, shape)
        const = rng.random() < 0.2
        ins.append(T(f"in{i}", dtype, shape, data=data if const else None, q=qi))
        if not const:
            feeds.append(data)
    out = list(shape)
    out.insert(axis % (rank + 1), n)
    m = single_op("PACK", ins, [T("out", dtype, out, q=q)], valuesCount=n, axis=axis)
    return m, feeds, f"{dtype} {shape} n{n} axis{axis}"


def gen_unpack(rng):
    dtype = pick_dtype(rng, ("uint8", "int16", "bool", "float16"))
    rank = int(rng.integers(1, 6))
    shape = rand_shape(rng, rank)
    axis = int(rng.integers(-rank, rank))
    n = shape[axis]
    q = qfor(rng, dtype)
    qo = other_q(rng, dtype, q)
    out = list(shape)
    del out[axis % rank]
    m = single_op("UNPACK", [T("x", dtype, shape, q=q)], [T(f"o{i}", dtype, out, q=qo) for i in range(n)],
                  num=n, axis=axis)
    return m, [rand_data(rng, dtype, shape)], f"{dtype} {shape} axis{axis}"


def gen_split(rng):
    dtype = pick_dtype(rng, ("uint8", "int16", "int64"))
    rank = int(rng.integers(1, 6))
    shape = rand_shape(rng, rank)
    axis = int(rng.integers(-rank, rank))
    n = int(rng.choice([k for k in range(1, 5) if shape[axis] % k == 0]))
    if rng.random() < 0.03:
        n = shape[axis] + 1  # refused (unless divisible)
    out = list(shape)
    out[axis] = shape[axis] // n
    q = qfor(rng, dtype)
    qo = other_q(rng, dtype, q)
    m = single_op("SPLIT", [T("axis", "int32", [], data=axis), T("x", dtype, shape, q=q)],
                  [T(f"o{i}", dtype, out, q=qo) for i in range(n)], numSplits=n)
    return m, [rand_data(rng, dtype, shape)], f"{dtype} {shape} axis{axis} n{n}"


def gen_split_v(rng):
    dtype = pick_dtype(rng, ("uint8", "int16", "int64", "uint16"))
    rank = int(rng.integers(1, 6))
    shape = rand_shape(rng, rank, hi=6)
    axis = int(rng.integers(-rank, rank))
    d = shape[axis]
    n = int(rng.integers(1, 5))
    cuts = sorted(int(c) for c in rng.integers(0, d + 1, size=n - 1))
    sizes = [b - a for a, b in zip([0] + cuts, cuts + [d])]
    if rng.random() < 0.4:
        sizes[int(rng.integers(0, n))] = -1
    if rng.random() < 0.03:
        sizes[0] += 1  # refused (mostly)
    st = str(rng.choice(["int32", "int64"]))
    q = qfor(rng, dtype)
    qo = other_q(rng, dtype, q)
    real = list(sizes)
    if -1 in real:
        real[real.index(-1)] = d - sum(s for s in sizes if s != -1)
    outs = []
    for i in range(n):
        o = list(shape)
        o[axis] = max(real[i], 0)
        outs.append(T(f"o{i}", dtype, o, q=qo))
    m = single_op("SPLIT_V", [T("x", dtype, shape, q=q), T("sizes", st, [n], data=sizes),
                              T("axis", "int32", [1] if rng.random() < 0.5 else [], data=axis)], outs, numSplits=n)
    return m, [rand_data(rng, dtype, shape)], f"{dtype} {shape} axis{axis} sizes{sizes}"


def gen_gather(rng):
    dtype = pick_dtype(rng, ("uint8", "int16", "int64", "bool", "float16"))
    rank = int(rng.integers(1, 5))
    shape = rand_shape(rng, rank)
    axis = int(rng.integers(-rank, rank))
    a = axis % rank
    bd = int(rng.integers(0, a + 1)) if rng.random() < 0.3 else 0
    irank = bd + int(rng.integers(0, 3))
    ishape = list(shape[:bd]) + rand_shape(rng, irank - bd)
    batch_dims = bd - irank if (bd and rng.random() < 0.3) else bd
    it = str(rng.choice(["int32", "int64", "int32", "int16"]))
    idx = rng.integers(0, shape[a], size=ishape)
    note = ""
    if rng.random() < 0.04:
        idx.flat[0] = shape[a] if rng.random() < 0.5 else -1  # refused at invoke
        note = " bad-index"
    idx = idx.astype(it)
    out = shape[:a] + ishape[bd:] + shape[a + 1:]
    q = qfor(rng, dtype)
    qo = other_q(rng, dtype, q)
    const_idx = rng.random() < 0.3
    const_x = rng.random() < 0.15
    x = rand_data(rng, dtype, shape)
    ins = [T("x", dtype, shape, data=x if const_x else None, q=q),
           T("idx", it, ishape, data=idx if const_idx else None)]
    feeds = ([] if const_x else [x]) + ([] if const_idx else [idx])
    m = single_op("GATHER", ins, [T("out", dtype, out, q=qo)], axis=axis, batchDims=batch_dims)
    return m, feeds, f"{dtype} {shape} idx{ishape}/{it} axis{axis} bd{batch_dims}{note}"


def gen_tile(rng):
    dtype = pick_dtype(rng, ("uint8", "int16", "int64", "bool", "float16"))
    rank = int(rng.integers(0, 6))
    shape = rand_shape(rng, rank, hi=3, zero_p=0.03)
    mult = [int(rng.integers(0, 4)) if rng.random() < 0.1 else int(rng.integers(1, 4)) for _ in range(rank)]
    if rank and rng.random() < 0.03:
        mult[0] = -1  # refused
    mt = str(rng.choice(["int32", "int64"]))
    q = qfor(rng, dtype)
    qo = other_q(rng, dtype, q)
    out = [max(d * m, 0) for d, m in zip(shape, mult)]
    m = single_op("TILE", [T("x", dtype, shape, q=q), T("m", mt, [rank], data=mult)], [T("out", dtype, out, q=qo)])
    return m, [rand_data(rng, dtype, shape)], f"{dtype} {shape} x{mult} {mt}"


def gen_reverse(rng):
    dtype = pick_dtype(rng, ("uint8", "int16", "int64", "bool", "float16"))
    rank = int(rng.integers(1, 7))
    shape = rand_shape(rng, rank, hi=3 if rank > 4 else 4, zero_p=0.03)
    k = int(rng.integers(1, rank + 1))
    start = int(rng.integers(0, rank - k + 1))
    axes = list(range(start, start + k))
    if rng.random() < 0.1 and rank >= 3:
        axes = [0, 2]  # not consecutive: refused
    axes = [a - rank if rng.random() < 0.3 else a for a in rng.permutation(axes).tolist()]
    q = qfor(rng, dtype)
    qo = other_q(rng, dtype, q)
    m = single_op("REVERSE_V2", [T("x", dtype, shape, q=q), T("axis", "int32", [len(axes)], data=axes)],
                  [T("out", dtype, shape, q=qo)])
    return m, [rand_data(rng, dtype, shape)], f"{dtype} {shape} axes{axes}"


def gen_d2s(rng, to_space=None):
    to_space = rng.random() < 0.5 if to_space is None else to_space
    dtype = pick_dtype(rng, ("uint8", "int64", "uint16", "int16"))
    b = int(rng.integers(1, 4))
    n, h, w, c = (int(v) for v in rng.integers(1, 4, size=4))
    if to_space:
        shape = [n, h, w, c * b * b]
        out = [n, h * b, w * b, c]
    else:
        shape = [n, h * b, w * b, c]
        out = [n, h, w, c * b * b]
    if rng.random() < 0.05:
        shape[3 if to_space else 1] += 1  # refused (unless b == 1)
    q = qfor(rng, dtype)
    qo = other_q(rng, dtype, q)
    op = "DEPTH_TO_SPACE" if to_space else "SPACE_TO_DEPTH"
    m = single_op(op, [T("x", dtype, shape, q=q)], [T("out", dtype, out, q=qo)], blockSize=b)
    return m, [rand_data(rng, dtype, shape)], f"{dtype} {shape} b{b}"


GENERATORS = {
    "CONCATENATION": gen_concat,
    "CONCATENATION_UINT8": lambda r: gen_concat(r, "uint8"),
    "PAD": lambda r: gen_pad(r, False),
    "PADV2": lambda r: gen_pad(r, True),
    "TRANSPOSE": gen_transpose,
    "STRIDED_SLICE": gen_strided_slice,
    "SLICE": gen_slice,
    "PACK": gen_pack,
    "UNPACK": gen_unpack,
    "SPLIT": gen_split,
    "SPLIT_V": gen_split_v,
    "GATHER": gen_gather,
    "TILE": gen_tile,
    "REVERSE_V2": gen_reverse,
    "DEPTH_TO_SPACE": lambda r: gen_d2s(r, True),
    "SPACE_TO_DEPTH": lambda r: gen_d2s(r, False),
}


# ----------------------------------------------------------------------------- converted models
# Realistic graphs: a random TensorFlow function per op, converted by the TFLite converter to int8
# (70%) or float32. Configurations the converter rewrites into other ops are skipped.

SUPPORTED = {"CONCATENATION", "PAD", "PADV2", "TRANSPOSE", "STRIDED_SLICE", "SLICE", "PACK", "UNPACK", "SPLIT",
             "SPLIT_V", "GATHER", "TILE", "REVERSE_V2", "DEPTH_TO_SPACE", "SPACE_TO_DEPTH", "QUANTIZE",
             "DEQUANTIZE", "RESHAPE", "SQUEEZE", "EXPAND_DIMS", "SHAPE"}


def conv_case(rng):
    """(op, input shapes, body) of a random TensorFlow function."""
    import tensorflow as tf
    op = str(rng.choice([g for g in GENERATORS if g != "CONCATENATION_UINT8"]))
    rank = int(rng.integers(1, 5))
    shape = rand_shape(rng, rank, hi=5)
    if op == "CONCATENATION":
        n = int(rng.integers(2, 4))
        axis = int(rng.integers(-rank, rank))
        shapes = []
        for _ in range(n):
            s = list(shape)
            s[axis] = int(rng.integers(1, 4))
            shapes.append(s)
        return op, shapes, lambda *xs: tf.concat(list(xs), axis=axis)
    if op in ("PAD", "PADV2"):
        pads = [[int(rng.integers(0, 3)), int(rng.integers(0, 3))] for _ in range(rank)]
        cv = 0.0 if op == "PAD" else float(rng.uniform(-1, 1))
        return op, [shape], lambda x: tf.pad(x, pads, constant_values=cv)
    if op == "TRANSPOSE":
        perm = [int(p) for p in rng.permutation(rank)]
        return op, [shape], lambda x: tf.transpose(x, perm)
    if op == "STRIDED_SLICE":
        b = [int(rng.integers(-d, d)) for d in shape]
        e = [int(rng.integers(-d - 1, d + 1)) for d in shape]
        st = [int(rng.choice([1, 1, 2, -1, -2])) for _ in shape]
        bm, em = int(rng.integers(0, 1 << rank)), int(rng.integers(0, 1 << rank))
        sh = int(rng.integers(0, 1 << rank)) if rng.random() < 0.4 else 0
        for i in range(rank):
            if sh >> i & 1:
                b[i], st[i] = int(rng.integers(-shape[i], shape[i])), 1
                e[i] = b[i] + 1
        return op, [shape], lambda x: tf.strided_slice(x, b, e, st, begin_mask=bm, end_mask=em, shrink_axis_mask=sh)
    if op == "SLICE":
        b = [int(rng.integers(0, d)) for d in shape]
        sz = [-1 if rng.random() < 0.3 else int(rng.integers(1, d - bb + 1)) for d, bb in zip(shape, b)]
        return op, [shape], lambda x: tf.slice(x, b, sz)
    if op == "PACK":
        n = int(rng.integers(2, 4))
        axis = int(rng.integers(-rank - 1, rank + 1))
        return op, [shape] * n, lambda *xs: tf.stack(list(xs), axis=axis)
    if op == "UNPACK":
        axis = int(rng.integers(-rank, rank))
        return op, [shape], lambda x: tf.unstack(x, axis=axis)
    if op == "SPLIT":
        axis = int(rng.integers(-rank, rank))
        shape[axis] = int(rng.integers(1, 4)) * 2
        return op, [shape], lambda x: tf.split(x, 2, axis=axis)
    if op == "SPLIT_V":
        axis = int(rng.integers(-rank, rank))
        shape[axis] = int(rng.integers(3, 7))
        sizes = [1, -1, 1]
        return op, [shape], lambda x: tf.split(x, sizes, axis=axis)
    if op == "GATHER":
        axis = int(rng.integers(0, rank))
        idx = rng.integers(0, shape[axis], size=rand_shape(rng, int(rng.integers(0, 3)))).tolist()
        return op, [shape], lambda x: tf.gather(x, idx, axis=axis)
    if op == "TILE":
        mult = [int(rng.integers(1, 3)) for _ in shape]
        return op, [shape], lambda x: tf.tile(x, mult)
    if op == "REVERSE_V2":
        a = int(rng.integers(0, rank))
        return op, [shape], lambda x: tf.reverse(x, [a])
    b = int(rng.integers(2, 4))
    if op == "DEPTH_TO_SPACE":
        return op, [[1, 2, 3, 2 * b * b]], lambda x: tf.nn.depth_to_space(x, b)
    return op, [[1, 2 * b, 3 * b, 2]], lambda x: tf.nn.space_to_depth(x, b)


def run_converted(args, workdir):
    import tensorflow as tf
    from oplib import convert_float, convert_int8, make_inputs, ops_of
    rng = np.random.default_rng([args.seed, 99])
    counts = {}
    fails = 0
    for i in range(args.converted):
        op, shapes, body = conv_case(rng)
        f = tf.function(body, input_signature=[tf.TensorSpec(s, tf.float32) for s in shapes])
        int8 = rng.random() < 0.7
        lo = float(rng.uniform(-8, 0))
        hi = lo + float(10 ** rng.uniform(-2, 1.5))
        try:
            model = convert_int8(f, [(lo, hi)] * len(shapes)) if int8 else convert_float(f)
        except Exception as e:  # noqa: BLE001
            print(f"  skip converted_{i} {op}: converter failed: {str(e).splitlines()[0][:100]}")
            continue
        ops = ops_of(model)
        c = counts.setdefault(op, [0, 0, 0])
        if op not in ops or not set(ops) <= SUPPORTED:
            c[1] += 1
            continue
        try:
            feeds = [a[:a.shape[0] // 4] for a in make_inputs(model, seed=i, float_range=(lo, hi))]
        except ValueError as e:  # e.g. an op version BUILTIN_REF does not register
            print(f"  skip converted_{i} {op}: TFLite cannot load it: {str(e).splitlines()[0][:100]}")
            c[1] += 1
            continue
        status, msg, _ = check_one(workdir, f"converted_{i}", model, feeds)
        if status == "FAIL":
            fails += 1
            c[2] += 1
            print(f"  FAIL converted_{i} {op} {'int8' if int8 else 'float32'} {shapes} ops {ops}: {msg}")
        else:
            c[0] += 1
    for op, (ok, skipped, bad) in sorted(counts.items()):
        print(f"converted {op}: {ok} checked identical, {bad} mismatches, {skipped} rewritten by the converter")
    return fails


# ----------------------------------------------------------------------------- running

def sentinel(dtype, k):
    dt = np.dtype(dtype)
    if dt == np.bool_:
        return np.bool_(k == 0)
    if np.issubdtype(dt, np.integer):
        return dt.type(0x5A if k == 0 else 0x25)
    return dt.type(1234.5 if k == 0 else -4321.25)


def run_tflite(model, feeds):
    """`_run_tflite` in a forked child: TFLite crashes (or hangs) on some malformed models that
    qlite refuses, and that must not end the run. Returns (outputs, masks), or (message, None)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(r)
        signal.alarm(60)
        try:
            res = _run_tflite(model, feeds)
        except BaseException as e:  # noqa: BLE001
            res = (f"exception {e}", None)
        with os.fdopen(w, "wb") as f:
            f.write(pickle.dumps(res))
        os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        data = f.read()
    _, status = os.waitpid(pid, 0)
    if not data:
        return f"TFLite crashed or hung (wait status {status})", None
    return pickle.loads(data)


def _run_tflite(model, feeds):
    """TFLite outputs plus, per output, a mask of the elements TFLite wrote; or an error string."""
    try:
        it = Interpreter(model_content=model, experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
        it.allocate_tensors()
        results = []
        for k in range(2):
            for d, a in zip(it.get_input_details(), feeds):
                it.set_tensor(d["index"], a)
            # With every input constant TFLite computes the output at prepare time (a persistent
            # tensor that a sentinel would overwrite); empty outputs cannot be set either.
            for d in it.get_output_details() if feeds else []:
                if np.prod(d["shape"]) > 0:
                    try:
                        it.set_tensor(d["index"], np.full(d["shape"], sentinel(d["dtype"], k), dtype=d["dtype"]))
                    except ValueError:
                        pass  # a dynamic output, allocated only by invoke
            it.invoke()
            results.append([it.get_tensor(d["index"]).copy() if np.prod(d["shape"]) > 0
                            else np.zeros(d["shape"], d["dtype"]) for d in it.get_output_details()])
        masks = []
        for a, b, d in zip(results[0], results[1], it.get_output_details()):
            unwritten = (a == sentinel(d["dtype"], 0)) & (b == sentinel(d["dtype"], 1))
            masks.append(~unwritten)
        return results[1], masks
    except Exception as e:  # noqa: BLE001
        return str(e).splitlines()[0][:200], None


def run_qlite(path, input_paths, outdir):
    cmd = [QLITE, "run", path, "-o", outdir]
    for p in input_paths:
        cmd += ["-i", p]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        return (r.stderr.strip().splitlines() or ["?"])[-1][:300]
    outs = []
    k = 0
    while os.path.exists(os.path.join(outdir, f"output_{k}.npy")):
        outs.append(np.load(os.path.join(outdir, f"output_{k}.npy")))
        k += 1
    return outs


# qlite's refusals of models on which TFLite reads outside a buffer (documented in the op files).
TFLITE_UB = ("the masks do not match", "offset: no end value", "would read outside the input")


def check_one(workdir, name, model, feeds, twin=None):
    path = os.path.join(workdir, name + ".tflite")
    with open(path, "wb") as f:
        f.write(model)
    ipaths = []
    for k, a in enumerate(feeds):
        p = os.path.join(workdir, f"{name}.in{k}.npy")
        np.save(p, a)
        ipaths.append(p)
    ref, masks = run_tflite(model, feeds)
    if twin is not None and masks is not None:
        masks = run_tflite(*twin)[1] or masks
    outdir = os.path.join(workdir, name + ".out")
    got = run_qlite(path, ipaths, outdir)
    tfl_err = masks is None
    q_err = isinstance(got, str)
    if tfl_err and q_err:
        return "both_refuse", f"tflite: {ref} | qlite: {got}", 0
    if tfl_err and ref.startswith("TFLite crashed"):
        return "tflite_crash", f"{ref}; qlite ran", 0
    if tfl_err:
        return "FAIL", f"tflite refused ({ref}) but qlite ran", 0
    if q_err and any(k in got for k in TFLITE_UB):
        return "refused_ub", f"qlite refused ({got}); TFLite reads out of bounds here", 0
    if q_err:
        return "FAIL", f"qlite refused ({got}) but tflite ran", 0
    if len(got) != len(ref):
        return "FAIL", f"{len(got)} outputs vs {len(ref)}", 0
    undefined = 0
    for k, (g, r, m) in enumerate(zip(got, ref, masks)):
        if g.shape != r.shape or g.dtype != r.dtype:
            return "FAIL", f"output {k}: qlite {g.dtype}{g.shape} vs tflite {r.dtype}{r.shape}", 0
        if g.size == 0:
            continue
        m = np.asarray(m).reshape(-1)
        gb = np.ascontiguousarray(g).reshape(-1).view(np.uint8).reshape(g.size, -1)
        rb = np.ascontiguousarray(r).reshape(-1).view(np.uint8).reshape(r.size, -1)
        if not np.array_equal(gb[m], rb[m]):
            bad = int(np.sum(np.any(gb[m] != rb[m], axis=-1)))
            return "FAIL", f"output {k}: {bad} of {int(m.sum())} written elements differ", 0
        undefined += int((~m).sum())
    return "match", (f"{undefined} elements unwritten by TFLite" if undefined else ""), undefined


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--n", type=int, default=100, help="configurations per op (STRIDED_SLICE gets 3x)")
    ap.add_argument("--ops", default=",".join(GENERATORS))
    ap.add_argument("--keep", help="keep the models of failures in this directory")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--converted", type=int, default=0,
                    help="also check this many random TensorFlow functions converted by the TFLite converter")
    args = ap.parse_args()
    if not os.path.exists(QLITE):
        sys.exit(f"build qlite first: {QLITE} is missing")
    if args.converted:
        import oplib  # noqa: F401  (configures TensorFlow's threads, which must precede any TF use)
    workdir = tempfile.mkdtemp(prefix="fuzz_move_")
    total_fail = 0
    t0 = time.time()
    for op in [o for o in args.ops.split(",") if o]:
        rng = np.random.default_rng([args.seed, sum(map(ord, op))])
        n = args.n * (3 if op == "STRIDED_SLICE" else 1)
        counts = {"match": 0, "both_refuse": 0, "refused_ub": 0, "tflite_crash": 0, "FAIL": 0}
        undefined_cfgs = 0
        for i in range(n):
            model, feeds, note, *twin = GENERATORS[op](rng)
            name = f"{op.lower()}_{i}"
            status, msg, undefined = check_one(workdir, name, model, feeds, *twin)
            counts[status] += 1
            undefined_cfgs += undefined > 0
            if status in ("FAIL", "tflite_crash") or args.verbose or undefined:
                print(f"  {status} {name}: {note}: {msg}")
            if status == "FAIL" and args.keep:
                os.makedirs(args.keep, exist_ok=True)
                for f in os.listdir(workdir):
                    if f.startswith(name + ".") and not f.endswith(".out"):
                        shutil.copy(os.path.join(workdir, f), args.keep)
        total_fail += counts["FAIL"]
        print(f"{op}: {n} configs (seed {args.seed}): {counts['match']} identical, {counts['both_refuse']} refused "
              f"by both, {counts['refused_ub']} refused by qlite where TFLite reads out of bounds, "
              f"{counts['tflite_crash']} run by qlite where TFLite crashes, {counts['FAIL']} mismatches; "
              f"{undefined_cfgs} with elements TFLite leaves unwritten")
        sys.stdout.flush()
    if args.converted:
        total_fail += run_converted(args, workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    print(f"total mismatches: {total_fail} ({time.time() - t0:.0f} s)")
    sys.exit(1 if total_fail else 0)


if __name__ == "__main__":
    main()
