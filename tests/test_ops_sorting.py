"""Sorting, selection, scans, products and norms (minigrad/ops/sorting.py): gradcheck over
random shapes (size-0, size-1, 0-d) and dims, values, indices, gradients and double backward
equal to torch's, zeros in cumprod/prod, ties and NaN, dtypes and torch's errors."""
import numpy as np
import pytest
from conftest import needs_torch, torch
from hypothesis import given
from hypothesis import strategies as st
from test_ops_pointwise import assert_torch_parity

import minigrad as mg
from minigrad.testing import arrays, shapes


def distinct(a):
    """Values with every pair at least 0.3 apart (ranks * 0.37, plus a little of ``a``), so
    sorting is unambiguous and finite differences never swap two elements."""
    a = np.asarray(a, np.float64)
    ranks = np.argsort(np.argsort(a.reshape(-1), kind="stable"), kind="stable")
    return (ranks.reshape(a.shape) * 0.37 - 1.0 + 0.01 * a).astype(np.float64)


@st.composite
def array_and_dim(draw, min_side=0):
    """An array (0-d allowed) and a valid single dim for it (0 or -1 on 0-d)."""
    shape = draw(shapes(0, 3, min_side=min_side))
    n = max(len(shape), 1)
    return draw(arrays(st.just(shape))), draw(st.integers(-n, n - 1))


def _size(shape, d):
    return shape[d] if shape else 1


# name -> (minigrad fn of (x, dim), torch fn of (t, dim), needs a non-empty dim)
SELECT = {
    "sort": (lambda x, d: x.sort(d).values, lambda t, d: t.sort(d).values, False),
    "sort_desc": (lambda x, d: mg.sort(x, d, descending=True)[0],
                  lambda t, d: torch.sort(t, d, descending=True)[0], False),
    "msort": (lambda x, d: mg.msort(x) if x.ndim else x.sort(0).values,
              lambda t, d: torch.msort(t) if t.ndim else t.sort(0).values, False),
    "topk2": (lambda x, d: x.topk(min(2, _size(x.shape, d)), d).values,
              lambda t, d: t.topk(min(2, _size(tuple(t.shape), d)), d).values, False),
    "topk_smallest": (lambda x, d: mg.topk(x, 1, d, largest=False).values,
                      lambda t, d: torch.topk(t, 1, d, largest=False).values, True),
    "kthvalue": (lambda x, d: x.kthvalue(_size(x.shape, d), d).values,
                 lambda t, d: t.kthvalue(_size(tuple(t.shape), d), d).values, True),
    "kthvalue_keepdim": (lambda x, d: mg.kthvalue(x, 1, d, keepdim=True).values,
                         lambda t, d: torch.kthvalue(t, 1, d, keepdim=True).values, True),
    "median_dim": (lambda x, d: x.median(d).values, lambda t, d: t.median(d).values, True),
    "median_keepdim": (lambda x, d: mg.median(x, d, keepdim=True)[0],
                       lambda t, d: torch.median(t, d, keepdim=True)[0], True),
}


def _select_case(name, ad):
    a, d = ad
    a = distinct(a)
    if SELECT[name][2] and a.ndim and a.shape[d] == 0:
        a = np.ones(a.shape[:d % a.ndim] + (2,) + a.shape[d % a.ndim + 1:]) * distinct(
            np.arange(2.0)).reshape((1,) * (d % a.ndim) + (2,) + (1,) * (a.ndim - d % a.ndim - 1))
        a = distinct(a + np.arange(a.size).reshape(a.shape) * 0.01)
    return a, d


@pytest.mark.parametrize("name", sorted(SELECT))
@given(ad=array_and_dim())
def test_selection_gradcheck(name, ad):
    a, d = _select_case(name, ad)
    fn = SELECT[name][0]
    assert mg.gradcheck(lambda x: fn(x, d), [mg.tensor(a, requires_grad=True)])


@needs_torch
@pytest.mark.parametrize("name", sorted(SELECT))
@given(ad=array_and_dim())
def test_selection_matches_torch(name, ad):
    a, d = _select_case(name, ad)
    fn, tfn, _ = SELECT[name]
    assert_torch_parity(lambda x: fn(x, d), lambda t: tfn(t, d), [a])


