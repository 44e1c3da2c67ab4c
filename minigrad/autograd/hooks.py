"""Where gradients go at the end of the walk: hooks, ``retain_grad`` and ``.grad``.

The engine hands every gradient that reaches a node output or a leaf to a *sink*;
:class:`Accumulate` is the one ``backward()`` uses (``mg.grad`` has its own, in capture.py).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..tensor_base import TensorBase


def run_hooks(hooks: list[Callable], g, owner: str, wrap):
    """Call each hook with the gradient (as a Tensor); a returned value replaces it."""
    for hook in list(hooks):
        is_tensor = isinstance(g, TensorBase)
        r = hook(g if is_tensor else wrap(g))
        if r is None:
            continue
        r_arr = r._data if isinstance(r, TensorBase) else np.asarray(r)
        if r_arr.shape != g.shape:
            raise RuntimeError(f"hook {getattr(hook, '__name__', hook)!r} on {owner} returned "
                               f"a gradient of shape {r_arr.shape}; expected {g.shape}")
        if is_tensor:
            g = r if isinstance(r, TensorBase) else wrap(r_arr.astype(g.dtype))
        else:
            g = r_arr.astype(g.dtype, copy=False)
    return g


class Accumulate:
    """The sink of ``backward()``: run hooks, keep retained grads, add into leaves' ``.grad``."""

    def __init__(self, create_graph: bool) -> None:
        self.create_graph = create_graph

    def output(self, node, k: int, g) -> Any:
        if node.hooks and k in node.hooks:
            g = run_hooks(node.hooks[k], g, f"output {k} of {node.name}", node.wrap)
        if node.retained and k in node.retained:
            t = node.retained[k]()
            if t is not None:
                t._accumulate(g, self.create_graph)
        return g

    def leaf(self, t: TensorBase, g) -> None:
        if t._hooks:
            g = run_hooks(t._hooks, g, "a leaf tensor", t._wrap)
        t._accumulate(g, self.create_graph)
