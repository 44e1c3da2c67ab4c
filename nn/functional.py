"""Stateless functions: one_hot, embedding, dropout, layer_norm, losses (and attention)."""
from __future__ import annotations

import numpy as np

import minigrad as mg
from minigrad import Function, Tensor
from minigrad.ops.unary import sigmoid

from .attention_functional import scaled_dot_product_attention  # noqa: F401
from .ctc import ctc_loss  # noqa: F401
from .erf import Erf, Gelu
from .kernels.cross_entropy import cross_entropy_rows


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else mg.tensor(x)


def _ints(x, what: str) -> np.ndarray:
    a = np.asarray(x)
    if a.dtype.kind not in "iu":
        raise TypeError(f"{what} must be an integer tensor, got {a.dtype}")
    return a


def one_hot(indices, num_classes: int = -1) -> Tensor:
    """int64 tensor of shape ``indices.shape + (num_classes,)`` with a 1 at each index."""
    idx = _ints(indices, "one_hot: indices")
    n = int(idx.max()) + 1 if num_classes < 0 else num_classes
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise ValueError(f"one_hot: class values must be in [0, {n}), got "
                         f"{idx.min() if idx.min() < 0 else idx.max()}")
    return Tensor(np.eye(n, dtype=np.int64)[idx])


def embedding(input, weight: Tensor, padding_idx: int | None = None, max_norm=None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False,
              sparse: bool = False) -> Tensor:
    """y = W[idx]: the rows of ``weight`` (V, D) at the integer indices, shape idx.shape + (D,).
    dW is the scatter-add of the gradient rows into the rows read; the ``padding_idx`` row
    gets none."""
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: max_norm, scale_grad_by_freq and sparse are not "
                                  "supported")
    idx = _ints(input, "embedding: input")
    n = weight.shape[0]
    if idx.size and (idx.max() >= n or idx.min() < 0):
        bad = idx.max() if idx.max() >= n else idx.min()
        raise IndexError(f"embedding: index {bad} is out of range for a table of "
                         f"{n} embeddings (valid: 0..{n - 1})")
    rows = weight[idx.reshape(-1)]
    if padding_idx is not None:  # same values; no gradient reaches the padding row
        pad = (idx.reshape(-1) == padding_idx % n)[:, None]
        if pad.any():
            rows = mg.where(pad, rows.detach(), rows)
    return rows.reshape(*idx.shape, weight.shape[1])


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) (training only)."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0.0
    keep = (mg.rand(*x.shape, dtype=np.float64).numpy() >= p).astype(x.dtype) / (1 - p)
    return x * keep


def layer_norm(x: Tensor, normalized_shape, weight=None, bias=None, eps: float = 1e-5):
    """(x - mean) / sqrt(var + eps) * weight + bias over the last len(normalized_shape) dims."""
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and p.dtype != x.dtype:
            raise RuntimeError(f"layer_norm: mixed dtype (CPU): expected {name} to have the "
                               f"input's dtype {x.dtype}, got {p.dtype}")
    dims = tuple(range(-len(normalized_shape), 0))
    mu = x.mean(dims, keepdim=True)
    xc = x - mu
    y = xc / ((xc * xc).mean(dims, keepdim=True) + eps).sqrt()
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


# ----------------------------------------------------------------------------- losses


def _reduce(loss: Tensor, reduction: str, denom=None) -> Tensor:
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.sum() / denom if denom is not None else loss.mean()
    raise ValueError(f"reduction must be 'none', 'mean' or 'sum', got {reduction!r}")


def _class_last(x: Tensor) -> Tensor:
    """(N, C, d1, ...) -> (N, d1, ..., C)"""
    return x if x.ndim <= 2 else x.permute(0, *range(2, x.ndim), 1)