@needs_torch
@given(ad=array_and_dim(), descending=st.booleans())
def test_sort_indices_match_torch(ad, descending):
    a, d = ad
    a = distinct(a)
    got, want = mg.sort(mg.tensor(a), d, descending), torch.sort(torch.tensor(a), d, descending)
    np.testing.assert_array_equal(got.indices.numpy(), want.indices.numpy())
    assert got.indices.dtype == np.int64 and not got.indices.requires_grad
    np.testing.assert_array_equal(mg.argsort(mg.tensor(a), d, descending).numpy(),
                                  torch.argsort(torch.tensor(a), d, descending).numpy())
    k = _size(a.shape, d)
    for largest in (True, False):
        got, want = mg.topk(mg.tensor(a), k, d, largest), torch.topk(torch.tensor(a), k, d, largest)
        np.testing.assert_array_equal(got.indices.numpy(), want.indices.numpy())


@needs_torch
@pytest.mark.parametrize("descending", [False, True])
def test_stable_sort_with_ties_and_nan_matches_torch(descending):
    a = np.array([[2.0, np.nan, 1.0, 2.0, -np.inf, 1.0, np.nan, np.inf, 0.0, -0.0, 2.0]])
    got = mg.tensor(a).sort(dim=1, descending=descending, stable=True)
    want = torch.tensor(a).sort(dim=1, descending=descending, stable=True)
    np.testing.assert_array_equal(got.values.numpy(), want.values.numpy())
    np.testing.assert_array_equal(got.indices.numpy(), want.indices.numpy())
    i = np.array([3, 1, 3, 0, 1, 3], np.int32)
    got, want = mg.tensor(i).sort(descending=descending), torch.tensor(i).sort(
        descending=descending, stable=True)
    np.testing.assert_array_equal(got.indices.numpy(), want.indices.numpy())
    assert got.values.dtype == np.int32
    b = np.array([True, False, True])
    np.testing.assert_array_equal(mg.tensor(b).sort(stable=True).indices.numpy(),
                                  torch.tensor(b).sort(stable=True).indices.numpy())


@needs_torch
def test_median_matches_torch_with_ties_nan_and_empty():
    for a in ([3.0, 1.0, 2.0, 2.0], [1.0, 2.0], [[5.0, 5.0], [1.0, 5.0]], 7.0):
        assert_torch_parity(lambda x: x.median(), lambda t: t.median(), [np.array(a)])
    a = np.array([[1.0, np.nan, 2.0, np.nan], [3.0, 1.0, 2.0, 0.0]])
    got, want = mg.tensor(a).median(1), torch.tensor(a).median(1)
    np.testing.assert_array_equal(got.values.numpy(), want.values.numpy())
    np.testing.assert_array_equal(got.indices.numpy(), want.indices.numpy())
    assert np.isnan(mg.tensor(a).median().item())
    assert np.isnan(mg.tensor(np.zeros(0)).median().item())
    with pytest.raises(IndexError, match="non-zero size"):
        mg.zeros(2, 0).median(1)
    x = mg.tensor([[1.0, np.nan, 2.0]], requires_grad=True)
    x.median().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 1.0, 0.0]])


@needs_torch
def test_zero_dim_and_empty_shapes_match_torch():
    s, t = mg.tensor(3.5), torch.tensor(3.5)
    for d in (0, -1):
        for fn in (lambda x, d=d: x.sort(d), lambda x, d=d: x.topk(1, d),
                   lambda x, d=d: x.kthvalue(1, d), lambda x, d=d: x.median(d),
                   lambda x, d=d: x.topk(1, d, largest=False)):
            got, want = fn(s), fn(t)
            assert got.values.shape == tuple(want.values.shape) == ()
            assert got.indices.shape == tuple(want.indices.shape) == ()
        assert s.cumsum(d).shape == s.cumprod(d).shape == s.argsort(d).shape == ()
        assert s.prod(d).shape == ()
    e, te = mg.zeros(2, 0, 3), torch.zeros(2, 0, 3)
    assert e.sort(1).values.shape == tuple(te.sort(1).values.shape)
    assert e.topk(0, 1).values.shape == tuple(te.topk(0, 1).values.shape)
    assert e.cumsum(1).shape == (2, 0, 3) and e.prod(1).shape == (2, 3)
    np.testing.assert_array_equal(e.prod(1).numpy(), te.prod(1).numpy())
    np.testing.assert_array_equal(e.norm(dim=1).numpy(), te.norm(dim=1).numpy())


