"""``torch.nn.modules.loss``: the loss modules (and CTCLoss)."""
from ..ctc import CTCLoss
from ..loss import *  # noqa: F403
from ..loss import __all__ as _losses

__all__ = [*_losses, "CTCLoss"]
