"""Class 9 — misused extension points: a custom Function whose backward returns the wrong
number of gradients, a wrong shape or dtype, or a non-array; a forward returning a non-array;
hooks returning wrong shapes. Each error names the Function or hook, the input index and both
shapes; the graph stays usable after the error."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg


def _fn(forward, backward, name="Custom"):
    return type(name, (mg.Function,), {"forward": staticmethod(forward),
                                       "backward": staticmethod(backward)})


@given(st.integers(0, 4).filter(lambda n: n != 2))
def test_wrong_number_of_gradients_names_the_function_and_counts(n):
    Two = _fn(lambda ctx, a, b: a * b, lambda ctx, g: (g,) * n if n != 1 else g, "TwoIn")
    x, y = mg.ones(3, requires_grad=True), mg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=rf"TwoIn.*{n}.*2"):
        Two.apply(x, y).sum().backward()


@given(st.lists(st.integers(0, 4), min_size=0, max_size=3), st.integers(0, 1))
def test_wrong_gradient_shape_names_function_index_and_shapes(shape, which):
    shape = tuple(shape)
    good = (2, 3)
    try:  # torch (and we) sum a gradient the input's shape expands to: that is valid
        if np.broadcast_shapes(shape, good) == shape:
            return
    except ValueError:
        pass

    def backward(ctx, g):
        grads = [g, g]
        grads[which] = np.zeros(shape)
        return tuple(grads)

    Op = _fn(lambda ctx, a, b: a + b, backward, "ShapeOp")
    x, y = mg.ones(*good, requires_grad=True), mg.ones(*good, requires_grad=True)
    with pytest.raises(RuntimeError) as err:
        Op.apply(x, y).sum().backward()
    msg = str(err.value)
    assert "ShapeOp" in msg and str(which) in msg and str(shape) in msg and str(good) in msg


@pytest.mark.parametrize("bad", ["grad", object(), {"g": 1}, [[1.0, 2.0, 3.0]]])
def test_backward_returning_a_non_array_is_named(bad):
    Op = _fn(lambda ctx, a: a * 2, lambda ctx, g: bad, "NonArrayBack")
    x = mg.ones(2, requires_grad=True)
    with pytest.raises((RuntimeError, TypeError), match="NonArrayBack"):
        Op.apply(x).sum().backward()


@pytest.mark.parametrize("bad", [[1, 2], None, "x", object(), (np.ones(2), "y")])
def test_forward_returning_a_non_array_is_named(bad):
    Op = _fn(lambda ctx, a: bad, lambda ctx, g: g, "NonArrayFwd")
    with pytest.raises(TypeError, match="NonArrayFwd"):
        Op.apply(mg.ones(2, requires_grad=True))


def test_backward_gradient_with_an_integer_dtype_for_a_float_input_is_refused_or_cast():
    Op = _fn(lambda ctx, a: a * 2, lambda ctx, g: np.ones(g.shape, np.int64), "IntGrad")
    x = mg.ones(2, requires_grad=True)
    try:
        Op.apply(x).sum().backward()
    except (RuntimeError, TypeError) as e:
        assert "IntGrad" in str(e)
        return
    assert x.grad.dtype == x.dtype


def test_none_for_an_input_that_needs_a_gradient_gives_no_gradient():
    Op = _fn(lambda ctx, a, b: a * b, lambda ctx, g: (None, g), "HalfGrad")
    x, y = mg.ones(2, requires_grad=True), mg.ones(2, requires_grad=True)
    Op.apply(x, y).sum().backward()
    assert x.grad is None and y.grad is not None


def test_a_broadcastable_but_wrong_shape_gradient_is_refused():
    """A gradient of shape (1, 3) for an input of shape (2, 3) is a bug, not a broadcast."""
    Op = _fn(lambda ctx, a: a * 2, lambda ctx, g: g[:1], "Narrow")
    x = mg.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Narrow.*\(1, 3\).*\(2, 3\)"):
        Op.apply(x).sum().backward()


@pytest.mark.parametrize("kind", ["leaf", "nonleaf"])
@pytest.mark.parametrize("ret", [(3,), (2, 1), (1, 2), ()])
def test_tensor_hooks_returning_a_wrong_shape_are_named(kind, ret):
    x = mg.ones(2, requires_grad=True)
    target = x if kind == "leaf" else x * 1

    def my_hook(g):
        return mg.tensor(np.zeros(ret))

    target.register_hook(my_hook)
    with pytest.raises(RuntimeError, match=r"my_hook.*\(2,\)"):
        (target * 3).sum().backward()


def test_hooks_returning_none_keep_the_gradient_and_may_observe_it():
    x = mg.ones(2, requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.numpy().copy()))
    (x * 3).sum().backward()
    np.testing.assert_array_equal(seen[0], [3, 3])
    np.testing.assert_array_equal(x.grad.numpy(), [3, 3])


def test_hook_raising_propagates_and_the_graph_stays_usable_with_retain_graph():
    x = mg.ones(2, requires_grad=True)
    y = (x * 3).sum()
    h = x.register_hook(lambda g: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        y.backward(retain_graph=True)
    h.remove()
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3, 3])


def test_an_error_in_backward_leaves_no_partial_gradient_on_other_leaves():
    Bad = _fn(lambda ctx, a: a * 2, lambda ctx, g: np.zeros(7), "Bad")
    x, y = mg.ones(2, requires_grad=True), mg.ones(2, requires_grad=True)
    out = Bad.apply(x).sum() + (y * 2).sum()
    with pytest.raises(RuntimeError):
        out.backward()
    assert x.grad is None


def test_save_for_backward_of_a_tensor_modified_later_is_caught():
    class Keep(mg.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * 2

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return g * 2

    x = mg.ones(2, requires_grad=True)
    h = x * 1
    y = Keep.apply(h)
    h.add_(1)
    with pytest.raises(RuntimeError, match="(?i)Keep.*inplace|inplace.*Keep"):
        y.sum().backward()


def test_apply_without_any_tensor_argument_is_a_clear_type_error():
    Op = _fn(lambda ctx, a: a, lambda ctx, g: g, "NoTensor")
    with pytest.raises(TypeError, match="NoTensor"):
        Op.apply(np.ones(2))


def test_non_tensor_parameters_passed_positionally_are_explained():
    Op = _fn(lambda ctx, a, *, k: a * k, lambda ctx, g: g * ctx.params["k"], "Scale")
    x = mg.ones(2, requires_grad=True)
    y = Op.apply(x, k=3.0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3, 3])
    with pytest.raises(TypeError):
        Op.apply(x, 3.0)
