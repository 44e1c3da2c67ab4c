"""GELU, the activation built on the error function.

    gelu(x) = x Phi(x),  Phi(x) = (1 + erf(x / sqrt 2)) / 2

erf itself lives in the engine (Cody's numpy reference and the Numba kernel in
``minigrad.kernels.erf``, the ``Erf`` op in ``minigrad.ops.pointwise``); it is re-exported
here for the code that imported it from nn.
"""
from __future__ import annotations

import math

import numpy as np

from minigrad import Function
from minigrad.kernels.erf import erf_np, erf_ref
from minigrad.kernels.erf import erf_numba as _erf_numba
from minigrad.ops.pointwise import Erf

__all__ = ["Erf", "Gelu", "erf_np", "erf_ref", "_erf_numba"]

_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


class Gelu(Function):
    """gelu(x) = x Phi(x);  d/dx = Phi(x) + x phi(x), phi(x) = e^{-x^2/2} / sqrt(2 pi).

    approximate='tanh': Phi(x) ~ (1 + t) / 2, t = tanh u, u = sqrt(2/pi) (x + 0.044715 x^3);
    d/dx = (1 + t) / 2 + x (1 - t^2) u'(x) / 2."""

    @staticmethod
    def forward(ctx, x, approximate="none"):
        if approximate == "tanh":
            t = np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x ** 3))
            ctx.save_for_backward(x, t, approximate)
            return 0.5 * x * (1 + t)
        cdf = 0.5 * (1 + erf_np(x * math.sqrt(0.5)))
        ctx.save_for_backward(x, cdf, approximate)
        return x * cdf

    @staticmethod
    def backward(ctx, g):
        x, s, approximate = ctx.saved_tensors
        if not isinstance(x, np.ndarray):  # create_graph: s must depend on x (double backward)
            s = ((_SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)).tanh() if approximate == "tanh"
                else 0.5 * (1 + Erf.apply(x * math.sqrt(0.5))))
        if approximate == "tanh":
            du = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            return g * (0.5 * (1 + s) + 0.5 * x * (1 - s * s) * du)
        return g * (s + x * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi))
