"""The steps of the translation chain that are not the glossary's: route, translate, finish.

    route -> (glossary: find, constrain) -> memory or engine -> (glossary: verify) -> finish

`route` decides per segment whether the engine must translate it; `translate_routed`
sends those through the translation memory to the engine, one call per source
language; `finish` does what needs the translations (repeated paragraphs, Latin
names copied through, the QA flags). `Translator.translate_segments` runs them in order.
"""

from __future__ import annotations

from typing import Callable, Iterable

from pipeline.config import RunConfig
from pipeline.documents.inline import write_links
from pipeline.documents.script import latin_words_in
from pipeline.engines.base import Context, Engine
from pipeline.glossary.constraints import UNMET_FLAG
from pipeline.glossary.spelling import for_output
from pipeline.segment import BOILERPLATE, DUPLICATE, TEXT, Segment
from pipeline.translation import qa
from pipeline.translation.memory import (
    HumanEdits,
    TranslationMemory,
    human_context,
    segment_context,
    translate_with_memory,
)

# Flags a segment can carry (documented in the README).
DROPPED = "dropped"
SPLIT = "split"  # too long for the model: translated in pieces
LATIN_MISSING = "latin-name-missing"  # a Latin name of the Armenian source is not in the output
NO_HUMAN = "\x00machine"  # a human context no post-edit has: an editor asked for the machine's text
FALLBACK = "llm-fallback"  # the chat model's answer failed its checks: `[model] fallback` translated it
INLINE = "inline"  # Segment.meta: the sentence has inline tags (set when a document read in place is cut)


def route(segment: Segment, tgt: str, engine: Engine, run: RunConfig) -> bool:
    """Decide what happens to a segment; True when the engine must translate it."""
    if segment.kind == BOILERPLATE:
        if run.boilerplate_output == "drop":
            segment.target = ""
            segment.flag(DROPPED)
        else:
            segment.target = segment.source
        return False
    if segment.kind == DUPLICATE and run.duplicate_output == "drop":
        segment.target = ""
        segment.flag(DROPPED)
        return False
    if segment.src_lang in (tgt, "und"):
        segment.target = segment.source  # already in the target language, or no words at all
        left = qa.armenian_words(segment.source) if tgt != "hy" else []
        if left:  # an English sentence that quotes Armenian words: kept, but never unflagged
            segment.flag(qa.WORDS_LEFT, ", ".join(left[:5]))
        return False
    if segment.kind == DUPLICATE:
        return False  # filled from the paragraph it repeats, after translation
    if not engine.supports(segment.src_lang, tgt):
        segment.target = segment.source
        segment.flag(f"untranslated:{segment.src_lang}")
        return False
    return True


Progress = Callable[[int, int], None]  # (segments finished, output tokens) as each batch returns


