"""Tracing: record every op applied in a block, whatever the grad mode (exporters use it).

    with trace_ops() as ops:
        out = model(x)          # ops: a list of TracedOp(fn, args, params, outputs)
"""
from __future__ import annotations

from typing import NamedTuple

from ..modes import state


class TracedOp(NamedTuple):
    """One ``Function.apply`` seen by :class:`trace_ops`."""

    fn: type
    args: tuple
    params: dict
    outputs: tuple


class trace_ops:
    """``with trace_ops() as ops:`` appends every op applied in the block (whatever the grad
    mode, this thread only) to the list ``ops`` as :class:`TracedOp` (used by exporters)."""

    def __enter__(self) -> list:
        self._prev = state.tracer
        state.tracer = []
        state.extras += 1
        return state.tracer

    def __exit__(self, *exc: object) -> None:
        state.tracer = self._prev
        state.extras -= 1
