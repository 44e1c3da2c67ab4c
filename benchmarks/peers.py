"""Frameworks under comparison, each behind the same three calls: ``setup`` (build the step on
shared weights and data, run two steps, return both losses), ``round`` (median seconds of a
number of steps) and ``close``.  minigrad and PyTorch run in the benchmark's process; JAX (and
minigrad with BLAS on one thread) in a worker process, see ``worker.py``."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time

import models
import numpy as np
from timing import median_step_time

HERE = os.path.dirname(os.path.abspath(__file__))
ONE_BLAS_THREAD = {k: "1" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                    "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")}


def installed(module: str) -> bool:
    """Whether ``module`` can be imported (without importing it)."""
    return importlib.util.find_spec(module) is not None


def version(module: str) -> str:
    """``module.__version__``, or 'not installed'."""
    if not installed(module):
        return "not installed"
    return getattr(__import__(module), "__version__", "?")


class InProcessPeer:
    """minigrad or torch, in this process."""

    def __init__(self, framework: str, label: str | None = None):
        self.framework, self.label = framework, label or framework
        self.step = None

    def setup(self, cell: str, weights: dict, data: np.ndarray) -> dict:
        make = {"minigrad": models.minigrad_step, "torch": models.torch_step}[self.framework]
        self.step = make(cell, weights, data)
        t0 = time.perf_counter()
        first = self.step()
        first_call = time.perf_counter() - t0
        return {"losses": [models.loss_value(first), models.loss_value(self.step())],
                "first_call_s": first_call}

    def round(self, reps: int) -> float:
        return median_step_time(self.step, reps)

    def close(self) -> None:
        self.step = None


class WorkerPeer:
    """A framework in a worker process (``worker.py``) with its own thread settings."""

    def __init__(self, framework: str, label: str, threads: int | None = None,
                 env: dict | None = None):
        self.framework, self.label = framework, label
        cmd = [sys.executable, os.path.join(HERE, "worker.py"), framework]
        if threads is not None:
            cmd += ["--threads", str(threads)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True,
                                     env={**os.environ, **(env or {})})
        self._tmp = tempfile.TemporaryDirectory()
        ready = self._read()
        if "error" in ready:
            self.close()
            raise RuntimeError(ready["error"])

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.label} worker exited (code {self.proc.poll()})")
        return json.loads(line)

    def _ask(self, **msg) -> dict:
        self.proc.stdin.write(json.dumps(msg) + "\n")
        self.proc.stdin.flush()
        out = self._read()
        if "error" in out:
            raise RuntimeError(f"{self.label}: {out['error']}")
        return out

    def setup(self, cell: str, weights: dict, data: np.ndarray) -> dict:
        path = os.path.join(self._tmp.name, "case.npz")
        np.savez(path, data=data, **weights)
        return self._ask(cmd="setup", cell=cell, npz=path)

    def round(self, reps: int) -> float:
        return self._ask(cmd="round", reps=reps)["t"]

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write('{"cmd": "quit"}\n')
                self.proc.stdin.flush()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self._tmp.cleanup()
