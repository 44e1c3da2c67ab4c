"""Run a probe in a fresh interpreter, so a segfault shows as a failed test, not a dead pytest."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_isolated(code: str, timeout: float = 120, env: dict | None = None) -> str:
    """Run ``code`` with this checkout first on sys.path; return its stdout.

    Fails the calling test (AssertionError with stderr) on a crash or a non-zero exit."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
               PYTHONFAULTHANDLER="1", **(env or {}))
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, (f"probe died with exit code {proc.returncode} "
                                  f"(negative = killed by that signal)\n{proc.stderr[-3000:]}")
    return proc.stdout
