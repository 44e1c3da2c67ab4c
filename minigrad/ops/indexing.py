"""Reading elements by position.  Repeated integer indices read an element several times, so
their gradients accumulate: that is the scatter-add kernel."""
from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..kernels import scatter as K


def _is_advanced(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return any(isinstance(i, (np.ndarray, list)) for i in items)


def scatter_rows(shape: tuple[int, ...], dtype, axis: int, idx: np.ndarray,
                 g: np.ndarray) -> np.ndarray:
    """zeros(shape) with g's slices added at positions ``idx`` along ``axis`` (repeats add)."""
    out = np.zeros((shape[axis], int(np.prod(shape)) // max(shape[axis], 1)), dtype)
    moved = np.moveaxis(g, axis, 0).reshape(len(idx), -1)
    K.scatter_add_rows(out, idx.reshape(-1), moved)
    rest = tuple(np.delete(shape, axis))
    return np.moveaxis(out.reshape((shape[axis],) + rest), 0, axis)


class GetItem(Function):
    """y = x[index];  dx = zeros with g added at the indexed positions"""

    @staticmethod
    def forward(ctx, x, index):
        ctx.save_for_backward(x.shape, index)
        y = x[index]
        return np.array(y) if _is_advanced(index) or np.isscalar(y) else y

    @staticmethod
    def backward(ctx, g):
        shape, index = ctx.saved_tensors
        if isinstance(index, np.ndarray) and index.dtype.kind in "iu" and index.ndim == 1 \
                and len(shape) >= 1:
            # x[ints] on the first dim (embedding lookups): the fast scatter-add kernel
            return scatter_rows(shape, g.dtype, 0, index % max(shape[0], 1), g), None
        out = np.zeros(shape, g.dtype)
        if _is_advanced(index):
            np.add.at(out, index, g)
        else:
            out[index] = g
        return out, None


class IndexSelect(Function):
    """y = x.take(index, dim);  dx = scatter-add of g along dim"""

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.save_for_backward(x.shape, dim, index)
        return np.take(x, index, axis=dim)

    @staticmethod
    def backward(ctx, g):
        shape, dim, index = ctx.saved_tensors
        return scatter_rows(shape, g.dtype, dim, index, g), None, None


def _gather_index(shape: tuple[int, ...], dim: int, index: np.ndarray) -> tuple:
    """A full numpy index tuple for torch.gather semantics (index may be smaller than x)."""
    grids = list(np.indices(index.shape, sparse=True))
    grids[dim] = index
    return tuple(grids)


class Gather(Function):
    """y[i][j][k] = x[i][index[i][j][k]][k]  (dim=1);  dx = scatter-add of g at index"""

    @staticmethod
    def forward(ctx, x, dim, index):
        full = _gather_index(x.shape, dim, index)
        ctx.save_for_backward(x.shape, full)
        return x[full]

    @staticmethod
    def backward(ctx, g):
        shape, full = ctx.saved_tensors
        out = np.zeros(shape, g.dtype)
        np.add.at(out, full, g)
        return out, None, None


class MaskedFill(Function):
    """y = value where mask else x;  dx = g where not mask"""

    @staticmethod
    def forward(ctx, x, mask, value):
        ctx.save_for_backward(mask)
        return np.where(mask, np.asarray(value, x.dtype), x)

    @staticmethod
    def backward(ctx, g):
        (mask,) = ctx.saved_tensors
        return np.where(mask, np.zeros((), g.dtype), g), None, None
