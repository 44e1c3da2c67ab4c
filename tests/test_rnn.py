"""Recurrent layers: torch parity over the whole configuration matrix (outputs, final states,
gradients of input, initial state and every parameter), fused == composed, gradchecks."""
import itertools

import numpy as np
import pytest
from conftest import needs_torch, torch
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import nn

KINDS = ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"]


def make(kind, *args, **kw):
    if kind.startswith("RNN"):
        kw["nonlinearity"] = kind[4:].lower()
        return nn.RNN(*args, **kw)
    return getattr(nn, kind)(*args, **kw)


def make_torch(kind, *args, **kw):
    if kind.startswith("RNN"):
        kw["nonlinearity"] = kind[4:].lower()
        return torch.nn.RNN(*args, **kw)
    return getattr(torch.nn, kind)(*args, **kw)


def run_torch(m, x, hx, lengths, batch_first):
    if lengths is None:
        return m(x, hx)
    packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=batch_first,
                                                     enforce_sorted=False)
    out, h = m(packed, hx)
    out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=batch_first,
                                                    total_length=x.shape[1 if batch_first else 0])
    return out, h


def states(kind, h):
    return list(h) if kind == "LSTM" else [h]


MATRIX = list(itertools.product(KINDS, [1, 2], [False, True], [False, True], [False, True],
                                [False, True]))


@needs_torch
@pytest.mark.parametrize("kind,layers,bidir,batch_first,with_lengths,with_h0", MATRIX)
def test_torch_parity_matrix(kind, layers, bidir, batch_first, with_lengths, with_h0):
    T, B, F, H = 5, 3, 4, 6
    rng = np.random.default_rng(layers * 7 + bidir)
    tm = make_torch(kind, F, H, num_layers=layers, bidirectional=bidir,
                    batch_first=batch_first).double()
    m = make(kind, F, H, num_layers=layers, bidirectional=bidir, batch_first=batch_first).double()
    m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    x = rng.standard_normal((B, T, F) if batch_first else (T, B, F))
    lengths = [5, 2, 4] if with_lengths else None
    D = 2 if bidir else 1
    h0s = [rng.standard_normal((layers * D, B, H)) for _ in range(2 if kind == "LSTM" else 1)]

    xm = mg.tensor(x, requires_grad=True)
    hm = [mg.tensor(h, requires_grad=True) for h in h0s] if with_h0 else None
    out, hn = m(xm, None if hm is None else (tuple(hm) if kind == "LSTM" else hm[0]), lengths)
    xt = torch.tensor(x, requires_grad=True)
    ht = [torch.tensor(h, requires_grad=True) for h in h0s] if with_h0 else None
    tout, thn = run_torch(tm, xt, None if ht is None else (tuple(ht) if kind == "LSTM"
                                                         else ht[0]), lengths, batch_first)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-7, atol=1e-12)
    for a, b in zip(states(kind, hn), states(kind, thn)):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-7, atol=1e-12)

    w = rng.standard_normal(out.shape)
    ws = [rng.standard_normal(s.shape) for s in states(kind, hn)]
    loss = (out * mg.tensor(w)).sum() + sum((s * mg.tensor(v)).sum()
                                            for s, v in zip(states(kind, hn), ws))
    loss.backward()
    tloss = (tout * torch.tensor(w)).sum() + sum((s * torch.tensor(v)).sum()
                                                 for s, v in zip(states(kind, thn), ws))
    tloss.backward()
    np.testing.assert_allclose(xm.grad.detach().numpy(), xt.grad.numpy(), rtol=1e-7, atol=1e-12)
    if with_h0:
        for a, b in zip(hm, ht):
            np.testing.assert_allclose(a.grad.detach().numpy(), b.grad.numpy(), rtol=1e-7, atol=1e-12)
    tparams = dict(tm.named_parameters())
    for name, p in m.named_parameters():
        np.testing.assert_allclose(p.grad.detach().numpy(), tparams[name].grad.numpy(), rtol=1e-7,
                                   atol=1e-12, err_msg=name)


@needs_torch
@pytest.mark.parametrize("kind", ["RNN_TANH", "LSTM", "GRU"])
def test_cells_torch_parity(kind):
    cls = {"RNN_TANH": "RNNCell", "LSTM": "LSTMCell", "GRU": "GRUCell"}[kind]
    tm = getattr(torch.nn, cls)(3, 5).double()
    m = getattr(nn, cls)(3, 5).double()
    m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((2, 3))
    for batched in (True, False):
        xi = x if batched else x[0]
        xm, xt = mg.tensor(xi, requires_grad=True), torch.tensor(xi, requires_grad=True)
        out, tout = m(xm), tm(xt)
        o = out[0] if kind == "LSTM" else out
        to = tout[0] if kind == "LSTM" else tout
        np.testing.assert_allclose(o.detach().numpy(), to.detach().numpy(), rtol=1e-7)
        (o * o).sum().backward()
        (to * to).sum().backward()
        np.testing.assert_allclose(xm.grad.detach().numpy(), xt.grad.numpy(), rtol=1e-7)


@needs_torch
def test_unbatched_input_and_initialisation_range():
    m = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    tm = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True).float()
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in tm.named_parameters()]
    for (n, p), (_, tp) in zip(m.named_parameters(), tm.named_parameters()):
        assert p.shape == tuple(tp.shape), n
    values = np.concatenate([p.detach().numpy().ravel() for p in m.parameters()])  # U(-1/2, 1/2)
    assert values.max() <= 0.5 and values.min() >= -0.5 and np.ptp(values) > 0.95
    m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    out, (h, c) = m(mg.tensor(x))
    tout, (th, tc) = tm(torch.tensor(x))
    assert out.shape == (5, 8) and h.shape == (4, 4)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("stepwise", [False, True])
