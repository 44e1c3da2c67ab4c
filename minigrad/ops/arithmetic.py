"""Binary arithmetic.  Inputs may broadcast: ``backward`` returns gradients of the broadcast
shape and the engine sums them back to each input's shape.

Every backward rule uses only operations that numpy arrays and Tensors both support, so the
same line computes the fast gradient (arrays) and the differentiable one (create_graph).
"""
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
        return g, (-g if ctx.needs_input_grad[1] else None)


class Mul(Function):
    """z = a * b;  dz/da = b, dz/db = a"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
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
    """z = a ** b;  dz/da = b a^(b-1), dz/db = a^b log a  (b's gradient is 0 where a <= 0... as
    torch: taken at a = 1 there)"""

    @staticmethod
    def forward(ctx, a, b):
        z = a ** b
        ctx.save_for_backward(a, b, z)
        return z

    @staticmethod
    def backward(ctx, g):
        a, b, z = ctx.saved_tensors
        ga = gb = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if ctx.needs_input_grad[0]:
                ga = g * b * a ** (b - 1)
                ga = np.where(b == 0, 0.0 * g, ga)  # d/da a^0 = 0, also at a = 0
            if ctx.needs_input_grad[1]:
                gb = g * z * np.log(np.where(a > 0, a, 1.0))
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
        wa = (a > b) * 1.0 + (a == b) * 0.5
        return g * wa, g * (1.0 - wa)


class Minimum(Function):
    """z = min(a, b); the gradient goes to the smaller input (split evenly on ties)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        wa = (a < b) * 1.0 + (a == b) * 0.5
        return g * wa, g * (1.0 - wa)


class Where(Function):
    """z = a where cond else b;  dz/da = [cond], dz/db = [not cond]"""

    @staticmethod
    def forward(ctx, a, b, *, cond):
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        cond = ctx.params["cond"]
        zero = g * 0.0
        return np.where(cond, g, zero), np.where(cond, zero, g)


class Clamp(Function):
    """z = min(max(a, lo), hi);  dz/da = [lo <= a <= hi];  the bounds (when tensors) get the
    gradient where they are the result (torch's rule, including lo > hi where hi wins)."""

    @staticmethod
    def forward(ctx, a, lo, hi):
        ctx.save_for_backward(a, lo, hi)
        z = a if lo is None else np.maximum(a, lo)
        return (z if hi is None else np.minimum(z, hi)).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        a, lo, hi = ctx.saved_tensors
        zero = g * 0.0
        inside = True
        if lo is not None:
            inside = (a >= lo) & inside
        if hi is not None:
            inside = (a <= hi) & inside
        ga = np.where(inside, g, zero)
        glo = ghi = None
        if ctx.needs_input_grad[1]:
            pick = a < lo if hi is None else (a < lo) & (lo <= hi)
            glo = np.where(pick, g, zero)
        if ctx.needs_input_grad[2]:
            pick = a > hi if lo is None else (a > hi) | (lo > hi)
            ghi = np.where(pick, g, zero)
        return ga, glo, ghi
