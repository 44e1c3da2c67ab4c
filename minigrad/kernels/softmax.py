"""Softmax, log-softmax and logsumexp along one axis, forward and backward.

Maths, along the axis, with m = max(x) taken out first so exp never overflows:
    softmax      y = e / sum(e),  e = exp(x - m)      backward: dx = y * (g - sum(g * y))
    log_softmax  z = (x - m) - log(sum(e))            backward: dx = g - exp(z) * sum(g)
    logsumexp    l = m + log(sum(e))                  backward: dx = g * exp(x - l)
Dividing by the sum (rather than subtracting a rounded log-sum) keeps every row exactly
normalised at any size and magnitude, as torch's rows are.

The references work on any axis (and the backward ones on Tensors too, for create_graph); the
kernels work on a contiguous 2-D view (rows, n) with the axis moved last, and pay below a few
thousand elements, where one fused pass beats numpy's temporaries.
"""
from __future__ import annotations

import numpy as np

from ._jit import jit, pick


def _max_finite(x: np.ndarray, dim, keepdims: bool = True) -> np.ndarray:
    m = x.max(axis=dim, keepdims=keepdims, initial=-np.inf)
    return np.where(np.isfinite(m), m, 0)


def softmax_ref(x: np.ndarray, dim: int) -> np.ndarray:
    e = np.exp(x - _max_finite(x, dim))
    return e / e.sum(axis=dim, keepdims=True)


def log_softmax_ref(x: np.ndarray, dim: int) -> np.ndarray:
    shifted = x - _max_finite(x, dim)
    return shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))


def logsumexp_ref(x: np.ndarray, dims: tuple, keepdim: bool) -> np.ndarray:
    if not dims:
        return x.copy()
    if x.size == 0:
        return np.log(np.zeros(np.sum(x, axis=dims, keepdims=keepdim).shape, x.dtype))
    m = _max_finite(x, dims)
    out = m + np.log(np.exp(x - m).sum(axis=dims, keepdims=True))
    return np.asarray(out if keepdim else np.squeeze(out, dims)).astype(x.dtype, copy=False)


def softmax_backward_ref(y, g, dim: int):
    return y * (g - (g * y).sum(dim, keepdims=True))


def log_softmax_backward_ref(z, g, dim: int):
    return g - np.exp(z) * g.sum(dim, keepdims=True)


@jit
def _lse_kernel(x):
    r, n = x.shape
    out = np.empty(r, x.dtype)
    for i in range(r):
        m = -np.inf
        for j in range(n):
            if x[i, j] > m:
                m = x[i, j]
        if not np.isfinite(m):
            m = 0.0
        s = 0.0
        for j in range(n):
            s += np.exp(x[i, j] - m)
        out[i] = m + np.log(s)
    return out


@jit
def _softmax_kernel(x, log):
    r, n = x.shape
    out = np.empty_like(x)
    for i in range(r):
        m = -np.inf
        for j in range(n):
            if x[i, j] > m:
                m = x[i, j]
        if not np.isfinite(m):
            m = 0.0
        s = 0.0
        for j in range(n):
            s += np.exp(x[i, j] - m)
        if log:
            ls = np.log(s)
            for j in range(n):
                out[i, j] = (x[i, j] - m) - ls
        else:
            for j in range(n):
                out[i, j] = np.exp(x[i, j] - m) / s
    return out


@jit
def _softmax_backward_kernel(y, g, log):
    r, n = y.shape
    out = np.empty_like(y)
    for i in range(r):
        s = 0.0
        if log:
            for j in range(n):
                s += g[i, j]
            for j in range(n):
                out[i, j] = g[i, j] - np.exp(y[i, j]) * s
        else:
            for j in range(n):
                s += g[i, j] * y[i, j]
            for j in range(n):
                out[i, j] = y[i, j] * (g[i, j] - s)
    return out


def _rows(x: np.ndarray, dim: int) -> np.ndarray:
    """x as a C-contiguous (rows, x.shape[dim]) array with ``dim`` last."""
    return np.ascontiguousarray(np.moveaxis(x, dim, -1).reshape(-1, x.shape[dim]))


def _unrows(r: np.ndarray, like: np.ndarray, dim: int) -> np.ndarray:
    moved = np.moveaxis(like, dim, -1).shape
    return np.moveaxis(r.reshape(moved), -1, dim)


# Measured (benchmarks/run.py): the scalar loop beats numpy up to a few thousand elements
# (4.5-5x on one row of 32: no temporaries, one call); beyond that numpy's SIMD exp wins.
# Crossovers: log_softmax and logsumexp about 2048 elements, softmax about 800.
SMALL = 2048


def _fits(x: np.ndarray, limit: int = SMALL) -> bool:
    """Small, non-empty, floating: the cases the kernels handle (validated before entry)."""
    return 0 < x.size <= limit and x.ndim > 0 and x.dtype.kind == "f"


def _softmax_fast(x, dim):
    if not _fits(x, 512):
        return softmax_ref(x, dim)
    return _unrows(_softmax_kernel(_rows(x, dim), False), x, dim)


def _log_softmax_fast(x, dim):
    if not _fits(x):
        return log_softmax_ref(x, dim)
    return _unrows(_softmax_kernel(_rows(x, dim), True), x, dim)


def _logsumexp_fast(x, dims, keepdim):
    if not _fits(x) or len(dims) != 1:
        return logsumexp_ref(x, dims, keepdim)
    (d,) = dims
    out_shape = np.moveaxis(x, d, -1).shape[:-1]
    y = _lse_kernel(_rows(x, d)).reshape(out_shape)
    return np.expand_dims(y, d) if keepdim else y


def _backward_fast(log: bool):
    ref = log_softmax_backward_ref if log else softmax_backward_ref

    def run(y, g, dim):
        if not _fits(y) or g.shape != y.shape or g.dtype != y.dtype:
            return ref(y, g, dim)
        return _unrows(_softmax_backward_kernel(_rows(y, dim), _rows(g, dim), log), y, dim)

    return run


softmax = pick(_softmax_fast, softmax_ref)
log_softmax = pick(_log_softmax_fast, log_softmax_ref)
logsumexp = pick(_logsumexp_fast, logsumexp_ref)
softmax_backward = pick(_backward_fast(False), softmax_backward_ref)
log_softmax_backward = pick(_backward_fast(True), log_softmax_backward_ref)
