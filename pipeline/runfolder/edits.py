"""Editors' post-edits: `OUT_DIR/edits.jsonl`, and what a hand-edited article holds.

Human work outranks machine work, and the editor's text is the ground truth. Every
post-edit (an article edited by hand in OUT_DIR, the review page, an XLIFF file) is one
line of `edits.jsonl`, append-only and never rewritten (`pipeline.jsonl`).

A post-edit belongs to its segment: the document, the segment's index and its source
(`FolderEdits` finds it again when a paragraph added above shifts the index, by the
nearest segment of that document with the same source). It does not depend on the
glossary: a glossary edit never orphans it. The same sentence in two articles keeps two
edits. A post-edit of a paragraph that the editor rewrote with another number of
sentences covers all of the paragraph's segments (`span`).

Edits have versions: `before` is the text the editor changed (the base). An edit whose
base is not the segment's current text (a stale XLIFF file, a second browser tab, a hand
edit of an article an import has changed since) is a conflict: written with
`status: "conflict"`, listed, never applied. An edit back to the machine's own text
(`revert`) makes the segment the machine's again: machine text is never `origin: human`.
"""

from __future__ import annotations

import difflib
import logging
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Iterable, Sequence

from pipeline.documents.segmenter import MARKDOWN_LEAD, split_sentences
from pipeline.jsonl import append_jsonl, read_jsonl
from pipeline.runfolder.schema import ROW_FIELDS
from pipeline.segment import terms_context

log = logging.getLogger("targman")

EDITS_FILE = "edits.jsonl"
TAKEN, CONFLICT = "taken", "conflict"

__all__ = ["EDITS_FILE", "Edit", "EditLog", "FolderEdits", "append_jsonl", "edits_from_article"]


@dataclass(frozen=True)
class Edit:
    """One post-edit of one segment (or, with `span` > 1, of a whole paragraph's segments)."""

    doc: str
    index: int
    src_lang: str
    tgt: str
    context: str  # the glossary entries that applied (the memory's human table is keyed by it)
    source: str  # the segment's source (span > 1: the paragraph's segments' sources, joined by a space)
    before: str  # the base: the text the editor changed
    after: str  # the editor's text, kept exactly
    via: str = "article"  # article (edited in OUT_DIR) | review | xliff
    who: str | None = None
    when: float = field(default_factory=time.time)
    span: int = 1  # segments covered from `index` on
    status: str = TAKEN  # taken | conflict (its base was not the segment's current text; not applied)
    revert: bool = False  # `after` is the machine's own translation: the segment is the machine's again
    current: str | None = None  # conflicts: the segment's text at the time, which was kept
    markup: list | None = None  # where the editor put the sentence's inline tags in `after` (Segment.markup)

    @property
    def key(self) -> tuple[str, str, str, str]:
        """(direction, glossary context, source): how the translation memory's human table keys it."""
        return (self.src_lang, self.tgt, self.context, self.source)

    @classmethod
    def from_record(cls, record: dict) -> "Edit | None":
        """An Edit from a line of edits.jsonl, or None when the line's fields are not an edit's."""
        names = {f.name for f in fields(cls)}
        data = {k: v for k, v in record.items() if k in names}
        texts = ("doc", "src_lang", "tgt", "source", "before", "after")
        if any(not isinstance(data.get(name), str) for name in texts):
            return None
        if not isinstance(data.get("index"), int) or isinstance(data.get("index"), bool) or data["index"] < 0:
            return None
        if not isinstance(data.get("context", ""), str):
            return None
        data.setdefault("context", "")
        span = data.get("span", 1)
        if not isinstance(span, int) or isinstance(span, bool) or span < 1:
            return None
        if data.get("status", TAKEN) not in (TAKEN, CONFLICT):
            return None
        for name in ("via", "who", "current"):
            if data.get(name) is not None and not isinstance(data[name], str):
                data[name] = str(data[name])
        if not isinstance(data.get("when", 0.0), (int, float)):
            data["when"] = 0.0
        data["revert"] = bool(data.get("revert", False))
        if data.get("markup") is not None and not ROW_FIELDS["markup"][1](data["markup"]):
            data["markup"] = None  # a damaged placement: the writer places the tags itself
        return cls(**data)


class EditLog:
    """`OUT_DIR/edits.jsonl`: append, read, and the edits of a folder by segment."""

    def __init__(self, out_dir: Path):
        self.path = Path(out_dir) / EDITS_FILE

    def append(self, edits: Iterable[Edit]) -> None:
        append_jsonl(self.path, (asdict(e) for e in edits), what="the post-edits")

    def read_all(self) -> list[Edit]:
        """Every record, edits and conflicts, oldest first (a damaged line is skipped and reported)."""
        edits = []
        for number, record in read_jsonl(self.path):
            edit = Edit.from_record(record)
            if edit is None:
                log.warning(f"{self.path}: line {number} is not a post-edit (a field is missing or of the wrong "
                            "type); it is skipped")
                continue
            edits.append(edit)
        return edits

    def read(self) -> list[Edit]:
        """The post-edits that were taken (conflicts are not), oldest first."""
        return [edit for edit in self.read_all() if edit.status == TAKEN]

    def conflicts(self) -> list[Edit]:
        return [edit for edit in self.read_all() if edit.status == CONFLICT]

    def human(self, tgt: str) -> "FolderEdits":
        """The folder's post-edits into `tgt`, to find by segment."""
        return FolderEdits(self.read(), tgt)


