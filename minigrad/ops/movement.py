"""Ops that rearrange elements: flip, roll, repeat, tile, repeat_interleave, tril/triu,
diagonal, diag, diag_embed, rot90, broadcast_tensors, meshgrid.

New ``Function``s (``Flip``, ``Roll``, ``Repeat``, ``Tril``) keep forward and backward side by
side; each backward uses only operations Tensors support (indexing, reshape, sum, np.where,
or the op itself), so it is differentiable again.  The others are compositions: a diagonal
is a gather by position (``GetItem``), a diagonal matrix its adjoint (``ScatterAdd``),
``repeat_interleave`` an ``index_select``.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autograd import Function
from ..tensor_base import TensorBase
from .indexing import GetItem, ScatterAdd
from .linalg import as_tensor_arg, share_docs
from .reduce import normalize_dims


def one_dim(dim: int, ndim: int) -> int:
    """``dim`` as a non-negative axis (IndexError if out of range; a 0-d tensor takes 0/-1)."""
    normalize_dims(dim, ndim)
    return int(dim) % max(ndim, 1)


def _int_list(args: Sequence, name: str) -> list[int]:
    """``f(1, 2)``, ``f((1, 2))``, ``f([1, 2])`` all as [1, 2]."""
    if len(args) == 1 and isinstance(args[0], (tuple, list, TensorBase)):
        args = args[0].tolist() if isinstance(args[0], TensorBase) else args[0]
    for a in args:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise TypeError(f"{name} must be a sequence of ints, got {a!r}")
    return [int(a) for a in args]


def _apply(fn: type[Function], x, **params):
    """``fn`` on a Tensor (recorded) or on an array (plain numpy), for backward rules."""
    return fn.apply(x, **params) if isinstance(x, TensorBase) else fn.forward(None, x, **params)


class Flip(Function):
    """y = x reversed along ``dims``;  dx = g reversed along the same dims"""

    @staticmethod
    def forward(ctx, x, *, dims):
        return x[_reversing(x.ndim, dims)].copy()

    @staticmethod
    def backward(ctx, g):
        return g[_reversing(g.ndim, ctx.params["dims"])]


def _reversing(ndim: int, dims: tuple[int, ...]):
    if not ndim:
        return Ellipsis  # x[()] of a 0-d array would be a scalar, not an array
    return tuple(slice(None, None, -1) if d in dims else slice(None) for d in range(ndim))


class Roll(Function):
    """y[i + s mod n] = x[i] along each dim;  dx = g rolled by -s"""

    @staticmethod
    def forward(ctx, x, *, shifts, dims):
        return np.roll(x, shifts, axis=dims)

    @staticmethod
    def backward(ctx, g):
        p = ctx.params
        return _apply(Roll, g, shifts=tuple(-s for s in p["shifts"]), dims=p["dims"])


class Repeat(Function):
    """y = x tiled ``sizes`` times along each dim (x padded with leading 1s);
    dx = g viewed as (r_0, n_0, r_1, n_1, ...) summed over the copies r_i"""

    @staticmethod
    def forward(ctx, x, *, sizes):
        ctx.save_for_backward(x.shape)
        return np.tile(x.reshape((1,) * (len(sizes) - x.ndim) + x.shape), sizes)

    @staticmethod
    def backward(ctx, g):
        shape, sizes = ctx.saved[0], ctx.params["sizes"]
        padded = (1,) * (len(sizes) - len(shape)) + shape
        split = tuple(n for pair in zip(sizes, padded) for n in pair)
        return g.reshape(split).sum(axis=tuple(range(0, 2 * len(sizes), 2))).reshape(shape)


class Tril(Function):
    """y = x where ``mask`` (the lower or upper triangle) else 0;  dx = g where mask else 0"""

    @staticmethod
    def forward(ctx, x, *, mask):
        return np.where(mask, x, np.zeros((), x.dtype))

    @staticmethod
    def backward(ctx, g):
        return np.where(ctx.params["mask"], g, np.zeros((), g.dtype))


def _triangle(x: TensorBase, diagonal: int, lower: bool, op: str) -> TensorBase:
    if x.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions")
    n, m = x.shape[-2:]
    mask = np.tri(n, m, int(diagonal), dtype=bool)
    return Tril.apply(x, mask=mask if lower else ~np.tri(n, m, int(diagonal) - 1, dtype=bool))


def _diag_positions(n1: int, n2: int, offset: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of the ``offset`` diagonal of an (n1, n2) matrix."""
    length = max(min(n1, n2 - offset) if offset >= 0 else min(n1 + offset, n2), 0)
    k = np.arange(length)
    return (k, k + offset) if offset >= 0 else (k - offset, k)


