"""Localize a wrong gradient: check every op of a graph on its own.

``gradcheck`` says *that* the gradient of a whole function is wrong.  ``check_graph`` records
the graph of ``fn(*inputs)`` (with each op's arguments and creation site), then for every
node, in forward order, compares the op's own ``backward`` with central finite differences
of the op's own ``forward`` at the arguments it really saw.  The first op that disagrees is
the culprit: its name, input shapes, file:line, and analytic vs numeric values are reported.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .anomaly import record_sites
from .autograd import Node, topo_order, unbroadcast
from .tensor import Tensor


def _fresh(node: Node) -> Node:
    """A new ctx for re-running ``node``'s op on its own."""
    return Node(node.fn, node.inputs, node.needs_input_grad, node.params, node.wrap)


def _node_loss(node: Node, args: list, weights: list[np.ndarray]) -> float:
    ctx = _fresh(node)
    out = node.fn.forward(ctx, *args, **node.params)
    outs = out if isinstance(out, tuple) else (out,)
    return float(sum((np.asarray(o, np.float64) * w).sum() for o, w in zip(outs, weights)))


def check_node(node: Node, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
               seed: int = 0) -> str | None:
    """None if ``node``'s backward matches finite differences of its forward, else a report."""
    rng = np.random.default_rng(seed)
    args = [a.copy() if isinstance(a, np.ndarray) else a for a in node.raw_args]
    weights = [rng.standard_normal(shape) for shape, _ in node.out_meta]
    ctx = _fresh(node)
    out = node.fn.forward(ctx, *args, **node.params)
    n_out = len(out) if isinstance(out, tuple) else 1
    grads = node.fn.backward(ctx, *[w.astype(dt) for w, (_, dt) in zip(weights, node.out_meta)])
    grads = grads if isinstance(grads, tuple) else (grads,)
    for j, (need, g) in enumerate(zip(node.needs_input_grad, grads)):
        if not need:
            continue
        x = args[j]
        analytic = np.zeros(x.shape) if g is None else unbroadcast(np.asarray(g, np.float64),
                                                                   x.shape)
        numeric = np.zeros(x.shape)
        for k in np.ndindex(x.shape):
            orig = x[k]
            x[k] = orig + eps
            hi = _node_loss(node, args, weights)
            x[k] = orig - eps
            lo = _node_loss(node, args, weights)
            x[k] = orig
            numeric[k] = (hi - lo) / (2 * eps)
        err = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
        if err.size and err.max() > 0:
            k = np.unravel_index(int(np.argmax(err)), x.shape)
            shapes = ", ".join(str(s) for s in node.input_shapes if s is not None)
            return (f"first wrong op: {node.name} (op #{node.seq} in forward order, "
                    f"{n_out} output(s)), input shapes ({shapes}), created at {node.site}\n"
                    f"  gradient of its input {j} at index {tuple(int(i) for i in k)}: "
                    f"analytic {analytic[k]:.10g} vs numeric {numeric[k]:.10g}")
    return None


def check_graph(fn: Callable, inputs: Sequence, eps: float = 1e-6, atol: float = 1e-5,
                rtol: float = 1e-3) -> str | None:
    """Run ``fn(*inputs)`` recording its graph and check each op alone (forward order).

    Returns None when every op's backward agrees with its forward, else a report naming the
    first op that does not.  Use float64 inputs.
    """
    with record_sites():
        out = fn(*inputs)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    roots = [o.grad_fn for o in outs if isinstance(o, Tensor) and o.grad_fn is not None]
    nodes = sorted((n for n in topo_order(roots) if hasattr(n, "raw_args")),
                   key=lambda n: n.seq)
    for node in nodes:
        report = check_node(node, eps, atol, rtol)
        if report:
            return report
    return None
