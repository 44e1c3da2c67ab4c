"""nn.functional activations, linear maps, norms, distances, padding, embedding, one_hot and
their modules: gradchecks over random shapes (inputs shifted away from kinks), values,
gradients and second derivatives equal torch's, torch's exceptions for bad input."""
import numpy as np
import pytest
from conftest import needs_torch, torch
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import nn
import nn.functional as F
from minigrad.testing import arrays, shapes

if torch is not None:
    import torch.nn.functional as TF


def away(a: np.ndarray, kinks=(0.0,), gap: float = 1e-2) -> np.ndarray:
    """Move values within ``gap`` of a kink to 2 gap beyond it (finite differences stay exact)."""
    a = np.array(a, dtype=np.float64)
    for k in kinks:
        near = np.abs(a - k) < gap
        a[near] = k + 2 * gap
    return a


def compare(mg_fn, torch_fn, *arrs, double: bool = True, rtol: float = 1e-10):
    """Values, gradients (under a random output weight) and, with ``double``, the gradient
    of <grad, v> (double backward) of mg_fn equal torch_fn's, all float64."""
    rng = np.random.default_rng(1)
    xs = [mg.tensor(a, requires_grad=True) for a in arrs]
    ts = [torch.tensor(a, requires_grad=True) for a in arrs]
    y, ty = mg_fn(*xs), torch_fn(*ts)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=rtol, atol=1e-12)
    w = rng.standard_normal(y.shape)
    gs = mg.grad((y * mg.tensor(w)).sum(), xs, create_graph=double, allow_unused=True)
    tgs = torch.autograd.grad((ty * torch.tensor(w)).sum(), ts, create_graph=double,
                              allow_unused=True)
    for g, tg in zip(gs, tgs):
        tg = torch.zeros(()) if tg is None else tg
        np.testing.assert_allclose(0 if g is None else g.detach().numpy(),
                                   np.broadcast_to(tg.detach().numpy(), np.shape(
                                       0 if g is None else g.detach().numpy())),
                                   rtol=rtol, atol=1e-12)
    if not double:
        return
    vs = [rng.standard_normal(a.shape) for a in arrs]
    used = [i for i, g in enumerate(gs) if g is not None and g.requires_grad]
    tused = [i for i, g in enumerate(tgs) if g is not None and g.requires_grad]
    gg = [None] * len(xs)
    if used:  # (no graph: the gradient is constant, its derivative zero)
        gg = mg.grad(sum((gs[i] * mg.tensor(vs[i])).sum() for i in used), xs, allow_unused=True)
    tgg = [None] * len(ts)
    if tused:
        tgg = torch.autograd.grad(sum((tgs[i] * torch.tensor(vs[i])).sum() for i in tused), ts,
                                  allow_unused=True)
    for x, g, tg in zip(arrs, gg, tgg):
        a = np.zeros(np.shape(x)) if g is None else g.detach().numpy()
        b = np.zeros(np.shape(x)) if tg is None else tg.detach().numpy(force=True)
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11)


