"""All data the lessons use, loaded in one place from ``examples/data/``, none of it
downloaded at run time and none of it needing another package.

=====================  ===============================================  =====================
loader                 what                                             licence
=====================  ===============================================  =====================
sentiment_sentences    review sentences labelled positive / negative    CC BY 4.0 (UCI)
tagged_sentences       English sentences with gold universal POS tags   CC BY-SA 4.0 (UD EWT)
sentence_pairs         3,084 German-English sentence pairs              GPL-2+ (Ding)
austen                 Jane Austen's six novels, 4 MB of text           public domain
digits                 1,797 8x8 handwritten digits                     CC BY 4.0 (UCI)
el_nino                monthly sea temperature off Peru, 1950-2010      public domain (NOAA)
=====================  ===============================================  =====================

Sources and licences: examples/data/README.md.  ``sentiment_sentences`` and
``tagged_sentences`` read the full sets (``sentiment_labelled_sentences.txt.gz``,
``ud_english_ewt.txt.gz``) when they are in ``data/``, else the small samples committed there.
"""
from __future__ import annotations

import gzip
import os
import re

import numpy as np

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def _lines(name: str) -> list[str]:
    """Non-empty, non-comment lines of ``data/name`` (gzip-compressed if it ends in .gz)."""
    path = os.path.join(DATA, name)
    opener = gzip.open if name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [ln.rstrip("\n") for ln in f if ln.strip() and not ln.startswith("#")]


def _first_present(*names: str) -> str:
    return next(n for n in names if os.path.exists(os.path.join(DATA, n)))


def tokenize(text: str) -> list[str]:
    """Lower-cased words and punctuation marks."""
    return re.findall(r"[a-z0-9äöüß]+(?:'[a-z]+)?|[^\sa-z0-9]", text.lower())


def sentiment_sentences() -> tuple[list[str], np.ndarray]:
    """Review sentences and their labels (1 positive, 0 negative)."""
    rows = [ln.split("\t") for ln in _lines(_first_present(
        "sentiment_labelled_sentences.txt.gz", "imdb_labelled_sample.txt"))]
    return [r[0] for r in rows], np.array([int(r[1]) for r in rows])


def tagged_sentences() -> list[list[tuple[str, str]]]:
    """Sentences as lists of (word, universal POS tag)."""
    lines = _lines(_first_present("ud_english_ewt.txt.gz", "ud_english_ewt_sample.txt"))
    return [[tuple(tok.rsplit("/", 1)) for tok in ln.split("\t")[-1].split(" ")]
            for ln in lines]


def sentence_pairs() -> list[tuple[str, str]]:
    """(German, English) sentence pairs."""
    return [tuple(ln.split("\t")) for ln in _lines("ding_de_en_sentences.tsv")]


AUSTEN_NOVELS = ("Pride and Prejudice", "Sense and Sensibility", "Emma", "Persuasion",
                 "Mansfield Park", "Northanger Abbey")


def austen(split: str = "train") -> str:
    """Jane Austen's novels as plain text: ``"train"`` is five of them, ``"valid"`` is
    *Persuasion*, which the models never train on."""
    if split not in ("train", "valid"):
        raise ValueError(f"split must be 'train' or 'valid', not {split!r}")
    with gzip.open(os.path.join(DATA, "austen.txt.gz"), "rt", encoding="utf-8") as f:
        parts = re.split(r"^=== (.+) ===\n", f.read(), flags=re.M)[1:]
    novels = dict(zip(parts[::2], parts[1::2]))  # title -> text
    assert tuple(novels) == AUSTEN_NOVELS, "data/austen.txt.gz holds the six novels"
    return "\n".join(text for title, text in novels.items()
                     if (title == "Persuasion") == (split == "valid"))


def digits() -> tuple[np.ndarray, np.ndarray]:
    """(1797, 8, 8) images scaled to [0, 1] and their labels 0-9."""
    table = np.loadtxt(os.path.join(DATA, "digits.csv.gz"), delimiter=",")
    return table[:, :64].reshape(-1, 8, 8) / 16.0, table[:, 64].astype(np.int64)


def el_nino() -> tuple[np.ndarray, np.ndarray]:
    """Monthly mean sea-surface temperature (deg C) in the Nino 1+2 region, 1950-2010: the
    (732,) series and the (732,) fractional year of each value."""
    table = np.array([[float(v) for v in ln.split(",")]
                      for ln in _lines("elnino_nino12_sst.csv")[1:]])
    years = table[:, :1] + (np.arange(12) + 0.5) / 12
    return table[:, 1:].ravel(), years.ravel()


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
