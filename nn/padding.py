"""Padding modules (torch's ``nn.modules.padding``): ``F.pad`` of the last 1, 2 or 3 dims
with a fixed mode; ``padding`` is an int (every side) or torch's (left, right, top, bottom,
front, back) tuple."""
from __future__ import annotations

from minigrad import Tensor

from . import functional as F
from .module import Module

__all__ = ["ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d", "ZeroPad2d",
           "ZeroPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d",
           "CircularPad2d", "CircularPad3d"]


class _Pad(Module):
    """Pads the last ``dims`` dims in ``mode``."""

    dims = 1
    mode = "reflect"

    def __init__(self, padding):
        super().__init__()
        n = 2 * self.dims
        self.padding = (padding,) * n if isinstance(padding, int) else tuple(padding)
        if len(self.padding) != n:
            raise ValueError(f"{type(self).__name__}: padding must be an int or {n} ints, got "
                             f"{padding}")

    def forward(self, input: Tensor) -> Tensor:
        """The input padded by ``self.padding`` (same leading dims)."""
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPad(_Pad):
    """Pads with ``value``."""

    mode = "constant"

    def __init__(self, padding, value: float):
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        """The input padded by ``self.padding`` with ``self.value``."""
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class _ZeroPad(_ConstantPad):
    """Pads with zeros."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ConstantPad1d(_ConstantPad):
    """Pad the last 1 dim with a constant value."""

    dims = 1


class ConstantPad2d(_ConstantPad):
    """Pad the last 2 dims with a constant value."""

    dims = 2


class ConstantPad3d(_ConstantPad):
    """Pad the last 3 dims with a constant value."""

    dims = 3


class ZeroPad1d(_ZeroPad):
    """Pad the last 1 dim with zeros."""

    dims = 1


class ZeroPad2d(_ZeroPad):
    """Pad the last 2 dims with zeros."""

    dims = 2


class ZeroPad3d(_ZeroPad):
    """Pad the last 3 dims with zeros."""

    dims = 3


class ReflectionPad1d(_Pad):
    """Pad the last 1 dim with the mirror image without the edge."""

    dims = 1
    mode = "reflect"


class ReflectionPad2d(_Pad):
    """Pad the last 2 dims with the mirror image without the edge."""

    dims = 2
    mode = "reflect"


class ReflectionPad3d(_Pad):
    """Pad the last 3 dims with the mirror image without the edge."""

    dims = 3
    mode = "reflect"


class ReplicationPad1d(_Pad):
    """Pad the last 1 dim with copies of the edge."""

    dims = 1
    mode = "replicate"


class ReplicationPad2d(_Pad):
    """Pad the last 2 dims with copies of the edge."""

    dims = 2
    mode = "replicate"


class ReplicationPad3d(_Pad):
    """Pad the last 3 dims with copies of the edge."""

    dims = 3
    mode = "replicate"


class CircularPad1d(_Pad):
    """Pad the last 1 dim with wrap-around."""

    dims = 1
    mode = "circular"


class CircularPad2d(_Pad):
    """Pad the last 2 dims with wrap-around."""

    dims = 2
    mode = "circular"


class CircularPad3d(_Pad):
    """Pad the last 3 dims with wrap-around."""

    dims = 3
    mode = "circular"
