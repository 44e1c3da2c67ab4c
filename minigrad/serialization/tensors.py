"""How a tensor, a numpy scalar and a numpy dtype are taken apart for pickle and rebuilt.

The rebuild functions are the only minigrad callables a ``weights_only`` load will call; each
checks its arguments, so a crafted file can make them fail but never make them do anything else.
``reduce_tensor(t)`` is the pickle protocol of ``Tensor`` (``Tensor.__reduce_ex__`` returns it).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import Tensor
from .errors import UnpicklingError

ARRAY_KINDS = "biufcmMSU"  # numpy kinds stored as raw bytes; object and structured dtypes are not
TENSOR_KINDS = "biufc"


def plain_dtype(descr: Any) -> np.dtype:
    """``np.dtype(descr)`` for a dtype that is stored as raw bytes (no objects, no fields)."""
    if not isinstance(descr, str):
        raise UnpicklingError(f"a dtype must be given by its string, e.g. '<f4'; got {descr!r}")
    try:
        dt = np.dtype(descr)
    except TypeError as e:
        raise UnpicklingError(f"unknown dtype {descr!r}") from e
    if dt.kind not in ARRAY_KINDS or dt.fields is not None or dt.subdtype is not None:
        raise UnpicklingError(f"dtype {descr!r} is not a plain numeric/text dtype")
    return dt


def reduce_tensor(t: Tensor) -> tuple:
    """``t``'s pickle reduction: ``(_rebuild_tensor, (type(t), raw bytes, dtype, shape,
    requires_grad))``, plus the instance ``__dict__`` of a subclass that has one.

    Only the value and ``requires_grad`` travel: the graph (``grad_fn``), ``.grad`` and hooks
    do not, as in torch. The raw bytes are C-ordered."""
    arr = np.ascontiguousarray(t.detach().numpy())
    args = (type(t), arr.tobytes(), arr.dtype.str, arr.shape, t.requires_grad)
    state = getattr(t, "__dict__", None)
    return (_rebuild_tensor, args + (dict(state),) if state else args)


def _rebuild_tensor(cls: type, data: bytes | np.ndarray, dtype: str, shape: tuple,
                    requires_grad: bool, state: dict | None = None) -> Tensor:
    """A leaf tensor of class ``cls`` holding ``data`` (raw C-ordered bytes, or an array that
    ``mg.save`` stored as its own member) with ``dtype`` and ``shape``."""
    if not (isinstance(cls, type) and issubclass(cls, Tensor)):
        raise UnpicklingError(f"_rebuild_tensor: {cls!r} is not a Tensor class")
    dt = plain_dtype(dtype)
    if dt.kind not in TENSOR_KINDS:
        raise UnpicklingError(f"_rebuild_tensor: a tensor cannot hold dtype {dt}")
    if not (isinstance(shape, (tuple, list)) and all(type(n) is int and n >= 0 for n in shape)):
        raise UnpicklingError(f"_rebuild_tensor: bad shape {shape!r}")
    shape = tuple(shape)
    if isinstance(data, np.ndarray):
        if data.dtype != dt or data.shape != shape:
            raise UnpicklingError(f"_rebuild_tensor: stored array is {data.dtype}{data.shape}, "
                                  f"the tensor says {dt}{shape}")
        arr = data
    elif isinstance(data, (bytes, bytearray)):
        if len(data) != dt.itemsize * math.prod(shape):
            raise UnpicklingError(f"_rebuild_tensor: {len(data)} bytes do not fill a {dt} "
                                  f"tensor of shape {shape}")
        arr = np.frombuffer(data, dtype=dt).reshape(shape).copy()  # owned and writable
    else:
        raise UnpicklingError(f"_rebuild_tensor: data must be bytes or an array, got "
                              f"{type(data).__name__}")
    t = cls.__new__(cls)
    Tensor.__init__(t, arr)  # subclasses are rebuilt without running their own __init__
    if requires_grad:
        t.requires_grad_(True)
    if state:
        if not isinstance(state, dict) or not hasattr(t, "__dict__"):
            raise UnpicklingError(f"_rebuild_tensor: cannot give a {cls.__name__} attributes "
                                  f"{type(state).__name__}")
        t.__dict__.update(state)
    return t


def reduce_numpy_scalar(x: np.generic) -> tuple:
    """``np.float32(1.5)`` and friends as ``(_rebuild_numpy_scalar, (dtype, raw bytes))``."""
    return (_rebuild_numpy_scalar, (x.dtype.str, x.tobytes()))


def _rebuild_numpy_scalar(dtype: str, data: bytes) -> np.generic:
    """The numpy scalar of ``dtype`` whose bytes are ``data``."""
    dt = plain_dtype(dtype)
    if not isinstance(data, bytes) or len(data) != dt.itemsize:
        raise UnpicklingError(f"_rebuild_numpy_scalar: need {dt.itemsize} bytes for {dt}")
    return np.frombuffer(data, dtype=dt)[0]


def reduce_numpy_dtype(dt: np.dtype) -> tuple:
    """A plain ``np.dtype`` as ``(_rebuild_numpy_dtype, (its string,))``."""
    return (_rebuild_numpy_dtype, (dt.str,))


def _rebuild_numpy_dtype(descr: str) -> np.dtype:
    """``np.dtype(descr)`` for plain dtypes only."""
    return plain_dtype(descr)


REBUILDERS = (_rebuild_tensor, _rebuild_numpy_scalar, _rebuild_numpy_dtype)


def is_plain(dt: np.dtype) -> bool:
    """True when arrays of ``dt`` are stored as raw bytes (no pickle needed)."""
    return dt.kind in ARRAY_KINDS and dt.fields is None and dt.subdtype is None
