"""Each Numba kernel against its numpy reference (``pick``'s ``.kernel`` and ``.reference``).

A kernel this file cannot find or call is listed as such instead of stopping the benchmark."""
from __future__ import annotations

import importlib
import sys

import machine
import numpy as np
from models import ROOT
from timing import alternate, median_ratio


def bench_kernels(quick: bool) -> list[dict]:
    """Speed-up of kernel over reference (median of per-round ratios) for each case."""
    sys.path.insert(0, ROOT)
    rng = np.random.default_rng(0)
    rows = []
    machine.settle()

    def pair(label, module, name, *args):
        try:
            fn = getattr(importlib.import_module(module if "." in module else
                                                 f"minigrad.kernels.{module}"), name)
            fn.kernel(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
            reps = 2 if quick else 5

            def run(f):
                def seg():
                    import time

                    t0 = time.perf_counter()
                    for _ in range(reps):
                        f(*args)
                    return time.perf_counter() - t0
                return seg

            t_k, t_r = alternate([run(fn.kernel), run(fn.reference)], 3)
            rows.append({"kernel": label, "speedup": median_ratio(t_r, t_k)})
        except (ImportError, AttributeError, TypeError, ValueError) as e:
            rows.append({"kernel": label, "speedup": None, "error": type(e).__name__})

    f32 = np.float32
    idx = rng.integers(0, 1000, 64 * 35)
    pair("scatter-add rows (embedding backward) vs np.add.at", "scatter", "scatter_add_rows",
         np.zeros((1000, 256), f32), idx, rng.standard_normal((idx.size, 256)).astype(f32))
    sizes = (("small 16x32", (16, 32)),) if quick else (
        ("small 16x32", (16, 32)), ("large 2240x1000", (64 * 35, 1000)))
    for size, (n, c) in sizes:
        x = rng.standard_normal((n, c)).astype(f32)
        lsm = x - np.log(np.exp(x - x.max(1, keepdims=True)).sum(1, keepdims=True)) - x.max(
            1, keepdims=True)
        pair(f"log_softmax rows, {size}", "softmax", "log_softmax", x, 1)
        pair(f"log_softmax backward, {size}", "softmax", "log_softmax_backward", lsm, x, 1)
        pair(f"softmax rows, {size}", "softmax", "softmax", x, 1)
        pair(f"logsumexp rows, {size}", "softmax", "logsumexp", x, (1,), False)
        pair(f"fused cross-entropy fwd+bwd, {size}", "nn.kernels.cross_entropy",
             "cross_entropy_rows", x,
             rng.integers(0, c, n), -100, 0.0)
    for size, n in (("32K", 1 << 15),) if quick else (("32K", 1 << 15), ("1M", 1 << 20)):
        y = np.tanh(rng.standard_normal(n)).astype(f32)
        g = rng.standard_normal(n).astype(f32)
        pair(f"tanh backward, {size}", "activations", "tanh_backward", y, g)
        pair(f"sigmoid backward, {size}", "activations", "sigmoid_backward", y, g)
    for size, n in (("4K params", 4096),) if quick else (("4K params", 4096),
                                                         ("1M params", 1 << 20)):
        p, g = (rng.standard_normal(n).astype(f32) for _ in range(2))
        pair(f"Adam step, {size}", "adam", "adam_step", p, g, np.zeros_like(p),
             np.zeros_like(p), 3, 1e-3, 0.9, 0.999, 1e-8, 0.0, False)
    shapes = () if quick else (("LSTM", 2, (32, 64, 128)), ("GRU", 3, (32, 64, 128)),
                               ("LSTM", 2, (1, 100, 32)), ("GRU", 3, (1, 100, 32)))
    for label, mode, (B, T, H) in shapes:
        G = (4 if mode == 2 else 3) * H
        args = (mode, rng.standard_normal((T, B, G)).astype(f32), np.zeros((B, H), f32),
                np.zeros((B, H), f32), (rng.standard_normal((G, H)) * 0.1).astype(f32),
                np.zeros(G, f32), np.ones((T, B), f32), False)
        pair(f"{label} recurrence fwd (B={B}, T={T}, H={H})", "nn.kernels.recurrent",
             "recurrence_forward", *args)
        try:
            from nn.kernels import recurrent

            out, hs, cs, acts, aux = recurrent.recurrence_forward_ref(*args)
        except (ImportError, AttributeError, TypeError, ValueError):
            continue
        pair(f"{label} BPTT bwd (B={B}, T={T}, H={H})", "nn.kernels.recurrent",
             "recurrence_backward",
             mode, rng.standard_normal((T, B, H)).astype(f32), np.zeros((B, H), f32),
             np.zeros((B, H), f32), hs, cs, acts, aux, args[4], args[6], False)
    return rows
