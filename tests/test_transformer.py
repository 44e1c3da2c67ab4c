"""erf, GELU and the Transformer modules: kernel == reference, gradchecks, and torch parity
(state_dicts loaded as is; outputs and gradients of inputs and every parameter, float64)."""
import itertools
import math
import warnings

import numpy as np
import pytest
from conftest import needs_torch, torch
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
import nn
from minigrad.testing import arrays, shapes
from nn import functional as F
from nn.erf import _erf_numba, erf_ref

# ----------------------------------------------------------------------------- erf / gelu

SPECIAL = np.array([0.0, -0.0, 1e-300, 5e-324, -1e-20, 0.46875, -0.46875, 0.4687500001, 4.0,
                    -4.0, 4.0000001, 5.9, 26.0, 27.5, 1e10, np.inf, -np.inf, np.nan])


def ulps(a, b):
    return np.abs(a - b) / np.spacing(np.maximum(np.abs(a), np.abs(b)))


def test_erf_kernel_equals_reference_and_libm():
    x = np.concatenate([np.linspace(-8, 8, 40001), SPECIAL,
                        np.random.default_rng(0).standard_normal(5000) * 3])
    ref, ker = erf_ref(x), _erf_numba(x)
    exact = np.array([math.erf(v) for v in x])
    np.testing.assert_array_equal(np.isnan(ref), np.isnan(exact))
    np.testing.assert_array_equal(np.isnan(ker), np.isnan(exact))
    ok = ~np.isnan(exact)
    assert ulps(ref[ok], exact[ok]).max() <= 4  # Cody's fits: a few units in the last place
    assert ulps(ker[ok], exact[ok]).max() <= 1
    assert np.signbit(erf_ref(np.array([-0.0]))[0]) and erf_ref(np.array([np.inf]))[0] == 1


def test_erf_dtypes_and_reference_mode():
    assert F.erf(mg.tensor(np.ones(3, np.float32))).dtype == np.float32
    assert F.erf(mg.tensor([1, 2])).dtype == mg.get_default_dtype()
    assert F.erf(mg.tensor(0.5, dtype=np.float64)).shape == ()
    x = np.linspace(-5, 5, 101)
    with mg.reference_mode():
        slow = np.asarray(F.erf(mg.tensor(x)))
    assert ulps(slow, np.asarray(F.erf(mg.tensor(x)))).max() <= 4


@given(arrays(shapes(0, 3, min_side=0, max_side=4)), st.sampled_from(["erf", "none", "tanh"]))
def test_erf_gelu_gradcheck(a, which):
    fn = F.erf if which == "erf" else (lambda x: F.gelu(x, approximate=which))
    assert mg.gradcheck(fn, [mg.tensor(a, requires_grad=True)])


@needs_torch
@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gelu_and_erf_match_torch(approximate, dtype):
    x = np.concatenate([np.random.default_rng(1).standard_normal(500) * 4,
                        [0.0, -3e-9, 7.5, -9.0]]).astype(dtype)
    xm, xt = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    w = np.cos(np.arange(x.size)).astype(dtype)
    for ours, theirs in ((F.gelu(xm, approximate), torch.nn.functional.gelu(xt, approximate=
                                                                             approximate)),
                         (nn.GELU(approximate)(xm), torch.nn.GELU(approximate)(xt)),
                         (F.erf(xm), torch.erf(xt))):
        xm.grad, xt.grad = None, None
        (ours * mg.tensor(w)).sum().backward()
        (theirs * torch.tensor(w)).sum().backward()
        # float32: 1 - tanh(u)^2 cancels near saturation, so one ulp of tanh (1.2e-7) times
        # x u'(x) (up to ~20 here) separates two correct implementations (float64 alike)
        tol = dict(rtol=1e-5, atol=3e-6) if dtype == np.float32 else dict(rtol=1e-14,
                                                                          atol=1e-14)
        assert ours.dtype == dtype
        np.testing.assert_allclose(np.asarray(ours.detach()), theirs.detach().numpy(), **tol)
        np.testing.assert_allclose(np.asarray(xm.grad), xt.grad.numpy(), **tol)
    assert repr(nn.GELU("tanh")) == "GELU(approximate='tanh')"
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh'"):
        F.gelu(xm, approximate="fast")
    with pytest.raises(TypeError, match="floating-point"):
        F.gelu(mg.tensor([1, 2]))


