"""The benchmark runs and reports; no figure is asserted (machines are noisy and shared)."""
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import needs_torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

import models  # noqa: E402
import report  # noqa: E402

TARGET_ROWS = ("small: ≥ 1.5x JAX", "small: ≥ 3x PyTorch", "medium: ≥ 1.2x", "large: ≥ 1.1x",
               "large: the step's GEMMs", "busy machine: throughput", "busy machine: never below",
               "fresh install: import + first", "fresh install: a visible message",
               "import minigrad, nn ≤ 0.2 s", "tiny op forward overhead")


def test_quick_run_prints_every_target_row_and_section():
    out = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "run.py"), "--quick"],
                         capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    for row in TARGET_ROWS:
        assert f"| {row}" in out.stdout, row
    for section in ("## Training step", "## Busy machine", "## Import time",
                    "## Per-op overhead", "## Numba kernels"):
        assert section in out.stdout, section


@needs_torch
@pytest.mark.parametrize("cell", models.CELLS)
def test_minigrad_and_torch_steps_start_from_the_same_losses(cell):
    B, T, E, H, V = models.QUICK_CASES["tiny"]
    w, data = models.initial_weights(cell, E, H, V), models.token_data(B, T, V)
    mg, tc = models.minigrad_step(cell, w, data), models.torch_step(cell, w, data)
    for _ in range(3):  # the first loss, then two after Adam steps
        a, b = models.loss_value(mg()), models.loss_value(tc())
        np.testing.assert_allclose(a, b, rtol=1e-5)


@pytest.mark.skipif(not __import__("peers").installed("jax"), reason="jax not installed")
def test_jax_worker_agrees_with_minigrad_on_the_first_losses():
    from peers import InProcessPeer, WorkerPeer

    B, T, E, H, V = models.QUICK_CASES["tiny"]
    w, data = models.initial_weights("gru", E, H, V), models.token_data(B, T, V)
    jax = WorkerPeer("jax", "jax1", threads=1)
    try:
        got = jax.setup("gru", w, data)["losses"]
        assert jax.round(2) > 0
    finally:
        jax.close()
    want = InProcessPeer("minigrad").setup("gru", w, data)["losses"]
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_step_flops_counts_forward_and_backward_gemms():
    # LSTM, all sizes 1: forward (E*4H + H*4H + H*V) = 9 multiply-adds, x2 flops, x3 with bwd
    assert models.step_flops("lstm", 1, 1, 1, 1, 1) == 3 * 2 * 9


def _row(size, cell, torch, jax1, jax2=None):
    ratio = {"torch": torch, "jax1": jax1}
    tok = {"minigrad": 1.0, "torch": 1.0, "jax1": 1.0}
    if jax2 is not None:
        ratio["jax2"], tok["jax2"] = jax2, 2.0  # jax2 the faster JAX
    best = "jax2" if jax2 is not None else "jax1"
    ratio["jax"] = ratio[best]
    return {"size": size, "cell": cell, "ratio": ratio, "tok_s": tok, "jax_best": best}


