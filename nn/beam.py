"""Greedy decoding and beam search over any step function.

``step(tokens, state) -> (log_probs (K, V), new_state, attn (K, S) or None)`` advances K
hypotheses by one token; ``select(state, idx)`` keeps the rows ``idx`` of a state.  Beam
search keeps the ``beam_size`` best partial sequences by total log-probability and ranks
finished ones by log-probability / length (length normalisation), so short outputs are not
favoured just for having fewer terms.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np


class Hypothesis(NamedTuple):
    tokens: list[int]       # generated tokens, without bos, ending before eos
    score: float            # length-normalised log-probability
    attention: np.ndarray   # (len(tokens) + 1 if eos was produced, S) or (0, 0)


def beam_search(step: Callable, select: Callable, state: Any, bos: int, eos: int,
                max_len: int, beam_size: int = 1) -> Hypothesis:
    if beam_size < 1 or max_len < 1:
        raise ValueError("beam_size and max_len must be at least 1")
    alive = [([], 0.0, [])]  # (tokens, total log-prob, attention rows)
    finished: list[Hypothesis] = []
    for _ in range(max_len):
        last = np.array([h[0][-1] if h[0] else bos for h in alive])
        logp, state, attn = step(last, state)
        cands = []
        for k, (_, total, _) in enumerate(alive):
            top = np.argsort(-logp[k], kind="stable")[:beam_size]
            for tok in top:
                cands.append((total + float(logp[k, tok]), k, int(tok)))
        cands.sort(key=lambda c: -c[0])
        keep_rows, new_alive = [], []
        for total, k, tok in cands:
            toks, _, att = alive[k]
            rows = att + ([attn[k]] if attn is not None else [])
            if tok == eos:
                finished.append(Hypothesis(toks, total / (len(toks) + 1), _stack(rows)))
            else:
                new_alive.append((toks + [tok], total, rows))
                keep_rows.append(k)
            if len(new_alive) == beam_size:
                break
        alive = new_alive
        if not alive or len(finished) >= beam_size:
            break
        state = select(state, np.array(keep_rows))
    pool = finished + [Hypothesis(t, s / max(len(t), 1), _stack(a)) for t, s, a in alive]
    return max(pool, key=lambda h: h.score)


def _stack(rows: list) -> np.ndarray:
    return np.stack(rows) if rows else np.zeros((0, 0))
