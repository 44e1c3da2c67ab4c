"""``Tensor``: a numpy array plus what autograd needs (``requires_grad``, ``grad``, ``grad_fn``).

Every method that computes builds its result through a ``Function`` from ``minigrad.ops``;
this file converts and checks arguments so errors name the op and the shapes, and holds the
in-place methods (which bump the version counter that backward checks).

Tensors also speak numpy's dispatch protocols (``__array_ufunc__``, ``__array_function__``):
``np.exp(t)`` or ``np.where(c, t, 0)`` return Tensors and record a graph.  That is what lets
each op's backward rule be written once, with numpy functions, and run on arrays (fast) or
on Tensors (``create_graph=True``, differentiable).
"""
from __future__ import annotations

import copy as _copy
import weakref
from collections import namedtuple
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .autograd import backward_walk
from .autograd.capture import grad as _grad
from .autograd.capture import initial_grads
from .autograd.hooks import Accumulate
from .device import check_device, device
from .dtypes import get_default_dtype
from .modes import is_grad_enabled, no_grad
from .modes import state as _state
from .ops import arithmetic as A
from .ops import indexing as I
from .ops import matmul as M
from .ops import reduce as R
from .ops import shape as S
from .ops import unary as U
from .ops.linalg import LinalgMethods
from .ops.movement import MovementMethods
from .ops.pointwise import PointwiseMethods
from .ops.scatter import ScatterMethods
from .ops.sorting import SortingMethods
from .random import numpy_generator
from .size import Size
from .tensor_base import TensorBase, Version

_new = object.__new__
MaxMin = namedtuple("MaxMin", ["values", "indices"])


def as_array(data: Any, dtype=None) -> np.ndarray:
    """``data`` (numbers, nested lists, arrays, Tensors) as a new numpy array; Python floats
    take the default dtype (float32), as torch."""
    if isinstance(data, TensorBase):
        data = data._data
    elif isinstance(data, (list, tuple)) and any(isinstance(d, TensorBase) for d in data):
        data = [as_array(d) for d in data]
    arr = np.array(data, dtype=dtype)
    if dtype is None and arr.dtype.kind == "f" and not isinstance(data, (np.ndarray, np.generic)):
        arr = arr.astype(get_default_dtype())
    if arr.dtype.kind not in "biufc":
        raise TypeError(f"cannot make a tensor from data of dtype {arr.dtype}; use numbers, "
                        f"booleans or arrays of them")
    return arr


def _operator(fn: type, general: Callable, floats_only: bool = False) -> Callable:
    """``Tensor.__add__`` and friends: ``fn.apply(self, other)`` straight away when ``other``
    is a Tensor of self's dtype (the common case: nothing to convert or promote; a float
    dtype if ``floats_only``), else ``general(self, other)``, which converts and checks."""

    def operator(self, other):
        x, y = self._data, other._data if isinstance(other, Tensor) else None
        if y is not None and x.dtype == y.dtype and (not floats_only or x.dtype.kind == "f"):
            if x.shape != y.shape:
                _check_broadcast(fn, x.shape, y.shape)
            # what fn.apply(self, other) does, its argument loop unrolled for two tensors
            return fn._run((self, other), [x, y], [self._requires_grad, other._requires_grad],
                           Tensor._wrap, {})
        return general(self, other)

    operator.__name__ = f"__{fn.__name__.lower()}__"
    return operator


def _check_broadcast(fn: type, sa: tuple, sb: tuple) -> None:
    """Raise torch's error unless shapes ``sa`` and ``sb`` broadcast together."""
    for m, n in zip(sa[::-1], sb[::-1]):  # numpy's rule, aligned from the right
        if m != n and m != 1 and n != 1:
            raise RuntimeError(f"{fn.__name__.lower()}: the size of tensor a {sa} must match "
                               f"the size of tensor b {sb} (they cannot be broadcast together)")


class _SizeAttr(int):
    """``t.size`` is the number of elements (numpy's meaning, an int) and ``t.size()`` /
    ``t.size(d)`` the shape or one dimension (torch's meaning)."""

    def __new__(cls, shape: tuple[int, ...]):
        obj = super().__new__(cls, int(np.prod(shape)))
        obj.shape = shape
        return obj

    def __call__(self, dim: int | None = None):
        if dim is None:
            return Size(self.shape)
        return self.shape[R.normalize_dims(dim, len(self.shape))[0]] if self.shape else \
            _raise_0d(dim)


def _checked_0d(t, dim) -> int:
    """dim 0 or -1 of a 0-d tensor (range-checked) as 0."""
    t._dims(dim)
    return 0


def _raise_0d(dim):
    raise IndexError(f"dimension specified as {dim} but tensor has no dimensions")


