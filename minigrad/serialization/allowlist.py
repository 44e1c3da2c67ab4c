"""Which globals a ``weights_only`` load may touch: torch's ``safe_globals`` design.

A pickle names classes and functions by ``module.qualname``; loading one normally imports the
module and calls the object, which is how a checkpoint runs code. ``weights_only=True`` only
resolves names on this list, without importing anything:

* always: minigrad's tensor and numpy rebuilders, ``minigrad.tensor.Tensor``,
  ``collections.OrderedDict``/``Counter`` and the builtin ``set frozenset bytearray complex``;
* process-wide: whatever ``add_safe_globals([...])`` added (``nn`` adds ``Parameter``);
* in a ``with safe_globals([...]):`` block: those too, for the thread (or task) inside the
  block only, restored on exit. torch keeps one process-wide list that the block rewrites;
  a per-context list gives the same answers in one thread and cannot leak between threads.
"""
from __future__ import annotations

import contextvars
import threading
from collections import Counter, OrderedDict
from typing import Any

from ..tensor import Tensor
from .tensors import REBUILDERS

_lock = threading.Lock()
_process_wide: dict[str, Any] = {}
_scoped: contextvars.ContextVar[tuple[tuple[str, Any], ...]] = contextvars.ContextVar(
    "minigrad_safe_globals", default=())


def qualified_name(obj: Any) -> str:
    """``module.qualname``: the name a pickle uses for ``obj``."""
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str):
        raise TypeError(f"{obj!r} has no __module__/__qualname__; pass (obj, 'module.name')")
    if "<locals>" in qualname:
        raise TypeError(f"{module}.{qualname} is defined inside a function, so pickle cannot "
                        f"name it; define it at module level")
    return f"{module}.{qualname}"


_DEFAULT = {qualified_name(o): o for o in (*REBUILDERS, Tensor, OrderedDict, Counter, set,
                                            frozenset, bytearray, complex)}


def _entries(safe: Any) -> list[tuple[str, Any]]:
    if not isinstance(safe, (list, tuple)):
        raise TypeError(f"safe globals must be a list, e.g. [MyModel]; got {type(safe).__name__}")
    out = []
    for g in safe:
        if isinstance(g, tuple):  # (obj, "module.name"), as torch, for renamed objects
            if len(g) != 2 or not isinstance(g[1], str):
                raise TypeError(f"a safe global tuple is (obj, 'module.name'); got {g!r}")
            out.append((g[1], g[0]))
        else:
            out.append((qualified_name(g), g))
    return out


def add_safe_globals(safe_globals: list) -> None:
    """Allow these classes/functions in every later ``weights_only`` load of this process.

    Items are objects (``[MyModel, nn.Linear]``) or ``(obj, "module.name")`` pairs."""
    entries = _entries(safe_globals)
    with _lock:
        _process_wide.update(entries)


def get_safe_globals() -> list:
    """The globals added by ``add_safe_globals`` and the enclosing ``safe_globals`` blocks."""
    with _lock:
        pairs = list(_process_wide.items())
    pairs += list(_scoped.get())
    return [obj if _name_or_none(obj) == name else (obj, name) for name, obj in pairs]


def _name_or_none(obj: Any) -> str | None:
    try:
        return qualified_name(obj)
    except TypeError:
        return None


def clear_safe_globals() -> None:
    """Forget every added global (process-wide and the current block's)."""
    with _lock:
        _process_wide.clear()
    _scoped.set(())


class safe_globals:
    """``with safe_globals([MyModel]): mg.load(f)``: allow these globals inside the block.

    The list applies to the current thread (or asyncio task) and is restored on exit."""

    def __init__(self, safe_globals: list):
        self._entries = tuple(_entries(safe_globals))
        self._tokens: list[contextvars.Token] = []

    def __enter__(self) -> safe_globals:
        self._tokens.append(_scoped.set(_scoped.get() + self._entries))
        return self

    def __exit__(self, *exc) -> None:
        _scoped.reset(self._tokens.pop())


def allowed_globals() -> dict[str, Any]:
    """Every name a ``weights_only`` load may resolve right now, to its object."""
    with _lock:
        out = {**_DEFAULT, **_process_wide}
    out.update(_scoped.get())
    return out
