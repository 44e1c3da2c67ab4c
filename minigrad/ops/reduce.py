"""Reductions and the softmax family.

``dim`` is None (all dimensions), an int or a tuple.  The backward of a reduction re-inserts
the reduced dimensions (``expand_reduced``) and lets broadcasting spread the gradient.
"""
from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..kernels import softmax as K


def normalize_dims(dim, ndim: int) -> tuple[int, ...]:
    """``dim`` as a sorted tuple of non-negative axes; raises IndexError when out of range."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    out = []
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(f"dimension {d} is out of range for a tensor with {ndim} dims "
                             f"(expected a value in [{-max(ndim, 1)}, {max(ndim, 1) - 1}])")
        out.append(int(d) % max(ndim, 1))
    return tuple(sorted(set(out))) if ndim else ()


def expand_reduced(g: np.ndarray, dims: tuple[int, ...], keepdim: bool) -> np.ndarray:
    """Give a reduced gradient back its size-1 dims so it broadcasts against the input."""
    return g if keepdim or not dims else np.expand_dims(g, dims)


def kept_shape(shape: tuple[int, ...], dims: tuple[int, ...]) -> tuple[int, ...]:
    """``shape`` with the reduced dims set to 1 (the keepdim=True result shape)."""
    return tuple(1 if i in dims else n for i, n in enumerate(shape))


class Sum(Function):
    """y = sum_dims x;  dy/dx = 1 (broadcast back)"""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.save_for_backward(x.shape, kept_shape(x.shape, dims))
        return np.asarray(x.sum(axis=dims, keepdims=keepdim))

    @staticmethod
    def backward(ctx, g):
        shape, kept = ctx.saved_tensors
        return np.broadcast_to(g.reshape(kept), shape), None, None


class Mean(Function):
    """y = sum_dims x / n;  dy/dx = 1/n"""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        n = int(np.prod([x.shape[d] for d in dims]))
        ctx.save_for_backward(x.shape, kept_shape(x.shape, dims), n)
        return np.asarray(x.mean(axis=dims, keepdims=keepdim))

    @staticmethod
    def backward(ctx, g):
        shape, kept, n = ctx.saved_tensors
        return np.broadcast_to(g.reshape(kept) / n, shape), None, None


class Var(Function):
    """y = sum (x - mean)^2 / (n - correction);  dy/dx = 2 (x - mean) / (n - correction)"""

    @staticmethod
    def forward(ctx, x, dims, keepdim, correction):
        n = int(np.prod([x.shape[d] for d in dims]))
        centred = x - x.mean(axis=dims, keepdims=True)
        denom = max(n - correction, 0)
        ctx.save_for_backward(centred, dims, keepdim, denom)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray((centred ** 2).sum(axis=dims, keepdims=keepdim) / denom)

    @staticmethod
    def backward(ctx, g):
        centred, dims, keepdim, denom = ctx.saved_tensors
        return expand_reduced(g, dims, keepdim) * 2 * centred / denom, None, None, None


class MaxMin(Function):
    """y = max (or min) over dims.  The gradient goes to the extreme elements; with several
    equal extremes it is split evenly among them (torch's rule for amax/amin)."""

    @staticmethod
    def forward(ctx, x, dims, keepdim, is_max):
        y = x.max(axis=dims, keepdims=True) if is_max else x.min(axis=dims, keepdims=True)
        ctx.save_for_backward(x, y, dims, keepdim)
        return y if keepdim else np.squeeze(y, axis=dims)

    @staticmethod
    def backward(ctx, g):
        x, y, dims, keepdim = ctx.saved_tensors
        hit = x == y
        count = hit.sum(axis=dims, keepdims=True)
        return expand_reduced(g, dims, keepdim) * hit / count, None, None, None


class MaxMinIndexed(Function):
    """(values, indices) = max (or min) along one dim, as ``torch.max(x, dim)``.
    The gradient goes to the returned index."""

    @staticmethod
    def forward(ctx, x, dim, keepdim, is_max):
        idx = np.expand_dims(x.argmax(axis=dim) if is_max else x.argmin(axis=dim), dim)
        vals = np.take_along_axis(x, idx, axis=dim)
        ctx.save_for_backward(x.shape, idx, dim, keepdim)
        if not keepdim:
            vals, idx = np.squeeze(vals, dim), np.squeeze(idx, dim)
        return vals, idx.astype(np.int64)

    @staticmethod
    def backward(ctx, g, _gidx):
        shape, idx, dim, keepdim = ctx.saved_tensors
        out = np.zeros(shape, g.dtype)
        np.put_along_axis(out, idx, expand_reduced(g, (dim,), keepdim), axis=dim)
        return out, None, None, None


def _rows(x: np.ndarray, dim: int) -> tuple[np.ndarray, tuple]:
    """View x as (rows, x.shape[dim]) with ``dim`` last; return the view and how to undo it."""
    moved = np.moveaxis(x, dim, -1)
    return moved.reshape(-1, x.shape[dim] if x.ndim else 1), (moved.shape, dim)


def _unrows(r: np.ndarray, how: tuple) -> np.ndarray:
    shape, dim = how
    return np.moveaxis(r.reshape(shape), -1, dim) if len(shape) else r.reshape(())


class Softmax(Function):
    """y_i = e^{x_i} / sum_j e^{x_j};  dx = y * (g - sum(g * y))"""

    @staticmethod
    def forward(ctx, x, dim):
        r, how = _rows(x, dim)
        y = K.softmax_rows(r)
        ctx.save_for_backward(y, how)
        return _unrows(y, how)

    @staticmethod
    def backward(ctx, g):
        y, how = ctx.saved_tensors
        return _unrows(K.softmax_rows_backward(y, _rows(g, how[1])[0]), how), None


class LogSoftmax(Function):
    """z_i = x_i - log sum_j e^{x_j};  dx = g - softmax(x) * sum(g)"""

    @staticmethod
    def forward(ctx, x, dim):
        r, how = _rows(x, dim)
        z = K.log_softmax_rows(r)
        ctx.save_for_backward(z, how)
        return _unrows(z, how)

    @staticmethod
    def backward(ctx, g):
        z, how = ctx.saved_tensors
        return _unrows(K.log_softmax_rows_backward(z, _rows(g, how[1])[0]), how), None


class LogSumExp(Function):
    """y = log sum_dims e^x (stable: the max is taken out first);  dy/dx = softmax(x)"""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        # move the reduced dims last and flatten them into one row per kept position
        kept = [d for d in range(x.ndim) if d not in dims]
        moved = np.transpose(x, kept + list(dims))
        outer = moved.shape[: len(kept)]
        rows = moved.reshape(int(np.prod(outer)), -1)
        lse = K.logsumexp_rows(rows)
        y = lse.reshape(outer)
        ctx.save_for_backward(x, dims, keepdim, np.expand_dims(y, dims) if dims else y)
        return np.expand_dims(y, dims) if keepdim and dims else y

    @staticmethod
    def backward(ctx, g):
        x, dims, keepdim, y_keep = ctx.saved_tensors
        return expand_reduced(g, dims, keepdim) * np.exp(x - y_keep), None, None
