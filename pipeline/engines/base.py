"""The engine seam: the Protocols every engine meets, and what crosses it.

The runner and the `Translator` read nothing from an engine that is not declared
here. An engine takes positional texts and keyword-only options (`TranslateOptions`)
and returns one `Translation` per text, in input order (CTranslate2's shape); sorting
by length, batching and language codes (`hye_Armn`, `>>hye<<`) stay inside it.
`EngineClass` is what the registry needs of an engine's class, `Engine` of a loaded
one; `Loads`, `TimesLoading`, `Plans`, `Repairs` and `Closes` are what only some
engines can do, asked with `isinstance`. `tests/engine_contract.py` tests every
engine against the same contract.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Protocol, Sequence, TypedDict, Unpack, runtime_checkable

from pipeline.config import ModelConfig, coerce
from pipeline.errors import ConfigError

if TYPE_CHECKING:
    from pipeline.glossary.constraints import TermConstraint


@dataclass
class Translation:
    """One text's translation, as an engine (or the translation memory) gives it back."""

    text: str
    score: float | None = None  # mean token log-probability of the output
    tokens: int = 0  # output tokens, for throughput
    pieces: int = 1  # >1 when the source was too long for the model and was split
    unmet: bool = False  # a constrained search could not fit every glossary term
    origin: str = "engine"  # engine | memory (a machine translation stored before) | human (an editor's)
    flags: tuple[str, ...] = ()  # what the engine wants an editor to see (e.g. `llm-suspect`)
    # (source word, target word) pairs (words: `\\S+` of the source and of `text`), when asked for
    # (`align`) and the engine can tell: where the writer puts a sentence's inline tags
    alignment: tuple[tuple[int, int], ...] | None = None


@dataclass(frozen=True)
class BatchOutput:
    """One input of a model batch: what `TokenizerEngine._translate_batch` returns per row."""

    text: str
    score: float | None
    tokens: int
    unmet: bool = False  # glossary terms asked for that the output does not hold
    links: tuple[tuple[int, int], ...] | None = None  # the word alignment (`Translation.alignment`), when asked


Done = Callable[[list[int], list[Translation]], None]  # positions in `texts`, and their translations
# One entry per text (None or empty: nothing for that text)
Constraints = Sequence[Sequence["TermConstraint"] | None]  # terms its output must hold
Banned = Sequence[Sequence[str] | None]  # target strings its output must not hold


@dataclass(frozen=True)
class Description:
    """What the pipeline knows of an engine before it is loaded: enough to route segments,
    key the translation memory, check a resumed run and fill run.json. Every engine class
    has `describe(config, tgt, cache_dir=...)`, which reads only small files (no torch,
    no CTranslate2, no network); a loaded engine's `info()` and `fingerprint()` are its
    description's, so a run that finds every segment in the memory never loads a model."""

    name: str
    constrains: bool
    reranks: bool
    info: dict[str, Any]
    fingerprint: dict[str, Any]
    pairs: frozenset[tuple[str, str]]  # the (src, tgt) directions it translates
    context: int = 0  # neighbouring sentences of the document it reads on each side


class _Direction(TypedDict):
    src: str  # ISO 639-1 codes
    tgt: str


class TranslateOptions(_Direction, total=False):
    """The keyword options of `Engine.translate`, written once: an engine spells them out
    (mypy checks it against these) or, wrapping another engine, passes `**options` on.

    `constraints` and `banned` hold one list per text: `glossary.constraints.TermConstraint`
    objects (each term the output must contain, in any of its forms) and forbidden target
    strings. `context` (one per text, given only to an engine whose `context` > 0): the
    document's sentences around it. `on_done(indices, translations)` is called as texts are
    finished (per model batch), each text exactly once, so that a caller can make finished
    work durable before the whole call returns. `align` (one per text): True for a sentence
    with inline markup, whose word alignment (`Translation.alignment`) an engine that can
    tell (`hf`, `ct2`: from the cross-attention) gives back; the others ignore it."""

    min_length: int | None  # at least this many output tokens (the bench's fixed length)
    constraints: Constraints | None
    banned: Banned | None
    context: Contexts | None
    on_done: Done | None
    align: Sequence[bool] | None


@runtime_checkable
class Engine(Protocol):
    """What the pipeline needs of a loaded engine; adding one is a module and a line in
    `config.ENGINES` (the class side is `EngineClass`).

    An engine that cannot force terms (`constrains = False`) may still prefer hypotheses
    that hold them (`reranks = True`); the check after translation reports the rest. What
    some engines can do besides (load later, plan their batches, repair, close) is in the
    small Protocols below, asked with `isinstance`.
    """

    name: str
    constrains: bool  # forces glossary terms into its search (every segment that has terms)
    reranks: bool  # cannot force terms, but takes them as hints (n-best re-ranking, a prompt)
    context: int  # neighbouring sentences of the document it reads on each side (0: none)

    def supports(self, src: str, tgt: str) -> bool:
        """Can this engine translate from `src` into `tgt` (ISO 639-1 codes)?"""

    def translate(self, texts: Sequence[str], **options: Unpack[TranslateOptions]) -> list[Translation]:
        """One Translation per text, in input order (see `TranslateOptions`)."""

    def info(self) -> dict[str, Any]:
        """What run.json records about the engine and its model."""

    def fingerprint(self) -> dict[str, Any]:
        """Everything that decides the output: engine, model id and content hash, decoding
        settings. The translation memory keys its entries on it."""


