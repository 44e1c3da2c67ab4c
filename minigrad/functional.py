"""Functional forms ``mg.exp(t)``, ``mg.sum(t, dim)`` ... of the Tensor methods."""
from __future__ import annotations

from .tensor import Tensor


def _as_tensor(t) -> Tensor:
    return t if isinstance(t, Tensor) else Tensor(t)


def _method(name: str):
    def fn(t, *args, **kwargs):
        return getattr(_as_tensor(t), name)(*args, **kwargs)

    fn.__name__ = name
    fn.__doc__ = f"``mg.{name}(t, ...)`` is ``t.{name}(...)``."
    return fn


_NAMES = ("exp log sqrt abs tanh sigmoid relu sin cos clip clamp maximum minimum sum mean var "
          "std max min amax amin logsumexp argmax argmin softmax log_softmax reshape view "
          "transpose permute flatten unsqueeze squeeze expand broadcast_to masked_fill gather "
          "index_select").split()

globals().update({n: _method(n) for n in _NAMES})
__all__ = list(_NAMES)
