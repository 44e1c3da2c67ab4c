"""Every differentiable op: gradcheck over random (broadcasting) shapes, forward vs numpy,
values and gradients vs torch.  Inputs are shifted into each op's smooth domain."""
import numpy as np
import pytest
from conftest import needs_torch, torch
from helpers import assert_parity, check_op
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.testing import arrays, broadcastable_shapes, shapes, shapes_and_dims


def away_from(a, points=(0.0,), gap=0.05):
    """Move values within ``gap`` of a kink by 2*gap, so finite differences stay exact."""
    a = np.array(a, dtype=np.float64)
    for p in points:
        near = np.abs(a - p) < gap
        a[near] = p + np.where(a[near] >= p, 2 * gap, -2 * gap)
    return a


# name -> (minigrad fn, numpy fn, torch fn, domain fix)
UNARY = {
    "exp": (lambda x: x.exp(), np.exp, lambda x: x.exp(), None),
    "log": (lambda x: x.log(), np.log, lambda x: x.log(), lambda a: np.abs(a) + 0.5),
    "sqrt": (lambda x: x.sqrt(), np.sqrt, lambda x: x.sqrt(), lambda a: np.abs(a) + 0.5),
    "abs": (lambda x: x.abs(), np.abs, lambda x: x.abs(), away_from),
    "tanh": (lambda x: x.tanh(), np.tanh, lambda x: x.tanh(), None),
    "sigmoid": (lambda x: x.sigmoid(), lambda a: 1 / (1 + np.exp(-a)), lambda x: x.sigmoid(),
                None),
    "relu": (lambda x: x.relu(), lambda a: np.maximum(a, 0), lambda x: x.relu(), away_from),
    "sin": (lambda x: x.sin(), np.sin, lambda x: x.sin(), None),
    "cos": (lambda x: x.cos(), np.cos, lambda x: x.cos(), None),
    "neg": (lambda x: -x, np.negative, lambda x: -x, None),
    "clip": (lambda x: x.clip(-1.0, 0.5), lambda a: np.clip(a, -1, 0.5),
             lambda x: x.clamp(-1.0, 0.5), lambda a: away_from(a, (-1.0, 0.5))),
    "pow_scalar": (lambda x: x ** 3, lambda a: a ** 3, lambda x: x ** 3, None),
    "rpow": (lambda x: 2.0 ** x, lambda a: 2.0 ** a, lambda x: 2.0 ** x, None),
    "scalar_arith": (lambda x: (3.0 - x) * 2 / 4 + 1, lambda a: (3 - a) * 2 / 4 + 1,
                     lambda x: (3.0 - x) * 2 / 4 + 1, None),
    "rdiv": (lambda x: 1.0 / x, lambda a: 1 / a, lambda x: 1.0 / x,
             lambda a: np.abs(a) + 0.5),
}

BINARY = {
    "add": (lambda a, b: a + b, np.add, lambda a, b: a + b, None),
    "sub": (lambda a, b: a - b, np.subtract, lambda a, b: a - b, None),
    "mul": (lambda a, b: a * b, np.multiply, lambda a, b: a * b, None),
    "div": (lambda a, b: a / b, np.divide, lambda a, b: a / b,
            lambda a, b: (a, np.abs(b) + 0.5)),
    "pow": (lambda a, b: a ** b, np.power, lambda a, b: a ** b,
            lambda a, b: (np.abs(a) + 0.5, b)),
    "maximum": (lambda a, b: a.maximum(b), np.maximum, torch.maximum if torch else None,
                lambda a, b: (a, b + np.where(np.abs(a - b) < 0.05, 0.2, 0.0))),
    "minimum": (lambda a, b: mg.minimum(a, b), np.minimum, torch.minimum if torch else None,
                lambda a, b: (a, b + np.where(np.abs(a - b) < 0.05, 0.2, 0.0))),
    "where": (lambda a, b: mg.where(a > 0, a, b), lambda a, b: np.where(a > 0, a, b),
              lambda a, b: torch.where(a > 0, a, b), lambda a, b: (away_from(a), b)),
}


def _fix(fix, *arrs):
    if fix is None:
        return arrs
    out = fix(*arrs)
    return out if isinstance(out, tuple) else (out,)


@pytest.mark.parametrize("name", sorted(UNARY))
@given(data=st.data())
def test_unary_grad_and_forward(name, data):
    fn, npfn, _, fix = UNARY[name]
    (a,) = _fix(fix, data.draw(arrays(shapes(max_dims=3))))
    check_op(fn, [a])
    np.testing.assert_allclose(fn(mg.tensor(a)).detach().numpy(), npfn(a), rtol=1e-12)


