"""``torch.nn.modules.activation``: activation modules and MultiheadAttention."""
from ..activation import *  # noqa: F403
from ..activation import __all__ as _activations
from ..attention import MultiheadAttention

__all__ = [*_activations, "MultiheadAttention"]
