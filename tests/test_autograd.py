"""The engine's behaviour: graph walk, freeing, hooks, grad modes, errors."""
import gc
import weakref

import numpy as np
import pytest
from helpers import Cube

import minigrad as mg


def test_backward_through_100k_node_chain_is_iterative():
    x = mg.tensor(1.0, dtype=np.float64, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0


def test_second_backward_says_retain_graph():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_second_backward_and_accumulates():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.detach().numpy(), 4 * x.detach().numpy())


def test_nonscalar_backward_needs_grad():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        (x * 2).backward()
    (x * 2).backward(mg.tensor([1.0, 3.0]))
    np.testing.assert_allclose(x.grad.detach().numpy(), [2, 6])


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        mg.tensor([1, 2], requires_grad=True)


def test_no_grad_and_enable_grad():
    x = mg.tensor([1.0], requires_grad=True)
    with mg.no_grad():
        y = x * 2
        with mg.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad

    @mg.no_grad()
    def f(t):
        return t * 3

    assert not f(x).requires_grad
    assert mg.is_grad_enabled()


def test_retain_grad_and_hooks():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    seen = []
    h.register_hook(lambda g: seen.append(g.detach().numpy().copy()))
    x.register_hook(lambda g: g * 10)  # a hook may replace the gradient
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.detach().numpy(), 2 * h.detach().numpy())
    np.testing.assert_allclose(seen[0], 2 * h.detach().numpy())
    np.testing.assert_allclose(x.grad.detach().numpy(), 10 * 3 * 2 * h.detach().numpy())


def test_hook_handle_remove():
    x = mg.tensor([1.0], requires_grad=True)
    handle = x.register_hook(lambda g: g * 0)
    handle.remove()
    (x * 2).sum().backward()
    assert x.grad.item() == 2


def test_mg_grad_leaves_dot_grad_alone():
    x = mg.tensor([1.0, 2.0], dtype=np.float64, requires_grad=True)
    y = (x ** 2).sum()
    (g,) = mg.grad(y, x)
    np.testing.assert_allclose(g.detach().numpy(), 2 * x.detach().numpy())
    assert x.grad is None
    h = x * 2
    (gh,) = mg.grad((h * h).sum(), [h])
    np.testing.assert_allclose(gh.detach().numpy(), 2 * h.detach().numpy())
    with pytest.raises(RuntimeError, match="allow_unused"):
        mg.grad((x * 2).sum(), [x, mg.tensor([1.0], requires_grad=True)])


def test_diamond_graph_accumulates_once_per_path():
    x = mg.tensor(2.0, dtype=np.float64, requires_grad=True)
    a = x * 3
    y = a * a + a  # dy/dx = (2a + 1) * 3
    y.backward()
    assert x.grad.item() == pytest.approx((2 * 6 + 1) * 3)


def test_detach_cuts_the_graph():
    x = mg.tensor([1.0], requires_grad=True)
    y = (x * 2).detach()
    assert not y.requires_grad and y.grad_fn is None


def test_graph_is_freed_and_collected():
    x = mg.tensor(np.ones(3), requires_grad=True)
    y = (x * 2).tanh().sum()
    node = weakref.ref(y.grad_fn)
    y.backward()
    del y
    gc.collect()
    assert node() is None


def test_inplace_on_leaf_needing_grad_is_refused():
    x = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        x[0] = 3.0
    with mg.no_grad():
        x[0] = 3.0
    assert x.item() == 3.0


def test_detect_anomaly_names_op_and_site():
    x = mg.tensor([0.0, 1.0], requires_grad=True)
    msg = (r"anomaly: Log forward produced NaN; input shapes \(\(2,\)\); "
           r"created at .*test_autograd.py:\d+")
    with pytest.raises(RuntimeError, match=msg):
        with mg.detect_anomaly():
            (x - 1.0).log()
    with pytest.raises(RuntimeError, match=r"anomaly: Sqrt backward produced inf"):
        with mg.detect_anomaly():
            x.sqrt().sum().backward()


def test_custom_function():
    x = mg.tensor([1.0, -2.0], dtype=np.float64, requires_grad=True)
    assert mg.gradcheck(lambda t: Cube.apply(t * 2), [x])
    assert Cube.apply(x).grad_fn.name == "Cube"


def test_broadcast_reduction_happens_in_engine():
    class Bad(mg.Function):  # returns the broadcast-shape gradient; engine must reduce it
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g, g

    a = mg.tensor(np.ones((3, 1)), requires_grad=True)
    b = mg.tensor(np.ones(4), requires_grad=True)
    Bad.apply(a, b).sum().backward()
    np.testing.assert_allclose(a.grad.detach().numpy(), np.full((3, 1), 4.0))
    np.testing.assert_allclose(b.grad.detach().numpy(), np.full(4, 3.0))


def test_creation_functions():
    mg.manual_seed(3)
    a = mg.randn(2, 3).detach().numpy()
    mg.manual_seed(3)
    np.testing.assert_array_equal(a, mg.randn(2, 3).detach().numpy())
    assert mg.zeros(2, 3).shape == (2, 3) and mg.ones((2,)).dtype == np.float32
    assert mg.full((2,), 7.0).tolist() == [7.0, 7.0]
    assert mg.eye(3).detach().numpy().trace() == 3 and mg.empty(2).shape == (2,)
    assert mg.zeros_like(mg.ones(2, dtype=np.float64)).dtype == np.float64
    r = mg.randint(0, 5, (100,))
    assert r.dtype == np.int64 and 0 <= r.detach().numpy().min() and r.detach().numpy().max() < 5
    assert 0 <= mg.rand(10).detach().numpy().min() and mg.rand(10).detach().numpy().max() < 1
    arr = np.zeros(2)
    t = mg.from_numpy(arr)
    arr[0] = 5
    assert t.detach().numpy()[0] == 5  # from_numpy shares memory
    assert np.asarray(mg.tensor([1.0, 2.0])).tolist() == [1.0, 2.0]
    mg.set_default_dtype(np.float64)
    try:
        assert mg.tensor([1.0]).dtype == np.float64
    finally:
        mg.set_default_dtype(np.float32)
    assert mg.get_default_dtype() == np.float32


def test_attributes():
    x = mg.tensor([[1.0, 2.0]], requires_grad=True)
    assert x.ndim == 2 and x.size == 2 and x.numel() == 2 and x.is_leaf
    assert (x * 2).grad_fn is not None and not (x * 2).is_leaf
    assert x.detach().numpy().shape == (1, 2) and x.sum().item() == 3.0
    assert "requires_grad=True" in repr(x)
    with pytest.raises(RuntimeError, match="detach"):
        x.numpy()
