"""nn.utils.rnn packed sequences: torch's layout (data, batch_sizes, indices) and errors,
gradients through pack/unpack, and recurrent layers on packed input equal to torch."""
import itertools

import numpy as np
import pytest
from conftest import needs_torch, torch
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import nn
from nn.utils.rnn import (
    PackedSequence,
    invert_permutation,
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    pad_sequence,
    unpack_sequence,
    unpad_sequence,
)


def arr(t):
    return None if t is None else np.asarray(t)


def tarr(t):
    return None if t is None else t.detach().numpy()


def assert_same_packed(p, tp):
    np.testing.assert_array_equal(arr(p.data), tarr(tp.data))
    np.testing.assert_array_equal(arr(p.batch_sizes), tarr(tp.batch_sizes))
    for a, b in ((p.sorted_indices, tp.sorted_indices), (p.unsorted_indices,
                                                         tp.unsorted_indices)):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(arr(a), tarr(b))
            assert arr(a).dtype == np.int64


@st.composite
def padded_batches(draw, distinct=False):
    """(x, lengths, batch_first, trailing shape): lengths distinct if asked (torch breaks
    ties in an unspecified order, so only then are its indices comparable)."""
    B = draw(st.integers(1, 5))
    if distinct:
        lengths = list(draw(st.permutations(range(1, B + 1))))
    else:
        lengths = draw(st.lists(st.integers(1, 4), min_size=B, max_size=B))
    T = max(lengths) + draw(st.integers(0, 1))
    trail = draw(st.sampled_from([(), (1,), (3,), (2, 2)]))
    bf = draw(st.booleans())
    x = np.random.default_rng(B * 10 + T).standard_normal(((B, T) if bf else (T, B)) + trail)
    return x, lengths, bf


# ----------------------------------------------------------------------------- layout


@needs_torch
@given(padded_batches(distinct=True), st.booleans())
def test_layout_matches_torch(batch, enforce_sorted):
    x, lengths, bf = batch
    if enforce_sorted:
        lengths = sorted(lengths, reverse=True)
    p = pack_padded_sequence(mg.tensor(x), lengths, batch_first=bf,
                             enforce_sorted=enforce_sorted)
    tp = torch.nn.utils.rnn.pack_padded_sequence(torch.tensor(x), lengths, batch_first=bf,
                                                 enforce_sorted=enforce_sorted)
    assert isinstance(p, PackedSequence) and isinstance(p, tuple)
    assert_same_packed(p, tp)
    T = x.shape[1 if bf else 0]
    for total in (None, T + 2):
        u, ln = pad_packed_sequence(p, batch_first=bf, padding_value=-2.5, total_length=total)
        tu, tln = torch.nn.utils.rnn.pad_packed_sequence(tp, batch_first=bf, padding_value=-2.5,
                                                         total_length=total)
        np.testing.assert_array_equal(arr(u), tarr(tu))
        np.testing.assert_array_equal(arr(ln), tarr(tln))
        assert arr(ln).dtype == np.int64


@needs_torch
def test_ties_keep_their_order_as_torch_does_on_small_batches():
    lengths = [1, 2, 1, 2, 3, 1, 2, 3, 3, 2, 1, 2, 1, 2]
    x = np.arange(4 * 14 * 2, dtype=np.float64).reshape(4, 14, 2)
    p = pack_padded_sequence(mg.tensor(x), lengths, enforce_sorted=False)
    tp = torch.nn.utils.rnn.pack_padded_sequence(torch.tensor(x), lengths, enforce_sorted=False)
    assert_same_packed(p, tp)


@given(padded_batches(), st.booleans())
def test_unpack_inverts_pack(batch, bf_out):
    """pad(pack(x)) is x with the padding replaced, in the original batch order."""
    x, lengths, bf = batch
    p = pack_padded_sequence(mg.tensor(x), lengths, batch_first=bf, enforce_sorted=False)
    assert p.data.shape == (sum(lengths),) + x.shape[2:]
    u, ln = pad_packed_sequence(p, batch_first=bf, padding_value=7.0)
    np.testing.assert_array_equal(arr(ln), lengths)
    xt = x if not bf else np.swapaxes(x, 0, 1)  # (T, B, *)
    ut = arr(u) if not bf else np.swapaxes(arr(u), 0, 1)
    for b, n in enumerate(lengths):
        np.testing.assert_array_equal(ut[:n, b], xt[:n, b])
        assert np.all(ut[n:, b] == 7.0)
    assert ut.shape[0] == max(lengths)


