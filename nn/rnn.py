"""Multi-layer, optionally bidirectional RNN / LSTM / GRU over whole sequences.

Layout, parameter names (``weight_ih_l0``, ``bias_hh_l1_reverse``...), shapes, gate order and
initialisation are PyTorch's, so a torch ``state_dict`` loads as is.  Each layer and direction:

1. projects every input step at once: ``xp = x W_ih^T + b_ih`` (one GEMM, shape (T, B, G));
2. runs the recurrence over time (``run_direction``): either the fused Numba kernel
   (``nn.fused_rnn``, the default) or the step-by-step tensor-op reference in ``nn.cells``.

``lengths`` (one per batch element) marks padding: padded steps output zeros and leave the
state alone, so ``h_n`` is each sequence's state at its own last valid step and the reverse
direction starts at that step, exactly what PyTorch's packed sequences compute.
"""
from __future__ import annotations

import math

import numpy as np

import minigrad as mg
from minigrad import Tensor, threads

from . import functional as F
from .cells import GATES, run_direction_composed
from .fused_rnn import run_direction_fused
from .kernels.recurrent import Mode
from .module import Module, uniform_
from .utils.rnn import PackedSequence, rnn_forward_packed


def run_direction(mode, xp, h, c, w_hh, b_hh, mask, reverse):
    """One layer-direction: the fused kernel, or the composed steps in reference mode."""
    if mg.is_reference_mode():
        return run_direction_composed(mode, xp, h, c, w_hh, b_hh, mask, reverse)
    return run_direction_fused(mode, xp, h, c, w_hh, b_hh, mask, reverse)


def lengths_mask(lengths, T: int, B: int) -> np.ndarray | None:
    """(T, B) bool: True where step t of sequence b is real data.  Validates ``lengths``."""
    if lengths is None:
        return None
    ln = np.asarray(lengths)
    if ln.ndim != 1 or ln.dtype.kind not in "iu":
        raise ValueError(f"lengths must be a 1-D sequence of integers, got {ln!r}")
    if len(ln) != B:
        raise ValueError(f"lengths has {len(ln)} entries but the batch has {B} sequences")
    if ln.size and (ln.min() < 1 or ln.max() > T):
        raise ValueError(f"every length must be in 1..{T} (the padded sequence length), got "
                         f"{ln.tolist()}")
    return np.arange(T)[:, None] < ln[None, :]


