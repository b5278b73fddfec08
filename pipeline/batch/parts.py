"""A finished input file: its translation written, then its part, which says it is finished.

The part (see `RunState`) holds a header (status, counts, the input's stat and hash,
the hash of the translated file) and the file's rows of `segments.jsonl`; the run's
own files are assembled from the parts at the end.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pipeline.atomic import atomic_write_text, refuse_links_below
from pipeline.batch.jobs import FileJob
from pipeline.batch.state import RunState
from pipeline.documents.writer import render_file
from pipeline.errors import FATAL_WRITE_ERRNOS, InputError, write_error
from pipeline.layout import output_path
from pipeline.runfolder.schema import FileEntry
from pipeline.runfolder.status import FileStatus
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


def write_finished(job: FileJob, out_dir: Path, state: RunState, tgt: str, *, edited_by_hand: bool = False,
                   glossary_sha256: str | None = None) -> FileEntry:
    """Write one translated file and its part; returns the file's entry for run.json.

    Only a file targman wrote, unchanged, is replaced: a file it never wrote is the
    user's and is kept (InputError), and a file edited by hand (`edited_by_hand`: its
    post-edits were taken already) is kept under `.targman/edited/` when the new
    translation differs from it. Raises InputError (naming the file) when this file
    cannot be written, WriteError when the output folder cannot take more.
    """
    rel = job.file.rel
    kept = [(article, segments) for article, segments in job.articles if article.doc not in job.failed_docs]
    try:
        text = render_file(job.file, kept, tgt)
        target = output_path(out_dir, rel)
        rows = [json.dumps(s.to_row(), ensure_ascii=False) + "\n" for _, segments in kept for s in segments]
    except InputError:
        raise
    except Exception as error:  # a bug on one strange file must not stop the run
        raise InputError(rel, f"cannot render its translation: {type(error).__name__}: {error}") from None
    owner = state.ownership(rel, target)
    if owner == "foreign" or (owner == "edited" and not edited_by_hand):
        raise InputError(rel, f"{target} was not written by targman (or was changed while this run went on); "
                              "it is kept: move it away, or choose another output folder, and run again")
    data = text if isinstance(text, bytes) else text.encode("utf-8")  # a Word file is bytes
    digest = hashlib.sha256(data).hexdigest()
    backup = None
    try:
        if owner == "edited" and state.ownership(rel, target) == "edited" and target.read_bytes() != data:
            backup = state.keep_edited(rel, target)
        refuse_links_below(out_dir, target)
        state.record_output(rel, digest)
        atomic_write_text(target, text)
    except OSError as error:
        raise _write_failure(error, "its translation", rel, target) from None
    segments = [s for _, segments in kept for s in segments]
    entry: FileEntry = {
        "status": FileStatus.PARTIAL if job.failed_docs else FileStatus.DONE,
        "articles": len(kept),
        "segments": len(segments),
        "flags": sum(1 for s in segments if s.flags),
    }
    if job.failed_docs:
        entry["failed_articles"] = dict(job.failed_docs)
    if job.reference_problems:
        entry["reference"] = "; ".join(job.reference_problems)
    if owner == "edited":
        entry["edited_by_hand"] = {"human_segments": sum(1 for s in segments if s.origin == "human"),
                                   "kept_as": backup}
    header = {
        "rel": rel,
        "status": entry["status"],
        "entry": entry,
        "counts": count_segments(segments),
        "input": job.source,
        "output_sha256": digest,
        "glossary_sha256": glossary_sha256,  # the glossary the file was translated with (batch.plan rechecks it)
    }
    try:
        state.save_part(header, rows)
    except OSError as error:
        raise _write_failure(error, "its run state", rel, state.part_path(rel)) from None
    return entry


def _write_failure(error: OSError, what: str, rel: str, where: Path) -> Exception:
    """A disk that is full, read-only or past its size limit stops the run (WriteError);
    anything else (a name too long, one folder not writable) fails this file alone."""
    if error.errno in FATAL_WRITE_ERRNOS:
        return write_error(error, what.replace("its ", f"{rel}: the ", 1), where)
    return InputError(rel, f"cannot write {what}: {type(error).__name__}: {error}")
