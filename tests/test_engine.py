"""The engine's second edition: higher-order gradients, in-place ops and version counters,
``.data``, per-thread modes, the one reference switch, misused extension points."""
from __future__ import annotations

import threading

import numpy as np
import pytest
from conftest import needs_torch, torch
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import nn
from minigrad.testing import arrays, shapes


def _t(a, grad=True):
    return mg.tensor(np.asarray(a, np.float64), requires_grad=grad)


# ----------------------------------------------------------------------------- create_graph
SMOOTH = {
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "exp": lambda x: (x * 0.5).exp(),
    "log": lambda x: (x * x + 1.0).log(),
    "sqrt": lambda x: (x * x + 1.0).sqrt(),
    "sin*cos": lambda x: x.sin() * x.cos(),
    "pow": lambda x: (x * x + 0.5) ** 1.5,
    "div": lambda x: x / (x * x + 2.0),
    "softmax": lambda x: x.softmax(-1) if x.ndim else x.sigmoid(),
    "log_softmax": lambda x: x.log_softmax(-1) if x.ndim else x.tanh(),
    "logsumexp": lambda x: x.logsumexp(-1) if x.ndim else x.exp(),
    "var": lambda x: x.var() if x.numel() > 1 else x * x,
    "matmul": lambda x: x @ x.transpose(-1, -2) if x.ndim >= 2 else x * x,
    "getitem": lambda x: (x[..., ::2] ** 3).sum() if x.ndim else x ** 3,
    "max": lambda x: (x * x).amax(-1) if x.ndim else x * x,
    "maximum": lambda x: x.maximum(x * 0.5 + 0.1) * x,
}


@needs_torch
@pytest.mark.parametrize("name", sorted(SMOOTH))
@given(a=arrays(shapes(0, 3, max_side=4)))
def test_double_backward_equals_torch(name, a):
    f = SMOOTH[name]
    x = _t(a)
    w = np.cos(np.arange(a.size)).reshape(a.shape)
    (g,) = mg.grad(f(x).sum(), x, create_graph=True)
    (h,) = mg.grad((g * mg.tensor(w)).sum(), x, allow_unused=True)
    tx = torch.tensor(a, requires_grad=True)
    (tg,) = torch.autograd.grad(f(tx).sum(), tx, create_graph=True)
    (th,) = torch.autograd.grad((tg * torch.tensor(w)).sum(), tx, allow_unused=True)
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-9, atol=1e-12)
    expect = np.zeros_like(a) if th is None else th.numpy()
    got = np.zeros_like(a) if h is None else h.numpy()
    np.testing.assert_allclose(got, expect, rtol=1e-8, atol=1e-10)


def test_backward_create_graph_accumulates_a_differentiable_grad():
    x = _t([0.3, -1.2])
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    (hess_diag,) = mg.grad(x.grad.sum(), x)
    np.testing.assert_allclose(hess_diag.numpy(), 6 * np.array([0.3, -1.2]))


@needs_torch
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("reference", [False, True])
def test_recurrent_double_backward_equals_torch(kind, reference):
    rng = np.random.default_rng(0)
    m = getattr(nn, kind)(3, 4, bidirectional=True).double()
    tm = getattr(torch.nn, kind)(3, 4, bidirectional=True).double()
    tm.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in m.state_dict().items()})
    x = rng.standard_normal((5, 2, 3))
    with mg.reference_mode(reference):
        xm = _t(x)
        out = m(xm)[0]
        (g,) = mg.grad((out ** 2).sum(), xm, create_graph=True)
        (h,) = mg.grad((g ** 2).sum(), xm)
    xt = torch.tensor(x, requires_grad=True)
    (tg,) = torch.autograd.grad((tm(xt)[0] ** 2).sum(), xt, create_graph=True)
    (th,) = torch.autograd.grad((tg ** 2).sum(), xt)
    np.testing.assert_allclose(h.numpy(), th.numpy(), rtol=1e-7, atol=1e-10)


