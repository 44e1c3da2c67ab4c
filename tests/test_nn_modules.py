"""Module system and basic layers."""
import numpy as np
import pytest
from conftest import needs_torch, torch
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import nn
from minigrad.testing import arrays, shapes


def _np(t):
    return t.detach().numpy()


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
    np.testing.assert_array_equal(_np(net(idx)), _np(other(idx)))
    assert "GRU(3, 4)" in repr(net) and "(head): Sequential(" in repr(net)


def test_failed_load_leaves_module_unchanged_and_lists_problems():
    net = Net()
    before = {k: _np(v).copy() for k, v in net.state_dict().items()}
    bad = {k: _np(v) for k, v in net.state_dict().items()}
    bad["rnn.weight_hh_l0"] = np.zeros((1, 1))
    bad["zzz"] = np.zeros(1)
    del bad["head.0.bias"]
    bad["emb.weight"] = np.ones((5, 3))
    with pytest.raises(RuntimeError) as e:
        net.load_state_dict(bad)
    msg = str(e.value)
    assert "head.0.bias" in msg and "zzz" in msg and "size mismatch for rnn.weight_hh_l0" in msg
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(_np(v), before[k])
    missing, unexpected = net.load_state_dict({"emb.weight": np.ones((5, 3))}, strict=False)
    assert "head.0.bias" in missing and not unexpected
    assert _np(net.emb.weight).sum() == 15


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
    assert _np(e.weight)[1].tolist() == [0, 0]
    e(mg.tensor([[1, 1, 2], [3, 1, 2]])).sum().backward()
    assert _np(e.weight.grad)[1].tolist() == [0, 0]
    np.testing.assert_array_equal(_np(e.weight.grad)[2], [2, 2])
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
    np.testing.assert_allclose(_np(ln(mg.tensor(x))), tl(torch.tensor(x)).detach().numpy())
    tn, mn = torch.nn.LayerNorm(4).double(), nn.LayerNorm(4).double()
    np.testing.assert_allclose(_np(mn(mg.tensor(x))), tn(torch.tensor(x)).detach().numpy(),
                               rtol=1e-7)


def test_dropout():
    d = nn.Dropout(0.5)
    x = mg.ones(1000)
    y = _np(d(x))
    assert set(np.unique(y)) <= {0.0, 2.0} and 300 < (y == 0).sum() < 700
    d.eval()
    assert d(x) is x
    with pytest.raises(ValueError):
        nn.Dropout(1.5)


@given(a=arrays(shapes(min_dims=1)))
def test_activation_modules(a):
    x = mg.tensor(a)
    np.testing.assert_allclose(_np(nn.Tanh()(x)), np.tanh(a))
    np.testing.assert_allclose(_np(nn.ReLU()(x)), np.maximum(a, 0))
    np.testing.assert_allclose(_np(nn.Sigmoid()(x)), 1 / (1 + np.exp(-a)))
    np.testing.assert_allclose(_np(nn.Softmax(-1)(x)).sum(-1), 1)
    assert isinstance(nn.Identity()(x), mg.Tensor)


def test_one_hot_and_pad_sequence():
    oh = nn.functional.one_hot(mg.tensor([0, 2, 1]), 3)
    assert oh.dtype == np.int64 and oh.tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
    assert nn.functional.one_hot(mg.tensor([[1], [3]])).shape == (2, 1, 4)
    with pytest.raises(RuntimeError):
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
    assert np.sqrt((_np(a.grad) ** 2).sum() + (_np(b.grad) ** 2).sum()) == \
        pytest.approx(1.0, rel=1e-5)
    nn.utils.clip_grad_value_([a], 0.1)
    assert np.abs(_np(a.grad)).max() <= 0.1


