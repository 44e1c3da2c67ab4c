"""Activation functions of ``nn.functional`` (torch's names, arguments and kink conventions).

Most are compositions of differentiable tensor ops (so their gradient, and its gradient, come
from the ops).  Four are ``Function``s because a composition would lose accuracy or produce
nan in an unused branch: softplus and logsigmoid (need log1p), the ELU family (needs expm1),
hardtanh (torch's gradient is 0 on both boundaries).  Their backward rules use only operations
that work on arrays and on Tensors, so double backward works."""
from __future__ import annotations

import warnings

import numpy as np

import minigrad as mg
from minigrad import Function, Tensor

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else mg.tensor(x)


def _float(x, fn: str) -> Tensor:
    x = _t(x)
    if x.dtype.kind != "f":
        raise NotImplementedError(f"{fn}: not implemented for {x.dtype} input; pass a "
                                  f"floating-point tensor")
    return x


def _stable_sigmoid(z):
    """1 / (1 + e^-z) with no overflow in either branch, differentiable at 0 (arrays or
    Tensors): each branch sees only the inputs of its own sign."""
    pos = z >= 0
    zp, zn = np.where(pos, z, 0 * z), np.where(pos, 0 * z, z)
    en = np.exp(zn)
    return np.where(pos, 1 / (1 + np.exp(-zp)), en / (1 + en))


def _apply(x: Tensor, fn, inplace: bool, name: str) -> Tensor:
    """fn(x), or with torch's ``inplace=True`` x's values replaced by fn(x) through the
    engine's in-place mechanism (recorded by autograd, version-checked, as torch's ``op_``)."""
    return x._inplace(name + "_", fn) if inplace else fn(x)


# ----------------------------------------------------------------------------- Functions


class Softplus(Function):
    """y = log(1 + e^{beta x}) / beta, and y = x where beta x > threshold (as torch);
    dy/dx = sigmoid(beta x) (1 above the threshold)."""

    @staticmethod
    def forward(ctx, x, *, beta, threshold):
        ctx.save_for_backward(x)
        bx = x * beta
        return np.where(bx > threshold, x, np.log1p(np.exp(np.minimum(bx, threshold))) / beta)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        beta, threshold = ctx.params["beta"], ctx.params["threshold"]
        bx = x * beta
        return np.where(bx > threshold, g, g * _stable_sigmoid(bx))


class LogSigmoid(Function):
    """y = log sigmoid(x) = min(x, 0) - log(1 + e^{-|x|});  dy/dx = sigmoid(-x)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * _stable_sigmoid(-x)


class Elu(Function):
    """y = scale x for x > 0, else scale alpha (e^{input_scale x} - 1)  (ELU, SELU, CELU);
    dy/dx = scale, else scale alpha input_scale e^{input_scale x}  (the latter at x = 0, as
    torch)."""

    @staticmethod
    def forward(ctx, x, *, alpha, scale, input_scale):
        ctx.save_for_backward(x)
        neg = alpha * np.expm1(np.minimum(x, 0) * input_scale)
        return np.where(x > 0, x, neg) * scale

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        p = ctx.params
        neg = np.exp(np.minimum(x, 0) * p["input_scale"]) * (p["alpha"] * p["input_scale"])
        return np.where(x > 0, g * p["scale"], g * (neg * p["scale"]))


class Hardtanh(Function):
    """y = clip(x, lo, hi);  dy/dx = 1 strictly inside (lo, hi), 0 elsewhere (torch: no
    gradient on either boundary)."""

    @staticmethod
    def forward(ctx, x, *, lo, hi):
        ctx.save_for_backward(x)
        return np.minimum(np.maximum(x, lo), hi).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return np.where((x > ctx.params["lo"]) & (x < ctx.params["hi"]), g, 0 * g)


# ----------------------------------------------------------------------------- functional


def relu(input, inplace: bool = False) -> Tensor:
    """max(x, 0); gradient [x > 0]."""
    input = _t(input)
    return input.relu_() if inplace else input.relu()


def relu6(input, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6) = hardtanh(x, 0, 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """clip(x, min_val, max_val); gradient 1 strictly between the bounds."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    input = _t(input)
    return _apply(input, lambda x: Hardtanh.apply(x, lo=float(min_val), hi=float(max_val)),
                  inplace, "hardtanh")


def hardsigmoid(input, inplace: bool = False) -> Tensor:
    """min(max(x + 3, 0), 6) / 6; gradient 1/6 on (-3, 3)."""
    input = _float(input, "hardsigmoid")
    return _apply(input, lambda x: Hardtanh.apply(x + 3.0, lo=0.0, hi=6.0) / 6.0, inplace,
                  "hardsigmoid")


def hardswish(input, inplace: bool = False) -> Tensor:
    """x hardsigmoid(x); gradient x/3 + 1/2 on (-3, 3), 0 below, 1 above."""
    input = _float(input, "hardswish")
    return _apply(input, lambda x: x * hardsigmoid(x), inplace, "hardswish")


def _softmax_dim(name: str, ndim: int) -> int:
    """torch's implicit dim for softmax(dim=None) (deprecated, with its warning): 0 for 0-, 1-
    and 3-d input, else 1."""
    dim = 0 if ndim in (0, 1, 3) else 1
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  f"to include dim={dim} as an argument.", UserWarning, stacklevel=3)
    return dim


def _cast(input: Tensor, dtype) -> Tensor:
    return input if dtype is None else input.to(dtype)


