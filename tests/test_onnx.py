"""ONNX export, with onnxruntime as the oracle: every exported model gives minigrad's outputs
and final states (float32 tolerance) on the traced inputs and, with dynamic axes, on inputs
of other sizes.  Skips cleanly without onnx / onnxruntime."""
import ast
import io
import itertools
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from helpers import Cube
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import nn
from minigrad.ops import reduce as R
from minigrad.ops import shape as S
from minigrad.testing import programs

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

KINDS = ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"]
TOL = {"rtol": 1e-5, "atol": 1e-5}


def make(kind, *args, **kw):
    if kind.startswith("RNN"):
        kw["nonlinearity"] = kind[4:].lower()
        return nn.RNN(*args, **kw)
    return getattr(nn, kind)(*args, **kw)


def flat(obj):
    if isinstance(obj, mg.Tensor):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [t for o in obj for t in flat(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in flat(o)]
    return []


def run_onnx(proto, inputs):
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    assert len(names) == len(inputs)
    return sess.run(None, {n: np.asarray(a) for n, a in zip(names, inputs)})


def check(model, args, more=(), tol=TOL, **export_kw):
    """Export ``model(*args)``; onnxruntime's outputs on ``args`` and on each argument tuple
    in ``more`` equal minigrad's (the model is in eval mode, as the export runs it)."""
    model.eval()
    proto = mg.onnx.export(model, args, **export_kw)
    for a in [args, *more]:
        kw = a[-1] if isinstance(a[-1], dict) else {}  # a trailing dict: keyword arguments
        with mg.no_grad():
            want = flat(model(*a[:len(a) - bool(kw)], **kw))
        got = run_onnx(proto, flat(a))
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.shape == w.shape
            np.testing.assert_allclose(g, np.asarray(w.detach().numpy()), **tol)
    return proto


def randn(*shape):
    return mg.randn(*shape, dtype=np.float32)


def tokens(n, *shape):
    return mg.tensor(np.random.randint(0, n, shape))


# ----------------------------------------------------------------------------- packaging


def test_import_minigrad_does_not_import_onnx():
    code = ("import sys, minigrad, nn; assert minigrad.onnx.export; "
            "assert 'onnx' not in sys.modules and 'onnxruntime' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_exporter_never_imports_nn():
    """Layers point one way: minigrad.onnx knows nn's modules by class name only."""
    for path in pathlib.Path(mg.onnx.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level \
                else []
            assert not any(n == "nn" or n.startswith(("nn.", "minigrad.nn")) for n in names), \
                f"{path.name} imports {names}"


def test_writes_a_path_or_a_file_and_names_inputs_and_outputs(tmp_path):
    m = nn.Sequential(nn.Linear(3, 4), nn.Tanh())
    x = randn(2, 3)
    proto = mg.onnx.export(m, (x,), tmp_path / "m.onnx", input_names=["features"],
                           output_names=["activations"])
    loaded = onnx.load(tmp_path / "m.onnx")
    onnx.checker.check_model(loaded, full_check=True)
    assert loaded == proto
    assert [i.name for i in loaded.graph.input] == ["features"]
    assert [o.name for o in loaded.graph.output] == ["activations"]
    buf = io.BytesIO()
    mg.onnx.export(m, x, buf)
    got = run_onnx(onnx.load_from_string(buf.getvalue()), [x])[0]
    np.testing.assert_allclose(got, np.asarray(m(x)), **TOL)


# ----------------------------------------------------------------------------- recurrent


@pytest.mark.parametrize("kind,bidir,batch_first,with_state",
                         list(itertools.product(KINDS, [False, True], [False, True],
                                                [False, True])))
def test_recurrent_layers_match_onnxruntime(kind, bidir, batch_first, with_state):
    T, B, F, H, L = 5, 3, 4, 6, 2
    m = make(kind, F, H, num_layers=L, bidirectional=bidir, batch_first=batch_first)
    x = randn(B, T, F) if batch_first else randn(T, B, F)
    D = 2 if bidir else 1
    args = (x,)
    if with_state:
        h0 = randn(L * D, B, H)
        args = (x, (h0, randn(L * D, B, H))) if kind == "LSTM" else (x, h0)
    proto = check(m, args)
    ops = [n.op_type for n in proto.graph.node]
    assert ops.count(kind.split("_")[0]) == L  # one ONNX recurrent node per layer
    assert not {"Tanh", "Sigmoid", "MatMul", "Loop", "Scan"} & set(ops)


@given(kind=st.sampled_from(KINDS), T=st.integers(1, 4), B=st.integers(1, 3),
       F=st.integers(1, 4), H=st.integers(1, 4), L=st.integers(1, 3), bidir=st.booleans(),
       bias=st.booleans(), batched=st.booleans(), with_state=st.booleans())
def test_recurrent_sizes(kind, T, B, F, H, L, bidir, bias, batched, with_state):
    m = make(kind, F, H, num_layers=L, bidirectional=bidir, bias=bias)
    D = 2 if bidir else 1
    lead = (B,) if batched else ()
    x = randn(T, *lead, F)
    args = (x,)
    if with_state:
        args = (x, (randn(L * D, *lead, H), randn(L * D, *lead, H))) if kind == "LSTM" \
            else (x, randn(L * D, *lead, H))
    check(m, args)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN_TANH"])
@pytest.mark.parametrize("as_input", [False, True])
def test_recurrent_lengths_become_sequence_lens(kind, as_input):
    m = make(kind, 3, 4, num_layers=2, bidirectional=True)
    x = randn(5, 3, 3)
    lengths = mg.tensor(np.array([5, 2, 4])) if as_input else [5, 2, 4]

    class Packed(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = m

        def forward(self, x, lengths):
            return self.rnn(x, lengths=lengths)

    check(Packed(), (x, lengths))


def test_mode_names_follow_nn():
    from minigrad.onnx.recurrent import MODE_NAMES
    from nn.kernels.recurrent import Mode

    assert MODE_NAMES == {int(m): m.name for m in Mode}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bidir,with_lengths", [(False, False), (True, True)])
def test_recurrent_layer_with_its_own_forward_is_traced(kind, bidir, with_lengths):
    """A subclass that overrides forward is traced op by op: its fused recurrences become
    one ONNX recurrent node per layer and direction."""
    base = nn.RNN if kind.startswith("RNN") else getattr(nn, kind)

    class Scaled(base):
        def forward(self, x, hx=None):
            out, h = super().forward(x, hx, lengths=[4, 2, 3] if with_lengths else None)
            return out * 2.0, h

    kw = {"nonlinearity": kind[4:].lower()} if kind.startswith("RNN") else {}
    m = Scaled(3, 5, num_layers=2, bidirectional=bidir, **kw)
    D = 2 if bidir else 1
    x = randn(4, 3, 3)
    h0 = randn(2 * D, 3, 5)
    args = (x, (h0, randn(2 * D, 3, 5))) if kind == "LSTM" else (x, h0)
    proto = check(m, args)
    ops = [n.op_type for n in proto.graph.node]
    assert ops.count(kind.split("_")[0]) == 2 * D


@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("batched,with_state,bias",
                         list(itertools.product([True, False], repeat=3)))
def test_cells_match_onnxruntime(kind, batched, with_state, bias):
    cell = getattr(nn, kind)(3, 5, bias=bias)
    lead = (2,) if batched else ()
    x = randn(*lead, 3)
    args = (x,)
    if with_state:
        args = (x, (randn(*lead, 5), randn(*lead, 5))) if kind == "LSTMCell" \
            else (x, randn(*lead, 5))
    check(cell, args)


# ----------------------------------------------------------------------------- layers


@pytest.mark.parametrize("model,shape", [
    (nn.Linear(4, 3), (2, 4)),
    (nn.Linear(4, 3), (5, 2, 4)),
    (nn.Linear(4, 3, bias=False), (2, 4)),
    (nn.Linear(4, 3, bias=False), (4,)),
    (nn.LayerNorm(4), (3, 4)),
    (nn.LayerNorm((2, 4)), (3, 2, 4)),
    (nn.LayerNorm(4, elementwise_affine=False), (2, 3, 4)),
    (nn.Sequential(nn.Tanh(), nn.Sigmoid(), nn.ReLU()), (3, 4)),
    (nn.Softmax(dim=0), (3, 4)),
    (nn.LogSoftmax(dim=-1), (2, 3, 4)),
    (nn.Sequential(nn.Dropout(0.5), nn.Identity(), nn.Linear(4, 2)), (3, 4)),
])
def test_layers_match_onnxruntime(model, shape):
    if isinstance(model, nn.LayerNorm) and model.weight is not None:
        with mg.no_grad():
            model.weight.normal_(1.0, 0.5)
            model.bias.normal_(0.0, 0.5)
    check(model, (randn(*shape),))


def test_embedding_matches_onnxruntime():
    check(nn.Embedding(10, 4), (tokens(10, 3, 2),))
    check(nn.Embedding(10, 4, padding_idx=0), (tokens(10, 5),))


# ----------------------------------------------------------------------------- whole models


class RNNModel(nn.Module):
    """PyTorch's word_language_model RNNModel (its forward verbatim but for F.log_softmax)."""

    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False):
        super().__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = make(rnn_type, ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            self.decoder.weight = self.encoder.weight
        self.rnn_type, self.nhid, self.nlayers = rnn_type, nhid, nlayers

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output)
        decoded = decoded.view(-1, self.ntoken)
        return decoded.log_softmax(1), hidden

    def init_hidden(self, bsz):
        if self.rnn_type == "LSTM":
            return (mg.zeros(self.nlayers, bsz, self.nhid), mg.zeros(self.nlayers, bsz,
                                                                      self.nhid))
        return mg.zeros(self.nlayers, bsz, self.nhid)


def lm_args(model, T, B):
    hidden = model.init_hidden(B)
    hidden = tuple(h + randn(*h.shape) for h in hidden) if isinstance(hidden, tuple) \
        else hidden + randn(*hidden.shape)
    return tokens(model.ntoken, T, B), hidden


@pytest.mark.parametrize("kind,tied", list(itertools.product(KINDS, [False, True])))
def test_word_language_model_as_its_main_py_exports_it(kind, tied, tmp_path):
    """pytorch/examples word_language_model/main.py, export_onnx: the same lines, with
    ``torch`` spelled ``mg``.  Embedding -> Dropout -> RNN -> Dropout -> Linear -> view ->
    log_softmax, returning (log_probs, hidden)."""
    model = RNNModel(kind, 20, 6, 6, 2, tie_weights=tied)
    batch_size, seq_len, path = 1, 7, tmp_path / "model.onnx"
    model.eval()
    dummy_input = mg.LongTensor(seq_len * batch_size).zero_().view(-1, batch_size)
    hidden = model.init_hidden(batch_size)
    mg.onnx.export(model, (dummy_input, hidden), path)

    proto = onnx.load(path)
    onnx.checker.check_model(proto, full_check=True)
    names = ["input", "hidden_0", "hidden_1"] if kind == "LSTM" else ["input", "hidden"]
    assert [i.name for i in proto.graph.input] == names
    ops = [n.op_type for n in proto.graph.node]
    assert ops.count(kind.split("_")[0]) == 2  # one recurrent node per layer
    assert {"Gather", "LogSoftmax"} <= set(ops) and "Dropout" not in ops
    tables = [i for i in proto.graph.initializer if list(i.dims) == [20, 6]]
    assert len(tables) == (1 if tied else 2)
    for args in [(dummy_input, hidden), lm_args(model, seq_len, batch_size)]:
        with mg.no_grad():
            want = flat(model(*args))
        got = run_onnx(proto, flat(args))
        assert [g.shape for g in got] == [w.shape for w in want]
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w.numpy(), **TOL)


@pytest.mark.parametrize("kind,tied", [("LSTM", False), ("LSTM", True), ("GRU", False),
                                       ("RNN_TANH", True)])
def test_word_language_model(kind, tied):
    m = RNNModel(kind, 30, 8, 8, 2, tie_weights=tied)
    args = lm_args(m, 6, 3)
    mg.onnx.export(m, args)  # in training mode: run in eval mode, then put back
    assert all(x.training for x in m.modules())
    proto = check(m, args)
    outputs = [o.name for o in proto.graph.output]
    assert outputs == ["output_0", "output_1", "output_2"][:3 if kind == "LSTM" else 2]
    tables = [i for i in proto.graph.initializer if list(i.dims) == [30, 8]]
    assert len(tables) == (1 if tied else 2)  # a tied weight is stored once


def test_dynamic_sequence_and_batch():
    m = RNNModel("LSTM", 30, 8, 6, 2)
    axes = {"input": {0: "seq", 1: "batch"}, "hidden_0": {1: "batch"},
            "hidden_1": {1: "batch"}, "output_0": {0: "tokens"}}
    proto = check(m, lm_args(m, 5, 3), more=[lm_args(m, 2, 7), lm_args(m, 9, 2)],
                  dynamic_axes=axes)
    dims = [[d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim]
            for i in proto.graph.input]
    assert dims == [["seq", "batch"], [2, "batch", 6], [2, "batch", 6]]
    assert proto.graph.output[0].type.tensor_type.shape.dim[0].dim_param == "tokens"


class Tagger(nn.Module):
    """batch_first GRU tagger whose forward flattens (B, T) and splits it back again."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20, 5)
        self.rnn = nn.GRU(5, 4, batch_first=True, bidirectional=True)
        self.norm = nn.LayerNorm(8)
        self.out = nn.Linear(8, 3)

    def forward(self, x):
        B, T = x.shape
        h, _ = self.rnn(self.emb(x))
        flat = self.norm(h).reshape(B * T, 8)
        scores = self.out(flat).relu().reshape(B, T, 3)
        return scores.softmax(-1).transpose(1, 2), scores[:, -1], h.mean(1)


def test_dynamic_axes_through_reshapes_that_split_them():
    m = Tagger()
    check(m, (tokens(20, 3, 4),), more=[(tokens(20, 5, 2),), (tokens(20, 2, 6),)],
          dynamic_axes={"x": {0: "batch", 1: "seq"}})


@given(T=st.integers(2, 9), B=st.integers(2, 6), kind=st.sampled_from(KINDS))
def test_dynamic_axes_any_size(T, B, kind):
    m = RNNModel(kind, 12, 4, 3, 2)
    hidden = ["hidden_0", "hidden_1"] if kind == "LSTM" else ["hidden"]
    axes = {"input": [0, 1], **{h: {1: "input_dynamic_axes_2"} for h in hidden}}
    check(m, lm_args(m, 4, 3), more=[lm_args(m, T, B)], dynamic_axes=axes)


def test_reshape_that_cannot_follow_a_dynamic_axis_is_refused():
    class Fold(nn.Module):
        def forward(self, x):
            return x.reshape(2, -1)  # splits the dynamic axis at a size fixed by the trace

    with pytest.raises(NotImplementedError, match="splits a dynamic axis"):
        mg.onnx.export(Fold(), randn(4, 3), dynamic_axes={"x": [0]})
    check(Fold(), (randn(4, 3),))  # without the dynamic axis it is just a reshape


# ----------------------------------------------------------------------------- tensor ops


class Lambda(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *xs):
        return self.fn(*xs)


GLUE = {
    "view_permute": (lambda x: x.view(3, 8).T.reshape(2, 3, 4).permute(2, 0, 1), [(2, 3, 4)]),
    "transpose_softmax": (lambda x: x.transpose(0, 2).softmax(1), [(2, 3, 4)]),
    "log_softmax": (lambda x: x.log_softmax(0), [(3, 4)]),
    "arithmetic": (lambda x, y: (x + y) * 2.0 - y / (x * x + 1.0) + 1.5 / (y * y + 1.0) - x,
                   [(3, 4), (4,)]),
    "matmul": (lambda x, y: (x @ y).tanh() @ y.T, [(2, 3, 4), (4, 5)]),
    "matmul_vec": (lambda x, y: (x @ y) + (y @ x.transpose(1, 2)).sum(), [(2, 3, 4), (4,)]),
    "activations": (lambda x: x.tanh() + x.sigmoid() * x.relu() + x.exp().log(), [(3, 4)]),
    "cat_stack": (lambda x, y: mg.cat([x, y.reshape(1, 4), x * 2], 0) + mg.stack([x, x], 0)
                  .sum(0).mean(0), [(2, 4), (4,)]),
    "slices": (lambda x: x[1:, ::2] + x[-1, None, :3:2] + x[..., 0:1, -2:], [(3, 4)]),
    "ints_none": (lambda x: x[1][None, :, None] * x[:, -1][:, None, None], [(3, 4)]),
    "index_array": (lambda x: x[np.array([2, 0, 2])] + x[:, [1, 1, 0, 3]] +
                    x[np.array([True, False, True])].sum(), [(3, 4)]),
    "reductions": (lambda x: x.sum((0, 2)) + x.mean(-1).amax(0) + x.amin(0).sum(1) +
                   x.logsumexp((1, 2))[0], [(2, 3, 4)]),
    "max_dim": (lambda x: x.max(1)[0] * 2 + x.min(0, keepdim=True).values.sum(), [(3, 4)]),
    "clip_where": (lambda x, y: x.clip(-0.5, 0.5) + mg.where(np.array([True, False, True,
                                                                          False]), x, y)
                   + x.maximum(y) - x.minimum(0.1), [(3, 4), (4,)]),
    "expand_unsqueeze": (lambda x: x.unsqueeze(1).expand(3, 2, 4).flatten() + 1.0,
                         [(3, 4)]),
    "squeeze_gather": (lambda x: x.unsqueeze(0).squeeze(0).gather(1, np.array([[0], [2],
                                                                              [1]]))
                       + x.index_select(1, np.array([3, 3])), [(3, 4)]),
    "masked_fill_pow": (lambda x: x.masked_fill(np.eye(3, 4, dtype=bool), 2.0) ** 2 +
                        x.abs().sqrt() + (-x).sin().cos(), [(3, 4)]),
    "scalar": (lambda x: x.sum() * x.mean(), [(3, 4)]),
    "var_std": (lambda x: x.var(1).sum() + x.std(0) + x.var((0, 1), correction=0), [(3, 4)]),
    "reversed": (lambda x: x[::-1] * x[2:0:-1, ::-2].sum(), [(3, 4)]),
    "clone_cast": (lambda x: x.clone().double().float() + x.astype(np.float64).sum().float(),
                   [(3, 4)]),
}


@pytest.mark.parametrize("name", list(GLUE))
def test_tensor_ops_in_forward(name):
    fn, shapes = GLUE[name]
    check(Lambda(fn), tuple(randn(*s) for s in shapes))


INDEXING = {
    "two_arrays": lambda x: x[np.array([1, 0, 1]), np.array([1, 2, 2])],
    "array_and_int": lambda x: x[1, :, np.array([0, 3, 0])],
    "arrays_apart": lambda x: x[np.array([[0], [1]]), :, np.array([3, 1, 2])],
    "mask_2d": lambda x: x[:, np.array([[True, False, True, True], [False] * 4,
                                        [True] * 4])],
    "gather_3d": lambda x: x.gather(2, np.array([[[3, 0], [1, 1], [2, 2]],
                                                [[0, 0], [3, 3], [1, 2]]])),
    "gather_smaller": lambda x: x.gather(0, np.array([[[1, 0, 0, 1]]])),
    "index_select": lambda x: x.index_select(2, np.array([3, 0])) +
    x.index_select(-2, np.array([2])).sum(),
}


@pytest.mark.parametrize("name", list(INDEXING))
def test_advanced_indexing(name):
    """Indexes of several arrays (what gather builds) are flat Gathers; their values and
    shapes follow numpy's rules (arrays apart put their dims first)."""
    check(Lambda(INDEXING[name]), (randn(2, 3, 4),))


def test_index_arrays_from_the_inputs_that_cannot_follow_are_refused():
    m = Lambda(lambda x, i: x[i, i])
    with pytest.raises(NotImplementedError, match="computed from the inputs"):
        mg.onnx.export(m, (randn(3, 3), mg.tensor(np.array([0, 2]))))
    with pytest.raises(NotImplementedError, match="dynamic axes"):
        mg.onnx.export(Lambda(lambda x: x.gather(1, np.array([[0], [1]]))), randn(2, 3),
                       dynamic_axes={"xs_0": [0]})


def test_tensor_parameters_given_as_inputs():
    """where's condition, clamp's bounds and masked_fill's value may be graph inputs."""
    def fn(x, cond, lo, hi, v):
        return mg.where(cond, x, -x) + x.clamp(lo, hi) + x.clamp(min=lo) + \
            x.clamp(max=hi.sum()) + x.masked_fill(np.eye(3, 4, dtype=bool), v.sum())

    args = (randn(3, 4), mg.tensor(np.array([True, False, False, True])), randn(4) - 0.5,
            randn(3, 1) + 0.5, randn(2))
    proto = check(Lambda(fn), args)
    assert len(proto.graph.input) == 5
    check(Lambda(lambda x: x.clamp(np.zeros(4, np.float32), 0.3) + x.clamp(max=0.2)),
          (randn(3, 4),))


def test_ops_with_parameters_as_keywords():
    """Ops called with their non-tensor parameters as keywords (torch-style) export too."""
    def fn(x):
        y = S.Reshape.apply(x, shape=(4, 3))
        y = S.Permute.apply(y, dims=(1, 0))
        y = R.LogSoftmax.apply(y, dim=1) + R.Softmax.apply(y, dim=0)
        return R.Sum.apply(y, dims=(0,), keepdim=False)

    check(Lambda(fn), (randn(2, 6),))


class Scorer(nn.Module):
    """Parameters and F.embedding used directly in forward, with keyword arguments."""

    def __init__(self):
        super().__init__()
        self.table = nn.Parameter(np.random.randn(7, 3).astype(np.float32))
        self.W = nn.Parameter(np.random.randn(3, 2).astype(np.float32))

    def forward(self, idx, scale=None):
        h = nn.functional.embedding(idx, self.table) @ self.W
        return h * scale if scale is not None else h


def test_parameters_and_functions_used_in_forward():
    m = Scorer()
    idx = tokens(7, 2, 5)
    proto = check(m, (idx, {"scale": randn(2)}))
    assert [i.name for i in proto.graph.input] == ["idx", "scale"]
    assert {"table", "W"} <= {i.name for i in proto.graph.initializer}
    proto = check(m, (idx,), more=[(tokens(7, 4, 1),)], dynamic_axes={"idx": [0, 1]})


def test_index_tensors_given_as_inputs_stay_inputs():
    m = Lambda(lambda x, idx, mask: x[idx] * 2 + x[:, mask].sum())
    x = randn(4, 3)
    check(m, (x, mg.tensor(np.array([3, 0, 3])), mg.tensor(np.array([True, False, True]))),
          more=[(x, mg.tensor(np.array([1, 2, 2])), mg.tensor(np.array([False, True,
                                                                         True])))])


def test_outputs_that_are_inputs_constants_or_repeated():
    lin = nn.Linear(2, 2)
    m = Lambda(lambda x: (x, lin.weight, x.tanh(), x.tanh() * 1.0, x))
    proto = check(m, (randn(2, 2),))
    assert len(proto.graph.output) == 5
    check(nn.Dropout(0.3), (randn(3),))


@given(programs(max_steps=5))
def test_random_programs(prog_inputs):
    """Random programs of unary, binary, reduction, softmax, matmul, indexing and reshape
    ops (minigrad.testing.programs), in float64, exported with their weights as inputs."""
    prog, inputs = prog_inputs
    check(Lambda(prog), tuple(inputs), tol={"rtol": 1e-9, "atol": 1e-12})


@pytest.mark.parametrize("opset", [17, 18, 21])
def test_opsets(opset):
    m = Tagger()
    check(m, (tokens(20, 3, 4),), opset_version=opset)
    check(Lambda(lambda x: x.mean(0) + x.amax(1).sum() + x.logsumexp(1)[0]), (randn(3, 3),),
          opset_version=opset)


# ----------------------------------------------------------------------------- errors


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(4, 4)

    def forward(self, x):
        return Cube.apply(self.proj(x))


class WithAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 4)
        self.inner = nn.Sequential(nn.Tanh(), Block())
        self.attn = nn.MultiheadAttention(4, 2)

    def forward(self, x, use_attention=True):
        x = self.lin(x)
        if use_attention:
            return self.attn(x, x, x)[0]
        return self.inner(x)


def states_of(model):
    return ([(type(m), m.training, "forward" in m.__dict__) for m in model.modules()],
            {k: np.array(v) for k, v in model.state_dict().items()})


def assert_unchanged(model, before):
    after = states_of(model)
    assert after[0] == before[0]
    assert after[1].keys() == before[1].keys()
    for k in before[1]:
        np.testing.assert_array_equal(after[1][k], before[1][k])


def test_unsupported_module_is_named_and_the_model_is_left_as_it_was():
    m = WithAttention()
    m.inner.train()
    m.lin.eval()
    before = states_of(m)
    with pytest.raises(NotImplementedError, match=r"'attn' \(MultiheadAttention\)"):
        mg.onnx.export(m, randn(3, 2, 4))
    assert_unchanged(m, before)
    with pytest.raises(NotImplementedError, match=r"Cube \(in 'inner.1' \(Block\)\)"):
        mg.onnx.export(m, (randn(3, 4), False))
    assert_unchanged(m, before)
    mg.onnx.export(nn.Sequential(m.lin, m.inner[0]), randn(3, 4))
    assert_unchanged(m, before)


def test_a_forward_set_on_the_instance_is_exported_and_kept():
    m = nn.Linear(3, 2)
    own = lambda x: x.tanh() * 2.0  # noqa: E731
    m.forward = own
    proto = check(m, (randn(4, 3),))
    assert [n.op_type for n in proto.graph.node] == ["Tanh", "Mul"]
    assert m.forward is own


def test_bad_arguments_are_refused():
    m = nn.Linear(3, 2)
    x = randn(4, 3)
    with pytest.raises(ValueError, match="opset_version"):
        mg.onnx.export(m, x, opset_version=12)
    with pytest.raises(ValueError, match="'y', which is not an input or output"):
        mg.onnx.export(m, x, dynamic_axes={"y": [0]})
    with pytest.raises(ValueError, match="at least 2"):
        mg.onnx.export(m, randn(1, 3), dynamic_axes={"x": [0]})
    with pytest.raises(ValueError, match="already the name"):
        mg.onnx.export(m, x, output_names=["weight"])
    with pytest.raises(TypeError, match="nn.Module"):
        mg.onnx.export(lambda x: x, x)
