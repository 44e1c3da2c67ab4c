"""gradcheck itself: passes correct gradients, names the input and element of a wrong one."""
import numpy as np
import pytest
from hypothesis import given

import minigrad as mg
from minigrad.testing import tensors


class WrongSin(mg.Function):
    """sin with a deliberately wrong derivative (+cos^2 instead of cos)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * np.cos(x) ** 2


def test_gradcheck_reports_input_index_and_values():
    x = mg.tensor([0.1, 1.2, 2.0], dtype=np.float64, requires_grad=True)
    y = mg.tensor([1.0], dtype=np.float64, requires_grad=True)
    with pytest.raises(mg.GradcheckError, match=r"input 1 \(shape \(3,\)\) at index \(\d,\): "
                                                r"analytic .* vs numeric"):
        mg.gradcheck(lambda a, b: a * 2 + WrongSin.apply(b), [y, x])
    assert not mg.gradcheck(lambda a: WrongSin.apply(a), [x], raise_exception=False)


@given(x=tensors())
def test_gradcheck_accepts_right_gradients(x):
    assert mg.gradcheck(lambda t: (t.sin() * t).tanh(), [x])


def test_gradcheck_refuses_float32_and_no_grad_inputs():
    with pytest.raises(ValueError, match="float64"):
        mg.gradcheck(lambda t: t * 2, [mg.tensor([1.0], requires_grad=True)])
    with pytest.raises(ValueError, match="requires_grad"):
        mg.gradcheck(lambda t: t * 2, [mg.tensor([1.0])])


def test_gradcheck_on_non_contiguous_input():
    base = np.arange(12.0).reshape(3, 4) / 10
    x = mg.from_numpy(base[:, ::2])  # a strided view
    x.requires_grad = True
    assert mg.gradcheck(lambda t: (t * t).sin(), [x])
    with pytest.raises(mg.GradcheckError):
        mg.gradcheck(lambda t: WrongSin.apply(t), [x])


def test_tensor_copies_numpy_input():
    a = np.zeros(2)
    t = mg.tensor(a)
    a[0] = 1
    assert t.detach().numpy()[0] == 0
