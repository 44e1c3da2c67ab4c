"""Padding variable-length sequences into one batch."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

import minigrad as mg
from minigrad import Tensor


def pad_sequence(sequences: Sequence[Tensor], batch_first: bool = False,
                 padding_value: float = 0.0) -> Tensor:
    """Stack (L_i, *) tensors into (max L, B, *) (or (B, max L, *)), padding the ends."""
    if not sequences:
        raise ValueError("pad_sequence: expected a non-empty list of tensors")
    seqs = [s if isinstance(s, Tensor) else mg.tensor(s) for s in sequences]
    trail = seqs[0].shape[1:]
    for s in seqs:
        if s.shape[1:] != trail:
            raise ValueError(f"pad_sequence: trailing dims differ: {trail} vs {s.shape[1:]}")
    L = max(s.shape[0] for s in seqs)
    padded = []
    for s in seqs:
        if s.shape[0] < L:
            pad = mg.tensor(np.full((L - s.shape[0],) + trail, padding_value, s.dtype))
            s = mg.cat([s, pad], 0)
        padded.append(s)
    return mg.stack(padded, 0 if batch_first else 1)
