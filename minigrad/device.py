"""Devices: minigrad runs on the CPU only; asking for any other device is a clear error."""
from __future__ import annotations


class device:
    """``mg.device('cpu')``, as ``torch.device``; only ``'cpu'`` can hold tensors."""

    def __init__(self, type: str | device = "cpu", index: int | None = None):  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index
        name = str(type)
        if ":" in name:
            name, idx = name.split(":", 1)
            index = int(idx)
        self.type, self.index = name, index

    def __repr__(self) -> str:
        return f"device(type='{self.type}'" + (f", index={self.index})" if self.index is not None
                                               else ")")

    def __str__(self) -> str:
        return self.type + (f":{self.index}" if self.index is not None else "")

    def __eq__(self, other) -> bool:
        other = device(other) if isinstance(other, str) else other
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


def check_device(d) -> device:
    """``d`` as a device, or a RuntimeError if it is not the CPU."""
    dev = d if isinstance(d, device) else device("cpu" if d is None else str(d))
    if dev.type != "cpu":
        raise RuntimeError(f"minigrad runs on the CPU only; device '{dev}' is not available "
                           f"(use 'cpu', or leave device unset)")
    return dev
