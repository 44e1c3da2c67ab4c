"""One fused Adam/AdamW step, in place on (p, m, v): a single pass instead of ~10 numpy
temporaries per parameter; ``adam_multi_step`` does it for all parameters of a group in one
call (what torch calls a multi-tensor or ``foreach`` step).

    p *= 1 - lr wd            (AdamW)      or    g += wd p   (Adam)
    m = b1 m + (1 - b1) g;    v = b2 v + (1 - b2) g^2
    p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
"""
from __future__ import annotations

import math

import numpy as np

from ._jit import jit, pick


def check_adam_arrays(p, g, m, v) -> None:
    """Refuse anything a kernel could read or write out of bounds: ``p, g, m, v`` must be
    numpy arrays of one shape and one float dtype, ``p, m, v`` writeable."""
    names = ("param", "grad", "exp_avg", "exp_avg_sq")
    for name, a in zip(names, (p, g, m, v)):
        if not isinstance(a, np.ndarray):
            raise TypeError(f"adam_step: {name} must be a numpy array, got {type(a).__name__}")
        if a.shape != p.shape:
            raise ValueError(f"adam_step: {name} has shape {a.shape}, but the parameter has "
                             f"shape {p.shape}")
        if a.dtype != p.dtype or a.dtype not in (np.float32, np.float64):
            raise TypeError(f"adam_step: {name} has dtype {a.dtype}; every array must have the "
                            f"parameter's dtype {p.dtype} (float32 or float64)")
    for name, a in zip(("param", "exp_avg", "exp_avg_sq"), (p, m, v)):
        if not a.flags.writeable:
            raise ValueError(f"adam_step: {name} is read-only; it is updated in place")


def adam_step_ref(p, g, m, v, t, lr, b1, b2, eps, wd, decoupled):
    check_adam_arrays(p, g, m, v)
    if decoupled:
        p *= 1 - lr * wd
    elif wd:
        g = g + wd * p
    m *= b1
    m += (1 - b1) * g
    v *= b2
    v += (1 - b2) * g * g
    denom = np.sqrt(v) / math.sqrt(1 - b2 ** t) + eps
    p -= lr / (1 - b1 ** t) * m / denom


@jit
def _adam_kernel(p, g, m, v, c, decoupled):
    """``c``: the step's constants, in p's dtype so float32 stays float32 (as in numpy)."""
    b1, b1c, b2, b2c, step, c2, eps, wd, decay = c[0], c[1], c[2], c[3], c[4], c[5], c[6], \
        c[7], c[8]
    pf, gf, mf, vf = p.ravel(), g.ravel(), m.ravel(), v.ravel()
    if decoupled:  # AdamW: shrink p first; Adam: fold wd p into the gradient below
        for i in range(pf.size):
            pf[i] *= decay
        wd = wd - wd
    for i in range(pf.size):
        gi = gf[i] + wd * pf[i]
        mi = b1 * mf[i] + b1c * gi
        vi = b2 * vf[i] + b2c * gi * gi
        mf[i] = mi
        vf[i] = vi
        pf[i] -= step * mi / (np.sqrt(vi) * c2 + eps)


def _constants(t, lr, b1, b2, eps, wd, dtype) -> np.ndarray:
    """The kernel's constants for step ``t``, in the parameter's dtype."""
    return np.array([b1, 1 - b1, b2, 1 - b2, lr / (1 - b1 ** t), 1 / math.sqrt(1 - b2 ** t),
                     eps, wd, 1 - lr * wd], dtype)


def _adam_numba(p, g, m, v, t, lr, b1, b2, eps, wd, decoupled):
    # measured (benchmarks/run.py): 4-8x over the numpy reference from 64 to 1M parameters
    check_adam_arrays(p, g, m, v)  # before jitted code: it indexes all four with p's size
    if not (p.flags.c_contiguous and g.flags.c_contiguous and m.flags.c_contiguous
            and v.flags.c_contiguous):
        return adam_step_ref(p, g, m, v, t, lr, b1, b2, eps, wd, decoupled)
    _adam_kernel(p, g, m, v, _constants(t, lr, b1, b2, eps, wd, p.dtype), bool(decoupled))


adam_step = pick(_adam_numba, adam_step_ref)


# ---------------------------------------------------------------- all parameters at once
def check_adam_group(ps, gs, ms, vs, steps) -> None:
    """Refuse what ``adam_multi_step``'s kernel could read or write out of bounds: four
    sequences of one length (and ``steps``, one step count each) whose i-th entries pass
    ``check_adam_arrays``, every array C-contiguous, all of one dtype."""
    n = len(ps)
    if not len(gs) == len(ms) == len(vs) == len(steps) == n:
        raise ValueError(f"adam_multi_step: got {len(ps)} params, {len(gs)} grads, {len(ms)} "
                         f"exp_avg, {len(vs)} exp_avg_sq and {len(steps)} steps; one each")
    for quad in zip(ps, gs, ms, vs):
        check_adam_arrays(*quad)
        if quad[0].dtype != ps[0].dtype:
            raise TypeError(f"adam_multi_step: parameters of dtypes {ps[0].dtype} and "
                            f"{quad[0].dtype} in one call; group them by dtype")
        if not all(a.flags.c_contiguous for a in quad):
            raise ValueError("adam_multi_step: every array must be C-contiguous")


def adam_multi_step_ref(ps, gs, ms, vs, steps, lr, b1, b2, eps, wd, decoupled):
    """``adam_step_ref`` on each (p, g, m, v) in turn, parameter i at step ``steps[i]``."""
    check_adam_group(ps, gs, ms, vs, steps)
    for p, g, m, v, t in zip(ps, gs, ms, vs, steps):
        adam_step_ref(p, g, m, v, t, lr, b1, b2, eps, wd, decoupled)


_CHUNK = 8  # arrays per kernel call: one compiled specialisation per dtype, whatever the count


@jit
def _adam_multi_kernel(ps, gs, ms, vs, c, decoupled):
    """Tuples of ``_CHUNK`` 1-d arrays each; row i of ``c`` holds parameter i's constants."""
    for i in range(len(ps)):
        _adam_kernel(ps[i], gs[i], ms[i], vs[i], c[i], decoupled)


def _adam_multi_numba(ps, gs, ms, vs, steps, lr, b1, b2, eps, wd, decoupled):
    # measured on the small benchmark model (7 parameters, benchmarks/run.py --profile): one
    # call replaces seven, each ~3 us of checks and dispatch
    check_adam_group(ps, gs, ms, vs, steps)  # before jitted code, as above
    if not ps:
        return
    dt = ps[0].dtype
    consts = {t: _constants(t, lr, b1, b2, eps, wd, dt) for t in set(steps)}
    c = np.stack([consts[t] for t in steps])
    flat = [[a.reshape(-1) for a in arrays] for arrays in (ps, gs, ms, vs)]  # views
    pad = np.zeros(0, dt)  # fills the last chunk: size 0, so nothing reads or writes it
    for lo in range(0, len(ps), _CHUNK):
        chunk = [tuple(a[lo:lo + _CHUNK] + [pad] * (lo + _CHUNK - len(a))) for a in flat]
        rows = np.zeros((_CHUNK, c.shape[1]), dt)
        rows[:len(c[lo:lo + _CHUNK])] = c[lo:lo + _CHUNK]
        _adam_multi_kernel(*chunk, rows, bool(decoupled))


adam_multi_step = pick(_adam_multi_numba, adam_multi_step_ref)
