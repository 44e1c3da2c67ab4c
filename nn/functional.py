"""Stateless functions, torch's ``nn.functional``: activations (``activation_functional``),
losses (``loss_functional``), linear maps, normalisation, distances, padding, embedding,
dropout, layer_norm, one_hot (and attention, ctc_loss)."""
from __future__ import annotations

import numpy as np

import minigrad as mg
from minigrad import Function, Tensor, threads

from .activation_functional import (  # noqa: F401
    celu,
    celu_,
    elu,
    elu_,
    glu,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    hardtanh_,
    leaky_relu,
    leaky_relu_,
    log_softmax,
    logsigmoid,
    mish,
    prelu,
    relu,
    relu6,
    relu_,
    selu,
    selu_,
    sigmoid,
    silu,
    softmax,
    softmin,
    softplus,
    softshrink,
    softsign,
    tanh,
    tanhshrink,
    threshold,
    threshold_,
)
from .attention_functional import scaled_dot_product_attention  # noqa: F401
from .ctc import ctc_loss  # noqa: F401
from .distance_functional import cosine_similarity, normalize, pairwise_distance  # noqa: F401
from .erf import Erf, Gelu
from .loss_functional import (  # noqa: F401
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cosine_embedding_loss,
    cross_entropy,
    cross_entropy_composed,
    gaussian_nll_loss,
    hinge_embedding_loss,
    huber_loss,
    kl_div,
    l1_loss,
    margin_ranking_loss,
    mse_loss,
    multilabel_soft_margin_loss,
    nll_loss,
    poisson_nll_loss,
    smooth_l1_loss,
    soft_margin_loss,
    triplet_margin_loss,
)


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else mg.tensor(x)


def _ints(x, what: str) -> np.ndarray:
    a = x.detach().numpy() if isinstance(x, Tensor) else np.asarray(x)
    if a.dtype.kind not in "iu":
        raise RuntimeError(f"{what} must be an integer (Long or Int) tensor, got {a.dtype}")
    return a


def one_hot(tensor, num_classes: int = -1) -> Tensor:
    """int64 tensor of shape ``tensor.shape + (num_classes,)`` with a 1 at each index
    (num_classes = max + 1 when -1)."""
    idx = _ints(tensor, "one_hot: tensor")
    if num_classes < 0 and not idx.size:
        raise RuntimeError("Can not infer total number of classes from empty tensor.")
    if idx.size and idx.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    n = int(idx.max()) + 1 if num_classes < 0 else num_classes
    if idx.size and idx.max() >= n:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return Tensor(np.eye(n, dtype=np.int64)[idx])


def embedding(input, weight: Tensor, padding_idx: int | None = None, max_norm=None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False,
              sparse: bool = False) -> Tensor:
    """y = W[idx]: the rows of ``weight`` (V, D) at the integer indices, shape idx.shape + (D,).
    dW is the scatter-add of the gradient rows into the rows read; the ``padding_idx`` row
    gets none.  ``max_norm``: the rows looked up are first rescaled in place to norm at most
    max_norm (as torch); ``scale_grad_by_freq``: each row's gradient is divided by how often
    its index occurs in ``input``."""
    if sparse:
        raise NotImplementedError("embedding: sparse gradients are not supported by minigrad "
                                  "(dense gradients only)")
    idx = _ints(input, "embedding: input")
    n = weight.shape[0]
    if padding_idx is not None and not -n <= padding_idx < n:
        raise AssertionError("Padding_idx must be within num_embeddings")
    if idx.size and (idx.max() >= n or idx.min() < 0):
        bad = idx.max() if idx.max() >= n else idx.min()
        raise IndexError(f"embedding: index {bad} is out of range for a table of "
                         f"{n} embeddings (valid: 0..{n - 1})")
    flat = idx.reshape(-1)
    if max_norm is not None:
        embedding_renorm_(weight, flat, max_norm, norm_type)
    # (no index: a slice, since the engine's scatter-add of an empty index fails)
    rows = weight[flat] if idx.size else weight[:0]
    if scale_grad_by_freq and idx.size:  # same values; gradient / count of the index
        _, inverse, counts = np.unique(flat, return_inverse=True, return_counts=True)
        scale = (1.0 / counts[inverse.reshape(-1)]).astype(rows.dtype)[:, None]
        rows = rows.detach() + (rows - rows.detach()) * scale
    if padding_idx is not None:  # same values; no gradient reaches the padding row
        pad = (flat == padding_idx % n)[:, None]
        if pad.any():
            rows = mg.where(pad, rows.detach(), rows)
    return rows.reshape(*idx.shape, weight.shape[1])


