"""Basic layers: Linear, Bilinear, Embedding, Dropout, LayerNorm (activations:
``nn/activation.py``)."""
from __future__ import annotations

import math

import numpy as np

import minigrad as mg
from minigrad import Tensor

from . import functional as F
from . import init
from .module import Module, Parameter, _as_dtype, _check_cpu


def _factory(device, dtype) -> np.dtype:
    """The dtype new parameters take (``dtype`` or the default); only the CPU exists."""
    if device is not None:
        _check_cpu(device)
    return mg.get_default_dtype() if dtype is None else _as_dtype(dtype)


class Linear(Module):
    """y = x W^T + b, W: (out_features, in_features); init U(-1/sqrt(in), 1/sqrt(in))."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None,
                 dtype=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        dt = _factory(device, dtype)
        self.weight = Parameter(np.empty((out_features, in_features), dt))
        self.bias = Parameter(np.empty(out_features, dt)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Redraw W and b from U(-1/sqrt(in), 1/sqrt(in)) (torch's kaiming_uniform_(a=sqrt 5))."""
        bound = 1 / math.sqrt(self.in_features) if self.in_features else 0.0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-1:] != (self.in_features,):
            raise ValueError(f"Linear: expected input with last dim {self.in_features}, got "
                             f"shape {x.shape}")
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Bilinear(Module):
    """y_k = x1^T W_k x2 + b_k;  W (out, in1, in2), b (out,), both U(-1/sqrt(in1), 1/sqrt(in1))
    as torch."""

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device=None, dtype=None):
        super().__init__()
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        dt = _factory(device, dtype)
        self.weight = Parameter(np.empty((out_features, in1_features, in2_features), dt))
        self.bias = Parameter(np.empty(out_features, dt)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Redraw W and b from U(-1/sqrt(in1), 1/sqrt(in1))."""
        bound = 1 / math.sqrt(self.in1_features) if self.in1_features else 0.0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear under another name (torch uses it for MultiheadAttention.out_proj)."""


class Embedding(Module):
    """A lookup table: index i -> row i of weight (num_embeddings, embedding_dim), init N(0, 1).

    The ``padding_idx`` row starts at zero and receives no gradient.  ``max_norm``: rows looked
    up are first rescaled in place to norm at most ``max_norm`` (as torch)."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False, _weight=None,
                 _freeze: bool = False, device=None, dtype=None):
        super().__init__()
        if sparse:
            raise NotImplementedError("Embedding: sparse gradients are not supported by "
                                      "minigrad (dense gradients only)")
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"padding_idx {padding_idx} must be within num_embeddings "
                                 f"{num_embeddings}")
            padding_idx %= num_embeddings
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx, self.max_norm, self.norm_type = padding_idx, max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            dt = _factory(device, dtype)
            self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dt),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(f"Shape of weight {tuple(_weight.shape)} does not match "
                                 f"num_embeddings and embedding_dim "
                                 f"({num_embeddings}, {embedding_dim})")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        """Redraw the table from N(0, 1), then zero the padding row."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.detach().numpy()[self.padding_idx] = 0

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, padding_idx: int | None = None,
                        max_norm: float | None = None, norm_type: float = 2.0,
                        scale_grad_by_freq: bool = False, sparse: bool = False) -> Embedding:
        """An Embedding whose weight is ``embeddings`` (2-D, shared, not copied, as torch);
        ``freeze`` (default) keeps it out of training (requires_grad=False)."""
        if len(np.shape(embeddings)) != 2:
            raise ValueError(f"Embeddings parameter is expected to be 2-dimensional, got shape "
                             f"{tuple(np.shape(embeddings))}")
        rows, cols = np.shape(embeddings)
        return cls(rows, cols, padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type,
                   scale_grad_by_freq=scale_grad_by_freq, sparse=sparse, _weight=embeddings,
                   _freeze=freeze)

    def forward(self, idx) -> Tensor:
        return F.embedding(idx, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq, self.sparse)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        return s


class Dropout(Module):
    """Zero elements with probability p in training mode (scaling the rest by 1/(1-p))."""

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace  # inplace: accepted; the result is a new tensor

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class LayerNorm(Module):
    """Normalise over the last dims to zero mean and unit variance, then scale and shift."""

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device=None, dtype=None):
        super().__init__()
        self.normalized_shape = ((normalized_shape,) if isinstance(normalized_shape, int)
                                 else tuple(normalized_shape))
        self.eps, self.elementwise_affine = eps, elementwise_affine
        dt = _factory(device, dtype)
        self.weight = Parameter(np.ones(self.normalized_shape, dt)) if elementwise_affine \
            else None
        self.bias = Parameter(np.zeros(self.normalized_shape, dt)) if elementwise_affine \
            and bias else None

    def reset_parameters(self) -> None:
        """weight = 1, bias = 0."""
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x: Tensor) -> Tensor:
        n = len(self.normalized_shape)
        if x.shape[-n:] != self.normalized_shape:
            raise ValueError(f"LayerNorm: expected input ending in {self.normalized_shape}, got "
                             f"{x.shape}")
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")