# name: (minigrad fn, torch fn, kinks to avoid, input range, smooth (double-backward check))
ACTIVATIONS = {
    "relu": (F.relu, TF.relu if torch else None, (0,), 3, True),
    "relu6": (F.relu6, TF.relu6 if torch else None, (0, 6), 8, True),
    "tanh": (F.tanh, torch.tanh if torch else None, (), 3, True),
    "sigmoid": (F.sigmoid, torch.sigmoid if torch else None, (), 3, True),
    "silu": (F.silu, TF.silu if torch else None, (), 5, True),
    "gelu": (F.gelu, TF.gelu if torch else None, (), 3, True),
    "elu": (lambda x: F.elu(x, 0.7), (lambda x: TF.elu(x, 0.7)) if torch else None, (0,), 3,
            True),
    "selu": (F.selu, TF.selu if torch else None, (0,), 3, True),
    "celu": (lambda x: F.celu(x, 1.5), (lambda x: TF.celu(x, 1.5)) if torch else None, (0,),
             3, True),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2),
                   (lambda x: TF.leaky_relu(x, 0.2)) if torch else None, (0,), 3, True),
    "softplus": (lambda x: F.softplus(x, 2.0, 5.0),
                 (lambda x: TF.softplus(x, 2.0, 5.0)) if torch else None, (2.5,), 4, True),
    "softplus_default": (F.softplus, TF.softplus if torch else None, (), 30, True),
    "logsigmoid": (F.logsigmoid, TF.logsigmoid if torch else None, (), 40, True),
    "hardtanh": (lambda x: F.hardtanh(x, -0.5, 2.0),
                 (lambda x: TF.hardtanh(x, -0.5, 2.0)) if torch else None, (-0.5, 2), 3, True),
    "hardsigmoid": (F.hardsigmoid, TF.hardsigmoid if torch else None, (-3, 3), 5, False),
    "hardswish": (F.hardswish, TF.hardswish if torch else None, (-3, 3), 5, True),
    "mish": (F.mish, TF.mish if torch else None, (), 5, True),
    "softsign": (F.softsign, TF.softsign if torch else None, (0,), 3, True),
    "tanhshrink": (F.tanhshrink, TF.tanhshrink if torch else None, (), 3, True),
    "threshold": (lambda x: F.threshold(x, 0.3, -2.0),
                  (lambda x: TF.threshold(x, 0.3, -2.0)) if torch else None, (0.3,), 3, True),
    "hardshrink": (F.hardshrink, TF.hardshrink if torch else None, (-0.5, 0.5), 3, True),
    "softshrink": (F.softshrink, TF.softshrink if torch else None, (-0.5, 0.5), 3, True),
    "softmax": (lambda x: F.softmax(x, -1), (lambda x: TF.softmax(x, -1)) if torch else None,
                (), 3, True),
    "log_softmax": (lambda x: F.log_softmax(x, 0),
                    (lambda x: TF.log_softmax(x, 0)) if torch else None, (), 3, True),
    "softmin": (lambda x: F.softmin(x, -1), (lambda x: TF.softmin(x, -1)) if torch else None,
                (), 3, True),
}


def rtol_for(name: str, rtol: float) -> float:
    """torch's hardsigmoid backward multiplies by the float32 constant 1.0f / 6.0f, so its
    float64 gradient is off by 3e-8 relative; ours is the exact 1/6 (a deliberate difference)."""
    return 1e-7 if name.lower() == "hardsigmoid" else rtol


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@given(data=st.data())
def test_activation_gradcheck_and_torch_parity(name, data):
    fn, tfn, kinks, r, smooth = ACTIVATIONS[name]  # smooth: torch has a double backward
    soft = name in ("softmax", "log_softmax", "softmin")
    a = data.draw(arrays(shapes(int(soft), 3, 0, 4), min_value=-r, max_value=r))
    a = away(a, kinks)
    assert mg.gradcheck(fn, [mg.tensor(a, requires_grad=True)])
    if torch is not None:
        compare(fn, tfn, a, double=smooth, rtol=rtol_for(name, 1e-10))


@needs_torch
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_extremes_equal_torch(name):
    fn, tfn, *_ = ACTIVATIONS[name]
    a = np.array([-1e4, -800.0, -50.0, -21.0, -1e-9, 0.0, 1e-9, 19.0, 21.0, 50.0, 800.0, 1e4])
    compare(fn, tfn, a, double=False, rtol=rtol_for(name, 1e-12))


@needs_torch
@given(data=st.data(), dim=st.integers(-2, 1))
def test_glu(data, dim):
    shape = data.draw(st.sampled_from([(2, 4), (4, 2), (4, 6), (2, 0)]))
    a = data.draw(arrays(shape))
    assert mg.gradcheck(lambda x: F.glu(x, dim), [mg.tensor(a, requires_grad=True)])
    compare(lambda x: F.glu(x, dim), lambda x: TF.glu(x, dim), a)


@needs_torch
def test_glu_errors():
    with pytest.raises(RuntimeError, match="Halving dimension must be even"):
        F.glu(mg.ones(3, 3))
    with pytest.raises(RuntimeError, match="scalars"):
        F.glu(mg.tensor(1.0))


