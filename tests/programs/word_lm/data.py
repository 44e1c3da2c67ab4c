"""Reads a text corpus laid out as train.txt / valid.txt / test.txt into word-id tensors."""
import os

import torch


class Dictionary:
    """Word <-> id maps, grown as words are first seen."""

    def __init__(self):
        self.word2idx = {}
        self.idx2word = []

    def add_word(self, word):
        if word not in self.word2idx:
            self.word2idx[word] = len(self.idx2word)
            self.idx2word.append(word)
        return self.word2idx[word]

    def __len__(self):
        return len(self.idx2word)


class Corpus:
    """The three splits of a corpus as 1-d int64 tensors of word ids (each line ends in <eos>)."""

    def __init__(self, path):
        self.dictionary = Dictionary()
        self.train = self.tokenize(os.path.join(path, "train.txt"))
        self.valid = self.tokenize(os.path.join(path, "valid.txt"))
        self.test = self.tokenize(os.path.join(path, "test.txt"))

    def tokenize(self, path):
        assert os.path.exists(path), path
        with open(path, encoding="utf8") as f:
            lines = [line.split() + ["<eos>"] for line in f]
        rows = []
        for words in lines:
            ids = [self.dictionary.add_word(w) for w in words]
            rows.append(torch.tensor(ids).type(torch.int64))
        return torch.cat(rows)
