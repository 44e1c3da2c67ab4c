"""When kernels compile: in a background process while the numpy references run (the
default), or in the foreground before the call returns (``"wait"``).

A kernel's first call with new argument types makes Numba compile it (seconds on a fresh
install: 7-14 CPU seconds for the first LSTM or GRU training step) or load it from its disk
cache (milliseconds).  Under the ``"background"`` policy a call made through ``pick`` whose
kernel is not compiled yet runs the reference instead, while a separate Python process
compiles it into Numba's disk cache; the first call after that loads it and the kernel runs
from then on.  Kernel and reference agree up to float rounding (a kernel may order its float
operations differently), so a run that must give the same bits every time, even on a fresh
install, uses ``"wait"``: ``MINIGRAD_COMPILE=wait`` in the environment or
``set_compile_policy("wait")``.  A specialisation already in the disk cache is loaded in the
foreground under either policy, so every run after the first uses the kernels from its first
call.

Whenever kernels compile, one line on stderr says so (once per process), so a first run never
looks hung; a second line says when the background compile is done.
"""
from __future__ import annotations

import atexit
import os
import pickle
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable

POLICIES = ("background", "wait")


def _policy_from_env() -> str:
    value = os.environ.get("MINIGRAD_COMPILE", "background").strip().lower() or "background"
    if value not in POLICIES:
        raise ValueError(f"MINIGRAD_COMPILE={value!r}: expected one of {POLICIES}")
    return value


_policy = _policy_from_env()


def set_compile_policy(policy: str) -> None:
    """``"background"``: a kernel that is not compiled yet compiles in a background process
    and its reference runs meanwhile; ``"wait"``: it compiles before the call returns (the same
    results on every run).  Process-wide; compilations already started finish either way."""
    global _policy
    if policy not in POLICIES:
        raise ValueError(f"compile policy {policy!r}: expected one of {POLICIES}")
    _policy = policy


def compile_policy() -> str:
    """The current policy, ``"background"`` or ``"wait"``."""
    return _policy


class KernelNotReady(Exception):
    """Raised from a kernel called inside ``pick`` while it compiles in the background;
    ``pick`` catches it and runs the reference."""


class _WouldCompile(Exception):
    """Raised by the listener when a cache-only load would have to compile."""


_cond = threading.Condition()  # guards the state below
_state: dict = {}  # (id(dispatcher), argument types) -> "pending" / "ready" / "failed"
_ours: weakref.WeakSet = weakref.WeakSet()  # minigrad's dispatchers: the ones we announce
_local = threading.local()  # .numba: inside Numba's compile path; .load_only: cache loads only
_said: dict = {}  # "start": when the compile message was printed; "done": the last line
_counts = {"fallbacks": 0}  # pick calls that ran the reference while their kernel compiled


def _say(line: str) -> None:
    print(f"minigrad: {line}", file=sys.stderr, flush=True)


def _announce(background: bool) -> None:
    """The one line per process that says kernels are compiling (cache loads, which take
    milliseconds, say nothing)."""
    with _cond:
        if "start" in _said:
            return
        _said["start"] = time.perf_counter()
    if background:
        _say("compiling Numba kernels in the background (first run only; cached on disk); "
             "the numpy references run meanwhile...")
    else:
        _say("compiling Numba kernels (first run only; cached on disk; later runs start "
             "fast)...")


def register(dispatcher) -> None:
    """Called once per new minigrad dispatcher: announce its compilations (and the first time,
    listen to Numba's compile events)."""
    if not _ours:
        from numba.core import event

        event.register("numba:compile", _listener())
    _ours.add(dispatcher)


def _listener():
    from numba.core import event

    class Announcer(event.Listener):
        """Sees every Numba compilation in this process (not cache loads) as it starts."""

        def on_start(self, ev) -> None:
            if getattr(_local, "load_only", False):
                raise _WouldCompile
            if ev.data["dispatcher"] in _ours:
                _announce(background=False)

        def on_end(self, ev) -> None:
            pass

    return Announcer()


def compile_for_args(dispatcher, numba_compile: Callable, args: tuple,
                     can_defer: Callable[[], bool]) -> Callable:
    """What a minigrad dispatcher does when no specialisation matches a call from Python:
    under the background policy, when ``can_defer()`` (a ``pick`` can run the reference
    meanwhile), ``_compile_later``; otherwise compile (or load) now, as Numba would."""
    if _policy == "background" and not getattr(_local, "numba", False) and can_defer():
        return _compile_later(dispatcher, numba_compile, args)
    return _numba(numba_compile, args)