# ----------------------------------------------------------------------------- transformer

E, H, FF = 8, 2, 12


def load(m, tm):
    m.double().load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    return m


def torch_model(cls, *args, **kw):
    with warnings.catch_warnings():  # torch warns its nested-tensor fast path is off
        warnings.simplefilter("ignore")
        return getattr(torch.nn, cls)(*args, **kw).double()


def compare(m, tm, inputs, call, tcall=None, rtol=1e-10, atol=1e-12):
    """Run both models on the same float64 inputs; compare outputs, input and parameter
    gradients of sum(out * w)."""
    tcall = tcall or call
    ms = [mg.tensor(a, requires_grad=True) for a in inputs]
    ts = [torch.tensor(a, requires_grad=True) for a in inputs]
    out, tout = call(m, mg, *ms), tcall(tm, torch, *ts)
    np.testing.assert_allclose(np.asarray(out.detach()), tout.detach().numpy(), rtol=rtol,
                               atol=atol)
    w = np.cos(np.arange(out.numel())).reshape(out.shape)
    (out * mg.tensor(w)).sum().backward()
    (tout * torch.tensor(w)).sum().backward()
    for a, b in zip(ms, ts):
        np.testing.assert_allclose(np.asarray(a.grad), b.grad.numpy(), rtol=rtol, atol=atol)
    tp = dict(tm.named_parameters())
    assert [n for n, _ in m.named_parameters()] == list(tp)
    for n, p in m.named_parameters():
        np.testing.assert_allclose(np.asarray(p.grad), tp[n].grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=n)
    return out


def batch(shape, batch_first, seed):
    x = np.random.default_rng(seed).standard_normal(shape)
    return x.transpose(1, 0, 2).copy() if batch_first else x


def as_lib(lib, a):
    return None if a is None else (mg.tensor(a) if lib is mg else torch.tensor(a))


CONFIGS = list(itertools.product([False, True], ["relu", "gelu"], [False, True],
                                 [True, False]))


@needs_torch
@pytest.mark.parametrize("norm_first,activation,batch_first,bias", CONFIGS)
def test_encoder_layer_matches_torch(norm_first, activation, batch_first, bias):
    kw = dict(dim_feedforward=FF, dropout=0.0, activation=activation, batch_first=batch_first,
              norm_first=norm_first, bias=bias, layer_norm_eps=1e-6)
    tm = torch_model("TransformerEncoderLayer", E, H, **kw)
    m = load(nn.TransformerEncoderLayer(E, H, **kw), tm)
    x = batch((5, 3, E), batch_first, 0)
    kpm = np.zeros((3, 5), bool)
    kpm[1, 3:] = True
    causal = np.triu(np.ones((5, 5), bool), 1)
    for mask, pad in ((None, None), (causal, None), (causal, kpm), (np.where(causal, -np.inf, 0),
                                                                    kpm.astype(float) * -1e9)):
        tm.zero_grad()
        compare(m, tm, [x], lambda mod, lib, x, mask=mask, pad=pad: mod(
            x, src_mask=as_lib(lib, mask), src_key_padding_mask=as_lib(lib, pad)))
        m.zero_grad()


@needs_torch
@pytest.mark.parametrize("norm_first,activation,batch_first,bias", CONFIGS)
def test_decoder_layer_matches_torch(norm_first, activation, batch_first, bias):
    kw = dict(dim_feedforward=FF, dropout=0.0, activation=activation, batch_first=batch_first,
              norm_first=norm_first, bias=bias)
    tm = torch_model("TransformerDecoderLayer", E, H, **kw)
    m = load(nn.TransformerDecoderLayer(E, H, **kw), tm)
    tgt, mem = batch((4, 3, E), batch_first, 1), batch((6, 3, E), batch_first, 2)
    tmask = np.where(np.triu(np.ones((4, 4), bool), 1), -np.inf, 0.0)
    mmask = np.random.default_rng(3).standard_normal((4, 6))  # a float bias on the scores
    tpad = np.zeros((3, 4), bool)
    tpad[2, 3] = True
    mpad = np.zeros((3, 6), bool)
    mpad[0, 4:] = True

    def call(mod, lib, tgt, mem):
        return mod(tgt, mem, tgt_mask=as_lib(lib, tmask), memory_mask=as_lib(lib, mmask),
                   tgt_key_padding_mask=as_lib(lib, tpad),
                   memory_key_padding_mask=as_lib(lib, mpad))

    compare(m, tm, [tgt, mem], call)


