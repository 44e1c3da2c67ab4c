"""Double backward: second derivatives of every differentiable op equal torch's (float64).

One table, ``CASES``: a row names the ``Function``s it exercises, a hypothesis strategy for
its inputs (arrays and keyword parameters) and one function ``fn(L, *xs, **kw)`` written once
for both libraries (``L`` is ``minigrad`` or ``torch``).  For each row and drawn input:

    g  = d<f(x), w>/dx            (mg.grad(..., create_graph=True) vs torch.autograd.grad)
    gg = d<g, u>/dx               (the double backward)

must agree with torch, and ``mg.gradgradcheck`` must pass (the double backward agrees with
finite differences of the first).  ``test_every_op_has_a_row`` traces which Functions the rows
actually run and fails when an op in minigrad.ops or nn has no row: adding an op means adding
a row here.
"""
from __future__ import annotations

import contextlib
import inspect
from typing import Any, NamedTuple

import numpy as np
import pytest
from conftest import needs_torch, torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
import nn
from minigrad.autograd import trace_ops
from minigrad.testing import broadcastable_shapes, shapes

RTOL, ATOL = 1e-7, 1e-9


# ---------------------------------------------------------------------------- strategies


def floats(shape, lo=-2.0, hi=2.0):
    """Float64 arrays with values in [lo, hi]."""
    return hnp.arrays(np.float64, shape, elements=st.floats(lo, hi, allow_nan=False, width=64))


def grid(shape, lo=-2.0, hi=2.0, offset=0.0, avoid=None, unique=False):
    """Values on a grid of step 0.1 (plus ``offset``), never within 0.05 of ``avoid``: inputs
    for ops with kinks (abs, relu, max, clamp) whose second derivative is 0 away from them."""
    ks = [k for k in range(int(lo * 10), int(hi * 10) + 1)
          if avoid is None or all(abs(k / 10 + offset - a) > 0.049 for a in avoid)]
    return hnp.arrays(np.int64, shape, elements=st.sampled_from(ks), unique=unique).map(
        lambda a: a / 10 + offset)


def one(strategy, **kw):
    """Inputs ([array], kw) from an array strategy."""
    return strategy.map(lambda a: ([a], kw))


def pair(sa, sb, **kw):
    return st.tuples(sa, sb).map(lambda ab: (list(ab), kw))


@st.composite
def same_shape(draw, *makers, min_dims=0, max_dims=3):
    """Arrays of one drawn shape, one per ``maker(shape)`` strategy."""
    shape = draw(shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=3))
    return [draw(m(shape)) for m in makers], {}


def away_from_zero(a):
    return np.where(a >= 0, a + 0.1, a - 0.1)


@st.composite
def broadcast_pair(draw, lo=-2.0, hi=2.0, lo_b=None, hi_b=None, b_sign=False):
    sa, sb = draw(broadcastable_shapes(2, max_dims=3, max_side=3))
    a = draw(floats(sa, lo, hi))
    b = draw(floats(sb, lo if lo_b is None else lo_b, hi if hi_b is None else hi_b))
    if b_sign:
        b = b * draw(hnp.arrays(np.float64, sb, elements=st.sampled_from([-1.0, 1.0])))
    return [a, b], {}


@st.composite
def reduction(draw, correction=False, unique=False):
    shape = draw(shapes(min_dims=1, max_dims=3, max_side=3))
    x = draw(grid(shape, -4, 4, unique=True) if unique else floats(shape))
    dims = tuple(sorted(draw(st.sets(st.integers(0, len(shape) - 1), min_size=1))))
    kw: dict[str, Any] = {"dim": dims, "keepdim": draw(st.booleans())}
    if correction:
        n = int(np.prod([shape[d] for d in dims]))
        kw["correction"] = draw(st.integers(0, 1)) if n > 1 else 0
    return [x], kw


