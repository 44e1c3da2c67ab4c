"""Training utilities: gradient clipping, and the gradient-flow-through-time probe."""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from minigrad import Tensor

from . import rnn  # noqa: F401
from .grad_flow import gradient_norms_through_time  # noqa: F401


def _params(parameters) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        return [parameters]
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters: Iterable[Tensor] | Tensor, max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    """Scale all gradients together so their joint norm is at most ``max_norm``.
    Returns the norm before clipping (as torch)."""
    ps = _params(parameters)
    if not ps:
        return Tensor(np.array(0.0))
    grads = [p.grad.detach().numpy() for p in ps]
    if norm_type == float("inf"):
        total = max(float(np.abs(g).max()) if g.size else 0.0 for g in grads)
    else:
        total = float(sum((np.abs(g.astype(np.float64)) ** norm_type).sum()
                          for g in grads) ** (1.0 / norm_type))
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"the total norm of order {norm_type} of the gradients is "
                           f"non-finite; set error_if_nonfinite=False to clip anyway")
    coef = max_norm / (total + 1e-6)
    if coef < 1 or not np.isfinite(total):  # NaN/inf norms spread, as in torch
        for g in grads:
            g *= np.asarray(min(coef, 1.0) if np.isfinite(coef) else coef, g.dtype)
    return Tensor(np.array(total))


def clip_grad_value_(parameters: Iterable[Tensor] | Tensor, clip_value: float) -> None:
    """Clip every gradient element into [-clip_value, clip_value]."""
    for p in _params(parameters):
        g = p.grad.detach().numpy()
        np.clip(g, -clip_value, clip_value, out=g)