@needs_torch
@pytest.mark.parametrize("batch_first,norm_first", [(False, False), (True, True)])
def test_transformer_matches_torch(batch_first, norm_first):
    kw = dict(d_model=E, nhead=H, num_encoder_layers=2, num_decoder_layers=2,
              dim_feedforward=FF, dropout=0.0, batch_first=batch_first, norm_first=norm_first)
    tm = torch_model("Transformer", **kw)
    m = load(nn.Transformer(**kw), tm)
    src, tgt = batch((5, 2, E), batch_first, 4), batch((4, 2, E), batch_first, 5)
    spad = np.array([[False] * 5, [False] * 3 + [True] * 2])

    def call(mod, lib, src, tgt):
        tmask = type(mod).generate_square_subsequent_mask(4)
        return mod(src, tgt, tgt_mask=tmask, src_key_padding_mask=as_lib(lib, spad),
                   memory_key_padding_mask=as_lib(lib, spad), tgt_is_causal=True)

    compare(m, tm, [src, tgt], call)


@needs_torch
def test_stacks_with_norm_unbatched_and_3d_masks():
    tl = torch_model("TransformerEncoderLayer", E, H, FF, 0.0)
    tm = torch_model("TransformerEncoder", tl, 3, torch.nn.LayerNorm(E),
                     enable_nested_tensor=False)
    m = load(nn.TransformerEncoder(nn.TransformerEncoderLayer(E, H, FF, 0.0), 3,
                                   nn.LayerNorm(E)), tm)
    x = np.random.default_rng(6).standard_normal((5, E))
    compare(m, tm, [x], lambda mod, lib, x: mod(x))  # unbatched (S, E)
    m.zero_grad()
    tm.zero_grad()
    mask3 = np.random.default_rng(7).standard_normal((2 * H, 5, 5))  # (B * nhead, S, S)
    xb = np.random.default_rng(8).standard_normal((5, 2, E))
    compare(m, tm, [xb], lambda mod, lib, x: mod(x, mask=as_lib(lib, mask3)))

    tdl = torch_model("TransformerDecoderLayer", E, H, FF, 0.0, activation=torch.tanh)
    tdec = torch_model("TransformerDecoder", tdl, 2, None)
    dec = load(nn.TransformerDecoder(nn.TransformerDecoderLayer(E, H, FF, 0.0,
                                                                activation=mg.tanh), 2), tdec)
    mem = np.random.default_rng(9).standard_normal((6, E))
    tgt = np.random.default_rng(10).standard_normal((3, E))
    compare(dec, tdec, [tgt, mem], lambda mod, lib, t, s: mod(t, s))


@needs_torch
def test_fully_masked_rows_give_torchs_numbers_not_nan():
    """torch's attention without weights gives a query with no allowed key zero output."""
    tm = torch_model("TransformerEncoderLayer", E, H, FF, 0.0)
    m = load(nn.TransformerEncoderLayer(E, H, FF, 0.0), tm)
    x = np.random.default_rng(11).standard_normal((3, 2, E))
    pad = np.array([[True, True, True], [False, True, True]])
    out = compare(m, tm, [x], lambda mod, lib, x: mod(x, src_key_padding_mask=as_lib(lib, pad)))
    assert np.isfinite(np.asarray(out.detach())).all()


@needs_torch
def test_is_causal_hint():
    tm = torch_model("TransformerEncoderLayer", E, H, FF, 0.0)
    m = load(nn.TransformerEncoderLayer(E, H, FF, 0.0), tm)
    x = np.random.default_rng(12).standard_normal((4, 2, E))
    causal = nn.Transformer.generate_square_subsequent_mask(4)
    np.testing.assert_array_equal(np.asarray(causal),
                                  torch.nn.Transformer.generate_square_subsequent_mask(4))
    assert nn.Transformer.generate_square_subsequent_mask(3, dtype=np.float32).dtype == \
        np.float32
    # the hint with a mask that is not causal: torch trusts the hint (pure causal attention)
    ones = np.zeros((4, 4))
    compare(m, tm, [x], lambda mod, lib, x: mod(x, src_mask=as_lib(lib, ones), is_causal=True))
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        m(mg.tensor(x), is_causal=True)
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        tm(torch.tensor(x), is_causal=True)


