"""Lesson 7: one-to-many.  From one 8x8 digit image, generate its English name letter by
letter ("seven"): the image sets the decoder's initial state, the decoder feeds back each
letter it writes until it writes the end mark."""
import numpy as np
from _common import array, batches, figure, parse_args, progress, result, save
from datasets import digits

import minigrad as mg
import nn
from minigrad import optim

args = parse_args(__doc__)
NAMES = "zero one two three four five six seven eight nine".split()
chars = ["<pad>", "<bos>", "<eos>"] + sorted(set("".join(NAMES)))
BOS, EOS = 1, 2
images, labels = digits()
rng = np.random.default_rng(args.seed)
order = rng.permutation(len(images))
test, train = order[:300], order[300:]


def targets(idx):
    seqs = [[BOS] + [chars.index(c) for c in NAMES[labels[i]]] + [EOS] for i in idx]
    out = np.zeros((len(idx), max(map(len, seqs))), np.int64)
    for k, s in enumerate(seqs):
        out[k, :len(s)] = s
    return out


class Captioner(nn.Module):
    def __init__(self):
        super().__init__()
        self.encode = nn.Sequential(nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 64))
        self.emb = nn.Embedding(len(chars), 16, padding_idx=0)
        self.dec = nn.GRU(16, 64, batch_first=True)
        self.out = nn.Linear(64, len(chars))

    def forward(self, img, tgt_in):
        h0 = self.encode(img).tanh().unsqueeze(0)
        return self.out(self.dec(self.emb(tgt_in), h0)[0])

    @mg.no_grad()
    def generate(self, img, max_len=7):
        h = self.encode(img).tanh().unsqueeze(0)
        tok, out = np.full(len(img), BOS), []
        for _ in range(max_len):
            o, h = self.dec(self.emb(tok[:, None]), h)
            tok = array(self.out(o[:, 0])).argmax(-1)
            out.append(tok)
        words = []
        for row in np.stack(out, 1):
            s = "".join(chars[c] for c in row)
            words.append(s.split("<eos>")[0])
        return words


model = Captioner()
opt = optim.Adam(model.parameters(), lr=3e-3)
flat = mg.tensor(images.reshape(len(images), 64).astype(np.float32))
for _ in progress(range(2 if args.quick else 20), "epochs"):
    for b in batches(len(train), 64, rng):
        y = targets(train[b])
        logits = model(flat[train[b]], y[:, :-1])
        loss = nn.functional.cross_entropy(logits.reshape(-1, len(chars)), y[:, 1:].reshape(-1),
                                           ignore_index=0)
        opt.zero_grad()
        loss.backward()
        opt.step()
words = model.generate(flat[test])
exact = float(np.mean([w == NAMES[labels[i]] for w, i in zip(words, test)]))
print("examples:", ", ".join(f"{NAMES[labels[i]]}->{w}" for w, i in zip(words[:8], test)))
# baseline: always write the name of the digit most frequent in training
majority = float(np.mean(labels[test] == np.bincount(labels[train]).argmax()))
print(f"exact match on {len(test)} held-out images: {exact:.3f} "
      f"(always writing the most frequent name: {majority:.3f})")
fig, axes = figure(2, 5, figsize=(8, 4))
for ax, i, w in zip(axes.ravel(), test[:10], words[:10]):
    ax.imshow(images[i], cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(f"wrote: {w}", fontsize=9, color="k" if w == NAMES[labels[i]] else "C3")
    ax.axis("off")
fig.suptitle(f"held-out digits and the names the decoder spelt (exact match {exact:.0%})")
save(fig, args.out, "caption_digits.png")
result(exact_match=exact, majority_baseline=majority)
