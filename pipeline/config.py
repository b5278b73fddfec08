"""Run configuration: TOML files read with `tomllib` into frozen dataclasses.

Precedence is defaults < config file < command-line flags. Unknown keys are
errors that list the valid ones, so a typo never silently does nothing.
"""

from __future__ import annotations

import dataclasses
import logging
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError

# What a user's machine downloads on first use when no model is named.
DEFAULT_MODELS = {
    "en": "Helsinki-NLP/opus-mt-hy-en",
    "hy": "Helsinki-NLP/opus-mt-en-hy",
}
LANGUAGES = ("hy", "en")
# The engines a config may name and where each class lives; `engines.registry` imports them when
# one is loaded (config sits below the engines and imports none of them).
ENGINES: dict[str, str] = {
    "hf": "pipeline.engines.hf:HFEngine",  # transformers, with the project's constrained search
    "ct2": "pipeline.engines.ct2:CT2Engine",  # CTranslate2, the fast path on CPU
    "openai": "pipeline.engines.llm:OpenAIEngine",  # any OpenAI-compatible chat endpoint
}
# `[model]` keys of one engine, from before each engine had its own `[engine.NAME]` section: still
# read, with a warning to move them. A new engine declares its settings in its class (`options`).
MOVED_TO_ENGINE = {
    **dict.fromkeys(("quantization", "source"), "ct2"),
    **dict.fromkeys(("base_url", "api_key_env", "temperature", "context_sentences", "concurrency", "timeout_s",
                     "retries"), "openai"),
}
log = logging.getLogger("targman")

DEFAULT_BOILERPLATE = (
    "Մատչելիության հղումներ",
    "Accessibility links",
    "Skip to main content",
    "Անցնել հիմնական բովանդակությանը",
    "Print",
    "Share",
)


@dataclass(frozen=True)
class ModelConfig:
    """Which model translates, and how it decodes."""

    engine: str = "hf"  # a name in ENGINES above (hf, ct2, openai)
    id: str = ""  # hub id or local folder; "" = DEFAULT_MODELS[tgt]; openai: the served model's name
    revision: str | None = None  # hub revision (branch, tag or commit)
    device: str = "cpu"  # cpu | cuda | cuda:N
    beam_size: int = 4
    max_length: int = 256  # most output tokens for one segment, whatever its length
    # The cap that counts: max_length_a x source tokens + max_length_b (as Sockeye, fairseq and
    # Marian cap), never above max_length; both 0 = max_length alone. A looping output of a
    # ten-word sentence stops near 40 tokens instead of running to 256 x beam.
    max_length_a: float = 3.0
    max_length_b: int = 10
    max_input_tokens: int = 0  # 0 = the model's own limit; longer sentences are split
    batch_tokens: int = 4096  # padded source tokens in one batch
    batch_size: int = 64  # most sentences in one batch
    threads: int = 0  # CPU threads; 0 = the library's default (ct2: intra_threads)
    allow_pickle: bool = False  # load .bin (pickle) weights when no safetensors exist
    # The older home of the ct2 and openai engines' own keys (MOVED_TO_ENGINE), still read: what
    # they mean is in `engines.ct2.CT2Options` and `engines.llm.OpenAIOptions`, [engine.NAME].
    quantization: str = "int8"
    source: str = ""
    base_url: str = ""
    api_key_env: str = ""
    temperature: float = 0.0
    context_sentences: int = 2
    concurrency: int = 4
    timeout_s: float = 60.0
    retries: int = 4
    # openai: a config (a path, or a name in configs/) whose [model] translates the sentences whose
    # answer fails the checks after its retry ("" = none: they keep their source, flagged llm-suspect)
    fallback: str = ""
    # Each engine's own settings, its `[engine.NAME]` section as written (engine name -> key -> value):
    # the engine class declares and checks them (`engines.base.options_of`), not this module.
    engines: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class RunConfig:
    """What the batch job does with an articles folder."""

    tgt: str = ""  # hy | en
    boilerplate: tuple[str, ...] = DEFAULT_BOILERPLATE
    boilerplate_output: str = "drop"  # drop | keep
    duplicate_output: str = "drop"  # drop | keep
    window: int = 2000  # segments buffered for batching across documents
    progress: str = "auto"  # auto | bar | lines | jsonl | off
    max_file_mb: int = 32  # a bigger input file fails ("file too large"); 0 = no limit
    max_line_chars: int = 50_000  # a longer line (paragraph) fails the file; 0 = no limit
    executor: str = "local"  # local: the engine runs in this process | ray: on a Ray actor pool ([ray])
    chrome_min_docs: int = 3  # a line in this many articles of a folder (and a third of them) is site chrome; 0 = off