def diagonal(input: TensorBase, offset: int = 0, dim1: int = 0,  # noqa: A002 (torch's names)
             dim2: int = 1) -> TensorBase:
    """y[..., k] = x[.., k, .., k + offset, ..] (dims dim1, dim2 removed, the diagonal last)."""
    x = as_tensor_arg("diagonal", "input", input)
    if x.ndim < 2:
        normalize_dims(1, x.ndim)  # IndexError as torch
    d1, d2 = one_dim(dim1, x.ndim), one_dim(dim2, x.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    rest = [d for d in range(x.ndim) if d not in (d1, d2)]
    xp = x.permute(*rest, d1, d2)
    rows, cols = _diag_positions(x.shape[d1], x.shape[d2], int(offset))
    return GetItem.apply(xp, index=(Ellipsis, rows, cols))


def diag_embed(input: TensorBase, offset: int = 0, dim1: int = -2,  # noqa: A002
               dim2: int = -1) -> TensorBase:
    """Matrices (in dims dim1, dim2 of the result) with the last dim of x on their ``offset``
    diagonal and zeros elsewhere; the adjoint of ``diagonal``."""
    x = as_tensor_arg("diag_embed", "input", input)
    x = x if x.ndim else x.reshape(1)
    d1, d2 = one_dim(dim1, x.ndim + 1), one_dim(dim2, x.ndim + 1)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    m = x.shape[-1] + abs(int(offset))
    rows, cols = _diag_positions(m, m, int(offset))
    y = ScatterAdd.apply(x, shape=x.shape[:-1] + (m, m), index=(Ellipsis, rows, cols))
    if (d1, d2) == (x.ndim - 1, x.ndim):
        return y
    return y.movedim((-2, -1), (d1, d2))


def diag(input: TensorBase, diagonal: int = 0) -> TensorBase:  # noqa: A002
    """1-D x: the square matrix with x on its ``diagonal``; 2-D x: that diagonal of x."""
    x = as_tensor_arg("diag", "input", input)
    if x.ndim == 1:
        return diag_embed(x, diagonal)
    if x.ndim == 2:
        return x.diagonal(diagonal)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {x.ndim}D")


def flip(input: TensorBase, dims) -> TensorBase:  # noqa: A002
    """x reversed along each dim in ``dims`` (a copy)."""
    x = as_tensor_arg("flip", "input", input)
    ds = [one_dim(d, x.ndim) for d in _int_list((dims,), "flip: dims")]
    for d in ds:
        if ds.count(d) > 1:
            raise RuntimeError(f"flip: dim {d} appears multiple times in the list of dims")
    return Flip.apply(x, dims=tuple(ds))


def fliplr(input: TensorBase) -> TensorBase:  # noqa: A002
    """x reversed along dim 1 (x must be at least 2-D)."""
    if as_tensor_arg("fliplr", "input", input).ndim < 2:
        raise RuntimeError("fliplr: Input must be >= 2-d.")
    return flip(input, (1,))


def flipud(input: TensorBase) -> TensorBase:  # noqa: A002
    """x reversed along dim 0 (x must be at least 1-D)."""
    if as_tensor_arg("flipud", "input", input).ndim < 1:
        raise RuntimeError("flipud: Input must be >= 1-d.")
    return flip(input, (0,))


def roll(input: TensorBase, shifts, dims=None) -> TensorBase:  # noqa: A002
    """y[(i + shift) mod n] = x[i] along each of ``dims``; without dims, over the flattened
    tensor (shape kept)."""
    x = as_tensor_arg("roll", "input", input)
    sh = _int_list((shifts,), "roll: shifts")
    if dims is None:
        if len(sh) != 1:
            raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(sh)}, "
                               f"dims:0")
        return Roll.apply(x.reshape(-1), shifts=tuple(sh), dims=(0,)).reshape(x.shape)
    if not x.ndim:
        raise IndexError(f"roll: Dimension specified as {dims} but tensor has no dimensions")
    ds = [one_dim(d, x.ndim) for d in _int_list((dims,), "roll: dims")]
    if len(sh) != len(ds):
        raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(sh)}, "
                           f"dims:{len(ds)}")
    return Roll.apply(x, shifts=tuple(sh), dims=tuple(ds))


