"""Pipeline stages: find glossary concepts in sources, then check the translations.

`annotate` runs before translation (the engine reads `segment.terms` as constraints);
`verify` runs after it and records, per hit, whether the output used the asked-for term.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from pipeline.glossary.matcher import Matcher
from pipeline.glossary.normalise import key
from pipeline.glossary.spelling import respell
from pipeline.segment import TEXT, Segment, TermHit

if TYPE_CHECKING:
    from pipeline.glossary.model import Glossary

VARIANT_FLAG = "glossary-variant"  # the source spells a concept with an admitted variant
FORBIDDEN_SOURCE_FLAG = "glossary-forbidden"  # the source uses a forbidden term
FORBIDDEN_TARGET_FLAG = "forbidden-term"  # the output uses a forbidden term


class Matchers(dict):
    """One Matcher per language, built on first use."""

    def __init__(self, glossary: Glossary):
        super().__init__()
        self.glossary = glossary

    def __missing__(self, lang: str) -> Matcher | None:
        matcher = Matcher(self.glossary, lang) if lang in self.glossary.languages else None
        self[lang] = matcher
        return matcher


def annotate(segments: Iterable[Segment], glossary: Glossary, tgt: str,
             matchers: dict | None = None) -> Iterator[Segment]:
    """Add a TermHit per glossary match to every text segment not already in `tgt`.

    Each hit's `target` is the preferred `tgt` term of the same kind (full or short).
    Flags `glossary-variant` / `glossary-forbidden` when the source spells a concept with
    an admitted variant or a forbidden term. Lazy and order-preserving.
    """
    matchers = matchers if matchers is not None else glossary.matchers
    for segment in segments:
        matcher = None
        if segment.kind == TEXT and segment.src_lang != tgt and tgt in glossary.languages:
            matcher = matchers[segment.src_lang]
        if matcher is not None:
            known = {(t.concept, t.start, t.end) for t in segment.terms}
            for match in matcher.find(segment.source):
                if (match.concept, match.start, match.end) in known:
                    continue
                target = glossary.target_for(match, tgt)
                segment.terms.append(
                    TermHit(match.concept, match.surface, target, start=match.start, end=match.end)
                )
                if match.status == "variant":
                    segment.flag(VARIANT_FLAG, flag_note(glossary, match, segment.src_lang, tgt))
                elif match.status == "forbidden":
                    segment.flag(FORBIDDEN_SOURCE_FLAG, flag_note(glossary, match, segment.src_lang, tgt))
        yield segment


def flag_note(glossary: Glossary, match, lang: str, tgt: str | None = None) -> str:
    """What set a glossary flag: `Mirzoian: the desk writes Mirzoyan (ararat-mirzoyan)`. With `tgt`
    (a source word of a translated segment) also the term in the language the editor writes:
    `Միրզոեանին: the desk writes Միրզոյան, in en Mirzoyan (ararat-mirzoyan)`."""
    concept = glossary.concepts.get(match.concept)
    term = concept.preferred(lang, match.kind) if concept is not None else None
    wanted = f": the desk writes {term.text}" if term is not None else ""
    translated = concept.preferred(tgt, match.kind) if concept is not None and tgt and tgt != lang else None
    if translated is not None:
        wanted = (wanted + ", in" if wanted else ": the desk writes, in") + f" {tgt} {translated.text}"
    return f"{match.surface}{wanted} ({match.concept})"


def verify(segment: Segment, glossary: Glossary, tgt: str, matcher: Matcher | None = None,
           spelling: str = "keep") -> None:
    """Set each TermHit's `honoured` from the target text; flag forbidden terms in it.

    A hit is honoured when the target contains its asked-for term, in any inflected form;
    hits of one concept and term are counted, so two mentions need two in the output.
    With an Armenian `spelling` other than `keep` (see `spelling.respell`), the term must
    also be written in that spelling (`Երևան`, not `Երեւան`, in `reformed`).
    Does nothing while the segment has no target or `tgt` is not a glossary language.
    """
    if segment.target is None or tgt not in glossary.languages:
        return
    matcher = matcher or Matcher(glossary, tgt)
    check_spelling = tgt == "hy" and spelling != "keep"
    found: Counter = Counter()
    for match in matcher.find(segment.target):
        if match.status == "forbidden":
            segment.flag(FORBIDDEN_TARGET_FLAG, flag_note(glossary, match, tgt))
        elif not check_spelling or respell(match.surface, spelling) == match.surface:
            found[(match.concept, key(match.term))] += 1
    for hit in segment.terms:
        wanted = (hit.concept, key(hit.target))
        hit.honoured = found[wanted] > 0
        if hit.honoured:
            found[wanted] -= 1


def verify_all(segments: Iterable[Segment], glossary: Glossary, tgt: str) -> Iterator[Segment]:
    """`verify` as a lazy stage over a stream of segments."""
    matcher = Matcher(glossary, tgt) if tgt in glossary.languages else None
    for segment in segments:
        if matcher is not None and segment.kind == TEXT:
            verify(segment, glossary, tgt, matcher)
        yield segment
