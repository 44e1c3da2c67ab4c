"""Creation functions, dtype aliases and legacy constructors, checked against torch 2.13."""
import math
import warnings

import numpy as np
import pytest
from conftest import needs_torch, torch
from hypothesis import assume, given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.dtype_aliases import as_dtype
from minigrad.testing import shapes


@pytest.fixture
def torch_f32():
    """torch's own default dtype (float32) for the test; conftest sets float64."""
    if torch is not None:
        torch.set_default_dtype(torch.float32)
    yield
    if torch is not None:
        torch.set_default_dtype(torch.float64)


def _dtype_name(t) -> str:
    return str(t.dtype).replace("torch.", "") if torch is not None and isinstance(
        t, torch.Tensor) else np.dtype(t.dtype).name


def _same(m, t, exact=True, rtol=1e-6):
    """Same shape, dtype and values (exact, or within rtol for floats)."""
    assert tuple(m.shape) == tuple(t.shape)
    assert _dtype_name(m) == _dtype_name(t), (_dtype_name(m), _dtype_name(t))
    a, b = np.asarray(m.detach()), t.detach().numpy()
    if exact or a.dtype.kind != "f":
        np.testing.assert_array_equal(a, b)
    else:
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the error type is what we compare
        return type(e)
    return None


# ----------------------------------------------------------------------------- sizes


@given(shape=shapes(min_dims=0, max_dims=4, min_side=0, max_side=3))
def test_every_size_form_gives_the_same_shape(shape):
    forms = [mg.zeros(shape), mg.zeros(list(shape)), mg.zeros(mg.Size(shape)),
             mg.zeros(size=shape), mg.ones(shape), mg.empty(shape), mg.rand(shape),
             mg.randn(shape), mg.full(shape, 2.0), mg.randint(3, shape)]
    if shape:  # zeros() with no size at all is an error, as in torch
        forms += [mg.zeros(*shape), mg.randn(*shape), mg.ones(*[np.int64(s) for s in shape])]
    for t in forms:
        assert t.shape == tuple(shape)


@needs_torch
@pytest.mark.parametrize("args", [(-1, 2), (2.0,), (True,), (2, (3,)), ((2, None),),
                                  (np.array([2, 3]),), ((2, -3),)])
def test_bad_sizes_raise_torchs_error_type(args):
    for name in ("zeros", "ones", "empty", "rand", "randn"):
        expected = _error(lambda n=name: getattr(torch, n)(*args))
        assert expected is not None
        with pytest.raises(expected):
            getattr(mg, name)(*args)
    with pytest.raises(RuntimeError, match=r"negative dimension -1: \[-1, 2\]"):
        mg.zeros(-1, 2)


def test_size_is_required_and_given_once():
    with pytest.raises(TypeError, match="missing the size"):
        mg.zeros()
    with pytest.raises(TypeError, match="not both"):
        mg.zeros(2, size=(2,))
    with pytest.raises(TypeError, match="unexpected keyword argument 'shape'"):
        mg.ones(2, shape=(2,))
    assert mg.zeros(()).shape == () and mg.zeros([]).shape == ()


@needs_torch
def test_size_behaves_like_torch_size():
    for m, t in [(mg.Size([2, 3]), torch.Size([2, 3])), (mg.Size(), torch.Size())]:
        assert tuple(m) == tuple(t) and m.numel() == t.numel() and m == t
        assert type(m[1:]) is mg.Size and tuple(m[1:]) == tuple(t[1:])
        assert type(m + (4,)) is mg.Size and tuple(m + (4,)) == tuple(t + (4,))
        assert type((4,) + m) is mg.Size and tuple((4,) + m) == tuple((4,) + t)
        assert type(m * 2) is mg.Size and tuple(m * 2) == tuple(t * 2)
    assert repr(mg.Size([2, 3])) == "minigrad.Size([2, 3])"
    assert mg.Size(mg.tensor([2, 3])) == (2, 3)
    for bad in ([2.5], ["a"]):
        with pytest.raises(TypeError, match="iterable of ints"):
            mg.Size(bad)


# ----------------------------------------------------------------------------- dtypes


