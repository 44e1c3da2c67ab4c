"""nn.kernels.recurrent: the jitted pieces equal their numpy definitions, and need no SciPy."""
import os
import subprocess
import sys
import textwrap

import numpy as np
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
