"""Attention: gradchecks with random masks, torch parity for SDPA and MultiheadAttention."""
import numpy as np
import pytest
from conftest import needs_torch, torch
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import nn
import nn.functional as F
from minigrad.testing import arrays


@st.composite
def qkv(draw, same_dim=False):
    B, L, S, E = (draw(st.integers(1, 3)) for _ in range(4))
    Ev = E if same_dim else draw(st.integers(1, 3))
    q, k, v = (draw(arrays(s)) for s in [(B, L, E), (B, S, E), (B, S, Ev)])
    mask = draw(arrays((B, L, S))) > -1  # mostly True
    mask[..., 0] = True  # every query keeps at least one key
    return q, k, v, mask


@given(case=qkv(), causal=st.booleans(), kind=st.sampled_from(["bool", "float", "none"]))
def test_sdpa_grad_and_parity(case, causal, kind):
    q, k, v, mask = case
    if causal:
        m = None
    elif kind == "bool":
        m = mask
    elif kind == "float":
        m = np.where(mask, 0.0, -2.5)
    else:
        m = None
    f = lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=m,  # noqa: E731
                                                       is_causal=causal)
    ts = [mg.tensor(a, requires_grad=True) for a in (q, k, v)]
    if causal and q.shape[1] > k.shape[1]:
        pass  # rows past S still see key 0 (tril), fine
    assert mg.gradcheck(f, ts)
    if torch is not None:
        tt = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
        tm = torch.tensor(m) if m is not None else None
        tout = torch.nn.functional.scaled_dot_product_attention(*tt, attn_mask=tm,
                                                                is_causal=causal)
        out = f(*ts)
        np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-7, atol=1e-10)
        w = np.cos(np.arange(out.size)).reshape(out.shape)
        (out * mg.tensor(w)).sum().backward()
        (tout * torch.tensor(w)).sum().backward()
        for a, b in zip(ts, tt):
            np.testing.assert_allclose(a.grad.detach().numpy(), b.grad.numpy(), rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("cls,kw", [(nn.AdditiveAttention, {}),
                                    (nn.DotAttention, {"score": "dot"}),
                                    (nn.DotAttention, {"score": "general", "scale": True})])
@given(case=qkv(same_dim=True), single=st.booleans())
def test_additive_and_dot_attention(cls, kw, case, single):
    q, k, v, mask = case
    E = q.shape[-1]
    att = (cls(E, E, 4) if cls is nn.AdditiveAttention else
           cls(query_dim=E, key_dim=E, **kw)).double()
    if single:
        q, mask = q[:, 0], mask[:, 0]
    params = list(att.parameters())
    ts = [mg.tensor(a, requires_grad=True) for a in (q, k, v)]
    assert mg.gradcheck(lambda q, k, v, *ps: att(q, k, v, mask=mask), ts + params)
    ctx, w = att(*ts, mask=mask)
    assert ctx.shape == (q.shape[:-1] + (v.shape[-1],))
    assert np.all(w.detach().numpy()[~mask] == 0)  # masked keys: exactly zero weight
    np.testing.assert_allclose(w.detach().numpy().sum(-1), 1)


def test_fully_masked_row_is_an_error():
    att = nn.DotAttention()
    q, k = mg.randn(2, 3), mg.randn(2, 4, 3)
    mask = np.ones((2, 4), bool)
    mask[1] = False
    with pytest.raises(ValueError, match="no valid key"):
        att(q, k, mask=mask)


MHA_CASES = [(h, bf, kpm, am) for h in (1, 2) for bf in (False, True)
             for kpm in (None, "bool", "float") for am in (None, "bool", "float", "3d")]


@needs_torch
@pytest.mark.parametrize("heads,batch_first,kpm,am", MHA_CASES)
def test_multihead_attention_torch_parity(heads, batch_first, kpm, am):
    E, B, L, S = 4, 2, 3, 5
    rng = np.random.default_rng(heads)
    tm = torch.nn.MultiheadAttention(E, heads, batch_first=batch_first).double()
    m = nn.MultiheadAttention(E, heads, batch_first=batch_first).double()
    assert sorted(k for k, _ in m.named_parameters()) == sorted(tm.state_dict())
    m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    shp = (lambda n: (B, n, E)) if batch_first else (lambda n: (n, B, E))
    q, k, v = rng.standard_normal(shp(L)), rng.standard_normal(shp(S)), \
        rng.standard_normal(shp(S))
    pad = np.zeros((B, S), bool)
    pad[1, 3:] = True
    kp = None if kpm is None else (pad if kpm == "bool" else np.where(pad, -np.inf, 0.0))
    blk = np.zeros((L, S), bool)
    blk[0, 1] = True
    amask = {None: None, "bool": blk, "float": np.where(blk, -1.5, 0.3),
             "3d": np.where(np.broadcast_to(blk, (B * heads, L, S)), -2.0, 0.1)}[am]
    ts = [mg.tensor(a, requires_grad=True) for a in (q, k, v)]
    tt = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    out, w = m(*ts, key_padding_mask=kp, attn_mask=amask)
    tout, tw = tm(*tt, key_padding_mask=None if kp is None else torch.tensor(kp),
                  attn_mask=None if amask is None else torch.tensor(amask))
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), rtol=1e-7, atol=1e-10)
    g = np.sin(np.arange(out.size)).reshape(out.shape)
    ((out * mg.tensor(g)).sum() + (w * w).sum()).backward()
    ((tout * torch.tensor(g)).sum() + (tw * tw).sum()).backward()
    for a, b in zip(ts, tt):
        np.testing.assert_allclose(a.grad.detach().numpy(), b.grad.numpy(), rtol=1e-7, atol=1e-10)
    tp = dict(tm.named_parameters())
    for n, p in m.named_parameters():
        np.testing.assert_allclose(p.grad.detach().numpy(), tp[n].grad.numpy(), rtol=1e-7, atol=1e-10)


@given(data=st.data())
def test_multihead_attention_gradcheck(data):
    E, heads = data.draw(st.sampled_from([(2, 1), (4, 2)]))
    L, S, B = (data.draw(st.integers(1, 3)) for _ in range(3))
    m = nn.MultiheadAttention(E, heads, batch_first=True).double()
    q = mg.tensor(data.draw(arrays((B, L, E))), requires_grad=True)
    kv = mg.tensor(data.draw(arrays((B, S, E))), requires_grad=True)
    pad = np.zeros((B, S), bool)
    pad[:, 1:] = data.draw(arrays((B, S - 1))) > 1 if S > 1 else pad[:, 1:]
    assert mg.gradcheck(lambda q, kv, *ps: m(q, kv, kv, key_padding_mask=pad)[0],
                        [q, kv, *m.parameters()])
