"""Class 7 — dtypes: integer and bool tensors fed to float ops promote (or raise) as torch
does, never truncate; float64 inputs or states to float32 modules raise torch's kind of
"same dtype" error instead of silently changing precision."""
import numpy as np
import pytest
from conftest import needs_torch, torch

import minigrad as mg
import nn

F = nn.functional


def _name(dt):
    return str(dt).split(".")[-1]


def _run(lib, fn):
    try:
        return "ok", fn(lib)
    except NotImplementedError as e:   # torch: no kernel for this dtype
        return "unimplemented", e
    except (RuntimeError, TypeError, ValueError) as e:
        return "error", e


UNARY = ["sigmoid", "tanh", "exp", "log", "sqrt", "sin", "cos"]
REDUCING = {
    "softmax": lambda lib, t: t.softmax(0), "log_softmax": lambda lib, t: t.log_softmax(0),
    "logsumexp": lambda lib, t: t.logsumexp(0), "mean": lambda lib, t: t.mean(),
    "sum": lambda lib, t: t.sum(), "var": lambda lib, t: t.var(),
    "div": lambda lib, t: t / 2, "truediv_int": lambda lib, t: t / t,
    "pow_half": lambda lib, t: t ** 0.5, "mul_float": lambda lib, t: t * 0.5,
    "add_float_tensor": lambda lib, t: t + lib.ones(3),
    "relu": lambda lib, t: t.relu(), "abs": lambda lib, t: t.abs(),
    "max": lambda lib, t: t.max(), "mse": lambda lib, t: (lib.nn.functional.mse_loss(
        t, t) if lib is torch else F.mse_loss(t, t)),
}


@needs_torch
@pytest.mark.parametrize("dtype", ["int64", "int32", "bool", "uint8"])
@pytest.mark.parametrize("op", UNARY + sorted(REDUCING))
def test_integer_inputs_to_float_ops_promote_or_raise_like_torch(op, dtype):
    data = np.array([1, 2, 3]) if dtype != "bool" else np.array([True, False, True])
    data = data.astype(dtype)

    def fn(lib):
        t = lib.tensor(data)
        return getattr(t, op)() if op in UNARY else REDUCING[op](lib, t)

    with np.errstate(all="ignore"):
        ours, theirs = _run(mg, fn), _run(torch, fn)
    if theirs[0] == "unimplemented" and ours[0] == "ok":
        # deliberate difference: where torch has no integer kernel (softmax, log_softmax,
        # abs/relu of bool) we promote; the values must be those of the float computation
        data = data.astype(np.float64)
        want = _float_version(op, data)
        np.testing.assert_allclose(np.asarray(ours[1].numpy(), np.float64), want, rtol=1e-6)
        return
    assert ours[0] == theirs[0] or {ours[0], theirs[0]} == {"error", "unimplemented"}, \
        (ours, theirs)
    if ours[0] == "ok":
        assert _name(ours[1].dtype) == _name(theirs[1].dtype).replace("float64", "float32") \
            or _name(ours[1].dtype) == _name(theirs[1].dtype)
        np.testing.assert_allclose(np.asarray(ours[1].numpy(), np.float64),
                                   theirs[1].double().numpy(), rtol=1e-6)


def _float_version(op, data):
    t = torch.tensor(data)
    return (getattr(t, op)() if op in UNARY else REDUCING[op](torch, t)).double().numpy()


@needs_torch
@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss", "mse_loss",
                                  "binary_cross_entropy", "binary_cross_entropy_with_logits"])
def test_integer_inputs_to_losses_never_truncate(loss):
    x = np.array([[1, 0, 2], [0, 1, 1]])
    t = {"cross_entropy": np.array([0, 2]), "nll_loss": np.array([0, 2])}.get(loss, x)

    def fn(lib):
        f = getattr(lib.nn.functional if lib is torch else F, loss)
        return f(lib.tensor(x), lib.tensor(t))

    ours, theirs = _run(mg, fn), _run(torch, fn)
    if theirs[0] == "ok" or (theirs[0] == "unimplemented" and ours[0] == "ok"):
        # where torch lacks an integer kernel we promote (deliberate): the value must be the
        # float computation's, never a truncated one
        want = float(theirs[1]) if theirs[0] == "ok" else float(fn_float(loss, x, t))
        assert ours[0] == "ok" and "float" in str(ours[1].dtype)
        np.testing.assert_allclose(float(ours[1]), want, rtol=1e-6)
    else:
        assert ours[0] != "ok", f"torch refuses {loss} on integers ({theirs[1]}); we returned " \
                                f"{ours[1]}"


