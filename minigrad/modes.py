"""Per-thread switches: grad mode, the reference switch, and what anomaly mode and tracing use.

Every switch is a context manager (and decorator) over thread-local state that restores the
previous value on exit, as torch's are: one thread inside ``no_grad`` never stops another
thread from recording.  A fresh thread starts with grad mode on and every other switch off.
"""
from __future__ import annotations

import functools
import inspect
import os
import threading
from collections.abc import Callable
from typing import Any

# The environment variable turns reference mode on for the whole process (every thread).
_REFERENCE_DEFAULT = os.environ.get("MINIGRAD_REFERENCE", "").lower() in ("1", "true", "yes")


class _Local(threading.local):
    """Defaults each new thread starts from (threading.local re-runs __init__ per thread)."""

    def __init__(self) -> None:
        self.grad_enabled = True
        self.reference = _REFERENCE_DEFAULT
        self.anomaly = False
        self.record_sites = False  # anomaly mode and check_graph remember where ops ran
        self.tracer: list | None = None  # trace_ops(): every Function.apply is appended
        self.extras = 0  # > 0 while anomaly mode, site recording or tracing is on
        self.inplace_ops = 0  # in-place tensor ops run so far (autograd.replay checks it)


state = _Local()


def is_grad_enabled() -> bool:
    """Whether ops run now record a graph for backward (per thread)."""
    return state.grad_enabled


def is_reference_mode() -> bool:
    """Whether every computation runs on its readable definition (per thread)."""
    return state.reference


class _Switch:
    """A context manager and decorator that sets ``state.<field>`` and restores it on exit.

    As a decorator it also covers generator functions: the switch is set around each resume
    of the generator, so the body of ``@no_grad def gen(): yield ...`` runs without grad.
    """

    field = ""

    def __init__(self, value: Any = True) -> None:
        self.value = value
        self._prev: list = []

    def __enter__(self) -> None:
        self._prev.append(getattr(state, self.field))
        setattr(state, self.field, self.value)

    def __exit__(self, *exc: object) -> None:
        setattr(state, self.field, self._prev.pop())

    def clone(self) -> _Switch:
        """A fresh switch with the same effect (a decorator re-enters it on every call)."""
        return _Plain(self.field, self.value)

    def __call__(self, fn: Callable) -> Callable:
        if inspect.isgeneratorfunction(fn):
            @functools.wraps(fn)
            def gen_wrapper(*args, **kwargs):
                gen = fn(*args, **kwargs)
                try:
                    with self.clone():
                        to_yield = next(gen)
                    while True:
                        try:
                            sent = yield to_yield
                        except GeneratorExit:
                            with self.clone():
                                gen.close()
                            raise
                        except BaseException as e:  # thrown into us: throw into the body
                            with self.clone():
                                to_yield = gen.throw(e)
                            continue
                        with self.clone():
                            to_yield = gen.send(sent)
                except StopIteration as stop:  # the body returned: so do we
                    return stop.value

            return gen_wrapper

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_Switch):
    """Ops run inside ``with mg.no_grad():`` record no graph (evaluation, optimizer steps)."""

    field = "grad_enabled"

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(_Switch):
    """Turn recording back on inside a ``no_grad`` block."""

    field = "grad_enabled"

    def __init__(self) -> None:
        super().__init__(True)


class set_grad_enabled(_Switch):
    """``set_grad_enabled(mode)``: grad mode on or off; a context manager and a decorator.

    As in torch, calling it also sets the mode immediately (so it works as a plain call)."""

    field = "grad_enabled"

    def __init__(self, mode: bool) -> None:
        super().__init__(bool(mode))
        self._entered_prev = state.grad_enabled
        state.grad_enabled = bool(mode)

    def __enter__(self) -> None:
        self._prev.append(self._entered_prev)
        state.grad_enabled = self.value


class _Plain(_Switch):
    """A switch of any field to a fixed value (what decorators re-enter)."""

    def __init__(self, field: str, value: Any) -> None:
        self.field = field
        super().__init__(value)


class inference_mode(_Switch):
    """torch's ``inference_mode(mode=True)``: here the same as ``no_grad`` (when ``mode``)."""

    field = "grad_enabled"

    def __init__(self, mode: bool = True) -> None:
        super().__init__(not mode)


class reference_mode(_Switch):
    """Run everything on its readable definition: the numpy reference of every kernel, the
    composed (step-by-step) recurrent cells, the composed losses.  Per thread; also turned on
    for the whole process by the environment variable ``MINIGRAD_REFERENCE=1``."""

    field = "reference"

    def __init__(self, mode: bool = True) -> None:
        super().__init__(bool(mode))
