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


@pytest.fixture(autouse=True)
def _seed():
    import minigrad as mg

    mg.manual_seed(0)
    np.random.seed(0)
    yield