def test_inplace_activations_modify_their_input_and_keep_the_graph():
    a = mg.tensor([-1.0, 0.5, 2.0], requires_grad=True)
    for f in (F.relu, F.elu, F.leaky_relu, F.hardtanh, F.silu, F.relu6, F.selu):
        h = a * 1.5
        out = f(h, inplace=True)
        assert out is h
        out.sum().backward()
    expected = a.detach().numpy()
    assert a.grad is not None and expected.shape == a.grad.shape
    with pytest.raises(RuntimeError, match="leaf"):
        F.relu(a, inplace=True)


@needs_torch
def test_inplace_gradient_equals_torch():
    x = np.array([-1.0, 0.5, 2.0])
    a, ta = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    for f, tf in ((F.elu, TF.elu), (F.leaky_relu, TF.leaky_relu), (F.hardtanh, TF.hardtanh)):
        f(a * 1.5, inplace=True).sum().backward()
        tf(ta * 1.5, inplace=True).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-12)


@needs_torch
def test_softmax_dtype_and_implicit_dim():
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    y = F.softmax(mg.tensor(x), dim=1, dtype=mg.float64)
    assert y.dtype == np.float64
    np.testing.assert_allclose(y.numpy(), TF.softmax(torch.tensor(x), 1, dtype=torch.float64))
    with pytest.warns(UserWarning):
        t = TF.softmax(torch.tensor(x))
    with pytest.warns(UserWarning, match="dim=0"):
        np.testing.assert_allclose(F.softmax(mg.tensor(x)).numpy(), t.numpy(), rtol=1e-6)
    with pytest.warns(UserWarning, match="dim=1"):
        a = nn.Softmax()(mg.tensor(x[0])).numpy()
    with pytest.warns(UserWarning):
        np.testing.assert_allclose(a, torch.nn.Softmax()(torch.tensor(x[0])).numpy(), rtol=1e-6)
    x4 = np.random.default_rng(1).standard_normal((2, 3, 2, 2))
    np.testing.assert_allclose(nn.Softmax2d()(mg.tensor(x4)).numpy(),
                               torch.nn.Softmax2d()(torch.tensor(x4)).numpy(), rtol=1e-12)


def test_integer_input_errors():
    with pytest.raises(NotImplementedError):
        F.elu(mg.tensor([1, 2]))
    with pytest.raises(NotImplementedError):
        F.softplus(mg.tensor([1, 2]))
    with pytest.raises(ValueError, match="min_val"):
        F.hardtanh(mg.ones(2), 2.0, 1.0)
    with pytest.raises(AssertionError):
        nn.Hardtanh(2.0, 1.0)


# ----------------------------------------------------------------------------- modules


MODULES = [
    ("ReLU", (), {}), ("ReLU6", (), {}), ("Tanh", (), {}), ("Sigmoid", (), {}),
    ("SiLU", (), {}), ("GELU", ("tanh",), {}), ("ELU", (0.5,), {}), ("SELU", (), {}),
    ("CELU", (2.0,), {}), ("LeakyReLU", (0.3,), {}), ("Softplus", (2.0, 3.0), {}),
    ("LogSigmoid", (), {}), ("GLU", (0,), {}), ("Hardtanh", (-2.0, 0.5), {}),
    ("Hardsigmoid", (), {}), ("Hardswish", (), {}), ("Mish", (), {}), ("Softsign", (), {}),
    ("Tanhshrink", (), {}), ("Threshold", (0.1, 20.0), {}), ("Softmax", (1,), {}),
    ("LogSoftmax", (0,), {}), ("Softmin", (-1,), {}), ("Hardshrink", (0.3,), {}),
    ("Softshrink", (0.3,), {}), ("ReLU", (), {"inplace": True}),
    ("ELU", (), {"alpha": 2.0, "inplace": True}),
]


