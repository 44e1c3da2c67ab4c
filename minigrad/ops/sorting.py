"""Sorting, selection and scans: sort, argsort, topk, kthvalue, median, cumsum, cumprod, prod,
and vector norms.

Each op is a ``Function`` (forward and backward side by side, the backward written with
numpy functions Tensors also support, so it is differentiable again), plus the Tensor methods
in ``SortingMethods`` (a base class of ``Tensor``) and module-level functions (``mg.NAME``).

Selections (sort, topk, kthvalue, median along a dim) compute their indices in numpy and then
read the values with ``GetItem``, whose backward scatters the gradient to the positions read
(and whose double backward reads it again).  Sorting is stable, NaN sorts as the largest value
(as torch).  A 0-d tensor accepts dim 0 or -1 and behaves as a 1-element vector.
"""
from __future__ import annotations

import math
from collections import namedtuple
from typing import TYPE_CHECKING

import numpy as np

from ..autograd import Function
from ..tensor_base import TensorBase
from .indexing import GetItem, gather_index
from .reduce import expand_reduced, normalize_dims

if TYPE_CHECKING:
    from ..tensor import Tensor

# torch.return_types.*: namedtuples of (values, indices)
SortResult = namedtuple("sort", ["values", "indices"])
TopkResult = namedtuple("topk", ["values", "indices"])
KthvalueResult = namedtuple("kthvalue", ["values", "indices"])
MedianResult = namedtuple("median", ["values", "indices"])


class _Unrecorded:
    """The ``ctx`` of a forward run outside the graph: nothing is saved."""

    @staticmethod
    def save_for_backward(*values) -> None:
        pass


def _run(fn: type[Function], x, **params):
    """``fn`` on a Tensor (recorded, for double backward) or straight on an array."""
    if isinstance(x, TensorBase):
        return fn.apply(x, **params)
    return fn.forward(_Unrecorded, x, **params)


def argsort_np(a: np.ndarray, axis: int, descending: bool = False) -> np.ndarray:
    """Stable argsort along ``axis``; NaN is the largest value.  Descending keeps equal
    elements in their original order (torch's ``stable=True``)."""
    if not descending:
        return np.argsort(a, axis, kind="stable")
    flipped = np.argsort(np.flip(a, axis), axis, kind="stable")
    return a.shape[axis] - 1 - np.flip(flipped, axis)


