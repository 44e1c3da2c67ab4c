"""Class 1 — memory safety: nothing reachable from Python lets a Numba kernel read or write out
of bounds. Crash-prone probes run in a subprocess (a segfault fails the test, not pytest)."""
import copy

import numpy as np
import pytest
from conftest import needs_torch, torch
from hypothesis import given
from hypothesis import strategies as st
from isolate import run_isolated

import minigrad as mg
import nn
from minigrad.kernels.adam import check_adam_arrays
from minigrad.kernels.scatter import scatter_add_rows
from nn.kernels.recurrent import Mode, recurrence_backward, recurrence_forward

OPTIMIZERS = {
    "SGD": lambda ps: mg.optim.SGD(ps, lr=0.1, momentum=0.9),
    "Adam": lambda ps: mg.optim.Adam(ps, lr=0.01),
    "AdamW": lambda ps: mg.optim.AdamW(ps, lr=0.01),
    "RMSprop": lambda ps: mg.optim.RMSprop(ps, lr=0.01, centered=True, momentum=0.5),
    "Adagrad": lambda ps: mg.optim.Adagrad(ps, lr=0.1),
}


def _stepped(model, opt):
    model(mg.randn(2, model.in_features)).sum().backward()
    opt.step()
    return opt


def test_loading_another_models_state_then_stepping_never_crashes():
    """The issue's segfault: Adam.step() after loading a foreign model's state."""
    out = run_isolated("""
        import minigrad as mg, nn
        for name in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad"):
            make = getattr(mg.optim, name)
            kw = {"lr": 0.01, "momentum": 0.9} if name in ("SGD", "RMSprop") else {"lr": 0.01}
            a, b = nn.Linear(3, 2), nn.Linear(50, 40)
            oa, ob = make(a.parameters(), **kw), make(b.parameters(), **kw)
            b(mg.randn(4, 50)).sum().backward(); ob.step()
            try:
                oa.load_state_dict(ob.state_dict())
            except ValueError:
                pass
            a(mg.randn(4, 3)).sum().backward(); oa.step(); oa.step()
        print("alive")
    """)
    assert "alive" in out


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_foreign_state_is_refused_and_the_optimizer_is_unchanged(name):
    a, b = nn.Linear(3, 2), nn.Linear(5, 4)
    oa, ob = _stepped(a, OPTIMIZERS[name](a.parameters())), _stepped(b, OPTIMIZERS[name](
        b.parameters()))
    before = copy.deepcopy(oa.state_dict())
    if name == "SGD" or oa.state_dict()["state"]:
        with pytest.raises(ValueError, match="shape"):
            oa.load_state_dict(ob.state_dict())
    after = oa.state_dict()
    assert after["param_groups"] == before["param_groups"]
    for k, st_ in before["state"].items():
        for key, val in st_.items():
            np.testing.assert_array_equal(np.asarray(after["state"][k][key]), np.asarray(val))


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_state_of_another_dtype_is_cast_and_a_missing_parameter_refused(name):
    """torch casts floating state to the parameter's dtype; so do we (the kernel then sees
    one dtype). A group listing fewer parameters is refused, leaving the optimizer usable."""
    m = nn.Linear(3, 2)
    opt = _stepped(m, OPTIMIZERS[name](m.parameters()))
    sd = copy.deepcopy(opt.state_dict())
    for key, v in sd["state"][0].items():
        if np.ndim(np.asarray(v)) > 0:
            sd["state"][0][key] = mg.tensor(np.asarray(v).astype(np.float64))
    opt.load_state_dict(sd)
    for key, v in opt.state_dict()["state"][0].items():
        if np.ndim(np.asarray(v)) > 0:
            assert np.asarray(v).dtype == np.float32, key
    sd = copy.deepcopy(opt.state_dict())
    sd["param_groups"][0]["params"] = [0]  # one parameter fewer than the optimizer holds
    with pytest.raises(ValueError):
        opt.load_state_dict(sd)
    m(mg.randn(2, 3)).sum().backward()
    opt.step()  # still usable


@needs_torch
@pytest.mark.parametrize("grad", [np.zeros(5, np.float32), np.zeros((3, 2), np.float32),
                                  np.zeros((2, 3, 1), np.float32), np.zeros((), np.float32),
                                  np.zeros((2, 3), np.float64), np.zeros((2, 3), np.int64)])
def test_assigning_a_wrong_grad_is_refused_like_torch(grad):
    p = nn.Linear(3, 2).weight
    tp = torch.nn.Linear(3, 2, dtype=torch.float32).weight
    with pytest.raises(RuntimeError) as theirs:
        tp.grad = torch.from_numpy(grad)
    with pytest.raises(RuntimeError) as ours:
        p.grad = mg.tensor(grad)
    assert ("size" in str(ours.value)) == ("size" in str(theirs.value)) or \
        ("type" in str(ours.value) and "dtype" in str(theirs.value))
    assert p.grad is None


