"""The reverse-mode engine: graph nodes, grad mode, anomaly mode and the backward walk.

Every differentiable op is a :class:`Function` with a ``forward`` on numpy arrays and a
``backward`` that maps the gradient of its output(s) to the gradient of each input (a VJP).
``Function.apply`` runs the forward and, when any input needs a gradient, records a
:class:`Node`: the op, its saved values and its input tensors.  ``backward`` then walks those
nodes in reverse topological order (iteratively: deep graphs must not hit Python's recursion
limit), and this file alone does the bookkeeping every op would otherwise repeat:

* summing a gradient back over broadcast dimensions to its input's shape (``unbroadcast``),
* skipping inputs that need no gradient,
* accumulating into ``.grad`` and running hooks,
* freeing saved values after use unless ``retain_graph=True``.
"""
from __future__ import annotations

import functools
import traceback
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np

# ----------------------------------------------------------------------------- grad mode


class _State:
    grad_enabled = True
    anomaly = False
    record_sites = False  # set by anomaly mode and by localizing gradcheck
    tracer: list | None = None  # trace_ops(): every Function.apply is appended here
    seq = 0  # creation counter of recorded nodes (forward order)


_state = _State()


def is_grad_enabled() -> bool:
    return _state.grad_enabled


class _GradMode:
    """Context manager and decorator setting grad mode to ``self.enabled``."""

    enabled = True

    def __enter__(self) -> None:
        self._prev = _state.grad_enabled
        _state.grad_enabled = self.enabled

    def __exit__(self, *exc: object) -> None:
        _state.grad_enabled = self._prev

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Ops run inside ``with mg.no_grad():`` record no graph (evaluation, optimizer steps)."""

    enabled = False


class enable_grad(_GradMode):
    """Turn recording back on inside a ``no_grad`` block."""

    enabled = True


class detect_anomaly:
    """Raise at the first op whose forward or backward produces NaN or inf.

    The error names the op, its input shapes and the file:line that created it.
    """

    def __enter__(self) -> None:
        self._prev = (_state.anomaly, _state.record_sites)
        _state.anomaly = _state.record_sites = True

    def __exit__(self, *exc: object) -> None:
        _state.anomaly, _state.record_sites = self._prev


def _creation_site() -> str:
    """file:line of the first frame outside the minigrad package."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        if "/minigrad/" not in frame.filename.replace("\\", "/"):
            return f"{frame.filename}:{frame.lineno}"
    return "<unknown>"


def _check_finite(what: str, node: Node, arrays: Iterable[np.ndarray | None]) -> None:
    for a in arrays:
        if a is not None and a.dtype.kind == "f" and not np.isfinite(a).all():
            shapes = ", ".join(str(s) for s in node.input_shapes)
            raise RuntimeError(
                f"anomaly: {node.name} {what} produced "
                f"{'NaN' if np.isnan(a).any() else 'inf'}; input shapes ({shapes}); "
                f"created at {node.site}"
            )


# ----------------------------------------------------------------------------- nodes


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the dimensions that broadcasting added or stretched to reach ``shape``.

    d/dx of y = broadcast(x) is a sum: every copy of x received part of the gradient.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


class Node:
    """One recorded op application; also the ``ctx`` its forward and backward see.

    ``inputs`` are the argument tensors (None for non-tensor arguments) and
    ``needs_input_grad`` says which of them want a gradient.
    """

    __slots__ = ("fn", "inputs", "needs_input_grad", "saved", "n_outputs", "out_meta",
                 "hooks", "retained", "site", "freed", "__dict__", "__weakref__")

    def __init__(self, fn: type[Function]):
        self.fn = fn
        self.saved: tuple = ()
        self.hooks: dict[int, list[Callable]] | None = None
        self.retained: dict[int, Any] | None = None
        self.site = "<unknown>"
        self.freed = False
        self.n_outputs = 1

    # -- the ctx interface
    def save_for_backward(self, *values: Any) -> None:
        self.saved = values

    @property
    def saved_tensors(self) -> tuple:
        if self.freed:
            raise RuntimeError(_FREED_MSG.format(self.name))
        return self.saved

    @property
    def name(self) -> str:
        return self.fn.__name__

    @property
    def input_shapes(self) -> list[tuple[int, ...] | None]:
        return [None if t is None else t.shape for t in self.inputs]

    @property
    def next_functions(self) -> list[Node | None]:
        return [t.grad_fn for t in self.inputs if t is not None]

    def __repr__(self) -> str:
        return f"<{self.name}Backward>"


_FREED_MSG = ("{} : trying to backward through the graph a second time (or to read saved "
              "values after they were freed). Pass retain_graph=True to the first backward() "
              "if you need to go through the graph again.")


