"""The Hessian / gradient-penalty lesson runs with --quick, its Hessian-vector product equals
a finite-difference one and training with the penalty lowers the penalty."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from test_examples import EXAMPLES, EXTRAS_MISSING, SERIAL, parse_result


@pytest.mark.skipif(bool(EXTRAS_MISSING), reason=f"the lesson needs {EXTRAS_MISSING}, from the "
                    "'examples' extra: pip install -e '.[examples]'")
def test_hessian_lesson_quick(tmp_path):
    proc = subprocess.run([sys.executable, "hessian_and_gradient_penalty.py", "--quick",
                           "--out", str(tmp_path)], cwd=EXAMPLES, capture_output=True,
                          text=True, timeout=600, env={**os.environ, **SERIAL, "MPLBACKEND": "Agg"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    r = parse_result(proc.stdout)
    # float64 central differences with eps = 1e-5: truncation error ~ eps^2 * |third derivative|
    assert r["hvp_rel_err"] < 1e-6, r
    assert r["penalty_with"] < 0.5 * r["penalty_start"], r
    assert r["penalty_with"] < r["penalty_without"], r
    assert os.path.getsize(tmp_path / "gradient_penalty.png") > 1000