def _repeat(x: TensorBase, sizes: list[int]) -> TensorBase:
    if len(sizes) < x.ndim:
        raise RuntimeError(f"repeat: Number of dimensions of repeat dims ({len(sizes)}) can not "
                           f"be smaller than number of dimensions of tensor ({x.ndim})")
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"repeat: Trying to create tensor with negative dimension: "
                           f"sizes {sizes}")
    return Repeat.apply(x, sizes=tuple(sizes))


def tile(input: TensorBase, dims) -> TensorBase:  # noqa: A002
    """x repeated ``dims[i]`` times along each dim; dims shorter than x.ndim are padded with
    leading 1s (unlike ``repeat``)."""
    x = as_tensor_arg("tile", "input", input)
    reps = _int_list((dims,), "tile: dims")
    return _repeat(x, [1] * (x.ndim - len(reps)) + reps)


def repeat_interleave(input: TensorBase, repeats=None, dim: int | None = None, *,  # noqa: A002
                      output_size: int | None = None) -> TensorBase:
    """Each element (or slice along ``dim``) repeated ``repeats`` times in place: with
    repeats [1, 2], [a, b] -> [a, b, b].  ``repeat_interleave(r)`` alone gives the indices
    [0]*r[0] + [1]*r[1] + ...  Without ``dim``, over the flattened tensor."""
    x = as_tensor_arg("repeat_interleave", "input", input)
    if repeats is None:  # repeat_interleave(repeats): the index form
        r = np.asarray(x._data)
        if r.ndim > 1 or r.dtype.kind not in "iu":
            raise RuntimeError("repeat_interleave: repeats must be a 0-dim or 1-dim integer "
                               "tensor")
        if (r < 0).any():
            raise RuntimeError("repeat_interleave: repeats can not be negative")
        r = r.reshape(-1)
        return x._wrap(np.repeat(np.arange(len(r), dtype=np.int64), r))
    if dim is None:
        x, d = x.reshape(-1), 0
    else:
        if not x.ndim:
            normalize_dims(dim + 1 if dim >= 0 else dim, 0)
        d = one_dim(dim, x.ndim)
        x = x if x.ndim else x.reshape(1)
    n = x.shape[d]
    if isinstance(repeats, TensorBase):
        r = np.asarray(repeats._data)
        if r.ndim > 1:
            raise RuntimeError("repeat_interleave: repeats must be 0-dim or 1-dim tensor")
        if r.dtype.kind not in "iu":
            raise RuntimeError(f"repeat_interleave: repeats has to be Long or Int tensor, got "
                               f"{r.dtype}")
        if r.size != 1 and r.size != n:
            raise RuntimeError(f"repeat_interleave: repeats must have the same size as input "
                               f"along dim, but got repeats.size(0) = {r.size} and "
                               f"input.size({d}) = {n}")
        if (r < 0).any():
            raise RuntimeError("repeat_interleave: repeats can not be negative")
        r = np.broadcast_to(r.reshape(-1), (n,))
    elif isinstance(repeats, (int, np.integer)) and not isinstance(repeats, bool):
        if repeats < 0:
            raise RuntimeError("repeat_interleave: Repeats must be non-negative")
        r = np.full(n, int(repeats))
    else:
        raise TypeError(f"repeat_interleave: repeats must be an int or a Tensor, got "
                        f"{type(repeats).__name__}")
    idx = np.repeat(np.arange(n, dtype=np.int64), r)
    if output_size is not None and output_size != len(idx):
        raise RuntimeError(f"repeat_interleave: allocated size ({output_size}) does not match "
                           f"required size ({len(idx)})")
    return GetItem.apply(x, index=(slice(None),) * d + (idx,))


def tril(input: TensorBase, diagonal: int = 0) -> TensorBase:  # noqa: A002
    """x on and below the ``diagonal`` of its last two dims, zeros above."""
    return _triangle(as_tensor_arg("tril", "input", input), diagonal, True, "tril")


def triu(input: TensorBase, diagonal: int = 0) -> TensorBase:  # noqa: A002
    """x on and above the ``diagonal`` of its last two dims, zeros below."""
    return _triangle(as_tensor_arg("triu", "input", input), diagonal, False, "triu")


