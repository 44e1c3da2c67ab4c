"""``torch.nn.modules.module``: the base class."""
from ..module import Module, RemovableHandle

__all__ = ["Module", "RemovableHandle"]
