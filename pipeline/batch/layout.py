"""What a run's output folder holds, and where the translation of each input goes."""

from __future__ import annotations

from pathlib import Path

from pipeline.errors import InputError

# The run's own files at the top of the output folder; no translated article may take their place.
RUN_FILES = ("segments.jsonl", "errors.jsonl", "run.json", "review.html")
STATE_DIR = ".targman"


def output_path(out_dir: Path, rel: str) -> Path:
    """Where the translation of input `rel` goes; never outside `out_dir`, never a run file."""
    root = out_dir.resolve()
    target = (root / rel).resolve()
    if not target.is_relative_to(root) or target == root:
        raise InputError(rel, "output path would leave the output folder")
    first = target.relative_to(root).parts[0]
    if target.parent == root and first in RUN_FILES or first == STATE_DIR:
        raise InputError(rel, f"its translation would overwrite the run's own {first}; rename the file")
    return target
