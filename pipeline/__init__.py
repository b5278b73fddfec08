"""targman: offline Armenian/English translation with a desk glossary.

The library is the product; `pipeline.cli` is a thin shell over it. The public API
(each name is imported on first use, so `import pipeline` stays light):

    Translator      built once: engine, glossary matchers, translation memory; `translate(texts, tgt=...)`
    Result          one translated text: text, src_lang, flags, terms, score, segments
    Segment, TermHit  a sentence of a document with its translation, flags and glossary hits
    run             the batch job: `run(input_dir, out_dir, tgt=..., **settings)` -> RunResult
    RunResult       out_dir, files (FileEntry per input), manifest (Manifest: run.json), failed, interrupted
    RunFolder       a run's output folder read back: rows, manifest, edits, review log
    load_config     a Config from a TOML path, a name in configs/ or the defaults, with overrides
    Config          the frozen settings (model, run, glossary, cache)
    Glossary        Glossary.load(path), Glossary.lint(path), glossary.match(text, lang)
    score           BLEU, chrF++ and TER with sacrebleu signatures
    TargmanError, ConfigError, ModelError, InputError, GlossaryError, ScoreError, StateError,
    WriteError, ClusterError, RunInterrupted  the errors (see `pipeline.errors`)

The names are imported on first use; the `TYPE_CHECKING` block below gives a type checker the
same names with their real types (the package ships `py.typed`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"  # the one place: pyproject.toml reads it from here

if TYPE_CHECKING:  # `X as X`: an explicit re-export, as PEP 484 asks of a stub or py.typed package
    from pipeline.batch.runner import RunResult as RunResult
    from pipeline.batch.runner import run as run
    from pipeline.config import Config as Config
    from pipeline.config import load_config as load_config
    from pipeline.errors import ClusterError as ClusterError
    from pipeline.errors import ConfigError as ConfigError
    from pipeline.errors import GlossaryError as GlossaryError
    from pipeline.errors import InputError as InputError
    from pipeline.errors import ModelError as ModelError
    from pipeline.errors import RunInterrupted as RunInterrupted
    from pipeline.errors import ScoreError as ScoreError
    from pipeline.errors import StateError as StateError
    from pipeline.errors import TargmanError as TargmanError
    from pipeline.errors import WriteError as WriteError
    from pipeline.evaluation.scoring import score as score
    from pipeline.glossary.model import Glossary as Glossary
    from pipeline.runfolder.folder import RunFolder as RunFolder
    from pipeline.runfolder.schema import FileEntry as FileEntry
    from pipeline.runfolder.schema import Manifest as Manifest
    from pipeline.segment import Segment as Segment
    from pipeline.segment import TermHit as TermHit
    from pipeline.translation.translator import Result as Result
    from pipeline.translation.translator import Translator as Translator

_EXPORTS = {
    "Translator": "pipeline.translation.translator",
    "Result": "pipeline.translation.translator",
    "Segment": "pipeline.segment",
    "TermHit": "pipeline.segment",
    "run": "pipeline.batch.runner",
    "RunResult": "pipeline.batch.runner",
    "FileEntry": "pipeline.runfolder.schema",
    "Manifest": "pipeline.runfolder.schema",
    "RunFolder": "pipeline.runfolder.folder",
    "RunInterrupted": "pipeline.errors",
    "load_config": "pipeline.config",
    "Config": "pipeline.config",
    "Glossary": "pipeline.glossary.model",
    "score": "pipeline.evaluation.scoring",
    "TargmanError": "pipeline.errors",
    "ConfigError": "pipeline.errors",
    "ModelError": "pipeline.errors",
    "InputError": "pipeline.errors",
    "GlossaryError": "pipeline.errors",
    "ScoreError": "pipeline.errors",
    "StateError": "pipeline.errors",
    "WriteError": "pipeline.errors",
    "ClusterError": "pipeline.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> object:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module 'pipeline' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
