"""Losses: gradchecks over random sizes, torch parity for every reduction and option."""
import numpy as np
import pytest
from conftest import needs_torch, torch
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import nn.functional as F
from minigrad.testing import arrays

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


def test_loss_errors():
    with pytest.raises(IndexError, match="target 5 is out of bounds for 3 classes"):
        F.cross_entropy(mg.zeros(2, 3), np.array([0, 5]))
    with pytest.raises(ValueError, match="needs a target of shape"):
        F.cross_entropy(mg.zeros(2, 3), np.array([0]))
    with pytest.raises(ValueError, match="must match input shape"):
        F.mse_loss(mg.zeros(2), mg.zeros(3))
    with pytest.raises(ValueError, match="probabilities"):
        F.binary_cross_entropy(mg.tensor([2.0]), mg.tensor([1.0]))


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
