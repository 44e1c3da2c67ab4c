"""The benchmark script runs (figures are not asserted: CI machines are noisy)."""
import os
import re
import subprocess
import sys

import pytest
from conftest import needs_torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@needs_torch
@pytest.mark.parametrize("section", ["overhead", "kernels"])
def test_benchmark_sections_run(section):
    out = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "run.py"), "--quick",
                          "--only", section], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "|---|" in out.stdout and re.search(r"\| \**\d+\.\d+x\**", out.stdout)


@needs_torch
def test_training_benchmark_step_functions_agree_on_shapes():
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    import run

    for cell in ("rnn", "lstm", "gru"):
        run.mg_step_fn(cell, 2, 5, 4, 6, 7)()
        run.torch_step_fn(cell, 2, 5, 4, 6, 7)()
    assert run.step_flops("lstm", 1, 1, 1, 1, 1) == 3 * 2 * (4 + 4 + 1)
