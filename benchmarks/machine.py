"""How busy the machine is with other people's work (Linux ``/proc``), so a shared machine's
noise can be waited out before a case and reported beside it.

CPU used by others = all CPU time the kernel counts as busy, minus what this process and its
live workers used, over the same interval, in cores (1.0 = one core fully busy)."""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable


def _system_ticks() -> tuple[int, int] | None:
    """(busy, total) clock ticks of all CPUs since boot, or None off Linux."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except OSError:
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already inside user time
    return total - idle, total


def _process_ticks(pids: Iterable[int]) -> int:
    """utime + stime clock ticks of the given processes (all their threads)."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                parts = f.read().rsplit(")", 1)[1].split()
            ticks += int(parts[11]) + int(parts[12])
        except (OSError, IndexError, ValueError):
            pass  # exited meanwhile
    return ticks


class OthersMeter:
    """Average cores used by other processes between ``start`` and ``stop``."""

    def __init__(self, pids: Iterable[int] = ()):
        self.pids = [os.getpid(), *pids]
        self.t0 = _system_ticks()
        self.mine0 = _process_ticks(self.pids)

    def stop(self) -> float | None:
        t1 = _system_ticks()
        if self.t0 is None or t1 is None or t1[1] == self.t0[1]:
            return None
        mine = _process_ticks(self.pids) - self.mine0
        busy, total = t1[0] - self.t0[0], t1[1] - self.t0[1]
        return max(0.0, (busy - mine) / total * (os.cpu_count() or 1))


def others_cpu(seconds: float = 2.0, pids: Iterable[int] = ()) -> float | None:
    """Cores used by other processes over the next ``seconds`` (we sleep meanwhile)."""
    meter = OthersMeter(pids)
    time.sleep(seconds)
    return meter.stop()


class Quiet:
    """The waiting policy ``run.py --wait-quiet CORES --wait-limit S`` sets for every case."""

    max_cores: float | None = None
    limit: float = 3600.0


def settle(pids: Iterable[int] = ()) -> float | None:
    """Before a case: wait as ``Quiet`` says (nothing when no waiting was asked)."""
    return wait_until_quiet(Quiet.max_cores, Quiet.limit, pids)


def wait_until_quiet(max_cores: float | None, limit: float, pids: Iterable[int] = ()
                     ) -> float | None:
    """Sleep until other processes use at most ``max_cores`` (checked over 2 s windows), for at
    most ``limit`` seconds; returns the last figure (None: no /proc, or no waiting asked)."""
    if max_cores is None:
        return None
    t0 = time.time()
    while True:
        busy = others_cpu(2.0, pids)
        if busy is None or busy <= max_cores or time.time() - t0 > limit:
            return busy
        print(f"waiting: other processes use {busy:.2f} cores", file=sys.stderr, flush=True)
        time.sleep(3.0)
