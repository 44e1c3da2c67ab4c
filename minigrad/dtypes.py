"""The default floating dtype (float32, as torch)."""
from __future__ import annotations

import numpy as np


class _Default:
    dtype = np.dtype(np.float32)


def get_default_dtype() -> np.dtype:
    return _Default.dtype


def set_default_dtype(dtype) -> None:
    d = np.dtype(dtype)
    if d not in (np.float32, np.float64):
        raise TypeError(f"default dtype must be float32 or float64, got {d}")
    _Default.dtype = d
