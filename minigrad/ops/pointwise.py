"""Elementwise functions beyond the basics: logs and exponentials, rounding, erf, binary
functions (logaddexp, xlogy, atan2, remainder...), the ternary addcmul/addcdiv/lerp, and the
tests and logical ops (isnan, logical_and...).

Each op is a ``Function`` (forward and backward side by side, the backward written with
numpy functions Tensors also support, so it is differentiable again), plus the Tensor methods
in ``PointwiseMethods`` (a base class of ``Tensor``) and module-level functions (``mg.NAME``).

Rounding ops (floor, ceil, round, trunc, sign) are differentiable with gradient zero, as in
torch: their output requires grad and ``backward`` goes through them.  The tests
(isnan, ...) and logical ops return bool tensors outside the graph.

numpy has no erf: ``minigrad.kernels.erf`` holds its numpy reference (Cody's rational
approximations) and the Numba kernel.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ..autograd import Function
from ..kernels.erf import erf_np, erfc_np
from ..tensor_base import TensorBase

if TYPE_CHECKING:
    from ..tensor import Tensor

_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


class Erf(Function):
    """y = erf(x);  dy/dx = 2/sqrt(pi) e^{-x^2}"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return erf_np(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * _TWO_OVER_SQRT_PI * np.exp(-x * x)


class Erfc(Function):
    """y = erfc(x) = 1 - erf(x);  dy/dx = -2/sqrt(pi) e^{-x^2}"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return erfc_np(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * -_TWO_OVER_SQRT_PI * np.exp(-x * x)


# ---------------------------------------------------------------------------- one input
class Log1p(Function):
    """y = log(1 + x);  dy/dx = 1 / (1 + x)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log1p(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 + x)


class Expm1(Function):
    """y = e^x - 1;  dy/dx = y + 1"""

    @staticmethod
    def forward(ctx, x):
        y = np.asarray(np.expm1(x))  # 0-d: an array, so the saved y is the output
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (y + 1)


