"""Seq2Seq and beam search: greedy == beam 1, beam beats greedy where it should, the model
learns to reverse digit sequences."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
import nn
from minigrad import optim
from nn.beam import beam_search

PAD, BOS, EOS = 0, 1, 2


def reversal_batch(rng, B, lo=5, hi=12):
    lengths = rng.integers(lo, hi + 1, B)
    S = lengths.max()
    src, tgt = np.zeros((B, S), np.int64), np.zeros((B, S + 2), np.int64)
    for b, n in enumerate(lengths):
        d = rng.integers(3, 13, n)
        src[b, :n] = d
        tgt[b, 0], tgt[b, 1:n + 1], tgt[b, n + 1] = BOS, d[::-1], EOS
    return src, lengths, tgt


class MarkovStep:
    """A hand-built "decoder": the next-token distribution depends only on the last token.

    From bos, 'a' (p=0.6) beats 'b' (p=0.4), but after 'a' everything is uncertain (0.25 each
    of a, b, c, eos) while after 'b' eos is near-certain.  Greedy takes 'a' and ends with
    log(0.6 * 0.25); beam search finds 'b', eos with log(0.4 * 0.99)."""

    V = 5  # 0 pad, 1 bos, 2 eos, 3 a, 4 b

    def __init__(self):
        p = np.full((self.V, self.V), 1e-9)
        p[BOS, 3], p[BOS, 4] = 0.6, 0.4
        p[3, [2, 3, 4]] = 0.25
        p[3, 0] = 0.25
        p[4, 2], p[4, 3] = 0.99, 0.01
        self.logp = np.log(p / p.sum(1, keepdims=True))

    def __call__(self, tokens, state):
        return self.logp[tokens], state, None


def test_beam_finds_better_sequence_than_greedy():
    step = MarkovStep()
    greedy = beam_search(step, lambda s, i: s, None, BOS, EOS, max_len=2, beam_size=1)
    beam = beam_search(step, lambda s, i: s, None, BOS, EOS, max_len=2, beam_size=3)
    assert greedy.tokens[0] == 3
    assert beam.tokens == [4]
    assert beam.score > greedy.score


@settings(max_examples=5)
@given(cell=st.sampled_from(["lstm", "gru", "rnn"]), bidir=st.booleans(),
       attention=st.sampled_from(["additive", "dot", "general", None]), seed=st.integers(0, 9))
def test_greedy_equals_beam_size_one_and_shapes(cell, bidir, attention, seed):
    mg.manual_seed(seed)
    m = nn.Seq2Seq(8, 9, embed_dim=6, hidden_size=8, cell=cell, bidirectional=bidir,
                   attention=attention)
    rng = np.random.default_rng(seed)
    src, lengths, tgt = reversal_batch(rng, 4, 2, 5)
    src = np.clip(src, 0, 7)
    logits = m(src, lengths, np.clip(tgt, 0, 8))
    assert logits.shape == (4, tgt.shape[1] - 1, 9)
    greedy, gw = m.generate(src, lengths, 6, BOS, EOS)
    beam, bw = m.generate(src, lengths, 6, BOS, EOS, beam_size=1)
    assert greedy == beam
    if attention is not None:
        for a, b, n in zip(gw, bw, lengths):
            np.testing.assert_allclose(a, b, atol=1e-6)
            assert a.shape[1] == n
    wide, _ = m.generate(src, lengths, 6, BOS, EOS, beam_size=3)
    assert all(len(w) <= 6 for w in wide)


@given(attention=st.sampled_from(["additive", "dot", None]), tf=st.sampled_from([1.0, 0.5]))
@settings(max_examples=4)
def test_seq2seq_gradcheck(attention, tf):
    mg.manual_seed(1)
    m = nn.Seq2Seq(6, 6, embed_dim=3, hidden_size=3, cell="gru", bidirectional=True,
                   attention=attention).double()
    rng = np.random.default_rng(0)
    src, lengths, tgt = reversal_batch(rng, 2, 1, 3)
    src, tgt = np.clip(src, 0, 5), np.clip(tgt, 0, 5)
    params = [p for n, p in m.named_parameters() if "embed" not in n][:6]

    def f(*ps):
        mg.manual_seed(3)  # the same teacher-forcing coin flips on every call
        return nn.sequence_loss(m(src, lengths, tgt, teacher_forcing=tf), tgt)

    assert mg.gradcheck(f, params)


def test_errors():
    with pytest.raises(ValueError, match="cell must be one of"):
        nn.Seq2Seq(5, 5, cell="transformer")
    with pytest.raises(ValueError, match="attention must be"):
        nn.Seq2Seq(5, 5, attention="cosine")


def test_dropout_only_in_training():
    mg.manual_seed(0)
    m = nn.Seq2Seq(15, 15, embed_dim=4, hidden_size=6, cell="gru", dropout=0.5)
    src, lengths, tgt = reversal_batch(np.random.default_rng(0), 3)
    m.train()
    a, b = m(src, lengths, tgt).detach().numpy(), m(src, lengths, tgt).detach().numpy()
    assert not np.allclose(a, b)  # fresh masks each call
    m.eval()
    np.testing.assert_array_equal(m(src, lengths, tgt).detach().numpy(), m(src, lengths, tgt).detach().numpy())
    m0 = nn.Seq2Seq(15, 15, embed_dim=4, hidden_size=6, cell="gru", dropout=0.0)
    m0.load_state_dict(m.state_dict())  # dropout adds no parameters
    np.testing.assert_allclose(m0(src, lengths, tgt).detach().numpy(), m(src, lengths, tgt).detach().numpy())


@pytest.mark.slow
def test_learns_to_reverse_digit_sequences():
    """A fixed budget of steps, not of seconds: reaches 0.99 exact match near step 600."""
    mg.manual_seed(0)
    rng = np.random.default_rng(0)
    m = nn.Seq2Seq(13, 13, embed_dim=32, hidden_size=64, cell="gru", attention="dot")
    opt = optim.Adam(m.parameters(), lr=3e-3)
    sched = optim.lr_scheduler.StepLR(opt, step_size=400, gamma=0.5)
    test = reversal_batch(np.random.default_rng(123), 500)
    acc = 0.0
    for it in range(1, 1501):
        src, lengths, tgt = reversal_batch(rng, 64)
        loss = nn.sequence_loss(m(src, lengths, tgt), tgt)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()
        sched.step()
        if it % 100 == 0:
            out, _ = m.generate(test[0], test[1], 14, BOS, EOS)
            acc = np.mean([o == list(t[1:n + 1]) for o, t, n in zip(out, test[2], test[1])])
            if acc >= 0.99:
                break
    print(f"reversal: exact match {acc:.3f} after {it} steps")
    assert acc >= 0.98, f"exact match {acc:.3f} after {it} steps"


def test_plot_attention(tmp_path):
    from nn.utils.plot import plot_attention

    p = plot_attention(np.eye(3)[::-1], list("abc"), list("cba"), str(tmp_path / "a.png"))
    assert (tmp_path / "a.png").stat().st_size > 1000 and p.endswith("a.png")
    with pytest.raises(ValueError, match="do not fit"):
        plot_attention(np.eye(2), list("abc"), list("cba"), str(tmp_path / "b.png"))
