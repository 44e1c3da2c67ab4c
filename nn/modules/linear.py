"""``torch.nn.modules.linear``: Linear and friends."""
from ..layers import Bilinear, Linear, NonDynamicallyQuantizableLinear
from ..module import Identity

__all__ = ["Identity", "Linear", "Bilinear", "NonDynamicallyQuantizableLinear"]