class FolderEdits:
    """The taken post-edits of one folder into one language, found by segment.

    A unit is anything with `doc`, `index`, `para` and `source` (a Segment, or a row of
    segments.jsonl as a dict). Within a document, an edit goes to the unit (or the run of
    `span` units of one paragraph) with its source that is nearest to its recorded index;
    the latest edit of a unit wins.
    """

    def __init__(self, edits: Iterable[Edit], tgt: str):
        self.tgt = tgt
        self.by_doc: dict[str, list[Edit]] = {}
        for edit in edits:
            if edit.tgt == tgt and edit.status == TAKEN:
                self.by_doc.setdefault(edit.doc, []).append(edit)

    def __bool__(self) -> bool:
        return bool(self.by_doc)

    def __len__(self) -> int:
        return sum(len(edits) for edits in self.by_doc.values())

    def chains(self, units: Sequence) -> dict[int, list[Edit]]:
        """Position in `units` -> the edits that went to it, oldest first. A span edit is listed
        at its first unit; the other units it covers are not keys (`covered` finds them)."""
        chains: dict[int, list[Edit]] = {}
        by_doc: dict[str, list[int]] = {}
        for position, unit in enumerate(units):
            by_doc.setdefault(_get(unit, "doc"), []).append(position)
        for doc, positions in by_doc.items():
            edits = self.by_doc.get(doc)
            if edits:
                _resolve(edits, [units[p] for p in positions], positions, chains)
        return chains

    def assign(self, units: Sequence) -> dict[int, Edit]:
        """Position -> the edit that decides the unit's text now (its latest); a span edit's
        other units are not keys (see `covered`)."""
        return {p: chain[-1] for p, chain in self.chains(units).items() if chain}

    @staticmethod
    def covered(units: Sequence, assigned: dict[int, Edit]) -> dict[int, int]:
        """Position of a unit that a span edit covers (not its first) -> the position of its first."""
        index_of = {(_get(u, "doc"), _get(u, "index")): p for p, u in enumerate(units)}
        result = {}
        for p, edit in assigned.items():
            if edit.span > 1:
                doc, index = _get(units[p], "doc"), _get(units[p], "index")
                for k in range(1, edit.span):
                    q = index_of.get((doc, index + k))
                    if q is not None:
                        result[q] = p
        return result

    def unmatched(self, units: Sequence) -> list[Edit]:
        """The latest edits whose segment is not among `units` of their document (its source is
        gone from the input): reported, never silently dropped."""
        seen_docs = {_get(unit, "doc") for unit in units}
        matched = {id(edit) for chain in self.chains(units).values() for edit in chain}
        lost: dict[tuple, Edit] = {}
        for doc, edits in self.by_doc.items():
            if doc not in seen_docs:
                continue
            for edit in edits:
                if id(edit) not in matched:
                    lost[(edit.index, edit.source)] = edit  # the latest of each
        return list(lost.values())


def _get(unit, name: str):
    return unit[name] if isinstance(unit, dict) else getattr(unit, name)


def _resolve(edits: list[Edit], units: list, positions: list[int], chains: dict[int, list[Edit]]) -> None:
    """Lay one document's edits (oldest first) over its units; see `FolderEdits`."""
    order = sorted(range(len(units)), key=lambda i: _get(units[i], "index"))
    units = [units[i] for i in order]
    positions = [positions[i] for i in order]
    by_source: dict[str, list[int]] = {}
    for i, unit in enumerate(units):
        by_source.setdefault(_get(unit, "source"), []).append(i)
    local: dict[int, list[Edit]] = {}  # unit -> its edits, oldest first
    heads: dict[int, int] = {}  # unit -> the first unit of the span edit that decides it now
    for edit in edits:
        candidates = by_source.get(edit.source, []) if edit.span == 1 else _span_candidates(units, edit)
        if not candidates:
            continue
        i = min(candidates, key=lambda c: (abs(_get(units[c], "index") - edit.index), c))
        cover = range(i, i + edit.span)
        restart = edit.span > 1
        for j in cover:  # a span edit over any of these units is undone whole
            head = heads.get(j)
            if head is not None:
                span = local[head][-1].span
                for k in range(head, head + span):
                    heads.pop(k, None)
                local.pop(head, None)
                restart = True
        if restart:
            local[i] = [edit]
        else:
            local.setdefault(i, []).append(edit)
        for j in cover[1:]:
            local.pop(j, None)
        if edit.span > 1:
            for j in cover:
                heads[j] = i
    for i, chain in local.items():
        chains[positions[i]] = chain