def fn_float(loss, x, t):
    f = getattr(torch.nn.functional, loss)
    tt = torch.tensor(t) if loss in ("cross_entropy", "nll_loss") else torch.tensor(t * 1.0)
    return f(torch.tensor(x * 1.0), tt)


def _torch_module(name, *args):
    return getattr(torch.nn, name)(*args, dtype=torch.float32)


MODULES = {
    "Linear": (lambda: nn.Linear(3, 2), (2, 3)),
    "RNN": (lambda: nn.RNN(3, 2), (4, 2, 3)),
    "LSTM": (lambda: nn.LSTM(3, 2), (4, 2, 3)),
    "GRU": (lambda: nn.GRU(3, 2, num_layers=2, bidirectional=True), (4, 2, 3)),
    "LayerNorm": (lambda: nn.LayerNorm(3), (2, 3)),
    "MultiheadAttention": (lambda: nn.MultiheadAttention(4, 2), (3, 2, 4)),
    "RNNCell": (lambda: nn.RNNCell(3, 2), (4, 3)),
    "LSTMCell": (lambda: nn.LSTMCell(3, 2), (4, 3)),
    "GRUCell": (lambda: nn.GRUCell(3, 2), (4, 3)),
}


def _call(m, x):
    return m(x, x, x) if type(m).__name__ == "MultiheadAttention" else m(x)


@needs_torch
@pytest.mark.parametrize("name", sorted(MODULES))
@pytest.mark.parametrize("dtype", [np.float64, np.int64])
def test_wrong_dtype_input_to_a_float32_module_raises_like_torch(name, dtype):
    make, shape = MODULES[name]
    m = make()
    x = np.ones(shape, dtype)
    kw = dict(num_layers=m.num_layers, bidirectional=m.bidirectional) \
        if hasattr(m, "num_layers") else {}
    tm = getattr(torch.nn, name)(*_args(m), dtype=torch.float32, **kw)
    with pytest.raises((RuntimeError, ValueError)) as theirs:
        _call(tm, torch.from_numpy(x))
    with pytest.raises(theirs.type, match="(?i)dtype|type"):
        _call(m, mg.tensor(x))


def _args(m):
    if isinstance(m, nn.Linear):
        return (m.in_features, m.out_features)
    if isinstance(m, nn.LayerNorm):
        return (m.normalized_shape,)
    if isinstance(m, nn.MultiheadAttention):
        return (m.embed_dim, m.num_heads)
    return (m.input_size, m.hidden_size)


@needs_torch
@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("batched", [True, False])
def test_float64_hidden_state_to_a_float32_rnn_raises(name, batched):
    m = getattr(nn, name)(3, 2)
    tm = getattr(torch.nn, name)(3, 2, dtype=torch.float32)
    shape, hshape = ((4, 2, 3), (1, 2, 2)) if batched else ((4, 3), (1, 2))
    h = np.zeros(hshape)
    hx, thx = (mg.tensor(h), torch.tensor(h))
    if name == "LSTM":
        hx, thx = (hx, mg.tensor(h.astype(np.float32))), (thx, torch.tensor(h, dtype=torch.float32))
    with pytest.raises(RuntimeError):
        tm(torch.ones(shape, dtype=torch.float32), thx)
    with pytest.raises(RuntimeError, match="dtype"):
        m(mg.ones(*shape), hx)


@needs_torch
@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_float64_hidden_state_to_a_float32_cell_raises(name):
    m = getattr(nn, name)(3, 2)
    h = mg.tensor(np.zeros((4, 2)))
    hx = (h, h) if name == "LSTMCell" else h
    with pytest.raises(RuntimeError, match="dtype"):
        m(mg.ones(4, 3), hx)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_a_float64_module_runs_float64_and_module_to_converts(name):
    make, shape = MODULES[name]
    m = make().to(mg.float64)
    out = _call(m, mg.tensor(np.ones(shape)))
    out = out[0] if isinstance(out, tuple) else out
    assert out.dtype == mg.float64


@needs_torch
def test_matmul_of_mixed_float_dtypes_raises_like_torch():
    with pytest.raises(RuntimeError, match="dtype"):
        torch.ones(2, 3, dtype=torch.float64) @ torch.ones(3, 2, dtype=torch.float32)
    with pytest.raises(RuntimeError, match="dtype"):
        mg.tensor(np.ones((2, 3))) @ mg.ones(3, 2)


@needs_torch
@pytest.mark.parametrize("other", [np.float64, np.float32, np.int64, np.bool_])
def test_elementwise_promotion_matches_torch(other):
    a = np.ones(3, np.float32)
    b = np.ones(3, other)
    ours = (mg.tensor(a) + mg.tensor(b)).dtype
    theirs = (torch.from_numpy(a) + torch.from_numpy(b)).dtype
    assert _name(ours) == _name(theirs)
