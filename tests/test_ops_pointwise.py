"""Pointwise ops (minigrad/ops/pointwise.py): gradcheck over random shapes (size-0, size-1,
0-d), values, gradients and double backward equal to torch's, dtypes, and torch's errors.
Inputs are shifted into each op's smooth domain instead of loosening tolerances."""
import math

import numpy as np
import pytest
from conftest import needs_torch, torch
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.kernels.erf import erfc_numba, erfc_ref
from minigrad.testing import arrays, broadcastable_shapes, shapes


def away_from(a, points=(0.0,), gap=0.05):
    """Move values within ``gap`` of a kink (or a jump) by 2*gap."""
    a = np.array(a, dtype=np.float64)
    for p in points:
        near = np.abs(a - p) < gap
        a[near] = p + np.where(a[near] >= p, 2 * gap, -2 * gap)
    return a


def away_from_integers(a, gap=0.05):
    """Values at least ``gap`` from every integer (rounding ops jump there)."""
    a = np.array(a, dtype=np.float64)
    f = a - np.round(a)
    return np.where(np.abs(f) < gap, np.round(a) + np.where(f >= 0, 2 * gap, -2 * gap), a)


def positive(a):
    return np.abs(a) + 0.5


def unit(a):
    return np.tanh(a) * 0.9  # inside (-1, 1), away from the ends


# name -> (minigrad fn, torch fn, domain fix, differentiable twice)
UNARY = {
    "log1p": (mg.log1p, "log1p", lambda a: np.abs(a) - 0.5, True),
    "expm1": (mg.expm1, "expm1", None, True),
    "exp2": (mg.exp2, "exp2", None, True),
    "log2": (mg.log2, "log2", positive, True),
    "log10": (lambda x: x.log10(), "log10", positive, True),
    "rsqrt": (mg.rsqrt, "rsqrt", positive, True),
    "square": (mg.square, "square", None, True),
    "reciprocal": (mg.reciprocal, "reciprocal", positive, True),
    "sinh": (mg.sinh, "sinh", None, True),
    "cosh": (mg.cosh, "cosh", None, True),
    "asin": (mg.asin, "asin", unit, True),
    "acos": (lambda x: x.acos(), "acos", unit, True),
    "atan": (mg.atan, "atan", None, True),
    "erf": (mg.erf, "erf", None, True),
    "erfc": (lambda x: x.erfc(), "erfc", None, True),
    "neg": (mg.neg, "neg", None, True),
    "negative": (lambda x: x.negative(), "negative", None, True),
    "frac": (mg.frac, "frac", away_from_integers, True),
    "nan_to_num": (mg.nan_to_num, "nan_to_num", None, True),
    "floor": (mg.floor, "floor", away_from_integers, False),
    "ceil": (lambda x: x.ceil(), "ceil", away_from_integers, False),
    "trunc": (mg.trunc, "trunc", away_from_integers, False),
    "round": (mg.round, "round", away_from_integers, False),
    "round_decimals": (lambda x: x.round(decimals=1), lambda x: torch.round(x, decimals=1),
                       lambda a: away_from_integers(a * 10 + 0.5) / 10 - 0.05, False),
    "sign": (mg.sign, "sign", away_from, False),
    "sgn": (lambda x: x.sgn(), "sgn", away_from, False),
    "clamp_min": (lambda x: mg.clamp_min(x, 0.5), lambda x: torch.clamp_min(x, 0.5),
                  lambda a: away_from(a, (0.5,)), True),
    "clamp_max": (lambda x: x.clamp_max(-0.5), lambda x: torch.clamp_max(x, -0.5),
                  lambda a: away_from(a, (-0.5,)), True),
}


def _torch_fn(spec):
    return getattr(torch, spec) if isinstance(spec, str) else spec


def _fix(fix, a):
    return np.asarray(a, np.float64) if fix is None else fix(a)


def _pattern(shape, phase=0.0):
    return np.cos(np.arange(int(np.prod(shape)), dtype=np.float64) + phase).reshape(shape) + 1.5


def _np(t):
    """A torch tensor's values (torch's sgn backward gives a ZeroTensor numpy() refuses)."""
    t = t.detach()
    return t.numpy() if not t._is_zerotensor() else np.zeros(tuple(t.shape))