@needs_torch
def test_pack_sequence_and_unpack_sequence_match_torch():
    seqs = [np.random.default_rng(i).standard_normal((n, 3)) for i, n in enumerate([2, 4, 1])]
    p = pack_sequence([mg.tensor(s) for s in seqs], enforce_sorted=False)
    tp = torch.nn.utils.rnn.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    assert_same_packed(p, tp)
    for a, s in zip(unpack_sequence(p), seqs):
        np.testing.assert_array_equal(arr(a), s)
    padded = pad_sequence([mg.tensor(s) for s in seqs], batch_first=True)
    for a, s in zip(unpad_sequence(padded, [2, 4, 1], batch_first=True), seqs):
        np.testing.assert_array_equal(arr(a), s)
    for side in ("left", "right"):
        ours = pad_sequence([mg.tensor(s) for s in seqs], padding_value=-1, padding_side=side)
        theirs = torch.nn.utils.rnn.pad_sequence([torch.tensor(s) for s in seqs],
                                                 padding_value=-1, padding_side=side)
        np.testing.assert_array_equal(arr(ours), tarr(theirs))


def test_integer_data_and_constructor_forms():
    x = mg.tensor(np.array([[1, 2, 0], [3, 0, 0], [4, 5, 6]]))
    p = pack_padded_sequence(x, [2, 1, 3], batch_first=True, enforce_sorted=False)
    np.testing.assert_array_equal(arr(p.data), [4, 1, 3, 5, 2, 6])  # torch's docstring example
    np.testing.assert_array_equal(arr(p.batch_sizes), [3, 2, 1])
    np.testing.assert_array_equal(arr(p.sorted_indices), [2, 0, 1])
    np.testing.assert_array_equal(arr(p.unsorted_indices), [1, 2, 0])
    u, ln = pad_packed_sequence(p, batch_first=True)
    np.testing.assert_array_equal(arr(u), arr(x))
    q = PackedSequence((p.data, p.batch_sizes), None, p.sorted_indices)
    np.testing.assert_array_equal(arr(q.unsorted_indices), [1, 2, 0])
    data, batch_sizes, *_ = q
    assert data is p.data and q._fields == ("data", "batch_sizes", "sorted_indices",
                                            "unsorted_indices")
    np.testing.assert_array_equal(arr(invert_permutation(np.array([2, 0, 1]))), [1, 2, 0])
    assert invert_permutation(None) is None
    assert q.double().data.dtype == np.float64 and not q.is_cuda


# ----------------------------------------------------------------------------- errors

TORCH_ERRORS = [
    ([2, 3, 1], True, "must be sorted in decreasing order when `enforce_sorted` is True"),
    ([3, 2, 0], True, "Length of all samples has to be greater than 0"),
    ([3, 2], True, r"Expected `len\(lengths\)` to be equal to batch_size, but got 2 "
                   r"\(batch_size=3\)"),
    ([[3, 2, 1]], True, "'lengths' argument should be a 1-D"),
]


@pytest.mark.parametrize("lengths,enforce_sorted,msg", TORCH_ERRORS)
def test_errors_are_torchs(lengths, enforce_sorted, msg):
    x = mg.tensor(np.zeros((4, 3, 2)))
    with pytest.raises(RuntimeError, match=msg):
        pack_padded_sequence(x, lengths, enforce_sorted=enforce_sorted)
    if torch is not None:
        with pytest.raises(RuntimeError, match=msg.replace("1-D", "1D")):
            torch.nn.utils.rnn.pack_padded_sequence(torch.zeros(4, 3, 2), lengths,
                                                    enforce_sorted=enforce_sorted)


