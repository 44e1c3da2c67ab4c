"""Start-up: ``import minigrad, nn`` and the first training step in a fresh process, with an
empty Numba cache (``NUMBA_CACHE_DIR`` pointing to a new temporary directory: a fresh install)
and again with the cache that run filled (every later run)."""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile

import machine
from models import ROOT

HERE = os.path.dirname(os.path.abspath(__file__))

FIRST_STEP = """
import sys, time
t0 = time.perf_counter()
import minigrad, nn
t1 = time.perf_counter()
sys.path.insert(0, {here!r})
import models
B, T, E, H, V = models.CASES[{case!r}]
step = models.minigrad_step({cell!r}, models.initial_weights({cell!r}, E, H, V),
                            models.token_data(B, T, V))
t2 = time.perf_counter()
step()
t3 = time.perf_counter()
print("RESULT", t1 - t0, t3 - t2, file=sys.stderr)
"""
IMPORT = "import time; t = time.perf_counter(); import {mod}; print(time.perf_counter() - t)"


def first_step(cell: str, case: str, cache: str) -> dict:
    """Import time, first-step time and anything the process printed (compile messages)."""
    env = {**os.environ, "NUMBA_CACHE_DIR": cache, "PYTHONPATH": ROOT}
    res = subprocess.run([sys.executable, "-c", FIRST_STEP.format(here=HERE, case=case,
                                                                  cell=cell)],
                         capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    lines = (res.stdout + res.stderr).splitlines()
    imp, step = map(float, next(ln for ln in lines if ln.startswith("RESULT")).split()[1:])
    said = [ln for ln in lines if ln.strip() and not ln.startswith("RESULT")]
    return {"import_s": imp, "first_step_s": step, "printed": said}


def import_time(module: str, runs: int) -> float | None:
    """Median seconds to import ``module`` in a fresh process (None if not installed)."""
    ts = []
    for _ in range(runs):
        res = subprocess.run([sys.executable, "-c", IMPORT.format(mod=module)], cwd=ROOT,
                             capture_output=True, text=True,
                             env={**os.environ, "PYTHONPATH": ROOT})
        if res.returncode:
            return None
        ts.append(float(res.stdout))
    return statistics.median(ts)


def bench_startup(cells: tuple, case: str, quick: bool) -> dict:
    """Per cell: cold (fresh Numba cache) and warm first steps; median import times."""
    out = {"cold": {}, "warm": {}}
    if not quick:
        for cell in cells:
            with tempfile.TemporaryDirectory() as cache:
                machine.settle()
                out["cold"][cell] = first_step(cell, case, cache)
                machine.settle()
                out["warm"][cell] = first_step(cell, case, cache)
    runs = 1 if quick else 5
    machine.settle()
    mods = ("minigrad, nn",) if quick else ("minigrad, nn", "torch", "jax")
    out["import"] = {m: import_time(m, runs) for m in mods}
    return out