@given(data=st.data())
def test_fused_equals_composed(kind, dtype, stepwise, data):
    """Both fused paths: the whole sequence in one jitted call, and (stepwise, what batch x
    hidden > STEPWISE_ABOVE takes) steps driven from Python, forced here by a zero threshold."""
    from nn.kernels import recurrent

    threshold = recurrent.STEPWISE_ABOVE
    recurrent.STEPWISE_ABOVE = 0 if stepwise else threshold
    try:
        _check_fused_equals_composed(kind, dtype, data)
    finally:
        recurrent.STEPWISE_ABOVE = threshold


def _check_fused_equals_composed(kind, dtype, data):
    T, B, F, H = (data.draw(st.integers(1, 5)) for _ in range(4))
    bidir, layers = data.draw(st.booleans()), data.draw(st.integers(1, 2))
    lengths = data.draw(st.lists(st.integers(1, T), min_size=B, max_size=B)) \
        if data.draw(st.booleans()) else None
    m = make(kind, F, H, num_layers=layers, bidirectional=bidir).to(dtype)
    x = np.random.default_rng(T * B).standard_normal((T, B, F)).astype(dtype)
    results = []
    for fused in (True, False):
        with mg.reference_mode(not fused):
            m.zero_grad()
            xm = mg.tensor(x, requires_grad=True)
            out, hn = m(xm, lengths=lengths)
            s = states(kind, hn)
            (out.sum() * 0.5 + sum((q * q).sum() for q in s)).backward()
            results.append([out.detach().numpy(), *[q.detach().numpy() for q in s], xm.grad.detach().numpy(),
                            *[p.grad.detach().numpy() for p in m.parameters()]])
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fused", [True, False])
@given(data=st.data())
def test_rnn_gradcheck(kind, fused, data):
    T, B, F, H = (data.draw(st.integers(1, 3)) for _ in range(4))
    bidir = data.draw(st.booleans())
    lengths = data.draw(st.lists(st.integers(1, T), min_size=B, max_size=B))
    m = make(kind, F, H, bidirectional=bidir).double()
    x = mg.tensor(np.random.default_rng(T).standard_normal((T, B, F)), requires_grad=True)
    params = list(m.parameters())
    with mg.reference_mode(not fused):
        def f(x, *ps):
            out, hn = m(x, lengths=lengths)
            return out, *states(kind, hn)
        assert mg.gradcheck(f, [x, *params])


@pytest.mark.parametrize("cls", ["RNNCell", "LSTMCell", "GRUCell"])
@given(b=st.integers(1, 3), f=st.integers(1, 3), h=st.integers(1, 3))
def test_cell_gradcheck(cls, b, f, h):
    cell = getattr(nn, cls)(f, h).double()
    x = mg.tensor(np.random.default_rng(b).standard_normal((b, f)), requires_grad=True)
    h0 = mg.tensor(np.random.default_rng(h).standard_normal((b, h)), requires_grad=True)
    hx = (h0, h0 * 0.5) if cls == "LSTMCell" else h0
    assert mg.gradcheck(lambda x, h0, *ps: cell(x, (h0, h0 * 0.5) if cls == "LSTMCell" else h0),
                        [x, h0, *cell.parameters()])
    assert hx is not None


def test_bad_input_errors():
    m = nn.GRU(4, 3, batch_first=True)
    with pytest.raises(ValueError, match="Expected 4, got 5"):
        m(mg.zeros(2, 3, 5))
    with pytest.raises(ValueError, match=r"every length must be in 1\.\.3"):
        m(mg.zeros(2, 3, 4), lengths=[4, 1])
    with pytest.raises(ValueError, match=r"every length must be in 1\.\.3"):
        m(mg.zeros(2, 3, 4), lengths=[0, 1])
    with pytest.raises(ValueError, match="lengths has 3 entries but the batch has 2"):
        m(mg.zeros(2, 3, 4), lengths=[1, 1, 1])
    with pytest.raises(ValueError, match=r"expected hx of shape \(1, 2, 3\)"):
        m(mg.zeros(2, 3, 4), mg.zeros(1, 5, 3))


def test_dropout_between_layers_only_in_training():
    m = nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    x = mg.randn(4, 2, 3)
    a, _ = m(x)
    b, _ = m(x)
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())
    m.eval()
    c, _ = m(x)
    d, _ = m(x)
    np.testing.assert_array_equal(c.detach().numpy(), d.detach().numpy())


def test_recycled_buffers_never_overwrite_a_retained_graph():
    """The stepwise path recycles its saved activations only once nothing views them: a graph
    kept with retain_graph=True still backpropagates correctly after other forwards ran."""
    import gc

    from nn.kernels import recurrent

    threshold = recurrent.STEPWISE_ABOVE
    recurrent.STEPWISE_ABOVE = 0
    try:
        m = nn.LSTM(3, 5)
        x = mg.tensor(np.random.default_rng(0).standard_normal((6, 2, 3)).astype(np.float32))
        out, _ = m(x)
        loss = (out * out).sum()
        loss.backward(retain_graph=True)
        first = [p.grad.detach().numpy().copy() for p in m.parameters()]
        for seed in range(3):  # other graphs come and go, their buffers are recycled
            y = mg.tensor(np.random.default_rng(seed + 1).standard_normal((6, 2, 3))
                          .astype(np.float32))
            (m(y)[0] ** 2).sum().backward()
            del y
            gc.collect()
        assert any(recurrent._FREE.values()), "freed graphs gave their buffers back"
        m.zero_grad()
        loss.backward()
        for a, b in zip(first, [p.grad.detach().numpy() for p in m.parameters()]):
            np.testing.assert_array_equal(a, b)
    finally:
        recurrent.STEPWISE_ABOVE = threshold