def test_a_backward_on_arrays_only_refuses_create_graph_clearly():
    class ArrayOnly(mg.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return np.asarray(g) * 2 if not isinstance(g, mg.Tensor) else g.detach().numpy() * 2

    x = _t([1.0])
    with pytest.raises(RuntimeError, match="ArrayOnly.backward is not differentiable"):
        mg.grad(ArrayOnly.apply(x).sum() ** 2, x, create_graph=True)


# ----------------------------------------------------------------------------- in place
def test_manual_sgd_under_no_grad_updates_in_place():
    p = nn.Parameter(np.ones(3))
    before = p.detach().numpy()
    (p * 2).sum().backward()
    with mg.no_grad():
        p -= 0.5 * p.grad
    assert np.shares_memory(before, p.detach().numpy())
    np.testing.assert_allclose(p.detach().numpy(), 0.0)
    p.data.add_(mg.ones(3, dtype=np.float64), alpha=-1.0)  # the word-LM's manual SGD form
    np.testing.assert_allclose(p.detach().numpy(), -1.0)


def test_in_place_on_a_leaf_that_requires_grad_is_refused_in_grad_mode():
    p = _t([1.0, 2.0])
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        p.add_(1.0)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        p[0] = 3.0
    np.testing.assert_allclose(p.detach().numpy(), [1.0, 2.0])  # unchanged after the error


def test_modifying_a_saved_tensor_is_caught_at_backward():
    x = _t([1.0, 2.0])
    y = x * 1.0
    z = (y * y).sum()  # Mul saved y
    y.mul_(3.0)
    assert y._version == 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation.*version 1"):
        z.backward()


def test_in_place_ops_are_recorded_on_non_leaves():
    x = _t([1.0, -2.0, 3.0])
    y = x * 2.0
    y.add_(1.0).mul_(y.detach().clone())  # y = (2x + 1) * c
    y.relu_()
    y.sum().backward()
    c = 2 * np.array([1.0, -2.0, 3.0]) + 1
    np.testing.assert_allclose(x.grad.numpy(), 2 * c * (c * c > 0))


def test_setitem_records_a_graph():
    x = _t([1.0, 2.0, 3.0])
    v = _t([10.0])
    y = x * 1.0
    y[1] = v[0] * 2.0
    (y * mg.tensor([1.0, 2.0, 3.0], dtype=np.float64)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 0.0, 3.0])
    np.testing.assert_allclose(v.grad.numpy(), [4.0])


def test_views_and_data_share_the_version_counter():
    x = mg.zeros(4, dtype=np.float64)
    v, d = x[1:3], x.data
    assert d.requires_grad is False and np.shares_memory(d.numpy(), x.numpy())
    v.fill_(5.0)
    assert x._version == v._version == 1  # a view shares x's counter;
    assert d._version == 0  # .data has its own, as in torch (its writes are invisible to autograd)
    np.testing.assert_allclose(x.numpy(), [0, 5, 5, 0])


def test_wrong_grad_assignment_is_refused():
    p = _t([1.0, 2.0])
    with pytest.raises(RuntimeError, match="different size"):
        p.grad = mg.zeros(3, dtype=np.float64)
    with pytest.raises(RuntimeError, match="different type"):
        p.grad = mg.zeros(2, dtype=np.float32)


def test_numpy_protocol_copy_semantics():
    t = mg.tensor([1.0, 2.0])
    assert np.shares_memory(np.asarray(t), t.numpy())
    assert not np.shares_memory(np.array(t), t.numpy())
    assert np.asarray(t, dtype=np.float64).dtype == np.float64


# ----------------------------------------------------------------------------- modes
def test_grad_mode_is_per_thread():
    seen = {}
    inside = threading.Event()
    release = threading.Event()

    def other():
        inside.wait()
        x = _t([1.0])
        seen["requires_grad"] = (x * 2).requires_grad
        release.set()

    th = threading.Thread(target=other)
    th.start()
    with mg.no_grad():
        inside.set()
        release.wait(10)
    th.join()
    assert seen["requires_grad"] is True


