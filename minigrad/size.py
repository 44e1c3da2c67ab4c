"""``mg.Size``: a tensor shape, a tuple of ints with ``numel()`` (as ``torch.Size``).

It depends on nothing else in minigrad, so ``Tensor`` may return it from ``size()``.
"""
from __future__ import annotations

import math
import operator
from collections.abc import Iterable


class Size(tuple):
    """A tensor shape: a tuple of ints with ``numel()``, as ``torch.Size``.

    Slicing, ``+`` and ``*`` give Sizes again. ``LongTensor(Size([2, 3]))`` makes a 2x3 tensor
    where ``LongTensor((2, 3))`` makes the data ``[2, 3]``, as in torch.
    """

    def __new__(cls, sizes: Iterable = ()) -> Size:
        out = []
        for i, s in enumerate(sizes):
            if getattr(s, "ndim", None) == 0 and hasattr(s, "item"):  # a 0-d tensor or array
                s = s.item()
            if isinstance(s, bool) or not hasattr(s, "__index__"):
                raise TypeError(f"Size() takes an iterable of ints (item {i} is "
                                f"{type(s).__name__})")
            out.append(operator.index(s))
        return super().__new__(cls, out)

    def numel(self) -> int:
        """The number of elements of a tensor of this shape (1 for ``Size([])``)."""
        return math.prod(self)

    def __getitem__(self, index):
        out = super().__getitem__(index)
        return Size(out) if isinstance(index, slice) else out

    def __add__(self, other: tuple) -> Size:
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other: tuple) -> Size:
        return Size(tuple(other) + tuple(self))

    def __mul__(self, n: int) -> Size:
        return Size(tuple(self) * n)

    __rmul__ = __mul__

    def __repr__(self) -> str:
        return f"minigrad.Size({list(self)})"
