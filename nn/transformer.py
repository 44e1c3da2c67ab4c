"""The Transformer of "Attention is all you need", as ``torch.nn.Transformer`` builds it.

Constructor arguments, submodule and parameter names (``self_attn.in_proj_weight``,
``linear1.weight``, ``norm2.bias``...) and initialisation are torch's, so a torch
``state_dict`` loads as is.  One encoder layer, post-norm (default) or pre-norm
(``norm_first``):

    post:  x = norm1(x + SA(x));          x = norm2(x + FF(x))
    pre:   x = x + SA(norm1(x));          x = x + FF(norm2(x))
    FF(x) = linear2(dropout(activation(linear1(x))))

A decoder layer adds cross-attention to the encoder's output (``memory``) between the two.
Masks follow ``nn.MultiheadAttention``: bool True = may NOT attend, float = added to the
scores.  ``is_causal`` is torch's hint that the given mask is the causal one: with no key
padding mask the causal mask is used as is, and the hint without a mask is an error.
"""
from __future__ import annotations

import copy
import math
from collections.abc import Callable

import numpy as np

import minigrad as mg
from minigrad import Tensor

from . import functional as F
from .activation import GELU
from .attention import MultiheadAttention
from .layers import Dropout, LayerNorm, Linear
from .module import Module
from .modules.container import ModuleList

__all__ = ["GELU", "Transformer", "TransformerEncoder", "TransformerDecoder",
           "TransformerEncoderLayer", "TransformerDecoderLayer"]


def _relu(x: Tensor) -> Tensor:
    return x.relu()


def _activation(activation: str | Callable[[Tensor], Tensor]) -> Callable[[Tensor], Tensor]:
    if callable(activation):
        return activation
    if activation == "relu":  # F.relu, so a pickled model names the function torch's
        return getattr(F, "relu", _relu)  # programs allow-list (torch.nn.functional.relu)
    if activation == "gelu":
        return F.gelu
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


def _layer_norm(d_model: int, eps: float, bias: bool) -> LayerNorm:
    norm = LayerNorm(d_model, eps=eps)
    if not bias:  # torch's LayerNorm(bias=False): a scale, no shift
        norm.bias = None
    return norm


def _check_device(device) -> None:
    if device is not None and not str(device).startswith("cpu"):
        raise RuntimeError(f"minigrad runs on the CPU; got device={device!r}")


def _mask(mask, name: str):
    """The mask as an array (bool or float), or None; other dtypes are refused as torch does."""
    if mask is None:
        return None
    m = np.asarray(mask.detach() if isinstance(mask, Tensor) else mask)
    if m.dtype != np.bool_ and m.dtype.kind != "f":
        raise TypeError(f"only bool and floating types of {name} are supported, got {m.dtype}")
    return m


def _attend(attn: MultiheadAttention, q: Tensor, kv: Tensor, attn_mask, key_padding_mask,
            is_causal: bool) -> Tensor:
    """One attention sublayer as torch runs it inside a Transformer (no weights returned)."""
    if is_causal:
        if attn_mask is None:
            raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                               "Transformer module method `generate_square_subsequent_mask` to "
                               "create this mask.")
        if key_padding_mask is None:  # the hint stands for the mask: torch uses pure causal
            attn_mask = None
        else:
            is_causal = False
    return attn(q, kv, kv, key_padding_mask=key_padding_mask, attn_mask=attn_mask,
                need_weights=False, is_causal=is_causal)[0]


