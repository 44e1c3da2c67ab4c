"""Reading and writing elements by position.

Reading x[index] sends the gradient back to the positions read; repeated integer indices
read an element several times, so their gradients add up: that is ``scatter_add``, the
adjoint of indexing (and indexing is the adjoint of ``scatter_add``, which is how the
double backward works).
"""
from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..kernels import scatter as K
from ..tensor_base import TensorBase


def is_advanced(index) -> bool:
    """True if ``index`` uses integer/bool arrays (numpy's 'advanced' indexing: a copy)."""
    items = index if isinstance(index, tuple) else (index,)
    return any(isinstance(i, (np.ndarray, list)) for i in items)


def scatter_add(g, shape: tuple[int, ...], index):
    """zeros(shape) with ``g`` added at ``index`` (repeats add): the adjoint of x[index].
    Works on arrays (the Numba kernel for row lookups) and on Tensors (differentiably)."""
    if isinstance(g, TensorBase):
        return ScatterAdd.apply(g, shape=shape, index=index)
    if isinstance(index, np.ndarray) and index.dtype.kind in "iu" and index.ndim == 1 \
            and len(shape) >= 1 and shape[0] > 0:
        # x[ints] on the first dim (embedding lookups): the fast scatter-add kernel
        out = np.zeros((shape[0], int(np.prod(shape[1:]))), g.dtype)
        K.scatter_add_rows(out, index % shape[0], g.reshape(len(index), out.shape[1]))
        return out.reshape(shape)
    out = np.zeros(shape, g.dtype)
    if is_advanced(index):
        np.add.at(out, index, g)
    else:
        out[index] = g
    return out


class GetItem(Function):
    """y = x[index];  dx = scatter_add(g, x.shape, index)"""

    returns_view = True

    @staticmethod
    def forward(ctx, x, *, index):
        ctx.save_for_backward(x.shape)
        y = x[index]
        return np.array(y) if is_advanced(index) or not isinstance(y, np.ndarray) else y

    @staticmethod
    def backward(ctx, g):
        return scatter_add(g, ctx.saved[0], ctx.params["index"])


class ScatterAdd(Function):
    """y = zeros(shape) with g added at index;  dg = dy[index]"""

    @staticmethod
    def forward(ctx, g, *, shape, index):
        return scatter_add(g, shape, index)

    @staticmethod
    def backward(ctx, gy):
        return GetItem.apply(gy, index=ctx.params["index"]) if isinstance(gy, TensorBase) \
            else np.array(gy[ctx.params["index"]])


class IndexPut(Function):
    """y = x with y[index] = v  (``x[index] = v``);  dx = g with zeros at index,
    dv = g[index] (summed back to v's shape by the engine)"""

    @staticmethod
    def forward(ctx, x, v, *, index):
        y = x.copy()
        y[index] = v
        return y

    @staticmethod
    def backward(ctx, g):
        index = ctx.params["index"]
        gx = gv = None
        if ctx.needs_input_grad[0]:
            gx = IndexPut.apply(g, g.dtype.type(0), index=index) if isinstance(g, TensorBase) \
                else IndexPut.forward(None, g, 0, index=index)
        if ctx.needs_input_grad[1]:
            gv = GetItem.apply(g, index=index) if isinstance(g, TensorBase) \
                else np.array(g[index])
        return gx, gv


def gather_index(dim: int, index: np.ndarray) -> tuple:
    """A full numpy index tuple for torch.gather semantics (index may be smaller than x)."""
    grids = list(np.indices(index.shape, sparse=True))
    grids[dim] = index
    return tuple(grids)


class MaskedFill(Function):
    """y = value where mask else x;  dx = g where not mask, dvalue = sum of g where mask"""

    @staticmethod
    def forward(ctx, x, value, *, mask):
        return np.where(mask, np.asarray(value, x.dtype), x)

    @staticmethod
    def backward(ctx, g):
        mask, zero = ctx.params["mask"], g * 0.0
        return np.where(mask, zero, g), np.where(mask, g, zero)