class EngineClass(Protocol):
    """The class side of an engine, what `registry` relies on: `Class(config, tgt, cache_dir=...)`
    loads it; `Class.describe(config, tgt, cache_dir=...)` says what it is without loading it
    (small files only: no torch, no CTranslate2, no network) and refuses settings it cannot
    use; `cache_dir` is where engines that convert models keep them (see `pipeline.cachedir`).
    `settings` are the shared `[model]` keys it reads (one set for another engine is said,
    `registry.check_settings`); `options` is its own section, `[engine.NAME]`: a frozen dataclass
    of its keys, their types and defaults, as CTranslate2's converters declare their own options,
    read and checked by `options_of`."""

    name: str
    settings: frozenset[str]
    options: type[Any]

    def __call__(self, config: ModelConfig, tgt: str, *, cache_dir: str | Path | None = None) -> Engine: ...

    def describe(self, config: ModelConfig, tgt: str, *, cache_dir: str | Path | None = None) -> Description: ...


# -- what some engines can do besides: asked with isinstance(engine, ...) --------------------

@runtime_checkable
class Loads(Protocol):
    """Loaded on demand (`LazyEngine`): `load()` loads the model now, once, and returns the engine."""

    def load(self) -> Engine: ...


@runtime_checkable
class TimesLoading(Protocol):
    """Counts the seconds spent loading models while it translates (the Translator's `load_s`)."""

    load_seconds: float


@runtime_checkable
class Plans(Protocol):
    """Says how it would batch a call, as groups of text positions (`TokenizerEngine.plan`); None
    when it has no plan of its own. `engines.ray_pool` sends the groups to different actors."""

    def plan(self, texts: Sequence[str], *, src: str, tgt: str) -> list[list[int]] | None: ...


@runtime_checkable
class Repairs(Protocol):
    """Translates some pieces again after its batches (`ct2`): how many it placed terms into and
    how many went to the constrained search, for the benches."""

    repaired: int
    placed: int


@runtime_checkable
class Closes(Protocol):
    """Holds connections (the `openai` engine's pool) to close when the run is over."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class NoOptions:
    """The section of an engine with no settings of its own."""


def options_of(cls: EngineClass, config: ModelConfig, where: str = "") -> Any:
    """The engine's own settings, `cls.options` filled from `config`: its defaults, then the same
    keys set in `[model]` (where they lived before, `config.MOVED_TO_ENGINE`), then its
    `[engine.NAME]` section. An unknown key or a wrong value is a ConfigError naming `where` (the
    config file), the section and the keys it knows."""
    name, declared = cls.name, {f.name: f for f in fields(cls.options)}
    section = f"engine.{name}"
    here = f"{where}: " if where else ""
    table = config.engines.get(name) or {}
    unknown = sorted(set(table) - set(declared))
    if unknown:
        raise ConfigError(f"{here}unknown key(s) in [{section}]: {', '.join(unknown)}; "
                          f"known keys: {', '.join(declared) or 'none (the engine has no settings of its own)'}")
    values: dict[str, Any] = {}
    shared = {f.name: f.default for f in fields(ModelConfig)}
    for key, spec in declared.items():
        default = spec.default
        if key in shared and getattr(config, key) != shared[key]:
            values[key] = getattr(config, key)  # the older [model] key
        if key in table:
            values[key] = coerce(where or "config", section, key, table[key], default)
        choices = spec.metadata.get("choices")
        if choices and values.get(key, default) not in choices:
            raise ConfigError(f"{here}[{section}] {key} = {values[key]!r} is not one of "
                              + ", ".join(repr(c) for c in choices))
    try:
        return cls.options(**values)
    except ValueError as error:  # the dataclass's own check (a value out of range)
        raise ConfigError(f"{here}[{section}] {error}") from None


@dataclass(frozen=True)
class Context:
    """The sentences of a document around the one to translate, in document order."""

    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()


Contexts = Sequence[Context | None]  # one per text: the document's sentences around it


def check_options(count: int, min_length: int | None, constraints: Constraints | None, banned: Banned | None,
                  context: Contexts | None = None, align: Sequence[bool] | None = None) -> None:
    """Refuse option values an engine would misread: one list per text, a whole-number length."""
    for name, values in (("constraints", constraints), ("banned", banned), ("context", context), ("align", align)):
        if values is None:
            continue
        if not isinstance(values, (list, tuple)):
            raise TypeError(f"{name} must be a list with one entry per text")
        if len(values) != count:
            raise ValueError(f"{name} has {len(values)} entries for {count} texts")
    if min_length is not None and (isinstance(min_length, bool) or not isinstance(min_length, int) or min_length < 0):
        raise ValueError(f"min_length must be a whole number >= 0, not {min_length!r}")
