"""Losses: gradchecks over random sizes, torch parity for every reduction and option."""
import numpy as np
import pytest
from conftest import needs_torch, torch
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import nn.functional as F
from minigrad.testing import arrays, shapes

REDUCTIONS = ["mean", "sum", "none"]


@st.composite
def ce_case(draw):
    n, c = draw(st.integers(1, 4)), draw(st.integers(2, 5))
    extra = draw(st.sampled_from([(), (2,), (1, 3)]))
    logits = draw(arrays((n, c) + extra))
    tgt = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n * int(np.prod(extra)),
                                 max_size=n * int(np.prod(extra))))).reshape((n,) + extra)
    if draw(st.booleans()):
        tgt.reshape(-1)[0] = -100  # an ignored position
    if (tgt == -100).all():
        tgt.reshape(-1)[0] = 0
    return logits, tgt


@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(case=ce_case(), smoothing=st.sampled_from([0.0, 0.1]))
def test_cross_entropy_grad_and_parity(reduction, case, smoothing):
    logits, tgt = case
    f = lambda x: F.cross_entropy(x, tgt, reduction=reduction, label_smoothing=smoothing)  # noqa
    assert mg.gradcheck(f, [mg.tensor(logits, requires_grad=True)])
    if torch is not None:
        x = torch.tensor(logits, requires_grad=True)
        t = torch.nn.functional.cross_entropy(x, torch.tensor(tgt), reduction=reduction,
                                              label_smoothing=smoothing)
        m = mg.tensor(logits, requires_grad=True)
        v = f(m)
        np.testing.assert_allclose(v.detach().numpy(), t.detach().numpy(), rtol=1e-10, atol=1e-12)
        (v * mg.tensor(np.ones(v.shape) * 1.3)).sum().backward()
        (t * 1.3).sum().backward()
        np.testing.assert_allclose(m.grad.detach().numpy(), x.grad.numpy(), rtol=1e-10, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_unbatched_and_modules(reduction):
    x = np.log(np.random.default_rng(0).dirichlet(np.ones(4), 3))
    tgt = np.array([1, 3, -100])
    a = F.nll_loss(mg.tensor(x), tgt, reduction=reduction).detach().numpy()
    b = torch.nn.functional.nll_loss(torch.tensor(x), torch.tensor(tgt), reduction=reduction)
    np.testing.assert_allclose(a, b.numpy())
    a = F.cross_entropy(mg.tensor(x[0]), np.array(2)).detach().numpy()
    b = torch.nn.functional.cross_entropy(torch.tensor(x[0]), torch.tensor(2))
    np.testing.assert_allclose(a, b.numpy())
    import nn

    assert nn.CrossEntropyLoss(reduction=reduction)(mg.tensor(x), tgt).shape == \
        torch.nn.CrossEntropyLoss(reduction=reduction)(torch.tensor(x), torch.tensor(tgt)).shape


@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(data=st.data())
def test_binary_and_mse_losses(reduction, data):
    shape = data.draw(st.sampled_from([(3,), (2, 3), (1, 1, 2)]))
    logits = data.draw(arrays(shape, min_value=-4, max_value=4))
    tgt = data.draw(arrays(shape, min_value=0, max_value=1))
    probs = 1 / (1 + np.exp(-logits))
    cases = [
        (F.binary_cross_entropy_with_logits, "binary_cross_entropy_with_logits", logits),
        (F.binary_cross_entropy, "binary_cross_entropy", probs),
        (F.mse_loss, "mse_loss", logits),
    ]
    for fn, tname, inp in cases:
        assert mg.gradcheck(lambda x, t, fn=fn: fn(x, t, reduction=reduction),
                            [mg.tensor(inp, requires_grad=True),
                             mg.tensor(tgt, requires_grad=tname != "binary_cross_entropy")])
        if torch is not None:
            x = torch.tensor(inp, requires_grad=True)
            t = getattr(torch.nn.functional, tname)(x, torch.tensor(tgt), reduction=reduction)
            m = mg.tensor(inp, requires_grad=True)
            v = fn(m, mg.tensor(tgt), reduction=reduction)
            np.testing.assert_allclose(v.detach().numpy(), t.detach().numpy(), rtol=1e-10)
            v.sum().backward()
            t.sum().backward()
            np.testing.assert_allclose(m.grad.detach().numpy(), x.grad.numpy(), rtol=1e-9, atol=1e-12)


@needs_torch
def test_bce_with_logits_pos_weight():
    x, t, w = np.array([[-2.0, 0.5, 3.0]]), np.array([[0.0, 1.0, 1.0]]), np.array([2.0, 1.0, 0.5])
    a = F.binary_cross_entropy_with_logits(mg.tensor(x), mg.tensor(t), pos_weight=mg.tensor(w))
    b = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.tensor(x), torch.tensor(t), pos_weight=torch.tensor(w))
    np.testing.assert_allclose(a.detach().numpy(), b.numpy(), rtol=1e-10)