def embedding_renorm_(weight: Tensor, idx, max_norm: float, norm_type: float = 2.0) -> None:
    """Rows of ``weight`` at ``idx`` with norm > max_norm are scaled in place (outside
    autograd) to max_norm / (norm + 1e-7), as torch's ``embedding_renorm_``."""
    rows = np.unique(np.asarray(idx))
    w = weight.detach().numpy()
    if not rows.size:
        return
    norms = np.linalg.norm(w[rows].astype(np.float64), ord=norm_type, axis=1)
    big = norms > max_norm
    w[rows[big]] *= (max_norm / (norms[big] + 1e-7))[:, None].astype(w.dtype)


def dropout(x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) (training only;
    ``inplace`` is accepted, the result is a new tensor)."""
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


# ----------------------------------------------------------------------------- linear maps


class Affine(Function):
    """y = x W^T + b for x (..., in), W (out, in), b (out,) or None -> (..., out), as one GEMM
    written straight into y and the bias added in place (no temporaries, no separate add
    node); a non-contiguous x is copied once on its way in, as the matrix product would.
    dx = dy W,  dW = dy^T x,  db = sum of dy over all rows (x and dy viewed as matrices)."""

    @staticmethod
    def forward(ctx, x, w, b):
        rows = int(np.prod(x.shape[:-1]))
        x2 = np.ascontiguousarray(x).reshape(rows, x.shape[-1])
        y = np.empty((rows, w.shape[0]), x.dtype)
        np.matmul(x2, w.T, out=y)
        if b is not None:
            y += b
        # x itself is saved (so an in-place change to it is caught); its contiguous copy too
        # when one was made (no one else holds it), so backward need not copy again
        ctx.save_for_backward(x, w, None if x.flags.c_contiguous else x2)
        return y.reshape(x.shape[:-1] + w.shape[:1])

    @staticmethod
    def backward(ctx, g):
        x, w, x2 = ctx.saved_tensors
        rows = int(np.prod(x.shape[:-1]))
        if x2 is None or isinstance(g, Tensor):  # (under create_graph x is the input Tensor)
            x2 = x.reshape(rows, x.shape[-1])
        nx, nw, nb = ctx.needs_input_grad
        g2 = g.reshape(rows, g.shape[-1])
        return ((g2 @ w).reshape(x.shape) if nx else None,
                g2.T @ x2 if nw else None, g2.sum(0) if nb else None)


def linear(input, weight, bias=None) -> Tensor:
    """y = x W^T + b;  x (..., in), W (out, in), b (out,) -> (..., out).  Runs ``Affine``
    (one GEMM, bias in place) for float inputs of one dtype, else (and in reference mode)
    the readable ``x @ W.T + b``."""
    threads.adapt()  # BLAS threads for the load right now (see minigrad.threads)
    input, weight = _t(input), _t(weight)
    if weight.ndim == 2 and input.shape[-1:] != weight.shape[1:]:
        rows = int(np.prod(input.shape[:-1])) if input.ndim > 1 else 1
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x"
                           f"{input.shape[-1] if input.ndim else 1} and {weight.shape[1]}x"
                           f"{weight.shape[0]})")
    if (weight.ndim == 2 and input.ndim >= 1 and input.dtype == weight.dtype
            and input.dtype.kind == "f" and not mg.is_reference_mode()
            and (bias is None or (isinstance(bias, Tensor) and bias.shape == weight.shape[:1]
                                  and bias.dtype == input.dtype))):
        return Affine.apply(input, weight, bias)
    y = input @ weight.T
    return y if bias is None else y + bias


def bilinear(input1, input2, weight, bias=None) -> Tensor:
    """y_k = x1^T W_k x2 + b_k;  x1 (..., in1), x2 (..., in2), W (out, in1, in2) -> (..., out)."""
    input1, input2, weight = _t(input1), _t(input2), _t(weight)
    out, in1, in2 = weight.shape
    if input1.shape[-1] != in1 or input2.shape[-1] != in2 or \
            input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear: input1 {input1.shape} and input2 {input2.shape} do not "
                           f"fit weight {weight.shape} (need (..., {in1}) and (..., {in2}))")
    u = input1 @ weight.permute(1, 0, 2).reshape(in1, out * in2)  # (..., out * in2)
    y = (u.reshape(*input1.shape[:-1], out, in2) * input2.unsqueeze(-2)).sum(-1)
    return y if bias is None else y + bias


# ----------------------------------------------------------------------------- padding


def _pad_index(n: int, lo: int, hi: int, mode: str) -> np.ndarray:
    """Source index, along one dim of size n, of each output position for a (lo, hi) pad."""
    i = np.arange(-lo, n + hi)
    if mode == "replicate":
        return np.clip(i, 0, n - 1)
    if mode == "circular":
        return i % n
    if lo >= n or hi >= n:  # reflect
        raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding "
                           f"input dimension, but got: padding ({lo}, {hi}) at dimension of "
                           f"size {n}")
    return np.where(i < 0, -i, np.where(i >= n, 2 * (n - 1) - i, i))


def pad(input, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last len(pad)/2 dims: ``pad`` = (left of the last dim, right of the last dim,
    left of the one before, ...); negative amounts crop.  Modes: 'constant' (``value``, default
    0), 'reflect' (mirror without the edge), 'replicate' (repeat the edge), 'circular' (wrap).
    The gradient of a padded position flows back to the element it copies."""
    input = _t(input)
    pad = [int(v) for v in pad]
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    k = len(pad) // 2
    if k > input.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{input.ndim}")
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if mode != "constant":
        if value:
            raise ValueError(f"Padding mode \"{mode}\" doesn't take in value argument.")
        if k > 3 or input.ndim not in (k + 1, k + 2):
            raise NotImplementedError(f"Padding size {len(pad)} is not supported for "
                                      f"{input.ndim}D input tensor (mode {mode!r} pads 1, 2 or "
                                      f"3 dims of a tensor with 1 or 2 more dims)")
    out = input
    for j in range(k):
        d = input.ndim - 1 - j
        lo, hi = pad[2 * j], pad[2 * j + 1]
        n = out.shape[d]
        if mode == "constant":
            out = out.narrow(d, max(-lo, 0), max(n + min(lo, 0) + min(hi, 0), 0)) \
                if lo < 0 or hi < 0 else out
            parts = [out]
            for amount, where in ((lo, 0), (hi, 1)):
                if amount > 0:
                    shape = list(out.shape)
                    shape[d] = amount
                    block = mg.full(tuple(shape), 0.0 if value is None else value,
                                    dtype=input.dtype)
                    parts.insert(len(parts) * where, block)
            out = mg.cat(parts, d) if len(parts) > 1 else out
        else:
            if mode == "circular" and (lo > n or hi > n):
                raise RuntimeError("Padding value causes wrapping around more than once.")
            out = out.index_select(d, mg.tensor(_pad_index(n, lo, hi, mode)))
    return out


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
