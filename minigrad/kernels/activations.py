"""Fused backward of elementwise activations: one pass instead of numpy's temporaries.

    tanh:    dx = g * (1 - y^2)        (y = tanh x, saved by the forward)
    sigmoid: dx = g * y * (1 - y)      (y = sigmoid x)
    relu:    dx = g * [x > 0]
"""
from __future__ import annotations

import numpy as np

from ._jit import jit, pick


def tanh_backward_ref(y: np.ndarray, g: np.ndarray) -> np.ndarray:
    return g * (1 - y * y)


def sigmoid_backward_ref(y: np.ndarray, g: np.ndarray) -> np.ndarray:
    return g * y * (1 - y)


def relu_backward_ref(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    return g * (x > 0)


@jit
def _act_backward_kernel(y, g, kind):
    out = np.empty_like(y)
    yf = y.ravel()
    gf = g.ravel()
    of = out.ravel()
    for i in range(yf.size):
        v = yf[i]
        if kind == 0:
            of[i] = gf[i] * (1 - v * v)
        elif kind == 1:
            of[i] = gf[i] * v * (1 - v)
        else:
            of[i] = gf[i] if v > 0 else 0.0
    return out


def _fused(kind: int):
    def run(y, g):
        if y.size < 4096 or y.shape != g.shape:
            # numpy wins on tiny arrays (no call overhead); broadcasting stays numpy's job
            return _REFS[kind](y, g)
        return _act_backward_kernel(np.ascontiguousarray(y),
                                    np.ascontiguousarray(g, dtype=y.dtype), kind)
    return run


_REFS = (tanh_backward_ref, sigmoid_backward_ref, relu_backward_ref)
tanh_backward = pick(_fused(0), tanh_backward_ref)
sigmoid_backward = pick(_fused(1), sigmoid_backward_ref)
relu_backward = pick(_fused(2), relu_backward_ref)
