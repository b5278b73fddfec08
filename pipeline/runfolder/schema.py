"""The types of the fields of targman's own tables, checked when they are read back.

`segments.jsonl` and `run.json` are written by targman, but they are plain text in a
folder people open: a hand edit, a merge tool or a half-copied file can leave a number
where a list was. `review`, `export` and `score` read them through `check_row` and
`check_manifest`, so such a file is one line naming the file, the line (or field) and
what it should hold, never an AttributeError far from the cause. Only the fields that
readers use are checked; unknown fields are left alone (newer versions add some).
"""

from __future__ import annotations

import re
from pathlib import Path
from collections.abc import Callable
from typing import Any, TypedDict, cast

from pipeline.errors import InputError


class FileEntry(TypedDict, total=False):
    """run.json's entry for one input file (`RunResult.files`)."""

    status: str  # a `status.FileStatus` value: done, partial, failed, skipped, pending
    articles: int
    segments: int
    flags: int  # segments flagged for review
    error: str  # failed: what went wrong, naming the file and line
    reason: str  # skipped: why targman does not read it
    failed_articles: dict[str, str]  # a JSONL file's articles that failed: doc -> error
    reference: str  # why its reference translation was not used for scoring
    edited_by_hand: dict[str, Any]  # its translation was changed in OUT_DIR by hand: what was kept


class Manifest(TypedDict, total=False):
    """run.json (`RunResult.manifest`); `scores` has the shape of `evaluation.scoring.score_segments`."""

    targman: str
    input: str
    tgt: str
    status: str  # completed, completed_with_errors, interrupted
    config: dict[str, Any]
    model: dict[str, Any]
    versions: dict[str, str]
    counts: dict[str, int]
    cache: dict[str, Any]
    timings: dict[str, float]
    executor: dict[str, Any]
    resume: dict[str, Any]
    stale: list[str]
    pruned: list[str]
    scores: dict[str, Any]
    flags: dict[str, Any]
    glossary: dict[str, Any] | None  # None: the run had no glossary
    files: dict[str, FileEntry]
    names: list[dict[str, Any]]
    post_edits: dict[str, Any]
    conflicts: list[dict[str, Any]]
    edits_unmatched: list[dict[str, Any]]
    chrome: dict[str, dict[str, int]]  # folder -> site chrome lines found by repetition, with their counts

NONE = type(None)
ALIGN = re.compile(r"(\d+-\d+( \d+-\d+)*)?")  # `Segment.align`
STR_LIST = ("list of strings", lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v))
INT = ("whole number", lambda v: isinstance(v, int) and not isinstance(v, bool))
NUMBER = ("number", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))


Check = tuple[str, Callable[[Any], bool]]  # what a field must hold, and the test of it


def _kind(name: str, *types: type) -> Check:
    return name, lambda v: isinstance(v, types) and not (isinstance(v, bool) and bool not in types)


TEXT = _kind("string", str)
TEXT_OR_NULL = _kind("string or null", str, NONE)
OBJECT = _kind("object", dict)
OBJECT_OR_NULL = _kind("object or null", dict, NONE)

ROW_FIELDS = {
    "doc": TEXT, "para": INT, "index": INT, "src_lang": TEXT, "kind": TEXT, "source": TEXT,
    "target": TEXT_OR_NULL, "flags": STR_LIST, "terms": ("list of objects", lambda v: isinstance(v, list)
                                                        and all(isinstance(t, dict) for t in v)),
    "score": ("number or null", lambda v: v is None or NUMBER[1](v)), "ref": TEXT_OR_NULL, "ref_span": INT,
    "origin": TEXT_OR_NULL, "meta": OBJECT,
    "notes": ("object of lists of strings", lambda v: isinstance(v, dict) and all(STR_LIST[1](x) for x in v.values())),
    "markup": ("list of [offset, tag number, kind] or null", lambda v: v is None or (isinstance(v, list) and all(
        isinstance(e, list) and len(e) == 3 and INT[1](e[0]) and INT[1](e[1]) and e[2] in ("open", "close", "point")
        for e in v))),
    "align": ("word alignment like \"0-0 1-2\" or null", lambda v: v is None or (isinstance(v, str) and ALIGN.fullmatch(v)
                                                                        is not None)),
}
TERM_FIELDS = {"concept": TEXT, "source": TEXT, "target": TEXT_OR_NULL,
               "honoured": _kind("true, false or null", bool, NONE), "start": INT, "end": INT}
