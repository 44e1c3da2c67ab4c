"""Elementwise functions beyond the basics (log1p, expm1, erf, logaddexp, rounding, logical ops...).

Each op is a ``Function`` (forward and backward side by side, the backward written with
numpy functions Tensors also support, so it is differentiable again), plus the Tensor methods
in ``PointwiseMethods`` (a base class of ``Tensor``) and module-level functions (``mg.NAME``).
"""
from __future__ import annotations


class PointwiseMethods:
    """Tensor methods for the ops of this file (mixed into ``Tensor``)."""

    __slots__ = ()