def test_no_grad_decorates_generators():
    @mg.no_grad()
    def gen(x):
        for _ in range(2):
            yield (x * 2).requires_grad

    x = _t([1.0])
    assert list(gen(x)) == [False, False]
    assert (x * 2).requires_grad


def test_reference_mode_is_per_thread_and_restores():
    assert not mg.is_reference_mode()
    with mg.reference_mode():
        assert mg.is_reference_mode()
        flag = []
        th = threading.Thread(target=lambda: flag.append(mg.is_reference_mode()))
        th.start()
        th.join()
        assert flag == [False]
    assert not mg.is_reference_mode()


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_reference_mode_gives_the_same_numbers(kind):
    m = getattr(nn, kind)(3, 5).double()
    x = np.random.default_rng(1).standard_normal((4, 2, 3))
    res = []
    for ref in (False, True):
        with mg.reference_mode(ref):
            xm = _t(x)
            out = m(xm)[0]
            (out ** 2).sum().backward()
            res.append((out.detach().numpy(), xm.grad.numpy()))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-12)
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-10)


def test_gradient_flow_probe_leaves_the_switch_alone():
    rnn = nn.LSTM(3, 4)
    nn.utils.gradient_norms_through_time(rnn, mg.randn(5, 2, 3))
    assert not mg.is_reference_mode()


# ----------------------------------------------------------------------------- extension points
class _TwoGrads(mg.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g, g


class _WrongShape(mg.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return np.ones((7,))


class _NotArray(mg.Function):
    @staticmethod
    def forward(ctx, x):
        return [1.0]


def test_misused_functions_name_themselves():
    x = _t([1.0, 2.0])
    with pytest.raises(RuntimeError, match="_TwoGrads.backward returned 2 gradients for 1"):
        _TwoGrads.apply(x).sum().backward()
    with pytest.raises(RuntimeError, match=r"_WrongShape.backward returned a gradient of shape "
                                           r"\(7,\) for input 0, which has shape \(2,\)"):
        _WrongShape.apply(x).sum().backward()
    with pytest.raises(TypeError, match="_NotArray.forward must return numpy arrays"):
        _NotArray.apply(x)


def test_hook_returning_a_wrong_shape_is_refused():
    x = _t([1.0, 2.0])
    y = x * 2
    y.register_hook(lambda g: mg.ones(3, dtype=np.float64))
    with pytest.raises(RuntimeError, match=r"hook .* returned a gradient of shape \(3,\); "
                                           r"expected \(2,\)"):
        y.sum().backward()


@given(st.integers(0, 3))
def test_creation_site_is_the_callers_line_at_any_path(n):
    with mg.detect_anomaly():
        x = _t([0.0] * (n + 1))
        with pytest.raises(RuntimeError, match=r"created at .*test_engine\.py:\d+"):
            (x.log() * 0).sum().backward()


@needs_torch
@pytest.mark.parametrize("how", ["backward", "grad", "replay"])
def test_a_leaf_hook_runs_once_with_the_summed_gradient_as_in_torch(how):
    """A leaf used three times: torch runs its hook once, with the sum of the three
    contributions, and the hook's return value is what accumulates."""
    x = np.array([0.5, -1.0, 2.0])

    def run(lib, w):
        seen = []
        w.register_hook(lambda g: (seen.append(np.array(g.detach().numpy())), g * 2)[1])

        def loss():
            return (w * w + w.exp() + w.sin() * 3).sum()
        if lib is torch or how == "backward":
            loss().backward()
            got = w.grad
        elif how == "grad":
            got, = mg.grad(loss(), [w])
        else:
            mg.autograd.record(loss).backward()
            got = w.grad
        return seen, np.array(got.detach().numpy())

    seen, got = run(mg, mg.tensor(x, requires_grad=True))
    t_seen, t_got = run(torch, torch.tensor(x, requires_grad=True))
    assert len(seen) == len(t_seen) == 1
    np.testing.assert_allclose(seen[0], t_seen[0], rtol=1e-12)
    np.testing.assert_allclose(got, t_got, rtol=1e-12)