# ---------------------------------------------------------------------- torch's Module surface
def _twin(lib_nn, zeros, ones):
    """The same architecture in torch and in minigrad: buffers (one non-persistent), tied
    weights, a shared submodule, a None child."""

    class Block(lib_nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("running", zeros(3))
            self.lin = lib_nn.Linear(3, 3)
            self.scale = lib_nn.Parameter(ones(3))
            self.register_buffer("tmp", zeros(1), persistent=False)

        def forward(self, x):
            return self.lin(x) * self.scale

    class Twin(lib_nn.Module):
        def __init__(self):
            super().__init__()
            self.a = Block()
            self.emb = lib_nn.Embedding(4, 3)
            self.rnn = lib_nn.LSTM(3, 2, num_layers=2, bidirectional=True)
            self.b = Block()
            self.head = lib_nn.Linear(3, 4, bias=False)
            self.head.weight = self.emb.weight  # tied
            self.shared = self.a
            self.nothing = None
            self.add_module("empty", None)

        def forward(self, idx):
            return self.head(self.b(self.a(self.emb(idx))))

    return Twin()


def _ours():
    return _twin(nn, lambda n: mg.zeros(n), lambda n: mg.ones(n))


def _torchs():
    return _twin(torch.nn, torch.zeros, torch.ones)


@needs_torch
def test_traversal_and_state_dict_order_equal_torch():
    ours, theirs = _ours(), _torchs()
    for fn in (lambda m: list(m.state_dict()), lambda m: [n for n, _ in m.named_parameters()],
               lambda m: [n for n, _ in m.named_parameters(remove_duplicate=False)],
               lambda m: [n for n, _ in m.named_buffers()],
               lambda m: [n for n, _ in m.named_modules()],
               lambda m: [n for n, _ in m.named_children()],
               lambda m: [n for n, _ in m.named_parameters(prefix="net", recurse=False)],
               lambda m: list(m.state_dict(prefix="model.")),
               lambda m: [n for n, _ in m.a.named_buffers()]):
        assert fn(ours) == fn(theirs)
    assert len(list(ours.parameters())) == len(list(theirs.parameters()))
    assert len(list(ours.buffers())) == len(list(theirs.buffers()))
    assert "emb.weight" in ours.state_dict() and "head.weight" in ours.state_dict()
    assert "a.tmp" not in ours.state_dict() and "a.tmp" in dict(ours.named_buffers())
    assert repr(ours) == repr(theirs)


@needs_torch
def test_apply_and_train_visit_like_torch():
    ours, theirs = _ours(), _torchs()
    seen_o, seen_t = [], []
    ours.apply(lambda m: seen_o.append(type(m).__name__))
    theirs.apply(lambda m: seen_t.append(type(m).__name__))
    assert seen_o == seen_t
    assert ours.train(False) is ours and not any(m.training for m in ours.modules())
    assert ours.train() is ours and all(m.training for m in ours.modules())
    with pytest.raises(ValueError, match="boolean"):
        ours.train("no")


def test_state_dict_keep_vars_prefix_and_sharing():
    m = _ours()
    sd = m.state_dict(keep_vars=True)
    assert sd["emb.weight"] is m.emb.weight and sd["head.weight"] is m.emb.weight
    plain = m.state_dict(prefix="model.")
    assert all(k.startswith("model.") for k in plain)
    w = plain["model.a.lin.weight"]
    assert not w.requires_grad and np.shares_memory(_np(w), _np(m.a.lin.weight))
    assert list(m.state_dict(None, "p.")) == list(m.state_dict(prefix="p."))  # old positional form


@needs_torch
@pytest.mark.parametrize("drop", [None, "head.weight", "emb.weight"])
def test_tied_weights_load_from_either_name_like_torch(drop):
    ours, theirs = _ours().double(), _torchs()  # (the tests run torch in float64)
    src = {k: v.detach().numpy() + 1.0 for k, v in _torchs().state_dict().items()}
    if drop:
        del src[drop]
    res = ours.load_state_dict(src, strict=False)
    tres = theirs.load_state_dict({k: torch.tensor(v) for k, v in src.items()}, strict=False)
    assert res == tres and repr(res) == repr(tres)
    assert res.missing_keys == ([drop] if drop else []) and res.unexpected_keys == []
    assert ours.head.weight is ours.emb.weight
    np.testing.assert_array_equal(_np(ours.emb.weight), theirs.emb.weight.detach().numpy())
    for k, v in theirs.state_dict().items():
        np.testing.assert_array_equal(_np(ours.state_dict()[k]), v.numpy())
    if drop:
        with pytest.raises(RuntimeError, match=f'Missing key\\(s\\) in state_dict: "{drop}"'):
            ours.load_state_dict(src)


def test_load_state_dict_result_and_assign():
    lin = nn.Linear(2, 3)
    res = lin.load_state_dict(lin.state_dict())
    assert repr(res) == "<All keys matched successfully>" and res == ([], [])
    missing, unexpected = lin.load_state_dict({"weight": np.ones((3, 2)), "x": 1}, strict=False)
    assert missing == ["bias"] and unexpected == ["x"]
    assert repr(lin.load_state_dict({}, strict=False)) == \
        "_IncompatibleKeys(missing_keys=['weight', 'bias'], unexpected_keys=[])"
    new = mg.zeros(3, 2)
    old = lin.weight
    lin.load_state_dict({"weight": new, "bias": mg.zeros(3)}, assign=True)
    assert lin.weight is not old and isinstance(lin.weight, nn.Parameter)
    assert lin.weight.requires_grad and np.shares_memory(_np(lin.weight), _np(new))
    with pytest.raises(TypeError, match="dict-like"):
        lin.load_state_dict([("weight", new)])


def test_load_state_dict_copies_in_place_and_casts():
    lin = nn.Linear(2, 3)
    arr = _np(lin.weight)
    lin.load_state_dict({"weight": np.full((3, 2), 2.5), "bias": np.arange(3)})
    assert _np(lin.weight) is arr or np.shares_memory(_np(lin.weight), arr)
    assert arr.dtype == np.float32 and (arr == 2.5).all()
    assert _np(lin.bias).tolist() == [0, 1, 2]


def test_get_submodule_parameter_buffer():
    m = _ours()
    assert m.get_submodule("") is m and m.get_submodule("a.lin") is m.a.lin
    assert m.get_parameter("a.lin.weight") is m.a.lin.weight
    assert m.get_buffer("b.running") is m.b.running
    with pytest.raises(AttributeError, match="Linear has no attribute `foo`"):
        m.get_submodule("a.lin.foo")
    with pytest.raises(AttributeError, match="`in_features` is not an nn.Module"):
        m.get_submodule("a.lin.in_features")
    with pytest.raises(AttributeError, match="`in_features` is not an nn.Parameter"):
        m.get_parameter("a.lin.in_features")
    with pytest.raises(AttributeError, match="`scale` is not a buffer"):
        m.get_buffer("a.scale")


def test_attribute_registration_rules_follow_torch():
    lin = nn.Linear(2, 3)
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'weight'"):
        lin.weight = mg.zeros(3, 2)
    lin.bias = None  # keeps its slot, as torch
    assert "bias" in lin._parameters and lin.bias is None
    assert [k for k, _ in lin.state_dict().items()] == ["weight"]
    lin.bias = nn.Parameter(np.zeros(3, np.float32))
    lin.weight = nn.Parameter(np.zeros((3, 2), np.float32))  # re-assigned: keeps its place
    assert [n for n, _ in lin.named_parameters()] == ["weight", "bias"]
    m = nn.Module()
    m.register_buffer("b", mg.zeros(2))
    m.b = mg.ones(2)
    assert _np(m.get_buffer("b")).tolist() == [1, 1]
    with pytest.raises(TypeError, match="buffer 'b'"):
        m.b = 3
    with pytest.raises(KeyError, match="contain"):
        m.register_buffer("x.y", mg.zeros(1))
    with pytest.raises(KeyError, match="already exists"):
        m.register_parameter("training", nn.Parameter(np.ones(1)))
    with pytest.raises(TypeError, match="is not a Module subclass"):
        m.add_module("x", 3)
    assert {"b", "forward", "training"} <= set(dir(m))
    assert "weight" in dir(lin) and "bias" in dir(lin)


@needs_torch
def test_forward_hooks_follow_torch():
    def run(lib_nn, x):
        net = lib_nn.Sequential(lib_nn.Linear(2, 2), lib_nn.Tanh())
        log = []
        hs = [net.register_forward_pre_hook(lambda m, a: log.append("pre") or (a[0] * 2,)),
              net[0].register_forward_hook(lambda m, a, out: log.append("lin") or out + 1),
              net.register_forward_hook(lambda m, a, out: log.append("net")),
              net.register_forward_hook(lambda m, a, out: log.append("first"), prepend=True),
              net.register_forward_pre_hook(
                  lambda m, a, kw: log.append(("kw", len(a), sorted(kw))), with_kwargs=True),
              net.register_forward_hook(lambda m, a, kw, out: log.append("kw-out") or out * 3,
                                        with_kwargs=True)]
        for p in net.parameters():
            lib_nn.init.constant_(p, 0.5)
        y = net(x)
        hs[1].remove()
        with net[1].register_forward_hook(lambda m, a, out: log.append("ctx")):
            net(x)
        net(x)
        return y.detach().numpy(), log

    x = np.array([[0.1, -0.2]])
    (yo, lo), (yt, lt) = run(nn, mg.tensor(x, dtype=mg.float32)), run(torch.nn, torch.tensor(x))
    np.testing.assert_allclose(yo, yt, rtol=1e-6)
    assert lo == lt


def test_forward_hook_always_call_and_backward_hook_refused():
    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    log = []
    m = Boom()
    m.register_forward_hook(lambda mod, a, out: log.append(("always", out)), always_call=True)
    m.register_forward_hook(lambda mod, a, out: log.append("never"))
    with pytest.raises(ValueError, match="boom"):
        m(1)
    assert log == [("always", None)]
    with pytest.raises(NotImplementedError, match="forward hooks only"):
        m.register_full_backward_hook(lambda *a: None)
    bad = nn.Identity()
    bad.register_forward_pre_hook(lambda mod, a, kw: 3, with_kwargs=True)
    with pytest.raises(RuntimeError, match="new_args, new_kwargs"):
        bad(1)


@needs_torch
def test_to_dtype_device_and_casts():
    m = _ours()
    assert m.to("cpu") is m and m.cpu() is m and m.to(torch.device("cpu")) is m
    assert m.a.lin.weight.dtype == np.float32
    for target in ("cuda", "cuda:0", torch.device("cuda"), 0, "mps"):
        with pytest.raises(RuntimeError, match="minigrad runs on the CPU"):
            m.to(target)
    with pytest.raises(RuntimeError, match="minigrad runs on the CPU"):
        m.cuda()
    with pytest.raises(RuntimeError, match="minigrad runs on the CPU"):
        m.to(device="cuda", dtype=np.float64)
    with pytest.raises(TypeError, match="only accepts floating point"):
        m.to(np.int64)
    for half in (m.half, m.bfloat16, lambda: m.to(np.float16)):
        with pytest.raises(TypeError, match="half precision"):
            half()
    assert m.a.lin.weight.dtype == np.float32  # nothing changed by the refusals
    m.register_buffer("count", mg.tensor(np.arange(3)))
    m(mg.tensor([[1, 2]])).sum().backward()
    for target in (np.float64, "float64", mg.float64, torch.float64,
                   mg.zeros(1, dtype=np.float64)):
        m.float()
        assert m.to(target) is m
        assert all(p.dtype == np.float64 for p in m.parameters())
        assert all(p.grad.dtype == np.float64 for p in m.parameters() if p.grad is not None)
        assert m.count.dtype == np.int64 and m.a.running.dtype == np.float64
        assert m.head.weight is m.emb.weight and m.shared is m.a
        assert all(p.requires_grad and p.is_leaf for p in m.parameters())
    m.to("cpu", np.float32)
    assert m.a.lin.weight.dtype == np.float32
    m.to(device="cpu", dtype=np.float64)
    assert m.a.lin.weight.dtype == np.float64
    assert m.type(np.float32) is m and m.count.dtype == np.float32  # type() casts everything
    m.type("torch.DoubleTensor")
    assert m.a.lin.weight.dtype == np.float64
    assert m(mg.tensor([[1, 2]])).dtype == np.float64


def test_double_then_float_keeps_training():
    m = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)).double()
    x = mg.tensor(np.ones((4, 2)))
    m(x).sum().backward()
    assert all(p.grad.dtype == np.float64 for p in m.parameters())
    m.float()
    m.zero_grad()
    m(x.float()).sum().backward()
    assert all(p.grad.dtype == np.float32 for p in m.parameters())