class TransformerEncoderLayer(Module):
    """Self-attention then a feed-forward block, each with a residual and a LayerNorm.

    forward(src (S, B, E) or (B, S, E) with batch_first or (S, E), src_mask (S, S) or
    (B*nhead, S, S), src_key_padding_mask (B, S), is_causal) -> like src."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str | Callable[[Tensor], Tensor] = "relu",
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None, dtype=None):
        super().__init__()
        _check_device(device)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias)
        self.norm_first = norm_first
        self.norm1 = _layer_norm(d_model, layer_norm_eps, bias)
        self.norm2 = _layer_norm(d_model, layer_norm_eps, bias)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = _activation(activation)
        if dtype is not None:
            self.to(dtype)

    def forward(self, src: Tensor, src_mask=None, src_key_padding_mask=None,
                is_causal: bool = False) -> Tensor:
        """One encoder layer on ``src``; see the class docstring for the shapes."""
        src_mask = _mask(src_mask, "src_mask")
        src_key_padding_mask = _mask(src_key_padding_mask, "src_key_padding_mask")
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._ff_block(self.norm2(x))
        x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._ff_block(x))

    def _sa_block(self, x: Tensor, attn_mask, key_padding_mask, is_causal: bool) -> Tensor:
        return self.dropout1(_attend(self.self_attn, x, x, attn_mask, key_padding_mask,
                                     bool(is_causal)))

    def _ff_block(self, x: Tensor) -> Tensor:
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerDecoderLayer(Module):
    """Masked self-attention, cross-attention to ``memory``, then a feed-forward block, each
    with a residual and a LayerNorm.

    forward(tgt (T, B, E), memory (S, B, E) (batch_first: batch leading), tgt_mask (T, T),
    memory_mask (T, S), tgt_key_padding_mask (B, T), memory_key_padding_mask (B, S),
    tgt_is_causal, memory_is_causal) -> like tgt."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str | Callable[[Tensor], Tensor] = "relu",
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None, dtype=None):
        super().__init__()
        _check_device(device)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout,
                                            batch_first=batch_first, bias=bias)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout,
                                                 batch_first=batch_first, bias=bias)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias)
        self.norm_first = norm_first
        self.norm1 = _layer_norm(d_model, layer_norm_eps, bias)
        self.norm2 = _layer_norm(d_model, layer_norm_eps, bias)
        self.norm3 = _layer_norm(d_model, layer_norm_eps, bias)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        self.activation = _activation(activation)
        if dtype is not None:
            self.to(dtype)

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask=None, memory_mask=None,
                tgt_key_padding_mask=None, memory_key_padding_mask=None,
                tgt_is_causal: bool = False, memory_is_causal: bool = False) -> Tensor:
        """One decoder layer on ``tgt`` attending to ``memory``; shapes in the class docstring."""
        sa = (_mask(tgt_mask, "tgt_mask"), _mask(tgt_key_padding_mask, "tgt_key_padding_mask"),
              bool(tgt_is_causal))
        ca = (_mask(memory_mask, "memory_mask"),
              _mask(memory_key_padding_mask, "memory_key_padding_mask"), bool(memory_is_causal))
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), *sa)
            x = x + self._mha_block(self.norm2(x), memory, *ca)
            return x + self._ff_block(self.norm3(x))
        x = self.norm1(x + self._sa_block(x, *sa))
        x = self.norm2(x + self._mha_block(x, memory, *ca))
        return self.norm3(x + self._ff_block(x))

    def _sa_block(self, x: Tensor, attn_mask, key_padding_mask, is_causal: bool) -> Tensor:
        return self.dropout1(_attend(self.self_attn, x, x, attn_mask, key_padding_mask,
                                     is_causal))

    def _mha_block(self, x: Tensor, mem: Tensor, attn_mask, key_padding_mask,
                   is_causal: bool) -> Tensor:
        return self.dropout2(_attend(self.multihead_attn, x, mem, attn_mask, key_padding_mask,
                                     is_causal))

    def _ff_block(self, x: Tensor) -> Tensor:
        return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerEncoder(Module):
    """``num_layers`` deep copies of ``encoder_layer`` applied in turn, then ``norm``.

    ``enable_nested_tensor`` and ``mask_check`` select torch's inference fast path; they are
    accepted and have no effect here (the numbers are the same)."""

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int,
                 norm: Module | None = None, enable_nested_tensor: bool = True,
                 mask_check: bool = True):
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor, self.mask_check = enable_nested_tensor, mask_check

    def forward(self, src: Tensor, mask=None, src_key_padding_mask=None,
                is_causal: bool | None = None) -> Tensor:
        """Every layer in turn with the same masks, then ``norm``; output like ``src``."""
        out = src
        for layer in self.layers:
            out = layer(out, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                        is_causal=bool(is_causal))
        return self.norm(out) if self.norm is not None else out


