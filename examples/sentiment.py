"""Lesson 3: many-to-one.  Tokenise review sentences, embed the words, run a stacked (2-layer)
bidirectional LSTM over the padded batch with ``lengths``, average its outputs over the real
words and classify with BCE.  Compared with one layer on the same held-out sentences, and
with always answering the majority class of the training sentences."""
import numpy as np
from _common import array, batches, figure, parse_args, progress, result, save
from datasets import Vocab, pad, sentiment_sentences, tokenize

import minigrad as mg
import nn
from minigrad import optim

args = parse_args(__doc__, cell=("lstm", "lstm or gru"))
texts, labels = sentiment_sentences()
if args.quick and len(texts) > 600:  # a smoke run on a slice
    keep = np.random.default_rng(args.seed).permutation(len(texts))[:600]
    texts, labels = [texts[i] for i in keep], labels[keep]
tokens = [tokenize(t) for t in texts]
rng = np.random.default_rng(args.seed)
# few sentences: 5-fold cross-validation (every sentence held out once); many: one 20 % split
folds = np.array_split(rng.permutation(len(texts)), 5)
if len(texts) >= 1000 or args.quick:
    folds = folds[:1 if len(texts) >= 1000 else 2]  # (quick: 2 of the 5 folds)
how = ("5-fold cross-validation" if len(folds) == 5
       else f"{sum(map(len, folds))} sentences held out")
print(f"{len(texts)} sentences, {how}, {args.cell.upper()}")


class Classifier(nn.Module):
    """Embed, run a (stacked) bidirectional RNN with ``lengths``, average its outputs over
    each sentence's real words (padding outputs are zero), one logit."""

    def __init__(self, vocab_size, layers):
        super().__init__()
        self.emb = nn.Embedding(vocab_size, 32, padding_idx=0)
        self.drop = nn.Dropout(0.3)
        rnn = nn.LSTM if args.cell == "lstm" else nn.GRU
        self.rnn = rnn(32, 32, num_layers=layers, batch_first=True, bidirectional=True,
                       dropout=0.3 if layers > 1 else 0.0)
        self.out = nn.Linear(64, 1)

    def forward(self, x, lengths):
        h, _ = self.rnn(self.drop(self.emb(x)), lengths=lengths)
        mean = h.sum(1) / mg.tensor(lengths[:, None].astype(np.float32))
        return self.out(mean)[:, 0]


def train_eval(layers, train_idx, test_idx):
    vocab = Vocab([w for i in train_idx for w in tokens[i]])  # test words stay unknown
    ids = [vocab.encode(t) for t in tokens]
    mg.manual_seed(args.seed)
    model = Classifier(len(vocab), layers)
    opt = optim.Adam(model.parameters(), lr=5e-3, weight_decay=1e-4)
    x_test, len_test = pad([ids[i] for i in test_idx])
    curve = []
    for _ in range(4 if args.quick else 15 if len(folds) == 5 else 8):
        model.train()
        for b in batches(len(train_idx), 32, rng):
            x, lengths = pad([ids[i] for i in train_idx[b]])
            loss = nn.functional.binary_cross_entropy_with_logits(
                model(x, lengths), mg.tensor(labels[train_idx[b]].astype(np.float32)))
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        model.eval()
        with mg.no_grad():
            curve.append((array(model(x_test, len_test)) > 0) == labels[test_idx])
    return model, vocab, np.array(curve)  # (epochs, test sentences) right/wrong


curves, majority_right = {1: [], 2: []}, []
for fold in progress(folds, "folds"):
    train_idx = np.setdiff1d(np.arange(len(texts)), fold)
    for layers in (1, 2):
        model, vocab, right = train_eval(layers, train_idx, fold)
        curves[layers].append(right)
    majority_right.append(labels[fold] == round(labels[train_idx].mean()))
majority = float(np.concatenate(majority_right).mean())
curve = {k: np.concatenate(v, 1).mean(1) for k, v in curves.items()}  # accuracy per epoch
for s in ["A great film by a great director.", "The acting was bad."]:
    x, lengths = pad([vocab.encode(tokenize(s))])
    with mg.no_grad():
        p = model(x, lengths).sigmoid().item()
    print(f"P(positive | {s!r}) = {p:.2f}")
fig, ax = figure()
ax.plot(range(1, len(curve[1]) + 1), curve[1], "o-", label="1 layer")
ax.plot(range(1, len(curve[2]) + 1), curve[2], "s-", label="2 layers (stacked)")
ax.axhline(majority, ls=":", c="gray", label=f"majority class ({majority:.2f})")
ax.set(title=f"sentiment of {len(texts)} review sentences ({how})", xlabel="epoch",
       ylabel="held-out accuracy", ylim=(0, 1))
ax.legend(loc="lower right")
save(fig, args.out, "sentiment.png")
print(f"held-out accuracy: 1 layer {curve[1][-1]:.3f}, stacked {curve[2][-1]:.3f} "
      f"(majority class {majority:.3f})")
result(test_acc=float(curve[2][-1]), one_layer_acc=float(curve[1][-1]), majority_baseline=majority)