TERM_MODES = ("constrain", "check", "off")


@dataclass(frozen=True)
class GlossaryConfig:
    """How the desk glossary is applied: forced into the output, checked after, or not at all."""

    path: str = ""  # a glossary TSV; "" = no glossary
    mode: str = "constrain"  # constrain | check | off, for every concept type...
    person: str = ""  # ...unless set per type ("" = as `mode`)
    org: str = ""
    place: str = ""
    term: str = ""

    def mode_for(self, concept_type: str) -> str:
        return getattr(self, concept_type, "") or self.mode


@dataclass(frozen=True)
class CacheConfig:
    """The translation memory and converted models (see `pipeline.cachedir`)."""

    dir: str = ""  # "" = $TARGMAN_CACHE_DIR, else $XDG_CACHE_HOME/targman or ~/.cache/targman
    memory: bool = True  # reuse translations of segments seen before with the same model and settings


SPELLINGS = ("reformed", "classical", "keep")


@dataclass(frozen=True)
class OutputConfig:
    """How translated text is written."""

    # Armenian `և`: reformed (Երևան, և; the standard in Armenia), classical (Երեւան, եւ) or keep
    # (as the model writes it: NFKC models write եւ). See pipeline/glossary/spelling.py.
    armenian_spelling: str = "reformed"


NAME_MODES = ("fix", "flag", "off")


@dataclass(frozen=True)
class NamesConfig:
    """Names the glossary does not know yet (`pipeline.names`): one spelling per name per run."""

    consistency: str = "fix"  # fix: rewrite every spelling to the chosen one | flag: only flag | off
    surname_ending: str = "yan"  # how the desk writes `-յան`: yan (Pashinyan) | ian (Pashinian)


@dataclass(frozen=True)
class RayConfig:
    """Where engine batches run with `[run] executor = "ray"` (see docs/scale.md). How fast a run
    goes, never what it writes: none of these is part of a run's settings fingerprint."""

    address: str = ""  # "" = start a Ray on this machine for the run; "auto" = the cluster this
    # machine belongs to (`ray start`, RAY_ADDRESS); or a cluster's address (host:6379)
    actors: int = 0  # engine actors, each loading the model once; 0 = as many as the cluster's CPUs allow
    cpus_per_actor: float = 1.0  # CPUs Ray reserves for each actor (its engine's threads)
    gpus_per_actor: float = 0.0  # GPUs for each actor (with [model] device = "cuda")
    task_retries: int = 3  # times a batch is sent again after it killed its actor (the actor is restarted);
    # a lost node is no fault of the batch: its batches go to live actors without counting
    stall_s: float = 120.0  # stop (exit 75, finished work kept) when no engine actor can run this long


@dataclass(frozen=True)
class ServeConfig:
    """`targman serve`: keys and limits of the translation service (docs/serve.md). How it
    answers, never what it translates: none of these is part of a run's settings."""

    api_keys_env: str = ""  # the environment variable holding the accepted keys, comma-separated ("" = no keys)
    max_request_kb: int = 256  # a bigger request body gets 413
    max_texts: int = 128  # texts in one request; more gets 413
    max_chars: int = 50_000  # characters in one request, all texts together; more gets 413
    rate_per_minute: int = 0  # requests a client (key, else address) may make a minute; more get 429 (0 = no limit)
    batch_wait_ms: float = 5.0  # how long the first waiting request waits for others to join its engine call
    batch_max_texts: int = 256  # texts in one engine call at most