def _numba(numba_compile: Callable, args: tuple) -> Callable:
    """Numba's own path, marked so a re-entry (Numba retries with literal types) goes
    straight back to it."""
    inside, _local.numba = getattr(_local, "numba", False), True
    try:
        return numba_compile(*args)
    finally:
        _local.numba = inside


def _compile_later(dispatcher, numba_compile: Callable, args: tuple) -> Callable:
    """The specialisation for ``args`` if the disk cache has it (it loads in milliseconds);
    otherwise ask the compile process for it and raise ``KernelNotReady``.  A specialisation
    the compile process could not provide compiles here, in the foreground, so its error (if
    any) reaches the caller."""
    types = tuple(dispatcher.typeof_pyval(a) for a in args)
    key = (id(dispatcher), types)
    with _cond:
        state = _state.get(key)
        if _blas_limited and "pending" not in _state.values():
            _blas_threads(limit=False)  # from the thread that set it: OpenBLAS needs that
    if state == "pending":
        _counts["fallbacks"] += 1
        raise KernelNotReady
    if state is None and not _has_cache_index(dispatcher):
        return _defer(key, dispatcher.py_func, types, numba_compile, args)
    if state != "failed":
        _local.load_only = True
        try:
            return _numba(numba_compile, args)
        except _WouldCompile:
            pass
        finally:
            _local.load_only = False
        if state is None:
            return _defer(key, dispatcher.py_func, types, numba_compile, args)
    return _numba(numba_compile, args)


def _defer(key, py_func, types, numba_compile: Callable, args: tuple) -> Callable:
    """Send the job to the compile process and raise ``KernelNotReady``; if it cannot take
    it, compile now."""
    if not _submit(key, py_func, types):
        return _numba(numba_compile, args)
    _counts["fallbacks"] += 1
    raise KernelNotReady


def _has_cache_index(dispatcher) -> bool:
    """Whether Numba's disk cache holds anything for this function.  A load attempt first
    initialises Numba's compiler (measured 0.5-2 s in the first step's process), so on a
    fresh install, where no index exists, it is skipped."""
    try:
        return os.path.exists(dispatcher._cache._cache_file._index_path)
    except AttributeError:  # a Numba that stores its cache otherwise: just try the load
        return True


def _submit(key, py_func, types) -> bool:
    """Queue ``py_func`` at ``types`` in this process's compile process (started when needed);
    False if it cannot take it, so the caller compiles in the foreground."""
    module, name = py_func.__module__, py_func.__qualname__
    with _cond:
        server = _servers.get(os.getpid(), False)  # a forked child starts its own
        if server is False or (server is not None and server.ended):
            server = _servers[os.getpid()] = _CompileProcess.start()
        # the compile process finds the kernel as module.name: not one made inside a function
        if server is None or "<locals>" in name or not server.send(key, module, name, types):
            _state[key] = "failed"
            return False
        _state[key] = "pending"
        _blas_threads(limit=True)
    _announce(background=True)
    return True


_blas_limited: list = []  # True while the compile process works and BLAS here is held at 1


def _blas_threads(limit: bool) -> None:
    """While the compile process works (it takes one core), numpy's BLAS here runs on one
    thread.  Measured on this 2-core machine, medium LSTM, cold cache (benchmarks/startup.py,
    2 rounds each): with BLAS on its default 2 threads the reference steps run meanwhile took
    0.6-1.2 s, their threads spinning against the compile; on one thread 0.1-0.13 s, and the
    kernels were ready as soon or sooner.  A thread count the user chose (``set_num_threads``
    or an environment variable) is left alone; afterwards the automatic policy of
    ``minigrad.threads`` takes over again."""
    from .. import threads

    pol = threads.policy()
    if pol.fixed():
        return
    with pol.lock:
        if limit and not _blas_limited:
            _blas_limited.append(True)
            pol.apply(1)
        elif not limit and _blas_limited:
            _blas_limited.pop()
            pol.apply(pol.ceiling())
            pol.next_sample = 0.0  # the policy looks at the load again on the next call


