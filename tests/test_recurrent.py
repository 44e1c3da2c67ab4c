"""nn.kernels.recurrent: the jitted pieces equal their numpy definitions, and need no SciPy."""
import gc
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minigrad.testing import arrays
from nn.kernels import recurrent as R

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DT = st.sampled_from([np.float32, np.float64])


@given(m=st.integers(0, 7), k=st.integers(0, 9), n=st.integers(0, 9), dtype=DT,
       data=st.data())
def test_matmul_add_is_a_matmul(m, k, n, dtype, data):
    """Every remainder of the 2-row, 4-k blocking (odd M, K not a multiple of 4, zeros)."""
    a, b = data.draw(arrays((m, k), dtype)), data.draw(arrays((k, n), dtype))
    out = data.draw(arrays((m, n), dtype))
    want = out + a @ b
    R._matmul_add(a, b, out)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, want, rtol=tol, atol=tol)


def test_kernels_run_without_scipy(tmp_path):
    """The whole-sequence kernels compile and agree with the references when SciPy cannot be
    imported (Numba's np.dot would need SciPy's BLAS): a fresh process with a fresh Numba
    cache, so nothing compiled with SciPy present is reused."""
    code = textwrap.dedent("""
        import sys
        sys.modules["scipy"] = None  # `import scipy...` now raises ImportError
        import numpy as np
        from nn.kernels import recurrent as R

        rng = np.random.default_rng(0)
        T, B, H = 4, 3, 5
        for mode in range(4):
            G = (4 if mode == 2 else 3 if mode == 3 else 1) * H
            f = lambda *s: rng.standard_normal(s).astype(np.float32)
            mask = np.ones((T, B), np.float32)
            mask[2:, 0] = 0
            args = (mode, f(T, B, G), f(B, H), f(B, H), f(G, H), f(G), mask, mode % 2 == 1)
            got, ref = R.recurrence_forward(*args), R.recurrence_forward_ref(*args)
            bargs = (mode, f(T, B, H), f(B, H), f(B, H), *ref[1:], args[4], mask, args[7])
            got += R.recurrence_backward(*bargs)
            ref += R.recurrence_backward_ref(*bargs)
            for a, b in zip(got, ref):
                np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
        assert "scipy.linalg" not in sys.modules
        print("ok")
    """)
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "PYTHONPATH": ROOT}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0 and proc.stdout.split() == ["ok"], proc.stderr[-3000:]


def _case(mode, T, B, H, dtype, reverse, seed=0):
    rng = np.random.default_rng(seed)
    G = {0: 1, 1: 1, 2: 4, 3: 3}[mode] * H
    f = lambda *s: rng.standard_normal(s).astype(dtype)  # noqa: E731
    mask = (np.arange(T)[:, None] < rng.integers(1, T + 1, B)[None]).astype(dtype)
    return (mode, f(T, B, G), f(B, H), f(B, H), f(G, H) * 0.5, f(G), mask, reverse), \
        f(T, B, H), f(B, H), f(B, H)


PATHS = [(R._forward_kernel, R._backward_kernel), (R._forward_stepwise, R._backward_stepwise)]


@pytest.mark.parametrize("mode", [0, 1, 2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("T,B,H", [(1, 3, 4), (3, 0, 4), (1, 1, 1), (4, 3, 9)])
@pytest.mark.parametrize("reverse", [False, True])
def test_both_paths_match_the_reference_at_the_edges(mode, dtype, T, B, H, reverse):
    """The whole-sequence kernel and the stepwise path against the numpy reference at T = 1,
    B = 0, H = 1, and an H (9) that leaves remainders in every blocked loop; masks drawn."""
    args, dout, dh_n, dc_n = _case(mode, T, B, H, dtype, reverse)
    fast = True if dtype == np.float32 else None
    fr = R.recurrence_forward_ref(*args)
    bargs = (mode, dout, dh_n, dc_n, *fr[1:], args[4], args[6], reverse)
    br = R.recurrence_backward_ref(*bargs)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    for forward, backward in PATHS:
        got = forward(*args, fast)
        for a, b in zip(got, fr):
            assert a.shape == b.shape
            np.testing.assert_allclose(a, b, **tol)
        for a, b in zip(backward(*bargs), br):
            assert a.shape == b.shape
            np.testing.assert_allclose(a, b, **tol)


def test_public_entry_points_take_both_paths(monkeypatch):
    """recurrence_forward/backward (validated, then dispatched by size) give the reference's
    results on either side of STEPWISE_ABOVE."""
    args, dout, dh_n, dc_n = _case(2, 5, 3, 6, np.float32, True)
    fr = R.recurrence_forward_ref(*args)
    bargs = (2, dout, dh_n, dc_n, *fr[1:], args[4], args[6], True)
    br = R.recurrence_backward_ref(*bargs)
    for threshold in (0, 10 ** 6):
        monkeypatch.setattr(R, "STEPWISE_ABOVE", threshold)
        for a, b in zip(R.recurrence_forward(*args) + R.recurrence_backward(*bargs), fr + br):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_view_outliving_its_recycled_array_keeps_the_buffer():
    """numpy points a view's base at the first array owning its memory: the pool must not
    take a buffer back while any view of it is alive, whatever array it was taken from."""
    a = R._recycled((4, 6), np.float32)
    a[:] = 1
    views = [a[1], a.T, a.reshape(-1)[::2], a[None]]
    del a
    gc.collect()
    others = [R._recycled((4, 6), np.float32) for _ in range(3)]
    for o in others:
        o[:] = 7
    for v in views:
        np.testing.assert_array_equal(v, 1)
    held = R.pooled_bytes()
    del views, v
    gc.collect()
    assert R.pooled_bytes() > held  # the last view gone, the buffer went back
