"""Class 12 — attention masks and shapes as torch 2.13: bool / float masks of every accepted
shape, fully masked rows, integer masks, wrong-shaped attn_mask / key_padding_mask and
query-key-value shapes, compared with torch.nn.MultiheadAttention loaded with our weights."""
import numpy as np
import pytest
from conftest import needs_torch, torch
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
import nn

E, H = 4, 2


def _pair(batch_first=False):
    mg.manual_seed(0)
    m = nn.MultiheadAttention(E, H, batch_first=batch_first).to(mg.float64)
    tm = torch.nn.MultiheadAttention(E, H, batch_first=batch_first, dtype=torch.float64)
    tm.load_state_dict({k: torch.tensor(v.numpy()) for k, v in m.state_dict().items()})
    return m, tm


def _run(m, lib, q, k, v, **masks):
    qt, kt, vt = (lib.tensor(a, requires_grad=True) for a in (q, k, v))
    kw = {n: (lib.tensor(a) if a is not None else None) for n, a in masks.items()}
    out, w = m(qt, kt, vt, **kw)
    if out.numel() if lib is torch else out.size:
        (out * 1.0).nan_to_num().sum().backward() if lib is torch else None
    return out.detach().numpy(), None if w is None else w.detach().numpy()


def _compare(m, tm, q, k, v, **masks):
    ours = _run(m, mg, q, k, v, **masks)
    theirs = _run(tm, torch, q, k, v, **masks)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-10, atol=1e-12, equal_nan=True)
    if theirs[1] is not None:
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-10, atol=1e-12, equal_nan=True)


def _qkv(L, S, B, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((L, B, E)), rng.standard_normal((S, B, E)), \
        rng.standard_normal((S, B, E))


@needs_torch
@settings(max_examples=10)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.data())
def test_bool_and_float_masks_of_every_accepted_shape_match_torch(L, S, B, data):
    m, tm = _pair()
    q, k, v = _qkv(L, S, B)
    kind = data.draw(st.sampled_from(["bool2d", "bool3d", "float2d", "float3d", "kpm_bool",
                                      "kpm_float", "both_bool"]))
    rng = np.random.default_rng(L * 100 + S * 10 + B)
    masks = {}
    if kind.startswith("bool") or kind == "both_bool":
        shape = (L, S) if kind != "bool3d" else (B * H, L, S)
        am = rng.random(shape) < 0.3
        am[..., 0] = False          # keep one key per row: no fully masked row here
        masks["attn_mask"] = am
    if kind.startswith("float"):
        masks["attn_mask"] = rng.standard_normal((L, S) if kind == "float2d" else (B * H, L, S))
    if kind.startswith("kpm") or kind == "both_bool":
        kpm = rng.random((B, S)) < 0.3
        kpm[:, 0] = False
        masks["key_padding_mask"] = kpm if kind != "kpm_float" else kpm * -1e9
    for need in (True, False):
        for avg in (True, False):
            ours = m(*(mg.tensor(a) for a in (q, k, v)), need_weights=need,
                     average_attn_weights=avg, **{n: mg.tensor(a) for n, a in masks.items()})
            theirs = tm(*(torch.tensor(a) for a in (q, k, v)), need_weights=need,
                        average_attn_weights=avg,
                        **{n: torch.tensor(a) for n, a in masks.items()})
            np.testing.assert_allclose(ours[0].detach().numpy(), theirs[0].detach().numpy(),
                                       rtol=1e-9, atol=1e-12)
            if need:
                np.testing.assert_allclose(ours[1].detach().numpy(),
                                           theirs[1].detach().numpy(), rtol=1e-9, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("which", ["kpm_all", "attn_row", "attn_all", "both"])
def test_fully_masked_rows_match_torch(which, need_weights):
    m, tm = _pair()
    L, S, B = 3, 4, 2
    q, k, v = _qkv(L, S, B)
    am = np.zeros((L, S), bool)
    kpm = np.zeros((B, S), bool)
    if which == "kpm_all":
        kpm[1] = True
    elif which == "attn_row":
        am[1] = True
    elif which == "attn_all":
        am[:] = True
    else:
        am[0] = True
        kpm[0, 1:] = True
    kw = dict(attn_mask=am, key_padding_mask=kpm)
    with np.errstate(invalid="ignore"):
        ours = m(*(mg.tensor(a) for a in (q, k, v)), need_weights=need_weights,
                 **{n: mg.tensor(a) for n, a in kw.items()})
    theirs = tm(*(torch.tensor(a) for a in (q, k, v)), need_weights=need_weights,
                **{n: torch.tensor(a) for n, a in kw.items()})
    np.testing.assert_allclose(ours[0].detach().numpy(), theirs[0].detach().numpy(),
                               rtol=1e-9, atol=1e-12, equal_nan=True)


@needs_torch
@pytest.mark.parametrize("name", ["attn_mask", "key_padding_mask"])
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8])
def test_integer_masks_are_refused_as_torch_does(name, dtype):
    """torch 2.13 refuses integer masks (AssertionError "only bool and floating types");
    we raise TypeError (deliberate: an assert is no API error type) naming the argument."""
    m, tm = _pair()
    q, k, v = _qkv(3, 3, 2)
    mask = np.zeros((3, 3) if name == "attn_mask" else (2, 3), dtype)
    mask[..., 1] = 1
    with pytest.raises(AssertionError, match="only bool and floating"):
        tm(*(torch.tensor(a) for a in (q, k, v)), **{name: torch.tensor(mask)})
    with pytest.raises(TypeError, match=name):
        m(*(mg.tensor(a) for a in (q, k, v)), **{name: mg.tensor(mask)})