class RNNBase(Module):
    mode = Mode.RNN_TANH

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False):
        super().__init__()
        if hidden_size < 1 or num_layers < 1:
            raise ValueError("hidden_size and num_layers must be positive")
        if not 0 <= dropout <= 1:
            raise ValueError(f"dropout must be in [0, 1], got {dropout}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional = bidirectional
        D = 2 if bidirectional else 1
        G = GATES[self.mode] * hidden_size
        k = 1 / math.sqrt(hidden_size)
        for layer in range(num_layers):
            n_in = input_size if layer == 0 else hidden_size * D
            for d in range(D):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                setattr(self, "weight_ih" + sfx, uniform_((G, n_in), k))
                setattr(self, "weight_hh" + sfx, uniform_((G, hidden_size), k))
                if bias:
                    setattr(self, "bias_ih" + sfx, uniform_((G,), k))
                    setattr(self, "bias_hh" + sfx, uniform_((G,), k))

    def _weights(self, layer: int, d: int):
        sfx = f"_l{layer}" + ("_reverse" if d else "")
        b = (lambda n: getattr(self, n + sfx)) if self.bias else (lambda n: None)
        return getattr(self, "weight_ih" + sfx), getattr(self, "weight_hh" + sfx), \
            b("bias_ih"), b("bias_hh")

    def _state(self, given, B: int, dtype, batched: bool, name: str) -> Tensor:
        D = 2 if self.bidirectional else 1
        want = (self.num_layers * D, B, self.hidden_size)
        if given is None:
            return mg.zeros(*want, dtype=dtype)
        s = given if batched else given.unsqueeze(1)
        if s.dtype != dtype:
            raise RuntimeError(f"{type(self).__name__}: input and hidden tensors are not the same "
                               f"dtype, found input tensor with {dtype} and {name} with "
                               f"{s.dtype}")
        if s.shape != want:
            raise ValueError(f"{type(self).__name__}: expected {name} of shape "
                             f"{want if batched else (want[0], want[2])}, got {given.shape}")
        return s

    def forward(self, input: Tensor, hx=None, lengths=None):
        """input: (T, B, F), (B, T, F) with batch_first, or unbatched (T, F).
        Returns (output, h_n) — for LSTM (output, (h_n, c_n)); output is (T, B, D*H).
        A ``PackedSequence`` input gives a ``PackedSequence`` output (as torch)."""
        if isinstance(input, PackedSequence):  # unpack, run with lengths=, pack the output
            return rnn_forward_packed(self, input, hx, lengths)
        threads.adapt()  # BLAS threads for the load right now (see minigrad.threads)
        if input.ndim not in (2, 3):
            raise ValueError(f"{type(self).__name__}: expected a 2-D (unbatched) or 3-D input, "
                             f"got shape {input.shape}")
        batched = input.ndim == 3
        x = input if batched else input.unsqueeze(1)
        if batched and self.batch_first:  # a view: the projection copies x (narrow), not xp
            x = x.transpose(0, 1)
        T, B, n_in = x.shape
        if n_in != self.input_size:
            raise ValueError(f"{type(self).__name__}: input.size(-1) must be equal to "
                             f"input_size. Expected {self.input_size}, got {n_in}")
        if T == 0:
            raise RuntimeError(f"{type(self).__name__}: Expected sequence length to be larger "
                               f"than 0 in RNN (input shape {tuple(input.shape)})")
        w_dtype = self.weight_ih_l0.dtype
        if x.dtype != w_dtype:
            raise ValueError(f"{type(self).__name__}: input dtype ({x.dtype}) does not match "
                             f"weight dtype ({w_dtype}). Convert input: input.to({w_dtype}), or "
                             f"convert model: model.to({x.dtype})")
        if lengths is not None and not batched:
            lengths = lengths if np.ndim(lengths) else [lengths]
        mask = lengths_mask(lengths, T, B)
        is_lstm = self.mode == Mode.LSTM
        h0 = self._state(hx[0] if is_lstm and hx is not None else hx, B, x.dtype, batched, "hx")
        c0 = self._state(hx[1] if hx is not None else None, B, x.dtype, batched,
                         "cx") if is_lstm else None
        D = 2 if self.bidirectional else 1
        layer_in, hs, cs = x, [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(D):
                w_ih, w_hh, b_ih, b_hh = self._weights(layer, d)
                xp = F.linear(layer_in, w_ih, b_ih)  # one GEMM, the bias added in place
                i = layer * D + d
                out, h, c = run_direction(self.mode, xp, h0[i], c0[i] if is_lstm else None,
                                          w_hh, b_hh, mask, reverse=d == 1)
                outs.append(out)
                hs.append(h)
                cs.append(c)
            layer_in = outs[0] if D == 1 else mg.cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_in = F.dropout(layer_in, self.dropout, True)
        out = layer_in
        if batched and self.batch_first:
            out = out.transpose(0, 1)
        h_n = mg.stack(hs, 0)
        c_n = mg.stack(cs, 0) if is_lstm else None
        if not batched:
            out, h_n = out[:, 0], h_n[:, 0]
            c_n = c_n[:, 0] if is_lstm else None
        return (out, (h_n, c_n)) if is_lstm else (out, h_n)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        for name, default in (("bias", True), ("batch_first", False), ("dropout", 0.0),
                              ("bidirectional", False)):
            if getattr(self, name) != default:
                s += f", {name}={getattr(self, name)}"
        return s

    def flatten_parameters(self) -> None:
        """A no-op (torch compacts cuDNN weights here; minigrad's need nothing)."""


class RNN(RNNBase):
    """Elman RNN: h_t = tanh (or relu) of (W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional)
        self.mode = Mode.RNN_TANH if nonlinearity == "tanh" else Mode.RNN_RELU
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory; returns ``(output, (h_n, c_n))``."""

    mode = Mode.LSTM


class GRU(RNNBase):
    """Gated recurrent unit; returns ``(output, h_n)``."""

    mode = Mode.GRU