def test_selection_errors_like_torch():
    x = mg.tensor([[1.0, 2.0, 3.0]])
    with pytest.raises(RuntimeError, match="k out of range"):
        x.topk(4)
    with pytest.raises(RuntimeError, match="out of range"):
        x.kthvalue(0)
    with pytest.raises(RuntimeError, match="out of range"):
        x.kthvalue(4)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.sort(2)
    with pytest.raises(IndexError, match="Dimension out of range"):
        mg.tensor(1.0).sort(1)
    with pytest.raises(TypeError, match="k must be an int"):
        x.topk(1.5)
    with pytest.raises(TypeError, match="dim"):
        x.cumsum()
    with pytest.raises(TypeError, match="Tensor"):
        mg.sort([1.0, 2.0])


# ---------------------------------------------------------------------------- scans, products
def with_zeros(a, pattern):
    """``a`` with zeros written at the positions ``pattern`` (a bool array) marks."""
    a = np.array(a, np.float64)
    a[np.broadcast_to(pattern, a.shape) | (np.abs(a) < 0.1)] = 0.0  # no tiny nonzeros: y / x
    return a                                                       # would cancel catastrophically


@st.composite
def array_dim_zeros(draw):
    a, d = draw(array_and_dim())
    zeros = draw(arrays(st.just(a.shape), dtype=np.int64, min_value=0, max_value=3)) == 0
    return with_zeros(a, zeros), d


SCANS = {
    "cumsum": (lambda x, d: x.cumsum(d), lambda t, d: t.cumsum(d)),
    "cumprod": (lambda x, d: mg.cumprod(x, d), lambda t, d: torch.cumprod(t, d)),
    "prod_dim": (lambda x, d: x.prod(d), lambda t, d: t.prod(d)),
    "prod_keepdim": (lambda x, d: mg.prod(x, d, keepdim=True), lambda t, d: t.prod(d, True)),
    "prod_all": (lambda x, d: x.prod(), lambda t, d: t.prod()),
    "logcumsumexp": (lambda x, d: mg.logcumsumexp(x, d), lambda t, d: t.logcumsumexp(d)),
}


@pytest.mark.parametrize("name", sorted(SCANS))
@given(ad=array_dim_zeros())
def test_scan_and_prod_gradcheck_with_zeros(name, ad):
    a, d = ad
    fn = SCANS[name][0]
    assert mg.gradcheck(lambda x: fn(x, d), [mg.tensor(a, requires_grad=True)])


@needs_torch
@pytest.mark.parametrize("name", sorted(SCANS))
@given(ad=array_dim_zeros())
def test_scan_and_prod_match_torch_with_zeros(name, ad):
    a, d = ad
    fn, tfn = SCANS[name]
    assert_torch_parity(lambda x: fn(x, d), lambda t: tfn(t, d), [a])


@needs_torch
@pytest.mark.parametrize("zeros", [[], [2], [0], [4], [1, 3], [0, 4], [1, 2, 3]])
def test_cumprod_and_prod_double_backward_at_zeros_match_torch(zeros):
    a = np.array([[1.5, -0.7, 2.0, 0.9, -1.2]])
    a[0, zeros] = 0.0
    for fn, tfn in [(lambda x: x.cumprod(1), lambda t: t.cumprod(1)),
                    (lambda x: x.prod(1), lambda t: t.prod(1)),
                    (lambda x: x.prod(), lambda t: t.prod())]:
        assert_torch_parity(fn, tfn, [a])


@needs_torch
@pytest.mark.parametrize("dtype", ["int32", "int64", "bool", "float32"])
def test_scan_dtypes_match_torch(dtype):
    a = np.array([[1, 0, 3], [2, 2, 1]]).astype(dtype)
    x, t = mg.tensor(a), torch.tensor(a)
    for fn in (lambda v: v.cumsum(1), lambda v: v.cumprod(0), lambda v: v.prod(),
               lambda v: v.prod(1, keepdim=True), lambda v: v.cumsum(1, dtype=mg.float64
                                                                     if isinstance(v, mg.Tensor)
                                                                     else torch.float64)):
        got, want = fn(x), fn(t)
        assert str(got.dtype) == str(want.dtype).removeprefix("torch.")
        np.testing.assert_allclose(got.numpy(), want.numpy())


