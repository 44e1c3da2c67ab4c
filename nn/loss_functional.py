"""Loss functions of ``nn.functional`` (torch's arguments, reductions, errors and numbers).

Every loss is a composition of differentiable tensor ops except two fused paths:
cross-entropy with class-index targets and no class weights (one row kernel, in
``nn.kernels.cross_entropy``) and binary cross-entropy (a ``Function`` with torch's clamped
log and its exact gradient).  In ``mg.reference_mode()`` those two run their composed
definitions too."""
from __future__ import annotations

import math
import warnings

import numpy as np

import minigrad as mg
from minigrad import Function, Tensor

from .activation_functional import logsigmoid, softplus
from .distance_functional import pairwise_distance
from .kernels.cross_entropy import cross_entropy_rows

REDUCTIONS = ("none", "mean", "sum")


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else mg.tensor(x)


def _arr(x) -> np.ndarray:
    return x.detach().numpy() if isinstance(x, Tensor) else np.asarray(x)


def _ints(x, fn: str) -> np.ndarray:
    a = _arr(x)
    if a.dtype.kind not in "iu":
        raise RuntimeError(f"{fn}: expected an integer (Long) target of class indices, got "
                           f"{a.dtype}")
    return a.astype(np.int64, copy=False)


def legacy_reduction(size_average, reduce, reduction: str) -> str:
    """torch's deprecated ``size_average`` / ``reduce`` arguments, mapped to ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = ("mean" if size_average else "sum") if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{reduction}' instead.", UserWarning, stacklevel=3)
    return reduction


def _check_reduction(reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _reduce(loss: Tensor, reduction: str, denom=None) -> Tensor:
    """'none': loss;  'sum': sum;  'mean': sum / denom (default: the number of elements)."""
    _check_reduction(reduction)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if denom is None:
        return loss.mean()
    return loss.sum() / denom if denom else loss.sum() * np.nan


def _broadcast_pair(input, target, fn: str) -> tuple[Tensor, Tensor]:
    """torch's elementwise losses: warn when the shapes differ, then broadcast."""
    input, target = _t(input), _t(target)
    if input.shape != target.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size"
                      f" ({input.shape}). This will likely lead to incorrect results due to "
                      f"broadcasting. Please ensure they have the same size.", UserWarning,
                      stacklevel=3)
        try:
            shape = np.broadcast_shapes(input.shape, target.shape)
        except ValueError:
            raise RuntimeError(f"{fn}: the size of input {input.shape} and target "
                               f"{target.shape} cannot be broadcast together") from None
        input, target = input.broadcast_to(shape), target.broadcast_to(shape)
    return input, target


# ----------------------------------------------------------------------------- class targets


def _class_last(x: Tensor) -> Tensor:
    """(N, C, d1, ...) -> (N, d1, ..., C)"""
    return x if x.ndim <= 2 else x.permute(0, *range(2, x.ndim), 1)


def _check_targets(inp: Tensor, tgt: np.ndarray, weight, ignore_index: int, fn: str) -> int:
    """torch's checks of (input, class-index target, weight); returns the number of classes."""
    if inp.ndim == 0:
        raise ValueError(f"Expected 1 or more dimensions (got {inp.ndim})")
    c = inp.shape[0] if inp.ndim == 1 else inp.shape[1]
    want = () if inp.ndim == 1 else (inp.shape[0],) + inp.shape[2:]
    if inp.ndim >= 2 and (tgt.ndim == 0 or tgt.shape[0] != inp.shape[0]):
        raise ValueError(f"Expected input batch_size ({inp.shape[0]}) to match target "
                         f"batch_size ({tgt.shape[0] if tgt.ndim else 0}).")
    if tgt.shape != want:
        raise RuntimeError(f"{fn}: input of shape {inp.shape} needs a target of shape {want}, "
                           f"got {tgt.shape}")
    if weight is not None and np.shape(weight) != (c,):
        raise RuntimeError(f"weight tensor should be defined either for all {c} classes or no "
                           f"classes but got weight tensor of shape: {list(np.shape(weight))}")
    bad = tgt[(tgt != ignore_index) & ((tgt < 0) | (tgt >= c))]
    if bad.size:
        raise IndexError(f"Target {bad.flat[0]} is out of bounds.")
    return c


