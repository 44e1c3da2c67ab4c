"""Products (minigrad/ops/linalg.py): values, gradients and double backward equal torch's;
gradcheck (first and second order) on random shapes incl. size 0 and 1; torch's errors.

``parity`` is the shared check of the three op-family test files (movement, scatter too).
"""
from __future__ import annotations

import numpy as np
import pytest
from conftest import needs_torch, torch
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg


def _pattern(shape, k=0):
    return np.cos(np.arange(int(np.prod(shape)), dtype=np.float64) + k).reshape(shape) + 1.5


def _outs(out):
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    return [o for o in outs if o.dtype.kind == "f" or o.dtype == getattr(torch, "float64", 0)]


def _loss(outs, power, lib):
    total = 0
    for k, o in enumerate(outs):
        w = lib.tensor(_pattern(tuple(o.shape), k))
        total = total + ((o ** power) * w).sum()
    return total


def _np(t):
    return None if t is None else (t.detach().numpy() if hasattr(t, "detach") else t)


def _close(a, b, what):
    if b is None:
        assert a is None or not np.any(_np(a)), what
    elif a is None:
        assert not np.any(_np(b)), what
    else:
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-9, atol=1e-10, err_msg=what)


def parity(fn, tfn, arrays, second=True, check=True):
    """fn (minigrad) vs tfn (torch) on float64 copies of ``arrays``: values (and dtypes),
    gradients of sum(out * w), double backward through sum(out^2 * w); then gradcheck of
    the function and (``second``) of its gradient."""
    xs = [mg.tensor(np.asarray(a, np.float64), requires_grad=True) for a in arrays]
    ts = [torch.tensor(np.asarray(a, np.float64), requires_grad=True) for a in arrays]
    out, tout = fn(*xs), tfn(*ts)
    outs_all = list(out) if isinstance(out, (tuple, list)) else [out]
    touts_all = list(tout) if isinstance(tout, (tuple, list)) else [tout]
    assert len(outs_all) == len(touts_all)
    for o, t in zip(outs_all, touts_all):
        assert tuple(o.shape) == tuple(t.shape), (o.shape, t.shape)
        assert str(o.dtype) == str(t.dtype).replace("torch.", ""), (o.dtype, t.dtype)
        np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=1e-12,
                                   atol=1e-12)
    outs = [o for o in outs_all if o.dtype.kind == "f" and o.requires_grad]
    touts = [t for t in touts_all if t.is_floating_point() and t.requires_grad]
    if not touts:
        return
    gs = mg.grad(_loss(outs, 1, mg), xs, retain_graph=True, allow_unused=True)
    tgs = torch.autograd.grad(_loss(touts, 1, torch), ts, retain_graph=True, allow_unused=True)
    for k, (g, tg) in enumerate(zip(gs, tgs)):
        _close(g, tg, f"gradient of input {k}")
    # double backward: the gradient of sum(g_i * v_i), g = d sum(out^2 w) / dx
    gs = mg.grad(_loss(outs, 2, mg), xs, create_graph=True, allow_unused=True)
    tgs = torch.autograd.grad(_loss(touts, 2, torch), ts, create_graph=True, allow_unused=True)
    live = [(g * mg.tensor(_pattern(g.shape, 7))).sum() for g in gs
            if g is not None and g.requires_grad]
    tlive = [(g * torch.tensor(_pattern(tuple(g.shape), 7))).sum() for g in tgs
             if g is not None and g.requires_grad]
    if tlive:
        ggs = mg.grad(sum(live), xs, allow_unused=True) if live else [None] * len(xs)
        tggs = torch.autograd.grad(sum(tlive), ts, allow_unused=True)
        for k, (g, tg) in enumerate(zip(ggs, tggs)):
            _close(g, tg, f"double backward, input {k}")
    if check:
        xs = [mg.tensor(np.asarray(a, np.float64), requires_grad=True) for a in arrays]
        assert mg.gradcheck(fn, xs)
        if second:
            def grads(*ys):
                with mg.enable_grad():  # gradcheck evaluates under no_grad
                    return tuple(g for g in mg.grad(_loss(_outs(fn(*ys)), 2, mg), ys,
                                                    create_graph=True, allow_unused=True)
                                 if g is not None)
            if all(x.numel() for x in xs):
                assert mg.gradcheck(grads, xs)


# ---------------------------------------------------------------------------- torch's samples

def _to_mg(x, leaves):
    if isinstance(x, torch.Tensor):
        t = mg.tensor(x.detach().numpy().copy())
        if x.requires_grad and x.is_floating_point():
            leaves.append((t.requires_grad_(True), x))
        return t
    if isinstance(x, (list, tuple)):
        return type(x)(_to_mg(i, leaves) for i in x)
    return x