def assert_torch_parity(fn, tfn, arrays_, double=True, rtol=1e-7, atol=1e-10):
    """Values, gradients of sum(out * w) and (with ``double``) the gradient of
    sum(grad * w2) equal torch's, in float64."""
    xs = [mg.tensor(a, dtype=np.float64, requires_grad=True) for a in arrays_]
    ts = [torch.tensor(np.asarray(a, np.float64), requires_grad=True) for a in arrays_]
    out, tout = fn(*xs), tfn(*ts)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=rtol, atol=atol)
    assert out.shape == tuple(tout.shape) and out.dtype == np.float64
    w = _pattern(out.shape)
    gs = mg.grad((out * mg.tensor(w)).sum(), xs, create_graph=double, allow_unused=True)
    tgs = torch.autograd.grad((tout * torch.tensor(w)).sum(), ts, create_graph=double,
                              allow_unused=True)
    for g, tg in zip(gs, tgs):
        if tg is None:
            assert g is None or not np.any(g.detach().numpy())
        else:
            np.testing.assert_allclose(g.detach().numpy(), _np(tg), rtol=rtol,
                                       atol=atol)
    if not double:
        return
    live = [(g, tg, x, t) for g, tg, x, t in zip(gs, tgs, xs, ts)
            if tg is not None and tg.requires_grad]
    if not live:
        return
    v = sum((g * mg.tensor(_pattern(g.shape, 1.0))).sum() for g, _, _, _ in live)
    tv = sum((tg * torch.tensor(_pattern(tuple(tg.shape), 1.0))).sum() for _, tg, _, _ in live)
    tgg = torch.autograd.grad(tv, ts, allow_unused=True)
    if not v.requires_grad:  # minigrad records no graph where torch's second derivative is 0
        assert all(tg is None or not np.any(_np(tg)) for tg in tgg)
        return
    gg = mg.grad(v, xs, allow_unused=True)
    for g, tg in zip(gg, tgg):
        if tg is None:
            assert g is None or not np.any(g.detach().numpy())
        else:
            assert g is not None
            np.testing.assert_allclose(g.detach().numpy(), _np(tg), rtol=rtol, atol=atol)


# ---------------------------------------------------------------------------- one input
@pytest.mark.parametrize("name", sorted(UNARY))
@given(a=arrays(shapes(0, 3, min_side=0)))
def test_unary_gradcheck(name, a):
    fn, _, fix, _ = UNARY[name]
    x = mg.tensor(_fix(fix, a), requires_grad=True)
    assert mg.gradcheck(fn, [x])


@needs_torch
@pytest.mark.parametrize("name", sorted(UNARY))
@given(a=arrays(shapes(0, 3, min_side=0)))
def test_unary_matches_torch(name, a):
    fn, tspec, fix, twice = UNARY[name]
    assert_torch_parity(fn, _torch_fn(tspec), [_fix(fix, a)], double=twice)


@needs_torch
@pytest.mark.parametrize("name", ["floor", "ceil", "trunc", "round", "sign", "sgn"])
def test_rounding_has_zero_gradient_and_a_grad_fn_as_torch(name):
    x = mg.tensor([1.5, -2.5, 0.25], requires_grad=True)
    y = getattr(x, name)()
    ty = getattr(torch.tensor([1.5, -2.5, 0.25], requires_grad=True), name)()
    assert y.requires_grad == ty.requires_grad and (y.grad_fn is None) == (ty.grad_fn is None)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(3))


@needs_torch
def test_special_values_match_torch():
    vals = np.array([0.0, -0.0, 1.0, -1.0, 2.5, -2.5, 0.5, 1e-20, np.inf, -np.inf, np.nan, 30.0,
                     -30.0, 1e300])
    t = torch.tensor(vals)
    x = mg.tensor(vals)
    for name in ("log1p", "expm1", "exp2", "log2", "log10", "rsqrt", "square", "reciprocal",
                 "sinh", "cosh", "asin", "acos", "atan", "erf", "erfc", "floor", "ceil", "trunc",
                 "round", "sign", "sgn", "frac", "nan_to_num", "isnan", "isinf", "isfinite",
                 "isposinf", "isneginf", "logical_not"):
        with np.errstate(all="ignore"):
            got = getattr(x, name)().numpy()
        want = getattr(t, name)().numpy()
        np.testing.assert_allclose(got, want, rtol=1e-14, atol=0, err_msg=name)
        assert got.dtype == want.dtype, name
    np.testing.assert_array_equal(x.nan_to_num(1.0, 2.0, -3.0).numpy(),
                                  t.nan_to_num(1.0, 2.0, -3.0).numpy())
    for d in (-2, -1, 1, 2, 3):
        halves = np.array([2.5, 0.125, 1234.5, -0.35, 1250.0, 0.045, -25.0])
        np.testing.assert_array_equal(mg.tensor(halves).round(decimals=d).numpy(),
                                      torch.tensor(halves).round(decimals=d).numpy())


