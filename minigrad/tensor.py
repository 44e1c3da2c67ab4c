"""``Tensor``: a numpy array plus what autograd needs (``requires_grad``, ``grad``, ``grad_fn``).

Every method that computes builds its result through a ``Function`` from ``minigrad.ops``;
this file only converts arguments and checks them so errors name the op and the shapes.
"""
from __future__ import annotations

import weakref
from collections import namedtuple
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import autograd
from .autograd import _initial_grad, run_backward
from .dtypes import get_default_dtype
from .ops import arithmetic as A
from .ops import indexing as I
from .ops import matmul as M
from .ops import reduce as R
from .ops import shape as S
from .ops import unary as U

MaxMin = namedtuple("MaxMin", ["values", "indices"])


def _as_array(data: Any, dtype=None) -> np.ndarray:
    if isinstance(data, Tensor):
        data = data.data
    elif isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in data):
        data = [_as_array(d) for d in data]
    arr = np.array(data, dtype=dtype)
    if dtype is None and arr.dtype.kind == "f" and not isinstance(data, (np.ndarray, np.generic)):
        arr = arr.astype(get_default_dtype())  # Python floats follow the default dtype
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"cannot make a tensor from data of dtype {arr.dtype}; use numbers, "
                        f"booleans or arrays of them")
    return arr


