"""Attention modules: multi-head (PyTorch's), additive (Bahdanau) and dot/general (Luong).

Masks.  ``MultiheadAttention`` follows torch: a bool ``key_padding_mask`` / ``attn_mask`` is
True where attending is NOT allowed; float masks are added to the scores.
``AdditiveAttention`` and ``DotAttention`` take ``mask`` True where a key IS valid (the same
convention as ``scaled_dot_product_attention``), give masked keys exactly zero weight, and
refuse a query that has no valid key at all.
"""
from __future__ import annotations

import math

import numpy as np

import minigrad as mg
from minigrad import Tensor

from . import functional as F
from .attention_functional import _safe_softmax
from .layers import Linear
from .module import Module, Parameter, uniform_


def masked_softmax(scores: Tensor, mask) -> Tensor:
    """softmax over the last dim with ``mask`` (True = keep) broadcast against ``scores``;
    masked entries get exactly 0.  A row with no kept entry raises ValueError."""
    if mask is None:
        return scores.softmax(-1)
    m = np.asarray(mask)
    if m.dtype != np.bool_:
        raise TypeError(f"mask must be bool (True = valid key), got {m.dtype}")
    if m.ndim == scores.ndim - 1:  # (B, S) for (B, L, S) scores
        m = m[..., None, :]
    try:
        full = np.broadcast_to(m, scores.shape)
    except ValueError:
        raise ValueError(f"mask of shape {np.shape(mask)} does not fit scores of shape "
                         f"{scores.shape}") from None
    if not full.any(-1).all():
        raise ValueError("attention mask leaves a query with no valid key (a fully masked "
                         "row); every query needs at least one unmasked key")
    return scores.masked_fill(mg.tensor(~full), -np.inf).softmax(-1)


def _queries(query: Tensor) -> tuple[Tensor, bool]:
    """(B, Dq) -> (B, 1, Dq): one code path for single and multiple queries."""
    if query.ndim == 2:
        return query.unsqueeze(1), True
    if query.ndim == 3:
        return query, False
    raise ValueError(f"query must be (batch, dim) or (batch, queries, dim), got {query.shape}")


class AdditiveAttention(Module):
    """Bahdanau attention: score(q, k) = v^T tanh(W_q q + W_k k).

    forward(query (B, Dq) or (B, L, Dq), keys (B, S, Dk), values=None (= keys), mask=None
    (B, S) or (B, L, S), True = valid) -> (context (B[, L], Dv), weights (B[, L], S)).
    """

    def __init__(self, query_dim: int, key_dim: int | None = None, hidden_dim: int | None = None):
        super().__init__()
        key_dim = key_dim or query_dim
        hidden_dim = hidden_dim or query_dim
        self.query_proj = Linear(query_dim, hidden_dim, bias=False)
        self.key_proj = Linear(key_dim, hidden_dim, bias=True)
        self.v = uniform_((hidden_dim,), 1 / math.sqrt(hidden_dim))

    def forward(self, query: Tensor, keys: Tensor, values: Tensor | None = None, mask=None):
        q, single = _queries(query)
        values = keys if values is None else values
        e = (self.query_proj(q).unsqueeze(2) + self.key_proj(keys).unsqueeze(1)).tanh()
        scores = e @ self.v  # (B, L, S)
        w = masked_softmax(scores, mask)
        ctx = w @ values
        return (ctx[:, 0], w[:, 0]) if single else (ctx, w)


class DotAttention(Module):
    """Luong attention: score = q . k ('dot') or q^T W k ('general'); optional 1/sqrt(d) scale.

    Same forward as ``AdditiveAttention``.
    """

    def __init__(self, score: str = "dot", query_dim: int | None = None,
                 key_dim: int | None = None, scale: bool = False):
        super().__init__()
        if score not in ("dot", "general"):
            raise ValueError(f"score must be 'dot' or 'general', got {score!r}")
        self.score, self.scale = score, scale
        if score == "general":
            if query_dim is None:
                raise ValueError("score='general' needs query_dim (and key_dim if different)")
            self.W = Linear(query_dim, key_dim or query_dim, bias=False)

    def forward(self, query: Tensor, keys: Tensor, values: Tensor | None = None, mask=None):
        q, single = _queries(query)
        values = keys if values is None else values
        if self.score == "general":
            q = self.W(q)
        if q.shape[-1] != keys.shape[-1]:
            raise ValueError(f"DotAttention: query dim {q.shape[-1]} != key dim "
                             f"{keys.shape[-1]}; use score='general' to learn a projection")
        scores = q @ keys.transpose(1, 2)
        if self.scale:
            scores = scores * (1 / math.sqrt(keys.shape[-1]))
        w = masked_softmax(scores, mask)
        ctx = w @ values
        return (ctx[:, 0], w[:, 0]) if single else (ctx, w)

    def extra_repr(self) -> str:
        return f"score={self.score!r}"


