"""Whole-sequence recurrences: forward and backpropagation through time in one call.

Modes: 0 = RNN tanh, 1 = RNN relu, 2 = LSTM (gates i, f, g, o), 3 = GRU (gates r, z, n).
Inputs are already projected: ``xp[t] = W_ih x_t + b_ih`` (T, B, G), computed by one GEMM
outside.  Each step does ``h W_hh^T`` (BLAS) and the gate arithmetic; ``mask[t, b]`` (0 or 1)
marks real steps: on padding the state is carried unchanged and the output is zero.

    h_cand = cell(xp[t], h_prev)        h = m h_cand + (1 - m) h_prev       out[t] = m h_cand

``s`` counts steps in processing order (t = s, or T-1-s for the reverse direction) and the
saved arrays are indexed by s: ``hs[s]`` is the state *before* step s (hs[0] = h0).

The backward returns ``dxp`` (gradient of the pre-activations fed by xp), ``dgh`` (gradient
of the pre-activations fed by ``h W_hh^T + b_hh``, time-ordered), ``dh0`` and ``dc0``; the
weight gradients are then two GEMMs outside: dW_hh = sum_s dgh^T h_prev, db_hh = sum dgh.
"""
from __future__ import annotations

import numpy as np

from ._jit import jit, pick


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


# ----------------------------------------------------------------------------- reference


def recurrence_forward_ref(mode, xp, h0, c0, w_hh, b_hh, mask, reverse):
    """Plain numpy, one vectorised step at a time.  Returns out, hs, cs, acts, hnl."""
    T, B, G = xp.shape
    H = h0.shape[1]
    out = np.zeros((T, B, H), xp.dtype)
    hs = np.zeros((T + 1, B, H), xp.dtype)
    cs = np.zeros((T + 1, B, H), xp.dtype)
    acts = np.zeros((T, B, G), xp.dtype)
    hnl = np.zeros((T, B, H), xp.dtype)
    hs[0], cs[0] = h0, c0
    for s in range(T):
        t = T - 1 - s if reverse else s
        h, c, m = hs[s], cs[s], mask[t][:, None]
        gh = h @ w_hh.T + b_hh
        if mode <= 1:
            a = xp[t] + gh
            hc = np.tanh(a) if mode == 0 else np.maximum(a, 0)
            cc = c
            acts[s] = hc
        elif mode == 2:
            a = xp[t] + gh
            i, f, g, o = _sig(a[:, :H]), _sig(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), \
                _sig(a[:, 3 * H:])
            cc = f * c + i * g
            hc = o * np.tanh(cc)
            acts[s] = np.concatenate([i, f, g, o], 1)
        else:
            r = _sig(xp[t, :, :H] + gh[:, :H])
            z = _sig(xp[t, :, H:2 * H] + gh[:, H:2 * H])
            n = np.tanh(xp[t, :, 2 * H:] + r * gh[:, 2 * H:])
            hc = (1 - z) * n + z * h
            cc = c
            acts[s] = np.concatenate([r, z, n], 1)
            hnl[s] = gh[:, 2 * H:]
        hs[s + 1] = m * hc + (1 - m) * h
        cs[s + 1] = m * cc + (1 - m) * c
        out[t] = m * hc
    return out, hs, cs, acts, hnl


