"""Class 8 — edge sizes: empty batch (B = 0) forward and backward through every layer and
loss, as torch; T = 0 refused at forward; zero-size dims in matmul, softmax and reductions;
0-d tensors with dim=0 / dim=-1 in every op that takes a dim."""
import numpy as np
import pytest
from conftest import needs_torch, torch
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import nn

F = nn.functional


def _both(make_ours, make_theirs, x):
    """Forward + backward of sum on both; returns outputs and input grads."""
    res = []
    for make, lib in ((make_ours, mg), (make_theirs, torch)):
        m = make()
        t = lib.tensor(x, requires_grad=x.dtype.kind == "f")
        out = m(t)
        out = out[0] if isinstance(out, tuple) else out
        s = out.sum()
        if t.requires_grad:
            s.backward()
        grad = None if t.grad is None else t.grad.numpy()
        res.append((tuple(out.shape), out.detach().numpy(), float(s), grad))
    return res


LAYERS = {
    "Linear": (lambda lib: lib.nn.Linear(4, 3) if lib is torch else nn.Linear(4, 3, dtype=
               mg.float64), (0, 4)),
    "Linear3d": (lambda lib: lib.nn.Linear(4, 3) if lib is torch else nn.Linear(
        4, 3, dtype=mg.float64), (2, 0, 4)),
    "LayerNorm": (lambda lib: lib.nn.LayerNorm(4) if lib is torch else nn.LayerNorm(
        4, dtype=mg.float64), (0, 4)),
    "Embedding": (lambda lib: lib.nn.Embedding(5, 3) if lib is torch else nn.Embedding(
        5, 3, dtype=mg.float64), (0, 2)),
    "RNN": (lambda lib: lib.nn.RNN(4, 3) if lib is torch else nn.RNN(4, 3).to(mg.float64),
            (5, 0, 4)),
    "LSTM": (lambda lib: lib.nn.LSTM(4, 3, num_layers=2) if lib is torch else nn.LSTM(
        4, 3, num_layers=2).to(mg.float64), (5, 0, 4)),
    "GRU_bf": (lambda lib: lib.nn.GRU(4, 3, batch_first=True, bidirectional=True)
               if lib is torch else nn.GRU(4, 3, batch_first=True, bidirectional=True).to(
                   mg.float64), (0, 5, 4)),
    "LSTMCell": (lambda lib: lib.nn.LSTMCell(4, 3) if lib is torch else nn.LSTMCell(
        4, 3).to(mg.float64), (0, 4)),
    "GRUCell": (lambda lib: lib.nn.GRUCell(4, 3) if lib is torch else nn.GRUCell(4, 3).to(
        mg.float64), (0, 4)),
    "Dropout": (lambda lib: lib.nn.Dropout(0.5), (0, 4)),
    "Tanh": (lambda lib: lib.nn.Tanh(), (0, 4)),
    "Softmax": (lambda lib: lib.nn.Softmax(-1), (0, 4)),
}


@needs_torch
@pytest.mark.parametrize("name", sorted(LAYERS))
@pytest.mark.parametrize("reference", [False, True])
def test_empty_batch_through_every_layer_matches_torch(name, reference):
    make, shape = LAYERS[name]
    x = np.zeros(shape, np.int64) if name == "Embedding" else np.zeros(shape)
    with mg.reference_mode() if reference else mg.enable_grad():
        ours, theirs = _both(lambda: make(mg), lambda: make(torch), x)
    assert ours[0] == theirs[0]
    assert ours[2] == theirs[2] == 0.0
    if theirs[3] is not None:
        assert ours[3].shape == theirs[3].shape


@needs_torch
def test_empty_batch_multihead_attention_matches_torch():
    m = nn.MultiheadAttention(4, 2).to(mg.float64)
    tm = torch.nn.MultiheadAttention(4, 2)
    for shape in [(3, 0, 4), (0, 2, 4)]:
        q = mg.tensor(np.zeros(shape), requires_grad=True)
        try:
            tout, _ = tm(*(torch.zeros(shape),) * 3)
        except RuntimeError:
            with pytest.raises((RuntimeError, ValueError)):
                m(q, q, q)
            continue
        out, _ = m(q, q, q)
        assert tuple(out.shape) == tuple(tout.shape)
        out.sum().backward()
        assert q.grad.shape == shape


LOSSES = {
    "cross_entropy": lambda lib, x: lib.tensor(np.zeros(0, np.int64)),
    "nll_loss": lambda lib, x: lib.tensor(np.zeros(0, np.int64)),
    "mse_loss": lambda lib, x: lib.tensor(np.zeros((0, 3))),
    "binary_cross_entropy": lambda lib, x: lib.tensor(np.zeros((0, 3))),
    "binary_cross_entropy_with_logits": lambda lib, x: lib.tensor(np.zeros((0, 3))),
}


@needs_torch
@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("reference", [False, True])
def test_empty_batch_through_every_loss_matches_torch(loss, reduction, reference):
    vals = []
    for lib, f in ((mg, F), (torch, torch.nn.functional)):
        x = lib.tensor(np.full((0, 3), 0.5), requires_grad=True)
        with mg.reference_mode() if reference else mg.enable_grad():
            out = getattr(f, loss)(x, LOSSES[loss](lib, x), reduction=reduction)
            out.sum().backward()
        vals.append((tuple(out.shape), np.asarray(out.detach().numpy(), np.float64),
                     x.grad.shape))
    (so, vo, go), (st_, vt, gt) = vals
    assert so == st_ and go == gt
    np.testing.assert_array_equal(vo, vt)   # nan for mean (0/0), 0 for sum, empty for none


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("batched", [True, False])
def test_zero_length_sequences_are_refused_at_forward(name, batch_first, batched):
    m = getattr(nn, name)(4, 3, batch_first=batch_first)
    shape = ((2, 0, 4) if batch_first else (0, 2, 4)) if batched else (0, 4)
    with pytest.raises(RuntimeError, match="sequence length"):
        m(mg.zeros(*shape))