@dataclass(frozen=True)
class HtmlConfig:
    """How HTML pages are read and written (pipeline.documents.html_doc)."""

    output: str = "document"  # document: the page itself, its text translated | article: a clean page of its text
    translate_chrome: bool = False  # document: translate nav, and a header/footer outside article/main, too


@dataclass(frozen=True)
class Config:
    model: ModelConfig = field(default_factory=ModelConfig)
    run: RunConfig = field(default_factory=RunConfig)
    glossary: GlossaryConfig = field(default_factory=GlossaryConfig)
    cache: CacheConfig = field(default_factory=CacheConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    names: NamesConfig = field(default_factory=NamesConfig)
    ray: RayConfig = field(default_factory=RayConfig)
    serve: ServeConfig = field(default_factory=ServeConfig)
    html: HtmlConfig = field(default_factory=HtmlConfig)
    source: str = "<defaults>"  # where this config came from, for run.json

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


CHOICES = {
    ("model", "engine"): tuple(ENGINES),
    ("model", "quantization"): ("int8", "int8_float32", "int8_float16", "int8_bfloat16", "float16", "bfloat16", "float32"),
    ("run", "tgt"): ("",) + LANGUAGES,
    ("run", "boilerplate_output"): ("drop", "keep"),
    ("run", "duplicate_output"): ("drop", "keep"),
    ("run", "progress"): ("auto", "bar", "lines", "jsonl", "off"),
    ("run", "executor"): ("local", "ray"),
    ("glossary", "mode"): TERM_MODES,
    **{("glossary", kind): ("",) + TERM_MODES for kind in ("person", "org", "place", "term")},
    ("output", "armenian_spelling"): SPELLINGS,
    ("names", "consistency"): NAME_MODES,
    ("names", "surname_ending"): ("yan", "ian"),
    ("html", "output"): ("document", "article"),
}
SECTIONS = {"model": ModelConfig, "run": RunConfig, "glossary": GlossaryConfig, "cache": CacheConfig,
            "output": OutputConfig, "names": NamesConfig, "ray": RayConfig, "serve": ServeConfig,
            "html": HtmlConfig}


def coerce(where: str, section: str, key: str, value, default):
    """Check a TOML value against the dataclass default's type."""
    expected = type(default)
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: [{section}] {key} must be a list of strings")
        return tuple(value)
    if default is None:  # optional string
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"{where}: [{section}] {key} must be a string")
        return value
    if expected is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: [{section}] {key} must be true or false, not {value!r}")
        return value
    if expected is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: [{section}] {key} must be a number, not {value!r}")
        if value < 0:
            raise ConfigError(f"{where}: [{section}] {key} must not be negative")
        return float(value)
    if expected is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: [{section}] {key} must be a whole number, not {value!r}")
        if value < 0:
            raise ConfigError(f"{where}: [{section}] {key} must not be negative")
        return value
    if not isinstance(value, expected):
        raise ConfigError(f"{where}: [{section}] {key} must be a {expected.__name__}, not {value!r}")
    return value


def _check_choice(where: str, section: str, key: str, value) -> None:
    choices = CHOICES.get((section, key))
    if choices is not None and value not in choices:
        shown = ", ".join(repr(c) for c in choices if c)
        raise ConfigError(f"{where}: [{section}] {key} = {value!r} is not one of {shown}")