def test_layers_take_device_and_dtype():
    assert nn.Linear(2, 3, dtype=np.float64).weight.dtype == np.float64
    assert nn.Embedding(4, 2, device="cpu", dtype=np.float64).weight.dtype == np.float64
    ln = nn.LayerNorm(3, bias=False, dtype=np.float64)
    assert ln.bias is None and ln.weight.dtype == np.float64
    assert ln(mg.tensor(np.arange(6.0).reshape(2, 3))).shape == (2, 3)
    with pytest.raises(RuntimeError, match="CPU"):
        nn.Linear(2, 3, device="cuda")
    assert nn.ReLU(inplace=True)(mg.tensor([-1.0, 2.0])).tolist() == [0, 2]
    assert nn.Dropout(0.2, inplace=True).inplace


# ---------------------------------------------------------------------- Embedding.from_pretrained
@needs_torch
@pytest.mark.parametrize("freeze", [True, False])
@pytest.mark.parametrize("padding_idx", [None, 1, -1])
def test_embedding_from_pretrained_equals_torch(freeze, padding_idx):
    w = np.random.default_rng(0).standard_normal((5, 3))
    e = nn.Embedding.from_pretrained(mg.tensor(w), freeze=freeze, padding_idx=padding_idx)
    te = torch.nn.Embedding.from_pretrained(torch.tensor(w), freeze=freeze,
                                            padding_idx=padding_idx)
    assert e.weight.requires_grad == te.weight.requires_grad == (not freeze)
    assert e.padding_idx == te.padding_idx and repr(e) == repr(te)
    np.testing.assert_array_equal(_np(e.weight), w)  # the padding row is not zeroed
    idx = [[0, 1, 4], [4, 1, 2]]
    out, tout = e(mg.tensor(idx)), te(torch.tensor(idx))
    np.testing.assert_array_equal(_np(out), tout.detach().numpy())
    if not freeze:
        g = np.random.default_rng(1).standard_normal(out.shape)
        out.backward(mg.tensor(g))
        tout.backward(torch.tensor(g))
        np.testing.assert_array_equal(_np(e.weight.grad), te.weight.grad.numpy())


