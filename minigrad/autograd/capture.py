"""``mg.grad``: gradients of outputs with respect to chosen inputs, leaving ``.grad`` alone."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor_base import TensorBase
from .engine import backward_walk
from .hooks import run_hooks


def initial_grads(outputs: list, grad_outputs, create_graph: bool) -> list[tuple]:
    """Pair each output with its starting gradient (ones for a scalar), checked."""
    if grad_outputs is None or isinstance(grad_outputs, TensorBase) or \
            not isinstance(grad_outputs, (list, tuple)):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"got {len(grad_outputs)} grad_outputs for {len(outputs)} outputs")
    roots = []
    for i, (t, g) in enumerate(zip(outputs, grad_outputs)):
        if not t.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have "
                               f"a grad_fn: call requires_grad_() on a leaf or compute it from one")
        if g is None:
            if t._data.size != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs; "
                                   f"this output has shape {t.shape}: pass a gradient of that "
                                   f"shape, or reduce it first (e.g. .sum())")
            g = np.ones(t.shape, t.dtype)
        arr = g._data if isinstance(g, TensorBase) else np.asarray(g)
        if arr.shape != t.shape:
            raise RuntimeError(f"backward: gradient has shape {arr.shape} but the output has "
                               f"shape {t.shape}; they must match")
        if create_graph:
            g = g if isinstance(g, TensorBase) else t._wrap(arr.astype(t.dtype, copy=False))
            g = g if g.dtype == t.dtype else g.astype(t.dtype)
        else:
            g = arr.astype(t.dtype, copy=False)
        roots.append((t, g))
    return roots


class Capture:
    """A sink that keeps the gradients of ``inputs`` (leaves or not) and stores nothing."""

    def __init__(self, inputs: list[TensorBase]) -> None:
        self.ids = {id(t) for t in inputs if t.grad_fn is None}
        self.outputs = {(id(t.grad_fn), t._out_idx): id(t) for t in inputs
                        if t.grad_fn is not None}
        self.got: dict[int, Any] = {}

    def _keep(self, key: int, g) -> None:
        self.got[key] = g if key not in self.got else self.got[key] + g

    def output(self, node, k: int, g) -> Any:
        if node.hooks and k in node.hooks:
            g = run_hooks(node.hooks[k], g, f"output {k} of {node.name}", node.wrap)
        key = self.outputs.get((id(node), k))
        if key is not None:
            self._keep(key, g)
        return g

    def leaf(self, t: TensorBase, g) -> None:
        if id(t) in self.ids:
            self._keep(id(t), run_hooks(t._hooks, g, "a leaf tensor", t._wrap)
                       if t._hooks else g)


def grad(outputs, inputs, grad_outputs=None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool | None = None,
         materialize_grads: bool = False) -> tuple:
    """Gradients of ``outputs`` with respect to ``inputs``, without touching any ``.grad``.

    Returns a tuple of Tensors, one per input (None for an unused input when
    ``allow_unused``; zeros with ``materialize_grads``).  With ``create_graph=True`` the
    results are themselves differentiable (higher-order gradients).
    """
    outs = [outputs] if isinstance(outputs, TensorBase) else list(outputs)
    ins = [inputs] if isinstance(inputs, TensorBase) else list(inputs)
    for j, t in enumerate(ins):
        if not isinstance(t, TensorBase) or not t.requires_grad:
            raise RuntimeError(f"mg.grad: input {j} does not require grad; create it with "
                               f"requires_grad=True")
    roots = initial_grads(outs, grad_outputs, create_graph)
    sink = Capture(ins)
    retain = create_graph if retain_graph is None else retain_graph
    backward_walk(roots, sink, retain, create_graph)
    res = []
    for j, t in enumerate(ins):
        g = sink.got.get(id(t))
        if g is None:
            if materialize_grads:
                res.append(t._wrap(t._data * 0))
                continue
            if not allow_unused:
                raise RuntimeError(f"mg.grad: input {j} was not used to compute the outputs; "
                                   f"pass allow_unused=True to get None for it")
            res.append(None)
        else:
            res.append(g if isinstance(g, TensorBase) else t._wrap(g))
    return tuple(res)
