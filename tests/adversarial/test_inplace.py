"""Class 2 — in-place correctness: version counters shared with views, backward refusing
values modified after saving, torch's rules for leaves and no_grad, `.data` and `.detach()`.
Every scenario is run on minigrad and on torch and must end the same way."""
import numpy as np
import pytest
from conftest import needs_torch, torch
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg


def _outcome(fn, lib):
    try:
        r = fn(lib)
    except RuntimeError as e:
        return ("RuntimeError", "inplace" in str(e).replace("in-place", "inplace"))
    return ("ok", np.asarray(r.detach().numpy() if hasattr(r, "detach") else r, np.float64))


def _x(lib, shape=(2, 3)):
    return lib.tensor(np.linspace(-1, 1, int(np.prod(shape))).reshape(shape),
                      requires_grad=True)


def _saved_out(op, mutate):
    """y = op(x); mutate(y); backward: torch refuses when op saved its output."""
    def fn(lib):
        x = _x(lib)
        y = getattr(x, op)()
        mutate(lib, y)
        y.sum().backward()
        return x.grad
    return fn


MUTATIONS = {
    "add_": lambda lib, y: y.add_(1),
    "mul_": lambda lib, y: y.mul_(2),
    "sub_alpha": lambda lib, y: y.sub_(y.detach(), alpha=0.5),
    "div_": lambda lib, y: y.div_(3),
    "clamp_": lambda lib, y: y.clamp_(-0.1, 0.1),
    "fill_": lambda lib, y: y.fill_(0.5),
    "zero_": lambda lib, y: y.zero_(),
    "copy_": lambda lib, y: y.copy_(lib.ones(2, 3)),
    "masked_fill_": lambda lib, y: y.masked_fill_(lib.tensor([[True, False, True]] * 2), 0.0),
    "setitem": lambda lib, y: y.__setitem__((0, 1), 7.0),
    "iadd": lambda lib, y: y.__iadd__(1.0),
    "imul": lambda lib, y: y.__imul__(lib.full((2, 3), 2.0)),
}


@needs_torch
@pytest.mark.parametrize("op", ["exp", "tanh", "sigmoid", "sqrt", "relu"])
@pytest.mark.parametrize("mut", sorted(MUTATIONS))
def test_modifying_a_saved_output_matches_torch(op, mut):
    fn = _saved_out(op, lambda lib, y: MUTATIONS[mut](lib, y))

    def a(lib):
        return fn(lib) if op != "sqrt" else _sqrt(lib, mut)
    ours, theirs = _outcome(a, mg), _outcome(a, torch)
    assert ours[0] == theirs[0]
    if ours[0] == "ok":
        np.testing.assert_allclose(ours[1], theirs[1])
    else:
        assert ours[1], "the error must say an in-place operation modified a saved value"


def _sqrt(lib, mut):
    x = lib.tensor(np.linspace(0.5, 2, 6).reshape(2, 3), requires_grad=True)
    y = x.sqrt()
    MUTATIONS[mut](lib, y)
    y.sum().backward()
    return x.grad


@needs_torch
@pytest.mark.parametrize("mut", sorted(MUTATIONS))
def test_modifying_an_input_saved_by_mul_matches_torch(mut):
    def fn(lib):
        x, w = _x(lib), _x(lib)
        h = x * 1.0
        y = h * w          # Mul saves h and w
        MUTATIONS[mut](lib, h)
        y.sum().backward()
        return w.grad
    ours, theirs = _outcome(fn, mg), _outcome(fn, torch)
    assert ours[0] == theirs[0] == "RuntimeError"


@needs_torch
@pytest.mark.parametrize("mut", sorted(MUTATIONS))
def test_in_place_on_an_unsaved_non_leaf_records_like_torch(mut):
    """x * 2 saves nothing of its output: mutating it in place is recorded and correct."""
    def fn(lib):
        x = _x(lib)
        y = x * 2.0
        MUTATIONS[mut](lib, y)
        (y * y).sum().backward()
        return x.grad
    ours, theirs = _outcome(fn, mg), _outcome(fn, torch)
    assert ours[0] == theirs[0] == "ok"
    np.testing.assert_allclose(ours[1], theirs[1])


@needs_torch
@pytest.mark.parametrize("mut", sorted(MUTATIONS))
def test_leaf_needing_grad_refuses_in_place_outside_no_grad(mut):
    for lib in (mg, torch):
        with pytest.raises(RuntimeError, match="leaf"):
            MUTATIONS[mut](lib, _x(lib))


@needs_torch
@pytest.mark.parametrize("form", ["isub", "sub_", "add_alpha", "data_add_", "detach_sub_",
                                  "setitem", "copy_"])