def test_embedding_from_pretrained_shares_memory_and_checks_shape():
    w = mg.zeros(4, 2)
    e = nn.Embedding.from_pretrained(w)
    assert np.shares_memory(_np(e.weight), _np(w))
    arr = np.ones((3, 2))
    assert np.shares_memory(_np(nn.Embedding.from_pretrained(arr).weight), arr)
    with pytest.raises(ValueError, match="2-dimensional"):
        nn.Embedding.from_pretrained(mg.zeros(4))
    with pytest.raises(NotImplementedError, match="sparse"):
        nn.Embedding.from_pretrained(w, sparse=True)
    frozen = nn.Sequential(nn.Embedding.from_pretrained(w), nn.Linear(2, 1))
    from minigrad import optim

    optim.Adam(frozen.parameters())  # frozen parameters may be handed to an optimizer


@needs_torch
@pytest.mark.parametrize("norm_type", [2.0, 1.0])
def test_embedding_max_norm_renormalises_like_torch(norm_type):
    w = np.random.default_rng(0).standard_normal((6, 4)) * 2
    e = nn.Embedding.from_pretrained(mg.tensor(w), freeze=False, max_norm=1.5,
                                     norm_type=norm_type)
    te = torch.nn.Embedding.from_pretrained(torch.tensor(w), freeze=False, max_norm=1.5,
                                            norm_type=norm_type)
    idx = [[0, 2, 2], [5, 0, 1]]
    np.testing.assert_allclose(_np(e(mg.tensor(idx))), te(torch.tensor(idx)).detach().numpy(),
                               rtol=1e-12)
    np.testing.assert_allclose(_np(e.weight), te.weight.detach().numpy(), rtol=1e-12)


@needs_torch
@pytest.mark.parametrize("keep_vars", [False, True])
def test_loads_torch_state_dicts_directly(keep_vars):
    tl = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    m = nn.LSTM(3, 4, num_layers=2, bidirectional=True).double()
    assert m.load_state_dict(tl.state_dict(keep_vars=keep_vars)) == ([], [])
    for (k, p), (tk, tp) in zip(m.named_parameters(), tl.named_parameters()):
        assert k == tk
        np.testing.assert_array_equal(_np(p), tp.detach().numpy())