class Function:
    """Base class of every differentiable op.

    Subclasses define ``forward(ctx, *args)`` on numpy arrays (tensor arguments arrive as
    their ``.data``; anything else as is) and ``backward(ctx, *grad_outputs)`` returning one
    gradient per positional argument (None where there is none).  ``backward`` may return a
    gradient of the *broadcast* shape: the engine reduces it to the input's shape.
    """

    @staticmethod
    def forward(ctx: Node, *args: Any, **kwargs: Any) -> np.ndarray | tuple[np.ndarray, ...]:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Node, *grad_outputs: np.ndarray) -> Any:
        raise NotImplementedError

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any):
        Tensor = _tensor_cls()
        raw, needs, inputs = [], [], []
        for a in args:  # one pass: this loop is the per-op overhead of the whole library
            if isinstance(a, Tensor):
                raw.append(a.data)
                needs.append(a._requires_grad)
                inputs.append(a)
            else:
                raw.append(a)
                needs.append(False)
                inputs.append(None)
        record = _state.grad_enabled and True in needs
        ctx = Node(cls)
        if _state.record_sites:  # anomaly mode / check_graph: remember where and with what
            ctx.site = _creation_site()
            _state.seq += 1
            ctx.seq, ctx.raw_args, ctx.kwargs = _state.seq, list(raw), kwargs
        ctx.inputs = inputs
        ctx.needs_input_grad = needs
        out = cls.forward(ctx, *raw, **kwargs)
        multi = isinstance(out, tuple)
        outs = out if multi else (out,)
        if _state.anomaly:
            _check_finite("forward", ctx, outs)
        if record:
            ctx.n_outputs = len(outs)
            ctx.out_meta = [(o.shape, o.dtype) for o in outs]
            res = tuple(Tensor._make(o, ctx, i) for i, o in enumerate(outs))
        else:
            res = tuple(Tensor._make(o, None, 0) for o in outs)
        if _state.tracer is not None:
            _state.tracer.append(TracedOp(cls, args, kwargs, res))
        return res if multi else res[0]


class TracedOp(NamedTuple):
    """One ``Function.apply`` seen by :func:`trace_ops`: the op, its arguments as passed
    (tensors positionally; non-tensor parameters as keywords in ``params``) and its outputs."""

    fn: type
    args: tuple
    params: dict
    outputs: tuple


class trace_ops:
    """``with trace_ops() as ops:`` records every op applied in this block (whatever the grad
    mode) into the list ``ops`` of :class:`TracedOp`, in execution order (used by exporters)."""

    def __enter__(self) -> list:
        self._prev = _state.tracer
        _state.tracer = []
        return _state.tracer

    def __exit__(self, *exc: object) -> None:
        _state.tracer = self._prev


def _tensor_cls():
    """``Tensor`` (imported on first use: tensor.py imports this module)."""
    global _TENSOR
    if _TENSOR is None:
        from .tensor import Tensor

        _TENSOR = Tensor
    return _TENSOR


_TENSOR = None

# ----------------------------------------------------------------------------- backward walk


def _topo_order(roots: Sequence[Node]) -> list[Node]:
    """Nodes reachable from ``roots``, each after every node that consumes its outputs."""
    order: list[Node] = []
    seen: set[int] = set()
    for root in roots:
        if id(root) in seen:
            continue
        seen.add(id(root))
        stack = [(root, iter(root.inputs))]
        while stack:
            node, it = stack[-1]
            for t in it:
                child = None if t is None else t.grad_fn
                if child is not None and id(child) not in seen:
                    seen.add(id(child))
                    stack.append((child, iter(child.inputs)))
                    break
            else:
                stack.pop()
                order.append(node)
    order.reverse()
    return order


