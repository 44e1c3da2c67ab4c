"""Binary arithmetic.  Inputs may broadcast: ``backward`` returns gradients of the broadcast
shape and the engine sums them back to each input's shape."""
from __future__ import annotations

import numpy as np

from ..autograd import Function


class Add(Function):
    """z = a + b;  dz/da = 1, dz/db = 1"""

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Function):
    """z = a - b;  dz/da = 1, dz/db = -1"""

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, g):
        return g, -g if ctx.needs_input_grad[1] else None


class Mul(Function):
    """z = a * b;  dz/da = b, dz/db = a"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad[:2]
        return (g * b if na else None), (g * a if nb else None)


class Div(Function):
    """z = a / b;  dz/da = 1/b, dz/db = -a/b^2"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = g / b
        return ga, (-ga * a / b if ctx.needs_input_grad[1] else None)


class Neg(Function):
    """z = -a;  dz/da = -1"""

    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, g):
        return -g


class Pow(Function):
    """z = a ** b;  dz/da = b a^(b-1), dz/db = a^b log a  (b's gradient needs a > 0)"""

    @staticmethod
    def forward(ctx, a, b):
        z = a ** b
        ctx.save_for_backward(a, b, z)
        return z

    @staticmethod
    def backward(ctx, g):
        a, b, z = ctx.saved_tensors
        ga = g * b * a ** (b - 1) if ctx.needs_input_grad[0] else None
        gb = None
        if ctx.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                gb = g * z * np.log(np.where(a > 0, a, 1))
        return ga, gb


class Maximum(Function):
    """z = max(a, b); the gradient goes to the larger input (split evenly on ties, as torch)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        wa = (a > b) + 0.5 * (a == b)
        return g * wa, g * (1 - wa)


class Minimum(Function):
    """z = min(a, b); the gradient goes to the smaller input (split evenly on ties)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        wa = (a < b) + 0.5 * (a == b)
        return g * wa, g * (1 - wa)


class Where(Function):
    """z = cond ? a : b;  dz/da = [cond], dz/db = [not cond]"""

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        (cond,) = ctx.saved_tensors
        zero = np.zeros((), g.dtype)
        return None, np.where(cond, g, zero), np.where(cond, zero, g)


class Clip(Function):
    """z = min(max(a, lo), hi);  dz/da = [lo <= a <= hi]"""

    @staticmethod
    def forward(ctx, a, lo, hi):
        ctx.save_for_backward(a, lo, hi)
        return np.clip(a, lo, hi).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        a, lo, hi = ctx.saved_tensors
        inside = np.ones(a.shape, bool)
        if lo is not None:
            inside &= a >= lo
        if hi is not None:
            inside &= a <= hi
        return g * inside, None, None
