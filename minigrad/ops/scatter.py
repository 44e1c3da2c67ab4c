"""Writing and reading by index: scatter, scatter_add, index_add, index_fill, index_copy,
masked_scatter, take_along_dim, take, masked_select, nonzero.

Every op here is a composition of the three indexing Functions of ``indexing.py``, which are
each other's adjoints: ``GetItem`` (read x[index]), ``ScatterAdd`` (add into zeros at index)
and ``IndexPut`` (overwrite x[index]).  So the gradients, and the gradients of gradients,
follow from those, as torch's formulas say:

    scatter(x, d, i, s):      dx = g with the written positions zeroed,  ds = gather(g, d, i)
    scatter_add(x, d, i, s):  dx = g,                                    ds = gather(g, d, i)
    index_add(x, d, i, s, a): dx = g,                                    ds = a g[.., i, ..]

This file only checks arguments (with torch's exception types) and builds the numpy index:
an index out of range is refused here, never left to numpy's wraparound.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function
from ..tensor_base import TensorBase
from .indexing import GetItem, IndexPut, ScatterAdd, gather_index
from .indexing import scatter_add as add_at
from .linalg import as_tensor_arg, share_docs
from .movement import broadcast_shapes_checked, one_dim


def _index(op: str, index: Any, name: str = "index") -> np.ndarray:
    idx = np.asarray(as_tensor_arg(op, name, index)._data)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): Expected dtype int32/int64 for {name}, got {idx.dtype}")
    return idx.astype(np.int64)


def _check_bounds(op: str, idx: np.ndarray, n: int, dim: int, negative: bool = False,
                  exc: type[Exception] = RuntimeError) -> np.ndarray:
    """``idx`` in [0, n) (or [-n, n) with ``negative``), as non-negative positions."""
    lo = -n if negative else 0
    bad = idx[(idx < lo) | (idx >= n)]
    if bad.size:
        raise exc(f"{op}(): index {bad.flat[0]} is out of bounds for dimension {dim} with size "
                  f"{n}")
    return idx % n if negative and n else idx


def _same_dtype(op: str, x: TensorBase, src: TensorBase, name: str = "src") -> None:
    if src.dtype != x.dtype:
        raise RuntimeError(f"{op}(): Expected self.dtype to be equal to {name}.dtype (got "
                           f"{x.dtype} and {src.dtype})")


def _scatter_setup(op: str, x: TensorBase, dim: int, index, src: TensorBase | None):
    """(x as >= 1-D, dim, the numpy index tuple, src cut to the index's shape)."""
    d = one_dim(dim, x.ndim)
    xx = x if x.ndim else x.reshape(1)
    idx = _index(op, index)
    i = idx if idx.ndim or x.ndim else idx.reshape(1)
    if i.ndim != xx.ndim:
        raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as "
                           f"self tensor ({i.ndim} vs {xx.ndim})")
    ss = None
    if src is not None:
        _same_dtype(op, x, src)
        ss = src if src.ndim or x.ndim else src.reshape(1)
        if ss.ndim != i.ndim:
            raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions "
                               f"as src tensor ({i.ndim} vs {ss.ndim})")
    too_big = any(i.shape[k] > xx.shape[k] for k in range(xx.ndim) if k != d) or \
        (ss is not None and any(i.shape[k] > ss.shape[k] for k in range(i.ndim)))
    if too_big:
        raise RuntimeError(f"{op}(): Expected index {list(idx.shape)} to be no larger than self "
                           f"{list(x.shape)} apart from dimension {d}"
                           + (f" and to be no larger size than src {list(src.shape)}"
                              if src is not None else ""))
    _check_bounds(op, i, xx.shape[d], d)
    if ss is not None and ss.shape != i.shape:
        ss = GetItem.apply(ss, index=tuple(slice(0, n) for n in i.shape))
    return xx, d, gather_index(d, i), ss


class ScatterMultiply(Function):
    """y = x with y[index] *= src (repeats multiply);  no derivative (as in torch)"""

    @staticmethod
    def forward(ctx, x, src, *, index):
        y = x.copy()
        np.multiply.at(y, index, src)
        return y

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("the derivative of scatter(reduce='multiply') is not implemented "
                           "(as in torch); use scatter_reduce-free formulations")