class MultiheadAttention(Module):
    """PyTorch's ``nn.MultiheadAttention`` (same parameters, init, masks and outputs).

    out = concat_h softmax(Q_h K_h^T / sqrt(d) + masks) V_h, then ``out_proj``.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 batch_first: bool = False):
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim ({embed_dim}) must be divisible by num_heads "
                             f"({num_heads})")
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, dropout
        self.batch_first, self.head_dim = batch_first, embed_dim // num_heads
        bound = math.sqrt(6 / (embed_dim + 3 * embed_dim))  # xavier_uniform on (3E, E)
        self.in_proj_weight = uniform_((3 * embed_dim, embed_dim), bound)
        dt = mg.get_default_dtype()
        self.in_proj_bias = Parameter(np.zeros(3 * embed_dim, dt)) if bias else None
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias)
        if bias:
            self.out_proj.bias = Parameter(np.zeros(embed_dim, dt))

    def _project(self, x: Tensor, i: int) -> Tensor:
        E = self.embed_dim
        y = x @ self.in_proj_weight[i * E:(i + 1) * E].T
        if self.in_proj_bias is not None:
            y = y + self.in_proj_bias[i * E:(i + 1) * E]
        B, n = y.shape[0], y.shape[1]
        return y.reshape(B, n, self.num_heads, self.head_dim).transpose(1, 2)  # (B, h, n, d)

    @staticmethod
    def _add_mask(scores: Tensor, mask, name: str) -> Tensor:
        m = np.asarray(mask)
        if m.dtype == np.bool_:
            return scores.masked_fill(mg.tensor(np.broadcast_to(m, scores.shape)), -np.inf)
        if m.dtype.kind != "f":
            raise TypeError(f"{name} must be bool or float, got {m.dtype}")
        return scores + mg.tensor(m.astype(scores.dtype))

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask=None,
                need_weights: bool = True, attn_mask=None, average_attn_weights: bool = True,
                is_causal: bool = False):
        """query (L, B, E) — (B, L, E) with batch_first, or unbatched (L, E); key/value alike
        with S.  Returns (output like query, weights (B, L, S) or None)."""
        batched = query.ndim == 3
        if not batched:
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
            if key_padding_mask is not None:
                key_padding_mask = np.asarray(getattr(key_padding_mask, "data",
                                                      key_padding_mask))[None]
        elif not self.batch_first:
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        if query.shape[-1] != self.embed_dim:
            raise ValueError(f"MultiheadAttention: expected embed_dim {self.embed_dim}, got "
                             f"query of shape {query.shape}")
        B, L, S = query.shape[0], query.shape[1], key.shape[1]
        for name, t, dim in (("key", key, self.embed_dim), ("value", value, self.embed_dim)):
            if t.ndim != 3 or t.shape[0] != B or t.shape[-1] != dim:
                raise ValueError(f"MultiheadAttention: {name} of shape {tuple(t.shape)} does "
                                 f"not fit query of shape {tuple(query.shape)} (batch {B}, "
                                 f"{name} feature dim {dim})")
        if value.shape[1] != S:
            raise ValueError(f"MultiheadAttention: key has {S} positions, value has "
                             f"{value.shape[1]} (key and value must have the same length)")
        q, k, v = self._project(query, 0), self._project(key, 1), self._project(value, 2)
        scores = (q @ k.transpose(-2, -1)) * (1 / math.sqrt(self.head_dim))
        if is_causal and attn_mask is None:
            attn_mask = ~np.tril(np.ones((L, S), bool))
        if attn_mask is not None:
            m = np.asarray(attn_mask)
            if m.shape == (B * self.num_heads, L, S):
                m = m.reshape(B, self.num_heads, L, S)
            elif m.shape != (L, S):  # torch: RuntimeError naming the expected shapes
                raise RuntimeError(f"attn_mask must be (L, S) = {(L, S)} or (B*heads, L, S) = "
                                   f"{(B * self.num_heads, L, S)}, got {m.shape}")
            scores = self._add_mask(scores, m, "attn_mask")
        if key_padding_mask is not None:
            m = np.asarray(getattr(key_padding_mask, "data", key_padding_mask))
            if m.shape != (B, S):
                raise RuntimeError(f"key_padding_mask must be (batch, S) = {(B, S)}, got "
                                   f"{m.shape}")
            scores = self._add_mask(scores, m[:, None, None, :], "key_padding_mask")
        w = scores.softmax(-1) if need_weights else _safe_softmax(scores)
        wd = F.dropout(w, self.dropout, self.training) if self.dropout else w
        out = (wd @ v).transpose(1, 2).reshape(B, L, self.embed_dim)
        out = self.out_proj(out)
        if not batched:
            out = out[0]
        elif not self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        weights = w.mean(1) if average_attn_weights else w
        return out, (weights if batched else weights[0])

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"
