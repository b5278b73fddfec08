"""A desk's script against the public API: `mypy --strict` must pass on it with real types.

`.ci/run` type-checks it (never runs it: it would need a model). `assert_type` fails the check
if a public name's type degrades to `Any` or changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, assert_type

import pipeline
from pipeline import (
    Config,
    FileEntry,
    Glossary,
    Manifest,
    Result,
    RunFolder,
    RunInterrupted,
    RunResult,
    Segment,
    TargmanError,
    TermHit,
    Translator,
    WriteError,
    load_config,
    run,
    score,
)


def translate_a_paragraph(config_path: Path) -> str:
    with Translator.from_config(config_path, tgt="en") as translator:
        results = translator.translate(["Միրզոյանը մեկնել է Մոսկվա։"])
    assert_type(results, list[Result])
    first = results[0]
    assert_type(first.text, str)
    assert_type(first.flags, list[str])
    assert_type(first.score, float | None)
    assert_type(first.terms, list[TermHit])
    assert_type(first.segments, list[Segment])
    for segment in first.segments:
        assert_type(segment.target, str | None)
        assert_type(segment.to_row(), dict[str, Any])  # a JSON record, as segments.jsonl holds it
    return first.text


def run_a_folder(folder: Path, out: Path) -> list[str]:
    config = load_config("opus-mt-hy-en", beam_size=2)
    assert_type(config, Config)
    try:
        result = run(folder, out, config, tgt="en")
    except RunInterrupted as stop:
        assert_type(stop.result, RunResult)
        return stop.result.failed
    except WriteError as error:
        assert_type(error.result, RunResult | None)
        raise
    except TargmanError as error:
        assert_type(error.exit_code, int)
        raise
    assert_type(result, RunResult)
    assert_type(result.files, dict[str, FileEntry])
    assert_type(result.manifest, Manifest)
    entry = result.files["a.txt"]
    assert_type(entry.get("status"), str | None)
    assert_type(result.manifest.get("tgt"), str | None)
    assert_type(result.failed, list[str])
    assert_type(result.interrupted, bool)
    rows, manifest = RunFolder(out).read()
    assert_type(rows, list[dict[str, Any]])  # JSON records
    return result.failed


def check_a_glossary(path: Path) -> int:
    glossary = Glossary.load(path)
    assert_type(glossary, Glossary)
    return len(glossary.concepts)


def bleu(hyps: list[str], refs: list[str]) -> object:
    assert_type(pipeline.__version__, str)
    return score(hyps, refs, tgt="hy")["BLEU"]