@pytest.mark.parametrize("name", sorted(BINARY))
@given(data=st.data())
def test_binary_broadcast_grad(name, data):
    fn, npfn, _, fix = BINARY[name]
    sa, sb = data.draw(broadcastable_shapes(2))
    a, b = _fix(fix, data.draw(arrays(sa)), data.draw(arrays(sb)))
    check_op(fn, [a, b])
    np.testing.assert_allclose(fn(mg.tensor(a), mg.tensor(b)).detach().numpy(), npfn(a, b), rtol=1e-12)


@needs_torch
@pytest.mark.parametrize("name", sorted(UNARY))
@given(data=st.data())
def test_unary_torch_parity(name, data):
    fn, _, tfn, fix = UNARY[name]
    (a,) = _fix(fix, data.draw(arrays(shapes())))
    assert_parity(fn, tfn, [a])


@needs_torch
@pytest.mark.parametrize("name", sorted(BINARY))
@given(data=st.data())
def test_binary_torch_parity(name, data):
    fn, _, tfn, fix = BINARY[name]
    sa, sb = data.draw(broadcastable_shapes(2))
    a, b = _fix(fix, data.draw(arrays(sa)), data.draw(arrays(sb)))
    assert_parity(fn, tfn, [a, b])


# ------------------------------------------------------------------ reductions

REDUCE = {
    "sum": (lambda x, d, k: x.sum(d, k), lambda x, d, k: x.sum(d, keepdim=k)),
    "mean": (lambda x, d, k: x.mean(d, k), lambda x, d, k: x.mean(d, keepdim=k)),
    "var": (lambda x, d, k: x.var(d, keepdim=k), lambda x, d, k: x.var(d, keepdim=k)),
    "logsumexp": (lambda x, d, k: x.logsumexp(d, k), lambda x, d, k: x.logsumexp(d, keepdim=k)),
    "amax": (lambda x, d, k: x.amax(d, k), lambda x, d, k: x.amax(d, keepdim=k)),
    "amin": (lambda x, d, k: mg.amin(x, d, k), lambda x, d, k: x.amin(d, keepdim=k)),
}


def distinct(a):
    """Values spread apart so max/min have a unique, well-separated winner."""
    flat = np.argsort(a.reshape(-1), kind="stable").argsort().astype(np.float64)
    return (flat * 0.3 - 1).reshape(a.shape)


@pytest.mark.parametrize("name", sorted(REDUCE))
@given(sd=shapes_and_dims(), keep=st.booleans(), data=st.data())
def test_reduction_grad(name, sd, keep, data):
    shape, dim = sd
    fn, _ = REDUCE[name]
    a = data.draw(arrays(shape))
    if name in ("amax", "amin"):
        a = distinct(a)
    if name == "var" and np.prod([shape[d] for d in np.atleast_1d(dim)]) == 1:
        return  # variance of one element divides by zero, as in torch
    check_op(lambda x: fn(x, dim, keep), [a])


@needs_torch
@pytest.mark.parametrize("name", sorted(REDUCE))
@given(sd=shapes_and_dims(), keep=st.booleans(), data=st.data())
def test_reduction_torch_parity(name, sd, keep, data):
    shape, dim = sd
    fn, tfn = REDUCE[name]
    a = data.draw(arrays(shape))
    if name in ("amax", "amin"):
        a = distinct(a)
    if name == "var" and np.prod([shape[d] for d in np.atleast_1d(dim)]) == 1:
        return
    assert_parity(lambda x: fn(x, dim, keep), lambda x: tfn(x, dim, keep), [a])


@given(a=arrays(shapes(min_dims=0)))
def test_full_reductions(a):
    check_op(lambda x: x.sum() + x.mean() * 2 + x.logsumexp(), [a])
    check_op(lambda x: x.max() - x.min(), [distinct(a)])


@given(sd=shapes_and_dims(allow_tuple=False), keep=st.booleans(), data=st.data())
def test_max_min_with_dim_return_values_and_indices(sd, keep, data):
    shape, dim = sd
    a = distinct(data.draw(arrays(shape)))
    check_op(lambda x: x.max(dim, keep).values * 2 + x.min(dim, keep)[0], [a])
    v, i = mg.tensor(a).max(dim, keep)
    np.testing.assert_array_equal(i.detach().numpy(), a.argmax(dim) if not keep else
                                  np.expand_dims(a.argmax(dim), dim))
    np.testing.assert_array_equal(v.detach().numpy(), a.max(dim, keepdims=keep))
    assert i.dtype == np.int64


