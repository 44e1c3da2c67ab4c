"""Optimizers and schedulers: identical parameters to torch after several steps, resumable
bit for bit, validated before anything reaches a kernel, updating parameters in place."""
import copy
import pickle

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
    # maximize, and torch's implementation keywords (accepted, no effect on CPU numbers)
    ("SGD", dict(lr=0.1, momentum=0.9, maximize=True, foreach=False, fused=None,
                 differentiable=False)),
    ("Adam", dict(lr=0.01, maximize=True, foreach=False, capturable=False, fused=None)),
    ("Adam", dict(lr=0.01, weight_decay=0.3, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01, amsgrad=True, maximize=True, foreach=False, capturable=False)),
    ("RMSprop", dict(lr=0.01, centered=True, maximize=True, foreach=False, capturable=False)),
    ("Adagrad", dict(lr=0.1, maximize=True, foreach=False, fused=None)),
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
    np.testing.assert_allclose(_np(p), tp.detach().numpy(), rtol=1e-10, atol=1e-12)


def _np(t):
    return t.detach().numpy()


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
        return _np(p)

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


# ---------------------------------------------------------------------- torch's surface
@needs_torch
@pytest.mark.parametrize("name,kw", CONFIGS)
def test_state_dict_layout_matches_torch(name, kw):
    p, tp = nn.Parameter(np.ones(3)), torch.nn.Parameter(torch.ones(3))
    opt, topt = getattr(optim, name)([p], **kw), getattr(torch.optim, name)([tp], **kw)
    p.grad, tp.grad = mg.ones(3, dtype=np.float64), torch.ones(3)
    opt.step()
    topt.step()
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sd["param_groups"] == tsd["param_groups"]
    assert {k: sorted(v) for k, v in sd["state"].items()} == \
        {k: sorted(v) for k, v in tsd["state"].items()}
    assert repr(opt) == repr(topt)


@needs_torch
@pytest.mark.parametrize("name,kw", [c for c in CONFIGS if c[0] != "SGD"])
def test_loads_torch_state_dict_and_continues_like_torch(name, kw):
    rng = np.random.default_rng(1)
    w0 = rng.standard_normal((4, 3))
    tp = torch.nn.Parameter(torch.tensor(w0))
    topt = getattr(torch.optim, name)([tp], **kw)
    grads = [rng.standard_normal((4, 3)) for _ in range(6)]
    for g in grads[:3]:
        tp.grad = torch.tensor(g)
        topt.step()
    p = nn.Parameter(tp.detach().numpy().copy())
    opt = getattr(optim, name)([p], **kw)
    opt.load_state_dict(topt.state_dict())
    for g in grads[3:]:
        tp.grad, p.grad = torch.tensor(g), mg.tensor(g)
        topt.step()
        opt.step()
    np.testing.assert_allclose(_np(p), tp.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_param_group_rules_follow_torch():
    frozen, p = nn.Parameter(np.ones(2), requires_grad=False), nn.Parameter(np.ones(2))
    opt = optim.SGD([frozen, p], lr=0.5)  # frozen parameters are allowed and skipped
    p.grad = mg.ones(2, dtype=np.float64)
    opt.step()
    assert _np(frozen).tolist() == [1, 1] and _np(p).tolist() == [0.5, 0.5]
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {p}}], lr=0.1)
    model = nn.Linear(2, 1)
    named = optim.Adam(model.named_parameters(), lr=0.1)
    assert named.param_groups[0]["param_names"] == ["weight", "bias"]
    assert named.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]
    two = optim.SGD([{"params": [p], "lr": 0.3}, {"params": [frozen]}], lr=0.1, momentum=0.5)
    assert [g["lr"] for g in two.param_groups] == [0.3, 0.1]
    assert two.param_groups[1]["momentum"] == 0.5


def test_closure_runs_with_grad_enabled_and_returns_loss():
    p = nn.Parameter(np.array([3.0]))
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with mg.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 9.0 and _np(p).tolist() == [3.0 - 0.25 * 6.0]


# ---------------------------------------------------------------------- in place
@pytest.mark.parametrize("name,kw", CONFIGS)
def test_step_writes_into_the_parameter_array(name, kw):
    p = nn.Parameter(np.ones((4, 3)))
    view = _np(p)[1]  # a numpy view of one row: it must see the update
    opt = getattr(optim, name)([p], **kw)
    grad = mg.tensor(np.full((4, 3), 0.5))
    p.grad = grad
    opt.step()
    assert not np.all(_np(p) == 1)
    np.testing.assert_array_equal(view, _np(p)[1])
    np.testing.assert_array_equal(_np(grad), 0.5)  # the gradient is read, never written


