"""Functions that make tensors from data or sizes: ``mg.tensor``, ``mg.zeros``, ``mg.arange``...

They take torch's arguments: a size as ``zeros(2, 3)``, ``zeros((2, 3))``, ``zeros([2, 3])``
or ``zeros(mg.Size(...))``; keywords ``dtype=`` (see :func:`minigrad.dtype_aliases.as_dtype`),
``device=`` (the CPU only, see :func:`minigrad.device.check_device`) and
``requires_grad=`` (floating dtypes only). Without ``dtype=`` they pick torch's dtypes:
Python floats give the default float dtype (``mg.get_default_dtype()``), Python ints int64,
bools bool, and numpy data keeps its own dtype. Random draws live in ``sampling.py``.
"""
from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from .device import check_device
from .dtype_aliases import as_dtype
from .dtypes import get_default_dtype
from .tensor import Tensor

_BOOL, _INT64 = np.dtype(np.bool_), np.dtype(np.int64)


# ----------------------------------------------------------------------------- sizes


def _index(v: Any, what: str, arg: str) -> int:
    """``v`` as a Python int: ints, numpy ints and integer 0-d tensors; not bools or floats."""
    if isinstance(v, Tensor) and v.ndim == 0 and v.dtype.kind in "iu":
        return int(v.item())
    if not isinstance(v, (bool, np.bool_)):
        try:
            return operator.index(v)
        except TypeError:
            pass
    raise TypeError(f"{what}(): argument '{arg}' must be an int, not {type(v).__name__}")


def _size(args: tuple, what: str) -> tuple[int, ...]:
    """torch's size arguments: ``(2, 3)``, ``((2, 3),)``, ``([2, 3],)`` or ``(Size,)``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    shape = tuple(_index(s, what, "size") for s in args)
    if any(n < 0 for n in shape):
        raise RuntimeError(f"{what}: trying to create a tensor with negative dimension "
                           f"{min(shape)}: {list(shape)}")
    return shape


def _size_arg(args: tuple, size: Any, what: str) -> tuple[int, ...]:
    """The size given positionally or as ``size=`` (not both, and not neither)."""
    if size is not None:
        if args:
            raise TypeError(f"{what}(): give the size positionally or as size=, not both")
        args = (size,)
    elif not args:
        raise TypeError(f"{what}() missing the size, e.g. {what}(2, 3) or {what}((2, 3))")
    return _size(args, what)


# ----------------------------------------------------------------------------- helpers


def _check_grad(d: np.dtype, requires_grad: bool, what: str) -> None:
    """Refuse ``requires_grad`` on non-float dtypes, as torch (before anything is drawn)."""
    if requires_grad and d.kind != "f":
        raise RuntimeError(f"{what}: only tensors of floating point dtype can require "
                           f"gradients; this one would be {d}")


def _finish(arr: np.ndarray, requires_grad: bool, what: str) -> Tensor:
    """Wrap ``arr`` as a tensor (a leaf that requires grad if asked)."""
    _check_grad(arr.dtype, requires_grad, what)
    t = Tensor(arr)
    if requires_grad:
        t.requires_grad = True
    return t


def _float_or(dtype: Any, what: str) -> np.dtype:
    """``dtype`` (checked), else the default float dtype."""
    d = as_dtype(dtype, f"{what}(dtype=)")
    return get_default_dtype() if d is None else d


def _fill(value: Any, d: np.dtype, what: str) -> Any:
    """``value`` as a Python number that fits ``d`` (torch refuses inf or overflow in ints)."""
    if isinstance(value, Tensor):
        value = value.item()
    if d.kind in "iu" and not isinstance(value, (bool, np.bool_)):
        v = float(value)
        info = np.iinfo(d)
        if not math.isfinite(v) or not info.min <= math.trunc(v) <= info.max:
            raise RuntimeError(f"{what}: value {value} cannot be converted to {d} without "
                               f"overflow")
        return math.trunc(v) if isinstance(value, (float, np.floating)) else int(value)
    return value


def _scalar_kind_dtype(v: Any, what: str) -> np.dtype:
    """torch's dtype for a fill value: bool -> bool, integer -> int64, float -> default."""
    kind = np.asarray(v).dtype.kind
    if kind == "b":
        return _BOOL
    if kind in "iu":
        return _INT64
    if kind == "f":
        return get_default_dtype()
    raise TypeError(f"{what}: fill_value must be a bool, int or float, not {type(v).__name__}")