def recurrence_backward_ref(mode, dout, dh_n, dc_n, hs, cs, acts, hnl, w_hh, mask, reverse):
    """BPTT in plain numpy.  Returns dxp, dgh (both (T, B, G), time-ordered), dh0, dc0."""
    T, B, H = dout.shape
    G = w_hh.shape[0]
    dxp = np.zeros((T, B, G), dout.dtype)
    dgh = np.zeros((T, B, G), dout.dtype)
    dh, dc = dh_n.copy(), dc_n.copy()
    for s in range(T - 1, -1, -1):
        t = T - 1 - s if reverse else s
        m = mask[t][:, None]
        h, c = hs[s], cs[s]
        dhc = m * (dout[t] + dh)  # gradient reaching this step's candidate state
        dh_carry = (1 - m) * dh
        if mode <= 1:
            hc = acts[s]
            da = dhc * (1 - hc * hc) if mode == 0 else dhc * (hc > 0)
            dxp[t] = dgh[t] = da
            dc_prev = dc
        elif mode == 2:
            a = acts[s]
            i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
            cc = f * c + i * g
            tc = np.tanh(cc)
            dct = m * dc + dhc * o * (1 - tc * tc)
            da = np.concatenate([dct * g * i * (1 - i), dct * c * f * (1 - f),
                                 dct * i * (1 - g * g), dhc * tc * o * (1 - o)], 1)
            dxp[t] = dgh[t] = da
            dc_prev = dct * f + (1 - m) * dc
        else:
            a = acts[s]
            r, z, n = a[:, :H], a[:, H:2 * H], a[:, 2 * H:]
            dn = dhc * (1 - z) * (1 - n * n)
            dr = dn * hnl[s] * r * (1 - r)
            dz = dhc * (h - n) * z * (1 - z)
            dxp[t] = np.concatenate([dr, dz, dn], 1)
            dgh[t] = np.concatenate([dr, dz, dn * r], 1)
            dh_carry = dh_carry + dhc * z
            dc_prev = dc
        dh = dgh[t] @ w_hh + dh_carry
        dc = dc_prev
    return dxp, dgh, dh, dc


# ----------------------------------------------------------------------------- kernel


@jit
def _forward_kernel(mode, xp, h0, c0, w_hh, b_hh, mask, reverse):
    T, B, G = xp.shape
    H = h0.shape[1]
    out = np.zeros((T, B, H), xp.dtype)
    hs = np.empty((T + 1, B, H), xp.dtype)
    cs = np.empty((T + 1, B, H), xp.dtype)
    acts = np.empty((T, B, G), xp.dtype)
    hnl = np.zeros((T, B, H), xp.dtype)
    hs[0] = h0
    cs[0] = c0
    w_t = np.ascontiguousarray(w_hh.T)
    for s in range(T):
        t = T - 1 - s if reverse else s
        gh = np.dot(hs[s], w_t)
        for b in range(B):
            m = mask[t, b]
            for j in range(H):
                hp = hs[s, b, j]
                cp = cs[s, b, j]
                if mode <= 1:
                    a = xp[t, b, j] + gh[b, j] + b_hh[j]
                    hc = np.tanh(a) if mode == 0 else max(a, 0.0)
                    acts[s, b, j] = hc
                    cc = cp
                elif mode == 2:
                    i = 1.0 / (1.0 + np.exp(-(xp[t, b, j] + gh[b, j] + b_hh[j])))
                    f = 1.0 / (1.0 + np.exp(-(xp[t, b, H + j] + gh[b, H + j] + b_hh[H + j])))
                    g = np.tanh(xp[t, b, 2 * H + j] + gh[b, 2 * H + j] + b_hh[2 * H + j])
                    o = 1.0 / (1.0 + np.exp(-(xp[t, b, 3 * H + j] + gh[b, 3 * H + j]
                                              + b_hh[3 * H + j])))
                    acts[s, b, j] = i
                    acts[s, b, H + j] = f
                    acts[s, b, 2 * H + j] = g
                    acts[s, b, 3 * H + j] = o
                    cc = f * cp + i * g
                    hc = o * np.tanh(cc)
                else:
                    r = 1.0 / (1.0 + np.exp(-(xp[t, b, j] + gh[b, j] + b_hh[j])))
                    z = 1.0 / (1.0 + np.exp(-(xp[t, b, H + j] + gh[b, H + j] + b_hh[H + j])))
                    hn = gh[b, 2 * H + j] + b_hh[2 * H + j]
                    n = np.tanh(xp[t, b, 2 * H + j] + r * hn)
                    acts[s, b, j] = r
                    acts[s, b, H + j] = z
                    acts[s, b, 2 * H + j] = n
                    hnl[s, b, j] = hn
                    hc = (1.0 - z) * n + z * hp
                    cc = cp
                hs[s + 1, b, j] = m * hc + (1.0 - m) * hp
                cs[s + 1, b, j] = m * cc + (1.0 - m) * cp
                out[t, b, j] = m * hc
    return out, hs, cs, acts, hnl