def _span_candidates(units: list, edit: Edit) -> list[int]:
    """Starts of runs of `edit.span` units of one paragraph whose sources, joined, are the edit's."""
    found = []
    for i in range(len(units) - edit.span + 1):
        run = units[i:i + edit.span]
        if len({_get(u, "para") for u in run}) == 1 and " ".join(_get(u, "source") for u in run) == edit.source:
            found.append(i)
    return found


def open_conflicts(records: Iterable[Edit], rows: Sequence, tgt: str) -> list[dict]:
    """The conflicts nobody has settled: a conflict is settled by any edit of the same segment
    (document and source) taken after it, or when the segment's text is the conflict's text.
    Each as a dict: doc, index, source, current (kept), theirs (not applied), via, who, when."""
    records = [r for r in records if r.tgt == tgt]
    taken = FolderEdits([r for r in records if r.status == TAKEN], tgt)
    current = {}
    for p, chain in taken.chains(rows).items():
        current[(_get(rows[p], "doc"), _get(rows[p], "source"))] = chain[-1].after
    for row in rows:
        current.setdefault((_get(row, "doc"), _get(row, "source")), _get(row, "target"))
    found: dict[tuple, dict] = {}
    for record in records:
        key = (record.doc, record.source)
        if record.status == TAKEN:
            found.pop(key, None)
        elif current.get(key) not in (None, record.after):
            found[key] = {"doc": record.doc, "index": record.index, "source": record.source,
                          "current": current.get(key), "theirs": record.after, "base": record.before,
                          "via": record.via, "who": record.who, "when": record.when}
    return list(found.values())


# -- an article edited by hand ----------------------------------------------------------------------------

def edits_from_article(edited, rows: list[dict], tgt: str, current: FolderEdits | None = None) -> list[Edit]:
    """The post-edits in an article edited by hand, found by lining it up with the rows of
    segments.jsonl its machine translation was written from.

    `edited`: the edited output read back as an `InputFile` (`reader.read_file` on the
    output folder), so text, Markdown, HTML and JSONL are read as their inputs are.
    Paragraphs are paired in order (a changed paragraph between unchanged ones is the
    same paragraph). In a changed paragraph with as many sentences as it had segments,
    each sentence's new text is where its old text went (a character alignment, cut at
    spaces); a paragraph rewritten with another number of sentences is one post-edit of
    the whole source paragraph. Only translated segments carry a post-edit.

    `current`: the folder's post-edits; the base of a hand edit is the text the article
    was written with, and when an edit has been taken since (an import), the hand edit is
    a conflict (status "conflict"), not a post-edit.
    """
    edits: list[Edit] = []
    by_doc: dict[str, list[dict]] = {}
    for row in rows:
        by_doc.setdefault(row["doc"], []).append(row)
    latest = current.assign(rows) if current else {}
    position = {id(row): p for p, row in enumerate(rows)}
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
                for row, after, span in _paragraph_edits(text, spans, new, tgt):
                    taken = latest.get(position[id(row)])
                    if span == 1 and taken is not None and taken.span > 1 and taken.after == row["target"]:
                        span, source, base = taken.span, taken.source, row["target"]  # the paragraph's edit, again
                    else:
                        written = [r for r, _, _ in spans]
                        rows_covered = written[written.index(row):][:span]
                        source = " ".join(r["source"] for r in rows_covered)
                        base = " ".join(r["target"] for r in rows_covered)
                    if after == base:
                        continue
                    edit = Edit(doc=row["doc"], index=row["index"], src_lang=row["src_lang"], tgt=tgt,
                                context=terms_context(row.get("terms") or []), source=source,
                                before=base, after=after, span=span)
                    if taken is not None and taken.after != row["target"] and taken.after != after:
                        # An edit taken since the article was written (an import, a page save): the hand
                        # edit's base is stale. Keep both; the editor decides.
                        edit = Edit(**{**asdict(edit), "status": CONFLICT, "current": taken.after})
                    edits.append(edit)
    return edits


def _paragraph_edits(text: str, spans: list[tuple[dict, int, int]], new: str, tgt: str) -> list[tuple[dict, str, int]]:
    """(first row, its new text, rows covered) for a changed paragraph (see `edits_from_article`)."""
    editable = [row["kind"] == "text" and row["src_lang"] not in (tgt, "und") for row, _, _ in spans]
    if len(spans) > 1 and all(editable) and len(split_sentences(text)) == len(spans) != len(split_sentences(new)):
        # The sentences of the written paragraph are its segments, and the editor's has another number
        # of them: one post-edit of the whole paragraph (a cut by alignment would misplace words).
        return [(spans[0][0], new, len(spans))]
    found = []
    for (row, _, _), after, ok in zip(spans, _split(text, spans, new), editable):
        if ok and after != row["target"]:
            found.append((row, after, 1))
    return found


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
    lead = MARKDOWN_LEAD.match(text) if fmt == "text" else None
    if lead is not None:  # the pattern matches any text (its marker part may be empty)
        text = text[len(lead.group(1)):]
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
