"""Writing and reading by index (minigrad/ops/scatter.py): values, gradients and double
backward equal torch's; gradcheck on random shapes incl. 0-d and size 0; out-of-range indices
raise torch's exception types (never numpy's wraparound)."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import needs_torch, torch
from hypothesis import given
from hypothesis import strategies as st
from test_ops_linalg import opinfo_parity, parity, raises_like, rnd

import minigrad as mg

shapes = st.lists(st.integers(0, 3), min_size=0, max_size=3).map(tuple)


def _rng(data):
    return np.random.default_rng(data.draw(st.integers(0, 2 ** 16)))


def scatter_case(data, unique: bool):
    """(self shape, dim, index array, src shape = index shape) valid for torch.scatter."""
    shape = data.draw(shapes)
    n_dims = max(len(shape), 1)
    d = data.draw(st.integers(-n_dims, n_dims - 1))
    dd = d % n_dims
    full = shape if shape else (1,)
    ishape = [data.draw(st.integers(0 if shape else 1, n)) for n in full]
    n = full[dd]
    if shape:
        ishape[dd] = data.draw(st.integers(0, n if unique else (3 if n else 0)))
    rng = _rng(data)
    if unique:
        keys = rng.random(tuple(ishape[:dd]) + (n,) + tuple(ishape[dd + 1:]))
        idx = np.take(np.argsort(keys, axis=dd), np.arange(ishape[dd]), axis=dd)
    else:
        idx = rng.integers(0, max(n, 1), tuple(ishape))
    if not shape:
        idx = idx.reshape(())
    return shape, d, idx.astype(np.int64)


@needs_torch
@given(st.data())
def test_scatter_src(data):
    shape, d, idx = scatter_case(data, unique=True)
    parity(lambda x, s: x.scatter(d, mg.tensor(idx), s),
           lambda x, s: x.scatter(d, torch.tensor(idx), s), [rnd(*shape), rnd(*idx.shape) + 3])
    parity(lambda x: mg.scatter(x, d, mg.tensor(idx), 2.5),
           lambda x: torch.scatter(x, d, torch.tensor(idx), 2.5), [rnd(*shape)])


@needs_torch
@given(st.data())
def test_scatter_add(data):
    shape, d, idx = scatter_case(data, unique=False)
    parity(lambda x, s: x.scatter_add(d, mg.tensor(idx), s),
           lambda x, s: x.scatter_add(d, torch.tensor(idx), s), [rnd(*shape), rnd(*idx.shape)])
    parity(lambda x, s: mg.scatter_add(x, d, mg.tensor(idx), s),
           lambda x, s: torch.scatter_add(x, d, torch.tensor(idx), s),
           [rnd(*shape), rnd(*idx.shape)], check=False)


@needs_torch
@given(st.data(), st.sampled_from(["add", "multiply"]))
def test_scatter_reduce_values(data, reduce):
    """torch has no derivative for scatter(reduce=); minigrad's 'add' has scatter_add's."""
    shape, d, idx = scatter_case(data, unique=False)
    a, s = rnd(*shape), rnd(*idx.shape)
    got = mg.tensor(a).scatter(d, mg.tensor(idx), mg.tensor(s), reduce=reduce)
    want = torch.tensor(a).scatter(d, torch.tensor(idx), torch.tensor(s), reduce=reduce)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)
    got = mg.tensor(a).scatter(d, mg.tensor(idx), 1.5, reduce=reduce)
    want = torch.tensor(a).scatter(d, torch.tensor(idx), 1.5, reduce=reduce)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)
    if reduce == "add":
        xs = [mg.tensor(a, requires_grad=True), mg.tensor(s, requires_grad=True)]
        assert mg.gradcheck(lambda x, v: x.scatter(d, mg.tensor(idx), v, reduce="add"), xs)
        np.testing.assert_allclose(
            mg.grad(xs[0].scatter(d, mg.tensor(idx), xs[1], reduce="add").sum() * 2, xs[1])[0]
            .numpy(), 2 * np.ones(idx.shape))


def test_scatter_multiply_has_no_derivative():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x.scatter(0, mg.tensor([0]), mg.tensor([3.0]), reduce="multiply")
    assert y.tolist() == [3.0, 2.0]
    with pytest.raises(RuntimeError, match="not implemented"):
        y.sum().backward()


def test_scatter_src_larger_than_index():
    """torch's own backward fails here (a gradient of the index's shape for a larger src);
    minigrad gives src's unused elements a zero gradient."""
    x = mg.tensor(rnd(3, 3), requires_grad=True)
    s = mg.tensor(rnd(4, 4), requires_grad=True)
    idx = mg.tensor([[0, 1], [2, 0]])
    y = x.scatter(0, idx, s)
    assert np.array_equal(y.detach().numpy()[[0, 2], [0, 0]], s.detach().numpy()[[0, 1], [0, 0]])
    assert mg.gradcheck(lambda a, b: a.scatter(0, idx, b), [x, s])
    gs = mg.grad(y.sum(), s)[0].numpy()
    assert gs[:2, :2].tolist() == [[1, 1], [1, 1]] and not gs[2:].any() and not gs[:, 2:].any()


