"""When kernels compile (minigrad/kernels/compiling.py): in a background process while ``pick``
runs the reference, or in the foreground under ``"wait"``; one stderr line per process when
they compile; a warm disk cache loads in the foreground; a process exiting mid-compile exits
cleanly; reference mode still wins.

Each case runs in a fresh Python with an empty ``NUMBA_CACHE_DIR``, on a tiny kernel module
written for the test (a kernel calling another ``@jit`` helper), so it compiles in seconds.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from minigrad.kernels import compile_policy, set_compile_policy

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MESSAGE = "minigrad: compiling Numba kernels"

PROBE = '''
import numpy as np
from minigrad.kernels import jit, pick

CALLS = {"ref": 0}


@jit
def _twice(v):
    return v * 2.0 + 1.0


@jit
def _affine_kernel(x):
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = _twice(x[i])
    return out


def affine_ref(x):
    CALLS["ref"] += 1
    return x * 2.0 + 1.0


affine = pick(_affine_kernel, affine_ref)


@jit
def _broken_kernel(x):
    return x + "not a number"


broken = pick(_broken_kernel, affine_ref)
'''


def run(tmp_path, code: str, policy: str | None = "background", cache: str = "cache",
        **env) -> tuple[dict, str]:
    """Run ``code`` in a fresh Python beside the probe module; returns the JSON it prints last
    on stdout and its stderr."""
    (tmp_path / "compile_probe.py").write_text(PROBE)
    environ = {k: v for k, v in os.environ.items() if k != "MINIGRAD_COMPILE"}
    environ.update(PYTHONPATH=os.pathsep.join([ROOT, str(tmp_path)]),
                   NUMBA_CACHE_DIR=str(tmp_path / cache), **env)
    if policy is not None:
        environ["MINIGRAD_COMPILE"] = policy
    res = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, env=environ, cwd=str(tmp_path), timeout=600)
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1]), res.stderr


BACKGROUND = """
import json
import numpy as np
import minigrad as mg
from minigrad.kernels import compile_policy, wait_for_kernels
import compile_probe as p

from threadpoolctl import threadpool_info

def blas_threads():
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

x = np.linspace(-1, 1, 7)
blas_before = blas_threads()
first = p.affine(x)
ref_after_first = p.CALLS["ref"]
blas_during = blas_threads()
ready = wait_for_kernels(timeout=300)
blas_after = blas_threads()
second = p.affine(x)
ref_after_second = p.CALLS["ref"]
direct = p._affine_kernel(x.astype(np.float32))  # outside pick: compiles in the foreground
with mg.reference_mode():
    p.affine(x)
print(json.dumps({
    "policy": compile_policy(), "ready": ready, "ref_after_first": ref_after_first,
    "ref_after_second": ref_after_second, "ref_in_reference_mode": p.CALLS["ref"],
    "blas": [blas_before, blas_during, blas_after],
    "signatures": [str(s) for s in p._affine_kernel.dispatcher().signatures],
    "first": first.tolist(), "second": second.tolist(), "direct": direct.tolist(),
    "expected": (x * 2.0 + 1.0).tolist()}))
