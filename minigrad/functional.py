"""Functional forms of the Tensor methods: ``mg.exp(t)`` is ``t.exp()`` and so on.

Each accepts a Tensor (or anything ``mg.tensor`` accepts) as its first argument.
"""
from __future__ import annotations

from typing import Any

from .tensor import Tensor
from .tensor_base import TensorBase


def _t(x: Any) -> Tensor:
    return x if isinstance(x, TensorBase) else Tensor(x) if not isinstance(x, float) else \
        Tensor([x]).reshape(())


def exp(input: Any) -> Tensor:
    """e^x elementwise."""
    return _t(input).exp()


def log(input: Any) -> Tensor:
    """Natural logarithm elementwise."""
    return _t(input).log()


def sqrt(input: Any) -> Tensor:
    """Square root elementwise."""
    return _t(input).sqrt()


def abs(input: Any) -> Tensor:  # noqa: A001 (torch's name)
    """|x| elementwise."""
    return _t(input).abs()


def tanh(input: Any) -> Tensor:
    """Hyperbolic tangent elementwise."""
    return _t(input).tanh()


def sigmoid(input: Any) -> Tensor:
    """1 / (1 + e^-x) elementwise."""
    return _t(input).sigmoid()


def relu(input: Any) -> Tensor:
    """max(x, 0) elementwise."""
    return _t(input).relu()


def sin(input: Any) -> Tensor:
    """Sine elementwise."""
    return _t(input).sin()


def cos(input: Any) -> Tensor:
    """Cosine elementwise."""
    return _t(input).cos()


def clamp(input: Any, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """min(max(x, min), max) elementwise; bounds may be numbers or tensors."""
    return _t(input).clamp(min, max)


clip = clamp


def maximum(input: Any, other: Any) -> Tensor:
    """Elementwise maximum (ties split the gradient evenly)."""
    return _t(input).maximum(other)


def minimum(input: Any, other: Any) -> Tensor:
    """Elementwise minimum (ties split the gradient evenly)."""
    return _t(input).minimum(other)


def sum(input: Any, dim: Any = None, keepdim: bool = False, **kw: Any) -> Tensor:  # noqa: A001
    """Sum over ``dim`` (None: all dims)."""
    return _t(input).sum(dim, keepdim, **kw)


def mean(input: Any, dim: Any = None, keepdim: bool = False, **kw: Any) -> Tensor:
    """Mean over ``dim`` (None: all dims)."""
    return _t(input).mean(dim, keepdim, **kw)


def var(input: Any, *args: Any, **kw: Any) -> Tensor:
    """Variance (see ``Tensor.var``)."""
    return _t(input).var(*args, **kw)


def std(input: Any, *args: Any, **kw: Any) -> Tensor:
    """Standard deviation (see ``Tensor.std``)."""
    return _t(input).std(*args, **kw)


def max(input: Any, dim: Any = None, keepdim: bool = False):  # noqa: A001
    """Max of all elements, (values, indices) along ``dim``, or elementwise with a tensor."""
    return _t(input).max(dim, keepdim)


def min(input: Any, dim: Any = None, keepdim: bool = False):  # noqa: A001
    """Min of all elements, (values, indices) along ``dim``, or elementwise with a tensor."""
    return _t(input).min(dim, keepdim)


def amax(input: Any, dim: Any = (), keepdim: bool = False) -> Tensor:
    """Max over ``dim`` (gradient split evenly among equal maxima)."""
    return _t(input).amax(dim, keepdim)


def amin(input: Any, dim: Any = (), keepdim: bool = False) -> Tensor:
    """Min over ``dim`` (gradient split evenly among equal minima)."""
    return _t(input).amin(dim, keepdim)


def argmax(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Index of the max (flattened when ``dim`` is None)."""
    return _t(input).argmax(dim, keepdim)


def argmin(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Index of the min (flattened when ``dim`` is None)."""
    return _t(input).argmin(dim, keepdim)


def logsumexp(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:
    """log(sum(exp(x))) over ``dim``, computed stably."""
    return _t(input).logsumexp(dim, keepdim)


def softmax(input: Any, dim: int | None = None, dtype: Any = None) -> Tensor:
    """e^x / sum(e^x) along ``dim``."""
    return _t(input).softmax(dim, dtype)


def log_softmax(input: Any, dim: int | None = None, dtype: Any = None) -> Tensor:
    """x - logsumexp(x) along ``dim``."""
    return _t(input).log_softmax(dim, dtype)


def reshape(input: Any, shape: Any) -> Tensor:
    """The same elements in a new shape (-1 infers one dim)."""
    return _t(input).reshape(shape)


def transpose(input: Any, dim0: int, dim1: int) -> Tensor:
    """Swap two dims."""
    return _t(input).transpose(dim0, dim1)


def permute(input: Any, dims: Any) -> Tensor:
    """Reorder the dims."""
    return _t(input).permute(dims)


def flatten(input: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim..end_dim`` into one."""
    return _t(input).flatten(start_dim, end_dim)


def unsqueeze(input: Any, dim: int) -> Tensor:
    """Insert a size-1 dim at ``dim``."""
    return _t(input).unsqueeze(dim)


def squeeze(input: Any, dim: Any = None) -> Tensor:
    """Remove size-1 dims (all, or those in ``dim``)."""
    return _t(input).squeeze(dim)


def broadcast_to(input: Any, shape: Any) -> Tensor:
    """Broadcast to ``shape`` (gradients are summed back)."""
    return _t(input).broadcast_to(shape)


def masked_fill(input: Any, mask: Any, value: Any) -> Tensor:
    """``value`` where ``mask`` else the input."""
    return _t(input).masked_fill(mask, value)


def gather(input: Any, dim: int, index: Any) -> Tensor:
    """``out[i][j] = input[i][index[i][j]]`` (dim=1), as torch.gather."""
    return _t(input).gather(dim, index)


def index_select(input: Any, dim: int, index: Any) -> Tensor:
    """The entries at ``index`` (1-D) along ``dim``."""
    return _t(input).index_select(dim, index)


def numel(input: Any) -> int:
    """Number of elements."""
    return _t(input).numel()


def mm(input: Any, mat2: Any) -> Tensor:
    """Matrix product of two 2-D tensors."""
    a = _t(input)
    if a.ndim != 2 or _t(mat2).ndim != 2:
        raise RuntimeError(f"mm: both arguments must be 2-D, got {a.shape} and {_t(mat2).shape}")
    return a.matmul(mat2)


def bmm(input: Any, mat2: Any) -> Tensor:
    """Batched matrix product of two 3-D tensors."""
    return _t(input).bmm(mat2)


def is_tensor(obj: Any) -> bool:
    """True if ``obj`` is a minigrad Tensor."""
    return isinstance(obj, TensorBase)