class Tensor(PointwiseMethods, SortingMethods, LinalgMethods, MovementMethods, ScatterMethods,
             TensorBase):
    """An n-dimensional array that records the operations applied to it.

    ``Tensor(ndarray)`` wraps the array without copying; ``Tensor(list)`` makes a float
    tensor of the default dtype and ``Tensor(2, 3)`` an uninitialised (zero) one of that
    shape, as ``torch.Tensor`` does.  Use ``mg.tensor(data)`` to copy with dtype inference.
    """

    __slots__ = ()
    __array_priority__ = 1000

    def __init__(self, *args: Any, requires_grad: bool = False, dtype=None, device=None):
        if len(args) == 1 and isinstance(args[0], np.ndarray):
            data = args[0] if dtype is None else args[0].astype(dtype, copy=False)
        elif len(args) == 1 and isinstance(args[0], TensorBase):
            data = args[0]._data if dtype is None else args[0]._data.astype(dtype)
        elif args and all(isinstance(a, (int, np.integer)) and not isinstance(a, bool)
                          for a in args):
            data = np.zeros(tuple(int(a) for a in args), dtype or get_default_dtype())
        elif len(args) == 1:
            data = as_array(args[0], dtype)
            if dtype is None and not isinstance(args[0], (np.generic,)):
                data = data.astype(get_default_dtype()) if data.dtype.kind in "biu" else data
        elif not args:
            data = np.zeros((0,), dtype or get_default_dtype())
        else:
            raise TypeError(f"Tensor(): cannot make a tensor from {args!r}")
        self._init(data, None, 0, None)
        if requires_grad:
            self.requires_grad = True

    @staticmethod
    def _wrap(data: np.ndarray, node=None, idx: int = 0, version: Version | None = None):
        t = _new(Tensor)  # TensorBase._init, inlined: every op result is made here
        t._data = data
        t._grad = None
        t.grad_fn = node
        t._out_idx = idx
        t._hooks = None
        t._requires_grad = node is not None
        t._vc_ = version
        t._is_view = version is not None
        return t

    # ------------------------------------------------------------------ attributes
    @property
    def data(self) -> Tensor:
        """The same values as a Tensor cut from the graph, sharing memory (torch's ``.data``).
        Use ``.numpy()`` for the numpy array. As in torch, it has its own version counter,
        so in-place updates through it (``p.data.add_(...)``) are not seen by autograd."""
        return Tensor._wrap(self._data, None, 0, Version())

    @data.setter
    def data(self, value) -> None:
        self._data = value._data if isinstance(value, TensorBase) else np.asarray(value)

    @property
    def grad(self) -> Tensor | None:
        """The accumulated gradient (same shape and dtype as the tensor), or None."""
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            value = value if isinstance(value, TensorBase) else Tensor(np.asarray(value))
            if value.shape != self.shape:
                raise RuntimeError(f"assigned grad has data of a different size: {value.shape};"
                                   f" the tensor has shape {self.shape}")
            if value.dtype != self.dtype:
                raise RuntimeError(f"assigned grad has data of a different type: {value.dtype};"
                                   f" the tensor is {self.dtype}")
        self._grad = value

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place; returns self."""
        self.requires_grad = requires_grad
        return self

    @property
    def _version(self) -> int:
        """How many times this tensor's memory was modified in place (shared with views)."""
        return self._vc.value

    @property
    def size(self) -> _SizeAttr:
        return _SizeAttr(self._data.shape)

    T = property(lambda self: self.permute(*reversed(range(self.ndim))),
                 doc="All dims reversed.")
    mT = property(lambda self: self.transpose(-2, -1), doc="The last two dims swapped.")
    is_cuda = False
    is_sparse = False
    layout = "strided"

    @property
    def device(self) -> device:
        return device("cpu")

    def numel(self) -> int:
        """Number of elements."""
        return self._data.size

    nelement = numel

    def dim(self) -> int:
        """Number of dimensions."""
        return self._data.ndim

    ndimension = dim

    def element_size(self) -> int:
        """Bytes per element."""
        return self._data.itemsize

    def is_floating_point(self) -> bool:
        """True for float dtypes."""
        return self._data.dtype.kind == "f"

    def is_contiguous(self) -> bool:
        """True if the array is C-contiguous."""
        return bool(self._data.flags.c_contiguous)

    def __len__(self) -> int:
        if not self._data.ndim:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if not self._data.ndim:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    # ------------------------------------------------------------------ numpy interop
    def numpy(self, force: bool = False) -> np.ndarray:
        """The numpy array (shared memory).  Like torch, refused on a tensor that requires
        grad unless ``force`` (use ``t.detach().numpy()``)."""
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        if dtype is not None and np.dtype(dtype) != self._data.dtype:
            if copy is False:
                raise ValueError("a copy is needed to convert the tensor to that dtype")
            return self._data.astype(dtype)
        return self._data.copy() if copy else self._data

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        """``np.exp(t)``, ``array * t`` ...: the Tensor op (recorded); other ufuncs run on the
        arrays and return an array, as before numpy dispatch existed."""
        fn = _UFUNCS.get(ufunc) if method == "__call__" and not kwargs else None
        if fn is not None:
            return fn(*inputs)
        arrays = [_raw(x) for x in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(_raw(o) for o in kwargs["out"])
        return getattr(ufunc, method)(*arrays, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        """``np.where``, ``np.transpose`` ... on Tensors: the Tensor op; others run on arrays."""
        fn = _FUNCTIONS.get(func)
        if fn is not None:
            return fn(*args, **kwargs)
        return func(*_to_arrays(args), **_to_arrays(kwargs))

    def item(self) -> float | int | bool:
        """The single element as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted "
                               f"to Scalar")
        return self._data.item()

    def tolist(self):
        """Nested Python lists of the values."""
        return self._data.tolist()

    def __float__(self) -> float:
        self._one_element()
        return float(self.item())

    def __int__(self) -> int:
        self._one_element()
        return int(self.item())

    def _one_element(self) -> None:
        if self._data.size != 1:  # torch's type and words for float()/int()
            raise ValueError(f"only one element tensors can be converted to Python scalars "
                             f"(this one has {self._data.size})")

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with more than one value is ambiguous"
                               f" ({self._data.size} elements); use .any() or .all()")
        return bool(self._data)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0 or (spec and self._data.size == 1):
            return format(self.item(), spec)
        return format(repr(self), spec)

    def __hash__(self) -> int:
        return id(self)

    def __reduce_ex__(self, protocol):
        return _rebuild_tensor, (type(self), self._data.tobytes(), self._data.dtype.str,
                                 self._data.shape, self._requires_grad)

    def __deepcopy__(self, memo: dict) -> Tensor:
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol; detach() it first")
        new = type(self).__new__(type(self))
        new._init(self._data.copy(), None, 0, None)
        new._requires_grad = self._requires_grad
        memo[id(self)] = new
        if self._grad is not None:
            new._grad = _copy.deepcopy(self._grad, memo)
        return new

    # ------------------------------------------------------------------ conversions
    def detach(self) -> Tensor:
        """The same data, cut from the graph (shares memory and the version counter)."""
        return Tensor._wrap(self._data, None, 0, self._vc)

    def detach_(self) -> Tensor:
        """Cut this tensor from its graph, in place."""
        self.grad_fn, self._out_idx, self._requires_grad = None, 0, False
        return self

    def clone(self, memory_format=None) -> Tensor:
        """A copy that does not share memory (gradient passes through)."""
        return S.Copy.apply(self)

    def contiguous(self, memory_format=None) -> Tensor:
        """The tensor itself if C-contiguous, else a contiguous copy."""
        return self if self._data.flags.c_contiguous else S.Copy.apply(self)

    def astype(self, dtype) -> Tensor:
        """The tensor converted to ``dtype`` (float to float keeps the graph)."""
        dtype = _dtype(dtype)
        if dtype == self.dtype:
            return self
        if dtype.kind not in "fc" or self.dtype.kind not in "fc":
            return Tensor(self._data.astype(dtype))  # integer/bool results carry no gradient
        return S.Cast.apply(self, dtype=dtype)

    def to(self, *args, **kwargs) -> Tensor:
        """``to(dtype)``, ``to(device)``, ``to(other)``, ``to(device, dtype)``; ``copy=True``
        forces a copy.  Only the CPU exists: any other device raises."""
        dtype = kwargs.pop("dtype", None)
        copy = kwargs.pop("copy", False)
        dev = kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise TypeError(f"to(): unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, TensorBase):
                dtype = a.dtype
            elif _is_dtype(a):
                dtype = a
            else:
                dev = a
        if dev is not None:
            check_device(dev)
        out = self.astype(dtype) if dtype is not None else self
        return out.clone() if copy and out is self else out

    def cpu(self, memory_format=None) -> Tensor:
        """The tensor itself: minigrad runs on the CPU."""
        return self

    def cuda(self, *args, **kwargs) -> Tensor:
        """Always raises: minigrad runs on the CPU only."""
        check_device("cuda")
        return self

    def type(self, dtype=None):
        """Without arguments, torch's type string (``'torch.FloatTensor'``); with a dtype (or a
        string like ``'torch.LongTensor'``), the tensor converted."""
        if dtype is None:
            return _TYPE_NAMES.get(self.dtype.name, f"minigrad.{self.dtype.name}")
        if isinstance(dtype, str) and dtype in _TYPE_BY_NAME:
            dtype = _TYPE_BY_NAME[dtype]
        return self.astype(dtype)

    def type_as(self, other: Tensor) -> Tensor:
        """Converted to ``other``'s dtype."""
        return self.astype(other.dtype)

    def float(self, memory_format=None) -> Tensor:
        """Converted to float32."""
        return self.astype(np.float32)

    def double(self, memory_format=None) -> Tensor:
        """Converted to float64."""
        return self.astype(np.float64)

    def half(self, memory_format=None) -> Tensor:
        """Converted to float16."""
        return self.astype(np.float16)

    def long(self, memory_format=None) -> Tensor:
        """Converted to int64."""
        return self.astype(np.int64)

    def int(self, memory_format=None) -> Tensor:
        """Converted to int32."""
        return self.astype(np.int32)

    def bool(self, memory_format=None) -> Tensor:
        """Converted to bool."""
        return self.astype(np.bool_)

    def __repr__(self) -> str:
        body = np.array2string(self._data, separator=", ", prefix="tensor(")
        extra = ""
        if (self.dtype.kind == "f" and self.dtype != get_default_dtype()) or \
                self.dtype.kind not in "fb" or (self.dtype.kind == "b" and not self.ndim):
            extra += f", dtype={_DTYPE_NAMES.get(self.dtype.name, self.dtype.name)}"
        if self.grad_fn is not None:
            extra += f", grad_fn={self.grad_fn!r}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    def _new(self, data: np.ndarray, dtype, requires_grad: bool, device) -> Tensor:
        if device is not None:
            check_device(device)
        t = Tensor(data.astype(self.dtype if dtype is None else _dtype(dtype), copy=False))
        return t.requires_grad_() if requires_grad else t

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        """Zeros of ``size`` with this tensor's dtype (unless ``dtype``)."""
        return self._new(np.zeros(_shape_arg(size)), dtype, requires_grad, device)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        """Ones of ``size`` with this tensor's dtype (unless ``dtype``)."""
        return self._new(np.ones(_shape_arg(size)), dtype, requires_grad, device)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        """A tensor of ``size`` (zero-filled) with this tensor's dtype (unless ``dtype``)."""
        return self.new_zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
        """``fill_value`` everywhere, shape ``size``, this tensor's dtype (unless ``dtype``)."""
        return self._new(np.full(_shape_arg((size,)), fill_value), dtype, requires_grad, device)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False) -> Tensor:
        """A copy of ``data`` with this tensor's dtype (unless ``dtype``)."""
        return self._new(np.array(_raw(data)), dtype, requires_grad, device)

    # ------------------------------------------------------------------ autograd
    def backward(self, gradient=None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs=None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (or only into ``inputs``').

        ``create_graph=True`` records the backward pass too, so the gradients can be
        differentiated again; ``retain_graph`` defaults to ``create_graph``."""
        roots = initial_grads([self], gradient, create_graph)
        retain = create_graph if retain_graph is None else retain_graph
        if inputs is None:
            backward_walk(roots, Accumulate(create_graph), retain, create_graph)
            return
        ins = [inputs] if isinstance(inputs, TensorBase) else list(inputs)
        gs = _grad([self], ins, [r[1] for r in roots], retain_graph=retain,
                   create_graph=create_graph, allow_unused=True)
        for t, g in zip(ins, gs):
            if g is not None:
                t._accumulate(g._data if not create_graph else g, create_graph)

    def _accumulate(self, g, create_graph: bool = False) -> None:
        """Add ``g`` into ``.grad``: in place normally; out of place (keeping the graph of the
        gradient) under ``create_graph``."""
        if self._grad is None:
            if isinstance(g, TensorBase):
                self._grad = g if create_graph else Tensor(g._data.copy())
            else:  # a fresh array: gradients never alias data or another tensor's grad
                self._grad = Tensor._wrap(np.array(g, dtype=self._data.dtype, copy=True))
        elif create_graph or isinstance(g, TensorBase) or self._grad.grad_fn is not None:
            self._grad = self._grad + g
        else:
            self._grad._data += g

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None:
            return
        node = self.grad_fn
        if node.retained is None:
            node.retained = {}
        node.retained[self._out_idx] = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        node = self.grad_fn
        return bool(node is not None and node.retained and self._out_idx in node.retained)

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
        """Drop the gradient (``grad = None``)."""
        self._grad = None

    # ------------------------------------------------------------------ arithmetic
    def _other(self, other: Any) -> Tensor | np.ndarray:
        """A non-tensor operand as an array, with torch's promotion for Python scalars."""
        if isinstance(other, TensorBase):
            return other
        arr = np.asarray(other)
        if arr.dtype.kind not in "biufc":
            raise TypeError(f"unsupported operand of type {type(other).__name__}")
        if arr.ndim == 0 and not isinstance(other, np.ndarray):  # numpy scalars too (torch)
            # Python scalars take the tensor's dtype if of the same kind (as torch);
            # a float scalar with an integer/bool tensor gives the default float dtype
            kind = self.dtype.kind
            if arr.dtype.kind == "b" or (arr.dtype.kind in "iu" and kind in "iuf") or \
                    (arr.dtype.kind == "f" and kind == "f"):
                return arr.astype(self.dtype if kind != "b" or arr.dtype.kind == "b"
                                  else np.int64)
            return arr.astype(get_default_dtype())
        return arr

    def _binary(self, fn, other, reverse=False):
        other = self._other(other)
        a, b = (other, self) if reverse else (self, other)
        sa, sb = np.shape(_raw(a)), np.shape(_raw(b))
        if sa != sb:
            _check_broadcast(fn, sa, sb)
        da, db = _raw(a).dtype, _raw(b).dtype
        if da != db:  # promote as torch does (a float tensor wins over integer ones)
            dt = _promote(da, db)
            a = a.astype(dt) if isinstance(a, TensorBase) else np.asarray(a, dt)
            b = b.astype(dt) if isinstance(b, TensorBase) else np.asarray(b, dt)
        return fn.apply(a, b)

    __add__ = _operator(A.Add, lambda self, o: self._binary(A.Add, o))
    def __radd__(self, o): return self._binary(A.Add, o, True)
    __sub__ = _operator(A.Sub, lambda self, o: self._binary(A.Sub, o))
    def __rsub__(self, o): return self._binary(A.Sub, o, True)
    __mul__ = _operator(A.Mul, lambda self, o: self._binary(A.Mul, o))
    def __rmul__(self, o): return self._binary(A.Mul, o, True)
    __truediv__ = _operator(A.Div, lambda self, o: self._true_div(o), floats_only=True)
    def __rtruediv__(self, o): return self._true_div(o, True)
    def __pow__(self, o): return self._binary(A.Pow, o)
    def __rpow__(self, o): return self._binary(A.Pow, o, True)
    def __neg__(self): return A.Neg.apply(self)
    def __pos__(self): return self
    def __abs__(self): return self.abs()

    def _true_div(self, o, reverse=False):
        if self.dtype.kind != "f" and not (isinstance(o, TensorBase) and o.dtype.kind == "f"):
            # integer / integer is true division in torch: compute in the default float dtype
            me = self.astype(get_default_dtype())
            return me._true_div(o.astype(get_default_dtype()) if isinstance(o, TensorBase)
                                else o, reverse)
        return self._binary(A.Div, o, reverse)

    def add(self, other, alpha=1) -> Tensor:
        """self + alpha * other (broadcasting)."""
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other, alpha=1) -> Tensor:
        """self - alpha * other."""
        return self - (other if alpha == 1 else other * alpha)

    def mul(self, other) -> Tensor:
        """self * other (broadcasting)."""
        return self * other

    def div(self, other, rounding_mode=None) -> Tensor:
        """self / other (true division; integers give floats)."""
        if rounding_mode is not None:
            raise NotImplementedError("div(rounding_mode=...) is not supported; use "
                                      "floor_divide or true division")
        return self / other

    multiply, divide, subtract, true_divide = mul, div, sub, div

    def pow(self, exponent) -> Tensor:
        """self ** exponent."""
        return self ** exponent

    def __matmul__(self, o):
        return matmul(self, o)

    def __rmatmul__(self, o):
        return matmul(o if isinstance(o, TensorBase) else Tensor(np.asarray(o)), self)

    def _compare(self, op, o):
        return Tensor(op(self._data, _raw(o)))

    def __lt__(self, o): return self._compare(np.less, o)
    def __le__(self, o): return self._compare(np.less_equal, o)
    def __gt__(self, o): return self._compare(np.greater, o)
    def __ge__(self, o): return self._compare(np.greater_equal, o)
    def __eq__(self, o): return self._compare(np.equal, o)  # type: ignore[override]
    def __ne__(self, o): return self._compare(np.not_equal, o)  # type: ignore[override]
    def __and__(self, o): return self._compare(np.bitwise_and if self.dtype.kind != "b"
                                               else np.logical_and, o)
    def __or__(self, o): return self._compare(np.bitwise_or if self.dtype.kind != "b"
                                              else np.logical_or, o)
    def __xor__(self, o): return self._compare(np.bitwise_xor, o)
    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def __invert__(self):
        return Tensor(np.logical_not(self._data) if self.dtype.kind == "b" else ~self._data)

    lt, le, gt, ge, eq, ne = __lt__, __le__, __gt__, __ge__, __eq__, __ne__

    def equal(self, other) -> bool:
        """True if shapes and all values are equal."""
        return self.shape == np.shape(_raw(other)) and bool(np.all(self._data == _raw(other)))

    def any(self, dim=None, keepdim: bool = False) -> Tensor:
        """True where some element (along ``dim``) is nonzero; a bool tensor."""
        return Tensor(np.asarray(self._data.any(axis=_axes(self, dim), keepdims=keepdim)))

    def all(self, dim=None, keepdim: bool = False) -> Tensor:
        """True where every element (along ``dim``) is nonzero; a bool tensor."""
        return Tensor(np.asarray(self._data.all(axis=_axes(self, dim), keepdims=keepdim)))

    # ------------------------------------------------------------------ in place
    def _inplace(self, name: str, compute: Callable[[Tensor], Tensor]) -> Tensor:
        """Replace this tensor's values by ``compute(old)`` in place, as torch's ``op_``.

        Under grad mode, when a gradient is involved, the op is recorded: the tensor's history
        becomes ``compute``'s, applied to its old value.  The version counter is bumped, so a
        backward that saved the old values fails loudly instead of using the new ones.
        """
        if self.grad_fn is None and self._requires_grad and is_grad_enabled():
            raise RuntimeError(f"a leaf Variable that requires grad is being used in an "
                               f"in-place operation ({name}); do it inside `with "
                               f"mg.no_grad():`, or on t.detach()")
        if is_grad_enabled():
            old = Tensor._wrap(self._data.copy(), self.grad_fn, self._out_idx)
            old._requires_grad = self._requires_grad
            out = compute(old)
            if old._requires_grad and not (isinstance(out, TensorBase) and out.grad_fn):
                # new values that ignore the old (fill_, copy_ of a constant) are still
                # recorded, as torch does: the history then receives a zero gradient
                new = out if isinstance(out, TensorBase) else Tensor(np.asarray(out))
                out = np.where(np.zeros(self.shape, bool), old, new.astype(self.dtype))
        else:
            with no_grad():
                out = compute(self.detach())
        out_arr = out._data if isinstance(out, TensorBase) else np.asarray(out)
        if not np.can_cast(out_arr.dtype, self.dtype, "same_kind"):
            raise RuntimeError(f"{name}: result type {out_arr.dtype} can't be cast to the "
                               f"desired output type {self.dtype}")
        recorded = isinstance(out, TensorBase) and out.grad_fn is not None
        if recorded and self._is_view:
            raise RuntimeError(f"{name}: in-place operation on a view of another tensor while "
                               f"recording a graph is not supported; clone() it first")
        np.copyto(self._data, np.broadcast_to(out_arr, self.shape), casting="same_kind")
        self._vc.value += 1
        _state.inplace_ops += 1
        if recorded:
            node, k = out.grad_fn, out._out_idx
            if node.versions_out is not None and node.versions_out[k] is not None:
                # the node saved output k: its checks now follow this tensor's counter
                node.versions = [(self._vc, self._vc.value) if v is node.versions_out[k]
                                 else (v, n) for v, n in node.versions]
                node.versions_out[k] = self._vc
            self.grad_fn, self._out_idx, self._requires_grad = node, k, True
        return self

    def _inplace_op(self, name: str, method: str, *args, **kwargs) -> Tensor:
        return self._inplace(name, lambda old: getattr(old, method)(*args, **kwargs))

    def add_(self, other, alpha=1):
        """In-place ``add``: self += alpha * other."""
        return self._inplace_op("add_", "add", other, alpha=alpha)
    def sub_(self, other, alpha=1):
        """In-place ``sub``."""
        return self._inplace_op("sub_", "sub", other, alpha=alpha)
    def mul_(self, other):
        """In-place ``mul``."""
        return self._inplace_op("mul_", "__mul__", other)
    def div_(self, other, rounding_mode=None):
        """In-place ``div``."""
        return self._inplace_op("div_", "div", other, rounding_mode=rounding_mode)
    def pow_(self, e):
        """In-place ``pow``."""
        return self._inplace_op("pow_", "__pow__", e)
    def neg_(self):
        """In-place negation."""
        return self._inplace_op("neg_", "__neg__")
    def exp_(self):
        """In-place ``exp``."""
        return self._inplace_op("exp_", "exp")
    def log_(self):
        """In-place ``log``."""
        return self._inplace_op("log_", "log")
    def sqrt_(self):
        """In-place ``sqrt``."""
        return self._inplace_op("sqrt_", "sqrt")
    def abs_(self):
        """In-place ``abs``."""
        return self._inplace_op("abs_", "abs")
    def tanh_(self):
        """In-place ``tanh``."""
        return self._inplace_op("tanh_", "tanh")
    def sigmoid_(self):
        """In-place ``sigmoid``."""
        return self._inplace_op("sigmoid_", "sigmoid")
    def relu_(self):
        """In-place ``relu``."""
        return self._inplace_op("relu_", "relu")

    def clamp_(self, min=None, max=None):  # noqa: A002 (torch's names)
        """In-place ``clamp``."""
        return self._inplace_op("clamp_", "clamp", min, max)

    clip_ = clamp_

    def masked_fill_(self, mask, value):
        """In-place ``masked_fill``."""
        return self._inplace_op("masked_fill_", "masked_fill", mask, value)

    def addcmul_(self, tensor1, tensor2, value=1):
        """In place: self += value * tensor1 * tensor2."""
        return self._inplace("addcmul_", lambda old: old + value * tensor1 * tensor2)

    def addcdiv_(self, tensor1, tensor2, value=1):
        """In place: self += value * tensor1 / tensor2."""
        return self._inplace("addcdiv_", lambda old: old + value * tensor1 / tensor2)

    def lerp_(self, end, weight):
        """In place: self += weight * (end - self)."""
        return self._inplace("lerp_", lambda old: old + weight * (end - old))

    def copy_(self, src, non_blocking: bool = False) -> Tensor:
        """Copy ``src``'s values (broadcast to this shape) into this tensor."""
        src_t = src if isinstance(src, TensorBase) else Tensor(np.asarray(src))
        try:
            np.broadcast_shapes(src_t.shape, self.shape) == self.shape or _raise()
        except ValueError:
            raise RuntimeError(f"copy_: the source of shape {src_t.shape} cannot be broadcast "
                               f"to the destination's shape {self.shape}") from None

        def compute(old):
            new = src_t.astype(self.dtype) if self.dtype.kind in "fc" else \
                Tensor(src_t._data.astype(self.dtype))
            if old.requires_grad:  # overwritten values pass no gradient back, as in torch
                return A.Where.apply(new.broadcast_to(self.shape), old,
                                     cond=np.ones(self.shape, np.bool_))
            return S.Copy.apply(new.broadcast_to(self.shape)) if new.requires_grad else new

        return self._inplace("copy_", compute)

    def fill_(self, value) -> Tensor:
        """Fill with ``value`` in place."""
        if isinstance(value, TensorBase) and value.ndim != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value.ndim} dimensions")
        return self.copy_(value if isinstance(value, TensorBase) else
                          np.asarray(value, self.dtype))

    def zero_(self) -> Tensor:
        """Fill with zeros in place."""
        return self.fill_(0)

    def uniform_(self, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
        """Fill with uniform samples in [a, b) in place."""
        draw = numpy_generator(generator).uniform(a, b, self.shape)
        return self._inplace("uniform_", lambda old: np.asarray(draw, self.dtype))

    def normal_(self, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
        """Fill with normal samples N(mean, std^2) in place."""
        draw = numpy_generator(generator).normal(mean, std, self.shape)
        return self._inplace("normal_", lambda old: np.asarray(draw, self.dtype))

    def __setitem__(self, index, value) -> None:
        index = _convert_index(index, self)
        v = value if isinstance(value, TensorBase) else np.asarray(_raw(value))
        if isinstance(v, TensorBase) and v.dtype != self.dtype:
            v = v.astype(self.dtype) if v.dtype.kind in "fc" and self.dtype.kind in "fc" \
                else Tensor(v._data.astype(self.dtype))
        elif not isinstance(v, TensorBase):
            v = v.astype(self.dtype)
        self._inplace("__setitem__", lambda old: I.IndexPut.apply(old, v, index=index))

    def __iadd__(self, o): return self.add_(o)
    def __isub__(self, o): return self.sub_(o)
    def __imul__(self, o): return self.mul_(o)
    def __itruediv__(self, o): return self.div_(o)
    def __ipow__(self, o): return self.pow_(o)

    # ------------------------------------------------------------------ elementwise
    def exp(self):
        """e^x elementwise (gradient e^x)."""
        return U.Exp.apply(self._floating())
    def log(self):
        """Natural log elementwise (gradient 1/x)."""
        return U.Log.apply(self._floating())
    def sqrt(self):
        """Square root elementwise (gradient 1 / (2 sqrt x))."""
        return U.Sqrt.apply(self._floating())
    def abs(self):
        """|x| elementwise (gradient sign(x), 0 at 0)."""
        return U.Abs.apply(self) if self.dtype.kind in "fc" else \
        Tensor(np.abs(self._data))
    def tanh(self):
        """tanh x elementwise (gradient 1 - y^2)."""
        return U.Tanh.apply(self._floating())
    def sigmoid(self):
        """1 / (1 + e^-x) elementwise (gradient y (1 - y))."""
        return U.Sigmoid.apply(self._floating())
    def relu(self):
        """max(x, 0) elementwise (gradient [x > 0])."""
        if self.dtype.kind == "b":
            raise RuntimeError("Boolean inputs not supported for relu")
        return U.Relu.apply(self) if self.dtype.kind in "fc" else \
        Tensor(np.maximum(self._data, 0))
    def sin(self):
        """sin x elementwise (gradient cos x)."""
        return U.Sin.apply(self._floating())
    def cos(self):
        """cos x elementwise (gradient -sin x)."""
        return U.Cos.apply(self._floating())

    def _floating(self) -> Tensor:
        """Integer and bool inputs of float functions promote to the default dtype (torch)."""
        return self if self.dtype.kind in "fc" else self.astype(get_default_dtype())

    def clamp(self, min=None, max=None) -> Tensor:  # noqa: A002 (torch's names)
        """Elementwise min(max(x, min), max); ``min``/``max`` may be numbers or tensors."""
        if min is None and max is None:
            raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
        lo = None if min is None else (min.astype(self.dtype) if isinstance(min, TensorBase)
                                       else np.asarray(min, self.dtype))
        hi = None if max is None else (max.astype(self.dtype) if isinstance(max, TensorBase)
                                       else np.asarray(max, self.dtype))
        for name, b in (("min", lo), ("max", hi)):
            if b is not None and np.broadcast_shapes(np.shape(_raw(b)), self.shape) != \
                    self.shape and np.shape(_raw(b)) != ():
                try:
                    np.broadcast_shapes(np.shape(_raw(b)), self.shape)
                except ValueError:
                    raise RuntimeError(f"clamp: {name} of shape {np.shape(_raw(b))} does not "
                                       f"broadcast with the input's shape {self.shape}") from None
        if lo is None and hi is None:
            return self
        return A.Clamp.apply(self, lo, hi)

    clip = clamp

    def clamp_min(self, min) -> Tensor:  # noqa: A002
        """max(x, min) elementwise."""
        return self.clamp(min=min)

    def clamp_max(self, max) -> Tensor:  # noqa: A002
        """min(x, max) elementwise."""
        return self.clamp(max=max)

    def maximum(self, other) -> Tensor:
        """max(self, other) elementwise; ties share the gradient."""
        return self._binary(A.Maximum, other)
    def minimum(self, other) -> Tensor:
        """min(self, other) elementwise; ties share the gradient."""
        return self._binary(A.Minimum, other)

    def masked_fill(self, mask, value) -> Tensor:
        """``value`` where ``mask`` (bool, broadcastable to this shape) else the tensor's own
        values; a 0-d tensor ``value`` gets a gradient."""
        m = np.asarray(_raw(mask))
        if m.dtype != np.bool_:
            raise RuntimeError(f"masked_fill only supports boolean masks, but got mask with "
                               f"dtype {m.dtype}")
        try:
            shape = np.broadcast_shapes(m.shape, self.shape)
        except ValueError:
            raise RuntimeError(f"masked_fill: mask of shape {m.shape} does not broadcast with "
                               f"the tensor's shape {self.shape}") from None
        if shape != self.shape:  # torch broadcasts the out-of-place form
            return self.broadcast_to(shape).masked_fill(m, value)
        if isinstance(value, TensorBase):
            if value.ndim != 0:
                raise RuntimeError(f"masked_fill only supports a 0-dimensional value tensor, "
                                   f"but got tensor with {value.ndim} dimension(s)")
            value = value.astype(self.dtype) if value.dtype.kind in "fc" else \
                np.asarray(value._data, self.dtype)
        else:
            value = np.asarray(value, self.dtype)
        return I.MaskedFill.apply(self, value, mask=m)

    # ------------------------------------------------------------------ reductions
    def _dims(self, dim):
        return R.normalize_dims(dim, self.ndim)

    def sum(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None) -> Tensor:
        """Sum over ``dim`` (all dims by default); integers sum to int64."""
        dim, keepdim = _numpy_aliases(dim, keepdim, axis, keepdims)
        x = self if dtype is None else self.astype(dtype)
        if x.dtype.kind in "biu" and dtype is None:  # torch: every integer sum is int64
            x = x.astype(np.int64)
        return R.Sum.apply(x, dims=x._dims(dim), keepdim=keepdim)

    def mean(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None) -> Tensor:
        """Mean over ``dim`` (all dims by default)."""
        dim, keepdim = _numpy_aliases(dim, keepdim, axis, keepdims)
        x = self if dtype is None else self.astype(dtype)
        if x.dtype.kind not in "fc":
            raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be "
                               f"either a floating point or complex dtype. Got: {x.dtype}")
        return R.Mean.apply(x, dims=x._dims(dim), keepdim=keepdim)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None,
            axis=None, keepdims=None) -> Tensor:
        """Variance over ``dim`` with ``correction`` (1 = unbiased, Bessel's); torch's
        overloads: ``var(unbiased: bool)``, ``var(dim, unbiased, keepdim)``."""
        if isinstance(dim, bool):  # var(True) / var(False): the unbiased flag
            dim, unbiased = None, dim
        dim, keepdim = _numpy_aliases(dim, keepdim, axis, keepdims)
        if self.dtype.kind not in "fc":
            raise RuntimeError(f"std and var only support floating point and complex dtypes, "
                               f"got {self.dtype}")
        if correction is None:
            correction = 1 if unbiased is None else int(bool(unbiased))
        elif unbiased is not None:
            raise RuntimeError("var: pass either unbiased or correction, not both")
        return R.Var.apply(self._floating(), dims=self._dims(dim), keepdim=keepdim,
                           correction=correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None,
            axis=None, keepdims=None) -> Tensor:
        """Standard deviation: ``var(...).sqrt()``, same arguments."""
        return self.var(dim, unbiased, keepdim, correction=correction, axis=axis,
                        keepdims=keepdims).sqrt()

    def _maxmin(self, dim, keepdim, is_max):
        name = "max" if is_max else "min"
        if isinstance(dim, TensorBase):  # max(a, b): the elementwise binary form
            return self.maximum(dim) if is_max else self.minimum(dim)
        if self.size == 0 and (dim is None or self.shape[self._dims(dim)[0]] == 0):
            raise IndexError(f"{name}(): Expected reduction dim to be specified for input."
                             f"numel() == 0. Specify the reduction dim with the 'dim' argument"
                             if dim is None else f"{name}(): cannot reduce over a zero-size "
                             f"dimension")
        if dim is None or isinstance(dim, (tuple, list)):
            return R.MaxMin.apply(self, dims=self._dims(dim), keepdim=keepdim, is_max=is_max)
        (d,) = self._dims(dim) or (0,)
        x = self if self.ndim else self.reshape(1)
        vals, idx = R.MaxMinIndexed.apply(x, dim=d, keepdim=keepdim or not self.ndim,
                                          is_max=is_max)
        if not self.ndim:
            vals, idx = vals.reshape(()), idx.reshape(())
        idx = idx.detach()
        return MaxMin(vals, idx)

    def max(self, dim=None, keepdim=False):
        """Max of all elements, ``(values, indices)`` along an int ``dim`` (as torch), or the
        elementwise maximum with another tensor."""
        return self._maxmin(dim, keepdim, True)

    def min(self, dim=None, keepdim=False):
        """Min of all elements, ``(values, indices)`` along an int ``dim``, or the elementwise
        minimum with another tensor."""
        return self._maxmin(dim, keepdim, False)

    def amax(self, dim=(), keepdim=False):
        """Max over ``dim`` (all dims by default); ties share the gradient evenly."""
        return R.MaxMin.apply(self, dims=self._dims(None if dim == () else dim),
                              keepdim=keepdim, is_max=True)

    def amin(self, dim=(), keepdim=False):
        """Min over ``dim`` (all dims by default); ties share the gradient evenly."""
        return R.MaxMin.apply(self, dims=self._dims(None if dim == () else dim),
                              keepdim=keepdim, is_max=False)

    def argmax(self, dim=None, keepdim=False) -> Tensor:
        """Index of the max (of the flattened tensor when ``dim`` is None), int64."""
        return self._arg(np.argmax, dim, keepdim)

    def argmin(self, dim=None, keepdim=False) -> Tensor:
        """Index of the min (of the flattened tensor when ``dim`` is None), int64."""
        return self._arg(np.argmin, dim, keepdim)

    def _arg(self, fn, dim, keepdim) -> Tensor:
        if dim is None:
            return Tensor(np.asarray(fn(self._data), np.int64).reshape(
                (1,) * self.ndim if keepdim else ()))
        (d,) = self._dims(dim) or (0,)
        x = self._data if self.ndim else self._data.reshape(1)
        out = fn(x, axis=d, keepdims=keepdim)
        return Tensor(np.asarray(out, np.int64).reshape(() if not self.ndim else out.shape))

    def logsumexp(self, dim=None, keepdim=False) -> Tensor:
        """log sum exp(x) over ``dim``, with the max taken out first; gradient softmax(x)."""
        return R.LogSumExp.apply(self._floating(), dims=self._dims(dim), keepdim=keepdim)

    def _dim_or_0d(self, dim) -> int:
        if dim is None:
            raise TypeError("softmax() missing required argument 'dim'")
        return self._dims(dim)[0] if self.ndim else 0

    def softmax(self, dim=None, dtype=None) -> Tensor:
        """e^x / sum e^x along ``dim``; gradient y (g - sum(g y))."""
        x = (self if dtype is None else self.astype(dtype))._floating()
        if not x.ndim:
            if dim is not None:
                R.normalize_dims(dim, 0)  # 0-d: only dim 0 / -1 (IndexError otherwise)
            return R.Softmax.apply(x.reshape(1), dim=0).reshape(())
        return R.Softmax.apply(x, dim=self._dim_or_0d(dim))

    def log_softmax(self, dim=None, dtype=None) -> Tensor:
        """x - logsumexp(x) along ``dim`` (stable); gradient g - softmax(x) sum(g)."""
        x = (self if dtype is None else self.astype(dtype))._floating()
        if not x.ndim:
            if dim is not None:
                R.normalize_dims(dim, 0)  # 0-d: only dim 0 / -1 (IndexError otherwise)
            return R.LogSoftmax.apply(x.reshape(1), dim=0).reshape(())
        return R.LogSoftmax.apply(x, dim=self._dim_or_0d(dim))

    # ------------------------------------------------------------------ shapes
    def reshape(self, *shape) -> Tensor:
        """The same elements in a new shape (-1 infers one dim)."""
        shape = _shape_arg(shape)
        try:
            out_shape = np.empty(self._data.shape, np.bool_).reshape(shape).shape
        except ValueError:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size "
                               f"{self._data.size} (tensor of shape {self.shape})") from None
        if out_shape == self.shape:
            return self
        return S.Reshape.apply(self, shape=out_shape)

    def view(self, *shape) -> Tensor:
        """Alias of ``reshape`` (a view when numpy can)."""
        if len(shape) == 1 and _is_dtype(shape[0]):
            raise NotImplementedError("view(dtype) is not supported; use .to(dtype)")
        return self.reshape(*shape)

    def view_as(self, other: Tensor) -> Tensor:
        """``view`` with ``other``'s shape."""
        return self.reshape(other.shape)

    reshape_as = view_as

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge dims ``start_dim..end_dim`` into one."""
        if self.ndim == 0:
            return self.reshape(1)
        s, e = self._dims(start_dim)[0], self._dims(end_dim)[0]
        if s > e:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        return self.reshape(*self.shape[:s], -1, *self.shape[e + 1:]) if self.size else \
            self.reshape(*self.shape[:s], int(np.prod(self.shape[s:e + 1])),
                         *self.shape[e + 1:])

    def unflatten(self, dim: int, sizes) -> Tensor:
        """Split dim ``dim`` into ``sizes``."""
        d = self._dims(dim)[0] if self.ndim else _raise_0d(dim)
        sizes = [int(s) for s in sizes]
        if not sizes:
            raise RuntimeError("unflatten: sizes must be non-empty")
        known = int(np.prod([s for s in sizes if s != -1]))
        n = self.shape[d]
        if sizes.count(-1) > 1 or (-1 in sizes and (known == 0 or n % known)) or \
                (-1 not in sizes and known != n):
            raise RuntimeError(f"unflatten: Provided sizes {sizes} don't multiply up to the "
                               f"size of dim {dim} ({n}) in the input tensor")
        sizes = [n // known if s == -1 else s for s in sizes]
        return self.reshape(*self.shape[:d], *sizes, *self.shape[d + 1:])

    def permute(self, *dims) -> Tensor:
        """Reorder the dims (a view)."""
        dims = _shape_arg(dims)
        n = self.ndim
        if len(dims) != n or sorted(d % max(n, 1) for d in dims) != list(range(n)):
            raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input "
                               f"does not match the length of the desired ordering of "
                               f"dimensions: {tuple(dims)} is not a permutation of the {n} "
                               f"dims of a tensor of shape {self.shape}"
                               if len(dims) != n else f"permute: {tuple(dims)} is not a "
                               f"permutation of the dims of a tensor of shape {self.shape}")
        dims = tuple(d % n for d in dims) if n else ()
        if dims == tuple(range(n)):
            return self
        return S.Permute.apply(self, dims=dims)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        """Swap two dims (a view)."""
        if self.ndim == 0:
            self._dims(dim0), self._dims(dim1)  # range checks (0 and -1 are fine)
            return self
        order = list(range(self.ndim))
        d0, d1 = self._dims(dim0)[0], self._dims(dim1)[0]
        order[d0], order[d1] = order[d1], order[d0]
        return self.permute(*order)

    swapaxes = swapdims = transpose

    def t(self) -> Tensor:
        """Transpose of a tensor with at most 2 dims."""
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                               f"{self.ndim}D")
        return self.transpose(0, 1) if self.ndim == 2 else self

    def movedim(self, source, destination) -> Tensor:
        """Move dims ``source`` to positions ``destination``."""
        src = (source,) if isinstance(source, int) else tuple(source)
        dst = (destination,) if isinstance(destination, int) else tuple(destination)
        if len(src) != len(dst):
            raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)}"
                               f" dims) should contain the same number of dims as destination "
                               f"({list(dst)} dims)")
        src, dst = (tuple(self._dims(d)[0] if self.ndim else _checked_0d(self, d) for d in ds)
                    for ds in (src, dst))
        for name, ds in (("source", src), ("destination", dst)):
            if len(set(ds)) != len(ds):
                raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(ds)})")
        if not self.ndim:
            return self
        order = [d for d in range(self.ndim) if d not in src]
        for d, s in sorted(zip(dst, src)):
            order.insert(d, s)
        return self.permute(*order)

    moveaxis = movedim

    def unsqueeze(self, dim: int) -> Tensor:
        """Insert a size-1 dim at ``dim``."""
        d = R.normalize_dims(dim, self.ndim + 1)[0]
        return self.reshape(*self.shape[:d], 1, *self.shape[d:])

    def squeeze(self, dim=None) -> Tensor:
        """Remove size-1 dims (all, or those in ``dim``)."""
        dims = [d for d in self._dims(dim) if self.shape[d] == 1] if self.ndim else []
        return self.reshape(*[n for i, n in enumerate(self.shape) if i not in dims])

    def expand(self, *shape) -> Tensor:
        """Broadcast to ``sizes`` (-1 keeps a dim) without copying."""
        shape = _shape_arg(shape)
        lead = len(shape) - self.ndim
        if lead < 0:
            raise RuntimeError(f"expand: the number of sizes provided ({len(shape)}) must be "
                               f"greater or equal to the number of dimensions in the tensor "
                               f"({self.ndim})")
        full = tuple(self.shape[i - lead] if n == -1 and i >= lead else n
                     for i, n in enumerate(shape))
        return self.broadcast_to(full)

    def broadcast_to(self, shape) -> Tensor:
        """Broadcast to ``shape`` without copying; the gradient is summed back."""
        shape = tuple(int(s) for s in shape)
        try:
            ok = np.broadcast_shapes(self.shape, shape) == shape
        except ValueError:
            ok = False
        if not ok:
            raise RuntimeError(f"expand: a tensor of shape {self.shape} cannot be broadcast to "
                               f"{shape}")
        return self if shape == self.shape else S.Expand.apply(self, shape=shape)

    def expand_as(self, other: Tensor) -> Tensor:
        """``expand`` to ``other``'s shape."""
        return self.broadcast_to(other.shape)

    def split(self, split_size_or_sections, dim: int = 0):
        """Pieces of ``split_size`` (or of the given sizes) along ``dim``."""
        return split(self, split_size_or_sections, dim)

    def chunk(self, chunks: int, dim: int = 0):
        """``chunks`` nearly equal pieces along ``dim``."""
        return chunk(self, chunks, dim)

    def unbind(self, dim: int = 0) -> tuple[Tensor, ...]:
        """The slices along ``dim``, as a tuple."""
        d = self._dims(dim)[0] if self.ndim else _raise_0d(dim)
        return tuple(self.select(d, i) for i in range(self.shape[d]))

    def narrow(self, dim: int, start: int, length: int) -> Tensor:
        """The slice ``start:start+length`` along ``dim`` (a view)."""
        if not self.ndim:
            raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
        d = self._dims(dim)[0]
        n = self.shape[d]
        if not -n <= int(start) <= n:
            raise IndexError(f"narrow: start out of range (expected to be in range of [{-n}, "
                             f"{n}], but got {int(start)})")
        start = int(start) + (n if int(start) < 0 else 0)
        if length < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        if start + length > n:
            raise RuntimeError(f"narrow: start ({start}) + length ({length}) exceeds dimension "
                               f"size ({n}).")
        return self[(slice(None),) * d + (slice(start, start + length),)]

    def select(self, dim: int, index: int) -> Tensor:
        """The slice at ``index`` along ``dim`` (that dim removed)."""
        if not self.ndim:
            raise IndexError("select() cannot be applied to a 0-dim tensor.")
        d = self._dims(dim)[0]
        n = self.shape[d]
        if not -n <= index < n:
            raise IndexError(f"select(): index {index} out of range for tensor of size "
                             f"{self.shape} at dimension {d}")
        return self[(slice(None),) * d + (int(index),)]

    # ------------------------------------------------------------------ indexing
    def __getitem__(self, index) -> Tensor:
        return I.GetItem.apply(self, index=_convert_index(index, self))

    def gather(self, dim: int, index) -> Tensor:
        """``out[i][j] = self[i][index[i][j]]`` along ``dim`` (torch.gather); the gradient is
        scatter-added back."""
        idx = np.asarray(_raw(index))
        if idx.dtype.kind not in "iu":
            raise RuntimeError(f"gather(): Expected dtype int64 for index, got {idx.dtype}")
        x = self if self.ndim else self.reshape(1)
        i = idx if idx.ndim else idx.reshape(1)
        d = x._dims(dim)[0]
        if i.ndim != x.ndim:
            raise RuntimeError(f"gather: index tensor must have the same number of dimensions "
                               f"as input tensor ({x.ndim}), got {i.ndim}")
        if any(i.shape[k] > x.shape[k] for k in range(x.ndim) if k != d):
            raise RuntimeError(f"gather: size of index {idx.shape} must not exceed the input's "
                               f"{self.shape} outside dimension {d}")
        _check_range("gather", i, x.shape[d])
        out = I.GetItem.apply(x, index=I.gather_index(d, i % max(x.shape[d], 1)))
        return out.reshape(idx.shape) if not self.ndim else out

    def index_select(self, dim: int, index) -> Tensor:
        """The entries at the 1-D ``index`` along ``dim``; repeated indices add their gradients."""
        idx = np.asarray(_raw(index))
        if idx.dtype.kind not in "iu" or idx.ndim > 1:
            raise RuntimeError("index_select(): Index is supposed to be a vector of integers")
        x = self if self.ndim else self.reshape(1)
        d = x._dims(dim)[0]
        _check_range("index_select", idx, x.shape[d])
        idx = idx.reshape(-1).astype(np.int64) % max(x.shape[d], 1)
        out = I.GetItem.apply(x, index=idx if d == 0 else (slice(None),) * d + (idx,))
        return out.reshape(()) if not self.ndim else out

    def matmul(self, other) -> Tensor:
        """Matrix product with numpy's rules (batch dims broadcast)."""
        return matmul(self, other)

    def where(self, condition, other) -> Tensor:
        """self where ``condition`` else ``other``."""
        return where(condition, self, other)


