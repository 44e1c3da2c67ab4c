"""Class 4 — resumable optimizers: state survives copy.deepcopy, pickle, the state_dict round
trip and an ``mg.save`` checkpoint; training resumed any way continues bit-identically to
uninterrupted training, for every optimizer, with parameter groups and an LR scheduler."""
import copy
import io
import pickle

import numpy as np
import pytest
from conftest import needs_torch, torch
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
import nn

OPTS = {
    "SGD": dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "Adam": dict(lr=0.01, amsgrad=True, weight_decay=1e-3),
    "AdamW": dict(lr=0.01, weight_decay=0.1),
    "RMSprop": dict(lr=0.01, centered=True, momentum=0.5),
    "Adagrad": dict(lr=0.1, lr_decay=0.01),
}


def _make(name, seed=0):
    mg.manual_seed(seed)
    model = nn.ModuleDict({"emb": nn.Embedding(9, 5), "rnn": nn.LSTM(5, 6),
                           "out": nn.Linear(6, 9)})
    groups = [{"params": list(model["emb"].parameters()) + list(model["rnn"].parameters())},
              {"params": list(model["out"].parameters()), "lr": OPTS[name]["lr"] / 2}]
    opt = getattr(mg.optim, name)(groups, **OPTS[name])
    sched = mg.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    return model, opt, sched


def _step(model, opt, sched, k):
    x = mg.tensor(np.random.default_rng(100 + k).integers(0, 9, (6, 3)))
    out, _ = model["rnn"](model["emb"](x[:-1]))
    loss = nn.functional.cross_entropy(model["out"](out).reshape(-1, 9), x[1:].reshape(-1))
    opt.zero_grad()
    loss.backward()
    opt.step()
    sched.step()
    return float(loss)


def _params(model):
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


def _resume(how, model, opt, sched, name):
    if how == "deepcopy":
        return copy.deepcopy((model, opt, sched))
    if how == "pickle":
        return pickle.loads(pickle.dumps((model, opt, sched)))
    m2, o2, s2 = _make(name, seed=123)       # a fresh run with other initial weights
    ckpt = {"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict()}
    if how == "save":
        buf = io.BytesIO()
        mg.save(ckpt, buf)
        buf.seek(0)
        ckpt = mg.load(buf)
    m2.load_state_dict(ckpt["model"])
    o2.load_state_dict(ckpt["opt"])
    s2.load_state_dict(ckpt["sched"])
    return m2, o2, s2


@pytest.mark.parametrize("how", ["deepcopy", "pickle", "state_dict", "save"])
@pytest.mark.parametrize("name", sorted(OPTS))
def test_resumed_training_is_bit_identical(name, how):
    total, cut = 6, 3
    ref = _make(name)
    ref_losses = [_step(*ref, k) for k in range(total)]
    run = _make(name)
    losses = [_step(*run, k) for k in range(cut)]
    resumed = _resume(how, *run, name)
    del run
    losses += [_step(*resumed, k) for k in range(cut, total)]
    assert losses == ref_losses
    got, want = _params(resumed[0]), _params(ref[0])
    for k in want:
        np.testing.assert_array_equal(got[k], want[k], err_msg=k)
    assert [g["lr"] for g in resumed[1].param_groups] == [g["lr"] for g in ref[1].param_groups]


@settings(max_examples=6)
@given(st.integers(0, 4), st.sampled_from(sorted(OPTS)))
def test_resume_at_any_step(cut, name):
    total = 5
    ref = _make(name)
    ref_losses = [_step(*ref, k) for k in range(total)]
    run = _make(name)
    losses = [_step(*run, k) for k in range(cut)]
    resumed = _resume("save", *run, name)
    losses += [_step(*resumed, k) for k in range(cut, total)]
    assert losses == ref_losses


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_copies_keep_the_optimizer_tied_to_the_copied_parameters(how):
    model, opt, sched = _make("Adam")
    _step(model, opt, sched, 0)
    m2, o2, _ = _resume(how, model, opt, sched, "Adam")
    ours = {id(p) for p in m2.parameters()}
    assert all(id(p) in ours for g in o2.param_groups for p in g["params"])
    assert all(id(p) in ours for p in o2.state)
    before = _params(model)
    _step(m2, o2, _, 1)
    after = _params(model)
    for k in before:   # stepping the copy never moves the original
        np.testing.assert_array_equal(before[k], after[k])


def test_loading_copies_state_so_the_source_dict_is_never_mutated():
    model, opt, sched = _make("Adam")
    _step(model, opt, sched, 0)
    sd = opt.state_dict()
    frozen = copy.deepcopy(sd)
    m2, o2, s2 = _make("Adam", seed=5)
    o2.load_state_dict(sd)
    _step(m2, o2, s2, 1)
    for k, st_ in frozen["state"].items():
        for n, v in st_.items():
            np.testing.assert_array_equal(np.asarray(sd["state"][k][n]), np.asarray(v))


@needs_torch
@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_state_dict_loads_into_torch_and_back(name):
    """Our optimizer state_dict has torch's layout: torch loads it and continues like us."""
    w = np.random.default_rng(0).standard_normal((3, 4))
    p = nn.Parameter(w.copy())
    tp = torch.nn.Parameter(torch.tensor(w.copy()))
    kw = dict(OPTS[name])
    opt = getattr(mg.optim, name)([p], **kw)
    grads = np.random.default_rng(1).standard_normal((4, 3, 4))
    for g in grads[:2]:
        p.grad = mg.tensor(g)
        opt.step()
    sd = opt.state_dict()
    tsd = {"param_groups": copy.deepcopy(sd["param_groups"]),
           "state": {k: {n: torch.tensor(np.asarray(v)) for n, v in st_.items()}
                     for k, st_ in sd["state"].items()}}
    with torch.no_grad():
        tp.copy_(torch.tensor(p.detach().numpy()))
    topt = getattr(torch.optim, name)([tp], **kw)
    topt.load_state_dict(tsd)
    for g in grads[2:]:
        p.grad = mg.tensor(g)
        tp.grad = torch.tensor(g)
        opt.step()
        topt.step()
    np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=1e-12, atol=1e-12)