@needs_torch
def test_scatter_duplicates_follow_torch_gradient():
    """Two writers of one position: the value is one of them; each writer's gradient is
    gather(g) (torch's formula), so both get it."""
    x = mg.tensor(rnd(3), requires_grad=True)
    s = mg.tensor([1.0, 2.0], dtype=mg.float64, requires_grad=True)
    y = x.scatter(0, mg.tensor([1, 1]), s)
    assert y.detach().numpy()[1] in (1.0, 2.0)
    gx, gs = mg.grad((y * mg.tensor([1.0, 5.0, 7.0], dtype=mg.float64)).sum(), [x, s])
    tx = torch.tensor(rnd(3), requires_grad=True)
    ts = torch.tensor([1.0, 2.0], requires_grad=True)
    ty = tx.scatter(0, torch.tensor([1, 1]), ts)
    tgx, tgs = torch.autograd.grad((ty * torch.tensor([1.0, 5.0, 7.0])).sum(), [tx, ts])
    np.testing.assert_array_equal(gx.numpy(), tgx.numpy())
    np.testing.assert_array_equal(gs.numpy(), tgs.numpy())


def _index_case(data, unique: bool, negative: bool = False):
    shape = data.draw(shapes)
    n_dims = max(len(shape), 1)
    d = data.draw(st.integers(-n_dims, n_dims - 1))
    full = shape if shape else (1,)
    n = full[d % n_dims]
    rng = _rng(data)
    if not shape:  # a 0-d self takes one index
        idx = rng.integers(-1 if negative else 0, 1, 1)
    elif unique:
        idx = rng.permutation(n)[:data.draw(st.integers(0, n))]
    else:
        idx = rng.integers(-n if negative else 0, max(n, 1), data.draw(st.integers(0, 4))
                           if n else 0)
    src_shape = list(full)
    src_shape[d % n_dims] = len(idx)
    return shape, d, idx.astype(np.int64), tuple(src_shape) if shape else ((len(idx),) if
                                                                            len(idx) != 1 else ())


@needs_torch
@given(st.data(), st.sampled_from([1, 2.5]))
def test_index_add(data, alpha):
    shape, d, idx, sshape = _index_case(data, unique=False)
    parity(lambda x, s: x.index_add(d, mg.tensor(idx), s, alpha=alpha),
           lambda x, s: x.index_add(d, torch.tensor(idx), s, alpha=alpha),
           [rnd(*shape), rnd(*sshape)])


@needs_torch
@given(st.data())
def test_index_copy(data):
    shape, d, idx, sshape = _index_case(data, unique=True)
    parity(lambda x, s: x.index_copy(d, mg.tensor(idx), s),
           lambda x, s: x.index_copy(d, torch.tensor(idx), s), [rnd(*shape), rnd(*sshape)])


@needs_torch
@given(st.data())
def test_index_fill(data):
    shape, d, idx, _ = _index_case(data, unique=False, negative=True)
    parity(lambda x: x.index_fill(d, mg.tensor(idx), -1.5),
           lambda x: x.index_fill(d, torch.tensor(idx), -1.5), [rnd(*shape)])
    if len(idx):  # torch's backward fails for a tensor value and no or negative indices
        n = (shape[d] if shape else 1)
        parity(lambda x, v: mg.index_fill(x, d, mg.tensor(idx % n), v),
               lambda x, v: torch.index_fill(x, d, torch.tensor(idx % n), v),
               [rnd(*shape), rnd()])
        parity(lambda x, v: mg.index_fill(x, d, mg.tensor(idx), v),
               lambda x, v: torch.index_fill(x, d, torch.tensor(idx % n), v),
               [rnd(*shape), rnd()], check=False)


@needs_torch
@given(st.data())
def test_take_along_dim(data):
    shape = data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=3).map(tuple))
    d = data.draw(st.integers(-len(shape), len(shape) - 1))
    n = shape[d]
    ishape = [data.draw(st.sampled_from([1, s])) for s in shape]
    ishape[d] = data.draw(st.integers(0, 3)) if n else 0
    idx = _rng(data).integers(-n, max(n, 1), ishape)
    parity(lambda x: x.take_along_dim(mg.tensor(idx), d),
           lambda x: x.take_along_dim(torch.tensor(idx), d), [rnd(*shape)])
    flat = _rng(data).integers(0, max(int(np.prod(shape)), 1),
                               (data.draw(st.integers(0, 3)) if np.prod(shape) else 0,))
    parity(lambda x: mg.take_along_dim(x, mg.tensor(flat)),
           lambda x: torch.take_along_dim(x, torch.tensor(flat)), [rnd(*shape)])


