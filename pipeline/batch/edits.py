"""Editors' post-edits: `OUT_DIR/edits.jsonl`, and what a hand-edited article holds.

Human work outranks machine work. Every post-edit (from an article edited by hand
in OUT_DIR, and later from the review page or an XLIFF file) is one line of
`edits.jsonl`, append-only and never rewritten: the segment it belongs to (document,
index, direction, glossary context, source), the text before and after, who (when
known) and when. Every later run over the folder takes the latest edit of a
(direction, context, source) as that segment's translation (`origin: human`), and the
translation memory keeps it too, for other folders.

Appends are one `write()` of whole lines under an exclusive `flock`, fsynced: two
writers never interleave, and a crash mid-write leaves at most a torn last line,
which readers skip.
"""

from __future__ import annotations

import difflib
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable

from pipeline.documents.segmenter import MARKDOWN_LEAD
from pipeline.translation.memory import HumanEdits, terms_context

EDITS_FILE = "edits.jsonl"


@dataclass(frozen=True)
class Edit:
    """One post-edit of one segment."""

    doc: str
    index: int
    src_lang: str
    tgt: str
    context: str  # the glossary entries that applied (`memory.human_context`)
    source: str
    before: str  # the machine's translation the editor changed
    after: str  # the editor's text, kept exactly
    via: str = "article"  # article (edited in OUT_DIR) | review | xliff
    who: str | None = None
    when: float = field(default_factory=time.time)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.src_lang, self.tgt, self.context, self.source)


class EditLog:
    """`OUT_DIR/edits.jsonl`: append, read, and the latest edit per segment key."""

    def __init__(self, out_dir: Path):
        self.path = Path(out_dir) / EDITS_FILE

    def append(self, edits: Iterable[Edit]) -> None:
        append_jsonl(self.path, (asdict(e) for e in edits))

    def read(self) -> list[Edit]:
        edits = []
        try:
            with open(self.path, encoding="utf-8") as handle:
                for line in handle:
                    try:
                        edits.append(Edit(**json.loads(line)))
                    except (ValueError, TypeError):
                        continue  # a torn last line, or a line from elsewhere
        except FileNotFoundError:
            pass
        return edits

    def human(self, tgt: str) -> HumanEdits:
        """The latest edit of every segment key into `tgt`, as `translate_with_memory` takes them."""
        return {edit.key: edit.after for edit in self.read() if edit.tgt == tgt}


def append_jsonl(path: Path, records: Iterable[dict]) -> None:
    """Append whole JSON lines to `path` in one `write()` under an exclusive `flock`, fsynced:
    two writers never interleave, and a crash leaves at most a torn last line."""
    data = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records).encode("utf-8")
    if not data:
        return
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        try:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover - Windows
            pass
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)  # closing releases the lock


def edits_from_article(edited, rows: list[dict], tgt: str) -> list[Edit]:
    """The post-edits in an article edited by hand, found by lining it up with the rows of
    segments.jsonl its machine translation was written from.

    `edited`: the edited output read back as an `InputFile` (`reader.read_file` on the
    output folder), so text, Markdown, HTML and JSONL are read as their inputs are.
    Paragraphs are paired in order (a changed paragraph between unchanged ones is the
    same paragraph); inside a changed paragraph each sentence's new text is where its
    old text went, by a character alignment, cut at spaces. Only translated segments
    can carry a post-edit; an edit to text that was passed through stays in the article.
    """
    edits: list[Edit] = []
    by_doc: dict[str, list[dict]] = {}
    for row in rows:
        by_doc.setdefault(row["doc"], []).append(row)
    for article in edited.articles:
        mine = by_doc.get(article.doc)
        if not mine:
            continue
        original = _paragraphs(mine)
        changed = [_body(text, edited.fmt) for text, _, _ in article.paragraphs]
        matcher = difflib.SequenceMatcher(None, [text for text, _ in original], changed, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag != "replace" or i2 - i1 != j2 - j1:
                continue  # unchanged, or paragraphs added or removed: nothing to pair
            for (text, spans), new in zip(original[i1:i2], changed[j1:j2]):
                for row, after in zip((row for row, _, _ in spans), _split(text, spans, new)):
                    if after != row["target"] and row["kind"] == "text" and row["src_lang"] not in (tgt, "und"):
                        edits.append(Edit(
                            doc=row["doc"], index=row["index"], src_lang=row["src_lang"], tgt=tgt,
                            context=terms_context(row.get("terms") or []), source=row["source"],
                            before=row["target"], after=after,
                        ))
    return edits


def _paragraphs(rows: list[dict]) -> list[tuple[str, list[tuple[dict, int, int]]]]:
    """The written paragraphs of one article: their text, and where each segment's target is in it."""
    paragraphs: dict[int, list[dict]] = {}
    for row in rows:
        if row.get("target"):
            paragraphs.setdefault(row["para"], []).append(row)
    result = []
    for para in sorted(paragraphs):
        text, spans = "", []
        for row in paragraphs[para]:
            if text:
                text += " "
            spans.append((row, len(text), len(text) + len(row["target"])))
            text += row["target"]
        result.append((text, spans))
    return result


def _body(text: str, fmt: str) -> str:
    """A paragraph as the rows hold it: without the Markdown marker and the trailing spaces."""
    if fmt == "text":
        text = text[len(MARKDOWN_LEAD.match(text).group(1)):]
    return text.strip()


def _split(old: str, spans: list[tuple[dict, int, int]], new: str) -> list[str]:
    """`new` cut where the segments of `old` went: each span's ends are carried through a
    character alignment of old and new, and moved to the nearest space."""
    opcodes = difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()

    def carry(position: int) -> int:
        for _, i1, i2, j1, j2 in opcodes:
            if i1 <= position < i2 or (position == i2 == len(old)):
                if i2 == i1:
                    return j1
                return j1 + round((position - i1) * (j2 - j1) / (i2 - i1))
        return len(new)

    cuts = [0]
    for _, start, _ in spans[1:]:
        at = carry(start)
        left, right = new.rfind(" ", 0, at + 1), new.find(" ", at)
        choices = [c for c in (left, right) if c >= cuts[-1]]
        cuts.append(min(choices, key=lambda c: abs(c - at)) if choices else max(at, cuts[-1]))
    cuts.append(len(new))
    return [new[a:b].strip() for a, b in zip(cuts, cuts[1:])]