@needs_torch
@pytest.mark.parametrize("name", ["float16", "half", "float32", "float", "float64", "double",
                                  "uint8", "int8", "int16", "short", "int32", "int", "int64",
                                  "long", "bool"])
def test_dtype_aliases_name_torchs_dtypes(name):
    alias = getattr(mg, name)
    assert isinstance(alias, np.dtype)
    assert alias.name == str(getattr(torch, name)).replace("torch.", "")
    t = mg.zeros(2, dtype=alias)
    assert t.dtype == alias and t.dtype is alias


def test_as_dtype_reads_every_spelling_and_refuses_the_rest():
    for spelling, want in [(mg.float32, "float32"), (np.float64, "float64"), ("int32", "int32"),
                           (float, "float64"), (int, "int64"), (bool, "bool"),
                           (np.dtype("uint8"), "uint8")]:
        assert as_dtype(spelling).name == want
    assert as_dtype(None) is None and as_dtype(None, default=mg.long) is mg.long
    for bad in (complex, "foo", object, "U3"):
        with pytest.raises(TypeError, match=r"zeros\(dtype=\)"):
            mg.zeros(2, dtype=bad)


@needs_torch
def test_python_types_as_dtype_mean_what_torch_means():
    for py in (float, int, bool):
        assert _dtype_name(mg.zeros(2, dtype=py)) == _dtype_name(torch.zeros(2, dtype=py))


# ----------------------------------------------------------------------------- tensor()

DATA = {
    "int": lambda M: 3, "float": lambda M: 3.0, "bool": lambda M: True,
    "int_float": lambda M: [1, 2.5], "float_int": lambda M: [2.5, 1],
    "bool_int": lambda M: [True, 1], "empty": lambda M: [], "empty2": lambda M: [[]],
    "np_f64": lambda M: np.float64(1), "list_np_f64": lambda M: [np.float64(1)],
    "np_i32": lambda M: np.array([1, 2], np.int32), "np_arr_f64": lambda M: np.array([1., 2.]),
    "np_f32_py": lambda M: [np.float32(1), 2.0], "list_np_i32": lambda M: [np.int32(1)],
    "np_i32_py": lambda M: [np.int32(1), 2], "tuple": lambda M: (1, 2),
    "range": lambda M: range(3), "np_0d": lambda M: np.array(3.0),
    "np_i64": lambda M: np.int64(5), "np_bool": lambda M: np.bool_(True),
    "nan": lambda M: float("nan"), "np_i8": lambda M: np.array([1, 2], np.int8),
    "np_f16": lambda M: np.float16(1), "nested": lambda M: [[1, 2], [3, 4]],
    "nested_mixed": lambda M: [[1.5], [2]], "np_u8_py": lambda M: [np.uint8(3), 2],
    "tensors": lambda M: [M.tensor(1.), M.tensor(2.)],
    "tensor_f64": lambda M: [M.tensor(1., dtype=M.float64), 2.0],
    "tensor_i32": lambda M: M.tensor([1, 2], dtype=M.int32),
    "mixed_np_f32_i64": lambda M: [np.float32(1), np.int64(2)],
}


@needs_torch
@pytest.mark.parametrize("default", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(DATA))
def test_tensor_picks_torchs_dtype(name, default, torch_f32):
    mg.set_default_dtype(default)
    torch.set_default_dtype(getattr(torch, default))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # torch: "copy construct from a tensor"
            _same(mg.tensor(DATA[name](mg)), torch.tensor(DATA[name](torch)))
    finally:
        mg.set_default_dtype("float32")


@needs_torch
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int32", "bool", "uint8"])
def test_tensor_converts_to_the_requested_dtype_like_torch(dtype):
    for data in ([1.5, 2.5, 0.0], [[1, 0], [3, 4]], np.array([1.7, 0.2], np.float32)):
        _same(mg.tensor(data, dtype=getattr(mg, dtype)),
              torch.tensor(data, dtype=getattr(torch, dtype)))


@needs_torch
@pytest.mark.parametrize("data", ["a", [1, "a"], [[1, 2], [3]], None, [None], 2**63, [1, 2**63],
                                  np.array(["a"]), np.array([1], dtype=object)])