@needs_torch
def test_take_along_dim_0d():
    raises_like(lambda x: x.take_along_dim(mg.tensor(0), 0),
                lambda x: x.take_along_dim(torch.tensor(0), 0), rnd())
    parity(lambda x: x.take_along_dim(mg.tensor(0)),
           lambda x: x.take_along_dim(torch.tensor(0)), [rnd()])


def test_out_of_range_always_raises():
    """torch 2.13 is inconsistent here (take_along_dim with a dim does not check bounds, and
    reads past the dim; index_add raises IndexError or RuntimeError depending on
    dtype): minigrad always checks."""
    x = mg.tensor(rnd(3, 4))
    for bad in ([[5]], [[-4]]):
        with pytest.raises(RuntimeError, match="out of bounds"):
            x.take_along_dim(mg.tensor(bad), 0)
    with pytest.raises(IndexError, match="out of bounds"):
        x.index_add(0, mg.tensor([5]), mg.ones(1, 4, dtype=mg.float64))


@needs_torch
@given(shapes, shapes, st.data())
def test_take(shape, ishape, data):
    n = int(np.prod(shape))
    idx = _rng(data).integers(-n, max(n, 1), ishape if n else (0,))
    parity(lambda x: x.take(mg.tensor(idx)), lambda x: x.take(torch.tensor(idx)), [rnd(*shape)])


@needs_torch
@given(shapes, st.data())
def test_masked_select_and_scatter(shape, data):
    mshape = tuple(data.draw(st.sampled_from([1, s])) for s in shape)[
        data.draw(st.integers(0, len(shape))):]
    mask = _rng(data).random(mshape) > 0.5
    parity(lambda x: x.masked_select(mg.tensor(mask)),
           lambda x: x.masked_select(torch.tensor(mask)), [rnd(*shape)])
    k = int(np.broadcast_to(mask, shape).sum())
    parity(lambda x, s: x.masked_scatter(mg.tensor(mask), s),
           lambda x, s: x.masked_scatter(torch.tensor(mask), s),
           [rnd(*shape), rnd(k + data.draw(st.integers(0, 2)))])


@needs_torch
@given(shapes, st.data())
def test_nonzero_argwhere(shape, data):
    a = (_rng(data).random(shape) > 0.5) * rnd(*shape)
    for as_tuple in (False, True):
        got = mg.tensor(a).nonzero(as_tuple=as_tuple)
        want = torch.tensor(a).nonzero(as_tuple=as_tuple)
        got, want = (got, want) if as_tuple else ((got,), (want,))
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.dtype == np.int64 and g.shape == tuple(w.shape)
            assert np.array_equal(g.numpy(), w.numpy())
    assert np.array_equal(mg.argwhere(mg.tensor(a)).numpy(), torch.argwhere(torch.tensor(a)))


@needs_torch
def test_inplace_forms_record_the_graph():
    a, s = rnd(3, 4), rnd(2, 4)
    idx = np.array([[2, 0, 1, 1], [0, 1, 2, 0]])
    for name, args in [("scatter_", (0, idx)), ("scatter_add_", (0, idx)),
                       ("index_add_", (0, np.array([2, 0]))),
                       ("index_copy_", (0, np.array([2, 0])))]:
        x, v = mg.tensor(a), mg.tensor(s, requires_grad=True)
        tx, tv = torch.tensor(a), torch.tensor(s, requires_grad=True)
        assert getattr(x, name)(args[0], mg.tensor(args[1]), v) is x
        getattr(tx, name)(args[0], torch.tensor(args[1]), tv)
        np.testing.assert_allclose(x.detach().numpy(), tx.detach().numpy())
        (x * x).sum().backward()
        (tx * tx).sum().backward()
        np.testing.assert_allclose(v.grad.numpy(), tv.grad.numpy())
    x, tx = mg.tensor(a), torch.tensor(a)
    x.index_fill_(1, mg.tensor([0, -1]), 7.0)
    tx.index_fill_(1, torch.tensor([0, -1]), 7.0)
    assert np.array_equal(x.numpy(), tx.numpy())
    m = a > 0
    x, tx = mg.tensor(a), torch.tensor(a)
    x.masked_scatter_(mg.tensor(m), mg.tensor(rnd(12)))
    tx.masked_scatter_(torch.tensor(m), torch.tensor(rnd(12)))
    assert np.array_equal(x.numpy(), tx.numpy())


# ---------------------------------------------------------------------------- errors

def _i(lib, v):
    return lib.tensor(v)


