"""Hypothesis strategies for testing ops and models with minigrad (import them in your tests).

    from hypothesis import given
    from minigrad.testing import tensors, broadcastable_shapes

Values are bounded so finite differences stay accurate; shift them into an op's smooth
domain yourself (``log(x.abs() + 1)``) rather than loosening tolerances.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .tensor import Tensor, where


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1,
           max_side: int = 4) -> st.SearchStrategy[tuple[int, ...]]:
    """Array shapes; size-1 dims come up often (they are where broadcasting bugs hide)."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def broadcastable_shapes(num_shapes: int = 2, min_dims: int = 0, max_dims: int = 3,
                         max_side: int = 4) -> st.SearchStrategy[tuple[tuple[int, ...], ...]]:
    """A tuple of ``num_shapes`` shapes that broadcast together (dims dropped or set to 1)."""
    return hnp.mutually_broadcastable_shapes(num_shapes=num_shapes, min_dims=min_dims,
                                             max_dims=max_dims, max_side=max_side).map(
        lambda r: r.input_shapes)


def arrays(shape=None, dtype=np.float64, min_value: float = -3.0, max_value: float = 3.0,
           ) -> st.SearchStrategy[np.ndarray]:
    """Arrays with bounded, finite values (``shape`` may be a strategy or a tuple).

    Float dtypes draw floats in [min_value, max_value]; integer dtypes draw integers there
    (index arrays)."""
    shape = shapes() if shape is None else shape
    if np.dtype(dtype).kind in "iu":
        elements = st.integers(int(min_value), int(max_value))
    else:
        elements = st.floats(min_value, max_value, allow_nan=False, allow_infinity=False,
                             width=np.dtype(dtype).itemsize * 8)
    return hnp.arrays(dtype, shape, elements=elements)


def tensors(shape=None, dtype=np.float64, min_value: float = -3.0, max_value: float = 3.0,
            requires_grad: bool = True) -> st.SearchStrategy[Tensor]:
    """Tensors wrapping ``arrays(...)``; float64 and requiring grad by default (for gradcheck)."""
    return arrays(shape, dtype, min_value, max_value).map(
        lambda a: Tensor(a, requires_grad=requires_grad))


@st.composite
def shapes_and_dims(draw, min_dims: int = 1, max_dims: int = 3, allow_tuple: bool = True,
                    allow_none: bool = False):
    """(shape, dim) where ``dim`` is a valid int (possibly negative) or tuple of dims."""
    shape = draw(shapes(min_dims=min_dims, max_dims=max_dims))
    n = len(shape)
    choices = [st.integers(-n, n - 1)]
    if allow_tuple and n:
        choices.append(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True)
                       .map(tuple))
    if allow_none:
        choices.append(st.none())
    return shape, draw(st.one_of(*choices))


def valid_dims(ndim: int) -> st.SearchStrategy[int]:
    """One valid dim (negative allowed) for a tensor with ``ndim`` dims."""
    return st.integers(-ndim, ndim - 1)


# ----------------------------------------------------------------------------- random programs

# Ops every real input is in the domain of (smooth, finite gradients): unary name -> fn.
UNARY_OPS = {
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "sin": lambda x: x.sin(),
    "cos": lambda x: x.cos(),
    "exp_tanh": lambda x: x.tanh().exp(),
    "log1p_sq": lambda x: (x * x + 1.0).log(),
    "sqrt1p_sq": lambda x: (x * x + 1.0).sqrt(),
    "square": lambda x: x * x,
    "neg_scale": lambda x: -x * 0.5 + 0.25,
    "pow_1p": lambda x: (x * x + 1.0) ** 1.5,
}
BINARY_OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div_safe": lambda a, b: a / (b * b + 1.0),
    "maximum_soft": lambda a, b: (a + b + ((a - b) * (a - b) + 1.0).sqrt()) * 0.5,
    "where_pos": lambda a, b: _where_pos(a, b),
}


def _where_pos(a, b):
    """where(a > 0, a^2 b, 0): exercises ``where`` yet stays C^1 across the switch at a = 0
    (a plain where(a > 0, a, b) jumps there and finite differences would rightly fail)."""
    return where(a.detach() > 0, a * a * b, a * a * b * 0.0)


class Program:
    """A random differentiable program: ``steps`` over a growing list of values that starts
    with the inputs; ``matmul`` steps multiply by weight ``w[k]``.  Call it with the input
    tensors followed by the weights; ``repr`` prints it as code."""

    def __init__(self, input_shapes: list[tuple[int, ...]], weight_shapes: list[tuple],
                 steps: list[tuple]):
        self.input_shapes, self.weight_shapes, self.steps = input_shapes, weight_shapes, steps

    def __call__(self, *tensors):
        n = len(self.input_shapes)
        vals, weights = list(tensors[:n]), tensors[n:]
        for op, args, param in self.steps:
            xs = [vals[i] for i in args]
            vals.append(xs[0] @ weights[param] if op == "matmul" else _run_step(op, xs, param))
        return vals[-1]

    def __repr__(self) -> str:
        lines = [f"inputs: {self.input_shapes}, weights: {self.weight_shapes}"]
        n = len(self.input_shapes)
        for k, (op, args, param) in enumerate(self.steps):
            names = [f"v{i}" for i in args] + ([f"w[{param}]"] if op == "matmul" else [])
            extra = "" if param is None or op == "matmul" else f", {param!r}"
            lines.append(f"v{n + k} = {op}({', '.join(names)}{extra})")
        return "Program(\n  " + "\n  ".join(lines) + "\n)"


