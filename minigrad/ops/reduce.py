"""Reductions and the softmax family.

``dims`` is a sorted tuple of axes (``normalize_dims``).  The backward of a reduction gives
the gradient its reduced dimensions back (``expand_reduced``) and lets broadcasting spread it.
"""
from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..kernels import softmax as K


def normalize_dims(dim, ndim: int) -> tuple[int, ...]:
    """``dim`` as a sorted tuple of non-negative axes; raises IndexError when out of range.

    A 0-d tensor accepts dim 0 and -1 (as torch) and reduces nothing."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    n = max(ndim, 1)
    out = []
    for d in dims:
        if not isinstance(d, (int, np.integer)) or isinstance(d, bool):
            raise TypeError(f"dim must be an int or a tuple of ints, got {d!r}")
        if not -n <= d < n:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, "
                             f"{n - 1}], but got {d})")
        out.append(int(d) % n)
    return tuple(sorted(set(out))) if ndim else ()


def expand_reduced(g, dims: tuple[int, ...], keepdim: bool):
    """Give a reduced gradient back its size-1 dims so it broadcasts against the input."""
    return g if keepdim or not dims else np.expand_dims(g, dims)


def _count(shape: tuple[int, ...], dims: tuple[int, ...]) -> int:
    return int(np.prod([shape[d] for d in dims]))


# Reductions of float32 (or float16) arrays accumulate in float64 once a strided reduction is
# long: numpy sums pairwise only along the contiguous axis, so ``x.sum(0)`` of a tall float32
# array adds one row at a time and drifts (5e6 rows: ~2e-5 relative); torch's cascade sum
# does not. Short reductions (and the last axis, which numpy sums pairwise) stay float32:
# the float64 pass costs ~3x (2048 x 512 .sum(0): 220 -> 750 us). The engine's own
# un-broadcasting sums (bias gradients) do not come here.
_ACCURATE_FROM = 256


def accurate_sum(x: np.ndarray, dims: tuple[int, ...], keepdim: bool) -> np.ndarray:
    """``x.sum(dims)`` with float64 accumulation for long strided float32/float16 reductions."""
    if (x.dtype.kind == "f" and x.dtype.itemsize < 8 and dims
            and dims != (x.ndim - 1,) and _count(x.shape, dims) >= _ACCURATE_FROM):
        return np.asarray(x.sum(axis=dims, keepdims=keepdim, dtype=np.float64).astype(x.dtype))
    return np.asarray(x.sum(axis=dims, keepdims=keepdim))


class Sum(Function):
    """y = sum_dims x;  dy/dx = 1 (broadcast back)"""

    @staticmethod
    def forward(ctx, x, *, dims, keepdim):
        ctx.save_for_backward(x.shape)
        return accurate_sum(x, dims, keepdim)

    @staticmethod
    def backward(ctx, g):
        p = ctx.params
        return np.broadcast_to(expand_reduced(g, p["dims"], p["keepdim"]), ctx.saved[0])


class Mean(Function):
    """y = sum_dims x / n;  dy/dx = 1/n"""

    @staticmethod
    def forward(ctx, x, *, dims, keepdim):
        ctx.save_for_backward(x.shape)
        with np.errstate(invalid="ignore", divide="ignore"):
            n = _count(x.shape, dims)
            if not n:
                return np.asarray(x.mean(axis=dims, keepdims=keepdim))
            return np.asarray(accurate_sum(x, dims, keepdim) / x.dtype.type(n))

    @staticmethod
    def backward(ctx, g):
        p, shape = ctx.params, ctx.saved[0]
        n = _count(shape, p["dims"])
        return np.broadcast_to(expand_reduced(g, p["dims"], p["keepdim"]) / n, shape)


class Var(Function):
    """y = sum (x - mean)^2 / (n - correction);  dy/dx = 2 (x - mean) / (n - correction)"""

    @staticmethod
    def forward(ctx, x, *, dims, keepdim, correction):
        ctx.save_for_backward(x)
        denom = max(_count(x.shape, dims) - correction, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            n = max(_count(x.shape, dims), 1)
            centred = x - accurate_sum(x, dims, True) / x.dtype.type(n)
            return np.asarray(accurate_sum(centred * centred, dims, keepdim) / denom)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        p = ctx.params
        denom = max(_count(x.shape, p["dims"]) - p["correction"], 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            centred = x - x.mean(p["dims"], keepdims=True)
            return expand_reduced(g, p["dims"], p["keepdim"]) * (2.0 / denom) * centred


class MaxMin(Function):
    """y = max (or min) over dims.  The gradient goes to the extreme elements; with several
    equal extremes it is split evenly among them (torch's rule for amax/amin)."""

    @staticmethod
    def forward(ctx, x, *, dims, keepdim, is_max):
        y = x.max(axis=dims, keepdims=keepdim) if is_max else x.min(axis=dims, keepdims=keepdim)
        y = np.asarray(y)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        dims, keepdim = ctx.params["dims"], ctx.params["keepdim"]
        hit = (x == expand_reduced(y, dims, keepdim)) * 1.0
        return expand_reduced(g, dims, keepdim) * hit / hit.sum(dims, keepdims=True)


class MaxMinIndexed(Function):
    """(values, indices) = max (or min) along one dim, as ``torch.max(x, dim)``.
    The gradient goes to the returned index; the indices output has none."""

    @staticmethod
    def forward(ctx, x, *, dim, keepdim, is_max):
        idx = np.expand_dims(x.argmax(axis=dim) if is_max else x.argmin(axis=dim), dim)
        vals = np.take_along_axis(x, idx, axis=dim)
        ctx.save_for_backward(x.shape, idx)
        if not keepdim:
            vals, idx = np.squeeze(vals, dim), np.squeeze(idx, dim)
        return vals, idx.astype(np.int64)

    @staticmethod
    def backward(ctx, g, _g_indices):
        shape, idx = ctx.saved
        dim = ctx.params["dim"]
        positions = np.arange(shape[dim]).reshape((-1,) + (1,) * (len(shape) - dim - 1))
        return expand_reduced(g, (dim,), ctx.params["keepdim"]) * (positions == idx)


class Softmax(Function):
    """y_i = e^{x_i} / sum_j e^{x_j} along dim;  dx = y * (g - sum(g * y))"""

    @staticmethod
    def forward(ctx, x, *, dim):
        y = K.softmax(x, dim)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return K.softmax_backward(y, g, ctx.params["dim"])


class LogSoftmax(Function):
    """z_i = x_i - log sum_j e^{x_j} along dim;  dx = g - softmax(x) * sum(g)"""

    @staticmethod
    def forward(ctx, x, *, dim):
        z = K.log_softmax(x, dim)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, g):
        (z,) = ctx.saved_tensors
        return K.log_softmax_backward(z, g, ctx.params["dim"])


class LogSumExp(Function):
    """y = log sum_dims e^x (stable: the max is taken out first);  dy/dx = e^(x - y)"""

    @staticmethod
    def forward(ctx, x, *, dims, keepdim):
        y = K.logsumexp(x, dims, keepdim)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        dims, keepdim = ctx.params["dims"], ctx.params["keepdim"]
        return expand_reduced(g, dims, keepdim) * np.exp(x - expand_reduced(y, dims, keepdim))
