"""Connectionist temporal classification loss (Graves et al., ICML 2006), as torch computes it.

For one sequence with frame log-probabilities lp[t, c] (t < T_n) and target l (length L),
extend the target with blanks, l' = (blank, l_1, blank, l_2, ..., l_L, blank) (2L + 1 states),
and run the forward (alpha) and backward (beta) recursions in log space:

    alpha[0, 0] = lp[0, blank],   alpha[0, 1] = lp[0, l'_1]
    alpha[t, s] = lse(alpha[t-1, s], alpha[t-1, s-1], alpha[t-1, s-2] if l'_s != l'_{s-2})
                  + lp[t, l'_s]
    loss = -lse(alpha[T_n - 1, 2L], alpha[T_n - 1, 2L - 1])       (lse = log-sum-exp)

beta is the same recursion run from the end.  alpha[t, s] + beta[t, s] counts lp[t, l'_s] twice,
so the posterior of emitting c at frame t is exp(lcab[t, c] + loss - lp[t, c]) with
lcab[t, c] = lse over {s : l'_s = c} of alpha[t, s] + beta[t, s].

**The gradient is torch's**: d/d lp[t, c] is returned as exp(lp[t, c]) - posterior[t, c] (0 for
t >= T_n).  That is the gradient w.r.t. the *logits* when ``lp = log_softmax(logits)``, and the
gradient through that log_softmax is then exactly the true one (sum_c exp(lp) = 1).  For log-
probabilities that are not normalised it is not the derivative of the loss w.r.t. lp (which is
-posterior): like torch, feed ``ctc_loss`` log_softmax outputs.

``ctc_ref`` is the readable numpy version (a loop over the batch, vectorised over states);
``_ctc_kernel`` the same recursions as Numba loops.  Both expect validated, padded inputs.
"""
from __future__ import annotations

import numpy as np

import minigrad as mg
from minigrad import Function, Tensor
from minigrad.kernels import jit, pick

from .module import Module

NEG_INF = -np.inf