"""


def test_background_policy_runs_the_reference_then_the_kernel(tmp_path):
    pytest.importorskip("threadpoolctl")
    out, err = run(tmp_path, BACKGROUND)
    assert out["policy"] == "background" and out["ready"]
    assert out["ref_after_first"] == 1  # the first call ran the reference while compiling
    assert out["ref_after_second"] == 1  # the second ran the kernel, loaded from disk
    assert any("float64" in s for s in out["signatures"])
    assert any("float32" in s for s in out["signatures"])
    np.testing.assert_allclose(out["second"], out["expected"], rtol=1e-15, atol=0)
    np.testing.assert_allclose(out["first"], out["expected"], rtol=1e-15, atol=0)
    np.testing.assert_allclose(out["direct"], out["expected"], rtol=1e-6, atol=0)
    assert out["ref_in_reference_mode"] == 2  # reference mode still wins over a ready kernel
    before, during, after = out["blas"]  # BLAS on one thread only while compiling
    assert during == [1] * len(before) and after == before
    # two compilations (float64 in the background, float32 in the foreground), one line
    assert err.count(MESSAGE) == 1, err
    assert "in the background" in err


def test_a_warm_cache_loads_in_the_foreground_silently(tmp_path):
    run(tmp_path, BACKGROUND)
    code = """
    import json
    import numpy as np
    import compile_probe as p
    y = p.affine(np.linspace(-1, 1, 7))
    print(json.dumps({"ref": p.CALLS["ref"]}))
    """
    out, err = run(tmp_path, code)
    assert out["ref"] == 0  # the kernel from the very first call
    assert MESSAGE not in err


@pytest.mark.parametrize("how", ["env", "switch"])
def test_wait_policy_compiles_before_the_call_returns(tmp_path, how):
    code = """
    import json
    import numpy as np
    from minigrad.kernels import set_compile_policy, compile_policy
    if SWITCH:
        set_compile_policy("wait")
    import compile_probe as p
    y = p.affine(np.linspace(-1, 1, 7))
    y32 = p.affine(np.linspace(-1, 1, 7).astype(np.float32))
    print(json.dumps({"ref": p.CALLS["ref"], "policy": compile_policy()}))
    """.replace("SWITCH", str(how == "switch"))
    out, err = run(tmp_path, code, policy="wait" if how == "env" else None)
    assert out == {"ref": 0, "policy": "wait"}
    assert err.count(MESSAGE) == 1, err
    assert "in the background" not in err


def test_a_failed_background_compile_raises_in_the_foreground(tmp_path):
    code = """
    import json
    import numpy as np
    from minigrad.kernels import wait_for_kernels
    import compile_probe as p
    x = np.ones(3)
    p.broken(x)  # the reference, while the compile process tries
    wait_for_kernels(timeout=300)
    try:
        p.broken(x)
        raised = None
    except Exception as e:
        raised = type(e).__name__
    print(json.dumps({"raised": raised, "ref": p.CALLS["ref"]}))
    """
    out, _ = run(tmp_path, code)
    assert out == {"raised": "TypingError", "ref": 1}


def test_exiting_mid_compile_is_clean_and_leaves_a_usable_cache(tmp_path):
    code = """
    import json, os
    import numpy as np
    from minigrad.kernels import compiling
    import compile_probe as p
    p.affine(np.ones(3))
    assert compiling.status()["compiling"] == 1
    print(json.dumps({"server": compiling._servers[os.getpid()].proc.pid}))
    """  # exits at once, with the compile process mid-compile
    out, err = run(tmp_path, code)
    assert err.count(MESSAGE) == 1
    with pytest.raises(ProcessLookupError):  # the compile process was ended and reaped
        os.kill(out["server"], 0)
    code = """
    import json
    import numpy as np
    import compile_probe as p
    print(json.dumps({"y": p.affine(np.ones(3)).tolist(), "ref": p.CALLS["ref"]}))
    """
    out, _ = run(tmp_path, code, policy="wait")
    assert out == {"y": [3.0, 3.0, 3.0], "ref": 0}


def test_the_policy_switch_checks_its_argument():
    before = compile_policy()
    try:
        set_compile_policy("wait")
        assert compile_policy() == "wait"
        set_compile_policy("background")
        assert compile_policy() == "background"
        with pytest.raises(ValueError, match="compile policy"):
            set_compile_policy("later")
        assert compile_policy() == "background"
    finally:
        set_compile_policy(before)


def test_an_unknown_policy_in_the_environment_is_refused(tmp_path):
    env = {**os.environ, "PYTHONPATH": ROOT, "MINIGRAD_COMPILE": "sometimes"}
    res = subprocess.run([sys.executable, "-c", "import minigrad"], capture_output=True,
                         text=True, env=env, timeout=300)
    assert res.returncode != 0 and "MINIGRAD_COMPILE='sometimes'" in res.stderr
