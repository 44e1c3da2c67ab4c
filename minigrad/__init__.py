"""minigrad: a small, readable reverse-mode autograd engine on numpy, with Numba kernels.

    import minigrad as mg
    x = mg.tensor([[1.0, 2.0]], requires_grad=True)
    (x * x).sum().backward()        # x.grad == 2 x

``import minigrad as torch`` also gives ``torch.nn`` (the ``nn`` package itself),
``torch.optim``, ``torch.utils.data`` and ``torch.onnx``.
"""
from . import dtype_aliases as _dt
from . import modes, onnx, optim, utils, viz
from .anomaly import detect_anomaly
from .autograd import Function, grad
from .check_graph import check_graph
from .creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    ones,
    ones_like,
    tensor,
    zeros,
    zeros_like,
)
from .device import (
    accelerator,
    backends,
    cuda,
    device,
    get_default_device,
    set_default_device,
)
from .dtypes import get_default_dtype, set_default_dtype
from .functional import (
    abs,
    amax,
    amin,
    argmax,
    argmin,
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
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .modes import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_reference_mode,
    no_grad,
    reference_mode,
    set_grad_enabled,
)
from .random import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from .sampling import (
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
from .serialization import load, save
from .size import Size
from .tensor import Tensor, cat, chunk, matmul, split, stack, where
from .tensor_types import (
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
from .threads import get_num_threads, set_num_threads

# torch's dtype names, as numpy dtypes (so ``t.dtype == mg.float32``); float/int/bool shadow
# the builtins only as attributes of this package
float16 = half = _dt.float16
float32, float64, double = _dt.float32, _dt.float64, _dt.double
uint8, int8, int16, short = _dt.uint8, _dt.int8, _dt.int16, _dt.short
int32, int64, long = _dt.int32, _dt.int64, _dt.long
float, int, bool = _dt.float, _dt.int, _dt.bool

__version__ = "0.1.0"

# ops: pointwise and sorting
from . import linalg  # noqa: E402, I001 (kept apart from the nn import below)
from .ops.pointwise import (  # noqa: E402
    acos,
    addcdiv,
    addcmul,
    arccos,
    arcsin,
    arctan,
    arctan2,
    asin,
    atan,
    atan2,
    ceil,
    clamp_max,
    clamp_min,
    cosh,
    erf,
    erfc,
    exp2,
    expm1,
    fix,
    floor,
    floor_divide,
    fmod,
    frac,
    isfinite,
    isinf,
    isnan,
    isneginf,
    isposinf,
    lerp,
    log1p,
    log2,
    log10,
    logaddexp,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    nan_to_num,
    neg,
    negative,
    reciprocal,
    remainder,
    round,
    rsqrt,
    sgn,
    sign,
    sinh,
    square,
    trunc,
    xlogy,
)
from .ops.sorting import (  # noqa: E402
    argsort,
    cumprod,
    cumsum,
    kthvalue,
    logcumsumexp,
    median,
    msort,
    norm,
    prod,
    sort,
    topk,
)

# ops: linalg, movement, scatter
from .ops.linalg import (  # noqa: E402
    addbmm,
    addmm,
    addmv,
    baddbmm,
    bmm,
    dot,
    einsum,
    ger,
    mm,
    mv,
    outer,
    tensordot,
    vdot,
)
from .ops.movement import (  # noqa: E402
    broadcast_tensors,
    diag,
    diag_embed,
    diagonal,
    flip,
    fliplr,
    flipud,
    meshgrid,
    repeat_interleave,
    roll,
    rot90,
    tile,
    tril,
    triu,
)
from .ops.scatter import (  # noqa: E402
    argwhere,
    index_add,
    index_copy,
    index_fill,
    masked_scatter,
    masked_select,
    nonzero,
    scatter,
    scatter_add,
    take,
    take_along_dim,
)

# isort: split
# last, once the engine is complete: the alias minigrad.nn -> the nn package (built on it)
from . import nn  # noqa: E402