@st.composite
def along_dim(draw, unique=False):
    shape = draw(shapes(min_dims=1, max_dims=3, max_side=3))
    x = draw(grid(shape, -4, 4, unique=True) if unique else floats(shape))
    return [x], {"dim": draw(st.integers(-len(shape), len(shape) - 1))}


@st.composite
def cat_inputs(draw):
    shape = draw(shapes(min_dims=1, max_dims=3, max_side=3))
    d = draw(st.integers(0, len(shape) - 1))
    other = list(shape)
    other[d] = draw(st.integers(1, 3))
    return [draw(floats(shape)), draw(floats(tuple(other)))], {"dim": d}


@st.composite
def matmul_inputs(draw):
    n, k, m, b = (draw(st.integers(1, 3)) for _ in range(4))
    case = draw(st.sampled_from(["mm", "vm", "mv", "vv", "bmm", "b2", "bcast"]))
    sa, sb = {"mm": ((n, k), (k, m)), "vm": ((k,), (k, m)), "mv": ((n, k), (k,)),
              "vv": ((k,), (k,)), "bmm": ((b, n, k), (b, k, m)), "b2": ((b, n, k), (k, m)),
              "bcast": ((1, n, k), (b, k, m))}[case]
    return [draw(floats(sa)), draw(floats(sb))], {}


@st.composite
def index_inputs(draw, min_dims=1, max_dims=3):
    shape = draw(shapes(min_dims=min_dims, max_dims=max_dims, max_side=3))
    x = draw(floats(shape))
    rows = draw(st.lists(st.integers(-shape[0], shape[0] - 1), min_size=1, max_size=4))
    return [x], {"rows": rows}


@st.composite
def cross_entropy_inputs(draw):
    n, c = draw(st.integers(1, 4)), draw(st.integers(2, 4))
    x = draw(floats((n, c), -3, 3))
    t = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    ignore = draw(st.sampled_from([-100, 0]))
    if (t == ignore).all():
        ignore = -100
    return [x], {"target": t, "smoothing": draw(st.sampled_from([0.0, 0.2])), "ignore": ignore}


@st.composite
def attention_inputs(draw, embed=None):
    b, L, S, E = (draw(st.integers(1, 3)) for _ in range(4))
    E = embed or E
    q, k, v = draw(floats((b, L, E))), draw(floats((b, S, E))), draw(floats((b, S, E)))
    return [q, k, v], {"causal": L == S and draw(st.booleans())}


@st.composite
def sequence_inputs(draw, batch_first=False):
    T, B = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    return [draw(floats((T, B, 2), -1.5, 1.5))], {}


# ---------------------------------------------------------------------------- modules

_TORCH_MODULES: dict = {}


def module(L, kind: str, **kw):
    """The same module in both libraries: torch's (seeded) and minigrad's with its
    state_dict loaded."""
    key = (kind, tuple(sorted(kw.items())))
    if key not in _TORCH_MODULES:
        torch.manual_seed(0)
        _TORCH_MODULES[key] = getattr(torch.nn, kind)(**kw).double()
    tm = _TORCH_MODULES[key]
    if L is torch:
        return tm
    m = getattr(nn, kind)(**kw).double()
    m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    return m


def leaves(L, m) -> list:
    return list(m.parameters())


def rnn_case(kind: str, **kw):
    def fn(L, x):
        m = module(L, kind, input_size=2, hidden_size=2, **kw)
        out, h = m(x)
        hs = list(h) if isinstance(h, tuple) else [h]
        return [out.tanh(), *hs], leaves(L, m)
    return fn


def mha(L, q, k, v, causal):
    m = module(L, "MultiheadAttention", embed_dim=2, num_heads=2)
    mask = None
    if causal:
        mask = np.triu(np.ones((q.shape[1], k.shape[1]), bool), 1)
        mask = torch.tensor(mask) if L is torch else mask
    out, w = m(q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1), attn_mask=mask)
    return [out, w], leaves(L, m)


def sdpa(L, q, k, v, causal):
    return L.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal)


