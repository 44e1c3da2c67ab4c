"""A peer in its own process, driven by ``peers.WorkerPeer`` one JSON line at a time.

    python benchmarks/worker.py FRAMEWORK [--threads N]

FRAMEWORK is ``jax``, ``torch`` or ``minigrad``.  A process of its own lets a peer run with a
thread setting the benchmark's process cannot have: JAX on one thread, or minigrad with BLAS
on one thread (the parent sets ``OPENBLAS_NUM_THREADS=1`` and friends in our environment).

``--threads N`` sizes XLA's CPU thread pool.  ``XLA_FLAGS=--xla_cpu_multi_thread_eigen=false
intra_op_parallelism_threads=1`` is set before JAX is imported, as older jaxlibs read it, but
jaxlib 0.10 ignores both (measured: a 1024^2 matmul kept both cores busy).  So the worker also
creates JAX's CPU client while the process may run on N cores only (XLA sizes its Eigen pool
from the CPU affinity), then lets every thread run on any core again: N threads, unpinned.

Commands (one JSON object a line on stdin; one reply a line on stdout):
``{"cmd": "setup", "cell": ..., "npz": path}`` (weights and ``data`` in an .npz) runs two
steps, replies ``{"losses": [l0, l1], "first_call_s": s}``; ``{"cmd": "round", "reps": n}``
replies ``{"t": median seconds per step}``; ``{"cmd": "quit"}``.  Errors reply ``{"error"}``.
"""
from __future__ import annotations

import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def start_jax(threads: int | None) -> None:
    """Import JAX with XLA's CPU pool sized to ``threads`` (all cores when None)."""
    if threads is not None:
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + (
            " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
            if threads == 1 else "")).strip()
    cores = os.sched_getaffinity(0)
    if threads is not None:
        os.sched_setaffinity(0, set(sorted(cores)[:threads]))
    import jax

    jax.devices("cpu")  # creates the client and its thread pools
    (jax.numpy.ones(2) + 1).block_until_ready()
    for tid in os.listdir("/proc/self/task"):
        try:
            os.sched_setaffinity(int(tid), cores)
        except OSError:
            pass  # a thread that has exited meanwhile


def make_step(framework: str, cell: str, weights: dict, data):
    """The framework's step closure (see models.py and jax_model.py)."""
    sys.path.insert(0, HERE)
    if framework == "jax":
        from jax_model import jax_step

        return jax_step(cell, weights, data)
    import models

    return {"minigrad": models.minigrad_step, "torch": models.torch_step}[framework](
        cell, weights, data)


def serve(framework: str, threads: int | None) -> None:
    """Answer commands until ``quit`` or end of input.  Replies go to the real stdout; anything
    a library prints goes to stderr so it cannot corrupt the protocol."""
    import numpy as np

    sys.path.insert(0, HERE)
    from timing import median_step_time

    reply_to = sys.stdout
    sys.stdout = sys.stderr

    def reply(obj):
        reply_to.write(json.dumps(obj) + "\n")
        reply_to.flush()

    try:
        if framework == "jax":
            start_jax(threads)
        reply({"ready": True})
    except Exception as e:  # noqa: BLE001 - reported to the parent, which shows it
        reply({"error": f"{type(e).__name__}: {e}"})
        return
    step = None
    for line in sys.stdin:
        msg = json.loads(line)
        try:
            if msg["cmd"] == "quit":
                return
            if msg["cmd"] == "setup":
                with np.load(msg["npz"]) as f:
                    arrays = {k: f[k] for k in f.files}
                data = arrays.pop("data")
                step = make_step(framework, msg["cell"], arrays, data)
                t0 = time.perf_counter()
                first = step()
                first_call = time.perf_counter() - t0
                from models import loss_value

                reply({"losses": [loss_value(first), loss_value(step())],
                       "first_call_s": first_call})
            elif msg["cmd"] == "round":
                reply({"t": median_step_time(step, msg["reps"])})
        except Exception as e:  # noqa: BLE001
            reply({"error": f"{type(e).__name__}: {e}"})


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("framework", choices=["jax", "torch", "minigrad"])
    ap.add_argument("--threads", type=int)
    a = ap.parse_args()
    serve(a.framework, a.threads)
