"""``torch.linalg``'s counterpart: norms (the matrix functions live with their ops)."""
from .ops.sorting import vector_norm

__all__ = ["vector_norm"]
