"""Random tensors: ``mg.rand``, ``mg.randn``, ``mg.randint``, ``mg.randperm``, ``mg.normal``...

Each draws from ``generator=`` (a :class:`minigrad.Generator`) or, without one, from the
default generator that ``mg.manual_seed`` seeds. The numbers are numpy's PCG64 stream, so
they repeat run to run under a seed but differ from torch's for the same seed.
Sizes, ``dtype=``, ``device=`` and ``requires_grad=`` work as in :mod:`minigrad.creation`.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .autograd import Function
from .creation import _check_grad, _finish, _float_or, _index, _size, _size_arg, tensor
from .device import check_device
from .dtype_aliases import as_dtype
from .random import Generator, numpy_generator
from .tensor import Tensor

_INT64 = np.dtype(np.int64)


def _float_dtype(dtype: Any, what: str) -> np.dtype:
    d = _float_or(dtype, what)
    if d.kind != "f":
        raise TypeError(f"{what}: random floats need a floating dtype, got {d}; draw floats "
                        f"and convert, or use randint for integers")
    return d


def _draw(sample, shape: tuple[int, ...], d: np.dtype) -> np.ndarray:
    """numpy draws float32 and float64 directly; other float dtypes are cast from float32."""
    if d in (np.float32, np.float64):
        return sample(shape, dtype=d)
    return sample(shape, dtype=np.float32).astype(d)


def rand(*size: Any, generator: Generator | None = None, dtype: Any = None, device: Any = None,
         requires_grad: bool = False, **kw: Any) -> Tensor:
    """Uniform samples in [0, 1): ``rand(2, 3)``, ``rand((2, 3), generator=g)``."""
    check_device(device, "rand(device=)")
    shape = _size_arg(size, kw.pop("size", None), "rand")
    _no_more(kw, "rand")
    d = _float_dtype(dtype, "rand")
    return _finish(_draw(numpy_generator(generator).random, shape, d), requires_grad, "rand")


def randn(*size: Any, generator: Generator | None = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False, **kw: Any) -> Tensor:
    """Standard normal samples N(0, 1): ``randn(2, 3)``, ``randn((2, 3), generator=g)``."""
    check_device(device, "randn(device=)")
    shape = _size_arg(size, kw.pop("size", None), "randn")
    _no_more(kw, "randn")
    d = _float_dtype(dtype, "randn")
    return _finish(_draw(numpy_generator(generator).standard_normal, shape, d), requires_grad,
                   "randn")


def _no_more(kw: dict, what: str) -> None:
    if kw:
        raise TypeError(f"{what}() got an unexpected keyword argument '{next(iter(kw))}'")


def _check_bounds(low: int, high: int, d: np.dtype, what: str) -> None:
    if low >= high:
        raise RuntimeError(f"{what}: expects low < high, but got low={low} >= high={high}")
    if d.kind == "b":
        lo, hi = 0, 1
    elif d.kind in "iu":
        lo, hi = int(np.iinfo(d).min), int(np.iinfo(d).max)
    else:  # a float: integers up to 2**mantissa stay exact
        lo, hi = -(2 ** (np.finfo(d).nmant + 1)), 2 ** (np.finfo(d).nmant + 1)
    if low < lo or high - 1 > hi:
        raise RuntimeError(f"{what}: [low, high) = [{low}, {high}) is out of bounds for {d}")


def _integers(gen: np.random.Generator, low: int, high: int, shape: tuple[int, ...],
              d: np.dtype) -> np.ndarray:
    if -(2**63) <= low and high - 1 < 2**63:
        return gen.integers(low, high, shape, dtype=np.int64).astype(d, copy=False)
    return gen.integers(low, high, shape, dtype=np.uint64).astype(d, copy=False)


def randint(*args: Any, size: Any = None, low: Any = None, high: Any = None,
            generator: Generator | None = None, dtype: Any = None, device: Any = None,
            requires_grad: bool = False) -> Tensor:
    """Integers drawn uniformly from [low, high), as ``torch.randint``.

    ``randint(high, size)``, ``randint(low, high, size)``; ``size`` is a tuple (``()`` gives
    a 0-d tensor) and may be passed as ``size=``. dtype int64 unless given (a float dtype
    holds integer values).
    """
    check_device(device, "randint(device=)")
    args = list(args)
    if size is None:
        if not args or not isinstance(args[-1], (tuple, list)):
            raise TypeError("randint() needs a size tuple: randint(high, size) or "
                            "randint(low, high, size), e.g. randint(10, (3,))")
        size = args.pop()
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' must be a tuple of ints, not "
                        f"{type(size).__name__}")
    if len(args) == 2 and low is None and high is None:
        low, high = args
    elif len(args) == 1 and high is None:
        high = args[0]
    elif len(args) == 1 and low is None:
        low = args[0]
    elif args:
        raise TypeError(f"randint() takes (high, size) or (low, high, size), got "
                        f"{len(args) + 1} positional arguments")
    if high is None:
        raise TypeError("randint() missing 'high', e.g. randint(10, (3,))")
    lo = 0 if low is None else _index(low, "randint", "low")
    hi = _index(high, "randint", "high")
    shape = _size(tuple(size), "randint")
    d = as_dtype(dtype, "randint(dtype=)", _INT64)
    _check_bounds(lo, hi, d, "randint")
    _check_grad(d, requires_grad, "randint")
    return _finish(_integers(numpy_generator(generator), lo, hi, shape, d), requires_grad,
                   "randint")


def randperm(n: int, *, generator: Generator | None = None, dtype: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """A random permutation of 0 .. n-1 (int64 unless ``dtype`` is given)."""
    check_device(device, "randperm(device=)")
    n = _index(n, "randperm", "n")
    if n < 0:
        raise RuntimeError(f"randperm: n must be non-negative, got {n}")
    d = as_dtype(dtype, "randperm(dtype=)", _INT64)
    _check_bounds(0, max(n, 1), d, "randperm")
    _check_grad(d, requires_grad, "randperm")
    perm = numpy_generator(generator).permutation(n).astype(d, copy=False)
    return _finish(perm, requires_grad, "randperm")


class RandomSample(Function):
    """y = a sample drawn beforehand from a distribution with parameters ``params``;
    d params = 0. torch gives normal() and bernoulli() samples this zero gradient: they are
    not reparameterised (write ``mean + std * randn_like(std)`` for a gradient)."""

    @staticmethod
    def forward(ctx, *params, sample):
        return sample

    @staticmethod
    def backward(ctx, g):
        return tuple(g * 0 for _ in ctx.needs_input_grad)


def _attach(sample: np.ndarray, params: list[Tensor]) -> Tensor:
    """``sample`` as a tensor; in the graph (zero gradient) when a parameter needs one."""
    if any(p.requires_grad for p in params):
        return RandomSample.apply(*params, sample=sample)
    return Tensor(sample)


def normal(mean: Any = 0.0, std: Any = 1.0, size: Any = None, *,
           generator: Generator | None = None, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Normal samples N(mean, std**2), as ``torch.normal``.

    ``normal(mean, std, size)`` with numbers; or ``normal(mean_tensor, std)``,
    ``normal(mean, std_tensor)``, ``normal(mean_tensor, std_tensor)`` with the broadcast
    shape and the tensor's dtype (mean's when both are tensors). std must be >= 0.
    """
    check_device(device, "normal(device=)")
    gen = numpy_generator(generator)
    tensors = [t for t in (mean, std) if isinstance(t, Tensor)]
    if not tensors:
        if size is None:
            raise TypeError("normal() with a number mean and std needs a size, e.g. "
                            "normal(0.0, 1.0, (2, 3))")
        if float(std) < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        shape = _size((size,), "normal")
        d = _float_dtype(dtype, "normal")
        return _finish((float(mean) + float(std) * _draw(gen.standard_normal, shape, d))
                       .astype(d, copy=False), requires_grad, "normal")
    if size is not None:
        raise TypeError("normal(): size= only goes with a number mean and std; a tensor mean "
                        "or std gives the shape")
    d = tensors[0].dtype
    if d.kind != "f":
        raise TypeError(f"normal: mean and std must be floating tensors, got {d}")
    m = mean if isinstance(mean, Tensor) else tensor(float(mean), dtype=d)
    s = std if isinstance(std, Tensor) else tensor(float(std), dtype=d)
    if (np.asarray(s.detach()) < 0).any():
        raise RuntimeError("normal expects all elements of std >= 0.0")
    try:
        shape = np.broadcast_shapes(m.shape, s.shape)
    except ValueError:
        raise RuntimeError(f"normal: the shapes of mean {m.shape} and std {s.shape} do not "
                           f"broadcast") from None
    eps = _draw(gen.standard_normal, shape, d)
    sample = (np.asarray(m.detach()) + np.asarray(s.detach()) * eps).astype(d, copy=False)
    out = _attach(sample, [m, s])
    if requires_grad:
        out.requires_grad = True
    return out


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Generator | None = None) -> Tensor:
    """Category indices drawn from each row of ``input`` (weights >= 0, any positive sum).

    input (n,) or (m, n) -> int64 (num_samples,) or (m, num_samples). Without replacement
    each row yields distinct categories in the order drawn (zero-weight ones come last).
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"multinomial(): argument 'input' must be a Tensor, not "
                        f"{type(input).__name__}")
    w = np.asarray(input.detach())
    k = _index(num_samples, "multinomial", "num_samples")
    if w.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got "
                           f"{w.dtype}")
    if w.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got shape {w.shape}")
    if k <= 0:
        raise RuntimeError(f"multinomial: cannot sample n_sample <= 0 samples (got {k})")
    n = w.shape[-1]
    if not replacement and k > n:
        raise RuntimeError(f"multinomial: cannot sample n_sample > prob_dist.size(-1) samples "
                           f"without replacement ({k} > {n})")
    rows = w.reshape(-1, n).astype(np.float64)
    if not np.isfinite(rows).all() or (rows < 0).any():
        raise RuntimeError("multinomial: probability tensor contains either `inf`, `nan` or "
                           "element < 0")
    if (rows.sum(axis=1) <= 0).any():
        raise RuntimeError("multinomial: invalid multinomial distribution (sum of "
                           "probabilities <= 0)")
    gen = numpy_generator(generator)
    if replacement:  # inverse CDF: the first category whose cumulative weight exceeds u
        cdf = np.cumsum(rows, axis=1)
        u = gen.random((rows.shape[0], k)) * cdf[:, -1:]
        out = np.stack([np.searchsorted(c, r, side="right") for c, r in zip(cdf, u)])
        out = np.minimum(out, n - 1)
    else:  # exponential keys E/w: sorting them draws without replacement, in order
        with np.errstate(divide="ignore"):
            keys = gen.standard_exponential(rows.shape) / rows
        out = np.argsort(keys, axis=1, kind="stable")[:, :k]
    return Tensor(out.reshape(w.shape[:-1] + (k,)).astype(np.int64))


def bernoulli(input: Tensor, p: float | None = None, *,
              generator: Generator | None = None) -> Tensor:
    """0/1 samples, 1 with probability ``input`` elementwise (or ``p`` everywhere, with
    ``input``'s shape); same dtype as ``input``. Probabilities must lie in [0, 1]."""
    if not isinstance(input, Tensor):
        raise TypeError(f"bernoulli(): argument 'input' must be a Tensor, not "
                        f"{type(input).__name__}")
    if input.dtype.kind != "f":
        raise TypeError(f"bernoulli: input must be a floating tensor, got {input.dtype}")
    probs = np.asarray(input.detach()) if p is None else np.full(input.shape, float(p))
    if not ((probs >= 0) & (probs <= 1)).all():
        raise RuntimeError("bernoulli: probabilities must lie in [0, 1]")
    u = numpy_generator(generator).random(input.shape)
    sample = (u < probs).astype(input.dtype)
    return _attach(sample, [input]) if p is None else Tensor(sample)


def rand_like(input: Tensor, *, generator: Generator | None = None, dtype: Any = None,
              device: Any = None, requires_grad: bool = False) -> Tensor:
    """:func:`rand` with ``input``'s shape and (unless given) dtype."""
    shape, d = _like(input, dtype, "rand_like")
    return rand(shape, generator=generator, dtype=d, device=device, requires_grad=requires_grad)


def randn_like(input: Tensor, *, generator: Generator | None = None, dtype: Any = None,
               device: Any = None, requires_grad: bool = False) -> Tensor:
    """:func:`randn` with ``input``'s shape and (unless given) dtype."""
    shape, d = _like(input, dtype, "randn_like")
    return randn(shape, generator=generator, dtype=d, device=device, requires_grad=requires_grad)


def randint_like(input: Tensor, low: Any = None, high: Any = None, *,
                 generator: Generator | None = None, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> Tensor:
    """:func:`randint` with ``input``'s shape and dtype: ``randint_like(x, high)`` or
    ``randint_like(x, low, high)``."""
    shape, d = _like(input, dtype, "randint_like")
    if high is None:
        low, high = None, low
    return randint(low=low, high=high, size=shape, generator=generator, dtype=d, device=device,
                   requires_grad=requires_grad)


def _like(input: Any, dtype: Any, what: str) -> tuple[tuple[int, ...], np.dtype]:
    if not isinstance(input, Tensor):
        raise TypeError(f"{what}(): argument 'input' must be a Tensor, not "
                        f"{type(input).__name__}")
    return input.shape, as_dtype(dtype, f"{what}(dtype=)", input.dtype)
