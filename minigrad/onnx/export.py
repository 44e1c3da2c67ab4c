"""``export``: run the model once on example inputs and write what it computed as ONNX.

How a call is traced.  During the run every module's ``forward`` is intercepted (an instance
attribute, removed afterwards; ``Module.__call__`` calls ``self.forward``):

* a module the exporter knows (``modules.MODULES``, by ``nn`` class name: Linear, LSTM...)
  runs normally, its own ops are not recorded, and the call is recorded whole, to become
  its ONNX subgraph;
* any other module (containers, the user's own) runs its forward, whose tensor ops are
  recorded by ``minigrad.autograd.trace_ops`` and translated one by one (``ops.OPS``, and
  ``modules.NN_OPS`` for ``nn``'s own ops);
* an ``nn`` module the exporter does not know stops the export with an error naming it.

Tensors are matched to graph values by identity; those not computed from the inputs
(parameters, constants made in ``forward``) are stored with their traced values, and ops
on them alone are folded, as torch's exporter does.
"""
from __future__ import annotations

import inspect
import io
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from ..autograd import TracedOp, no_grad, trace_ops
from ..tensor import Tensor
from .graph import Graph, Ref, Unexportable, label_of, static
from .modules import classify, nn_op, supported_names
from .ops import OPS

MIN_OPSET = 17  # LayerNormalization; Softmax over one axis needs 13
DEFAULT_OPSET = 17


_MISSING = object()


class _Call(NamedTuple):
    """A module exported whole: its arguments in ``forward``'s order and what it returned."""

    module: Any
    path: str
    translate: Callable
    args: list
    outputs: Any


class _Enter(NamedTuple):
    path: str
    module: Any


class _Exit(NamedTuple):
    pass


def _describe(path: str, m) -> str:
    return f"'{path}' ({type(m).__name__})" if path else f"the model ({type(m).__name__})"


