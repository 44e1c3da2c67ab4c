"""The fused recurrence as one autograd op: a whole layer-direction's forward and BPTT backward
each run in a single Numba call (``nn.kernels.recurrent``).  It computes exactly what
``cells.run_direction_composed`` computes step by step; the tests hold the two equal.

Its backward is BPTT on arrays.  Under ``create_graph`` (a gradient of a gradient) it instead
differentiates the composed definition with ``mg.grad(..., create_graph=True)``: the
readable step-by-step recurrence *is* the differentiable backward rule.
"""
from __future__ import annotations

import numpy as np

import minigrad as mg
from minigrad import Function, Tensor

from .cells import run_direction_composed
from .kernels import recurrent as K
from .kernels.recurrent import Mode


class FusedRecurrence(Function):
    """(out, h_n, c_n) = recurrence(xp, h0, c0, W_hh, b_hh) over all T steps."""

    @staticmethod
    def forward(ctx, xp, h0, c0, w_hh, b_hh, *, mode, mask, reverse):
        out, hs, cs, acts, aux = K.recurrence_forward(mode, xp, h0, c0, w_hh, b_hh, mask,
                                                      reverse)
        ctx.save_for_backward(hs, cs, acts, aux, w_hh)
        return out, hs[-1].copy(), cs[-1].copy()

    @staticmethod
    def backward(ctx, dout, dh_n, dc_n):
        p = ctx.params
        if isinstance(dout, Tensor):  # create_graph: differentiate the composed definition
            return _composed_vjp(ctx, (dout, dh_n, dc_n))
        hs, cs, acts, aux, w_hh = ctx.saved_tensors
        dxp, dgh, dh0, dc0 = K.recurrence_backward(p["mode"], dout, dh_n, dc_n, hs, cs, acts,
                                                   aux, w_hh, p["mask"], p["reverse"])
        T, B, G = dgh.shape
        h_prev = hs[:-1][::-1] if p["reverse"] else hs[:-1]  # state before each step, by t
        dw = dgh.reshape(T * B, G).T @ h_prev.reshape(T * B, h_prev.shape[-1])  # B may be 0
        db = dgh.sum(axis=(0, 1))
        return dxp, dh0, dc0, dw, db


def _composed_vjp(ctx, grads):
    p = ctx.params
    xp, h0, c0, w_hh, b_hh = ctx.inputs
    mode = Mode(p["mode"])
    mask = None if p["mask"].all() else p["mask"].astype(bool)
    with mg.enable_grad():
        out, h, c = run_direction_composed(mode, xp, h0, c0 if mode == Mode.LSTM else None,
                                           w_hh, b_hh, mask, p["reverse"])
    outs = [out, h] + ([c] if mode == Mode.LSTM else [])
    wanted = [(j, t) for j, t in enumerate(ctx.inputs)
              if ctx.needs_input_grad[j] and isinstance(t, Tensor)]
    gs = mg.grad(outs, [t for _, t in wanted], list(grads[:len(outs)]), create_graph=True,
                 allow_unused=True)
    res: list = [None] * 5
    for (j, _), g in zip(wanted, gs):
        res[j] = g
    return tuple(res)


def run_direction_fused(mode: Mode, xp: Tensor, h: Tensor, c: Tensor | None, w_hh: Tensor,
                        b_hh: Tensor | None, mask: np.ndarray | None, reverse: bool):
    T, B, _ = xp.shape
    dt = xp.dtype
    m = np.ones((T, B), dt) if mask is None else mask.astype(dt)
    c0 = c if c is not None else Tensor(np.zeros(h.shape, dt))
    b = b_hh if b_hh is not None else Tensor(np.zeros(w_hh.shape[0], dt))
    out, h_n, c_n = FusedRecurrence.apply(xp, h, c0, w_hh, b, mode=int(mode), mask=m,
                                          reverse=reverse)
    return out, h_n, (c_n if mode == Mode.LSTM else None)