def _raise():
    raise ValueError


class _HookHandle:
    def __init__(self, hooks: list, fn: Callable):
        self._hooks, self._fn = hooks, fn

    def remove(self) -> None:
        if self._fn in self._hooks:
            self._hooks.remove(self._fn)


def _rebuild_tensor(cls, data: bytes, dtype: str, shape: tuple, requires_grad: bool):
    """Inverse of ``Tensor.__reduce_ex__`` (pickle, deepcopy, checkpoints)."""
    arr = np.frombuffer(data, dtype=np.dtype(dtype)).reshape(shape).copy()
    t = cls.__new__(cls)
    t._init(arr, None, 0, None)
    t._requires_grad = requires_grad
    return t


_TYPE_NAMES = {"float32": "torch.FloatTensor", "float64": "torch.DoubleTensor",
               "float16": "torch.HalfTensor", "int64": "torch.LongTensor",
               "int32": "torch.IntTensor", "int16": "torch.ShortTensor",
               "int8": "torch.CharTensor", "uint8": "torch.ByteTensor",
               "bool": "torch.BoolTensor"}
_TYPE_BY_NAME = {v: np.dtype(k) for k, v in _TYPE_NAMES.items()}
_DTYPE_NAMES = {"float32": "torch.float32", "float64": "torch.float64",
                "int64": "torch.int64", "int32": "torch.int32", "bool": "torch.bool"}


