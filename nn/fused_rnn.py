"""The fused recurrence as one autograd op: a whole layer-direction's forward and BPTT backward
each run in a single Numba call (``minigrad.kernels.recurrent``).  It computes exactly what
``rnn.run_direction_composed`` computes step by step; the tests hold the two equal."""
from __future__ import annotations

import numpy as np

from minigrad import Function, Tensor
from minigrad.kernels import recurrent as K

MODES = {"RNN_TANH": 0, "RNN_RELU": 1, "LSTM": 2, "GRU": 3}


class FusedRecurrence(Function):
    """(out, h_n, c_n) = recurrence(xp, h0, c0, W_hh, b_hh) over all T steps."""

    @staticmethod
    def forward(ctx, xp, h0, c0, w_hh, b_hh, mode, mask, reverse):
        out, hs, cs, acts, aux = K.recurrence_forward(mode, xp, h0, c0, w_hh, b_hh, mask,
                                                      reverse)
        ctx.save_for_backward(hs, cs, acts, aux, w_hh, mode, mask, reverse)
        return out, hs[-1].copy(), cs[-1].copy()

    @staticmethod
    def backward(ctx, dout, dh_n, dc_n):
        hs, cs, acts, aux, w_hh, mode, mask, reverse = ctx.saved_tensors
        dxp, dgh, dh0, dc0 = K.recurrence_backward(mode, dout, dh_n, dc_n, hs, cs, acts, aux,
                                                   w_hh, mask, reverse)
        T, B, G = dgh.shape
        h_prev = hs[:-1][::-1] if reverse else hs[:-1]  # time-ordered state before each step
        dw = dgh.reshape(T * B, G).T @ h_prev.reshape(T * B, -1)
        db = dgh.sum(axis=(0, 1))
        return dxp, dh0, dc0, dw, db, None, None, None


def run_direction_fused(mode: str, xp: Tensor, h: Tensor, c: Tensor | None, w_hh: Tensor,
                        b_hh: Tensor | None, mask: np.ndarray | None, reverse: bool):
    T, B, _ = xp.shape
    dt = xp.dtype
    m = np.ones((T, B), dt) if mask is None else mask.astype(dt)
    c0 = c if c is not None else np.zeros(h.shape, dt)
    b = b_hh if b_hh is not None else np.zeros(w_hh.shape[0], dt)
    out, h_n, c_n = FusedRecurrence.apply(xp, h, c0, w_hh, b, MODES[mode], m, reverse)
    return out, h_n, (c_n if mode == "LSTM" else None)
