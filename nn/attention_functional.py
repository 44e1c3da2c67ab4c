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
                                 dropout_p: float = 0.0, is_causal: bool = False,
                                 scale: float | None = None, enable_gqa: bool = False,
                                 return_weights: bool = False):
    """softmax(q k^T * scale + mask) v with q: (..., L, E), k: (..., S, E), v: (..., S, Ev).

    ``attn_mask``: bool (True = may attend) or float (added to the scores; a Tensor mask
    gets a gradient, so learned attention biases train), broadcastable to (..., L, S).
    ``is_causal`` masks position j > i.  A row with nothing to attend to gives zeros, as
    torch 2.13 does.  ``dropout_p`` drops attention weights (always, as torch's functional
    does: pass 0.0 in evaluation).  With ``return_weights`` returns ``(out, weights)``.
    """
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise RuntimeError(f"scaled_dot_product_attention: query, key and value need at least 2 "
                           f"dims; got {query.shape}, {key.shape}, {value.shape}")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"scaled_dot_product_attention: q {query.shape}, k {key.shape}, "
                           f"v {value.shape} do not fit (need q[-1] == k[-1], k[-2] == v[-2])")
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        rep = query.shape[-3] // key.shape[-3]
        key = key.repeat_interleave(rep, -3)
        value = value.repeat_interleave(rep, -3)
    L, S = query.shape[-2], key.shape[-2]
    s = scale if scale is not None else 1 / math.sqrt(query.shape[-1])
    scores = (query @ key.transpose(-2, -1)) * s
    allowed = None
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("scaled_dot_product_attention: pass either attn_mask or "
                               "is_causal, not both")
        allowed = np.tril(np.ones((L, S), bool))
    elif attn_mask is not None:
        is_tensor = isinstance(attn_mask, Tensor)
        m = attn_mask.detach().numpy() if is_tensor else np.asarray(attn_mask)
        if m.dtype == np.bool_:
            allowed = m
        elif is_tensor:
            scores = scores + attn_mask.astype(scores.dtype)
        else:
            scores = scores + mg.tensor(m.astype(scores.dtype))
    if allowed is not None:
        scores = scores.masked_fill(mg.tensor(~allowed), -np.inf)
    weights = scores.softmax(-1)
    dead = ~np.isfinite(scores.detach().numpy()).any(-1, keepdims=True)
    if dead.any():  # rows with nothing to attend to: zeros, not NaN (torch's safe softmax)
        weights = weights.masked_fill(mg.tensor(dead), 0.0)
    if dropout_p > 0.0:
        weights = mg.nn.functional.dropout(weights, dropout_p, True)
    out = weights @ value
    return (out, weights) if return_weights else out