def from_mapping(data: dict, where: str = "<config>", base: Config | None = None) -> Config:
    """Build a Config from a parsed TOML table, on top of `base`."""
    base = base or Config()
    unknown = sorted(set(data) - set(SECTIONS) - {"engine"})
    if unknown:
        raise ConfigError(
            f"{where}: unknown section(s) {', '.join(map(repr, unknown))}; "
            f"valid sections: {', '.join(SECTIONS)}, engine.NAME ({', '.join(ENGINES)})"
        )
    parts = {}
    for section, cls in SECTIONS.items():
        current = getattr(base, section)
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: {section} must be a [{section}] table")
        valid = {f.name: f for f in fields(cls) if f.name != "engines"}
        bad = sorted(set(table) - set(valid))
        if bad:
            raise ConfigError(
                f"{where}: unknown key(s) in [{section}]: {', '.join(bad)}; "
                f"valid keys: {', '.join(valid)}"
            )
        changes = {}
        for key, value in table.items():
            value = coerce(where, section, key, value, getattr(cls(), key))
            _check_choice(where, section, key, value)
            changes[key] = value
        parts[section] = replace(current, **changes)
    sections = data.get("engine", {})
    moved = {key: getattr(parts["model"], key) for key in data.get("model", {}) if key in MOVED_TO_ENGINE}
    if sections or moved:
        older: dict[str, dict[str, Any]] = {}  # an older [model] key (a flag, a keyword) is its engine's too
        for key, value in moved.items():
            older.setdefault(MOVED_TO_ENGINE[key], {})[key] = value
        engines = _engine_sections(older, where, parts["model"].engines)
        parts["model"] = replace(parts["model"], engines=_engine_sections(sections, where, engines))
    return Config(**parts, source=base.source)


