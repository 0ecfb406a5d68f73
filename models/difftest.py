#!/usr/bin/env python3
"""Differential tester: random small TFLite models, TFLite's reference kernels against qlite.

Each case builds one tiny model with TensorFlow (a tf.function with random shapes, parameters,
constants and calibration ranges), converts it with the TFLite converter (full-integer int8 with
int8 I/O by default; sometimes int8 with float I/O, per-tensor weights, or plain float32), makes
four input cases including extreme values, runs TFLite's reference kernels (OpResolverType.
BUILTIN_REF, the oracle) and then

    qlite compare MODEL -i in0.npy ... -e ref0.npy ... --json

which must exit 0 (all outputs identical). Exit 1 (outputs differ) or 2 for any other reason than
a missing kernel or an unsupported case is a failure; exit 2 with "no kernel for this operator",
or with an operator error of kind unsupported (the line ends in "[unsupported]"), is counted as
"unsupported" (never as a pass). For information it also counts the output elements on which
TFLite's default path (OpResolverType.AUTO: XNNPACK plus the optimized kernels) differs from the
reference kernels.

Usage (from anywhere; paths are relative to the repository root):

    /work/venv/bin/python models/difftest.py --seed 1 --count 300
    models/difftest.py --ops conv2d,depthwise_conv2d --count 100 --keep /tmp/fails
    models/difftest.py --list                       # generator names and the ops they make
    models/difftest.py --seed 1 --case 17 --keep /tmp/c17   # regenerate one case, keep it

Quantization modes (--mode): by default each generator makes its own mix of int8 (int8 I/O), int8
with float I/O and float32 models. --mode M makes every case of mode M, from the generators that
can: int8, int8f, float; float16 (the float model converted with float16 weights); dynamic
(dynamic-range: the float model with the constant weights of FULLY_CONNECTED, CONV_2D and
DEPTHWISE_CONV_2D quantized to symmetric int8, per channel or per tensor, and FULLY_CONNECTED's
asymmetric_quantize_inputs chosen at random, as the converter does for weights of 1024 elements
or more); int16 (int16x8: int16 activations, int8 weights, int64 or int32 bias); uint8 (legacy:
the per-tensor int8 model turned into uint8 with zero points + 128, and asymmetric uint8 weights
with rescaled bias). Float outputs (float, float16, dynamic) are compared exactly except for the
ops in FLOAT_ULP_TOLERANCE; integer outputs always exactly.

Options: --qlite PATH (default target/release/qlite), --seed N, --count N, --ops a,b (generator
names, or TFLite op names such as CONV_2D), --mode M, --jobs N (worker processes; default 1), --keep DIR
(failing cases are written there; default $TMPDIR/qlite-difftest-SEED), --keep-all (keep every
case), --case I[,J] (run only these case indices), --timeout S (per qlite run).

Determinism: case i of seed s is built from np.random.default_rng([s, i]) alone, so a given
(seed, --ops) gives the same models, inputs and verdicts whatever --jobs, --count or --case are.
The final "digest" line hashes every model, input and reference output.

Exit status: 0 when no case failed and there was no harness error, 1 when some case failed
(qlite differs from TFLite, or refuses a model TFLite runs), 2 on harness errors (a generator
produced a model the converter or TFLite refuses, a worker died, qlite missing, ...).

The last two lines are

    difftest: N passed, M failed
    difftest: U unsupported, S skipped, E errors; seed X

A failure prints the generator parameters, the directory with model.tflite, in<k>.npy and
ref<k>.npy, the exact `qlite compare` command to rerun, and the command regenerating the case.

ELU: TFLite's BUILTIN_REF resolver has no ELU kernel, so ELU cases use the optimized builtin
kernels (BUILTIN_WITHOUT_DEFAULT_DELEGATES) as the oracle; their int8 kernel is a 256-entry table.
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections import defaultdict, deque

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS_DIR = os.path.join(REPO, "models")
N_CASES = 4  # input cases per model (stacked on axis 0, as qlite and models/oplib.py do)
FLOAT_SHARE = 0.15  # share of float32 conversions for generators that allow them
FLOATIO_SHARE = 0.08  # share of int8 models with float inputs/outputs (QUANTIZE/DEQUANTIZE)
PER_TENSOR_SHARE = 0.3  # share of per-tensor weights for ops with weights
CHAIN_WEIGHT = 6  # chain generators appear this many times in the rotation

# Quantization modes (--mode). A generator is written for "int8", "int8f" and/or "float"; the other
# modes reuse it: float16 (float16 weights) and dynamic (dynamic-range: int8 weights, float
# activations) take its float model, int16 (int16x8) and uint8 (legacy) its int8 one.
MODES = ("int8", "int8f", "float", "float16", "dynamic", "int16", "uint8")
BASE_MODE = {"int8": "int8", "int8f": "int8f", "float": "float", "float16": "float", "dynamic": "float",
             "int16": "int8", "uint8": "int8"}
FLOAT_MODES = ("float", "float16", "dynamic")  # float outputs: FLOAT_ULP_TOLERANCE applies

# ============================================================================================
# Generators (run in the worker processes; TensorFlow is imported there only)
# ============================================================================================

GENERATORS = {}  # name -> Gen


class Gen:
    def __init__(self, name, fn, ops, modes, weight, oracle, floatio):
        self.name, self.fn, self.ops, self.modes, self.weight, self.oracle = name, fn, ops, modes, weight, oracle
        self.floatio = floatio



# Float32 ops that qlite does not compute bit for bit, with the documented bound in ULP (integer
# outputs are always compared exactly). Empty: exact (erf) GELU, the last entry, now reproduces
# Eigen's packet and scalar erfc bit for bit (src/ops/lut_activations.rs, models/fuzz_gelu.py).
FLOAT_ULP_TOLERANCE = {}

def gen(name, ops, modes=("int8", "float"), weight=1, oracle="ref", floatio=True):
    """Registers a generator: fn(R, mode) -> Spec. `ops`: TFLite ops the model must contain
    (checked after conversion; an empty list checks nothing). `modes`: "int8" (int8 I/O),
    "int8f" (int8 with float I/O), "float" (float32). With modes ("int8", "float"), FLOAT_SHARE
    of the cases are float32 and, when `floatio`, FLOATIO_SHARE of the others int8 with float I/O."""

    def deco(fn):
        GENERATORS[name] = Gen(name, fn, list(ops), tuple(modes), weight, oracle, floatio)
        return fn

    return deco


class Spec:
    """What a generator returns."""

    def __init__(self, fn, ranges, params, nonzero=(), inrange=(), post=None, per_channel=True):
        self.fn = fn  # tf.function with an input_signature
        self.ranges = ranges  # one (lo, hi) calibration range per input
        self.params = params  # JSON-able description
        self.nonzero = set(nonzero)  # inputs that must avoid real 0 (divisors; one-signed ranges)
        self.inrange = set(inrange) | self.nonzero  # float inputs kept inside their range
        self.post = post  # optional flatbuffer edit: ModelT -> None
        self.per_channel = per_channel


class R:
    """Random choices for one case (a thin wrapper over a numpy Generator)."""

    def __init__(self, rng):
        self.rng = rng

    def u(self, lo, hi):
        return float(self.rng.uniform(lo, hi))

    def i(self, lo, hi):  # inclusive
        return int(self.rng.integers(lo, hi + 1))

    def p(self, prob):
        return bool(self.rng.random() < prob)

    def choice(self, seq, p=None):
        return seq[int(self.rng.choice(len(seq), p=p))]

    def qrange(self, kinds=None):
        """A calibration range: ordinary, very narrow, very wide, or asymmetric."""
        kinds = kinds or ["normal", "narrow", "wide", "pos", "neg", "skew", "unit"]
        probs = {"normal": 0.35, "narrow": 0.12, "wide": 0.12, "pos": 0.13, "neg": 0.07, "skew": 0.13, "unit": 0.08}
        w = [probs[k] for k in kinds]
        k = self.choice(kinds, p=[x / sum(w) for x in w])
        if k == "normal":
            a = 10 ** self.u(-0.7, 0.8)
            return (-a * self.u(0.5, 1.0), a * self.u(0.5, 1.0))
        if k == "narrow":
            a = 10 ** self.u(-4.5, -2)
            return (-a * self.u(0.2, 1.0), a * self.u(0.2, 1.0))
        if k == "wide":
            a = 10 ** self.u(2, 4)
            return (-a * self.u(0.2, 1.0), a)
        if k == "pos":
            a = 10 ** self.u(-1.5, 1.5)
            return (a * self.u(0.0, 0.5), a)
        if k == "neg":
            a = 10 ** self.u(-1.5, 1.5)
            return (-a, -a * self.u(0.0, 0.5))
        if k == "skew":
            a = 10 ** self.u(-1, 1.5)
            return (-a * self.u(0.01, 0.1), a) if self.p(0.5) else (-a, a * self.u(0.01, 0.1))
        return (-1.0, 1.0) if self.p(0.5) else (0.0, 1.0)

    def shape(self, rank, lo=1, hi=6, batch=True):
        s = [self.i(lo, hi) for _ in range(rank)]
        if batch and rank >= 2:
            s[0] = self.choice([1, 1, 1, 2])
        return s

    def values(self, shape, lo, hi):
        return self.rng.uniform(lo, hi, size=shape).astype("float32")

    def weights(self, shape, axis):
        """Float weights with per-channel magnitudes spread over decades, sometimes an all-zero
        or constant channel."""
        import numpy as np

        w = self.rng.standard_normal(shape).astype(np.float32) * np.float32(10 ** self.u(-2.5, 0.5))
        n = shape[axis]
        mags = (10 ** self.rng.uniform(-1.5, 0.5, size=n)).astype(np.float32)
        bshape = [1] * len(shape)
        bshape[axis] = n
        w = w * mags.reshape(bshape)
        if n > 1 and self.p(0.15):
            idx = [slice(None)] * len(shape)
            idx[axis] = self.i(0, n - 1)
            w[tuple(idx)] = 0.0 if self.p(0.5) else np.float32(self.u(-1, 1))
        return w.astype(np.float32)

    def act(self, allowed=("relu", "relu6", "relu_n1_to_1"), prob=0.35):
        return self.choice(list(allowed)) if self.p(prob) else None


def apply_act(tf, t, act):
    if act == "relu":
        return tf.nn.relu(t)
    if act == "relu6":
        return tf.nn.relu6(t)
    if act == "relu_n1_to_1":
        return tf.clip_by_value(t, -1.0, 1.0)
    return t


def tfn(shapes, body):
    import tensorflow as tf

    return tf.function(body, input_signature=[tf.TensorSpec(s, tf.float32) for s in shapes])


def _tf():
    import tensorflow as tf

    return tf


# ---------------------------------------------------------------- convolution family


@gen("conv2d", ["CONV_2D"])
def g_conv2d(R, mode):
    tf = _tf()
    n = R.choice([1, 1, 2])
    groups = R.choice([1, 1, 1, 1, 2, 3])
    fcin = R.i(1, 4)
    cin = fcin * groups
    cout = groups * R.i(1, max(1, 8 // groups))
    kh, kw = R.i(1, 4), R.i(1, 4)
    sh, sw = R.i(1, 3), R.i(1, 3)
    dh = dw = 1
    if R.p(0.3):
        sh = sw = 1
        dh, dw = R.i(1, 3), R.i(1, 3)
    pad = R.choice(["SAME", "VALID"])
    h = R.i(max(1, (kh - 1) * dh + 1 if pad == "VALID" else 1), 10)
    w = R.i(max(1, (kw - 1) * dw + 1 if pad == "VALID" else 1), 10)
    filt = R.weights([kh, kw, fcin, cout], 3)
    bias = R.weights([cout], 0) * 4 if R.p(0.7) else None
    act = R.act()
    params = dict(x=[n, h, w, cin], filter=[kh, kw, fcin, cout], strides=[sh, sw], dilations=[dh, dw], padding=pad,
                  bias=bias is not None, act=act)

    def f(x):
        y = tf.nn.conv2d(x, filt, [1, sh, sw, 1], pad, dilations=[1, dh, dw, 1])
        if bias is not None:
            y = tf.nn.bias_add(y, bias)
        return apply_act(tf, y, act)

    return Spec(tfn([[n, h, w, cin]], f), [R.qrange()], params, per_channel=not R.p(PER_TENSOR_SHARE))


@gen("depthwise_conv2d", ["DEPTHWISE_CONV_2D"])
def g_depthwise(R, mode):
    tf = _tf()
    n = R.choice([1, 1, 2])
    cin = R.i(1, 6)
    mult = R.choice([1, 1, 1, 2, 3])
    kh, kw = R.i(1, 4), R.i(1, 4)
    s = R.i(1, 3)
    d = 1
    if R.p(0.3):
        s, d = 1, R.i(2, 3)
    pad = R.choice(["SAME", "VALID"])
    h = R.i((kh - 1) * d + 1 if pad == "VALID" else 1, 10)
    w = R.i((kw - 1) * d + 1 if pad == "VALID" else 1, 10)
    filt = R.weights([kh, kw, cin, mult], 2)
    bias = R.weights([cin * mult], 0) * 4 if R.p(0.7) else None
    act = R.act()
    params = dict(x=[n, h, w, cin], filter=[kh, kw, cin, mult], stride=s, dilation=d, padding=pad,
                  bias=bias is not None, act=act)

    def f(x):
        y = tf.raw_ops.DepthwiseConv2dNative(input=x, filter=filt, strides=[1, s, s, 1], padding=pad,
                                             dilations=[1, d, d, 1])
        if bias is not None:
            y = tf.nn.bias_add(y, bias)
        return apply_act(tf, y, act)

    return Spec(tfn([[n, h, w, cin]], f), [R.qrange()], params, per_channel=not R.p(PER_TENSOR_SHARE))


@gen("transpose_conv", ["TRANSPOSE_CONV"])
def g_transpose_conv(R, mode):
    tf = _tf()
    n = R.choice([1, 1, 2])
    cin, cout = R.i(1, 5), R.i(1, 6)
    kh, kw = R.i(1, 4), R.i(1, 4)
    sh, sw = R.i(1, 3), R.i(1, 3)
    pad = R.choice(["SAME", "VALID"])
    h, w = R.i(1, 6), R.i(1, 6)
    if pad == "SAME":
        ho, wo = R.i((h - 1) * sh + 1, h * sh), R.i((w - 1) * sw + 1, w * sw)
    else:
        ho, wo = R.i((h - 1) * sh + kh, (h - 1) * sh + kh + sh - 1), R.i((w - 1) * sw + kw, (w - 1) * sw + kw + sw - 1)
    filt = R.weights([kh, kw, cout, cin], 2)
    bias = R.weights([cout], 0) * 4 if R.p(0.5) else None
    act = R.act(prob=0.2)
    params = dict(x=[n, h, w, cin], filter=[kh, kw, cout, cin], strides=[sh, sw], padding=pad, out=[n, ho, wo, cout],
                  bias=bias is not None, act=act)

    def f(x):
        y = tf.nn.conv2d_transpose(x, filt, [n, ho, wo, cout], [1, sh, sw, 1], pad)
        if bias is not None:
            y = tf.nn.bias_add(y, bias)
        return apply_act(tf, y, act)

    return Spec(tfn([[n, h, w, cin]], f), [R.qrange()], params, per_channel=not R.p(PER_TENSOR_SHARE))


@gen("fully_connected", ["FULLY_CONNECTED"])
def g_fc(R, mode):
    tf = _tf()
    k, units = R.i(2, 24), R.i(1, 12)  # k = 1 becomes a broadcast MUL
    lead = [R.choice([1, 1, 2, 3])] + ([R.i(1, 4)] if R.p(0.3) else [])
    w = R.weights([k, units], 1)
    bias = R.weights([units], 0) * 4 if R.p(0.7) else None
    act = R.act()
    params = dict(x=lead + [k], units=units, bias=bias is not None, act=act)

    def f(x):
        y = tf.matmul(x, w)
        if bias is not None:
            y = y + bias
        return apply_act(tf, y, act)

    return Spec(tfn([lead + [k]], f), [R.qrange()], params, per_channel=not R.p(PER_TENSOR_SHARE))


# ---------------------------------------------------------------- elementwise binary


def broadcast_shapes(R):
    """Two shapes that broadcast together (rank 1-4), or one of them a constant."""
    rank = R.i(1, 4)
    base = R.shape(rank, 1, 5)
    kind = R.choice(["same", "same", "bcast", "bcast", "bcast", "scalar"])
    if kind == "same":
        other = list(base)
    elif kind == "scalar":
        other = []
    else:
        other = [d if R.p(0.5) else 1 for d in base]
        drop = R.i(0, rank - 1)
        other = other[drop:]
        if R.p(0.3):  # broadcasting on both sides
            base = [1 if (R.p(0.3) and i >= rank - len(other)) else d for i, d in enumerate(base)]
            base[0] = max(base[0], 1)
    a, b = (base, other) if R.p(0.5) else (other, base)
    return a, b, kind


def binary_gen(opname, tf_op, fused=False, float_only=False, positive_b=False, positive_a=False):
    def g(R, mode):
        tf = _tf()
        sa, sb = None, None
        while True:
            sa, sb, kind = broadcast_shapes(R)
            if sa or sb:
                break
        ra, rb = R.qrange(), R.qrange()
        if positive_a:
            ra = (R.u(0.05, 1.0), R.u(1.5, 4.0))
        if positive_b:
            rb = R.choice([(R.u(0.05, 1.0), R.u(1.5, 8.0)), (-R.u(1.5, 8.0), -R.u(0.05, 1.0))])
        if opname == "POW":
            rb = (-R.u(0.0, 2.0), R.u(0.5, 3.0))
        const_side = None
        if positive_b and not sb:
            sb, sa = sa, sb
        if not sa or not sb:
            const_side = 0 if not sa else 1
        elif R.p(0.25):
            const_side = 0 if positive_b else R.i(0, 1)  # a constant divisor becomes a MUL
        act = R.act(("relu", "relu6", "relu_n1_to_1"), 0.3) if fused else None
        shapes = [sa, sb]
        ranges = [ra, rb]
        const = None
        if const_side is not None:
            lo, hi = ranges[const_side]
            const = R.values(shapes[const_side], lo, hi)
        params = dict(a=sa, b=sb, broadcast=kind, const=const_side, act=act)
        live = [k for k in range(2) if k != const_side]

        def f(*xs):
            args = list(xs)
            if const_side is not None:
                args.insert(const_side, tf.constant(const))
            return apply_act(tf, tf_op(tf, args[0], args[1]), act)

        nonzero = [live.index(1)] if (positive_b and 1 in live) else []
        inrange = list(range(len(live))) if opname == "POW" else []  # no NaN or inf
        return Spec(tfn([shapes[k] for k in live], f), [ranges[k] for k in live], params, nonzero=nonzero,
                    inrange=inrange)

    return g


for _name, _op, _fn, _kw in [
    ("add", "ADD", lambda tf, a, b: a + b, dict(fused=True)),
    ("sub", "SUB", lambda tf, a, b: a - b, dict(fused=True)),
    ("mul", "MUL", lambda tf, a, b: a * b, dict(fused=True)),
    ("maximum", "MAXIMUM", lambda tf, a, b: tf.maximum(a, b), {}),
    ("minimum", "MINIMUM", lambda tf, a, b: tf.minimum(a, b), {}),
    ("squared_difference", "SQUARED_DIFFERENCE", lambda tf, a, b: tf.math.squared_difference(a, b), {}),
    ("div", "DIV", lambda tf, a, b: tf.math.divide(a, b), dict(fused=True, positive_b=True)),
]:
    gen(_name, [_op])(binary_gen(_op, _fn, **_kw))
gen("pow", ["POW"], modes=("float",))(binary_gen("POW", lambda tf, a, b: tf.pow(a, b), positive_a=True))


# ---------------------------------------------------------------- pooling, reductions, softmax


def pool_gen(kind):
    def g(R, mode):
        tf = _tf()
        n, c = R.choice([1, 1, 2]), R.i(1, 6)
        kh, kw = R.i(1, 4), R.i(1, 4)
        sh, sw = R.i(1, 3), R.i(1, 3)
        pad = R.choice(["SAME", "VALID"])
        h = R.i(kh if pad == "VALID" else 1, 10)
        w = R.i(kw if pad == "VALID" else 1, 10)
        act = R.act(prob=0.2)
        params = dict(x=[n, h, w, c], ksize=[kh, kw], strides=[sh, sw], padding=pad, act=act)
        op = tf.nn.avg_pool2d if kind == "avg" else tf.nn.max_pool2d

        def f(x):
            return apply_act(tf, op(x, [kh, kw], [sh, sw], pad), act)

        return Spec(tfn([[n, h, w, c]], f), [R.qrange()], params)

    return g


gen("avg_pool2d", ["AVERAGE_POOL_2D"])(pool_gen("avg"))
gen("max_pool2d", ["MAX_POOL_2D"])(pool_gen("max"))


def reduce_gen(opname, tf_name):
    def g(R, mode):
        tf = _tf()
        rank = R.i(1, 4)
        shape = R.shape(rank, 1, 6)
        naxes = R.i(1, rank)
        axes = sorted(int(a) for a in R.rng.choice(rank, size=naxes, replace=False))
        if opname == "MEAN" and rank == 4 and R.p(0.3):
            axes = [1, 2]
        if all(shape[a] == 1 for a in axes):  # reducing only size-1 axes is no op at all
            shape[axes[-1]] = R.i(2, 6)
        axes = [a - rank if R.p(0.3) else a for a in axes]
        keep = R.p(0.5)
        params = dict(x=shape, axes=axes, keepdims=keep)
        op = getattr(tf, tf_name)

        def f(x):
            return op(x, axes, keepdims=keep)

        return Spec(tfn([shape], f), [R.qrange()], params)

    return g


gen("mean", ["MEAN"])(reduce_gen("MEAN", "reduce_mean"))
gen("sum", ["SUM"])(reduce_gen("SUM", "reduce_sum"))
gen("reduce_max", ["REDUCE_MAX"])(reduce_gen("REDUCE_MAX", "reduce_max"))
gen("reduce_min", ["REDUCE_MIN"])(reduce_gen("REDUCE_MIN", "reduce_min"))


@gen("softmax", ["SOFTMAX"])
def g_softmax(R, mode):
    tf = _tf()
    rank = R.i(1, 4)
    shape = R.shape(rank, 1, 8)
    shape[-1] = max(shape[-1], R.i(1, 10))
    # TensorFlow has no softmax beta (a multiplication stays a MUL); set it in the flatbuffer.
    # beta >= 0.5 keeps beta * s_in * 2^26 > 1 even for the narrowest input ranges here: TFLite's
    # reference kernel aborts the process below that.
    beta = R.choice([1.0, 1.0, 0.5, 2.0, round(R.u(0.5, 3.0), 4)])
    params = dict(x=shape, beta=beta)

    def post(m):
        for op in m.subgraphs[0].operators:
            if op.builtinOptions is not None and hasattr(op.builtinOptions, "beta"):
                op.builtinOptions.beta = beta

    return Spec(tfn([shape], lambda x: tf.nn.softmax(x)), [R.qrange()], params, post=None if beta == 1.0 else post)


@gen("arg_max", ["ARG_MAX"])
def g_argmax(R, mode):
    tf = _tf()
    rank = R.i(1, 4)
    shape = R.shape(rank, 1, 6)
    axis = R.i(-rank, rank - 1)
    ot = R.choice([tf.int32, tf.int64])
    params = dict(x=shape, axis=axis, output_type=ot.name)
    return Spec(tfn([shape], lambda x: tf.math.argmax(x, axis, output_type=ot)), [R.qrange()], params)


# ---------------------------------------------------------------- activations


def unary_gen(fnc, extra_params=None, rng_kinds=None):
    def g(R, mode):
        rank = R.i(1, 4)
        shape = R.shape(rank, 1, 7)
        extra = extra_params(R) if extra_params else {}
        params = dict(x=shape, **extra)
        tf = _tf()
        return Spec(tfn([shape], lambda x: fnc(tf, x, **extra)), [R.qrange(rng_kinds)], params)

    return g


gen("logistic", ["LOGISTIC"])(unary_gen(lambda tf, x: tf.sigmoid(x)))
gen("tanh", ["TANH"])(unary_gen(lambda tf, x: tf.tanh(x)))
gen("relu", ["RELU"])(unary_gen(lambda tf, x: tf.nn.relu(x)))
gen("relu6", ["RELU6"])(unary_gen(lambda tf, x: tf.nn.relu6(x)))
gen("relu_n1_to_1", ["RELU_N1_TO_1"])(unary_gen(lambda tf, x: tf.clip_by_value(x, -1.0, 1.0)))
gen("leaky_relu", ["LEAKY_RELU"])(unary_gen(
    lambda tf, x, alpha: tf.nn.leaky_relu(x, alpha),
    lambda R: dict(alpha=round(R.choice([0.2, 0.01, R.u(0.0, 1.0), R.u(0.0, 0.3)]), 6))))
gen("hard_swish", ["HARD_SWISH"])(unary_gen(lambda tf, x: x * tf.nn.relu6(x + 3.0) * (1.0 / 6.0)))
gen("elu", ["ELU"], oracle="builtin")(unary_gen(lambda tf, x: tf.nn.elu(x)))
gen("gelu", ["GELU"])(unary_gen(lambda tf, x, approximate: tf.nn.gelu(x, approximate=approximate),
                                lambda R: dict(approximate=R.p(0.5))))


# ---------------------------------------------------------------- data movement


@gen("concatenation", ["CONCATENATION"])
def g_concat(R, mode):
    tf = _tf()
    rank = R.i(1, 4)
    base = R.shape(rank, 1, 5)
    axis = R.i(0, rank - 1)
    k = R.i(2, 4)
    shapes = []
    for _ in range(k):
        s = list(base)
        s[axis] = R.i(1, 4)
        shapes.append(s)
    const_idx = R.i(0, k - 1) if R.p(0.2) else None
    ranges = [R.qrange() for _ in range(k)]
    if R.p(0.4):  # all inputs calibrated alike
        ranges = [ranges[0]] * k
    cval = R.values(shapes[const_idx], *ranges[const_idx]) if const_idx is not None else None
    act = R.act(prob=0.15)
    ax = axis - rank if R.p(0.3) else axis
    params = dict(shapes=shapes, axis=ax, const=const_idx, act=act)
    live = [i for i in range(k) if i != const_idx]

    def f(*xs):
        xs = list(xs)
        if const_idx is not None:
            xs.insert(const_idx, tf.constant(cval))
        return apply_act(tf, tf.concat(xs, ax), act)

    return Spec(tfn([shapes[i] for i in live], f), [ranges[i] for i in live], params)


def g_pad_common(R, mode, v2):
    tf = _tf()
    rank = R.i(1, 4)
    shape = R.shape(rank, 1, 5)
    pads = [[R.i(0, 3), R.i(0, 3)] for _ in range(rank)]
    if all(a == 0 and b == 0 for a, b in pads):
        pads[-1][R.i(0, 1)] = 1
    rng_ = R.qrange()
    cv = 0.0
    if v2:
        lo, hi = rng_
        cv = R.choice([R.u(lo, hi), lo, hi, R.u(lo - (hi - lo), hi + (hi - lo))])
        if cv == 0.0:
            cv = hi
    params = dict(x=shape, paddings=pads, constant=cv)
    return Spec(tfn([shape], lambda x: tf.pad(x, pads, constant_values=cv)), [rng_], params)


gen("pad", ["PAD"])(lambda R, mode: g_pad_common(R, mode, False))
gen("padv2", ["PADV2"])(lambda R, mode: g_pad_common(R, mode, True))


@gen("transpose", ["TRANSPOSE"])
def g_transpose(R, mode):
    tf = _tf()
    rank = R.i(2, 5)
    shape = R.shape(rank, 1, 4 if rank == 5 else 5)
    while True:
        perm = [int(p) for p in R.rng.permutation(rank)]
        # a permutation that only moves size-1 axes becomes a RESHAPE
        moved = [shape[p] for p in perm if shape[p] > 1]
        if moved != [d for d in shape if d > 1]:
            break
        shape = R.shape(rank, 2, 5)
    params = dict(x=shape, perm=perm)
    return Spec(tfn([shape], lambda x: tf.transpose(x, perm)), [R.qrange()], params)


def _is_identity(np, shape, idx):
    a = np.arange(int(np.prod(shape))).reshape(shape)
    b = a[idx]
    return b.size == 0 or (b.shape == a.shape and np.array_equal(a, b))


@gen("strided_slice", ["STRIDED_SLICE"])
def g_strided_slice(R, mode):
    import numpy as np

    tf = _tf()
    for _ in range(100):
        rank = R.i(1, 5)
        shape = R.shape(rank, 1, 6)
        idx = []
        desc = []
        for d in range(rank):
            n = shape[d]
            k = R.choice(["full", "range", "range", "range", "index"])
            if k == "index" and d > 0:
                i = R.i(-n, n - 1)
                idx.append(i)
                desc.append(i)
                continue
            if k == "full":
                idx.append(slice(None))
                desc.append(":")
                continue
            step = R.choice([1, 1, 1, 2, 3, -1, -2])
            b = R.choice([None, R.i(-n - 1, n + 1)])
            e = R.choice([None, R.i(-n - 1, n + 1)])
            idx.append(slice(b, e, step))
            desc.append([b, e, step])
        if R.p(0.1) and rank >= 2:
            pos = R.i(1, len(idx))
            idx.insert(pos, None)  # tf.newaxis
            desc.insert(pos, "newaxis")
        if R.p(0.1) and rank >= 3:
            idx = [Ellipsis] + idx[2:]
            desc = ["..."] + desc[2:]
        idx = tuple(idx)
        if not _is_identity(np, shape, idx) and np.arange(int(np.prod(shape))).reshape(shape)[idx].ndim > 0:
            break
    params = dict(x=shape, index=desc)
    return Spec(tfn([shape], lambda x: x[idx]), [R.qrange()], params)


@gen("slice", ["SLICE"])
def g_slice(R, mode):
    import numpy as np

    tf = _tf()
    for _ in range(100):
        rank = R.i(1, 5)
        shape = R.shape(rank, 1, 6)
        begin = [R.i(0, n - 1) for n in shape]
        size = [R.choice([-1, R.i(1, n - b)]) for n, b in zip(shape, begin)]
        idx = tuple(slice(b, None if s == -1 else b + s) for b, s in zip(begin, size))
        if not _is_identity(np, shape, idx):
            break
    params = dict(x=shape, begin=begin, size=size)
    return Spec(tfn([shape], lambda x: tf.slice(x, begin, size)), [R.qrange()], params)


@gen("pack", ["PACK"])
def g_pack(R, mode):
    tf = _tf()
    rank = R.i(1, 3)
    shape = R.shape(rank, 1, 5)
    k = R.i(2, 4)
    axis = R.i(-(rank + 1), rank)
    ranges = [R.qrange() for _ in range(k)]
    if R.p(0.4):
        ranges = [ranges[0]] * k
    params = dict(x=shape, n=k, axis=axis)
    return Spec(tfn([shape] * k, lambda *xs: tf.stack(list(xs), axis)), ranges, params)


@gen("unpack", ["UNPACK"])
def g_unpack(R, mode):
    tf = _tf()
    rank = R.i(2, 4)
    shape = R.shape(rank, 1, 5)
    axis = R.i(-rank, rank - 1)
    shape[axis] = R.i(2, 4)
    params = dict(x=shape, axis=axis)
    return Spec(tfn([shape], lambda x: tuple(tf.unstack(x, axis=axis))), [R.qrange()], params)


@gen("split", ["SPLIT"])
def g_split(R, mode):
    tf = _tf()
    rank = R.i(1, 4)
    shape = R.shape(rank, 1, 4)
    axis = R.i(-rank, rank - 1)
    num = R.i(2, 4)
    shape[axis] = num * R.i(1, 3)
    params = dict(x=shape, num=num, axis=axis)
    return Spec(tfn([shape], lambda x: tuple(tf.split(x, num, axis))), [R.qrange()], params)


@gen("split_v", ["SPLIT_V"])
def g_split_v(R, mode):
    tf = _tf()
    rank = R.i(1, 4)
    shape = R.shape(rank, 1, 4)
    axis = R.i(-rank, rank - 1)
    k = R.i(2, 4)
    sizes = [R.i(1, 3) for _ in range(k)]
    shape[axis] = sum(sizes)
    if R.p(0.3):
        sizes[R.i(0, k - 1)] = -1
    params = dict(x=shape, sizes=sizes, axis=axis)
    return Spec(tfn([shape], lambda x: tuple(tf.split(x, sizes, axis))), [R.qrange()], params)


@gen("gather", ["GATHER"])
def g_gather(R, mode):
    import numpy as np

    tf = _tf()
    rank = R.i(1, 4)
    shape = R.shape(rank, 1, 6)
    axis = R.i(0, rank - 1)
    irank = R.choice([0, 1, 1, 2])
    ishape = [R.i(1, 4) for _ in range(irank)]
    ind = R.rng.integers(0, shape[axis], size=ishape).astype(np.int32)
    if irank == 0 and rank == 1:
        ind = R.rng.integers(0, shape[axis], size=[2]).astype(np.int32)
    ax = axis - rank if R.p(0.3) else axis
    params = dict(x=shape, axis=ax, indices=ind.tolist())
    return Spec(tfn([shape], lambda x: tf.gather(x, tf.constant(ind), axis=ax)), [R.qrange()], params)


# ---------------------------------------------------------------- space


@gen("space_to_batch_nd", ["SPACE_TO_BATCH_ND"])
def g_s2b(R, mode):
    tf = _tf()
    spatial = R.choice([1, 2, 2, 2])
    block = [R.i(1, 3) for _ in range(spatial)]
    if all(b == 1 for b in block):
        block[0] = 2
    dims = [R.i(1, 6) for _ in range(spatial)]
    pads = []
    for d, b in zip(dims, block):
        before = R.i(0, 2)
        after = (-(d + before)) % b + b * R.i(0, 1)
        pads.append([before, after])
    shape = [R.choice([1, 1, 2])] + dims + [R.i(1, 4)]
    params = dict(x=shape, block=block, paddings=pads)
    return Spec(tfn([shape], lambda x: tf.space_to_batch_nd(x, block, pads)), [R.qrange()], params)


@gen("batch_to_space_nd", ["BATCH_TO_SPACE_ND"])
def g_b2s(R, mode):
    tf = _tf()
    spatial = R.choice([1, 2, 2, 2])
    block = [R.i(1, 3) for _ in range(spatial)]
    if all(b == 1 for b in block):
        block[0] = 2
    dims = [R.i(1, 4) for _ in range(spatial)]
    crops = []
    for d, b in zip(dims, block):
        total = R.i(0, d * b - 1)
        a = R.i(0, total)
        crops.append([a, total - a])
    nb = 1
    for b in block:
        nb *= b
    shape = [nb * R.choice([1, 1, 2])] + dims + [R.i(1, 4)]
    params = dict(x=shape, block=block, crops=crops)
    return Spec(tfn([shape], lambda x: tf.compat.v1.batch_to_space_nd(x, block, crops)), [R.qrange()], params)


def resize_gen(kind):
    def g(R, mode):
        tf = _tf()
        n, h, w, c = R.choice([1, 1, 2]), R.i(1, 6), R.i(1, 6), R.i(1, 4)
        oh, ow = R.i(1, 12), R.i(1, 12)
        if (oh, ow) == (h, w):
            oh += 1
        mode_ = R.choice(["half_pixel", "align_corners", "none"])
        ac, hp = mode_ == "align_corners", mode_ == "half_pixel"
        params = dict(x=[n, h, w, c], size=[oh, ow], align_corners=ac, half_pixel_centers=hp)
        op = tf.raw_ops.ResizeBilinear if kind == "bilinear" else tf.raw_ops.ResizeNearestNeighbor

        def f(x):
            return op(images=x, size=[oh, ow], align_corners=ac, half_pixel_centers=hp)

        return Spec(tfn([[n, h, w, c]], f), [R.qrange()], params)

    return g


gen("resize_bilinear", ["RESIZE_BILINEAR"])(resize_gen("bilinear"))
gen("resize_nearest_neighbor", ["RESIZE_NEAREST_NEIGHBOR"])(resize_gen("nearest"))


# ---------------------------------------------------------------- quantize, reshape and friends


@gen("reshape", ["RESHAPE"])
def g_reshape(R, mode):
    import numpy as np

    tf = _tf()
    rank = R.i(1, 4)
    shape = R.shape(rank, 1, 6)
    total = int(np.prod(shape))
    for _ in range(50):
        r2 = R.i(1, 4)
        new = []
        left = total
        for _ in range(r2 - 1):
            divs = [d for d in range(1, left + 1) if left % d == 0]
            d = R.choice(divs)
            new.append(d)
            left //= d
        new.append(left)
        if new != shape:
            break
    if R.p(0.3):
        new[R.i(0, len(new) - 1)] = -1
    params = dict(x=shape, shape=new)
    return Spec(tfn([shape], lambda x: tf.reshape(x, new)), [R.qrange()], params)


@gen("quantize_dequantize", ["QUANTIZE", "DEQUANTIZE"], modes=("int8f",))
def g_quantize(R, mode):
    tf = _tf()
    rank = R.i(1, 4)
    shape = R.shape(rank, 1, 6)
    new = [int(s) for s in shape[::-1]] if len(shape) > 1 and shape != shape[::-1] else shape + [1]
    params = dict(x=shape, shape=new)
    return Spec(tfn([shape], lambda x: tf.reshape(x, new)), [R.qrange()], params)


def _other_shape(shape):
    """A shape with as many elements as `shape` but different from it (the converter removes a
    RESHAPE to the same shape)."""
    n = 1
    for d in shape:
        n *= d
    return [n] if len(shape) != 1 else [1, n]


def _retarget(R, opname, new_out_shape, new_type=None, options=None, extra_input=None, requant=False):
    """A flatbuffer edit turning the single RESHAPE of a converted model into another op."""

    def post(m):
        from ai_edge_litert import schema_py_generated as s

        sg = m.subgraphs[0]
        (op,) = sg.operators
        oc = m.operatorCodes[op.opcodeIndex]
        code = getattr(s.BuiltinOperator, opname)
        oc.builtinCode = code
        oc.deprecatedBuiltinCode = min(code, 127)
        oc.version = 1
        x = op.inputs[0]
        if extra_input is None:
            op.inputs = [x]
        else:
            t = sg.tensors[op.inputs[1]]
            vals, shp = extra_input
            import numpy as np

            buf = m.buffers[t.buffer]
            buf.data = np.asarray(vals, dtype=np.int32).tobytes()
            t.shape, t.shapeSignature, t.type = list(shp), None, s.TensorType.INT32
        out = sg.tensors[op.outputs[0]]
        out.shape = list(new_out_shape)
        out.shapeSignature = None
        if new_type is not None:
            out.type = new_type
            if new_type != s.TensorType.INT8:
                out.quantization = None
        if requant:
            q = s.QuantizationParametersT()
            lo, hi = requant
            scale = (hi - lo) / 255.0
            zp = int(max(-128, min(127, round(-128 - lo / scale))))
            q.scale, q.zeroPoint = [float(scale)], [zp]
            out.quantization = q
        if options is None:
            op.builtinOptionsType, op.builtinOptions = s.BuiltinOptions.NONE, None
        else:
            op.builtinOptionsType, op.builtinOptions = options(s)

    return post


@gen("requantize", ["QUANTIZE"], modes=("int8",))
def g_requantize(R, mode):
    tf = _tf()
    rank = R.i(1, 4)
    shape = R.shape(rank, 1, 6)
    rin = R.qrange()
    rout = R.choice([R.qrange(), (rin[0] * R.u(0.5, 2), rin[1] * R.u(0.5, 2)), rin])
    if rout[0] > 0 or rout[1] < 0:
        rout = (min(rout[0], 0.0), max(rout[1], 0.0))
    if rout[1] - rout[0] <= 0:
        rout = (-1.0, 1.0)
    params = dict(x=shape, out_range=[float(rout[0]), float(rout[1])])
    flat = _other_shape(shape)
    return Spec(tfn([shape], lambda x: tf.reshape(x, flat)), [rin], params,
                post=_retarget(R, "QUANTIZE", shape, requant=rout))


@gen("relu_0_to_1", ["RELU_0_TO_1"], floatio=False)
def g_relu_0_to_1(R, mode):
    """The converter never emits RELU_0_TO_1 (a clip to [0, 1] becomes MINIMUM + RELU): edit a
    RESHAPE into it; int8 outputs get a [0, 1] range or another random one."""
    tf = _tf()
    rank = R.i(1, 4)
    shape = R.shape(rank, 1, 6)
    rin = R.qrange()
    rout = None
    if mode != "float":
        rout = R.choice([(0.0, 1.0), (0.0, 1.0), rin, R.qrange()])
        rout = (min(rout[0], 0.0), max(rout[1], 0.0))
    params = dict(x=shape, out_range=None if rout is None else [float(rout[0]), float(rout[1])])
    flat = _other_shape(shape)
    return Spec(tfn([shape], lambda x: tf.reshape(x, flat)), [rin], params,
                post=_retarget(R, "RELU_0_TO_1", shape, requant=rout))


@gen("dequantize", ["DEQUANTIZE"], modes=("int8",))
def g_dequantize(R, mode):
    tf = _tf()
    from ai_edge_litert import schema_py_generated as s

    rank = R.i(1, 4)
    shape = R.shape(rank, 1, 6)
    flat = _other_shape(shape)
    params = dict(x=shape)
    return Spec(tfn([shape], lambda x: tf.reshape(x, flat)), [R.qrange()], params,
                post=_retarget(R, "DEQUANTIZE", shape, new_type=s.TensorType.FLOAT32))


@gen("squeeze", ["SQUEEZE"], floatio=False)
def g_squeeze(R, mode):
    tf = _tf()
    rank = R.i(2, 5)
    shape = R.shape(rank, 1, 4)
    ones = sorted({R.i(0, rank - 1) for _ in range(R.i(1, 2))})
    for a in ones:
        shape[a] = 1
    all_ones = [i for i, d in enumerate(shape) if d == 1]
    dims = [] if R.p(0.3) else [a - rank if R.p(0.3) else a for a in all_ones if R.p(0.7)]
    if not dims and all_ones and R.p(0.5):
        dims = [all_ones[0]]
    removed = all_ones if not dims else [a % rank for a in dims]
    out = [d for i, d in enumerate(shape) if i not in removed]
    params = dict(x=shape, squeeze_dims=dims, out=out)

    def opts(s):
        o = s.SqueezeOptionsT()
        o.squeezeDims = list(dims)
        return s.BuiltinOptions.SqueezeOptions, o

    flat = _other_shape(shape)
    return Spec(tfn([shape], lambda x: tf.reshape(x, flat)), [R.qrange()], params,
                post=_retarget(R, "SQUEEZE", out, options=opts))


@gen("expand_dims", ["EXPAND_DIMS"], floatio=False)
def g_expand_dims(R, mode):
    tf = _tf()
    rank = R.i(1, 4)
    shape = R.shape(rank, 1, 5)
    axis = R.i(-(rank + 1), rank)
    a = axis % (rank + 1)
    out = shape[:a] + [1] + shape[a:]
    params = dict(x=shape, axis=axis)
    flat = _other_shape(shape)
    ashape = R.choice([[], [1]])
    return Spec(tfn([shape], lambda x: tf.reshape(x, flat)), [R.qrange()], params,
                post=_retarget(R, "EXPAND_DIMS", out, options=None, extra_input=([axis], ashape)))


@gen("shape", ["SHAPE"], floatio=False)
def g_shape(R, mode):
    tf = _tf()
    from ai_edge_litert import schema_py_generated as s

    rank = R.i(1, 4)
    shape = R.shape(rank, 1, 6)
    ot = R.choice(["INT32", "INT64"])
    params = dict(x=shape, out_type=ot)
    flat = _other_shape(shape)

    def opts(s):
        o = s.ShapeOptionsT()
        o.outType = getattr(s.TensorType, ot)
        return s.BuiltinOptions.ShapeOptions, o

    return Spec(tfn([shape], lambda x: tf.reshape(x, flat)), [R.qrange()], params,
                post=_retarget(R, "SHAPE", [rank], new_type=getattr(s.TensorType, ot), options=opts))


# ---------------------------------------------------------------- comparisons, select, logical, cast, L2 norm


def _cmp_tf(tf, op, a, b):
    return {"LESS": tf.less, "LESS_EQUAL": tf.less_equal, "GREATER": tf.greater,
            "GREATER_EQUAL": tf.greater_equal, "EQUAL": tf.equal, "NOT_EQUAL": tf.not_equal}[op](a, b)


def compare_gen(opname):
    """A comparison of two float inputs (or one against a constant), broadcast; bool output. In
    int8 mode the converter keeps the comparison on the int8 tensors where the graph allows
    (quantized comparison) or dequantizes first."""

    def g(R, mode):
        tf = _tf()
        while True:
            sa, sb, kind = broadcast_shapes(R)
            if sa or sb:
                break
        ra = R.qrange()
        rb = ra if R.p(0.3) else R.qrange()
        const_side = None if (sa and sb and not R.p(0.25)) else (0 if not sa else 1)
        shapes, ranges = [sa, sb], [ra, rb]
        const = None
        if const_side is not None:
            lo, hi = ranges[const_side]
            const = R.values(shapes[const_side], lo, hi)
        via_select = R.p(0.5)  # a float/int8 output: where(cmp, a, b) keeps the comparison quantized
        params = dict(a=sa, b=sb, broadcast=kind, const=const_side, via_select=via_select)
        live = [k for k in range(2) if k != const_side]

        def f(*xs):
            args = list(xs)
            if const_side is not None:
                args.insert(const_side, tf.constant(const))
            c = _cmp_tf(tf, opname, args[0], args[1])
            if via_select:
                return tf.where(c, args[0] + 0 * args[1], args[1] + 0 * args[0])
            return c

        return Spec(tfn([shapes[k] for k in live], f), [ranges[k] for k in live], params)

    return g


for _op in ["LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL", "EQUAL", "NOT_EQUAL"]:
    gen(_op.lower(), [_op])(compare_gen(_op))


def select_gen(v2):
    """where(x > t, x, y): SELECT when the three shapes agree, SELECT_V2 when they broadcast."""

    def g(R, mode):
        tf = _tf()
        while True:
            sa, sb, kind = broadcast_shapes(R)
            if sa and sb and (sa != sb) == v2:
                break
        ra, rb = R.qrange(), R.qrange()
        t = R.u(*ra) if R.p(0.7) else 0.0
        params = dict(x=sa, y=sb, threshold=t, broadcast=kind)

        def f(x, y):
            return tf.where(x > t, x, y)

        return Spec(tfn([sa, sb], f), [ra, rb], params)

    return g


gen("select", ["SELECT"])(select_gen(False))
gen("select_v2", ["SELECT_V2"])(select_gen(True))


def logical_gen(opname):
    def g(R, mode):
        tf = _tf()
        while True:
            sa, sb, kind = broadcast_shapes(R)
            if sa and sb:
                break
        ra, rb = R.qrange(), R.qrange()
        ta, tb = R.u(*ra), R.u(*rb)
        params = dict(a=sa, b=sb, broadcast=kind, ta=ta, tb=tb)

        def f(a, b):
            ca, cb = a > ta, b < tb
            if opname == "LOGICAL_NOT":
                return tf.logical_not(tf.logical_and(ca, cb))
            return tf.logical_and(ca, cb) if opname == "LOGICAL_AND" else tf.logical_or(ca, cb)

        return Spec(tfn([sa, sb], f), [ra, rb], params)

    return g


for _op in ["LOGICAL_AND", "LOGICAL_OR", "LOGICAL_NOT"]:
    gen(_op.lower(), [_op])(logical_gen(_op))


@gen("cast", ["CAST"], modes=("float",))
def g_cast(R, mode):
    """float32 → an integer or bool type (saturating truncation, NaN → max), sometimes back."""
    tf = _tf()
    rank = R.i(1, 4)
    shape = R.shape(rank, 1, 6)
    target = R.choice(["int32", "int8", "uint8", "int16", "int64", "bool"])
    back = R.p(0.4)
    r = R.qrange(["normal", "wide", "skew", "unit"])
    params = dict(x=shape, to=target, back=back)

    def f(x):
        y = tf.cast(x, getattr(tf, target))
        return tf.cast(y, tf.float32) if back else y

    return Spec(tfn([shape], f), [r], params)


@gen("l2_normalization", ["L2_NORMALIZATION"])
def g_l2norm(R, mode):
    tf = _tf()
    rank = R.i(1, 4)
    shape = R.shape(rank, 1, 8)
    if R.p(0.2):
        shape[-1] = R.choice([1, 2, 32, 100])
    params = dict(x=shape)
    return Spec(tfn([shape], lambda x: tf.math.l2_normalize(x, axis=-1)),
                [R.qrange(["normal", "narrow", "wide", "pos", "skew", "unit"])], params)
@gen("batch_matmul", ["BATCH_MATMUL"], modes=("int8", "float"))
def g_batch_matmul(R, mode):
    tf = _tf()
    a, k, c = R.i(1, 6), R.i(1, 8), R.i(1, 6)
    nb = R.i(0, 3)
    batch = [R.i(1, 3) for _ in range(nb)]
    lb = [1 if R.p(0.25) else d for d in batch]
    rb = [1 if (R.p(0.25) and lb[i] != 1) else d for i, d in enumerate(batch)]
    if nb and R.p(0.3):  # rank broadcasting
        if R.p(0.5):
            lb = lb[R.i(1, nb):]
        else:
            rb = rb[R.i(1, nb):]
    adj_x, adj_y = R.p(0.3), R.p(0.3)
    ls = lb + ([k, a] if adj_x else [a, k])
    rs = rb + ([c, k] if adj_y else [k, c])
    const_rhs = R.p(0.4) and len(rs) > 2  # a 2-D constant RHS becomes FULLY_CONNECTED
    params = dict(lhs=ls, rhs=rs, adj_x=adj_x, adj_y=adj_y, const_rhs=const_rhs)
    if const_rhs:
        w = R.weights(rs, len(rs) - 2 if adj_y else len(rs) - 1)
        return Spec(tfn([ls], lambda x: tf.linalg.matmul(x, w, adjoint_a=adj_x, adjoint_b=adj_y)),
                    [R.qrange()], params, per_channel=False)
    return Spec(tfn([ls, rs], lambda x, y: tf.linalg.matmul(x, y, adjoint_a=adj_x, adjoint_b=adj_y)),
                [R.qrange(), R.qrange()], params)


# ---------------------------------------------------------------- chains of 2-4 ops


def _chain_layers():
    """Layer makers for chains: maker(R, shape) -> (fn(tf, t, extra) , new_shape, label, needs_extra)."""

    def conv(R, s):
        n, h, w, c = s
        k = R.choice([1, 1, 3])
        st = R.choice([1, 1, 2]) if min(h, w) > 2 else 1
        co = R.i(1, 8)
        wt = R.weights([k, k, c, co], 3)
        b = R.weights([co], 0)
        act = R.act(("relu", "relu6"), 0.5)

        def f(tf, t, e):
            return apply_act(tf, tf.nn.bias_add(tf.nn.conv2d(t, wt, st, "SAME"), b), act)

        return f, [n, -(-h // st), -(-w // st), co], f"conv{k}x{k}/s{st}" + (f"+{act}" if act else "")

    def dw(R, s):
        n, h, w, c = s
        st = R.choice([1, 1, 2]) if min(h, w) > 2 else 1
        wt = R.weights([3, 3, c, 1], 2)
        b = R.weights([c], 0)
        act = R.act(("relu", "relu6"), 0.5)

        def f(tf, t, e):
            return apply_act(tf, tf.nn.bias_add(tf.nn.depthwise_conv2d(t, wt, [1, st, st, 1], "SAME"), b), act)

        return f, [n, -(-h // st), -(-w // st), c], f"dw3x3/s{st}" + (f"+{act}" if act else "")

    def act(R, s):
        kind = R.choice(["relu", "relu6", "sigmoid", "tanh", "hard_swish", "leaky_relu", "gelu"])
        fns = {
            "relu": lambda tf, t: tf.nn.relu(t),
            "relu6": lambda tf, t: tf.nn.relu6(t),
            "sigmoid": lambda tf, t: tf.sigmoid(t),
            "tanh": lambda tf, t: tf.tanh(t),
            "hard_swish": lambda tf, t: t * tf.nn.relu6(t + 3.0) * (1.0 / 6.0),
            "leaky_relu": lambda tf, t: tf.nn.leaky_relu(t, 0.1),
            "gelu": lambda tf, t: tf.nn.gelu(t),
        }
        return (lambda tf, t, e: fns[kind](tf, t)), s, kind

    def addc(R, s):
        c = R.values([s[-1]], -2, 2)
        kind = R.choice(["add", "mul", "sub"])

        def f(tf, t, e):
            return {"add": t + c, "mul": t * c, "sub": t - c}[kind]

        return f, s, f"{kind}_const"

    def residual(R, s):
        kind = R.choice(["add", "mul", "max"])

        def f(tf, t, e):
            u = tf.nn.relu(t) if kind != "max" else t * -0.5
            return {"add": t + u, "mul": t * tf.sigmoid(t), "max": tf.maximum(t, u)}[kind]

        return f, s, f"self_{kind}"

    def pool(R, s):
        n, h, w, c = s
        if min(h, w) < 2:
            return act(R, s)
        kind = R.choice(["avg", "max"])

        def f(tf, t, e):
            return (tf.nn.avg_pool2d if kind == "avg" else tf.nn.max_pool2d)(t, 2, 2, "SAME")

        return f, [n, -(-h // 2), -(-w // 2), c], f"{kind}pool2"

    def pad(R, s):
        n, h, w, c = s
        p = [[0, 0], [R.i(0, 2), R.i(0, 2)], [R.i(0, 2), R.i(1, 2)], [0, 0]]
        return (lambda tf, t, e: tf.pad(t, p)), [n, h + sum(p[1]), w + sum(p[2]), c], "pad"

    def concat(R, s):
        n, h, w, c = s

        def f(tf, t, e):
            return tf.concat([t, tf.nn.relu(t)], axis=3)

        return f, [n, h, w, 2 * c], "concat_relu"

    def resize(R, s):
        n, h, w, c = s
        oh, ow = R.i(1, 8), R.i(1, 8)
        bil = R.p(0.5)

        def f(tf, t, e):
            if bil:
                return tf.raw_ops.ResizeBilinear(images=t, size=[oh, ow], half_pixel_centers=True)
            return tf.raw_ops.ResizeNearestNeighbor(images=t, size=[oh, ow])

        return f, [n, oh, ow, c], "resize_" + ("bilinear" if bil else "nearest")

    def extra_add(R, s):
        kind = R.choice(["add", "mul", "sub"])

        def f(tf, t, e):
            return {"add": t + e, "mul": t * e, "sub": t - e}[kind]

        return f, s, f"{kind}_input2"

    def transpose(R, s):
        n, h, w, c = s
        return (lambda tf, t, e: tf.transpose(t, [0, 2, 1, 3])), [n, w, h, c], "transpose_hw"

    return {"conv": conv, "dw": dw, "act": act, "addc": addc, "residual": residual, "pool": pool, "pad": pad,
            "concat": concat, "resize": resize, "extra": extra_add, "transpose": transpose}


def _heads():
    def mean(R, s):
        keep = R.p(0.5)
        out = [s[0], 1, 1, s[3]] if keep else [s[0], s[3]]
        return (lambda tf, t: tf.reduce_mean(t, [1, 2], keepdims=keep)), out, "mean"

    def dense_softmax(R, s):
        k = s[1] * s[2] * s[3]
        u = R.i(2, 6)
        wt = R.weights([k, u], 1)
        sm = R.p(0.5)

        def f(tf, t):
            y = tf.matmul(tf.reshape(t, [s[0], k]), wt)
            return tf.nn.softmax(y) if sm else y

        return f, [s[0], u], "dense" + ("_softmax" if sm else "")

    def none(R, s):
        return (lambda tf, t: t), s, None

    return {"mean": mean, "dense": dense_softmax, "none": none}


@gen("chain", [], weight=CHAIN_WEIGHT)
def g_chain(R, mode):
    tf = _tf()
    layers, heads = _chain_layers(), _heads()
    n = R.i(2, 4)
    s = [1, R.i(2, 8), R.i(2, 8), R.i(1, 4)]
    in_shape = list(s)
    steps = []
    labels = []
    extra_shape = None
    head = R.choice(["none", "none", "mean", "dense"]) if R.p(0.5) else "none"
    nbody = n - (1 if head != "none" else 0)
    for _ in range(max(1, nbody)):
        name = R.choice(list(layers))
        if name == "extra" and extra_shape is not None:
            name = "act"
        fn, s2, label = layers[name](R, s)
        if name == "extra":
            extra_shape = list(s)
        if s2[1] * s2[2] * s2[3] > 512:
            fn, s2, label = layers["act"](R, s)
        steps.append((fn, name == "extra"))
        labels.append(label)
        s = s2
    hfn, s, hlabel = heads[head](R, s)
    if hlabel:
        labels.append(hlabel)
    params = dict(x=in_shape, layers=labels, extra_input=extra_shape)
    shapes = [in_shape] + ([extra_shape] if extra_shape else [])
    ranges = [R.qrange(["normal", "pos", "skew", "unit"])] + ([R.qrange(["normal", "unit"])] if extra_shape else [])

    def f(*xs):
        t = xs[0]
        for fn, uses_extra in steps:
            t = fn(tf, t, xs[1] if uses_extra else None)
        return hfn(tf, t)

    return Spec(tfn(shapes, f), ranges, params, per_channel=not R.p(PER_TENSOR_SHARE))


# ============================================================================================
# Running one case (worker side)
# ============================================================================================

_W = {}  # worker state: tf, np, oplib, Interpreter, OpResolverType


def _worker_imports():
    if _W:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.path.insert(0, MODELS_DIR)
    import numpy as np
    import oplib  # noqa: F401  (sets TF threading/determinism)
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    _W.update(np=np, tf=tf, oplib=oplib, Interpreter=Interpreter, OpResolverType=OpResolverType)


def rotation(names, seed):
    """The generator sequence: each generator `weight` times, in a seed-dependent order."""
    import numpy as np

    seq = []
    for n in sorted(names):
        seq += [n] * GENERATORS[n].weight
    perm = np.random.default_rng([seed, 0xD1FF]).permutation(len(seq))
    return [seq[i] for i in perm]


def _convert(spec, mode, rng_seed):
    np, oplib, tf = _W["np"], _W["oplib"], _W["tf"]
    if mode in ("float", "dynamic"):  # dynamic: the float model, then _hybridize
        return oplib.convert_float(spec.fn)
    if mode == "float16":
        c = oplib._converter(spec.fn)
        c.optimizations = [tf.lite.Optimize.DEFAULT]
        c.target_spec.supported_types = [tf.float16]
        return c.convert()
    specs = oplib.input_specs(spec.fn)

    def rep():
        rng = np.random.default_rng(rng_seed)
        for i in range(12):
            xs = []
            for (shape, _), (lo, hi) in zip(specs, spec.ranges):
                a = rng.uniform(lo, hi, size=shape).astype(np.float32)
                if i == 0 and a.size >= 2:  # the calibrated range reaches both ends
                    a.flat[0], a.flat[1] = lo, hi
                xs.append(a)
            yield xs

    def extra(c):
        c.representative_dataset = rep
        if mode == "int16":
            c.target_spec.supported_ops = [tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
            c.inference_input_type = c.inference_output_type = tf.int16
            # int64 bias (the converter's default) or int32, chosen from the case's seed
            if np.random.default_rng(rng_seed + [2]).random() < 0.3:
                c._experimental_full_integer_quantization_bias_type = tf.int32

    return oplib.convert_int8(spec.fn, spec.ranges, int8_io=(mode != "int8f"), per_channel=spec.per_channel,
                              extra=extra)


def _to_uint8(m, R_):
    """See oplib.uint8_edit."""
    _W["oplib"].uint8_edit(m, R_.rng)


def _hybridize(m, R_):
    """Dynamic-range quantization of a float model, as TensorFlow's converter does it for weights of
    1024 or more elements (here for every size): the constant float weights of FULLY_CONNECTED,
    CONV_2D and DEPTHWISE_CONV_2D become symmetric int8, per channel (output channel: axis 0, or
    axis 3 for depthwise) or, sometimes for FULLY_CONNECTED, per tensor; FULLY_CONNECTED's
    asymmetric_quantize_inputs is chosen at random (the converter sets it)."""
    np = _W["np"]
    from ai_edge_litert import schema_py_generated as s

    sg = m.subgraphs[0]
    B = s.BuiltinOperator
    uses = defaultdict(int)
    for op in sg.operators:
        for t in op.inputs:
            uses[int(t)] += 1
    for op in sg.operators:
        code = max(m.operatorCodes[op.opcodeIndex].builtinCode, m.operatorCodes[op.opcodeIndex].deprecatedBuiltinCode)
        if code not in (B.FULLY_CONNECTED, B.CONV_2D, B.DEPTHWISE_CONV_2D) or len(op.inputs) < 2:
            continue
        wi = int(op.inputs[1])
        w = sg.tensors[wi]
        buf = m.buffers[w.buffer].data if w.buffer < len(m.buffers) else None
        if w.type != s.TensorType.FLOAT32 or buf is None or len(buf) == 0 or uses[wi] != 1:
            continue
        real = np.frombuffer(bytes(bytearray(buf)), np.float32).reshape([int(d) for d in w.shape])
        axis = 3 if code == B.DEPTHWISE_CONV_2D else 0
        per_tensor = code == B.FULLY_CONNECTED and R_.p(0.3)
        if per_tensor:
            mx = np.array([np.max(np.abs(real))])
        else:
            other = tuple(a for a in range(real.ndim) if a != axis)
            mx = np.max(np.abs(real), axis=other) if other else np.abs(real)
        scale = np.where(mx > 0, mx / 127.0, 1.0).astype(np.float32)
        shape = [1] * real.ndim
        if not per_tensor:
            shape[axis] = -1
        q = np.clip(np.round(real / scale.reshape(shape)), -127, 127).astype(np.int8)
        m.buffers[w.buffer].data = np.frombuffer(q.tobytes(), np.uint8)
        w.type = s.TensorType.INT8
        w.quantization = s.QuantizationParametersT()
        w.quantization.scale = [float(v) for v in scale]
        w.quantization.zeroPoint = [0] * len(scale)
        w.quantization.quantizedDimension = 0 if per_tensor else axis
        if code == B.FULLY_CONNECTED and op.builtinOptions is not None:
            op.builtinOptions.asymmetricQuantizeInputs = R_.p(0.5)


def _edit(model_bytes, post):
    import flatbuffers
    from ai_edge_litert import schema_py_generated as s

    m = s.ModelT.InitFromPackedBuf(model_bytes, 0)
    post(m)
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def _tflite_undefined(model_bytes):
    """Why TFLite's reference output for this model is undefined (so not an oracle), or None:
    - int16 SUM: the reference kernel reads the int16 input as bytes and writes only part of the
      output, the rest being stale memory (varies between runs; src/ops/reduce.rs);
    - uint8 grouped CONV_2D: the uint8 reference kernel indexes the filter as if the conv were
      not grouped, reading past the filter (src/ops/conv.rs)."""
    from ai_edge_litert import schema_py_generated as s

    m = s.ModelT.InitFromPackedBuf(model_bytes, 0)
    sg = m.subgraphs[0]
    B, T = s.BuiltinOperator, s.TensorType
    for op in sg.operators:
        oc = m.operatorCodes[op.opcodeIndex]
        code = max(oc.builtinCode, oc.deprecatedBuiltinCode)
        ins = [sg.tensors[i] for i in op.inputs if i >= 0]
        if code == B.SUM and ins and ins[0].type == T.INT16:
            return "TFLite's int16 SUM reads int16 as bytes and leaves part of its output unwritten"
        if code == B.CONV_2D and len(ins) >= 2 and ins[0].type == T.UINT8 \
                and list(ins[0].shape)[-1:] != list(ins[1].shape)[-1:]:
            return "TFLite's uint8 CONV_2D reads past the filter of a grouped convolution"
    return None


def _make_inputs(details, spec, mode, rng):
    """N_CASES cases per input, stacked on axis 0: full random range with -128/127, values near the
    zero point, extremes only, full random range (int8); for float inputs uniform values over the
    calibration range and beyond, exact ends, zeros and half-step ties."""
    np = _W["np"]
    out = []
    for k, d in enumerate(details):
        shape = tuple(int(v) for v in d["shape"])
        dt = np.dtype(d["dtype"])
        scale, zp = d["quantization"]
        cases = []
        for c in range(N_CASES):
            if dt in (np.int8, np.uint8, np.int16):
                qmin, qmax = int(np.iinfo(dt).min), int(np.iinfo(dt).max)
                if c == 1:
                    a = np.clip(zp + rng.integers(-3, 4, size=shape), qmin, qmax)
                elif c == 2:
                    a = rng.choice(np.array([qmin, qmax]), size=shape)
                else:
                    a = rng.integers(qmin, qmax + 1, size=shape)
                a = a.astype(dt)
                if c == 0 and a.size >= 2:
                    a.flat[0], a.flat[1] = qmin, qmax
                if k in spec.nonzero:
                    bad = a == zp
                    a[bad] = dt.type(zp + 1 if zp < qmax else zp - 1)
            elif dt == np.float32:
                lo, hi = spec.ranges[k] if k < len(spec.ranges) else (-1.0, 1.0)
                span = hi - lo
                if k in spec.inrange:  # e.g. divisors: inside their one-signed range only
                    cases.append(rng.uniform(lo, hi, size=shape).astype(np.float32))
                    continue
                a = rng.uniform(lo - 0.2 * span, hi + 0.2 * span, size=shape).astype(np.float32)
                if c == 1 and scale:  # ties: (j + 1/2) steps, within and beyond the range
                    j = rng.integers(-140, 140, size=shape) - zp
                    a = ((j + 0.5) * scale).astype(np.float32)
                elif c == 2 and a.size >= 4:
                    # the range ends, zero and (for QUANTIZE to clamp) a value far beyond the range
                    a.flat[0], a.flat[1], a.flat[2] = lo, hi, 0.0
                    a.flat[3] = 10 * (hi - lo) + hi if mode == "int8f" else hi
            else:
                raise RuntimeError(f"input {k}: no input generator for {dt}")
            cases.append(a)
        out.append(np.concatenate(cases, axis=0) if shape else np.stack(cases))
    return out


def _run_tflite(model_bytes, inputs, kind):
    np = _W["np"]
    it = _W["Interpreter"](model_content=model_bytes, experimental_op_resolver_type=kind)
    it.allocate_tensors()
    ins, outs = it.get_input_details(), it.get_output_details()
    res = [[] for _ in outs]
    for c in range(N_CASES):
        for d, a in zip(ins, inputs):
            per = a.shape[0] // N_CASES if a.ndim else 1
            it.set_tensor(d["index"], a[c * per:(c + 1) * per] if a.ndim and d["shape"].size else a[c])
        it.invoke()
        for k, d in enumerate(outs):
            res[k].append(it.get_tensor(d["index"]).copy())
    return [np.concatenate(r, axis=0) if r[0].ndim else np.stack(r) for r in res]


def build_case(seed, idx, gen_names, forced_mode="mixed"):
    """Builds case `idx`: returns (gen name, mode, spec, model bytes, rng). `forced_mode`: "mixed"
    (each generator's own mix of int8, int8f and float) or one of MODES."""
    np = _W["np"]
    rot = rotation(gen_names, seed)
    name = rot[idx % len(rot)]
    g = GENERATORS[name]
    rng = np.random.default_rng([seed, idx])
    R_ = R(rng)
    if forced_mode != "mixed":
        mode = forced_mode
    elif g.modes == ("int8", "float"):
        mode = "float" if R_.p(FLOAT_SHARE) else ("int8f" if g.floatio and R_.p(FLOATIO_SHARE) else "int8")
    else:
        mode = R_.choice(list(g.modes))
    spec = g.fn(R_, BASE_MODE[mode])
    if mode == "uint8":
        spec.per_channel = False  # TFLite's uint8 kernels take per-tensor weights only
    model = _convert(spec, mode, [seed, idx, 1])
    if spec.post is not None:
        model = _edit(model, spec.post)
    if mode == "uint8":
        model = _edit(model, lambda m: _to_uint8(m, R_))
    elif mode == "dynamic":
        model = _edit(model, lambda m: _hybridize(m, R_))
    return name, mode, spec, model, rng


def run_case(seed, idx, gen_names, opts):
    """One case, end to end. Returns a JSON-able result dict."""
    _worker_imports()
    np, oplib, ORT = _W["np"], _W["oplib"], _W["OpResolverType"]
    import resource

    res = dict(idx=idx, status="error", detail="")
    t0 = time.perf_counter()
    cpu0 = time.process_time() + resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime \
        + resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime
    try:
        name, mode, spec, model, rng = build_case(seed, idx, gen_names, opts.get("mode", "mixed"))
    except Exception as e:  # noqa: BLE001
        res.update(gen=None, detail="build/convert failed: " + _short(e), trace=traceback.format_exc()[-3000:])
        # TensorFlow's converter (or TFLite during calibration) refusing a generated model is not a
        # verdict on qlite: skipped, like a model TFLite refuses to run. Anything else in building
        # a case is a harness error.
        if type(e).__name__ == "ConverterError" or "tensorflow/lite/" in str(e) \
                or (type(e).__name__ == "RuntimeError" and "c.convert()" in traceback.format_exc()):
            res["status"] = "converter_refused"
        if opts.get("mode", "mixed") != "mixed":
            res["mode"] = opts["mode"]
        try:
            rot = rotation(gen_names, seed)
            res["gen"] = rot[idx % len(rot)]
        except Exception:  # noqa: BLE001
            pass
        return res
    g = GENERATORS[name]
    t1 = time.perf_counter()
    ops = oplib.ops_of(model)
    res.update(gen=name, mode=mode, params=_jsonable(spec.params), ops=ops, per_channel=spec.per_channel,
               model_bytes=len(model), oracle=g.oracle)
    missing = [o for o in g.ops if o not in ops]
    if missing:
        res.update(status="rewritten", detail=f"converter produced {ops}, no {missing}")
        return res
    why = _tflite_undefined(model)
    if why:
        res.update(status="tflite_undefined", detail=why)
        return res
    oracle = ORT.BUILTIN_REF if g.oracle == "ref" else ORT.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    try:
        it = _W["Interpreter"](model_content=model, experimental_op_resolver_type=oracle)
        it.allocate_tensors()
        inputs = _make_inputs(it.get_input_details(), spec, mode, rng)
        del it
        ref = _run_tflite(model, inputs, oracle)
    except Exception as e:  # noqa: BLE001
        res.update(status="tflite_refused", detail=_short(e))
        return res
    t2 = time.perf_counter()
    # TFLite's default path, for information
    try:
        auto = _run_tflite(model, inputs, ORT.AUTO)
        st = {"i": [0, 0, 0], "f": [0, 0, 0]}  # differing elements, largest difference, elements
        for a, b in zip(auto, ref):
            kind = "f" if b.dtype.kind == "f" else "i"
            n = int(np.sum(a != b))
            st[kind][0] += n
            st[kind][1] = max(st[kind][1], _max_steps(np, a, b) if n else 0)
            st[kind][2] += int(b.size)
        res["auto"] = st
    except Exception as e:  # noqa: BLE001
        res.update(auto=None, auto_error=_short(e))
    res["elements"] = int(sum(a.size for a in ref))
    h = hashlib.sha256(model)
    for a in inputs + ref:
        h.update(a.tobytes())
    res["digest"] = h.hexdigest()
    # files and qlite
    cdir = os.path.join(opts["workdir"], f"s{seed}_c{idx:05d}_{name}")
    os.makedirs(cdir, exist_ok=True)
    mpath = os.path.join(cdir, "model.tflite")
    with open(mpath, "wb") as f:
        f.write(model)
    ipaths, rpaths = [], []
    for k, a in enumerate(inputs):
        ipaths.append(os.path.join(cdir, f"in{k}.npy"))
        np.save(ipaths[-1], a)
    for k, a in enumerate(ref):
        rpaths.append(os.path.join(cdir, f"ref{k}.npy"))
        np.save(rpaths[-1], a)
    cmd = [opts["qlite"], "compare", mpath] + sum((["-i", p] for p in ipaths), []) + \
        sum((["-e", p] for p in rpaths), []) + ["--json"]
    res["dir"] = cdir
    res["cmd"] = cmd[:-1]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=opts["timeout"])
    except subprocess.TimeoutExpired:
        res.update(status="fail", detail=f"qlite did not finish in {opts['timeout']} s")
        return res
    except OSError as e:
        res.update(status="error", detail=f"cannot run qlite: {e}")
        return res
    t3 = time.perf_counter()
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    res["times"] = [round(t1 - t0, 4), round(t2 - t1, 4), round(t3 - t2, 4),
                    round(time.process_time() + ch.ru_utime + ch.ru_stime - cpu0, 4)]
    res["rc"] = p.returncode
    if p.returncode in (0, 1):
        try:
            doc = json.loads(p.stdout)
            res["differing"] = [o["differing"] for o in doc["outputs"]]
            res["max_steps"] = [o["max_steps"] for o in doc["outputs"]]
        except (ValueError, KeyError) as e:
            res.update(status="error", detail=f"unreadable qlite JSON ({e}): {p.stdout[:300]}")
            return res
        tol = max([FLOAT_ULP_TOLERANCE.get(o, 0) for o in ops] or [0]) if mode in FLOAT_MODES else 0
        if p.returncode == 0 and sum(res["differing"]) == 0:
            res["status"] = "pass"
        elif tol and max(res["max_steps"]) <= tol:
            res.update(status="pass", tolerated=max(res["max_steps"]))
        else:
            res.update(status="fail", detail="outputs differ: " + ", ".join(
                f"output {k}: {d} of {o['elements']} differ, max {m}" for k, (d, m, o) in
                enumerate(zip(res["differing"], res["max_steps"], doc["outputs"]))))
    elif p.returncode == 2 and ("no kernel for this operator" in p.stderr or _is_unsupported(p.stderr)):
        res["status"] = "unsupported"
        err = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ""
        res["detail"] = err
        res["unsupported_op"] = _op_in_error(err)
    else:
        res.update(status="fail", detail=f"qlite exit {p.returncode}: {p.stderr.strip()[:500]}")
    return res


