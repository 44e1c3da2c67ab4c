"""Whole-sequence recurrences: forward and backpropagation through time in one call.

Modes: 0 = RNN tanh, 1 = RNN relu, 2 = LSTM (gates i, f, g, o), 3 = GRU (gates r, z, n).
Inputs are already projected: ``xp[t] = W_ih x_t + b_ih`` (T, B, G), computed by one GEMM
outside.  Each step does ``h W_hh^T`` (numpy's BLAS for large steps, ``_matmul_add`` for
small ones) and the gate arithmetic; ``mask[t, b]`` (0 or 1) marks real steps: on padding
the state is carried unchanged and the output is zero.

    h_cand = cell(xp[t], h_prev)        h = m h_cand + (1 - m) h_prev       out[t] = m h_cand

``s`` counts steps in processing order (t = s, or T-1-s for the reverse direction) and the
saved arrays are indexed by s: ``hs[s]`` is the state *before* step s (hs[0] = h0);
``acts[s]`` holds the gate activations and ``aux[s]`` what else the backward needs (LSTM:
tanh(c_t); GRU: h W_hn^T + b_hn), so the backward is arithmetic only.

The backward returns ``dxp`` (gradient of the pre-activations fed by xp), ``dgh`` (gradient
of the pre-activations fed by ``h W_hh^T + b_hh``, time-ordered), ``dh0`` and ``dc0``; the
weight gradients are then two GEMMs outside: dW_hh = sum_s dgh^T h_prev, db_hh = sum dgh.
"""
from __future__ import annotations

import weakref
from collections import OrderedDict
from enum import IntEnum

import numpy as np

from minigrad.kernels import jit, pick


class Mode(IntEnum):
    """The four recurrences, shared by the cells, the fused op and the kernels."""

    RNN_TANH = 0
    RNN_RELU = 1
    LSTM = 2
    GRU = 3


GATES = {Mode.RNN_TANH: 1, Mode.RNN_RELU: 1, Mode.LSTM: 4, Mode.GRU: 3}


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


# ----------------------------------------------------------------------------- reference


def recurrence_forward_ref(mode, xp, h0, c0, w_hh, b_hh, mask, reverse):
    """Plain numpy, one vectorised step at a time.  Returns out, hs, cs, acts, aux."""
    T, B, G = xp.shape
    H = h0.shape[1]
    out = np.zeros((T, B, H), xp.dtype)
    hs = np.zeros((T + 1, B, H), xp.dtype)
    cs = np.zeros((T + 1, B, H), xp.dtype)
    acts = np.zeros((T, B, G), xp.dtype)
    aux = np.zeros((T, B, H), xp.dtype)
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
            aux[s] = np.tanh(cc)
            hc = o * aux[s]
            acts[s] = np.concatenate([i, f, g, o], 1)
        else:
            r = _sig(xp[t, :, :H] + gh[:, :H])
            z = _sig(xp[t, :, H:2 * H] + gh[:, H:2 * H])
            n = np.tanh(xp[t, :, 2 * H:] + r * gh[:, 2 * H:])
            hc = (1 - z) * n + z * h
            cc = c
            acts[s] = np.concatenate([r, z, n], 1)
            aux[s] = gh[:, 2 * H:]
        hs[s + 1] = m * hc + (1 - m) * h
        cs[s + 1] = m * cc + (1 - m) * c
        out[t] = m * hc
    return out, hs, cs, acts, aux


def recurrence_backward_ref(mode, dout, dh_n, dc_n, hs, cs, acts, aux, w_hh, mask, reverse):
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
            tc = aux[s]
            dct = m * dc + dhc * o * (1 - tc * tc)
            da = np.concatenate([dct * g * i * (1 - i), dct * c * f * (1 - f),
                                 dct * i * (1 - g * g), dhc * tc * o * (1 - o)], 1)
            dxp[t] = dgh[t] = da
            dc_prev = dct * f + (1 - m) * dc
        else:
            a = acts[s]
            r, z, n = a[:, :H], a[:, H:2 * H], a[:, 2 * H:]
            dn = dhc * (1 - z) * (1 - n * n)
            dr = dn * aux[s] * r * (1 - r)
            dz = dhc * (h - n) * z * (1 - z)
            dxp[t] = np.concatenate([dr, dz, dn], 1)
            dgh[t] = np.concatenate([dr, dz, dn * r], 1)
            dh_carry = dh_carry + dhc * z
            dc_prev = dc
        dh = dgh[t] @ w_hh + dh_carry
        dc = dc_prev
    return dxp, dgh, dh, dc


