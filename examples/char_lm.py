"""Lesson 9, the main demo: a character-level LSTM language model trained on Jane Austen's
novels, on random 64-character windows (backpropagation through 64 steps), then sampled with
temperature: low temperature is safe and repetitive, high is inventive and misspelt.

It is scored in bits per character on *Persuasion*, a novel it never trains on, against two
baselines: guessing uniformly among the characters, and guessing by how often each
character occurs (a unigram model, which knows no context at all)."""
import numpy as np
from _common import array, figure, parse_args, progress, result, save
from datasets import austen

import minigrad as mg
import nn
from minigrad import optim

args = parse_args(__doc__, hidden=(256, "LSTM hidden size"),
                  steps=(0, "training steps (0: 1000, or 80 with --quick)"))
text = austen("train")[: (300_000 if args.quick else None)]
valid = austen("valid")[:50_000]
chars = sorted(set(text) | set(valid))
stoi = {c: i for i, c in enumerate(chars)}
data = np.array([stoi[c] for c in text])
vdata = np.array([stoi[c] for c in valid])
V, T, B = len(chars), 64, 32
HIDDEN = min(args.hidden, 128) if args.quick else args.hidden
rng = np.random.default_rng(args.seed)
print(f"{len(text):,} training characters from five novels, {V} distinct characters")


class CharLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, 32)
        self.rnn = nn.LSTM(32, HIDDEN, batch_first=True)
        self.out = nn.Linear(HIDDEN, V)

    def forward(self, x, state=None):
        h, state = self.rnn(self.emb(x), state)
        return self.out(h), state


@mg.no_grad()
def bits_per_char(limit=None):
    """Cross-entropy on validation text, in bits per character."""
    chunks = np.stack([vdata[s:s + 257] for s in range(0, len(vdata) - 257, 256)])[:limit]
    logits, _ = model(chunks[:, :-1])
    nll = nn.functional.cross_entropy(logits.reshape(-1, V), chunks[:, 1:].reshape(-1)).item()
    return nll / np.log(2)


counts = np.bincount(data, minlength=V) + 1.0  # add-one so unseen characters are possible
unigram_bits = float(-np.log2(counts[vdata] / counts.sum()).mean())
uniform_bits = float(np.log2(V))

model = CharLM()
opt = optim.Adam(model.parameters(), lr=3e-3)
sched = optim.lr_scheduler.ExponentialLR(opt, gamma=0.999)
steps = args.steps or (80 if args.quick else 1000)
every = max(steps // (3 if args.quick else 10), 10)
losses, checkpoints = [], []
for step in progress(range(1, steps + 1), "training"):
    starts = rng.integers(0, len(data) - T - 1, B)
    w = np.stack([data[s:s + T + 1] for s in starts])
    logits, _ = model(w[:, :-1])
    loss = nn.functional.cross_entropy(logits.reshape(-1, V), w[:, 1:].reshape(-1))
    opt.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    sched.step()
    losses.append(loss.item() / np.log(2))
    if step % every == 0 and step < steps:
        checkpoints.append((step, bits_per_char(limit=40)))  # a quick look at 10k characters


@mg.no_grad()
def sample(prefix, n, temperature):
    logits, state = model(np.array([[stoi[c] for c in prefix]]))
    out, rs = list(prefix), np.random.default_rng(args.seed)
    for _ in range(n):
        p = array((logits[0, -1] * (1 / temperature)).softmax(-1)).astype(np.float64)
        c = rs.choice(V, p=p / p.sum())
        out.append(chars[c])
        logits, state = model(np.array([[c]]), state)
    return "".join(out)


bpc = bits_per_char()
checkpoints.append((steps, bpc))
for temp in (0.5, 1.0):
    print(f"sample at temperature {temp}: {sample('It is a truth ', 200, temp)!r}")
print(f"Persuasion (never trained on): {bpc:.3f} bits per character; baselines: uniform "
      f"{uniform_bits:.2f}, character frequencies {unigram_bits:.2f}")

fig, ax = figure(figsize=(7, 4.5))
smooth = np.convolve(losses, np.ones(20) / 20, mode="valid")
ax.plot(np.arange(20, len(losses) + 1), smooth, label="training windows (20-step mean)")
ax.plot(*zip(*checkpoints), "o-", label="Persuasion, never trained on")
ax.axhline(uniform_bits, ls=":", c="gray", label=f"uniform guess ({uniform_bits:.2f})")
ax.axhline(unigram_bits, ls="--", c="gray", label=f"character frequencies ({unigram_bits:.2f})")
ax.set(title="character LSTM language model on Jane Austen", xlabel="training step",
       ylabel="bits per character", ylim=(0, uniform_bits + 0.5))
ax.legend()
save(fig, args.out, "char_lm.png")
result(val_bits_per_char=bpc, unigram_bits=unigram_bits, uniform_bits=uniform_bits)
