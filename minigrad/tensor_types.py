"""torch's legacy tensor types: ``mg.LongTensor``, ``mg.FloatTensor``, ``mg.BoolTensor``...

Calling one builds a tensor of its dtype (by size or from data, see :func:`legacy_tensor`);
``isinstance(t, mg.LongTensor)`` asks whether ``t`` is an int64 tensor, as in torch. They are
not subclasses of :class:`Tensor`: every tensor is a plain ``Tensor`` with a ``dtype``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .creation import _size, tensor
from .device import check_device
from .dtype_aliases import as_dtype
from .size import Size
from .tensor import Tensor


def legacy_tensor(dtype: Any, args: tuple, device: Any = None, what: str = "Tensor") -> Tensor:
    """torch's legacy constructors ``LongTensor(...)``, ``FloatTensor(...)``, ``Tensor(...)``:

    * no argument: an empty 1-d tensor;
    * ints or one :class:`Size`: a tensor of that size (zeros here; torch leaves it
      uninitialised);
    * one sequence, array or tensor: that data converted to ``dtype`` (a tensor of another
      dtype is refused, as torch).
    """
    check_device(device, f"{what}(device=)")
    d = as_dtype(dtype, f"{what}(dtype=)")
    if not args:
        return Tensor(np.zeros((0,), d))
    if len(args) == 1 and isinstance(args[0], Size):
        return Tensor(np.zeros(_size(args, what), d))
    if len(args) == 1 and isinstance(args[0], Tensor):
        if args[0].dtype != d:
            raise TypeError(f"{what}(): expected a tensor of dtype {d}, got {args[0].dtype}; "
                            f"convert it with .to({d})")
        return args[0]
    if all(_is_int(a) for a in args):
        return Tensor(np.zeros(_size(args, what), d))
    if len(args) > 1:
        raise TypeError(f"{what}(): give either sizes (ints) or one sequence of data, got "
                        f"{tuple(type(a).__name__ for a in args)}")
    data = args[0]
    if isinstance(data, (bool, int, float, np.generic)):
        raise TypeError(f"{what}(): data must be a sequence (got {type(data).__name__}); "
                        f"use mg.tensor({data!r}) for a 0-d tensor")
    return tensor(data, dtype=d)


def _is_int(a: Any) -> bool:
    """An int, numpy int or 0-d integer array/tensor (a size), not a bool."""
    if isinstance(a, (np.ndarray, Tensor)):
        return a.ndim == 0 and a.dtype.kind in "iu"
    return isinstance(a, (int, np.integer)) and not isinstance(a, bool)


class _LegacyType(type):
    """Metaclass: ``isinstance(t, mg.LongTensor)`` is True for int64 tensors, as torch."""

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype

    def __repr__(cls) -> str:
        return f"<class 'minigrad.{cls.__name__}'>"


class _LegacyTensor(metaclass=_LegacyType):
    dtype: np.dtype = np.dtype(np.float32)

    def __new__(cls, *args: Any, device: Any = None) -> Tensor:  # type: ignore[misc]
        return legacy_tensor(cls.dtype, args, device, cls.__name__)


class FloatTensor(_LegacyTensor):
    """``FloatTensor(2, 3)`` (zeros of that size) or ``FloatTensor([1, 2])``: float32 data."""

    dtype = np.dtype(np.float32)


class DoubleTensor(_LegacyTensor):
    """float64 tensors by size or data, as :class:`FloatTensor`."""

    dtype = np.dtype(np.float64)


class HalfTensor(_LegacyTensor):
    """float16 tensors by size or data, as :class:`FloatTensor`."""

    dtype = np.dtype(np.float16)


class LongTensor(_LegacyTensor):
    """``LongTensor(3)`` (three zeros) or ``LongTensor([1, 2])``: int64 data (floats truncate)."""

    dtype = np.dtype(np.int64)


class IntTensor(_LegacyTensor):
    """int32 tensors by size or data, as :class:`LongTensor`."""

    dtype = np.dtype(np.int32)


class ShortTensor(_LegacyTensor):
    """int16 tensors by size or data."""

    dtype = np.dtype(np.int16)


class CharTensor(_LegacyTensor):
    """int8 tensors by size or data."""

    dtype = np.dtype(np.int8)


class ByteTensor(_LegacyTensor):
    """uint8 tensors by size or data."""

    dtype = np.dtype(np.uint8)


class BoolTensor(_LegacyTensor):
    """bool tensors by size or data (nonzero -> True)."""

    dtype = np.dtype(np.bool_)
