"""minigrad: a small, readable reverse-mode autograd engine on numpy, with Numba kernels.

    import minigrad as mg
    x = mg.tensor([[1.0, 2.0]], requires_grad=True)
    (x * x).sum().backward()        # x.grad == 2 x
"""
from . import functional as _f
from . import onnx, viz  # noqa: E402  (onnx: the exporter; the onnx package loads on use)
from .autograd import Function, detect_anomaly, enable_grad, grad, is_grad_enabled, no_grad
from .check_graph import check_graph
from .creation import (
                       arange,
                       empty,
                       eye,
                       from_numpy,
                       full,
                       ones,
                       ones_like,
                       rand,
                       randint,
                       randn,
                       tensor,
                       zeros,
                       zeros_like,
)
from .dtypes import get_default_dtype, set_default_dtype
from .gradcheck import GradcheckError, gradcheck
from .random import manual_seed
from .serialization import load, save
from .tensor import Tensor, cat, chunk, matmul, split, stack, where

float32 = "float32"
float64 = "float64"

_FUNCS = {n: getattr(_f, n) for n in _f.__all__}
globals().update(_FUNCS)

__version__ = "0.1.0"
__all__ = ["Tensor", "Function", "tensor", "from_numpy", "zeros", "ones", "full", "empty",
           "arange", "eye", "randn", "rand", "randint", "zeros_like", "ones_like",
           "manual_seed", "get_default_dtype", "set_default_dtype", "no_grad", "enable_grad",
           "is_grad_enabled", "grad", "detect_anomaly", "gradcheck", "GradcheckError", "save",
           "load", "check_graph", "viz", "onnx", "cat", "stack", "split", "chunk", "where",
           "matmul", *_FUNCS]