MANIFEST_FIELDS = {
    "tgt": TEXT_OR_NULL, "status": TEXT, "input": TEXT, "stale": ("list", lambda v: isinstance(v, list)),
    **dict.fromkeys(("config", "model", "versions", "counts", "cache", "timings", "executor", "resume", "scores",
                     "flags", "glossary", "files"), OBJECT_OR_NULL),
}
NESTED = {  # field -> (what each key of that object holds) or (the fields of that object)
    "glossary": {"path": TEXT_OR_NULL, "mode": TEXT_OR_NULL, "digest": TEXT_OR_NULL, "per_type": OBJECT_OR_NULL,
                 "concepts": OBJECT},
    "scores": {"corpus": OBJECT_OR_NULL, "docs": OBJECT_OR_NULL},
    "model": {"engine": TEXT_OR_NULL, "id": TEXT_OR_NULL},
}
NUMBER_OR_NULL = ("number or null", lambda v: v is None or NUMBER[1](v))
METRICS = ("BLEU", "chrF++", "TER", "spBLEU")  # evaluation.report.METRICS
METRIC = {"score": NUMBER_OR_NULL, "signature": TEXT_OR_NULL, "skipped": TEXT_OR_NULL}
SCORE_FIELDS = {"terms": {"rate": NUMBER_OR_NULL, "honoured": INT, "missed": INT, "unverified": INT}}
EVERY_VALUE = {("files",): OBJECT, ("counts",): NUMBER, ("scores", "docs"): OBJECT, ("glossary", "concepts"): OBJECT}


def check_row(row: Any, path: Path | str, line: int) -> dict[str, Any]:
    """`row` (one line of segments.jsonl), or InputError naming the file, the line and the field."""
    if not isinstance(row, dict):
        raise InputError(path, "a segment row must be a JSON object", line=line)
    for field in ("doc", "source"):
        if field not in row:
            raise InputError(path, 'a segment row needs at least "doc" and "source"', line=line)
    _check(row, ROW_FIELDS, path, line, "")
    for n, term in enumerate(row.get("terms") or ()):
        _check(term, TERM_FIELDS, path, line, f"terms[{n}].")
    return row


def check_manifest(data: Any, path: Path | str) -> Manifest:
    """`data` (run.json), or InputError naming the field that has the wrong type."""
    if not isinstance(data, dict):
        raise InputError(path, "run.json must be a JSON object; run `targman run` again to rewrite it")
    _check(data, MANIFEST_FIELDS, path, None, "")
    for field, nested in NESTED.items():
        if isinstance(data.get(field), dict):
            _check(data[field], nested, path, None, f"{field}.")
    for fields, (name, ok) in EVERY_VALUE.items():
        table: Any = data
        for field in fields:
            table = table.get(field) if isinstance(table, dict) else None
        for key, value in (table or {}).items():
            if not ok(value):
                raise InputError(path, f'"{".".join(fields)}" -> {key!r} must be {_a(name)}, not {_shown(value)}; '
                                       "run `targman run` again to rewrite it")
    entries = [("scores.corpus", scores.get("corpus"))] if isinstance(scores := data.get("scores"), dict) else []
    entries += [(f"scores.docs -> {doc!r}", entry) for doc, entry in ((scores or {}).get("docs") or {}).items()]
    for where, entry in entries:
        for name, value in (entry or {}).items():
            spec: dict[str, Check] | None = SCORE_FIELDS.get(name, METRIC if name in METRICS else None)
            if spec is not None and isinstance(value, dict):
                _check(value, spec, path, None, f"{where} -> {name}.")
            elif spec is METRIC and NUMBER_OR_NULL[1](value):
                continue  # a document's score is a number; the corpus's an object with its signature
            elif spec is not None and value is not None:
                kind = "a number or an object" if spec is METRIC else "an object"
                raise InputError(path, f'"{where} -> {name}" must be {kind}, not {_shown(value)}; '
                                       "run `targman run` again to rewrite it")
    return cast(Manifest, data)  # its fields checked above


def _check(data: dict, spec: dict, path, line: int | None, prefix: str) -> None:
    for field, (name, ok) in spec.items():
        if field in data and not ok(data[field]):
            where = "" if line is not None else "; run `targman run` again to rewrite it"
            raise InputError(path, f'"{prefix}{field}" must be {_a(name)}, not {_shown(data[field])}{where}', line=line)


def _a(name: str) -> str:
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"


def _shown(value) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"