# ----------------------------------------------------------------------------- kernel
#
# The step loop is shaped so LLVM vectorises it: one branch per mode outside the inner loop
# over units, no Python-style division checks (``jit`` uses numpy's error model), and, in
# float32, tanh and sigmoid from a rational approximation instead of scalar libm calls.
# Measured on 64 x 2048 float32 values: libm tanh 9 ns per value, the approximation 0.18 ns,
# numpy's SIMD tanh 0.26 ns.  float64 keeps the exact libm functions (parity tests there
# run at 1e-7).


# x P(x^2) / Q(x^2): the clamp, then P's coefficients from x^12 down, then Q's from x^6 down.
# float32, so float32 data is computed in float32 (twice the SIMD lanes of float64).
_TANH_FIT = np.array([9.0,
                      -8.290923599881261e-14, 5.1925411010652215e-11, -2.0029247396822144e-08,
                      1.1101747024491972e-05, 0.0030986471530049407, 0.13079157289522833,
                      0.9999999689289962,
                      0.0002538590655449515, 0.024473733134910552, 0.4641247753817625, 1.0],
                     np.float32)
_HALF, _ONE = np.array([0.5], np.float32), np.array([1.0], np.float32)  # typed constants


@jit(inline="always")
def _tanh(x, fast):
    """tanh(x); with ``fast``, x P(x^2) / Q(x^2) on [-9, 9] (tanh(9) = 1 - 3e-8), a rational
    fit made for this file by reweighted least squares (max error 3.6e-8 in exact arithmetic,
    3.4e-7 evaluated in float32), with no libm call, so the loop around it vectorises."""
    if fast is None:
        return np.tanh(x)
    c = _TANH_FIT
    x = min(max(x, -c[0]), c[0])
    x2 = x * x
    p = ((((((c[1] * x2 + c[2]) * x2 + c[3]) * x2 + c[4]) * x2 + c[5]) * x2 + c[6]) * x2
         + c[7])
    q = ((c[8] * x2 + c[9]) * x2 + c[10]) * x2 + c[11]
    return min(max(x * p / q, -_ONE[0]), _ONE[0])  # the fit overshoots 1 by an ulp near 9


@jit(inline="always")
def _sigmoid(x, fast):
    """1 / (1 + e^-x); with ``fast``, the same function as 0.5 + 0.5 tanh(x / 2)."""
    if fast is None:
        return 1.0 / (1.0 + np.exp(-x))
    return _HALF[0] + _HALF[0] * _tanh(_HALF[0] * x, True)


@jit(inline="always")
def _gate(v, scale, fast):
    """sigmoid(v) if ``scale`` is 0.5, tanh(v) if it is 1; branch-free when ``fast``:
    sigmoid(v) = 0.5 + 0.5 tanh(v / 2)."""
    if fast is not None:
        return scale * _tanh(scale * v, True) + (_ONE[0] - scale)
    return _sigmoid(v, None) if scale != 1 else np.tanh(v)


