"""targman: offline Armenian/English translation with a desk glossary.

The library is the product; `pipeline.cli` is a thin shell over it. The public API
(each name is imported on first use, so `import pipeline` stays light):

    Translator      built once: engine, glossary matchers, translation memory; `translate(texts, tgt=...)`
    Result          one translated text: text, src_lang, flags, terms, score, segments
    run             the batch job: `run(input_dir, out_dir, tgt=..., **settings)` -> RunResult
    RunResult       out_dir, files (status per input), manifest (run.json), failed, interrupted
    load_config     a Config from a TOML path, a name in configs/ or the defaults, with overrides
    Config          the frozen settings (model, run, glossary, cache)
    Glossary        Glossary.load(path), Glossary.lint(path), glossary.match(text, lang)
    score           BLEU, chrF++ and TER with sacrebleu signatures
    TargmanError, ConfigError, ModelError, InputError, GlossaryError, ScoreError, StateError,
    RunInterrupted  the errors (see `pipeline.errors`)
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "Translator": "pipeline.translation.translator",
    "Result": "pipeline.translation.translator",
    "run": "pipeline.batch.runner",
    "RunResult": "pipeline.batch.runner",
    "RunInterrupted": "pipeline.batch.runner",
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
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module 'pipeline' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
