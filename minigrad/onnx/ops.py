"""ONNX for the tensor ops a ``forward`` applies itself (between modules): one translator
per ``Function``, looked up by class in :data:`OPS`.

A translator gets the :class:`~minigrad.autograd.TracedOp` (the op, its arguments as passed
to ``apply``, its keyword parameters and its outputs) and returns ``(value name, dims)`` for
each output.  Tensors (and arrays standing for them) are ``op.args``; every other
parameter is a keyword, in ``op.params``.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..autograd import TracedOp
from ..ops import arithmetic as A
from ..ops import indexing as I
from ..ops import matmul as M
from ..ops import reduce as R
from ..ops import shape as S
from ..ops import unary as U
from .graph import (
    INT64_MAX,
    INT64_MIN,
    Dim,
    Graph,
    Unexportable,
    broadcast_dims,
    dim_size,
    is_static,
    reshape_dims,
    static,
)

Result = list[tuple[str, tuple[Dim, ...]]]


def _dims_tuple(d) -> tuple[int, ...]:
    return (int(d),) if isinstance(d, (int, np.integer)) else tuple(int(i) for i in d)


# ----------------------------------------------------------------------------- elementwise


def _elementwise(onnx_op: str, n_in: int) -> Callable[[Graph, TracedOp], Result]:
    """y = op(a, b, ...) with numpy broadcasting; inputs cast to the output's dtype."""

    def translate(g: Graph, op: TracedOp) -> Result:
        xs = op.args[:n_in]
        dt = op.outputs[0].dtype
        y = g.add(onnx_op, [g.value(x, dt) for x in xs])
        return [(y, broadcast_dims(*[g.dims(x) for x in xs]))]

    return translate


def _where(g: Graph, op: TracedOp) -> Result:
    """z = a where cond else b (``cond`` a keyword: an array, possibly a live one)."""
    a, b = op.args
    cond = op.params["cond"]
    dt = op.outputs[0].dtype
    y = g.add("Where", [g.value(cond, np.bool_), g.value(a, dt), g.value(b, dt)])
    return [(y, broadcast_dims(g.dims(cond), g.dims(a), g.dims(b)))]


def _clamp(g: Graph, op: TracedOp) -> Result:
    """z = min(max(x, lo), hi): Clip for number bounds, Max / Min for tensor bounds (which
    broadcast, and may be live values)."""
    x, lo, hi = op.args
    bounds = [b for b in (lo, hi) if b is not None]
    if all(np.ndim(b) == 0 and not g.is_live(b) for b in bounds):
        ends = ["" if b is None else g.value(np.asarray(b, x.dtype).reshape(()))
                for b in (lo, hi)]
        return [(g.add("Clip", [g.value(x), *ends]), g.dims(x))]
    y = g.value(x)
    if lo is not None:
        y = g.add("Max", [y, g.value(lo, x.dtype)])
    if hi is not None:
        y = g.add("Min", [y, g.value(hi, x.dtype)])
    return [(y, broadcast_dims(*[g.dims(v) for v in (x, *bounds)]))]


def _masked_fill(g: Graph, op: TracedOp) -> Result:
    """y = value where mask else x (``value`` 0-d, possibly a live tensor)."""
    x, value = op.args
    mask = op.params["mask"]
    y = g.add("Where", [g.value(mask, np.bool_), g.value(value, x.dtype), g.value(x)])
    return [(y, broadcast_dims(g.dims(x), g.dims(mask)))]


def _cast(g: Graph, op: TracedOp) -> Result:
    x = op.args[0]
    return [(g.value(x, op.outputs[0].dtype), g.dims(x))]


def _identity(g: Graph, op: TracedOp) -> Result:
    x = op.args[0]
    return [(g.add("Identity", [g.value(x)]), g.dims(x))]


# ----------------------------------------------------------------------------- reductions


def _reduced(dims: tuple[Dim, ...], axes, keepdim: bool) -> tuple[Dim, ...]:
    return tuple(() if i in axes else d for i, d in enumerate(dims)
                 if keepdim or i not in axes)