def softmax(input, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """e^{x_i} / sum_j e^{x_j} along ``dim`` (computed in ``dtype`` when given)."""
    input = _cast(_t(input), dtype)
    return input.softmax(
        _softmax_dim("softmax", input.ndim) if dim is None else dim)


def log_softmax(input, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """x_i - log sum_j e^{x_j} along ``dim``."""
    input = _cast(_t(input), dtype)
    return input.log_softmax(
        _softmax_dim("log_softmax", input.ndim) if dim is None else dim)


def softmin(input, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(-x) along ``dim``."""
    input = _cast(_t(input), dtype)
    return (-input).softmax(
        _softmax_dim("softmin", input.ndim) if dim is None else dim)


def tanh(input) -> Tensor:
    """tanh x."""
    return _t(input).tanh()


def sigmoid(input) -> Tensor:
    """1 / (1 + e^-x)."""
    return _t(input).sigmoid()


def silu(input, inplace: bool = False) -> Tensor:
    """x sigmoid(x) (swish)."""
    input = _float(input, "silu")
    return _apply(input, lambda x: x * x.sigmoid(), inplace, "silu")


def mish(input, inplace: bool = False) -> Tensor:
    """x tanh(softplus(x))."""
    input = _float(input, "mish")
    return _apply(input, lambda x: x * softplus(x).tanh(), inplace, "mish")


def elu(input, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, else alpha (e^x - 1)."""
    input = _float(input, "elu")
    return _apply(input, lambda x: Elu.apply(x, alpha=float(alpha), scale=1.0, input_scale=1.0),
                  inplace, "elu")


def selu(input, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with the self-normalising constants (1.0507..., 1.6733...)."""
    input = _float(input, "selu")
    return _apply(input, lambda x: Elu.apply(x, alpha=SELU_ALPHA, scale=SELU_SCALE,
                                             input_scale=1.0), inplace, "selu")


def celu(input, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, else alpha (e^{x/alpha} - 1)."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: celu: alpha must not be 0")
    input = _float(input, "celu")
    return _apply(input, lambda x: Elu.apply(x, alpha=float(alpha), scale=1.0,
                                             input_scale=1.0 / alpha), inplace, "celu")


def leaky_relu(input, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, else negative_slope x (gradient negative_slope at 0, as torch)."""
    input = _t(input)
    return _apply(input, lambda x: mg.where(x > 0, x, x * negative_slope), inplace,
                  "leaky_relu")


def softplus(input, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^{beta x}) / beta; x itself where beta x > threshold."""
    input = _float(input, "softplus")
    return Softplus.apply(input, beta=float(beta), threshold=float(threshold))


def logsigmoid(input) -> Tensor:
    """log sigmoid(x) = -softplus(-x), computed stably."""
    return LogSigmoid.apply(_float(input, "logsigmoid"))


def glu(input, dim: int = -1) -> Tensor:
    """a sigmoid(b) where (a, b) are the two halves of ``input`` along ``dim``."""
    input = _t(input)
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    n = input.shape[dim]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim % input.ndim} "
                           f"is size {n}")
    a, b = input.narrow(dim, 0, n // 2), input.narrow(dim, n // 2, n // 2)
    return a * b.sigmoid()


def softsign(input) -> Tensor:
    """x / (1 + |x|)."""
    input = _t(input)
    return input / (input.abs() + 1.0)


def tanhshrink(input) -> Tensor:
    """x - tanh x."""
    input = _t(input)
    return input - input.tanh()


def threshold(input, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else ``value`` (no gradient there)."""
    input = _t(input)
    return _apply(input, lambda x: mg.where(x > threshold, x, mg.full_like(x, value)), inplace,
                  "threshold")


def hardshrink(input, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0."""
    input = _t(input)
    return mg.where((input > lambd) | (input < -lambd), input, mg.zeros_like(input))


def softshrink(input, lambd: float = 0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, else 0."""
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    input = _t(input)
    return mg.where(input > lambd, input - lambd,
                    mg.where(input < -lambd, input + lambd, mg.zeros_like(input)))


def prelu(input, weight) -> Tensor:
    """x for x > 0, else a x, with learned slopes ``weight`` (1 or C values, C along dim 1;
    an input with fewer than 2 dims has one channel, as in torch)."""
    input, weight = _t(input), _t(weight)
    if weight.ndim != 1 and weight.numel() != 1:
        raise RuntimeError(f"prelu: weight must be 1-d, got shape {weight.shape}")
    n = weight.numel()
    if n != 1:
        c = input.shape[1] if input.ndim >= 2 else 1
        if c != n:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                               f"parameter numbers = {n} and channel size = {c}.")
        if input.ndim >= 2:
            weight = weight.reshape(n, *([1] * (input.ndim - 2)))
    else:
        weight = weight.reshape(())
    return mg.where(input > 0, input, input * weight)


def relu_(input: Tensor) -> Tensor:
    """relu in place."""
    return relu(input, inplace=True)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """elu in place."""
    return elu(input, alpha, inplace=True)


def selu_(input: Tensor) -> Tensor:
    """selu in place."""
    return selu(input, inplace=True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """celu in place."""
    return celu(input, alpha, inplace=True)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """leaky_relu in place."""
    return leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """hardtanh in place."""
    return hardtanh(input, min_val, max_val, inplace=True)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:  # noqa: F811
    """threshold in place."""
    return _apply(input, lambda x: mg.where(x > threshold, x, mg.full_like(x, value)), True,
                  "threshold")