@pytest.fixture
def torch_float32_default():
    """torch's own default dtype (float32, as minigrad's) for the dtype-promotion tests."""
    torch.set_default_dtype(torch.float32)
    yield
    torch.set_default_dtype(torch.float64)


@needs_torch
@pytest.mark.parametrize("dtype", ["int64", "int32", "bool", "float32"])
def test_unary_dtypes_match_torch(dtype, torch_float32_default):
    data = np.array([1, 0, 3]) if dtype != "bool" else np.array([True, False, True])
    x, t = mg.tensor(data.astype(dtype)), torch.tensor(data.astype(dtype))
    names = ("log1p", "expm1", "exp2", "log2", "log10", "rsqrt", "square", "reciprocal", "sinh",
             "cosh", "asin", "acos", "atan", "erf", "erfc", "neg", "floor", "ceil", "trunc",
             "round", "sign", "sgn", "frac", "nan_to_num", "isnan", "isinf", "isfinite",
             "isposinf", "isneginf", "logical_not")
    for name in names:
        try:
            want = getattr(t, name)()
        except (RuntimeError, NotImplementedError, TypeError) as e:
            with pytest.raises(type(e)):
                with np.errstate(all="ignore"):
                    getattr(x, name)()
            continue
        with np.errstate(all="ignore"):
            got = getattr(x, name)()
        assert str(got.dtype) == str(want.dtype).removeprefix("torch."), name
        np.testing.assert_allclose(got.numpy().astype(np.float64),
                                   want.numpy().astype(np.float64), rtol=1e-6, err_msg=name)


def test_erfc_kernel_equals_reference():
    x = np.concatenate([np.linspace(-30, 30, 2001), [0.0, -0.0, np.inf, -np.inf, 27.29, 27.31]])
    ref, ker = erfc_ref(x), erfc_numba(x)
    exact = np.array([math.erfc(v) for v in x])
    tiny = np.finfo(np.float64).tiny
    assert np.max(np.abs(ref - exact) / np.maximum(np.abs(exact), tiny)) < 1e-13
    np.testing.assert_array_equal(ker, exact)
    assert np.isnan(erfc_ref(np.array([np.nan]))[0])
    with mg.reference_mode():
        slow = mg.erfc(mg.tensor(x)).numpy()
    np.testing.assert_allclose(slow, mg.erfc(mg.tensor(x)).numpy(), rtol=1e-13, atol=0)


def test_nn_erf_is_the_engine_op():
    from minigrad.kernels import erf as erf_kernels
    from minigrad.ops import pointwise
    from nn import erf as nn_erf

    assert nn_erf.Erf is pointwise.Erf and nn_erf.erf_ref is erf_kernels.erf_ref


# ---------------------------------------------------------------------------- two inputs
BINARY = {
    "logaddexp": (mg.logaddexp, torch.logaddexp if torch else None, None),
    "xlogy": (mg.xlogy, torch.xlogy if torch else None,
              lambda a, b: (away_from(a), positive(b))),
    "atan2": (mg.atan2, torch.atan2 if torch else None,
              lambda a, b: (positive(a), b)),
    "remainder": (mg.remainder, torch.remainder if torch else None,
                  lambda a, b: (a, positive(b) * np.sign(away_from(b)))),
    "fmod": (lambda a, b: a.fmod(b), torch.fmod if torch else None,
             lambda a, b: (a, positive(b) * np.sign(away_from(b)))),
    "mod_operator": (lambda a, b: a % b, lambda a, b: a % b,
                     lambda a, b: (a, positive(b))),
}


def _fix2(name, a, b):
    fix = BINARY[name][2]
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    a, b = (a, b) if fix is None else fix(a, b)
    if name in ("remainder", "fmod", "mod_operator"):  # keep a / b away from the jumps
        q = a / b
        a = np.where(np.abs(q - np.round(q)) < 0.05, a + 0.2 * b, a)
    return a, b


@st.composite
def two_arrays(draw):
    sa, sb = draw(broadcastable_shapes(2, 0, 3))
    return draw(arrays(st.just(sa))), draw(arrays(st.just(sb)))


@pytest.mark.parametrize("name", sorted(BINARY))
@given(ab=two_arrays())
def test_binary_gradcheck(name, ab):
    a, b = _fix2(name, *ab)
    xs = [mg.tensor(a, requires_grad=True), mg.tensor(b, requires_grad=True)]
    assert mg.gradcheck(BINARY[name][0], xs)