def _reduction(onnx_op: str, extra: tuple[str, ...] = ()) -> Callable:
    """y = reduce over ``dims`` (``keepdim``).  ``extra`` names parameters after keepdim
    (``is_max`` picks ReduceMax or ReduceMin)."""

    def translate(g: Graph, op: TracedOp) -> Result:
        x = op.args[0]
        axes = _dims_tuple(op.params["dims"])
        keep = bool(op.params["keepdim"])
        name = onnx_op
        if extra:
            name = "ReduceMax" if op.params[extra[0]] else "ReduceMin"
        if not axes:  # 0-d input: nothing to reduce
            return [(g.add("Identity", [g.value(x)]), g.dims(x))]
        y = g.axes_arg(name, g.value(x), axes, keepdims=int(keep))
        return [(y, _reduced(g.dims(x), axes, keep))]

    return translate


def _var(g: Graph, op: TracedOp) -> Result:
    """y = sum (x - mean)^2 / (n - correction) over ``dims`` (their sizes fixed)."""
    x = op.args[0]
    axes = _dims_tuple(op.params["dims"])
    keep = bool(op.params["keepdim"])
    correction = op.params["correction"]
    if not all(is_static(g.dims(x)[a]) for a in axes):
        raise Unexportable("variance over a dynamic axis")
    n = int(np.prod([x.shape[a] for a in axes]))
    d = g.add("Sub", [g.value(x), g.axes_arg("ReduceMean", g.value(x), axes, keepdims=1)])
    s = g.axes_arg("ReduceSum", g.add("Mul", [d, d]), axes, keepdims=int(keep))
    y = g.add("Div", [s, g.value(np.asarray(max(n - correction, 0), x.dtype))])
    return [(y, _reduced(g.dims(x), axes, keep))]


def _max_min_indexed(g: Graph, op: TracedOp) -> Result:
    x = op.args[0]
    axis = int(op.params["dim"])
    keep = bool(op.params["keepdim"])
    is_max = op.params["is_max"]
    v = g.axes_arg("ReduceMax" if is_max else "ReduceMin", g.value(x), [axis],
                   keepdims=int(keep))
    i = g.add("ArgMax" if is_max else "ArgMin", [g.value(x)], axis=axis, keepdims=int(keep))
    dims = _reduced(g.dims(x), (axis,), keep)
    return [(v, dims), (i, dims)]


def _softmax(onnx_op: str) -> Callable:
    def translate(g: Graph, op: TracedOp) -> Result:
        x = op.args[0]
        if x.ndim == 0:  # softmax of one number is 1, its log 0
            return [(g.value(np.asarray(onnx_op == "Softmax", x.dtype)), ())]
        axis = int(op.params["dim"])
        return [(g.add(onnx_op, [g.value(x)], axis=axis), g.dims(x))]

    return translate


# ----------------------------------------------------------------------------- shapes


def _reshape(g: Graph, op: TracedOp) -> Result:
    x, y = op.args[0], op.outputs[0]
    in_dims = g.dims(x)
    out_dims = reshape_dims(in_dims, y.shape)
    shape = g.shape_for(out_dims, in_dims, keep_code=0)
    return [(g.add("Reshape", [g.value(x), shape]), out_dims)]


def _permute(g: Graph, op: TracedOp) -> Result:
    x = op.args[0]
    perm = _dims_tuple(op.params["dims"])
    dims = g.dims(x)
    return [(g.add("Transpose", [g.value(x)], perm=list(perm)), tuple(dims[p] for p in perm))]


def _expand(g: Graph, op: TracedOp) -> Result:
    x, y = op.args[0], op.outputs[0]
    in_dims = g.dims(x)
    lead = y.ndim - x.ndim
    out_dims = tuple(in_dims[i - lead] if i >= lead and x.shape[i - lead] == n
                     else static(n) for i, n in enumerate(y.shape))
    shape = g.shape_for(out_dims, in_dims, keep_code=1)
    return [(g.add("Expand", [g.value(x), shape]), out_dims)]


