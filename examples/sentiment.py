"""Lesson 3: many-to-one.  Tokenise movie-review sentences, embed the words, run a stacked
(2-layer) LSTM over the padded batch with ``lengths``, classify the last state with BCE.
Compared with a one-layer LSTM on the same split."""
import numpy as np
from _common import batches, figure, parse_args, progress, result, save
from datasets import Vocab, pad, sentiment_sentences, tokenize

import minigrad as mg
import nn
from minigrad import optim

args = parse_args(__doc__, cell=("lstm", "lstm or gru"))
texts, labels = sentiment_sentences()
rng = np.random.default_rng(args.seed)
order = rng.permutation(len(texts))
n_test = len(texts) // 5
test_idx, train_idx = order[:n_test], order[n_test:]
tokens = [tokenize(t) for t in texts]
vocab = Vocab([w for i in train_idx for w in tokens[i]], min_count=1)
ids = [vocab.encode(t) for t in tokens]
print(f"{len(train_idx)} training / {n_test} test sentences, vocabulary {len(vocab)}")


class Classifier(nn.Module):
    def __init__(self, layers):
        super().__init__()
        self.emb = nn.Embedding(len(vocab), 32, padding_idx=0)
        rnn = nn.LSTM if args.cell == "lstm" else nn.GRU
        self.rnn = rnn(32, 48, num_layers=layers, batch_first=True,
                       dropout=0.3 if layers > 1 else 0.0, bidirectional=True)
        self.out = nn.Linear(96, 1)

    def forward(self, x, lengths):
        _, h = self.rnn(self.emb(x), lengths=lengths)
        h = h[0] if isinstance(h, tuple) else h
        return self.out(mg.cat([h[-2], h[-1]], -1))[:, 0]  # last layer, both directions


def train_eval(layers):
    mg.manual_seed(args.seed)
    model = Classifier(layers)
    opt = optim.Adam(model.parameters(), lr=5e-3, weight_decay=1e-4)
    curve = []
    for _ in progress(range(3 if args.quick else 25), f"{layers}-layer epochs"):
        model.train()
        for b in batches(len(train_idx), 32, rng):
            x, lengths = pad([ids[i] for i in train_idx[b]])
            loss = nn.functional.binary_cross_entropy_with_logits(
                model(x, lengths), mg.tensor(labels[train_idx[b]].astype(np.float32)))
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        curve.append(accuracy(model))
    return model, curve


@mg.no_grad()
def accuracy(model):
    model.eval()
    x, lengths = pad([ids[i] for i in test_idx])
    return float(((model(x, lengths).data > 0) == labels[test_idx]).mean())


one_model, one_curve = train_eval(1)
model, curve = train_eval(2)
for s in ["A great film by a great director.", "The acting was bad."]:
    x, lengths = pad([vocab.encode(tokenize(s))])
    with mg.no_grad():
        model.eval()
        p = model(x, lengths).sigmoid().item()
    print(f"P(positive | {s!r}) = {p:.2f}")
fig, ax = figure()
ax.plot(one_curve, label="1 layer")
ax.plot(curve, label="2 layers (stacked)")
ax.axhline(max(labels[test_idx].mean(), 1 - labels[test_idx].mean()), ls=":", c="gray",
           label="majority class")
ax.set(xlabel="epoch", ylabel="test accuracy")
ax.legend()
save(fig, args.out, "sentiment.png")
print(f"test accuracy: 1 layer {one_curve[-1]:.3f}, stacked {curve[-1]:.3f}")
result(test_acc=curve[-1], one_layer_acc=one_curve[-1])
