"""Rearranging ops (minigrad/ops/movement.py, and narrow/select/unbind/movedim/unflatten/
view_as/reshape_as of Tensor): values, gradients, double backward equal torch's; gradcheck;
0-d and size-0 inputs; torch's exception types."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import needs_torch, torch
from hypothesis import given
from hypothesis import strategies as st
from test_ops_linalg import opinfo_parity, parity, raises_like, rnd

import minigrad as mg

shapes = st.lists(st.integers(0, 3), min_size=0, max_size=3).map(tuple)
shapes2d = st.lists(st.integers(0, 3), min_size=2, max_size=4).map(tuple)


def _dim(data, ndim):
    return data.draw(st.integers(-max(ndim, 1), max(ndim, 1) - 1))


@needs_torch
@given(shapes, st.data())
def test_flip(shape, data):
    ds = data.draw(st.lists(st.integers(0, max(len(shape), 1) - 1), unique=True,
                            max_size=max(len(shape), 1)))
    parity(lambda x: mg.flip(x, ds), lambda x: torch.flip(x, ds), [rnd(*shape)])
    parity(lambda x: x.flip(ds), lambda x: x.flip(ds), [rnd(*shape)], check=False)


@needs_torch
@given(shapes2d)
def test_fliplr_flipud_rot90(shape):
    parity(mg.fliplr, torch.fliplr, [rnd(*shape)])
    parity(mg.flipud, torch.flipud, [rnd(*shape)], check=False)
    for k in (-1, 0, 1, 2, 3, 5):
        parity(lambda x, k=k: x.rot90(k, (0, -1)), lambda x, k=k: x.rot90(k, (0, -1)),
               [rnd(*shape)], check=k == 1)


@needs_torch
@given(shapes, st.data())
def test_roll(shape, data):
    s = data.draw(st.integers(-5, 5))
    parity(lambda x: mg.roll(x, s), lambda x: torch.roll(x, s), [rnd(*shape)])
    if shape:
        d = _dim(data, len(shape))
        s2 = (s, -1) if len(shape) > 1 else (s,)
        d2 = (d, (d + 1) % len(shape)) if len(shape) > 1 else (d,)
        parity(lambda x: x.roll(s2, d2), lambda x: x.roll(s2, d2), [rnd(*shape)])


@needs_torch
@given(shapes, st.data())
def test_repeat_tile(shape, data):
    extra = data.draw(st.integers(0, 2))
    reps = data.draw(st.lists(st.integers(0, 3), min_size=len(shape) + extra,
                              max_size=len(shape) + extra))
    if reps:  # x.repeat() with no sizes is a TypeError in torch
        parity(lambda x: x.repeat(*reps), lambda x: x.repeat(*reps), [rnd(*shape)])
    short = reps[:data.draw(st.integers(0, len(reps)))]
    parity(lambda x: mg.tile(x, short), lambda x: torch.tile(x, short), [rnd(*shape)])


@needs_torch
@given(shapes, st.data())
def test_repeat_interleave(shape, data):
    r = data.draw(st.integers(0, 3))
    parity(lambda x: x.repeat_interleave(r), lambda x: x.repeat_interleave(r), [rnd(*shape)])
    if shape:
        d = _dim(data, len(shape))
        n = shape[d]
        rs = data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
        parity(lambda x: mg.repeat_interleave(x, mg.tensor(rs, dtype=mg.int64), d),
               lambda x: torch.repeat_interleave(x, torch.tensor(rs, dtype=torch.int64), d),
               [rnd(*shape)])
        parity(lambda x: x.repeat_interleave(mg.tensor([r]), d),
               lambda x: x.repeat_interleave(torch.tensor([r]), d), [rnd(*shape)], check=False)
        got = mg.repeat_interleave(mg.tensor(rs, dtype=mg.int64))
        assert got.tolist() == torch.repeat_interleave(torch.tensor(rs, dtype=torch.int64)).tolist()
        assert got.dtype == np.int64


@needs_torch
@given(shapes2d, st.integers(-4, 4))
def test_tril_triu(shape, k):
    parity(lambda x: mg.tril(x, k), lambda x: torch.tril(x, k), [rnd(*shape)])
    parity(lambda x: x.triu(k), lambda x: x.triu(k), [rnd(*shape)])


def test_tril_hides_nan_above():
    x = mg.tensor([[1.0, np.nan], [2.0, 3.0]])
    assert x.tril().tolist() == [[1.0, 0.0], [2.0, 3.0]]


@needs_torch
def test_tril_triu_inplace():
    a = rnd(3, 4)
    x, t = mg.tensor(a), torch.tensor(a)
    assert x.tril_(-1) is x and np.array_equal(x.numpy(), t.tril_(-1).numpy())
    assert np.array_equal(x.triu_(-1).numpy(), t.triu_(-1).numpy())


@needs_torch
@given(shapes2d, st.integers(-3, 3), st.data())
def test_diagonal(shape, off, data):
    n = len(shape)
    d1 = _dim(data, n)
    d2 = data.draw(st.sampled_from([d for d in range(-n, n) if d % n != d1 % n]))
    parity(lambda x: x.diagonal(off, d1, d2), lambda x: x.diagonal(off, d1, d2), [rnd(*shape)])
    parity(lambda x: mg.diagonal(x, off), lambda x: torch.diagonal(x, off), [rnd(*shape)],
           check=False)


@needs_torch
@given(st.integers(0, 4), st.integers(-3, 3))
def test_diag(n, k):
    parity(lambda x: mg.diag(x, k), lambda x: torch.diag(x, k), [rnd(n)])
    parity(lambda x: x.diag(k), lambda x: x.diag(k), [rnd(n, n + 1)])


@needs_torch
@given(st.lists(st.integers(0, 3), min_size=1, max_size=3).map(tuple), st.integers(-2, 2),
       st.data())
def test_diag_embed(shape, off, data):
    n = len(shape) + 1
    d1 = _dim(data, n)
    d2 = data.draw(st.sampled_from([d for d in range(-n, n) if d % n != d1 % n]))
    parity(lambda x: x.diag_embed(off, d1, d2), lambda x: x.diag_embed(off, d1, d2),
           [rnd(*shape)])


@needs_torch
@given(st.lists(shapes, min_size=1, max_size=3))
def test_broadcast_tensors(shps):
    try:
        np.broadcast_shapes(*shps)
    except ValueError:
        raises_like(mg.broadcast_tensors, torch.broadcast_tensors, *[rnd(*s) for s in shps])
        return
    parity(mg.broadcast_tensors, torch.broadcast_tensors, [rnd(*s) for s in shps])


@needs_torch
@given(st.lists(st.integers(0, 3), min_size=1, max_size=3), st.sampled_from(["ij", "xy"]))
def test_meshgrid(sizes, indexing):
    parity(lambda *xs: mg.meshgrid(*xs, indexing=indexing),
           lambda *xs: torch.meshgrid(*xs, indexing=indexing), [rnd(n) for n in sizes])
    parity(lambda x, y: mg.meshgrid(x, y, indexing=indexing),
           lambda x, y: torch.meshgrid(x, y, indexing=indexing), [rnd(), rnd(2)], check=False)


# ---------------------------------------------------------------------------- existing methods

@needs_torch
@given(st.lists(st.integers(0, 3), min_size=1, max_size=3).map(tuple), st.data())
def test_narrow_select_unbind(shape, data):
    d = _dim(data, len(shape))
    n = shape[d]
    start = data.draw(st.integers(-n, n))
    length = data.draw(st.integers(0, n - (start % n if n and start < n else start)))
    parity(lambda x: x.narrow(d, start, length), lambda x: x.narrow(d, start, length),
           [rnd(*shape)])
    if n:
        i = data.draw(st.integers(-n, n - 1))
        parity(lambda x: x.select(d, i), lambda x: x.select(d, i), [rnd(*shape)])
        parity(lambda x: x.unbind(d), lambda x: x.unbind(d), [rnd(*shape)])


@needs_torch
@given(shapes, st.data())
def test_movedim(shape, data):
    n = len(shape)
    k = data.draw(st.integers(0, n))
    src = data.draw(st.permutations(range(n)))[:k]
    dst = data.draw(st.permutations(range(n)))[:k]
    parity(lambda x: x.movedim(src, dst), lambda x: x.movedim(src, dst), [rnd(*shape)])
    if not n:
        parity(lambda x: x.movedim(0, -1), lambda x: x.movedim(0, -1), [rnd()])


@needs_torch
@given(st.integers(0, 3), st.integers(1, 3), st.booleans())
def test_unflatten_view_as_reshape_as(a, b, infer):
    sizes = (a, -1) if infer and a else (a, b)
    parity(lambda x: x.unflatten(1, sizes), lambda x: x.unflatten(1, sizes), [rnd(2, a * b, 2)])
    other = rnd(a * b, 2)
    parity(lambda x: x.view_as(mg.tensor(other)), lambda x: x.view_as(torch.tensor(other)),
           [rnd(2, a, b)])
    parity(lambda x: x.reshape_as(mg.tensor(other)), lambda x: x.reshape_as(torch.tensor(other)),
           [rnd(2, a, b)], check=False)


# ---------------------------------------------------------------------------- errors

ERRORS = [
    (lambda lib, x: x.flip(0, 0), (3, 4)), (lambda lib, x: x.flip(2), (3, 4)),
    (lambda lib, x: x.roll((1, 2), (0,)), (3, 4)), (lambda lib, x: x.roll(1, 0), ()),
    (lambda lib, x: x.repeat(2), (3, 4)), (lambda lib, x: x.repeat(-1, 2), (3, 4)),
    (lambda lib, x: x.repeat_interleave(-1), (3, 4)),
    (lambda lib, x: x.repeat_interleave(lib.tensor([1, 2]), 0), (3, 4)),
    (lambda lib, x: x.repeat_interleave(lib.tensor([1, 2, -1]), 0), (3, 4)),
    (lambda lib, x: x.repeat_interleave(lib.tensor([[1, 2, 1]]), 0), (3, 4)),
    (lambda lib, x: x.repeat_interleave(2, 0), ()),
    (lambda lib, x: x.tril(), (3,)), (lambda lib, x: x.triu(), ()),
    (lambda lib, x: x.diagonal(0, 1, 1), (3, 4)), (lambda lib, x: x.diagonal(), ()),
    (lambda lib, x: x.diagonal(0, 0, 2), (3, 4)),
    (lambda lib, x: lib.diag(x), (2, 3, 4)), (lambda lib, x: lib.diag(x), ()),
    (lambda lib, x: x.rot90(1, [0, 0]), (3, 4)), (lambda lib, x: x.rot90(1, [0]), (3, 4)),
    (lambda lib, x: x.rot90(), (3,)), (lambda lib, x: lib.fliplr(x), (3,)),
    (lambda lib, x: lib.broadcast_tensors(x, lib.ones(2, 1)), (3, 4)),
    (lambda lib, x: lib.meshgrid(x, indexing="ij"), (2, 2)),
    (lambda lib, x: x.narrow(0, 2, 2), (3, 4)), (lambda lib, x: x.narrow(0, -4, 1), (3, 4)),
    (lambda lib, x: x.narrow(0, 0, 1), ()), (lambda lib, x: x.select(0, 3), (3, 4)),
    (lambda lib, x: x.select(0, 0), ()), (lambda lib, x: x.unbind(0), ()),
    (lambda lib, x: x.unbind(2), (3, 4)),
    (lambda lib, x: x.movedim((0, 0), (1, 0)), (3, 4)),
    (lambda lib, x: x.movedim((0, 1), (1,)), (3, 4)),
    (lambda lib, x: x.unflatten(0, (4, -1)), (6, 4)),
    (lambda lib, x: x.unflatten(0, (2, 2)), (6, 4)), (lambda lib, x: x.unflatten(0, ()), (6, 4)),
    (lambda lib, x: x.view_as(lib.ones(3, 7)), (6, 4)),
]


@needs_torch
@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_errors(k):
    fn, shape = ERRORS[k]
    raises_like(lambda x: fn(mg, x), lambda x: fn(torch, x), rnd(*shape))


def test_not_a_tensor_is_a_type_error():
    with pytest.raises(TypeError):
        mg.flip([1.0, 2.0], (0,))
    with pytest.raises(TypeError):
        mg.ones(2).flip(0.5)


@needs_torch
def test_torch_opinfo_samples():
    names = {"flip", "fliplr", "flipud", "roll", "repeat", "repeat_interleave", "tile",
             "tril", "triu", "diagonal", "diag", "diag_embed", "rot90", "broadcast_tensors",
             "meshgrid", "narrow", "select", "unbind", "movedim", "unflatten", "view_as",
             "reshape_as"}
    assert opinfo_parity(names) >= 247  # samples compared in torch 2.13