class Tensor:
    """An n-dimensional array that records the operations applied to it."""

    __slots__ = ("data", "grad", "_requires_grad", "grad_fn", "_out_idx", "_hooks",
                 "__weakref__")
    __array_priority__ = 1000  # numpy defers to Tensor's operators

    def __init__(self, data: Any, requires_grad: bool = False, dtype=None):
        self.data = data if isinstance(data, np.ndarray) and dtype is None else _as_array(
            data, dtype)
        self.grad: Tensor | None = None
        self.grad_fn = None
        self._out_idx = 0
        self._hooks: list[Callable] | None = None
        self._requires_grad = False
        if requires_grad:
            self.requires_grad = True

    @classmethod
    def _make(cls, data: np.ndarray, node, idx: int) -> Tensor:
        t = cls.__new__(cls)
        t.data = data
        t.grad = None
        t.grad_fn = node
        t._out_idx = idx
        t._hooks = None
        t._requires_grad = node is not None
        return t

    # ------------------------------------------------------------------ attributes
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self.data.dtype.kind != "f":
            raise RuntimeError(f"only floating point tensors can require gradients; this one "
                               f"is {self.data.dtype}: convert it first, e.g. t.float()")
        if not value and self.grad_fn is not None:
            raise RuntimeError("requires_grad can only be turned off on a leaf tensor; use "
                               ".detach() to get a tensor without history")
        self._requires_grad = bool(value)

    def requires_grad_(self, value: bool = True) -> Tensor:
        self.requires_grad = value
        return self

    shape = property(lambda self: self.data.shape)
    dtype = property(lambda self: self.data.dtype)
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: self.data.size)
    is_leaf = property(lambda self: self.grad_fn is None)
    T = property(lambda self: self.permute(*reversed(range(self.ndim))))

    def numel(self) -> int:
        return self.data.size

    def dim(self) -> int:
        return self.data.ndim

    def __len__(self) -> int:
        if not self.data.ndim:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def numpy(self) -> np.ndarray:
        if self.requires_grad:
            raise RuntimeError("can't call numpy() on a tensor that requires grad; use "
                               "t.detach().numpy()")
        return self.data

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    def item(self) -> float | int | bool:
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element; this one has shape "
                             f"{self.shape}")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def detach(self) -> Tensor:
        """The same data, cut from the graph (shares memory, as torch)."""
        return Tensor(self.data)

    def astype(self, dtype) -> Tensor:
        dtype = np.dtype(dtype)
        if dtype == self.dtype:
            return self
        return Cast.apply(self, dtype)

    def float(self) -> Tensor:
        return self.astype(np.float32)

    def double(self) -> Tensor:
        return self.astype(np.float64)

    def long(self) -> Tensor:
        return self.astype(np.int64)

    def bool(self) -> Tensor:
        return self.astype(np.bool_)

    def clone(self) -> Tensor:
        return S.Copy.apply(self)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extra = ""
        if self.dtype != get_default_dtype() and self.dtype.kind == "f" or \
                self.dtype.kind != "f":
            extra += f", dtype={self.dtype}"
        if self.grad_fn is not None:
            extra += f", grad_fn={self.grad_fn!r}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(f"the truth value of a tensor with {self.data.size} elements is "
                               f"ambiguous; use .any() or .all()")
        return bool(self.data)

    def __hash__(self) -> int:
        return id(self)

    # ------------------------------------------------------------------ autograd
    def backward(self, grad=None, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``."""
        run_backward([self], [_initial_grad(self, grad)], retain_graph)

    def _accumulate(self, g: np.ndarray) -> None:
        if self.grad is None:
            # a fresh array: gradients never alias data or another tensor's grad
            self.grad = Tensor(np.array(g, dtype=self.dtype, copy=True))
        else:
            self.grad.data = self.grad.data + g

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if self.grad_fn is None:
            return
        node = self.grad_fn
        if node.retained is None:
            node.retained = {}
        node.retained[self._out_idx] = weakref.ref(self)

    def register_hook(self, fn: Callable[[Tensor], Tensor | None]):
        """Call ``fn(grad)`` when this tensor's gradient is computed; a returned tensor
        replaces the gradient.  Returns a handle with ``.remove()``."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require grad")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        else:
            node = self.grad_fn
            if node.hooks is None:
                node.hooks = {}
            hooks = node.hooks.setdefault(self._out_idx, [])
        hooks.append(fn)
        return _HookHandle(hooks, fn)

    def zero_grad(self) -> None:
        self.grad = None

    # ------------------------------------------------------------------ arithmetic
    def _other(self, other: Any) -> Tensor | np.ndarray:
        if isinstance(other, Tensor):
            return other
        arr = np.asarray(other)
        if arr.dtype.kind in "biuf" and arr.ndim == 0 and not isinstance(other, np.ndarray):
            # Python scalars take the tensor's dtype (as torch); int tensor * float -> default
            if self.dtype.kind == "f" or arr.dtype.kind in "biu":
                return arr.astype(self.dtype if arr.dtype.kind != "b" else self.dtype)
            return arr.astype(get_default_dtype())
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"unsupported operand of type {type(other).__name__}")
        return arr

    def _binary(self, fn, other, reverse=False):
        if type(other) is Tensor and other.data.shape == self.data.shape:
            return fn.apply(other, self) if reverse else fn.apply(self, other)
        other = self._other(other)
        a, b = (other, self) if reverse else (self, other)
        sa, sb = np.shape(a.data if isinstance(a, Tensor) else a), np.shape(
            b.data if isinstance(b, Tensor) else b)
        if sa != sb:
            try:
                np.broadcast_shapes(sa, sb)
            except ValueError:
                raise ValueError(f"{fn.__name__.lower()}: shapes {sa} and {sb} cannot be "
                                 f"broadcast together") from None
        return fn.apply(a, b)

    def __add__(self, o): return self._binary(A.Add, o)
    def __radd__(self, o): return self._binary(A.Add, o, True)
    def __sub__(self, o): return self._binary(A.Sub, o)
    def __rsub__(self, o): return self._binary(A.Sub, o, True)
    def __mul__(self, o): return self._binary(A.Mul, o)
    def __rmul__(self, o): return self._binary(A.Mul, o, True)
    def __truediv__(self, o): return self._binary(A.Div, o)
    def __rtruediv__(self, o): return self._binary(A.Div, o, True)
    def __pow__(self, o): return self._binary(A.Pow, o)
    def __rpow__(self, o): return self._binary(A.Pow, o, True)
    def __neg__(self): return A.Neg.apply(self)
    def __pos__(self): return self

    def __matmul__(self, o):
        return matmul(self, o)

    def __rmatmul__(self, o):
        return matmul(Tensor(self._other(o)), self)

    def _compare(self, op, o):
        o = o.data if isinstance(o, Tensor) else o
        return Tensor(op(self.data, o))

    def __lt__(self, o): return self._compare(np.less, o)
    def __le__(self, o): return self._compare(np.less_equal, o)
    def __gt__(self, o): return self._compare(np.greater, o)
    def __ge__(self, o): return self._compare(np.greater_equal, o)
    def __eq__(self, o): return self._compare(np.equal, o)  # type: ignore[override]
    def __ne__(self, o): return self._compare(np.not_equal, o)  # type: ignore[override]
    def __invert__(self): return Tensor(~self.data)
    def __and__(self, o): return self._compare(np.logical_and, o)
    def __or__(self, o): return self._compare(np.logical_or, o)

    def any(self) -> Tensor:
        return Tensor(np.asarray(self.data.any()))

    def all(self) -> Tensor:
        return Tensor(np.asarray(self.data.all()))

    # in-place ops on data, outside autograd (optimizers, init); refused on graph members
    def _inplace(self, value) -> Tensor:
        if self.requires_grad and autograd.is_grad_enabled():
            raise RuntimeError("a leaf tensor that requires grad is being modified in place; "
                               "do it inside `with mg.no_grad():`")
        self.data[...] = value.data if isinstance(value, Tensor) else value
        return self

    def copy_(self, src) -> Tensor:
        return self._inplace(np.asarray(src.data if isinstance(src, Tensor) else src))

    def fill_(self, v) -> Tensor: return self._inplace(v)
    def zero_(self) -> Tensor: return self._inplace(0)
    def uniform_(self, a=0.0, b=1.0) -> Tensor:
        from .random import _rng
        return self._inplace(_rng().uniform(a, b, self.shape))
    def normal_(self, mean=0.0, std=1.0) -> Tensor:
        from .random import _rng
        return self._inplace(_rng().normal(mean, std, self.shape))

    # ------------------------------------------------------------------ elementwise
    def exp(self): return U.Exp.apply(self)
    def log(self): return U.Log.apply(self)
    def sqrt(self): return U.Sqrt.apply(self)
    def abs(self): return U.Abs.apply(self)
    def tanh(self): return U.Tanh.apply(self)
    def sigmoid(self): return U.Sigmoid.apply(self)
    def relu(self): return U.Relu.apply(self)
    def sin(self): return U.Sin.apply(self)
    def cos(self): return U.Cos.apply(self)
    def pow(self, e): return self ** e

    def clip(self, min=None, max=None) -> Tensor:  # noqa: A002 (torch's names)
        if min is None and max is None:
            raise ValueError("clip: at least one of min and max must be given")
        lo = None if min is None else np.asarray(_raw(min), self.dtype)
        hi = None if max is None else np.asarray(_raw(max), self.dtype)
        return A.Clip.apply(self, lo, hi)

    clamp = clip

    def maximum(self, other) -> Tensor: return self._binary(A.Maximum, other)
    def minimum(self, other) -> Tensor: return self._binary(A.Minimum, other)

    def masked_fill(self, mask, value) -> Tensor:
        m = _raw(mask)
        if np.asarray(m).dtype != np.bool_:
            raise TypeError(f"masked_fill: mask must be a bool tensor, got {np.asarray(m).dtype}")
        try:
            if np.broadcast_shapes(np.shape(m), self.shape) != self.shape:
                raise ValueError
        except ValueError:
            raise ValueError(f"masked_fill: mask of shape {np.shape(m)} does not broadcast to "
                             f"the tensor's shape {self.shape}") from None
        return I.MaskedFill.apply(self, m, float(_raw(value)))

    # ------------------------------------------------------------------ reductions
    def _dims(self, dim):
        return R.normalize_dims(dim, self.ndim)

    def sum(self, dim=None, keepdim=False) -> Tensor:
        return R.Sum.apply(self, self._dims(dim), keepdim)

    def mean(self, dim=None, keepdim=False) -> Tensor:
        return R.Mean.apply(self, self._dims(dim), keepdim)

    def var(self, dim=None, keepdim=False, correction=1, unbiased=None) -> Tensor:
        if unbiased is not None:
            correction = int(unbiased)
        return R.Var.apply(self, self._dims(dim), keepdim, correction)

    def std(self, dim=None, keepdim=False, correction=1) -> Tensor:
        return self.var(dim, keepdim, correction).sqrt()

    def _maxmin(self, dim, keepdim, is_max):
        if self.size == 0:
            raise RuntimeError(f"{'max' if is_max else 'min'}: the tensor is empty")
        if dim is None or isinstance(dim, (tuple, list)):
            return R.MaxMin.apply(self, self._dims(dim), keepdim, is_max)
        (d,) = self._dims(dim)
        return MaxMin(*R.MaxMinIndexed.apply(self, d, keepdim, is_max))

    def max(self, dim=None, keepdim=False):
        """Max of all elements, or ``(values, indices)`` along an int ``dim`` (as torch)."""
        return self._maxmin(dim, keepdim, True)

    def min(self, dim=None, keepdim=False):
        """Min of all elements, or ``(values, indices)`` along an int ``dim`` (as torch)."""
        return self._maxmin(dim, keepdim, False)

    def amax(self, dim=None, keepdim=False):
        return R.MaxMin.apply(self, self._dims(dim), keepdim, True)

    def amin(self, dim=None, keepdim=False):
        return R.MaxMin.apply(self, self._dims(dim), keepdim, False)

    def argmax(self, dim=None, keepdim=False) -> Tensor:
        if dim is None:
            return Tensor(np.asarray(self.data.argmax()))
        return Tensor(self.data.argmax(axis=self._dims(dim)[0], keepdims=keepdim))

    def argmin(self, dim=None, keepdim=False) -> Tensor:
        if dim is None:
            return Tensor(np.asarray(self.data.argmin()))
        return Tensor(self.data.argmin(axis=self._dims(dim)[0], keepdims=keepdim))

    def logsumexp(self, dim=None, keepdim=False) -> Tensor:
        return R.LogSumExp.apply(self, self._dims(dim), keepdim)

    def softmax(self, dim: int) -> Tensor:
        return R.Softmax.apply(self, self._dims(dim)[0] if self.ndim else 0)

    def log_softmax(self, dim: int) -> Tensor:
        return R.LogSoftmax.apply(self, self._dims(dim)[0] if self.ndim else 0)

    # ------------------------------------------------------------------ shapes
    def reshape(self, *shape) -> Tensor:
        shape = _shape_arg(shape)
        try:
            out_shape = np.empty(self.size, np.bool_).reshape(shape).shape
        except ValueError:
            raise RuntimeError(f"reshape: shape {tuple(shape)} is invalid for a tensor of shape "
                               f"{self.shape} ({self.size} elements)") from None
        if out_shape == self.shape:
            return self
        return S.Reshape.apply(self, out_shape)

    view = reshape

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        if self.ndim == 0:
            return self.reshape(1)
        s, e = self._dims(start_dim)[0], self._dims(end_dim)[0]
        return self.reshape(*self.shape[:s], -1, *self.shape[e + 1:])

    def permute(self, *dims) -> Tensor:
        dims = _shape_arg(dims)
        if sorted(d % max(self.ndim, 1) for d in dims) != list(range(self.ndim)):
            raise ValueError(f"permute: {tuple(dims)} is not a permutation of the "
                             f"{self.ndim} dims of a tensor of shape {self.shape}")
        return S.Permute.apply(self, tuple(d % self.ndim for d in dims))

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        order = list(range(self.ndim))
        d0, d1 = self._dims(dim0)[0], self._dims(dim1)[0]
        order[d0], order[d1] = order[d1], order[d0]
        return S.Permute.apply(self, tuple(order))

    def unsqueeze(self, dim: int) -> Tensor:
        d = R.normalize_dims(dim, self.ndim + 1)[0]
        return self.reshape(*self.shape[:d], 1, *self.shape[d:])

    def squeeze(self, dim=None) -> Tensor:
        dims = [d for d in self._dims(dim) if self.shape[d] == 1] if self.ndim else []
        return self.reshape(*[n for i, n in enumerate(self.shape) if i not in dims])

    def expand(self, *shape) -> Tensor:
        shape = _shape_arg(shape)
        lead = len(shape) - self.ndim
        full = tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(shape))
        return self.broadcast_to(full)

    def broadcast_to(self, shape) -> Tensor:
        shape = tuple(shape)
        try:
            ok = np.broadcast_shapes(self.shape, shape) == shape
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"expand: a tensor of shape {self.shape} cannot be broadcast to "
                             f"{shape}") from None
        return self if shape == self.shape else S.Expand.apply(self, shape)

    def expand_as(self, other: Tensor) -> Tensor:
        return self.broadcast_to(other.shape)

    def split(self, split_size_or_sections, dim: int = 0):
        return split(self, split_size_or_sections, dim)

    def chunk(self, chunks: int, dim: int = 0):
        return chunk(self, chunks, dim)

    # ------------------------------------------------------------------ indexing
    def __getitem__(self, index) -> Tensor:
        index = _convert_index(index, self)
        return I.GetItem.apply(self, index)

    def __setitem__(self, index, value) -> None:
        self._inplace_index(_convert_index(index, self), value)

    def _inplace_index(self, index, value) -> None:
        if self.requires_grad and autograd.is_grad_enabled():
            raise RuntimeError("in-place assignment to a tensor that requires grad; do it "
                               "inside `with mg.no_grad():` or build a new tensor (mg.where)")
        self.data[index] = _raw(value)

    def gather(self, dim: int, index) -> Tensor:
        idx = np.asarray(_raw(index))
        d = self._dims(dim)[0]
        if idx.dtype.kind not in "iu" or idx.ndim != self.ndim:
            raise ValueError(f"gather: index must be an integer tensor with {self.ndim} dims, "
                             f"got {idx.dtype} with {idx.ndim} dims")
        if any(idx.shape[i] > self.shape[i] for i in range(self.ndim) if i != d):
            raise ValueError(f"gather: index shape {idx.shape} is larger than input shape "
                             f"{self.shape} outside dim {d}")
        _check_range("gather", idx, self.shape[d])
        return I.Gather.apply(self, d, idx)

    def index_select(self, dim: int, index) -> Tensor:
        idx = np.asarray(_raw(index))
        if idx.dtype.kind not in "iu" or idx.ndim > 1:
            raise ValueError("index_select: index must be a 1-D integer tensor")
        d = self._dims(dim)[0]
        _check_range("index_select", idx, self.shape[d])
        return I.IndexSelect.apply(self, d, idx.reshape(-1).astype(np.int64))

    def matmul(self, other) -> Tensor:
        return matmul(self, other)

    def where(self, cond, other) -> Tensor:
        return where(cond, self, other)


