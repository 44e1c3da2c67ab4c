"""Lesson 5: reverse a digit sequence.

1. A many-to-many RNN must emit output t while reading input t, but the first output is
   the *last* input: it cannot see it yet, and fails.
2. A plain encoder-decoder reads everything first, then writes from one squeezed vector:
   better, but it forgets on long sequences.
3. With attention the decoder looks back at every input step: it solves the task, and its
   attention matrix is the anti-diagonal.
"""
import numpy as np
from _common import array, figure, parse_args, progress, result, save

import minigrad as mg
import nn
from minigrad import optim
from nn.utils.plot import plot_attention

args = parse_args(__doc__)
PAD, BOS, EOS, V = 0, 1, 2, 13  # digits are tokens 3..12
rng = np.random.default_rng(args.seed)
LO, HI = (3, 8) if args.quick else (5, 14)


def batch(n):
    lengths = rng.integers(LO, HI + 1, n)
    src = np.zeros((n, lengths.max()), np.int64)
    tgt = np.zeros((n, lengths.max() + 2), np.int64)
    for b, L in enumerate(lengths):
        d = rng.integers(3, V, L)
        src[b, :L], tgt[b, 0], tgt[b, 1:L + 1], tgt[b, L + 1] = d, BOS, d[::-1], EOS
    return src, lengths, tgt


def token_acc(pred_lists, tgt, lengths):
    hits = [np.mean([p[i] == t[1 + i] if i < len(p) else False for i in range(L)])
            for p, t, L in zip(pred_lists, tgt, lengths)]
    return float(np.mean(hits))


steps = 150 if args.quick else 1500
test = batch(400)

# 1. many-to-many RNN: one output per input step
emb, rnn, head = nn.Embedding(V, 32, 0), nn.LSTM(32, 128, batch_first=True), nn.Linear(128, V)
ps = list(emb.parameters()) + list(rnn.parameters()) + list(head.parameters())
opt = optim.Adam(ps, lr=3e-3)
for _ in progress(range(steps), "many-to-many RNN"):
    src, lengths, tgt = batch(64)
    logits = head(rnn(emb(src), lengths=lengths)[0])
    y = np.where(src > 0, tgt[:, 1:src.shape[1] + 1], -100)
    loss = nn.functional.cross_entropy(logits.reshape(-1, V), y.reshape(-1), ignore_index=-100)
    opt.zero_grad()
    loss.backward()
    opt.step()
with mg.no_grad():
    pred = array(head(rnn(emb(test[0]), lengths=test[1])[0])).argmax(-1)
rnn_acc = token_acc([p[:L].tolist() for p, L in zip(pred, test[1])], test[2], test[1])


def train_seq2seq(attention, label):
    mg.manual_seed(args.seed)
    m = nn.Seq2Seq(V, V, embed_dim=32, hidden_size=128, cell="gru", bidirectional=False,
                   attention=attention)
    opt = optim.Adam(m.parameters(), lr=3e-3)
    for _ in progress(range(steps), label):
        src, lengths, tgt = batch(64)
        loss = nn.sequence_loss(m(src, lengths, tgt), tgt)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()
    out, att = m.generate(test[0], test[1], HI + 1, BOS, EOS)
    return m, out, att


_, plain_out, _ = train_seq2seq(None, "encoder-decoder")
seq2seq_acc = token_acc(plain_out, test[2], test[1])
model, att_out, att = train_seq2seq("dot", "with attention")
attention_acc = token_acc(att_out, test[2], test[1])
exact = float(np.mean([o == list(t[1:L + 1]) for o, t, L in zip(att_out, test[2], test[1])]))
print(f"token accuracy: many-to-many RNN {rnn_acc:.3f}, encoder-decoder {seq2seq_acc:.3f}, "
      f"with attention {attention_acc:.3f} (exact match {exact:.3f})")

by_len = {}
for name, outs in (("encoder-decoder", plain_out), ("attention", att_out)):
    by_len[name] = [token_acc([o for o, L in zip(outs, test[1]) if L == n],
                              test[2][test[1] == n], test[1][test[1] == n])
                    for n in range(LO, HI + 1)]
fig, ax = figure()
for name, accs in by_len.items():
    ax.plot(range(LO, HI + 1), accs, "o-", label=name)
ax.axhline(1 / 10, ls=":", c="gray", label="chance (1 in 10 digits)")
ax.set(title="reversing digit sequences: accuracy by length", xlabel="sequence length",
       ylabel="held-out token accuracy", ylim=(0, 1.05))
ax.legend()
save(fig, args.out, "reverse_accuracy_by_length.png")
k = int(np.argmax(test[1]))
L = int(test[1][k])
digits = [str(d - 3) for d in test[0][k, :L]]
outs = [str(d - 3) if d > 2 else "<eos>" for d in att_out[k]] + ["<eos>"]
print(f"attention (rows: output, cols: input) for {' '.join(digits)}")
print("saved", plot_attention(att[k][:len(outs)], digits, outs[:len(att[k])],
                              f"{args.out}/reverse_attention.png", "attention: anti-diagonal"))
result(rnn_acc=rnn_acc, seq2seq_acc=seq2seq_acc, attention_acc=attention_acc,
       attention_exact=exact)
