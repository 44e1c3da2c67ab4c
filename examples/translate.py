"""Lesson 6: German -> English translation of short sentences with an attention seq2seq and
beam search, scored with BLEU (written below: it is short).

The 3,084 pairs are idiomatic sentences from a dictionary: enough to fit the training pairs,
too few to generalise far, so held-out BLEU stays low while training BLEU climbs -- a
real-data lesson in overfitting: the held-out loss turns up after a few epochs.  (Stopping
there was measured to be worse: held-out BLEU 0, because a model that has not yet fit its
training pairs writes generic sentences.)"""
import math
from collections import Counter

import numpy as np
from _common import batches, figure, parse_args, progress, result, save
from datasets import Vocab, pad, sentence_pairs, tokenize

import minigrad as mg
import nn
from minigrad import optim
from nn.utils.plot import plot_attention

args = parse_args(__doc__, beam=(4, "beam size"))


def bleu(hypotheses, references, max_n: int = 4) -> float:
    """Corpus BLEU (Papineni et al. 2002): geometric mean of clipped n-gram precisions,
    n = 1..4, times the brevity penalty exp(1 - r/c) when the output is shorter."""
    matches, totals = [0] * max_n, [0] * max_n
    hyp_len = ref_len = 0
    for h, r in zip(hypotheses, references):
        hyp_len, ref_len = hyp_len + len(h), ref_len + len(r)
        for n in range(1, max_n + 1):
            hc = Counter(tuple(h[i:i + n]) for i in range(len(h) - n + 1))
            rc = Counter(tuple(r[i:i + n]) for i in range(len(r) - n + 1))
            matches[n - 1] += sum(min(c, rc[g]) for g, c in hc.items())
            totals[n - 1] += max(len(h) - n + 1, 0)
    if min(matches) == 0:
        return 0.0
    log_p = sum(math.log(m / t) for m, t in zip(matches, totals)) / max_n
    brevity = 1.0 if hyp_len > ref_len else math.exp(1 - ref_len / max(hyp_len, 1))
    return 100 * brevity * math.exp(log_p)


pairs = sentence_pairs()
rng = np.random.default_rng(args.seed)
order = rng.permutation(len(pairs))
n_test = 150
test = [pairs[i] for i in order[:n_test]]
train = [pairs[i] for i in order[n_test:]]
if args.quick:
    train = train[:300]
specials = ("<pad>", "<unk>", "<bos>", "<eos>")
src_vocab = Vocab([w for de, _ in train for w in tokenize(de)], specials=specials)
tgt_vocab = Vocab([w for _, en in train for w in tokenize(en)], specials=specials)
BOS, EOS = 2, 3
print(f"{len(train)} training pairs, vocabularies {len(src_vocab)} (de) / {len(tgt_vocab)} (en)")


def encode(batch):
    src, lengths = pad([src_vocab.encode(tokenize(de)) for de, _ in batch])
    tgt, _ = pad([[BOS] + tgt_vocab.encode(tokenize(en)) + [EOS] for _, en in batch])
    return src, lengths, tgt


model = nn.Seq2Seq(len(src_vocab), len(tgt_vocab), embed_dim=64, hidden_size=128, cell="gru",
                   bidirectional=True, attention="additive", dropout=0.0)
opt = optim.Adam(model.parameters(), lr=2e-3)
epochs = 25 if args.quick else 30
losses, held_losses = [], []
test_batch = encode(test)
for _ in progress(range(epochs), "epochs"):
    model.train()
    epoch_loss = []
    for idx in batches(len(train), 64, rng):
        src, lengths, tgt = encode([train[j] for j in idx])
        loss = nn.sequence_loss(model(src, lengths, tgt), tgt)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        epoch_loss.append(loss.item())
    losses.append(float(np.mean(epoch_loss)))
    model.eval()
    with mg.no_grad():
        held_losses.append(nn.sequence_loss(model(*test_batch), test_batch[2]).item())
model.eval()

src, lengths, tgt = encode(test)
out, att = model.generate(src, lengths, 12, BOS, EOS, beam_size=args.beam)
hyps = [tgt_vocab.decode(o) for o in out]
refs = [tokenize(en) for _, en in test]
score = bleu(hyps, refs)
greedy, _ = model.generate(src, lengths, 12, BOS, EOS)
greedy_score = bleu([tgt_vocab.decode(o) for o in greedy], refs)
for (de, en), h in list(zip(test, hyps))[:6]:
    print(f"  {de}  ->  {' '.join(h)}   (reference: {en})")
seen = train[:n_test]  # how well it fits sentences it trained on, for comparison
s_src, s_len, _ = encode(seen)
train_score = bleu([tgt_vocab.decode(o) for o in model.generate(s_src, s_len, 12, BOS, EOS,
                                                                 beam_size=args.beam)[0]],
                   [tokenize(en) for _, en in seen])
copy_score = bleu([tokenize(de) for de, _ in test], refs)  # baseline: leave it in German
print(f"BLEU on {n_test} held-out pairs: beam {args.beam} {score:.2f}, greedy {greedy_score:.2f}"
      f" (on {n_test} training pairs: {train_score:.2f}; copying the German: {copy_score:.2f})")
k = int(np.argmax([len(h) for h in hyps[:20]]))
print("saved", plot_attention(att[k][:len(hyps[k]) + 1], tokenize(test[k][0]),
                              hyps[k] + ["<eos>"], f"{args.out}/translate_attention.png",
                              "German -> English attention"))
fig, ax = figure()
ax.plot(range(1, epochs + 1), losses, "o-", label="training pairs (epoch mean)")
ax.plot(range(1, epochs + 1), held_losses, "s-", label=f"{n_test} held-out pairs")
ax.axhline(math.log(len(tgt_vocab)), ls=":", c="gray",
           label=f"uniform guess over {len(tgt_vocab)} words")
ax.set(title="German -> English: per-word cross-entropy", xlabel="epoch",
       ylabel="loss (nats per target word)", ylim=(0, math.log(len(tgt_vocab)) + 0.5))
ax.legend()
save(fig, args.out, "translate_loss.png")
result(bleu=score, greedy_bleu=greedy_score, train_bleu=train_score, copy_baseline=copy_score)