def test_losses_stable_at_huge_logits():
    x = mg.tensor([[1e4, -1e4, 0.0]], dtype=np.float64, requires_grad=True)
    ce = F.cross_entropy(x, np.array([1]))
    assert ce.item() == pytest.approx(2e4)
    ce.backward()
    assert np.isfinite(x.grad.detach().numpy()).all()
    z = mg.tensor([1e4, -1e4], dtype=np.float64, requires_grad=True)
    b = F.binary_cross_entropy_with_logits(z, mg.tensor([0.0, 1.0], dtype=np.float64))
    assert b.item() == pytest.approx(1e4)
    b.backward()
    np.testing.assert_allclose(z.grad.detach().numpy(), [0.5, -0.5])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(case=ce_case(), smoothing=st.sampled_from([0.0, 0.2]))
def test_fused_cross_entropy_equals_composed(reduction, case, smoothing):
    logits, tgt = case
    out = []
    for fn in (F.cross_entropy, F.cross_entropy_composed):
        x = mg.tensor(logits, requires_grad=True)
        v = fn(x, tgt, reduction=reduction, label_smoothing=smoothing)
        (v * 1.7).sum().backward()
        out.append((v.detach().numpy(), x.grad.detach().numpy()))
    np.testing.assert_allclose(out[0][0], out[1][0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-12, atol=1e-14)


@given(data=st.data())
def test_cross_entropy_kernel_equals_reference(data):
    from nn.kernels.cross_entropy import cross_entropy_rows as ce

    n, c = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 6))
    x = data.draw(arrays((n, c), min_value=-30, max_value=30))
    t = np.array(data.draw(st.lists(st.sampled_from([-100] + list(range(c))), min_size=n,
                                    max_size=n)))
    for a, b in zip(ce.kernel(x, t, -100, 0.1), ce.reference(x, t, -100, 0.1)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("k", [1, 2])
@given(data=st.data(), dtype=st.sampled_from([np.float32, np.float64]),
       smoothing=st.sampled_from([0.0, 0.1]))
def test_cross_entropy_blocked_path_equals_reference(k, data, dtype, smoothing):
    """The large-input path (blocks in place) against the reference, on sizes around the
    kernel's limit and the block size, with BLAS on ``k`` threads."""
    from minigrad import threads
    from nn.kernels import cross_entropy as ce

    c = data.draw(st.sampled_from([1, 7, 65, 1000]))
    n = data.draw(st.integers(1, 3 * max(ce.BLOCK, ce.SMALL) // c))
    x = np.random.default_rng(n).uniform(-30, 30, (n, c)).astype(dtype)
    t = np.random.default_rng(c).integers(0, c, n)
    t[:: max(1, n // 3)] = -100
    with threads.num_threads(k):
        fast = ce.cross_entropy_rows(x, t, -100, smoothing)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for a, b in zip(fast, ce.cross_entropy_rows_ref(x, t, -100, smoothing)):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


# ----------------------------------------------------------------------------- torch parity
# (values, gradients and double backward via ``compare``; gradchecks in float64)

from test_functional import away, compare  # noqa: E402

if torch is not None:
    import torch.nn.functional as TF


def _t(a):
    return torch.tensor(a)


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(case=ce_case(), smoothing=st.sampled_from([0.0, 0.3]), data=st.data())
def test_cross_entropy_class_weights(reduction, case, smoothing, data):
    logits, tgt = case
    w = data.draw(arrays((logits.shape[1],), min_value=0.1, max_value=2))
    f = lambda x: F.cross_entropy(x, tgt, weight=mg.tensor(w), reduction=reduction,  # noqa
                                  label_smoothing=smoothing)
    tf = lambda x: TF.cross_entropy(x, _t(tgt), weight=_t(w), reduction=reduction,  # noqa
                                    label_smoothing=smoothing)
    assert mg.gradcheck(f, [mg.tensor(logits, requires_grad=True)])
    compare(f, tf, logits)
    g = lambda x: F.nll_loss(x.log_softmax(1), tgt, weight=mg.tensor(w), reduction=reduction)  # noqa
    compare(g, lambda x: TF.nll_loss(x.log_softmax(1), _t(tgt), weight=_t(w),
                                     reduction=reduction), logits)


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(data=st.data(), smoothing=st.sampled_from([0.0, 0.25]), weighted=st.booleans())
def test_cross_entropy_probability_targets(reduction, data, smoothing, weighted):
    shape = data.draw(st.sampled_from([(4,), (3, 4), (2, 3, 2), (1, 2, 1, 2), (0, 3)]))
    C = shape[0] if len(shape) == 1 else shape[1]
    x = data.draw(arrays(shape))
    p = data.draw(arrays(shape, min_value=0.0, max_value=1.0))
    w = data.draw(arrays((C,), min_value=0.1, max_value=2)) if weighted else None
    kw = dict(reduction=reduction, label_smoothing=smoothing)
    f = lambda x, p: F.cross_entropy(x, p, weight=None if w is None else mg.tensor(w), **kw)  # noqa
    tf = lambda x, p: TF.cross_entropy(x, p, weight=None if w is None else _t(w), **kw)  # noqa
    assert mg.gradcheck(f, [mg.tensor(x, requires_grad=True), mg.tensor(p, requires_grad=True)])
    compare(f, tf, x, p)


@needs_torch
def test_cross_entropy_minus_inf_logits_finite_where_torch_is():
    x = np.array([[0.0, -np.inf, 1.0], [-np.inf, 2.0, -np.inf], [0.5, 0.2, -np.inf]])
    t = np.array([0, 1, -100])
    for kw in ({}, {"weight": np.array([1.0, 2.0, 0.5])}, {"reduction": "none"}):
        with mg.reference_mode() if "reduction" in kw else _nullcontext():
            mw = {k: mg.tensor(v) if k == "weight" else v for k, v in kw.items()}
            tw = {k: _t(v) if k == "weight" else v for k, v in kw.items()}
            compare(lambda a: F.cross_entropy(a, t, **mw),  # noqa: B023
                    lambda a: TF.cross_entropy(a, _t(t), **tw), x, double=False)  # noqa: B023
    compare(lambda a: F.cross_entropy(a, t[[1]], label_smoothing=0.1),
            lambda a: TF.cross_entropy(a, _t(t[[1]]), label_smoothing=0.1), x[[1]], double=False)


def _nullcontext():
    import contextlib

    return contextlib.nullcontext()


# (name, minigrad fn, torch fn, input range, target range, kinks of x - y)
PAIRS = {
    "l1": (F.l1_loss, "l1_loss", {}, (0.0,)),
    "mse": (F.mse_loss, "mse_loss", {}, ()),
    "smooth_l1": (F.smooth_l1_loss, "smooth_l1_loss", {"beta": 0.5}, (0.0, -0.5, 0.5)),
    "smooth_l1_beta0": (F.smooth_l1_loss, "smooth_l1_loss", {"beta": 0.0}, (0.0,)),
    "huber": (F.huber_loss, "huber_loss", {"delta": 0.7}, (0.0, -0.7, 0.7)),
}


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", sorted(PAIRS))
@given(data=st.data())
def test_regression_losses(reduction, name, data):
    fn, tname, kw, kinks = PAIRS[name]
    shape = data.draw(shapes(0, 3, 0, 3))
    x = data.draw(arrays(shape))
    y = x - away(data.draw(arrays(shape)), kinks)
    f = lambda a, b: fn(a, b, reduction=reduction, **kw)  # noqa: E731
    assert mg.gradcheck(f, [mg.tensor(x, requires_grad=True), mg.tensor(y, requires_grad=True)])
    compare(f, lambda a, b: getattr(TF, tname)(a, b, reduction=reduction, **kw), x, y)


@needs_torch
def test_regression_losses_broadcast_with_torchs_warning():
    x, y = np.arange(6.0).reshape(2, 3), np.array([0.5, 1.5, 2.5])
    for fn, tname in ((F.mse_loss, "mse_loss"), (F.l1_loss, "l1_loss"),
                      (F.smooth_l1_loss, "smooth_l1_loss"), (F.huber_loss, "huber_loss")):
        with pytest.warns(UserWarning, match="target size"):
            a = fn(mg.tensor(x), mg.tensor(y))
        with pytest.warns(UserWarning):
            b = getattr(TF, tname)(_t(x), _t(y))
        np.testing.assert_allclose(a.numpy(), b.numpy())
        with pytest.raises(RuntimeError), pytest.warns(UserWarning):
            fn(mg.ones(2, 3), mg.ones(2))


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@given(data=st.data(), log_target=st.booleans())
def test_kl_div(reduction, data, log_target):
    shape = data.draw(shapes(0, 3, 0, 3))
    x = data.draw(arrays(shape))
    t = data.draw(arrays(shape, min_value=-3 if log_target else 0.05, max_value=2))
    f = lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=log_target)  # noqa: E731
    tf = lambda a, b: TF.kl_div(a, b, reduction=reduction, log_target=log_target)  # noqa: E731
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert mg.gradcheck(f, [mg.tensor(x, requires_grad=True),
                                mg.tensor(t, requires_grad=True)])
        compare(f, tf, x, t)


@needs_torch
def test_kl_div_zero_target_and_mean_warning():
    x, t = np.log(np.array([[0.2, 0.8], [0.5, 0.5]])), np.array([[0.0, 1.0], [0.3, 0.7]])
    compare(lambda a: F.kl_div(a, mg.tensor(t), reduction="batchmean"),
            lambda a: TF.kl_div(a, _t(t), reduction="batchmean"), x)
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(mg.tensor(x), mg.tensor(t))


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(data=st.data(), weighted=st.booleans())
def test_binary_cross_entropy_weight(reduction, data, weighted):
    shape = data.draw(shapes(0, 3, 0, 3))
    x = data.draw(arrays(shape, min_value=0.02, max_value=0.98))
    y = data.draw(arrays(shape, min_value=0, max_value=1))
    w = data.draw(arrays(shape[-1:], min_value=0.1, max_value=2)) if weighted else None
    f = lambda a, b: F.binary_cross_entropy(  # noqa: E731
        a, b, None if w is None else mg.tensor(w), reduction=reduction)
    tf = lambda a, b: TF.binary_cross_entropy(  # noqa: E731
        a, b, None if w is None else _t(w), reduction=reduction)
    assert mg.gradcheck(f, [mg.tensor(x, requires_grad=True), mg.tensor(y, requires_grad=True)])
    compare(f, tf, x, y)


@needs_torch
def test_binary_cross_entropy_saturated_probabilities_equal_torch():
    """x exactly 0 or 1: the logs clamp at -100 and the gradient is (x - y) / max((1-x)x,
    1e-12), finite, exactly torch's."""
    x = np.array([0.0, 1.0, 0.0, 1.0, 1e-15, 1 - 1e-15, 0.5])
    y = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.3])
    for reduction in REDUCTIONS:
        compare(lambda a, b: F.binary_cross_entropy(a, b, reduction=reduction),  # noqa: B023
                lambda a, b: TF.binary_cross_entropy(a, b, reduction=reduction),  # noqa: B023
                x, y, double=False, rtol=1e-15)


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(data=st.data(), weighted=st.booleans(), pos=st.sampled_from([None, "scalar", "class"]))
def test_bce_with_logits_weight_and_pos_weight(reduction, data, weighted, pos):
    shape = data.draw(st.sampled_from([(3,), (2, 3), (2, 1, 3), ()]))
    x = data.draw(arrays(shape, min_value=-30, max_value=30))
    y = data.draw(arrays(shape, min_value=0, max_value=1))
    w = data.draw(arrays(shape[-1:], min_value=0.1, max_value=2)) if weighted else None
    pw = {None: None, "scalar": np.array(2.5),
          "class": data.draw(arrays(shape[-1:], min_value=0.1, max_value=3))}[pos]

    def f(a, b):
        return F.binary_cross_entropy_with_logits(
            a, b, None if w is None else mg.tensor(w), reduction=reduction,
            pos_weight=None if pw is None else mg.tensor(pw))

    def tf(a, b):
        return TF.binary_cross_entropy_with_logits(
            a, b, None if w is None else _t(w), reduction=reduction,
            pos_weight=None if pw is None else _t(pw))

    assert mg.gradcheck(f, [mg.tensor(x, requires_grad=True), mg.tensor(y, requires_grad=True)])
    compare(f, tf, x, y)


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(data=st.data(), margin=st.sampled_from([0.0, 0.5]))
def test_margin_losses(reduction, data, margin):
    n = data.draw(st.integers(1, 4))
    x1, x2 = data.draw(arrays((n,))), data.draw(arrays((n,)))
    y = np.array(data.draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=n, max_size=n)))
    x2 = x1 - y * (away(y * (x1 - x2) - margin, (0,)) + margin)  # -y (x1 - x2) + margin != 0
    kw = dict(margin=margin, reduction=reduction)
    f = lambda a, b: F.margin_ranking_loss(a, b, mg.tensor(y), **kw)  # noqa: E731
    tf = lambda a, b: TF.margin_ranking_loss(a, b, _t(y), **kw)  # noqa: E731
    assert mg.gradcheck(f, [mg.tensor(x1, requires_grad=True), mg.tensor(x2, requires_grad=True)])
    compare(f, tf, x1, x2)
    h = away(x1, (margin + 1,))
    kw1 = dict(margin=margin + 1, reduction=reduction)
    compare(lambda a: F.hinge_embedding_loss(a, mg.tensor(y), **kw1),
            lambda a: TF.hinge_embedding_loss(a, _t(y), **kw1), h)
    d = data.draw(st.integers(1, 3))
    a, b = away(data.draw(arrays((n, d)))), away(data.draw(arrays((n, d))))
    g = lambda u, v: F.cosine_embedding_loss(u, v, mg.tensor(y), **kw)  # noqa: E731
    tg = lambda u, v: TF.cosine_embedding_loss(u, v, _t(y), **kw)  # noqa: E731
    cos = (a * b).sum(1) / np.sqrt(((a * a).sum(1) + 1e-12) * ((b * b).sum(1) + 1e-12))
    if np.all(np.abs(cos - margin) > 1e-3):
        assert mg.gradcheck(g, [mg.tensor(a, requires_grad=True), mg.tensor(b, requires_grad=True)])
        compare(g, tg, a, b)
        compare(lambda u, v: F.cosine_embedding_loss(u[0], v[0], mg.tensor(y[0]), **kw),
                lambda u, v: TF.cosine_embedding_loss(u[0], v[0], _t(y[0]), **kw), a, b)


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(data=st.data(), log_input=st.booleans(), full=st.booleans())
def test_poisson_nll_loss(reduction, data, log_input, full):
    shape = data.draw(shapes(0, 2, 0, 3))
    x = data.draw(arrays(shape, min_value=-2 if log_input else 0.1, max_value=2))
    # (y > 0: with ``full`` torch's target gradient at y = 0 is nan, 0 * d/dy(y log y); ours 0)
    y = data.draw(arrays(shape, min_value=0.05, max_value=4))
    kw = dict(log_input=log_input, full=full, reduction=reduction)
    f = lambda a, b: F.poisson_nll_loss(a, b, **kw)  # noqa: E731
    y = away(y, (1.0,))  # the Stirling term switches on at y = 1
    assert mg.gradcheck(f, [mg.tensor(x, requires_grad=True), mg.tensor(y, requires_grad=True)])
    compare(f, lambda a, b: TF.poisson_nll_loss(a, b, **kw), x, y)


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(data=st.data(), full=st.booleans(), var_shape=st.sampled_from(["same", "short", "one"]))
def test_gaussian_nll_loss(reduction, data, full, var_shape):
    shape = data.draw(st.sampled_from([(3,), (2, 3), (2, 1, 2)]))
    vshape = {"same": shape, "short": shape[:-1], "one": shape[:-1] + (1,)}[var_shape]
    x, y = data.draw(arrays(shape)), data.draw(arrays(shape))
    v = data.draw(arrays(vshape, min_value=0.1, max_value=3))
    kw = dict(full=full, reduction=reduction)
    f = lambda a, b, c: F.gaussian_nll_loss(a, b, c, **kw)  # noqa: E731
    ins = [mg.tensor(a, requires_grad=True) for a in (x, y, v)]
    assert mg.gradcheck(f, ins)
    compare(f, lambda a, b, c: TF.gaussian_nll_loss(a, b, c, **kw), x, y, v)


