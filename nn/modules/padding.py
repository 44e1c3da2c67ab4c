"""``torch.nn.modules.padding``: the padding modules."""
from ..padding import *  # noqa: F403
from ..padding import __all__ as _paddings

__all__ = list(_paddings)
