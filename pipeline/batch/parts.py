"""A finished input file: its translation written, then its part, which says it is finished.

The part (see `RunState`) holds a header (status, counts, the input's stat and hash,
the hash of the translated file) and the file's rows of `segments.jsonl`; the run's
own files are assembled from the parts at the end.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pipeline.atomic import atomic_write_text
from pipeline.batch.jobs import FileJob
from pipeline.batch.layout import output_path
from pipeline.batch.state import RunState
from pipeline.batch.status import FileStatus
from pipeline.documents.writer import render_file
from pipeline.errors import InputError
from pipeline.segment import Segment
from pipeline.translation.chain import DROPPED

COUNTS = ("segments", "translated", "passed_through", "dropped")


def count_segments(segments: list[Segment]) -> dict[str, int]:
    counts = dict.fromkeys(COUNTS, 0)
    for segment in segments:
        counts["segments"] += 1
        if DROPPED in segment.flags:
            counts["dropped"] += 1
        elif segment.target == segment.source:
            counts["passed_through"] += 1
        else:
            counts["translated"] += 1
    return counts


def write_finished(job: FileJob, out_dir: Path, state: RunState, tgt: str) -> dict:
    """Write one translated file and its part; returns the file's entry for run.json.

    Raises InputError (naming the file) when the translation cannot be written.
    """
    rel = job.file.rel
    kept = [(article, segments) for article, segments in job.articles if article.doc not in job.failed_docs]
    try:
        text = render_file(job.file, kept, tgt)
        target = output_path(out_dir, rel)
        rows = [json.dumps(s.to_row(), ensure_ascii=False) + "\n" for _, segments in kept for s in segments]
        atomic_write_text(target, text)
    except InputError:
        raise
    except Exception as error:  # disk full, a path too long: this file fails, the run goes on
        raise InputError(rel, f"cannot write its translation: {type(error).__name__}: {error}") from None
    segments = [s for _, segments in kept for s in segments]
    entry = {
        "status": FileStatus.PARTIAL if job.failed_docs else FileStatus.DONE,
        "articles": len(kept),
        "segments": len(segments),
        "flags": sum(1 for s in segments if s.flags),
    }
    if job.failed_docs:
        entry["failed_articles"] = dict(job.failed_docs)
    header = {
        "rel": rel,
        "status": entry["status"],
        "entry": entry,
        "counts": count_segments(segments),
        "input": job.source,
        "output_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
    }
    state.save_part(header, rows)
    return entry
