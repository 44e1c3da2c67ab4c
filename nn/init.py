"""``nn.init``: fill a tensor in place with torch's initialisation schemes; each returns it.

Fans (for a weight of shape ``(out, in, *kernel)``, receptive field r = prod(kernel)):
``fan_in = in * r``, ``fan_out = out * r``.

    xavier_uniform_:  U(-a, a),   a = gain sqrt(6 / (fan_in + fan_out))
    xavier_normal_:   N(0, s^2),  s = gain sqrt(2 / (fan_in + fan_out))
    kaiming_uniform_: U(-b, b),   b = gain sqrt(3 / fan)        gain = calculate_gain(nl, a)
    kaiming_normal_:  N(0, s^2),  s = gain / sqrt(fan)
    orthogonal_:      Q of the QR of a Gaussian matrix (signs fixed by R's diagonal) * gain
    trunc_normal_:    N(mean, std^2) conditioned on [a, b]

Every function works under ``no_grad`` internally, so it may be called on a module's
Parameters (which require grad) anywhere.  Draws come from minigrad's seeded stream
(``mg.manual_seed``), or from ``generator`` when one is given.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

import minigrad as mg
from minigrad import Tensor

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_",
           "zeros_", "eye_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
           "kaiming_normal_", "orthogonal_"]

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity: 1 (linear, conv, sigmoid), 5/3 (tanh),
    sqrt(2) (relu), sqrt(2 / (1 + slope^2)) (leaky_relu, slope=param or 0.01), 3/4 (selu)."""
    if nonlinearity in _LINEAR:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    if tensor.ndim < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                         f"dimensions (got shape {tuple(tensor.shape)})")
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _write(tensor: Tensor, values) -> Tensor:
    with mg.no_grad():
        tensor.copy_(np.asarray(values).astype(tensor.dtype, copy=False))
    return tensor


def _standard(kind: str, shape: tuple[int, ...], generator) -> np.ndarray:
    """float64 draws from U[0, 1) or N(0, 1)."""
    make = mg.rand if kind == "uniform" else mg.randn
    if generator is None:
        return make(*shape, dtype=np.float64).detach().numpy()
    return make(*shape, dtype=np.float64, generator=generator).detach().numpy()


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill with U(a, b)."""
    if generator is None:
        with mg.no_grad():
            return tensor.uniform_(a, b)
    return _write(tensor, a + (b - a) * _standard("uniform", tuple(tensor.shape), generator))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill with N(mean, std^2)."""
    if generator is None:
        with mg.no_grad():
            return tensor.normal_(mean, std)
    return _write(tensor, mean + std * _standard("normal", tuple(tensor.shape), generator))


def _normal_cdf(x: float) -> float:
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator=None) -> Tensor:
    """Fill with N(mean, std^2) restricted to [a, b] (exactly: by rejection of draws outside).

    Refuses intervals holding under 0.1 % of the normal's mass, where rejection would crawl
    (torch warns that its own method is inaccurate there)."""
    if not a < b:
        raise ValueError(f"trunc_normal_: need a < b, got a={a}, b={b}")
    mass = _normal_cdf((b - mean) / std) - _normal_cdf((a - mean) / std)
    if mass < 1e-3:
        raise ValueError(f"trunc_normal_: [{a}, {b}] holds only {mass:.2g} of N({mean}, "
                         f"{std}^2)'s mass; move mean into [a, b] or widen the interval")
    n = math.prod(tensor.shape)
    out, have = np.empty(n), 0
    while have < n:
        want = n - have
        x = mean + std * _standard("normal", (int(want / mass * 1.1) + 16,), generator)
        x = x[(x >= a) & (x <= b)][:want]
        out[have:have + x.size] = x
        have += x.size
    return _write(tensor, out.reshape(tensor.shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``."""
    with mg.no_grad():
        return tensor.fill_(val)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1."""
    return constant_(tensor, 1.0)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0."""
    return constant_(tensor, 0.0)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity (ones on the main diagonal of a rectangle)."""
    if tensor.ndim != 2:
        raise ValueError(f"Only tensors with 2 dimensions are supported (got shape "
                         f"{tuple(tensor.shape)})")
    return _write(tensor, np.eye(*tensor.shape))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot: U(-a, a) with a = gain sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot: N(0, s^2) with s = gain sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float | None:
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", UserWarning, stacklevel=3)
        return None
    return calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """He: U(-b, b) with b = gain sqrt(3 / fan); ``a`` is leaky_relu's negative slope."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """He: N(0, s^2) with s = gain / sqrt(fan)."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    return tensor if std is None else normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor: Tensor, gain: float = 1, generator=None) -> Tensor:
    """A (semi-)orthogonal matrix times ``gain``; dims after the first are flattened, so the
    rows (or the columns, whichever are fewer) are orthonormal."""
    if tensor.ndim < 2:
        raise ValueError(f"Only tensors with 2 or more dimensions are supported (got shape "
                         f"{tuple(tensor.shape)})")
    n = math.prod(tensor.shape)
    if n == 0:
        return tensor
    rows = tensor.shape[0]
    cols = n // rows
    flat = _standard("normal", (rows, cols), generator)
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))  # unique decomposition: R with a positive diagonal
    if rows < cols:
        q = q.T
    return _write(tensor, gain * q.reshape(tensor.shape))