# ----------------------------------------------------------------------------- from data


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def _promote(a: np.dtype, b: np.dtype) -> np.dtype:
    """torch's promote_types: within a category as numpy; across, the higher category wins
    (bool < integer < float), so int64 with float32 gives float32 (numpy says float64)."""
    ca, cb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if ca == cb:
        return np.promote_types(a, b)
    return a if ca > cb else b


def _leaves(data: Any) -> tuple[Any, np.dtype]:
    """``data`` with tensors replaced by arrays, and the dtype ``torch.tensor(data)`` picks:
    leaves promote with :func:`_promote`, Python floats counting as the default float dtype,
    Python ints as int64."""
    if isinstance(data, (np.ndarray, np.generic)):  # before float: np.float64 is a float
        return data, data.dtype
    if isinstance(data, Tensor):
        return np.asarray(data.detach()), data.dtype
    if isinstance(data, bool):
        return data, _BOOL
    if isinstance(data, int):
        return data, _INT64
    if isinstance(data, float):
        return data, get_default_dtype()
    if data is None:
        raise RuntimeError("tensor(): could not infer a dtype from None")
    if isinstance(data, (str, bytes, complex)):
        raise TypeError(f"tensor(): minigrad tensors hold bools, ints and floats, not "
                        f"{type(data).__name__}")
    if hasattr(data, "__array__"):
        arr = np.asarray(data)
        return arr, arr.dtype
    try:
        items = list(data)
    except TypeError:
        raise TypeError(f"tensor(): cannot make a tensor from {type(data).__name__}; use "
                        f"numbers, nested lists of numbers, arrays or tensors") from None
    if not items:
        return items, get_default_dtype()
    types = set(map(type, items))
    if types <= {float, int, bool}:  # the common case, without a Python loop
        return items, (get_default_dtype() if float in types else
                       _INT64 if int in types else _BOOL)
    pairs = [_leaves(x) for x in items]
    out = pairs[0][1]
    for _, d in pairs[1:]:
        out = _promote(out, d)
    return [x for x, _ in pairs], out


def tensor(data: Any, *, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (numbers, nested lists, arrays, tensors).

    dtype as ``torch.tensor``: Python floats -> default float dtype, ints -> int64,
    bools -> bool, numpy arrays and scalars keep theirs; mixed leaves promote
    (``[1, 2.5]`` -> float32). A tensor in ``data`` is copied and detached.
    """
    check_device(device, "tensor(device=)")
    data, inferred = _leaves(data)
    d = as_dtype(dtype, "tensor(dtype=)", inferred)
    if d.kind not in "biuf":
        raise TypeError(f"tensor(): can't convert data of type {d}; minigrad tensors hold "
                        f"bool, integer and floating values")
    try:
        arr = np.array(data, dtype=d)
    except OverflowError as e:
        raise ValueError(f"tensor(): a value does not fit in {d}: {e}") from None
    except ValueError as e:
        if "inhomogeneous" in str(e) or "sequence" in str(e):
            raise ValueError(f"tensor(): the nested sequences have different lengths; every "
                             f"row must have the same length ({e})") from None
        raise
    return _finish(arr, requires_grad, "tensor")


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a tensor, sharing memory when it already is one (or a numpy array) of the
    requested dtype; otherwise a copy, as :func:`tensor`."""
    check_device(device, "as_tensor(device=)")
    d = as_dtype(dtype, "as_tensor(dtype=)")
    if isinstance(data, Tensor) and (d is None or d == data.dtype):
        return data
    if isinstance(data, np.ndarray) and data.dtype.kind in "biuf" and (d is None
                                                                       or d == data.dtype):
        return Tensor(data)
    return tensor(data, dtype=d)


def from_numpy(arr: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``arr`` (no copy, dtype kept)."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy array, got {type(arr).__name__}")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"from_numpy: can't convert an array of dtype {arr.dtype}; minigrad "
                        f"tensors hold bool, integer and floating values")
    return Tensor(arr)