@needs_torch
@pytest.mark.parametrize("name,args,kwargs", MODULES)
def test_activation_modules_equal_torch(name, args, kwargs):
    x = away(np.random.default_rng(2).standard_normal((4, 6)) * 3, (0, 0.1, 0.3, -0.3))
    m, tm = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(m) == repr(tm)
    compare(lambda a: m(a * 1.0), lambda a: tm(a * 1.0), x, double=False,
            rtol=rtol_for(name, 1e-10))
    assert m.state_dict() == {} and not list(m.parameters())


# ----------------------------------------------------------------------------- linear maps


@needs_torch
@given(data=st.data(), bias=st.booleans())
def test_linear(data, bias):
    lead = data.draw(shapes(0, 2, 0, 3))
    i, o = data.draw(st.integers(1, 4)), data.draw(st.integers(0, 3))
    x, w, b = data.draw(arrays(lead + (i,))), data.draw(arrays((o, i))), data.draw(arrays((o,)))
    args = (x, w, b) if bias else (x, w)
    assert mg.gradcheck(F.linear, [mg.tensor(a, requires_grad=True) for a in args])
    compare(F.linear, TF.linear, *args)


@given(data=st.data(), bias=st.booleans(), transposed=st.booleans())
def test_linear_affine_equals_the_composed_definition(data, bias, transposed):
    """The one-GEMM Affine against ``x @ W.T + b`` (reference mode), float32, on contiguous
    and transposed (batch-first RNN) inputs: values and all three gradients."""
    lead = data.draw(shapes(2, 2, 1, 5))
    i, o = data.draw(st.integers(1, 9)), data.draw(st.integers(1, 9))
    x = data.draw(arrays(lead + (i,), dtype=np.float32))
    w, b = data.draw(arrays((o, i), dtype=np.float32)), data.draw(arrays((o,), dtype=np.float32))
    g = data.draw(arrays(lead[::-1] + (o,) if transposed else lead + (o,), dtype=np.float32))
    out = []
    for ref in (False, True):
        with mg.reference_mode(ref):
            ts = [mg.tensor(a, requires_grad=True) for a in (x, w, b)]
            xin = ts[0].transpose(0, 1) if transposed else ts[0]
            y = F.linear(xin, ts[1], ts[2] if bias else None)
            assert (y.grad_fn.fn.__name__ == "Affine") != ref
            (y * mg.tensor(g)).sum().backward()
            out.append([y.detach().numpy()] + [t.grad.numpy() for t in ts[:2 + bias]])
    for a, r in zip(*out):
        np.testing.assert_allclose(a, r, rtol=1e-5, atol=1e-5)


def test_linear_catches_an_input_changed_in_place():
    x, w = mg.ones(3, 2, requires_grad=True), mg.ones(4, 2, requires_grad=True)
    y = x * 1
    out = F.linear(y, w)
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


@needs_torch
def test_linear_shape_error():
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        F.linear(mg.ones(2, 3), mg.ones(4, 2))
    with pytest.raises(RuntimeError):
        TF.linear(torch.ones(2, 3), torch.ones(4, 2))


@needs_torch
@given(data=st.data(), bias=st.booleans())
def test_bilinear(data, bias):
    lead = data.draw(shapes(1, 2, 1, 3))
    i1, i2, o = (data.draw(st.integers(1, 3)) for _ in range(3))
    args = [data.draw(arrays(lead + (i1,))), data.draw(arrays(lead + (i2,))),
            data.draw(arrays((o, i1, i2)))] + ([data.draw(arrays((o,)))] if bias else [])
    assert mg.gradcheck(F.bilinear, [mg.tensor(a, requires_grad=True) for a in args])
    compare(F.bilinear, TF.bilinear, *args)


# ----------------------------------------------------------------------------- norms, distances


@needs_torch
@given(data=st.data(), p=st.sampled_from([1.0, 2.0, 3.0, float("inf")]))
def test_normalize(data, p):
    shape = data.draw(shapes(1, 3, 1, 4))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    a = away(data.draw(arrays(shape, min_value=0.1, max_value=3)) *
             data.draw(st.sampled_from([1, -1])))
    if p == float("inf"):  # a unique max |x| per slice (amax is a kink at ties)
        a = a + np.arange(a.size).reshape(a.shape) * 1e-2
    f = lambda x: F.normalize(x, p, dim)  # noqa: E731
    assert mg.gradcheck(f, [mg.tensor(a, requires_grad=True)])
    compare(f, lambda x: TF.normalize(x, p, dim), a)


