"""The one random source the library uses, so ``mg.manual_seed`` makes runs repeatable."""
from __future__ import annotations

import numpy as np


class _Gen:
    rng = np.random.default_rng()


def manual_seed(seed: int) -> None:
    """Seed every random source minigrad (and nn: init, dropout) draws from."""
    _Gen.rng = np.random.default_rng(seed)


def _rng() -> np.random.Generator:
    return _Gen.rng