def _flatten(obj) -> list:
    """Tensors in a nest of tuples, lists and dicts, in order."""
    if isinstance(obj, Tensor):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [t for o in obj for t in _flatten(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in _flatten(o)]
    return []


def _in_order(forward: Callable, args: tuple, kwargs: dict) -> list:
    """The call's arguments in the order of ``forward``'s parameters, defaults filled in."""
    bound = inspect.signature(forward).bind(*args, **kwargs)
    bound.apply_defaults()
    return list(bound.arguments.values())


@contextmanager
def _intercepted(model, ops: list) -> Iterator[None]:
    """Eval mode and every module's forward intercepted; all restored on exit."""

    modes = [(m, m.training) for m in model.modules()]
    patched: list[tuple[Any, Any]] = []
    depth = [0]  # > 0 inside a module exported whole: its submodules just run

    def intercept(m, path: str, forward: Callable) -> Callable:
        kind = classify(m)

        def intercepted(*args, **kwargs):
            if depth[0]:
                return forward(*args, **kwargs)
            if kind == "unsupported":
                raise NotImplementedError(
                    f"ONNX export: module {_describe(path, m)} is not supported.  Modules "
                    f"exported: {supported_names()}, containers, and your own modules "
                    f"built from them and tensor ops")
            if kind == "trace":
                ops.append(_Enter(path, m))
                out = forward(*args, **kwargs)
                ops.append(_Exit())
                return out
            depth[0] += 1
            try:
                with trace_ops():  # its own ops are replaced by its ONNX subgraph
                    out = forward(*args, **kwargs)
            finally:
                depth[0] -= 1
            ops.append(_Call(m, path, kind, _in_order(forward, args, kwargs), out))
            return out

        return intercepted

    try:
        model.eval()
        for path, m in model.named_modules():
            patched.append((m, m.__dict__.get("forward", _MISSING)))
            object.__setattr__(m, "forward", intercept(m, path, m.forward))
        yield
    finally:
        for m, old in reversed(patched):
            if old is _MISSING:
                object.__delattr__(m, "forward")
            else:
                object.__setattr__(m, "forward", old)
        for m, mode in modes:
            object.__setattr__(m, "training", mode)


def _translate(g: Graph, ops: list) -> None:
    """Add every recorded module call and op to ``g``, in execution order."""
    scopes: list[_Enter] = []
    for rec in ops:
        if isinstance(rec, _Enter):
            scopes.append(rec)
            continue
        if isinstance(rec, _Exit):
            scopes.pop()
            continue
        if isinstance(rec, _Call):
            if not any(g.is_live(t) for t in _flatten(rec.args)):
                continue  # computed from constants only: its outputs are constants
            g.scope = rec.path
            try:
                results = rec.translate(g, rec.module, rec.args)
            except Unexportable as e:
                raise NotImplementedError(f"ONNX export of module "
                                          f"{_describe(rec.path, rec.module)}: {e}") from None
            outputs = _flatten(rec.outputs)
        else:
            if not _reads_live(g, rec):
                continue
            where = _describe(scopes[-1].path, scopes[-1].module) if scopes else "the model"
            fn = OPS.get(rec.fn) or nn_op(rec.fn)
            if fn is None:
                raise NotImplementedError(f"ONNX export: op {rec.fn.__name__} (in {where}) "
                                          f"has no ONNX translation")
            g.scope = scopes[-1].path if scopes else ""
            try:
                results = fn(g, rec)
            except Unexportable as e:
                raise NotImplementedError(f"ONNX export: op {rec.fn.__name__} (in {where}): "
                                          f"{e}") from None
            outputs = rec.outputs
        for t, (name, dims) in zip(outputs, results):
            g.bind(t, name, dims)


def _reads_live(g: Graph, op: TracedOp) -> bool:
    items = list(op.args) + list(op.params.values())
    while items:
        x = items.pop()
        if isinstance(x, (tuple, list)):
            items.extend(x)
        elif g.is_live(x):
            return True
    return False


def _axes_spec(dynamic_axes, names: list[str]) -> dict[str, dict[int, str]]:
    """``dynamic_axes`` as {value name: {axis: label}} (torch's dict or list forms)."""
    out: dict[str, dict[int, str]] = {}
    for name, axes in (dynamic_axes or {}).items():
        if name not in names:
            raise ValueError(f"dynamic_axes names {name!r}, which is not an input or output "
                             f"name; the names are {names}")
        if isinstance(axes, dict):
            out[name] = {int(a): str(label) for a, label in axes.items()}
        else:
            out[name] = {int(a): f"{name}_dynamic_axes_{k + 1}" for k, a in enumerate(axes)}
    return out


def _default_input_names(forward: Callable, args: tuple, kwargs: dict) -> list[str]:
    """Names from ``forward``'s parameters: ``input``, ``hidden_0``, ``hidden_1``..."""
    try:
        bound = inspect.signature(forward).bind(*args, **kwargs)
    except TypeError:
        return [f"input_{i}" for i in range(len(_flatten((args, kwargs))))]
    names = []
    for pname, value in bound.arguments.items():
        ts = _flatten(value)
        if isinstance(value, Tensor):
            names.append(pname)
        else:
            names += [f"{pname}_{i}" for i in range(len(ts))]
    return names


def export(model, args: Any = (), f: str | os.PathLike | io.IOBase | None = None, *,
           kwargs: dict | None = None, input_names: list[str] | None = None,
           output_names: list[str] | None = None,
           dynamic_axes: dict[str, dict[int, str] | list[int]] | None = None,
           opset_version: int | None = None):
    """Export ``model(*args, **kwargs)`` as an ONNX model; write it to ``f`` (a path or a
    binary file) when given, and return the ``onnx.ModelProto``.

    As ``torch.onnx.export``: ``args`` is a tensor or a tuple of arguments (a trailing dict
    holds keyword arguments); every tensor in it, nested tuples included, becomes a graph
    input, named by ``input_names`` (default: ``forward``'s parameter names); every tensor
    returned becomes an output, named by ``output_names`` (default ``output``, or
    ``output_0``...).  ``dynamic_axes`` maps an input or output name to the axes whose size
    may change ({axis: name} or [axis, ...]).  The model is run once in eval mode (its
    training flags are restored afterwards); control flow is fixed by that run.

    Needs the ``onnx`` package (``pip install onnx``); opset 17 or later.
    """
    try:
        import onnx
    except ImportError:
        raise ImportError("minigrad.onnx.export needs the onnx package: pip install onnx "
                          "(and onnxruntime to run the exported model)") from None
    from onnx import defs

    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    if not MIN_OPSET <= opset <= defs.onnx_opset_version():
        raise ValueError(f"opset_version must be in {MIN_OPSET}..{defs.onnx_opset_version()} "
                         f"(the recurrent and normalization layers need opset "
                         f"{MIN_OPSET}), got {opset_version}")
    if not hasattr(model, "named_modules"):
        raise TypeError(f"export: model must be an nn.Module, got {type(model).__name__}")
    args = args if isinstance(args, tuple) else (args,)
    kwargs = dict(kwargs or {})
    if args and isinstance(args[-1], dict):
        kwargs.update(args[-1])
        args = args[:-1]

    inputs = _flatten((args, kwargs))
    if len({id(t) for t in inputs}) != len(inputs):
        raise ValueError("export: the same tensor is passed twice in args; pass a copy")
    names = _default_input_names(model.forward, args, kwargs)
    names[:len(input_names or ())] = list(input_names or ())[:len(names)]
    params = {id(p): k for k, p in reversed(list(model.named_parameters()))}
    params.update({id(b): k for k, b in model.named_buffers()})
    g = Graph(opset, params)

    with no_grad(), trace_ops() as ops, _intercepted(model, ops):
        out = model(*args, **kwargs)
    outputs = _flatten(out)
    out_names = ["output"] if len(outputs) == 1 else [f"output_{i}" for i in
                                                      range(len(outputs))]
    out_names[:len(output_names or ())] = list(output_names or ())[:len(outputs)]
    axes = _axes_spec(dynamic_axes, names + out_names)

    sizes: dict[str, tuple[int, str]] = {}
    for t, name in zip(inputs, names):
        dims = [static(n) for n in t.shape]
        for axis, label in axes.get(name, {}).items():
            if not -t.ndim <= axis < t.ndim:
                raise ValueError(f"dynamic_axes: input {name!r} has {t.ndim} dims, no axis "
                                 f"{axis}")
            axis %= t.ndim
            n = t.shape[axis]
            if n < 2:
                raise ValueError(f"dynamic_axes: give the example input {name!r} a size of "
                                 f"at least 2 along dynamic axis {axis} (it has {n}), so "
                                 f"it cannot be mistaken for a broadcast dim")
            if sizes.setdefault(label, (n, name))[0] != n:
                raise ValueError(f"dynamic axis {label!r} has size {n} in {name!r} but "
                                 f"{sizes[label][0]} in {sizes[label][1]!r}")
            dims[axis] = (Ref(label, name, axis, n),)
        g.add_input(t, name, tuple(dims))

    _translate(g, ops)
    graph_outputs = []
    for t, name in zip(outputs, out_names):
        g.scope = ""
        g.name_output(g.value(t), name)
        shape = [label_of(d) for d in g.dims(t)]
        for axis, label in axes.get(name, {}).items():
            shape[axis] = label
        graph_outputs.append((name, t.dtype, shape))
    proto = g.to_model(graph_outputs, doc=f"exported by minigrad from {type(model).__name__}")
    if f is not None:
        onnx.save_model(proto, f)
    return proto