def _run_step(op: str, args: list, param):
    if op in UNARY_OPS:
        return UNARY_OPS[op](args[0])
    if op in BINARY_OPS:
        return BINARY_OPS[op](*args)
    if op in _USER_OPS:
        return _USER_OPS[op](*args)
    if op == "sum":
        return args[0].sum(param[0], keepdim=param[1])
    if op == "mean":
        return args[0].mean(param[0], keepdim=param[1])
    if op == "logsumexp":
        return args[0].logsumexp(param[0], keepdim=param[1])
    if op == "softmax":
        return args[0].softmax(param)
    if op == "log_softmax":
        return args[0].log_softmax(param)
    if op == "getitem":
        return args[0][param]
    if op == "transpose":
        return args[0].transpose(0, -1)
    if op == "reshape_flat":
        return args[0].reshape(-1)
    raise ValueError(f"unknown op {op}")


_USER_OPS: dict = {}


def register_op(name: str, fn, arity: int = 1) -> None:
    """Add your own op (e.g. ``lambda x: MyFunction.apply(x)``) to the program pool.

    It must accept any real input (shift it into its domain inside ``fn`` if needed) and,
    for arity 2, any two mutually broadcastable tensors."""
    if arity not in (1, 2):
        raise ValueError("arity must be 1 or 2")
    _USER_OPS[name] = fn
    (_USER_UNARY if arity == 1 else _USER_BINARY).append(name)


_USER_UNARY: list[str] = []
_USER_BINARY: list[str] = []


def _shape_of(op: str, shapes: list[tuple[int, ...]], param) -> tuple[int, ...]:
    a = shapes[0]
    if op in ("sum", "mean", "logsumexp"):
        dims, keep = param
        return tuple(1 if i in dims else n for i, n in enumerate(a)) if keep else \
            tuple(n for i, n in enumerate(a) if i not in dims)
    if op in BINARY_OPS or op in _USER_BINARY:
        return tuple(np.broadcast_shapes(a, shapes[1]))
    if op == "getitem":
        return np.empty(a)[param].shape
    if op == "transpose":
        return a[-1:] + a[1:-1] + a[:1] if len(a) > 1 else a
    if op == "reshape_flat":
        return (int(np.prod(a)),)
    return a


@st.composite
def programs(draw, max_inputs: int = 3, max_steps: int = 6, max_dims: int = 3,
             max_side: int = 3, ops: list[str] | None = None) -> tuple[Program, list[Tensor]]:
    """(program, float64 input tensors requiring grad) built from random ops on random
    broadcastable shapes: unary, binary with broadcasting, reductions, softmax family,
    matmul, indexing, transposes, and any ops added with ``register_op``.
    Check it with ``gradcheck(program, inputs)``."""
    n_in = draw(st.integers(1, max_inputs))
    in_shapes = list(draw(broadcastable_shapes(n_in, 0, max_dims, max_side)))
    shapes = list(in_shapes)
    weights: list[tuple[int, ...]] = []
    steps = []
    pool = ops or (list(UNARY_OPS) + list(BINARY_OPS) + _USER_UNARY + _USER_BINARY +
                   ["sum", "mean", "logsumexp", "softmax", "log_softmax", "matmul", "getitem",
                    "transpose", "reshape_flat"])
    for _ in range(draw(st.integers(1, max_steps))):
        op = draw(st.sampled_from(pool))
        i = draw(st.integers(0, len(shapes) - 1))
        a = shapes[i]
        args, param = [i], None
        if op in BINARY_OPS or op in _USER_BINARY:
            partners = [j for j, s in enumerate(shapes) if _broadcasts(a, s)]
            args.append(draw(st.sampled_from(partners)))
        elif op in ("sum", "mean", "logsumexp"):
            if not a:
                op, param = "sum", ((), False)
            else:
                dims = tuple(sorted(set(draw(st.lists(st.integers(0, len(a) - 1), min_size=1,
                                                      max_size=len(a))))))
                param = (dims, draw(st.booleans()))
        elif op in ("softmax", "log_softmax"):
            if not a:
                op = "tanh"
            else:
                param = draw(st.integers(-len(a), len(a) - 1))
        elif op == "matmul":
            if not a:
                op = "square"
            else:  # x @ w[k] with a fresh weight of shape (x.shape[-1], out)
                weights.append((a[-1], draw(st.integers(1, max_side))))
                param = len(weights) - 1
        elif op == "getitem":
            if not a or a[0] < 1:
                op = "cos"
            else:
                kind = draw(st.sampled_from(["int", "slice", "ints"]))
                n = a[0]
                if kind == "int":
                    param = draw(st.integers(-n, n - 1))
                elif kind == "slice":
                    param = slice(draw(st.integers(0, n - 1)), None)
                else:
                    param = np.array(draw(st.lists(st.integers(0, n - 1), min_size=1,
                                                   max_size=4)))
        elif op in ("transpose", "reshape_flat") and not a:
            op = "sin"
        out_shape = (weights[param][1],) if op == "matmul" else None
        shapes.append(a[:-1] + out_shape if out_shape else
                      _shape_of(op, [shapes[j] for j in args], param))
        steps.append((op, args, param))
    arrays_ = [draw(arrays(s, np.float64, -2.0, 2.0)) for s in in_shapes + weights]
    prog = Program(in_shapes, weights, steps)
    return prog, [Tensor(a, requires_grad=True) for a in arrays_]


def _broadcasts(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False
