"""Engine names and where their classes live, imported only when an engine is loaded.

The config's choices, the CLI's `--engine` choices, the error for an unknown engine and
`targman bench`'s list all come from `ENGINES`: adding an engine is one module with a
class that meets `engines.base.EngineClass` (constructed as `Class(model_config, tgt,
cache_dir=...)` into an `engines.base.Engine`, described without loading by
`Class.describe(model_config, tgt, cache_dir=...)`, its own settings declared in `Class.options`,
the `[engine.NAME]` section) and one line in `config.ENGINES` (and in `_REGISTERED` here, where
mypy checks it). Neither `config.ModelConfig` nor the command line learns the new engine's keys.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.config import ENGINES
from pipeline.engines.base import EngineClass, options_of
from pipeline.errors import ConfigError
from pipeline.models.malloc import tune_malloc

if TYPE_CHECKING:
    from pipeline.config import ModelConfig
    from pipeline.engines.base import Description, Engine
    from pipeline.engines.ct2 import CT2Engine
    from pipeline.engines.hf import HFEngine
    from pipeline.engines.llm import OpenAIEngine

    # mypy holds every registered class to the class side of the contract
    _REGISTERED: tuple[EngineClass, ...] = (HFEngine, CT2Engine, OpenAIEngine)

LOCAL = ("hf", "ct2")  # engines that run a model on this machine (what `targman bench` compares)
log = logging.getLogger("targman")
_said: set[tuple[str, str]] = set()  # (engine, key): a setting another engine reads, said once a process


def engine_names() -> tuple[str, ...]:
    return tuple(ENGINES)


def engine_class(name: str) -> EngineClass:
    """The class registered as `name`, imported now (its heavy imports happen in its constructor)."""
    if name not in ENGINES:
        raise ConfigError(f"[model] engine = {name!r} is not available; valid engines: {', '.join(ENGINES)}")
    module, _, attribute = ENGINES[name].partition(":")
    found: EngineClass = getattr(importlib.import_module(module), attribute)
    return found


def reads(cls: EngineClass) -> frozenset[str]:
    """The keys an engine class reads: its shared `[model]` ones and its own section's."""
    return cls.settings | {field.name for field in fields(cls.options)}


def check_sections(config: ModelConfig, where: str = "") -> None:
    """Every `[engine.NAME]` section of `config` checked by its engine (`engines.base.options_of`),
    the one in use or not: a typo in a section kept for another engine is found now too."""
    for name in config.engines:
        options_of(engine_class(name), config, where)


def check_settings(config: ModelConfig) -> list[str]:
    """`[model]` keys set (not their default) that the configured engine does not read: each is
    said once, with the engines that do read it, and returned. Not an error: a config kept for
    one engine still runs another (`--engine ct2` on an hf config)."""
    cls = engine_class(config.engine)
    unread = []
    for field in fields(config):
        if field.name in ("engine", "engines") or field.name in reads(cls) or getattr(config, field.name) == field.default:
            continue
        unread.append(field.name)
        if (config.engine, field.name) not in _said:
            _said.add((config.engine, field.name))
            readers = [name for name in ENGINES if field.name in reads(engine_class(name))]
            log.warning(f"[model] {field.name} = {getattr(config, field.name)!r} is not read by the {config.engine} "
                        f"engine (it is for {', '.join(readers) or 'no engine'}); it has no effect here")
    return unread


def load_engine(config: ModelConfig, tgt: str, *, cache_dir: str | Path | None = None) -> Engine:
    """Build the configured engine for translating into `tgt`, loaded now.

    `cache_dir` is where engines that convert models keep them (see `pipeline.cachedir`).
    """
    tune_malloc()
    check_settings(config)
    return engine_class(config.engine)(config, tgt, cache_dir=cache_dir)


def describe_engine(config: ModelConfig, tgt: str, *, cache_dir: str | Path | None = None) -> Description:
    """What the configured engine is, without loading it (see `engines.base.Description`)."""
    check_settings(config)
    return engine_class(config.engine).describe(config, tgt, cache_dir=cache_dir)
