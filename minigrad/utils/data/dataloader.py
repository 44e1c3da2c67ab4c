"""``DataLoader``: batches from a dataset, in sampler order, merged by a collate function."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

import numpy as np

from minigrad.random import Generator
from minigrad.tensor import Tensor

from .collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset, Subset, TensorDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

T_co = TypeVar("T_co", covariant=True)

# attributes fixed once the loader is built (they define len() and the batches), as torch
_FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
           "persistent_workers")


def get_worker_info() -> None:
    """None: minigrad loads data in the calling process, never in worker processes."""
    return None


class DataLoader(Generic[T_co]):
    """Iterate over ``dataset`` in batches, as ``torch.utils.data.DataLoader``.

    * ``batch_size`` samples per batch (``None``: one sample at a time, not collated),
      visited in ``sampler`` order (default: in order, or a fresh random permutation each
      epoch with ``shuffle=True``, drawn from ``generator``); or give a ``batch_sampler``
      yielding lists of indices. ``drop_last`` drops a final short batch.
    * ``collate_fn`` merges a list of samples (default :func:`default_collate`: tensors are
      stacked to (B, ...), numbers become tensors, tuples/dicts are collated field by field).
    * ``len(loader)`` is the number of batches.
    * An :class:`IterableDataset` is read in its own order (no shuffle or sampler).

    Deliberate difference from torch: data is always loaded in the calling process.
    ``num_workers``, ``prefetch_factor``, ``persistent_workers``, ``pin_memory``,
    ``timeout``, ``multiprocessing_context`` and ``in_order`` are validated as torch does and
    otherwise ignored, and ``worker_init_fn`` is never called (``get_worker_info()`` is
    None), so programs written for workers run unchanged, with the same batches in the same
    order.
    """

    def __init__(self, dataset: Dataset[T_co], batch_size: int | None = 1,
                 shuffle: bool | None = None, sampler: Sampler | Iterable | None = None,
                 batch_sampler: Sampler[list] | Iterable[list] | None = None,
                 num_workers: int = 0, collate_fn: Callable[[list], Any] | None = None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable[[int], None] | None = None,
                 multiprocessing_context: Any = None, generator: Generator | None = None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 "
                             "to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in "
                             "multiprocessing.let num_workers > 0 to enable multiprocessing, "
                             "otherwise set prefetch_factor to None.")
        if prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        iterable = isinstance(dataset, IterableDataset)
        if iterable:
            if shuffle not in (False, None):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"shuffle option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"sampler option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None and not iterable:
            sampler = (RandomSampler(dataset, generator=generator) if shuffle
                       else SequentialSampler(dataset))
        if batch_size is not None and batch_sampler is None:
            if iterable:  # validate as BatchSampler would; batches are cut from the stream
                BatchSampler(range(0), batch_size, drop_last)
            else:
                batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_collate if batch_size is not None or batch_sampler is not None
            else default_convert)
        self._initialized = True

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _FROZEN and self.__dict__.get("_initialized", False):
            raise ValueError(f"{name} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_size is not None or self.batch_sampler is not None

    def __len__(self) -> int:
        """The number of batches (samples when ``batch_size=None``)."""
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self.batch_sampler if self._auto_collation else self.sampler)

    def __iter__(self) -> Iterator:
        if isinstance(self.dataset, IterableDataset):
            return self._iter_stream()
        if not self._auto_collation:
            return (self.collate_fn(self.dataset[i]) for i in self.sampler)
        rows = _tensor_rows(self.dataset) if self.collate_fn is default_collate else None
        if rows is not None:  # same batches as stacking samples, one gather per tensor
            tensors, index = rows
            return ([t[_take(index, b)] for t in tensors] for b in self.batch_sampler)
        return (self.collate_fn(self._fetch(b)) for b in self.batch_sampler)

    def _fetch(self, indices: list) -> list:
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            return getitems(indices)
        return [self.dataset[i] for i in indices]

    def _iter_stream(self) -> Iterator:
        it = iter(self.dataset)
        if not self._auto_collation:
            for sample in it:
                yield self.collate_fn(sample)
            return
        while True:
            batch = [s for _, s in zip(range(self.batch_size), it)]
            if not batch or (len(batch) < self.batch_size and self.drop_last):
                return
            yield self.collate_fn(batch)


def _tensor_rows(dataset: Dataset) -> tuple[tuple[Tensor, ...], np.ndarray | None] | None:
    """The tensors behind a TensorDataset, or a Subset chain over one, and the row map."""
    if type(dataset) is TensorDataset and dataset.tensors:
        return dataset.tensors, None
    if type(dataset) is Subset:
        inner = _tensor_rows(dataset.dataset)
        if inner is not None:
            tensors, index = inner
            mine = np.asarray(dataset.indices, dtype=np.int64)
            return tensors, mine if index is None else index[mine]
    return None


def _take(index: np.ndarray | None, batch: list[int]) -> np.ndarray:
    b = np.asarray(batch, dtype=np.int64)
    return b if index is None else index[b]