def _run_sample(op, sample):
    leaves = []
    inp = _to_mg(sample.input, leaves)
    args = _to_mg(sample.args, leaves)
    kwargs = {k: _to_mg(v, leaves) for k, v in sample.kwargs.items()}
    if op.name == "einsum":  # OpInfo passes (operands, equation)
        return mg.einsum(args[0], inp), op(sample.input, *sample.args), leaves
    if op.name in ("broadcast_tensors", "meshgrid"):
        out = getattr(mg, op.name)(*(inp if isinstance(inp, (list, tuple)) else [inp]), *args,
                                   **kwargs)
    elif hasattr(mg, op.name):
        out = getattr(mg, op.name)(inp, *args, **kwargs)
    else:
        out = getattr(inp, op.name)(*args, **kwargs)
    return out, op(sample.input, *sample.args, **sample.kwargs), leaves


def opinfo_parity(names):
    """Every float64 sample torch's OpInfo database has for ``names``: values, gradients of
    sum(out * w) and double backward through sum(out^2 * w) equal torch's.  Returns the
    number of samples compared."""
    db = pytest.importorskip("torch.testing._internal.common_methods_invocations").op_db
    count = 0
    for op in (o for o in db if o.name in names):
        for sample in op.sample_inputs("cpu", torch.float64, requires_grad=True):
            out, tout, leaves = _run_sample(op, sample)
            outs = list(out) if isinstance(out, (tuple, list)) else [out]
            touts = list(tout) if isinstance(tout, (tuple, list)) else [tout]
            for o, t in zip(outs, touts, strict=True):
                assert tuple(o.shape) == tuple(t.shape), (op.name, sample)
                np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=1e-9,
                                           atol=1e-12, err_msg=f"{op.name} {sample}")
            live = [(o, t) for o, t in zip(outs, touts) if t.requires_grad]
            if live and leaves:
                for power in (1, 2):
                    xs, ts = [m for m, _ in leaves], [t for _, t in leaves]
                    gs = mg.grad(_loss([o for o, _ in live], power, mg), xs, retain_graph=True,
                                 create_graph=power == 2, allow_unused=True)
                    tgs = torch.autograd.grad(_loss([t for _, t in live], power, torch), ts,
                                              retain_graph=True, create_graph=power == 2,
                                              allow_unused=True)
                    if power == 2:
                        tlive = [(g * torch.tensor(_pattern(tuple(g.shape), 7))).sum()
                                 for g in tgs if g is not None and g.requires_grad]
                        if not tlive:
                            continue
                        mlive = [(g * mg.tensor(_pattern(g.shape, 7))).sum() for g in gs
                                 if g is not None and g.requires_grad]
                        gs = mg.grad(sum(mlive), xs, allow_unused=True) if mlive else \
                            [None] * len(xs)
                        tgs = torch.autograd.grad(sum(tlive), ts, allow_unused=True)
                    for k, (g, tg) in enumerate(zip(gs, tgs)):
                        _close(g, tg, f"{op.name} {sample}: order {power}, input {k}")
            count += 1
    return count


@needs_torch
def test_torch_opinfo_samples():
    names = {"mm", "bmm", "mv", "dot", "vdot", "outer", "einsum", "addmm", "addmv", "baddbmm",
             "addbmm", "tensordot", "matmul"}
    assert opinfo_parity(names) >= 85  # samples compared in torch 2.13


def raises_like(fn, tfn, *args):
    """fn(*args) raises the exception type torch's tfn raises."""
    with pytest.raises(Exception) as te:
        tfn(*[torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args])
    with pytest.raises(te.type):
        fn(*[mg.tensor(a) if isinstance(a, np.ndarray) else a for a in args])


def rnd(*shape):
    return np.random.default_rng(sum(shape) + len(shape)).standard_normal(shape)


dims = st.integers(0, 3)
pos = st.integers(1, 3)


# ---------------------------------------------------------------------------- matrix products

@needs_torch
@given(dims, dims, dims)
def test_mm(n, m, p):
    parity(mg.mm, torch.mm, [rnd(n, m), rnd(m, p)])
    parity(lambda a, b: a.mm(b), lambda a, b: a.mm(b), [rnd(n, m), rnd(m, p)], check=False)


@needs_torch
@given(dims, dims, dims, dims)
def test_bmm(b, n, m, p):
    parity(mg.bmm, torch.bmm, [rnd(b, n, m), rnd(b, m, p)])


@needs_torch
@given(dims, dims)
def test_mv_dot_outer(n, m):
    parity(mg.mv, torch.mv, [rnd(n, m), rnd(m)])
    parity(mg.dot, torch.dot, [rnd(m), rnd(m) + 1])
    parity(mg.vdot, torch.vdot, [rnd(m), rnd(m) + 1], check=False)
    parity(mg.outer, torch.outer, [rnd(n), rnd(m)])
    parity(lambda a, b: a.ger(b), lambda a, b: a.outer(b), [rnd(n), rnd(m)], check=False)