@needs_torch
@pytest.mark.parametrize("shape", [(3, 4), (4, 3), (3,), (1, 3, 3), (2, 3, 3), (5, 3, 3),
                                   (2, 2, 3, 3)])
def test_wrong_shaped_attn_mask_raises_like_torch(shape):
    m, tm = _pair()
    q, k, v = _qkv(3, 3, 2)
    mask = np.zeros(shape, bool)
    try:
        tm(*(torch.tensor(a) for a in (q, k, v)), attn_mask=torch.tensor(mask))
    except (RuntimeError, AssertionError):
        with pytest.raises(RuntimeError, match="attn_mask"):
            m(*(mg.tensor(a) for a in (q, k, v)), attn_mask=mg.tensor(mask))
        return
    m(*(mg.tensor(a) for a in (q, k, v)), attn_mask=mg.tensor(mask))


@needs_torch
@pytest.mark.parametrize("shape", [(2, 4), (3, 3), (2,), (2, 3, 1), (1, 3)])
def test_wrong_shaped_key_padding_mask_raises_like_torch(shape):
    m, tm = _pair()
    q, k, v = _qkv(3, 3, 2)
    mask = np.zeros(shape, bool)
    try:
        tm(*(torch.tensor(a) for a in (q, k, v)), key_padding_mask=torch.tensor(mask))
    except (RuntimeError, AssertionError):
        with pytest.raises(RuntimeError, match="key_padding_mask"):
            m(*(mg.tensor(a) for a in (q, k, v)), key_padding_mask=mg.tensor(mask))
        return
    m(*(mg.tensor(a) for a in (q, k, v)), key_padding_mask=mg.tensor(mask))


@needs_torch
@pytest.mark.parametrize("shapes,bad", [
    (((3, 2, 4), (3, 2, 5), (3, 2, 4)), "key"),
    (((3, 2, 4), (3, 2, 4), (3, 2, 5)), "value"),
    (((3, 2, 4), (3, 1, 4), (3, 1, 4)), "key"),
    (((3, 2, 4), (3, 2, 4), (5, 2, 4)), "value"),
    (((3, 2, 5), (3, 2, 5), (3, 2, 5)), "embed_dim"),
])
def test_query_key_value_shape_errors_name_the_argument(shapes, bad):
    m, tm = _pair()
    arrays = [np.zeros(s) for s in shapes]
    with pytest.raises((AssertionError, RuntimeError)):
        tm(*(torch.tensor(a) for a in arrays))
    with pytest.raises(ValueError, match=bad):
        m(*(mg.tensor(a) for a in arrays))


@needs_torch
@pytest.mark.parametrize("batch_first", [False, True])
def test_unbatched_and_batch_first_inputs_with_masks_match_torch(batch_first):
    m, tm = _pair(batch_first)
    rng = np.random.default_rng(3)
    q, k = rng.standard_normal((3, E)), rng.standard_normal((4, E))
    kpm = np.array([False, True, False, False])
    am = np.zeros((3, 4), bool)
    am[2, 2] = True
    ours = m(mg.tensor(q), mg.tensor(k), mg.tensor(k), key_padding_mask=mg.tensor(kpm),
             attn_mask=mg.tensor(am))
    theirs = tm(torch.tensor(q), torch.tensor(k), torch.tensor(k),
                key_padding_mask=torch.tensor(kpm), attn_mask=torch.tensor(am))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-9,
                                   atol=1e-12)


@needs_torch
def test_gradients_through_masked_attention_match_torch():
    m, tm = _pair()
    q, k, v = _qkv(3, 4, 2, seed=5)
    kpm = np.array([[False, False, True, True], [False, True, False, False]])
    am = np.triu(np.ones((3, 4), bool), 2)
    grads = []
    for mod, lib in ((m, mg), (tm, torch)):
        ts = [lib.tensor(a, requires_grad=True) for a in (q, k, v)]
        out, w = mod(*ts, key_padding_mask=lib.tensor(kpm), attn_mask=lib.tensor(am))
        ((out ** 2).sum() + (w ** 2).sum()).backward()
        grads.append([t.grad.numpy() for t in ts] +
                     [p.grad.numpy() for _, p in sorted(mod.named_parameters())])
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("kind", ["bool", "float", "causal", "all_masked_row"])
def test_scaled_dot_product_attention_masks_match_torch(kind):
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal((2, 3, 4)) for _ in range(3))
    kw = {}
    if kind == "bool":
        kw["attn_mask"] = rng.random((3, 3)) < 0.6
        kw["attn_mask"][:, 0] = True
    elif kind == "float":
        kw["attn_mask"] = rng.standard_normal((3, 3))
    elif kind == "causal":
        kw["is_causal"] = True
    else:
        kw["attn_mask"] = np.ones((3, 3), bool)
        kw["attn_mask"][1] = False
    conv = lambda lib: {n: lib.tensor(a) if isinstance(a, np.ndarray) else a  # noqa: E731
                        for n, a in kw.items()}
    with np.errstate(invalid="ignore"):
        ours = nn.functional.scaled_dot_product_attention(
            *(mg.tensor(a) for a in (q, k, v)), **conv(mg))
    theirs = torch.nn.functional.scaled_dot_product_attention(
        *(torch.tensor(a) for a in (q, k, v)), **conv(torch))
    np.testing.assert_allclose(ours.detach().numpy(), theirs.numpy(), rtol=1e-10,
                               atol=1e-12, equal_nan=True)
