"""How many threads minigrad's BLAS uses: torch's ``set_num_threads`` / ``get_num_threads``,
and an automatic policy that drops to one thread while other processes keep the cores busy.

Why a policy: OpenBLAS's worker threads spin for a while after each product, waiting for the
next one.  On a quiet machine that is what makes a training step's many mid-size GEMMs fast;
beside one other CPU-bound process on 2 cores it means three runnable threads on two cores,
and the step ran 3x slower than with BLAS on one thread (medium LSTM of
``benchmarks/run.py``: 88k tokens/s quiet, 30k busy at 2 threads, 69k busy at 1 thread).

The automatic policy (the default) looks, every ``LOAD_SECONDS`` (one small /proc read), at
other processes' CPU use (``/proc/stat``'s busy ticks minus this process's CPU time, over wall
time, in cores): BLAS gets the cores the others leave free, ``round(cores - others)``, at
least 1 and at most the ceiling, with a margin before a thread comes back so it never flaps.
A window much longer than ``LOAD_SECONDS`` (a pause of ours) says nothing of now: a short
one starts instead.  (A faster signal, the calling thread's wait for a core from
``/proc/thread-self/schedstat``, was tried and dropped: on a quiet machine other programs'
threads spinning down for a few ms set it off, and a large RNN step ran at one thread, 0.61x
torch instead of 1.06x, in the alternating benchmark.)  The ceiling is ``set_num_threads(n)``,
else the first of ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS`` set in
the environment, else the cores.  A thread count the user chose (by call or environment
variable) is obeyed as is and never adapted; ``set_num_threads(None)`` hands the choice back
to the policy.

The BLAS is the OpenBLAS numpy loaded (numpy's wheels bundle ``scipy_openblas``, whose
symbols carry a prefix and suffix); with any other BLAS, or without ``/proc``, everything
here is a no-op that says so once at debug level.
"""
from __future__ import annotations

import ctypes
import os
import sys
import threading
import time

ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
SAMPLE_SECONDS = 0.05  # how often ``adapt`` looks at the clock for a due load window
LOAD_SECONDS = 0.5     # how often it reads other processes' load (/proc/stat: ~50 us)
QUICK_LOAD_SECONDS = 0.1  # the window after a pause of ours
HYSTERESIS = 0.2       # cores: a thread is added back only once others leave this much more
STALE = 2.0            # a window this many times its interval long says nothing of now