@needs_torch
def test_normalize_and_cosine_similarity_of_a_zero_vector_are_finite_as_torch():
    a = np.array([[0.0, 0.0], [3.0, 4.0]])
    compare(lambda x: F.normalize(x, dim=1), lambda x: TF.normalize(x, dim=1), a, double=False)
    compare(lambda x, y: F.cosine_similarity(x, y), lambda x, y: TF.cosine_similarity(x, y),
            a, a[::-1].copy(), double=False)


@needs_torch
@given(data=st.data())
def test_cosine_similarity(data):
    shape = data.draw(shapes(1, 3, 1, 4))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    other = tuple(1 if (i == 0 and data.draw(st.booleans())) else s for i, s in enumerate(shape))
    a, b = away(data.draw(arrays(shape))), away(data.draw(arrays(other)))  # no zero vectors
    f = lambda x, y: F.cosine_similarity(x, y, dim)  # noqa: E731
    assert mg.gradcheck(f, [mg.tensor(a, requires_grad=True), mg.tensor(b, requires_grad=True)])
    compare(f, lambda x, y: TF.cosine_similarity(x, y, dim), a, b)


@needs_torch
@given(data=st.data(), p=st.sampled_from([1.0, 2.0, 3.0]), keepdim=st.booleans())
def test_pairwise_distance(data, p, keepdim):
    shape = data.draw(st.sampled_from([(3,), (2, 4), (1, 2, 3)]))
    a = data.draw(arrays(shape))
    b = a - away(data.draw(arrays(shape)))  # no zero difference (|.| kink)
    f = lambda x, y: F.pairwise_distance(x, y, p, keepdim=keepdim)  # noqa: E731
    assert mg.gradcheck(f, [mg.tensor(a, requires_grad=True), mg.tensor(b, requires_grad=True)])
    compare(f, lambda x, y: TF.pairwise_distance(x, y, p, keepdim=keepdim), a, b)


# ----------------------------------------------------------------------------- padding


@needs_torch
@given(data=st.data(), mode=st.sampled_from(["constant", "reflect", "replicate", "circular"]))
def test_pad(data, mode):
    k = data.draw(st.integers(1, 3))
    batch = data.draw(st.sampled_from([(), (2,), (1, 2)][: 2 if mode != "constant" else 3]))
    spatial = tuple(data.draw(st.integers(2, 4)) for _ in range(k))
    shape = batch + spatial if mode == "constant" else ((2,) + batch + spatial)[-k - 2:]
    a = data.draw(arrays(shape))
    lo = -1 if mode == "constant" else 0
    hi = 1 if mode == "reflect" else 3  # circular wraps at most once (2 <= every size)
    pads = [data.draw(st.integers(lo, min(hi, 2) if mode == "circular" else hi))
            for _ in range(2 * k)]
    value = 1.5 if mode == "constant" else None
    f = lambda x: F.pad(x, pads, mode, value)  # noqa: E731
    assert mg.gradcheck(f, [mg.tensor(a, requires_grad=True)])
    compare(f, lambda x: TF.pad(x, pads, mode, value), a)


@needs_torch
def test_pad_errors():
    with pytest.raises(RuntimeError, match="divisible by 2"):
        F.pad(mg.ones(2, 2), (1,))
    with pytest.raises(RuntimeError):
        F.pad(mg.ones(2, 2), (2, 2), mode="reflect")
    with pytest.raises(RuntimeError):
        TF.pad(torch.ones(2, 2), (2, 2), mode="reflect")
    for shape, pads in (((1, 1, 2, 2, 2, 2), (1,) * 8), ((2, 2, 2), (1,) * 6), ((3,), (1, 1))):
        with pytest.raises(NotImplementedError, match="not supported"):
            F.pad(mg.ones(*shape), pads, mode="replicate")
        with pytest.raises(NotImplementedError, match="not supported"):
            TF.pad(torch.ones(*shape), pads, mode="replicate")


