"""Datasets: indexable collections of samples (``Dataset``) and streams (``IterableDataset``).

A map-style dataset has ``__getitem__(i)`` and ``__len__``; ``DataLoader`` asks it for the
indices a sampler chooses. An iterable dataset is read in order with ``iter``.
"""
from __future__ import annotations

import bisect
import itertools
import math
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Generic, TypeVar

from minigrad.random import Generator, numpy_generator
from minigrad.tensor import Tensor

T_co = TypeVar("T_co", covariant=True)


class Dataset(Generic[T_co]):
    """A map-style dataset: subclass it and define ``__getitem__(index)`` (and ``__len__``
    so samplers and ``len(loader)`` work). ``a + b`` concatenates two datasets."""

    def __getitem__(self, index) -> T_co:
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: Dataset[T_co]) -> ConcatDataset[T_co]:
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co], Iterable[T_co]):
    """A dataset read as a stream: subclass it and define ``__iter__``. ``a + b`` chains."""

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __add__(self, other: Dataset[T_co]) -> ChainDataset:
        return ChainDataset([self, other])


class TensorDataset(Dataset[tuple]):
    """Samples are rows: ``ds[i] == (t[i] for t in tensors)``, all tensors the same length.

    ``TensorDataset(x, y)`` with x (N, ...) and y (N, ...) yields ``(x[i], y[i])``.
    """

    def __init__(self, *tensors: Tensor):
        for i, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset: argument {i} is a {type(t).__name__}, not a "
                                f"Tensor; wrap arrays with mg.tensor or mg.from_numpy")
            if t.ndim == 0:
                raise TypeError(f"TensorDataset: argument {i} is a 0-d tensor; samples are "
                                f"taken along dim 0")
        # AssertionError, as torch, so code written against torch catches the same type
        if any(t.shape[0] != tensors[0].shape[0] for t in tensors):
            raise AssertionError(f"Size mismatch between tensors: dim 0 sizes "
                                 f"{[t.shape[0] for t in tensors]} must be equal")
        self.tensors = tensors

    def __getitem__(self, index) -> tuple:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset[T_co]):
    """The samples of ``dataset`` at ``indices``: ``Subset(ds, idx)[i] == ds[idx[i]]``."""

    def __init__(self, dataset: Dataset[T_co], indices: Sequence[int]):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: list[int]) -> list:
        """A batch of samples at once (``DataLoader`` uses it when the dataset has it)."""
        inner = [self.indices[i] for i in indices]
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__(inner)
        return [self.dataset[i] for i in inner]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset[T_co]):
    """Several map-style datasets one after another; index ``i`` is found by bisection in
    ``cumulative_sizes`` (running totals of the lengths)."""

    def __init__(self, datasets: Iterable[Dataset]):
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset; "
                                     "use ChainDataset (or iterable + iterable)")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        if idx >= len(self):
            raise IndexError(f"index {idx} is out of range for a ConcatDataset of length "
                             f"{len(self)}")
        k = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[k - 1] if k else 0
        return self.datasets[k][idx - start]


class ChainDataset(IterableDataset):
    """Several iterable datasets read one after another."""

    def __init__(self, datasets: Iterable[Dataset]):
        self.datasets = datasets

    def __iter__(self) -> Iterator:
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self) -> int:
        total = 0
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            total += len(d)
        return total


def _split_lengths(n: int, lengths: Sequence[int | float]) -> list[int]:
    """torch's rule: fractions summing to 1 become floor(n * f), and the remainder is dealt
    one by one to the splits in order; integers must sum to n."""
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        sizes = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            sizes.append(math.floor(n * frac))
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        for i, size in enumerate(sizes):
            if size == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an "
                              f"empty dataset.", stacklevel=3)
        return sizes
    if sum(lengths) != n:
        raise ValueError(f"Sum of input lengths does not equal the length of the input "
                         f"dataset! (lengths sum to {sum(lengths)}, the dataset has {n} items; "
                         f"fractions must sum to 1)")
    for i, size in enumerate(lengths):
        if isinstance(size, float) or size < 0:
            raise ValueError(f"random_split: length at index {i} is {size}; give "
                             f"non-negative ints summing to {n}, or fractions summing to 1")
    return [int(s) for s in lengths]


def random_split(dataset: Dataset[T_co], lengths: Sequence[int | float],
                 generator: Generator | None = None) -> list[Subset[T_co]]:
    """Split ``dataset`` into non-overlapping random :class:`Subset` s of the given lengths.

    ``lengths`` are sizes summing to ``len(dataset)``, or fractions summing to 1 (each split
    gets floor(n * fraction), the leftover items go one each to the first splits, as torch).
    The permutation comes from ``generator`` (default: the default generator).
    """
    sizes = _split_lengths(len(dataset), lengths)
    perm = numpy_generator(generator).permutation(sum(sizes)).tolist()
    ends = list(itertools.accumulate(sizes))
    return [Subset(dataset, perm[end - size:end]) for end, size in zip(ends, sizes)]