def _is_dtype(x) -> bool:
    if isinstance(x, (np.dtype, type)) and x is not bool:
        try:
            np.dtype(x)
            return True
        except TypeError:
            return False
    return isinstance(x, str) and x in {"float32", "float64", "float16", "int64", "int32",
                                        "int16", "int8", "uint8", "bool", "float", "double",
                                        "long", "int", "half"}


_STR_DTYPES = {"float": np.float32, "double": np.float64, "long": np.int64, "int": np.int32,
               "half": np.float16}


def _dtype(d) -> np.dtype:
    if d is float:
        return get_default_dtype()
    if d is int:
        return np.dtype(np.int64)
    if d is bool:
        return np.dtype(np.bool_)
    return np.dtype(_STR_DTYPES.get(d, d) if isinstance(d, str) else d)


def _promote(a: np.dtype, b: np.dtype) -> np.dtype:
    """torch's promotion between two tensors: floats win over ints and bools."""
    if a.kind == "f" and b.kind != "f":
        return a
    if b.kind == "f" and a.kind != "f":
        return b
    return np.result_type(a, b)


def _numpy_aliases(dim, keepdim, axis, keepdims):
    """torch accepts numpy's ``axis=`` and ``keepdims=`` as aliases of ``dim``/``keepdim``."""
    if axis is not None:
        if dim is not None:
            raise TypeError("pass dim or axis, not both")
        dim = axis
    return dim, keepdim if keepdims is None else bool(keepdims)


