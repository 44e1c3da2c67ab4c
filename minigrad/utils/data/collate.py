"""Turning a list of samples into a batch: ``default_collate`` and ``default_convert``.

``default_collate`` follows the structure of the first sample, as torch's does:

=====================  ==================================================================
sample element         batch element
=====================  ==================================================================
Tensor (shape S)       ``stack`` of them: shape (B, *S)
numpy array            converted to tensors, then stacked (str/object arrays refused)
numpy scalar           1-d tensor of its dtype
float / int / bool     1-d tensor of float64 / int64 / bool (``tensor(batch)``)
str / bytes            the list of them, unchanged
dict (Mapping)         same type, each key collated
namedtuple             same type, each field collated
tuple / list           a list (a tuple) or the same sequence type, position by position
=====================  ==================================================================
"""
from __future__ import annotations

import collections.abc as abc
import copy
from collections.abc import Sequence
from typing import Any

import numpy as np

from minigrad.creation import as_tensor, tensor
from minigrad.tensor import Tensor, stack

_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
        "lists; found {}")


def _is_numpy(x: Any) -> bool:
    return isinstance(x, (np.ndarray, np.generic)) and not isinstance(x, (np.str_, np.bytes_))


def _stack(batch: Sequence[Tensor]) -> Tensor:
    first = batch[0].shape
    for i, t in enumerate(batch):
        if t.shape != first:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(first)} at entry 0 and {list(t.shape)} at entry {i}")
    return stack(list(batch), 0)


def default_collate(batch: Sequence) -> Any:
    """Merge a list of samples into a batch (see the table in this module's docstring)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack(batch)
    if _is_numpy(elem):
        if elem.dtype.kind in "SaUO":
            raise TypeError(_ERR.format(elem.dtype))
        if isinstance(elem, np.ndarray):
            return default_collate([as_tensor(b) for b in batch])
        return tensor(batch)  # numpy scalars: their own dtype
    if isinstance(elem, float):
        return tensor(batch, dtype=np.float64)
    if isinstance(elem, int):  # bool included: tensor([True, False]) is bool
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, abc.Mapping):
        collated = {key: default_collate([d[key] for d in batch]) for key in elem}
        if isinstance(elem, abc.MutableMapping):
            clone = copy.copy(elem)
            clone.update(collated)
            return clone
        try:
            return type(elem)(collated)
        except TypeError:
            return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [default_collate(s) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return columns  # a list, as torch
        if isinstance(elem, abc.MutableSequence):
            clone = copy.copy(elem)
            for i, c in enumerate(columns):
                clone[i] = c
            return clone
        try:
            return type(elem)(columns)
        except TypeError:
            return columns
    raise TypeError(_ERR.format(type(elem)))


def default_convert(data: Any) -> Any:
    """One sample without batching (``DataLoader(batch_size=None)``): numpy arrays and
    scalars become tensors, containers are walked, everything else is returned as is."""
    if isinstance(data, Tensor):
        return data
    if _is_numpy(data):
        return data if data.dtype.kind in "SaUO" else as_tensor(data)
    if isinstance(data, abc.Mapping):
        converted = {key: default_convert(data[key]) for key in data}
        if isinstance(data, abc.MutableMapping):
            clone = copy.copy(data)
            clone.update(converted)
            return clone
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, abc.Sequence) and not isinstance(data, (str, bytes)):
        items = [default_convert(d) for d in data]
        if isinstance(data, abc.MutableSequence):
            clone = copy.copy(data)
            for i, d in enumerate(items):
                clone[i] = d
            return clone
        try:
            return type(data)(items)
        except TypeError:
            return items
    return data
