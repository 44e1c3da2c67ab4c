"""Ops that rearrange elements: flip, roll, repeat, tile, tril/triu, diagonal...

Each op is a ``Function`` (forward and backward side by side, the backward written with
numpy functions Tensors also support, so it is differentiable again), plus the Tensor methods
in ``MovementMethods`` (a base class of ``Tensor``) and module-level functions (``mg.NAME``).
"""
from __future__ import annotations


class MovementMethods:
    """Tensor methods for the ops of this file (mixed into ``Tensor``)."""

    __slots__ = ()