class _HookHandle:
    def __init__(self, hooks: list, fn: Callable):
        self._hooks, self._fn = hooks, fn

    def remove(self) -> None:
        if self._fn in self._hooks:
            self._hooks.remove(self._fn)


class Cast(autograd.Function):
    """y = x converted to another dtype;  dx = g converted back"""

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.save_for_backward(x.dtype)
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g.astype(ctx.saved_tensors[0]), None

    @classmethod
    def apply(cls, x, dtype):
        if np.dtype(dtype).kind != "f":
            return Tensor(x.data.astype(dtype))  # integer/bool results carry no gradient
        return super().apply(x, dtype)


def _raw(x):
    return x.data if isinstance(x, Tensor) else x


def _shape_arg(shape: Sequence) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _check_range(op: str, idx: np.ndarray, n: int) -> None:
    if idx.size and (idx.max() >= n or idx.min() < -n):
        bad = idx.max() if idx.max() >= n else idx.min()
        raise IndexError(f"{op}: index {bad} is out of range for a dimension of size {n}")


def _convert_index(index, t: Tensor):
    """Tensors and lists in an index become numpy arrays; bounds are checked with a message."""
    items = index if isinstance(index, tuple) else (index,)
    out = []
    for it in items:
        if isinstance(it, Tensor):
            it = it.data
        elif isinstance(it, list):
            it = np.asarray(it)
        if isinstance(it, np.ndarray) and it.dtype.kind not in "biu":
            raise IndexError(f"tensors used as indices must be integer or bool, got {it.dtype}")
        out.append(it)
    index = tuple(out) if isinstance(index, tuple) else out[0]
    try:
        np.empty(t.shape, np.bool_)[index]
    except IndexError as e:
        raise IndexError(f"index into a tensor of shape {t.shape}: {e}") from None
    return index


