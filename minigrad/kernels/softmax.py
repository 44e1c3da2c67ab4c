"""Softmax, log-softmax and logsumexp over the last axis, forward and backward.

All three work on a 2-D view (rows, n): the ops move the reduced axis last and reshape.
Maths, per row x:
    m = max(x);  lse = m + log(sum(exp(x - m)))
    softmax y = exp(x - lse)       backward: dx = y * (g - sum(g * y))
    log_softmax z = x - lse        backward: dx = g - exp(z) * sum(g)
    logsumexp                      backward: dx = g_row * softmax(x)
"""
from __future__ import annotations

import numpy as np

from ._jit import jit, pick


def logsumexp_rows_ref(x: np.ndarray) -> np.ndarray:
    m = x.max(axis=1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    return (m + np.log(np.exp(x - m).sum(axis=1, keepdims=True)))[:, 0]


def softmax_rows_ref(x: np.ndarray) -> np.ndarray:
    return np.exp(x - logsumexp_rows_ref(x)[:, None])


def log_softmax_rows_ref(x: np.ndarray) -> np.ndarray:
    return x - logsumexp_rows_ref(x)[:, None]


def softmax_rows_backward_ref(y: np.ndarray, g: np.ndarray) -> np.ndarray:
    return y * (g - (g * y).sum(axis=1, keepdims=True))


def log_softmax_rows_backward_ref(z: np.ndarray, g: np.ndarray) -> np.ndarray:
    return g - np.exp(z) * g.sum(axis=1, keepdims=True)


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
        lse = m + np.log(s)
        for j in range(n):
            out[i, j] = x[i, j] - lse if log else np.exp(x[i, j] - lse)
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


def _c(a):
    return np.ascontiguousarray(a)


# Measured (benchmarks/run.py): the scalar loop beats numpy up to a few thousand elements
# (4.5-5x on one row of 32: no temporaries, one call); beyond that numpy's SIMD exp wins.
# Crossovers: log_softmax and logsumexp about 2048 elements, softmax about 800.
SMALL = 2048


def _small(kernel, ref, limit=SMALL):
    return lambda x, *rest: kernel(x, *rest) if x.size <= limit else ref(x, *rest)


logsumexp_rows = pick(_small(lambda x: _lse_kernel(_c(x)), logsumexp_rows_ref),
                      logsumexp_rows_ref)
softmax_rows = pick(_small(lambda x: _softmax_kernel(_c(x), False), softmax_rows_ref, 512),
                    softmax_rows_ref)
log_softmax_rows = pick(_small(lambda x: _softmax_kernel(_c(x), True), log_softmax_rows_ref),
                        log_softmax_rows_ref)
softmax_rows_backward = pick(
    _small(lambda y, g: _softmax_backward_kernel(_c(y), _c(g), False), softmax_rows_backward_ref),
    softmax_rows_backward_ref)
log_softmax_rows_backward = pick(
    _small(lambda z, g: _softmax_backward_kernel(_c(z), _c(g), True),
           log_softmax_rows_backward_ref), log_softmax_rows_backward_ref)
