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
``tagged_sentences`` read the full sets when they can be found, else the small samples
committed in ``data/``.  They are looked for in ``data/``, in the folder named by the
environment variable ``MINIGRAD_DATA``, and in ``shared/data/`` beside the repository, each
either in our one-file form (``sentiment_labelled_sentences.txt.gz``, ``ud_english_ewt.txt.gz``)
or as published: UCI's ``amazon_cells_labelled.txt``, ``imdb_labelled.txt`` and
``yelp_labelled.txt``, and UD's ``en_ewt-ud-{train,dev,test}.conllu``.
"""
from __future__ import annotations

import gzip
import os
import re

import numpy as np

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
UCI_FILES = ("amazon_cells_labelled.txt", "imdb_labelled.txt", "yelp_labelled.txt")
UD_FILES = ("en_ewt-ud-train.conllu", "en_ewt-ud-dev.conllu", "en_ewt-ud-test.conllu")


def data_dirs() -> list[str]:
    """Where data files are looked for, in order: ``examples/data/``, ``$MINIGRAD_DATA``,
    and ``shared/data/`` beside the repository (where shared data sets are kept)."""
    dirs = [DATA]
    if os.environ.get("MINIGRAD_DATA"):
        dirs.append(os.environ["MINIGRAD_DATA"])
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    dirs.append(os.path.join(os.path.dirname(repo), "shared", "data"))
    return dirs


def _find(*names: str) -> list[str] | None:
    """Paths of all ``names`` in the first data folder holding every one of them."""
    for d in data_dirs():
        paths = [os.path.join(d, n) for n in names]
        if all(os.path.isfile(p) for p in paths):
            return paths
    return None


def _lines(path: str) -> list[str]:
    """Non-empty, non-comment lines of a file (gzip-compressed if it ends in .gz); a bare
    name means ``data/name``."""
    path = path if os.sep in path else os.path.join(DATA, path)
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [ln.rstrip("\n") for ln in f if ln.strip() and not ln.startswith("#")]


def read_conllu(path: str) -> list[list[tuple[str, str]]]:
    """(word, UPOS) sentences of a CoNLL-U file: word lines only, so multi-word token ranges
    (``3-4``) and empty nodes (``5.1``) are skipped, as UD's own tagging evaluation does."""
    sentences, words = [], []
    with open(path, encoding="utf-8") as f:
        for ln in f:
            ln = ln.rstrip("\n")
            if not ln:
                if words:
                    sentences.append(words)
                words = []
            elif not ln.startswith("#"):
                cols = ln.split("\t")
                if len(cols) != 10:
                    raise ValueError(f"{path}: not a CoNLL-U word line (10 columns): {ln!r}")
                if cols[0].isdigit():
                    words.append((cols[1], cols[3]))
    if words:
        sentences.append(words)
    return sentences


def tokenize(text: str) -> list[str]:
    """Lower-cased words and punctuation marks."""
    return re.findall(r"[a-z0-9äöüß]+(?:'[a-z]+)?|[^\sa-z0-9]", text.lower())


def sentiment_sentences() -> tuple[list[str], np.ndarray]:
    """Review sentences and their labels (1 positive, 0 negative): all 3,000 when the full set
    is found (see the module docstring), else the 391-sentence sample."""
    paths = _find("sentiment_labelled_sentences.txt.gz") or _find(*UCI_FILES) \
        or [os.path.join(DATA, "imdb_labelled_sample.txt")]
    rows = [ln.split("\t") for p in paths for ln in _lines(p)]
    return [r[0].strip() for r in rows], np.array([int(r[1]) for r in rows])


def tagged_sentences() -> list[list[tuple[str, str]]]:
    """Sentences as lists of (word, universal POS tag): all of UD English-EWT when found (see
    the module docstring), else its first 50 sentences."""
    conllu = _find(*UD_FILES)
    if conllu and not _find("ud_english_ewt.txt.gz"):
        return [s for p in conllu for s in read_conllu(p)]
    path = (_find("ud_english_ewt.txt.gz") or [os.path.join(DATA, "ud_english_ewt_sample.txt")])[0]
    return [[tuple(tok.rsplit("/", 1)) for tok in ln.split("\t")[-1].split(" ")]
            for ln in _lines(path)]


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
