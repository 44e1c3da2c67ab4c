"""``--profile SIZE CELL``: where minigrad's training step spends its time.

Two views of the same step:

* **cProfile** (in this process): the Python functions with the most time of their own
  (``tottime``).  Numba kernels appear under their Python names.  numpy calls made through
  operators (``a @ b``, ``a + b``) are invisible to cProfile, so a GEMM's time lands in the
  Python function that wrote ``@``; cProfile also slows Python code down, which inflates the
  bookkeeping share.
* **perf** (Linux, when ``perf`` is installed and allowed): the step runs in a worker process
  and ``perf record`` samples it at 999 Hz, with no overhead in Python, every thread included.
  Each sample is put in a group by the native code it was in: OpenBLAS GEMMs (numpy's own
  OpenBLAS, or SciPy's, which Numba's ``np.dot`` calls), BLAS threads spinning or waiting, jitted
  Numba code, numpy's C loops, libc copies, the Python interpreter, the OS.

Shares are of the main thread's samples (its time is the step's wall time); other threads
(BLAS workers) are shown as CPU used beside it, in % of the main thread's time.
"""
from __future__ import annotations

import cProfile
import gc
import os
import pstats
import shutil
import signal
import subprocess
import tempfile
import time
from collections import Counter

import models
from models import ROOT
from peers import InProcessPeer, WorkerPeer
from timing import reps_for

PERF_GROUPS = (
    "GEMM in numpy's OpenBLAS", "GEMM in SciPy's OpenBLAS (Numba np.dot)",
    "BLAS threads spinning / waiting", "Numba kernels (jitted code)",
    "Numba dispatch / runtime (argument unboxing, NRT)", "numpy C loops (ufuncs, copies)",
    "libm (exp, log, tanh)", "libc memcpy / memset / malloc", "Python interpreter",
    "OS: page faults, memory", "OS: other (syscalls, scheduling)", "other")
BLAS_WAIT = ("blas_thread_server", "exec_blas", "inner_thread", "sched_yield", "blas_memory")


def _jitted_code_keys() -> set:
    """(filename, first line, name) of every Numba-compiled Python function loaded: cProfile
    reports a call into jitted code under these keys."""
    try:
        from numba.core.dispatcher import Dispatcher
    except ImportError:
        return set()
    keys = set()
    for obj in gc.get_objects():
        if isinstance(obj, Dispatcher):
            code = obj.py_func.__code__
            keys.add((code.co_filename, code.co_firstlineno, code.co_name))
    return keys


def _area(filename: str) -> str:
    """Where a function lives: a repository path such as 'minigrad/ops' or 'nn/rnn.py'."""
    if filename.startswith("~") or filename.startswith("<"):
        return "C functions called from Python (numpy, builtins)"
    path = os.path.relpath(filename, ROOT)
    if path.startswith(".."):
        return "numpy Python code" if "/numpy/" in filename else "other Python (stdlib...)"
    parts = path.split(os.sep)
    return "/".join(parts[:2])


def _short(filename: str) -> str:
    """A readable file name: repository-relative, 'numpy/...' for site-packages, '' for C."""
    if filename[:1] in "~<":
        return ""
    if "site-packages" + os.sep in filename:
        return filename.split("site-packages" + os.sep, 1)[1]
    path = os.path.relpath(filename, ROOT)
    return os.path.basename(filename) if path.startswith("..") else path


def cprofile_step(cell: str, case: tuple, steps: int) -> dict:
    """Profile ``steps`` steps in this process; top entries and time per area, per step."""
    B, T, E, H, V = case
    peer = InProcessPeer("minigrad")
    peer.setup(cell, models.initial_weights(cell, E, H, V), models.token_data(B, T, V))
    plain = peer.round(steps)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(steps):
        peer.step()
    prof.disable()
    jitted = _jitted_code_keys()
    stats = pstats.Stats(prof).stats  # {(file, line, name): (cc, nc, tottime, cumtime, ...)}
    rows, areas = [], Counter()
    for key, (_, ncalls, tottime, cumtime, _) in stats.items():
        area = "Numba kernels (jitted)" if key in jitted else _area(key[0])
        areas[area] += tottime / steps
        rows.append({"where": f"{_short(key[0])}{':' + str(key[1]) if key[1] else ''}"
                              f"({key[2]})",
                     "area": area, "calls": ncalls / steps, "tottime": tottime / steps,
                     "cumtime": cumtime / steps})
    rows.sort(key=lambda r: -r["tottime"])
    peer.close()
    return {"step_s": plain, "profiled_step_s": sum(areas.values()), "top": rows,
            "areas": areas.most_common()}


def perf_available() -> bool:
    """Whether ``perf record`` can sample a process here."""
    if shutil.which("perf") is None:
        return False
    res = subprocess.run(["perf", "record", "-o", os.devnull, "-F", "99", "--", "true"],
                         capture_output=True)
    return res.returncode == 0