# (set, get) symbol pairs, newest numpy wheels first, then a plain OpenBLAS
_SYMBOLS = (("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
            ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
            ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
            ("openblas_set_num_threads", "openblas_get_num_threads"))


def _loaded_libraries() -> list[str]:
    """Paths of shared libraries that may be numpy's OpenBLAS, loaded ones first."""
    import glob

    paths = []
    try:
        with open("/proc/self/maps") as f:
            paths = [line.split()[-1] for line in f if "blas" in line.rsplit("/", 1)[-1]]
    except OSError:
        pass
    import numpy as np

    root = os.path.dirname(os.path.dirname(np.__file__))
    for folder in ("numpy.libs", os.path.join("numpy", ".dylibs")):
        paths += glob.glob(os.path.join(root, folder, "*openblas*"))
    return list(dict.fromkeys(p for p in paths if os.path.isfile(p)))


class Blas:
    """numpy's OpenBLAS thread count through ctypes, or a no-op (``available`` False)."""

    def __init__(self):
        self._set = self._get = None
        self.library = None
        for path in _loaded_libraries():
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for set_name, get_name in _SYMBOLS:
                if hasattr(lib, set_name) and hasattr(lib, get_name):
                    self._set, self._get = getattr(lib, set_name), getattr(lib, get_name)
                    self._set.argtypes, self._set.restype = [ctypes.c_int], None
                    self._get.argtypes, self._get.restype = [], ctypes.c_int
                    self.library = path
                    return
        import logging  # (only here: importing it costs 1.4 ms of every import minigrad)

        logging.getLogger(__name__).debug(
            "minigrad.threads: no OpenBLAS thread control found beside numpy; thread "
            "settings only apply to Numba's parallel kernels")

    @property
    def available(self) -> bool:
        return self._set is not None

    def get(self) -> int | None:
        return self._get() if self._get is not None else None

    def set(self, n: int) -> None:
        if self._set is not None:
            self._set(int(n))


class LoadMeter:
    """Other processes' CPU use in cores since the previous ``sample`` (None without /proc)."""

    def __init__(self):
        self.hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self.last = self._read()

    def _read(self) -> tuple[float, float, float] | None:
        try:
            with open("/proc/stat", "rb") as f:
                ticks = [int(v) for v in f.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        busy = sum(ticks) - ticks[3] - (ticks[4] if len(ticks) > 4 else 0)  # minus idle, iowait
        own = os.times()
        return time.monotonic(), busy / self.hz, own.user + own.system

    def sample(self) -> float | None:
        now = self._read()
        if now is None or self.last is None:
            return None
        (t0, busy0, own0), (t1, busy1, own1) = self.last, now
        self.last = now
        # a window much longer than LOAD_SECONDS covers a pause of ours (evaluation, another
        # framework's turn in a benchmark): what others did then says little about now, and
        # acting on it held BLAS at one thread on a quiet machine; a new window starts
        if t1 - t0 <= 0 or t1 - t0 > STALE * LOAD_SECONDS:
            return None
        return max(0.0, ((busy1 - busy0) - (own1 - own0)) / (t1 - t0))


def _env_threads() -> int | None:
    for name in ENV_VARS:
        value = os.environ.get(name, "").strip()
        if value:
            try:
                n = int(value.split(",")[0])
            except ValueError:
                continue
            if n >= 1:
                return n
    return None


class Policy:
    """The thread count in force: the user's (call or environment) or the adaptive one."""

    def __init__(self):
        self.lock = threading.Lock()
        self.blas = Blas()
        self.cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") \
            else (os.cpu_count() or 1)
        self.explicit: int | None = None
        self.env = _env_threads()
        self.meter: LoadMeter | None = None
        self.next_sample = self.next_load = 0.0
        self.current = self.blas.get() or self.ceiling()

    def ceiling(self) -> int:
        return self.explicit or self.env or self.cores

    def fixed(self) -> bool:
        return self.explicit is not None or self.env is not None

    def apply(self, n: int) -> None:
        self.current = n
        self.blas.set(n)
        numba = sys.modules.get("numba")
        if numba is not None:  # only once Numba's thread pool is up: never start it here
            try:
                from numba.np.ufunc import parallel
                if parallel._is_initialized:
                    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
            except (ImportError, AttributeError, ValueError):
                pass

    def choose(self, others: float) -> int:
        """Threads for ``others`` cores used by other processes: the free cores, rounded."""
        free = self.cores - others
        if self.current < self.ceiling():  # going back up needs a margin, so it never flaps
            free -= HYSTERESIS
        return max(1, min(self.ceiling(), int(free + 0.5)))

    def adapt(self) -> int:
        now = time.monotonic()
        if self.fixed() or now < self.next_sample:
            return self.current
        with self.lock:
            self.next_sample = now + SAMPLE_SECONDS
            if self.meter is None:
                self.meter = LoadMeter()
                self.next_load = now + LOAD_SECONDS
                return self.current
            if now >= self.next_load:
                self.next_load = now + LOAD_SECONDS
                others = self.meter.sample()
                if others is None:  # a new window began after a pause of ours: look soon
                    self.next_load = now + QUICK_LOAD_SECONDS
                elif self.choose(others) != self.current:
                    self.apply(self.choose(others))
        return self.current


_policy: Policy | None = None


def policy() -> Policy:
    """The process's policy, made on first use (finding the BLAS costs ~1 ms)."""
    global _policy
    if _policy is None:
        _policy = Policy()
        if _policy.fixed():
            _policy.apply(_policy.ceiling())
    return _policy


def set_num_threads(n: int | None) -> None:
    """Use ``n`` threads for BLAS products (and Numba's parallel kernels), as
    ``torch.set_num_threads``; ``None`` returns to the automatic policy."""
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise RuntimeError(f"set_num_threads expects a positive integer, got {n!r}")
    p = policy()
    with p.lock:
        p.explicit = n
        p.next_sample = 0.0
        p.apply(p.ceiling())


def get_num_threads() -> int:
    """The thread count minigrad uses at most (torch's ``get_num_threads``): the one set, else
    the environment's, else the cores.  Under load the automatic policy may use fewer
    (``current_num_threads``)."""
    return policy().ceiling()


def current_num_threads() -> int:
    """The BLAS thread count in force right now."""
    return policy().current


def adapt() -> int:
    """Let the automatic policy look at the load (at most every ``SAMPLE_SECONDS``; otherwise
    ~0.2 us) and set BLAS's threads; returns the count in force.  Called once per forward of
    the layers that run large products, so training adapts without any call from the user."""
    p = _policy if _policy is not None else policy()
    return p.adapt()


class num_threads:
    """``with num_threads(n):`` — ``set_num_threads(n)`` for the block, then the previous
    setting (a number or the automatic policy) again."""

    def __init__(self, n: int | None):
        self.n = n

    def __enter__(self):
        self.prev = policy().explicit
        set_num_threads(self.n)
        return self

    def __exit__(self, *exc):
        set_num_threads(self.prev)