@jit
def _forward_step(mode, x, gh, b_hh, m, h, c, h_new, c_new, y, aux, out, gate_scale, fast):
    """One step for the whole batch, given ``gh = h W_hh^T``: gate activations into ``y``,
    the new state into ``h_new``/``c_new``, the output into ``out``.  Row arrays are (B, .)."""
    B, H = h.shape
    G = y.shape[1]
    one = _ONE[0]  # float32 1 keeps float32 arithmetic in float32
    scratch = np.empty(H, y.dtype)
    for b in range(B):
        xb, ab, yb, hb = x[b], gh[b], y[b], h[b]
        # 1. gate activations: one simple loop over the row, which LLVM vectorises
        if mode == 1:
            for k in range(G):
                yb[k] = max(xb[k] + ab[k] + b_hh[k], 0.0)
        else:  # (GRU: r and z here; n needs r first)
            for k in range(2 * H if mode == 3 else G):
                yb[k] = _gate(xb[k] + ab[k] + b_hh[k], gate_scale[k], fast)
        # 2. the new state from the gates; padding (m = 0) carries the old state
        mb = m[b]
        if mode <= 1:
            for j in range(H):
                h_new[b, j] = mb * yb[j] + (one - mb) * hb[j]
                out[b, j] = mb * yb[j]
            c_new[b] = c[b]
        elif mode == 2:
            for j in range(H):
                cc = yb[H + j] * c[b, j] + yb[j] * yb[2 * H + j]
                tc = _tanh(cc, fast)
                aux[b, j] = tc
                hc = yb[3 * H + j] * tc
                h_new[b, j] = mb * hc + (one - mb) * hb[j]
                c_new[b, j] = mb * cc + (one - mb) * c[b, j]
                out[b, j] = mb * hc
        else:
            n = scratch  # (writing n into yb inside the loop would stop vectorisation)
            for j in range(H):
                hn = ab[2 * H + j] + b_hh[2 * H + j]  # h W_hn^T + b_hn, scaled by r
                aux[b, j] = hn
                n[j] = _tanh(xb[2 * H + j] + yb[j] * hn, fast)
            for j in range(H):
                hc = (one - yb[H + j]) * n[j] + yb[H + j] * hb[j]
                h_new[b, j] = mb * hc + (one - mb) * hb[j]
                out[b, j] = mb * hc
            yb[2 * H:] = n
            c_new[b] = c[b]


@jit
def _backward_step(mode, dout, dh, dc, h, c, y, aux, m, dxp, dgh, carry):
    """BPTT through one step: ``dgh``/``dxp`` rows from the gradient ``dout + dh`` reaching the
    step's output, ``dc`` updated in place, and ``carry``: the part of dL/dh_prev that does not
    go through W_hh (padding, GRU's z h_prev).  The caller adds ``dgh W_hh``.

    Each row goes through a few short jitted loops rather than one: the single loop touching
    all ten arrays was left scalar by LLVM.  Measured on (B, H) = (32, 128) float32, 100 calls
    a round, medians of 7 alternated rounds, three runs: LSTM 3.4-4.8 ns per unit as one
    loop, 1.4-2.2 as these; GRU 2.3-3.7 and 1.6-2.6."""
    B, H = h.shape
    for b in range(B):
        mb, yb, gb, cab = m[b], y[b], dgh[b], carry[b]
        if mode <= 1:  # few enough arrays for one loop
            _rnn_backward_row(mode, mb, dout[b], dh[b], yb, gb, cab)
            continue
        _scaled_sum(mb, dout[b], dh[b], cab)  # the gradient reaching the candidate state
        if mode == 2:
            _lstm_backward_o(mb, yb, aux[b], cab, dc[b], gb)
            _lstm_backward_ifg(mb, yb, c[b], dc[b], gb)
        else:
            _gru_backward_n(yb, cab, dxp[b])
            _gru_backward_rzn(yb, aux[b], h[b], cab, dxp[b], gb)
        _carry(mode, mb, yb, dh[b], cab)


@jit
def _scaled_sum(m, a, b, out):
    """out = m (a + b)."""
    for j in range(out.shape[0]):
        out[j] = m * (a[j] + b[j])


@jit
def _rnn_backward_row(mode, mb, dout, dh, y, g, carry):
    """dL/da = dhc tanh'(a) = dhc (1 - y^2), or dhc [a > 0] for relu, with dhc = m (dout + dh);
    padding (m = 0) carries dh to h_prev."""
    one = _ONE[0]
    for j in range(y.shape[0]):
        dhc = mb * (dout[j] + dh[j])
        carry[j] = (one - mb) * dh[j]
        if mode == 0:
            g[j] = dhc * (one - y[j] * y[j])
        else:
            g[j] = dhc if y[j] > 0 else 0.0


@jit
def _lstm_backward_o(mb, y, tc, dhc, dc, g):
    """o's gradient dhc tanh(c) o (1 - o), and dL/dc_t parked in i's slot of ``g``."""
    H = tc.shape[0]
    one = _ONE[0]
    for j in range(H):
        o = y[3 * H + j]
        g[3 * H + j] = dhc[j] * tc[j] * o * (one - o)
        g[j] = mb * dc[j] + dhc[j] * o * (one - tc[j] * tc[j])


