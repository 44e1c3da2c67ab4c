"""Class 5 — numpy interop: numpy 2's ``__array__(dtype=None, copy=None)`` protocol (np.array
copies, np.asarray views), ufuncs and array functions on tensors, scalar conversion, and the
memory sharing of ``state_dict()`` values, compared with torch where it has the concept."""
import numpy as np
import pytest
from conftest import needs_torch, torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
import nn

DTYPES = [np.float32, np.float64, np.int64, np.int32, np.bool_]


@given(hnp.arrays(st.sampled_from(DTYPES), hnp.array_shapes(min_dims=0, max_dims=3,
                                                             min_side=0, max_side=4)))
def test_np_array_copies_and_np_asarray_views(a):
    t = mg.Tensor(a.copy())
    c = np.array(t)
    v = np.asarray(t)
    assert c.dtype == v.dtype == a.dtype and c.shape == v.shape == a.shape
    assert not np.shares_memory(c, t.numpy()) or a.size == 0
    assert np.shares_memory(v, t.numpy()) or a.size == 0
    np.testing.assert_array_equal(c, a)


@pytest.mark.parametrize("copy", [None, True, False])
@pytest.mark.parametrize("dtype", [None, np.float32, np.float64])
def test_array_protocol_copy_keyword_follows_numpy_2(copy, dtype):
    t = mg.ones(3)                                   # float32
    needs_copy = dtype is not None and np.dtype(dtype) != np.float32
    if copy is False and needs_copy:
        with pytest.raises(ValueError):
            np.array(t, dtype=dtype, copy=False)
        return
    a = np.array(t, dtype=dtype, copy=copy)
    shares = np.shares_memory(a, t.numpy())
    assert shares == (copy is not True and not needs_copy and copy is not None) or \
        (copy is None and shares == (not needs_copy))


def test_writes_through_asarray_are_seen_by_the_tensor():
    t = mg.zeros(3)
    np.asarray(t)[1] = 5
    np.testing.assert_array_equal(t.numpy(), [0, 5, 0])
    np.array(t)[0] = 9
    assert float(t[0]) == 0


@needs_torch
@pytest.mark.parametrize("value", [[2.5], 2.5, [[3]], [True]])
def test_scalar_conversions_match_torch(value):
    for conv in (float, int, bool):
        assert conv(mg.tensor(value)) == conv(torch.tensor(value))


@needs_torch
@pytest.mark.parametrize("conv", [float, int, bool])
def test_many_element_scalar_conversion_is_refused_like_torch(conv):
    with pytest.raises((RuntimeError, ValueError)) as theirs:
        conv(torch.tensor([1.0, 2.0]))
    with pytest.raises(theirs.type):
        conv(mg.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError):
        mg.tensor([1.0, 2.0]).item()


@needs_torch
@pytest.mark.parametrize("ufunc", [np.exp, np.tanh, np.sqrt, np.abs, np.negative])
def test_numpy_ufuncs_on_tensors_stay_differentiable(ufunc):
    x = mg.tensor([0.5, 1.5, 2.0], requires_grad=True)
    y = ufunc(x)
    assert isinstance(y, mg.Tensor) and y.grad_fn is not None
    y.sum().backward()
    tx = torch.tensor([0.5, 1.5, 2.0], requires_grad=True)
    {np.exp: torch.exp, np.tanh: torch.tanh, np.sqrt: torch.sqrt, np.abs: torch.abs,
     np.negative: torch.neg}[ufunc](tx).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6)


def test_ndarray_on_the_left_keeps_the_graph():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    for y in (np.ones(2) * x, np.ones(2) + x, np.ones(2) - x, np.full(2, 2.0) / x,
              np.ones((2, 2), np.float32) @ x):
        assert isinstance(y, mg.Tensor) and y.grad_fn is not None


@needs_torch
def test_mixed_numpy_scalar_promotion_matches_torch():
    for s in (np.float64(2.0), np.float32(2.0), np.int64(2), 2, 2.0, True):
        ours = (mg.ones(2) * s).dtype
        theirs = (torch.ones(2, dtype=torch.float32) * s).dtype
        assert str(ours).split(".")[-1] == str(theirs).split(".")[-1], s


@needs_torch
def test_state_dict_values_share_memory_with_parameters_like_torch():
    m, tm = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    sd, tsd = m.state_dict(), tm.state_dict()
    for k in ("weight", "bias"):
        assert not sd[k].requires_grad and not tsd[k].requires_grad
        assert np.shares_memory(sd[k].numpy(), getattr(m, k).detach().numpy())
    sd["weight"].zero_()
    tsd["weight"].zero_()
    assert float(m.weight.abs().sum()) == 0 and float(tm.weight.abs().sum()) == 0
    assert m.state_dict(keep_vars=True)["weight"] is m.weight


def test_read_only_arrays_refuse_in_place_writes_and_keep_their_values():
    a = np.broadcast_to(np.ones(1), (3,))
    t = mg.Tensor(a)
    with pytest.raises((ValueError, RuntimeError)):
        t.add_(1)
    np.testing.assert_array_equal(t.numpy(), [1, 1, 1])
    mg.tensor(a).add_(1)   # mg.tensor copies: writable


def test_non_contiguous_arrays_wrap_and_compute_correctly():
    a = np.arange(24.0).reshape(4, 6)[::2, ::3]
    t = mg.Tensor(a)
    np.testing.assert_array_equal((t * 2).numpy(), a * 2)
    np.testing.assert_array_equal((t @ t.T).numpy(), a @ a.T)
    np.testing.assert_array_equal(t.sum(0).numpy(), a.sum(0))


def test_tolist_and_item_return_python_scalars():
    t = mg.tensor([[1, 2], [3, 4]])
    assert t.tolist() == [[1, 2], [3, 4]] and type(t.tolist()[0][0]) is int
    assert type(mg.tensor(2.5).item()) is float
    assert type(mg.tensor(True).item()) is bool


def test_deliberate_difference_asarray_of_a_tensor_needing_grad():
    """torch refuses ``np.asarray(t)`` when t requires grad; minigrad returns the (shared)
    array, because the engine is numpy-first and API.md documents np.asarray as the view."""
    t = mg.ones(2, requires_grad=True)
    assert np.shares_memory(np.asarray(t), t.detach().numpy())
