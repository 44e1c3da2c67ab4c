"""The reverse-mode engine: graph nodes, ``Function.apply``, un-broadcasting and the backward walk.

Read this file top to bottom.  Every differentiable op is a :class:`Function` with a
``forward`` on numpy arrays and a ``backward`` that maps the gradient of each output to the
gradient of each input (a vector-Jacobian product).  ``Function.apply`` runs the forward and,
when an input needs a gradient, records a :class:`Node` — the op, its inputs and what it
saved.  ``backward`` then visits the nodes in reverse topological order (iteratively, so deep
graphs never hit Python's recursion limit), and this file alone does the bookkeeping every op
would otherwise repeat: summing gradients back over broadcast dimensions, skipping inputs
that need none, adding up the gradients a node receives from several consumers, and freeing
saved values after use.

With ``create_graph=True`` the same backward rules run on Tensors instead of arrays (the rules
use only operations Tensors support too), so the backward pass itself is recorded and can be
differentiated again.  What is *not* here, to keep the algorithm readable: where gradients
finally go (``hooks.py``: ``.grad``, hooks, ``retain_grad``; ``capture.py``: ``mg.grad``),
anomaly mode (``anomaly.py``), and the per-thread switches (``modes.py``).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import anomaly
from ..modes import enable_grad, no_grad, state
from ..tensor_base import TensorBase
from .tracing import TracedOp

_FREED = ("{} : trying to backward through the graph a second time (or to read saved values "
          "after they were freed). Pass retain_graph=True to the first backward() if you need "
          "to go through the graph again.")


class Node:
    """One recorded op application; also the ``ctx`` its forward and backward receive."""

    # Rarely changed fields are class-level defaults, so recording an op sets only five.
    saved: tuple = ()
    saved_refs: tuple = ()  # per saved value: ("in", j), ("out", k) or None
    versions: tuple = ()  # (Version, value at save time) of each saved tensor
    hooks: dict[int, list] | None = None  # hooks on this node's outputs
    retained: dict[int, Any] | None = None  # outputs whose .grad is kept
    freed = False
    graph_mode = False  # True while backward runs with create_graph=True
    site = "<unknown>"
    versions_out: list | None = None  # version counter of each saved output (else None)

    def __init__(self, fn: type[Function], inputs: tuple, needs: list[bool], params: dict,
                 wrap):
        self.fn = fn
        self.inputs = inputs
        self.needs_input_grad = needs
        self.params = params
        self.wrap = wrap  # makes a Tensor from an array (Tensor._wrap)

    def save_for_backward(self, *values: Any) -> None:
        self.saved = values

    @property
    def saved_tensors(self) -> tuple:
        """The saved values: arrays normally, Tensors (linked to the graph) under create_graph."""
        if self.freed:
            raise RuntimeError(_FREED.format(self.name))
        for j, (version, seen) in enumerate(self.versions):
            if version.value != seen:
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified "
                    f"by an inplace operation: saved tensor {j} of {self.name} is at version "
                    f"{version.value}; expected version {seen} instead. Hint: clone() the "
                    f"tensor before modifying it in place, or modify a copy.")
        if not self.graph_mode:
            return self.saved
        return tuple(self._as_tensor(v, ref) for v, ref in zip(self.saved, self.saved_refs))

    def _as_tensor(self, v: Any, ref) -> Any:
        if ref is None:
            return self.wrap(v) if isinstance(v, np.ndarray) else v
        kind, j = ref
        if kind == "in":
            return self.inputs[j]
        return self.wrap(v, self, j, self.versions_out[j])  # stands for output j itself

    name = property(lambda self: self.fn.__name__)
    input_shapes = property(lambda self: [getattr(t, "shape", None) for t in self.inputs])
    next_functions = property(lambda self: [t.grad_fn for t in self.inputs
                                            if isinstance(t, TensorBase)])

    def __repr__(self) -> str:
        return f"<{self.name}Backward>"


class Function:
    """Base class of every differentiable op.

    ``forward(ctx, *inputs, **params)`` gets tensor inputs as numpy arrays, positionally, and
    every non-tensor parameter as a keyword.  ``backward(ctx, *grad_outputs)`` returns one
    gradient per positional input (None where there is none), possibly of the broadcast
    shape: the engine sums it back to the input's shape.
    """

    returns_view = False  # True for ops whose output may share memory with input 0

    @staticmethod
    def forward(ctx: Node, *args: Any, **params: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Node, *grad_outputs: Any) -> Any:
        raise NotImplementedError

    @classmethod
    def apply(cls, *args: Any, **params: Any):
        raw, needs, wrap = [], [], None
        for a in args:  # one pass: this loop is the per-op overhead of the whole library
            if isinstance(a, TensorBase):
                raw.append(a._data)
                needs.append(a._requires_grad)
                wrap = wrap or a._wrap
            else:
                raw.append(a)
                needs.append(False)
        if wrap is None:
            raise TypeError(f"{cls.__name__}.apply needs at least one Tensor argument")
        return cls._run(args, raw, needs, wrap, params)

    @classmethod
    def _run(cls, args: tuple, raw: list, needs: list[bool], wrap, params: dict):
        """``apply`` once the arguments are unwrapped: ``raw`` holds their arrays (or the
        arguments themselves) and ``needs`` whether each requires a gradient."""
        record = state.grad_enabled and True in needs
        # a graph node only when recording; otherwise forward gets a scratch ctx
        extras = state.extras  # anomaly mode, site recording or tracing (rarely on)
        ctx = Node(cls, args, needs, params, wrap) if record or extras else \
            Scratch(needs, params)
        if extras and state.record_sites:
            anomaly.remember(ctx, raw)
        out = cls.forward(ctx, *raw, **params)
        if type(out) is np.ndarray and not (extras or cls.returns_view):
            # the common case, one new array and nothing else to do: the steps below, for it
            res = wrap(out, ctx if record else None)
            if record:
                ctx.out_meta = ((out.shape, out.dtype),)
                if ctx.saved:
                    _remember_saved(ctx, args, raw, (out,), (res,))
            return res
        outs = out if isinstance(out, tuple) else (out,)
        if not all(type(o) is np.ndarray for o in outs):
            outs = _as_arrays(cls, ctx, outs)
        if extras and state.anomaly:
            anomaly.check_finite("forward", ctx, outs)
        if cls.returns_view and isinstance(args[0], TensorBase):
            versions = [args[0]._vc if np.may_share_memory(o, raw[0]) else None for o in outs]
        else:
            versions = (None,) * len(outs)
        if record:
            ctx.out_meta = [(o.shape, o.dtype) for o in outs]
            res = tuple([wrap(o, ctx, k, v) for k, (o, v) in enumerate(zip(outs, versions))])
            if ctx.saved:
                _remember_saved(ctx, args, raw, outs, res)
        else:
            res = tuple([wrap(o, None, 0, v) for o, v in zip(outs, versions)])
        if extras and state.tracer is not None:
            state.tracer.append(TracedOp(cls, args, params, res))
        return res if len(res) > 1 or isinstance(out, tuple) else res[0]


class Scratch:
    """The ``ctx`` a forward gets when nothing is recorded: what it saves is dropped."""

    saved: tuple = ()

    def __init__(self, needs: list[bool], params: dict) -> None:
        self.needs_input_grad, self.params = needs, params

    def save_for_backward(self, *values: Any) -> None:
        pass


def _as_arrays(cls: type, ctx: Node, outs: tuple) -> tuple:
    """numpy scalars (what 0-d arithmetic returns) become 0-d arrays (also where the forward
    saved them); anything else is a bug in the op's forward, reported with its name."""
    res = []
    for k, o in enumerate(outs):
        if isinstance(o, (np.generic, float, int)) or isinstance(o, np.ndarray):
            res.append(np.asarray(o))
            if res[-1] is not o:
                ctx.saved = tuple(res[-1] if v is o else v for v in ctx.saved)
        else:
            raise TypeError(f"{cls.__name__}.forward must return numpy arrays; output {k} is a "
                            f"{type(o).__name__}")
    return tuple(res)