def run_backward(outputs: Sequence, grad_outputs: Sequence[np.ndarray], retain_graph: bool,
                 capture: list | None = None) -> list[np.ndarray | None] | None:
    """Propagate ``grad_outputs`` from ``outputs`` back to the leaves.

    With ``capture`` (a list of tensors), gradients for those tensors are returned instead of
    being accumulated into ``.grad`` (this is ``mg.grad``).
    """
    captured: dict[int, np.ndarray] = {}
    cap_ids = {id(t) for t in capture} if capture is not None else None
    # capture of non-leaf tensors: map (node id, output index) -> tensor id
    cap_nonleaf = {}
    if capture is not None:
        for t in capture:
            if t.grad_fn is not None:
                cap_nonleaf[(id(t.grad_fn), t._out_idx)] = id(t)

    pending: dict[int, list] = {}
    roots = []
    for t, g in zip(outputs, grad_outputs):
        if t.grad_fn is None:
            if t.requires_grad:
                _to_leaf(t, g, captured, cap_ids)
            continue
        slot = pending.setdefault(id(t.grad_fn), [None] * t.grad_fn.n_outputs)
        i = t._out_idx
        slot[i] = g if slot[i] is None else slot[i] + g
        roots.append(t.grad_fn)

    for node in _topo_order(roots):
        grads = pending.pop(id(node), None)
        if grads is None:
            continue
        if node.freed:
            raise RuntimeError(_FREED_MSG.format(node.name))
        for i, g in enumerate(grads):
            if g is None:
                shape, dtype = node.out_meta[i]
                grads[i] = np.zeros(shape, dtype)
            elif node.hooks and i in node.hooks:
                grads[i] = _run_hooks(node.hooks[i], grads[i])
            if node.retained and i in node.retained:
                t = node.retained[i]()
                if t is not None:
                    t._accumulate(grads[i])
            if cap_nonleaf and (id(node), i) in cap_nonleaf:
                captured[cap_nonleaf[(id(node), i)]] = grads[i]
        in_grads = node.fn.backward(node, *grads)
        if not isinstance(in_grads, tuple):
            in_grads = (in_grads,)
        if len(in_grads) < len(node.inputs):
            raise RuntimeError(f"{node.name}.backward returned {len(in_grads)} gradients for "
                               f"{len(node.inputs)} inputs; return None for the others")
        if _state.anomaly:
            _check_finite("backward", node, in_grads)
        if not retain_graph:
            node.saved = ()
            node.freed = True
        for t, g, need in zip(node.inputs, in_grads, node.needs_input_grad):
            if not need or g is None:
                continue
            g = np.asarray(g)
            if g.shape != t.shape:
                g = unbroadcast(g, t.shape)
            if g.dtype != t.dtype:
                g = g.astype(t.dtype)
            if t.grad_fn is None:
                _to_leaf(t, g, captured, cap_ids)
            else:
                slot = pending.setdefault(id(t.grad_fn), [None] * t.grad_fn.n_outputs)
                i = t._out_idx
                slot[i] = g if slot[i] is None else slot[i] + g
        if not retain_graph:
            node.inputs = [None] * len(node.inputs)
    if capture is not None:
        return [captured.get(id(t)) for t in capture]
    return None


def _run_hooks(hooks: list[Callable], g: np.ndarray) -> np.ndarray:
    from .tensor import Tensor

    for hook in hooks:
        r = hook(Tensor(g))
        if r is not None:
            g = r.data if isinstance(r, Tensor) else np.asarray(r, dtype=g.dtype)
    return g


def _to_leaf(t, g: np.ndarray, captured: dict, cap_ids: set | None) -> None:
    if t._hooks:
        g = _run_hooks(t._hooks, g)
    if cap_ids is not None:
        if id(t) in cap_ids:
            captured[id(t)] = g if id(t) not in captured else captured[id(t)] + g
        return
    t._accumulate(g)


def grad(outputs, inputs, grad_outputs=None, retain_graph: bool = False,
         allow_unused: bool = False) -> tuple:
    """Gradients of ``outputs`` with respect to ``inputs``, without touching any ``.grad``.

    Returns a tuple of tensors, one per input (None for an unused input if ``allow_unused``).
    """
    from .tensor import Tensor

    outs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    ins = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outs)
    elif isinstance(grad_outputs, Tensor) or not isinstance(grad_outputs, (list, tuple)):
        grad_outputs = [grad_outputs]
    gs = [_initial_grad(o, g) for o, g in zip(outs, grad_outputs)]
    for t in ins:
        if not t.requires_grad:
            raise RuntimeError("mg.grad: one of the inputs does not require grad; create it "
                               "with requires_grad=True")
    res = run_backward(outs, gs, retain_graph, capture=ins)
    out = []
    for g in res:
        if g is None and not allow_unused:
            raise RuntimeError("mg.grad: one of the inputs was not used to compute the "
                               "outputs; pass allow_unused=True to get None for it")
        out.append(None if g is None else Tensor(g))
    return tuple(out)


def _initial_grad(t, g) -> np.ndarray:
    from .tensor import Tensor

    if not t.requires_grad:
        raise RuntimeError("element 0 of tensors does not require grad and does not have a "
                           "grad_fn: call requires_grad_() on a leaf or compute it from one")
    if g is None:
        if t.size != 1:
            raise RuntimeError(f"grad can be implicitly created only for scalar outputs; this "
                               f"output has shape {t.shape}: pass backward(grad) with a "
                               f"gradient of that shape, or reduce it first (e.g. .sum())")
        return np.ones(t.shape, t.dtype)
    g = g.data if isinstance(g, Tensor) else np.asarray(g)
    if g.shape != t.shape:
        raise RuntimeError(f"backward: gradient has shape {g.shape} but the output has shape "
                           f"{t.shape}; they must match")
    return g.astype(t.dtype, copy=False)


def set_record_sites(on: bool) -> bool:
    prev = _state.record_sites
    _state.record_sites = on
    return prev

