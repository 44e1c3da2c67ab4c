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
    if norm_type == float("inf"):
        total = max(float(np.abs(p.grad.data).max()) for p in ps)
    else:
        total = float(sum((np.abs(p.grad.data.astype(np.float64)) ** norm_type).sum()
                          for p in ps) ** (1.0 / norm_type))
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"the total norm of order {norm_type} of the gradients is "
                           f"non-finite; set error_if_nonfinite=False to clip anyway")
    coef = max_norm / (total + 1e-6)
    if coef < 1:
        for p in ps:
            p.grad.data = p.grad.data * np.asarray(coef, p.grad.dtype)
    return Tensor(np.array(total))


def clip_grad_value_(parameters: Iterable[Tensor] | Tensor, clip_value: float) -> None:
    """Clip every gradient element into [-clip_value, clip_value]."""
    for p in _params(parameters):
        p.grad.data = np.clip(p.grad.data, -clip_value, clip_value)