def _remember_saved(ctx: Node, args: tuple, raw: list, outs: tuple, res: tuple) -> None:
    """Note which saved values are the op's own inputs or outputs (and their versions), so
    in-place changes are caught and create_graph can hand the real tensors to backward.
    ``ctx.versions_out[k]`` is the version counter of output ``k`` if the op saved it."""
    refs, versions = [], []
    for v in ctx.saved:  # matched by identity: the very array forward received or returned
        ref = version = None
        if isinstance(v, np.ndarray):
            for j, r in enumerate(raw):
                if r is v and isinstance(args[j], TensorBase):
                    ref, version = ("in", j), args[j]._vc
                    break
            else:
                for k, o in enumerate(outs):
                    if o is v:
                        ref, version = ("out", k), res[k]._vc
                        if ctx.versions_out is None:
                            ctx.versions_out = [None] * len(outs)
                        ctx.versions_out[k] = version
                        break
        refs.append(ref)
        if version is not None:
            versions.append((version, version.value))
    ctx.saved_refs, ctx.versions = refs, versions


def unbroadcast(grad, shape: tuple[int, ...]):
    """Sum ``grad`` over the dimensions that broadcasting added or stretched to reach ``shape``.

    d/dx of y = broadcast(x) is a sum: every copy of x received part of the gradient.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axes, keepdims=True)
    return grad.reshape(shape)


def topo_order(roots: Sequence[Node]) -> list[Node]:
    """Nodes reachable from ``roots``, each before every node that produced its inputs."""
    order: list[Node] = []
    seen: set[int] = set()
    for root in roots:
        if id(root) in seen:
            continue
        seen.add(id(root))
        stack = [(root, iter(root.inputs))]
        while stack:  # depth-first, iteratively; a node is done when its inputs are
            node, it = stack[-1]
            for t in it:
                child = t.grad_fn if isinstance(t, TensorBase) else None
                if child is not None and id(child) not in seen:
                    seen.add(id(child))
                    stack.append((child, iter(child.inputs)))
                    break
            else:
                stack.pop()
                order.append(node)
    return order[::-1]


def backward_walk(roots: Sequence[tuple[TensorBase, Any]], sink, retain_graph: bool,
                  create_graph: bool) -> None:
    """Propagate each root's gradient back through the graph; ``sink`` receives every
    gradient that reaches a leaf (``sink.leaf``: once per leaf, all its contributions summed,
    as torch's hooks see them) or a node output (``sink.output``)."""
    pending: dict[int, list] = {}
    leaves: dict[int, list] = {}  # id(leaf) -> [leaf, summed gradient], delivered at the end
    starts = []
    for t, g in roots:
        if t.grad_fn is None:
            _add_leaf(leaves, t, g)
        else:
            _add(pending, t.grad_fn, t._out_idx, g)
            starts.append(t.grad_fn)
    check_finite = state.anomaly
    with enable_grad() if create_graph else no_grad():
        for node in topo_order(starts):
            grads = pending.pop(id(node), None)
            if grads is None:
                continue
            if node.freed:
                raise RuntimeError(_FREED.format(node.name))
            for k, g in enumerate(grads):
                if g is None:  # an output nobody used: its gradient is zero
                    shape, dtype = node.out_meta[k]
                    g = np.zeros(shape, dtype)
                    g = node.wrap(g) if create_graph else g
                grads[k] = sink.output(node, k, g)
            node.graph_mode = create_graph
            in_grads = node.fn.backward(node, *grads)
            node.graph_mode = False
            in_grads = in_grads if isinstance(in_grads, tuple) else (in_grads,)
            if len(in_grads) != len(node.inputs):
                in_grads = _check_count(node, in_grads)
            if check_finite:
                anomaly.check_finite("backward", node, in_grads)
            for j, (t, g) in enumerate(zip(node.inputs, in_grads)):
                if g is None or not node.needs_input_grad[j]:
                    continue
                arr = t._data
                if create_graph or type(g) is not np.ndarray or g.shape != arr.shape or \
                        g.dtype != arr.dtype:  # else it already is what t needs
                    g = _fit(node, j, t, g, create_graph, grads)
                if t.grad_fn is None:
                    _add_leaf(leaves, t, g)
                else:
                    _add(pending, t.grad_fn, t._out_idx, g)
            if not retain_graph:  # free what backward needed; a second pass must fail
                node.saved, node.freed = (), True
                node.inputs = (None,) * len(node.inputs)
        for t, g in leaves.values():
            sink.leaf(t, g)


def _add(pending: dict, node: Node, k: int, g) -> None:
    slot = pending.setdefault(id(node), [None] * len(node.out_meta))
    slot[k] = g if slot[k] is None else slot[k] + g


def _add_leaf(leaves: dict, t: TensorBase, g) -> None:
    slot = leaves.get(id(t))
    if slot is None:
        leaves[id(t)] = [t, g]
    else:
        slot[1] = slot[1] + g


def _check_count(node: Node, in_grads: tuple) -> tuple:
    n = len(node.inputs)
    if len(in_grads) > n and all(g is None for g in in_grads[n:]):
        return in_grads[:n]  # extra Nones are allowed, as in torch
    if len(in_grads) != n:
        raise RuntimeError(f"{node.name}.backward returned {len(in_grads)} gradients for "
                           f"{len(node.inputs)} inputs; return exactly one per positional "
                           f"input (None for those without a gradient)")
    return in_grads


def _fit(node: Node, j: int, t: TensorBase, g, create_graph: bool, grads: list):
    """Gradient ``g`` for input ``j`` made a tensor (or array) of exactly t's shape and dtype."""
    if create_graph:
        if not isinstance(g, TensorBase):
            if any(getattr(x, "requires_grad", False) for x in grads):
                raise RuntimeError(f"{node.name}.backward is not differentiable: it returned "
                                   f"a numpy array for input {j} under create_graph=True")
            g = node.wrap(np.asarray(g))
    else:
        g = g._data if isinstance(g, TensorBase) else np.asarray(g)
    if g.shape != t.shape:
        try:
            ok = np.broadcast_shapes(g.shape, t.shape) == g.shape
        except ValueError:
            ok = False
        if not ok:
            raise RuntimeError(f"{node.name}.backward returned a gradient of shape {g.shape} "
                               f"for input {j}, which has shape {t.shape}")
        g = unbroadcast(g, t.shape)
    return g if g.dtype == t.dtype else g.astype(t.dtype)