def test_bad_data_raises_torchs_error_type(data):
    expected = _error(lambda: torch.tensor(data))
    with pytest.raises(expected):
        mg.tensor(data)


def test_tensor_errors_say_what_to_do():
    with pytest.raises(ValueError, match="different lengths"):
        mg.tensor([[1, 2], [3]])
    with pytest.raises(RuntimeError, match="floating point dtype can require gradients"):
        mg.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="bools, ints and floats"):
        mg.tensor("abc")
    with pytest.raises(TypeError, match="bools, ints and floats"):
        mg.tensor(1 + 2j)  # torch has complex tensors; minigrad does not


def test_tensor_copies_and_as_tensor_shares():
    src = np.arange(3.0)
    t, a = mg.tensor(src), mg.as_tensor(src)
    src[0] = 9.0
    assert t.tolist()[0] == 0.0 and a.tolist()[0] == 9.0
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = mg.tensor(x)
    assert not y.requires_grad and y.is_leaf and y.tolist() == [1.0, 2.0]
    assert mg.as_tensor(x) is x
    assert mg.as_tensor(src, dtype=mg.float32).dtype == mg.float32
    assert mg.tensor([1.0], requires_grad=True).requires_grad


# ----------------------------------------------------------------------------- fills


@needs_torch
@pytest.mark.parametrize("value", [1, 1.5, True, np.float64(1.0), np.int32(1), float("inf"), -3])
def test_full_infers_torchs_dtype(value, torch_f32):
    _same(mg.full((2, 3), value), torch.full((2, 3), value))
    _same(mg.full((), value), torch.full((), value))
    _same(mg.full([2], value, dtype=mg.float64), torch.full([2], value, dtype=torch.float64))
    expected = _error(lambda: torch.full_like(torch.zeros(2, dtype=torch.long), value))
    if expected is not None:  # inf into int64
        with pytest.raises(expected, match="cannot be converted to int64"):
            mg.full_like(mg.zeros(2, dtype=mg.long), value)
    else:
        _same(mg.full_like(mg.zeros(2, dtype=mg.long), value),
              torch.full_like(torch.zeros(2, dtype=torch.long), value))


@needs_torch
def test_full_with_tensor_values_and_bad_sizes(torch_f32):
    for v in (1.5, 2):
        _same(mg.full((2,), mg.tensor(v)), torch.full((2,), torch.tensor(v)))
    with pytest.raises(_error(lambda: torch.full(2, 1.0)), match="tuple or list"):
        mg.full(2, 1.0)
    t = mg.full((2,), 1.5, requires_grad=True)
    assert t.requires_grad and t.is_leaf


@needs_torch
@pytest.mark.parametrize("fn", ["zeros_like", "ones_like", "empty_like", "rand_like",
                                "randn_like"])
@pytest.mark.parametrize("dtype", [None, "float64", "float32"])
def test_like_functions_keep_shape_and_dtype(fn, dtype, torch_f32):
    src_m, src_t = mg.zeros(2, 3, dtype=mg.float64), torch.zeros(2, 3, dtype=torch.float64)
    m = getattr(mg, fn)(src_m, dtype=None if dtype is None else getattr(mg, dtype))
    t = getattr(torch, fn)(src_t, dtype=None if dtype is None else getattr(torch, dtype))
    assert m.shape == tuple(t.shape) and _dtype_name(m) == _dtype_name(t)
    assert not m.requires_grad
    r = getattr(mg, fn)(src_m, requires_grad=True)
    assert r.requires_grad and r.is_leaf
    with pytest.raises(TypeError, match="must be a Tensor"):
        getattr(mg, fn)(np.zeros(2))


@needs_torch
def test_like_functions_of_integer_tensors(torch_f32):
    for fn in ("zeros_like", "ones_like", "empty_like"):
        m = getattr(mg, fn)(mg.zeros(2, dtype=mg.long))
        assert _dtype_name(m) == _dtype_name(getattr(torch, fn)(torch.zeros(2, dtype=torch.long)))
    _same(mg.ones_like(mg.zeros(2), dtype=mg.bool), torch.ones_like(torch.zeros(2),
                                                                  dtype=torch.bool))
    for fn in ("rand_like", "randn_like"):
        with pytest.raises(TypeError, match="floating dtype"):
            getattr(mg, fn)(mg.zeros(2, dtype=mg.long))


