"""Replaying a recorded loss: run a step's ops again without the Python that chose them.

A small model spends most of its training step in Python around the ops (module calls,
argument checks, building Tensors and graph nodes), not in the ops.  ``record(loss_fn)`` runs
``loss_fn()`` once under :class:`trace_ops` and keeps the list of ops it applied (each
``Function``, its parameters, and where each argument came from: an earlier op's output, a
leaf tensor, or a constant).  ``backward()`` then re-runs those forwards on the leaves'
*current* arrays, and the backward rules in reverse order, adding each leaf's gradient into
``.grad`` (through its hooks) exactly as ``loss_fn().backward()`` would: the same forwards and
backwards in the same order give the same numbers.

The contract is that of torch's CUDA graphs or ``jax.jit`` tracing: every call must apply the
same ops to the same shapes.  What Python decided while recording is frozen: shapes, branch
choices, masks or random numbers drawn outside an op, and inputs that are not tensors.
Tensors given to the step must be leaves (parameters, or inputs changed in place between
calls: ``x.data[...] = batch``).  Recording refuses in-place changes made inside the step,
and replaying runs ``loss_fn`` normally while anomaly mode or tracing is on.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..modes import no_grad, state
from ..tensor_base import TensorBase
from .engine import Node, _add_leaf, _check_count, _fit
from .hooks import Accumulate
from .tracing import trace_ops

_OP, _LEAF, _CONST = 0, 1, 2  # where an op's argument comes from


class Recorded:
    """``loss_fn``'s ops, ready to replay (see the module docstring); made by :func:`record`."""

    def __init__(self, loss_fn: Callable[[], TensorBase]) -> None:
        self.loss_fn = loss_fn
        self.ops: list[tuple[type, list, dict]] = []  # (Function, sources, params)
        self._record()

    def _record(self) -> None:
        made: dict[int, tuple[int, int]] = {}  # id(output tensor) -> (op number, output k)
        inplace = state.inplace_ops
        with trace_ops() as traced:
            loss = self.loss_fn()
        if state.inplace_ops != inplace:
            raise RuntimeError("record: loss_fn changes tensors in place; replay cannot "
                               "repeat that (use out-of-place ops inside the step)")
        if not isinstance(loss, TensorBase) or loss._data.size != 1 or loss.grad_fn is None:
            raise RuntimeError("record: loss_fn must return a one-element tensor computed "
                               "from tensors that require grad")
        for i, op in enumerate(traced):  # (traced keeps every tensor alive: ids stay unique)
            sources = []
            for a in op.args:
                if not isinstance(a, TensorBase):
                    sources.append((_CONST, a))
                elif id(a) in made:
                    sources.append((_OP, made[id(a)]))
                elif a.grad_fn is None:
                    sources.append((_LEAF, a))
                else:
                    raise RuntimeError(f"record: {op.fn.__name__} reads a tensor computed "
                                       f"outside loss_fn; compute it inside, or detach() it")
            for k, t in enumerate(op.outputs):
                made[id(t)] = (i, k)
            self.ops.append((op.fn, sources, op.params))
        self.loss_index = made[id(loss)]
        self._wrap = loss._wrap

    def backward(self) -> TensorBase:
        """Run the recorded forward and backward once; returns the loss (a detached
        tensor).  Leaves' gradients are added into ``.grad``, as ``loss.backward()`` does."""
        if state.extras:  # anomaly mode or tracing: let the ordinary engine do its checks
            loss = self.loss_fn()
            loss.backward()
            return loss.detach()
        ctxs, outs = self._forward()
        i, k = self.loss_index
        loss = outs[i][k]
        self._backward(ctxs, outs, np.ones(loss.shape, loss.dtype))
        return self._wrap(loss)

    def _forward(self) -> tuple[list, list]:
        ctxs, outs, needs_out = [], [], []
        with no_grad():  # forwards that call Tensor ops must not record a graph
            for fn, sources, params in self.ops:
                raw, needs, wrap = [], [], None
                for kind, src in sources:
                    if kind == _OP:
                        raw.append(outs[src[0]][src[1]])
                        needs.append(needs_out[src[0]])
                    elif kind == _LEAF:
                        raw.append(src._data)
                        needs.append(src._requires_grad)
                        wrap = src._wrap
                    else:
                        raw.append(src)
                        needs.append(False)
                ctx = Node(fn, sources, needs, params, wrap)  # inputs: only counted
                out = fn.forward(ctx, *raw, **params)
                out = out if isinstance(out, tuple) else (out,)
                outs.append(tuple(o if type(o) is np.ndarray else np.asarray(o) for o in out))
                ctxs.append(ctx)
                needs_out.append(True in needs)
        return ctxs, outs

    def _backward(self, ctxs: list, outs: list, seed: np.ndarray) -> None:
        sink = Accumulate(False)
        pending: dict[int, list] = {self.loss_index[0]: [None] * len(outs[self.loss_index[0]])}
        pending[self.loss_index[0]][self.loss_index[1]] = seed
        leaves: dict[int, list] = {}
        with no_grad():
            for i in range(len(self.ops) - 1, -1, -1):
                grads = pending.pop(i, None)
                if grads is None:
                    continue
                fn, sources, _ = self.ops[i]
                ctx = ctxs[i]
                grads = [np.zeros(o.shape, o.dtype) if g is None else g
                         for g, o in zip(grads, outs[i])]
                in_grads = fn.backward(ctx, *grads)
                in_grads = in_grads if isinstance(in_grads, tuple) else (in_grads,)
                if len(in_grads) != len(sources):
                    in_grads = _check_count(ctx, in_grads)
                for j, ((kind, src), g) in enumerate(zip(sources, in_grads)):
                    if g is None or not ctx.needs_input_grad[j] or kind == _CONST:
                        continue
                    if kind == _LEAF:
                        _add_leaf(leaves, src, _fit(ctx, j, src, g, False, grads))
                        continue
                    n, k = src
                    out = outs[n][k]
                    if type(g) is not np.ndarray or g.shape != out.shape or \
                            g.dtype != out.dtype:
                        g = _fit(ctx, j, _Shape(out), g, False, grads)
                    slot = pending.setdefault(n, [None] * len(outs[n]))
                    slot[k] = g if slot[k] is None else slot[k] + g
                ctxs[i] = None  # free what backward needed, as the engine does
        for src, g in leaves.values():  # each leaf once, its contributions summed
            sink.leaf(src, g)


class _Shape:
    """What ``_fit`` reads of a tensor (its shape and dtype), for an op's output array."""

    def __init__(self, a: np.ndarray) -> None:
        self.shape, self.dtype = a.shape, a.dtype


def record(loss_fn: Callable[[], TensorBase]) -> Recorded:
    """Run ``loss_fn()`` once (forward only) and keep its ops; each ``.backward()`` then
    replays forward and backward.

    ``loss_fn`` takes no arguments and returns a one-element loss tensor; see the module
    docstring for what may change between calls (the leaves' values) and what may not."""
    return Recorded(loss_fn)