def cross_entropy(L, x, target, smoothing, ignore):
    t = torch.tensor(target) if L is torch else target
    loss = L.nn.functional.cross_entropy(x, t, ignore_index=ignore, label_smoothing=smoothing,
                                         reduction="none")
    return loss * x.sum(1)  # a non-linear use of the loss, so the double backward is not trivial


def index_put(L, x, rows):
    y = x * 1.0
    y[rows[0]] = x[rows[0]].sin() * 2
    return y * y


def masked_fill(L, x, v):
    return (x.masked_fill(x > 0.5, v.reshape(())) * x).exp()


def gather(L, x, rows):
    idx = (np.abs(np.asarray(rows[:1] * x.shape[0])) % x.shape[1])[:, None]
    idx = torch.tensor(idx) if L is torch else mg.tensor(idx)
    return x.gather(1, idx) ** 2


# ---------------------------------------------------------------------------- the table


class Case(NamedTuple):
    name: str
    ops: tuple[str, ...]  # the Functions this row is there to check
    inputs: Any  # strategy of (list of arrays, kw)
    fn: Any  # fn(L, *xs, **kw) -> output(s), or (outputs, parameters) with params=True
    params: bool = False
    examples: int | None = None  # fewer hypothesis examples for slow rows
    reference: bool = False  # run minigrad under mg.reference_mode()
    finite_differences: bool = True  # False: a float32 step inside makes them inexact


S = shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)  # incl. 0-d and size-0
S1 = shapes(min_dims=1, max_dims=3, min_side=1, max_side=3)