@needs_torch
@pytest.mark.parametrize("args", [(2,), (2, 3), (0,), (3, 1)])
def test_eye_matches_torch(args, torch_f32):
    _same(mg.eye(*args), torch.eye(*args))
    _same(mg.eye(*args, dtype=mg.long), torch.eye(*args, dtype=torch.long))
    with pytest.raises(_error(lambda: torch.eye(-1))):
        mg.eye(-1)


def test_default_dtype_reaches_every_float_creator():
    mg.set_default_dtype(np.float64)
    try:
        for t in (mg.zeros(2), mg.tensor([1.5]), mg.tensor(1.0), mg.arange(0.5), mg.rand(2),
                  mg.randn(2), mg.full((1,), 1.5), mg.linspace(0, 1, 3), mg.eye(2),
                  mg.normal(0.0, 1.0, (2,)), mg.logspace(0, 1, 2), mg.empty(1), mg.ones(1)):
            assert t.dtype == mg.float64
        assert mg.FloatTensor(2).dtype == mg.float32  # legacy types name their dtype
    finally:
        mg.set_default_dtype(np.float32)
    assert mg.zeros(2).dtype == mg.float32


# ----------------------------------------------------------------------------- ranges

ARANGE = [(5,), (5.0,), (0, 1, 0.25), (1, 4), (0, 1, 0.1), (0, -3, -1), (10, 0, -3),
          (0, 1e-3, 1e-4), (-1.0, 1.0, 0.1), (1, 2.5, 0.5), (np.int64(3),), (True,), (0, 0),
          (0.5, 3)]


@needs_torch
@pytest.mark.parametrize("args", ARANGE)
def test_arange_matches_torch(args, torch_f32):
    _same(mg.arange(*args), torch.arange(*args), exact=False)
    for dtype in ("float64", "int64", "float32"):
        expected = _error(lambda d=dtype: torch.arange(*args, dtype=getattr(torch, d)))
        if expected is not None:  # a float step that is 0 as an int
            with pytest.raises(expected, match="step"):
                mg.arange(*args, dtype=getattr(mg, dtype))
        else:
            _same(mg.arange(*args, dtype=getattr(mg, dtype)),
                  torch.arange(*args, dtype=getattr(torch, dtype)), exact=False)


@needs_torch
def test_arange_keywords_tensors_and_errors(torch_f32):
    _same(mg.arange(end=4), torch.arange(end=4))
    _same(mg.arange(start=1, end=4), torch.arange(start=1, end=4))
    _same(mg.arange(mg.tensor(3)), torch.arange(torch.tensor(3)))
    _same(mg.arange(mg.tensor(3.0)), torch.arange(torch.tensor(3.0)))
    for args in [(0, 3, 0), (0, 3, -1), (3, 0), (float("inf"),)]:
        with pytest.raises(_error(lambda a=args: torch.arange(*a))):
            mg.arange(*args)
    with pytest.raises(RuntimeError, match="only tensors of floating point"):
        mg.arange(5, requires_grad=True)
    assert mg.arange(5.0, requires_grad=True).requires_grad


@needs_torch
@given(start=st.floats(-50, 50), length=st.floats(0, 100), step=st.floats(0.01, 7),
       sign=st.sampled_from([1, -1]))
def test_arange_has_torchs_length_for_float_steps(start, length, step, sign):
    end = start + sign * length
    step = sign * step
    m = mg.arange(start, end, step, dtype=mg.float64)
    t = torch.arange(start, end, step, dtype=torch.float64)
    assert m.shape == tuple(t.shape)
    np.testing.assert_allclose(np.asarray(m), t.numpy(), rtol=1e-12, atol=1e-12)


@needs_torch
@given(start=st.integers(-1000, 1000), end=st.integers(-1000, 1000),
       step=st.integers(-50, 50).filter(bool))