ERRORS = [
    lambda lib, x: x.scatter(0, _i(lib, [[5]]), lib.ones(3, 4, dtype=lib.float64)),
    lambda lib, x: x.scatter(0, _i(lib, [[-1]]), lib.ones(3, 4, dtype=lib.float64)),
    lambda lib, x: x.scatter(0, _i(lib, [[0.0]]), lib.ones(3, 4, dtype=lib.float64)),
    lambda lib, x: x.scatter(0, _i(lib, [0]), lib.ones(3, 4, dtype=lib.float64)),
    lambda lib, x: x.scatter(0, lib.zeros(4, 4, dtype=lib.long), lib.ones(3, 4, dtype=lib.float64)),
    lambda lib, x: x.scatter(0, lib.zeros(2, 2, dtype=lib.long), lib.ones(1, 1, dtype=lib.float64)),
    lambda lib, x: x.scatter(0, lib.zeros(2, 2, dtype=lib.long), lib.ones(2, 2, dtype=lib.float32)),
    lambda lib, x: x.scatter(0, _i(lib, [[0]]), lib.ones(3, 4, dtype=lib.float64), reduce="max"),
    lambda lib, x: x.scatter(2, _i(lib, [[0]]), 1.0),
    lambda lib, x: x.scatter_add(0, _i(lib, [[3]]), lib.ones(3, 4, dtype=lib.float64)),
    lambda lib, x: x.scatter_add(1, _i(lib, [[-1]]), lib.ones(3, 4, dtype=lib.float64)),
    lambda lib, x: x.index_add(0, _i(lib, [0]), lib.ones(2, 4, dtype=lib.float64)),
    lambda lib, x: x.index_add(0, _i(lib, [[0]]), lib.ones(1, 4, dtype=lib.float64)),
    lambda lib, x: x.index_copy(0, _i(lib, [3]), lib.ones(1, 4, dtype=lib.float64)),
    lambda lib, x: x.index_fill(0, _i(lib, [3]), 1.0),
    lambda lib, x: x.index_fill(0, _i(lib, [-4]), 1.0),
    lambda lib, x: x.index_fill(0, _i(lib, [0]), lib.ones(2, dtype=lib.float64)),
    lambda lib, x: x.take_along_dim(_i(lib, [0]), 0),
    lambda lib, x: x.take_along_dim(_i(lib, [-1])),
    lambda lib, x: x.take_along_dim(_i(lib, [12])),
    lambda lib, x: x.take(_i(lib, [12])), lambda lib, x: x.take(_i(lib, [-13])),
    lambda lib, x: x.masked_select(lib.ones(3, 4)),
    lambda lib, x: x.masked_select(lib.ones(2, 4, dtype=lib.bool)),
    lambda lib, x: x.masked_scatter(lib.ones(3, 4, dtype=lib.bool),
                                    lib.ones(5, dtype=lib.float64)),
]


@needs_torch
@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_errors(k):
    raises_like(lambda x: ERRORS[k](mg, x), lambda x: ERRORS[k](torch, x), rnd(3, 4))


def test_error_leaves_tensor_unchanged():
    x = mg.tensor(rnd(3, 4))
    before = x.numpy().copy()
    with pytest.raises(RuntimeError):
        x.scatter_(0, mg.tensor([[7]]), mg.ones(3, 4, dtype=mg.float64))
    with pytest.raises(IndexError):
        x.index_add_(0, mg.tensor([3]), mg.ones(1, 4, dtype=mg.float64))
    assert np.array_equal(x.numpy(), before)


@needs_torch
def test_torch_opinfo_samples():
    names = {"scatter", "scatter_add", "index_add", "index_fill", "index_copy",
             "take_along_dim", "masked_select", "masked_scatter", "nonzero", "argwhere", "take"}
    assert opinfo_parity(names) >= 90  # samples compared in torch 2.13


@needs_torch
def test_inplace_chain_on_a_graph_tensor():
    """scatter_, tril_ and index_add_ on a non-leaf: the history is rewritten as torch's."""
    a, s = rnd(3, 4), rnd(2, 4)
    idx = np.array([[2, 0, 1, 1], [0, 1, 2, 0]])
    grads = []
    for lib in (mg, torch):
        x = lib.tensor(a, requires_grad=True)
        v = lib.tensor(s, requires_grad=True)
        y = x * 2
        y.scatter_(0, lib.tensor(idx), v)
        y.tril_()
        y.index_add_(1, lib.tensor([0, 0]), lib.ones(3, 2, dtype=lib.float64) * v[0, 0])
        (y * y).sum().backward()
        grads.append((x.grad.numpy(), v.grad.numpy()))
    for g, tg in zip(*grads):
        np.testing.assert_allclose(g, tg, rtol=1e-12)
