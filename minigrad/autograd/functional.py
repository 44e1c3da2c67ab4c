"""torch.autograd.functional: derivatives of a whole function ``func(*inputs)``, built on ``grad``.

For f: inputs -> outputs with Jacobian J = df/dx:

    vjp(f, x, v)   = (f(x), v^T J)         one backward pass
    jvp(f, x, v)   = (f(x), J v)           two backward passes (the double-vjp trick below)
    jacobian(f, x) = J                     one backward pass per output element
    hessian(f, x)  = d^2 f / dx^2          the jacobian of the jacobian (f scalar)
    vhp(f, x, v)   = (f(x), v^T H)         the vjp of the gradient
    hvp(f, x, v)   = (f(x), H v)           the double-vjp trick on the gradient

The double-vjp trick gives forward-mode products with reverse mode only: u -> J^T u is
linear in u, so its own vjp with v is (d(J^T u)/du)^T v = J v.  That needs ``create_graph``,
the same engine feature as the Hessian.

``inputs`` (and ``v``) are a Tensor or a tuple of Tensors; results mirror that structure.
Without ``create_graph`` the results are detached; with it they stay differentiable.
``strict=True`` raises instead of returning zeros where an output does not depend on an input.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..modes import enable_grad, is_grad_enabled, set_grad_enabled
from ..tensor_base import TensorBase
from .capture import grad

_INDEPENDENT = ("The output of the user-provided function is independent of input {}. This is "
                "not allowed in strict mode.")


def _as_tuple(x, what: str, fn: str) -> tuple[bool, tuple]:
    """(was it a tuple, x as a tuple of Tensors), with torch's error for anything else."""
    is_tuple = isinstance(x, (tuple, list))
    xs = tuple(x) if is_tuple else (x,)
    for i, el in enumerate(xs):
        if not isinstance(el, TensorBase):
            where = f"the value at index {i}" if is_tuple else f"the given {what}"
            raise TypeError(f"The {what} given to {fn} must be either a Tensor or a tuple of "
                            f"Tensors but {where} has type {type(el).__name__}.")
    return is_tuple, xs


def _prepare(xs: tuple, create_graph: bool, need_graph: bool) -> tuple:
    """Fresh tensors to differentiate against: still linked to the caller's graph (a view)
    under create_graph, cut from it otherwise."""
    return tuple(x.view_as(x) if create_graph and x.requires_grad
                 else x.detach().requires_grad_(need_graph) for x in xs)


def _finish(xs, create_graph: bool):
    """Detach results (recursively through tuples) unless the caller asked for a graph."""
    if isinstance(xs, tuple):
        return tuple(_finish(x, create_graph) for x in xs)
    return xs if create_graph else xs.detach()


def _unpack(res: tuple, is_tuple: bool):
    return res if is_tuple else res[0]


def _zeros_like(x: TensorBase, requires_grad: bool = False) -> TensorBase:
    z = x._wrap(np.zeros(x.shape, x.dtype))
    return z.requires_grad_() if requires_grad else z


def _check_v(v, refs: tuple, refs_tuple: bool, create_graph: bool, fn: str) -> tuple:
    _, v = _as_tuple(v, "v", fn)
    if len(v) != len(refs):
        raise RuntimeError(f"v is a tuple of invalid length: should be {len(refs)} but got "
                           f"{len(v)}." if refs_tuple else
                           "The given v should contain a single Tensor.")
    for i, (a, b) in enumerate(zip(v, refs)):
        if a.shape != b.shape:
            prefix = f"Entry {i} in " if refs_tuple else ""
            raise RuntimeError(f"{prefix}v has invalid size: should be {tuple(b.shape)} but "
                               f"got {tuple(a.shape)}.")
    return _prepare(v, create_graph, need_graph=False)


def _check_outputs(outs: tuple, strict: bool) -> None:
    for i, o in enumerate(outs):
        if strict and not o.requires_grad:
            raise RuntimeError(f"Output {i} of the user-provided function does not require "
                               f"gradients. The outputs must be computed in a differentiable "
                               f"manner from the input when running in strict mode.")


def _grad(outputs: tuple, inputs: tuple, grad_outputs=None, create_graph: bool = False,
          retain_graph: bool | None = None) -> tuple:
    """``grad`` that skips outputs without a graph and returns None for unused inputs."""
    grad_outputs = (None,) * len(outputs) if grad_outputs is None else grad_outputs
    live = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not live:
        return (None,) * len(inputs)
    return grad([o for o, _ in live], list(inputs), [g for _, g in live],
                retain_graph=retain_graph, create_graph=create_graph, allow_unused=True)


