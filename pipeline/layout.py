"""What a run's output folder holds, and where the translation of each input goes."""

from __future__ import annotations

from pathlib import Path

from pipeline.errors import InputError

# The run's own files at the top of the output folder; no translated article (nor a folder
# of them) may take their place.
RUN_FILES = ("segments.jsonl", "errors.jsonl", "run.json", "review.html", "review.tsv", "edits.jsonl",
             "review-log.jsonl", "review")
STATE_DIR = ".targman"
# What describes one run and goes when --force discards it (edits.jsonl and review-log.jsonl, the editors'
# work, stay).
DISCARDED_WITH_A_RUN = ("segments.jsonl", "errors.jsonl", "run.json")
# In the state folder while `targman apply` writes post-edits into articles: the next apply (or run)
# finishes the run's tables.
APPLY_INTENT = "apply.json"


def output_path(out_dir: Path, rel: str) -> Path:
    """Where the translation of input `rel` goes; never outside `out_dir`, never a run file."""
    root = out_dir.resolve()
    target = (root / rel).resolve()
    if not target.is_relative_to(root) or target == root:
        raise InputError(rel, "output path would leave the output folder")
    parts = target.relative_to(root).parts
    first = parts[0]
    if first in RUN_FILES or first == STATE_DIR:
        what = "file" if len(parts) == 1 else "folder"
        raise InputError(rel, f"its translation would overwrite the run's own {first}; rename the {what}")
    return target