def test_arange_with_integers_matches_torch_exactly(start, end, step):
    assume((step > 0 and end >= start) or (step < 0 and end <= start))
    _same(mg.arange(start, end, step), torch.arange(start, end, step))


@needs_torch
@pytest.mark.parametrize("args", [(0, 1, 5), (0, 1, 1), (0, 1, 0), (-3.5, 7, 12), (2, -2, 9),
                                  (0, 5, 6), (1e-3, 1e3, 7)])
@pytest.mark.parametrize("dtype", [None, "float64", "int64", "int32"])
def test_linspace_matches_torch(args, dtype, torch_f32):
    kw = {} if dtype is None else {"dtype": getattr(mg, dtype)}
    tkw = {} if dtype is None else {"dtype": getattr(torch, dtype)}
    _same(mg.linspace(*args, **kw), torch.linspace(*args, **tkw), exact=False)
    if dtype != "int32":
        _same(mg.logspace(*args[:2], min(args[2], 5), **kw),
              torch.logspace(*args[:2], min(args[2], 5), **tkw), exact=False, rtol=1e-5)


@needs_torch
def test_linspace_errors_and_integer_truncation(torch_f32):
    _same(mg.linspace(-1, 1, 7, dtype=mg.long), torch.linspace(-1, 1, 7, dtype=torch.long))
    _same(mg.linspace(0, 10, 4, dtype=mg.long), torch.linspace(0, 10, 4, dtype=torch.long))
    with pytest.raises(_error(lambda: torch.linspace(0, 1, -1)), match="non-negative"):
        mg.linspace(0, 1, -1)
    with pytest.raises(TypeError):
        mg.linspace(0, 1)
    assert mg.linspace(0, 1, 3, requires_grad=True).requires_grad


# ----------------------------------------------------------------------------- randint


def test_randint_forms_from_issue_11():
    mg.manual_seed(0)
    r = mg.randint(10, (3,))  # randint(high, size) used to fail
    assert r.shape == (3,) and r.dtype == mg.int64
    z = mg.randint(10, ())  # used to return garbage
    assert z.shape == () and z.dtype == mg.int64 and 0 <= z.item() < 10
    many = np.asarray(mg.randint(3, 10, (2000,)))
    assert many.min() == 3 and many.max() == 9
    assert set(np.asarray(mg.randint(2, (500,))).tolist()) == {0, 1}


@needs_torch
@pytest.mark.parametrize("call", [
    lambda M: M.randint(10, (3,)), lambda M: M.randint(10, ()), lambda M: M.randint(3, 10, (2,)),
    lambda M: M.randint(10, [2, 2]), lambda M: M.randint(0, 10, size=(3,)),
    lambda M: M.randint(10, size=(3,)), lambda M: M.randint(low=2, high=10, size=(3,)),
    lambda M: M.randint(high=10, size=(3,)), lambda M: M.randint(10, (2,), dtype=M.float32),
    lambda M: M.randint(np.int64(10), (3,)), lambda M: M.randint(M.tensor(10), (3,)),
    lambda M: M.randint(-5, 0, (3,)), lambda M: M.randint(0, 10, (2,), dtype=M.int32),
    lambda M: M.randint(10, M.Size([2])), lambda M: M.randint(0, 2**40, (2,)),
    lambda M: M.randint(0, 256, (4,), dtype=M.uint8),
])
def test_randint_shapes_and_dtypes_match_torch(call):
    m, t = call(mg), call(torch)
    assert m.shape == tuple(t.shape) and _dtype_name(m) == _dtype_name(t)


@needs_torch
@pytest.mark.parametrize("call", [
    lambda M: M.randint(10), lambda M: M.randint(10, 3), lambda M: M.randint(5, 5, (2,)),
    lambda M: M.randint(5, 3, (2,)), lambda M: M.randint(0, (2,)),
    lambda M: M.randint(10, (2,), dtype=M.bool), lambda M: M.randint(10, (2,), requires_grad=True),
    lambda M: M.randint(10, (-1,)), lambda M: M.randint(2.5, (3,)),
    lambda M: M.randint(0, 300, (2,), dtype=M.uint8),
])
def test_randint_errors_match_torch_and_draw_nothing(call):
    state = mg.get_rng_state()
    with pytest.raises(_error(lambda: call(torch))):
        call(mg)
    assert np.array_equal(mg.get_rng_state(), state)


