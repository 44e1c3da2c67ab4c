"""Lesson 8: next-word prediction on Jane Austen's novels, with one-hot word vectors vs
learned embeddings.

A one-hot vector makes every word equally unlike every other, and multiplying it by the
GRU's input weights just picks one column: a one-hot input *is* an embedding lookup, done
the expensive way (a V x H matrix product per step instead of reading one row).  So both
models reach about the same perplexity, the embedding several times faster, and its small
dense vectors put words used alike near each other: nearest neighbours show what it learned.
Perplexity is measured on *Persuasion*, a novel neither model trains on, beside the
perplexity of guessing by word frequency alone (a unigram model)."""
import time

import numpy as np
from _common import array, figure, parse_args, progress, result, save
from datasets import Vocab, austen, tokenize

import minigrad as mg
import nn
from minigrad import optim

args = parse_args(__doc__)
VOCAB = 2000
train_words = tokenize(austen("train").replace("_", ""))[: (60_000 if args.quick else 400_000)]
valid_words = tokenize(austen("valid").replace("_", ""))[:20_000]
from collections import Counter  # noqa: E402

common = [w for w, _ in Counter(train_words).most_common(VOCAB - 2)]
vocab = Vocab(common, specials=("<pad>", "<unk>"))
train_ids = np.array(vocab.encode(train_words))
valid_ids = np.array(vocab.encode(valid_words))
V, T, B = len(vocab), 20, 32
rng = np.random.default_rng(args.seed)


class LM(nn.Module):
    def __init__(self, learned):
        super().__init__()
        self.learned = learned
        self.emb = nn.Embedding(V, 64) if learned else None
        self.rnn = nn.GRU(64 if learned else V, 128, batch_first=True)
        self.out = nn.Linear(128, V)

    def forward(self, x):
        inp = self.emb(x) if self.learned else nn.functional.one_hot(x, V).float()
        return self.out(self.rnn(inp)[0])


def windows(ids, n):
    starts = rng.integers(0, len(ids) - T - 1, n)
    return np.stack([ids[s:s + T + 1] for s in starts])


@mg.no_grad()
def perplexity(model):
    chunks = np.stack([valid_ids[s:s + T + 1] for s in range(0, len(valid_ids) - T - 1, T)])
    total, count = 0.0, 0
    for i in range(0, len(chunks), 64):
        c = chunks[i:i + 64]
        loss = nn.functional.cross_entropy(model(c[:, :-1]).reshape(-1, V), c[:, 1:].reshape(-1))
        total, count = total + loss.item() * c[:, 1:].size, count + c[:, 1:].size
    return float(np.exp(total / count))


counts = np.bincount(train_ids, minlength=len(vocab)) + 1.0  # add-one: no zero probability
unigram_ppl = float(np.exp(-np.log(counts[valid_ids] / counts.sum()).mean()))
results, curves, seconds = {}, {}, {}
steps = 40 if args.quick else 1500
for learned in (False, True):
    mg.manual_seed(args.seed)
    model = LM(learned)
    opt = optim.Adam(model.parameters(), lr=3e-3)
    name = "learned" if learned else "onehot"
    curves[name] = []
    start = time.perf_counter()
    for _ in progress(range(steps), name):
        w = windows(train_ids, B)
        loss = nn.functional.cross_entropy(model(w[:, :-1]).reshape(-1, V), w[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        curves[name].append(loss.item())
    seconds[name] = time.perf_counter() - start
    results[name] = perplexity(model)
    print(f"{name:8s} validation perplexity {results[name]:.1f}, "
          f"{1e3 * seconds[name] / steps:.1f} ms per training step")

E = array(model.emb.weight)
E = E / np.linalg.norm(E, axis=1, keepdims=True)
print(f"unigram (word frequencies only) perplexity {unigram_ppl:.1f}; uniform {V}")
for w in ["she", "was", "sister", "happy", "letter", "morning"]:
    if w in vocab.stoi:
        sims = E @ E[vocab.stoi[w]]
        near = [vocab.itos[i] for i in np.argsort(-sims)[1:6]]
        print(f"nearest to {w!r}: {', '.join(near)}")
fig, ax = figure()
for name, c in curves.items():
    ax.plot(np.convolve(c, np.ones(20) / 20, mode="valid"),
            label=f"{name}: training (20-step mean)")
for k, (name, ppl) in enumerate(results.items()):
    ax.axhline(np.log(ppl), ls="-.", c=f"C{k}", lw=1,
               label=f"{name}: validation (Persuasion), ppl {ppl:.0f}")
ax.axhline(np.log(unigram_ppl), ls="--", c="gray", label=f"word frequencies, ppl {unigram_ppl:.0f}")
ax.set(title=f"next-word prediction, {V:,}-word vocabulary", xlabel="training step",
       ylabel="cross-entropy (nats; perplexity = e^loss)")
ax.legend(fontsize=8)
save(fig, args.out, "next_word.png")
result(onehot_ppl=results["onehot"], learned_ppl=results["learned"], unigram_ppl=unigram_ppl,
       embedding_speedup=seconds["onehot"] / seconds["learned"])
