"""``torch.nn.modules.activation``: activation modules and MultiheadAttention."""
from ..attention import MultiheadAttention
from ..layers import LogSoftmax, ReLU, Sigmoid, Softmax, Tanh

__all__ = ["ReLU", "Tanh", "Sigmoid", "Softmax", "LogSoftmax", "MultiheadAttention"]