@needs_torch
@given(dims, dims, dims, st.sampled_from([(1, 1), (0.5, 2.0), (0, 1), (2, 0)]),
       st.booleans())
def test_addmm_family(n, m, p, ba, bcast):
    beta, alpha = ba
    inp = rnd(p) if bcast else rnd(n, p)
    parity(lambda i, a, b: mg.addmm(i, a, b, beta=beta, alpha=alpha),
           lambda i, a, b: torch.addmm(i, a, b, beta=beta, alpha=alpha),
           [inp, rnd(n, m), rnd(m, p)])
    parity(lambda i, a, b: i.addmv(a, b, beta=beta, alpha=alpha),
           lambda i, a, b: i.addmv(a, b, beta=beta, alpha=alpha),
           [rnd(1) if bcast and n and m else rnd(n), rnd(n, m), rnd(m)])
    # (torch's addmv returns a (1,) input unbroadcast when the product is empty)
    parity(lambda i, a, b: mg.baddbmm(i, a, b, beta=beta, alpha=alpha),
           lambda i, a, b: torch.baddbmm(i, a, b, beta=beta, alpha=alpha),
           [inp, rnd(2, n, m), rnd(2, m, p)])
    parity(lambda i, a, b: i.addbmm(a, b, beta=beta, alpha=alpha),
           lambda i, a, b: i.addbmm(a, b, beta=beta, alpha=alpha),
           [inp, rnd(2, n, m), rnd(2, m, p)])


def test_addmm_beta_zero_ignores_nan():
    inp = mg.tensor([[np.nan]], dtype=mg.float64)
    out = mg.addmm(inp, mg.ones(1, 2, dtype=mg.float64), mg.ones(2, 1, dtype=mg.float64), beta=0)
    assert out.item() == 2.0


@needs_torch
@given(dims, dims, st.integers(0, 2))
def test_tensordot(n, m, k):
    a, b = rnd(n, m, 2), rnd(m, 2, 3)
    if k <= 2:
        # dims=k pairs a's last k dims with b's first k; only valid when they agree
        ok = list(a.shape[3 - k:]) == list(b.shape[:k])
        if ok:
            parity(lambda x, y: mg.tensordot(x, y, k), lambda x, y: torch.tensordot(x, y, k),
                   [a, b])
    parity(lambda x, y: mg.tensordot(x, y, dims=([1, 2], [0, 1])),
           lambda x, y: torch.tensordot(x, y, dims=([1, 2], [0, 1])), [a, b])
    parity(lambda x, y: mg.tensordot(x, y, dims=([2, 0], [1, 0])),
           lambda x, y: torch.tensordot(x, y, dims=([2, 0], [1, 0])), [rnd(m, n, 2), b])
    # contracted dims of size 1 broadcast (one of torch's own samples)
    parity(lambda x, y: mg.tensordot(x, y, dims=([0, 1], [2, 0])),
           lambda x, y: torch.tensordot(x, y, dims=([0, 1], [2, 0])), [rnd(1, 1, n), rnd(2, m, 2)])


# ---------------------------------------------------------------------------- einsum

