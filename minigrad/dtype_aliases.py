"""torch's dtype names as numpy dtypes: ``mg.float32``, ``mg.long``, ``mg.bool``...

They *are* numpy dtypes, so ``t.dtype == mg.float32`` and ``t.dtype is mg.float32`` hold and
numpy accepts them anywhere. :func:`as_dtype` turns whatever a ``dtype=`` argument receives
(these aliases, numpy dtypes or scalar types, strings such as ``'float64'``, and Python's
``float``/``int``/``bool``, which mean float64/int64/bool as in torch) into a numpy dtype.
"""
from __future__ import annotations

from typing import Any

import numpy as np

_KINDS = "biuf"  # what a tensor may hold: bool, signed and unsigned integers, floats


def as_dtype(dtype: Any, what: str = "dtype", default: np.dtype | None = None) -> np.dtype | None:
    """``dtype`` as a numpy dtype (``default`` when None); raise TypeError naming ``what``."""
    if dtype is None:
        return default
    try:
        d = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{what}: {dtype!r} is not a dtype; use e.g. mg.float32, mg.long, "
                        f"mg.bool, np.float64 or 'int32'") from None
    if d.kind not in _KINDS:
        raise TypeError(f"{what}: minigrad tensors hold bool, integer or floating values, "
                        f"not {d}")
    return d


float16 = half = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
uint8 = np.dtype(np.uint8)
int8 = np.dtype(np.int8)
int16 = short = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = long = np.dtype(np.int64)
# torch's short names for the defaults; they shadow the builtins only inside this module
float = float32  # noqa: A001
int = int32  # noqa: A001
bool = np.dtype(np.bool_)  # noqa: A001

__all__ = ["as_dtype", "float16", "half", "float32", "float", "float64", "double", "uint8",
           "int8", "int16", "short", "int32", "int", "int64", "long", "bool"]