# ---------------------------------------------------------------------------- scans
class Cumsum(Function):
    """y_k = sum_{i<=k} x_i along dim;  dx_i = sum_{k>=i} g_k (a reversed cumsum)"""

    @staticmethod
    def forward(ctx, x, *, dim):
        return np.cumsum(x, dim, dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        return _run(ReverseCumsum, g, dim=ctx.params["dim"])


class ReverseCumsum(Function):
    """y_i = sum_{k>=i} x_k along dim;  dx_k = sum_{i<=k} g_i (a cumsum)"""

    @staticmethod
    def forward(ctx, x, *, dim):
        return np.flip(np.cumsum(np.flip(x, dim), dim, dtype=x.dtype), dim).copy()

    @staticmethod
    def backward(ctx, g):
        return _run(Cumsum, g, dim=ctx.params["dim"])


def _reverse(x, dim: int):
    """x reversed along dim (a view; on Tensors a differentiable read)."""
    return np.swapaxes(np.swapaxes(x, dim, -1)[..., ::-1], dim, -1)


def _moderate(x, y) -> bool:
    """All of x finite and |y| < 300, so e^x and e^-y stay far from overflow."""
    xa, ya = np.asarray(x), np.asarray(y)
    return bool(np.isfinite(xa).all()) and float(np.abs(ya).max(initial=0.0)) < 300


class LogCumSumExp(Function):
    """y_k = log sum_{i<=k} e^{x_i} along dim;  dx_i = sum_{k>=i} g_k e^{x_i - y_k}.

    The backward stays in log space (TensorFlow's and torch's rule): with g split into its
    positive and negative parts, dx = e^{x + rlcse(log g+ - y)} - e^{x + rlcse(log g- - y)},
    rlcse the reversed logcumsumexp, so no e^{-y} ever overflows."""

    @staticmethod
    def forward(ctx, x, *, dim):
        y = np.logaddexp.accumulate(x, axis=dim) if x.size else x.copy()
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        dim = ctx.params["dim"]
        if isinstance(g, TensorBase) and _moderate(x, y):
            # create_graph: the plain rule e^{x_i} sum_{k>=i} g_k e^{-y_k}, whose derivative is
            # right where e^{+-y} cannot overflow (the log-space one below feeds -inf to an
            # inner logcumsumexp and its double backward is then wrong for mixed-sign g)
            return np.exp(x) * _reverse(_reverse(g * np.exp(-y), dim).cumsum(dim), dim)
        ga = np.asarray(g)
        out = 0
        for part, sign in ((ga > 0, 1), (ga < 0, -1)):
            if not part.any():
                continue
            log_g = np.where(part, np.log(np.where(part, g * sign, 1)), -np.inf)
            tail = _reverse(_run(LogCumSumExp, _reverse(log_g - y, dim), dim=dim), dim)
            out = out + sign * np.exp(x + tail)
        return out if not isinstance(out, int) else np.zeros_like(x)


def _exclusive_cumprod(x, dim: int, reverse: bool = False):
    """prod_{j<i} x_j along dim (prod_{j>i} with ``reverse``): exact with zeros, and built
    from differentiable pieces, so it is the rule for the gradients that meet zeros."""
    xs = np.swapaxes(x, dim, -1)
    xs = xs[..., ::-1] if reverse else xs
    shifted = np.concatenate([np.ones_like(xs[..., :1]), xs[..., :-1]], -1)
    out = _run(Cumprod, shifted, dim=-1)
    return np.swapaxes(out[..., ::-1] if reverse else out, dim, -1)


class Cumprod(Function):
    """y_k = prod_{i<=k} x_i along dim;  dx_i = sum_{k>=i} g_k prod_{j<=k, j!=i} x_j.

    Without zeros that is revcumsum(g y)_i / x_i.  With zeros (torch's rule, exact, and exact
    again for double backward): dx_i = E_i S_i with E_i = prod_{j<i} x_j and
    S_i = sum_{k>=i} g_k M_ik, M_ik = prod_{i<j<=k} x_j (an n x n cumprod per slice)."""

    @staticmethod
    def forward(ctx, x, *, dim):
        y = np.cumprod(x, dim, dtype=x.dtype)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        dim = ctx.params["dim"]
        if not (np.asarray(x) == 0).any():
            return _run(ReverseCumsum, g * y, dim=dim) / x
        xs, gs = np.swapaxes(x, dim, -1), np.swapaxes(g, dim, -1)
        k = np.arange(xs.shape[-1])
        later = k[None, :] > k[:, None]  # [i, j]: j > i
        m = _run(Cumprod, np.where(later, np.expand_dims(xs, -2), 1), dim=-1)
        m = np.where(later | (k[None, :] == k[:, None]), m, 0)  # M_ik, zero for k < i
        s = (m * np.expand_dims(gs, -2)).sum(-1)
        return np.swapaxes(_exclusive_cumprod(xs, -1) * s, dim, -1)


class Prod(Function):
    """y = prod over dims of x;  dy/dx_i = prod_{j != i} x_j: y / x_i without zeros, else
    (exact, and exact again for double backward) the product of the exclusive prefix and
    suffix products along the reduced dim (all dims: the flattened tensor)."""

    @staticmethod
    def forward(ctx, x, *, dims, keepdim):
        ctx.save_for_backward(x, np.asarray(np.prod(x, axis=dims, keepdims=True)))
        return np.asarray(np.prod(x, axis=dims, keepdims=keepdim, dtype=x.dtype))

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        dims, keepdim = ctx.params["dims"], ctx.params["keepdim"]
        ge = expand_reduced(g, dims, keepdim)
        if not dims:
            return ge
        if not (np.asarray(x) == 0).any():
            return ge * _run(Prod, x, dims=dims, keepdim=True) / x
        flat = x if len(dims) == 1 else np.reshape(x, (-1,))
        d = dims[0] if len(dims) == 1 else 0
        others = _exclusive_cumprod(flat, d) * _exclusive_cumprod(flat, d, reverse=True)
        return ge * np.reshape(others, np.shape(x))


# ---------------------------------------------------------------------------- reductions
class Median(Function):
    """y = the lower median of all elements (NaN if any is NaN);  the gradient is split
    evenly among the elements equal to y (torch's rule for median without dim)."""

    @staticmethod
    def forward(ctx, x):
        flat = np.sort(x.reshape(-1), kind="stable")
        y = np.asarray(flat[(flat.size - 1) // 2] if flat.size else np.nan, x.dtype)
        if flat.size and np.isnan(flat[-1]):
            y = np.asarray(np.nan, x.dtype)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        hit = np.isnan(np.asarray(x)) if np.isnan(np.asarray(y)) else np.asarray(x) == \
            np.asarray(y)
        hit = hit * 1.0
        return g * hit / hit.sum()


def _inf_norm_check(x: np.ndarray, dims: tuple[int, ...]) -> None:
    if any(x.shape[d] == 0 for d in dims) or (not dims and x.size == 0):
        raise RuntimeError("linalg.vector_norm cannot compute the inf norm on an empty tensor "
                           "because the operation does not have an identity")


class VectorNorm(Function):
    """y = (sum over dims of |x|^p)^(1/p);  p = inf: max |x|, -inf: min |x|, 0: count of
    nonzeros.  dy/dx = sign(x) |x|^(p-1) / y^(p-1): x / y for p = 2 (0 where y = 0, torch's
    subgradient), sign(x) for p = 1, split evenly among the extremes for p = +-inf, 0 for
    p = 0."""

    @staticmethod
    def forward(ctx, x, *, ord, dims, keepdim):  # noqa: A002 (torch's name)
        a = np.abs(x)
        if math.isinf(ord):
            _inf_norm_check(x, dims)
            y = a.max(axis=dims, keepdims=keepdim) if ord > 0 else \
                a.min(axis=dims, keepdims=keepdim)
        elif ord == 0:
            y = (x != 0).sum(axis=dims, keepdims=keepdim)
        elif ord == 1:
            y = a.sum(axis=dims, keepdims=keepdim)
        elif ord == 2:
            y = np.sqrt((x * x).sum(axis=dims, keepdims=keepdim))
        else:
            with np.errstate(divide="ignore"):
                y = (a ** ord).sum(axis=dims, keepdims=keepdim) ** (1.0 / ord)
        y = np.asarray(y, x.dtype)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        p, dims, keepdim = ctx.params["ord"], ctx.params["dims"], ctx.params["keepdim"]
        ge, ye = expand_reduced(g, dims, keepdim), expand_reduced(y, dims, keepdim)
        if p == 0:
            return np.zeros_like(x)
        if p == 1:
            return ge * np.sign(x)
        if math.isinf(p):
            hit = (np.abs(x) == ye) * 1.0
            return ge * np.sign(x) * hit / hit.sum(dims, keepdims=True)
        y_zero = np.asarray(ye) == 0
        y_safe = np.where(y_zero, 1, ye)
        if p == 2:
            return ge * np.where(y_zero, 0, x / y_safe)
        if p < 1:
            x_zero = np.asarray(x) == 0
            scaled = np.sign(x) * np.where(x_zero, 0, np.abs(np.where(x_zero, 1, x)) ** (p - 1))
            return scaled * ge * ye ** (1 - p)
        scaled = np.sign(x) * np.abs(x) ** (p - 1)
        return scaled * np.where(y_zero, 0, ge / y_safe ** (p - 1))


# ---------------------------------------------------------------------------- Tensor methods
def _one_dim(x, dim, name: str) -> int:
    if dim is None or isinstance(dim, (tuple, list)):
        raise TypeError(f"{name}(): dim must be an int, got {dim!r}")
    normalize_dims(dim, x.ndim)  # raises IndexError out of range (0-d accepts 0 and -1)
    return int(dim) % max(x.ndim, 1)


def _check_k(k, name: str) -> int:
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool):
        raise TypeError(f"{name}(): k must be an int, got {type(k).__name__}")
    return int(k)


class SortingMethods:
    """Tensor methods for the ops of this file (mixed into ``Tensor``)."""

    __slots__ = ()

    def _select(self, idx: np.ndarray, dim: int, keepdim: bool = True):
        """(values, indices) for the positions ``idx`` along ``dim`` (``idx`` shaped as the
        input except along dim); for a 0-d input ``idx`` has shape (1,)."""
        x = self.reshape(1) if self.ndim == 0 else self
        vals = GetItem.apply(x, index=gather_index(dim, idx))
        if not keepdim:
            vals, idx = vals.squeeze(dim), np.squeeze(idx, dim)
        if self.ndim == 0:
            vals, idx = vals.reshape(()), idx.reshape(())
        return vals, self._wrap(np.array(idx, np.int64))

    def _as_1d(self) -> np.ndarray:
        return self._data.reshape(1) if self.ndim == 0 else self._data

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> SortResult:
        """(values, indices) sorted along ``dim``; NaN sorts as the largest value.  The sort
        is always stable (equal elements keep their order), which ``stable=False`` allows."""
        d = _one_dim(self, dim, "sort")
        return SortResult(*self._select(argsort_np(self._as_1d(), d, descending), d))

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
        """The indices that sort the tensor along ``dim`` (int64, no gradient)."""
        d = _one_dim(self, dim, "argsort")
        idx = argsort_np(self._as_1d(), d, descending)
        return self._wrap(idx.reshape(self.shape).astype(np.int64, copy=False))

    def msort(self) -> Tensor:
        """Sorted along dim 0 (values only)."""
        return self.sort(0).values

    def topk(self, k: int, dim: int = -1, largest: bool = True,
             sorted: bool = True) -> TopkResult:  # noqa: A002
        """(values, indices) of the ``k`` largest (or smallest) elements along ``dim``,
        in order; the gradient goes to the positions chosen."""
        k, d = _check_k(k, "topk"), _one_dim(self, dim, "topk")
        n = self.shape[d] if self.ndim else 1
        if not 0 <= k <= n:
            raise RuntimeError(f"topk(): selected index k out of range: k={k} but the size of "
                               f"dim {d} is {n}")
        idx = np.take(argsort_np(self._as_1d(), d, largest), np.arange(k), axis=d)
        if self.ndim == 0 and k == 0:
            idx = np.zeros(1, np.int64)  # torch returns the element itself
        return TopkResult(*self._select(idx, d))

    def kthvalue(self, k: int, dim: int = -1, keepdim: bool = False) -> KthvalueResult:
        """(values, indices) of the k-th smallest element (k from 1) along ``dim``."""
        k, d = _check_k(k, "kthvalue"), _one_dim(self, dim, "kthvalue")
        n = self.shape[d] if self.ndim else 1
        if not 1 <= k <= n:
            raise RuntimeError(f"kthvalue(): selected number k={k} out of range for dimension "
                               f"{d} of size {n} (k counts from 1)")
        idx = np.take(argsort_np(self._as_1d(), d), [k - 1], axis=d)
        return KthvalueResult(*self._select(idx, d, keepdim))

    def median(self, dim: int | None = None, keepdim: bool = False) -> Tensor | MedianResult:
        """Without ``dim``: the lower median of all elements (0-d; the gradient is split among
        the elements equal to it).  With ``dim``: (values, indices) of the lower median along
        it.  NaN anywhere makes the median NaN, as torch."""
        if dim is None:
            return Median.apply(self)
        d = _one_dim(self, dim, "median")
        a = self._as_1d()
        n = a.shape[d]
        if n == 0:
            raise IndexError(f"median(): Expected reduction dim {d} to have non-zero size.")
        order = argsort_np(a, d)
        n_nan = np.isnan(a).sum(d, keepdims=True) if a.dtype.kind == "f" else 0
        pos = np.where(n_nan > 0, n - n_nan, (n - 1) // 2)  # the first NaN, or the median
        idx = np.take_along_axis(order, np.broadcast_to(pos, order.shape[:d] + (1,) +
                                                       order.shape[d + 1:]), d)
        return MedianResult(*self._select(idx, d, keepdim))

    # -------------------------------------------------------------- scans
    def _scan(self, fn, dim, dtype, name: str):
        if dim is None:
            raise TypeError(f"{name}(): missing the required argument 'dim'")
        d = _one_dim(self, dim, name)
        x = self if dtype is None else self.astype(dtype)
        if x.dtype.kind in "biu" and dtype is None:
            x = x.astype(np.int64)
        if x.ndim == 0:
            return fn.apply(x.reshape(1), dim=0).reshape(())
        return fn.apply(x, dim=d)

    def cumsum(self, dim: int | None = None, dtype=None) -> Tensor:
        """Running sums along ``dim`` (integers and bools sum in int64)."""
        return self._scan(Cumsum, dim, dtype, "cumsum")

    def cumprod(self, dim: int | None = None, dtype=None) -> Tensor:
        """Running products along ``dim`` (exact gradient even with zeros in the input)."""
        return self._scan(Cumprod, dim, dtype, "cumprod")

    def logcumsumexp(self, dim: int | None = None) -> Tensor:
        """log of the running sums of e^x along ``dim``, without overflow."""
        if self.dtype.kind != "f":
            raise NotImplementedError(f"logcumsumexp: not implemented for {self.dtype} tensors;"
                                      f" convert with .float() first")
        return self._scan(LogCumSumExp, dim, None, "logcumsumexp")

    def cumsum_(self, dim: int, dtype=None) -> Tensor:
        return self._inplace_op("cumsum_", "cumsum", dim, dtype)

    def cumprod_(self, dim: int, dtype=None) -> Tensor:
        return self._inplace_op("cumprod_", "cumprod", dim, dtype)

    def prod(self, dim: int | None = None, keepdim: bool = False, *, dtype=None) -> Tensor:
        """Product of all elements, or along one ``dim`` (integers and bools in int64)."""
        x = self if dtype is None else self.astype(dtype)
        if x.dtype.kind in "biu" and dtype is None:
            x = x.astype(np.int64)
        if dim is None:
            return Prod.apply(x, dims=tuple(range(x.ndim)), keepdim=False)
        return Prod.apply(x, dims=normalize_dims(_one_dim(x, dim, "prod"), x.ndim),
                          keepdim=keepdim)

    # -------------------------------------------------------------- norms
    def norm(self, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
        """The vector p-norm over ``dim`` (all elements by default); 'fro' is the 2-norm."""
        if isinstance(p, str):
            if p != "fro":
                raise NotImplementedError(f"norm(p={p!r}): only numeric p and 'fro' are "
                                          f"supported (use p=2 over the matrix dims)")
            p = 2
        return vector_norm(self, p, dim, keepdim, dtype=dtype)


def vector_norm(x: Tensor, ord: float = 2, dim=None, keepdim: bool = False, *,  # noqa: A002
                dtype=None) -> Tensor:
    """(sum over ``dim`` of |x|^ord)^(1/ord), ``dim`` an int, a tuple or None (all);
    ord = inf / -inf: max / min of |x|; ord = 0: number of nonzeros.  ``x`` must be float."""
    if not isinstance(x, TensorBase):
        raise TypeError(f"linalg.vector_norm(): argument 'x' must be Tensor, not "
                        f"{type(x).__name__}")
    if isinstance(ord, bool) or not isinstance(ord, (int, float, np.integer, np.floating)):
        raise TypeError(f"linalg.vector_norm(): ord must be a number, got {ord!r}")
    if x.dtype.kind not in "fc":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor "
                           f"as input. Got {x.dtype}")
    if dtype is not None:
        x = x.astype(dtype)
    dims = normalize_dims(dim, x.ndim)
    return VectorNorm.apply(x, ord=float(ord), dims=dims, keepdim=keepdim)


# ---------------------------------------------------------------------------- module functions
def _tensor(x, name: str):
    if not isinstance(x, TensorBase):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(x).__name__}")
    return x


def _method(name: str):
    def fn(input, *args, **kwargs):
        return getattr(_tensor(input, name), name)(*args, **kwargs)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = getattr(SortingMethods, name).__doc__
    return fn


sort, argsort, msort, topk, kthvalue = (_method(n) for n in ("sort", "argsort", "msort", "topk",
                                                              "kthvalue"))
median, cumsum, cumprod, prod, norm = (_method(n) for n in ("median", "cumsum", "cumprod",
                                                             "prod", "norm"))
logcumsumexp = _method("logcumsumexp")
