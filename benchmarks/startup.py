"""Start-up: ``import minigrad, nn`` and the first training steps in a fresh process, with an
empty Numba cache (``NUMBA_CACHE_DIR`` pointing to a new temporary directory: a fresh install)
and again with the cache that run filled (every later run).

A cold run is measured twice: with the default compile policy (kernels compile in a
background process while the numpy references run) and with ``MINIGRAD_COMPILE=wait``
(every kernel compiles before the first step finishes, as before the policy existed).  For
each run: the first step, and the time from the start of the first step to the end of the
first step that ran every kernel compiled ("first jitted step").  Peers (PyTorch, JAX with
its ``jit`` compile) run the same first step in a fresh process where installed."""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile

import machine
from models import ROOT

HERE = os.path.dirname(os.path.abspath(__file__))
JITTED_WITHIN = 120.0  # seconds of steps allowed for the background compile to finish

FIRST_STEP = """
import json, os, sys, time
t0 = time.perf_counter()
import minigrad, nn
t1 = time.perf_counter()
sys.path.insert(0, {here!r})
import models
from minigrad.kernels import compiling
B, T, E, H, V = models.CASES[{case!r}]
step = models.minigrad_step({cell!r}, models.initial_weights({cell!r}, E, H, V),
                            models.token_data(B, T, V))
t2, c2 = time.perf_counter(), time.process_time()
step()
t3, c3 = time.perf_counter(), time.process_time()
jitted, steps = None, 1
if compiling.status()["fallbacks"] == 0:
    jitted = t3 - t2
while jitted is None and time.perf_counter() - t2 < {within}:
    before = compiling.status()["fallbacks"]
    step()
    steps += 1
    if compiling.status()["fallbacks"] == before:
        jitted = time.perf_counter() - t2
# CPU seconds spent compiling: the compile process's (while it still runs), else this
# process's during the first step (the step itself is a small part of it)
pid = compiling.status()["process"]
if pid is not None:
    with open(f"/proc/{{pid}}/stat") as f:
        ticks = f.read().rsplit(")", 1)[1].split()
    compile_cpu = (int(ticks[11]) + int(ticks[12])) / os.sysconf("SC_CLK_TCK")
else:
    compile_cpu = c3 - c2
print("RESULT", json.dumps({{"import_s": t1 - t0, "first_step_s": t3 - t2,
                             "jitted_after_s": jitted, "steps": steps,
                             "compile_cpu_s": compile_cpu}}), file=sys.stderr)
import gc
from numba.core.dispatcher import Dispatcher
kernels = {{}}
for d in gc.get_objects():
    if isinstance(d, Dispatcher):
        secs = 0.0
        for sig in d.signatures:
            try:
                secs += (d.get_metadata(sig) or {{}}).get("timers", {{}}).get("compiler_lock", 0.0)
            except Exception:
                pass
        mod = d.py_func.__module__
        name = mod + "." + d.py_func.__name__ if mod.startswith(("minigrad", "nn")) else (
            "numba's own functions compiled on the way (" + mod.split(".")[-1] + "...)")
        if d.signatures:
            n, t = kernels.get(name, [0, 0.0])
            kernels[name] = [n + len(d.signatures), t + secs]
print("KERNELS", json.dumps(kernels), file=sys.stderr)
"""

PEER_FIRST_STEP = """
import json, os, sys, time
t0 = time.perf_counter()
import {module}
t1 = time.perf_counter()
sys.path.insert(0, {here!r})
import models
B, T, E, H, V = models.CASES[{case!r}]
weights, data = models.initial_weights({cell!r}, E, H, V), models.token_data(B, T, V)
if {module!r} == "jax":
    import jax_model
    step = jax_model.jax_step({cell!r}, weights, data)
else:
    step = models.torch_step({cell!r}, weights, data)
t2 = time.perf_counter()
step()
t3 = time.perf_counter()
print("RESULT", json.dumps({{"import_s": t1 - t0, "first_step_s": t3 - t2}}), file=sys.stderr)
"""
IMPORT = "import time; t = time.perf_counter(); import {mod}; print(time.perf_counter() - t)"