def test_zero_grad_without_set_to_none_zeroes_in_place():
    model = nn.Linear(3, 2)
    model(mg.ones(1, 3)).sum().backward()
    grads = [p.grad for p in model.parameters()]
    arrays = [_np(g) for g in grads]
    optim.SGD(model.parameters(), lr=0.1).zero_grad(set_to_none=False)
    assert all(p.grad is g for p, g in zip(model.parameters(), grads))
    assert all(not a.any() for a in arrays)
    model(mg.ones(1, 3)).sum().backward()
    model.zero_grad(set_to_none=False)
    assert all(p.grad is g and not _np(g).any() for p, g in zip(model.parameters(), grads))
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


# ---------------------------------------------------------------------- validation
def _set_grad(p, g) -> bool:
    """Assign a bad gradient; False when the engine itself refuses it (torch does)."""
    try:
        p.grad = g
    except (RuntimeError, ValueError, TypeError):
        return False
    return True


@pytest.mark.parametrize("name,kw", CONFIGS)
@pytest.mark.parametrize("bad", ["shape", "dtype"])
def test_wrong_gradient_is_refused_before_anything_changes(name, kw, bad):
    good, p = nn.Parameter(np.ones(3)), nn.Parameter(np.ones(3))
    opt = getattr(optim, name)([good, p], **kw)
    before = copy.deepcopy(opt.state_dict())
    good.grad = mg.ones(3, dtype=np.float64)
    g = mg.ones(5, dtype=np.float64) if bad == "shape" else mg.ones(3, dtype=np.float32)
    if not _set_grad(p, g):
        return
    want = r"\(5,\) and dtype float64" if bad == "shape" else r"\(3,\) and dtype float32"
    with pytest.raises(RuntimeError, match=r"parameter 1 of param group 0 has shape \(3,\) and "
                                           r"dtype float64, but its .grad has shape " + want):
        opt.step()
    assert _np(good).tolist() == [1, 1, 1] and _np(p).tolist() == [1, 1, 1]
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    assert after["state"].keys() == before["state"].keys()


@pytest.mark.parametrize("name,kw", [c for c in CONFIGS if c[0] != "SGD" or "momentum" in c[1]])
def test_corrupted_state_is_refused_before_the_update(name, kw):
    p = nn.Parameter(np.ones((2, 3)))
    opt = getattr(optim, name)([p], **kw)
    p.grad = mg.ones(2, 3, dtype=np.float64)
    opt.step()
    key = next(k for k, v in opt.state[p].items() if isinstance(v, np.ndarray))
    for bad in (np.zeros(5), np.zeros((2, 3), np.float32), np.zeros((3, 2)),
                np.broadcast_to(np.zeros(3), (2, 3))):  # last: read-only
        opt.state[p][key] = bad
        snapshot = _np(p).copy()
        with pytest.raises(RuntimeError, match=f"'{key}'"):
            opt.step()
        np.testing.assert_array_equal(_np(p), snapshot)
    del opt.state[p][key]
    if opt.state[p]:  # (an emptied state is a fresh start)
        with pytest.raises(RuntimeError, match=f"lacks '{key}'"):
            opt.step()


def test_non_contiguous_state_takes_the_reference_path():
    def run(fortran):
        p = nn.Parameter(np.linspace(-1, 1, 6).reshape(2, 3))
        opt = optim.Adam([p], lr=0.1)
        for i in range(3):
            p.grad = mg.tensor(np.cos(np.arange(6.0) + i).reshape(2, 3))
            opt.step()
            if fortran and i == 0:
                for k in ("exp_avg", "exp_avg_sq"):
                    opt.state[p][k] = np.asfortranarray(opt.state[p][k])
        return _np(p)

    np.testing.assert_allclose(run(True), run(False), rtol=1e-12)


