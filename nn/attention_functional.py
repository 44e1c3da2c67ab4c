"""Scaled dot-product attention as a function (PyTorch's mask convention)."""
from __future__ import annotations

import math

import numpy as np

import minigrad as mg
from minigrad import Tensor


def _safe_softmax(scores: Tensor) -> Tensor:
    """softmax over the last dim where a row masked entirely (all -inf) gives zeros: what
    torch's attention computes when it returns no weights (they give NaN otherwise)."""
    dead = np.isneginf(np.asarray(scores.detach())).all(-1, keepdims=True)
    if not dead.any():
        return scores.softmax(-1)
    dead = mg.tensor(np.broadcast_to(dead, scores.shape))
    return scores.masked_fill(dead, 0.0).softmax(-1).masked_fill(dead, 0.0)


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask=None,
                                 is_causal: bool = False, scale: float | None = None,
                                 return_weights: bool = False):
    """softmax(q k^T * scale + mask) v with q: (..., L, E), k: (..., S, E), v: (..., S, Ev).

    ``attn_mask``: bool (True = may attend) or float (added to the scores), broadcastable to
    (..., L, S).  ``is_causal`` masks position j > i.  A row with nothing to attend to gives
    zeros, as in torch 2.5+.  With ``return_weights`` returns ``(out, weights)``.
    """
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ValueError(f"scaled_dot_product_attention: q {query.shape}, k {key.shape}, "
                         f"v {value.shape} do not fit (need q[-1] == k[-1], k[-2] == v[-2])")
    L, S = query.shape[-2], key.shape[-2]
    s = scale if scale is not None else 1 / math.sqrt(query.shape[-1])
    scores = (query @ key.transpose(-2, -1)) * s
    if is_causal:
        if attn_mask is not None:
            raise ValueError("give either attn_mask or is_causal, not both")
        attn_mask = np.tril(np.ones((L, S), bool))
    if attn_mask is not None:
        m = np.asarray(attn_mask)
        if m.dtype == np.bool_:
            scores = scores.masked_fill(mg.tensor(~m), -np.inf)
        else:
            scores = scores + mg.tensor(m.astype(scores.dtype))
    weights = _safe_softmax(scores)  # torch 2.5+: a fully masked row gives zeros, not NaN
    out = weights @ value
    return (out, weights) if return_weights else out