@needs_torch
def test_gaussian_nll_clamped_var_passes_gradient_as_torch():
    x, y, v = np.array([1.0, 2.0]), np.array([0.5, 2.5]), np.array([1e-9, 0.5])
    compare(lambda a, b, c: F.gaussian_nll_loss(a, b, c),
            lambda a, b, c: TF.gaussian_nll_loss(a, b, c), x, y, v)
    compare(lambda a, b: F.gaussian_nll_loss(a, b, 0.5),
            lambda a, b: TF.gaussian_nll_loss(a, b, 0.5), x, y)


# ----------------------------------------------------------------------------- reference mode


REFERENCE_CASES = [
    ("ce", lambda x, t: F.cross_entropy(x, t), "int"),
    ("ce_smooth", lambda x, t: F.cross_entropy(x, t, label_smoothing=0.2, reduction="sum"),
     "int"),
    ("ce_weight", lambda x, t: F.cross_entropy(x, t, weight=mg.tensor([1.0, 2.0, 0.5])), "int"),
    ("nll", lambda x, t: F.nll_loss(x, t, reduction="none"), "int"),
    ("ce_probs", lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1), "probs"),
    ("bce", lambda x, t: F.binary_cross_entropy(x.sigmoid(), t, weight=mg.tensor([2.0, 1.0,
                                                                                  0.5])),
     "probs"),
    ("bce_logits", lambda x, t: F.binary_cross_entropy_with_logits(
        x, t, pos_weight=mg.tensor([2.0, 1.0, 0.5])), "probs"),
    ("mse", lambda x, t: F.mse_loss(x, t), "probs"),
    ("l1", lambda x, t: F.l1_loss(x, t), "probs"),
    ("smooth_l1", lambda x, t: F.smooth_l1_loss(x, t, beta=0.3), "probs"),
    ("huber", lambda x, t: F.huber_loss(x, t, delta=0.3), "probs"),
    ("kl", lambda x, t: F.kl_div(x.log_softmax(1), t, reduction="batchmean"), "probs"),
]