def _axes(t: Tensor, dim):
    return None if dim is None else (t._dims(dim) if t.ndim else None)


def _raw(x):
    return x._data if isinstance(x, TensorBase) else x


def _shape_arg(shape: Sequence) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _check_range(op: str, idx: np.ndarray, n: int) -> None:
    if idx.size and (idx.max() >= n or idx.min() < -n):
        bad = idx.max() if idx.max() >= n else idx.min()
        raise IndexError(f"{op}(): index {bad} is out of bounds for dimension with size {n}")


def _convert_index(index, t: Tensor):
    """Tensors and lists in an index become numpy arrays; bounds are checked with a message."""
    items = index if isinstance(index, tuple) else (index,)
    out = []
    for it in items:
        if isinstance(it, TensorBase):
            it = it._data
            if it.ndim == 0 and it.dtype.kind in "iu":
                it = int(it)
        elif isinstance(it, list):
            it = np.asarray(it)
        if isinstance(it, np.ndarray) and it.dtype.kind not in "biu":
            raise IndexError(f"tensors used as indices must be long, int, byte or bool "
                             f"tensors, got {it.dtype}")
        out.append(it)
    index = tuple(out) if isinstance(index, tuple) else out[0]
    try:
        np.empty(t.shape, np.bool_)[index]
    except IndexError as e:
        raise IndexError(f"index into a tensor of shape {t.shape}: {e}") from None
    return index


