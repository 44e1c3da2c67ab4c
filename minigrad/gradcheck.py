"""``gradcheck``: compare analytic gradients with central finite differences in float64.

For a function f with scalar-valued reduction L = sum(f(x) * w) (w random, fixed), the
numeric derivative of input element i is (L(x + eps e_i) - L(x - eps e_i)) / (2 eps); the
analytic one is the i-th element of dL/dx from backward.  They must satisfy
|analytic - numeric| <= atol + rtol * |numeric| everywhere.

``gradgradcheck`` checks second derivatives the same way: it runs ``gradcheck`` on the
function (x, v) -> v^T df/dx (a vector-Jacobian product computed with ``create_graph=True``),
whose own derivatives are the second derivatives of f.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .autograd.capture import grad as _grad
from .check_graph import check_graph
from .modes import enable_grad, no_grad
from .tensor import Tensor


class GradcheckError(AssertionError):
    """A gradient disagreed with finite differences; the message says where and by how much."""


def _outputs(fn: Callable, inputs: Sequence) -> list[Tensor]:
    out = fn(*inputs)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    return [o for o in outs if isinstance(o, Tensor) and o.dtype.kind == "f"]


def gradcheck(fn: Callable, inputs: Sequence, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, seed: int = 0,
              localize: bool = False) -> bool:
    """True if every ``requires_grad`` input's analytic gradient matches finite differences.

    ``inputs`` should be float64 tensors (float32 is too coarse for eps=1e-6).  With
    ``localize=True`` a failure is traced to the first op in the graph whose own backward
    disagrees with its own forward (see ``minigrad.check_graph``).
    """
    inputs = list(inputs) if isinstance(inputs, (tuple, list)) else [inputs]
    targets = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not targets:
        raise ValueError("gradcheck: no input has requires_grad=True")
    for i in targets:
        if inputs[i].dtype != np.float64:
            raise ValueError(f"gradcheck: input {i} is {inputs[i].dtype}; use float64 inputs "
                             f"(t.double()) so finite differences are accurate")
    rng = np.random.default_rng(seed)
    outs = _outputs(fn, inputs)
    weights = [rng.standard_normal(o.shape) for o in outs]

    def loss_value() -> float:
        with no_grad():
            return float(sum((o._data * w).sum() for o, w in zip(_outputs(fn, inputs), weights)))

    live = [o for o in outs if o.requires_grad]
    if not live:
        analytic = [np.zeros(inputs[i].shape) for i in targets]
    else:
        gs = _grad(live, [inputs[i] for i in targets],
                   [Tensor(w) for o, w in zip(outs, weights) if o.requires_grad],
                   allow_unused=True)
        analytic = [np.zeros(inputs[i].shape) if g is None else g._data for i, g in
                    zip(targets, gs)]
    for i, a in zip(targets, analytic):
        x = inputs[i]._data  # perturbed in place (whatever its strides), restored after
        numeric = np.zeros(x.shape)
        for k in np.ndindex(x.shape):
            orig = x[k]
            x[k] = orig + eps
            hi = loss_value()
            x[k] = orig - eps
            lo = loss_value()
            x[k] = orig
            numeric[k] = (hi - lo) / (2 * eps)
        err = np.abs(a - numeric) - (atol + rtol * np.abs(numeric))
        if err.size and err.max() > 0:
            k = np.unravel_index(int(np.argmax(err)), x.shape)
            where = tuple(int(j) for j in k)
            msg = (f"gradcheck failed for input {i} (shape {x.shape}) at index {where}:"
                   f" analytic {a[k]:.10g} vs numeric {numeric[k]:.10g} (abs error "
                   f"{abs(a[k] - numeric[k]):.3g}, allowed {atol + rtol * abs(numeric[k]):.3g})")
            if localize:
                report = check_graph(fn, inputs, eps=eps, atol=atol, rtol=rtol)
                msg += "\n" + (report or "no single op disagrees with its own forward")
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


def gradgradcheck(fn: Callable, inputs: Sequence, grad_outputs: Sequence | None = None,
                  eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  raise_exception: bool = True, seed: int = 0) -> bool:
    """True if the second derivatives of ``fn`` match finite differences of its first.

    With v the ``grad_outputs`` (random float64 tensors of the outputs' shapes when None),
    this is ``gradcheck`` of (x, v) -> v^T J(x) = mg.grad(fn(x), x, v, create_graph=True):
    its derivative in x is v^T d^2 f/dx^2 (the double backward), in v it is J (checked again).
    """
    inputs = list(inputs) if isinstance(inputs, (tuple, list)) else [inputs]
    targets = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not targets:
        raise ValueError("gradgradcheck: no input has requires_grad=True")
    outs = _outputs(fn, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(seed + 1)
        grad_outputs = [Tensor(rng.standard_normal(o.shape), requires_grad=True)
                        for o in outs if o.requires_grad]
    else:
        grad_outputs = list(grad_outputs) if isinstance(grad_outputs, (tuple, list)) \
            else [grad_outputs]
    n = len(inputs)

    def first_derivative(*args):
        xs, vs = list(args[:n]), args[n:]
        with enable_grad():  # gradcheck evaluates this under no_grad; it needs a graph
            live = [o for o in _outputs(fn, xs) if o.requires_grad]
        if len(live) != len(vs):
            raise ValueError(f"gradgradcheck: {len(vs)} grad_outputs for {len(live)} "
                             f"differentiable outputs of fn")
        if not live:
            return ()
        with enable_grad():
            gs = _grad(live, [xs[i] for i in targets], list(vs), create_graph=True,
                       allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_derivative, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, seed=seed)
