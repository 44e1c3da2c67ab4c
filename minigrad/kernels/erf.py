"""erf and erfc.  numpy has no erf, so ``erf_ref`` evaluates W. J. Cody's rational Chebyshev
approximations ("Rational Chebyshev approximations for the error function", Math. Comp. 23
(1969) 631-638; the coefficients of Netlib's public-domain SPECFUN CALERF), accurate to a few
units in the last place of a float64; the kernel calls the C library's erf through Numba,
elementwise.  ``erf_np``/``erfc_np`` pick between them (the reference in reference mode).
"""
from __future__ import annotations

import math

import numpy as np

from ..dtypes import get_default_dtype
from ._jit import jit, pick

# Cody's fits
_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
      3.20937758913846947e03, 1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
      2.84423683343917062e03)
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
      2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
      2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
      1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
      3.43936767414372164e03, 1.23033935480374942e03)
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
      1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3)
_ONE_OVER_SQRT_PI = 0.56418958354775628695


def _ratio(num: tuple, den: tuple, z: np.ndarray) -> np.ndarray:
    """Cody's evaluation order: ((num[-1] z + num[0]) z + ... + num[-2]) over
    ((z + den[0]) z + ... + den[-1])."""
    n, d = num[-1] * z, z
    for a, b in zip(num[:-2], den[:-1]):
        n, d = (n + a) * z, (d + b) * z
    return (n + num[-2]) / (d + den[-1])


def _times_exp_minus_square(y: np.ndarray, r: np.ndarray) -> np.ndarray:
    """r e^{-y^2}, with y^2 split as s^2 + (y - s)(y + s), s = y cut to 1/16, so the large
    exponent loses no digits."""
    s = np.trunc(y * 16) / 16
    return np.exp(-s * s) * np.exp(-(y - s) * (y + s)) * r


def erf_ref(x: np.ndarray) -> np.ndarray:
    """erf elementwise in float64 by Cody's three fits: erf on |x| <= 0.46875, erfc on
    0.46875 < |x| <= 4, an asymptotic erfc beyond (erf = 1 - erfc)."""
    x = np.asarray(x, np.float64)
    y = np.abs(x)
    out = np.full(x.shape, np.nan)  # NaN stays NaN: it falls in no interval
    near, far = y <= 0.46875, y > 4.0
    mid = (y > 0.46875) & ~far
    out[near] = x[near] * _ratio(_A, _B, y[near] ** 2)
    ym = y[mid]
    out[mid] = np.copysign(1 - _times_exp_minus_square(ym, _ratio(_C, _D, ym)), x[mid])
    yf = np.minimum(y[far], 27.0)  # erfc(27) < 1e-300, so erf is exactly +-1 beyond
    z = 1 / (yf * yf)
    tail = (_ONE_OVER_SQRT_PI - z * _ratio(_P, _Q, z)) / yf
    out[far] = np.copysign(1 - _times_exp_minus_square(yf, tail), x[far])
    return out


def erfc_ref(x: np.ndarray) -> np.ndarray:
    """erfc = 1 - erf, without cancellation for large x (Cody's erfc fits for x > 0.46875)."""
    x = np.asarray(x, np.float64)
    y = np.abs(x)
    out = 1 - erf_ref(x)
    mid = (x > 0.46875) & (x <= 4.0)
    out[mid] = _times_exp_minus_square(y[mid], _ratio(_C, _D, y[mid]))
    far = x > 4.0
    yf = np.minimum(y[far], 27.3)
    z = 1 / (yf * yf)
    tail = (_ONE_OVER_SQRT_PI - z * _ratio(_P, _Q, z)) / yf
    out[far] = np.where(y[far] >= 27.3, 0.0, _times_exp_minus_square(yf, tail))
    return out


@jit
def _erf_kernel(x, complement):
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = math.erfc(x[i]) if complement else math.erf(x[i])
    return out


def erf_numba(x: np.ndarray) -> np.ndarray:
    """erf in float64 by the C library's erf (Numba), elementwise."""
    flat = np.ascontiguousarray(x, np.float64).reshape(-1)
    return _erf_kernel(flat, False).reshape(np.shape(x))


def erfc_numba(x: np.ndarray) -> np.ndarray:
    """erfc in float64 by the C library's erfc (Numba), elementwise."""
    flat = np.ascontiguousarray(x, np.float64).reshape(-1)
    return _erf_kernel(flat, True).reshape(np.shape(x))


_erf64, _erfc64 = pick(erf_numba, erf_ref), pick(erfc_numba, erfc_ref)


def _in_float(fn, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(get_default_dtype())
    return fn(x).astype(dtype, copy=False)


def erf_np(x: np.ndarray) -> np.ndarray:
    """erf of an array, in its float dtype (integers give the default float dtype)."""
    return _in_float(_erf64, x)


def erfc_np(x: np.ndarray) -> np.ndarray:
    """erfc of an array, in its float dtype (integers give the default float dtype)."""
    return _in_float(_erfc64, x)
