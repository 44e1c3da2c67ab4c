"""Scatter-add: ``out[idx[i]] += src[i]`` with repeated indices accumulating.

The backward of integer indexing and of embedding lookups.  ``np.add.at`` is the reference;
it is unbuffered and slow, while the kernel is one loop over rows.
"""
from __future__ import annotations

import numpy as np

from ._jit import jit, pick


def scatter_add_rows_ref(out: np.ndarray, idx: np.ndarray, src: np.ndarray) -> np.ndarray:
    """out: (V, D), idx: (N,) int, src: (N, D); out[idx[n]] += src[n]. Returns out."""
    np.add.at(out, idx, src)
    return out


@jit
def _scatter_add_rows_kernel(out, idx, src):
    n, d = src.shape
    for i in range(n):
        r = idx[i]
        for j in range(d):
            out[r, j] += src[i, j]
    return out


def _scatter_add_rows_numba(out, idx, src):
    # validate everything the loop relies on: it must never write out of bounds
    if out.ndim != 2 or src.ndim != 2 or idx.ndim != 1 or idx.dtype.kind not in "iu":
        raise ValueError(f"scatter_add_rows: expected out (V, D), idx (N,) int, src (N, D); "
                         f"got {out.shape}, {idx.shape} {idx.dtype}, {src.shape}")
    if src.shape != (idx.shape[0], out.shape[1]):
        raise ValueError(f"scatter_add_rows: src has shape {src.shape}; expected "
                         f"{(idx.shape[0], out.shape[1])}")
    if idx.size and (idx.min() < 0 or idx.max() >= out.shape[0]):
        raise IndexError(f"scatter_add_rows: index out of range for {out.shape[0]} rows")
    if src.shape[1] == 0 or not out.flags.c_contiguous or not out.flags.writeable:
        return scatter_add_rows_ref(out, idx, src)
    return _scatter_add_rows_kernel(out, np.ascontiguousarray(idx, dtype=np.int64),
                                    np.ascontiguousarray(src, dtype=out.dtype))


scatter_add_rows = pick(_scatter_add_rows_numba, scatter_add_rows_ref)