@given(low=st.integers(-2**40, 2**40), span=st.integers(1, 2**40),
       shape=shapes(min_dims=0, max_dims=2, min_side=0, max_side=4))
def test_randint_values_lie_in_the_half_open_range(low, span, shape):
    r = mg.randint(low, low + span, shape)
    a = np.asarray(r)
    assert r.shape == tuple(shape) and r.dtype == mg.int64
    assert ((a >= low) & (a < low + span)).all()


@needs_torch
def test_randint_like_matches_torch():
    for args in [(10,), (3, 10)]:
        for src in ("float32", "int32"):
            m = mg.randint_like(mg.zeros(2, dtype=getattr(mg, src)), *args)
            t = torch.randint_like(torch.zeros(2, dtype=getattr(torch, src)), *args)
            assert m.shape == tuple(t.shape) and _dtype_name(m) == _dtype_name(t)
            assert (np.asarray(m) >= (0 if len(args) == 1 else 3)).all()
    assert mg.randint_like(mg.zeros(3), high=4).shape == (3,)
    assert mg.randint_like(mg.zeros(3), low=3, high=4).tolist() == [3.0, 3.0, 3.0]


# ------------------------------------------------------------------- rand, randn, randperm


def test_rand_and_randn_dtypes_ranges_and_moments():
    mg.manual_seed(0)
    u = np.asarray(mg.rand(20000, dtype=mg.float64))
    assert u.min() >= 0.0 and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.01
    z = np.asarray(mg.randn(20000))
    assert z.dtype == np.float32 and abs(z.mean()) < 0.03 and abs(z.std() - 1) < 0.03
    assert mg.randn(2, dtype=mg.float16).dtype == mg.float16
    for fn in (mg.rand, mg.randn):
        with pytest.raises(TypeError, match="floating dtype"):
            fn(2, dtype=mg.long)
        t = fn(2, 3, requires_grad=True, dtype=mg.float64)
        assert t.requires_grad and t.is_leaf and t.dtype == mg.float64


@needs_torch
def test_randperm_is_a_permutation_with_torchs_dtypes():
    for n in (0, 1, 7):
        p = mg.randperm(n)
        assert sorted(p.tolist()) == list(range(n))
        assert _dtype_name(p) == _dtype_name(torch.randperm(n))
    assert _dtype_name(mg.randperm(4, dtype=mg.float32)) == "float32"
    for bad in (-1, 4.0):
        with pytest.raises(_error(lambda b=bad: torch.randperm(b))):
            mg.randperm(bad)
    with pytest.raises(RuntimeError, match="floating point"):
        mg.randperm(4, requires_grad=True)


# ----------------------------------------------------------------------------- normal


@needs_torch
@pytest.mark.parametrize("call", [
    lambda M: M.normal(0., 1., (2, 3)), lambda M: M.normal(0., 1., size=(2,)),
    lambda M: M.normal(M.zeros(3), M.ones(3)), lambda M: M.normal(M.zeros(3), 1.),
    lambda M: M.normal(0., M.ones(3)), lambda M: M.normal(M.zeros(2, 1), M.ones(3)),
    lambda M: M.normal(0, 1, (2,)), lambda M: M.normal(M.zeros(3, dtype=M.float64), 1.),
    lambda M: M.normal(2, 3, size=(2,), dtype=M.float64),
    lambda M: M.normal(M.zeros(3), M.ones(3, dtype=M.float64)),
])
def test_normal_forms_match_torch(call, torch_f32):
    m, t = call(mg), call(torch)
    assert m.shape == tuple(t.shape) and _dtype_name(m) == _dtype_name(t)


@needs_torch
@pytest.mark.parametrize("call", [
    lambda M: M.normal(0., -1., (2,)), lambda M: M.normal(M.zeros(3), -M.ones(3)),
    lambda M: M.normal(0., 1.), lambda M: M.normal(M.zeros(3), M.ones(2)),
])
def test_normal_errors_match_torch(call, torch_f32):
    with pytest.raises(_error(lambda: call(torch))):
        call(mg)


