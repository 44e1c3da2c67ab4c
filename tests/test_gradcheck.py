"""gradcheck itself: passes correct gradients, names the input and element of a wrong one."""
import numpy as np
import pytest
from conftest import needs_torch, torch
from hypothesis import given

import minigrad as mg
from minigrad.testing import tensors


class WrongSin(mg.Function):
    """sin with a deliberately wrong derivative (+cos^2 instead of cos)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * np.cos(x) ** 2


def test_gradcheck_reports_input_index_and_values():
    x = mg.tensor([0.1, 1.2, 2.0], dtype=np.float64, requires_grad=True)
    y = mg.tensor([1.0], dtype=np.float64, requires_grad=True)
    with pytest.raises(mg.GradcheckError, match=r"input 1 \(shape \(3,\)\) at index \(\d,\): "
                                                r"analytic .* vs numeric"):
        mg.gradcheck(lambda a, b: a * 2 + WrongSin.apply(b), [y, x])
    assert not mg.gradcheck(lambda a: WrongSin.apply(a), [x], raise_exception=False)


@given(x=tensors())
def test_gradcheck_accepts_right_gradients(x):
    assert mg.gradcheck(lambda t: (t.sin() * t).tanh(), [x])


def test_gradcheck_refuses_float32_and_no_grad_inputs():
    with pytest.raises(ValueError, match="float64"):
        mg.gradcheck(lambda t: t * 2, [mg.tensor([1.0], requires_grad=True)])
    with pytest.raises(ValueError, match="requires_grad"):
        mg.gradcheck(lambda t: t * 2, [mg.tensor([1.0])])


def test_gradcheck_on_non_contiguous_input():
    base = np.arange(12.0).reshape(3, 4) / 10
    x = mg.from_numpy(base[:, ::2])  # a strided view
    x.requires_grad = True
    assert mg.gradcheck(lambda t: (t * t).sin(), [x])
    with pytest.raises(mg.GradcheckError):
        mg.gradcheck(lambda t: WrongSin.apply(t), [x])


def test_tensor_copies_numpy_input():
    a = np.zeros(2)
    t = mg.tensor(a)
    a[0] = 1
    assert t.detach().numpy()[0] == 0


# ---------------------------------------------------------------------------- gradgradcheck


class FrozenSin(mg.Function):
    """sin whose backward reads the raw saved array: right first derivative, but under
    create_graph cos(x) is a constant, so the second derivative is wrong."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, g):
        return g * np.cos(ctx.saved[0])


@given(x=tensors())
def test_gradgradcheck_accepts_right_second_derivatives(x):
    assert mg.gradgradcheck(lambda t: (t.sin() * t).tanh(), [x])


def test_gradgradcheck_catches_a_backward_that_is_not_differentiable():
    x = mg.tensor([0.3, 1.2, -0.7], dtype=np.float64, requires_grad=True)
    assert mg.gradcheck(lambda t: FrozenSin.apply(t), [x])  # first order is right
    with pytest.raises(mg.GradcheckError, match="input 0"):
        mg.gradgradcheck(lambda t: FrozenSin.apply(t), [x])
    assert not mg.gradgradcheck(lambda t: FrozenSin.apply(t), [x], raise_exception=False)


def test_gradgradcheck_with_given_grad_outputs_and_two_inputs():
    a = mg.tensor([[0.5, -1.0]], dtype=np.float64, requires_grad=True)
    b = mg.tensor([[0.3], [0.8]], dtype=np.float64, requires_grad=True)
    v = mg.tensor(np.ones((2, 2)), requires_grad=True)
    assert mg.gradgradcheck(lambda p, q: (p * q).exp(), [a, b], [v])
    with pytest.raises(ValueError, match="requires_grad"):
        mg.gradgradcheck(lambda t: t * 2, [mg.tensor([1.0], dtype=np.float64)])


# ---------------------------------------------------------------------------- functional


def _pair(*arrays):
    return ([mg.tensor(a, requires_grad=False) for a in arrays],
            [torch.tensor(a) for a in arrays])


def _same(a, b):
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
        return
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)


def _f_single(L):
    return lambda x: (x ** 3).sin() * x.sum()


