"""The multi-tensor Adam step (``adam_multi_step``): one call for every parameter of a group.

It must compute exactly what the per-parameter kernel computes (the same loop, bit for bit),
agree with its numpy reference at float tolerance, refuse bad input before the jitted code
runs, and leave ``Adam``'s behaviour and ``state_dict`` format as they were.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad import optim
from minigrad.kernels import adam

DT = st.sampled_from([np.float32, np.float64])
SHAPES = st.lists(st.lists(st.integers(0, 5), min_size=0, max_size=3).map(tuple),
                  min_size=1, max_size=19)  # up to 19 parameters: three chunks of 8


def _group(shapes, dtype, seed):
    """Fresh (params, grads, exp_avg, exp_avg_sq) lists of the given shapes."""
    rng = np.random.default_rng(seed)
    out = [[], [], [], []]
    for s in shapes:
        out[0].append(rng.standard_normal(s).astype(dtype))
        out[1].append(rng.standard_normal(s).astype(dtype))
        out[2].append(rng.standard_normal(s).astype(dtype))
        out[3].append(rng.random(s).astype(dtype))
    return out


def _copy(group):
    return [[a.copy() for a in arrays] for arrays in group]


@given(shapes=SHAPES, dtype=DT, decoupled=st.booleans(), wd=st.sampled_from([0.0, 0.1]),
       data=st.data())
def test_multi_kernel_equals_per_tensor_kernel_bit_for_bit(shapes, dtype, decoupled, wd, data):
    steps = data.draw(st.lists(st.integers(1, 5), min_size=len(shapes), max_size=len(shapes)))
    a = _group(shapes, dtype, len(shapes))
    b = _copy(a)
    adam.adam_multi_step.kernel(*a, steps, 1e-2, 0.9, 0.99, 1e-8, wd, decoupled)
    for p, g, m, v, t in zip(*b, steps):
        adam.adam_step.kernel(p, g, m, v, t, 1e-2, 0.9, 0.99, 1e-8, wd, decoupled)
    for xs, ys in zip(a, b):
        for x, y in zip(xs, ys):
            np.testing.assert_array_equal(x, y)


@given(shapes=SHAPES, dtype=DT, decoupled=st.booleans(), wd=st.sampled_from([0.0, 0.1]))
def test_multi_kernel_equals_its_reference(shapes, dtype, decoupled, wd):
    a = _group(shapes, dtype, 7)
    b = _copy(a)
    steps = [3] * len(shapes)
    adam.adam_multi_step.kernel(*a, steps, 1e-2, 0.9, 0.99, 1e-8, wd, decoupled)
    adam.adam_multi_step_ref(*b, steps, 1e-2, 0.9, 0.99, 1e-8, wd, decoupled)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for xs, ys in zip(a, b):
        for x, y in zip(xs, ys):
            np.testing.assert_allclose(x, y, rtol=tol, atol=tol)


@pytest.mark.parametrize("fn", ["dispatch", "kernel", "reference"])
def test_multi_entry_refuses_bad_input_before_the_kernel(fn):
    step = {"dispatch": adam.adam_multi_step, "kernel": adam.adam_multi_step.kernel,
            "reference": adam.adam_multi_step_ref}[fn]

    def z(n=4, dt=np.float64):
        return np.zeros(n, dt)

    cases = [(([z()], [z(9)], [z()], [z()], [1]), ValueError, "grad has shape"),
             (([z()], [z()], [z(3)], [z()], [1]), ValueError, "exp_avg has"),
             (([z(), z()], [z()], [z()], [z()], [1]), ValueError, "one each"),
             (([z()], [z()], [z()], [z()], [1, 2]), ValueError, "one each"),
             (([z(), z(4, np.float32)], [z(), z(4, np.float32)], [z(), z(4, np.float32)],
               [z(), z(4, np.float32)], [1, 1]), TypeError, "group them by dtype"),
             (([z(8)[::2]], [z()], [z()], [z()], [1]), ValueError, "C-contiguous"),
             (([np.broadcast_to(z(1), (4,))], [z()], [z()], [z()], [1]), ValueError,
              "read-only"),
             (([z(4, int)], [z(4, int)], [z(4, int)], [z(4, int)], [1]), TypeError,
              "float32 or float64")]
    for arrays, err, msg in cases:
        before = [[a.copy() for a in xs] for xs in arrays[:4]]
        with pytest.raises(err, match=msg):
            step(*arrays, 1e-3, 0.9, 0.999, 1e-8, 0.0, False)
        for xs, ys in zip(arrays[:4], before):  # nothing was written
            for x, y in zip(xs, ys):
                np.testing.assert_array_equal(x, y)


def _params(seed):
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (4,), (2, 2, 2), (5,), (1,), (3, 3), (6,), (2,), (4, 1), (7,)]
    ps = [mg.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    ps.append(mg.tensor(rng.standard_normal(3).astype(np.float32), requires_grad=True))
    return ps


@pytest.mark.parametrize("cls,kw", [(optim.Adam, {}), (optim.Adam, {"weight_decay": 0.1}),
                                    (optim.AdamW, {}), (optim.Adam, {"maximize": True})])
def test_adam_step_equals_one_update_per_parameter(cls, kw):
    """Adam over a group of eleven parameters (two dtypes, more than one chunk) gives exactly
    what the per-parameter rule gives; the state keeps its format."""
    fast, slow = _params(0), _params(0)
    opt_fast, opt_slow = cls(fast, lr=1e-2, **kw), cls(slow, lr=1e-2, **kw)

    def one_by_one(group, work):  # the base class's loop: _update per parameter
        optim.Optimizer._step_group(opt_slow, group, work)

    opt_slow._step_group = one_by_one
    for i in range(3):
        for a, b in zip(fast, slow):
            g = np.cos(np.arange(a.numel()) + i).reshape(a.shape).astype(a.dtype)
            a.grad, b.grad = mg.tensor(g), mg.tensor(g.copy())
        opt_fast.step()
        opt_slow.step()
    for a, b in zip(fast, slow):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    sd_fast, sd_slow = opt_fast.state_dict(), opt_slow.state_dict()
    assert sd_fast["param_groups"] == sd_slow["param_groups"]
    assert sorted(sd_fast["state"]) == list(range(len(fast)))
    for k, s in sd_fast["state"].items():
        assert sorted(s) == ["exp_avg", "exp_avg_sq", "step"]
        assert s["step"] == 3.0 and isinstance(s["step"], float)
        for key in ("exp_avg", "exp_avg_sq"):
            np.testing.assert_array_equal(s[key], sd_slow["state"][k][key])


def test_adam_non_contiguous_parameter_takes_the_per_parameter_path():
    base = np.arange(12.0).reshape(3, 4)
    p = mg.tensor(base.copy(), requires_grad=True)
    q = mg.Tensor(base.copy().T)  # a transposed view: not C-contiguous
    q.requires_grad_()
    ref = mg.tensor(base.copy().T.copy(), requires_grad=True)
    opt, opt_ref = optim.Adam([p, q], lr=0.1), optim.Adam([ref], lr=0.1)
    for _ in range(2):
        p.grad = mg.tensor(np.ones((3, 4)))
        q.grad = ref.grad = mg.tensor(np.linspace(-1, 1, 12).reshape(4, 3))
        opt.step()
        opt_ref.step()
    np.testing.assert_allclose(q.detach().numpy(), ref.detach().numpy(), rtol=1e-12)
