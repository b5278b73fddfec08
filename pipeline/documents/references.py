"""Reference translations lined up with the segments they translate.

A reference comes whole (a sibling `NAME.ref.EXT` file, or a JSONL `ref` field),
laid out like its article: a paragraph a line. Its paragraphs are matched to the
article's text paragraphs; inside a paragraph, sentence by sentence when both
sides have the same number of sentences, else the whole paragraph is the unit
(`ref_span` says how many segments it covers). Scores are computed over these
units, so a one-sentence-a-line test set like NTREX scores exactly line by line.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from pipeline.documents.reader import text_paragraphs
from pipeline.documents.segmenter import split_sentences
from pipeline.segment import TEXT, Segment


def attach(ref_text: str | None, segments: list[Segment]) -> bool:
    """Set `ref` on the segments of an article; False when the layouts do not match."""
    if not ref_text:
        return False
    _, ref_paragraphs = text_paragraphs(ref_text)
    refs = [text.strip() for text, _, _ in ref_paragraphs]
    by_para: dict[int, list[Segment]] = {}
    for segment in segments:
        by_para.setdefault(segment.para, []).append(segment)
    text_paras = [group for group in by_para.values() if group[0].kind == TEXT]
    all_paras = list(by_para.values())
    if len(refs) == len(text_paras):
        paired = zip(text_paras, refs)
    elif len(refs) == len(all_paras):
        paired = zip(all_paras, refs)
    else:
        return False
    for group, ref in paired:
        sentences = [s for s, _ in split_sentences(ref)]
        if len(sentences) == len(group):
            for segment, sentence in zip(group, sentences):
                segment.ref = sentence
        else:
            group[0].ref = ref
            group[0].ref_span = len(group)
    return True


def layout_mismatch(ref_text: str, segments: list[Segment]) -> str:
    """Why `attach` could not line a reference up: its paragraphs against the article's."""
    _, ref_paragraphs = text_paragraphs(ref_text)
    paras = {s.para for s in segments}
    text = {s.para for s in segments if s.kind == TEXT}
    shown = f"{len(text)}" + (f" ({len(paras)} with site chrome and repeats)" if len(paras) != len(text) else "")
    return (f"it has {len(ref_paragraphs)} paragraph(s) and the article {shown}; lay it out like the article, "
            "a paragraph a line")


def scoring_units(rows: Iterable[dict]) -> Iterator[dict]:
    """Rows of segments.jsonl as scoring units: a paragraph-wide reference joins its targets."""
    pending: dict | None = None
    left = 0
    for row in rows:
        if pending is not None and left > 0 and row["doc"] == pending["doc"]:
            pending["target"] = " ".join(t for t in (pending["target"], row.get("target") or "") if t)
            pending["terms"] = pending["terms"] + list(row.get("terms") or [])
            left -= 1
            if left == 0:
                yield pending
                pending = None
            continue
        if pending is not None:
            yield pending
            pending = None
        span = int(row.get("ref_span") or 1)
        unit = {"doc": row["doc"], "target": row.get("target") or "", "terms": list(row.get("terms") or [])}
        if isinstance(row.get("ref"), str):
            unit["ref"] = row["ref"]
        if span > 1:
            pending, left = unit, span - 1
        else:
            yield unit
    if pending is not None:
        yield pending
