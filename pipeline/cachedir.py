"""Where targman keeps what it can reuse: the translation memory and converted models.

`--cache-dir` (or `[cache] dir`), else `$TARGMAN_CACHE_DIR`, else the user's cache
folder (`$XDG_CACHE_HOME/targman`, or `~/.cache/targman`). Read when a run starts,
never at import time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping


def cache_dir(explicit: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    if explicit:
        return Path(explicit).expanduser()
    if environ.get("TARGMAN_CACHE_DIR"):
        return Path(environ["TARGMAN_CACHE_DIR"]).expanduser()
    if environ.get("XDG_CACHE_HOME"):
        return Path(environ["XDG_CACHE_HOME"]).expanduser() / "targman"
    return Path.home() / ".cache" / "targman"