CASES = [
    Case("add", ("Add",), broadcast_pair(), lambda L, a, b: (a + b) * a * b),
    Case("sub", ("Sub",), broadcast_pair(), lambda L, a, b: (a - b) ** 2),
    Case("mul", ("Mul",), broadcast_pair(), lambda L, a, b: a * b * b),
    Case("div", ("Div",), broadcast_pair(lo_b=0.5, hi_b=2.0, b_sign=True),
         lambda L, a, b: a / b),
    Case("neg", ("Neg",), one(floats(S)), lambda L, x: -(x * x)),
    # b = 0 exactly is avoided: there both torch's rule and ours are where(b == 0, 0, ...)
    # for da, whose derivative in b is then 0 instead of 1/a (finite differences disagree)
    Case("pow", ("Pow",), broadcast_pair(0.5, 2.0, 0.25, 2.0, b_sign=True),
         lambda L, a, b: a ** b),
    Case("pow_scalar", ("Pow",), one(floats(S)), lambda L, x: x ** 3),
    Case("pow_frac", ("Pow",), one(floats(S, 0.5, 2)), lambda L, x: x ** 2.5),
    Case("maximum", ("Maximum",), same_shape(lambda s: grid(s, 0, 2),
                                             lambda s: grid(s, 0, 2, offset=0.05)),
         lambda L, a, b: L.maximum(a * a, b * b) * a),
    Case("minimum", ("Minimum",), same_shape(lambda s: grid(s, 0, 2),
                                             lambda s: grid(s, 0, 2, offset=0.05)),
         lambda L, a, b: L.minimum(a * a, b * b) * b),
    Case("where", ("Where",), broadcast_pair().map(lambda r: ([away_from_zero(r[0][0]),
                                                               r[0][1]], {})),
         lambda L, a, b: L.where(a > 0, a * a, b.sin())),
    Case("clamp", ("Clamp",), one(grid(S, avoid=(-1, 1))), lambda L, x: x.clamp(-1, 1) * x),
    Case("clamp_tensors", ("Clamp",),
         same_shape(grid, lambda s: grid(s, offset=0.03), lambda s: grid(s, offset=0.06)),
         lambda L, x, lo, hi: L.clamp(x, lo, hi) * (x + lo + hi)),
    Case("exp", ("Exp",), one(floats(S)), lambda L, x: x.exp()),
    Case("log", ("Log",), one(floats(S, 0.5, 3)), lambda L, x: x.log()),
    Case("sqrt", ("Sqrt",), one(floats(S, 0.5, 3)), lambda L, x: x.sqrt()),
    Case("abs", ("Abs",), one(grid(S, avoid=(0,))), lambda L, x: x.abs() * x),
    Case("sin", ("Sin",), one(floats(S)), lambda L, x: x.sin()),
    Case("cos", ("Cos",), one(floats(S)), lambda L, x: x.cos()),
    Case("tanh", ("Tanh",), one(floats(S)), lambda L, x: x.tanh()),
    Case("sigmoid", ("Sigmoid",), one(floats(S, -4, 4)), lambda L, x: x.sigmoid()),
    Case("relu", ("Relu",), one(grid(S, avoid=(0,))), lambda L, x: x.relu() * x),
    Case("sum", ("Sum",), reduction(), lambda L, x, dim, keepdim: x.sum(dim, keepdim) ** 2),
    Case("mean", ("Mean",), reduction(), lambda L, x, dim, keepdim: x.mean(dim, keepdim) ** 2),
    Case("var", ("Var",), reduction(correction=True),
         lambda L, x, dim, keepdim, correction: x.var(dim, correction=correction,
                                                      keepdim=keepdim)),
    Case("amax", ("MaxMin",), reduction(unique=True),
         lambda L, x, dim, keepdim: x.amax(dim, keepdim) * x.sum()),
    Case("amin", ("MaxMin",), reduction(unique=True),
         lambda L, x, dim, keepdim: x.amin(dim, keepdim) ** 3),
    Case("max_dim", ("MaxMinIndexed",), along_dim(unique=True),
         lambda L, x, dim: x.max(dim).values ** 2),
    Case("softmax", ("Softmax",), along_dim(), lambda L, x, dim: x.softmax(dim)),
    Case("log_softmax", ("LogSoftmax",), along_dim(), lambda L, x, dim: x.log_softmax(dim)),
    Case("logsumexp", ("LogSumExp",), reduction(),
         lambda L, x, dim, keepdim: x.logsumexp(dim, keepdim)),
    Case("reshape", ("Reshape",), one(floats(S)), lambda L, x: x.reshape(-1) ** 2),
    Case("permute", ("Permute",), one(floats(shapes(min_dims=2, max_dims=3, max_side=3))),
         lambda L, x: x.permute(*reversed(range(x.ndim))) ** 2 * x.sum()),
    Case("expand", ("Expand",), one(floats(S)), lambda L, x: x.expand(2, *x.shape) ** 3),
    Case("cat", ("Cat",), cat_inputs(), lambda L, a, b, dim: L.cat([a, b * b], dim) ** 2),
    Case("clone", ("Copy",), one(floats(S)), lambda L, x: x.clone() ** 2),
    Case("cast", ("Cast",), one(floats(S)), lambda L, x: x * x.float().double(),
         finite_differences=False),
    Case("getitem", ("GetItem", "ScatterAdd"), index_inputs(),
         lambda L, x, rows: [x[rows] ** 2, x[..., :1] ** 3]),
    Case("index_put", ("IndexPut",), index_inputs(), index_put),
    Case("gather", ("GetItem", "ScatterAdd"), index_inputs(2, 2),
         gather),
    Case("index_select", ("GetItem",), index_inputs(),
         lambda L, x, rows: x.index_select(0, (torch if L is torch else mg).tensor(
             np.asarray(rows) % x.shape[0])) ** 3),
    Case("masked_fill", ("MaskedFill",), pair(floats(S1), floats(())), masked_fill),
    Case("matmul", ("MatMul",), matmul_inputs(), lambda L, a, b: (a @ b).tanh()),
    Case("einsum", ("Einsum",), same_shape(floats, floats, min_dims=2, max_dims=2),
         lambda L, a, b: L.einsum("ij,kj->ik", a, b).tanh()),

    Case("erf", ("Erf",), one(floats(S)),
         lambda L, x: torch.erf(x) if L is torch else nn.functional.erf(x)),
    Case("gelu", ("Gelu",), one(floats(S)), lambda L, x: L.nn.functional.gelu(x)),
    Case("gelu_tanh", ("Gelu",), one(floats(S)),
         lambda L, x: L.nn.functional.gelu(x, approximate="tanh")),
    Case("bce_logits", ("LogSigmoid",), same_shape(lambda s: floats(s, -3, 3),
                                                      lambda s: floats(s, 0, 1)),
         lambda L, x, t: L.nn.functional.binary_cross_entropy_with_logits(
             x, t, reduction="none") * t),
    Case("bce", ("BinaryCrossEntropy",), same_shape(lambda s: floats(s, 0.1, 0.9),
                                                    lambda s: floats(s, 0, 1)),
         lambda L, p, t: L.nn.functional.binary_cross_entropy(p, t, reduction="none") * p),
    Case("elu", ("Elu",), one(grid(S, avoid=(0,))), lambda L, x: L.nn.functional.elu(x) * x),
    Case("hardtanh", ("Hardtanh",), one(grid(S, avoid=(-1, 1))),
         lambda L, x: L.nn.functional.hardtanh(x) * x),
    Case("logsigmoid", ("LogSigmoid",), one(floats(S, -4, 4)),
         lambda L, x: L.nn.functional.logsigmoid(x)),
    Case("softplus", ("Softplus",), one(floats(S, -4, 4)),
         lambda L, x: L.nn.functional.softplus(x)),
    Case("cross_entropy", ("CrossEntropyRows",), cross_entropy_inputs(), cross_entropy),
    Case("cross_entropy_composed", ("LogSoftmax", "GetItem"), cross_entropy_inputs(),
         cross_entropy, reference=True),
    Case("sdpa", ("MatMul", "Softmax"), attention_inputs(), sdpa),
    Case("mha", ("MatMul", "Softmax"), attention_inputs(embed=2),
         mha, params=True, examples=4),
]