@pytest.mark.parametrize("fn", ["dispatch", "kernel", "reference"])
def test_adam_kernel_entry_refuses_mismatched_arrays(fn):
    from minigrad.kernels import adam

    step = {"dispatch": adam.adam_step, "kernel": adam.adam_step.kernel,
            "reference": adam.adam_step_ref}[fn]
    ok = [np.zeros(4) for _ in range(4)]
    cases = [([np.zeros(4), np.zeros(9), np.zeros(4), np.zeros(4)], ValueError, "grad has shape"),
             ([np.zeros(4), np.zeros(4), np.zeros(3), np.zeros(4)], ValueError, "exp_avg has"),
             ([np.zeros(4), np.zeros(4, np.float32), np.zeros(4), np.zeros(4)], TypeError,
              "dtype float32"),
             ([np.zeros(4, int), np.zeros(4, int), np.zeros(4, int), np.zeros(4, int)],
              TypeError, "float32 or float64"),
             ([np.broadcast_to(np.zeros(1), (4,)), *ok[1:]], ValueError, "read-only"),
             ([list(range(4)), *ok[1:]], TypeError, "numpy array")]
    for arrays, err, msg in cases:
        with pytest.raises(err, match=msg):
            step(*arrays, 1, 1e-3, 0.9, 0.999, 1e-8, 0.0, False)


def test_load_state_dict_refuses_another_models_state_and_changes_nothing():
    a, b = nn.Linear(3, 4), nn.Linear(5, 4)  # same number of parameters, other shapes
    oa, ob = optim.Adam(a.parameters(), lr=0.1), optim.Adam(b.parameters(), lr=0.01)
    for m, o, n in ((a, oa, 3), (b, ob, 5)):
        m(mg.ones(2, n)).sum().backward()
        o.step()
    before = ob.state_dict()
    with pytest.raises(ValueError, match=r"'exp_avg' of parameter 0 has shape \(4, 3\), but the "
                                         r"parameter has shape \(4, 5\)"):
        ob.load_state_dict(oa.state_dict())
    more = optim.Adam(nn.Sequential(nn.Linear(5, 4), nn.Linear(4, 1)).parameters())
    with pytest.raises(ValueError, match="parameter group 0 has 4 parameters, this "
                                         "optimizer's has 2"):
        ob.load_state_dict(more.state_dict())
    with pytest.raises(ValueError, match="2 parameter groups"):
        ob.load_state_dict({"state": {}, "param_groups": [oa.param_groups[0]] * 2})
    bad = oa.state_dict()
    bad["state"][0]["exp_avg"] = np.array(["x"] * 20).reshape(4, 5)
    with pytest.raises(TypeError, match="numeric"):
        ob.load_state_dict(bad)
    after = ob.state_dict()
    assert after["param_groups"] == before["param_groups"]
    for i, st in before["state"].items():
        for k, v in st.items():
            np.testing.assert_array_equal(after["state"][i][k], v)
    b(mg.ones(2, 5)).sum().backward()
    ob.step()  # still a working optimizer


def test_loaded_float64_state_is_cast_to_a_float32_parameter():
    p64 = nn.Parameter(np.ones(3))
    o64 = optim.Adam([p64])
    p64.grad = mg.ones(3, dtype=np.float64)
    o64.step()
    p32 = nn.Parameter(np.ones(3, np.float32))
    o32 = optim.Adam([p32])
    o32.load_state_dict(o64.state_dict())
    assert o32.state[p32]["exp_avg"].dtype == np.float32
    p32.grad = mg.ones(3, dtype=np.float32)
    o32.step()


# ---------------------------------------------------------------------- resuming
RESUME = [("SGD", dict(lr=0.1, momentum=0.9)),
          ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
          ("Adam", dict(lr=0.01)),
          ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
          ("AdamW", dict(lr=0.01, amsgrad=True)),
          ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
          ("Adagrad", dict(lr=0.1, lr_decay=0.01))]
X = mg.tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3))
Y = mg.tensor(np.linspace(0, 1, 8, dtype=np.float32).reshape(4, 2))


def _model():
    mg.manual_seed(1)
    return nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))


def _train(model, opt, steps):
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.mse_loss(model(X), Y).backward()
        opt.step()


