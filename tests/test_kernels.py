"""Each Numba kernel equals its numpy reference; the switch routes everything to references."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.kernels import activations as act
from minigrad.kernels import scatter, softmax
from minigrad.testing import arrays, shapes

DT = st.sampled_from([np.float32, np.float64])


@given(data=st.data(), dtype=DT)
def test_scatter_add_rows(data, dtype):
    v, d, n = (data.draw(st.integers(1, 6)) for _ in range(3))
    idx = np.array(data.draw(st.lists(st.integers(0, v - 1), min_size=n, max_size=n)))
    src = data.draw(arrays((n, d), dtype))
    ref = scatter.scatter_add_rows_ref(np.zeros((v, d), dtype), idx, src)
    got = scatter.scatter_add_rows.kernel(np.zeros((v, d), dtype), idx, src)
    np.testing.assert_allclose(got, ref, rtol=1e-6)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp"])
@given(x=arrays(shapes(1, 3, max_side=7), np.float64, -50, 50), data=st.data())
def test_softmax_kernels(name, x, data):
    f = getattr(softmax, name)
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    args = (((dim % x.ndim,), data.draw(st.booleans())) if name == "logsumexp" else (dim,))
    np.testing.assert_allclose(f.kernel(x, *args), f.reference(x, *args), rtol=1e-12,
                               atol=1e-12)


@pytest.mark.parametrize("name", ["softmax_backward", "log_softmax_backward"])
@given(data=st.data())
def test_softmax_backward_kernels(name, data):
    shape = data.draw(shapes(1, 3, max_side=7))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    y = softmax.softmax_ref(data.draw(arrays(shape)), dim)
    if name.startswith("log"):
        y = np.log(y)
    g = data.draw(arrays(shape))
    f = getattr(softmax, name)
    np.testing.assert_allclose(f.kernel(y, g, dim), f.reference(y, g, dim), rtol=1e-12,
                               atol=1e-12)


@pytest.mark.parametrize("kind,name", [(0, "tanh"), (1, "sigmoid"), (2, "relu")])
@given(data=st.data(), dtype=DT)
def test_activation_backward_kernels(kind, name, data, dtype):
    shape = data.draw(shapes(1, 3, max_side=6))
    y, g = data.draw(arrays(shape, dtype)), data.draw(arrays(shape, dtype))
    ref = getattr(act, f"{name}_backward_ref")(y, g)
    np.testing.assert_allclose(act._act_backward_kernel(y, g, kind), ref, rtol=1e-6)
    big_y, big_g = np.resize(y, 5000), np.resize(g, 5000)  # above the size the kernel kicks in
    np.testing.assert_allclose(getattr(act, f"{name}_backward").kernel(big_y, big_g),
                               getattr(act, f"{name}_backward_ref")(big_y, big_g), rtol=1e-6)


def test_switch_runs_the_references():
    x = mg.tensor(np.random.default_rng(0).standard_normal((4, 5)), requires_grad=True)
    results = []
    for on in (False, True):
        with mg.reference_mode(on):
            x.grad = None
            x.log_softmax(1)[mg.tensor([0, 0, 3])].sum().backward()
            results.append(x.grad.detach().numpy().copy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12)


def test_env_switch_in_subprocess():
    import subprocess
    import sys

    code = "import minigrad as mg; print(mg.modes.is_reference_mode())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**__import__("os").environ, "MINIGRAD_REFERENCE": "1"})
    assert out.stdout.split() == ["True"]


@pytest.mark.parametrize("mode", [0, 1, 2, 3])
@given(data=st.data(), dtype=DT, reverse=st.booleans())
def test_recurrence_kernels(mode, data, dtype, reverse):
    from nn.kernels import recurrent as R

    T, B, H = (data.draw(st.integers(1, 5)) for _ in range(3))
    G = {0: 1, 1: 1, 2: 4, 3: 3}[mode] * H
    rng = np.random.default_rng(T * 31 + B)
    f = lambda *s: rng.standard_normal(s).astype(dtype)  # noqa: E731
    mask = (np.arange(T)[:, None] < rng.integers(1, T + 1, B)[None]).astype(dtype)
    args = (mode, f(T, B, G), f(B, H), f(B, H), f(G, H) * 0.5, f(G), mask, reverse)
    fast = True if dtype == np.float32 else None  # float32: the rational tanh approximation
    fr = R.recurrence_forward_ref(*args)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    bargs = (mode, f(T, B, H), f(B, H), f(B, H), *fr[1:], args[4], mask, reverse)
    br = R.recurrence_backward_ref(*bargs)
    # the whole-sequence kernel and the Python-driven steps (larger batches) both match
    for forward, backward in [(R._forward_kernel, R._backward_kernel),
                              (R._forward_stepwise, R._backward_stepwise)]:
        for a, b in zip(forward(*args, fast), fr):
            np.testing.assert_allclose(a, b, **tol)
        for a, b in zip(backward(*bargs), br):
            np.testing.assert_allclose(a, b, **tol)


@given(n=st.integers(1, 50), decoupled=st.booleans(), wd=st.sampled_from([0.0, 0.1]),
       dtype=DT)
def test_adam_kernel(n, decoupled, wd, dtype):
    from minigrad.kernels import adam

    rng = np.random.default_rng(n)
    p, g = rng.standard_normal(n).astype(dtype), rng.standard_normal(n).astype(dtype)
    m, v = rng.standard_normal(n).astype(dtype), rng.random(n).astype(dtype)
    a = [x.copy() for x in (p, g, m, v)]
    b = [x.copy() for x in (p, g, m, v)]
    adam.adam_step.kernel(*a, 3, 1e-2, 0.9, 0.99, 1e-8, wd, decoupled)
    adam.adam_step_ref(*b, 3, 1e-2, 0.9, 0.99, 1e-8, wd, decoupled)
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, rtol=1e-5 if dtype == np.float32 else 1e-12)
