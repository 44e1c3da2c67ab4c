"""Timing that survives a shared machine: short segments, alternated, compared per round."""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence


def median_step_time(step: Callable[[], object], reps: int) -> float:
    """Median seconds of ``reps`` calls of ``step``."""
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        step()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def reps_for(seconds_per_call: float, segment: float, lo: int = 3, hi: int = 400) -> int:
    """How many calls fill a segment of about ``segment`` seconds (between lo and hi)."""
    return max(lo, min(hi, round(segment / max(seconds_per_call, 1e-9))))


def alternate(segments: Sequence[Callable[[], float]], rounds: int) -> list[list[float]]:
    """Run ``rounds`` rounds; in each, every segment once (each returns its own time), the
    order rotating from round to round so no one always runs first after a pause.
    Returns ``times[segment][round]``."""
    times: list[list[float]] = [[] for _ in segments]
    n = len(segments)
    for r in range(rounds):
        for k in range(n):
            i = (k + r) % n
            times[i].append(segments[i]())
    return times


def median_ratio(num: Sequence[float], den: Sequence[float]) -> float:
    """Median over rounds of ``num[r] / den[r]``."""
    return statistics.median(a / b for a, b in zip(num, den))