def _cat(g: Graph, op: TracedOp) -> Result:
    xs, axis = op.args, int(op.params["dim"])
    dt = op.outputs[0].dtype
    y = g.add("Concat", [g.value(x, dt) for x in xs], axis=axis)
    parts = [g.dims(x) for x in xs]
    dims = list(broadcast_dims(*[tuple(() if i == axis else d for i, d in enumerate(p))
                                 for p in parts]))
    along = [p[axis] for p in parts]
    if all(is_static(d) for d in along):
        dims[axis] = static(sum(dim_size(d) for d in along))
    else:
        dims[axis] = g.opaque(y, axis, op.outputs[0].shape[axis])
    return [(y, tuple(dims))]


def _matmul(g: Graph, op: TracedOp) -> Result:
    a, b = op.args[:2]
    dt = op.outputs[0].dtype
    da, db = g.dims(a), g.dims(b)
    a2 = ((),) + da if len(da) == 1 else da
    b2 = db + ((),) if len(db) == 1 else db
    dims = broadcast_dims(a2[:-2], b2[:-2]) + (a2[-2], b2[-1])
    if len(db) == 1:
        dims = dims[:-1]
    if len(da) == 1:
        dims = dims[:-2] + dims[-1:] if len(db) > 1 else dims[:-1]
    return [(g.add("MatMul", [g.value(a, dt), g.value(b, dt)]), dims)]


# ----------------------------------------------------------------------------- indexing


def _is_int(i) -> bool:
    return isinstance(i, (int, np.integer)) and not isinstance(i, bool)


def _index_array(g: Graph, i: np.ndarray) -> tuple[str, tuple[Dim, ...]]:
    """An index array as int64 positions; a boolean mask selects where it is True."""
    if i.dtype != np.bool_:
        return g.value(i, np.int64), g.dims(i)
    if not g.is_live(i):
        return g.const(np.flatnonzero(i)), (static(int(i.sum())),)
    nz = g.add("Reshape", [g.add("NonZero", [g.value(i)]), g.ints([-1])])
    return nz, (g.opaque(nz, 0, int(i.sum())),)


def _flat_gather(g: Graph, op: TracedOp) -> Result:
    """x[index] for any index of constant arrays (several arrays, arrays mixed with ints,
    n-D masks: what ``gather`` builds): the flat positions it reads, computed on the traced
    shape, gathered from x flattened."""
    x, y = op.args[0], op.outputs[0]
    index = op.params["index"]
    items = index if isinstance(index, tuple) else (index,)
    if any(isinstance(i, np.ndarray) and g.is_live(i) for i in items):
        raise Unexportable("indexing with index arrays computed from the inputs, unless it "
                           "is one integer or 1-D boolean array")
    if not all(is_static(d) for d in g.dims(x)):
        raise Unexportable(f"indexing a tensor with dynamic axes with {index!r}: only ints, "
                           f"slices, None, ... and one index array follow a dynamic axis")
    positions = np.arange(x.size, dtype=np.int64).reshape(x.shape)[index]
    flat = g.add("Reshape", [g.value(x), g.ints([-1])])
    y_name = g.add("Gather", [flat, g.const(positions)], axis=0)
    return [(y_name, tuple(static(n) for n in y.shape))]


