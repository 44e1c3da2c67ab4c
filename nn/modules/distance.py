"""``torch.nn.modules.distance``: CosineSimilarity, PairwiseDistance."""
from ..distance import CosineSimilarity, PairwiseDistance

__all__ = ["CosineSimilarity", "PairwiseDistance"]