@jit
def _lstm_backward_ifg(mb, y, c, dc, g):
    """i, f, g gradients from dL/dc_t (in g[:H]); dc becomes dL/dc_prev."""
    H = c.shape[0]
    one = _ONE[0]
    for j in range(H):
        i, f, gg, dct = y[j], y[H + j], y[2 * H + j], g[j]
        g[j] = dct * gg * i * (one - i)
        g[H + j] = dct * c[j] * f * (one - f)
        g[2 * H + j] = dct * i * (one - gg * gg)
        dc[j] = dct * f + (one - mb) * dc[j]


@jit
def _gru_backward_n(y, dhc, dx):
    """n's pre-activation gradient dhc (1 - z) (1 - n^2): xp feeds n directly."""
    H = dhc.shape[0]
    one = _ONE[0]
    for j in range(H):
        z, n = y[H + j], y[2 * H + j]
        dx[2 * H + j] = dhc[j] * (one - z) * (one - n * n)


@jit
def _gru_backward_rzn(y, hn, h, dhc, dx, g):
    """r, z gradients, and h W_hn^T + b_hn's (dn r); dx's r, z parts equal g's."""
    H = dhc.shape[0]
    one = _ONE[0]
    for j in range(H):
        r, z, n, dn = y[j], y[H + j], y[2 * H + j], dx[2 * H + j]
        g[j] = dn * hn[j] * r * (one - r)
        g[H + j] = dhc[j] * (h[j] - n) * z * (one - z)
        g[2 * H + j] = dn * r
    for k in range(2 * H):
        dx[k] = g[k]


@jit
def _carry(mode, mb, y, dh, out):
    """What reaches h_prev without W_hh (LSTM, GRU): padding's carried state, GRU's z h_prev.
    ``out`` holds dhc on entry."""
    one = _ONE[0]
    H = dh.shape[0]
    if mode == 3:
        for j in range(H):
            out[j] = (one - mb) * dh[j] + out[j] * y[H + j]
    else:
        for j in range(H):
            out[j] = (one - mb) * dh[j]


@jit
def _gate_scales(mode, G, dtype):
    """0.5 where a gate is a sigmoid (LSTM i, f, o; GRU r, z), 1.0 where it is tanh."""
    H = G // (4 if mode == 2 else 3 if mode == 3 else 1)
    gate_scale = np.ones(G, dtype)
    if mode == 2:
        gate_scale[:2 * H] = 0.5
        gate_scale[3 * H:] = 0.5
    elif mode == 3:
        gate_scale[:2 * H] = 0.5
    return gate_scale


@jit
def _allocate_forward(mode, xp, h0, c0):
    """out, hs (hs[0] = h0), cs, acts, aux, gate scales (see _gate)."""
    T, B, G = xp.shape
    H = h0.shape[1]
    hs = np.empty((T + 1, B, H), xp.dtype)
    cs = np.empty((T + 1, B, H), xp.dtype)
    hs[0] = h0
    cs[0] = c0
    return (np.zeros((T, B, H), xp.dtype), hs, cs, np.empty((T, B, G), xp.dtype),
            np.zeros((T, B, H), xp.dtype), _gate_scales(mode, G, xp.dtype))


# Saved activations and gradients of the stepwise path, recycled.  Measured here: a fresh
# 4 MB array costs ~5 ms of first-touch page faults before the kernel can write it, refilling
# a recycled one 0.16 ms.  A buffer goes back to the pool only when every array viewing it has
# been freed (so a graph kept with retain_graph=True keeps its buffers).  The pool is bounded
# in bytes: when sequence lengths change from batch to batch, the least recently returned
# sizes go.
_FREE: OrderedDict[int, list[memoryview]] = OrderedDict()
POOL_BYTES = 64 * 2 ** 20  # at most this much memory sits idle in the pool
_pooled = [0]  # bytes now in the pool
_ALIGN = 64  # bytes: a cache line, and a whole AVX-512 vector


