"""Ops that move elements without changing them; each backward moves the gradient back."""
from __future__ import annotations

import numpy as np

from ..autograd import Function


class Reshape(Function):
    """y = x viewed with a new shape;  dx = g reshaped back"""

    returns_view = True

    @staticmethod
    def forward(ctx, x, *, shape):
        ctx.save_for_backward(x.shape)
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.saved[0])


class Permute(Function):
    """y = x with axes reordered;  dx = g with the inverse order"""

    returns_view = True

    @staticmethod
    def forward(ctx, x, *, dims):
        return np.transpose(x, dims)

    @staticmethod
    def backward(ctx, g):
        return np.transpose(g, tuple(np.argsort(ctx.params["dims"])))


class Expand(Function):
    """y = x broadcast to ``shape``;  dx = g summed over the copies (done by the engine)"""

    returns_view = True

    @staticmethod
    def forward(ctx, x, *, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return g


class Cat(Function):
    """y = concatenate(x_1..x_n, dim);  dx_i = the slice of g that came from x_i"""

    @staticmethod
    def forward(ctx, *xs, dim):
        ctx.save_for_backward(np.cumsum([x.shape[dim] for x in xs])[:-1])
        return np.concatenate(xs, axis=dim)

    @staticmethod
    def backward(ctx, g):
        return tuple(np.split(g, ctx.saved[0], axis=ctx.params["dim"]))


class Copy(Function):
    """y = a copy of x;  dx = g  (where a result must not share memory with x)"""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g


class Cast(Function):
    """y = x converted to another floating dtype;  dx = g converted back (by the engine)"""

    @staticmethod
    def forward(ctx, x, *, dtype):
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g