# ---------------------------------------------------------------------------- norms
ORDS = [2, 1, 3, 1.5, 0.5, -1.0, np.inf, -np.inf, 0]


@st.composite
def norm_case(draw):
    shape = draw(shapes(0, 3, min_side=1))
    a = distinct(draw(arrays(st.just(shape))))
    a = np.where(np.abs(a) < 0.1, a + 0.2, a)  # |x|^(p-1) is smooth away from 0
    n = len(shape)
    dim = draw(st.one_of(st.none(), st.integers(-max(n, 1), max(n, 1) - 1),
                         st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True)
                         .map(tuple) if n else st.none()))
    return a, dim, draw(st.booleans())


@pytest.mark.parametrize("ord", ORDS)
@given(case=norm_case())
def test_vector_norm_gradcheck(ord, case):
    a, dim, keepdim = case
    fn = lambda x: mg.linalg.vector_norm(x, ord, dim, keepdim)  # noqa: E731
    assert mg.gradcheck(fn, [mg.tensor(a, requires_grad=True)])


@needs_torch
@pytest.mark.parametrize("ord", ORDS)
@given(case=norm_case())
def test_vector_norm_matches_torch(ord, case):
    a, dim, keepdim = case
    assert_torch_parity(lambda x: mg.linalg.vector_norm(x, ord, dim, keepdim),
                        lambda t: torch.linalg.vector_norm(t, ord, dim, keepdim), [a])
    if not np.isinf(ord) and ord > 0:
        assert_torch_parity(lambda x: x.norm(ord, dim, keepdim),
                            lambda t: t.norm(ord, dim, keepdim), [a])


@needs_torch
@pytest.mark.parametrize("ord", [2, 1, 3, 1.5, np.inf, 0])
def test_norm_subgradient_at_zero_matches_torch(ord):
    a = np.array([[0.0, 0.0, 0.0], [0.0, 3.0, -4.0]])
    assert_torch_parity(lambda x: mg.linalg.vector_norm(x, ord, 1),
                        lambda t: torch.linalg.vector_norm(t, ord, 1), [a], double=False)
    assert_torch_parity(lambda x: x.norm(), lambda t: t.norm(), [np.zeros((2, 2))], double=False)


@needs_torch
def test_norm_defaults_dtypes_and_errors_like_torch():
    a = np.array([[3.0, -4.0], [1.0, 2.0]], np.float32)
    np.testing.assert_allclose(mg.tensor(a).norm().numpy(), torch.tensor(a).norm().numpy())
    np.testing.assert_allclose(mg.tensor(a).norm("fro", (0, 1)).numpy(),
                               torch.tensor(a).norm("fro", (0, 1)).numpy())
    assert mg.tensor(a).norm().dtype == np.float32
    assert mg.linalg.vector_norm(mg.tensor(a), dtype=mg.float64).dtype == np.float64
    with pytest.raises(RuntimeError, match="floating point"):
        mg.linalg.vector_norm(mg.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="inf norm on an empty tensor"):
        mg.linalg.vector_norm(mg.zeros(0), np.inf)
    with pytest.raises(IndexError, match="Dimension out of range"):
        mg.tensor(a).norm(dim=2)
    with pytest.raises(NotImplementedError, match="nuc"):
        mg.tensor(a).norm("nuc")


@needs_torch
def test_logcumsumexp_large_values_and_errors_like_torch():
    a = np.array([[800.0, -700.0, 805.0, 0.0], [-np.inf, 1.0, -np.inf, 2.0]])
    assert_torch_parity(lambda x: x.logcumsumexp(1), lambda t: t.logcumsumexp(1), [a[:1]])
    np.testing.assert_allclose(mg.tensor(a).logcumsumexp(1).numpy(),
                               torch.tensor(a).logcumsumexp(1).numpy(), rtol=1e-14)
    with pytest.raises(NotImplementedError, match="logcumsumexp"):
        mg.tensor([1, 2]).logcumsumexp(0)
