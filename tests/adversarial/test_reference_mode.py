"""The gradient and parity checks again with the readable definitions switched on
(``mg.reference_mode()``): a representative subset, parametrised over both modes, plus proof
that reference mode really bypasses the kernels. The whole suite runs that way with
``pytest --reference-mode`` (or MINIGRAD_REFERENCE=1)."""
import numpy as np
import pytest
from conftest import needs_torch, torch
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
import nn
from minigrad.kernels import _jit

F = nn.functional
MODES = pytest.mark.parametrize("reference", [False, True], ids=["kernels", "reference"])


class _mode:
    def __init__(self, on):
        self.ctx = mg.reference_mode() if on else None

    def __enter__(self):
        return self.ctx.__enter__() if self.ctx else None

    def __exit__(self, *exc):
        return self.ctx.__exit__(*exc) if self.ctx else None


def _train_everything():
    for cell in (nn.RNN, nn.LSTM, nn.GRU):
        m = cell(3, 4, num_layers=2, bidirectional=True)
        opt = mg.optim.Adam(m.parameters())
        out, _ = m(mg.randn(5, 2, 3))
        loss = F.cross_entropy(out.reshape(-1, 8), mg.tensor(np.arange(10) % 8)) + \
            out.softmax(-1).sum() + out.log_softmax(-1).sum() + out.logsumexp(-1).sum() + \
            out.tanh().sum() + out.sigmoid().sum()
        loss.backward()
        opt.step()


def test_reference_mode_never_enters_a_jitted_kernel(monkeypatch):
    """Make every jitted kernel raise; a training step of every recurrent cell with the
    losses, softmax family and Adam must still run in reference mode (and must not without
    it, which proves the probe can fail)."""
    def boom(self, *args):
        raise AssertionError(f"jitted kernel {self.__name__} ran")

    monkeypatch.setattr(_jit.LazyJit, "__call__", boom)
    with mg.reference_mode():
        _train_everything()
    with pytest.raises(AssertionError, match="jitted kernel"):
        _train_everything()


@needs_torch
@MODES
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("layers,bidir,batch_first", [(1, False, False), (2, True, True)])
def test_recurrent_parity_with_torch_in_both_modes(kind, layers, bidir, batch_first,
                                                   reference):
    mg.manual_seed(0)
    m = getattr(nn, kind)(3, 4, num_layers=layers, bidirectional=bidir,
                          batch_first=batch_first).to(mg.float64)
    tm = getattr(torch.nn, kind)(3, 4, num_layers=layers, bidirectional=bidir,
                                 batch_first=batch_first)
    tm.load_state_dict({k: torch.tensor(v.numpy()) for k, v in m.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((2, 5, 3) if batch_first else (5, 2, 3))
    xm, xt = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    with _mode(reference):
        out, _ = m(xm)
        (out ** 2).sum().backward()
    tout, _ = tm(xt)
    (tout ** 2).sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    for (n, p), (tn, tp) in zip(sorted(m.named_parameters()), sorted(tm.named_parameters())):
        assert n == tn
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=n)


@MODES
@settings(max_examples=5)
@given(st.sampled_from(["RNN", "LSTM", "GRU"]), st.integers(1, 4), st.integers(0, 3))
def test_recurrent_gradcheck_in_both_modes(reference, kind, T, B):
    mg.manual_seed(T * 10 + B)
    m = getattr(nn, kind)(2, 3).to(mg.float64)
    x = mg.tensor(np.random.default_rng(T).standard_normal((T, B, 2)), requires_grad=True)
    with _mode(reference):
        assert mg.gradcheck(lambda x: m(x)[0], (x,))


@needs_torch
@MODES
@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss", "mse_loss",
                                  "binary_cross_entropy_with_logits", "binary_cross_entropy"])
def test_loss_parity_with_torch_in_both_modes(loss, reference):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((6, 5))
    if loss == "binary_cross_entropy":
        x = 1 / (1 + np.exp(-x))
    t = rng.integers(0, 5, 6) if loss in ("cross_entropy", "nll_loss") else rng.random((6, 5))
    xm, xt = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    with _mode(reference):
        lm = getattr(F, loss)(xm, mg.tensor(t))
        lm.backward()
    lt = getattr(torch.nn.functional, loss)(xt, torch.tensor(t))
    lt.backward()
    np.testing.assert_allclose(float(lm), float(lt), rtol=1e-12)
    np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-14)


@needs_torch
@MODES
@pytest.mark.parametrize("op", ["softmax", "log_softmax", "logsumexp", "sigmoid", "tanh",
                                "relu"])
def test_pointwise_and_softmax_double_backward_in_both_modes(op, reference):
    x = np.random.default_rng(3).standard_normal((3, 4))
    w = np.random.default_rng(4).standard_normal((3, 4))
    xm = mg.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    f = (lambda t: getattr(t, op)(-1)) if op in ("softmax", "log_softmax", "logsumexp") \
        else (lambda t: getattr(t, op)())
    with _mode(reference):
        ym = f(xm)
        g, = mg.grad((ym * ym).sum(), xm, create_graph=True)
        gg, = mg.grad((g * mg.tensor(w)).sum(), xm)
    yt = f(xt)
    tg, = torch.autograd.grad((yt * yt).sum(), xt, create_graph=True)
    tgg, = torch.autograd.grad((tg * torch.tensor(w)).sum(), xt)
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-9, atol=1e-12)


@needs_torch
@MODES
@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_adam_kernel_and_reference_equal_torch(name, reference):
    w = np.random.default_rng(5).standard_normal((4, 3)).astype(np.float32)
    p = nn.Parameter(w.copy())
    tp = torch.nn.Parameter(torch.from_numpy(w.copy()))
    opt = getattr(mg.optim, name)([p], lr=0.01, weight_decay=0.1)
    topt = getattr(torch.optim, name)([tp], lr=0.01, weight_decay=0.1)
    for s in range(4):
        g = np.random.default_rng(10 + s).standard_normal((4, 3)).astype(np.float32)
        p.grad, tp.grad = mg.tensor(g), torch.from_numpy(g)
        with _mode(reference):
            opt.step()
        topt.step()
    np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=1e-6, atol=1e-7)
