"""`RunFolder`: the one owner of a run's output folder and the files targman keeps in it.

The batch job writes the tables (`segments.jsonl`, `errors.jsonl`, `run.json`), the editors'
tools add `edits.jsonl` and `review-log.jsonl`, and the report, the review server, `apply`,
`export`/`import` and `score` read them back. Each of those goes through here, so a file's
name, its checks (`schema`) and the way a row becomes a `Segment` are written once.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pipeline.atomic import atomic_open, atomic_write_json, atomic_write_text
from pipeline.errors import InputError, TargmanError
from pipeline.layout import STATE_DIR
from pipeline.runfolder.edits import EditLog
from pipeline.runfolder.log import REVIEW_LOG, ReviewLog
from pipeline.runfolder.schema import Manifest, check_manifest, check_row
from pipeline.segment import Segment

SEGMENTS = "segments.jsonl"
ERRORS = "errors.jsonl"
MANIFEST = "run.json"
EDITS = "edits.jsonl"
EXPORTS = "exports"  # under STATE_DIR: what each XLIFF export's units held (their bases)
RUN_ID = "run-id"  # under STATE_DIR: the folder's identity, which an export carries

Stamp = tuple[int, int, int]


class RunFolder:
    """A run's output folder. Reading is lazy and checked: a hand-edited table gets an
    `InputError` naming the file, the line and the field."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.edits = EditLog(self.path)
        self.review_log = ReviewLog(self.path)

    # -- where things are -----------------------------------------------------------------
    @property
    def segments_path(self) -> Path:
        return self.path / SEGMENTS

    @property
    def manifest_path(self) -> Path:
        return self.path / MANIFEST

    @property
    def state(self) -> Path:
        return self.path / STATE_DIR

    def has_editors_work(self) -> bool:
        """Whether anyone has post-edited, marked or added a concept here."""
        return (self.path / EDITS).is_file() or (self.path / REVIEW_LOG).is_file()

    # -- the segment table ----------------------------------------------------------------
    def rows(self) -> Iterator[dict[str, Any]]:
        """The rows of segments.jsonl in order, each checked."""
        path = self.segments_path
        if not path.is_file():
            raise InputError(path, f"no {SEGMENTS} here; is this the output folder of `targman run`?")
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except (json.JSONDecodeError, RecursionError) as error:
                    raise InputError(path, f"not a JSON object ({getattr(error, 'msg', error)})", line=number) from None
                yield check_row(row, path, number)

    def docs(self) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        """The rows a document at a time (a document's rows are consecutive)."""
        doc: str = ""
        group: list[dict[str, Any]] = []
        for row in self.rows():
            if row["doc"] != doc and group:
                yield doc, group
                group = []
            doc = row["doc"]
            group.append(row)
        if group:
            yield doc, group

    def segments(self) -> list[Segment]:
        return [Segment.from_row(row) for row in self.rows()]

    def write_rows(self, rows: Iterable[dict[str, Any] | str]) -> int:
        """segments.jsonl from `rows` (a row, or a row's JSON line as a part keeps it), whole or
        not at all; returns how many."""
        count = 0
        with atomic_open(self.segments_path) as table:
            for row in rows:
                line = row if isinstance(row, str) else json.dumps(row, ensure_ascii=False)
                table.write(line if line.endswith("\n") else line + "\n")
                count += 1
        return count

    def stamp(self) -> Stamp | None:
        """Changes when segments.jsonl is rewritten (a run or `apply`), for readers that keep it open."""
        try:
            stat = self.segments_path.stat()
        except OSError:
            return None
        return (stat.st_ino, stat.st_size, stat.st_mtime_ns)

    # -- the manifest ---------------------------------------------------------------------
    def manifest(self) -> Manifest:
        """run.json, checked ({} when there is none)."""
        path = self.manifest_path
        if not path.is_file():
            return {}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as error:
            raise InputError(path, f"not JSON ({getattr(error, 'msg', error)})",
                             line=getattr(error, "lineno", None)) from None
        return check_manifest(data, path)

    def write_manifest(self, manifest: Manifest) -> None:
        atomic_write_json(self.manifest_path, manifest)

    def read(self) -> tuple[list[dict[str, Any]], Manifest]:
        """The rows and the manifest."""
        return list(self.rows()), self.manifest()

    def target_language(self, manifest: Manifest | None = None) -> str | None:
        run = self.manifest() if manifest is None else manifest
        return run.get("tgt") or ((run.get("config") or {}).get("run") or {}).get("tgt") or None

    # -- identity and exports -------------------------------------------------------------
    def recorded_run_id(self) -> str | None:
        try:
            return (self.state / RUN_ID).read_text(encoding="ascii").strip() or None
        except (OSError, UnicodeDecodeError):
            return None

    def run_id(self) -> str:
        """This folder's identity, made once: an XLIFF file exported from it carries it, and
        `import` refuses a file from another run."""
        value = self.recorded_run_id()
        if value:
            return value
        value = hashlib.sha256(os.urandom(32)).hexdigest()[:24]
        path = self.state / RUN_ID
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(path, value + "\n")
        except OSError as error:
            raise TargmanError(f"cannot write {path} ({error.strerror}): the run's identity, which an exported "
                               "XLIFF file carries; make the output folder writable") from None
        return value

    def save_export(self, bases: dict[str, str]) -> str:
        """Keep what each unit of a new export held (its base); returns `RUN_ID/EXPORT_ID`."""
        run_id = self.run_id()
        export = hashlib.sha256(os.urandom(32)).hexdigest()[:16]
        path = self.state / EXPORTS / f"{export}.json"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_json(path, {"run": run_id, "bases": bases})
        except OSError as error:
            raise TargmanError(f"cannot write {path} ({error.strerror}): what the export holds, which its import "
                               "compares with; make the output folder writable") from None
        return f"{run_id}/{export}"

    def export_bases(self, export: str) -> dict[str, str] | None:
        """The units' bases of an export, or None when unknown (an older export, or not this folder's)."""
        if not export or not all(c in "0123456789abcdef" for c in export):
            return None
        try:
            data = json.loads((self.state / EXPORTS / f"{export}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        bases = data.get("bases") if isinstance(data, dict) else None
        if not isinstance(bases, dict):
            return None
        return {k: v for k, v in bases.items() if isinstance(k, str) and isinstance(v, str)}
