"""Runs one of the programs here unchanged under real torch or under minigrad.

    python tests/programs/run.py minigrad word_lm/main.py --epochs 1
    python tests/programs/run.py torch char_rnn_classify.py --epochs 2

Under ``minigrad`` the program runs in a subprocess whose PYTHONPATH starts with ``shim/``,
whose ``torch`` package only aliases minigrad (``sys.modules['torch'] = minigrad`` and
``torch.X`` -> ``minigrad.X``), so the program's text is byte-identical for both backends.
The working directory is the program's own folder for the word LM (its ``import data`` /
``from model import ...``) and this folder for the tutorials (their ``data/...`` paths).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SHIM = HERE / "shim"
LOSS = re.compile(r"\bloss\s*=?\s*([0-9.]+(?:e[-+]?\d+)?|nan|inf)")


def run(backend: str, program: str, *args: str, timeout: float = 600,
        cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``program`` (a path relative to tests/programs) with ``args`` under ``backend``
    ('torch' or 'minigrad'); returns the finished process (stdout and stderr as text)."""
    if backend not in ("torch", "minigrad"):
        raise ValueError(f"backend must be 'torch' or 'minigrad', not {backend!r}")
    path = HERE / program
    env = dict(os.environ)
    parts = [str(REPO)] + ([p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    if backend == "minigrad":
        parts.insert(0, str(SHIM))
    env["PYTHONPATH"] = os.pathsep.join(parts)
    env.setdefault("OMP_NUM_THREADS", "1")  # a fair, quiet 1-thread comparison
    return subprocess.run([sys.executable, str(path), *args], cwd=cwd or path.parent, env=env,
                          capture_output=True, text=True, timeout=timeout)


def losses(stdout: str, prefix: str = "") -> list[float]:
    """Every ``loss X`` / ``loss = X`` figure printed on lines starting with ``prefix``."""
    return [float(m.group(1)) for line in stdout.splitlines() if line.startswith(prefix)
            for m in LOSS.finditer(line)]


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    proc = run(sys.argv[1], sys.argv[2], *sys.argv[3:], timeout=3600)
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)
    sys.exit(proc.returncode)
