"""minigrad: a small, readable reverse-mode autograd engine on numpy, with Numba kernels.

    import minigrad as mg
    x = mg.tensor([[1.0, 2.0]], requires_grad=True)
    (x * x).sum().backward()        # x.grad == 2 x
"""
import numpy as np

from . import modes, viz
from .anomaly import detect_anomaly
from .autograd import Function
from .capture import grad
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
from .device import device
from .dtypes import get_default_dtype, set_default_dtype
from .functional import (
    abs,
    amax,
    amin,
    argmax,
    argmin,
    bmm,
    broadcast_to,
    clamp,
    clip,
    cos,
    exp,
    flatten,
    gather,
    index_select,
    is_tensor,
    log,
    log_softmax,
    logsumexp,
    masked_fill,
    max,
    maximum,
    mean,
    min,
    minimum,
    mm,
    numel,
    permute,
    relu,
    reshape,
    sigmoid,
    sin,
    softmax,
    sqrt,
    squeeze,
    std,
    sum,
    tanh,
    transpose,
    unsqueeze,
    var,
)
from .gradcheck import GradcheckError, gradcheck
from .modes import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_reference_mode,
    no_grad,
    reference_mode,
    set_grad_enabled,
)
from .random import manual_seed
from .serialization import load, save
from .tensor import Size, Tensor, cat, chunk, matmul, split, stack, where

# dtypes, as torch names them (numpy dtypes, so ``t.dtype == mg.float32``)
float32 = float = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
float16 = half = np.dtype(np.float16)
int64 = long = np.dtype(np.int64)
int32 = int = np.dtype(np.int32)
int16 = short = np.dtype(np.int16)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
bool = np.dtype(np.bool_)

__version__ = "0.1.0"
