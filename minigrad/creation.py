"""Functions that make tensors: ``mg.tensor``, ``mg.zeros``, ``mg.randn`` and friends."""
from __future__ import annotations

from typing import Any

import numpy as np

from .dtypes import get_default_dtype
from .random import _rng
from .tensor import Tensor, _shape_arg, as_array


def _float(dtype) -> np.dtype:
    return np.dtype(dtype) if dtype is not None else get_default_dtype()


def tensor(data: Any, dtype=None, requires_grad: bool = False) -> Tensor:
    """A new tensor (always a copy of ``data``); Python floats become the default dtype."""
    arr = data.copy() if isinstance(data, np.ndarray) and dtype is None else as_array(data, dtype)
    return Tensor(arr, requires_grad=requires_grad)


def from_numpy(arr: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``arr`` (no copy, dtype kept)."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy array, got {type(arr).__name__}")
    return Tensor(arr)


def _make(fill, shape, dtype, requires_grad):
    return Tensor(fill(_shape_arg(shape), _float(dtype)), requires_grad=requires_grad)


def zeros(*shape, dtype=None, requires_grad=False) -> Tensor:
    return _make(np.zeros, shape, dtype, requires_grad)


def ones(*shape, dtype=None, requires_grad=False) -> Tensor:
    return _make(np.ones, shape, dtype, requires_grad)


def empty(*shape, dtype=None, requires_grad=False) -> Tensor:
    return _make(np.empty, shape, dtype, requires_grad)


def full(shape, fill_value, dtype=None, requires_grad=False) -> Tensor:
    if dtype is None and isinstance(fill_value, (bool, int)):
        dtype = np.bool_ if isinstance(fill_value, bool) else np.int64
    return Tensor(np.full(_shape_arg((shape,)), fill_value, _float(dtype)),
                  requires_grad=requires_grad)


def zeros_like(t: Tensor, dtype=None, requires_grad=False) -> Tensor:
    return Tensor(np.zeros(t.shape, dtype or t.dtype), requires_grad=requires_grad)


def ones_like(t: Tensor, dtype=None, requires_grad=False) -> Tensor:
    return Tensor(np.ones(t.shape, dtype or t.dtype), requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False) -> Tensor:
    """Integers give int64 (as torch); any float argument gives the default float dtype."""
    if end is None:
        start, end = 0, start
    if dtype is None and all(isinstance(v, (int, np.integer)) for v in (start, end, step)):
        dtype = np.int64
    return Tensor(np.arange(start, end, step, dtype=_float(dtype)), requires_grad=requires_grad)


def eye(n: int, m: int | None = None, dtype=None, requires_grad=False) -> Tensor:
    return Tensor(np.eye(n, m, dtype=_float(dtype)), requires_grad=requires_grad)


def randn(*shape, dtype=None, requires_grad=False) -> Tensor:
    """Standard normal samples from the library's seeded generator."""
    return Tensor(_rng().standard_normal(_shape_arg(shape)).astype(_float(dtype)),
                  requires_grad=requires_grad)


def rand(*shape, dtype=None, requires_grad=False) -> Tensor:
    """Uniform samples in [0, 1)."""
    return Tensor(_rng().random(_shape_arg(shape)).astype(_float(dtype)),
                  requires_grad=requires_grad)


def randint(low: int, high: int | None = None, size=(), dtype=np.int64) -> Tensor:
    """Integers in [low, high) (or [0, low) with one bound), as torch.randint."""
    if high is None:
        low, high = 0, low
    return Tensor(_rng().integers(low, high, _shape_arg((size,))).astype(dtype))