def _lse3(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """log(e^a + e^b + e^c), torch's way: shifted by the max (by 0 when all are -inf)."""
    m = np.maximum(np.maximum(a, b), c)
    m = np.where(m == NEG_INF, 0.0, m)
    with np.errstate(divide="ignore"):  # log(0) = -inf: no path reaches this state
        return np.log(np.exp(a - m) + np.exp(b - m) + np.exp(c - m)) + m


def _extended(target: np.ndarray, blank: int) -> np.ndarray:
    ext = np.full(2 * len(target) + 1, blank, np.int64)
    ext[1::2] = target
    return ext


def ctc_ref(lp: np.ndarray, targets: np.ndarray, input_lengths: np.ndarray,
            target_lengths: np.ndarray, blank: int, want_grad: bool):
    """lp (T, N, C), targets (N, S) padded -> (loss (N,), torch's gradient (T, N, C) for a unit
    upstream gradient; empty when not ``want_grad``)."""
    T, N, C = lp.shape
    loss = np.empty(N, lp.dtype)
    grad = np.zeros(lp.shape if want_grad else (0, 0, 0), lp.dtype)
    for n in range(N):
        Tn, L = int(input_lengths[n]), int(target_lengths[n])
        ext = _extended(targets[n, :L], blank)
        skip = np.zeros(2 * L + 1, bool)  # may alpha[., s] come from alpha[., s - 2]?
        skip[2:] = ext[2:] != ext[:-2]
        y = lp[:Tn, n][:, ext]  # (Tn, 2L + 1): each state's emission log-probability
        if Tn == 0:
            loss[n] = 0.0 if L == 0 else np.inf
            continue
        alpha = np.full((Tn, 2 * L + 1), NEG_INF, lp.dtype)
        alpha[0, :2] = y[0, :2]
        for t in range(1, Tn):
            a = alpha[t - 1]
            a1 = np.concatenate([[NEG_INF], a[:-1]])
            a2 = np.where(skip, np.concatenate([[NEG_INF, NEG_INF], a[:-2]])[:2 * L + 1],
                          NEG_INF)
            alpha[t] = _lse3(a, a1, a2) + y[t]
        end = alpha[Tn - 1, 2 * L - 1] if L else NEG_INF
        loss[n] = -_lse3(alpha[Tn - 1, 2 * L], end, np.array(NEG_INF))
        if not want_grad:
            continue
        beta = np.full((Tn, 2 * L + 1), NEG_INF, lp.dtype)
        beta[Tn - 1, 2 * L - 1 if L else 0:] = y[Tn - 1, 2 * L - 1 if L else 0:]
        skip_back = np.zeros(2 * L + 1, bool)  # may beta[., s] come from beta[., s + 2]?
        skip_back[:-2] = ext[:-2] != ext[2:]
        for t in range(Tn - 2, -1, -1):
            b = beta[t + 1]
            b1 = np.concatenate([b[1:], [NEG_INF]])
            b2 = np.where(skip_back, np.concatenate([b[2:], [NEG_INF, NEG_INF]])[:2 * L + 1],
                          NEG_INF)
            beta[t] = _lse3(b, b1, b2) + y[t]
        ab = alpha + beta
        lcab = np.full((Tn, C), NEG_INF, lp.dtype)
        for s in range(2 * L + 1):  # collect the states that emit the same label
            c = ext[s]
            lcab[:, c] = _lse3(lcab[:, c], ab[:, s], np.array(NEG_INF))
        with np.errstate(invalid="ignore"):  # an impossible alignment gives NaN, as torch
            grad[:Tn, n] = np.exp(lp[:Tn, n]) - np.exp(lcab + loss[n] - lp[:Tn, n])
    return loss, grad


@jit
def _lse3_scalar(a, b, c):
    m = max(a, b, c)
    if m == -np.inf:
        m = 0.0
    return np.log(np.exp(a - m) + np.exp(b - m) + np.exp(c - m)) + m


@jit
def _ctc_kernel(lp, targets, input_lengths, target_lengths, blank, want_grad):
    T, N, C = lp.shape
    S2 = 2 * targets.shape[1] + 1
    loss = np.empty(N, lp.dtype)
    grad = np.zeros((T, N, C) if want_grad else (0, 0, 0), lp.dtype)
    alpha = np.empty((T, S2), lp.dtype)
    beta = np.empty((T, S2), lp.dtype)
    lcab = np.empty((T, C), lp.dtype)
    ext = np.empty(S2, np.int64)
    ninf = -np.inf
    for n in range(N):
        Tn, L = input_lengths[n], target_lengths[n]
        W = 2 * L + 1
        for s in range(W):
            ext[s] = targets[n, s // 2] if s % 2 else blank
        if Tn == 0:
            loss[n] = 0.0 if L == 0 else np.inf
            continue
        for s in range(W):
            alpha[0, s] = lp[0, n, ext[s]] if s < 2 else ninf
        for t in range(1, Tn):
            for s in range(W):
                a1 = alpha[t - 1, s - 1] if s > 0 else ninf
                a2 = alpha[t - 1, s - 2] if s > 1 and ext[s] != ext[s - 2] else ninf
                alpha[t, s] = _lse3_scalar(alpha[t - 1, s], a1, a2) + lp[t, n, ext[s]]
        end = alpha[Tn - 1, W - 2] if L > 0 else ninf
        loss[n] = -_lse3_scalar(alpha[Tn - 1, W - 1], end, ninf)
        if not want_grad:
            continue
        for s in range(W):
            beta[Tn - 1, s] = lp[Tn - 1, n, ext[s]] if s >= W - 2 else ninf
        for t in range(Tn - 2, -1, -1):
            for s in range(W):
                b1 = beta[t + 1, s + 1] if s < W - 1 else ninf
                b2 = beta[t + 1, s + 2] if s < W - 2 and ext[s] != ext[s + 2] else ninf
                beta[t, s] = _lse3_scalar(beta[t + 1, s], b1, b2) + lp[t, n, ext[s]]
        for t in range(Tn):
            for c in range(C):
                lcab[t, c] = ninf
            for s in range(W):
                lcab[t, ext[s]] = _lse3_scalar(lcab[t, ext[s]], alpha[t, s] + beta[t, s], ninf)
            for c in range(C):
                grad[t, n, c] = np.exp(lp[t, n, c]) - np.exp(lcab[t, c] + loss[n] - lp[t, n, c])
    return loss, grad


def _ctc_numba(lp, targets, input_lengths, target_lengths, blank, want_grad):
    return _ctc_kernel(np.ascontiguousarray(lp), np.ascontiguousarray(targets, np.int64),
                       np.ascontiguousarray(input_lengths, np.int64),
                       np.ascontiguousarray(target_lengths, np.int64), int(blank),
                       bool(want_grad))


ctc_forward_backward = pick(_ctc_numba, ctc_ref)


class CTCLossFn(Function):
    """loss_n = -log p(target_n | lp[:, n]) summed over alignments;  d loss_n / d lp[t, n, c]
    = exp(lp) - posterior (torch's convention, see the module docstring)."""

    @staticmethod
    def forward(ctx, log_probs, *, targets, input_lengths, target_lengths, blank, zero_infinity):
        want = bool(ctx.needs_input_grad[0]) and mg.is_grad_enabled()
        loss, grad = ctc_forward_backward(log_probs, targets, input_lengths, target_lengths,
                                          blank, want)
        if zero_infinity:
            impossible = loss == np.inf
            loss[impossible] = 0
            if want:
                grad[:, impossible] = 0
        ctx.save_for_backward(grad)
        return loss

    @staticmethod
    def backward(ctx, g):
        if isinstance(g, Tensor):  # create_graph: the gradient as an op of its own (below)
            return CTCLossBackward.apply(g, ctx.inputs[0], grad=ctx.saved[0])
        (grad,) = ctx.saved_tensors
        return grad * g[None, :, None]


class CTCLossBackward(Function):
    """d lp = grad * g, the first derivative as an op (what create_graph records): its
    derivative in g is ``grad``; in log_probs (the CTC Hessian) it is not implemented, as in
    torch, and asking for it raises."""

    @staticmethod
    def forward(ctx, g, log_probs, *, grad):
        return grad * g[None, :, None]

    @staticmethod
    def backward(ctx, gg):
        if ctx.needs_input_grad[1]:
            raise RuntimeError("ctc_loss: the derivative of its gradient with respect to "
                               "log_probs (a second derivative) is not implemented, as in "
                               "torch; detach log_probs in the gradient term")
        return (gg * ctx.params["grad"]).sum((0, 2)), None


# ----------------------------------------------------------------------------- validation


def _lengths(x, name: str, n: int, batched: bool) -> np.ndarray:
    a = np.asarray(x.detach() if isinstance(x, Tensor) else x)
    if a.dtype.kind not in "iu" and not (a.dtype.kind == "f" and a.size == 0):
        raise TypeError(f"ctc_loss: {name} must hold integers, got {a.dtype}")
    if not batched and a.ndim == 0:
        a = a.reshape(1)
    if a.shape != (n,):
        raise RuntimeError(f"{name} must be of size batch_size ({n}), got shape {a.shape}")
    if n and a.min() < 0:
        raise RuntimeError(f"Expected {name} to have value at least 0, but got value "
                           f"{int(a.min())}")
    return a.astype(np.int64)


def _padded_targets(targets, target_lengths: np.ndarray, n: int) -> np.ndarray:
    """Targets as an (N, S) int64 array, whether given padded (N, S) or concatenated 1-D
    (as an unbatched target is, torch's rule)."""
    t = np.asarray(targets.detach() if isinstance(targets, Tensor) else targets)
    if t.dtype.kind == "f" and np.all(t == np.round(t)):
        t = t.astype(np.int64)  # torch accepts whole-number float targets
    if t.dtype.kind not in "iu":
        raise TypeError(f"ctc_loss: targets must hold integer class indices, got {t.dtype}")
    t = t.astype(np.int64)
    if t.ndim == 1:
        total = int(target_lengths.sum())
        if t.shape[0] != total:
            raise RuntimeError(f"Expected tensor to have size {total} at dimension 0, but got "
                               f"size {t.shape[0]} for argument #2 'targets' (concatenated "
                               f"targets need sum(target_lengths) entries)")
        padded = np.zeros((n, int(target_lengths.max(initial=0))), np.int64)
        ends = np.cumsum(target_lengths)
        for i, (end, k) in enumerate(zip(ends, target_lengths)):
            padded[i, :k] = t[end - k:end]
        return padded
    if t.ndim != 2:
        raise ValueError(f"ctc_loss: targets must be (N, S) padded or 1-D concatenated "
                         f"((S,) unbatched), got shape {t.shape}")
    if t.shape[0] != n:
        raise RuntimeError(f"Expected targets to have size {n} at dimension 0 (the batch), "
                           f"but got size {t.shape[0]}")
    if n and target_lengths.max() > t.shape[1]:
        raise RuntimeError(f"Expected tensor to have size at least {int(target_lengths.max())} "
                           f"at dimension 1, but got size {t.shape[1]} for argument #2 "
                           f"'targets'")
    return t


def ctc_loss(log_probs: Tensor, targets, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """CTC loss of log-probabilities ``log_probs`` (T, N, C) (or unbatched (T, C)), normally
    ``log_softmax`` outputs, against ``targets`` (N, S) padded or 1-D concatenated (exactly
    sum(target_lengths) entries, as an unbatched target (L,) must be), with
    ``input_lengths`` (N,) <= T and ``target_lengths`` (N,).  ``reduction='mean'`` divides
    each loss by its target length (at least 1) and averages over the batch; 'sum' adds;
    'none' returns (N,).  ``zero_infinity`` turns impossible alignments (infinite loss) into
    zero loss and zero gradient.  Gradients are torch's (see ``nn.ctc``)."""
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    lp = log_probs if isinstance(log_probs, Tensor) else mg.tensor(log_probs)
    if lp.ndim not in (2, 3) or lp.dtype.kind != "f":
        raise ValueError(f"ctc_loss: log_probs must be a float (T, N, C) or (T, C) tensor, got "
                         f"{lp.dtype} of shape {lp.shape}")
    if lp.numel() == 0:
        raise RuntimeError("log_probs tensor must not be empty")
    batched = lp.ndim == 3
    x = lp if batched else lp.unsqueeze(1)
    T, N, C = x.shape
    if not 0 <= blank < C:
        raise RuntimeError(f"blank must be in label range [0, {C}), got {blank}")
    il = _lengths(input_lengths, "input_lengths", N, batched)
    tl = _lengths(target_lengths, "target_lengths", N, batched)
    if N and il.max() > T:
        raise RuntimeError(f"Expected input_lengths to have value at most {T}, but got value "
                           f"{int(il.max())}")
    tg = _padded_targets(targets, tl, N)
    used = np.arange(tg.shape[1])[None, :] < tl[:, None]
    bad = used & ((tg < 0) | (tg >= C) | (tg == blank))
    if bad.any():
        n, s = np.argwhere(bad)[0]
        raise ValueError(f"ctc_loss: target {int(tg[n, s])} (sequence {n}, position {s}) must "
                         f"be a class index in [0, {C}) other than blank={blank}")
    loss = CTCLossFn.apply(x, targets=tg, input_lengths=il, target_lengths=tl, blank=int(blank),
                           zero_infinity=bool(zero_infinity))
    if not batched:
        loss = loss.reshape(())
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return (loss / mg.tensor(np.maximum(tl, 1).astype(x.dtype).reshape(loss.shape))).mean()
    return loss


class CTCLoss(Module):
    """``ctc_loss`` as a module: forward(log_probs, targets, input_lengths, target_lengths)."""

    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False):
        super().__init__()
        if reduction not in ("none", "mean", "sum"):
            raise ValueError(f"{reduction} is not a valid value for reduction")
        self.blank, self.reduction, self.zero_infinity = blank, reduction, zero_infinity

    def forward(self, log_probs: Tensor, targets, input_lengths, target_lengths) -> Tensor:
        """``ctc_loss`` with this module's blank, reduction and zero_infinity."""
        return ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank,
                        self.reduction, self.zero_infinity)