@needs_torch
@pytest.mark.parametrize("name", ["Adam", "AdamW", "SGD", "RMSprop", "Adagrad"])
def test_non_contiguous_and_transposed_grads_step_like_torch(name):
    w = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    g = np.random.default_rng(2).standard_normal((4, 3)).astype(np.float32)
    p = nn.Parameter(w.copy())
    tp = torch.nn.Parameter(torch.from_numpy(w.copy()))
    opt = OPTIMIZERS[name]([p])
    kw = {"SGD": dict(lr=0.1, momentum=0.9), "Adam": dict(lr=0.01), "AdamW": dict(lr=0.01),
          "RMSprop": dict(lr=0.01, centered=True, momentum=0.5), "Adagrad": dict(lr=0.1)}[name]
    topt = getattr(torch.optim, name)([tp], **kw)
    for _ in range(3):
        p.grad = mg.tensor(g).T          # a transposed (F-ordered) view
        tp.grad = torch.from_numpy(g).T
        opt.step()
        topt.step()
    np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=1e-5, atol=1e-6)


@given(st.lists(st.integers(0, 4), min_size=1, max_size=3), st.integers(0, 3))
def test_adam_kernel_checks_refuse_every_mismatch(shape, which):
    p = np.zeros((2, 3), np.float32)
    arrs = [p, p.copy(), p.copy(), p.copy()]
    arrs[which] = np.zeros(tuple(shape), np.float32)
    if tuple(shape) == (2, 3):
        check_adam_arrays(*arrs)
        arrs[which] = arrs[which].astype(np.float64)
    with pytest.raises((ValueError, TypeError)):
        check_adam_arrays(*arrs)


def test_adam_kernel_refuses_read_only_arrays():
    p = np.zeros(3, np.float32)
    ro = p.copy()
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        check_adam_arrays(p, p.copy(), ro, p.copy())


@given(st.integers(-5, 8), st.integers(1, 4))
def test_scatter_kernel_refuses_out_of_range_indices(bad, n):
    out = np.zeros((4, 3))
    idx = np.full(n, bad, np.int64)
    src = np.ones((n, 3))
    if 0 <= bad < 4:
        scatter_add_rows(out, idx, src)
        assert out.sum() == 3 * n
    else:
        with pytest.raises(IndexError):
            scatter_add_rows(out, idx, src)


def test_scatter_kernel_refuses_mismatched_shapes():
    with pytest.raises(ValueError):
        scatter_add_rows(np.zeros((4, 3)), np.zeros(2, np.int64), np.ones((3, 3)))
    with pytest.raises(ValueError):
        scatter_add_rows(np.zeros((4, 3)), np.zeros(2, np.int64), np.ones((2, 5)))


@needs_torch
@pytest.mark.parametrize("idx", [[0, 5], [-6, 1], [[1, 7]]])
def test_embedding_index_out_of_range_is_an_index_error_like_torch(idx):
    emb = nn.Embedding(5, 3)
    with pytest.raises(IndexError):
        torch.nn.Embedding(5, 3)(torch.tensor(idx))
    with pytest.raises(IndexError):
        emb(mg.tensor(idx))


@given(st.sampled_from(list(Mode)), st.integers(0, 6), st.sampled_from(
    ["xp", "h0", "c0", "w_hh", "b_hh", "mask"]))
def test_recurrence_kernel_refuses_any_inconsistent_shape(mode, delta, which):
    T, B, H = 3, 2, 4
    G = {Mode.RNN_TANH: 1, Mode.RNN_RELU: 1, Mode.LSTM: 4, Mode.GRU: 3}[mode] * H
    args = dict(xp=np.zeros((T, B, G)), h0=np.zeros((B, H)), c0=np.zeros((B, H)),
                w_hh=np.zeros((G, H)), b_hh=np.zeros(G), mask=np.ones((T, B)))
    a = args[which]
    args[which] = np.zeros(a.shape[:-1] + (a.shape[-1] + delta,))
    call = lambda: recurrence_forward(mode, args["xp"], args["h0"], args["c0"],  # noqa: E731
                                      args["w_hh"], args["b_hh"], args["mask"], False)
    if delta == 0:
        call()
    else:
        with pytest.raises(ValueError, match="recurrence"):
            call()


def test_recurrence_backward_refuses_a_short_history():
    T, B, H = 3, 2, 4
    G = 4 * H
    z = np.zeros
    with pytest.raises(ValueError, match="hs"):
        recurrence_backward(Mode.LSTM, z((T, B, H)), z((B, H)), z((B, H)), z((T, B, H)),
                            z((T + 1, B, H)), z((T, B, G)), z((T, B, H)), z((G, H)),
                            np.ones((T, B)), False)


def test_a_storm_of_bad_kernel_inputs_never_kills_the_interpreter():
    """Random garbage at every kernel entry, in a child process: only Python errors allowed."""
    out = run_isolated("""
        import numpy as np
        from nn.kernels.recurrent import Mode, recurrence_forward
        from minigrad.kernels.scatter import scatter_add_rows
        from minigrad.kernels.adam import adam_step
        rng = np.random.default_rng(0)
        shape = lambda: tuple(rng.integers(0, 4, rng.integers(0, 4)))
        errors = 0
        for i in range(300):
            try:
                k = i % 3
                if k == 0:
                    recurrence_forward(Mode(int(rng.integers(0, 4))), *(rng.standard_normal(
                        shape()) for _ in range(6)), False)
                elif k == 1:
                    scatter_add_rows(rng.standard_normal(shape()), rng.integers(-3, 5, shape()),
                                     rng.standard_normal(shape()))
                else:
                    adam_step(*(rng.standard_normal(shape()).astype(np.float32)
                                for _ in range(4)), 1, 0.1, 0.9, 0.999, 1e-8, 0.0, False)
            except (ValueError, TypeError, IndexError):
                errors += 1
        print("errors", errors)
    """)
    assert "errors" in out