EQUATIONS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 0), (0, 4)]),
    ("bij,bjk->bik", [(2, 1, 3), (2, 3, 2)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("iij->j", [(2, 2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->ji", [(2, 3)]),
    ("i,j->ij", [(3,), (2,)]),
    ("i,i->", [(0,), (0,)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (4, 3, 2)]),
    ("b...,b->...", [(2, 3, 4), (2,)]),
    ("ij,ij->ij", [(3, 1), (3, 4)]),
    ("ij,jk->ik", [(2, 1), (3, 4)]),
    ("ijk,ikl,il->jl", [(2, 3, 2), (2, 2, 3), (2, 3)]),
    ("Ab,bc", [(2, 3), (3, 2)]),
    ("i,ij,j", [(2,), (2, 3), (3,)]),
    ("", [()]),
    (",i->i", [(), (3,)]),
]


@needs_torch
@pytest.mark.parametrize("eq,shapes", EQUATIONS)
def test_einsum(eq, shapes):
    parity(lambda *xs: mg.einsum(eq, *xs), lambda *xs: torch.einsum(eq, *xs),
           [rnd(*s) for s in shapes])


@needs_torch
def test_einsum_large_operands_take_the_optimised_path():
    parity(lambda a, b: mg.einsum("bij,bjk->bik", a, b),
           lambda a, b: torch.einsum("bij,bjk->bik", a, b), [rnd(4, 30, 20), rnd(4, 20, 30)],
           check=False)


@needs_torch
def test_einsum_list_form():
    parity(lambda a, b: mg.einsum("ij,jk->ik", [a, b]),
           lambda a, b: torch.einsum("ij,jk->ik", [a, b]), [rnd(2, 3), rnd(3, 2)], check=False)


@needs_torch
@given(st.lists(pos, min_size=1, max_size=3), st.data())
def test_einsum_random_transpose_reduce(shape, data):
    letters = "abc"[:len(shape)]
    out = "".join(data.draw(st.permutations(letters))[:data.draw(st.integers(0, len(shape)))])
    eq = f"{letters},{letters[-1]}->{out}"
    parity(lambda x, y: mg.einsum(eq, x, y), lambda x, y: torch.einsum(eq, x, y),
           [rnd(*shape), rnd(shape[-1])])


@needs_torch
@pytest.mark.parametrize("eq,shapes", [
    ("ij,jk", [(3, 4), (3, 4)]), ("ij,jk->ik", [(3, 4)]), ("ij->ii", [(3, 3)]),
    ("ij->k", [(3, 3)]), ("ijk->ij", [(3, 3)]), ("i,i", [(2,), (2,), (2,)]), ("i,i,i", [(2,), (2,)]),
    ("i1->i", [(2, 2)]),
])
def test_einsum_errors(eq, shapes):
    raises_like(lambda *xs: mg.einsum(eq, *xs), lambda *xs: torch.einsum(eq, *xs),
                *[rnd(*s) for s in shapes])


# ---------------------------------------------------------------------------- matmul edge cases

@needs_torch
@given(st.sampled_from([((2, 0), (0, 3)), ((0,), (0,)), ((2, 0), (0,)), ((0,), (0, 2)),
                        ((3, 2, 0), (0, 4)), ((1, 2, 0), (3, 0, 2)), ((2, 3), (3,)),
                        ((4,), (2, 4, 3))]))
def test_matmul_zero_size_inner_and_promotion(shapes):
    a, b = shapes
    parity(mg.matmul, torch.matmul, [rnd(*a), rnd(*b)])


@needs_torch
def test_rmatmul_keeps_operand_graph():
    a = mg.tensor(rnd(2, 3), requires_grad=True)
    b = mg.tensor(rnd(3, 2), requires_grad=True)
    out = b.__rmatmul__(a)  # a @ b, dispatched to the right operand
    out.sum().backward()
    ta = torch.tensor(rnd(2, 3), requires_grad=True)
    tb = torch.tensor(rnd(3, 2), requires_grad=True)
    tb.__rmatmul__(ta).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy())
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy())
    c = mg.tensor(rnd(3, 2), requires_grad=True)
    (rnd(2, 3) @ c).sum().backward()  # numpy array on the left
    assert c.grad is not None and c.grad.shape == (3, 2)


# ---------------------------------------------------------------------------- errors

@needs_torch
@pytest.mark.parametrize("name,shapes", [
    ("mm", [(3, 2), (3, 2)]), ("mm", [(3,), (3, 2)]), ("mm", [(3, 2), (2,)]),
    ("bmm", [(2, 3, 4), (3, 4, 5)]), ("bmm", [(2, 3, 4), (2, 3, 5)]), ("bmm", [(3, 4), (2, 4, 5)]),
    ("mv", [(3, 2), (3,)]), ("mv", [(3,), (3,)]), ("dot", [(3,), (4,)]), ("dot", [(3, 1), (3,)]),
    ("outer", [(3, 1), (3,)]), ("outer", [(3,), ()]),
])
def test_product_errors(name, shapes):
    raises_like(getattr(mg, name), getattr(torch, name), *[rnd(*s) for s in shapes])


@needs_torch
def test_other_errors():
    raises_like(lambda a, b: mg.tensordot(a, b, 1), lambda a, b: torch.tensordot(a, b, 1),
                rnd(3, 4), rnd(5, 5))
    raises_like(lambda a, b: mg.tensordot(a, b, 3), lambda a, b: torch.tensordot(a, b, 3),
                rnd(3, 4), rnd(4, 5))
    raises_like(mg.addmm, torch.addmm, rnd(2, 2), rnd(2, 4), rnd(4, 3))
    with pytest.raises(TypeError):
        mg.mm([[1.0]], mg.ones(1, 1))
    with pytest.raises(RuntimeError, match="dtype"):
        mg.mm(mg.ones(2, 2), mg.ones(2, 2, dtype=mg.float64))


@needs_torch
def test_integer_products_stay_integer():
    a = np.arange(6).reshape(2, 3)
    for name in ("mm",):
        out = getattr(mg, name)(mg.tensor(a), mg.tensor(a.T.copy()))
        ref = getattr(torch, name)(torch.tensor(a), torch.tensor(a.T.copy()))
        assert out.dtype == np.int64 and np.array_equal(out.numpy(), ref.numpy())
    out = mg.einsum("ij->j", mg.tensor(a))
    assert out.dtype == np.int64 and out.tolist() == [3, 5, 7]
