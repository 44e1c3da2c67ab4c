"""When kernels compile: in a background thread while the numpy references run (the default),
or in the foreground before the call returns (``"wait"``).

A kernel's first call with new argument types makes Numba compile it (seconds on a fresh
install: ~9 s for the first LSTM training step) or load it from its disk cache (milliseconds).
Under the ``"background"`` policy a call made through ``pick`` whose kernel is not compiled yet
runs the reference instead, while one daemon thread compiles, and the calls after it is ready
run the kernel.  Kernel and reference agree up to float rounding (a kernel may order its float
operations differently), so a run that must give the same bits every time, even on a fresh
install, uses ``"wait"``: ``MINIGRAD_COMPILE=wait`` in the environment or
``set_compile_policy("wait")``.  A signature already in the disk cache is always loaded in the
foreground when the compiler is idle, so every run after the first uses the kernels from its
first call, under either policy.

Whenever a kernel compiles, one line on stderr says so (once per process), so a first run
never looks hung.
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
    """``"background"``: a kernel that is not compiled yet compiles in a background thread and
    its reference runs meanwhile; ``"wait"``: it compiles before the call returns (the same
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
_said: dict = {}  # "start": when the compile message was printed; "done": the second line
_server: list = []  # [the compile process] once started; [None] if it could not start
_write = threading.Lock()  # one job at a time on its stdin
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
    _local.numba = True
    try:
        return numba_compile(*args)
    finally:
        _local.numba = False


def _compile_later(dispatcher, numba_compile: Callable, args: tuple) -> Callable:
    """The specialisation for ``args`` if the disk cache has it (it loads in milliseconds);
    otherwise ask the compile process for it and raise ``KernelNotReady``.  A specialisation
    the compile process could not provide compiles here, in the foreground, so its error (if
    any) reaches the caller."""
    types = tuple(dispatcher.typeof_pyval(a) for a in args)
    key = (id(dispatcher), types)
    with _cond:
        state = _state.get(key)
    if state == "pending":
        _counts["fallbacks"] += 1
        raise KernelNotReady
    if state != "failed":
        _local.load_only = True
        try:
            return _numba(numba_compile, args)
        except _WouldCompile:
            pass
        finally:
            _local.load_only = False
        if state is None and _submit(key, dispatcher.py_func, types):
            _counts["fallbacks"] += 1
            raise KernelNotReady
    return _numba(numba_compile, args)


def _submit(key, py_func, types) -> bool:
    """Queue ``py_func`` at ``types`` in the compile process (started on first use); False if
    it cannot take it, so the caller compiles in the foreground."""
    module, name = py_func.__module__, py_func.__qualname__
    with _cond:
        if not _server:
            _server.append(_start_server())
        proc = _server[0]
        if proc is None or "<locals>" in name:  # the server finds kernels by module.name
            _state[key] = "failed"
            return False
        _state[key] = "pending"
    try:
        with _write:
            pickle.dump((key, module, name, types), proc.stdin)
            proc.stdin.flush()
    except (OSError, ValueError, pickle.PicklingError):
        with _cond:
            _state[key] = "failed"
        return False
    _announce(background=True)
    return True


def _start_server():
    """The compile process: a fresh Python, on this process's ``sys.path`` and environment
    (``NUMBA_CACHE_DIR`` included), that compiles what it is sent into Numba's disk cache.
    A separate process, not a thread: Numba's compiler is mostly Python and holds the GIL, and
    a compiling thread was measured to slow the training loop running beside it 3-5x."""
    path = os.pathsep.join(os.path.abspath(p or os.curdir) for p in sys.path)
    env = {**os.environ, "PYTHONPATH": path}
    try:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from minigrad.kernels.compiling import serve; serve()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    except OSError:
        return None
    threading.Thread(target=_listen, args=(proc,), name="minigrad-compile", daemon=True).start()
    atexit.register(_stop, proc)
    return proc


def _listen(proc) -> None:
    """Mark what the compile process reports done (``ready``: on disk, loaded by the next
    call; ``failed``: compiled in the foreground by the next call)."""
    for line in proc.stdout:
        key, ok = pickle.loads(bytes.fromhex(line.decode().strip()))
        with _cond:
            _state[key] = "ready" if ok else "failed"
            if "pending" not in _state.values() and "done" not in _said:
                _said["done"] = True
                _say(f"kernels compiled in {time.perf_counter() - _said['start']:.1f} s; "
                     "running compiled from now on")
            _cond.notify_all()
    with _cond:  # the process ended: anything it had not done compiles in the foreground
        for key, state in _state.items():
            if state == "pending":
                _state[key] = "failed"
        _cond.notify_all()


def _stop(proc) -> None:
    """At exit: end the compile process, even mid-compile (Numba writes each cache file whole
    and renames it into place, so nothing half-written is left)."""
    proc.kill()
    proc.wait()


def serve() -> None:
    """The compile process's loop: read ``(key, module, name, types)`` jobs from stdin, compile
    ``module.name`` (a ``jit`` function) at ``types``, report ``(key, ok)`` on stdout."""
    import importlib

    stdin, stdout = sys.stdin.buffer, sys.stdout
    while True:
        try:
            key, module, name, types = pickle.load(stdin)
        except EOFError:
            return
        try:
            fn = importlib.import_module(module)
            for part in name.split("."):
                fn = getattr(fn, part)
            fn.dispatcher().compile(types)
            ok = True
        except Exception:  # noqa: BLE001 - the parent compiles it again and raises it there
            ok = False
        stdout.write(pickle.dumps((key, ok)).hex() + "\n")
        stdout.flush()


def wait_for_kernels(timeout: float | None = None) -> bool:
    """Block until nothing is compiling in the background; False if ``timeout`` (seconds)
    ran out first."""
    with _cond:
        return _cond.wait_for(lambda: "pending" not in _state.values(), timeout)


def status() -> dict:
    """``compiling``: specialisations queued or compiling in the background; ``fallbacks``:
    calls that ran a reference meanwhile (a benchmark's step ran all its kernels when this
    did not grow)."""
    with _cond:
        return {"compiling": sum(state == "pending" for state in _state.values()),
                "fallbacks": _counts["fallbacks"]}