# ---------------------------------------------------------------------------- functions


def matmul(a, b) -> Tensor:
    a = a if isinstance(a, Tensor) else Tensor(a)
    b = b if isinstance(b, Tensor) else Tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul: both operands need at least one dimension (use * to scale)")
    ka = a.shape[-1]
    kb = b.shape[0] if b.ndim == 1 else b.shape[-2]
    ok = ka == kb
    if ok and a.ndim > 2 and b.ndim > 2:
        try:
            np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except ValueError:
            ok = False
    if not ok:
        which = "first" if b.ndim == 1 else "second-to-last"
        raise ValueError(f"matmul: {a.shape} @ {b.shape}: shapes are not aligned (the last dim "
                         f"of the first must equal the {which} dim of the second, and batch "
                         f"dims must broadcast)")
    return M.MatMul.apply(a, b)


def where(cond, a, b) -> Tensor:
    c = np.asarray(_raw(cond))
    if c.dtype != np.bool_:
        raise TypeError(f"where: condition must be a bool tensor, got {c.dtype}")
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = Tensor(np.asarray(a, get_default_dtype()) if isinstance(a, float) else a)
    ref = a if isinstance(a, Tensor) else b
    a = ref._other(a) if not isinstance(a, Tensor) else a
    b = ref._other(b) if not isinstance(b, Tensor) else b
    try:
        np.broadcast_shapes(c.shape, np.shape(_raw(a)), np.shape(_raw(b)))
    except ValueError:
        raise ValueError(f"where: shapes {c.shape}, {np.shape(_raw(a))}, {np.shape(_raw(b))} "
                         f"cannot be broadcast together") from None
    return A.Where.apply(c, a, b)


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("cat: expected a non-empty sequence of tensors")
    ref = tensors[0]
    d = R.normalize_dims(dim, ref.ndim)[0]
    for t in tensors[1:]:
        if t.ndim != ref.ndim or any(t.shape[i] != ref.shape[i] for i in range(ref.ndim)
                                     if i != d):
            raise ValueError(f"cat: shapes {ref.shape} and {t.shape} differ outside dim {d}")
    dtype = np.result_type(*[t.dtype for t in tensors])
    tensors = [t.astype(dtype) for t in tensors]
    return S.Cat.apply(d, *tensors)


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: expected a non-empty sequence of tensors")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack: every tensor must have the same shape, got {sorted(shapes)}")
    d = R.normalize_dims(dim, tensors[0].ndim + 1)[0]
    return cat([t.unsqueeze(d) for t in tensors], d)


def split(t: Tensor, split_size_or_sections, dim: int = 0) -> tuple[Tensor, ...]:
    d = R.normalize_dims(dim, t.ndim)[0]
    n = t.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0:
            raise ValueError("split: split_size must be positive")
        sizes = [min(step, n - s) for s in range(0, n, step)]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise ValueError(f"split: sections {sizes} do not add up to the dim's size {n}")
    out, start = [], 0
    for s in sizes:
        idx = (slice(None),) * d + (slice(start, start + s),)
        out.append(t[idx])
        start += s
    return tuple(out)


def chunk(t: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    n = t.shape[R.normalize_dims(dim, t.ndim)[0]]
    return split(t, -(-n // chunks) if n else 1, dim)