def _method(name, *args, **kwargs):
    return lambda L, x: getattr(x, name)(*args, **kwargs)


def _method_times_x(name):
    return lambda L, x: getattr(x, name)() * x * x


for _name, _lo, _hi in [("acos", -0.9, 0.9), ("asin", -0.9, 0.9), ("atan", -2, 2),
                        ("cosh", -2, 2), ("sinh", -2, 2), ("erfc", -2, 2),
                        ("exp2", -2, 2), ("expm1", -2, 2), ("log10", 0.5, 3),
                        ("log1p", -0.5, 3), ("log2", 0.5, 3), ("rsqrt", 0.5, 3),
                        ("square", -2, 2), ("nan_to_num", -2, 2)]:
    _op = {"nan_to_num": "NanToNum", "exp2": "Exp2", "log10": "Log10", "log1p": "Log1p",
           "log2": "Log2", "expm1": "Expm1"}.get(_name, _name.capitalize())
    CASES.append(Case(_name, (_op,), one(floats(S, _lo, _hi)), _method(_name)))
CASES += [
    # step functions: zero derivative wherever defined (torch's rule), away from their jumps
    *[Case(n, (n.capitalize(),), one(grid(S, -2, 2, offset=0.03, avoid=(0,))),
           _method_times_x(n)) for n in ("ceil", "floor", "round", "trunc", "sign", "sgn")],
    Case("frac", ("Frac",), one(floats(S, 0.1, 0.9)), lambda L, x: x.frac() * x),
    Case("reciprocal", ("Reciprocal",), one(floats(S, 0.5, 2).map(lambda a: -a)),
         _method("reciprocal")),
    Case("atan2", ("Atan2",), broadcast_pair(lo_b=0.5, hi_b=2.0, b_sign=True),
         lambda L, a, b: L.atan2(a, b)),
    Case("fmod", ("Fmod",), same_shape(lambda s: floats(s, 0.1, 0.9), lambda s: floats(s, 1.1, 2)),
         lambda L, a, b: L.fmod(a * a, b) * b),
    Case("remainder", ("Remainder",), same_shape(lambda s: floats(s, 0.1, 0.9),
                                                 lambda s: floats(s, 1.1, 2)),
         lambda L, a, b: L.remainder(a * a, b) * b),
    Case("logaddexp", ("LogAddExp",), broadcast_pair(), lambda L, a, b: L.logaddexp(a, b)),
    Case("xlogy", ("Xlogy",), broadcast_pair(lo_b=0.5, hi_b=3.0), lambda L, a, b: L.xlogy(a, b)),
    Case("lerp", ("Lerp",), same_shape(floats, floats, lambda s: floats(s, 0, 1)),
         lambda L, a, b, w: L.lerp(a, b * b, w)),
    Case("addcmul", ("Addcmul",), same_shape(floats, floats, floats),
         lambda L, a, b, c: L.addcmul(a, b, c * c, value=0.5)),
    Case("addcdiv", ("Addcdiv",), same_shape(floats, floats, lambda s: floats(s, 0.5, 2)),
         lambda L, a, b, c: L.addcdiv(a, b * b, c, value=0.5)),
    Case("flip", ("Flip",), one(floats(S1)), lambda L, x: x.flip(0) * x),
    Case("repeat", ("Repeat",), one(floats(S1)), lambda L, x: x.repeat(2, *[1] * x.ndim) ** 3),
    Case("roll", ("Roll",), one(floats(S1)), lambda L, x: x.roll(1, 0) * x),
    Case("tril", ("Tril",), one(floats(shapes(min_dims=2, max_dims=3, max_side=3))),
         lambda L, x: L.tril(x * x, -1 if x.shape[-1] > 2 else 0)),
    Case("cumsum", ("Cumsum", "ReverseCumsum"), along_dim(),
         lambda L, x, dim: x.cumsum(dim) ** 2),
    Case("cumprod", ("Cumprod",), along_dim().map(lambda r: ([r[0][0] / 4 + 1.0], r[1])),
         lambda L, x, dim: x.cumprod(dim)),
    Case("logcumsumexp", ("LogCumSumExp",), along_dim(),
         lambda L, x, dim: x.logcumsumexp(dim)),
    Case("median", ("Median",), reduction(unique=True).map(lambda r: (r[0], {})),
         lambda L, x: x.median() * x),
    Case("prod", ("Prod",), along_dim().map(lambda r: ([r[0][0] / 4 + 1.0], r[1])),
         lambda L, x, dim: x.prod(dim)),
    Case("vector_norm", ("VectorNorm",), one(floats(S1, 0.5, 2)),
         lambda L, x: L.linalg.vector_norm(x) * x),
]

