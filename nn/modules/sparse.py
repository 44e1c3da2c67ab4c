"""``torch.nn.modules.sparse``: the embedding table."""
from ..layers import Embedding

__all__ = ["Embedding"]