# ----------------------------------------------------------------------------- from sizes


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
          **kw: Any) -> Tensor:
    """A tensor of the given size filled with 0: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    check_device(device, "zeros(device=)")
    shape = _size_arg(size, kw.pop("size", None), "zeros")
    _no_more(kw, "zeros")
    return _finish(np.zeros(shape, _float_or(dtype, "zeros")), requires_grad, "zeros")


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
         **kw: Any) -> Tensor:
    """A tensor of the given size filled with 1."""
    check_device(device, "ones(device=)")
    shape = _size_arg(size, kw.pop("size", None), "ones")
    _no_more(kw, "ones")
    return _finish(np.ones(shape, _float_or(dtype, "ones")), requires_grad, "ones")


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
          **kw: Any) -> Tensor:
    """A tensor of the given size whose values are unspecified (here: zeros, deterministic)."""
    check_device(device, "empty(device=)")
    shape = _size_arg(size, kw.pop("size", None), "empty")
    _no_more(kw, "empty")
    return _finish(np.zeros(shape, _float_or(dtype, "empty")), requires_grad, "empty")


def _no_more(kw: dict, what: str) -> None:
    if kw:
        raise TypeError(f"{what}() got an unexpected keyword argument '{next(iter(kw))}'")


def full(size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of shape ``size`` (a tuple or list) filled with ``fill_value``.

    Without ``dtype`` the value decides, as torch: bool -> bool, int -> int64,
    float -> the default float dtype.
    """
    check_device(device, "full(device=)")
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): size must be a tuple or list of ints, e.g. full((3,), 1.0); "
                        f"got {type(size).__name__}")
    shape = _size(size, "full")
    d = as_dtype(dtype, "full(dtype=)")
    if d is None:
        d = _scalar_kind_dtype(fill_value, "full")
    return _finish(np.full(shape, _fill(fill_value, d, "full"), d), requires_grad, "full")