def _max_steps(np, a, b):
    """Largest difference in quantized steps (integers) or units in the last place (float32)."""
    if a.dtype == np.float32:
        def key(x):
            i = x.view(np.int32).astype(np.int64)
            return np.where(i < 0, -(i & 0x7FFFFFFF), i)
        return int(np.max(np.abs(key(a) - key(b))))
    return int(np.max(np.abs(a.astype(np.int64) - b.astype(np.int64))))


def _is_unsupported(stderr):
    # qlite's one-line error ends in the operator error's kind: "... [unsupported]".
    lines = stderr.strip().splitlines()
    return bool(lines) and lines[-1].rstrip().endswith("[unsupported]")


def _op_in_error(line):
    # "error: subgraph 0, operator 0 (CONV_2D): no kernel for this operator in this build"
    i, j = line.find("("), line.find(")")
    return line[i + 1:j] if 0 <= i < j else "?"


def _short(e):
    s = f"{type(e).__name__}: {e}"
    s = " ".join(s.split())
    return s[:600]


def _jsonable(x):
    import numpy as np

    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    if isinstance(x, float):
        return round(x, 9)
    return x


# ============================================================================================
# Worker processes
# ============================================================================================


def worker_main(conn, logpath, seed, gen_names, opts):
    fd = os.open(logpath, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    try:
        _worker_imports()
    except Exception as e:  # noqa: BLE001
        conn.send(("dead", _short(e)))
        return
    conn.send(("ready", None))
    while True:
        try:
            idx = conn.recv()
        except EOFError:
            return
        if idx is None:
            return
        print(f"--- case {idx}", flush=True)
        try:
            r = run_case(seed, idx, gen_names, opts)
        except Exception as e:  # noqa: BLE001
            r = dict(idx=idx, status="error", detail="harness: " + _short(e), trace=traceback.format_exc()[-3000:])
        sys.stdout.flush()
        conn.send(("result", r))


class Pool:
    """`jobs` worker processes, one case at a time each, so a case that kills TFLite's process
    (some TFLite kernels abort on models they refuse) is identified and the worker replaced."""

    def __init__(self, jobs, workdir, seed, gen_names, opts):
        import multiprocessing as mp

        self.ctx = mp.get_context("spawn")
        self.args = (seed, gen_names, opts)
        self.workdir = workdir
        self.n = 0
        self.workers = [self._spawn() for _ in range(jobs)]

    def _spawn(self):
        self.n += 1
        log = os.path.join(self.workdir, f"worker{self.n}.log")
        a, b = self.ctx.Pipe()
        p = self.ctx.Process(target=worker_main, args=(b, log) + self.args, daemon=True)
        p.start()
        b.close()
        return dict(proc=p, conn=a, log=log, idx=None, ready=False)

    def run(self, indices, on_result):
        from multiprocessing.connection import wait

        todo = deque(indices)
        while todo or any(w["idx"] is not None for w in self.workers):
            for w in self.workers:
                if w["ready"] and w["idx"] is None and todo:
                    w["idx"] = todo.popleft()
                    w["conn"].send(w["idx"])
            ready = wait([w["conn"] for w in self.workers] + [w["proc"].sentinel for w in self.workers])
            for i, w in enumerate(list(self.workers)):
                msg = None
                if w["conn"] in ready:
                    try:
                        msg = w["conn"].recv()
                    except (EOFError, OSError):
                        msg = None
                if msg is not None:
                    kind, val = msg
                    if kind == "ready":
                        w["ready"] = True
                    elif kind == "result":
                        w["idx"] = None
                        on_result(val)
                    elif kind == "dead":
                        raise RuntimeError(f"worker could not start: {val}")
                    continue
                if w["proc"].sentinel in ready or not w["proc"].is_alive():
                    w["proc"].join(1)
                    if w["idx"] is None and not w["ready"]:
                        raise RuntimeError(f"worker died while starting; see {w['log']}")
                    tail = _tail(w["log"], 6)
                    if w["idx"] is not None:
                        on_result(dict(idx=w["idx"], status="crash", gen=None,
                                       detail=f"worker died (exit {w['proc'].exitcode}): {tail}"))
                    self.workers[i] = self._spawn()

    def close(self):
        for w in self.workers:
            try:
                w["conn"].send(None)
            except (OSError, BrokenPipeError):
                pass
        for w in self.workers:
            w["proc"].join(10)
            if w["proc"].is_alive():
                w["proc"].terminate()


def _tail(path, n):
    try:
        with open(path, errors="replace") as f:
            lines = [ln.strip() for ln in f.read().splitlines() if ln.strip()]
        return " | ".join(lines[-n:])[-800:]
    except OSError:
        return ""


# ============================================================================================
# Main process
# ============================================================================================


def select_generators(spec):
    if not spec:
        return sorted(GENERATORS)
    names = []
    for tok in [t.strip() for t in spec.split(",") if t.strip()]:
        hits = [n for n, g in GENERATORS.items() if n == tok or tok.upper() in g.ops]
        if not hits:
            raise SystemExit(f"difftest: unknown generator or op {tok!r}; see --list")
        names += [h for h in hits if h not in names]
    return sorted(names)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--qlite", default=os.path.join(REPO, "target", "release", "qlite"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--ops", default="", help="generator names or TFLite op names, comma-separated")
    ap.add_argument("--mode", default="mixed", choices=("mixed",) + MODES,
                    help="quantization mode of every case (default: each generator's mix of int8, int8 "
                         "with float I/O and float32)")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--keep", default=None, help="directory for failing cases")
    ap.add_argument("--keep-all", action="store_true", help="keep every case, not only failures")
    ap.add_argument("--case", default="", help="only these case indices (comma-separated)")
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--list", action="store_true", help="list the generators and exit")
    ap.add_argument("-v", "--verbose", action="store_true", help="one line per case")
    args = ap.parse_args(argv)

    if args.list:
        for n in sorted(GENERATORS):
            g = GENERATORS[n]
            print(f"{n:26s} {','.join(g.ops) or '(any)':34s} modes={','.join(g.modes)} weight={g.weight}"
                  + ("" if g.oracle == "ref" else f" oracle={g.oracle}"))
        return 0
    gen_names = select_generators(args.ops)
    if args.mode != "mixed":
        base = BASE_MODE[args.mode]
        gen_names = [n for n in gen_names if base in GENERATORS[n].modes
                     or (base == "int8f" and "int8" in GENERATORS[n].modes and GENERATORS[n].floatio)]
        if not gen_names:
            raise SystemExit(f"difftest: no generator makes {args.mode} models (of {args.ops or 'all'})")
    qlite = os.path.abspath(args.qlite if os.path.isabs(args.qlite) else os.path.join(REPO, args.qlite)) \
        if not os.path.exists(args.qlite) else os.path.abspath(args.qlite)
    if not os.access(qlite, os.X_OK):
        print(f"difftest: qlite not found at {qlite} (build it: cargo build --release)", file=sys.stderr)
        print("difftest: 0 passed, 0 failed")
        print(f"difftest: 0 unsupported, 0 skipped, 1 errors; seed {args.seed}")
        return 2
    keep = os.path.abspath(args.keep or os.path.join(tempfile.gettempdir(), f"qlite-difftest-{args.seed}"))
    indices = [int(x) for x in args.case.split(",") if x.strip()] if args.case else list(range(args.count))
    workdir = tempfile.mkdtemp(prefix="difftest-")
    opts = dict(qlite=qlite, workdir=workdir, timeout=args.timeout, mode=args.mode)
    ops_arg = (f" --ops {args.ops}" if args.ops else "") + (f" --mode {args.mode}" if args.mode != "mixed" else "")
    print(f"difftest: seed {args.seed}, mode {args.mode}, {len(indices)} cases, {len(gen_names)} generators, "
          f"jobs {args.jobs}, "
          f"qlite {qlite}", flush=True)

    results = {}
    t_start = time.time()
    last = [t_start]

    rot = rotation(gen_names, args.seed)

    def on_result(r):
        results[r["idx"]] = r
        if not r.get("gen"):
            r["gen"] = rot[r["idx"] % len(rot)]
        st = r["status"]
        if args.verbose:
            print(f"  case {r['idx']:5d} {r.get('gen') or '?':24s} {r.get('mode', ''):5s} {st:11s} "
                  f"{' '.join(r.get('ops', []))}  {r.get('detail', '')[:120]}", flush=True)
        if st in ("fail", "error", "crash", "tflite_refused", "converter_refused") or (args.keep_all and r.get("dir")):
            _keep(r, keep, args.seed, ops_arg, print_it=st != "pass" and not (st == "unsupported"))
        if r.get("dir") and os.path.isdir(r["dir"]):
            shutil.rmtree(r["dir"], ignore_errors=True)
        done = len(results)
        if time.time() - last[0] > 30 or done == len(indices):
            el = time.time() - t_start
            print(f"  ... {done}/{len(indices)} cases, {el:.0f} s, {60 * done / max(el, 1e-9):.0f} cases/min",
                  file=sys.stderr, flush=True)
            last[0] = time.time()

    pool = Pool(max(1, args.jobs), workdir, args.seed, gen_names, opts)
    harness_error = None
    try:
        pool.run(indices, on_result)
    except Exception as e:  # noqa: BLE001
        harness_error = _short(e)
    finally:
        pool.close()
    elapsed = time.time() - t_start
    rc = report(results, indices, args, elapsed, harness_error)
    if rc != 2:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"difftest: worker logs kept in {workdir}", file=sys.stderr)
    return rc


