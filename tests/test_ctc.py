"""CTC loss: the Numba kernel equals the numpy reference, values and gradients equal torch's
(both target layouts, every reduction, zero_infinity, impossible alignments, log-probabilities
that are not normalised), gradcheck through log_softmax, and input validation."""
import numpy as np
import pytest
from conftest import needs_torch, torch
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import nn
from nn.ctc import _ctc_numba, ctc_loss, ctc_ref


@st.composite
def problems(draw, max_t=6, max_n=4, max_c=5, max_s=4):
    """(log_probs (T, N, C), padded targets (N, S), input_lengths, target_lengths, blank):
    lengths may be 0 and alignments may be impossible (target too long for its input)."""
    T, N, C = draw(st.integers(1, max_t)), draw(st.integers(1, max_n)), draw(st.integers(2, max_c))
    blank = draw(st.integers(0, C - 1))
    labels = [c for c in range(C) if c != blank]
    S = draw(st.integers(0, max_s))
    il = np.array(draw(st.lists(st.integers(0, T), min_size=N, max_size=N)))
    tl = np.array(draw(st.lists(st.integers(0, S), min_size=N, max_size=N)))
    tg = np.array(draw(st.lists(st.lists(st.sampled_from(labels), min_size=S, max_size=S),
                                min_size=N, max_size=N)), dtype=np.int64).reshape(N, S)
    x = np.random.default_rng(T * 100 + N * 10 + C).standard_normal((T, N, C))
    if draw(st.booleans()):
        x = x - np.log(np.exp(x).sum(-1, keepdims=True))  # proper log_softmax outputs
    return x, tg, il, tl, blank


def concatenated(tg, tl):
    return np.concatenate([row[:k] for row, k in zip(tg, tl)]).astype(np.int64)


@given(problems(), st.sampled_from([np.float32, np.float64]))
def test_kernel_equals_reference(problem, dtype):
    x, tg, il, tl, blank = problem
    x = x.astype(dtype)
    loss_r, grad_r = ctc_ref(x, tg, il, tl, blank, True)
    loss_k, grad_k = _ctc_numba(x, tg, il, tl, blank, True)
    tol = 1e-12 if dtype == np.float64 else 2e-5
    assert loss_k.dtype == grad_k.dtype == dtype
    np.testing.assert_allclose(loss_k, loss_r, rtol=tol, atol=tol)
    np.testing.assert_allclose(grad_k, grad_r, rtol=tol, atol=tol)  # NaNs in the same places
    loss_only, empty = _ctc_numba(x, tg, il, tl, blank, False)
    np.testing.assert_array_equal(loss_only, loss_k)
    assert empty.size == 0


def run_ours(x, targets, il, tl, **kw):
    lp = mg.tensor(x, requires_grad=True)
    loss = ctc_loss(lp, targets, il, tl, **kw)
    w = np.cos(np.arange(loss.numel())).reshape(loss.shape) + 2
    (loss * mg.tensor(w)).sum().backward()
    return np.asarray(loss.detach()), np.asarray(lp.grad)


def run_torch(x, targets, il, tl, **kw):
    lp = torch.tensor(x, requires_grad=True)
    loss = torch.nn.functional.ctc_loss(lp, torch.tensor(targets), torch.tensor(il),
                                        torch.tensor(tl), **kw)
    w = np.cos(np.arange(loss.numel())).reshape(loss.shape) + 2
    (loss * torch.tensor(w)).sum().backward()
    return loss.detach().numpy(), lp.grad.numpy()


def assert_same(ours, theirs):
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-13)  # equal_nan by default


@needs_torch
@given(problems(), st.sampled_from(["none", "sum", "mean"]), st.booleans(), st.booleans())
def test_matches_torch(problem, reduction, zero_infinity, concat):
    x, tg, il, tl, blank = problem
    targets = concatenated(tg, tl) if concat else tg
    if concat and targets.size == 0:
        targets = targets.reshape(0)
    kw = dict(blank=blank, reduction=reduction, zero_infinity=zero_infinity)
    assert_same(run_ours(x, targets, il, tl, **kw), run_torch(x, targets, il, tl, **kw))


