import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

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
