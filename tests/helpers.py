"""Shared checks for the tests: gradcheck plus MyGrad-style invariants, and torch parity."""
from __future__ import annotations

import numpy as np
from conftest import torch

import minigrad as mg


class Cube(mg.Function):
    """x^3, a user-style custom op for the tests."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x ** 2 * g


def check_op(fn, arrays, atol=1e-5, rtol=1e-3):
    """gradcheck ``fn`` on float64 copies of ``arrays`` and check the engine's invariants:
    inputs not mutated, gradients the inputs' shapes, not aliasing data, graph freed."""
    xs = [mg.tensor(a, dtype=np.float64, requires_grad=True) for a in arrays]
    before = [x.detach().numpy().copy() for x in xs]
    assert mg.gradcheck(fn, xs, atol=atol, rtol=rtol)
    for x, b in zip(xs, before):
        np.testing.assert_array_equal(x.detach().numpy(), b)  # gradcheck restores; ops never mutate
    out = fn(*xs)
    out = out[0] if isinstance(out, tuple) else out
    if out.requires_grad:
        out.sum().backward()
        for x in xs:
            if x.grad is not None:
                assert x.grad.shape == x.shape and x.grad.dtype == x.dtype
                assert not np.shares_memory(x.grad.detach().numpy(), x.detach().numpy())
        assert out.grad_fn is None or out.grad_fn.freed


def torch_grads(tfn, arrays):
    """Value and input gradients (of sum(out * w), w = a fixed pattern) from torch."""
    ts = [torch.tensor(np.asarray(a, np.float64), requires_grad=True) for a in arrays]
    out = tfn(*ts)
    out = out[0] if isinstance(out, tuple) else out
    w = torch.tensor(_pattern(out.shape))
    (out * w).sum().backward()
    return out.detach().numpy(), [t.grad.numpy() if t.grad is not None else None for t in ts]


def mg_grads(fn, arrays):
    xs = [mg.tensor(np.asarray(a, np.float64), requires_grad=True) for a in arrays]
    out = fn(*xs)
    out = out[0] if isinstance(out, tuple) else out
    (out * mg.tensor(_pattern(out.shape))).sum().backward()
    return out.detach().numpy(), [x.grad.detach().numpy() if x.grad is not None else None for x in xs]


def _pattern(shape):
    return np.cos(np.arange(int(np.prod(shape)), dtype=np.float64)).reshape(shape) + 1.5


def assert_parity(fn, tfn, arrays, rtol=1e-7, atol=1e-9):
    v, gs = mg_grads(fn, arrays)
    tv, tgs = torch_grads(tfn, arrays)
    np.testing.assert_allclose(v, tv, rtol=rtol, atol=atol)
    for g, tg in zip(gs, tgs):
        if tg is None:
            assert g is None or not np.any(g)
        else:
            np.testing.assert_allclose(g, tg, rtol=rtol, atol=atol)
