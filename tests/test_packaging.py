"""Packaging: a non-editable install of the distribution works away from the source tree, and
carries its licence, its type markers and its metadata."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIST = "minigrad-rnn"

SMOKE = textwrap.dedent('''
    import importlib.metadata as md
    import os
    import sys

    import numpy as np

    import minigrad as mg
    import nn

    venv = os.path.realpath(sys.prefix)
    for module in (mg, nn):
        assert os.path.realpath(module.__file__).startswith(venv), module.__file__
    files = {str(f).replace(os.sep, "/") for f in md.files("{dist}")}
    assert {"minigrad/py.typed", "nn/py.typed"} <= files, sorted(files)[:20]
    assert any(f.endswith("LICENSE") for f in files), "no LICENSE in the distribution"
    meta = md.metadata("{dist}")
    assert meta["Name"] == "{dist}" and meta["Version"] == mg.__version__
    assert meta.get("License-Expression") == "MIT" or meta.get("License") == "MIT"
    assert any(c.startswith("Typing :: Typed") for c in meta.get_all("Classifier"))
    runtime = [r.split(">")[0].split(";")[0].strip() for r in meta.get_all("Requires-Dist")
               if "extra ==" not in r]
    assert sorted(runtime) == ["numba", "numpy"], runtime

    mg.manual_seed(0)
    x = mg.randn(4, 3, 5, requires_grad=True)
    out, h = nn.GRU(5, 6)(x)
    out.sum().backward()
    assert out.shape == (4, 3, 6) and x.grad.shape == (4, 3, 5)
    assert np.isfinite(x.grad.detach().numpy()).all()
    print("smoke test passed:", mg.__file__)
''').replace("{dist}", DIST)


@pytest.mark.slow
def test_non_editable_install_works_outside_the_source_tree(tmp_path):
    """``pip install .`` from a copy of the sources into a fresh virtual environment (numpy
    and numba come from the running interpreter's site-packages: nothing is downloaded)."""
    src = tmp_path / "src"
    keep = ("pyproject.toml", "README.md", "LICENSE", "minigrad", "nn")
    for name in keep:
        path = os.path.join(ROOT, name)
        if os.path.isdir(path):
            shutil.copytree(path, src / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc"))
        else:
            os.makedirs(src, exist_ok=True)
            shutil.copy(path, src / name)
    venv = tmp_path / "venv"
    # --without-pip: pip and setuptools (>= 77, for the licence expression) come from the
    # running interpreter, not the old setuptools that ensurepip puts in a new venv
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip",
                    str(venv)], check=True, timeout=300)
    python = str(venv / "bin" / "python")
    install = subprocess.run([python, "-m", "pip", "install", "--no-deps", "--no-index",
                              "--no-build-isolation", "--quiet", str(src)],
                             capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-3000:]
    run = subprocess.run([python, "-c", SMOKE], cwd=tmp_path, capture_output=True, text=True,
                         timeout=600, env={k: v for k, v in os.environ.items()
                                           if k != "PYTHONPATH"})
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert "smoke test passed" in run.stdout