# ----------------------------------------------------------------------------- embedding


@needs_torch
@given(data=st.data(), padding_idx=st.sampled_from([None, 0, 2, -1]))
def test_embedding_padding_idx_gradient_equals_torch(data, padding_idx):
    w = data.draw(arrays((4, 3)))
    idx = np.array(data.draw(st.lists(st.integers(0, 3), min_size=0, max_size=6)), np.int64)
    idx = idx.reshape(-1, 1) if data.draw(st.booleans()) else idx
    compare(lambda wt: F.embedding(idx, wt, padding_idx),
            lambda wt: TF.embedding(torch.tensor(idx), wt, padding_idx), w, double=False)


@needs_torch
def test_embedding_and_one_hot_errors():
    with pytest.raises(IndexError):
        F.embedding(np.array([4]), mg.ones(4, 2))
    with pytest.raises(RuntimeError):
        F.embedding(np.array([1.0]), mg.ones(4, 2))
    with pytest.raises(RuntimeError):
        TF.embedding(torch.tensor([1.0]), torch.ones(4, 2))
    with pytest.raises(AssertionError):
        F.embedding(np.array([1]), mg.ones(4, 2), padding_idx=4)
    for bad, args in (([-1], ()), ([3], (3,)), ([1.0], ())):
        with pytest.raises(RuntimeError):
            F.one_hot(mg.tensor(bad), *args)
        with pytest.raises(RuntimeError):
            TF.one_hot(torch.tensor(bad), *args)
    with pytest.raises(RuntimeError, match="empty"):
        F.one_hot(mg.tensor(np.zeros(0, np.int64)))
    np.testing.assert_array_equal(F.one_hot(mg.tensor([[2], [0]]), 4).numpy(),
                                  TF.one_hot(torch.tensor([[2], [0]]), 4).numpy())


@needs_torch
@pytest.mark.parametrize("name,args,shape", [
    ("ConstantPad1d", ((1, 2), 3.5), (2, 3)), ("ConstantPad2d", (1, -1.0), (1, 2, 3)),
    ("ConstantPad3d", ((1, 0, 0, 1, 2, 0), 0.5), (2, 2, 2)), ("ZeroPad1d", (2,), (1, 3)),
    ("ZeroPad2d", ((1, 2, 0, 1),), (1, 2, 2)), ("ZeroPad3d", (1,), (1, 2, 2, 2)),
    ("ReflectionPad1d", (2,), (1, 2, 3)), ("ReflectionPad2d", ((1, 0, 2, 1),), (1, 3, 3)),
    ("ReflectionPad3d", (1,), (1, 1, 2, 2, 2)), ("ReplicationPad1d", ((3, 1),), (2, 2)),
    ("ReplicationPad2d", (2,), (1, 1, 2, 3)), ("ReplicationPad3d", (1,), (1, 2, 2, 2)),
    ("CircularPad1d", (2,), (1, 2, 3)), ("CircularPad2d", ((1, 2, 2, 1),), (1, 1, 3, 3)),
    ("CircularPad3d", (1,), (1, 2, 2, 2)),
])
def test_padding_modules_equal_torch(name, args, shape):
    m, tm = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(m) == repr(tm)
    x = np.random.default_rng(4).standard_normal(shape)
    compare(lambda a: m(a), lambda a: tm(a), x)