def test_targets_mark_met_and_missed_from_the_figures():
    rows = [_row("small", c, 3.5, 1.6, 1.4) for c in models.CELLS]  # vs best JAX (jax2): 1.4x
    rows += [_row("medium", "rnn", 1.3, 1.25), _row("medium", "lstm", 2.0, 1.5)]
    rows += [_row("large", "gru", 1.2, 9.0, 1.15)]
    results = {"training": {"rows": rows, "missing": {}},
               "busy": {"medium lstm": {"busy_vs_quiet": 0.7, "busy_vs_one_thread": 0.9}},
               "overhead": [{"op": "a + b (forward only)", "mg_us": 1.0, "torch_us": 1.5,
                             "ratio": 1.5}],
               "startup": {"cold": {"lstm": {"import_s": 0.1, "first_step_s": 3.5,
                                              "printed": []}},
                           "import": {"minigrad, nn": 0.1}}}
    lines = {ln.split(" | ")[0].lstrip("| "): ln for ln in
             report.targets(results).splitlines() if ln.startswith("| ")}

    def status(prefix):
        return next(v for k, v in lines.items() if k.startswith(prefix)).rstrip(" |").split(
            " | ")[-1]

    assert status("small: ≥ 1.5x JAX") == report.MISSED  # the best JAX config counts
    assert status("small: ≥ 3x PyTorch") == report.MET
    assert status("medium") == report.MET
    assert status("large: ≥ 1.1x") == report.MET
    assert status("large: the step's GEMMs") == "not measured"
    assert status("busy machine: throughput") == report.MET
    assert status("busy machine: never below") == report.MISSED
    assert status("fresh install: import + first") == report.MISSED
    assert status("fresh install: a visible") == report.MISSED
    assert status("import minigrad") == report.MET
    assert status("tiny op") == report.MET


def test_a_missing_peer_is_reported_not_fatal(monkeypatch):
    import training

    assert training.make_peers(("tensorflow",), quick=True) == (
        [], {"tensorflow": "unknown peer (torch or jax)"})
    monkeypatch.setattr(training, "installed", lambda module: False)
    peers, missing = training.make_peers(("torch", "jax"), quick=True)
    assert peers == [] and missing == {"torch": "not installed", "jax": "not installed"}
    row = _row("small", "rnn", 3.5, 1.6)
    del row["ratio"]["torch"], row["ratio"]["jax"], row["ratio"]["jax1"]
    text = report.targets({"training": {"rows": [row], "missing": missing}})
    assert "torch not installed" in text and "jax not installed" in text


def test_profile_option_prints_the_cprofile_views():
    out = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "run.py"), "--quick",
                          "--profile", "tiny", "lstm"], capture_output=True, text=True,
                         timeout=600, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "## Profile: tiny lstm" in out.stdout
    assert "per source area" in out.stdout and "top 15 functions" in out.stdout


PERF_SCRIPT = """\
 101
\t    7f01 sgemm_kernel_SKYLAKEX (/x/numpy.libs/libscipy_openblas64_-ab.so)
\t    7f02 PyObject_Call (/usr/lib/libpython3.11.so.1.0)

 101
\tffffffff811 clear_page_erms ([kernel.kallsyms])
\tffffffff812 exc_page_fault ([kernel.kallsyms])
\t    7f03 __memset_avx512_unaligned_erms (/usr/lib/libc.so.6)

 102
\tffffffff813 do_sched_yield ([kernel.kallsyms])
\t    7f04 blas_thread_server (/x/numpy.libs/libscipy_openblas64_-ab.so)

 101
\t    7f05 [unknown] (/tmp/perf-101.map)

 101
\t    7f06 dgemm_kernel_HASWELL (/x/scipy.libs/libscipy_openblas-cd.so)

 101
\t    7f07 _PyEval_EvalFrameDefault (/usr/lib/libpython3.11.so.1.0)
"""


def test_perf_samples_are_grouped_by_the_native_code_they_ran():
    import profile_step

    samples = profile_step._parse_perf_script(PERF_SCRIPT)
    assert [tid for tid, _ in samples] == [101, 101, 102, 101, 101, 101]
    groups = [profile_step._group(frames) for _, frames in samples]
    assert groups == ["GEMM in numpy's OpenBLAS", "OS: page faults, memory",
                      "BLAS threads spinning / waiting", "Numba kernels (jitted code)",
                      "GEMM in SciPy's OpenBLAS (Numba np.dot)", "Python interpreter"]
    assert set(groups) <= set(profile_step.PERF_GROUPS)


def test_cases_wait_for_a_quiet_machine_only_when_asked():
    import time

    import machine

    assert machine.Quiet.max_cores is None  # run.py --wait-quiet sets it
    t0 = time.perf_counter()
    assert machine.settle() is None
    assert time.perf_counter() - t0 < 0.5