def _engine_sections(data, where: str, base: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """`[engine.NAME]` tables over `base`'s, as written: the name is checked here, the keys by the
    engine itself (`engines.base.options_of`), which alone knows them."""
    tables = data if isinstance(data, dict) and all(isinstance(t, dict) for t in data.values()) else None
    if tables is None:
        raise ConfigError(f"{where}: [engine] holds one table per engine, such as [engine.ct2] or [engine.openai]")
    unknown = sorted(set(tables) - set(ENGINES))
    if unknown:
        raise ConfigError(f"{where}: unknown engine section(s) {', '.join(f'[engine.{n}]' for n in unknown)}; "
                          f"engines: {', '.join(ENGINES)}")
    merged = {name: dict(table) for name, table in base.items()}
    for name, table in tables.items():
        merged[name] = {**merged.get(name, {}), **table}
    return merged


def moved_keys(data: dict, where: str) -> list[str]:
    """Warn of `[model]` keys that belong to one engine's section now (MOVED_TO_ENGINE); returns them."""
    moved = [key for key in (data.get("model") or {}) if key in MOVED_TO_ENGINE]
    for key in moved:
        log.warning(f"{where}: [model] {key} is a setting of the {MOVED_TO_ENGINE[key]} engine: move it to "
                    f"[engine.{MOVED_TO_ENGINE[key]}] (read from [model] still, for now)")
    return moved


def load(path: str | Path) -> Config:
    """Read a TOML config file; errors name the file and what to change."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"{path}: cannot read config file ({error.strerror})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: config file is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    config = relative_to(from_mapping(data, where=str(path)), path.resolve().parent)
    if isinstance(data.get("model"), dict):
        moved_keys(data, str(path))
    return replace(config, source=str(path))


def relative_to(config: Config, folder: Path) -> Config:
    """Paths in a config file are relative to the file's folder: the glossary, the cache folder,
    and a model id that is a path (`./x`, `../x`, or a folder that exists there; `~` is the home
    folder). A hub id (`Helsinki-NLP/opus-mt-hy-en`) stays as it is."""
    def place(value: str) -> str:
        path = Path(value).expanduser()
        return str(path if path.is_absolute() else folder / path)

    model_id = config.model.id
    if model_id and (model_id.startswith((".", "~", "/")) or (folder / model_id).exists()):
        config = replace(config, model=replace(config.model, id=place(model_id)))
    if config.glossary.path:
        config = replace(config, glossary=replace(config.glossary, path=place(config.glossary.path)))
    fallback = config.model.fallback
    if fallback and (fallback.startswith((".", "~", "/")) or (folder / fallback).exists()):
        config = replace(config, model=replace(config.model, fallback=place(fallback)))
    if config.cache.dir:
        config = replace(config, cache=replace(config.cache, dir=place(config.cache.dir)))
    return config


def resolve_config_path(name: str) -> Path:
    """`--config` takes a path, or the name of a file in the project's `configs/`."""
    path = Path(name)
    if path.exists():
        return path
    for folder in (Path.cwd() / "configs", Path(__file__).resolve().parent.parent / "configs"):
        for candidate in (folder / name, folder / f"{name}.toml"):
            if candidate.exists():
                return candidate
    raise ConfigError(f"config {name!r} not found: give a path to a .toml file or a name in configs/")


def with_overrides(config: Config, *, where: str = "command line", **overrides) -> Config:
    """Apply command-line flags (`section__key=value`, an engine's own `engine__NAME__key=value`;
    None means not given)."""
    data: dict[str, dict] = {}
    for name, value in overrides.items():
        if value is None:
            continue
        section, key = name.split("__", 1)
        table = data.setdefault(section, {})
        if section == "engine":
            engine, _, key = key.partition("__")
            table = table.setdefault(engine, {})
        table[key] = list(value) if isinstance(value, tuple) else value
    return replace(from_mapping(data, where=where, base=config), source=config.source)


def finalize(config: Config) -> Config:
    """Fill what depends on other settings (the default model for the direction)."""
    if not config.run.tgt:
        raise ConfigError("no target language: pass --tgt en or --tgt hy (or set [run] tgt in the config)")
    if not config.model.id:
        config = replace(config, model=replace(config.model, id=DEFAULT_MODELS[config.run.tgt]))
    if config.model.beam_size < 1:
        raise ConfigError("[model] beam_size must be at least 1")
    if config.model.max_length < 1:
        raise ConfigError("[model] max_length must be at least 1")
    if config.run.window < 1:
        raise ConfigError("[run] window must be at least 1")
    if config.run.executor == "ray" and config.ray.cpus_per_actor <= 0 and config.ray.gpus_per_actor <= 0:
        raise ConfigError("[ray] cpus_per_actor or gpus_per_actor must be more than 0 (what Ray reserves for an actor)")
    if config.run.executor == "ray" and config.ray.stall_s <= 0:
        raise ConfigError("[ray] stall_s must be more than 0 (seconds a run waits for an engine actor to come back)")
    if config.run.executor == "ray" and config.ray.task_retries < 0:
        raise ConfigError("[ray] task_retries must be 0 or more")
    if config.ray.address.startswith("ray://"):
        raise ConfigError(
            f"[ray] address = {config.ray.address!r}: Ray Client (ray://) is not supported: a run's driver must "
            "stay connected for hours and survive a lost node. Run targman on a node of the cluster with "
            "--ray-address auto (or HOST:6379, the head's GCS port), or as a Ray Job (docs/scale.md)")
    return config


# Keyword names for `load_config` / `Translator.from_config`: every field by its own name
# (they are unique across sections), plus the command line's names where they read better.
ALIASES = {
    "model": ("model", "id"),
    "engine": ("model", "engine"),
    "cache": ("cache", "memory"),  # cache=False is --no-cache
    "cache_dir": ("cache", "dir"),
    "glossary": ("glossary", "path"),
    "terms": ("glossary", "mode"),
    "ray_address": ("ray", "address"),
    "names": ("names", "consistency"),
}


def keyword_names() -> dict[str, tuple[str, str]]:
    """Every keyword `load_config` takes, with the (section, key) it sets."""
    names: dict[str, tuple[str, str]] = {}
    for section, cls in SECTIONS.items():
        for f in fields(cls):
            if f.name != "engines":  # an engine's own settings: engine__NAME__KEY
                names.setdefault(f.name, (section, f.name))
    return {**names, **ALIASES}


def load_config(config: Config | str | Path | None = None, **overrides) -> Config:
    """A Config from a Config, a TOML path, a name in `configs/` (`opus-mt-hy-en`), or the defaults,
    with keyword overrides by field name (`max_length=32`, `beam_size=1`, `tgt="en"`,
    `cache=False`); None leaves a setting as it is. Unknown names are a ConfigError listing the valid ones."""
    if config is None:
        config = Config()
    elif not isinstance(config, Config):
        config = load(resolve_config_path(str(config)))
    names = keyword_names()
    unknown = sorted(set(overrides) - set(names))
    if unknown:
        raise ConfigError(f"unknown setting(s) {', '.join(unknown)}; valid: {', '.join(sorted(names))}")
    return with_overrides(config, where="settings", **{"__".join(names[name]): value for name, value in overrides.items()})