@needs_torch
def test_distance_and_bilinear_modules_equal_torch():
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    for name, kw in (("CosineSimilarity", {"dim": 0}), ("PairwiseDistance", {"p": 3.0,
                                                                             "keepdim": True})):
        m, tm = getattr(nn, name)(**kw), getattr(torch.nn, name)(**kw)
        assert repr(m) == repr(tm)
        compare(lambda u, v, m=m: m(u, v), lambda u, v, tm=tm: tm(u, v), a, b)
    m, tm = nn.Bilinear(4, 4, 2, dtype=mg.float64), torch.nn.Bilinear(4, 4, 2)
    assert repr(m) == repr(tm)
    assert {k: v.shape for k, v in m.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in tm.state_dict().items()}
    m.load_state_dict({k: mg.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    np.testing.assert_allclose(m(mg.tensor(a), mg.tensor(b)).detach().numpy(),
                               tm(torch.tensor(a), torch.tensor(b)).detach().numpy(),
                               rtol=1e-12)
    bound = np.abs(m.weight.detach().numpy()).max()
    assert bound <= 0.5  # U(-1/sqrt(in1), 1/sqrt(in1))


@needs_torch
@given(data=st.data(), per_channel=st.booleans())
def test_prelu(data, per_channel):
    shape = data.draw(st.sampled_from([(2, 3), (1, 3, 2), (3,), (2, 3, 1, 2)]))
    c = shape[1] if len(shape) >= 2 else 1  # torch: fewer than 2 dims means one channel
    x = away(data.draw(arrays(shape)))
    w = data.draw(arrays((c if per_channel else 1,), min_value=-1, max_value=1))
    assert mg.gradcheck(F.prelu, [mg.tensor(x, requires_grad=True),
                                  mg.tensor(w, requires_grad=True)])
    compare(F.prelu, TF.prelu, x, w)
    m, tm = nn.PReLU(len(w), dtype=mg.float64), torch.nn.PReLU(len(w))
    assert repr(m) == repr(tm)
    compare(lambda a: m(a), lambda a: tm(a), x)
    with pytest.raises(RuntimeError, match="channel"):
        F.prelu(mg.ones(2, 3), mg.ones(2))


@needs_torch
def test_inplace_function_aliases_equal_torch():
    x = np.array([-2.0, -0.5, 0.5, 2.0])
    for name, args in (("relu_", ()), ("elu_", (0.5,)), ("selu_", ()), ("celu_", (2.0,)),
                       ("leaky_relu_", (0.1,)), ("hardtanh_", (-1.0, 1.0)),
                       ("threshold_", (0.0, -3.0))):
        a, t = mg.tensor(x), torch.tensor(x)
        getattr(F, name)(a, *args)
        getattr(TF, name)(t, *args)
        np.testing.assert_allclose(a.numpy(), t.numpy(), rtol=1e-12)


@needs_torch
@given(data=st.data(), padding_idx=st.sampled_from([None, 1]), max_norm=st.sampled_from(
    [None, 0.8]))
def test_embedding_scale_grad_by_freq_and_max_norm_equal_torch(data, padding_idx, max_norm):
    w = data.draw(arrays((4, 3)))
    idx = np.array(data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=8)), np.int64)
    idx = idx.reshape(-1, 1) if data.draw(st.booleans()) else idx
    mw, tw = mg.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    y = F.embedding(idx, mw, padding_idx, max_norm, scale_grad_by_freq=True)
    ty = TF.embedding(torch.tensor(idx), tw, padding_idx, max_norm, scale_grad_by_freq=True)
    np.testing.assert_allclose(mw.detach().numpy(), tw.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12)
    g = np.random.default_rng(0).standard_normal(y.shape)
    (y * mg.tensor(g)).sum().backward()
    (ty * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(mw.grad.numpy(), tw.grad.numpy(), rtol=1e-12, atol=1e-15)
    m = nn.Embedding(4, 3, padding_idx, max_norm, scale_grad_by_freq=True)
    assert repr(m) == repr(torch.nn.Embedding(4, 3, padding_idx, max_norm,
                                              scale_grad_by_freq=True))


@needs_torch
@pytest.mark.parametrize("shape", [(0, 4), (2, 0, 4), (4,), (1, 1, 4)])
def test_linear_affine_edge_shapes(shape):
    """The one-GEMM Affine on an empty batch, a batch dim of size 0, a 1-D input and size-1
    dims: gradients by finite differences, values and gradients against torch."""
    rng = np.random.default_rng(0)
    args = [rng.standard_normal(shape), rng.standard_normal((3, 4)), rng.standard_normal(3)]
    assert F.linear(*[mg.tensor(a) for a in args]).shape == shape[:-1] + (3,)
    assert mg.gradcheck(F.linear, [mg.tensor(a, requires_grad=True) for a in args])
    compare(F.linear, TF.linear, *args)
