"""One time step of each recurrent cell, written with ordinary tensor ops (the reference the
fused kernels must match), and the three ``*Cell`` modules.

Gate layouts follow PyTorch: LSTM rows of W are (i, f, g, o), GRU rows are (r, z, n).

    RNN:  h' = act(W_ih x + b_ih + W_hh h + b_hh)
    LSTM: i, f, g, o = split(W_ih x + b_ih + W_hh h + b_hh)
          c' = sigmoid(f) c + sigmoid(i) tanh(g);  h' = sigmoid(o) tanh(c')
    GRU:  r = sigmoid(x_r + h_r);  z = sigmoid(x_z + h_z);  n = tanh(x_n + r * h_n)
          h' = (1 - z) n + z h      where x_* = W_i* x + b_i*, h_* = W_h* h + b_h*
"""
from __future__ import annotations

import math

import numpy as np

import minigrad as mg
from minigrad import Tensor

from .kernels.recurrent import GATES, Mode
from .module import Module, uniform_


def _affine(x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
    y = x @ w.T
    return y + b if b is not None else y


def rnn_step(xp: Tensor, h: Tensor, w_hh: Tensor, b_hh, nonlinearity: str = "tanh") -> Tensor:
    """``xp`` is the input projection W_ih x + b_ih (computed for all steps at once)."""
    pre = xp + _affine(h, w_hh, b_hh)
    return pre.tanh() if nonlinearity == "tanh" else pre.relu()


def lstm_step(xp: Tensor, h: Tensor, c: Tensor, w_hh: Tensor, b_hh) -> tuple[Tensor, Tensor]:
    gates = xp + _affine(h, w_hh, b_hh)
    i, f, g, o = gates.chunk(4, -1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


def gru_step(xp: Tensor, h: Tensor, w_hh: Tensor, b_hh) -> Tensor:
    xr, xz, xn = xp.chunk(3, -1)
    hr, hz, hn = _affine(h, w_hh, b_hh).chunk(3, -1)
    r = (xr + hr).sigmoid()
    z = (xz + hz).sigmoid()
    n = (xn + r * hn).tanh()
    return (1.0 - z) * n + z * h




def run_direction_composed(mode: Mode, xp: Tensor, h: Tensor, c: Tensor | None, w_hh: Tensor,
                           b_hh: Tensor | None, mask: np.ndarray | None, reverse: bool):
    """The reference recurrence, one tensor-op step at a time.  Returns (out, h_n, c_n)."""
    T = xp.shape[0]
    outs: list[Tensor | None] = [None] * T
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        if mode == Mode.LSTM:
            hn, cn = lstm_step(xp[t], h, c, w_hh, b_hh)
        elif mode == Mode.GRU:
            hn, cn = gru_step(xp[t], h, w_hh, b_hh), None
        else:
            hn, cn = rnn_step(xp[t], h, w_hh, b_hh,
                              "tanh" if mode == Mode.RNN_TANH else "relu"), None
        if mask is None:
            h, c, outs[t] = hn, cn, hn
        else:
            m = mg.tensor(mask[t][:, None])
            h = mg.where(m, hn, h)
            c = mg.where(m, cn, c) if cn is not None else None
            outs[t] = mg.where(m, hn, 0.0)
    return mg.stack(outs, 0), h, c



class _CellBase(Module):
    mode = Mode.RNN_TANH

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        g = GATES[self.mode] * hidden_size
        k = 1 / math.sqrt(hidden_size)
        self.weight_ih = uniform_((g, input_size), k)
        self.weight_hh = uniform_((g, hidden_size), k)
        self.bias_ih = uniform_((g,), k) if bias else None
        self.bias_hh = uniform_((g,), k) if bias else None

    def _prep(self, x: Tensor, hx):
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(f"{type(self).__name__}: expected input (batch, {self.input_size})"
                             f" or ({self.input_size},), got {x.shape}")
        batched = x.ndim == 2
        x = x if batched else x.unsqueeze(0)
        _same_dtype(self, x, hx)
        if hx is None:
            hx = mg.zeros(x.shape[0], self.hidden_size, dtype=x.dtype)
        elif not batched:
            hx = hx.unsqueeze(0)
        return x, hx, batched

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


def _same_dtype(cell, x: Tensor, *states) -> None:
    """torch refuses mixed dtypes (its matmul does): never change precision silently."""
    w = cell.weight_ih.dtype
    for name, t in (("input", x),) + tuple(("hx", s) for s in states if s is not None):
        if t.dtype != w:
            raise RuntimeError(f"{type(cell).__name__}: expected {name} with the weights' dtype "
                               f"{w}, got {t.dtype}")


class RNNCell(_CellBase):
    """h' = tanh (or relu) of (W_ih x + b_ih + W_hh h + b_hh)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh"):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias)
        self.mode = Mode.RNN_TANH if nonlinearity == "tanh" else Mode.RNN_RELU
        self.nonlinearity = nonlinearity

    def forward(self, x: Tensor, hx: Tensor | None = None) -> Tensor:
        x, h, batched = self._prep(x, hx)
        h = rnn_step(_affine(x, self.weight_ih, self.bias_ih), h, self.weight_hh,
                     self.bias_hh, self.nonlinearity)
        return h if batched else h[0]


class LSTMCell(_CellBase):
    """(h', c') from input x and state (h, c); gates i, f, g, o."""

    mode = Mode.LSTM

    def forward(self, x: Tensor, hx: tuple[Tensor, Tensor] | None = None):
        h0 = None if hx is None else hx[0]
        x, h, batched = self._prep(x, h0)
        c = mg.zeros_like(h) if hx is None else (hx[1] if batched else hx[1].unsqueeze(0))
        _same_dtype(self, x, c)
        h, c = lstm_step(_affine(x, self.weight_ih, self.bias_ih), h, c, self.weight_hh,
                         self.bias_hh)
        return (h, c) if batched else (h[0], c[0])


class GRUCell(_CellBase):
    """h' from input x and state h; gates r, z, n."""

    mode = Mode.GRU

    def forward(self, x: Tensor, hx: Tensor | None = None) -> Tensor:
        x, h, batched = self._prep(x, hx)
        h = gru_step(_affine(x, self.weight_ih, self.bias_ih), h, self.weight_hh, self.bias_hh)
        return h if batched else h[0]
