"""Hypothesis strategies for testing ops and models with minigrad (import them in your tests).

    from hypothesis import given
    from minigrad.testing import tensors, broadcastable_shapes

Values are bounded so finite differences stay accurate; shift them into an op's smooth
domain yourself (``log(x.abs() + 1)``) rather than loosening tolerances.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .tensor import Tensor


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1,
           max_side: int = 4) -> st.SearchStrategy[tuple[int, ...]]:
    """Array shapes; size-1 dims come up often (they are where broadcasting bugs hide)."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def broadcastable_shapes(num_shapes: int = 2, min_dims: int = 0, max_dims: int = 3,
                         max_side: int = 4) -> st.SearchStrategy[tuple[tuple[int, ...], ...]]:
    """A tuple of ``num_shapes`` shapes that broadcast together (dims dropped or set to 1)."""
    return hnp.mutually_broadcastable_shapes(num_shapes=num_shapes, min_dims=min_dims,
                                             max_dims=max_dims, max_side=max_side).map(
        lambda r: r.input_shapes)


def arrays(shape=None, dtype=np.float64, min_value: float = -3.0, max_value: float = 3.0,
           ) -> st.SearchStrategy[np.ndarray]:
    """Arrays with bounded, finite values (``shape`` may be a strategy or a tuple).

    Float dtypes draw floats in [min_value, max_value]; integer dtypes draw integers there
    (index arrays)."""
    shape = shapes() if shape is None else shape
    if np.dtype(dtype).kind in "iu":
        elements = st.integers(int(min_value), int(max_value))
    else:
        elements = st.floats(min_value, max_value, allow_nan=False, allow_infinity=False,
                             width=np.dtype(dtype).itemsize * 8)
    return hnp.arrays(dtype, shape, elements=elements)


def tensors(shape=None, dtype=np.float64, min_value: float = -3.0, max_value: float = 3.0,
            requires_grad: bool = True) -> st.SearchStrategy[Tensor]:
    """Tensors wrapping ``arrays(...)``; float64 and requiring grad by default (for gradcheck)."""
    return arrays(shape, dtype, min_value, max_value).map(
        lambda a: Tensor(a, requires_grad=requires_grad))


@st.composite
def shapes_and_dims(draw, min_dims: int = 1, max_dims: int = 3, allow_tuple: bool = True,
                    allow_none: bool = False):
    """(shape, dim) where ``dim`` is a valid int (possibly negative) or tuple of dims."""
    shape = draw(shapes(min_dims=min_dims, max_dims=max_dims))
    n = len(shape)
    choices = [st.integers(-n, n - 1)]
    if allow_tuple and n:
        choices.append(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True)
                       .map(tuple))
    if allow_none:
        choices.append(st.none())
    return shape, draw(st.one_of(*choices))


def valid_dims(ndim: int) -> st.SearchStrategy[int]:
    """One valid dim (negative allowed) for a tensor with ``ndim`` dims."""
    return st.integers(-ndim, ndim - 1)