def _weight_array(weight, dtype) -> np.ndarray | None:
    return None if weight is None else _arr(weight).astype(dtype, copy=False)


def _nll(logp: Tensor, tgt: np.ndarray, w: np.ndarray | None, ignore_index: int,
         reduction: str) -> Tensor:
    """-w[t] logp[..., t] per position (logp class-last), 0 where t is ignored; 'mean' divides
    by the summed weights of the targets kept."""
    keep = tgt != ignore_index
    tt = np.where(keep, tgt, 0)
    picked = -logp.gather(-1, tt[..., None])[..., 0]
    wt = keep.astype(logp.dtype) if w is None else np.where(keep, w[tt], 0).astype(logp.dtype)
    loss = mg.where(mg.tensor(keep), picked * wt, mg.zeros_like(picked))
    return _reduce(loss, reduction, float(wt.sum()))


def nll_loss(input, target, weight=None, size_average=None, ignore_index: int = -100,
             reduce=None, reduction: str = "mean") -> Tensor:
    """l_n = -w[t_n] x[n, t_n] for log-probabilities x (N, C, d...) or (C,), 0 for targets
    equal to ``ignore_index``; 'mean' = sum_n l_n / sum_n w[t_n] (targets not ignored)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    input = _t(input)
    tgt = _ints(target, "nll_loss")
    _check_targets(input, tgt, weight, ignore_index, "nll_loss")
    w = _weight_array(weight, input.dtype)
    if input.ndim == 1:
        return _nll(input.unsqueeze(0), tgt.reshape(1), w, ignore_index, reduction).reshape(())
    return _nll(_class_last(input), tgt, w, ignore_index, reduction)


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
            dx = mg.where(mg.tensor(keep), x.softmax(1) - smooth, mg.zeros_like(x))
        return dx * g.reshape(-1, 1)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index: int = -100,
                  reduce=None, reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy of logits ``input`` (N, C, d...) or (C,) against class indices (N, d...)
    or class probabilities (the input's shape), as torch:

    indices:  l_n = (1 - e) w[t_n] (-logp[n, t_n]) + e/C sum_c w_c (-logp[n, c]),  'mean'
              divides by sum_n w[t_n] over targets not equal to ``ignore_index``;
    probabilities:  l_n = -sum_c w_c logp[n, c] ((1 - e) p[n, c] + e/C),  'mean' divides by
              N d... (the number of positions); e = ``label_smoothing``.
    Class indices without weights run the fused kernel, unless in ``mg.reference_mode()``."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if not 0 <= label_smoothing <= 1:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing}")
    input = _t(input)
    if input.dtype.kind not in "fc":  # integer logits promote (the kernel would truncate)
        input = input.astype(mg.get_default_dtype())
    if input.ndim >= 1 and tuple(np.shape(target)) == input.shape:
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing)
    tgt = _ints(target, "cross_entropy")
    _check_targets(input, tgt, weight, ignore_index, "cross_entropy")
    if weight is not None or mg.is_reference_mode():
        return cross_entropy_composed(input, tgt, weight, ignore_index, reduction,
                                      label_smoothing)
    rows = _class_last(input if input.ndim > 1 else input.unsqueeze(0))
    C = rows.shape[-1]
    loss = CrossEntropyRows.apply(rows.reshape(-1, C), target=tgt.reshape(-1),
                                  ignore_index=ignore_index, smoothing=float(label_smoothing))
    loss = loss.reshape(tgt.shape)
    return _reduce(loss, reduction, float((tgt != ignore_index).sum()))


def cross_entropy_composed(input, target, weight=None, ignore_index: int = -100,
                           reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """The definition for class-index targets: log_softmax, then the (weighted) nll, plus
    the smoothing term e/C sum_c w_c (-logp_c) normalised as the nll (torch's formula)."""
    input = _t(input)
    tgt = _ints(target, "cross_entropy")
    w = _weight_array(weight, input.dtype)
    logp = _class_last(input.log_softmax(0 if input.ndim == 1 else 1))
    if input.ndim == 1:
        logp, tgt_rows = logp.unsqueeze(0), tgt.reshape(1)
    else:
        tgt_rows = tgt
    nll = _nll(logp, tgt_rows, w, ignore_index, reduction)
    if label_smoothing > 0:
        keep = tgt_rows != ignore_index
        per_class = -logp if w is None else -logp * w
        smooth = mg.where(mg.tensor(keep), per_class.sum(-1), mg.zeros(keep.shape,
                                                                     dtype=input.dtype))
        tt = np.where(keep, tgt_rows, 0)
        denom = float(keep.sum()) if w is None else float(np.where(keep, w[tt], 0).sum())
        smooth = _reduce(smooth, reduction, denom)
        nll = nll * (1 - label_smoothing) + smooth * (label_smoothing / logp.shape[-1])
    return nll.reshape(()) if input.ndim == 1 else nll


def _cross_entropy_probs(input: Tensor, target, weight, reduction: str,
                         label_smoothing: float) -> Tensor:
    target = _t(target)
    if target.dtype.kind != "f":
        raise RuntimeError(f"Expected floating point type for target with class probabilities,"
                           f" got {target.dtype}")
    dim = 0 if input.ndim == 1 else 1
    C = input.shape[dim]
    logp = input.log_softmax(dim)
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / C
    terms = logp * target
    if weight is not None:
        if np.shape(weight) != (C,):
            raise RuntimeError(f"weight tensor should be defined either for all {C} classes or "
                               f"no classes but got weight tensor of shape: "
                               f"{list(np.shape(weight))}")
        shape = [1] * input.ndim
        shape[dim] = C
        terms = terms * _weight_array(weight, input.dtype).reshape(shape)
    if reduction == "none":
        return -terms.sum(dim)
    if reduction == "sum":
        return -terms.sum()
    return -terms.sum() / (input.numel() // C) if input.numel() else -terms.sum() * np.nan


# ----------------------------------------------------------------------------- regression


def mse_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
             weight=None) -> Tensor:
    """(x - y)^2 (times ``weight`` when given)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    input, target = _broadcast_pair(input, target, "mse_loss")
    d = input - target
    loss = d * d if weight is None else d * d * _t(weight)
    return _reduce(loss, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
            weight=None) -> Tensor:
    """|x - y| (gradient sign(x - y), 0 at 0)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    input, target = _broadcast_pair(input, target, "l1_loss")
    loss = (input - target).abs()
    return _reduce(loss if weight is None else loss * _t(weight), reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta  (d = x - y; l1 for beta = 0)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0:
        return l1_loss(input, target, reduction=reduction)
    input, target = _broadcast_pair(input, target, "smooth_l1_loss")
    d = input - target
    a = d.abs()
    return _reduce(mg.where(a < beta, d * d * (0.5 / beta), a - 0.5 * beta), reduction)


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0,
               weight=None) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta)  (d = x - y)."""
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    input, target = _broadcast_pair(input, target, "huber_loss")
    d = input - target
    a = d.abs()
    loss = mg.where(a < delta, d * d * 0.5, (a - 0.5 * delta) * delta)
    return _reduce(loss if weight is None else loss * _t(weight), reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """Pointwise KL term with ``input`` = log q:  t (log t - x)  (0 where t = 0), or with
    ``log_target``: e^t (t - x).  'batchmean' divides the sum by the batch size input.shape[0]
    (the mathematically correct KL); 'mean' divides by the number of elements."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if reduction not in REDUCTIONS + ("batchmean",):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", UserWarning, stacklevel=2)
    input, target = _t(input), _t(target)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        zero = target == 0
        safe = mg.where(zero, mg.ones_like(target), target)
        loss = mg.where(zero, mg.zeros_like(target), target * safe.log()) - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.ndim else total
    return _reduce(loss, reduction)


