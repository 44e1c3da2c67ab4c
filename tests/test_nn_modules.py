"""Module system and basic layers."""
import numpy as np
import pytest
from conftest import needs_torch, torch
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import nn
from minigrad.testing import arrays, shapes


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(5, 3, padding_idx=0)
        self.rnn = nn.GRU(3, 4)
        self.head = nn.Sequential(nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 2))
        self.extra = nn.ModuleList([nn.Linear(2, 2)])
        self.named = nn.ModuleDict({"a": nn.LayerNorm(2)})

    def forward(self, idx):
        out, h = self.rnn(self.emb(idx))
        return self.named["a"](self.extra[0](self.head(out)))


def test_registration_names_and_state_dict_roundtrip(tmp_path):
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names[:3] == ["emb.weight", "rnn.weight_ih_l0", "rnn.weight_hh_l0"]
    assert "head.0.weight" in names and "extra.0.bias" in names and "named.a.weight" in names
    assert len(list(net.children())) == 5 and len(list(net.modules())) == 11
    sd = net.state_dict()
    mg.save(sd, tmp_path / "net.npz")
    other = Net()
    other.load_state_dict(mg.load(tmp_path / "net.npz"))
    idx = mg.tensor([[1, 2], [0, 4]])
    np.testing.assert_array_equal(net(idx).detach().numpy(), other(idx).detach().numpy())
    assert "GRU(3, 4)" in repr(net) and "(head): Sequential(" in repr(net)


def test_failed_load_leaves_module_unchanged_and_lists_problems():
    net = Net()
    before = {k: v.detach().numpy().copy() for k, v in net.state_dict().items()}
    bad = {k: v.detach().numpy() for k, v in net.state_dict().items()}
    bad["rnn.weight_hh_l0"] = np.zeros((1, 1))
    bad["zzz"] = np.zeros(1)
    del bad["head.0.bias"]
    bad["emb.weight"] = np.ones((5, 3))
    with pytest.raises(RuntimeError) as e:
        net.load_state_dict(bad)
    msg = str(e.value)
    assert "head.0.bias" in msg and "zzz" in msg and "size mismatch for rnn.weight_hh_l0" in msg
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v.detach().numpy(), before[k])
    missing, unexpected = net.load_state_dict({"emb.weight": np.ones((5, 3))}, strict=False)
    assert "head.0.bias" in missing and not unexpected
    assert net.emb.weight.detach().numpy().sum() == 15


def test_train_eval_zero_grad():
    net = Net()
    net.eval()
    assert all(not m.training for m in net.modules())
    net.train()
    net(mg.tensor([[1, 2]])).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_embedding_padding_and_range():
    e = nn.Embedding(4, 2, padding_idx=1)
    assert e.weight.detach().numpy()[1].tolist() == [0, 0]
    e(mg.tensor([[1, 1, 2], [3, 1, 2]])).sum().backward()
    assert e.weight.grad.detach().numpy()[1].tolist() == [0, 0]
    np.testing.assert_array_equal(e.weight.grad.detach().numpy()[2], [2, 2])
    with pytest.raises(IndexError, match="index 4 is out of range for a table of 4"):
        e(mg.tensor([4]))


@given(n=st.integers(1, 5), d=st.integers(1, 3), data=st.data())
def test_embedding_linear_layernorm_gradcheck(n, d, data):
    emb = nn.Embedding(n, d).double()
    idx = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=6)))
    assert mg.gradcheck(lambda w: emb(idx), [emb.weight])
    lin = nn.Linear(d, 2).double()
    x = mg.tensor(data.draw(arrays((3, d))), requires_grad=True)
    assert mg.gradcheck(lambda x, w, b: lin(x), [x, lin.weight, lin.bias])
    ln = nn.LayerNorm(d).double()
    xs = mg.tensor(data.draw(arrays((2, d), min_value=-2, max_value=2)) +
                   np.arange(d) * 0.7, requires_grad=True)
    assert mg.gradcheck(lambda x, w, b: ln(x), [xs, ln.weight, ln.bias])


@needs_torch
def test_linear_layernorm_torch_parity():
    x = np.random.default_rng(0).standard_normal((3, 4))
    tl, ln = torch.nn.Linear(4, 2).double(), nn.Linear(4, 2).double()
    ln.load_state_dict({k: v.detach().numpy() for k, v in tl.state_dict().items()})
    np.testing.assert_allclose(ln(mg.tensor(x)).detach().numpy(), tl(torch.tensor(x)).detach().numpy())
    tn, mn = torch.nn.LayerNorm(4).double(), nn.LayerNorm(4).double()
    np.testing.assert_allclose(mn(mg.tensor(x)).detach().numpy(), tn(torch.tensor(x)).detach().numpy(),
                               rtol=1e-7)


def test_dropout():
    d = nn.Dropout(0.5)
    x = mg.ones(1000)
    y = d(x).detach().numpy()
    assert set(np.unique(y)) <= {0.0, 2.0} and 300 < (y == 0).sum() < 700
    d.eval()
    assert d(x) is x
    with pytest.raises(ValueError):
        nn.Dropout(1.5)


@given(a=arrays(shapes(min_dims=1)))
def test_activation_modules(a):
    x = mg.tensor(a)
    np.testing.assert_allclose(nn.Tanh()(x).detach().numpy(), np.tanh(a))
    np.testing.assert_allclose(nn.ReLU()(x).detach().numpy(), np.maximum(a, 0))
    np.testing.assert_allclose(nn.Sigmoid()(x).detach().numpy(), 1 / (1 + np.exp(-a)))
    np.testing.assert_allclose(nn.Softmax(-1)(x).detach().numpy().sum(-1), 1)
    assert isinstance(nn.Identity()(x), mg.Tensor)


def test_one_hot_and_pad_sequence():
    oh = nn.functional.one_hot(mg.tensor([0, 2, 1]), 3)
    assert oh.dtype == np.int64 and oh.tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
    assert nn.functional.one_hot(mg.tensor([[1], [3]])).shape == (2, 1, 4)
    with pytest.raises(ValueError):
        nn.functional.one_hot(mg.tensor([5]), 3)
    seqs = [mg.tensor([1.0, 2.0, 3.0]), mg.tensor([4.0])]
    p = nn.utils.rnn.pad_sequence(seqs, batch_first=True, padding_value=-1)
    assert p.tolist() == [[1, 2, 3], [4, -1, -1]]
    assert nn.utils.rnn.pad_sequence(seqs).shape == (3, 2)


def test_clip_grad():
    a = nn.Parameter(np.zeros(2))
    b = nn.Parameter(np.zeros(1))
    a.grad, b.grad = mg.tensor([3.0, 0.0], dtype=np.float64), mg.tensor([4.0], dtype=np.float64)
    n = nn.utils.clip_grad_norm_([a, b], 1.0)
    assert n.item() == pytest.approx(5.0)
    assert np.sqrt((a.grad.detach().numpy() ** 2).sum() + (b.grad.detach().numpy() ** 2).sum()) == pytest.approx(1.0,
                                                                                         rel=1e-5)
    nn.utils.clip_grad_value_([a], 0.1)
    assert np.abs(a.grad.detach().numpy()).max() <= 0.1