def test_manual_sgd_updates_the_parameter_in_place_like_torch(form):
    def step(lib):
        p = _x(lib)
        ref = p
        for _ in range(3):
            (p * p * p).sum().backward()
            g = p.grad
            if form == "data_add_":
                p.data.add_(g, alpha=-0.1)
            elif form == "detach_sub_":
                p.detach().sub_(0.1 * g)
            else:
                with lib.no_grad():
                    if form == "isub":
                        p -= 0.1 * g
                    elif form == "sub_":
                        p.sub_(0.1 * g)
                    elif form == "add_alpha":
                        p.add_(g, alpha=-0.1)
                    elif form == "setitem":
                        p[...] = p - 0.1 * g
                    else:
                        p.copy_(p - 0.1 * g)
            p.grad = None
        assert p is ref and p.requires_grad and p.grad_fn is None
        return p
    np.testing.assert_allclose(step(mg).detach().numpy(), step(torch).detach().numpy())


@needs_torch
@pytest.mark.parametrize("view", ["slice", "row", "transpose", "reshape", "unsqueeze",
                                  "detach", "expand_dims_index"])
def test_writes_through_views_bump_the_shared_counter_like_torch(view):
    def fn(lib):
        x = _x(lib)
        y = x.sigmoid()
        v = {"slice": lambda: y[:, 1:], "row": lambda: y[0], "transpose": lambda: y.T,
             "reshape": lambda: y.reshape(6), "unsqueeze": lambda: y.unsqueeze(0),
             "detach": lambda: y.detach(), "expand_dims_index": lambda: y[None]}[view]()
        with lib.no_grad():
            v.mul_(2)
        y.sum().backward()
        return x.grad
    ours, theirs = _outcome(fn, mg), _outcome(fn, torch)
    assert ours[0] == theirs[0] == "RuntimeError"


@needs_torch
def test_data_has_its_own_counter_so_writes_are_untracked_like_torch():
    def fn(lib):
        x = _x(lib)
        y = x.sigmoid()
        y.data.mul_(2)   # torch: not seen (the documented danger of .data)
        y.sum().backward()
        return x.grad
    ours, theirs = _outcome(fn, mg), _outcome(fn, torch)
    assert ours[0] == theirs[0] == "ok"
    np.testing.assert_allclose(ours[1], theirs[1])


def test_version_counts_every_in_place_op_and_is_shared_with_views():
    t = mg.zeros(2, 3)
    v, d = t[0], t.detach()
    start = t._version
    for i, mut in enumerate(sorted(MUTATIONS), 1):
        MUTATIONS[mut](mg, t)
        assert t._version == v._version == d._version == start + i
    d.add_(1)
    v.mul_(1)
    assert t._version == start + len(MUTATIONS) + 2


def test_out_of_place_ops_do_not_bump():
    t = mg.ones(3)
    before = t._version
    _ = t + 1, t * 2, t.exp(), t[1:], t.reshape(3, 1), t.clone()
    assert t._version == before


@needs_torch
@given(st.lists(st.sampled_from(sorted(MUTATIONS)), min_size=1, max_size=4),
       st.sampled_from(["exp", "tanh", "sigmoid"]))
def test_chains_of_in_place_ops_on_recorded_tensors_match_torch(muts, op):
    """x -> (x * 3) -> muts... -> op -> sum: every chain recorded, gradients equal torch's."""
    def fn(lib):
        x = _x(lib)
        y = x * 3.0
        for m in muts:
            MUTATIONS[m](lib, y)
        getattr(y, op)().sum().backward()
        return x.grad
    ours, theirs = _outcome(fn, mg), _outcome(fn, torch)
    assert ours[0] == theirs[0]
    if ours[0] == "ok":
        np.testing.assert_allclose(ours[1], theirs[1], atol=1e-12)


@needs_torch
def test_error_names_the_op_and_the_saved_value():
    x = mg.ones(3, requires_grad=True)
    y = x.exp()
    y.add_(1)
    with pytest.raises(RuntimeError, match=r"(?i)Exp.*version 1.*expected version 0"):
        y.sum().backward()


def test_in_place_on_a_view_of_a_recorded_tensor_is_refused_clearly():
    """Deliberate difference: torch rebases the view's base onto a CopySlices node; minigrad
    refuses with advice to clone (the recorded in-place-on-view path is not implemented)."""
    x = mg.ones(2, 3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="view.*clone"):
        y[0].mul_(2)


def test_a_failed_in_place_op_leaves_the_tensor_and_counter_unchanged():
    t = mg.tensor([1.0, 2.0])
    v = t._version
    with pytest.raises((RuntimeError, ValueError)):
        t.add_(mg.ones(3))
    with pytest.raises(RuntimeError):
        mg.tensor([1, 2]).add_(0.5)     # float result into an int tensor (torch refuses)
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])
    assert t._version == v


@needs_torch
def test_integer_tensor_refuses_a_float_in_place_result_like_torch():
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2]).add_(0.5)
    with pytest.raises(RuntimeError):
        mg.tensor([1, 2]).add_(0.5)
    a, b = mg.tensor([1, 2]), torch.tensor([1, 2])
    a.add_(3)
    b.add_(3)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
