"""The ONNX graph being built, as plain Python data; ``to_model`` alone touches ``onnx``.

Values.  Every tensor the traced program computed from the graph inputs is *live*: it has a
value name in the graph, found from the tensor (``id``) or from its numpy array (an op that
took ``np.asarray(t)`` still reads ``t``).  Anything else an op reads (parameters, constants
made in ``forward``) becomes an initializer holding the traced value.

Dims.  Each live value carries a symbolic shape so reshapes stay right when ``dynamic_axes``
makes sizes vary: a dim is a tuple of factors whose product is its size, each factor an int
or a :class:`Ref` to a size known only at run time (a dynamic axis of a graph input, or an
axis of a value whose size the exporter cannot name).  ``(T, B)`` flattened is the dim
``(T, B)``; viewing it back as two dims peels the factors off in order.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from ..tensor import Tensor

INT64_MAX = 2 ** 63 - 1
INT64_MIN = -2 ** 63


@dataclass(frozen=True)
class Ref:
    """A size known at run time: axis ``axis`` of graph value ``value`` (``size`` in the
    traced example).  Two refs with the same ``label`` are the same size."""

    label: str
    value: str = field(compare=False)
    axis: int = field(compare=False)
    size: int = field(compare=False)


Dim = tuple  # factors (int | Ref) whose product is the size; () is a size-1 dim


def static(n: int) -> Dim:
    return () if n == 1 else (int(n),)


def dim_size(d: Dim) -> int:
    return math.prod(f if isinstance(f, int) else f.size for f in d)


def is_static(d: Dim) -> bool:
    return all(isinstance(f, int) for f in d)


class Unexportable(NotImplementedError):
    """The traced program does something the exporter cannot write as ONNX."""


def _merge_ints(factors: list) -> list:
    """Neighbouring int factors multiplied together (so they can be split another way)."""
    out: list = []
    for f in factors:
        if isinstance(f, int) and out and isinstance(out[-1], int):
            out[-1] *= f
        elif f != 1:
            out.append(f)
    return out


def reshape_dims(in_dims: tuple[Dim, ...], out_shape: tuple[int, ...]) -> tuple[Dim, ...]:
    """Symbolic dims of ``x.reshape(out_shape)``: the input's factors, in order, shared out
    among the output dims.  Raises :class:`Unexportable` when a run-time size would have
    to be split (the reshape only holds for the traced sizes)."""
    if all(is_static(d) for d in in_dims):
        return tuple(static(n) for n in out_shape)
    factors = _merge_ints([f for d in in_dims for f in d])
    out = []
    for n in out_shape:
        take, size = [], 1
        while size < n and factors:
            f = factors.pop(0)
            fs = f if isinstance(f, int) else f.size
            if n % (size * fs) == 0:
                take.append(f)
                size *= fs
            elif isinstance(f, int) and n % size == 0 and f % (n // size) == 0:
                take.append(n // size)
                factors.insert(0, f // (n // size))
                size = n
            else:
                break
        if size != n:
            raise Unexportable(f"reshape from {tuple(dim_size(d) for d in in_dims)} to "
                               f"{out_shape} splits a dynamic axis: it only holds for the "
                               f"traced sizes (export without that dynamic axis)")
        out.append(tuple(take))
    return tuple(out)


def broadcast_dims(*operands: tuple[Dim, ...]) -> tuple[Dim, ...]:
    """Symbolic dims of the broadcast of several operands (numpy's rules, from the right)."""
    n = max((len(d) for d in operands), default=0)
    padded = [((),) * (n - len(d)) + tuple(d) for d in operands]
    out = []
    for col in zip(*padded):
        best = max(col, key=lambda d: (dim_size(d) != 1, not is_static(d)))
        out.append(best)
    return tuple(out)


class Node(NamedTuple):
    op: str
    inputs: list[str]
    outputs: list[str]
    attrs: dict[str, Any]
    name: str


class Graph:
    """Nodes, initializers and graph inputs, plus the map from traced tensors to values."""

    def __init__(self, opset: int, param_names: dict[int, str]):
        self.opset = opset
        self.nodes: list[Node] = []
        self.initializers: dict[str, np.ndarray] = {}
        self.inputs: list[tuple[str, np.dtype, tuple[Dim, ...]]] = []
        self.scope = ""  # attribute path of the module being translated (names nodes)
        self._param_names = param_names  # id(parameter or buffer) -> attribute path
        self._live: dict[int, str] = {}  # id(tensor or its array) -> value name
        self._dims: dict[str, tuple[Dim, ...]] = {}
        self._keep: list = []  # keeps alive every object whose id is a key above
        self._consts: dict[Any, str] = {}
        self._taken: set[str] = set()
        self._shapes: dict[str, str] = {}
        self._named_outputs: set[str] = set()
        self._renamed: dict[str, str] = {}

    # ------------------------------------------------------------------ names
    def unique(self, base: str) -> str:
        name, k = base, 0
        while name in self._taken:
            k += 1
            name = f"{base}_{k}"
        self._taken.add(name)
        return name

    def add(self, op: str, inputs: list[str], n_out: int = 1, **attrs: Any):
        """Append node ``op``; returns its output name (a list when ``n_out`` > 1)."""
        prefix = "/" + self.scope.replace(".", "/") if self.scope else ""
        name = self.unique(f"{prefix}/{op}")
        outs = [self.unique(f"{name}_output_{i}") for i in range(n_out)]
        self._append(op, inputs, outs, attrs, name)
        return outs[0] if n_out == 1 else outs

    def _append(self, op: str, inputs: list[str], outs: list[str], attrs: dict,
                name: str) -> None:
        while inputs and inputs[-1] == "":  # trailing optional inputs left out
            inputs = inputs[:-1]
        self.nodes.append(Node(op, list(inputs), outs, attrs, name))

    # ------------------------------------------------------------------ values
    def add_input(self, t, name: str, dims: tuple[Dim, ...]) -> None:
        if name in self._taken:
            raise ValueError(f"input name {name!r} is used twice")
        self._taken.add(name)
        self.inputs.append((name, t.dtype, dims))
        self.bind(t, name, dims)

    def bind(self, t, name: str, dims: tuple[Dim, ...]) -> None:
        """``t`` (a traced tensor) is the live value ``name`` with symbolic ``dims``."""
        arr = storage(t)
        self._live[id(t)] = self._live[id(arr)] = name
        self._keep += [t, arr]
        self._dims[name] = tuple(dims)

    def find(self, x) -> str | None:
        """The live value ``x`` (a tensor or its array) stands for, or None.  An array that
        is a reshaped view of a live one (``np.asarray(t).reshape(-1)``) becomes a Reshape
        of it."""
        name = self._live.get(id(x))
        if name is None and isinstance(x, Tensor):
            name = self._live.get(id(storage(x)))
        if name is None and isinstance(x, np.ndarray) and x.base is not None:
            name = self._reshaped_view(x)
        return name

    def _reshaped_view(self, x: np.ndarray) -> str | None:
        base = x.base
        while base is not None and id(base) not in self._live:
            base = getattr(base, "base", None)
        if not isinstance(base, np.ndarray) or base.size != x.size or \
                base.dtype != x.dtype or not (x.flags.c_contiguous and
                                              base.flags.c_contiguous) or \
                x.__array_interface__["data"][0] != base.__array_interface__["data"][0]:
            return None
        name = self._live[id(base)]
        in_dims = self._dims[name]
        dims = reshape_dims(in_dims, x.shape)
        y = self.add("Reshape", [name, self.shape_for(dims, in_dims, keep_code=0)])
        self.bind(x, y, dims)
        return y

    def is_live(self, x) -> bool:
        return x is not None and not isinstance(x, (bool, int, float)) and \
            self.find(x) is not None

    def value(self, x, dtype=None) -> str:
        """Value name for ``x``: its live value, or an initializer holding it.
        With ``dtype``, the result is cast to that dtype."""
        name = self.find(x) if not isinstance(x, (bool, int, float)) else None
        arr = np.asarray(storage(x))
        if name is not None:
            if dtype is not None and arr.dtype != np.dtype(dtype):
                return self.add("Cast", [name], to=onnx_dtype(dtype))
            return name
        key: Any = id(x)
        if dtype is not None and arr.dtype != np.dtype(dtype):
            arr, key = arr.astype(dtype), (id(x), np.dtype(dtype).str)
        return self.const(arr, self._param_names.get(id(x)), key=key, keep=x)

    def dims(self, x) -> tuple[Dim, ...]:
        """Symbolic dims of ``x`` (static for anything that is not live)."""
        name = self.find(x) if not isinstance(x, (bool, int, float)) else None
        if name is None:
            return tuple(static(n) for n in np.shape(x))
        return self._dims[name]

    def const(self, arr, name: str | None = None, key: Any = None, keep: Any = None) -> str:
        """An initializer holding ``arr`` (stored once per ``key``, or per small value)."""
        arr = np.asarray(arr)
        if key is None and arr.size <= 16:
            key = ("small", arr.dtype.str, arr.shape, arr.tobytes())
        if key is not None and key in self._consts:
            return self._consts[key]
        out = self.unique(name or "const")
        self.initializers[out] = arr if arr.flags.c_contiguous else np.ascontiguousarray(arr)
        if key is not None:
            self._consts[key] = out
            if keep is not None:
                self._keep.append(keep)
        return out

    def ints(self, values) -> str:
        """A 1-D int64 initializer (axes, shapes, slice bounds)."""
        return self.const(np.asarray(values, np.int64).reshape(-1))

    def axes_arg(self, op: str, x: str, axes, **attrs) -> str:
        """A reduction ``op`` over ``axes``: an attribute before opset 18, an input from it
        (ReduceSum has taken the input since 13)."""
        if op == "ReduceSum" or self.opset >= 18:
            return self.add(op, [x, self.ints(axes)], **attrs)
        return self.add(op, [x], axes=list(axes), **attrs)

    # ------------------------------------------------------------------ run-time sizes
    def size_of(self, d: Dim) -> str:
        """1-D int64 tensor [size of d], computed at run time from the refs' values."""
        coef = math.prod(f for f in d if isinstance(f, int))
        out = None
        for f in d:
            if isinstance(f, Ref):
                if f.value not in self._shapes:
                    self._shapes[f.value] = self.add("Shape", [f.value])
                s = self.add("Gather", [self._shapes[f.value], self.ints([f.axis])], axis=0)
                out = s if out is None else self.add("Mul", [out, s])
        if out is None:
            return self.ints([coef])
        return out if coef == 1 else self.add("Mul", [out, self.ints([coef])])

    def shape_for(self, out_dims: tuple[Dim, ...], in_dims: tuple[Dim, ...] | None,
                  keep_code: int | None) -> str:
        """A shape tensor for Reshape (``keep_code`` 0: "copy the input dim") or Expand
        (``keep_code`` 1: "keep the input dim").  Static where it can be; one unknown dim
        becomes -1 for Reshape; otherwise built from run-time sizes."""
        lead = len(out_dims) - len(in_dims) if in_dims is not None else 0
        spec: list = []
        for i, d in enumerate(out_dims):
            j = i - lead
            if is_static(d):
                spec.append(dim_size(d))
            elif in_dims is not None and keep_code is not None and 0 <= j < len(in_dims) \
                    and in_dims[j] == d:
                spec.append(keep_code)
            else:
                spec.append(d)
        dynamic = [s for s in spec if not isinstance(s, int)]
        if keep_code == 0 and 0 in [dim_size(d) for d in out_dims]:
            raise Unexportable("reshaping an empty tensor with dynamic axes")
        if not dynamic:
            return self.ints(spec)
        if keep_code == 0 and len(dynamic) == 1:
            return self.ints([-1 if not isinstance(s, int) else s for s in spec])
        pieces, run = [], []
        for s in spec:
            if isinstance(s, int):
                run.append(s)
                continue
            if run:
                pieces.append(self.ints(run))
                run = []
            pieces.append(self.size_of(s))
        if run:
            pieces.append(self.ints(run))
        return pieces[0] if len(pieces) == 1 else self.add("Concat", pieces, axis=0)

    def opaque(self, value: str, axis: int, size: int) -> Dim:
        """The dim ``axis`` of ``value`` as a run-time size (when it has no better name)."""
        return (Ref(f"{value}[{axis}]", value, axis, size),) if size != 1 else ()

    # ------------------------------------------------------------------ output
    def name_output(self, value: str, name: str) -> None:
        """Make graph output ``name`` hold ``value``: the producing node's output is renamed
        when it can be, else an Identity node copies it."""
        if name in self._taken:
            raise ValueError(f"output name {name!r} is already the name of an input or a "
                             f"weight in the graph; choose another")
        self._taken.add(name)
        value = self._renamed.get(value, value)
        producer = next((n for n in self.nodes if value in n.outputs), None)
        if producer is None or value in self._named_outputs:
            self._append("Identity", [value], [name], {}, self.unique(f"/Identity_{name}"))
        else:
            for n in self.nodes:
                n.inputs[:] = [name if i == value else i for i in n.inputs]
                n.outputs[:] = [name if o == value else o for o in n.outputs]
            self._renamed[value] = name
        self._named_outputs.add(name)

    def to_model(self, outputs: list[tuple[str, np.dtype, list]], doc: str = ""):
        """The ``onnx.ModelProto``: nodes not needed by ``outputs`` are dropped.
        ``outputs`` is (value name, dtype, dim labels or sizes) per graph output."""
        import onnx
        from onnx import helper, numpy_helper

        needed = {name for name, _, _ in outputs}
        keep = []
        for node in reversed(self.nodes):
            if any(o in needed for o in node.outputs):
                keep.append(node)
                needed.update(i for i in node.inputs if i)
        keep.reverse()
        nodes = [helper.make_node(n.op, n.inputs, n.outputs, name=n.name, **n.attrs)
                 for n in keep]
        inits = [numpy_helper.from_array(a, k) for k, a in self.initializers.items()
                 if k in needed]

        def info(name, dtype, shape):
            return helper.make_tensor_value_info(name, onnx_dtype(dtype), shape)

        graph = helper.make_graph(
            nodes, "minigrad",
            [info(n, dt, [label_of(d) for d in dims]) for n, dt, dims in self.inputs],
            [info(n, dt, shape) for n, dt, shape in outputs], inits, doc_string=doc)
        opset = [helper.make_opsetid("", self.opset)]
        model = helper.make_model(graph, opset_imports=opset, producer_name="minigrad",
                                  ir_version=helper.find_min_ir_version_for(opset))
        onnx.checker.check_model(model)
        return model


def storage(x):
    """The array behind a tensor (the object ops see), or ``x`` itself."""
    return x.detach().numpy() if isinstance(x, Tensor) else x


def label_of(d: Dim) -> int | str | None:
    """What a graph input or output declares for a dim: its size, its name, or nothing."""
    if is_static(d):
        return dim_size(d)
    if len(d) == 1 and not d[0].label.startswith("/"):
        return d[0].label
    return None


def onnx_dtype(dtype) -> int:
    from onnx import helper

    return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
