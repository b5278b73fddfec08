"""`OUT_DIR/review-log.jsonl`: what editors did besides changing a translation.

Append-only, as `edits.jsonl` (one write of whole lines under `flock`, fsynced; a torn
last line is skipped), one JSON object a line:

    {"event": "reviewed", "doc", "index", "source", "reviewed": true|false, "who", "when"}
    {"event": "concept", "concept", "glossary", "line", "doc", "index", "who", "when"}

`reviewed`: an editor marked a segment reviewed (or took the mark back); the latest mark of
a (doc, index) counts while its source is unchanged. `concept`: a glossary concept was added
from the review page (`line` is the row written to the glossary file).
"""

from __future__ import annotations

import time
from pathlib import Path

from pipeline.jsonl import append_jsonl, read_jsonl

REVIEW_LOG = "review-log.jsonl"


class ReviewLog:
    def __init__(self, out_dir: Path):
        self.path = Path(out_dir) / REVIEW_LOG

    def read(self) -> list[dict]:
        """Every event, oldest first (a torn or damaged line is skipped and reported)."""
        return [event for _, event in read_jsonl(self.path) if isinstance(event.get("event"), str)]

    def mark(self, doc: str, index: int, source: str, reviewed: bool, who: str | None = None) -> dict:
        event = {"event": "reviewed", "doc": doc, "index": index, "source": source, "reviewed": bool(reviewed),
                 "who": who, "when": time.time()}
        append_jsonl(self.path, [event], what="the review log")
        return event

    def concept(self, concept: str, glossary: str, line: str, doc: str | None = None, index: int | None = None,
                who: str | None = None) -> dict:
        event = {"event": "concept", "concept": concept, "glossary": glossary, "line": line, "doc": doc,
                 "index": index, "who": who, "when": time.time()}
        append_jsonl(self.path, [event], what="the review log")
        return event

    def reviewed(self) -> dict[tuple[str, int], str]:
        """(doc, index) -> the source it was marked reviewed for (the latest mark of each wins)."""
        marks: dict[tuple[str, int], str] = {}
        for event in self.read():
            if event["event"] != "reviewed":
                continue
            doc, index, source = event.get("doc"), event.get("index"), event.get("source")
            if not isinstance(doc, str) or not isinstance(index, int):
                continue  # a line broken by hand marks nothing
            if event.get("reviewed") and isinstance(source, str):
                marks[(doc, index)] = source
            else:
                marks.pop((doc, index), None)
        return marks

    def concepts(self) -> list[dict]:
        return [event for event in self.read() if event["event"] == "concept"]