class _CompileProcess:
    """A fresh Python on this process's ``sys.path`` and environment (``NUMBA_CACHE_DIR``
    included) that compiles the jobs it is sent into Numba's disk cache (``serve``), and the
    thread here that reads its answers.  A process, not a thread: Numba's compiler is mostly
    Python and holds the GIL.  Medium LSTM, cold cache, one run each on this (busy) 2-core
    machine: the reference steps run beside a compiling thread took 1.4-7.2 s, beside a
    compile process 0.8-1.7 s."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc, self.waiting, self.ended = proc, set(), False
        threading.Thread(target=self._listen, name="minigrad-compile", daemon=True).start()

    @classmethod
    def start(cls) -> _CompileProcess | None:
        path = os.pathsep.join(os.path.abspath(p or os.curdir) for p in sys.path)
        try:
            proc = subprocess.Popen(
                [sys.executable, "-c", "from minigrad.kernels.compiling import serve; serve()"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                env={**os.environ, "PYTHONPATH": path})
        except OSError:
            return None
        if not _servers:
            atexit.register(_stop_servers)
        return cls(proc)

    def send(self, key, module: str, name: str, types: tuple) -> bool:
        """Queue one job (called holding ``_cond``); False if the process cannot take it."""
        try:
            self.proc.stdin.write(pickle.dumps((key, module, name, types)).hex().encode() + b"\n")
            self.proc.stdin.flush()
        except (OSError, ValueError, pickle.PicklingError):
            return False
        self.waiting.add(key)
        return True

    def _listen(self) -> None:
        """Mark each answer (``ready``: in the disk cache, loaded by the next call; ``failed``:
        compiled in the foreground by the next call, so its error reaches the caller)."""
        for line in self.proc.stdout:
            key, ok = pickle.loads(bytes.fromhex(line.decode().strip()))
            with _cond:
                self.waiting.discard(key)
                _state[key] = "ready" if ok else "failed"
                if "pending" not in _state.values():
                    if "start" in _said and "done" not in _said:
                        _said["done"] = True
                        _say(f"kernels ready after {time.perf_counter() - _said['start']:.1f} s "
                             "of compiling")
                _cond.notify_all()
        idle = self.proc.wait() == 0
        with _cond:  # it ended: what it had not done goes to the next one if it left idle,
            self.ended = True  # else (killed, crashed) compiles here, in the foreground
            for key in self.waiting:
                if idle:
                    del _state[key]
                else:
                    _state[key] = "failed"
            self.waiting.clear()
            _cond.notify_all()


_servers: dict = {}  # process id -> its _CompileProcess (None: could not start one)


def _stop_servers() -> None:
    """At exit: end this process's compile process, even mid-compile (Numba writes each cache
    file whole and renames it into place, so nothing half-written is left)."""
    server = _servers.get(os.getpid())
    if server is not None and not server.ended:
        server.proc.kill()
        server.proc.wait()


IDLE_EXIT = 60.0  # seconds: a compile process with nothing to do for this long exits


def serve() -> None:
    """The compile process's loop: read ``(key, module, name, types)`` jobs from stdin,
    compile ``module.name`` (a ``jit`` function) at ``types``, answer ``(key, ok)`` on stdout
    (both one pickle a line, in hex); exit at end of input or after ``IDLE_EXIT`` seconds
    without a job."""
    import importlib
    import select

    fd, buffered = sys.stdin.fileno(), b""
    while True:
        while b"\n" not in buffered:
            if not select.select([fd], [], [], IDLE_EXIT)[0]:
                return  # idle
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return  # the parent closed its end (or exited)
            buffered += chunk
        line, buffered = buffered.split(b"\n", 1)
        key, module, name, types = pickle.loads(bytes.fromhex(line.decode()))
        try:
            fn = importlib.import_module(module)
            for part in name.split("."):
                fn = getattr(fn, part)
            fn.dispatcher().compile(types)
            ok = True
        except Exception:  # noqa: BLE001 - the parent compiles it again and raises it there
            ok = False
        sys.stdout.write(pickle.dumps((key, ok)).hex() + "\n")
        sys.stdout.flush()


def wait_for_kernels(timeout: float | None = None) -> bool:
    """Block until nothing is compiling in the background; False if ``timeout`` (seconds)
    ran out first."""
    with _cond:
        done = _cond.wait_for(lambda: "pending" not in _state.values(), timeout)
        if done and _blas_limited:
            _blas_threads(limit=False)
        return done


def status() -> dict:
    """``compiling``: specialisations queued or compiling in the background; ``fallbacks``:
    calls that ran a reference meanwhile (a benchmark's step ran all its kernels when this
    did not grow); ``process``: the compile process's id while it runs, else None."""
    with _cond:
        server = _servers.get(os.getpid())
        return {"compiling": sum(state == "pending" for state in _state.values()),
                "fallbacks": _counts["fallbacks"],
                "process": None if server is None or server.ended else server.proc.pid}
