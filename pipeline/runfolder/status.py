"""The status of one input file in a run, as `run.json` and the parts record it."""

from __future__ import annotations

from enum import StrEnum


class FileStatus(StrEnum):
    DONE = "done"  # translated and written
    PARTIAL = "partial"  # a JSONL file some of whose articles failed; the others are written
    FAILED = "failed"  # nothing of it written (see `error`)
    SKIPPED = "skipped"  # not an input targman reads (see `reason`)
    PENDING = "pending"  # not reached yet (an interrupted run)


FINISHED = (FileStatus.DONE, FileStatus.PARTIAL)  # a part and an output exist
WITH_ERRORS = (FileStatus.FAILED, FileStatus.PARTIAL)
