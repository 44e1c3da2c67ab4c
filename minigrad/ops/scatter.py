"""Writing by index: scatter, scatter_add, index_add, index_fill, take_along_dim, masked_select.

Each op is a ``Function`` (forward and backward side by side, the backward written with
numpy functions Tensors also support, so it is differentiable again), plus the Tensor methods
in ``ScatterMethods`` (a base class of ``Tensor``) and module-level functions (``mg.NAME``).
"""
from __future__ import annotations


class ScatterMethods:
    """Tensor methods for the ops of this file (mixed into ``Tensor``)."""

    __slots__ = ()
