import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# Kernels compile before the call that needs them returns (minigrad/kernels/compiling.py): a
# background compile would let an early call run the reference and a later one the kernel
# (equal up to float rounding), and tests compare runs bit for bit (test_optim.py and
# test_serialization.py: resumed training is bit-identical).  Set before minigrad is imported;
# subprocesses inherit it.
os.environ.setdefault("MINIGRAD_COMPILE", "wait")

settings.register_profile("ci", max_examples=15, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow,
                                                 HealthCheck.data_too_large])
settings.register_profile("dev", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

try:
    import torch

    torch.set_default_dtype(torch.float64)
except ImportError:  # parity tests skip cleanly without the oracle
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch (the parity oracle) not installed")


def pytest_addoption(parser):
    parser.addoption("--reference-mode", action="store_true",
                     help="run every test inside mg.reference_mode(): the numpy references of "
                          "every kernel, composed RNN cells and losses (also: "
                          "MINIGRAD_REFERENCE=1)")


@pytest.fixture(autouse=True)
def _reference_mode(request):
    import minigrad as mg

    if request.config.getoption("--reference-mode"):
        with mg.reference_mode():
            yield
    else:
        yield


@pytest.fixture(autouse=True)
def _seed():
    import minigrad as mg

    mg.manual_seed(0)
    np.random.seed(0)
    yield


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """End with how many parity tests (torch as the oracle, marked ``needs_torch``) ran or
    were skipped, and why: a run without torch otherwise shows only a bare skip count."""
    import sys

    def marks_of(nodeid: str) -> list:
        path, *names = nodeid.split("::")
        target = os.path.realpath(os.path.join(str(config.rootpath), path))
        module = next((m for m in list(sys.modules.values())
                       if os.path.realpath(getattr(m, "__file__", None) or "") == target), None)
        obj, marks = module, []
        for name in [None, *names]:
            if name is not None:
                obj = getattr(obj, name.split("[")[0], None)
            found = getattr(obj, "pytestmark", [])
            marks += found if isinstance(found, list) else [found]
        return marks

    def is_parity(report) -> bool:
        return any(m == needs_torch.mark for m in marks_of(report.nodeid))

    stats = terminalreporter.stats
    ran = [r for key in ("passed", "failed") for r in stats.get(key, [])
           if getattr(r, "when", "") == "call" and is_parity(r)]
    skipped = [r for r in stats.get("skipped", []) if is_parity(r)]
    failed = sum(r.outcome == "failed" for r in ran)
    if not ran and not skipped:
        return
    terminalreporter.section("parity with torch", sep="-")
    if torch is not None:
        terminalreporter.write_line(
            f"{len(ran)} parity tests ran against torch {torch.__version__} "
            f"({len(ran) - failed} passed, {failed} failed); {len(skipped)} skipped")
    else:
        terminalreporter.write_line(
            f"{len(skipped)} parity tests skipped: {needs_torch.mark.kwargs['reason']} "
            f"(torch is the test oracle only; `pip install torch==2.13.0` runs them)")
