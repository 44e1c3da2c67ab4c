"""What the engine sees of a tensor: an array, a gradient, the node that made it, a version.

``Tensor`` (tensor.py) adds the maths on top.  This file knows nothing of ops, so the engine
(autograd.py) can import it without an import cycle.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np


class Version:
    """A counter shared by a tensor and every view of its memory; in-place ops bump it, and
    backward compares it with the value each saved tensor had when it was saved."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0


class TensorBase:
    """An n-dimensional numpy array plus the autograd state of one tensor.

    ``_data`` is the array; ``_grad`` the accumulated gradient (a Tensor or None);
    ``grad_fn`` the :class:`~minigrad.autograd.Node` that produced it (None for leaves) and
    ``_out_idx`` which of that node's outputs it is; ``_vc`` (the version
    counter) is shared with views.
    """

    __slots__ = ("_data", "_grad", "_requires_grad", "grad_fn", "_out_idx", "_hooks",
                 "_vc_", "_is_view", "__weakref__")

    @staticmethod
    def _wrap(data: np.ndarray, node=None, idx: int = 0, version: Version | None = None):
        """A plain ``Tensor`` around ``data`` (defined by tensor.py's ``Tensor``)."""
        raise NotImplementedError

    def _init(self, data: np.ndarray, node, idx: int, version: Version | None) -> None:
        self._data = data
        self._grad = None
        self.grad_fn = node
        self._out_idx = idx
        self._hooks: list[Callable] | None = None
        self._requires_grad = node is not None
        self._vc_ = version  # made on first use: most tensors are never versioned
        self._is_view = version is not None

    @property
    def _vc(self) -> Version:
        """The version counter (shared with views), created when first needed."""
        v = self._vc_
        if v is None:
            v = self._vc_ = Version()
        return v

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self._data.dtype.kind not in "fc":
            raise RuntimeError(f"only floating point tensors can require gradients; this one "
                               f"is {self._data.dtype}: convert it first, e.g. t.float()")
        if not value and self.grad_fn is not None:
            raise RuntimeError("requires_grad can only be turned off on a leaf tensor; use "
                               ".detach() to get a tensor without history")
        self._requires_grad = bool(value)

    shape = property(lambda self: self._data.shape, doc="The tensor's shape (a tuple).")
    dtype = property(lambda self: self._data.dtype, doc="The numpy dtype of the elements.")
    ndim = property(lambda self: self._data.ndim, doc="Number of dimensions.")
    is_leaf = property(lambda self: self.grad_fn is None,
                       doc="True for tensors made by the user, not by a recorded op.")