def rot90(input: TensorBase, k: int = 1, dims: Sequence[int] = (0, 1)) -> TensorBase:  # noqa: A002
    """x rotated by k * 90 degrees in the plane of ``dims`` (from dims[0] towards dims[1])."""
    x = as_tensor_arg("rot90", "input", input)
    ds = _int_list((dims,), "rot90: dims")
    if len(ds) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(ds)}")
    if x.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {x.ndim}")
    d0, d1 = one_dim(ds[0], x.ndim), one_dim(ds[1], x.ndim)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and "
                           f"dim1 = {d1}")
    k = int(k) % 4
    if k == 1:
        return flip(x, (d1,)).transpose(d0, d1)
    if k == 2:
        return flip(x, (d0, d1))
    if k == 3:
        return flip(x, (d0,)).transpose(d0, d1)
    return x.clone()


def broadcast_shapes_checked(shapes: Sequence[tuple[int, ...]]) -> tuple[int, ...]:
    """The common broadcast shape; torch's RuntimeError naming the first clash otherwise."""
    out: tuple[int, ...] = ()
    for s in shapes:
        n = max(len(out), len(s))
        a, b = (1,) * (n - len(out)) + tuple(out), (1,) * (n - len(s)) + tuple(s)
        for i, (p, q) in enumerate(zip(a, b)):
            if p != q and p != 1 and q != 1:
                raise RuntimeError(f"The size of tensor a ({p}) must match the size of tensor b "
                                   f"({q}) at non-singleton dimension {i}")
        out = tuple(q if p == 1 else p for p, q in zip(a, b))
    return out


def broadcast_tensors(*tensors: TensorBase) -> tuple[TensorBase, ...]:
    """The tensors expanded to their common broadcast shape (views; gradients sum back)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    ts = [as_tensor_arg("broadcast_tensors", f"tensors[{k}]", t) for k, t in enumerate(tensors)]
    shape = broadcast_shapes_checked([t.shape for t in ts])
    return tuple(t.broadcast_to(shape) for t in ts)


def meshgrid(*tensors: TensorBase, indexing: str = "ij") -> tuple[TensorBase, ...]:
    """Coordinate grids: output k varies along dim k with the values of tensor k (0-d or
    1-D).  ``indexing='xy'`` swaps the first two dims (Cartesian, as numpy's default)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    ts = [as_tensor_arg("meshgrid", f"tensors[{k}]", t) for k, t in enumerate(tensors)]
    if not ts:
        raise RuntimeError("torch.meshgrid: Expected at least one tensor")
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but "
                           f"received: {indexing}")
    for t in ts:
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list "
                               f"but got a tensor of shape {tuple(t.shape)}")
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t.numel() for t in ts)
    outs = [t.reshape(*[-1 if j == k else 1 for j in range(len(ts))]).broadcast_to(shape)
            for k, t in enumerate(ts)]
    if swap:
        outs[0], outs[1] = outs[1], outs[0]
    return tuple(outs)


class MovementMethods:
    """Tensor methods for the ops of this file (mixed into ``Tensor``)."""

    __slots__ = ()

    def flip(self, *dims) -> Any:
        if not dims:
            raise TypeError("flip() missing 1 required positional arguments: \"dims\"")
        return flip(self, _int_list(dims, "flip: dims"))

    def fliplr(self): return fliplr(self)
    def flipud(self): return flipud(self)
    def roll(self, shifts, dims=None): return roll(self, shifts, dims)

    def repeat(self, *sizes) -> Any:
        """x tiled ``sizes[i]`` times along each dim (len(sizes) >= x.ndim)."""
        return _repeat(self, _int_list(sizes, "repeat: sizes"))

    def tile(self, *dims): return tile(self, _int_list(dims, "tile: dims"))

    def repeat_interleave(self, repeats, dim=None, *, output_size=None):
        return repeat_interleave(self, repeats, dim, output_size=output_size)

    def tril(self, diagonal=0): return tril(self, diagonal)
    def triu(self, diagonal=0): return triu(self, diagonal)
    def tril_(self, diagonal=0): return self._inplace("tril_", lambda o: tril(o, diagonal))
    def triu_(self, diagonal=0): return self._inplace("triu_", lambda o: triu(o, diagonal))
    def diagonal(self, offset=0, dim1=0, dim2=1): return diagonal(self, offset, dim1, dim2)
    def diag(self, diagonal=0): return diag(self, diagonal)

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        return diag_embed(self, offset, dim1, dim2)

    def rot90(self, k=1, dims=(0, 1)): return rot90(self, k, dims)


share_docs(MovementMethods, globals())
