"""`Translator`: the one object that translates, built once and reused.

It holds what is expensive to make: the engine (loaded on first use, one per target
language), the glossary and its matchers, and the translation memory. Everything
that translates goes through it: `translate()` for texts in memory, the batch job
(`pipeline.batch.runner.Run`) for a folder, and `targman eval`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

from pipeline.cachedir import cache_dir as default_cache_dir
from pipeline.config import Config, finalize, load_config
from pipeline.documents.reader import Article, text_paragraphs
from pipeline.documents.segmenter import segment_paragraphs
from pipeline.documents.writer import rebuild_text
from pipeline.engines.base import Closes, Engine, TimesLoading
from pipeline.engines.lazy import LazyEngine
from pipeline.engines.registry import check_sections
from pipeline.errors import TargmanError
from pipeline.segment import Segment, TermHit
from pipeline.translation.chain import FALLBACK, Progress, attach_context, finish, route, translate_routed
from pipeline.translation.memory import TranslationMemory
from pipeline.translation.qa import TERM_MISSED

if TYPE_CHECKING:
    from pipeline.names.consistency import NameBook
    from pipeline.runfolder.edits import FolderEdits

log = logging.getLogger("targman")

# What a segment whose text another segment's paragraph post-edit holds keeps of its flags.
KEPT_ON_COVERED = (TERM_MISSED, "glossary-variant", "glossary-forbidden")


def load_engine(config, tgt: str, *, cache_dir=None) -> Engine:
    """The engine a Translator holds for `tgt`: described now, its model loaded on its first
    translation (`engines.lazy.LazyEngine`)."""
    return LazyEngine(config, tgt, cache_dir=cache_dir)


@dataclass
class Result:
    """One input text, translated. `segments` holds the sentence-level detail."""

    source: str
    text: str  # the translation, layout kept (line breaks, markdown markers, spacing)
    src_lang: str  # the language of most of the source ("und": no words)
    flags: list[str] = field(default_factory=list)  # every flag of its segments, once, in order
    terms: list[TermHit] = field(default_factory=list)  # glossary hits; offsets are into `source`
    score: float | None = None  # mean token log-probability over its translated sentences
    segments: list[Segment] = field(default_factory=list)

    def to_record(self, line: int) -> dict:
        """This result as one JSON record (`targman translate --jsonl`, the service's `/v1`)."""
        notes: dict[str, list[str]] = {}
        for segment in self.segments:
            for name, found in segment.notes.items():
                notes.setdefault(name, [])
                notes[name] += [note for note in found if note not in notes[name]]
        row = {"line": line, "source": self.source, "text": self.text, "src_lang": self.src_lang,
               "flags": list(self.flags), "terms": [t.to_row() for t in self.terms],
               "score": round(self.score, 4) if self.score is not None else None}
        if notes:
            row["notes"] = notes
        return row


@dataclass
class RunScope:
    """What a batch run lends the Translator's calls, and nothing outside one: its folder's
    post-edits (they outrank machine output), its journal of finished batches (a killed run
    resumes from them) and its NameBook (one spelling per name over the run)."""

    human: FolderEdits | None = None
    journal: TranslationMemory | None = None
    names: NameBook | None = None


class Translator:
    """The engine, glossary matchers and translation memory of one configuration.

    Build it with `Translator.from_config(...)`; use it as a context manager (the
    memory is closed at the end) and for as many calls as you like. `tgt` may be
    fixed in the config (`tgt="en"`) or given per call; an engine is loaded once per
    target language, on first use.
    """

    def __init__(
        self,
        config: Config,
        *,
        engine: Engine | None = None,
        glossary=None,
        memory: TranslationMemory | None = None,
    ):
        # every [engine.NAME] section checked by its engine, naming the config file, before any model loads
        check_sections(config.model, "" if config.source.startswith("<") else config.source)
        self.config = config
        self.cache_dir = default_cache_dir(config.cache.dir)
        self.glossary = glossary
        if self.glossary is None and config.glossary.path and config.glossary.mode != "off":
            from pipeline.glossary import load

            self.glossary = load(config.glossary.path)  # refused here, before any model loads
        self._own_memory = memory is None and config.cache.memory
        self.memory_problem: str | None = None  # why the configured memory could not be opened
        if self._own_memory:
            memory = self._open_memory()
        self.memory = memory
        self._given_engine = engine
        self._engines: dict[str, Engine] = {}
        self._fallbacks: dict[str, Engine] = {}  # [model] fallback, by target language
        self._terms: dict = {}
        self.timings = {"engine_s": 0.0, "load_s": 0.0}
        self._ray_pool = None  # [run] executor = "ray": the actors that run the engine (engines.ray_pool)
        self.names = None  # the names seen and their chosen spellings (names.consistency.NameBook), made on first use

    def _open_memory(self) -> TranslationMemory | None:
        """The translation memory in the cache folder; one that cannot be opened is skipped with
        one warning (a damaged memory must never stop a translation)."""
        try:
            return TranslationMemory.in_folder(self.cache_dir)
        except (TargmanError, OSError) as error:
            self.memory_problem = f"off: {error}"
            log.warning(f"{error}; going on without it")
            return None

    @classmethod
    def from_config(cls, config: Config | str | Path | None = None, *, model: str | None = None, glossary=None,
                    engine: str | Engine | None = None, **overrides) -> "Translator":
        """`config`: a Config, a TOML path, a name in `configs/` or None for the defaults.
        `model`: a hub id or local folder; `glossary`: a TSV path or a loaded `Glossary`;
        `engine`: a registered name (`hf`, `ct2`) or an engine object; `**overrides`: the
        config's field names (`tgt="en"`, `max_length=32`, `beam_size=1`, `cache=False`)."""
        from pipeline.glossary import Glossary

        loaded = glossary if isinstance(glossary, Glossary) else None
        path = None if loaded is not None or glossary is None else str(glossary)
        name = engine if isinstance(engine, str) else None
        config = load_config(config, model=model, glossary=path, engine=name, **overrides)
        return cls(config, engine=None if isinstance(engine, str) else engine, glossary=loaded)

    # -- what it holds ---------------------------------------------------------------
    def config_for(self, tgt: str | None) -> Config:
        """The config with the target language set and the default model for it filled in."""
        config = self.config if not tgt else replace(self.config, run=replace(self.config.run, tgt=tgt))
        return finalize(config)

    def engine(self, tgt: str | None = None) -> Engine:
        """The engine for translating into `tgt`: described on first use (which directions it
        serves, its memory key, what run.json records), its model loaded only when a segment
        is not in the translation memory (`engines.lazy.LazyEngine`)."""
        config = self.config_for(tgt)
        tgt = config.run.tgt
        if tgt not in self._engines:
            if self._given_engine is not None:
                engine = self._given_engine
            else:
                started = time.perf_counter()
                engine = load_engine(config.model, tgt, cache_dir=self.cache_dir)
                self.timings["describe_s"] = self.timings.get("describe_s", 0.0) + time.perf_counter() - started
            if config.run.executor == "ray":  # the same engine, translating on a Ray actor pool
                engine = self.ray_pool().engine(engine)
            self._engines[tgt] = engine
        return self._engines[tgt]

    def fallback_engine(self, tgt: str | None = None) -> Engine | None:
        """The engine of `[model] fallback` (another config's [model]), for the sentences whose chat
        answer failed its checks; None when no fallback is set. Loaded on first need."""
        config = self.config_for(tgt)
        if not config.model.fallback:
            return None
        tgt = config.run.tgt
        if tgt not in self._fallbacks:
            from pipeline.config import load, resolve_config_path

            other = load(resolve_config_path(config.model.fallback)).model
            model = finalize(replace(config, model=replace(other, fallback=""))).model
            self._fallbacks[tgt] = load_engine(model, tgt, cache_dir=self.cache_dir)
        return self._fallbacks[tgt]

    def _fall_back(self, todo: list[Segment], engine: Engine, config: Config) -> None:
        """Sentences the engine did not publish (`llm-suspect`) go to `[model] fallback`, when set."""
        from pipeline.engines.llm import SUSPECT_FLAG, UNTRANSLATED_FLAG

        suspects = [s for s in todo if SUSPECT_FLAG in s.flags and s.origin != "human"]
        fallback = self.fallback_engine(config.run.tgt) if suspects else None
        if fallback is None:
            return
        for segment in suspects:
            segment.flags = [f for f in segment.flags if f not in (SUSPECT_FLAG, UNTRANSLATED_FLAG)]
            segment.flag(FALLBACK, f"the {engine.name} answer failed its checks; translated by {fallback.name}")
        translate_routed(suspects, fallback, config.run.tgt, self.memory, spelling=config.output.armenian_spelling)

    def ray_pool(self):
        """The Ray connection and actor pool of `[run] executor = "ray"` (`engines.ray_pool`),
        made on first use; ConfigError, with the extra to install, when Ray is not installed."""
        if self._ray_pool is None:
            from pipeline.engines.ray_pool import RayPool

            self._ray_pool = RayPool(self.config.ray, self.config.model.batch_size)
        return self._ray_pool

    def executor_info(self) -> dict:
        """Where the engine ran, for run.json's `executor`."""
        return self._ray_pool.info() if self._ray_pool is not None else {"name": self.config.run.executor}

    def loaded_engine(self, tgt: str) -> Engine | None:
        """The engine for `tgt` if one was loaded (or given); never loads one."""
        return self._engines.get(tgt) or self._given_engine

    def terms(self, tgt: str):
        """The glossary's before/after steps for `tgt` (`glossary.constraints.RunTerms`), or None."""
        if self.glossary is None:
            return None
        if tgt not in self._terms:
            from pipeline.glossary.constraints import RunTerms

            engine = self.engine(tgt)
            terms = RunTerms(self.glossary, self.config.glossary, tgt, engine.constrains, engine.reranks,
                             spelling=self.config.output.armenian_spelling)
            if terms.mode != self.config.glossary.mode:
                method = engine.info().get("terms") or ("n-best re-ranking" if terms.reranks else "")
                log.warning(
                    f"the {engine.name} engine cannot constrain its search; glossary terms are "
                    + (f"asked for ({method}) and " if method else "")
                    + "checked after translation instead"
                )
            self._terms[tgt] = terms
        return self._terms[tgt]

    def name_book(self):
        """One spelling per name (`[names] consistency`): the `NameBook` this Translator's
        translations share (a run sets its own), or None when consistency is off."""
        if self.config.names.consistency == "off":
            return None
        if self.names is None:
            from pipeline.names.consistency import NameBook

            self.names = NameBook(self.glossary, mode=self.config.names.consistency,
                                  surname_ending=self.config.names.surname_ending)
        return self.names

    # -- translating -------------------------------------------------------------------
    def translate_segments(self, segments: Sequence[Segment], *, tgt: str | None = None,
                           on_progress: Progress | None = None, scope: RunScope | None = None) -> None:
        """The whole chain over segments, in place: route -> glossary -> memory or engine ->
        verify -> finish (repeats, Latin names, QA flags). An engine error propagates, so
        a caller can isolate the document that causes it. `on_progress(segments, tokens)`
        hears of the segments that need no engine at once, then of each engine batch.
        `scope`: a batch run's own post-edits, journal and names (none outside a run)."""
        scope = scope or RunScope(names=self.name_book())
        config = self.config_for(tgt)
        tgt = config.run.tgt
        engine = self.engine(tgt)
        todo = [s for s in segments if route(s, tgt, engine, config.run)]
        if on_progress is not None and len(todo) < len(segments):
            on_progress(len(segments) - len(todo), 0)
        terms = self.terms(tgt)
        if terms:
            terms.before(list(segments))
        edited = self._take_human(segments, todo, scope.human)
        if edited:
            taken = {id(s) for s, _ in edited}
            todo = [s for s in todo if id(s) not in taken]
        if engine.context:
            attach_context(segments, todo, engine.context)
        loading = engine.load_seconds if isinstance(engine, TimesLoading) else 0.0
        started = time.perf_counter()
        try:
            translate_routed(todo, engine, tgt, self.memory, None, scope.journal, on_progress,
                             spelling=config.output.armenian_spelling)
            self._fall_back(todo, engine, config)
        finally:
            loaded = (engine.load_seconds if isinstance(engine, TimesLoading) else 0.0) - loading  # a lazy engine loaded in this call
            self.timings["load_s"] += loaded
            self.timings["engine_s"] += time.perf_counter() - started - loaded
            for segment in todo:
                segment.meta.pop("context", None)
        covered = [(s, head) for s, head in edited if head is not None]
        for segment, head in covered:  # checked against the paragraph's text that covers it
            segment.target = head.target
        if terms:
            terms.after(list(segments))
        if scope.names is not None:
            scope.names.apply(todo, tgt)
        finish(segments, tgt)
        for segment, head in covered:
            segment.target = ""
            segment.flags = [f for f in segment.flags if f in KEPT_ON_COVERED]
            segment.notes = {f: n for f, n in segment.notes.items() if f in segment.flags}

    def _take_human(self, segments: Sequence[Segment], todo: list[Segment],
                    human: FolderEdits | None) -> list[tuple[Segment, Segment | None]]:
        """The segments to translate that a post-edit of this run's folder decides (`human`):
        they take the editor's text, exactly (`origin: human`). A paragraph's post-edit covers
        its other segments (their text is empty; they are listed with the segment that holds
        it). A post-edit back to the machine's text leaves the segment to the machine, and
        the memory's human table is not asked for it."""
        if not human:
            return []
        routed = {id(s) for s in todo}
        segments = list(segments)
        assigned = human.assign(segments)
        followers: dict[int, list[Segment]] = {}
        for q, p in human.covered(segments, assigned).items():
            followers.setdefault(p, []).append(segments[q])
        taken: list[tuple[Segment, Segment | None]] = []
        for p, edit in assigned.items():
            segment, rest = segments[p], followers.get(p, [])
            if id(segment) not in routed or any(id(s) not in routed for s in rest):
                continue  # the input changed around it: the editor's text no longer fits here
            if edit.revert:
                segment.meta["machine_only"] = True
                continue
            segment.target, segment.score, segment.origin = edit.after, None, "human"
            segment.markup = edit.markup
            taken.append((segment, None))
            for other in rest:
                other.target, other.score, other.origin = "", None, "human"
                taken.append((other, segment))
            for other in (segment, *rest):
                other.meta.pop("constraints", None)
                other.meta.pop("banned", None)
        return taken

    def translate(self, texts: Sequence[str], *, tgt: str | None = None) -> list[Result]:
        """Translate paragraphs or sentences (mixed languages routed as in a run); one Result per text.

        A text may hold several lines: each is a paragraph, and the line breaks are kept.
        Site chrome and repeated paragraphs are a document's business (`run`): here
        every paragraph is translated.
        """
        if isinstance(texts, str):
            raise TypeError("translate() takes a list of texts; wrap a single text in a list")
        return self._translate_prepared([_prepare(i, text) for i, text in enumerate(texts)], tgt)

    def translate_stream(self, texts: Iterable[str], *, tgt: str | None = None, window: int | None = None) -> Iterator[Result]:
        """`translate` over an iterable of any length: texts are gathered until `window`
        segments (default `[run] window`) are buffered, so the engine still gets full batches
        across texts, and the Results come out in input order as each window finishes."""
        limit = window or self.config.run.window
        buffer: list[tuple[str, Article, list[Segment]]] = []
        count = 0
        for i, text in enumerate(texts):
            buffer.append(_prepare(i, text))
            count += len(buffer[-1][2])
            if count >= limit:
                yield from self._translate_prepared(buffer, tgt)
                buffer, count = [], 0
        if buffer:
            yield from self._translate_prepared(buffer, tgt)

    def _translate_prepared(self, prepared: list[tuple[str, Article, list[Segment]]], tgt: str | None) -> list[Result]:
        self.translate_segments([s for _, _, segments in prepared for s in segments], tgt=tgt)
        return [_result(text, article, segments) for text, article, segments in prepared]

    # -- lifetime -------------------------------------------------------------------------
    def close(self) -> None:
        """Close the translation memory this Translator opened (a given one stays open), the
        connection pools of the engines it loaded, and stop its Ray actors."""
        for engine in self._engines.values():
            if engine is not self._given_engine and isinstance(engine, Closes):
                engine.close()
        for engine in self._fallbacks.values():
            if isinstance(engine, Closes):
                engine.close()
        if self._own_memory and self.memory is not None:
            self.memory.close()
            self.memory = None
        if self._ray_pool is not None:
            self._ray_pool.close()
            self._ray_pool = None
            self._engines.clear()

    def __enter__(self) -> "Translator":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _prepare(i: int, text: str) -> tuple[str, Article, list[Segment]]:
    """A text as a one-article document: a paragraph a line, each cut into sentences."""
    if not isinstance(text, str):
        raise TypeError(f"text {i} is a {type(text).__name__}, not a str")
    head, paragraphs = text_paragraphs(text)
    doc = f"#{i}"
    segments = list(segment_paragraphs(doc, [(t, sep) for t, sep, _ in paragraphs], repeats=False))
    return text, Article(doc, paragraphs, head=head), segments


def _result(source: str, article: Article, segments: list[Segment]) -> Result:
    """A Result from one text's translated segments; term offsets moved from sentences to the text."""
    flags: list[str] = []
    terms: list[TermHit] = []
    weighted, weight = 0.0, 0
    by_lang: dict[str, int] = {}
    offset = len(article.head)
    for segment in segments:
        offset += len(segment.pre)
        for name in segment.flags:
            if name not in flags:
                flags.append(name)
        for hit in segment.terms:
            terms.append(replace(hit, start=hit.start + offset if hit.start >= 0 else -1,
                                 end=hit.end + offset if hit.end >= 0 else -1))
        if segment.score is not None and segment.target != segment.source:
            weighted += segment.score * len(segment.source)
            weight += len(segment.source)
        by_lang[segment.src_lang] = by_lang.get(segment.src_lang, 0) + len(segment.source)
        offset += len(segment.source) + len(segment.sep) + len(segment.para_sep)
    src_lang = max(by_lang, key=lambda lang: by_lang[lang]) if by_lang else "und"
    return Result(
        source=source,
        text=rebuild_text(article, segments),
        src_lang=src_lang,
        flags=flags,
        terms=terms,
        score=weighted / weight if weight else None,
        segments=segments,
    )