@needs_torch
def test_state_dict_names_shapes_and_init():
    for bias in (True, False):
        tm = torch_model("Transformer", E, H, 2, 1, FF, bias=bias)
        m = nn.Transformer(E, H, 2, 1, FF, bias=bias)
        assert {k: tuple(v.shape) for k, v in m.state_dict().items()} == \
            {k: tuple(v.shape) for k, v in tm.state_dict().items()}
    for name, p in m.named_parameters():  # Xavier-uniform on every matrix
        if p.ndim > 1:
            bound = math.sqrt(6 / sum(p.shape))
            v = np.asarray(p.detach())
            assert np.abs(v).max() <= bound and np.abs(v).max() > 0.8 * bound, name
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(E, H, FF), 2)
    a, b = (np.asarray(layer.linear1.weight.detach()) for layer in enc.layers)
    np.testing.assert_array_equal(a, b)  # deep copies of one layer, as torch
    assert enc.layers[0].linear1.weight is not enc.layers[1].linear1.weight


def test_errors_dropout_and_dtype():
    layer = nn.TransformerEncoderLayer(E, H, FF, dropout=0.5)
    x = mg.randn(3, 2, E)
    with pytest.raises(TypeError, match="only bool and floating types of src_mask"):
        layer(x, src_mask=np.zeros((3, 3), np.int64))
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not swish"):
        nn.TransformerEncoderLayer(E, H, activation="swish")
    with pytest.raises(RuntimeError, match="minigrad runs on the CPU"):
        nn.TransformerEncoderLayer(E, H, device="cuda")
    t = nn.Transformer(E, H, 1, 1, FF)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        t(mg.randn(3, 2, E), mg.randn(3, 4, E))
    with pytest.raises(RuntimeError, match="the feature number of src and tgt"):
        t(mg.randn(3, 2, E), mg.randn(3, 2, E + 1))
    layer.train()
    assert not np.allclose(np.asarray(layer(x)), np.asarray(layer(x)))  # dropout draws
    layer.eval()
    np.testing.assert_array_equal(np.asarray(layer(x)), np.asarray(layer(x)))
    assert nn.TransformerEncoderLayer(E, H, dtype=np.float64).linear1.weight.dtype == np.float64


@settings(max_examples=6)  # ~150 finite-difference pairs of a 170-op forward per example
@given(s=st.integers(1, 3), t=st.integers(1, 3), b=st.integers(1, 2),
       norm_first=st.booleans(), activation=st.sampled_from(["relu", "gelu"]),
       masked=st.booleans(), check_encoder=st.booleans())
def test_transformer_layers_gradcheck(s, t, b, norm_first, activation, masked, check_encoder):
    """Encoder then decoder layer, w.r.t. both inputs and every parameter of one of them.
    relu's kink is avoided by a positive first-layer bias (pre-activations stay away from 0)."""
    rng = np.random.default_rng(s * 9 + t * 3 + b)
    kw = dict(dim_feedforward=3, dropout=0.0, activation=activation, norm_first=norm_first)
    enc = nn.TransformerEncoderLayer(4, 2, **kw).double()
    dec = nn.TransformerDecoderLayer(4, 2, **kw).double()
    with mg.no_grad():
        for layer in (enc, dec):
            layer.linear1.weight.copy_(np.asarray(layer.linear1.weight.detach()) * 0.1)
            layer.linear1.bias.fill_(3.0)
    src = mg.tensor(rng.standard_normal((s, b, 4)), requires_grad=True)
    tgt = mg.tensor(rng.standard_normal((t, b, 4)), requires_grad=True)
    pad = np.zeros((b, s), bool)
    if masked and s > 1:
        pad[0, -1] = True
    tmask = nn.Transformer.generate_square_subsequent_mask(t) if masked else None

    def f(src, tgt, *params):
        mem = enc(src, src_key_padding_mask=pad)
        return dec(tgt, mem, tgt_mask=tmask, memory_key_padding_mask=pad)

    assert mg.gradcheck(f, [src, tgt, *(enc if check_encoder else dec).parameters()])
