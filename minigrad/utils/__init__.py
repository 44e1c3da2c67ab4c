"""Utilities that PyTorch programs reach through ``torch.utils``: ``mg.utils.data``."""
from . import data

__all__ = ["data"]