# ----------------------------------------------------------------------------- binary


# torch's BCE backward: (x - y) / max((1 - x) x, EPS), EPS the float32 constant 1e-12f
EPS = float(np.float32(1e-12))


class BinaryCrossEntropy(Function):
    """l = -w (y max(log x, -100) + (1 - y) max(log(1 - x), -100))  (torch's clamp);
    dl/dx = w (x - y) / max((1 - x) x, 1e-12)  (finite even where x is exactly 0 or 1);
    dl/dy = -w logit(x) = -w log(x / (1 - x))  (infinite there) — both exactly torch's."""

    @staticmethod
    def forward(ctx, x, y, *, weight):
        ctx.save_for_backward(x, y)
        with np.errstate(divide="ignore"):
            lx, l1x = np.maximum(np.log(x), -100), np.maximum(np.log1p(-x), -100)
        loss = (y - 1) * l1x - y * lx
        return loss if weight is None else loss * weight

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        w = ctx.params["weight"]
        gw = g if w is None else g * w
        gx = gy = None
        if ctx.needs_input_grad[0]:
            gx = gw * (x - y) / np.maximum((1 - x) * x, EPS)
        if ctx.needs_input_grad[1]:
            with np.errstate(divide="ignore"):  # torch: -logit(x), unclamped (inf at 0, 1)
                gy = -gw * np.log(x / (1 - x))
        return gx, gy


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """-w (y log x + (1 - y) log(1 - x)) for probabilities x in [0, 1], each log clamped at
    -100 as torch does (finite loss and gradient at x = 0 or 1)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    input, target = _t(input), _t(target)
    if input.shape != target.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input "
                         f"size ({input.shape}) is deprecated. Please ensure they have the same "
                         f"size.")
    p = input.detach().numpy()
    if p.size and not ((p >= 0) & (p <= 1)).all():
        raise RuntimeError("all elements of input should be between 0 and 1")
    w = None
    if weight is not None:
        w = np.broadcast_to(_weight_array(weight, input.dtype), input.shape)
    if mg.is_reference_mode():
        return _reduce(binary_cross_entropy_composed(input, target, w), reduction)
    return _reduce(BinaryCrossEntropy.apply(input, target, weight=w), reduction)


def binary_cross_entropy_composed(input: Tensor, target: Tensor, weight=None) -> Tensor:
    """The definition from tensor ops (its gradient is nan where x is exactly 0 or 1)."""
    loss = -(target * input.log().clamp(min=-100.0)
             + (1.0 - target) * (1.0 - input).log().clamp(min=-100.0))
    return loss if weight is None else loss * weight


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
                                     reduce=None, reduction: str = "mean",
                                     pos_weight=None) -> Tensor:
    """l = w ((1 - y) x - (1 + (pw - 1) y) log sigmoid(x))  (torch's stable form of
    -w (pw y log s(x) + (1 - y) log(1 - s(x))));  dl/dx = w ((pw y + 1 - y) s(x) - pw y)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    input, target = _t(input), _t(target)
    if input.shape != target.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    logsig = logsigmoid(input)
    if pos_weight is not None:
        logsig = logsig * ((_t(pos_weight) - 1) * target + 1)
    loss = (1 - target) * input - logsig
    if weight is not None:
        loss = loss * _t(weight)
    return _reduce(loss, reduction)