def translate_routed(segments: list[Segment], engine: Engine, tgt: str, memory: TranslationMemory | None = None,
                     human: HumanEdits | None = None, journal: TranslationMemory | None = None,
                     on_progress: Progress | None = None, spelling: str = "keep") -> None:
    """Translate in one engine call per source language; the engine sorts and batches.

    An editor's post-edit of the same source and glossary context (`human`, or the
    memory's human table) is taken as it is (`origin: human`). With a translation
    memory, segments it knows (same engine fingerprint, direction, glossary context
    and source) are not sent to the engine; each distinct segment is translated once
    per call. Glossary constraints and bans ride along in `segment.meta`. `journal`
    is the run's own store of finished batches (see `translate_with_memory`). Machine
    Armenian is written in the desk's `spelling` of `և` (`glossary.spelling`; the memory
    keeps the model's text); an editor's text is kept exactly.
    """
    by_lang: dict[str, list[Segment]] = {}
    for segment in segments:
        by_lang.setdefault(segment.src_lang, []).append(segment)
    for src, group in by_lang.items():
        options = None
        if any("constraints" in s.meta or "banned" in s.meta for s in group):
            options = [{"constraints": s.meta.get("constraints", []), "banned": s.meta.get("banned", [])} for s in group]
        if engine.context and any("context" in s.meta for s in group):
            options = [{**(options[i] if options else {}), "context": s.meta.get("context")} for i, s in enumerate(group)]
        if any(s.meta.get(INLINE) for s in group):  # where its tags go: the engine's word alignment
            options = [{**(options[i] if options else {}), "align": bool(s.meta.get(INLINE))} for i, s in enumerate(group)]
        done = None
        if on_progress is not None:
            def done(positions, translations):
                on_progress(len(positions), sum(t.tokens for t in translations if t.origin == "engine"))
        results = translate_with_memory(
            engine, memory, [s.source for s in group], src=src, tgt=tgt,
            contexts=[segment_context(s) for s in group], options=options,
            human_contexts=[NO_HUMAN if s.meta.pop("machine_only", False) else human_context(s) for s in group],
            human=human, journal=journal, on_done=done,
        )
        for segment, result in zip(group, results):
            human_text = result.origin == "human"
            segment.target = result.text if human_text else for_output(result.text, tgt, spelling)
            segment.score = result.score
            segment.origin = "human" if human_text else None
            segment.align = write_links(result.alignment) if result.alignment and not human_text else None
            if result.pieces > 1:
                segment.flag(SPLIT)
            if result.unmet:
                segment.flag(UNMET_FLAG)
            for name in result.flags:
                segment.flag(name)


def attach_context(segments: Iterable[Segment], todo: list[Segment], size: int) -> None:
    """Give each segment to translate its document's neighbouring sentences (`size` text
    sentences on each side, in document order) in `segment.meta["context"]`, for an engine
    that reads context (`engine.context`). The Translator removes it after the call."""
    by_doc: dict[str, list[Segment]] = {}
    for segment in segments:
        if segment.kind == TEXT:
            by_doc.setdefault(segment.doc, []).append(segment)
    position = {}
    for group in by_doc.values():
        group.sort(key=lambda s: s.index)
        for i, segment in enumerate(group):
            position[id(segment)] = i
    for segment in todo:
        group = by_doc.get(segment.doc, [])
        at = position.get(id(segment))
        if at is None:
            continue
        segment.meta["context"] = Context(
            before=tuple(s.source for s in group[max(0, at - size):at]),
            after=tuple(s.source for s in group[at + 1:at + 1 + size]),
        )


def finish(segments: Iterable[Segment], tgt: str) -> None:
    """What needs the translations: repeated paragraphs, copied-through Latin names, QA flags.

    `segments` may hold several documents; each is finished on its own.
    """
    by_doc: dict[str, list[Segment]] = {}
    for segment in segments:
        by_doc.setdefault(segment.doc, []).append(segment)
    for group in by_doc.values():
        _finish_document(group, tgt)


def _finish_document(segments: list[Segment], tgt: str) -> None:
    by_para: dict[int, list[Segment]] = {}
    for segment in segments:
        by_para.setdefault(segment.para, []).append(segment)
    previous: list[Segment] = []
    for para in sorted(by_para):
        group = by_para[para]
        if group[0].kind == DUPLICATE and group[0].target is None:
            for segment, original in zip(group, previous):
                segment.target = original.target
                segment.score = original.score
        if group[0].kind != DUPLICATE:
            previous = group
    for segment in segments:
        if segment.target is None:
            segment.target = segment.source
    check_finished(segments, tgt)


def check_finished(segments: list[Segment], tgt: str) -> None:
    """The flags a finished translation gets: a Latin name of the Armenian source missing from
    it, and QA's. Also what an editor's post-edit gets (`review.apply.refinish`)."""
    for segment in segments:
        if segment.kind == TEXT and segment.src_lang == "hy" and tgt != "hy":
            missing = [w for w in latin_words_in(segment.source) if w not in (segment.target or "")]
            if missing:
                segment.flag(LATIN_MISSING)
    for _ in qa.check(segments, tgt):
        pass
