"""What every lesson shares: command line, progress bars, plots and the RESULT line."""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import minigrad as mg  # noqa: E402

EXTRA = 'pip install -e ".[examples]"  (from the repository root: tqdm and matplotlib)'
_START = time.perf_counter()


def require(*modules: str) -> None:
    """Stop with one clear line, before any training, if an optional package is missing."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        sys.exit(f"this lesson needs {' and '.join(missing)}, from the 'examples' extra: {EXTRA}")


def parse_args(doc: str, needs=("tqdm", "matplotlib"), **extra) -> argparse.Namespace:
    """--quick (seconds instead of about a minute), --out (plots), --seed, plus ``extra``;
    first checks the optional packages the lesson ``needs`` are installed."""
    require(*needs)
    ap = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a few seconds of training (tests)")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "out"), help="folder for the plots")
    ap.add_argument("--seed", type=int, default=0)
    for name, (default, helptext) in extra.items():
        ap.add_argument(f"--{name}", type=type(default), default=default, help=helptext)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    mg.manual_seed(args.seed)
    np.random.seed(args.seed)
    return args


def progress(iterable, desc: str, **kw):
    """A tqdm progress bar on stderr that stays when done, so it shows the total time."""
    from tqdm import tqdm

    return tqdm(iterable, desc=desc, leave=True, dynamic_ncols=True, **kw)


def figure(*size, figsize=None, **kw):
    """A matplotlib figure and its axes (``size`` and ``kw`` as for ``subplots``), made
    without pyplot: no window opens and the caller's backend is left alone."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    return fig, fig.subplots(*size, **kw)


def save(fig, out: str, name: str) -> str:
    path = os.path.join(out, name)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    print(f"saved {path}")
    return path


def array(t) -> np.ndarray:
    """A tensor's values as a numpy array (shares memory; no gradient)."""
    return t.detach().numpy()


def result(**metrics) -> None:
    """The lesson's last line: ``RESULT key=value ...`` (parsed by tests/test_examples.py),
    after the total wall time."""
    print(f"total time {time.perf_counter() - _START:.1f} s")
    print("RESULT " + " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                               for k, v in metrics.items()))


def batches(n: int, size: int, rng: np.random.Generator):
    """Shuffled index batches covering range(n)."""
    order = rng.permutation(n)
    return [order[i:i + size] for i in range(0, n, size)]