# ----------------------------------------------------------------------------- margins


def _same_ndim(fn: str, **tensors: Tensor) -> None:
    if len({t.ndim for t in tensors.values()}) > 1:
        sizes = ", ".join(f"{k}: {list(t.shape)}" for k, t in tensors.items())
        raise RuntimeError(f"{fn} : All input tensors should have same dimension but got "
                           f"sizes: {sizes}")


def margin_ranking_loss(input1, input2, target, margin: float = 0.0, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, -y (x1 - x2) + margin)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    input1, input2, target = _t(input1), _t(input2), _t(target)
    _same_ndim("margin_ranking_loss", input1=input1, input2=input2, target=target)
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0), reduction)


def hinge_embedding_loss(input, target, margin: float = 1.0, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """x where y = 1, max(0, margin - x) where y = -1 (sum of both terms for other y)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    input, target = _t(input), _t(target)
    zeros = mg.zeros_like(input)
    out_margin = mg.where(target != 1, (margin - input).clamp(min=0), zeros)
    out_self = mg.where(target != -1, input, zeros)
    return _reduce(out_margin + out_self, reduction)


def cosine_embedding_loss(input1, input2, target, margin: float = 0.0, size_average=None,
                          reduce=None, reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1; cos over the
    last dim with torch's 1e-12 added to each squared norm."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    input1, input2, target = _t(input1), _t(input2), _t(target)
    if target.ndim not in (0, 1):
        raise RuntimeError(f"0D or 1D target tensor expected, multi-target not supported, got "
                           f"{target.ndim}D")
    if input1.ndim != target.ndim + 1 or input2.ndim != target.ndim + 1:
        raise RuntimeError(f"{target.ndim}D target tensor expects {target.ndim + 1}D input "
                           f"tensors, but found inputs with sizes {list(input1.shape)} and "
                           f"{list(input2.shape)}.")
    dim = target.ndim
    prod = (input1 * input2).sum(dim)
    m1 = (input1 * input1).sum(dim) + 1e-12
    m2 = (input2 * input2).sum(dim) + 1e-12
    cos = prod / (m1 * m2).sqrt()
    zeros = mg.zeros_like(cos)
    pos = mg.where(target == 1, 1 - cos, zeros)
    neg = mg.where(target == -1, (cos - margin).clamp(min=0), zeros)
    return _reduce(pos + neg, reduction)


# ----------------------------------------------------------------------------- likelihoods


def poisson_nll_loss(input, target, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """e^x - y x (``log_input``) or x - y log(x + eps); ``full`` adds Stirling's
    y log y - y + 0.5 log(2 pi y) where y > 1."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    input, target = _t(input), _t(target)
    loss = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        big = target > 1
        safe = mg.where(big, target, mg.ones_like(target))
        stirling = safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()
        loss = loss + mg.where(big, stirling, mg.zeros_like(stirling))
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """0.5 (log v + (x - y)^2 / v) (+ 0.5 log 2 pi with ``full``), v = max(var, eps) where the
    clamp passes gradient through unchanged (torch clamps under no_grad)."""
    input, target = _t(input), _t(target)
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = mg.ones_like(input) * var
    var = _t(var)
    if (var.detach().numpy() < 0).any():
        raise ValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            var = var.unsqueeze(-1)
        elif not (input.ndim == var.ndim and
                  sum(b for a, b in zip(input.shape, var.shape) if a != b) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    var = var + (var.detach().clamp(min=eps) - var.detach())
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """log(1 + e^{-y x})  (two-class logistic loss, y in {-1, 1})."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    input, target = _t(input), _t(target)
    return _reduce(softplus(-target * input, 1.0, math.inf), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction: str = "mean") -> Tensor:
    """-(1/C) sum_c w_c (y_c log sigmoid(x_c) + (1 - y_c) log sigmoid(-x_c)) per sample."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    input, target = _t(input), _t(target)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * _t(weight)
    loss = loss.sum(input.ndim - 1) / input.shape[-1]
    return _reduce(loss, reduction)


def triplet_margin_loss(anchor, positive, negative, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)), d the ``pairwise_distance`` (with ``swap``:
    d(a, n) replaced by min(d(a, n), d(p, n)))."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    anchor, positive, negative = _t(anchor), _t(positive), _t(negative)
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have "
                           f"the same number of dimensions, but got: anchor {anchor.ndim}D, "
                           f"positive {positive.ndim}D, and negative {negative.ndim}D inputs")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = d_neg.minimum(pairwise_distance(positive, negative, p, eps))
    return _reduce((margin + d_pos - d_neg).clamp(min=0), reduction)
