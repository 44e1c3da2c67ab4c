"""Attention heatmaps (matplotlib is optional: installed with the ``examples`` extra)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def plot_attention(weights, src_tokens: Sequence[str], out_tokens: Sequence[str], path: str,
                   title: str = "attention") -> str:
    """Save a heatmap of ``weights`` (len(out_tokens), len(src_tokens)) to ``path``."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("plot_attention needs matplotlib: pip install matplotlib") from e
    w = np.asarray(getattr(weights, "data", weights))
    if w.shape != (len(out_tokens), len(src_tokens)):
        raise ValueError(f"weights of shape {w.shape} do not fit {len(out_tokens)} output and "
                         f"{len(src_tokens)} source tokens")
    fig, ax = plt.subplots(figsize=(1 + 0.4 * len(src_tokens), 1 + 0.4 * len(out_tokens)))
    ax.imshow(w, cmap="viridis", vmin=0, vmax=max(float(w.max()), 1e-9))
    ax.set_xticks(range(len(src_tokens)), list(src_tokens), rotation=90)
    ax.set_yticks(range(len(out_tokens)), list(out_tokens))
    ax.set_xlabel("source")
    ax.set_ylabel("output")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
