"""nn.init: torch's formulas and fan rules, checked statistically against torch's own samples;
in place on Parameters under grad mode, returning the tensor."""
import math
import warnings

import numpy as np
import pytest
from conftest import needs_torch, torch

import minigrad as mg
import nn
from nn import init

N_BIG = (300, 400)  # 120 000 samples per draw


def _np(t):
    return t.detach().numpy()


def ks_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic: the largest gap between the empirical CDFs."""
    a, b = np.sort(a.ravel()), np.sort(b.ravel())
    grid = np.concatenate([a, b])
    return float(np.abs(np.searchsorted(a, grid, "right") / a.size
                        - np.searchsorted(b, grid, "right") / b.size).max())


def ks_limit(n: int, m: int, alpha: float = 1e-4) -> float:
    return math.sqrt(-math.log(alpha / 2) / 2) * math.sqrt((n + m) / (n * m))


@needs_torch
@pytest.mark.parametrize("nl,param", [("linear", None), ("conv2d", None), ("sigmoid", None),
                                      ("tanh", None), ("relu", None), ("leaky_relu", None),
                                      ("leaky_relu", 0.2), ("leaky_relu", 3), ("selu", None)])
def test_calculate_gain_equals_torch(nl, param):
    assert init.calculate_gain(nl, param) == torch.nn.init.calculate_gain(nl, param)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", True)


# (name, kwargs, shape, expected support bound or None, expected std)
def _cases():
    fi, fo = 400, 300
    conv_fi, conv_fo = 32 * 9, 64 * 9
    g_leaky02 = math.sqrt(2 / (1 + 0.2 ** 2))
    return [
        ("uniform_", dict(a=-0.3, b=0.7), N_BIG, (-0.3, 0.7), 1 / math.sqrt(12)),
        ("normal_", dict(mean=0.5, std=2.0), N_BIG, None, 2.0),
        ("xavier_uniform_", dict(), N_BIG, math.sqrt(6 / (fi + fo)), math.sqrt(2 / (fi + fo))),
        ("xavier_uniform_", dict(gain=5 / 3), (64, 32, 3, 3),
         5 / 3 * math.sqrt(6 / (conv_fi + conv_fo)), 5 / 3 * math.sqrt(2 / (conv_fi + conv_fo))),
        ("xavier_normal_", dict(gain=2.0), N_BIG, None, 2 * math.sqrt(2 / (fi + fo))),
        ("kaiming_uniform_", dict(), N_BIG, math.sqrt(3) * math.sqrt(2 / (1 + 0.0)) / math.sqrt(fi),
         math.sqrt(2) / math.sqrt(fi)),
        ("kaiming_uniform_", dict(a=math.sqrt(5)), N_BIG, 1 / math.sqrt(fi),
         1 / math.sqrt(3 * fi)),
        ("kaiming_uniform_", dict(a=0.2, mode="fan_out"), (64, 32, 3, 3),
         math.sqrt(3) * g_leaky02 / math.sqrt(conv_fo), g_leaky02 / math.sqrt(conv_fo)),
        ("kaiming_normal_", dict(mode="fan_out", nonlinearity="relu"), N_BIG, None,
         math.sqrt(2) / math.sqrt(fo)),
        ("kaiming_normal_", dict(nonlinearity="tanh"), (64, 32, 3, 3), None,
         5 / 3 / math.sqrt(conv_fi)),
        ("kaiming_normal_", dict(nonlinearity="selu", mode="fan_in"), N_BIG, None,
         0.75 / math.sqrt(fi)),
    ]


@pytest.mark.parametrize("name,kw,shape,bound,std", _cases())
def test_distribution_follows_torchs_formula(name, kw, shape, bound, std):
    t = mg.zeros(*shape)
    out = getattr(init, name)(t, **kw)
    x = _np(out).astype(np.float64).ravel()
    assert out is t and out.dtype == np.float32
    # sampling error of a std estimate ~ 1/sqrt(2n) = 0.2 %; a wrong formula is off by far more
    assert abs(x.std() / std - 1) < 0.015
    if bound is not None:
        lo, hi = bound if isinstance(bound, tuple) else (-bound, bound)
        assert lo <= x.min() < lo + 0.01 * (hi - lo) and hi - 0.01 * (hi - lo) < x.max() <= hi
        np.testing.assert_allclose(x.mean(), (lo + hi) / 2, atol=0.02 * (hi - lo))


@needs_torch
@pytest.mark.parametrize("name,kw,shape,bound,std", _cases())
def test_distribution_equals_torchs_samples(name, kw, shape, bound, std):
    torch.manual_seed(0)
    ours = _np(getattr(init, name)(mg.zeros(*shape), **kw))
    theirs = getattr(torch.nn.init, name)(torch.zeros(*shape), **kw).numpy()
    assert ks_distance(ours, theirs) < ks_limit(ours.size, theirs.size)


@needs_torch
@pytest.mark.parametrize("mean,std,a,b", [(0.0, 1.0, -2.0, 2.0), (0.5, 2.0, -1.0, 3.0),
                                          (0.0, 0.02, -0.04, 0.04), (1.0, 1.0, 0.0, 1.5)])
def test_trunc_normal_equals_torch(mean, std, a, b):
    torch.manual_seed(0)
    ours = _np(init.trunc_normal_(mg.zeros(*N_BIG), mean, std, a, b))
    theirs = torch.nn.init.trunc_normal_(torch.zeros(*N_BIG), mean, std, a, b).numpy()
    assert a <= ours.min() and ours.max() <= b
    assert ks_distance(ours, theirs) < ks_limit(ours.size, theirs.size)


def test_trunc_normal_refuses_a_vanishing_interval():
    with pytest.raises(ValueError, match="mass"):
        init.trunc_normal_(mg.zeros(3), mean=0.0, std=1.0, a=6.0, b=7.0)
    with pytest.raises(ValueError, match="a < b"):
        init.trunc_normal_(mg.zeros(3), a=1.0, b=1.0)


@pytest.mark.parametrize("shape,gain", [((5, 8), 1.0), ((8, 5), 2.0), ((4, 3, 2), 0.5),
                                        ((1, 6), 1.0), ((6, 1), 3.0)])
def test_orthogonal(shape, gain):
    t = nn.Parameter(np.zeros(shape))
    assert init.orthogonal_(t, gain=gain) is t
    q = _np(t).reshape(shape[0], -1)
    small = q @ q.T if q.shape[0] <= q.shape[1] else q.T @ q
    np.testing.assert_allclose(small, gain ** 2 * np.eye(len(small)), atol=1e-12)
    again = _np(init.orthogonal_(mg.zeros(*shape, dtype=np.float64), gain=gain))
    assert not np.allclose(again, _np(t))  # a fresh random matrix each call
    with pytest.raises(ValueError, match="2 or more dimensions"):
        init.orthogonal_(mg.zeros(3))


@needs_torch
def test_orthogonal_columns_are_haar_like_torch():
    torch.manual_seed(0)
    ours = np.concatenate([_np(init.orthogonal_(mg.zeros(6, 6, dtype=np.float64))).ravel()
                           for _ in range(2000)])
    theirs = np.concatenate([torch.nn.init.orthogonal_(torch.zeros(6, 6)).numpy().ravel()
                             for _ in range(2000)])
    assert ks_distance(ours, theirs) < ks_limit(ours.size, theirs.size)


@needs_torch
@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4)])
def test_eye_constant_ones_zeros_equal_torch(shape):
    np.testing.assert_array_equal(_np(init.eye_(mg.zeros(*shape))),
                                  torch.nn.init.eye_(torch.zeros(*shape)).numpy())
    assert _np(init.constant_(mg.zeros(*shape), 0.25)).tolist() == \
        torch.nn.init.constant_(torch.zeros(*shape), 0.25).tolist()
    assert _np(init.ones_(mg.zeros(*shape))).sum() == math.prod(shape)
    assert not _np(init.zeros_(mg.ones(*shape))).any()
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions"):
        init.eye_(mg.zeros(2, 2, 2))


@pytest.mark.parametrize("fn", [
    lambda t: init.uniform_(t, -1, 1), lambda t: init.normal_(t), init.xavier_uniform_,
    init.xavier_normal_, init.kaiming_uniform_, init.kaiming_normal_, init.orthogonal_,
    lambda t: init.trunc_normal_(t, std=0.1), lambda t: init.constant_(t, 3.0), init.ones_,
    init.zeros_, init.eye_])
def test_in_place_on_parameters_under_grad_mode(fn):
    layer = nn.Linear(6, 4)
    w = layer.weight
    arr = _np(w)
    before = arr.copy()
    assert mg.is_grad_enabled()
    assert fn(w) is w
    assert w.requires_grad and w.is_leaf and w.grad is None
    assert _np(w) is arr or np.shares_memory(_np(w), arr)
    assert not np.array_equal(arr, before)  # the module's own array changed
    y = layer(mg.ones(2, 6)).sum()  # and the layer trains as before
    y.backward()
    assert w.grad.shape == (4, 6)


def test_seeded_draws_repeat():
    mg.manual_seed(7)
    a = _np(init.kaiming_normal_(mg.zeros(5, 4))).copy()
    b = _np(init.trunc_normal_(mg.zeros(5, 4))).copy()
    mg.manual_seed(7)
    np.testing.assert_array_equal(a, _np(init.kaiming_normal_(mg.zeros(5, 4))))
    np.testing.assert_array_equal(b, _np(init.trunc_normal_(mg.zeros(5, 4))))


def test_fan_rules_errors():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(mg.zeros(5))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(mg.zeros(3, 3), mode="fan_avg")
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.kaiming_normal_(mg.zeros(3, 3), nonlinearity="swish")
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        t = mg.zeros(0, 3)
        assert init.kaiming_uniform_(t) is t
    assert "zero-element" in str(w[0].message)