def _group(frames: list[tuple[str, str]]) -> str:
    """The group of one sample from its call chain [(symbol, dso), ...], leaf first."""
    sym, dso = frames[0]
    user = next(((s, d) for s, d in frames if "kernel" not in d), ("", ""))
    if "kernel" in dso:
        if "blas" in user[1] or "blas" in user[0]:
            return "BLAS threads spinning / waiting"
        memory = ("fault", "page", "folio", "mm_", "pte", "alloc", "lru", "tlb", "memcg",
                  "zone", "rmqueue", "mmap", "munmap", "brk", "vma")
        return ("OS: page faults, memory" if any(m in sym for m in memory)
                else "OS: other (syscalls, scheduling)")
    if "openblas" in dso or "mkl" in dso:
        if any(w in sym for w in BLAS_WAIT):
            return "BLAS threads spinning / waiting"
        return ("GEMM in numpy's OpenBLAS" if "numpy" in dso
                else "GEMM in SciPy's OpenBLAS (Numba np.dot)")
    if dso in ("[unknown]", "") or "anon" in dso or "perf-" in dso or "[JIT]" in dso:
        return "Numba kernels (jitted code)"
    if "numba" in dso:
        return "Numba dispatch / runtime (argument unboxing, NRT)"
    if "numpy" in dso or "_multiarray" in dso or "_umath" in dso:
        return "numpy C loops (ufuncs, copies)"
    if "libm." in dso or "libm-" in dso or "libmvec" in dso:
        return "libm (exp, log, tanh)"
    if "libc." in dso or "libc-" in dso:
        return "libc memcpy / memset / malloc"
    if "python" in dso:
        return "Python interpreter"
    return "other"


def _parse_perf_script(text: str) -> list[tuple[int, list[tuple[str, str]]]]:
    """Samples of ``perf script -F tid,ip,sym,dso`` output: (tid, frames leaf first)."""
    samples = []
    for block in text.split("\n\n"):
        lines = [ln for ln in block.splitlines() if ln.strip()]
        if not lines:
            continue
        head = lines[0].split()
        if not head or not head[0].isdigit():
            continue
        tid = int(head[0])
        frame_lines = lines[1:] if len(head) == 1 else [" ".join(head[1:])] + lines[1:]
        frames = []
        for ln in frame_lines:
            ln = ln.strip()
            if not ln.endswith(")") or "(" not in ln:
                continue
            left, dso = ln[:-1].rsplit("(", 1)
            sym = left.split(None, 1)[1].strip() if len(left.split(None, 1)) > 1 else ""
            frames.append((sym, dso))
        if frames:
            samples.append((tid, frames))
    return samples


def perf_step(cell: str, case: tuple, seconds: float) -> dict | None:
    """Sample a worker running steps for about ``seconds``; shares per group (main thread),
    other threads' CPU in % of the main thread's, the top symbols, seconds per step."""
    if not perf_available():
        return None
    B, T, E, H, V = case
    peer = WorkerPeer("minigrad", "minigrad (profiled)")
    try:
        peer.setup(cell, models.initial_weights(cell, E, H, V), models.token_data(B, T, V))
        reps = reps_for(peer.round(3), seconds, lo=5, hi=5000)
        with tempfile.TemporaryDirectory() as tmp:
            data = os.path.join(tmp, "perf.data")
            rec = subprocess.Popen(["perf", "record", "-F", "999", "-g", "-o", data, "-p",
                                    str(peer.proc.pid)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
            time.sleep(0.5)  # perf attaches
            step_s = peer.round(reps)
            rec.send_signal(signal.SIGINT)
            rec.wait()
            text = subprocess.run(["perf", "script", "-i", data, "-F", "tid,ip,sym,dso"],
                                  capture_output=True, text=True).stdout
    finally:
        peer.close()
    samples = _parse_perf_script(text)
    main = peer.proc.pid
    mine, others, symbols = Counter(), Counter(), Counter()
    for tid, frames in samples:
        (mine if tid == main else others)[_group(frames)] += 1
        symbols[f"{frames[0][0] or '?'} ({os.path.basename(frames[0][1])})"] += 1
    n = max(1, sum(mine.values()))
    return {"step_s": step_s, "samples": len(samples),
            "main": {g: mine[g] / n for g in PERF_GROUPS},
            "others": {g: others[g] / n for g in PERF_GROUPS},
            "top_symbols": [(s, c / n) for s, c in symbols.most_common(12)]}


def gemm_wall_share(perf: dict) -> float:
    """Fraction of the step's wall time the main thread spends inside BLAS calls (computing
    its share of a GEMM or waiting for the other threads' shares)."""
    m = perf["main"]
    return (m["GEMM in numpy's OpenBLAS"] + m["GEMM in SciPy's OpenBLAS (Numba np.dot)"]
            + m["BLAS threads spinning / waiting"])
