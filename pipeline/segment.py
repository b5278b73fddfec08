"""The one data type that flows through the pipeline.

Every stage takes segments and gives them back with more filled in, so a
segment row in `segments.jsonl` is simply `Segment.to_row()`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

TEXT = "text"
BOILERPLATE = "boilerplate"
DUPLICATE = "duplicate"
KINDS = (TEXT, BOILERPLATE, DUPLICATE)


@dataclass
class TermHit:
    """One glossary concept found in a segment's source, and whether the output honours it."""

    concept: str
    source: str  # the surface form in the source text
    target: str  # the preferred target form the glossary asks for
    honoured: bool | None = None  # None until verified
    start: int = -1  # character offsets in `Segment.source`
    end: int = -1

    def to_row(self) -> dict:
        return asdict(self)


@dataclass
class Segment:
    """A sentence (or a whole paragraph of boilerplate) of one document.

    `pre` + `source` + `sep` over a paragraph's segments gives the paragraph back
    exactly; `para_sep` after its last segment gives the document back.
    """

    doc: str  # path relative to the input folder ("file.jsonl#id" for JSONL articles)
    para: int  # paragraph number within the document, from 0
    index: int  # order of the segment within the document, from 0
    source: str
    src_lang: str = "und"  # ISO 639-1 code from the script, or "und"
    kind: str = TEXT
    pre: str = ""  # leading whitespace / markdown markers kept out of the text
    sep: str = ""  # whitespace between this segment and the next in the paragraph
    para_sep: str = ""  # after the last segment of a paragraph: the line break(s) that follow it
    target: str | None = None  # None until translated or passed through
    flags: list[str] = field(default_factory=list)
    terms: list[TermHit] = field(default_factory=list)
    score: float | None = None  # mean token log-probability from the engine
    ref: str | None = None  # reference translation, when the article has one
    ref_span: int = 1  # >1: `ref` covers this and the next segments of the paragraph
    meta: dict = field(default_factory=dict)  # per-format extras (html tag, jsonl fields)
    origin: str | None = None  # "human": the target is an editor's post-edit, not machine output
    notes: dict[str, list[str]] = field(default_factory=dict)  # flag -> what set it (the word, what to write)
    # where an editor put the sentence's inline tags in `target` (`documents.inline.place`), or None:
    # the writer places them itself
    markup: list | None = None
    # the engine's word alignment of `source` and `target` (`0-0 1-2`: source word - target word), asked
    # for a sentence with inline tags only: the writer places the tags by it (`documents.inline`)
    align: str | None = None

    @property
    def last_in_para(self) -> bool:
        return bool(self.meta.get("last_in_para"))

    def flag(self, name: str, note: str | None = None) -> None:
        """Add a flag (once); `note` says what set it (`Mirzoian: the desk writes Mirzoyan`)."""
        if name not in self.flags:
            self.flags.append(name)
        if note:
            notes = self.notes.setdefault(name, [])
            if note not in notes:
                notes.append(note)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Segment:
        """A segment back from its row of segments.jsonl (the inverse of `to_row`, but for `meta`)."""
        return cls(
            doc=row["doc"], para=row.get("para", 0), index=row["index"], source=row["source"],
            src_lang=row.get("src_lang", "und"), kind=row.get("kind", TEXT), target=row.get("target"),
            flags=list(row.get("flags") or []), terms=[TermHit(**t) for t in row.get("terms") or []],
            score=row.get("score"), ref=row.get("ref"), ref_span=row.get("ref_span", 1), origin=row.get("origin"),
            notes={k: list(v) for k, v in (row.get("notes") or {}).items()},
            markup=row.get("markup"), align=row.get("align"),
        )

    def take_results(self, row: dict) -> None:
        """Lay a row's results (target, flags, notes, terms, score, origin) over this segment,
        read again from its input, which holds the layout and `meta` a row does not."""
        done = Segment.from_row(row)
        self.target, self.flags, self.notes = done.target, done.flags, done.notes
        self.terms, self.score, self.origin = done.terms, done.score, done.origin
        self.markup, self.align = done.markup, done.align

    def to_row(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "doc": self.doc,
            "para": self.para,
            "index": self.index,
            "src_lang": self.src_lang,
            "kind": self.kind,
            "source": self.source,
            "target": self.target,
            "flags": list(self.flags),
            "terms": [t.to_row() for t in self.terms],
        }
        if self.score is not None:
            row["score"] = round(self.score, 4)
        if self.ref is not None:
            row["ref"] = self.ref
            if self.ref_span > 1:
                row["ref_span"] = self.ref_span
        if self.origin is not None:
            row["origin"] = self.origin
        notes = {name: list(found) for name, found in self.notes.items() if name in self.flags and found}
        if notes:
            row["notes"] = notes
        if self.markup is not None:
            row["markup"] = self.markup
        if self.align is not None:
            row["align"] = self.align
        return row


def terms_context(terms) -> str:
    """`human_context` of term hits given as TermHit objects or as segment-row dicts."""
    lines = []
    for t in terms:
        concept, source, target = (t["concept"], t["source"], t["target"]) if isinstance(t, dict) else (t.concept, t.source, t.target)
        lines.append(f"{concept}\t{source}\t{target}")
    return "\n".join(sorted(lines))