def test_our_extra_errors():
    x = mg.tensor(np.zeros((4, 3, 2)))
    with pytest.raises(RuntimeError, match="at most the padded length 4"):
        pack_padded_sequence(x, [5, 2, 1])  # torch silently reads past the batch here
    with pytest.raises(RuntimeError, match="1-D sequence of integers"):
        pack_padded_sequence(x, [2.5, 2, 1])
    with pytest.raises(RuntimeError, match="Cannot pack empty tensors"):
        pack_padded_sequence(mg.tensor(np.zeros((4, 0, 2))), [])
    with pytest.raises(ValueError, match="at least 2 dims"):
        pack_padded_sequence(mg.tensor(np.zeros(4)), [4])
    p = pack_padded_sequence(x, [3, 2, 1])
    with pytest.raises(ValueError, match="total_length=2 and max sequence length being 3"):
        pad_packed_sequence(p, total_length=2)
    with pytest.raises(ValueError, match="batch_sizes sum to 6 but data has 5 rows"):
        pad_packed_sequence(PackedSequence(p.data[:5], p.batch_sizes))
    with pytest.raises(ValueError, match="non-increasing"):
        pad_packed_sequence(PackedSequence(p.data, [1, 2, 3]))
    with pytest.raises(RuntimeError, match="empty list of sequences"):
        pack_sequence([])
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        pack_sequence([mg.ones(2), mg.ones(3)])
    with pytest.raises(ValueError, match="do not pass lengths= too"):
        nn.GRU(2, 3)(p, lengths=[3, 2, 1])


# ----------------------------------------------------------------------------- gradients


@given(padded_batches(), st.booleans())
def test_gradcheck_through_pack_and_unpack(batch, bf_out):
    x, lengths, bf = batch

    def f(x):
        p = pack_padded_sequence(x, lengths, batch_first=bf, enforce_sorted=False)
        u, _ = pad_packed_sequence(p, batch_first=bf_out, padding_value=1.5, total_length=5)
        return p.data * p.data, u

    assert mg.gradcheck(f, [mg.tensor(x, requires_grad=True)])


@given(st.lists(st.integers(1, 4), min_size=1, max_size=4), st.booleans())
def test_gradcheck_pack_sequence(lengths, enforce_sorted):
    if enforce_sorted:
        lengths = sorted(lengths, reverse=True)
    seqs = [mg.tensor(np.random.default_rng(n).standard_normal((n, 2)), requires_grad=True)
            for n in lengths]
    assert mg.gradcheck(lambda *s: pack_sequence(list(s), enforce_sorted).data.tanh(), seqs)


# ----------------------------------------------------------------------------- RNN input

KINDS = ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"]


def make(lib, kind, *args, **kw):
    if kind.startswith("RNN"):
        kw["nonlinearity"] = kind[4:].lower()
        return lib.RNN(*args, **kw)
    return getattr(lib, kind)(*args, **kw)


def states(kind, h):
    return list(h) if kind == "LSTM" else [h]


@needs_torch
@pytest.mark.parametrize("kind,layers,bidir,batch_first,enforce_sorted",
                         list(itertools.product(KINDS, [1, 2], [False, True], [False, True],
                                                [False, True])))
