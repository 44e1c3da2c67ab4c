"""minigrad: a small, readable reverse-mode autograd engine on numpy, with Numba kernels.

    import minigrad as mg
    x = mg.tensor([[1.0, 2.0]], requires_grad=True)
    (x * x).sum().backward()        # x.grad == 2 x
"""
from . import functional as _f
from . import viz  # noqa: E402
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
                       tensor,
                       zeros,
                       zeros_like,
)
from .dtypes import get_default_dtype, set_default_dtype
from .gradcheck import GradcheckError, gradcheck
from .random import manual_seed
from .serialization import load, save
from .tensor import Tensor, cat, chunk, matmul, split, stack, where

_FUNCS = {n: getattr(_f, n) for n in _f.__all__}
globals().update(_FUNCS)

__version__ = "0.1.0"
__all__ = ["Tensor", "Function", "tensor", "from_numpy", "zeros", "ones", "full", "empty",
           "arange", "eye", "randn", "rand", "randint", "zeros_like", "ones_like",
           "manual_seed", "get_default_dtype", "set_default_dtype", "no_grad", "enable_grad",
           "is_grad_enabled", "grad", "detect_anomaly", "gradcheck", "GradcheckError", "save",
           "load", "check_graph", "viz", "cat", "stack", "split", "chunk", "where", "matmul",
           *_FUNCS]

# devices, generators, creation functions, dtype aliases and data loading (torch's names)
from . import dtype_aliases as _dt  # noqa: E402
from . import utils  # noqa: E402  (mg.utils.data)
from .creation import as_tensor, empty_like, full_like, linspace, logspace  # noqa: E402
from .device import (  # noqa: E402
                       accelerator,
                       backends,
                       cuda,
                       device,
                       get_default_device,
                       set_default_device,
)
from .random import (  # noqa: E402
                       Generator,
                       default_generator,
                       get_rng_state,
                       initial_seed,
                       seed,
                       set_rng_state,
)
from .sampling import (  # noqa: E402
                       bernoulli,
                       multinomial,
                       normal,
                       rand,
                       rand_like,
                       randint,
                       randint_like,
                       randn,
                       randn_like,
                       randperm,
)
from .size import Size  # noqa: E402
from .tensor_types import (  # noqa: E402
                           BoolTensor,
                           ByteTensor,
                           CharTensor,
                           DoubleTensor,
                           FloatTensor,
                           HalfTensor,
                           IntTensor,
                           LongTensor,
                           ShortTensor,
)

# torch's dtype names, as numpy dtypes (kept out of __all__: float/int/bool shadow builtins)
float16 = half = _dt.float16
float32, float64, double = _dt.float32, _dt.float64, _dt.double
uint8, int8, int16, short = _dt.uint8, _dt.int8, _dt.int16, _dt.short
int32, int64, long = _dt.int32, _dt.int64, _dt.long
float, int, bool = _dt.float, _dt.int, _dt.bool

__all__ += ["utils", "LongTensor", "FloatTensor", "DoubleTensor", "HalfTensor", "IntTensor",
            "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor", "Size", "as_tensor",
            "empty_like", "full_like", "linspace", "logspace", "device", "cuda", "accelerator",
            "backends", "get_default_device", "set_default_device", "Generator",
            "default_generator", "get_rng_state", "set_rng_state", "initial_seed", "seed",
            "normal", "multinomial", "bernoulli", "rand_like", "randn_like", "randint_like",
            "randperm"]