def eye(n: int, m: int | None = None, *, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    """The n x m identity (ones on the diagonal); ``m`` defaults to ``n``."""
    check_device(device, "eye(device=)")
    n = _index(n, "eye", "n")
    m = n if m is None else _index(m, "eye", "m")
    if n < 0 or m < 0:
        raise RuntimeError(f"eye: n and m must be >= 0, got n={n}, m={m}")
    return _finish(np.eye(n, m, dtype=_float_or(dtype, "eye")), requires_grad, "eye")


# ----------------------------------------------------------------------------- ranges


def _number(v: Any, what: str, arg: str) -> int | float:
    """A Python int or float from numbers, numpy scalars and one-element tensors."""
    if isinstance(v, (Tensor, np.ndarray, np.generic)):
        if np.size(v) != 1:
            raise TypeError(f"{what}(): argument '{arg}' must be a number, got a tensor of "
                            f"shape {np.shape(v)}")
        v = np.asarray(v).item()
    if isinstance(v, (bool, int, float)):
        return int(v) if isinstance(v, bool) else v
    raise TypeError(f"{what}(): argument '{arg}' must be a number, not {type(v).__name__}")


def arange(start: Any = None, end: Any = None, step: Any = 1, *, dtype: Any = None,
           device: Any = None, requires_grad: bool = False) -> Tensor:
    """Values ``start, start + step, ...`` below ``end``: ``arange(end)``, ``arange(start, end)``,
    ``arange(start, end, step)``.

    Length ``ceil((end - start) / step)``; element i is ``start + i * step``. dtype: int64 when
    every bound is an integer, else the default float dtype.
    """
    check_device(device, "arange(device=)")
    if end is None:
        if start is None:
            raise TypeError("arange() missing the end, e.g. arange(5) or arange(0, 1, 0.1)")
        start, end = 0, start
    elif start is None:
        start = 0
    start, end, step = (_number(v, "arange", a) for v, a in
                        ((start, "start"), (end, "end"), (step, "step")))
    d = as_dtype(dtype, "arange(dtype=)")
    integral = all(isinstance(v, int) for v in (start, end, step))
    if d is None:
        d = _INT64 if integral else get_default_dtype()
    if not all(math.isfinite(v) for v in (start, end, step)):
        raise RuntimeError(f"arange: unsupported range: {start} -> {end} (step {step})")
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError(f"arange: upper bound and lower bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    if integral:
        n = -((start - end) // step)  # exact ceil for Python ints
        arr = start + step * np.arange(n, dtype=np.int64)
    else:
        n = math.ceil((end - start) / step)
        if d.kind == "f":
            arr = start + step * np.arange(n, dtype=np.float64)
        else:  # torch: bounds cast to the integer dtype first
            if int(step) == 0:
                raise ValueError(f"arange: step {step} is 0 once converted to {d}; use a "
                                 f"floating dtype or an integer step")
            arr = int(start) + int(step) * np.arange(n, dtype=np.int64)
    return _finish(arr.astype(d, copy=False), requires_grad, "arange")


def linspace(start: Any, end: Any, steps: int, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive.

    Element i is ``start + i * h`` in the first half and ``end - (steps - 1 - i) * h`` in the
    second (h = (end - start) / (steps - 1)), as torch, so both ends are exact. Integer dtypes
    truncate toward zero.
    """
    check_device(device, "linspace(device=)")
    start, end = _number(start, "linspace", "start"), _number(end, "linspace", "end")
    steps = _index(steps, "linspace", "steps")
    if steps < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {steps}")
    d = _float_or(dtype, "linspace")
    work = d if d.kind == "f" else np.dtype(np.float64)  # torch: floats in their own dtype
    if d.kind != "f":  # torch: the ends are converted to the integer dtype first
        start, end = math.trunc(start), math.trunc(end)
    if steps <= 1:
        arr = np.full(steps, start, work)
    else:
        i = np.arange(steps, dtype=work)
        a, b = work.type(start), work.type(end)
        h = (b - a) / work.type(steps - 1)
        arr = np.where(i < steps // 2, a + i * h, b - (work.type(steps - 1) - i) * h)
    return _finish(arr.astype(d), requires_grad, "linspace")


def logspace(start: Any, end: Any, steps: int, base: float = 10.0, *, dtype: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """``base ** linspace(start, end, steps)``."""
    check_device(device, "logspace(device=)")
    d = _float_or(dtype, "logspace")
    if d.kind != "f":  # torch: the exponent range is converted to the integer dtype first
        start, end = (math.trunc(_number(v, "logspace", a)) for v, a in ((start, "start"),
                                                                          (end, "end")))
    exps = np.asarray(linspace(start, end, steps, dtype=np.float64))
    with np.errstate(over="ignore", invalid="ignore"):  # overflow gives inf, as torch
        arr = np.power(float(base), exps).astype(d)
    return _finish(arr, requires_grad, "logspace")


# ----------------------------------------------------------------------------- *_like


def _like(input: Any, what: str) -> tuple[tuple[int, ...], np.dtype]:
    if not isinstance(input, Tensor):
        raise TypeError(f"{what}(): argument 'input' must be a Tensor, not "
                        f"{type(input).__name__}")
    return input.shape, input.dtype


def zeros_like(input: Tensor, *, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    """Zeros with ``input``'s shape and (unless given) dtype."""
    check_device(device, "zeros_like(device=)")
    shape, d = _like(input, "zeros_like")
    return _finish(np.zeros(shape, as_dtype(dtype, "zeros_like(dtype=)", d)), requires_grad,
                   "zeros_like")


def ones_like(input: Tensor, *, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    """Ones with ``input``'s shape and (unless given) dtype."""
    check_device(device, "ones_like(device=)")
    shape, d = _like(input, "ones_like")
    return _finish(np.ones(shape, as_dtype(dtype, "ones_like(dtype=)", d)), requires_grad,
                   "ones_like")


def empty_like(input: Tensor, *, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    """An unspecified-valued (here: zero) tensor with ``input``'s shape and dtype."""
    check_device(device, "empty_like(device=)")
    shape, d = _like(input, "empty_like")
    return _finish(np.zeros(shape, as_dtype(dtype, "empty_like(dtype=)", d)), requires_grad,
                   "empty_like")


def full_like(input: Tensor, fill_value: Any, *, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    """``fill_value`` everywhere, with ``input``'s shape and (unless given) dtype."""
    check_device(device, "full_like(device=)")
    shape, d = _like(input, "full_like")
    d = as_dtype(dtype, "full_like(dtype=)", d)
    return _finish(np.full(shape, _fill(fill_value, d, "full_like"), d), requires_grad,
                   "full_like")
