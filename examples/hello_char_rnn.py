"""Lesson 1: a vanilla RNN learns "hell" -> "ello" over the vocabulary [h, e, l, o].

    h_t = tanh(W_hh h_{t-1} + W_xh x_t)        y_t = W_hy h_t        x_t one-hot

The three weight matrices are plain tensors so every line of the model is visible.
"""
import numpy as np
from _common import array, figure, parse_args, progress, result, save

import minigrad as mg
import nn
from minigrad import optim

args = parse_args(__doc__, hidden=(8, "hidden units"))
vocab = ["h", "e", "l", "o"]
x_ids, y_ids = [0, 1, 2, 2], [1, 2, 2, 3]  # h e l l -> e l l o
X = nn.functional.one_hot(mg.tensor(x_ids), 4).float()
H = args.hidden
W_xh = nn.Parameter(np.random.default_rng(args.seed).normal(0, 0.5, (H, 4)))
W_hh = nn.Parameter(np.random.default_rng(args.seed + 1).normal(0, 0.5, (H, H)))
W_hy = nn.Parameter(np.random.default_rng(args.seed + 2).normal(0, 0.5, (4, H)))
opt = optim.Adam([W_xh, W_hh, W_hy], lr=0.05)


def run():
    h, hs, ys = mg.zeros(H, dtype=np.float64), [], []
    for t in range(4):
        h = (W_hh @ h + W_xh @ X[t].double()).tanh()
        hs.append(h)
        ys.append(W_hy @ h)
    return mg.stack(hs), mg.stack(ys)


losses = []
for _ in progress(range(60 if args.quick else 300), "training"):
    _, logits = run()
    loss = nn.functional.cross_entropy(logits, np.array(y_ids))
    opt.zero_grad()
    loss.backward()
    opt.step()
    losses.append(loss.item())

with mg.no_grad():
    hs, logits = run()
probs = array(logits.softmax(-1))
pred = probs.argmax(-1)
print("step  input  hidden state (first 4 units)            softmax over [h e l o]   output")
for t in range(4):
    print(f"{t:4d}  {vocab[x_ids[t]]:>5}  {np.array2string(array(hs)[t, :4], precision=2):40s} "
          f"{np.array2string(probs[t], precision=2):24s} {vocab[pred[t]]}")
print("learned:", "".join(vocab[i] for i in x_ids), "->", "".join(vocab[i] for i in pred))

fig, (a, b) = figure(1, 2, figsize=(10, 4))
a.plot(losses, label="training loss")
a.axhline(np.log(4), ls=":", c="gray", label="uniform guess (log 4)")
a.set(title="cross-entropy while learning hell -> ello", xlabel="step", ylabel="loss (nats)",
      yscale="log")
a.legend()
im = b.imshow(array(hs).T, cmap="RdBu", vmin=-1, vmax=1, aspect="auto")
fig.colorbar(im, ax=b, label="activation (tanh)")
b.set(title="hidden state after each input", xticks=range(4), xticklabels=list("hell"),
      xlabel="input letter", ylabel="hidden unit")
save(fig, args.out, "hello_char_rnn.png")
result(accuracy=float((pred == np.array(y_ids)).mean()), final_loss=losses[-1])
