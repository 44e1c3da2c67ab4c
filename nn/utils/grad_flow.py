"""How much gradient reaches each time step: the vanishing-gradient probe."""
from __future__ import annotations

import numpy as np

import minigrad as mg
from minigrad import Tensor

from ..cells import GRUCell, LSTMCell, RNNCell
from ..kernels.recurrent import Mode


def gradient_norms_through_time(rnn, x: Tensor, loss_fn=None) -> np.ndarray:
    """||dL/dh_t|| for every step t of the *first* layer's output of ``rnn`` on input ``x``.

    ``x``: (T, B, F) (or batch_first).  ``loss_fn(output)`` defaults to the sum of the last
    step's output, so the norms show how the signal from the end decays going back in time.
    Runs the composed step-by-step path so each step's state is its own tensor.
    """
    cell_cls = {Mode.LSTM: LSTMCell, Mode.GRU: GRUCell}.get(rnn.mode, RNNCell)
    x = x if not rnn.batch_first else x.transpose(0, 1)
    cell = cell_cls(rnn.input_size, rnn.hidden_size, bias=rnn.bias)
    if cell_cls is RNNCell:
        cell.nonlinearity = rnn.nonlinearity
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        src = getattr(rnn, name + "_l0", None)
        if src is not None:
            setattr(cell, name, src)
    with mg.reference_mode():  # the composed steps: each step's state is its own tensor
        h = c = None
        states = []
        for t in range(x.shape[0]):
            if rnn.mode == Mode.LSTM:
                h, c = cell(x[t], None if h is None else (h, c))
            else:
                h = cell(x[t], h)
            h.retain_grad()
            states.append(h)
        out = mg.stack(states, 0)
        loss = loss_fn(out) if loss_fn is not None else states[-1].sum()
        loss.backward()
    return np.array([float(np.linalg.norm(s.grad.numpy())) if s.grad is not None else 0.0
                     for s in states])