@needs_torch
def test_zero_length_sequences_are_refused_by_torch_too():
    with pytest.raises(RuntimeError, match="sequence length"):
        torch.nn.LSTM(4, 3)(torch.zeros(0, 2, 4))


@needs_torch
@given(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3), st.booleans())
def test_matmul_with_zero_size_dims_matches_torch(m, k, n, batch):
    a = np.random.default_rng(0).standard_normal(((2,) if batch else ()) + (m, k))
    b = np.random.default_rng(1).standard_normal((k, n))
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    oa, ob = mg.tensor(a, requires_grad=True), mg.tensor(b, requires_grad=True)
    (oa @ ob).sum().backward()
    (ta @ tb).sum().backward()
    np.testing.assert_allclose((oa @ ob).detach().numpy(), (ta @ tb).detach().numpy())
    np.testing.assert_allclose(oa.grad.numpy(), ta.grad.numpy())
    np.testing.assert_allclose(ob.grad.numpy(), tb.grad.numpy())


DIM_OPS = {
    "sum": lambda t, d: t.sum(d), "mean": lambda t, d: t.mean(d),
    "softmax": lambda t, d: t.softmax(d), "log_softmax": lambda t, d: t.log_softmax(d),
    "logsumexp": lambda t, d: t.logsumexp(d), "amax": lambda t, d: t.amax(d),
    "max": lambda t, d: t.max(d)[0], "min": lambda t, d: t.min(d)[0],
    "argmax": lambda t, d: t.argmax(d), "var": lambda t, d: t.var(d, correction=0),
    "unsqueeze": lambda t, d: t.unsqueeze(d), "squeeze": lambda t, d: t.squeeze(d),
    "cat": lambda t, d: (t.unsqueeze(0).__class__.cat if False else None),
}
DIM_OPS.pop("cat")


@needs_torch
@given(st.sampled_from([(0,), (2, 0), (0, 3), (0, 0), (1, 0, 2)]), st.data())
def test_reductions_and_softmax_over_zero_size_dims_match_torch(shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = np.zeros(shape)
    for name, op in DIM_OPS.items():
        try:
            theirs = op(torch.tensor(x), dim)
        except (RuntimeError, IndexError):
            with pytest.raises((RuntimeError, IndexError, ValueError)):
                op(mg.tensor(x), dim)
            continue
        ours = op(mg.tensor(x), dim)
        assert tuple(ours.shape) == tuple(theirs.shape), name
        np.testing.assert_array_equal(np.asarray(ours.numpy(), np.float64),
                                      theirs.double().numpy(), err_msg=name)


@needs_torch
@pytest.mark.parametrize("dim", [0, -1])
@pytest.mark.parametrize("name", sorted(DIM_OPS) + ["transpose", "gather", "index_select",
                                                    "cumsum", "flatten", "max_indices",
                                                    "stack", "cat"])
def test_zero_d_tensors_with_dim_0_and_minus_1_match_torch(name, dim):
    extra = {
        "transpose": lambda lib, t, d: t.transpose(d, d),
        "gather": lambda lib, t, d: t.gather(d, lib.tensor(0)),
        "index_select": lambda lib, t, d: t.index_select(d, lib.tensor([0])),
        "cumsum": lambda lib, t, d: t.cumsum(d),
        "flatten": lambda lib, t, d: t.flatten(d),
        "max_indices": lambda lib, t, d: t.max(d)[1],
        "stack": lambda lib, t, d: lib.stack([t, t], d),
        "cat": lambda lib, t, d: lib.cat([t.unsqueeze(0), t.unsqueeze(0)], d),
    }
    def run(lib):
        t = lib.tensor(1.5, requires_grad=True)
        out = extra[name](lib, t, dim) if name in extra else DIM_OPS[name](t, dim)
        if out.dtype.is_floating_point if lib is torch else out.dtype.kind == "f":
            out.sum().backward()
        return out, t.grad
    try:
        tout, tgrad = run(torch)
    except (RuntimeError, IndexError) as e:
        with pytest.raises((RuntimeError, IndexError, AttributeError)):
            run(mg)
        return e
    try:
        out, grad = run(mg)
    except AttributeError:
        pytest.skip(f"{name} is not provided yet")
    assert tuple(out.shape) == tuple(tout.shape)
    np.testing.assert_allclose(np.asarray(out.detach().numpy(), np.float64),
                               tout.detach().double().numpy())
    if tgrad is not None:
        np.testing.assert_allclose(grad.numpy(), tgrad.numpy())


@needs_torch
@pytest.mark.parametrize("dim", [1, -2, 5])
def test_zero_d_tensors_refuse_other_dims_with_index_error_like_torch(dim):
    for op in ("sum", "softmax", "argmax", "unsqueeze_bad"):
        f = {"sum": lambda t: t.sum(dim), "softmax": lambda t: t.softmax(dim),
             "argmax": lambda t: t.argmax(dim), "unsqueeze_bad": lambda t: t.unsqueeze(2 if dim > 0 else -3)
             }[op]
        with pytest.raises(IndexError):
            f(torch.tensor(1.0))
        with pytest.raises(IndexError):
            f(mg.tensor(1.0))
