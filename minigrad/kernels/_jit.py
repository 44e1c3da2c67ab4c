"""Lazy ``numba.njit(cache=True, error_model="numpy")`` and the choice between a kernel and
its reference.

``import minigrad`` does not import Numba: a kernel compiles the first time it is called
(and is cached on disk).  ``pick(kernel, reference)`` runs the reference instead in
reference mode (``mg.reference_mode()`` / ``MINIGRAD_REFERENCE=1``) and whenever an argument
is a Tensor (a backward running under ``create_graph``: the reference is then the
differentiable definition).
"""
from __future__ import annotations

import sys
import threading
import types
from collections.abc import Callable

from ..modes import state
from ..tensor_base import TensorBase


class LazyJit:
    """A Python function compiled by Numba the first time it is called."""

    def __init__(self, fn: Callable, **options):
        self.py_func = fn
        self.options = options
        self._compiled: Callable | None = None
        self.__name__ = fn.__name__
        self.__doc__ = fn.__doc__

    def dispatcher(self):
        """The Numba dispatcher.  Helpers it calls (other ``@jit`` functions) are compiled
        first and bound in a private copy of the function's globals, so Numba can type the
        calls; the module's own globals are left as they are."""
        if self._compiled is None:
            import numba

            scope = dict(self.py_func.__globals__)
            for name in self.py_func.__code__.co_names:
                if isinstance(scope.get(name), LazyJit):
                    scope[name] = scope[name].dispatcher()
            fn = types.FunctionType(self.py_func.__code__, scope, self.py_func.__name__,
                                    self.py_func.__defaults__, self.py_func.__closure__)
            fn.__qualname__, fn.__module__ = self.py_func.__qualname__, self.py_func.__module__
            # numpy's float semantics (x / 0 is inf, not ZeroDivisionError), as the numpy
            # references have; it also lets LLVM vectorise loops that divide
            options = {"cache": True, "error_model": "numpy", **self.options}
            self._compiled = numba.njit(**options)(fn)
        return self._compiled

    def __call__(self, *args):
        if self._compiled is not None and self._warm:
            return self._compiled(*args)
        # the first call of a signature compiles (or loads Numba's disk cache): if that takes
        # long enough to notice, say why once, so a first run never looks hung
        timer = threading.Timer(0.5, _announce)
        timer.start()
        try:
            out = self.dispatcher()(*args)
        finally:
            timer.cancel()
        self._warm = True
        return out

    _warm = False


_announced: list = []


def _announce() -> None:
    """One line on stderr the first time compiling kernels takes a noticeable time."""
    if not _announced:
        _announced.append(True)
        print("minigrad: compiling Numba kernels on first use (cached on disk; later runs "
              "start fast)...", file=sys.stderr, flush=True)


def jit(fn: Callable | None = None, **options):
    """Decorator: ``@jit`` or ``@jit(parallel=False)``; compiled lazily, cached on disk."""
    if fn is None:
        return lambda f: LazyJit(f, **options)
    return LazyJit(fn, **options)


def pick(kernel: Callable, reference: Callable) -> Callable:
    """A function that runs ``kernel``, or ``reference`` in reference mode or on Tensors."""

    def dispatch(*args):
        if state.reference or any(isinstance(a, TensorBase) for a in args):
            return reference(*args)
        return kernel(*args)

    dispatch.kernel = kernel
    dispatch.reference = reference
    dispatch.__name__ = reference.__name__.removesuffix("_ref")
    dispatch.__doc__ = reference.__doc__
    return dispatch