def _recycled(shape, dtype) -> np.ndarray:
    """An uninitialised array that returns its memory to the pool once nothing views it.

    The memory is a bytearray, not an ndarray, on purpose: numpy points every view's ``base``
    at the first *array* in the chain that does not own its data, here ``flat``, so ``flat``
    lives exactly as long as the last view (were the memory an ndarray, views would point
    past ``flat`` to it, and the buffer would be recycled under a live view)."""
    dtype = np.dtype(dtype)
    count = int(np.prod(shape))
    nbytes = count * dtype.itemsize + _ALIGN
    free = _FREE.get(nbytes)
    if free:
        mem = free.pop()
        _pooled[0] -= nbytes
    else:
        mem = memoryview(bytearray(nbytes))
    offset = -np.frombuffer(mem, np.uint8, 1).ctypes.data % _ALIGN
    flat = np.frombuffer(mem, dtype, count, offset)
    weakref.finalize(flat, _give_back, mem)
    return flat.reshape(shape)


def _give_back(mem: memoryview) -> None:
    n = mem.nbytes
    if n > POOL_BYTES:
        return
    while _pooled[0] + n > POOL_BYTES and _FREE:  # evict the least recently used sizes
        size, bufs = next(iter(_FREE.items()))
        _pooled[0] -= size * len(bufs)
        del _FREE[size]
    _FREE.setdefault(n, []).append(mem)
    _FREE.move_to_end(n)
    _pooled[0] += n


def pooled_bytes() -> int:
    """Bytes of idle buffers kept for reuse (bounded by ``POOL_BYTES``)."""
    return _pooled[0]


@jit
def _matmul_add(a, b, out):
    """out += a @ b for C-contiguous a (M, K), b (K, N), out (M, N), in loops LLVM vectorises:
    the inner loop runs along contiguous rows of b and out.  Two rows of ``a`` and four of
    ``b`` per pass, so each loaded vector of b feeds two rows and each row of out is loaded and
    stored once per four k (one row at a time, every FMA would wait on a load and a store).
    Numba's own np.dot would need SciPy's BLAS.  The readable definition is ``a @ b``."""
    M, K = a.shape
    N = b.shape[1]
    K4 = K - K % 4
    for i in range(0, M - M % 2, 2):
        o0, o1 = out[i], out[i + 1]
        for k in range(0, K4, 4):
            b0, b1, b2, b3 = b[k], b[k + 1], b[k + 2], b[k + 3]
            p0, p1, p2, p3 = a[i, k], a[i, k + 1], a[i, k + 2], a[i, k + 3]
            q0, q1, q2, q3 = a[i + 1, k], a[i + 1, k + 1], a[i + 1, k + 2], a[i + 1, k + 3]
            for j in range(N):
                x0, x1, x2, x3 = b0[j], b1[j], b2[j], b3[j]
                o0[j] += p0 * x0 + p1 * x1 + p2 * x2 + p3 * x3
                o1[j] += q0 * x0 + q1 * x1 + q2 * x2 + q3 * x3
        for k in range(K4, K):
            bk, p, q = b[k], a[i, k], a[i + 1, k]
            for j in range(N):
                o0[j] += p * bk[j]
                o1[j] += q * bk[j]
    if M % 2:  # the last row alone
        i = M - 1
        o = out[i]
        for k in range(0, K4, 4):
            b0, b1, b2, b3 = b[k], b[k + 1], b[k + 2], b[k + 3]
            p0, p1, p2, p3 = a[i, k], a[i, k + 1], a[i, k + 2], a[i, k + 3]
            for j in range(N):
                o[j] += p0 * b0[j] + p1 * b1[j] + p2 * b2[j] + p3 * b3[j]
        for k in range(K4, K):
            bk, p = b[k], a[i, k]
            for j in range(N):
                o[j] += p * bk[j]


@jit
def _forward_kernel(mode, xp, h0, c0, w_hh, b_hh, mask, reverse, fast):
    """The whole sequence in one call (small batches: no Python between steps)."""
    T, B, G = xp.shape
    out, hs, cs, acts, aux, gate_scale = _allocate_forward(mode, xp, h0, c0)
    w_t = np.ascontiguousarray(w_hh.T)
    gh = np.empty((B, G), xp.dtype)
    for s in range(T):
        t = T - 1 - s if reverse else s
        gh[:] = 0
        _matmul_add(hs[s], w_t, gh)
        _forward_step(mode, xp[t], gh, b_hh, mask[t], hs[s], cs[s], hs[s + 1], cs[s + 1],
                      acts[s], aux[s], out[t], gate_scale, fast)
    return out, hs, cs, acts, aux