def scatter(input: TensorBase, dim: int, index: TensorBase, src: Any = None,  # noqa: A002
            value: Any = None, *, reduce: str | None = None) -> TensorBase:
    """y = x with y[.., index[j], ..] = src[j] along ``dim`` (j over index's positions), or
    ``value`` everywhere written.  ``reduce='add'``/``'multiply'`` combine instead of
    overwriting.  A position written twice keeps one of the values (which one is not
    specified, as in torch); its src gradient is still gather(g) for every writer, as torch."""
    x = as_tensor_arg("scatter", "input", input)
    if src is not None and not isinstance(src, TensorBase):
        src, value = None, src
    if src is None and value is None:
        raise TypeError("scatter(): needs src (a Tensor) or value (a number)")
    if reduce not in (None, "add", "multiply"):
        raise RuntimeError(f"scatter(): reduce argument must be either add or multiply, got "
                           f"{reduce!r}")
    xx, _, gi, ss = _scatter_setup("scatter", x, dim, index, src)
    v = ss if ss is not None else np.broadcast_to(np.asarray(value, x.dtype),
                                                  np.broadcast_shapes(*(a.shape for a in gi)))
    if reduce == "add":
        out = xx + (ScatterAdd.apply(v, shape=xx.shape, index=gi) if ss is not None else
                    xx._wrap(add_at(v, xx.shape, gi)))
    elif reduce == "multiply":
        out = ScatterMultiply.apply(xx, v, index=gi)
    else:
        out = IndexPut.apply(xx, v, index=gi)
    return out.reshape(()) if not x.ndim else out


def scatter_add(input: TensorBase, dim: int, index: TensorBase,  # noqa: A002
                src: TensorBase) -> TensorBase:
    """y = x + zeros with src[j] added at index[j] along ``dim`` (repeats add up)."""
    x = as_tensor_arg("scatter_add", "input", input)
    src = as_tensor_arg("scatter_add", "src", src)
    xx, _, gi, ss = _scatter_setup("scatter_add", x, dim, index, src)
    out = xx + ScatterAdd.apply(ss, shape=xx.shape, index=gi)
    return out.reshape(()) if not x.ndim else out


def _vector_index(op: str, x: TensorBase, dim: int, index, negative: bool,
                  exc: type[Exception]) -> tuple[TensorBase, int, np.ndarray]:
    d = one_dim(dim, x.ndim)
    idx = _index(op, index)
    if idx.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector, but got dim: {idx.ndim} "
                         f"with size {list(idx.shape)}")
    xx = x if x.ndim else x.reshape(1)
    idx = _check_bounds(op, idx.reshape(-1), xx.shape[d], d, negative, exc)
    return xx, d, idx


def _check_source(op: str, xx: TensorBase, d: int, idx: np.ndarray, source: TensorBase,
                  x_ndim: int) -> TensorBase:
    _same_dtype(op, xx, source, "source")
    s = source if source.ndim or x_ndim else source.reshape(1)
    if s.ndim != xx.ndim:
        raise RuntimeError(f"{op}(): source.dim() ({source.ndim}) must equal self.dim() "
                           f"({x_ndim})")
    if s.shape[d] != len(idx):
        raise RuntimeError(f"{op}(): Number of indices ({len(idx)}) should be equal to "
                           f"source.size(dim): ({s.shape[d]}), for dim: {d}")
    want = xx.shape[:d] + (len(idx),) + xx.shape[d + 1:]
    if s.shape != want:
        raise RuntimeError(f"{op}(): source of shape {list(source.shape)} must be {list(want)} "
                           f"(self's shape with dim {d} the number of indices)")
    return s


def index_add(input: TensorBase, dim: int, index: TensorBase, source: TensorBase, *,  # noqa: A002
              alpha=1) -> TensorBase:
    """y = x with alpha * source[.., j, ..] added to x[.., index[j], ..] (repeats add up)."""
    x = as_tensor_arg("index_add", "input", input)
    source = as_tensor_arg("index_add", "source", source)
    xx, d, idx = _vector_index("index_add", x, dim, index, False, IndexError)
    s = _check_source("index_add", xx, d, idx, source, x.ndim)
    s = s if alpha == 1 else s * alpha
    out = xx + ScatterAdd.apply(s, shape=xx.shape, index=(slice(None),) * d + (idx,))
    return out.reshape(()) if not x.ndim else out


