"""``minigrad.autograd``: the engine (``engine.py``) and torch's names around it.

``engine.py`` is the core a reader studies: graph nodes, ``Function.apply``, un-broadcasting,
topological order and the backward walk.  ``hooks.py`` and ``capture.py`` say where the
gradients go (``.grad`` and hooks; ``mg.grad``).  This package adds torch's entry points:
``grad``, ``backward``, ``Function`` and ``functional``
(``vjp``, ``jvp``, ``jacobian``, ``hessian``, ``hvp``, ``vhp``, built on ``grad``), and
``record`` (``replay.py``: a loss's ops recorded once and replayed without the Python around
them).
"""
from __future__ import annotations

from collections.abc import Sequence

from ..modes import enable_grad, no_grad, set_grad_enabled
from ..tensor_base import TensorBase
from . import functional
from .capture import grad, initial_grads
from .engine import Function, Node, backward_walk, topo_order, unbroadcast
from .hooks import Accumulate
from .replay import Recorded, record
from .tracing import TracedOp, trace_ops


def backward(tensors, grad_tensors=None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs: Sequence[TensorBase] | None = None) -> None:
    """torch.autograd.backward: accumulate d(sum_i <grad_tensors_i, tensors_i>)/d(leaf) into
    every leaf's ``.grad`` (or only into ``inputs``').

    ``tensors`` is a Tensor or a sequence of them; ``grad_tensors`` gives one gradient per
    tensor (None for a scalar: ones).  ``create_graph=True`` records the backward pass, so
    the gradients can be differentiated again; ``retain_graph`` defaults to ``create_graph``.
    """
    outs = [tensors] if isinstance(tensors, TensorBase) else list(tensors)
    roots = initial_grads(outs, grad_tensors, create_graph)
    retain = create_graph if retain_graph is None else retain_graph
    if inputs is None:
        backward_walk(roots, Accumulate(create_graph), retain, create_graph)
        return
    ins = [inputs] if isinstance(inputs, TensorBase) else list(inputs)
    gs = grad(outs, ins, [g for _, g in roots], retain_graph=retain, create_graph=create_graph,
              allow_unused=True)
    for t, g in zip(ins, gs):
        if g is not None:
            t._accumulate(g if create_graph else g._data, create_graph)


__all__ = ["Function", "Node", "Recorded", "TracedOp", "backward", "backward_walk", "enable_grad",
           "functional", "grad", "no_grad", "record", "set_grad_enabled",
           "topo_order", "trace_ops", "unbroadcast"]
