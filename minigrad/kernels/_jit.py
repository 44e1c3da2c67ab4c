"""Lazy ``numba.njit(cache=True, error_model="numpy")`` and the choice between a kernel and
its reference.

``import minigrad`` does not import Numba: a kernel compiles the first time it is called
with new argument types (and is cached on disk), in the background while ``pick`` runs the
reference, or in the foreground: see ``compiling.py``.  ``pick(kernel, reference)`` runs the
reference instead in reference mode (``mg.reference_mode()`` / ``MINIGRAD_REFERENCE=1``) and
whenever an argument is a Tensor (a backward running under ``create_graph``: the reference is
then the differentiable definition).
"""
from __future__ import annotations

import sys
import types
from collections.abc import Callable

from ..modes import state
from ..tensor_base import TensorBase
from . import compiling
from .compiling import KernelNotReady


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
            compiled = numba.njit(**options)(fn)
            if hasattr(compiled, "_compile_for_args"):  # not under NUMBA_DISABLE_JIT=1
                # Numba's C dispatcher calls ``_compile_for_args`` when no specialisation
                # matches; ours decides whether to compile now or in the background
                self._numba_compile = compiled._compile_for_args
                compiled._compile_for_args = self._compile_for_args
                compiling.register(compiled)
            self._compiled = compiled
        return self._compiled

    def __call__(self, *args):
        compiled = self._compiled
        if compiled is None:
            compiled = self.dispatcher()
        return compiled(*args)

    def _compile_for_args(self, *args) -> Callable:
        """Numba calls this (in place of its own ``_compile_for_args``) when no compiled
        specialisation matches a call from Python: compile in the background and raise
        ``KernelNotReady`` when a ``pick`` can run the reference meanwhile, else now."""
        return compiling.compile_for_args(self._compiled, self._numba_compile, args,
                                          _called_from_pick)


def _called_from_pick() -> bool:
    """Whether a ``pick`` dispatch is on this thread's stack, so its reference can stand in for
    a kernel that is not compiled yet.  Walked only when a call needs compiling; the calls
    after that pay nothing."""
    frame = sys._getframe()
    while frame is not None:
        if frame.f_code is _DISPATCH_CODE:
            return True
        frame = frame.f_back
    return False


def jit(fn: Callable | None = None, **options):
    """Decorator: ``@jit`` or ``@jit(parallel=False)``; compiled lazily, cached on disk."""
    if fn is None:
        return lambda f: LazyJit(f, **options)
    return LazyJit(fn, **options)


def pick(kernel: Callable, reference: Callable) -> Callable:
    """A function that runs ``kernel``, or ``reference`` in reference mode, on Tensors, or
    while a jitted function ``kernel`` calls is compiling in the background.

    ``kernel`` (a jitted function, or Python code that validates its inputs and calls jitted
    ones) must not modify its arguments before its last jitted call: when that call is not
    compiled yet, ``reference`` runs on the same arguments instead.
    """

    def dispatch(*args):
        if state.reference:
            return reference(*args)
        for a in args:  # (a loop, not any(...): a generator costs ~1 us a call)
            if isinstance(a, TensorBase):
                return reference(*args)
        try:
            return kernel(*args)
        except KernelNotReady:
            return reference(*args)

    dispatch.kernel = kernel
    dispatch.reference = reference
    dispatch.__name__ = reference.__name__.removesuffix("_ref")
    dispatch.__doc__ = reference.__doc__
    return dispatch


_DISPATCH_CODE = pick(len, len).__code__  # one code object, shared by every pick