def test_max_ties_split_the_gradient_like_torch():
    x = mg.tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad.detach().numpy(), [0, 0.5, 0.5])


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
@given(sd=shapes_and_dims(allow_tuple=False), data=st.data())
def test_softmax_family_grad(op, sd, data):
    shape, dim = sd
    a = data.draw(arrays(shape))
    check_op(lambda x: getattr(x, op)(dim), [a])
    if torch is not None:
        assert_parity(lambda x: getattr(x, op)(dim), lambda x: getattr(x, op)(dim), [a])


def test_softmax_family_stable_at_large_logits():
    x = mg.tensor([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], dtype=np.float64)
    ls = x.log_softmax(1).detach().numpy()
    assert np.isfinite(ls).all()
    np.testing.assert_allclose(ls[0], [0, -2e4, -1e4])
    np.testing.assert_allclose(x.softmax(1).detach().numpy().sum(1), [1, 1])
    np.testing.assert_allclose(x.logsumexp(1).detach().numpy(), [1e4, -1e4 + np.log(3)])


# ------------------------------------------------------------------ matmul


@st.composite
def matmul_shapes(draw):
    m, k, n = (draw(st.integers(1, 4)) for _ in range(3))
    kind = draw(st.sampled_from(["mm", "vm", "mv", "vv", "batched", "broadcast"]))
    if kind == "mm":
        return (m, k), (k, n)
    if kind == "vm":
        return (k,), draw(st.sampled_from([(k, n), (2, k, n)]))
    if kind == "mv":
        return draw(st.sampled_from([(m, k), (3, m, k)])), (k,)
    if kind == "vv":
        return (k,), (k,)
    b = draw(st.integers(1, 3))
    if kind == "batched":
        return (b, m, k), (b, k, n)
    return (b, 1, m, k), (2, k, n)


@given(ss=matmul_shapes(), data=st.data())
def test_matmul_grad(ss, data):
    sa, sb = ss
    a, b = data.draw(arrays(sa)), data.draw(arrays(sb))
    check_op(lambda x, y: x @ y, [a, b])
    np.testing.assert_allclose((mg.tensor(a) @ mg.tensor(b)).detach().numpy(), a @ b, rtol=1e-12)
    if torch is not None:
        assert_parity(lambda x, y: x @ y, lambda x, y: x @ y, [a, b])


def test_matmul_shape_error_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"matmul: \(2, 3\) @ \(4, 5\)"):
        mg.zeros(2, 3) @ mg.zeros(4, 5)


# ------------------------------------------------------------------ shape ops

SHAPE_OPS = {
    "reshape": lambda x: x.reshape(-1),
    "view2": lambda x: x.view(1, *x.shape),
    "T": lambda x: x.T,
    "transpose": lambda x: x.transpose(0, -1),
    "permute": lambda x: x.permute(*reversed(range(x.ndim))),
    "flatten": lambda x: x.flatten(),
    "unsqueeze": lambda x: x.unsqueeze(-1).unsqueeze(0),
    "squeeze": lambda x: x.squeeze(),
    "expand": lambda x: x.unsqueeze(0).expand(3, *x.shape),
    "broadcast_to": lambda x: x.broadcast_to((2,) + x.shape),
    "cat": lambda x: mg.cat([x, x * 2], dim=0),
    "stack": lambda x: mg.stack([x, x.exp()], dim=-1),
    "split": lambda x: mg.split(x, 1, 0)[-1] * 3 + mg.split(x, 1, 0)[0],
    "chunk": lambda x: mg.cat(list(x.chunk(2, -1))[::-1], -1),
    "clone": lambda x: x.clone(),
}


@pytest.mark.parametrize("name", sorted(SHAPE_OPS))
@given(a=arrays(shapes(min_dims=1)))
def test_shape_op_grad(name, a):
    fn = SHAPE_OPS[name]
    check_op(fn, [a])
    if torch is not None and name not in ("broadcast_to", "clone"):
        tfn = {"split": lambda x: torch.split(x, 1, 0)[-1] * 3 + torch.split(x, 1, 0)[0],
               "cat": lambda x: torch.cat([x, x * 2], 0),
               "stack": lambda x: torch.stack([x, x.exp()], -1),
               "chunk": lambda x: torch.cat(list(x.chunk(2, -1))[::-1], -1),
               "T": lambda x: x.permute(*reversed(range(x.ndim)))}.get(name, fn)
        assert_parity(fn, tfn, [a])


