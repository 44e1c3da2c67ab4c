"""What every lesson shares: command line, progress bars, plots and the RESULT line."""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import minigrad as mg  # noqa: E402


def parse_args(doc: str, **extra) -> argparse.Namespace:
    """--quick (seconds instead of about a minute), --out (plots), --seed, plus ``extra``."""
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
    """A tqdm progress bar (on stderr, so the printed lesson stays readable)."""
    from tqdm import tqdm

    return tqdm(iterable, desc=desc, leave=False, dynamic_ncols=True, **kw)


def figure(*size):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(*size) if size else plt.subplots()


def save(fig, out: str, name: str) -> str:
    import matplotlib.pyplot as plt

    path = os.path.join(out, name)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    print(f"saved {path}")
    return path


def result(**metrics) -> None:
    """The lesson's last line: ``RESULT key=value ...`` (parsed by tests/test_examples.py)."""
    print("RESULT " + " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                               for k, v in metrics.items()))


def batches(n: int, size: int, rng: np.random.Generator):
    """Shuffled index batches covering range(n)."""
    order = rng.permutation(n)
    return [order[i:i + size] for i in range(0, n, size)]
