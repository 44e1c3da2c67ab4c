"""Samplers: the order in which a ``DataLoader`` visits a dataset's indices.

A sampler is any iterable of indices (``SequentialSampler``, ``RandomSampler``...);
``BatchSampler`` groups another sampler's indices into lists of ``batch_size``.
Random samplers draw from ``generator=`` or, without one, from a fresh stream seeded by the
default generator at each pass (one draw per epoch, as torch), so ``mg.manual_seed``
makes the order repeatable.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Generic, TypeVar

import numpy as np

from minigrad.random import Generator, numpy_generator

T_co = TypeVar("T_co", covariant=True)


class Sampler(Generic[T_co]):
    """Base class: subclasses define ``__iter__`` over indices (and ``__len__`` if known)."""

    def __init__(self, data_source: Sized | None = None) -> None:
        pass  # torch 1.x took data_source; accepted and ignored so old subclasses still work

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError


def _positive_int(value, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value}")
    return value


def _bool(value, name: str, error: type[Exception] = ValueError) -> bool:
    if not isinstance(value, bool):
        raise error(f"{name} should be a boolean value, but got {name}={value}")
    return value


def _epoch_stream(generator: Generator | None) -> np.random.Generator:
    """``generator``'s stream, or a fresh one seeded by one draw from the default generator."""
    if generator is not None:
        return numpy_generator(generator)
    return np.random.default_rng(int(numpy_generator().integers(2**63)))


class SequentialSampler(Sampler[int]):
    """Indices 0, 1, ..., len(data_source) - 1 in order."""

    def __init__(self, data_source: Sized):
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler[int]):
    """A random order of the indices: a fresh permutation each pass, or with
    ``replacement=True`` ``num_samples`` independent uniform draws.

    Without replacement and ``num_samples`` > n, whole permutations are concatenated and the
    last one cut, as torch.
    """

    def __init__(self, data_source: Sized, replacement: bool = False,
                 num_samples: int | None = None, generator: Generator | None = None):
        self.data_source = data_source
        self.replacement = _bool(replacement, "replacement", TypeError)
        self._num_samples = num_samples
        self.generator = generator
        _positive_int(self.num_samples, "num_samples")

    @property
    def num_samples(self) -> int:
        """How many indices one pass yields (default: the dataset's length)."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n, k = len(self.data_source), self.num_samples
        if n == 0:
            raise ValueError("RandomSampler: cannot draw samples from an empty dataset")
        rng = _epoch_stream(self.generator)
        if self.replacement:
            yield from rng.integers(0, n, k).tolist()
            return
        for _ in range(k // n):
            yield from rng.permutation(n).tolist()
        yield from rng.permutation(n)[:k % n].tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The given ``indices`` in a random order (a new permutation each pass)."""

    def __init__(self, indices: Sequence[int], generator: Generator | None = None):
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        for i in _epoch_stream(self.generator).permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler[int]):
    """``num_samples`` indices drawn with probability proportional to ``weights``
    (with replacement unless ``replacement=False``)."""

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator: Generator | None = None):
        self.num_samples = _positive_int(num_samples, "num_samples")
        self.replacement = _bool(replacement, "replacement")
        w = np.asarray(weights, dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape "
                             f"{tuple(w.shape)}")
        self.weights = w
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        w, k = self.weights, self.num_samples
        if not np.isfinite(w).all() or (w < 0).any():
            raise RuntimeError("WeightedRandomSampler: weights must be finite and >= 0")
        if w.sum() <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if not self.replacement and k > np.count_nonzero(w):
            raise RuntimeError(f"cannot sample {k} indices without replacement from "
                               f"{np.count_nonzero(w)} nonzero weights")
        rng = _epoch_stream(self.generator)
        yield from rng.choice(len(w), k, replace=self.replacement, p=w / w.sum()).tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler[list[int]]):
    """Lists of ``batch_size`` consecutive indices from ``sampler``; the last, shorter list
    is kept unless ``drop_last``. ``len`` is ceil(n / batch_size) (floor with drop_last)."""

    def __init__(self, sampler: Sampler[int] | Iterable[int], batch_size: int, drop_last: bool):
        self.sampler = sampler
        self.batch_size = _positive_int(batch_size, "batch_size")
        self.drop_last = _bool(drop_last, "drop_last")

    def __iter__(self) -> Iterator[list[int]]:
        it = iter(self.sampler)
        while batch := list(itertools.islice(it, self.batch_size)):
            if len(batch) < self.batch_size and self.drop_last:
                return
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