@needs_torch
def test_normal_gives_mean_and_std_a_zero_gradient_like_torch():
    m = mg.zeros(3, requires_grad=True)
    s = mg.ones(1, requires_grad=True)
    out = mg.normal(m, s)
    assert out.requires_grad
    (out * 2).sum().backward()
    tm, ts = torch.zeros(3, requires_grad=True), torch.ones(1, requires_grad=True)
    (torch.normal(tm, ts) * 2).sum().backward()
    np.testing.assert_array_equal(np.asarray(m.grad), tm.grad.numpy())
    np.testing.assert_array_equal(np.asarray(s.grad), ts.grad.numpy())


def test_normal_moments_follow_mean_and_std():
    mg.manual_seed(1)
    x = np.asarray(mg.normal(mg.full((20000,), 3.0), 2.0))
    assert abs(x.mean() - 3.0) < 0.05 and abs(x.std() - 2.0) < 0.05


# ----------------------------------------------------------------------------- legacy types

LEGACY = [(), (2, 3), ([1, 2],), ((2, 3),), ("Size",), (np.array([1, 2]),), ([1.5, 2.7],),
          ([[1, 2], [3, 4]],), (np.int64(3),), ([True],), (0,), (np.array([1.7, -2.2]),)]


@needs_torch
@pytest.mark.parametrize("cls", ["LongTensor", "FloatTensor", "DoubleTensor", "IntTensor",
                                 "BoolTensor", "ByteTensor"])
@pytest.mark.parametrize("args", LEGACY)
def test_legacy_constructors_match_torch(cls, args):
    def build(M):
        a = tuple(M.Size([2, 3]) if isinstance(x, str) else x for x in args)
        return getattr(M, cls)(*a)

    if cls in ("BoolTensor", "ByteTensor") and any(isinstance(a, list) and a and
                                                    isinstance(a[0], float) for a in args):
        return  # torch's own float -> bool/uint8 conversion of these is not the point here
    m, t = build(mg), build(torch)
    assert m.shape == tuple(t.shape) and _dtype_name(m) == _dtype_name(t)
    if not (args and isinstance(args[0], (int, str, np.integer))):
        np.testing.assert_array_equal(np.asarray(m), t.numpy())  # data, not uninitialised
    else:
        assert not np.asarray(m).any()  # sized: zeros (torch leaves it uninitialised)


@needs_torch
def test_legacy_constructors_refuse_like_torch():
    for call in (lambda M: M.LongTensor(-1), lambda M: M.LongTensor(2.0),
                 lambda M: M.LongTensor(2, [3]), lambda M: M.LongTensor(M.tensor([1.0, 2.0])),
                 lambda M: M.LongTensor([1], device="cuda")):
        with pytest.raises(_error(lambda c=call: c(torch))):
            call(mg)
    x = mg.tensor([1, 2])
    assert mg.LongTensor(x) is x


@needs_torch
def test_isinstance_with_legacy_types_checks_the_dtype():
    pairs = [(mg.zeros(2, dtype=mg.long), torch.zeros(2, dtype=torch.long)),
             (mg.zeros(2), torch.zeros(2, dtype=torch.float32)),
             (mg.zeros(2, dtype=mg.float64), torch.zeros(2, dtype=torch.float64))]
    for m, t in pairs:
        for cls in ("LongTensor", "FloatTensor", "DoubleTensor", "BoolTensor"):
            assert isinstance(m, getattr(mg, cls)) == isinstance(t, getattr(torch, cls))
    assert mg.LongTensor.dtype == mg.long and mg.FloatTensor.dtype == mg.float32
    assert not isinstance(np.zeros(2, np.int64), mg.LongTensor)


def test_requires_grad_leaves_from_creators_train():
    w = mg.zeros(3, requires_grad=True)
    b = mg.full((1,), 0.5, requires_grad=True)
    ((w + 1.0) * 2.0 + b).sum().backward()
    assert w.grad.tolist() == [2.0, 2.0, 2.0] and b.grad.tolist() == [3.0]


