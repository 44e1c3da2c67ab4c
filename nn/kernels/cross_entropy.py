"""Fused softmax + cross-entropy over rows, forward and backward in one pass.

Per row x (C logits) with target t and label smoothing e:
    lse = log sum exp x;   loss = (1 - e) (lse - x_t) + e (lse - mean(x))
    dloss/dx = softmax(x) - (1 - e) onehot(t) - e / C
Rows whose target is ``ignore_index`` get loss 0 and gradient 0.
"""
from __future__ import annotations

import numpy as np

from minigrad.kernels import jit, pick


def cross_entropy_rows_ref(x: np.ndarray, t: np.ndarray, ignore_index: int,
                           smoothing: float) -> tuple[np.ndarray, np.ndarray]:
    """-> (loss per row (N,), gradient of each row's loss (N, C))."""
    n, c = x.shape
    keep = t != ignore_index
    tt = np.where(keep, t, 0)
    m = x.max(1, keepdims=True)
    lse = m + np.log(np.exp(x - m).sum(1, keepdims=True))
    picked = np.take_along_axis(x, tt[:, None], 1)
    loss = (lse - picked)[:, 0]
    if smoothing:  # (skipped at 0: a -inf logit makes the mean -inf, and 0 * inf is nan)
        loss = (1 - smoothing) * loss + smoothing * (lse[:, 0] - x.mean(1))
    grad = np.exp(x - lse) - smoothing / c
    grad[np.arange(n), tt] -= 1 - smoothing
    return np.where(keep, loss, 0).astype(x.dtype), np.where(keep[:, None], grad, 0).astype(
        x.dtype)


@jit
def _ce_kernel(x, t, ignore_index, smoothing):
    n, c = x.shape
    loss = np.zeros(n, x.dtype)
    grad = np.zeros((n, c), x.dtype)
    for i in range(n):
        if t[i] == ignore_index:
            continue
        m = x[i, 0]
        for j in range(1, c):
            if x[i, j] > m:
                m = x[i, j]
        s = 0.0
        tot = 0.0
        for j in range(c):
            e = np.exp(x[i, j] - m)
            grad[i, j] = e
            s += e
            tot += x[i, j]
        lse = m + np.log(s)
        loss[i] = lse - x[i, t[i]]
        if smoothing != 0:
            loss[i] = (1 - smoothing) * loss[i] + smoothing * (lse - tot / c)
        inv = 1.0 / s
        for j in range(c):
            grad[i, j] = grad[i, j] * inv - smoothing / c
        grad[i, t[i]] -= 1 - smoothing
    return loss, grad


SMALL = 8192  # measured: the fused loop wins below this many logits, numpy's SIMD above
BLOCK = 16384  # logits per block of the numpy path: its few passes stay in the L2 cache


def cross_entropy_rows_blocked(x: np.ndarray, t: np.ndarray, ignore_index: int,
                               smoothing: float) -> tuple[np.ndarray, np.ndarray]:
    """The reference's maths for large inputs (Numba's scalar ``exp`` loses to numpy's SIMD
    one there): rows in cache-sized blocks, each written in place into the outputs with one
    exp per logit (gradient = e / sum(e) rather than exp(x - lse)), blocks spread over the
    threads in force (``minigrad.threads.parallel_rows``).  Equal to the reference at float
    rounding."""
    n, c = x.shape
    loss = np.empty(n, x.dtype)
    grad = np.empty((n, c), x.dtype)
    keep = t != ignore_index
    tt = np.where(keep, t, 0)

    step = max(1, BLOCK // max(c, 1))
    for a in range(0, n, step):
        b = min(a + step, n)
        xb, gb = x[a:b], grad[a:b]
        m = xb.max(1, keepdims=True)
        np.subtract(xb, m, out=gb)
        np.exp(gb, out=gb)
        s = gb.sum(1, keepdims=True)
        lse = (m + np.log(s))[:, 0]
        r = np.arange(a, b)
        lb = lse - x[r, tt[a:b]]
        if smoothing:
            lb = (1 - smoothing) * lb + smoothing * (lse - xb.mean(1))
        loss[a:b] = lb
        gb *= 1 / s
        if smoothing:
            gb -= smoothing / c
        grad[r, tt[a:b]] -= 1 - smoothing
    if not keep.all():
        loss[~keep] = 0
        grad[~keep] = 0
    return loss, grad


def _ce_numba(x, t, ignore_index, smoothing):
    if x.size > SMALL:
        return cross_entropy_rows_blocked(x, np.asarray(t), ignore_index, smoothing)
    return _ce_kernel(np.ascontiguousarray(x), np.ascontiguousarray(t, dtype=np.int64),
                      int(ignore_index), float(smoothing))


cross_entropy_rows = pick(_ce_numba, cross_entropy_rows_ref)