for _kind in ("RNN", "LSTM", "GRU"):
    for _ref in (False, True):
        CASES.append(Case(f"{_kind.lower()}_{'composed' if _ref else 'fused'}",
                          ("FusedRecurrence",) if not _ref else ("Tanh",),
                          sequence_inputs(), rnn_case(_kind), params=True, examples=4,
                          reference=_ref))
CASES.append(Case("lstm_2layer_bidir_fused", ("FusedRecurrence",), sequence_inputs(),
                  rnn_case("LSTM", num_layers=2, bidirectional=True), params=True, examples=2))
CASES.append(Case("gru_2layer_bidir_composed", ("Tanh",), sequence_inputs(),
                  rnn_case("GRU", num_layers=2, bidirectional=True), params=True, examples=2,
                  reference=True))

# Ops checked by their own tests below, not by a row:
#   RandomSample: a sample's gradient is zero (test_random_sample_double_backward_is_zero)
#   CTCLossFn, CTCLossBackward: the CTC Hessian is not implemented (torch has none either);
#     the gradient is still differentiable in grad_outputs (test_ctc_double_backward)
#   FloorDivide, ScatterMultiply: no derivative (torch has none either)
NOT_IN_TABLE = {"RandomSample", "CTCLossFn", "CTCLossBackward", "FloorDivide",
                "ScatterMultiply"}


# ---------------------------------------------------------------------------- the harness