@jit
def _backward_kernel(mode, dout, dh_n, dc_n, hs, cs, acts, aux, w_hh, mask, reverse):
    T, B, H = dout.shape
    G = w_hh.shape[0]
    dgh = np.empty((T, B, G), dout.dtype)
    dxp = np.empty((T, B, G), dout.dtype) if mode == 3 else dgh  # only GRU's differ
    dh = dh_n.copy()
    dc = dc_n.copy()
    carry = np.empty((B, H), dout.dtype)
    for s in range(T - 1, -1, -1):
        t = T - 1 - s if reverse else s
        _backward_step(mode, dout[t], dh, dc, hs[s], cs[s], acts[s], aux[s], mask[t], dxp[t],
                       dgh[t], carry)
        dh[:] = carry
        _matmul_add(dgh[t], w_hh, dh)  # dh = dgh W_hh + carry
    return dxp, dgh, dh, dc


def _forward_stepwise(mode, xp, h0, c0, w_hh, b_hh, mask, reverse, fast):
    """Larger batches: the same steps driven from Python, so the GEMM runs in numpy's BLAS
    (multi-threaded, and faster than ``_matmul_add`` once a step's GEMM is large).  The GEMM
    writes into one preallocated (B, G) array, so a step allocates nothing.  W_hh^T is copied
    once per call: OpenBLAS multiplied by the transposed view 20-40 % slower at these shapes
    (sgemm (32, 128) x (128, 128..512), one thread, medians of 15 alternated rounds)."""
    (T, B, G), H, dt = xp.shape, h0.shape[1], xp.dtype
    out = np.empty((T, B, H), dt)  # returned to the caller: not recycled
    hs, cs = _recycled((T + 1, B, H), dt), _recycled((T + 1, B, H), dt)
    acts, aux = _recycled((T, B, G), dt), _recycled((T, B, H), dt)
    hs[0], cs[0] = h0, c0
    if mode <= 1:
        aux[:] = 0  # unused by plain RNNs
    gate_scale, w_t = _gate_scales(mode, G, dt), np.ascontiguousarray(w_hh.T)
    gh = np.empty((B, G), dt)
    for s in range(T):
        t = T - 1 - s if reverse else s
        np.dot(hs[s], w_t, out=gh)
        _forward_step(mode, xp[t], gh, b_hh, mask[t], hs[s], cs[s], hs[s + 1], cs[s + 1],
                      acts[s], aux[s], out[t], gate_scale, fast)
    return out, hs, cs, acts, aux


def _backward_stepwise(mode, dout, dh_n, dc_n, hs, cs, acts, aux, w_hh, mask, reverse):
    """BPTT driven from Python; ``dgh``/``dxp`` come from the pool, ``dh`` is rewritten in
    place by each step's GEMM."""
    T, B, H = dout.shape
    dgh = _recycled(acts.shape, dout.dtype)
    dxp = _recycled(acts.shape, dout.dtype) if mode == 3 else dgh  # only GRU's differ
    dh, dc, carry = dh_n.copy(), dc_n.copy(), np.empty((B, H), dout.dtype)
    for s in range(T - 1, -1, -1):
        t = T - 1 - s if reverse else s
        _backward_step(mode, dout[t], dh, dc, hs[s], cs[s], acts[s], aux[s], mask[t], dxp[t],
                       dgh[t], carry)
        np.dot(dgh[t], w_hh, out=dh)
        dh += carry
    return dxp, dgh, dh, dc


def _c(a, dtype):
    return np.ascontiguousarray(a, dtype=dtype)


