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


def numpy_generator(generator=None) -> np.random.Generator:
    """The numpy Generator behind ``generator`` (or behind the default one)."""
    if generator is None:
        return _Gen.rng
    return getattr(generator, "numpy_generator", generator)