def _as_list(out) -> list:
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _derivatives(L, case: Case, arrays: list, kw: dict, seed: int = 0):
    """(outputs, first derivatives, second derivatives) as numpy arrays, for L = mg or torch."""
    rng = np.random.default_rng(seed)
    make = (lambda a: torch.tensor(a, requires_grad=True)) if L is torch else \
        (lambda a: mg.tensor(a, requires_grad=True))
    xs = [make(a) for a in arrays]
    mode = mg.reference_mode() if case.reference and L is mg else contextlib.nullcontext()
    with mode:
        res = case.fn(L, *xs, **kw)
        outs, params = (res if case.params else (res, []))
        outs = [o for o in _as_list(outs) if o.requires_grad]
        wrt = xs + list(params)
        ws = [rng.standard_normal(tuple(o.shape)) for o in outs]
        us = [rng.standard_normal(tuple(t.shape)) for t in wrt]
        to = torch.tensor if L is torch else mg.tensor
        grad = torch.autograd.grad if L is torch else mg.grad
        gs = grad(outs, wrt, [to(w).to(o.dtype) if L is torch else to(w).astype(o.dtype)
                              for w, o in zip(ws, outs)], create_graph=True, allow_unused=True)
        terms = [(g * to(u)).sum() for g, u in zip(gs, us) if g is not None and g.requires_grad]
        ggs = [None] * len(wrt)
        if terms:
            ggs = grad(sum(terms), wrt, allow_unused=True)
    np_ = [lambda t: None if t is None else t.detach().numpy()][0]
    return ([np_(o) for o in outs], [np_(g) for g in gs], [np_(g) for g in ggs],
            [np_(t) for t in wrt])


def _close(a, b, ref, what: str) -> None:
    a = np.zeros(ref.shape) if a is None else a
    b = np.zeros(ref.shape) if b is None else b
    np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL, err_msg=what)


def _check(case: Case, arrays: list, kw: dict) -> None:
    o_mg, g_mg, gg_mg, wrt = _derivatives(mg, case, arrays, kw)
    o_t, g_t, gg_t, _ = _derivatives(torch, case, arrays, kw)
    assert len(o_mg) == len(o_t)
    for k, (a, b) in enumerate(zip(o_mg, o_t)):
        _close(a, b, b, f"{case.name}: output {k}")
    for j, ref in enumerate(wrt):
        _close(g_mg[j], g_t[j], ref, f"{case.name}: first derivative {j}")
        _close(gg_mg[j], gg_t[j], ref, f"{case.name}: second derivative {j}")


def _gradgradcheck(case: Case, arrays: list, kw: dict) -> None:
    xs = [mg.tensor(a, requires_grad=True) for a in arrays]

    def f(*xs):
        res = case.fn(mg, *xs, **kw)
        return _as_list(res[0] if case.params else res)

    mode = mg.reference_mode() if case.reference else contextlib.nullcontext()
    with mode:
        assert mg.gradgradcheck(f, xs)


@needs_torch
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_double_backward_matches_torch(case: Case):
    @settings(max_examples=case.examples) if case.examples else (lambda f: f)
    @given(drawn=case.inputs)
    def run(drawn):
        arrays, kw = drawn
        _check(case, arrays, kw)
        if case.finite_differences and all(a.size for a in arrays):
            _gradgradcheck(case, arrays, kw)

    run()


def test_every_op_has_a_row():
    """Every Function in minigrad.ops and nn is run by some row (traced, not just named)."""
    import minigrad.ops as ops_pkg

    ops = set()
    for mod in [*_submodules(ops_pkg), *_submodules(nn)]:
        for name, obj in vars(mod).items():
            if inspect.isclass(obj) and issubclass(obj, mg.Function) and \
                    obj.__module__ == mod.__name__ and not name.startswith("_"):
                ops.add(name)
    ran = set()
    for case in CASES:
        arrays, kw = _first_example(case)
        with trace_ops() as seen:
            _derivatives(mg, case, arrays, kw)
        this = {t.fn.__name__ for t in seen}
        ran |= this
        missing = set(case.ops) - this
        assert not missing, f"row {case.name} never ran {missing}"
        if case.reference:  # the composed definitions, not the fused ops
            assert not this & {"FusedRecurrence", "CrossEntropyRows"}, case.name
    uncovered = ops - ran - NOT_IN_TABLE
    assert not uncovered, f"no double-backward row runs {sorted(uncovered)}: add rows to CASES"


