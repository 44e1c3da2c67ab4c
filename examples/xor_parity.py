"""Lesson 2: parity of a bit sequence.  An MLP on the flat (zero-padded) sequence memorises
the lengths it saw; an RNN that outputs the running parity at every step learns the rule
and keeps it on longer, held-out lengths."""
import numpy as np
from _common import array, figure, parse_args, progress, result, save

import minigrad as mg
import nn
from minigrad import optim

args = parse_args(__doc__)
rng = np.random.default_rng(args.seed)
MAXLEN, TRAIN_MAX = 24, 10


def sample(n, lo, hi):
    lengths = rng.integers(lo, hi + 1, n)
    bits = (rng.random((n, MAXLEN)) < 0.5) & (np.arange(MAXLEN) < lengths[:, None])
    running = np.cumsum(bits, 1) % 2  # parity so far, one target per step
    return bits.astype(np.float32), running, lengths


mlp = nn.Sequential(nn.Linear(MAXLEN, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                    nn.Linear(64, 1))
rnn, head = nn.GRU(1, 16, batch_first=True), nn.Linear(16, 1)
opt_mlp = optim.Adam(mlp.parameters(), lr=3e-3)
opt_rnn = optim.Adam(list(rnn.parameters()) + list(head.parameters()), lr=1e-2)
steps = 150 if args.quick else 1500
for _ in progress(range(steps), "training MLP and RNN"):
    bits, running, lengths = sample(64, 1, TRAIN_MAX)
    final = running[np.arange(64), lengths - 1].astype(np.float32)
    loss = nn.functional.binary_cross_entropy_with_logits(mlp(mg.tensor(bits))[:, 0],
                                                          mg.tensor(final))
    opt_mlp.zero_grad()
    loss.backward()
    opt_mlp.step()
    out, _ = rnn(mg.tensor(bits[:, :TRAIN_MAX, None]))
    loss = nn.functional.binary_cross_entropy_with_logits(
        head(out)[..., 0], mg.tensor(running[:, :TRAIN_MAX].astype(np.float32)))
    opt_rnn.zero_grad()
    loss.backward()
    opt_rnn.step()

with mg.no_grad():
    bits, running, lengths = sample(2000, TRAIN_MAX + 1, MAXLEN)
    target = running[np.arange(2000), lengths - 1]
    mlp_acc = float(((array(mlp(mg.tensor(bits))[:, 0]) > 0) == target).mean())
    out, _ = rnn(mg.tensor(bits[..., None]), lengths=lengths)
    step_pred = array(head(out)[..., 0]) > 0
    rnn_acc = float((step_pred[np.arange(2000), lengths - 1] == target).mean())
    per_len = [(L, float((step_pred[lengths == L, L - 1] == target[lengths == L]).mean()),
                float(((array(mlp(mg.tensor(bits[lengths == L]))[:, 0]) > 0)
                       == target[lengths == L]).mean()))
               for L in range(TRAIN_MAX + 1, MAXLEN + 1)]
print(f"held-out lengths {TRAIN_MAX + 1}-{MAXLEN}: MLP {mlp_acc:.3f}, RNN {rnn_acc:.3f}")
print("the RNN's hidden state is a learned parity bit: it flips on every 1")
fig, ax = figure()
ax.plot([p[0] for p in per_len], [p[1] for p in per_len], "o-", label="RNN (running parity)")
ax.plot([p[0] for p in per_len], [p[2] for p in per_len], "s-", label="MLP (flat input)")
ax.axhline(0.5, color="gray", ls=":", label="chance (0.5)")
ax.set(title="parity of sequences longer than any seen in training",
       xlabel="sequence length (trained on <= 10)", ylabel="held-out accuracy", ylim=(0, 1.05))
ax.legend()
save(fig, args.out, "xor_parity.png")
result(mlp_acc=mlp_acc, rnn_acc=rnn_acc)
