"""Optimizers and schedulers: identical parameters to torch after several steps."""
import numpy as np
import pytest
from conftest import needs_torch, torch

import minigrad as mg
import nn
from minigrad import optim

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.5, amsgrad=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.1)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1)),
]


@needs_torch
@pytest.mark.parametrize("name,kw", CONFIGS)
@pytest.mark.parametrize("size", [(3,), (20, 30)])  # small (numpy) and large (fused kernel)
def test_optimizer_matches_torch(name, kw, size):
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal(size)
    p, tp = nn.Parameter(w0.copy()), torch.nn.Parameter(torch.tensor(w0.copy()))
    opt, topt = getattr(optim, name)([p], **kw), getattr(torch.optim, name)([tp], **kw)
    for _ in range(6):
        g = rng.standard_normal(size)
        p.grad, tp.grad = mg.tensor(g), torch.tensor(g)
        opt.step()
        topt.step()
    np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_state_dict_roundtrip_continues_identically():
    def run(reload):
        mg.manual_seed(0)
        p = nn.Parameter(np.ones(300))
        opt = optim.Adam([p], lr=0.1)
        for i in range(4):
            p.grad = mg.tensor(np.sin(np.arange(300) + i))
            opt.step()
            if reload and i == 1:
                sd = opt.state_dict()
                opt = optim.Adam([p], lr=0.1)
                opt.load_state_dict(sd)
        return p.detach().numpy()

    np.testing.assert_array_equal(run(False), run(True))


def test_schedulers():
    p = nn.Parameter(np.ones(1))
    opt = optim.SGD([p], lr=1.0)
    s = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    lrs = []
    for _ in range(5):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        s.step()
    assert lrs == [1.0, 1.0, 0.5, 0.5, 0.25]
    opt2 = optim.SGD([p], lr=1.0)
    e = optim.lr_scheduler.ExponentialLR(opt2, gamma=0.9)
    e.step()
    e.step()
    assert e.get_last_lr()[0] == pytest.approx(0.81)


def test_optimizer_errors_and_zero_grad():
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="learning rate"):
        optim.Adam([nn.Parameter(np.ones(1))], lr=-1)
    p = nn.Parameter(np.ones(2))
    p.grad = mg.ones(2, dtype=np.float64)
    o = optim.SGD([p], lr=0.1)
    o.zero_grad()
    assert p.grad is None


def test_training_reduces_loss():
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    opt = optim.Adam(model.parameters(), lr=0.05)
    x = mg.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = mg.tensor([[0.0], [1.0], [1.0], [0.0]])
    first = None
    for _ in range(300):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    assert loss.item() < 0.01 < first