def _check_targets(inp: Tensor, tgt: np.ndarray, ignore_index: int, fn: str) -> int:
    if inp.ndim == 1:
        c, want = inp.shape[0], ()
    else:
        c, want = inp.shape[1], (inp.shape[0],) + inp.shape[2:]
    if tgt.shape != want:
        raise ValueError(f"{fn}: input of shape {inp.shape} needs a target of shape {want}, "
                         f"got {tgt.shape}")
    valid = tgt[tgt != ignore_index]
    if valid.size and (valid.min() < 0 or valid.max() >= c):
        bad = valid.min() if valid.min() < 0 else valid.max()
        raise IndexError(f"{fn}: target {bad} is out of bounds for {c} classes")
    return c


def nll_loss(input, target, ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """-input[n, target[n]] averaged over targets that are not ``ignore_index``."""
    input = _t(input)
    tgt = _ints(target, "nll_loss: target")
    _check_targets(input, tgt, ignore_index, "nll_loss")
    logp = _class_last(input)
    if input.ndim == 1:
        logp, tgt = logp.unsqueeze(0), tgt.reshape(1)
    keep = tgt != ignore_index
    picked = logp.gather(-1, np.where(keep, tgt, 0)[..., None])[..., 0]
    loss = -picked * mg.tensor(keep.astype(input.dtype))
    loss = loss.reshape(()) if input.ndim == 1 else loss
    return _reduce(loss, reduction, max(int(keep.sum()), 0) or np.nan)


class CrossEntropyRows(Function):
    """Fused softmax + cross-entropy per row of (N, C) logits (the kernel in
    ``nn.kernels.cross_entropy``);  dloss_n/dx_n = softmax(x_n) - smoothed onehot(t_n)
    (zero for ignored rows).  The kernel computes that gradient in the forward pass; under
    create_graph it is recomputed from x with tensor ops, so it can be differentiated."""

    @staticmethod
    def forward(ctx, x, *, target, ignore_index, smoothing):
        loss, grad = cross_entropy_rows(x, target, ignore_index, smoothing)
        ctx.save_for_backward(x, grad)
        return loss

    @staticmethod
    def backward(ctx, g):
        x, dx = ctx.saved_tensors
        if isinstance(g, Tensor):
            p = ctx.params
            keep = (p["target"] != p["ignore_index"])[:, None]
            onehot = np.eye(x.shape[1], dtype=x.dtype)[np.where(keep[:, 0], p["target"], 0)]
            smooth = (1 - p["smoothing"]) * onehot + p["smoothing"] / x.shape[1]
            dx = (x.softmax(1) - smooth) * keep
        return dx * g.reshape(-1, 1)


def cross_entropy(input, target, ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """log_softmax over the class dim (1, or 0 for an unbatched (C,) input) then nll_loss;
    with label smoothing eps: (1 - eps) * nll + eps * mean over classes of -log p.

    Runs the fused row kernel; ``cross_entropy_composed`` is the same loss from tensor ops."""
    input = _t(input)
    if input.dtype.kind not in "fc":  # integer logits promote (the kernel would truncate)
        input = input.astype(mg.get_default_dtype())
    if not 0 <= label_smoothing <= 1:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    tgt = _ints(target, "cross_entropy: target")
    _check_targets(input, tgt, ignore_index, "cross_entropy")
    rows = _class_last(input if input.ndim > 1 else input.unsqueeze(0))
    C = rows.shape[-1]
    if mg.is_reference_mode():
        return cross_entropy_composed(input, tgt, ignore_index, reduction, label_smoothing)
    loss = CrossEntropyRows.apply(rows.reshape(-1, C), target=tgt.reshape(-1),
                                  ignore_index=ignore_index, smoothing=label_smoothing)
    loss = loss.reshape(tgt.shape)
    return _reduce(loss, reduction, int((tgt != ignore_index).sum()) or np.nan)


def cross_entropy_composed(input, target, ignore_index: int = -100, reduction: str = "mean",
                           label_smoothing: float = 0.0) -> Tensor:
    """The reference: ``cross_entropy`` written with log_softmax, gather and mean."""
    input = _t(input)
    tgt = _ints(target, "cross_entropy: target")
    logp = input.log_softmax(0 if input.ndim == 1 else 1)
    nll = nll_loss(logp, tgt, ignore_index, "none")
    if label_smoothing == 0:
        keep = int((tgt != ignore_index).sum())
        return _reduce(nll, reduction, keep or np.nan)
    keep = tgt != ignore_index
    smooth = -_class_last(logp).mean(-1) if input.ndim > 1 else -logp.mean()
    smooth = smooth * mg.tensor(keep.astype(input.dtype))
    loss = nll * (1 - label_smoothing) + smooth * label_smoothing
    return _reduce(loss, reduction, int(keep.sum()) or np.nan)


def _same_shape(a: Tensor, b: Tensor, fn: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{fn}: target shape {b.shape} must match input shape {a.shape}")


def mse_loss(input, target, reduction: str = "mean") -> Tensor:
    input, target = _t(input), _t(target)
    _same_shape(input, target, "mse_loss")
    d = input - target
    return _reduce(d * d, reduction)


def binary_cross_entropy(input, target, reduction: str = "mean") -> Tensor:
    """-(t log p + (1 - t) log(1 - p)), each log clamped at -100 as torch does."""
    input, target = _t(input), _t(target)
    _same_shape(input, target, "binary_cross_entropy")
    p = input.detach().numpy()
    if p.size and (p.min() < 0 or p.max() > 1):
        raise ValueError("binary_cross_entropy: input must be probabilities in [0, 1]; for "
                         "logits use binary_cross_entropy_with_logits")
    return _reduce(BCE.apply(input, target), reduction)


class BCE(Function):
    """l = -(t max(log x, -100) + (1 - t) max(log(1 - x), -100));
    dl/dx = (x - t) / max(x (1 - x), 1e-12)  (torch's clamps: finite at x = 0 or 1),
    dl/dt = log(1 - x) - log x  (unclamped, as torch: infinite at x = 0 or 1)"""

    @staticmethod
    def forward(ctx, x, t):
        ctx.save_for_backward(x, t)
        with np.errstate(divide="ignore"):
            logp, log1mp = np.maximum(np.log(x), -100.0), np.maximum(np.log1p(-x), -100.0)
        return np.asarray(-(t * logp + (1 - t) * log1mp), x.dtype)

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        gx = g * (x - t) / np.maximum(x * (1 - x), 1e-12)
        gt = None
        if ctx.needs_input_grad[1]:
            with np.errstate(divide="ignore"):
                gt = g * (np.log(1 - x) - np.log(x))
        return gx, gt


class BCEWithLogits(Function):
    """l = max(x, 0) - x t + log(1 + e^-|x|)  (stable for any x);  dl/dx = sigmoid(x) - t,
    dl/dt = -x"""

    @staticmethod
    def forward(ctx, x, t):
        ctx.save_for_backward(x, t)
        return np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        return g * (sigmoid(x) - t), (-g * x if ctx.needs_input_grad[1] else None)


def binary_cross_entropy_with_logits(input, target, reduction: str = "mean",
                                     pos_weight=None) -> Tensor:
    input, target = _t(input), _t(target)
    _same_shape(input, target, "binary_cross_entropy_with_logits")
    if pos_weight is None:
        return _reduce(BCEWithLogits.apply(input, target), reduction)
    # with pos_weight w: -(w t log s(x) + (1 - t) log(1 - s(x)))
    w = _t(pos_weight)
    log_sig = -BCEWithLogits.apply(input, mg.ones_like(input))
    log_1m = -BCEWithLogits.apply(input, mg.zeros_like(input))
    return _reduce(-(w * target * log_sig + (1.0 - target) * log_1m), reduction)


# ----------------------------------------------------------------------------- erf, gelu


def erf(input) -> Tensor:
    """The error function erf(x) = 2/sqrt(pi) int_0^x e^{-t^2} dt, elementwise;
    d/dx = 2/sqrt(pi) e^{-x^2}."""
    return Erf.apply(_t(input))


def gelu(input, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit x Phi(x) (Phi the standard normal CDF), exact ('none') or
    with torch's tanh approximation ('tanh')."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    input = _t(input)
    if input.dtype.kind != "f":
        raise TypeError(f"gelu: input must be a floating-point tensor, got {input.dtype}")
    return Gelu.apply(input, approximate=approximate)