def _f_multi(L):
    return lambda x, y: ((x * y).tanh(), (x.exp() * y).sum())


def _f_scalar(L):
    return lambda x, y: (x.sin() * y.cos() * x).sum()


@needs_torch
def test_functional_matches_torch():
    import torch.autograd.functional as TF

    import minigrad.autograd.functional as F

    rng = np.random.default_rng(0)
    x, y, v, w = (rng.standard_normal(3) for _ in range(4))
    (xm, ym, vm, wm), (xt, yt, vt, wt) = _pair(x, y, v, w)
    for name in ("vjp", "jvp"):
        _same(getattr(F, name)(_f_single(mg), xm, vm), getattr(TF, name)(_f_single(torch), xt, vt))
    _same(F.vjp(_f_multi(mg), (xm, ym), (vm, mg.tensor(2.0, dtype=np.float64))),
          TF.vjp(_f_multi(torch), (xt, yt), (vt, torch.tensor(2.0))))
    _same(F.jvp(_f_multi(mg), (xm, ym), (vm, wm)), TF.jvp(_f_multi(torch), (xt, yt), (vt, wt)))
    _same(F.jacobian(_f_single(mg), xm), TF.jacobian(_f_single(torch), xt))
    _same(F.jacobian(_f_multi(mg), (xm, ym)), TF.jacobian(_f_multi(torch), (xt, yt)))
    _same(F.hessian(lambda x: _f_single(mg)(x).sum(), xm),
          TF.hessian(lambda x: _f_single(torch)(x).sum(), xt))
    _same(F.hessian(_f_scalar(mg), (xm, ym)), TF.hessian(_f_scalar(torch), (xt, yt)))
    for name in ("hvp", "vhp"):
        _same(getattr(F, name)(_f_scalar(mg), (xm, ym), (vm, wm)),
              getattr(TF, name)(_f_scalar(torch), (xt, yt), (vt, wt)))


@needs_torch
def test_functional_create_graph_and_strict():
    import minigrad.autograd.functional as F

    x = mg.tensor([0.5, -1.0], dtype=np.float64, requires_grad=True)
    _, hv = F.hvp(lambda t: (t ** 4).sum(), x, mg.ones_like(x), create_graph=True)
    assert hv.requires_grad  # 12 x^2, differentiable again: d/dx sum = 24 x
    (g,) = mg.grad(hv.sum(), x)
    np.testing.assert_allclose(g.numpy(), 24 * x.detach().numpy())
    out, vj = F.vjp(lambda t: t * 2, x, mg.ones_like(x))
    assert not out.requires_grad and not vj.requires_grad
    y = mg.tensor([1.0, 2.0], dtype=np.float64)
    _, g0 = F.vjp(lambda a, b: a * 2, (x, y), mg.ones_like(x))
    assert not g0[1].numpy().any()  # independent input: zeros
    with pytest.raises(RuntimeError, match="independent of input 1"):
        F.vjp(lambda a, b: a * 2, (x, y), mg.ones_like(x), strict=True)
    with pytest.raises(RuntimeError, match="single element"):
        F.vjp(lambda t: t * 2, x)
    with pytest.raises(RuntimeError, match="v has invalid size"):
        F.jvp(lambda t: t * 2, x, mg.ones(3, dtype=mg.float64))
    with pytest.raises(TypeError, match="must be either a Tensor or a tuple of Tensors"):
        F.jacobian(lambda t: t, [1.0, 2.0])
    with pytest.raises(RuntimeError, match="single element"):
        F.hessian(lambda t: t * 2, x)


def test_autograd_package_names():
    import minigrad.autograd as A
    import minigrad.autograd.functional as F

    assert A.Function is mg.Function and A.grad is mg.grad and A.functional is F
    x = mg.tensor([1.0, 2.0], dtype=np.float64, requires_grad=True)
    y = mg.tensor([3.0], dtype=np.float64, requires_grad=True)
    A.backward([(x * x).sum(), (x * y).sum()], [None, mg.tensor(2.0, dtype=np.float64)])
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy() + 6)
    np.testing.assert_allclose(y.grad.numpy(), [6.0])
    A.backward((x * y).sum(), inputs=[y])
    np.testing.assert_allclose(y.grad.numpy(), [9.0])
