"""What the fresh-interpreter tests share: a script run in a new Python with a bare environment
(this checkout on the path, a cache of its own, one OpenMP thread), so that what it imports or
loads is its own doing, not the test process's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_fresh(script: str, tmp_path: Path) -> list[str]:
    """Run `script` in a fresh interpreter in `tmp_path`; its stdout lines (it must exit 0)."""
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "TARGMAN_CACHE_DIR": str(tmp_path / "c"),
                               "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()
