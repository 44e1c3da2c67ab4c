"""Anomaly mode: remember where each op was created, and stop at the first NaN or inf.

    with mg.detect_anomaly():
        loss = model(x); loss.backward()   # RuntimeError naming the op, shapes and file:line
"""
from __future__ import annotations

import traceback
from collections.abc import Iterable
from itertools import count
from pathlib import Path

import numpy as np

from .modes import state

_PACKAGE = Path(__file__).resolve().parent  # frames inside this package are not the site
_seq = count(1)


class detect_anomaly:
    """Raise at the first op whose forward or backward produces NaN or inf (per thread).

    The error names the op, its input shapes and the file:line that created it.
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        self._prev: list = []

    def __enter__(self) -> None:
        self._prev.append((state.anomaly, state.record_sites))
        state.anomaly = self.check_nan
        state.record_sites = True
        state.extras += 1

    def __exit__(self, *exc: object) -> None:
        state.anomaly, state.record_sites = self._prev.pop()
        state.extras -= 1


class record_sites:
    """Remember each op's creation site and arguments (``check_graph`` uses this)."""

    def __enter__(self) -> None:
        self._prev = state.record_sites
        state.record_sites = True
        state.extras += 1

    def __exit__(self, *exc: object) -> None:
        state.record_sites = self._prev
        state.extras -= 1


def creation_site() -> str:
    """file:line of the innermost frame outside the minigrad package (the user's line)."""
    for frame in reversed(traceback.extract_stack()[:-1]):
        try:
            inside = Path(frame.filename).resolve().is_relative_to(_PACKAGE)
        except (OSError, ValueError):
            inside = False
        if not inside:
            return f"{frame.filename}:{frame.lineno}"
    return "<unknown>"


def remember(ctx, raw: list) -> None:
    """Note the op's site, forward order and raw arguments on its node."""
    ctx.site = creation_site()
    ctx.seq = next(_seq)
    ctx.raw_args = list(raw)


def check_finite(what: str, node, arrays: Iterable) -> None:
    for a in arrays:
        a = getattr(a, "_data", a)
        if isinstance(a, np.ndarray) and a.dtype.kind == "f" and not np.isfinite(a).all():
            shapes = ", ".join(str(s) for s in node.input_shapes)
            raise RuntimeError(
                f"anomaly: {node.name} {what} produced "
                f"{'NaN' if np.isnan(a).any() else 'inf'}; input shapes ({shapes}); "
                f"created at {node.site}"
            )