def _env(**extra) -> dict:
    """This checkout first on the path, and Python's bytecode cached (in a private directory,
    compiled by a first import), as an installed package has it: the import figures must not
    include compiling every source file, which ``PYTHONDONTWRITEBYTECODE`` would force."""
    if not _PYCACHE:
        _PYCACHE.append(tempfile.mkdtemp(prefix="minigrad-pycache-"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(PYTHONPATH=ROOT, PYTHONPYCACHEPREFIX=_PYCACHE[0], **extra)
    if len(_PYCACHE) == 1:
        _PYCACHE.append("warm")
        subprocess.run([sys.executable, "-c", "import minigrad, nn"], env=env, cwd=ROOT,
                       capture_output=True)
    return env


_PYCACHE: list = []


def _run(code: str, env: dict) -> tuple[dict, list]:
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=_env(**env), cwd=ROOT, check=True)
    lines = (res.stdout + res.stderr).splitlines()
    out = json.loads(next(ln for ln in lines if ln.startswith("RESULT")).split(None, 1)[1])
    return out, lines


def first_step(cell: str, case: str, cache: str, policy: str = "background") -> dict:
    """Import time, first-step time, seconds from the first step's start to the end of the
    first step that ran every kernel compiled (``jitted_after_s``; None if not within
    ``JITTED_WITHIN``), anything the process printed (compile messages), and per Numba
    dispatcher compiled in this process: specialisations compiled or loaded, seconds spent
    compiling them (Numba's own timer; a kernel that calls another includes the callee's
    compilation; kernels compiled by the background process count 0 here)."""
    out, lines = _run(FIRST_STEP.format(here=HERE, case=case, cell=cell, within=JITTED_WITHIN),
                      {"NUMBA_CACHE_DIR": cache, "MINIGRAD_COMPILE": policy})
    out["kernels"] = json.loads(next(ln for ln in lines if ln.startswith("KERNELS"))
                                .split(None, 1)[1])
    out["printed"] = [ln for ln in lines
                      if ln.strip() and not ln.startswith(("RESULT", "KERNELS"))]
    return out


def peer_first_step(module: str, cell: str, case: str) -> dict | None:
    """The same first step in a fresh process of PyTorch or JAX (None if not installed)."""
    try:
        out, _ = _run(PEER_FIRST_STEP.format(module=module, here=HERE, case=case, cell=cell),
                      {})
    except subprocess.CalledProcessError:
        return None
    return out


def import_time(module: str, runs: int) -> float | None:
    """Median seconds to import ``module`` in a fresh process (None if not installed), after
    one import that compiles its bytecode."""
    subprocess.run([sys.executable, "-c", f"import {module}"], cwd=ROOT, capture_output=True,
                   env=_env())
    ts = []
    for _ in range(runs):
        res = subprocess.run([sys.executable, "-c", IMPORT.format(mod=module)], cwd=ROOT,
                             capture_output=True, text=True, env=_env())
        if res.returncode:
            return None
        ts.append(float(res.stdout))
    return statistics.median(ts)


def bench_startup(cells: tuple, case: str, quick: bool) -> dict:
    """Per cell: cold first steps (background and ``wait`` policies, alternating which goes
    first), the warm first step, peers' first steps; median import times."""
    out = {"case": case, "cold": {}, "cold_wait": {}, "warm": {}, "peers": {}}
    if not quick:
        for i, cell in enumerate(cells):
            order = ("background", "wait") if i % 2 == 0 else ("wait", "background")
            for policy in order:
                with tempfile.TemporaryDirectory() as cache:
                    machine.settle()
                    got = first_step(cell, case, cache, policy)
                    out["cold" if policy == "background" else "cold_wait"][cell] = got
                    if policy == "background":
                        machine.settle()
                        out["warm"][cell] = first_step(cell, case, cache)
            for module in ("torch", "jax"):
                machine.settle()
                got = peer_first_step(module, cell, case)
                if got is not None:
                    out["peers"].setdefault(module, {})[cell] = got
    runs = 1 if quick else 5
    machine.settle()
    mods = ("minigrad, nn",) if quick else ("minigrad, nn", "torch", "jax")
    out["import"] = {m: import_time(m, runs) for m in mods}
    return out


if __name__ == "__main__":  # python benchmarks/startup.py [case cell ...]: print the figures
    args = sys.argv[1:] or ["medium", "lstm", "small", "gru"]
    for case, cell in zip(args[::2], args[1::2]):
        print(case, cell, json.dumps(bench_startup((cell,), case, False), indent=1))
