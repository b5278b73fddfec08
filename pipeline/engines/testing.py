"""Engines for testing everything that is not a model, as httpx ships `MockTransport`.

`FunctionEngine(fn)` translates with a plain function: no torch, no model folder,
instant, so routing, layout, resume, failure isolation and the glossary flow can be
tested fast. `SpyEngine(engine)` wraps a real engine. Both record every call and can
run a hook before each one (raise to simulate a model error, send a signal to
simulate Ctrl-C at a chosen call). Neither is ever the answer to "translate": the
registry does not list them, so no config can select one.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Sequence, Unpack

from pipeline.engines.base import (
    Banned,
    Constraints,
    Context,
    Contexts,
    Done,
    Engine,
    TranslateOptions,
    Translation,
    check_options,
)

Hook = Callable[[int, list[str]], None]  # (call number from 1, the texts of the call)


def tag(text: str, src: str, tgt: str) -> str:
    """The default "translation": the text behind a `[src>tgt]` mark, so tests can see what was translated."""
    return f"[{src}>{tgt}] {text}"


class _Recorder:
    """Every call's texts, in order, and the hook run before each call."""

    def __init__(self, before_call: Hook | None):
        self.calls: list[list[str]] = []
        self.before_call = before_call

    @property
    def texts(self) -> list[str]:
        """Every text asked for, across calls."""
        return [text for call in self.calls for text in call]

    def _record(self, texts: Sequence[str]) -> None:
        self.calls.append(list(texts))
        if self.before_call is not None:
            self.before_call(len(self.calls), list(texts))


class FunctionEngine(_Recorder):
    """An engine whose translation of one text is `fn(text, src, tgt)`.

    `pairs`: the directions it supports. `constrains=True` makes it honour glossary
    constraints the simplest way (each term's first form is appended as often as the
    output lacks it), so the constrain path can be tested without a model; `banned`
    forms are removed. `version` goes into the fingerprint: change it when `fn`
    changes and the translation memory must not reuse old outputs. `aligner(text, out)`
    gives the word alignment (`Translation.alignment`) of a text asked for one (`align`):
    an engine whose attention is known, to test tag placement apart from a model's quality;
    without it the engine gives none, and its tags go by word position.
    """

    def __init__(
        self,
        fn: Callable[[str, str, str], str] = tag,
        *,
        name: str = "function",
        pairs: Sequence[tuple[str, str]] = (("hy", "en"), ("en", "hy")),
        constrains: bool = False,
        reranks: bool = False,
        score: float | None = -0.5,
        version: str = "1",
        batch_size: int = 0,
        seconds_per_batch: float = 0.0,
        context: int = 0,
        before_call: Hook | None = None,
        aligner: Callable[[str, str], Sequence[tuple[int, int]]] | None = None,
    ):
        super().__init__(before_call)
        self.fn = fn
        self.aligner = aligner
        self.context = context  # >0: it is given its neighbouring sentences (recorded in `contexts`)
        self.contexts: list[Context | None] = []
        self.name = name
        self.pairs = {tuple(pair) for pair in pairs}
        self.constrains = constrains
        self.reranks = reranks
        self.score = score
        self.version = version
        self.batch_size = batch_size  # texts per "batch" reported to on_done (0: all at once)
        self.seconds_per_batch = seconds_per_batch  # to look like a model that takes its time

    def supports(self, src: str, tgt: str) -> bool:
        return (src, tgt) in self.pairs

    def translate(self, texts: Sequence[str], *, src: str, tgt: str, min_length: int | None = None,
                  constraints: Constraints | None = None, banned: Banned | None = None,
                  context: Contexts | None = None, on_done: Done | None = None,
                  align: Sequence[bool] | None = None) -> list[Translation]:
        check_options(len(texts), min_length, constraints, banned, context, align)
        self._record(texts)
        if context is not None:
            self.contexts.extend(context)
        results: list[Translation] = []
        size = self.batch_size or max(1, len(texts))
        for start in range(0, len(texts), size):
            if self.seconds_per_batch:
                time.sleep(self.seconds_per_batch)
            batch = list(range(start, min(start + size, len(texts))))
            results.extend(self._one(i, texts[i], src, tgt, constraints, banned, bool(align and align[i])) for i in batch)
            if on_done is not None:
                on_done(batch, results[start:])
        return results

    def _one(self, i: int, text: str, src: str, tgt: str, constraints: Constraints | None,
             banned: Banned | None, align: bool = False) -> Translation:
        out = self.fn(text, src, tgt)
        unmet = False
        if self.constrains:
            for form in (banned[i] or []) if banned else []:
                out = out.replace(form, "").strip()
            for term in (constraints[i] or []) if constraints else []:
                missing = term.count - sum(out.count(form) for form in term.forms[:1])
                out = " ".join([out] + [term.forms[0]] * max(0, missing))
        elif constraints and self.reranks:
            unmet = any(not any(form in out for form in term.forms) for term in constraints[i] or [])
        links = tuple(self.aligner(text, out)) if align and self.aligner is not None else None
        return Translation(out, self.score, len(out.split()), 1, unmet, alignment=links)

    def info(self) -> dict[str, Any]:
        return {"engine": self.name, "id": f"function:{getattr(self.fn, '__qualname__', 'fn')}",
                "constrains": self.constrains}

    def fingerprint(self) -> dict[str, Any]:
        return {**self.info(), "version": self.version}


class SpyEngine(_Recorder):
    """A real engine, with a record of every call, the seconds spent inside it, and an
    optional hook before each call."""

    def __init__(self, inner: Engine, *, before_call: Hook | None = None):
        super().__init__(before_call)
        self.inner = inner
        self.seconds = 0.0
        self.name = inner.name
        self.constrains = inner.constrains
        self.reranks = inner.reranks
        self.context = inner.context

    def supports(self, src: str, tgt: str) -> bool:
        return self.inner.supports(src, tgt)

    def translate(self, texts: Sequence[str], **options: Unpack[TranslateOptions]) -> list[Translation]:
        self._record(texts)
        started = time.perf_counter()
        try:
            return self.inner.translate(texts, **options)
        finally:
            self.seconds += time.perf_counter() - started

    def info(self) -> dict[str, Any]:
        return self.inner.info()

    def fingerprint(self) -> dict[str, Any]:
        return self.inner.fingerprint()