# ---------------------------------------------------------------------------- functions


def matmul(a, b) -> Tensor:
    """Matrix product with numpy's rules (1-D operands promoted, batch dims broadcast)."""
    a = a if isinstance(a, TensorBase) else Tensor(np.asarray(a))
    b = b if isinstance(b, TensorBase) else Tensor(np.asarray(b))
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError("both arguments to matmul need to be at least 1D, but they are "
                           f"{a.ndim}D and {b.ndim}D")
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
        raise RuntimeError(f"matmul: {a.shape} @ {b.shape}: shapes cannot be multiplied (the "
                           f"last dim of the first must equal the {which} dim of the second, "
                           f"and batch dims must broadcast)")
    if a.dtype != b.dtype:  # torch never promotes here: a float64 input would silently
        # turn a float32 model's computation into float64
        raise RuntimeError(f"matmul: expected both operands to have the same dtype, but got "
                           f"{a.dtype} and {b.dtype} (convert one with .to(dtype))")
    return M.MatMul.apply(a, b)


def where(condition, input=None, other=None) -> Tensor:  # noqa: A002 (torch's names)
    """``input`` where ``condition`` else ``other`` (broadcast together)."""
    c = np.asarray(_raw(condition))
    if input is None and other is None:
        return tuple(Tensor(i.astype(np.int64)) for i in np.nonzero(c))
    if c.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a "
                           f"tensor with dtype {c.dtype}")
    if not isinstance(input, TensorBase) and not isinstance(other, TensorBase):
        input = Tensor(np.asarray(input, get_default_dtype()) if isinstance(input, float)
                       else np.asarray(input))
    ref = input if isinstance(input, TensorBase) else other
    a = input if isinstance(input, TensorBase) else ref._other(input)
    b = other if isinstance(other, TensorBase) else ref._other(other)
    try:
        np.broadcast_shapes(c.shape, np.shape(_raw(a)), np.shape(_raw(b)))
    except ValueError:
        raise RuntimeError(f"where: shapes {c.shape}, {np.shape(_raw(a))}, {np.shape(_raw(b))}"
                           f" cannot be broadcast together") from None
    da, db = _raw(a).dtype, _raw(b).dtype
    if da != db:
        dt = _promote(da, db)
        a = a.astype(dt) if isinstance(a, TensorBase) else np.asarray(a, dt)
        b = b.astype(dt) if isinstance(b, TensorBase) else np.asarray(b, dt)
    return A.Where.apply(a, b, cond=c)


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Concatenate along ``dim``; the tensors must agree on every other dim."""
    tensors = [t if isinstance(t, TensorBase) else Tensor(np.asarray(t)) for t in tensors]
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    ref = next((t for t in tensors if t.shape != (0,)), tensors[0])
    tensors = [t for t in tensors if t.shape != (0,) or t is ref]  # torch skips 1-D empties
    if ref.ndim == 0:
        raise RuntimeError("zero-dimensional tensor cannot be concatenated")
    d = R.normalize_dims(dim, ref.ndim)[0]
    for t in tensors:
        if t.ndim != ref.ndim or any(t.shape[i] != ref.shape[i] for i in range(ref.ndim)
                                     if i != d):
            raise RuntimeError(f"cat: sizes of tensors must match except in dimension {d}: "
                               f"got {ref.shape} and {t.shape}")
    dtype = ref.dtype
    for t in tensors:
        dtype = _promote(dtype, t.dtype)
    tensors = [t.astype(dtype) for t in tensors]
    if len(tensors) == 1:
        return tensors[0]
    return S.Cat.apply(*tensors, dim=d)


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new dim ``dim``."""
    tensors = [t if isinstance(t, TensorBase) else Tensor(np.asarray(t)) for t in tensors]
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                           f"{sorted(shapes)}")
    d = R.normalize_dims(dim, tensors[0].ndim + 1)[0]
    return cat([t.unsqueeze(d) for t in tensors], d)


