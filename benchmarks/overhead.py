"""Per-op overhead on tiny tensors (2 elements): the cost of dispatch and graph bookkeeping."""
from __future__ import annotations

import sys
import time
from statistics import median

import machine
from models import ROOT
from peers import installed
from timing import alternate, median_ratio

CASES = ("a + b (forward only)", "(a + b).sum().backward()",
         "(a * b).tanh().sum().backward()")


def _ops(a, b) -> dict:
    """The measured expressions on two tensors of any framework."""
    return {CASES[0]: lambda: a + b,
            CASES[1]: lambda: (a + b).sum().backward(),
            CASES[2]: lambda: (a * b).tanh().sum().backward()}


def bench_overhead(quick: bool) -> list[dict]:
    """Microseconds per call for each case; ``ratio`` = torch time / minigrad time (above 1:
    minigrad cheaper), None without torch."""
    sys.path.insert(0, ROOT)
    import minigrad as mg

    a, b = (mg.tensor(v, requires_grad=True) for v in ([1.0, 2.0], [3.0, 4.0]))
    mine = _ops(a, b)
    theirs = {}
    if installed("torch"):
        import torch

        ta, tb = (torch.tensor(v, requires_grad=True) for v in ([1.0, 2.0], [3.0, 4.0]))
        theirs = _ops(ta, tb)
    n, rounds = (200, 3) if quick else (2000, 7)
    machine.settle()

    def loop(f):
        def segment():
            t0 = time.perf_counter()
            for _ in range(n):
                f()
            return (time.perf_counter() - t0) / n
        return segment

    rows = []
    for label in CASES:
        segs = [loop(mine[label])] + ([loop(theirs[label])] if theirs else [])
        times = alternate(segs, rounds)
        rows.append({"op": label, "mg_us": median(times[0]) * 1e6,
                     "torch_us": median(times[1]) * 1e6 if theirs else None,
                     "ratio": median_ratio(times[1], times[0]) if theirs else None})
    return rows
