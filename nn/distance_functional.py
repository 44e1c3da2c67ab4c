"""Norms and distances of ``nn.functional``: normalize, cosine_similarity, pairwise_distance
(torch's formulas: gradient 0, not nan, at a zero vector)."""
from __future__ import annotations

import numpy as np

import minigrad as mg
from minigrad import Tensor


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else mg.tensor(x)


def _vector_norm(x: Tensor, p: float, dim, keepdim: bool) -> Tensor:
    """(sum |x|^p)^(1/p) over ``dim``, with gradient 0 (not nan) at a zero vector (as torch)."""
    if p == float("inf"):
        return x.abs().amax(dim, keepdim)
    if p == 1:
        return x.abs().sum(dim, keepdim)
    if p == 0:  # the count of nonzero entries; no gradient (torch's convention)
        return (x != 0).astype(x.dtype).sum(dim, keepdim)
    s = (x * x).sum(dim, keepdim) if p == 2 else (x.abs() ** p).sum(dim, keepdim)
    pos = s > 0
    safe = mg.where(pos, s, mg.ones_like(s))
    root = safe.sqrt() if p == 2 else safe ** (1.0 / p)
    return mg.where(pos, root, mg.zeros_like(s))


def normalize(input, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None) -> Tensor:
    """x / max(||x||_p, eps) along ``dim``."""
    if out is not None:
        raise NotImplementedError("normalize: out= is not supported")
    input = _t(input)
    return input / _vector_norm(input, p, dim, True).clamp(min=eps)


def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum (x1 / max(||x1||, eps)) (x2 / max(||x2||, eps)) along ``dim`` (after broadcasting);
    as torch, the clamp at eps passes the gradient through unchanged."""
    x1, x2 = _t(x1), _t(x2)
    try:
        shape = np.broadcast_shapes(x1.shape, x2.shape)
    except ValueError:
        raise RuntimeError(f"cosine_similarity: x1 {x1.shape} and x2 {x2.shape} cannot be "
                           f"broadcast together") from None
    x1, x2 = x1.broadcast_to(shape), x2.broadcast_to(shape)

    def unit(x):
        n = _vector_norm(x, 2, dim, True)
        return x / (n + (n.detach().clamp(min=eps) - n.detach()))

    return (unit(x1) * unit(x2)).sum(dim)


def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p over the last dim."""
    x1, x2 = _t(x1), _t(x2)
    d = x1 - x2 + eps
    return _vector_norm(d, p, max(x1.ndim, x2.ndim) - 1, keepdim)