@pytest.mark.parametrize("name,kw", RESUME)
@pytest.mark.parametrize("how", ["deepcopy", "pickle", "state_dict"])
def test_resumed_training_is_bit_identical(name, kw, how):
    model = _model()
    opt = getattr(optim, name)(model.parameters(), **kw)
    _train(model, opt, 3)
    if how == "deepcopy":
        model2, opt2 = copy.deepcopy((model, opt))
    elif how == "pickle":
        model2, opt2 = pickle.loads(pickle.dumps((model, opt)))
    else:
        msd, osd = pickle.loads(pickle.dumps((model.state_dict(), opt.state_dict())))
        model2 = _model()
        model2.load_state_dict(msd)
        opt2 = getattr(optim, name)(model2.parameters(), **kw)
        opt2.load_state_dict(osd)
    old = {id(p) for p in model.parameters()}
    assert all(p in opt2.state and id(p) not in old for p in model2.parameters())
    assert [p for g in opt2.param_groups for p in g["params"]] == list(model2.parameters())
    _train(model2, opt2, 4)  # the copy first: it must not disturb the original
    _train(model, opt, 4)
    for a, b in zip(model.parameters(), model2.parameters()):
        np.testing.assert_array_equal(_np(a), _np(b))


@needs_torch
@pytest.mark.parametrize("dtype,big", [(np.float32, 1e20), (np.float32, 1e30),
                                       (np.float64, 1e30), (np.float64, 1e160)])
@pytest.mark.parametrize("momentum", [0.0, 0.5])
def test_centered_rmsprop_with_huge_gradients_stays_finite_like_torch(dtype, big, momentum):
    tdt = torch.float32 if dtype == np.float32 else torch.float64
    p = nn.Parameter(np.ones(3, dtype))
    tp = torch.nn.Parameter(torch.ones(3, dtype=tdt))
    kw = dict(lr=0.01, centered=True, momentum=momentum)
    opt, topt = optim.RMSprop([p], **kw), torch.optim.RMSprop([tp], **kw)
    for sign in (1, -1, 1):
        p.grad = mg.tensor(np.full(3, sign * big, dtype))
        tp.grad = torch.full((3,), sign * big, dtype=tdt)
        opt.step()
        topt.step()
    assert np.isfinite(_np(p)).all()
    np.testing.assert_allclose(_np(p), tp.detach().numpy(), rtol=1e-6)


# ---------------------------------------------------------------------- schedulers


SCHEDULES = {
    "lambda": (lambda L, o: L.LambdaLR(o, lambda e: 0.95 ** e), 12),
    "lambda_per_group": (lambda L, o: L.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.9 ** e]),
                         8),
    "multiplicative": (lambda L, o: L.MultiplicativeLR(o, lambda e: 0.9), 12),
    "step": (lambda L, o: L.StepLR(o, 3, gamma=0.5), 12),
    "multistep": (lambda L, o: L.MultiStepLR(o, [2, 5, 5, 9], gamma=0.3), 12),
    "constant": (lambda L, o: L.ConstantLR(o, factor=0.25, total_iters=4), 8),
    "linear": (lambda L, o: L.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=6), 10),
    "exponential": (lambda L, o: L.ExponentialLR(o, 0.93), 12),
    "polynomial": (lambda L, o: L.PolynomialLR(o, total_iters=7, power=2.0), 10),
    "cosine": (lambda L, o: L.CosineAnnealingLR(o, T_max=5, eta_min=0.01), 23),
    "onecycle": (lambda L, o: L.OneCycleLR(o, max_lr=[0.5, 1.0], total_steps=20), 20),
    "onecycle_linear_3phase": (lambda L, o: L.OneCycleLR(
        o, max_lr=0.8, epochs=3, steps_per_epoch=5, anneal_strategy="linear",
        three_phase=True, pct_start=0.25), 15),
    "sequential": (lambda L, o: L.SequentialLR(o, [L.LinearLR(o, 0.1, total_iters=3),
                                                   L.CosineAnnealingLR(o, T_max=6)],
                                               milestones=[3]), 14),
    "chained": (lambda L, o: L.ChainedScheduler([L.ExponentialLR(o, 0.9),
                                                 L.StepLR(o, 2, 0.5)]), 10),
}


def _lrs(opt):
    return [(g["lr"], g.get("momentum"), g.get("betas")) for g in opt.param_groups]