class Exp2(Function):
    """y = 2^x;  dy/dx = y ln 2"""

    @staticmethod
    def forward(ctx, x):
        y = np.asarray(np.exp2(x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y * _LN2


class Log2(Function):
    """y = log2 x;  dy/dx = 1 / (x ln 2)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log2(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (x * _LN2)


class Log10(Function):
    """y = log10 x;  dy/dx = 1 / (x ln 10)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log10(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (x * _LN10)


class Rsqrt(Function):
    """y = 1 / sqrt x;  dy/dx = -y^3 / 2"""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.asarray(1 / np.sqrt(x), x.dtype)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * -0.5 * y * y * y


class Square(Function):
    """y = x^2;  dy/dx = 2 x"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 2 * x


class Reciprocal(Function):
    """y = 1 / x;  dy/dx = -y^2"""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(divide="ignore"):
            y = np.asarray(1 / x, x.dtype)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return -g * y * y


class Sinh(Function):
    """y = sinh x;  dy/dx = cosh x = (e^x + e^-x) / 2"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sinh(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (np.exp(x) + np.exp(-x)) * 0.5


class Cosh(Function):
    """y = cosh x;  dy/dx = sinh x = (e^x - e^-x) / 2"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cosh(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (np.exp(x) - np.exp(-x)) * 0.5


class Asin(Function):
    """y = asin x;  dy/dx = 1 / sqrt(1 - x^2)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(invalid="ignore"):
            return np.arcsin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / np.sqrt(1 - x * x)


class Acos(Function):
    """y = acos x;  dy/dx = -1 / sqrt(1 - x^2)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(invalid="ignore"):
            return np.arccos(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return -g / np.sqrt(1 - x * x)


class Atan(Function):
    """y = atan x;  dy/dx = 1 / (1 + x^2)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arctan(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 + x * x)


class Frac(Function):
    """y = x - trunc(x);  dy/dx = 1"""

    @staticmethod
    def forward(ctx, x):
        return x - np.trunc(x)

    @staticmethod
    def backward(ctx, g):
        return g


class NanToNum(Function):
    """y = x with NaN, +inf, -inf replaced;  dy/dx = [x finite]"""

    @staticmethod
    def forward(ctx, x, *, nan, posinf, neginf):
        ctx.save_for_backward(np.isfinite(x))
        return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, g):
        (finite,) = ctx.saved_tensors
        return g * finite


class _Step(Function):
    """A piecewise-constant function: gradient zero wherever it is defined (torch's rule)."""

    @staticmethod
    def backward(ctx, g):
        return np.zeros_like(g)


class Floor(_Step):
    """y = floor x (largest integer <= x);  dy/dx = 0"""

    @staticmethod
    def forward(ctx, x):
        return np.floor(x)


class Ceil(_Step):
    """y = ceil x (smallest integer >= x);  dy/dx = 0"""

    @staticmethod
    def forward(ctx, x):
        return np.ceil(x)


class Trunc(_Step):
    """y = trunc x (rounded toward zero);  dy/dx = 0"""

    @staticmethod
    def forward(ctx, x):
        return np.trunc(x)


class Round(_Step):
    """y = x rounded to ``decimals`` places, halves to even;  dy/dx = 0"""

    @staticmethod
    def forward(ctx, x, *, decimals):
        if decimals == 0:
            return np.rint(x)
        # torch's order of operations (so halves round the same way)
        if decimals > 0:
            scale = x.dtype.type(10.0 ** decimals)
            return (np.rint(x * scale) / scale).astype(x.dtype, copy=False)
        scale = x.dtype.type(10.0 ** -decimals)
        return (np.rint(x / scale) * scale).astype(x.dtype, copy=False)


class Sign(_Step):
    """y = sign x (-1, 0 or 1; 0 for NaN, as torch);  dy/dx = 0"""

    @staticmethod
    def forward(ctx, x):
        return np.where(np.isnan(x), x.dtype.type(0), np.sign(x))


class Sgn(Sign):
    """y = sgn x (sign for real tensors);  dy/dx = 0"""


# ---------------------------------------------------------------------------- two inputs
class LogAddExp(Function):
    """y = log(e^a + e^b) = max(a, b) + log1p(e^-|a - b|);  dy/da = e^(a - y), dy/db = e^(b - y)"""

    @staticmethod
    def forward(ctx, a, b):
        with np.errstate(invalid="ignore"):
            y = np.where(a == b, a + _LN2, np.maximum(a, b) + np.log1p(np.exp(-np.abs(a - b))))
        y = np.asarray(y, a.dtype)
        ctx.save_for_backward(a, b, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, b, y = ctx.saved_tensors
        return g * np.exp(a - y), g * np.exp(b - y)


def _xlogy(x, y):
    """x log y with 0 log y = 0 (unless y is NaN), on arrays or Tensors."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.isnan(y), y * 1.0, np.where(x == 0, x * 0.0, x * np.log(y)))


class Xlogy(Function):
    """z = x log y (0 where x == 0, NaN where y is NaN);  dz/dx = log y (0 where x == 0 and
    y <= 0, as torch), dz/dy = x / y"""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return _xlogy(x, y).astype(np.result_type(x, y), copy=False)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            gx = np.where((x == 0) & (y <= 0), g * 0.0, _xlogy(g, y))
        return gx, g * x / y


class Atan2(Function):
    """z = atan2(a, b), the angle of the point (b, a);  dz/da = b / (a^2 + b^2),
    dz/db = -a / (a^2 + b^2)"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.arctan2(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        r2 = a * a + b * b
        return g * b / r2, -g * a / r2


def _check_int_divisor(name: str, a: np.ndarray, b: np.ndarray) -> None:
    if a.dtype.kind in "iub" and np.asarray(b).dtype.kind in "iub" and np.any(b == 0):
        raise RuntimeError(f"{name}: ZeroDivisionError (integer division by zero in 'other')")


class Remainder(Function):
    """z = a - b floor(a / b) (the sign of b, Python's %);  dz/da = 1, dz/db = -floor(a / b)"""

    @staticmethod
    def forward(ctx, a, b):
        _check_int_divisor("remainder", a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            ctx.save_for_backward(np.floor_divide(a, b))
            return np.remainder(a, b)

    @staticmethod
    def backward(ctx, g):
        (q,) = ctx.saved_tensors
        return g, -g * q


class Fmod(Function):
    """z = a - b trunc(a / b) (the sign of a, C's fmod);  dz/da = 1, dz/db = -trunc(a / b)"""

    @staticmethod
    def forward(ctx, a, b):
        _check_int_divisor("fmod", a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            if a.dtype.kind == "f":
                ctx.save_for_backward(np.trunc(a / b).astype(a.dtype, copy=False))
            return np.fmod(a, b)

    @staticmethod
    def backward(ctx, g):
        (q,) = ctx.saved_tensors
        return g, -g * q


class FloorDivide(Function):
    """z = floor(a / b).  Like torch, the output of a float input requires grad but has no
    derivative: backward through it raises."""

    @staticmethod
    def forward(ctx, a, b):
        _check_int_divisor("floor_divide", a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.floor_divide(a, b)

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("the derivative for 'floor_divide' is not implemented (it is zero "
                           "almost everywhere; detach() its inputs)")


# ---------------------------------------------------------------------------- three inputs
class Addcmul(Function):
    """y = x + value t1 t2;  dy/dx = 1, dy/dt1 = value t2, dy/dt2 = value t1"""

    @staticmethod
    def forward(ctx, x, t1, t2, *, value):
        ctx.save_for_backward(t1, t2)
        return (x + value * t1 * t2).astype(np.result_type(x, t1, t2), copy=False)

    @staticmethod
    def backward(ctx, g):
        t1, t2 = ctx.saved_tensors
        v = ctx.params["value"]
        return g, g * v * t2, g * v * t1


class Addcdiv(Function):
    """y = x + value t1 / t2;  dy/dx = 1, dy/dt1 = value / t2, dy/dt2 = -value t1 / t2^2"""

    @staticmethod
    def forward(ctx, x, t1, t2, *, value):
        ctx.save_for_backward(t1, t2)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (x + value * (t1 / t2)).astype(np.result_type(x, t1, t2), copy=False)

    @staticmethod
    def backward(ctx, g):
        t1, t2 = ctx.saved_tensors
        v = ctx.params["value"]
        gt1 = g * v / t2
        return g, gt1, -gt1 * t1 / t2


class Lerp(Function):
    """y = start + w (end - start);  dy/dstart = 1 - w, dy/dend = w, dy/dw = end - start.

    Rounded as torch's kernel: fma(w, d, start) for |w| < 1/2, else fma(w - 1, d, end), with
    d = end - start; below float64 the fused multiply-add is emulated in float64."""

    @staticmethod
    def forward(ctx, start, end, weight):
        ctx.save_for_backward(start, end, weight)
        d = end - start
        small = np.abs(weight) < 0.5
        wide = np.float64 if start.dtype.itemsize < 8 else start.dtype
        coeff = np.where(small, weight, weight - 1).astype(wide)
        base = np.where(small, start, end).astype(wide)
        return np.asarray(coeff * d.astype(wide) + base, start.dtype)

    @staticmethod
    def backward(ctx, g):
        start, end, w = ctx.saved_tensors
        return g * (1 - w), g * w, g * (end - start)


# ---------------------------------------------------------------------------- Tensor methods
def _promote(*dtypes: np.dtype) -> np.dtype:
    """torch's promotion among tensors: floats win over integers and bools."""
    floats = [d for d in dtypes if d.kind in "fc"]
    return np.result_type(*(floats or dtypes))


def _raw(x):
    return x._data if isinstance(x, TensorBase) else np.asarray(x)


def _need_tensor(x, name: str, arg: str) -> None:
    if not isinstance(x, TensorBase):
        raise TypeError(f"{name}(): argument '{arg}' must be Tensor, not {type(x).__name__}")


class PointwiseMethods:
    """Tensor methods for the ops of this file (mixed into ``Tensor``)."""

    __slots__ = ()

    # -------------------------------------------------------------- helpers
    def _step(self, fn, name: str, **params):
        """A rounding op: integer tensors come back unchanged (a copy), as in torch."""
        if self.dtype.kind in "iu":
            return self._wrap(self._data.copy())
        if self.dtype.kind == "b":
            raise NotImplementedError(f"{name}: not implemented for bool tensors; convert "
                                      f"with .float() or .long() first")
        return fn.apply(self, **params)

    def _pair(self, fn, other, *, floating: bool = False, reverse: bool = False):
        x = self._floating() if floating else self
        return x._binary(fn, other, reverse)

    def _operands(self, name: str, *others) -> list:
        """``self`` and ``others`` (tensors or numbers) promoted to one dtype, checked to
        broadcast together."""
        ops = [self] + [o if isinstance(o, TensorBase) else self._other(o) for o in others]
        try:
            np.broadcast_shapes(*(np.shape(_raw(o)) for o in ops))
        except ValueError:
            shapes = ", ".join(str(tuple(np.shape(_raw(o)))) for o in ops)
            raise RuntimeError(f"{name}: the shapes of the operands ({shapes}) cannot be "
                               f"broadcast together") from None
        dt = _promote(*(_raw(o).dtype for o in ops))
        return [o if _raw(o).dtype == dt else
                (o.astype(dt) if isinstance(o, TensorBase) else o.astype(dt)) for o in ops]

    # -------------------------------------------------------------- one input
    def log1p(self) -> Tensor:
        """log(1 + x), accurate for small x."""
        return Log1p.apply(self._floating())

    def expm1(self) -> Tensor:
        """e^x - 1, accurate for small x."""
        return Expm1.apply(self._floating())

    def exp2(self) -> Tensor:
        """2^x."""
        return Exp2.apply(self._floating())

    def log2(self) -> Tensor:
        """log base 2."""
        return Log2.apply(self._floating())

    def log10(self) -> Tensor:
        """log base 10."""
        return Log10.apply(self._floating())

    def rsqrt(self) -> Tensor:
        """1 / sqrt(x)."""
        return Rsqrt.apply(self._floating())

    def reciprocal(self) -> Tensor:
        """1 / x (integers give the default float dtype)."""
        return Reciprocal.apply(self._floating())

    def square(self) -> Tensor:
        """x * x (integers stay integers; bool gives int64)."""
        return Square.apply(self if self.dtype.kind != "b" else self.astype(np.int64))

    def sinh(self) -> Tensor:
        """Hyperbolic sine."""
        return Sinh.apply(self._floating())

    def cosh(self) -> Tensor:
        """Hyperbolic cosine."""
        return Cosh.apply(self._floating())

    def asin(self) -> Tensor:
        """Inverse sine (NaN outside [-1, 1])."""
        return Asin.apply(self._floating())

    def acos(self) -> Tensor:
        """Inverse cosine (NaN outside [-1, 1])."""
        return Acos.apply(self._floating())

    def atan(self) -> Tensor:
        """Inverse tangent."""
        return Atan.apply(self._floating())

    arcsin, arccos, arctan = asin, acos, atan

    def erf(self) -> Tensor:
        """The error function 2/sqrt(pi) int_0^x e^{-t^2} dt."""
        return Erf.apply(self._floating())

    def erfc(self) -> Tensor:
        """1 - erf(x), accurate where erf(x) is close to 1."""
        return Erfc.apply(self._floating())

    def neg(self) -> Tensor:
        """-x."""
        if self.dtype.kind == "b":
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                               "If you are trying to invert a mask, use the `~` or "
                               "`logical_not()` operator instead.")
        return -self

    negative = neg

    def frac(self) -> Tensor:
        """x - trunc(x) (keeps the sign of x)."""
        if self.dtype.kind not in "f":
            raise NotImplementedError(f"frac: not implemented for {self.dtype} tensors; it "
                                      f"needs a floating-point tensor")
        return Frac.apply(self)

    def floor(self) -> Tensor:
        """Largest integer <= x (gradient zero)."""
        return self._step(Floor, "floor")

    def ceil(self) -> Tensor:
        """Smallest integer >= x (gradient zero)."""
        return self._step(Ceil, "ceil")

    def trunc(self) -> Tensor:
        """x rounded toward zero (gradient zero)."""
        return self._step(Trunc, "trunc")

    fix = trunc

    def round(self, decimals: int = 0) -> Tensor:
        """x rounded to ``decimals`` decimal places, halves to even (gradient zero)."""
        if not isinstance(decimals, (int, np.integer)) or isinstance(decimals, bool):
            raise TypeError(f"round(): decimals must be an int, got {type(decimals).__name__}")
        if decimals != 0 and self.dtype.kind != "f":
            raise NotImplementedError(f"round(decimals={decimals}): not implemented for "
                                      f"{self.dtype} tensors")
        return self._step(Round, "round", decimals=int(decimals))

    def sign(self) -> Tensor:
        """-1, 0 or 1 by the sign of x (0 for NaN, as torch; gradient zero)."""
        if self.dtype.kind == "b":
            return self._wrap(self._data.copy())
        if self.dtype.kind in "iu":
            return self._wrap(np.sign(self._data))
        return Sign.apply(self)

    def sgn(self) -> Tensor:
        """sign(x) for real tensors (torch's complex-aware sign)."""
        if self.dtype.kind != "f":
            return self.sign()
        return Sgn.apply(self)

    def nan_to_num(self, nan: float = 0.0, posinf: float | None = None,
                   neginf: float | None = None):
        """NaN -> ``nan``, +inf -> ``posinf``, -inf -> ``neginf`` (default: the dtype's
        largest / smallest finite value); gradient 1 where x is finite, else 0."""
        if self.dtype.kind != "f":
            return self._wrap(self._data.copy())
        return NanToNum.apply(self, nan=nan, posinf=posinf, neginf=neginf)

    # -------------------------------------------------------------- two inputs
    def logaddexp(self, other) -> Tensor:
        """log(e^x + e^other), without overflow."""
        _need_tensor(other, "logaddexp", "other")
        if self.dtype.kind != "f" and _raw(other).dtype.kind != "f":
            raise NotImplementedError("logaddexp: not implemented for integer tensors; "
                                      "convert with .float() first")
        return self._pair(LogAddExp, other, floating=True)

    def xlogy(self, other) -> Tensor:
        """x * log(other), 0 where x == 0 (unless other is NaN)."""
        return self._pair(Xlogy, other, floating=True)

    def atan2(self, other) -> Tensor:
        """The angle of the point (other, x), in (-pi, pi]."""
        _need_tensor(other, "atan2", "other")
        return self._pair(Atan2, other, floating=True)

    arctan2 = atan2

    def remainder(self, other) -> Tensor:
        """x - other * floor(x / other): the remainder with the sign of ``other`` (Python's %)."""
        return self._pair(Remainder, other)

    def __mod__(self, other) -> Tensor:
        return self.remainder(other)

    def __rmod__(self, other) -> Tensor:
        return self._pair(Remainder, other, reverse=True)

    def fmod(self, other) -> Tensor:
        """x - other * trunc(x / other): the remainder with the sign of x (C's fmod)."""
        return self._pair(Fmod, other)

    def floor_divide(self, other) -> Tensor:
        """floor(x / other) (no derivative, as torch)."""
        return self._pair(FloorDivide, other)

    def __floordiv__(self, other) -> Tensor:
        return self.floor_divide(other)

    def __rfloordiv__(self, other) -> Tensor:
        return self._pair(FloorDivide, other, reverse=True)

    # -------------------------------------------------------------- three inputs
    def addcmul(self, tensor1, tensor2, *, value=1) -> Tensor:
        """x + value * tensor1 * tensor2 (broadcast together)."""
        _need_tensor(tensor1, "addcmul", "tensor1")
        _need_tensor(tensor2, "addcmul", "tensor2")
        x, t1, t2 = self._operands("addcmul", tensor1, tensor2)
        return Addcmul.apply(x, t1, t2, value=value)

    def addcdiv(self, tensor1, tensor2, *, value=1) -> Tensor:
        """x + value * tensor1 / tensor2 (broadcast together)."""
        _need_tensor(tensor1, "addcdiv", "tensor1")
        _need_tensor(tensor2, "addcdiv", "tensor2")
        if _raw(tensor1).dtype.kind in "iub" and _raw(tensor2).dtype.kind in "iub":
            raise RuntimeError("Integer division with addcdiv is no longer supported; use "
                               "float tensors for tensor1 and tensor2 (or torch.floor_divide)")
        x, t1, t2 = self._operands("addcdiv", tensor1, tensor2)
        return Addcdiv.apply(x, t1, t2, value=value)

    def lerp(self, end, weight) -> Tensor:
        """x + weight * (end - x): linear interpolation, ``weight`` a number or tensor."""
        _need_tensor(end, "lerp", "end")
        if self.dtype.kind != "f":
            raise NotImplementedError(f"lerp: not implemented for {self.dtype} tensors")
        if _raw(end).dtype != self.dtype:
            raise RuntimeError(f"lerp: expected dtype {self.dtype} for `end` but got dtype "
                               f"{_raw(end).dtype}")
        w = weight.astype(self.dtype) if isinstance(weight, TensorBase) and \
            weight.dtype.kind == "f" else np.asarray(_raw(weight), self.dtype)
        x, e, w = self._operands("lerp", end, w)
        return Lerp.apply(x, e, w)

    # -------------------------------------------------------------- tests and logic
    def isnan(self) -> Tensor:
        """True where x is NaN."""
        return self._wrap(np.isnan(self._data))

    def isinf(self) -> Tensor:
        """True where x is +inf or -inf."""
        return self._wrap(np.isinf(self._data))

    def isposinf(self) -> Tensor:
        """True where x is +inf."""
        return self._wrap(np.isposinf(self._data) if self.dtype.kind == "f"
                          else np.zeros(self.shape, bool))

    def isneginf(self) -> Tensor:
        """True where x is -inf."""
        return self._wrap(np.isneginf(self._data) if self.dtype.kind == "f"
                          else np.zeros(self.shape, bool))

    def isfinite(self) -> Tensor:
        """True where x is neither NaN nor infinite."""
        return self._wrap(np.isfinite(self._data))

    def _logical(self, fn, other, name: str):
        b = _raw(other)
        try:
            np.broadcast_shapes(self.shape, b.shape)
        except ValueError:
            raise RuntimeError(f"{name}: the size of tensor a {self.shape} must match the size "
                               f"of tensor b {b.shape} (they cannot be broadcast)") from None
        return self._wrap(fn(self._data, b))

    def logical_and(self, other) -> Tensor:
        """x != 0 and other != 0 (bool)."""
        return self._logical(np.logical_and, other, "logical_and")

    def logical_or(self, other) -> Tensor:
        """x != 0 or other != 0 (bool)."""
        return self._logical(np.logical_or, other, "logical_or")

    def logical_xor(self, other) -> Tensor:
        """(x != 0) != (other != 0) (bool)."""
        return self._logical(np.logical_xor, other, "logical_xor")

    def logical_not(self) -> Tensor:
        """x == 0 (bool)."""
        return self._wrap(np.logical_not(self._data))

    # -------------------------------------------------------------- in place
    def log1p_(self) -> Tensor: return self._inplace_op("log1p_", "log1p")
    def expm1_(self) -> Tensor: return self._inplace_op("expm1_", "expm1")
    def rsqrt_(self) -> Tensor: return self._inplace_op("rsqrt_", "rsqrt")
    def reciprocal_(self) -> Tensor: return self._inplace_op("reciprocal_", "reciprocal")
    def square_(self) -> Tensor: return self._inplace_op("square_", "square")
    def erf_(self) -> Tensor: return self._inplace_op("erf_", "erf")
    def floor_(self) -> Tensor: return self._inplace_op("floor_", "floor")
    def ceil_(self) -> Tensor: return self._inplace_op("ceil_", "ceil")
    def trunc_(self) -> Tensor: return self._inplace_op("trunc_", "trunc")
    def frac_(self) -> Tensor: return self._inplace_op("frac_", "frac")
    def round_(self, decimals=0) -> Tensor:
        return self._inplace_op("round_", "round", decimals=decimals)

    def sign_(self) -> Tensor: return self._inplace_op("sign_", "sign")
    def remainder_(self, o) -> Tensor: return self._inplace_op("remainder_", "remainder", o)
    def fmod_(self, o) -> Tensor: return self._inplace_op("fmod_", "fmod", o)
    def clamp_min_(self, m) -> Tensor: return self._inplace_op("clamp_min_", "clamp_min", m)
    def clamp_max_(self, m) -> Tensor: return self._inplace_op("clamp_max_", "clamp_max", m)

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None) -> Tensor:
        return self._inplace_op("nan_to_num_", "nan_to_num", nan, posinf, neginf)


# ---------------------------------------------------------------------------- module functions
def _tensor(x, name: str):
    if not isinstance(x, TensorBase):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(x).__name__}")
    return x


def _unary(name: str):
    def fn(input, *args, **kwargs):
        return getattr(_tensor(input, name), name)(*args, **kwargs)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = getattr(PointwiseMethods, name, None).__doc__
    return fn


def _binary(name: str, fn_class):
    def fn(input, other):
        # torch takes a number as the first argument only for these
        if name in ("xlogy", "remainder", "floor_divide") and \
                not isinstance(input, TensorBase) and isinstance(other, TensorBase):
            return other._pair(fn_class, input, floating=name in ("xlogy",), reverse=True)
        return getattr(_tensor(input, name), name)(other)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = getattr(PointwiseMethods, name).__doc__
    return fn


log1p, expm1, exp2, log2, log10 = (_unary(n) for n in ("log1p", "expm1", "exp2", "log2",
                                                         "log10"))
rsqrt, reciprocal, square, sinh, cosh = (_unary(n) for n in ("rsqrt", "reciprocal", "square",
                                                               "sinh", "cosh"))
asin, acos, atan, erf, erfc = (_unary(n) for n in ("asin", "acos", "atan", "erf", "erfc"))
neg, negative, frac, floor, ceil = (_unary(n) for n in ("neg", "negative", "frac", "floor",
                                                          "ceil"))
trunc, fix, round, sign, sgn = (_unary(n) for n in ("trunc", "fix", "round", "sign", "sgn"))  # noqa: A001
nan_to_num, isnan, isinf, isposinf, isneginf = (_unary(n) for n in (
    "nan_to_num", "isnan", "isinf", "isposinf", "isneginf"))
isfinite, logical_not, logical_and, logical_or, logical_xor = (_unary(n) for n in (
    "isfinite", "logical_not", "logical_and", "logical_or", "logical_xor"))
addcmul, addcdiv, lerp = (_unary(n) for n in ("addcmul", "addcdiv", "lerp"))
clamp_min, clamp_max = _unary("clamp_min"), _unary("clamp_max")
arcsin, arccos, arctan = asin, acos, atan
logaddexp, atan2 = _binary("logaddexp", LogAddExp), _binary("atan2", Atan2)
xlogy, remainder = _binary("xlogy", Xlogy), _binary("remainder", Remainder)
fmod, floor_divide = _binary("fmod", Fmod), _binary("floor_divide", FloorDivide)
arctan2 = atan2
