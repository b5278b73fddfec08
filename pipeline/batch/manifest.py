"""The run's own files, assembled from the parts in input order: `segments.jsonl`,
`errors.jsonl` and `run.json` (the manifest: config, model, versions, counts, scores,
glossary, and a status for every input file).

Everything but `timings`, `resume` and `cache` in run.json is reproducible: a resumed
run writes the bytes an uninterrupted one does.
"""

from __future__ import annotations

import json
import platform
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from pipeline import __version__
from pipeline.atomic import atomic_open
from pipeline.batch.parts import COUNTS
from pipeline.batch.state import RunState
from pipeline.documents import references
from pipeline.runfolder.folder import RunFolder
from pipeline.runfolder.status import FINISHED, FileStatus


def write_tables(out_dir: Path, state: RunState, order: list[str], files: dict[str, dict]) -> dict[str, int]:
    """segments.jsonl and errors.jsonl from the parts, in input order; returns the segment counts."""
    counts = dict.fromkeys(COUNTS, 0)
    finished = [rel for rel in order if files.get(rel, {}).get("status") in FINISHED]

    def rows() -> Iterator[str]:
        for rel in finished:
            header = state.header(rel) or {}
            for key, value in header.get("counts", {}).items():
                counts[key] = counts.get(key, 0) + value
            yield from state.rows(rel)

    RunFolder(out_dir).write_rows(rows())
    with atomic_open(out_dir / "errors.jsonl") as errors:
        for rel in order:
            entry = files.get(rel, {})
            if entry.get("status") == FileStatus.FAILED:
                errors.write(json.dumps({"file": rel, "error": entry["error"]}, ensure_ascii=False) + "\n")
            for doc, message in entry.get("failed_articles", {}).items():
                errors.write(json.dumps({"file": rel, "doc": doc, "error": message}, ensure_ascii=False) + "\n")
    return counts


class FlagCounts:
    """How many segments carry a flag, and each flag's count: run.json's `flags`."""

    def __init__(self):
        self.segments = 0
        self.by_flag: Counter = Counter()

    def add(self, row: dict) -> None:
        flags = row.get("flags") or ()
        if flags:
            self.segments += 1
            self.by_flag.update(flags)

    def to_dict(self) -> dict:
        ordered = sorted(self.by_flag.items(), key=lambda item: (-item[1], item[0]))
        return {"segments": self.segments, "by_flag": dict(ordered)}


def score_table(table_path: Path, tgt: str, flags: FlagCounts | None = None,
                keep: list[dict] | None = None) -> tuple[dict, set[str]]:
    """Corpus and per-document scores (with sacrebleu signatures) and term success of a run,
    and the glossary concepts its segments met (and, into `flags`, the flags they carry);
    read from the assembled segment table, so a resumed run reports what an uninterrupted
    one does. The rows go into `keep` when given (the post-edit metrics need them), so the
    table is read once."""
    from pipeline.evaluation.scoring import score_segments

    concepts: set[str] = set()

    def rows():
        with open(table_path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    row = json.loads(line)
                    concepts.update(t["concept"] for t in row.get("terms") or ())
                    if flags is not None:
                        flags.add(row)
                    if keep is not None:
                        keep.append(row)
                    yield row

    return score_segments(references.scoring_units(rows()), tgt), concepts


def versions() -> dict:
    """targman's, Python's and the libraries' versions, for run.json."""
    found = {"targman": __version__, "python": platform.python_version()}
    for name in ("torch", "transformers", "sentencepiece", "sacrebleu", "tokenizers", "ctranslate2"):
        module = sys.modules.get(name)
        if module is None:
            try:
                from importlib.metadata import version

                found[name] = version(name)
            except Exception:
                continue
        else:
            found[name] = getattr(module, "__version__", "?")
    return found


def run_status(files: dict[str, dict], interrupted: bool) -> str:
    statuses = [entry["status"] for entry in files.values()]
    if interrupted:
        return "interrupted"
    if FileStatus.FAILED in statuses or FileStatus.PARTIAL in statuses:
        return "completed_with_errors"
    return "completed"


def file_counts(order: list[str], files: dict[str, dict]) -> dict[str, int]:
    statuses = [entry["status"] for entry in files.values()]
    return {
        "files": len(order),
        **{status.value: statuses.count(status) for status in (FileStatus.DONE, FileStatus.PARTIAL, FileStatus.FAILED, FileStatus.SKIPPED)},
        "pending": len(order) - len(files),
    }