@needs_torch
@pytest.mark.parametrize("name", sorted(BINARY))
@given(ab=two_arrays())
def test_binary_matches_torch(name, ab):
    fn, tfn, _ = BINARY[name]
    assert_torch_parity(fn, tfn, list(_fix2(name, *ab)))


@needs_torch
def test_binary_special_values_match_torch():
    inf, nan = np.inf, np.nan
    a = np.array([0.0, 0.0, 1.0, -inf, -inf, inf, nan, 2.0, -3.5, 0.0, 5.0, -5.0])
    b = np.array([nan, 0.0, 0.0, -inf, 2.0, inf, 1.0, -inf, 2.0, -1.0, -3.0, 3.0])
    x, y, s, t = mg.tensor(a), mg.tensor(b), torch.tensor(a), torch.tensor(b)
    with np.errstate(all="ignore"):
        for name in ("logaddexp", "xlogy", "atan2", "remainder", "fmod", "floor_divide"):
            np.testing.assert_allclose(getattr(mg, name)(x, y).numpy(),
                                       getattr(torch, name)(s, t).numpy(), rtol=1e-15,
                                       err_msg=name)


@needs_torch
def test_binary_dtypes_scalars_and_integers_match_torch(torch_float32_default):
    i, j = np.array([7, -7, 3, 0]), np.array([2, 3, -2, 5])
    f = np.array([1.5, -2.0, 0.25, 3.0], np.float32)
    cases = [(i, j), (i, 2), (i, 2.5), (f, i), (f, 2), (3, f), (2.5, i)]
    for name in ("xlogy", "atan2", "remainder", "fmod", "floor_divide", "logaddexp"):
        for a, b in cases:
            ta = torch.tensor(a) if isinstance(a, np.ndarray) else a
            tb = torch.tensor(b) if isinstance(b, np.ndarray) else b
            ma = mg.tensor(a) if isinstance(a, np.ndarray) else a
            mb = mg.tensor(b) if isinstance(b, np.ndarray) else b
            try:
                want = getattr(torch, name)(ta, tb)
            except (RuntimeError, NotImplementedError, TypeError) as e:
                with pytest.raises(type(e)):
                    getattr(mg, name)(ma, mb)
                continue
            with np.errstate(all="ignore"):
                got = getattr(mg, name)(ma, mb)
            assert str(got.dtype) == str(want.dtype).removeprefix("torch."), (name, a, b)
            np.testing.assert_allclose(got.numpy().astype(np.float64),
                                       want.numpy().astype(np.float64), rtol=1e-6,
                                       err_msg=f"{name}{(a, b)}")


def test_integer_division_by_zero_raises_like_torch():
    x = mg.tensor([3, 4])
    for name in ("remainder", "fmod", "floor_divide"):
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            getattr(mg, name)(x, 0)
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        x % mg.tensor([1, 0])


def test_floor_divide_has_no_derivative_like_torch():
    x = mg.tensor([3.5, -4.0], requires_grad=True)
    y = x // 2
    np.testing.assert_array_equal(y.detach().numpy(), [1.0, -2.0])
    assert y.requires_grad
    with pytest.raises(RuntimeError, match="floor_divide"):
        y.sum().backward()


def test_binary_shape_mismatch_raises():
    with pytest.raises(RuntimeError, match="xlogy"):
        mg.xlogy(mg.ones(2, 3), mg.ones(4))
    with pytest.raises(TypeError, match="input"):
        mg.log1p(2.0)


# ---------------------------------------------------------------------------- three inputs
@st.composite
def three_arrays(draw):
    shapes_ = draw(broadcastable_shapes(3, 0, 3))
    return [draw(arrays(st.just(s))) for s in shapes_]


TERNARY = {
    "addcmul": (lambda x, a, b: mg.addcmul(x, a, b, value=-0.7),
                lambda x, a, b: torch.addcmul(x, a, b, value=-0.7), None),
    "addcdiv": (lambda x, a, b: x.addcdiv(a, b, value=1.3),
                lambda x, a, b: torch.addcdiv(x, a, b, value=1.3),
                lambda x, a, b: (x, a, positive(b))),
    "lerp": (mg.lerp, torch.lerp if torch else None, lambda x, e, w: (x, e, w / 2)),
}


@pytest.mark.parametrize("name", sorted(TERNARY))
@given(abc=three_arrays())
def test_ternary_gradcheck(name, abc):
    fn, _, fix = TERNARY[name]
    abc = abc if fix is None else fix(*abc)
    assert mg.gradcheck(fn, [mg.tensor(a, dtype=np.float64, requires_grad=True) for a in abc])


