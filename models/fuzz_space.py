"""Randomized differential check of qlite's RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR,
SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND against TFLite's reference kernels (BUILTIN_REF).

Each configuration (random shapes, sizes, flags, blocks, paddings/crops; int8 with random
quantization ranges, float32, and int16 16x8 models; inputs with extremes) is built as a
single-op model with the TFLite converter, run with BUILTIN_REF and with `qlite run`, and
compared bit for bit (float32 by bit pattern, so -0 and +0 differ; NaN matches NaN).

    /work/venv/bin/python models/fuzz_space.py [--seed S] [--resize N] [--space N] [--qlite PATH]

Prints one line per mismatch and a summary; exits 1 on any mismatch. Where TFLite's bilinear kernel
reads past the end of its input (undefined values, see src/ops/resize.rs), those output elements
are left out of the comparison and the configuration is counted as "ok_partial".
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oplib import convert_float, convert_int8, interpreter, ops_of  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = 3


def float_inputs(rng, shape):
    kind = rng.integers(0, 4)
    if kind == 0:
        a = rng.uniform(-1, 1, size=shape)
    elif kind == 1:
        a = rng.normal(0, 1e3, size=shape)
    elif kind == 2:
        a = rng.normal(0, 1, size=shape) * 10.0 ** rng.integers(-20, 20, size=shape)
    else:
        a = rng.integers(-3, 4, size=shape).astype(np.float64)  # many exact ties and zeros
    a = a.astype(np.float32)
    flat = a.reshape(-1)
    for v in (-0.0, 0.0, 3.4e38, -3.4e38, 1e-45):
        if flat.size and rng.random() < 0.3:
            flat[rng.integers(0, flat.size)] = v
    return a


def int8_inputs(rng, shape):
    a = rng.integers(-128, 128, size=shape).astype(np.int8)
    mode = rng.integers(0, 4)
    if mode == 1:
        a[...] = rng.choice(np.array([-128, 127], np.int8), size=shape)
    elif mode == 2:
        a[...] = rng.integers(-3, 4, size=shape)
    flat = a.reshape(-1)
    if flat.size >= 2:
        flat[0], flat[1] = -128, 127
    return a


def int16_inputs(rng, shape):
    a = rng.integers(-32768, 32768, size=shape).astype(np.int16)
    if rng.random() < 0.3:
        a[...] = rng.choice(np.array([-32768, 32767], np.int16), size=shape)
    flat = a.reshape(-1)
    if flat.size >= 2:
        flat[0], flat[1] = -32768, 32767
    return a


def pick_dtype(rng):
    r = rng.random()
    return "int8" if r < 0.45 else "float32" if r < 0.85 else "int16"


def convert_int16(fn, rep):
    """16x8 quantization: int16 activations (zero point 0)."""
    def extra(c):
        c.target_spec.supported_ops = [tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
        c.inference_input_type = tf.int16
        c.inference_output_type = tf.int16
    return convert_int8(fn, rep=rep, int8_io=False, extra=extra)


def quant_range(rng):
    kind = rng.integers(0, 5)
    if kind == 0:
        return (-1.0, 1.0)
    if kind == 1:
        return (0.0, float(rng.uniform(0.1, 50)))  # zero point −128
    if kind == 2:
        return (-float(rng.uniform(0.1, 50)), 0.0)  # zero point 127
    if kind == 3:
        return (-float(rng.uniform(1e-3, 1e3)), float(rng.uniform(1e-3, 1e3)))
    return (float(rng.uniform(-10, 1)), float(rng.uniform(2, 20)))


def resize_config(rng):
    kind = "bilinear" if rng.random() < 0.5 else "nearest"
    flags = [(False, False), (True, False), (False, True)]
    if kind == "nearest":
        flags.append((True, True))
    align, half = flags[rng.integers(0, len(flags))]
    shape = [int(rng.integers(1, 4)), int(rng.integers(1, 11)), int(rng.integers(1, 11)), int(rng.integers(1, 5))]
    size = []
    for d in shape[1:3]:
        r = rng.random()
        if r < 0.1:
            size.append(int(rng.integers(40, 80)))  # large upscale (TFLite's unclamped lo index)
        elif r < 0.2:
            size.append(d)
        elif r < 0.3:
            size.append(d * int(rng.integers(2, 5)))
        else:
            size.append(int(rng.integers(1, 25)))
    if rng.random() < 0.05:
        shape[1], size[0] = 1, 65
    dtype = pick_dtype(rng)
    return dict(op=kind, align=align, half=half, shape=shape, size=size, dtype=dtype)


def space_config(rng):
    op = "s2b" if rng.random() < 0.5 else "b2s"
    rank = 4 if rng.random() < 0.75 else 3
    spatial = rank - 2
    block = [int(rng.integers(1, 5)) for _ in range(spatial)]
    c = int(rng.integers(1, 5))
    if op == "s2b":
        dims, pads = [], []
        for b in block:
            d = int(rng.integers(1, 10))
            total = int(np.ceil(d / b)) * b + b * int(rng.integers(0, 2))
            extra = total - d
            lo = int(rng.integers(0, extra + 1))
            dims.append(d)
            pads.append([lo, extra - lo])
        shape = [int(rng.integers(1, 4))] + dims + [c]
    else:
        dims, pads = [], []
        for b in block:
            d = int(rng.integers(1, 6))
            full = d * b
            crop = int(rng.integers(0, full))  # leave at least one row
            lo = int(rng.integers(0, crop + 1))
            dims.append(d)
            pads.append([lo, crop - lo])
        shape = [int(np.prod(block)) * int(rng.integers(1, 4))] + dims + [c]
    dtype = pick_dtype(rng)
    return dict(op=op, shape=shape, block=block, pads=pads, dtype=dtype)


def _taps_int(n_in, n_out, align, half):
    """TFLite's integer bilinear taps of one axis: [(lo, hi, w_lo, w_hi)] (resize_bilinear.h)."""
    if align and n_out > 1:
        sc = (1024 * (n_in - 1) + (n_out - 1) // 2) // (n_out - 1)
    else:
        sc = (1024 * n_in + n_out // 2) // n_out
    taps = []
    for k in range(n_out):
        p = k * sc + sc // 2 - 512 if half else k * sc
        lo = max(int(p / 1024), 0)  # C division truncates toward zero
        hi = min(int((p + 1023) / 1024), n_in - 1)
        f = p - 1024 * lo
        taps.append((lo, hi, 1024 - f, f))
    return taps


def _taps_float(n_in, n_out, align, half):
    f32 = np.float32
    if align and n_out > 1:
        sc = f32(n_in - 1) / f32(n_out - 1)
    else:
        sc = f32(n_in) / f32(n_out)
    taps = []
    for k in range(n_out):
        v = (f32(k) + f32(0.5)) * sc - f32(0.5) if half else f32(k) * sc
        lo = max(int(np.floor(v)), 0)
        hi = min(int(np.ceil(v)), n_in - 1)
        d = v - f32(lo)
        taps.append((lo, hi, f32(1) - d, d))
    return taps


def undefined_mask(cfg):
    """Output elements for which TFLite's bilinear kernel reads past the end of its input
    (its lower index is not clamped, see src/ops/resize.rs): their values are undefined. None
    when there are none."""
    if cfg["op"] != "bilinear":
        return None
    n, h, w, c = cfg["shape"]
    oh, ow = cfg["size"]
    taps = _taps_float if cfg["dtype"] == "float32" else _taps_int
    ty = taps(h, oh, cfg["align"], cfg["half"])
    tx = taps(w, ow, cfg["align"], cfg["half"])
    total = n * h * w * c
    mask = np.zeros((n, oh, ow, c), bool)
    for b in range(n):
        for y, (y0, y1, wy0, wy1) in enumerate(ty):
            for x, (x0, x1, wx0, wx1) in enumerate(tx):
                for yy, wy in ((y0, wy0), (y1, wy1)):
                    for xx, wx in ((x0, wx0), (x1, wx1)):
                        first = ((b * h + yy) * w + xx) * c
                        if wy * wx != 0:
                            mask[b, y, x, :] |= first + np.arange(c) >= total
    return mask if mask.any() else None


def build(cfg):
    shape = cfg["shape"]
    if cfg["op"] == "bilinear":
        def f(x):
            return tf.compat.v1.image.resize_bilinear(x, cfg["size"], align_corners=cfg["align"],
                                                      half_pixel_centers=cfg["half"])
    elif cfg["op"] == "nearest":
        def f(x):
            return tf.compat.v1.image.resize_nearest_neighbor(x, cfg["size"], align_corners=cfg["align"],
                                                              half_pixel_centers=cfg["half"])
    elif cfg["op"] == "s2b":
        def f(x):
            return tf.space_to_batch_nd(x, cfg["block"], cfg["pads"])
    else:
        def f(x):
            return tf.compat.v1.batch_to_space_nd(x, cfg["block"], cfg["pads"])
    return tf.function(f, input_signature=[tf.TensorSpec(shape, tf.float32)])


EXPECTED_OP = {"bilinear": "RESIZE_BILINEAR", "nearest": "RESIZE_NEAREST_NEIGHBOR",
               "s2b": "SPACE_TO_BATCH_ND", "b2s": "BATCH_TO_SPACE_ND"}


def check(cfg, rng, qlite, tmp, idx):
    fn = build(cfg)
    if cfg["dtype"] in ("int8", "int16"):
        lo, hi = quant_range(rng)
        cfg["range"] = (lo, hi)
        model = (convert_int8 if cfg["dtype"] == "int8" else convert_int16)(fn, rep=[(lo, hi)])
    else:
        model = convert_float(fn)
    ops = ops_of(model)
    if ops != [EXPECTED_OP[cfg["op"]]]:
        return "skip", f"converter emitted {ops}"
    it = interpreter(model)
    din, dout = it.get_input_details()[0], it.get_output_details()[0]
    ins, outs = [], []
    for _ in range(CASES):
        make = {"int8": int8_inputs, "int16": int16_inputs, "float32": float_inputs}[cfg["dtype"]]
        x = make(rng, cfg["shape"])
        it.set_tensor(din["index"], x)
        it.invoke()
        ins.append(x)
        outs.append(it.get_tensor(dout["index"]).copy())
    base = os.path.join(tmp, f"c{idx}")
    with open(base + ".tflite", "wb") as fh:
        fh.write(model)
    np.save(base + ".in.npy", np.concatenate(ins, axis=0))
    np.save(base + ".ref.npy", np.concatenate(outs, axis=0))
    outdir = base + ".out"
    r = subprocess.run([qlite, "run", base + ".tflite", "-i", base + ".in.npy", "-o", outdir],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return "mismatch", (r.stdout + r.stderr).strip()[:2000]
    got = np.load(os.path.join(outdir, "output_0.npy"))
    want = np.concatenate(outs, axis=0)
    if got.dtype != want.dtype or got.shape != want.shape:
        return "mismatch", f"got {got.dtype} {got.shape}, want {want.dtype} {want.shape}"
    if want.dtype == np.float32:
        # Bit for bit (so −0 and +0 differ); any NaN matches any NaN.
        nan = np.isnan(got) & np.isnan(want)
        diff = (got.view(np.uint32) != want.view(np.uint32)) & ~nan
    else:
        diff = got != want
    ub = undefined_mask(cfg)
    note = ""
    if ub is not None:
        ub = np.concatenate([ub] * CASES, axis=0)
        diff &= ~ub
        note = f" ({int(ub.sum())} of {ub.size} outputs undefined in TFLite, not compared)"
    if diff.any():
        i = np.argwhere(diff)[0].tolist()
        return "mismatch", f"{int(diff.sum())} of {diff.size} differ; first at {i}: got {got[tuple(i)]!r} want {want[tuple(i)]!r}"
    return ("ok_partial" if note else "ok"), note


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--resize", type=int, default=300)
    ap.add_argument("--space", type=int, default=100)
    ap.add_argument("--qlite", default=os.path.join(ROOT, "target", "release", "qlite"))
    ap.add_argument("--keep", help="directory to keep the models in")
    ap.add_argument("--verbose", action="store_true", help="print every configuration")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    tmp = args.keep or tempfile.mkdtemp(prefix="fuzz_space_")
    os.makedirs(tmp, exist_ok=True)
    counts = {}
    bad = 0
    configs = [resize_config(rng) for _ in range(args.resize)] + [space_config(rng) for _ in range(args.space)]
    for i, cfg in enumerate(configs):
        status, msg = check(cfg, rng, args.qlite, tmp, i)
        key = (cfg["op"], cfg["dtype"], status)
        counts[key] = counts.get(key, 0) + 1
        if status not in ("ok", "ok_partial") or args.verbose:
            print(f"[{i}] {status}: {json.dumps(cfg)}\n    {msg}", flush=True)
            bad += status == "mismatch"
    for k in sorted(counts):
        print(*k, counts[k])
    print(f"seed {args.seed}: {len(configs)} configs, {bad} mismatches")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