def test_reshape_error_names_shapes():
    with pytest.raises(RuntimeError, match=r"shape '\[4\]' is invalid for input of size 6 "
                                           r"\(tensor of shape \(2, 3\)\)"):
        mg.zeros(2, 3).reshape(4)


# ------------------------------------------------------------------ indexing


@st.composite
def indexed(draw):
    shape = draw(shapes(min_dims=1, max_dims=3))
    a = draw(arrays(shape))
    kind = draw(st.sampled_from(["int", "slice", "none_ellipsis", "int_array", "bool_mask",
                                 "mixed"]))
    n0 = shape[0]
    if kind == "int":
        idx = draw(st.integers(-n0, n0 - 1))
    elif kind == "slice":
        idx = slice(draw(st.integers(0, n0)), None, draw(st.integers(1, 2)))
    elif kind == "none_ellipsis":
        idx = (None, Ellipsis, slice(0, 1))
    elif kind == "int_array":  # repeated indices must accumulate
        idx = np.array(draw(st.lists(st.integers(-n0, n0 - 1), min_size=1, max_size=6)))
    elif kind == "bool_mask":
        idx = a > 0
    else:
        idx = (slice(None), np.array([0, 0])) if len(shape) > 1 else np.array([0, 0])
    return a, idx


@given(ai=indexed())
def test_getitem_grad(ai):
    a, idx = ai
    check_op(lambda x: x[idx], [a])
    np.testing.assert_array_equal(mg.tensor(a)[idx].detach().numpy(), a[idx])
    if torch is not None:
        tidx = torch.tensor(idx) if isinstance(idx, np.ndarray) else (
            tuple(torch.tensor(i) if isinstance(i, np.ndarray) else i for i in idx)
            if isinstance(idx, tuple) else idx)
        assert_parity(lambda x: x[idx], lambda x: x[tidx], [a])


def test_repeated_indices_accumulate():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[mg.tensor([0, 0, 2, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), [3, 0, 1])


@given(data=st.data())
def test_gather_index_select_masked_fill_grad(data):
    shape = data.draw(shapes(min_dims=2, max_dims=3))
    a = data.draw(arrays(shape))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    n = shape[dim]
    idx_shape = tuple(data.draw(st.integers(1, s)) if i != dim % len(shape) else
                      data.draw(st.integers(1, 5)) for i, s in enumerate(shape))
    gidx = data.draw(arrays(idx_shape, np.int64, 0, n - 1))
    sel = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=5)))
    mask = data.draw(arrays(shape, np.float64)) > 0
    check_op(lambda x: x.gather(dim, gidx), [a])
    check_op(lambda x: x.index_select(dim, sel), [a])
    check_op(lambda x: x.masked_fill(mg.tensor(mask), -2.0), [a])
    if torch is not None:
        assert_parity(lambda x: x.gather(dim, gidx),
                      lambda x: x.gather(dim, torch.tensor(gidx)), [a])
        assert_parity(lambda x: x.index_select(dim, sel),
                      lambda x: x.index_select(dim, torch.tensor(sel)), [a])
        assert_parity(lambda x: x.masked_fill(mg.tensor(mask), -2.0),
                      lambda x: x.masked_fill(torch.tensor(mask), -2.0), [a])


def test_index_errors_are_clear():
    x = mg.zeros(3, 2)
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension with size 3"):
        x.index_select(0, mg.tensor([3]))
    with pytest.raises(IndexError, match=r"shape \(3, 2\)"):
        x[5]
    with pytest.raises(RuntimeError, match="masked_fill only supports boolean masks"):
        x.masked_fill(mg.zeros(3, 2), 1.0)


def test_comparisons_return_bool_tensors_without_grad():
    x = mg.tensor([1.0, -2.0], requires_grad=True)
    for r in (x > 0, x >= 0, x < 0, x <= 0, x == 1.0, x != 1.0):
        assert r.dtype == np.bool_ and not r.requires_grad


def test_dtype_rules():
    x = mg.tensor([1.0, 2.0])
    assert x.dtype == np.float32 and (x * 2.5).dtype == np.float32
    assert (x.double() + x).dtype == np.float64
    assert mg.tensor([1, 2]).dtype == np.int64
    assert mg.arange(3).dtype == np.int64 and mg.arange(0.0, 1.0, 0.5).dtype == np.float32
    y = mg.tensor([1.0], requires_grad=True)
    y.double().sum().backward()
    assert y.grad.dtype == np.float32