@jit
def _backward_kernel(mode, dout, dh_n, dc_n, hs, cs, acts, hnl, w_hh, mask, reverse):
    T, B, H = dout.shape
    G = w_hh.shape[0]
    dxp = np.empty((T, B, G), dout.dtype)
    dgh = np.empty((T, B, G), dout.dtype)
    dh = dh_n.copy()
    dc = dc_n.copy()
    carry = np.empty((B, H), dout.dtype)
    for s in range(T - 1, -1, -1):
        t = T - 1 - s if reverse else s
        for b in range(B):
            m = mask[t, b]
            for j in range(H):
                dhc = m * (dout[t, b, j] + dh[b, j])
                carry[b, j] = (1.0 - m) * dh[b, j]
                if mode <= 1:
                    hc = acts[s, b, j]
                    if mode == 0:
                        da = dhc * (1.0 - hc * hc)
                    else:
                        da = dhc if hc > 0 else 0.0
                    dxp[t, b, j] = da
                    dgh[t, b, j] = da
                elif mode == 2:
                    i = acts[s, b, j]
                    f = acts[s, b, H + j]
                    g = acts[s, b, 2 * H + j]
                    o = acts[s, b, 3 * H + j]
                    cp = cs[s, b, j]
                    tc = np.tanh(f * cp + i * g)
                    dct = m * dc[b, j] + dhc * o * (1.0 - tc * tc)
                    v0 = dct * g * i * (1.0 - i)
                    v1 = dct * cp * f * (1.0 - f)
                    v2 = dct * i * (1.0 - g * g)
                    v3 = dhc * tc * o * (1.0 - o)
                    dxp[t, b, j] = v0
                    dxp[t, b, H + j] = v1
                    dxp[t, b, 2 * H + j] = v2
                    dxp[t, b, 3 * H + j] = v3
                    dgh[t, b, j] = v0
                    dgh[t, b, H + j] = v1
                    dgh[t, b, 2 * H + j] = v2
                    dgh[t, b, 3 * H + j] = v3
                    dc[b, j] = dct * f + (1.0 - m) * dc[b, j]
                else:
                    r = acts[s, b, j]
                    z = acts[s, b, H + j]
                    n = acts[s, b, 2 * H + j]
                    dn = dhc * (1.0 - z) * (1.0 - n * n)
                    dr = dn * hnl[s, b, j] * r * (1.0 - r)
                    dz = dhc * (hs[s, b, j] - n) * z * (1.0 - z)
                    dxp[t, b, j] = dr
                    dxp[t, b, H + j] = dz
                    dxp[t, b, 2 * H + j] = dn
                    dgh[t, b, j] = dr
                    dgh[t, b, H + j] = dz
                    dgh[t, b, 2 * H + j] = dn * r
                    carry[b, j] += dhc * z
        dh = np.dot(dgh[t], w_hh) + carry
    return dxp, dgh, dh, dc


def _c(a, dtype):
    return np.ascontiguousarray(a, dtype=dtype)


# Measured (benchmarks/run.py, 2 cores): the jitted loop computes exp/tanh one scalar at a
# time, numpy's ufuncs use SIMD.  Below this many (batch x hidden) elements per step the loop
# wins (5-10x at batch 1); above it the per-step vectorised reference is faster.
VECTORISE_ABOVE = 2048


def _forward_numba(mode, xp, h0, c0, w_hh, b_hh, mask, reverse):
    dt = xp.dtype
    if h0.size > VECTORISE_ABOVE:
        return recurrence_forward_ref(mode, xp, h0, c0, w_hh, b_hh, mask, reverse)
    return _forward_kernel(mode, _c(xp, dt), _c(h0, dt), _c(c0, dt), _c(w_hh, dt), _c(b_hh, dt),
                           _c(mask, dt), reverse)


def _backward_numba(mode, dout, dh_n, dc_n, hs, cs, acts, hnl, w_hh, mask, reverse):
    dt = dout.dtype
    if dh_n.size > VECTORISE_ABOVE:
        return recurrence_backward_ref(mode, dout, dh_n, dc_n, hs, cs, acts, hnl, w_hh, mask,
                                       reverse)
    return _backward_kernel(mode, _c(dout, dt), _c(dh_n, dt), _c(dc_n, dt), hs, cs, acts, hnl,
                            _c(w_hh, dt), _c(mask, dt), reverse)


recurrence_forward = pick(_forward_numba, recurrence_forward_ref)
recurrence_backward = pick(_backward_numba, recurrence_backward_ref)