@needs_torch
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_impossible_alignments_and_unnormalised_inputs(zero_infinity):
    """A target needing more frames than it has (repeats need a blank between them) has
    infinite loss and NaN gradient in torch, or zero both with zero_infinity; unnormalised
    log-probabilities get torch's gradient exp(lp) - posterior."""
    x = np.random.default_rng(0).standard_normal((6, 4, 5))
    tg = np.array([[1, 2, 2], [3, 1, 4], [4, 4, 4], [2, 0, 0]])
    il, tl = np.array([6, 5, 3, 2]), np.array([3, 2, 3, 0])
    kw = dict(reduction="none", zero_infinity=zero_infinity)
    ours = run_ours(x, tg, il, tl, **kw)
    assert_same(ours, run_torch(x, tg, il, tl, **kw))
    loss, grad = ours
    assert (loss[2] == 0) if zero_infinity else np.isinf(loss[2])
    assert np.all(grad[:3, 2] == 0) if zero_infinity else np.isnan(grad[:3, 2]).all()
    assert np.all(grad[il[1]:, 1] == 0)  # frames past an input's length get nothing


@needs_torch
def test_unbatched_module_and_layouts():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((7, 6))
    x -= np.log(np.exp(x).sum(-1, keepdims=True))
    for reduction in ("none", "mean", "sum"):
        lp, tlp = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        loss = nn.CTCLoss(blank=5, reduction=reduction)(lp, np.array([1, 3, 3]), 7, 3)
        tloss = torch.nn.CTCLoss(blank=5, reduction=reduction)(
            tlp, torch.tensor([1, 3, 3]), torch.tensor(7), torch.tensor(3))
        assert loss.shape == ()
        loss.backward()
        tloss.backward()
        np.testing.assert_allclose(np.asarray(loss.detach()), tloss.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(np.asarray(lp.grad), tlp.grad.numpy(), rtol=1e-11, atol=1e-14)
    # float32 log-probs, lists of lengths, whole-number float targets: as torch
    x3 = rng.standard_normal((5, 2, 4)).astype(np.float32)
    ours = ctc_loss(mg.tensor(x3), np.array([[1., 2.], [3., 3.]]), [5, 4], [2, 2])
    theirs = torch.nn.functional.ctc_loss(torch.tensor(x3), torch.tensor([[1, 2], [3, 3]]),
                                          [5, 4], [2, 2])
    assert ours.dtype == np.float32
    np.testing.assert_allclose(np.asarray(ours), theirs.numpy(), rtol=1e-5)
    assert repr(nn.CTCLoss()) == "CTCLoss()"


def test_gradient_convention():
    """Through log_softmax the gradient is the true one (gradcheck); w.r.t. the log-probs
    themselves it is torch's exp(lp) - posterior, i.e. finite differences plus exp(lp)."""
    rng = np.random.default_rng(2)
    z = mg.tensor(rng.standard_normal((5, 2, 4)), requires_grad=True)
    tg, il, tl = np.array([[1, 2], [3, 3]]), [5, 4], [2, 2]
    assert mg.gradcheck(lambda z: ctc_loss(z.log_softmax(-1), tg, il, tl, reduction="none"),
                        [z])
    lp = mg.tensor(np.asarray(z.detach()), requires_grad=True)
    ctc_loss(lp, tg, il, tl, reduction="sum").backward()
    eps, numeric = 1e-6, np.zeros(lp.shape)
    base = np.asarray(lp.detach())
    for idx in np.ndindex(lp.shape):
        hi, lo = base.copy(), base.copy()
        hi[idx] += eps
        lo[idx] -= eps
        f = [ctc_loss(mg.tensor(a), tg, il, tl, reduction="sum").item() for a in (hi, lo)]
        numeric[idx] = (f[0] - f[1]) / (2 * eps)
    valid = (np.arange(5)[:, None] < np.array(il)[None, :])[..., None]
    np.testing.assert_allclose(np.asarray(lp.grad), numeric + np.exp(base) * valid, atol=1e-8)


@given(problems(max_t=4, max_n=2, max_c=4, max_s=3), st.sampled_from(["none", "sum", "mean"]))
def test_gradcheck_through_log_softmax(problem, reduction):
    x, tg, il, tl, blank = problem
    possible = ctc_ref(x, tg, il, tl, blank, False)[0] < np.inf
    il, tl = np.where(possible, il, 0), np.where(possible, tl, 0)  # finite losses only
    z = mg.tensor(x, requires_grad=True)
    assert mg.gradcheck(lambda z: ctc_loss(z.log_softmax(-1), tg, il, tl, blank=blank,
                                           reduction=reduction), [z])


def test_edge_lengths():
    x = np.log(np.full((3, 2, 3), 1 / 3))
    loss = ctc_loss(mg.tensor(x), np.zeros((2, 0), np.int64), [0, 3], [0, 0], reduction="none")
    np.testing.assert_allclose(np.asarray(loss), [0.0, 3 * np.log(3)])  # all blanks
    loss = ctc_loss(mg.tensor(x), np.array([[1], [2]]), [0, 1], [1, 1], reduction="none")
    np.testing.assert_allclose(np.asarray(loss), [np.inf, np.log(3)])


BAD = [
    (dict(blank=3), RuntimeError, r"blank must be in label range \[0, 3\)"),
    (dict(blank=-1), RuntimeError, "blank must be in label range"),
    (dict(reduction="avg"), ValueError, "avg is not a valid value for reduction"),
    (dict(input_lengths=[5, 4]), RuntimeError, "Expected input_lengths to have value at most 4"),
    (dict(input_lengths=[4, -1]), RuntimeError, "input_lengths to have value at least 0"),
    (dict(input_lengths=[4]), RuntimeError, "input_lengths must be of size batch_size"),
    (dict(input_lengths=[4.0, 2.0]), TypeError, "input_lengths must hold integers"),
    (dict(target_lengths=[3, 1]), RuntimeError, "size at least 3 at dimension 1"),
    (dict(target_lengths=[2, -1]), RuntimeError, "target_lengths to have value at least 0"),
    (dict(targets=np.array([[1, 3], [2, 2]])), ValueError, r"target 3 \(sequence 0, "
                                                           r"position 1\) must be a class index"),
    (dict(targets=np.array([[1, 0], [2, 2]])), ValueError, "other than blank=0"),
    (dict(targets=np.array([[1, 2], [-2, 2]])), ValueError, "target -2"),
    (dict(targets=np.array([1, 2, 2])), RuntimeError, "size 4 at dimension 0, but got size 3"),
    (dict(targets=np.array([[0.5, 1], [1, 1]])), TypeError, "integer class indices"),
    (dict(targets=np.ones((3, 2), np.int64)), RuntimeError, "size 2 at dimension 0"),
    (dict(log_probs=np.zeros((4, 2, 0))), RuntimeError, "must not be empty"),
    (dict(log_probs=np.zeros((4, 2, 3), np.int64)), ValueError, "must be a float"),
]


@pytest.mark.parametrize("change,exc,msg", BAD)
def test_bad_inputs_are_refused_before_the_kernel(change, exc, msg):
    args = dict(log_probs=np.log(np.full((4, 2, 3), 1 / 3)), targets=np.array([[1, 2], [2, 2]]),
                input_lengths=[4, 4], target_lengths=[2, 2])
    kw = {k: change.pop(k) for k in list(change) if k not in args}
    args.update(change)
    lp = args.pop("log_probs")
    before = lp.copy()
    with pytest.raises(exc, match=msg):
        ctc_loss(mg.tensor(lp), **args, **kw)
    np.testing.assert_array_equal(lp, before)