def _keep(r, keep, seed, ops_arg, print_it=True):
    name = f"s{seed}_c{r['idx']:05d}_{r.get('gen') or 'unknown'}"
    dest = os.path.join(keep, name)
    os.makedirs(keep, exist_ok=True)
    if r.get("dir") and os.path.isdir(r["dir"]):
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(r["dir"], dest)
        cmd = [r["cmd"][0], "compare", os.path.join(dest, "model.tflite")]
        for k, a in enumerate(r["cmd"]):
            if a in ("-i", "-e"):
                cmd += [a, os.path.join(dest, os.path.basename(r["cmd"][k + 1]))]
        r["repro"] = " ".join(cmd)
    else:
        os.makedirs(dest, exist_ok=True)
    r["regen"] = f"python models/difftest.py --seed {seed} --case {r['idx']}{ops_arg} --keep DIR"
    with open(os.path.join(dest, "case.json"), "w") as f:
        json.dump({k: v for k, v in r.items() if k not in ("dir", "cmd")}, f, indent=1, default=str)
    if print_it:
        print(f"{r['status'].upper()} case {r['idx']} ({r.get('gen')}, {r.get('mode', '?')}, ops {r.get('ops')}): "
              f"{r.get('detail', '')}")
        if r.get("params") is not None:
            print(f"  params: {json.dumps(r['params'])}")
        if r.get("repro"):
            print(f"  reproduce: {r['repro']}")
        print(f"  regenerate: {r['regen']}  (kept in {dest})", flush=True)
        if r.get("trace"):
            print("  " + r["trace"].rstrip().replace("\n", "\n  "))