def _getitem(g: Graph, op: TracedOp) -> Result:
    """x[index] for ints, slices, None, ``...`` and one integer (or 1-D boolean) array, which
    follow dynamic axes; any other index of constant arrays by :func:`_flat_gather`."""
    x, y = op.args[0], op.outputs[0]
    index = op.params["index"]
    items = list(index) if isinstance(index, tuple) else [index]
    for i in items:
        if not (i is None or i is Ellipsis or isinstance(i, slice) or _is_int(i) or
                (isinstance(i, np.ndarray) and i.dtype.kind in "biu")):
            raise Unexportable(f"indexing with {i!r} (only ints, slices, None, ... and "
                               f"integer or boolean arrays are exported)")
    arrays = [i for i in items if isinstance(i, np.ndarray)]
    if len(arrays) > 1 or (arrays and any(_is_int(i) for i in items)) or \
            any(a.dtype == np.bool_ and a.ndim != 1 for a in arrays):
        return _flat_gather(g, op)
    used = sum(1 for i in items if i is not None and i is not Ellipsis)
    if any(i is Ellipsis for i in items):
        k = next(n for n, i in enumerate(items) if i is Ellipsis)
        items[k:k + 1] = [slice(None)] * (x.ndim - used)
    items += [slice(None)] * (x.ndim - sum(1 for i in items if i is not None))

    name, dims = g.value(x), list(g.dims(x))
    spec, gathers, ax = [], [], 0
    for i in items:
        if i is None:
            continue
        if isinstance(i, slice) and i != slice(None):
            spec.append((ax, i))
        elif not isinstance(i, slice):
            gathers.append((ax, i))
        ax += 1
    if spec:
        starts, ends, steps = [], [], []
        for _, s in spec:
            step = 1 if s.step is None else int(s.step)
            starts.append((0 if step > 0 else INT64_MAX) if s.start is None else int(s.start))
            ends.append((INT64_MAX if step > 0 else INT64_MIN) if s.stop is None
                        else int(s.stop))
            steps.append(step)
        name = g.add("Slice", [name, g.ints(starts), g.ints(ends),
                               g.ints([a for a, _ in spec]), g.ints(steps)])
        for a, s in spec:
            n = len(range(*s.indices(x.shape[a])))
            dims[a] = static(n) if is_static(dims[a]) else g.opaque(name, a, n)
    for a, i in reversed(gathers):
        if _is_int(i):
            name, dims[a:a + 1] = g.add("Gather", [name, g.const(np.int64(i))], axis=a), []
        else:
            positions, index_dims = _index_array(g, i)
            name = g.add("Gather", [name, positions], axis=a)
            dims[a:a + 1] = index_dims
    pos, new_axes = 0, []
    for i in items:
        if i is None:
            new_axes.append(pos)
        pos += 0 if _is_int(i) else (i.ndim if isinstance(i, np.ndarray) else 1)
    if new_axes:
        name = g.add("Unsqueeze", [name, g.ints(new_axes)])
        for p in new_axes:
            dims.insert(p, ())
    if tuple(dim_size(d) for d in dims) != y.shape:
        raise Unexportable(f"indexing a tensor of shape {x.shape} with {index!r}")
    return [(name, tuple(dims))]


# ----------------------------------------------------------------------------- the table


def _unary(onnx_op: str) -> Callable:
    return _elementwise(onnx_op, 1)


OPS: dict[type, Callable[[Graph, TracedOp], Result]] = {
    A.Add: _elementwise("Add", 2),
    A.Sub: _elementwise("Sub", 2),
    A.Mul: _elementwise("Mul", 2),
    A.Div: _elementwise("Div", 2),
    A.Pow: _elementwise("Pow", 2),
    A.Maximum: _elementwise("Max", 2),
    A.Minimum: _elementwise("Min", 2),
    A.Neg: _unary("Neg"),
    A.Where: _where,
    A.Clamp: _clamp,
    U.Exp: _unary("Exp"),
    U.Log: _unary("Log"),
    U.Sqrt: _unary("Sqrt"),
    U.Abs: _unary("Abs"),
    U.Tanh: _unary("Tanh"),
    U.Sigmoid: _unary("Sigmoid"),
    U.Relu: _unary("Relu"),
    U.Sin: _unary("Sin"),
    U.Cos: _unary("Cos"),
    R.Sum: _reduction("ReduceSum"),
    R.Mean: _reduction("ReduceMean"),
    R.LogSumExp: _reduction("ReduceLogSumExp"),
    R.Var: _var,
    R.MaxMin: _reduction("ReduceMax", extra=("is_max",)),
    R.MaxMinIndexed: _max_min_indexed,
    R.Softmax: _softmax("Softmax"),
    R.LogSoftmax: _softmax("LogSoftmax"),
    S.Reshape: _reshape,
    S.Permute: _permute,
    S.Expand: _expand,
    S.Cat: _cat,
    S.Copy: _identity,
    I.GetItem: _getitem,
    I.MaskedFill: _masked_fill,
    M.MatMul: _matmul,
    S.Cast: _cast,
}
