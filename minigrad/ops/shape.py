"""Ops that move elements without changing them; each backward moves the gradient back."""
from __future__ import annotations

import numpy as np

from ..autograd import Function


class Reshape(Function):
    """y = x viewed with a new shape;  dx = g reshaped back"""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.save_for_backward(x.shape)
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.saved_tensors[0]), None


class Permute(Function):
    """y = x with axes reordered;  dx = g with the inverse order"""

    @staticmethod
    def forward(ctx, x, dims):
        ctx.save_for_backward(dims)
        return np.transpose(x, dims)

    @staticmethod
    def backward(ctx, g):
        return np.transpose(g, np.argsort(ctx.saved_tensors[0])), None


class Expand(Function):
    """y = x broadcast to ``shape``;  dx = g summed over the copies (done by the engine)"""

    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return g, None


class Cat(Function):
    """y = concatenate(x_1..x_n, dim);  dx_i = the slice of g that came from x_i"""

    @staticmethod
    def forward(ctx, dim, *xs):
        ctx.save_for_backward(dim, np.cumsum([x.shape[dim] for x in xs])[:-1])
        return np.concatenate(xs, axis=dim)

    @staticmethod
    def backward(ctx, g):
        dim, bounds = ctx.saved_tensors
        return (None, *np.split(g, bounds, axis=dim))


class Copy(Function):
    """y = a copy of x;  dx = g  (used where a result must not share memory with x)"""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g