@pytest.mark.parametrize("name,fn,kind", REFERENCE_CASES, ids=[c[0] for c in REFERENCE_CASES])
@given(data=st.data())
def test_losses_in_reference_mode_give_the_same_numbers(name, fn, kind, data):
    n = data.draw(st.integers(1, 4))
    x = data.draw(arrays((n, 3)))
    if kind == "int":
        t = np.array(data.draw(st.lists(st.sampled_from([-100, 0, 1, 2]), min_size=n,
                                        max_size=n)))
    else:
        t = data.draw(arrays((n, 3), min_value=0.0, max_value=1.0))
        t = mg.tensor(t / np.maximum(t.sum(1, keepdims=True), 1e-3) if name == "kl" else t)
    out = []
    for ctx in (_nullcontext(), mg.reference_mode()):
        with ctx:
            a = mg.tensor(x, requires_grad=True)
            v = fn(a, t)
            g, = mg.grad((v * 1.3).sum(), [a])
        out.append((v.detach().numpy(), g.numpy()))
    np.testing.assert_allclose(out[0][0], out[1][0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-12, atol=1e-14)


# ----------------------------------------------------------------------------- errors


@needs_torch
def test_loss_errors_are_torchs_exception_types():
    cases = [
        (IndexError, lambda F, T: F.cross_entropy(T([[0.0, 1.0, 2.0]] * 2), T([0, 5]))),
        (IndexError, lambda F, T: F.nll_loss(T([[0.0, 1.0, 2.0]] * 2), T([-1, 0]))),
        (ValueError, lambda F, T: F.cross_entropy(T([[0.0, 1.0, 2.0]] * 2), T([0]))),
        (RuntimeError, lambda F, T: F.cross_entropy(T([[0.0, 1.0]]), T([0.0]))),
        (RuntimeError, lambda F, T: F.cross_entropy(T([[0.0, 1.0]]), T([0]), weight=T([1.0]))),
        (RuntimeError, lambda F, T: F.cross_entropy(T([[0.0, 1.0]]), T([[0, 1]]))),
        (ValueError, lambda F, T: F.cross_entropy(T([[0.0, 1.0]]), T([0]), reduction="avg")),
        (ValueError, lambda F, T: F.mse_loss(T([0.0]), T([1.0]), reduction="bad")),
        (ValueError, lambda F, T: F.kl_div(T([0.0]), T([1.0]), reduction="bad")),
        (RuntimeError, lambda F, T: F.binary_cross_entropy(T([2.0]), T([1.0]))),
        (ValueError, lambda F, T: F.binary_cross_entropy(T([0.5]), T([1.0, 0.0]))),
        (ValueError, lambda F, T: F.binary_cross_entropy_with_logits(T([0.5]), T([1.0, 0.0]))),
        (RuntimeError, lambda F, T: F.smooth_l1_loss(T([0.5]), T([1.0]), beta=-1.0)),
        (RuntimeError, lambda F, T: F.huber_loss(T([0.5]), T([1.0]), delta=0.0)),
        (ValueError, lambda F, T: F.gaussian_nll_loss(T([0.5, 1.0]), T([1.0, 0.0]),
                                                     T([-1.0, 1.0]))),
        (ValueError, lambda F, T: F.gaussian_nll_loss(T([[0.5, 1.0]] * 3), T([[1.0, 0.0]] * 3),
                                                     T([1.0, 1.0]))),
        (RuntimeError, lambda F, T: F.margin_ranking_loss(T([0.5]), T([[1.0]]), T([1.0]))),
        (RuntimeError, lambda F, T: F.cosine_embedding_loss(T([0.5]), T([1.0]), T([1.0]))),
        (RuntimeError, lambda F, T: F.cross_entropy(T([[0.0, 1.0]]), T([0]),
                                                    label_smoothing=1.5)),
    ]
    for exc, case in cases:
        with pytest.raises(exc):
            case(torch.nn.functional, torch.tensor)
        with pytest.raises(exc):
            case(F, mg.tensor)


# ----------------------------------------------------------------------------- modules


@needs_torch
def test_loss_modules_equal_torch():
    import nn

    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((4, 3)), np.array([1.0, 2.0, 0.5])
    t, p = np.array([0, 2, 1, -100]), rng.random((4, 3))
    cases = [
        ("CrossEntropyLoss", (w,), {"ignore_index": -100, "label_smoothing": 0.1}, x, t),
        ("CrossEntropyLoss", (), {"reduction": "sum"}, x, p),
        ("NLLLoss", (w,), {}, x, t),
        ("BCELoss", (w,), {}, 1 / (1 + np.exp(-x)), p),
        ("BCEWithLogitsLoss", (w,), {"pos_weight": w * 2}, x, p),
        ("MSELoss", (), {"reduction": "none"}, x, p),
        ("L1Loss", (), {}, x, p),
        ("SmoothL1Loss", (), {"beta": 0.4}, x, p),
        ("HuberLoss", (), {"delta": 0.4}, x, p),
        ("KLDivLoss", (), {"reduction": "batchmean"}, x, p),
        ("PoissonNLLLoss", (), {"full": True}, x, p * 3),
        ("HingeEmbeddingLoss", (0.5,), {}, x, np.sign(p - 0.5)),
        ("MSELoss", (None, False), {}, x, p),  # legacy reduce=False
    ]
    for name, args, kw, a, b in cases:
        margs = tuple(mg.tensor(v) if isinstance(v, np.ndarray) else v for v in args)
        targs = tuple(_t(v) if isinstance(v, np.ndarray) else v for v in args)
        mkw = {k: mg.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        tkw = {k: _t(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        m, tm = getattr(nn, name)(*margs, **mkw), getattr(torch.nn, name)(*targs, **tkw)
        assert m.reduction == tm.reduction
        assert sorted(m.state_dict()) == sorted(tm.state_dict()), name
        bt = b if b.dtype.kind == "f" else b
        compare(lambda u, m=m, bt=bt: m(u, mg.tensor(bt)),
                lambda u, tm=tm, bt=bt: tm(u, _t(bt)), a, double=False)
    m, tm = nn.GaussianNLLLoss(full=True), torch.nn.GaussianNLLLoss(full=True)
    compare(lambda u: m(u, mg.tensor(p), mg.tensor(p + 0.1)),
            lambda u: tm(u, _t(p), _t(p + 0.1)), x, double=False)
    for name in ("MarginRankingLoss", "CosineEmbeddingLoss"):
        m, tm = getattr(nn, name)(0.2), getattr(torch.nn, name)(0.2)
        y = np.sign(p[:, 0] - 0.5)
        u = x[:, 0] if name == "MarginRankingLoss" else x
        v = p[:, 0] if name == "MarginRankingLoss" else p
        compare(lambda a, m=m, v=v, y=y: m(a, mg.tensor(v), mg.tensor(y)),
                lambda a, tm=tm, v=v, y=y: tm(a, _t(v), _t(y)), u, double=False)


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(case=ce_case(), smoothing=st.sampled_from([0.0, 0.2]))
def test_fused_cross_entropy_double_backward_equals_torch(reduction, case, smoothing):
    logits, tgt = case
    compare(lambda x: F.cross_entropy(x, tgt, reduction=reduction, label_smoothing=smoothing),
            lambda x: TF.cross_entropy(x, _t(tgt), reduction=reduction,
                                       label_smoothing=smoothing), logits)


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(data=st.data(), weighted=st.booleans(), swap=st.booleans())
def test_soft_margin_multilabel_and_triplet_losses(reduction, data, weighted, swap):
    import nn

    n, c = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 4))
    x = data.draw(arrays((n, c)))
    y = np.array(data.draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=n * c,
                                    max_size=n * c))).reshape(n, c)
    compare(lambda a: F.soft_margin_loss(a, mg.tensor(y), reduction=reduction),
            lambda a: TF.soft_margin_loss(a, _t(y), reduction=reduction), x)
    w = data.draw(arrays((c,), min_value=0.1, max_value=2)) if weighted else None
    y01 = (y + 1) / 2
    f = lambda a: F.multilabel_soft_margin_loss(  # noqa: E731
        a, mg.tensor(y01), None if w is None else mg.tensor(w), reduction=reduction)
    assert mg.gradcheck(f, [mg.tensor(x, requires_grad=True)])
    compare(f, lambda a: TF.multilabel_soft_margin_loss(
        a, _t(y01), None if w is None else _t(w), reduction=reduction), x)
    pos, neg = x + away(data.draw(arrays((n, c)))), x + away(data.draw(arrays((n, c))))
    g = lambda a, b, d: F.triplet_margin_loss(a, b, d, margin=0.5, swap=swap,  # noqa: E731
                                              reduction=reduction)
    tg = lambda a, b, d: TF.triplet_margin_loss(a, b, d, margin=0.5, swap=swap,  # noqa: E731
                                                reduction=reduction)
    dp = np.linalg.norm(x - pos + 1e-6, axis=1)
    dn = np.linalg.norm(x - neg + 1e-6, axis=1)
    ds = np.linalg.norm(pos - neg + 1e-6, axis=1)
    if np.all(np.abs(0.5 + dp - (np.minimum(dn, ds) if swap else dn)) > 1e-3) and \
            np.all(np.abs(dn - ds) > 1e-3) and np.all(ds > 1e-2):  # off the kinks
        assert mg.gradcheck(g, [mg.tensor(a, requires_grad=True) for a in (x, pos, neg)])
        compare(g, tg, x, pos, neg)
    m = nn.TripletMarginLoss(margin=0.5, swap=swap, reduction=reduction)
    tm = torch.nn.TripletMarginLoss(margin=0.5, swap=swap, reduction=reduction)
    np.testing.assert_allclose(m(*map(mg.tensor, (x, pos, neg))).numpy(),
                               tm(*map(_t, (x, pos, neg))).numpy(), rtol=1e-10)
    np.testing.assert_allclose(
        nn.MultiLabelSoftMarginLoss(reduction=reduction)(mg.tensor(x), mg.tensor(y01)).numpy(),
        torch.nn.MultiLabelSoftMarginLoss(reduction=reduction)(_t(x), _t(y01)).numpy(),
        rtol=1e-10)
    np.testing.assert_allclose(
        nn.SoftMarginLoss(reduction=reduction)(mg.tensor(x), mg.tensor(y)).numpy(),
        torch.nn.SoftMarginLoss(reduction=reduction)(_t(x), _t(y)).numpy(), rtol=1e-10)