def _fill_zeros(grads: tuple, refs: tuple, strict: bool, message: str) -> tuple:
    res = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(message.format(i))
            g = _zeros_like(ref)
        res.append(g)
    return tuple(res)


def _single_scalar(outs: tuple, is_tuple: bool, fn: str) -> None:
    if is_tuple or len(outs) != 1:
        raise RuntimeError(f"The function given to {fn} should return a single Tensor")
    if outs[0].numel() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn} should "
                           f"contain a single element")


def _v_or_one(v, xs: tuple, xs_tuple: bool, create_graph: bool, fn: str, what: str):
    if v is not None:
        return _check_v(v, xs, xs_tuple, create_graph, fn)
    if len(xs) != 1 or xs[0].numel() != 1:
        raise RuntimeError(f"The vector v can only be None if {what} is a single Tensor with "
                           f"a single element.")
    return None


def vjp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T J): the vector-Jacobian product, J = d func / d inputs.

    ``v`` has the outputs' shapes (optional for a one-element output); the product has the
    inputs' shapes.
    """
    with enable_grad():
        xs_tuple, xs = _as_tuple(inputs, "inputs", "vjp")
        xs = _prepare(xs, create_graph, need_graph=True)
        outs_tuple, outs = _as_tuple(func(*xs), "outputs of the user-provided function", "vjp")
        _check_outputs(outs, strict)
        v = _v_or_one(v, outs, outs_tuple, create_graph, "vjp",
                      "the user-provided function returns")
    with set_grad_enabled(create_graph or is_grad_enabled()):
        res = _fill_zeros(_grad(outs, xs, v, create_graph), xs, strict, _INDEPENDENT)
    return (_unpack(_finish(outs, create_graph), outs_tuple),
            _unpack(_finish(res, create_graph), xs_tuple))


def jvp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), J v): the Jacobian-vector product (forward mode), by the double-vjp trick.

    ``v`` has the inputs' shapes (optional for a one-element input); the product has the
    outputs' shapes.  With u a dummy cotangent, g(u) = J^T u is linear in u and
    d<g(u), v>/du = J v.
    """
    with enable_grad():
        xs_tuple, xs = _as_tuple(inputs, "inputs", "jvp")
        xs = _prepare(xs, create_graph, need_graph=True)
        v = _v_or_one(v, xs, xs_tuple, create_graph, "jvp",
                      "the input to the user-provided function")
        outs_tuple, outs = _as_tuple(func(*xs), "outputs of the user-provided function", "jvp")
        _check_outputs(outs, strict)
        # g(u) is linear in u, so u's value never matters: zeros are as good as any
        us = tuple(_zeros_like(o, requires_grad=True) for o in outs)
        g_u = _grad(outs, xs, us, create_graph=True)
        for i, g in enumerate(g_u):
            if strict and (g is None or not g.requires_grad):
                raise RuntimeError(f"The gradient with respect to input {i} is independent of "
                                   f"the inputs of the user-provided function. This is not "
                                   f"allowed in strict mode.")
    with set_grad_enabled(create_graph or is_grad_enabled()):
        res = _fill_zeros(_grad(g_u, us, v, create_graph), outs, strict,
                          "The gradient with respect to the input is independent of entry {} "
                          "in the grad_outputs when using the double backward trick to compute"
                          " forward mode gradients. This is not allowed in strict mode.")
    return (_unpack(_finish(outs, create_graph), outs_tuple),
            _unpack(_finish(res, create_graph), outs_tuple))