@needs_torch
@pytest.mark.parametrize("name", sorted(TERNARY))
@given(abc=three_arrays())
def test_ternary_matches_torch(name, abc):
    fn, tfn, fix = TERNARY[name]
    abc = abc if fix is None else fix(*abc)
    if name == "lerp":  # torch's lerp does not broadcast the start to the result's shape
        shape = np.broadcast_shapes(*(np.shape(a) for a in abc))
        abc = [np.broadcast_to(abc[0], shape).copy(), *abc[1:]]
    assert_torch_parity(fn, tfn, abc)


@needs_torch
def test_lerp_scalar_weight_and_rounding_match_torch():
    s = np.array([1.0, -3.0, 1e8, 0.1], np.float32)
    e = np.array([2.0, 5.0, -1e-8, 0.3], np.float32)
    for w in (0.0, 0.3, 0.5, 0.75, 1.0, 1.5, -0.5):
        np.testing.assert_array_equal(mg.lerp(mg.tensor(s), mg.tensor(e), w).numpy(),
                                      torch.lerp(torch.tensor(s), torch.tensor(e), w).numpy())


def test_ternary_errors_like_torch():
    i = mg.tensor([1, 2])
    with pytest.raises(RuntimeError, match="Integer division with addcdiv"):
        mg.addcdiv(i, i, i)
    with pytest.raises(NotImplementedError, match="lerp"):
        mg.lerp(i, i, 0.5)
    with pytest.raises(RuntimeError, match="dtype"):
        mg.lerp(mg.tensor([1.0]), mg.tensor([1]), 0.5)
    with pytest.raises(RuntimeError, match="addcmul"):
        mg.addcmul(mg.ones(2), mg.ones(3), mg.ones(2))
    assert mg.addcmul(i, i, i, value=2).dtype == np.int64


# ---------------------------------------------------------------------------- tests, logic
@needs_torch
def test_logical_ops_match_torch():
    a = np.array([[0.0, 1.0, -2.0], [np.nan, 0.0, 3.0]])
    b = np.array([0, 5, 0])
    for name in ("logical_and", "logical_or", "logical_xor"):
        got = getattr(mg, name)(mg.tensor(a), mg.tensor(b))
        want = getattr(torch, name)(torch.tensor(a), torch.tensor(b))
        np.testing.assert_array_equal(got.numpy(), want.numpy())
        assert got.dtype == np.bool_ and not got.requires_grad
    x = mg.tensor(a, requires_grad=True)
    for name in ("isnan", "isinf", "isfinite", "isposinf", "isneginf", "logical_not"):
        y = getattr(x, name)()
        assert y.dtype == np.bool_ and not y.requires_grad and y.grad_fn is None
    with pytest.raises(RuntimeError, match="logical_and"):
        mg.logical_and(mg.ones(2), mg.ones(3))


def test_0d_and_empty_keep_shape():
    for t in (mg.tensor(0.5, dtype=np.float64), mg.zeros(0, 3, dtype=np.float64)):
        for name in ("log1p", "erf", "floor", "isnan", "sign", "square"):
            assert getattr(mg, name)(t).shape == t.shape
        assert mg.logaddexp(t, t).shape == t.shape
        assert mg.addcmul(t, t, t).shape == t.shape


def test_in_place_variants():
    x = mg.tensor([1.5, -2.5])
    x.floor_()
    np.testing.assert_array_equal(x.numpy(), [1.0, -3.0])
    x.reciprocal_()
    np.testing.assert_allclose(x.numpy(), [1.0, -1 / 3])
    z = mg.tensor([0.2, -0.5])
    z.log1p_()
    np.testing.assert_allclose(z.numpy(), np.log1p([0.2, -0.5]), rtol=1e-6)
    z.nan_to_num_().round_(decimals=2).clamp_min_(0.0)
    np.testing.assert_allclose(z.numpy(), [0.18, 0.0], rtol=1e-6)


def test_neg_of_bool_raises_like_torch():
    with pytest.raises(RuntimeError, match="logical_not"):
        mg.neg(mg.tensor([True]))


@pytest.mark.parametrize("shape", [(0,), (2, 0), (0, 1, 3)])
def test_binary_and_ternary_on_empty_tensors_give_empty_gradients(shape):
    fns = [v[0] for v in BINARY.values()] + [v[0] for v in TERNARY.values()]
    for fn in fns:
        n = 3 if fn in [v[0] for v in TERNARY.values()] else 2
        xs = [mg.zeros(*shape, dtype=np.float64, requires_grad=True) for _ in range(n)]
        out = fn(*xs)
        assert out.shape == shape
        out.sum().backward()
        assert all(x.grad is None or x.grad.shape == shape for x in xs)