def report(results, indices, args, elapsed, harness_error):
    by_gen = defaultdict(lambda: defaultdict(int))
    by_op = defaultdict(lambda: defaultdict(int))
    by_mode = defaultdict(lambda: defaultdict(int))
    # per generator and output kind ("i" quantized/integer, "f" float32): elements differing,
    # cases differing, largest difference (steps or ULP), elements
    auto_gen = defaultdict(lambda: {"i": [0, 0, 0, 0], "f": [0, 0, 0, 0]})
    times = []
    unsupported_ops = defaultdict(int)
    counts = defaultdict(int)
    digest = hashlib.sha256()
    for i in indices:
        r = results.get(i, dict(idx=i, status="error", detail="no result"))
        st = r["status"]
        counts[st] += 1
        g = r.get("gen") or "?"
        by_gen[g][st] += 1
        by_gen[g]["run"] += 1
        by_mode[r.get("mode") or "?"][st] += 1
        for o in sorted(set(r.get("ops", []))):
            by_op[o][st] += 1
            by_op[o]["run"] += 1
        if st == "unsupported":
            unsupported_ops[r.get("unsupported_op", "?")] += 1
        if r.get("auto"):
            for kind, (n, mx, el) in r["auto"].items():
                a = auto_gen[g][kind]
                a[0] += n
                a[1] += 1 if n else 0
                a[2] = max(a[2], mx)
                a[3] += el
        if r.get("times"):
            times.append(r["times"])
        digest.update(f"{i}:{st}:{r.get('digest', '')};".encode())
        if st == "rewritten" and (args.verbose or counts[st] <= 5):
            print(f"SKIPPED case {i} ({g}, {st}): {r.get('detail')}")
    n = len(indices)
    print()
    print(f"difftest: seed {args.seed}: {n} cases in {elapsed:.1f} s ({60 * n / max(elapsed, 1e-9):.0f} cases/min, "
          f"jobs {args.jobs})")
    if times:
        t = [sum(x[k] for x in times) / len(times) for k in range(4)]
        print(f"  mean seconds per case (cases that reached qlite): build+convert {t[0]:.3f}, TFLite runs {t[1]:.3f}, "
              f"files+qlite {t[2]:.3f}; CPU {t[3]:.3f} s per case, i.e. about {60 / max(t[3], 1e-9):.0f} cases/min "
              f"per idle core")
    print("  AUTO!=REF: output elements where TFLite's default path (XNNPACK + optimized kernels) differs from "
          "BUILTIN_REF\n  (information only): differing/total (cases, max steps) for quantized outputs, "
          "(cases, max ULP) for float32 ones")
    hdr = f"  {'generator':26s} {'run':>5s} {'pass':>5s} {'fail':>5s} {'unsup':>5s} {'skip':>5s} {'err':>4s}" \
          f"   {'AUTO!=REF quantized':<30s} {'AUTO!=REF float32':<30s}"
    print(hdr)
    skip_kinds = ("rewritten", "tflite_refused", "converter_refused", "tflite_undefined", "crash")

    def fmt(a):
        return f"{a[0]}/{a[3]} ({a[1]}, {a[2]})" if a[3] else "-"

    for g in sorted(by_gen):
        c = by_gen[g]
        a = auto_gen[g]
        print(f"  {g:26s} {c['run']:5d} {c['pass']:5d} {c['fail']:5d} {c['unsupported']:5d} "
              f"{sum(c[k] for k in skip_kinds):5d} {c['error']:4d}   {fmt(a['i']):<30s} {fmt(a['f']):<30s}")
    print("  by TFLite op (cases containing the op):")
    for o in sorted(by_op):
        c = by_op[o]
        print(f"    {o:26s} {c['run']:5d} run {c['pass']:5d} pass {c['fail']:4d} fail {c['unsupported']:5d} unsupported")
    if unsupported_ops:
        print("  unsupported (first op qlite cannot run): "
              + ", ".join(f"{k} {v}" for k, v in sorted(unsupported_ops.items())))
    for kind, label, unit in (("i", "quantized", "steps"), ("f", "float32", "ULP")):
        tot = [sum(a[kind][k] for a in auto_gen.values()) for k in (0, 1, 3)]
        mx = max([a[kind][2] for a in auto_gen.values()] or [0])
        print(f"  XNNPACK/default (AUTO) vs BUILTIN_REF, {label} outputs: {tot[0]} of {tot[2]} elements differ "
              f"in {tot[1]} cases (max {mx} {unit}); information only")
    print("  by mode: " + "; ".join(
        f"{md} {sum(c.values())} run, {c['pass']} pass, {c['fail']} fail, {c['unsupported']} unsupported, "
        f"{sum(c[k] for k in skip_kinds)} skipped" for md, c in sorted(by_mode.items())))
    print("  skipped: " + ", ".join(f"{counts[k]} {k}" for k in skip_kinds)
          + " (converter_refused: TensorFlow's converter refused the model; tflite_refused: TFLite refused it; "
            "tflite_undefined: TFLite's output for it is undefined; crash: TFLite killed its process)")
    print(f"  digest {digest.hexdigest()[:16]}")
    errors = counts["error"] + (1 if harness_error else 0)
    if harness_error:
        print(f"ERROR harness: {harness_error}")
    skipped = sum(counts[k] for k in skip_kinds)
    tolerated = [r for r in results.values() if r.get("tolerated")]
    if tolerated:
        print(f"  {len(tolerated)} float32 case(s) passed within the documented FLOAT_ULP_TOLERANCE "
              f"(max {max(r['tolerated'] for r in tolerated)} ULP; int8 is always compared exactly)")
    print(f"difftest: {counts['pass']} passed, {counts['fail']} failed")
    print(f"difftest: {counts['unsupported']} unsupported, {skipped} skipped, {errors} errors; seed {args.seed}")
    if errors:
        return 2
    return 1 if counts["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