def split(t: Tensor, split_size_or_sections, dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the given
    section sizes."""
    d = t._dims(dim)[0]
    n = t.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        step = int(split_size_or_sections)
        if step <= 0 and n:
            raise RuntimeError("split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {n}")
        sizes = [min(step, n - s) for s in range(0, n, step)] if n else [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                               f"(input tensor's size at dimension {d}), but got split_sizes="
                               f"{sizes}")
    out, start = [], 0
    for s in sizes:
        out.append(t[(slice(None),) * d + (slice(start, start + s),)])
        start += s
    return tuple(out)


def chunk(t: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """``chunks`` nearly equal pieces along ``dim`` (fewer if the dim is small)."""
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0")
    n = t.shape[t._dims(dim)[0]]
    return split(t, -(-n // chunks) if n else 1, dim)


# ---------------------------------------------------------------------------- numpy protocols
# numpy functions and ufuncs that backward rules (and users) apply to Tensors, each mapped to
# the Tensor op computing the same thing, so the result stays in the graph.


def _t(x) -> Tensor:
    return x if isinstance(x, TensorBase) else Tensor(np.asarray(x))


def _binary_ufunc(name: str):
    def run(a, b):
        if isinstance(a, TensorBase):
            return getattr(a, name)(b)
        return getattr(b, "__r" + name.strip("_") + "__")(a)
    return run


def _compare_ufunc(op):
    return lambda a, b: Tensor(op(_raw(a), _raw(b)))


_UFUNCS: dict = {
    np.add: _binary_ufunc("__add__"), np.subtract: _binary_ufunc("__sub__"),
    np.multiply: _binary_ufunc("__mul__"), np.true_divide: _binary_ufunc("__truediv__"),
    np.power: _binary_ufunc("__pow__"), np.matmul: lambda a, b: matmul(a, b),
    np.maximum: lambda a, b: _t(a).maximum(b), np.minimum: lambda a, b: _t(a).minimum(b),
    np.negative: lambda a: -a, np.exp: lambda a: a.exp(), np.log: lambda a: a.log(),
    np.sqrt: lambda a: a.sqrt(), np.sin: lambda a: a.sin(), np.cos: lambda a: a.cos(),
    np.tanh: lambda a: a.tanh(), np.absolute: lambda a: a.abs(),
    np.sign: lambda a: Tensor(np.sign(a._data)),
    np.isfinite: lambda a: Tensor(np.isfinite(a._data)),
    np.isnan: lambda a: Tensor(np.isnan(a._data)),
    np.logical_not: lambda a: Tensor(np.logical_not(a._data)),
}
for _op in (np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
            np.logical_and, np.logical_or, np.bitwise_and, np.bitwise_or):
    _UFUNCS[_op] = _compare_ufunc(_op)


def _np_transpose(a, axes=None):
    return a.permute(*(axes if axes is not None else reversed(range(a.ndim))))


def _np_expand_dims(a, axis):
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    n = a.ndim + len(axes)
    axes = sorted(d % n for d in axes)
    shape = list(a.shape)
    for d in axes:
        shape.insert(d, 1)
    return a.reshape(*shape)


def _np_split(a, indices_or_sections, axis=0):
    n = a.shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        return list(split(a, n // int(indices_or_sections), axis))
    bounds = [0, *[int(i) for i in indices_or_sections], n]
    return list(split(a, [hi - lo for lo, hi in zip(bounds, bounds[1:])], axis))


def _np_where(cond, a, b):
    return where(_raw(cond).astype(bool), _t(a) if not isinstance(b, TensorBase) else a, b)


_FUNCTIONS: dict = {
    np.where: _np_where, np.transpose: _np_transpose,
    np.broadcast_to: lambda a, shape: a.broadcast_to(shape),
    np.expand_dims: _np_expand_dims,
    np.squeeze: lambda a, axis=None: a.squeeze(axis),
    np.reshape: lambda a, shape: a.reshape(shape),
    np.swapaxes: lambda a, i, j: a.transpose(i, j),
    np.moveaxis: lambda a, s, d: a.movedim(s, d),
    np.concatenate: lambda seq, axis=0: cat(seq, axis),
    np.stack: lambda seq, axis=0: stack(seq, axis),
    np.split: _np_split,
    np.sum: lambda a, axis=None, keepdims=False: a.sum(axis, keepdims),
    np.mean: lambda a, axis=None, keepdims=False: a.mean(axis, keepdims),
    np.zeros_like: lambda a, dtype=None: Tensor(np.zeros_like(a._data, dtype)),
    np.ones_like: lambda a, dtype=None: Tensor(np.ones_like(a._data, dtype)),
}


def _to_arrays(x):
    if isinstance(x, TensorBase):
        return x._data
    if isinstance(x, (list, tuple)):
        return type(x)(_to_arrays(i) for i in x)
    if isinstance(x, dict):
        return {k: _to_arrays(v) for k, v in x.items()}
    return x