def test_empty_is_deterministic_zeros():
    assert not np.asarray(mg.empty(3, 4)).any()
    assert math.prod(mg.empty_like(mg.ones(2, 5)).shape) == 10


# -------------------------------------------------------------------- multinomial, bernoulli


@needs_torch
@pytest.mark.parametrize("call", [
    lambda M: M.multinomial(M.tensor([0.1, 0.0, 0.9]), 2),
    lambda M: M.multinomial(M.tensor([0.1, 0.0, 0.9]), 3),
    lambda M: M.multinomial(M.tensor([0.1, 0.0, 0.9]), 5, replacement=True),
    lambda M: M.multinomial(M.ones(4, 3), 2), lambda M: M.multinomial(M.ones(4, 3), 7, True),
])
def test_multinomial_shapes_and_dtypes_match_torch(call):
    m, t = call(mg), call(torch)
    assert m.shape == tuple(t.shape) and _dtype_name(m) == _dtype_name(t)


@needs_torch
@pytest.mark.parametrize("call", [
    lambda M: M.multinomial(M.tensor([0.1, 0.9]), 3),
    lambda M: M.multinomial(M.tensor([-1.0, 1.0]), 1),
    lambda M: M.multinomial(M.tensor([0.0, 0.0]), 1),
    lambda M: M.multinomial(M.zeros(2, 2, 2), 1), lambda M: M.multinomial(M.ones(3), 0),
    lambda M: M.multinomial(M.tensor([1, 2]), 1), lambda M: M.multinomial(M.tensor(1.0), 1),
    lambda M: M.bernoulli(M.tensor([1.5])),
])
def test_multinomial_and_bernoulli_errors_match_torch(call):
    with pytest.raises(_error(lambda: call(torch))):
        call(mg)


def test_multinomial_frequencies_follow_the_weights():
    g = mg.Generator().manual_seed(0)
    w = mg.tensor([[1.0, 0.0, 3.0], [0.0, 2.0, 2.0]])
    draws = np.asarray(mg.multinomial(w, 4000, replacement=True, generator=g))
    assert (draws[0] != 1).all() and (draws[1] != 0).all()  # zero weight: never drawn
    assert abs((draws[0] == 2).mean() - 0.75) < 0.03 and abs((draws[1] == 1).mean() - 0.5) < 0.03
    firsts = np.asarray(mg.multinomial(mg.tensor([1.0, 3.0]).expand(4000, 2), 1, generator=g))
    assert abs(firsts.mean() - 0.75) < 0.03  # the first draw without replacement is p-weighted
    perm = np.asarray(mg.multinomial(mg.ones(50, 6), 6, generator=g))
    assert (np.sort(perm, axis=1) == np.arange(6)).all()  # without replacement: distinct
    g.manual_seed(4)
    a = mg.multinomial(w, 3, generator=g)
    g.manual_seed(4)
    assert np.array_equal(a, mg.multinomial(w, 3, generator=g))


@needs_torch
def test_bernoulli_matches_torch_dtype_and_zero_gradient():
    for dt in ("float32", "float64"):
        m = mg.bernoulli(mg.full((3,), 0.5, dtype=getattr(mg, dt)))
        assert _dtype_name(m) == _dtype_name(torch.bernoulli(
            torch.full((3,), 0.5, dtype=getattr(torch, dt))))
    p = mg.full((4,), 0.3, requires_grad=True)
    (mg.bernoulli(p) * 3).sum().backward()
    tp = torch.full((4,), 0.3, requires_grad=True)
    (torch.bernoulli(tp) * 3).sum().backward()
    np.testing.assert_array_equal(np.asarray(p.grad), tp.grad.numpy())
    mg.manual_seed(0)
    x = np.asarray(mg.bernoulli(mg.full((20000,), 0.25)))
    assert set(np.unique(x).tolist()) <= {0.0, 1.0} and abs(x.mean() - 0.25) < 0.02
    assert mg.bernoulli(mg.zeros(5), 1.0).tolist() == [1.0] * 5
    with pytest.raises(TypeError, match="floating"):
        mg.bernoulli(mg.tensor([1]))
