"""Lazy ``numba.njit(cache=True, error_model="numpy")`` and the switch between kernels and
references."""
from __future__ import annotations

import os
from collections.abc import Callable

USE_NUMBA = os.environ.get("MINIGRAD_KERNELS", "numba").lower() != "numpy"


class _Switch:
    on = USE_NUMBA


def use_numba(on: bool | None = None) -> bool:
    """Return whether kernels are in use; with ``on``, switch them on or off (tests use this)."""
    if on is not None:
        _Switch.on = bool(on)
    return _Switch.on


class LazyJit:
    """A Python function compiled by Numba the first time it is called."""

    def __init__(self, fn: Callable, **options):
        self.py_func = fn
        self.options = options
        self._compiled: Callable | None = None
        self.__name__ = fn.__name__
        self.__doc__ = fn.__doc__

    def dispatcher(self):
        """The Numba dispatcher; helpers this function calls (other ``@jit`` functions of its
        module) are swapped for their dispatchers first, so Numba can compile the calls."""
        if self._compiled is None:
            import numba

            scope = self.py_func.__globals__
            for name in self.py_func.__code__.co_names:
                if isinstance(scope.get(name), LazyJit):
                    scope[name] = scope[name].dispatcher()
            # numpy's float semantics (x / 0 is inf, not ZeroDivisionError), as the numpy
            # references have; it also lets LLVM vectorise loops that divide
            options = {"cache": True, "error_model": "numpy", **self.options}
            self._compiled = numba.njit(**options)(self.py_func)
        return self._compiled

    def __call__(self, *args):
        return (self._compiled or self.dispatcher())(*args)


def jit(fn: Callable | None = None, **options):
    """Decorator: ``@jit`` or ``@jit(parallel=False)``; compiled lazily, cached on disk."""
    if fn is None:
        return lambda f: LazyJit(f, **options)
    return LazyJit(fn, **options)


def pick(kernel: Callable, reference: Callable) -> Callable:
    """A function that runs ``kernel`` when kernels are on and ``reference`` otherwise."""

    def dispatch(*args):
        return kernel(*args) if _Switch.on else reference(*args)

    dispatch.kernel = kernel
    dispatch.reference = reference
    dispatch.__name__ = reference.__name__.removesuffix("_ref")
    dispatch.__doc__ = reference.__doc__
    return dispatch