def _submodules(pkg) -> list:
    import importlib
    import pkgutil

    mods = [pkg]
    for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
        if ".kernels" in info.name or ".onnx" in info.name:
            continue
        mods.append(importlib.import_module(info.name))
    return mods


def _first_example(case: Case):
    found = []

    @settings(max_examples=1, database=None)
    @given(drawn=case.inputs)
    def grab(drawn):
        found.append(drawn)

    grab()
    return found[0]


def test_random_sample_double_backward_is_zero():
    """d sample / d mean = 0 (not reparameterised), so d(y^2 mean)/dmean = y^2, whose own
    derivative in mean is 0."""
    mean = mg.tensor(np.array([0.5, -1.0]), requires_grad=True)
    std = mg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = mg.normal(mean, std)
    g_mean, g_std = mg.grad((y * y * mean).sum(), [mean, std], create_graph=True)
    sample = y.detach().numpy()
    np.testing.assert_allclose(g_mean.detach().numpy(), sample ** 2)
    np.testing.assert_array_equal(g_std.detach().numpy(), 0)
    gg = mg.grad((g_mean * mean).sum(), [mean, std], allow_unused=True)
    np.testing.assert_allclose(gg[0].detach().numpy(), sample ** 2)  # only the explicit mean
    assert gg[1] is None or not gg[1].detach().numpy().any()


@needs_torch
def test_ctc_double_backward():
    """The first derivative under create_graph equals torch's; its derivative in log_probs
    raises, as torch's does."""
    rng = np.random.default_rng(0)
    lp = rng.standard_normal((5, 2, 4))
    lp = lp - np.log(np.exp(lp).sum(-1, keepdims=True))
    args = ([[1, 2], [1, 1]], [5, 5], [2, 2])
    x = mg.tensor(lp, requires_grad=True)
    xt = torch.tensor(lp, requires_grad=True)
    loss = nn.functional.ctc_loss(x, *[np.array(a) for a in args])
    loss_t = torch.nn.functional.ctc_loss(xt, *[torch.tensor(a) for a in args])
    (g,) = mg.grad(loss, x, create_graph=True)
    (g_t,) = torch.autograd.grad(loss_t, xt, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), g_t.detach().numpy(), rtol=RTOL, atol=ATOL)
    assert g.requires_grad
    with pytest.raises(RuntimeError, match="not implemented"):
        torch.autograd.grad((g_t * g_t).sum(), xt)
    with pytest.raises(RuntimeError, match="not implemented"):
        mg.grad((g * g).sum(), x)


@needs_torch
def test_in_place_on_an_op_output_double_backward():
    """y = x * 1 is not a view: writing into it while recording is allowed (as torch), and
    the double backward goes through the recorded in-place op."""
    def f(L, x):
        y = x * 1.0
        y[0] = x[1].sin() * 3
        y.mul_(x)
        return (y * y).sum()

    res = []
    for L, make in ((mg, mg.tensor), (torch, torch.tensor)):
        x = make(np.array([0.5, 2.0, -1.0]), requires_grad=True)
        grad = mg.grad if L is mg else torch.autograd.grad
        (g,) = grad(f(L, x), x, create_graph=True)
        (gg,) = grad((g * g).sum(), x)
        res.append((g.detach().numpy(), gg.detach().numpy()))
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)
    x = mg.tensor([[1.0, 2.0]], requires_grad=True)
    with pytest.raises(RuntimeError, match="view"):
        (x * 1.0)[0].mul_(2)  # a real view (a row) of a recorded tensor is still refused