def index_copy(input: TensorBase, dim: int, index: TensorBase,  # noqa: A002
               source: TensorBase) -> TensorBase:
    """y = x with x[.., index[j], ..] replaced by source[.., j, ..] (indices should be
    unique: with repeats, which copy lands is unspecified, as in torch)."""
    x = as_tensor_arg("index_copy", "input", input)
    source = as_tensor_arg("index_copy", "source", source)
    xx, d, idx = _vector_index("index_copy", x, dim, index, False, IndexError)
    s = _check_source("index_copy", xx, d, idx, source, x.ndim)
    out = IndexPut.apply(xx, s, index=(slice(None),) * d + (idx,))
    return out.reshape(()) if not x.ndim else out


def index_fill(input: TensorBase, dim: int, index: TensorBase, value: Any) -> TensorBase:  # noqa: A002
    """y = x with the slices x[.., index[j], ..] set to ``value`` (a number, or a 0-d tensor
    which then gets the sum of their gradients).  Negative indices count from the end."""
    x = as_tensor_arg("index_fill", "input", input)
    xx, d, idx = _vector_index("index_fill", x, dim, index, True, IndexError)
    if isinstance(value, TensorBase):
        if value.ndim:
            raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but "
                               f"got tensor with {value.ndim} dimension(s).")
        v = value.astype(x.dtype) if value.dtype.kind in "fc" and x.dtype.kind in "fc" else \
            np.asarray(value._data, x.dtype)
    else:
        v = np.asarray(value, x.dtype)
    # unique positions: the value's gradient counts each filled slice once
    out = IndexPut.apply(xx, v, index=(slice(None),) * d + (np.unique(idx),))
    return out.reshape(()) if not x.ndim else out


def masked_scatter(input: TensorBase, mask: TensorBase, source: TensorBase) -> TensorBase:  # noqa: A002
    """y = x with the positions where ``mask`` is True filled, in order, by source's first
    elements;  dsource = g[mask] (zeros for the source elements left unused)."""
    x = as_tensor_arg("masked_scatter", "input", input)
    source = as_tensor_arg("masked_scatter", "source", source)
    m = np.asarray(as_tensor_arg("masked_scatter", "mask", mask)._data)
    if m.dtype != np.bool_:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with "
                           f"dtype {m.dtype}")
    shape = broadcast_shapes_checked([x.shape, m.shape])
    _same_dtype("masked_scatter", x, source, "source")
    xb = x.broadcast_to(shape)
    mb = np.broadcast_to(m, shape)
    k = int(mb.sum())
    if source.numel() < k:
        raise RuntimeError(f"masked_scatter: Number of elements of source < number of ones in "
                           f"mask ({source.numel()} < {k})")
    return IndexPut.apply(xb, GetItem.apply(source.reshape(-1), index=slice(0, k)),
                          index=mb.copy())


def take_along_dim(input: TensorBase, indices: TensorBase,  # noqa: A002
                   dim: int | None = None) -> TensorBase:
    """y[.., j, ..] = x[.., indices[.., j, ..], ..] along ``dim`` (x and indices broadcast in
    the other dims); without ``dim``, over the flattened x.  Along a dim, indices in [-n, n)
    (negative ones count from the end; torch 2.13 does not check the range there); without
    ``dim``, in [0, n) (gather's rule, as torch)."""
    x = as_tensor_arg("take_along_dim", "input", input)
    idx = _index("take_along_dim", indices, "indices")
    if dim is None:
        flat = x.reshape(-1)
        i = _check_bounds("take_along_dim", idx.reshape(-1), flat.shape[0], 0)
        return GetItem.apply(flat, index=i)
    if idx.ndim != x.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {x.ndim} dimensions for input, and "
                           f"{idx.ndim} dimensions for indices")
    if not x.ndim:
        raise IndexError(f"take_along_dim(): Dimension specified as {dim} but tensor has no "
                         f"dimensions")
    d = one_dim(dim, x.ndim)
    other = broadcast_shapes_checked([x.shape[:d] + (1,) + x.shape[d + 1:],
                                      idx.shape[:d] + (1,) + idx.shape[d + 1:]])
    xb = x.broadcast_to(other[:d] + (x.shape[d],) + other[d + 1:])
    ib = np.broadcast_to(idx, other[:d] + (idx.shape[d],) + other[d + 1:])
    ib = _check_bounds("take_along_dim", ib, x.shape[d], d, True)
    return GetItem.apply(xb, index=gather_index(d, ib))


