"""Lesson 9, the main demo: a character-level LSTM language model on Penn Treebank text,
trained on random 64-character windows (backpropagation through 64 steps), then sampled
with temperature: low temperature is safe and repetitive, high is inventive and misspelt."""
import numpy as np
from _common import figure, parse_args, progress, result, save
from datasets import penn_treebank

import minigrad as mg
import nn
from minigrad import optim

args = parse_args(__doc__, hidden=(256, "LSTM hidden size"))
text = penn_treebank("train")[: (200_000 if args.quick else 2_000_000)]
valid = penn_treebank("valid")[:50_000]
chars = sorted(set(text) | set(valid))
stoi = {c: i for i, c in enumerate(chars)}
data = np.array([stoi[c] for c in text])
vdata = np.array([stoi[c] for c in valid])
V, T, B = len(chars), 64, 32
rng = np.random.default_rng(args.seed)


class CharLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, 32)
        self.rnn = nn.LSTM(32, args.hidden, batch_first=True)
        self.out = nn.Linear(args.hidden, V)

    def forward(self, x, state=None):
        h, state = self.rnn(self.emb(x), state)
        return self.out(h), state


model = CharLM()
opt = optim.Adam(model.parameters(), lr=3e-3)
sched = optim.lr_scheduler.ExponentialLR(opt, gamma=0.999)
steps = 80 if args.quick else 1200
losses = []
for _ in progress(range(steps), "training"):
    starts = rng.integers(0, len(data) - T - 1, B)
    w = np.stack([data[s:s + T + 1] for s in starts])
    logits, _ = model(w[:, :-1])
    loss = nn.functional.cross_entropy(logits.reshape(-1, V), w[:, 1:].reshape(-1))
    opt.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    sched.step()
    losses.append(loss.item())


@mg.no_grad()
def bits_per_char():
    chunks = np.stack([vdata[s:s + 257] for s in range(0, len(vdata) - 257, 256)])
    logits, _ = model(chunks[:, :-1])
    nll = nn.functional.cross_entropy(logits.reshape(-1, V), chunks[:, 1:].reshape(-1)).item()
    return nll / np.log(2)


@mg.no_grad()
def sample(prefix, n, temperature):
    logits, state = model(np.array([[stoi[c] for c in prefix]]))
    out, rs = list(prefix), np.random.default_rng(args.seed)
    for _ in range(n):
        p = (logits[0, -1] * (1 / temperature)).softmax(-1).detach().numpy().astype(np.float64)
        c = rs.choice(V, p=p / p.sum())
        out.append(chars[c])
        logits, state = model(np.array([[c]]), state)
    return "".join(out)


bpc = bits_per_char()
for temp in (0.5, 1.0):
    print(f"sample at temperature {temp}: {sample(' the ', 160, temp)!r}")
print(f"validation: {bpc:.3f} bits per character")
fig, ax = figure()
ax.plot(np.array(losses) / np.log(2))
ax.set(xlabel="step", ylabel="training bits per char")
save(fig, args.out, "char_lm.png")
result(val_bits_per_char=bpc)
