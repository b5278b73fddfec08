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
from dataclasses import dataclass
from pathlib import Path

from pipeline import __version__
from pipeline.atomic import atomic_open
from pipeline.batch.parts import COUNTS
from pipeline.batch.state import RunState
from pipeline.documents import references
from pipeline.evaluation.postedit import edit_summary
from pipeline.runfolder.folder import RunFolder
from pipeline.runfolder.schema import FileEntry
from pipeline.runfolder.status import FINISHED, FileStatus


@dataclass
class Tables:
    """What the assembled segment table says, for run.json: counts, scores, flags, the glossary
    concepts met, and the editors' work (`evaluation.postedit.edit_summary`)."""

    counts: dict[str, int]
    scores: dict
    concepts: set[str]
    flags: dict
    edits: dict


def assemble_tables(out_dir: Path, state: RunState, order: list[str], files: dict[str, FileEntry], tgt: str,
                    glossary=None, *, checked: bool = False) -> Tables:
    """segments.jsonl from the finished files' parts, in input order, then what run.json says of
    it, reading the table once: the one assembly step of `targman run` and `targman apply`.

    `checked` (apply, which rewrote parts): only a part whose rows are whole counts, and each
    file's entry in `files` becomes its part's."""
    counts = dict.fromkeys(COUNTS, 0)

    def rows() -> Iterator[str]:
        for rel in order:
            if (files.get(rel) or {}).get("status") not in FINISHED:
                continue
            header = state.valid_header(rel) if checked else (state.header(rel) or {})
            if header is None:
                continue
            for key, value in header.get("counts", {}).items():
                counts[key] = counts.get(key, 0) + value
            if checked and header.get("entry"):
                files[rel] = header["entry"]
            yield from state.rows(rel)

    folder = RunFolder(out_dir)
    folder.write_rows(rows())
    flags = FlagCounts()
    kept: list[dict] | None = [] if folder.has_editors_work() else None
    scores, concepts = score_table(folder.segments_path, tgt, flags, keep=kept)
    edits = edit_summary(out_dir, tgt, glossary, rows=kept)
    return Tables(counts, scores, concepts, flags.to_dict(), edits)


def write_errors(out_dir: Path, order: list[str], files: dict[str, FileEntry]) -> None:
    """errors.jsonl: the failed files, and the failed articles of JSONL files, in input order."""
    with atomic_open(out_dir / "errors.jsonl") as errors:
        for rel in order:
            entry = files.get(rel, {})
            if entry.get("status") == FileStatus.FAILED:
                errors.write(json.dumps({"file": rel, "error": entry["error"]}, ensure_ascii=False) + "\n")
            for doc, message in entry.get("failed_articles", {}).items():
                errors.write(json.dumps({"file": rel, "doc": doc, "error": message}, ensure_ascii=False) + "\n")


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


def run_status(files: dict[str, FileEntry], interrupted: bool) -> str:
    statuses = [entry["status"] for entry in files.values()]
    if interrupted:
        return "interrupted"
    if FileStatus.FAILED in statuses or FileStatus.PARTIAL in statuses:
        return "completed_with_errors"
    return "completed"


def file_counts(order: list[str], files: dict[str, FileEntry]) -> dict[str, int]:
    statuses = [entry["status"] for entry in files.values()]
    return {
        "files": len(order),
        **{status.value: statuses.count(status) for status in (FileStatus.DONE, FileStatus.PARTIAL, FileStatus.FAILED, FileStatus.SKIPPED)},
        "pending": len(order) - len(files),
    }
