"""Loss modules: thin wrappers holding the options of the functions in ``nn.functional``."""
from __future__ import annotations

from . import functional as F
from .module import Module


class CrossEntropyLoss(Module):
    def __init__(self, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0):
        super().__init__()
        self.ignore_index, self.reduction = ignore_index, reduction
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, self.ignore_index, self.reduction,
                               self.label_smoothing)


class NLLLoss(Module):
    def __init__(self, ignore_index: int = -100, reduction: str = "mean"):
        super().__init__()
        self.ignore_index, self.reduction = ignore_index, reduction

    def forward(self, input, target):
        return F.nll_loss(input, target, self.ignore_index, self.reduction)


class _Simple(Module):
    fn = None

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, input, target):
        return type(self).fn(input, target, reduction=self.reduction)


class MSELoss(_Simple):
    fn = staticmethod(F.mse_loss)


class BCELoss(_Simple):
    fn = staticmethod(F.binary_cross_entropy)


class BCEWithLogitsLoss(Module):
    def __init__(self, reduction: str = "mean", pos_weight=None):
        super().__init__()
        self.reduction, self.pos_weight = reduction, pos_weight

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.reduction, self.pos_weight)