def take(input: TensorBase, index: TensorBase) -> TensorBase:  # noqa: A002
    """y = x.flatten()[index] (y has index's shape; negative indices count from the end)."""
    x = as_tensor_arg("take", "input", input)
    idx = _index("take", index)
    n = x.numel()
    bad = idx[(idx < -n) | (idx >= n)]
    if bad.size:
        raise IndexError(f"take(): out of range: tried to access index {bad.flat[0]} on a tensor "
                         f"of {n} elements.")
    return GetItem.apply(x.reshape(-1), index=idx % max(n, 1))


def masked_select(input: TensorBase, mask: TensorBase) -> TensorBase:  # noqa: A002
    """The elements of x where ``mask`` (both broadcast) is True, as a 1-D tensor in order;
    dx = g put back at those positions."""
    x = as_tensor_arg("masked_select", "input", input)
    m = np.asarray(as_tensor_arg("masked_select", "mask", mask)._data)
    if m.dtype != np.bool_:
        raise RuntimeError(f"masked_select: expected BoolTensor for mask, got {m.dtype}")
    shape = broadcast_shapes_checked([x.shape, m.shape])
    return GetItem.apply(x.broadcast_to(shape), index=np.broadcast_to(m, shape).copy())


def nonzero(input: TensorBase, *, as_tuple: bool = False):  # noqa: A002
    """Positions of the non-zero elements: an (n, ndim) int64 tensor, or with ``as_tuple`` one
    1-D tensor per dim (a 0-d input counts as 1-D there, as torch).  No gradient."""
    x = as_tensor_arg("nonzero", "input", input)
    a = x._data
    if as_tuple:
        return tuple(x._wrap(i.astype(np.int64)) for i in np.nonzero(a.reshape(-1) if not a.ndim
                                                                     else a))
    return x._wrap(np.argwhere(a).astype(np.int64))


def argwhere(input: TensorBase) -> TensorBase:  # noqa: A002
    """``nonzero(input)``: an (n, ndim) tensor of the positions of the non-zero elements."""
    return nonzero(input)


class ScatterMethods:
    """Tensor methods for the ops of this file (mixed into ``Tensor``)."""

    __slots__ = ()

    def scatter(self, dim, index, src=None, value=None, *, reduce=None):
        return scatter(self, dim, index, src, value, reduce=reduce)

    def scatter_(self, dim, index, src=None, value=None, *, reduce=None):
        return self._inplace("scatter_", lambda o: scatter(o, dim, index, src, value,
                                                           reduce=reduce))

    def scatter_add(self, dim, index, src): return scatter_add(self, dim, index, src)

    def scatter_add_(self, dim, index, src):
        return self._inplace("scatter_add_", lambda o: scatter_add(o, dim, index, src))

    def index_add(self, dim, index, source, *, alpha=1):
        return index_add(self, dim, index, source, alpha=alpha)

    def index_add_(self, dim, index, source, *, alpha=1):
        return self._inplace("index_add_", lambda o: index_add(o, dim, index, source,
                                                               alpha=alpha))

    def index_copy(self, dim, index, source): return index_copy(self, dim, index, source)

    def index_copy_(self, dim, index, source):
        return self._inplace("index_copy_", lambda o: index_copy(o, dim, index, source))

    def index_fill(self, dim, index, value): return index_fill(self, dim, index, value)

    def index_fill_(self, dim, index, value):
        return self._inplace("index_fill_", lambda o: index_fill(o, dim, index, value))

    def masked_scatter(self, mask, source): return masked_scatter(self, mask, source)

    def masked_scatter_(self, mask, source):
        return self._inplace("masked_scatter_", lambda o: masked_scatter(o, mask, source))

    def take_along_dim(self, indices, dim=None): return take_along_dim(self, indices, dim)
    def take(self, index): return take(self, index)
    def masked_select(self, mask): return masked_select(self, mask)
    def nonzero(self, *, as_tuple=False): return nonzero(self, as_tuple=as_tuple)
    def argwhere(self): return argwhere(self)


share_docs(ScatterMethods, globals())