def test_rnn_on_packed_input_matches_torch(kind, layers, bidir, batch_first, enforce_sorted):
    """Output data, h_n/c_n (original batch order) and gradients of the input, h0 and every
    parameter, with a torch state_dict loaded."""
    T, B, F, H = 5, 4, 3, 4
    rng = np.random.default_rng(layers * 4 + bidir * 2 + batch_first)
    tm = make(torch.nn, kind, F, H, num_layers=layers, bidirectional=bidir,
              batch_first=batch_first).double()
    m = make(nn, kind, F, H, num_layers=layers, bidirectional=bidir,
             batch_first=batch_first).double()
    m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    lengths = [5, 4, 2, 1] if enforce_sorted else [2, 5, 1, 4]
    x = rng.standard_normal((B, T, F) if batch_first else (T, B, F))
    D = 2 if bidir else 1
    h0s = [rng.standard_normal((layers * D, B, H)) for _ in range(2 if kind == "LSTM" else 1)]

    def run(pack, module, wrap):
        xs = wrap(x)
        hs = [wrap(h) for h in h0s]
        packed = pack(xs, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
        out, hn = module(packed, tuple(hs) if kind == "LSTM" else hs[0])
        return xs, hs, out, states(kind, hn)

    xm, hm, out, hn = run(pack_padded_sequence, m, lambda a: mg.tensor(a, requires_grad=True))
    xt, ht, tout, thn = run(torch.nn.utils.rnn.pack_padded_sequence, tm,
                            lambda a: torch.tensor(a, requires_grad=True))
    assert isinstance(out, PackedSequence)
    np.testing.assert_array_equal(arr(out.batch_sizes), tarr(tout.batch_sizes))
    if not enforce_sorted:
        np.testing.assert_array_equal(arr(out.unsorted_indices), tarr(tout.unsorted_indices))
    np.testing.assert_allclose(arr(out.data.detach()), tarr(tout.data), rtol=1e-10, atol=1e-12)
    for a, b in zip(hn, thn):
        np.testing.assert_allclose(arr(a.detach()), tarr(b), rtol=1e-10, atol=1e-12)

    w = rng.standard_normal(out.data.shape)
    ws = [rng.standard_normal(s.shape) for s in hn]
    loss = (out.data * mg.tensor(w)).sum() + sum((s * mg.tensor(v)).sum() for s, v in zip(hn, ws))
    tloss = (tout.data * torch.tensor(w)).sum() + sum((s * torch.tensor(v)).sum()
                                                      for s, v in zip(thn, ws))
    loss.backward()
    tloss.backward()
    for a, b in zip([xm, *hm], [xt, *ht]):
        np.testing.assert_allclose(arr(a.grad), tarr(b.grad), rtol=1e-9, atol=1e-12)
    tparams = dict(tm.named_parameters())
    for name, p in m.named_parameters():
        np.testing.assert_allclose(arr(p.grad), tarr(tparams[name].grad), rtol=1e-9,
                                   atol=1e-12, err_msg=name)


@pytest.mark.parametrize("kind", KINDS)
def test_packed_input_gives_the_numbers_of_lengths(kind):
    """The same model on the padded batch with lengths= and on its packed form."""
    m = make(nn, kind, 3, 4, num_layers=2, bidirectional=True).double()
    x = np.random.default_rng(3).standard_normal((5, 4, 3))
    lengths = [2, 5, 1, 4]
    h0 = np.random.default_rng(4).standard_normal((4, 4, 4))
    hx = (mg.tensor(h0), mg.tensor(-h0)) if kind == "LSTM" else mg.tensor(h0)
    out, hn = m(mg.tensor(x), hx, lengths=lengths)
    pout, phn = m(pack_padded_sequence(mg.tensor(x), lengths, enforce_sorted=False), hx)
    u, ln = pad_packed_sequence(pout)
    np.testing.assert_array_equal(arr(ln), lengths)
    np.testing.assert_allclose(arr(u), arr(out), rtol=1e-13, atol=1e-14)
    for a, b in zip(states(kind, hn), states(kind, phn)):
        np.testing.assert_allclose(arr(a), arr(b), rtol=1e-13, atol=1e-14)


@given(st.lists(st.integers(1, 3), min_size=1, max_size=3), st.sampled_from(KINDS),
       st.booleans())
def test_rnn_packed_gradcheck(lengths, kind, bidir):
    m = make(nn, kind, 2, 2, bidirectional=bidir).double()
    x = mg.tensor(np.random.default_rng(len(lengths)).standard_normal((max(lengths),
                                                                        len(lengths), 2)),
                  requires_grad=True)
    h0 = mg.tensor(np.random.default_rng(1).standard_normal((2 if bidir else 1, len(lengths),
                                                             2)), requires_grad=True)

    def f(x, h0, *params):
        p = pack_padded_sequence(x, lengths, enforce_sorted=False)
        out, hn = m(p, (h0, h0 * 0.5) if kind == "LSTM" else h0)
        return out.data, *states(kind, hn)

    assert mg.gradcheck(f, [x, h0, *m.parameters()])