# Up to this many (batch x hidden) values per step the whole sequence runs in one jitted call
# (its GEMMs in _matmul_add, single-threaded); above it the steps are driven from Python with
# numpy's BLAS (see _forward_stepwise), and a float64 forward, whose loop calls scalar libm
# tanh/exp (~9 ns each), goes to the numpy reference, whose ufuncs use SIMD.  Measured on 2
# busy cores, float32 forward + BPTT, the two paths alternated in one process: at B x H =
# 2048 (B = 16, H = 128; B = 32, H = 64) they are level (stepwise/kernel time 0.84-1.13);
# whole training steps at the medium size (B = 32, H = 128) with the threshold at 4096 instead
# ran 0.79x (GRU), 0.93x (LSTM), 0.99x (RNN) as fast with BLAS on one thread (median of 9
# rounds), and 1.2-1.35x with BLAS on two threads fighting other processes (quartiles
# 0.85-2.05): too noisy to move it.
STEPWISE_ABOVE = 2048


def check_forward(mode, xp, h0, c0, w_hh, b_hh, mask) -> None:
    """Everything the jitted loops index by must agree: validated before they are entered."""
    if xp.ndim != 3 or h0.ndim != 2 or c0.shape != h0.shape or mask.ndim != 2:
        raise ValueError(f"recurrence: expected xp (T, B, G), h0 and c0 (B, H), mask (T, B); "
                         f"got {xp.shape}, {h0.shape}, {c0.shape}, {mask.shape}")
    T, B, G = xp.shape
    H = h0.shape[1]
    if int(mode) not in (0, 1, 2, 3) or G != GATES[Mode(int(mode))] * H or h0.shape[0] != B \
            or w_hh.shape != (G, H) or b_hh.shape != (G,) or mask.shape != (T, B):
        raise ValueError(f"recurrence (mode {mode}): shapes do not agree: xp {xp.shape}, h0 "
                         f"{h0.shape}, w_hh {w_hh.shape}, b_hh {b_hh.shape}, mask {mask.shape}")


def check_backward(mode, dout, dh_n, dc_n, hs, cs, acts, aux, w_hh, mask) -> None:
    T, B, H = dout.shape
    G = w_hh.shape[0]
    want = {"dh_n": (dh_n.shape, (B, H)), "dc_n": (dc_n.shape, (B, H)),
            "hs": (hs.shape, (T + 1, B, H)), "cs": (cs.shape, (T + 1, B, H)),
            "acts": (acts.shape, (T, B, G)), "aux": (aux.shape, (T, B, H)),
            "w_hh": (w_hh.shape, (G, H)), "mask": (mask.shape, (T, B))}
    bad = {k: v for k, v in want.items() if v[0] != v[1]}
    if bad or int(mode) not in (0, 1, 2, 3):
        raise ValueError(f"recurrence backward (mode {mode}): shapes do not agree: "
                         + ", ".join(f"{k} {a} (expected {b})" for k, (a, b) in bad.items()))


def _forward_numba(mode, xp, h0, c0, w_hh, b_hh, mask, reverse):
    check_forward(mode, xp, h0, c0, w_hh, b_hh, mask)
    mode = int(mode)
    dt = xp.dtype
    fast = True if dt == np.float32 else None  # None, not False: Numba prunes `is None`
    if h0.size <= STEPWISE_ABOVE:
        run = _forward_kernel
    elif fast:
        run = _forward_stepwise
    else:
        return recurrence_forward_ref(mode, xp, h0, c0, w_hh, b_hh, mask, reverse)
    return run(mode, _c(xp, dt), _c(h0, dt), _c(c0, dt), _c(w_hh, dt), _c(b_hh, dt),
               _c(mask, dt), reverse, fast)


def _backward_numba(mode, dout, dh_n, dc_n, hs, cs, acts, aux, w_hh, mask, reverse):
    check_backward(mode, dout, dh_n, dc_n, hs, cs, acts, aux, w_hh, mask)
    mode = int(mode)
    dt = dout.dtype
    hs, cs, acts, aux = (_c(a, dt) for a in (hs, cs, acts, aux))
    run = _backward_stepwise if dh_n.size > STEPWISE_ABOVE else _backward_kernel
    return run(mode, _c(dout, dt), _c(dh_n, dt), _c(dc_n, dt), hs, cs, acts, aux,
               _c(w_hh, dt), _c(mask, dt), reverse)


recurrence_forward = pick(_forward_numba, recurrence_forward_ref)
recurrence_backward = pick(_backward_numba, recurrence_backward_ref)