def jacobian(func: Callable, inputs, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode"):
    """``J[i][j]`` = d outputs[i] / d inputs[j], of shape outputs[i].shape + inputs[j].shape
    (a Tensor when both are single Tensors; tuples mirror tuples).  One backward pass per
    output element (``vectorize`` is accepted and changes nothing)."""
    if strategy != "reverse-mode":
        raise NotImplementedError(f"jacobian: strategy={strategy!r} is not supported; minigrad "
                                  f"has reverse mode only (use 'reverse-mode')")
    with enable_grad():
        xs_tuple, xs = _as_tuple(inputs, "inputs", "jacobian")
        xs = _prepare(xs, create_graph, need_graph=True)
        outs_tuple, outs = _as_tuple(func(*xs), "outputs of the user-provided function",
                                     "jacobian")
        _check_outputs(outs, strict)
        jac = []
        for i, out in enumerate(outs):
            rows: list[list] = [[] for _ in xs]
            flat = out.reshape(-1)
            for k in range(out.numel()):
                vj = _grad((flat[k],), xs, retain_graph=True, create_graph=create_graph)
                for j, (g, x) in enumerate(zip(vj, xs)):
                    if g is None:
                        if strict:
                            raise RuntimeError(f"Output {i} of the user-provided function is "
                                               f"independent of input {j}. This is not "
                                               f"allowed in strict mode.")
                        g = _zeros_like(x)
                    rows[j].append(g)
            jac.append(tuple(_stack(r, out.shape + x.shape, x) for r, x in zip(rows, xs)))
    res = _finish(tuple(jac), create_graph)
    res = tuple(_unpack(r, xs_tuple) for r in res)
    return _unpack(res, outs_tuple)


def _stack(rows: list, shape: tuple, ref: TensorBase) -> TensorBase:
    """Jacobian rows (one per output element) as one tensor of ``shape``."""
    if not rows:  # an empty output
        return ref._wrap(np.zeros(shape, ref.dtype))
    return np.stack([r.reshape(-1) for r in rows]).reshape(shape)


def hessian(func: Callable, inputs, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode"):
    """``H[i][j]`` = d^2 func / d inputs[i] d inputs[j], of shape inputs[i].shape +
    inputs[j].shape, for a function returning one element: the jacobian of the jacobian."""
    xs_tuple, xs = _as_tuple(inputs, "inputs", "hessian")

    def scalar(*inp):
        out = func(*inp)
        is_tuple, outs = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_outputs(outs, strict)
        _single_scalar(outs, is_tuple, "hessian")
        return out.reshape(())

    def jac_func(*inp):
        jac = jacobian(scalar, inp, create_graph=True)
        for i, j in enumerate(jac):
            if strict and not j.requires_grad:
                raise RuntimeError(f"While computing the hessian, found that the jacobian of "
                                   f"the user-provided function with respect to input {i} is "
                                   f"independent of the input. This is not allowed in strict "
                                   f"mode.")
        return jac

    res = jacobian(jac_func, xs, create_graph=create_graph, strict=strict,
                   strategy=outer_jacobian_strategy)
    return tuple(_unpack(r, xs_tuple) for r in res) if xs_tuple else res[0][0]


def _first_gradient(func, inputs, v, create_graph, strict, fn):
    xs_tuple, xs = _as_tuple(inputs, "inputs", fn)
    xs = _prepare(xs, create_graph, need_graph=True)
    v = _v_or_one(v, xs, xs_tuple, create_graph, fn, "the input to the user-provided function")
    outs_tuple, outs = _as_tuple(func(*xs), "outputs of the user-provided function", fn)
    _check_outputs(outs, strict)
    _single_scalar(outs, outs_tuple, fn)
    jac = _grad(outs, xs, create_graph=True)
    for i, j in enumerate(jac):
        if strict and (j is None or not j.requires_grad):
            raise RuntimeError(f"The jacobian of the user-provided function is independent of "
                               f"input {i}. This is not allowed in strict mode.")
    return xs_tuple, xs, v, outs, jac


def vhp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T H) for a function returning one element: the vjp of its gradient."""
    with enable_grad():
        xs_tuple, xs, v, outs, jac = _first_gradient(func, inputs, v, create_graph, strict,
                                                     "vhp")
    with set_grad_enabled(create_graph or is_grad_enabled()):
        res = _fill_zeros(_grad(jac, xs, v, create_graph), xs, strict,
                          "The jacobian of the user-provided function is independent of input"
                          " {}. This is not allowed in strict mode.")
    return _finish(outs, create_graph)[0], _unpack(_finish(res, create_graph), xs_tuple)


def hvp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), H v) for a function returning one element, by the double-vjp trick on
    the gradient: u -> H^T u is linear in u and its vjp with v is H v.  (For a twice
    continuously differentiable func H is symmetric and ``vhp`` gives the same, faster.)"""
    with enable_grad():
        xs_tuple, xs, v, outs, jac = _first_gradient(func, inputs, v, create_graph, strict,
                                                     "hvp")
        us = tuple(_zeros_like(x, requires_grad=True) for x in xs)
        double_back = _grad(jac, xs, us, create_graph=True)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        res = _fill_zeros(_grad(double_back, us, v, create_graph), xs, strict,
                          "The hessian of the user-provided function is independent of entry "
                          "{} in the grad_jacobian. This is not allowed in strict mode as it "
                          "prevents from using the double backward trick to replace forward "
                          "mode AD.")
    return _finish(outs, create_graph)[0], _unpack(_finish(res, create_graph), xs_tuple)
