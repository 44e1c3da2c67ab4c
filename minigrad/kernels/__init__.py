"""Numba kernels, each beside the plain numpy computation it replaces.

Set the environment variable ``MINIGRAD_KERNELS=numpy`` (before importing minigrad) to run
the whole library on the numpy references: the readable version for learners, and the
oracle the tests compare every kernel with.  Kernels compile lazily on first use with
``cache=True``, so ``import minigrad`` does not pay for Numba.

``jit`` and ``pick`` are public so code outside the engine (``nn``'s kernels) can pair its own
kernels with references the same way.
"""
from ._jit import USE_NUMBA, jit, pick, use_numba

__all__ = ["USE_NUMBA", "use_numba", "jit", "pick"]