class TransformerDecoder(Module):
    """``num_layers`` deep copies of ``decoder_layer`` applied in turn, then ``norm``."""

    def __init__(self, decoder_layer: TransformerDecoderLayer, num_layers: int,
                 norm: Module | None = None):
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(decoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask=None, memory_mask=None,
                tgt_key_padding_mask=None, memory_key_padding_mask=None,
                tgt_is_causal: bool | None = None, memory_is_causal: bool = False) -> Tensor:
        """Every layer in turn on ``tgt`` with ``memory`` and the same masks, then ``norm``."""
        out = tgt
        for layer in self.layers:
            out = layer(out, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                        tgt_key_padding_mask=tgt_key_padding_mask,
                        memory_key_padding_mask=memory_key_padding_mask,
                        tgt_is_causal=bool(tgt_is_causal), memory_is_causal=memory_is_causal)
        return self.norm(out) if self.norm is not None else out


class Transformer(Module):
    """Encoder-decoder Transformer: ``decoder(tgt, encoder(src))``.

    forward(src (S, B, E), tgt (T, B, E) (batch leading with batch_first; unbatched (S, E),
    (T, E) too), src_mask, tgt_mask, memory_mask, the three key padding masks, the causal
    hints) -> (T, B, E).  Every weight matrix starts Xavier-uniform, as in torch."""

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
                 num_decoder_layers: int = 6, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str | Callable[[Tensor], Tensor] = "relu",
                 custom_encoder: Module | None = None, custom_decoder: Module | None = None,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None, dtype=None):
        super().__init__()
        _check_device(device)
        layer_args = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                      batch_first, norm_first, bias)
        self.encoder = custom_encoder if custom_encoder is not None else TransformerEncoder(
            TransformerEncoderLayer(*layer_args), num_encoder_layers,
            _layer_norm(d_model, layer_norm_eps, bias))
        self.decoder = custom_decoder if custom_decoder is not None else TransformerDecoder(
            TransformerDecoderLayer(*layer_args), num_decoder_layers,
            _layer_norm(d_model, layer_norm_eps, bias))
        self._reset_parameters()
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first
        if dtype is not None:
            self.to(dtype)

    def _reset_parameters(self) -> None:
        """Xavier-uniform U(-b, b), b = sqrt(6 / (fan_in + fan_out)), on every matrix."""
        with mg.no_grad():
            for p in self.parameters():
                if p.ndim > 1:
                    fan_out, fan_in = p.shape[0], int(np.prod(p.shape[1:]))
                    bound = math.sqrt(6 / (fan_in + fan_out))
                    p.uniform_(-bound, bound)

    def forward(self, src: Tensor, tgt: Tensor, src_mask=None, tgt_mask=None, memory_mask=None,
                src_key_padding_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, src_is_causal: bool | None = None,
                tgt_is_causal: bool | None = None, memory_is_causal: bool = False) -> Tensor:
        """``decoder(tgt, encoder(src))`` with the given masks; output like ``tgt``."""
        if src.ndim == 3 and src.shape[0 if self.batch_first else 1] != \
                tgt.shape[0 if self.batch_first else 1]:
            raise RuntimeError("the batch number of src and tgt must be equal")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise RuntimeError("the feature number of src and tgt must be equal to d_model")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device=None, dtype=None) -> Tensor:
        """(sz, sz) float mask: -inf above the diagonal (future positions), 0 elsewhere."""
        _check_device(device)
        dt = np.dtype(dtype) if dtype is not None else np.dtype(mg.get_default_dtype())
        return Tensor(np.triu(np.full((sz, sz), -np.inf, dt), 1))
