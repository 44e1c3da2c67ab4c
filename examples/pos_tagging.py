"""Lesson 4: many-to-many tagging.  Every word gets a universal POS tag; padding is masked
out of the loss with ``ignore_index``.  Inputs are the word and its capitalisation only, so
an unknown word must be tagged from context.  A unidirectional LSTM sees only the words before;
a bidirectional one also sees the words after, which often decides the tag
("that" as SCONJ or PRON, "up" as ADP or ADV)."""
import numpy as np
from _common import batches, figure, parse_args, progress, result, save
from datasets import Vocab, pad, tagged_sentences

import minigrad as mg
import nn
from minigrad import optim

args = parse_args(__doc__)
sents = tagged_sentences()
rng = np.random.default_rng(args.seed)
order = rng.permutation(len(sents))
FOLDS = 2 if args.quick else 5  # cross-validation: every sentence is held out once
tags = Vocab([t for s in sents for _, t in s], specials=("<pad>",))
print(f"{len(sents)} sentences, {len(tags) - 1} tags, {FOLDS}-fold cross-validation")


def encode(batch):
    w, lengths = pad([words.encode([x.lower() for x, _ in s]) for s in batch])
    shape, _ = pad([[1 + x[:1].isupper() + 2 * (not x[:1].isalpha()) for x, _ in s]
                    for s in batch])  # lower / Capitalised / not a letter
    y, _ = pad([tags.encode([t for _, t in s]) for s in batch], value=-100)
    return w, shape, y, lengths


class Tagger(nn.Module):
    def __init__(self, bidirectional):
        super().__init__()
        self.w = nn.Embedding(len(words), 32, 0)
        self.shape = nn.Embedding(4, 4, 0)
        self.rnn = nn.LSTM(36, 32, batch_first=True, bidirectional=bidirectional)
        self.out = nn.Linear(64 if bidirectional else 32, len(tags))

    def forward(self, w, shape, lengths):
        x = mg.cat([self.w(w), self.shape(shape)], -1)
        return self.out(self.rnn(x, lengths=lengths)[0])


def run(bidirectional, train, test):
    global words
    words = Vocab([w.lower() for s in train for w, _ in s])
    mg.manual_seed(args.seed)
    model = Tagger(bidirectional)
    opt = optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(8 if args.quick else 40):
        for b in batches(len(train), 8, rng):
            w, shape, y, lengths = encode([train[i] for i in b])
            logits = model(w, shape, lengths)
            loss = nn.functional.cross_entropy(logits.reshape(-1, len(tags)), y.reshape(-1),
                                               ignore_index=-100)
            opt.zero_grad()
            loss.backward()
            opt.step()
    w, shape, y, lengths = encode(test)
    with mg.no_grad():
        pred = model(w, shape, lengths).detach().numpy().argmax(-1)
    real = y != -100
    return int((pred[real] == y[real]).sum()), int(real.sum()), pred


hits = {False: 0, True: 0}
total = 0
folds = np.array_split(order, 5)[:FOLDS]
for fold in progress(folds, "folds"):
    test = [sents[i] for i in fold]
    train = [sents[i] for i in order if i not in set(fold)]
    for bidirectional in (False, True):
        h, n, pred = run(bidirectional, train, test)
        hits[bidirectional] += h
    total += n
uni_acc, bi_acc = hits[False] / total, hits[True] / total
s = test[0]
print(" ".join(f"{w}/{tags.itos[p]}" for (w, _), p in zip(s, pred[0])))
print(f"token accuracy on held-out sentences: unidirectional {uni_acc:.3f}, "
      f"bidirectional {bi_acc:.3f}")
fig, ax = figure()
ax.bar(["unidirectional", "bidirectional"], [uni_acc, bi_acc], color=["#999", "#36c"])
ax.set(ylabel="tag accuracy (held-out)", ylim=(0, 1))
save(fig, args.out, "pos_tagging.png")
result(uni_acc=uni_acc, bi_acc=bi_acc)
