"""Numba kernels, each beside the plain numpy computation it replaces.

``mg.reference_mode()`` (or ``MINIGRAD_REFERENCE=1`` in the environment) runs the whole
library on the numpy references: the readable version for learners, and the oracle the tests
compare every kernel with.  Kernels compile lazily on first use with ``cache=True``, so
``import minigrad`` does not pay for Numba; a first run compiles them in the background while
the references run (``set_compile_policy("wait")`` or ``MINIGRAD_COMPILE=wait`` compiles them
before the first call returns instead).  ``jit`` and ``pick`` are public so code outside
the engine (``nn``'s kernels, the optimizers') pairs its kernels with references the same way.
"""
from ._jit import jit, pick
from .compiling import compile_policy, set_compile_policy, wait_for_kernels

__all__ = ["compile_policy", "jit", "pick", "set_compile_policy", "wait_for_kernels"]
