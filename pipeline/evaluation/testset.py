"""Evaluate a translation function on a line-aligned test set (the library side of `targman eval`).

A test set is a source file and a reference file with one segment a line, and optionally a
document-id file aligned with them (NTREX's `DOCUMENT_IDS.tsv`: one id a line, first column).
Scores come back in the shape of `scoring.score_segments`, as in a run's `run.json`:
`{"corpus": {...with signatures...}, "docs": {doc_id: {...}}}`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import InputError, ScoreError
from pipeline.evaluation.scoring import read_lines, score_segments

DEFAULT_DOC = "test-set"  # the one document when no document ids are given


@dataclass(frozen=True)
class EvalSet:
    """A line-aligned test set: sources, references, and a document id for every line."""

    src: list[str]
    ref: list[str]
    docs: list[str]


def _read_doc_ids(path: str | Path) -> list[str]:
    ids = []
    for number, line in enumerate(read_lines(path), 1):
        doc = line.split("\t", 1)[0].strip()
        if not doc:
            raise InputError(path, "empty document id; every line needs one", line=number)
        ids.append(doc)
    return ids


def _check_aligned(named: list[tuple[str | Path, list[str]]]) -> None:
    (first, first_lines), *others = named
    for path, lines in others:
        if len(lines) == len(first_lines):
            continue
        longer, shorter = (path, first) if len(lines) > len(first_lines) else (first, path)
        cut = min(len(lines), len(first_lines))
        raise InputError(
            longer,
            f"has a line {cut + 1} but {shorter} ends after line {cut}; "
            "the files of a test set must be line-aligned (one segment a line in each)",
            line=cut + 1,
        )


def read_test_set(src: str | Path, ref: str | Path, docs: str | Path | None = None) -> EvalSet:
    """Read a line-aligned test set; InputError (file:line) when the files do not align."""
    src_lines, ref_lines = read_lines(src), read_lines(ref)
    named = [(src, src_lines), (ref, ref_lines)]
    doc_ids = None
    if docs is not None:
        doc_ids = _read_doc_ids(docs)
        named.append((docs, doc_ids))
    _check_aligned(named)
    return EvalSet(src_lines, ref_lines, doc_ids or [DEFAULT_DOC] * len(src_lines))


def score_test_set(hyps: Sequence[str], ref_lines: Sequence[str], doc_ids: Sequence[str] | None, tgt: str) -> dict:
    """Per-document and corpus scores of hypotheses against a line-aligned reference."""
    doc_ids = list(doc_ids) if doc_ids is not None else [DEFAULT_DOC] * len(ref_lines)
    if not len(hyps) == len(ref_lines) == len(doc_ids):
        raise ScoreError(
            f"{len(hyps)} hypotheses, {len(ref_lines)} references and {len(doc_ids)} document ids: "
            "they must be line-aligned"
        )
    rows = [{"doc": doc, "target": hyp, "ref": ref} for doc, hyp, ref in zip(doc_ids, hyps, ref_lines)]
    return score_segments(rows, tgt)


def evaluate(
    src_lines: Sequence[str],
    ref_lines: Sequence[str],
    doc_ids: Sequence[str] | None,
    translate_fn: Callable[[list[str]], list[str]],
    tgt: str,
) -> dict:
    """Translate `src_lines` with `translate_fn` (all lines in one call) and score the output."""
    hyps = list(translate_fn(list(src_lines)))
    if len(hyps) != len(src_lines):
        raise ScoreError(f"the translation returned {len(hyps)} lines for {len(src_lines)} source lines")
    return score_test_set(hyps, ref_lines, doc_ids, tgt)


def translate_in_memory(test_set: EvalSet, config) -> dict:
    """Translate a test set with a `Translator`, a line a text, and score it (`targman eval` without -o).

    Glossary, memory and QA are the run's; term success counts every line's hits.
    Returns `{"scores": ..., "hyps": [...]}`.
    """
    from pipeline.config import finalize
    from pipeline.translation.translator import Translator

    config = finalize(config)
    with Translator(config) as translator:
        results = translator.translate(test_set.src)
    rows = [
        {"doc": doc, "target": result.text, "ref": ref, "terms": [t.to_row() for t in result.terms]}
        for doc, result, ref in zip(test_set.docs, results, test_set.ref, strict=True)
    ]
    return {"scores": score_segments(rows, config.run.tgt), "hyps": [r.text for r in results]}
