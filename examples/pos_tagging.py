"""Lesson 4: many-to-many tagging.  Every word gets a universal POS tag; padding is masked
out of the loss with ``ignore_index``.  Inputs are the word and its capitalisation only, so
an unknown word must be tagged from context.  A unidirectional LSTM sees only the words before;
a bidirectional one also sees the words after, which often decides the tag
("that" as SCONJ or PRON, "up" as ADP or ADV).

Two baselines: the most frequent tag of all (NOUN), and each word's most frequent tag in the
training sentences (unknown words: NOUN) -- the one to beat."""
from collections import Counter

import numpy as np
from _common import array, batches, figure, parse_args, progress, result, save
from datasets import Vocab, pad, tagged_sentences

import minigrad as mg
import nn
from minigrad import optim

args = parse_args(__doc__)
sents = tagged_sentences()
rng = np.random.default_rng(args.seed)
order = rng.permutation(len(sents))
# few sentences: cross-validation, every sentence held out once; many: one 20 % split
folds = np.array_split(order, 5)
if len(sents) >= 1000 or args.quick:
    folds = folds[:1 if len(sents) >= 1000 else 2]
if args.quick and len(sents) >= 1000:  # a smoke run on a slice of the data
    folds = [folds[0][:100]]
    order = np.concatenate([folds[0], order[-300:]])
tags = Vocab([t for s in sents for _, t in s], specials=("<pad>",))
print(f"{len(sents)} sentences, {len(tags) - 1} tags, "
      f"{sum(map(len, folds))} sentences held out over {len(folds)} fold(s)")


def encode(batch, words):
    w, lengths = pad([words.encode([x.lower() for x, _ in s]) for s in batch])
    shape, _ = pad([[1 + x[:1].isupper() + 2 * (not x[:1].isalpha()) for x, _ in s]
                    for s in batch])  # lower / Capitalised / not a letter
    y, _ = pad([tags.encode([t for _, t in s]) for s in batch], value=-100)
    return w, shape, y, lengths


class Tagger(nn.Module):
    def __init__(self, n_words, bidirectional):
        super().__init__()
        self.w = nn.Embedding(n_words, 64, 0)
        self.shape = nn.Embedding(4, 4, 0)
        self.rnn = nn.LSTM(68, 64, batch_first=True, bidirectional=bidirectional)
        self.out = nn.Linear(128 if bidirectional else 64, len(tags))

    def forward(self, w, shape, lengths):
        x = mg.cat([self.w(w), self.shape(shape)], -1)
        return self.out(self.rnn(x, lengths=lengths)[0])


def run(bidirectional, train, test, label):
    words = Vocab([w.lower() for s in train for w, _ in s], min_count=2)  # rare -> <unk>
    mg.manual_seed(args.seed)
    model = Tagger(len(words), bidirectional)
    opt = optim.Adam(model.parameters(), lr=5e-3)
    tokens = sum(map(len, train))
    epochs = max(2, min(40, 200_000 // tokens)) if not args.quick else 4
    for _ in progress(range(epochs), label):
        for b in batches(len(train), 16, rng):
            w, shape, y, lengths = encode([train[i] for i in b], words)
            logits = model(w, shape, lengths)
            loss = nn.functional.cross_entropy(logits.reshape(-1, len(tags)), y.reshape(-1),
                                               ignore_index=-100)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
    hits, total, preds = 0, 0, []
    with mg.no_grad():
        for i in range(0, len(test), 256):
            w, shape, y, lengths = encode(test[i:i + 256], words)
            pred = array(model(w, shape, lengths)).argmax(-1)
            real = y != -100
            hits, total = hits + int((pred[real] == y[real]).sum()), total + int(real.sum())
            preds += [p[:n] for p, n in zip(pred, lengths)]
    return hits, total, preds


def baselines(train, test):
    """Hits of the most frequent tag overall, and of each word's most frequent tag."""
    overall = Counter(t for s in train for _, t in s).most_common(1)[0][0]
    by_word: dict[str, Counter] = {}
    for s in train:
        for w, t in s:
            by_word.setdefault(w.lower(), Counter())[t] += 1
    best = {w: c.most_common(1)[0][0] for w, c in by_word.items()}
    gold = [(w.lower(), t) for s in test for w, t in s]
    return (sum(t == overall for _, t in gold),
            sum(best.get(w, overall) == t for w, t in gold))


hits = {False: 0, True: 0}
total = majority_hits = word_hits = 0
for k, fold in enumerate(folds):
    held = set(fold.tolist())
    test = [sents[i] for i in fold]
    train = [sents[i] for i in order if i not in held]
    for bidirectional in (False, True):
        label = f"fold {k + 1}/{len(folds)} {'bi' if bidirectional else 'uni'}directional"
        h, n, preds = run(bidirectional, train, test, label)
        hits[bidirectional] += h
    total += n
    m, w = baselines(train, test)
    majority_hits, word_hits = majority_hits + m, word_hits + w
uni_acc, bi_acc = hits[False] / total, hits[True] / total
majority, word_baseline = majority_hits / total, word_hits / total
s = test[0]
print("a held-out sentence, tagged:")
print(" ".join(f"{w}/{tags.itos[p]}" for (w, _), p in zip(s, preds[0])))
print(f"token accuracy on {total} held-out words: unidirectional {uni_acc:.3f}, "
      f"bidirectional {bi_acc:.3f}; baselines: most frequent tag {majority:.3f}, "
      f"each word's most frequent tag {word_baseline:.3f}")
fig, ax = figure()
names = ["most frequent\ntag", "word's most\nfrequent tag", "unidirectional\nLSTM",
         "bidirectional\nLSTM"]
values = [majority, word_baseline, uni_acc, bi_acc]
bars = ax.bar(names, values, color=["#bbb", "#888", "#9ac", "#36c"])
ax.bar_label(bars, fmt="%.3f")
ax.set(title=f"POS tagging: accuracy on {total} held-out words", ylabel="tag accuracy",
       ylim=(0, 1.05))
save(fig, args.out, "pos_tagging.png")
result(uni_acc=uni_acc, bi_acc=bi_acc, word_baseline=word_baseline, majority_baseline=majority)