@needs_torch
@pytest.mark.parametrize("key", sorted(SCHEDULES))
@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
def test_scheduler_lr_sequence_equals_torch(key, opt_name):
    import warnings

    make, steps = SCHEDULES[key]

    def build(lib, params):
        groups = [{"params": [params[0]], "lr": 0.1}, {"params": [params[1]], "lr": 0.3}]
        o = getattr(lib.optim, opt_name)(groups)
        return o, make(lib.optim.lr_scheduler, o)

    ps = [nn.Parameter(np.ones(1)) for _ in range(2)]
    tps = [torch.nn.Parameter(torch.ones(1)) for _ in range(2)]
    o, s = build(mg, ps)
    to, ts = build(torch, tps)
    half = steps // 2
    assert _lrs(o) == _lrs(to) and s.get_last_lr() == ts.get_last_lr()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(steps):
            o.step()
            to.step()
            s.step()
            ts.step()
            assert _lrs(o) == _lrs(to), f"step {i}"
            assert s.get_last_lr() == ts.get_last_lr()
            if i == half:  # resume from state dicts: the sequence goes on unchanged
                saved = pickle.loads(pickle.dumps((o.state_dict(), s.state_dict())))
                ps = [nn.Parameter(np.ones(1)) for _ in range(2)]
                o, s = build(mg, ps)
                o.load_state_dict(saved[0])
                s.load_state_dict(saved[1])


@needs_torch
@pytest.mark.parametrize("kw", [dict(patience=2, cooldown=1),
                                dict(mode="max", factor=0.5, patience=1, threshold_mode="abs",
                                     threshold=0.01),
                                dict(patience=0, min_lr=[0.05, 0.0], eps=1e-3)])
def test_reduce_lr_on_plateau_equals_torch(kw):
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85, 0.7, 0.7, 0.71,
               0.72, 0.73, 0.74, 0.75]
    ps = [nn.Parameter(np.ones(1)) for _ in range(2)]
    tps = [torch.nn.Parameter(torch.ones(1)) for _ in range(2)]
    o = optim.SGD([{"params": [ps[0]], "lr": 0.1}, {"params": [ps[1]], "lr": 0.3}])
    to = torch.optim.SGD([{"params": [tps[0]], "lr": 0.1}, {"params": [tps[1]], "lr": 0.3}])
    s = optim.lr_scheduler.ReduceLROnPlateau(o, **kw)
    ts = torch.optim.lr_scheduler.ReduceLROnPlateau(to, **kw)
    for i, m in enumerate(metrics):
        s.step(m)
        ts.step(m)
        assert _lrs(o) == _lrs(to) and s.get_last_lr() == ts.get_last_lr(), f"epoch {i}"
        if i == 8:
            saved = pickle.loads(pickle.dumps(s.state_dict()))
            s = optim.lr_scheduler.ReduceLROnPlateau(o, **kw)
            s.load_state_dict(saved)


def test_scheduler_errors():
    p = nn.Parameter(np.ones(1))
    o = optim.SGD([p], lr=0.1)
    L = optim.lr_scheduler
    with pytest.raises(TypeError, match="not an Optimizer"):
        L.StepLR("sgd", 2)
    with pytest.raises(ValueError, match="Expected 1 lr_lambdas"):
        L.LambdaLR(o, [lambda e: 1, lambda e: 1])
    with pytest.raises(ValueError, match="total_steps OR"):
        L.OneCycleLR(o, max_lr=1.0)
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        L.ReduceLROnPlateau(o, factor=2.0)
    with pytest.raises(ValueError, match="does not support ReduceLROnPlateau"):
        L.SequentialLR(o, [L.StepLR(o, 1), L.ReduceLROnPlateau(o)], milestones=[2])
    with pytest.raises(KeyError, match="initial_lr"):
        L.StepLR(optim.SGD([p], lr=0.1), 2, last_epoch=3)
    one = L.OneCycleLR(o, max_lr=1.0, total_steps=2)
    one.step()
    one.step()
    with pytest.raises(ValueError, match="Tried to step 3 times"):
        one.step()


def test_loading_a_checkpoint_without_newer_options_fills_defaults():
    p = nn.Parameter(np.ones(2))
    opt = optim.Adam([p], lr=0.1, amsgrad=True)
    p.grad = mg.ones(2, dtype=np.float64)
    opt.step()
    sd = opt.state_dict()
    for k in ("maximize", "foreach", "capturable", "differentiable", "fused",
              "decoupled_weight_decay"):
        del sd["param_groups"][0][k]
    opt2 = optim.Adam([p], lr=0.1, amsgrad=True)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["maximize"] is False and opt2.param_groups[0]["lr"] == 0.1
    opt2.step()
