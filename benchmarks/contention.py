"""``--busy``: minigrad's training step while one other CPU-bound process runs.

Three conditions alternate round by round on the same step (same weights, same data):
quiet (nothing added), busy (a Python spin loop in a subprocess, started before the segment
and killed after it) and busy with BLAS on one thread (minigrad in a worker process started
with ``OPENBLAS_NUM_THREADS=1`` and friends, so its BLAS runs on one thread as threadpoolctl's
``threadpool_limits(1)`` would; the spinner runs beside it the same way).

The in-process minigrad runs with its default thread policy (``minigrad.threads``: BLAS sheds
threads while the cores are contended), so busy / quiet and busy / (BLAS 1 thread) measure
that policy; the worker's environment variables fix its BLAS at one thread (the policy obeys
them).
"""
from __future__ import annotations

import subprocess
import sys
import time
from statistics import median

import machine
import models
from peers import ONE_BLAS_THREAD, InProcessPeer, WorkerPeer
from timing import alternate, median_ratio, reps_for

SPIN = "import sys\nprint('spinning', flush=True)\nwhile True:\n    pass\n"


class Spinner:
    """One CPU-bound Python process for the duration of a ``with`` block."""

    def __enter__(self):
        self.proc = subprocess.Popen([sys.executable, "-c", SPIN], stdout=subprocess.PIPE,
                                     text=True)
        self.proc.stdout.readline()  # it is spinning from here on
        time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()


def busy_case(case: tuple, cell: str, rounds: int, segment: float) -> dict:
    """Median seconds per step quiet, busy and busy with BLAS on one thread, and the
    per-round ratios busy/quiet and busy/(busy, BLAS 1 thread) as throughput ratios."""
    B, T, E, H, V = case
    weights, data = models.initial_weights(cell, E, H, V), models.token_data(B, T, V)
    mg = InProcessPeer("minigrad")
    one = WorkerPeer("minigrad", "minigrad, BLAS 1 thread", env=ONE_BLAS_THREAD)
    others = []
    try:
        mg.setup(cell, weights, data)
        one.setup(cell, weights, data)
        reps = reps_for(mg.round(3), segment)

        def quiet():
            meter = machine.OthersMeter([one.proc.pid])
            t = mg.round(reps)
            others.append(meter.stop())
            return t

        def busy(peer):
            with Spinner():
                return peer.round(reps)

        quiet_t, busy_t, one_t = alternate([quiet, lambda: busy(mg), lambda: busy(one)],
                                           rounds)
    finally:
        one.close()
        mg.close()
    tokens = B * T
    return {"quiet_tok_s": tokens / median(quiet_t), "busy_tok_s": tokens / median(busy_t),
            "busy_one_tok_s": tokens / median(one_t),
            "busy_vs_quiet": median_ratio(quiet_t, busy_t),
            "busy_vs_one_thread": median_ratio(one_t, busy_t),
            "others_cpu": None if None in others or not others else median(others)}
