"""The training-step comparison: minigrad against PyTorch and JAX on the same weights.

For each size and cell: every framework builds the step from the same arrays, runs two steps,
and the first two losses must agree to float32 tolerance before anything is timed (a peer
that disagrees is reported and left out).  Then rounds alternate between the frameworks, each
running a segment of steps (about ``segment`` seconds; median per step), and each peer's
figure is the median over rounds of its per-round ratio minigrad throughput / peer throughput.

JAX runs in worker processes, once with XLA on one thread (as issue 12's table) and once on
two; its figure is the faster of the two (by median step time), so the comparison is with
JAX at its best on this machine.  minigrad and PyTorch run with their default threads.
"""
from __future__ import annotations

import statistics

import machine
import models
import numpy as np
from peers import InProcessPeer, WorkerPeer, installed
from timing import alternate, median_ratio, reps_for

LOSS_RTOL = 1e-5  # float32 sums over B*T tokens in a different order; losses are ~log(V)


def gemm_peak(n: int = 1024) -> float:
    """numpy's float32 GEMM on n x n matrices, GFLOP/s (best of 7, default threads)."""
    import time

    a = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
    a @ a
    best = float("inf")
    for _ in range(7):
        t0 = time.perf_counter()
        a @ a
        best = min(best, time.perf_counter() - t0)
    return 2 * n ** 3 / best / 1e9


def make_peers(names: tuple[str, ...], quick: bool) -> tuple[list, dict]:
    """The peers to run beside minigrad, and why each unavailable one is missing."""
    peers, missing = [], {}
    for name in names:
        if name not in ("torch", "jax"):
            missing[name] = "unknown peer (torch or jax)"
        elif not installed(name):
            missing[name] = "not installed"
        elif name == "torch":
            peers.append(InProcessPeer("torch"))
        else:
            for threads in (1,) if quick else (1, 2):
                try:
                    peers.append(WorkerPeer("jax", f"jax{threads}", threads=threads))
                except RuntimeError as e:
                    missing[f"jax{threads}"] = str(e)
    return peers, missing


def bench_case(size: str, case: tuple, cell: str, peers: list, rounds: int,
               segment: float) -> dict:
    """One size and cell: losses, throughput of everyone, per-peer ratios."""
    B, T, E, H, V = case
    pids = [p.proc.pid for p in peers if hasattr(p, "proc")]
    machine.settle(pids)
    weights, data = models.initial_weights(cell, E, H, V), models.token_data(B, T, V)
    mg = InProcessPeer("minigrad")
    first = {"minigrad": mg.setup(cell, weights, data)}
    ok, disagree = [], {}
    for p in peers:
        try:
            first[p.label] = p.setup(cell, weights, data)
        except RuntimeError as e:
            disagree[p.label] = f"failed: {e}"
            continue
        ref, got = first["minigrad"]["losses"], first[p.label]["losses"]
        if np.allclose(got, ref, rtol=LOSS_RTOL, atol=0):
            ok.append(p)
        else:
            disagree[p.label] = f"losses disagree: {got} vs minigrad {ref}"
    everyone = [mg] + ok
    reps = [reps_for(p.round(2), segment) for p in everyone]  # also one more warm-up
    meter = machine.OthersMeter(pids)
    times = alternate([lambda p=p, n=n: p.round(n) for p, n in zip(everyone, reps)], rounds)
    others = meter.stop()
    tokens = B * T
    t_mg = times[0]
    out = {"size": size, "cell": cell, "case": case, "tok_s": {}, "ratio": {},
           "others_cpu": others,
           "first_call_s": {k: v["first_call_s"] for k, v in first.items()},
           "loss0": first["minigrad"]["losses"][0],
           "loss_rel_diff": max([abs(first[p.label]["losses"][0] / first["minigrad"]["losses"][0]
                                     - 1) for p in ok], default=None),
           "problems": disagree, "mg_step_s": statistics.median(t_mg),
           "gflops": models.step_flops(cell, *case) / statistics.median(t_mg) / 1e9}
    for p, t in zip(everyone, times):
        out["tok_s"][p.label] = tokens / statistics.median(t)
        if p is not mg:
            out["ratio"][p.label] = median_ratio(t, t_mg)  # peer time / minigrad time
    jax = [k for k in out["ratio"] if k.startswith("jax")]
    if jax:
        best = max(jax, key=lambda k: out["tok_s"][k])
        out["ratio"]["jax"], out["jax_best"] = out["ratio"][best], best
    mg.close()
    return out


def bench_training(cases: dict, cells: tuple, peer_names: tuple, rounds: int,
                   segment: float, quick: bool) -> dict:
    """Every case and cell; the peers' workers are started once and reused."""
    peers, missing = make_peers(peer_names, quick)
    try:
        rows = [bench_case(size, case, cell, peers, rounds, segment)
                for size, case in cases.items() for cell in cells]
    finally:
        for p in peers:
            p.close()
    return {"rows": rows, "missing": missing}
