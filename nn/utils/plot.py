"""Attention heatmaps (matplotlib is optional: installed with the ``examples`` extra)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def plot_attention(weights, src_tokens: Sequence[str], out_tokens: Sequence[str], path: str,
                   title: str = "attention") -> str:
    """Save a heatmap of attention ``weights`` to ``path`` (any format matplotlib writes).

    ``weights`` is (len(out_tokens), len(src_tokens)): row t is the distribution over source
    positions the decoder used for output token t.  Drawn on a standalone matplotlib
    ``Figure`` (not pyplot), so the caller's backend and open figures are left alone.
    Returns ``path``.
    """
    try:
        from matplotlib.figure import Figure
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("plot_attention needs matplotlib, from the 'examples' extra: "
                          "pip install 'minigrad-rnn[examples]' (or pip install matplotlib)"
                          ) from e
    w = weights.detach().numpy() if hasattr(weights, "detach") else np.asarray(weights)
    if w.shape != (len(out_tokens), len(src_tokens)):
        raise ValueError(f"weights of shape {w.shape} do not fit {len(out_tokens)} output and "
                         f"{len(src_tokens)} source tokens")
    fig = Figure(figsize=(2 + 0.4 * len(src_tokens), 1.2 + 0.4 * len(out_tokens)))
    ax = fig.subplots()
    im = ax.imshow(w, cmap="viridis", vmin=0, vmax=max(float(w.max()), 1e-9))
    fig.colorbar(im, ax=ax, label="attention weight")
    ax.set_xticks(range(len(src_tokens)), list(src_tokens), rotation=90)
    ax.set_yticks(range(len(out_tokens)), list(out_tokens))
    ax.set_xlabel("source token")
    ax.set_ylabel("output token")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path
