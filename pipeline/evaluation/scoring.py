"""Corpus and sentence scores, computed by sacrebleu's own metric objects.

Every score carries its sacrebleu signature (the long form that `sacrebleu -f json`
prints), so a number in `run.json` or in the report can be reproduced with

    sacrebleu REF [REF ...] -i HYP -m bleu chrf ter --chrf-word-order 2

For an Armenian target we also report spBLEU: BLEU over sacrebleu's `flores200`
SentencePiece tokenizer, because 13a BLEU splits only on spaces and punctuation and so
understates a language with rich inflection. sacrebleu downloads that tokenizer's model on
first use; this module never downloads anything: when the model file is not already in
sacrebleu's cache it reports spBLEU as skipped, with a note saying where to put the file.

Lines are compared exactly as given; `read_lines` reads a file the way the `sacrebleu`
command does (trailing whitespace stripped, "\\n" line ends), so that `targman score` and
`sacrebleu` agree on the same files.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import cast

from pipeline.errors import InputError, ScoreError

# Names as they appear in the output (keys of `corpus_scores`).
BLEU, CHRF, TER, SPBLEU = "BLEU", "chrF++", "TER", "spBLEU"
# The spBLEU tokenizer we use (sacrebleu's name).
SPBLEU_TOKENIZER = "flores200"


def _metrics():
    """The metric objects, by output name, in output order."""
    from sacrebleu.metrics import BLEU as Bleu
    from sacrebleu.metrics import CHRF as Chrf
    from sacrebleu.metrics import TER as Ter

    return {BLEU: Bleu(), CHRF: Chrf(word_order=2), TER: Ter()}


def short_signature(name: str, signature: str) -> str:
    """sacrebleu's short form of a (long) signature, e.g. `#:1|c:mixed|e:no|tok:13a|s:exp|v:2.6.0`,
    with sacrebleu's own abbreviations for the metric (spBLEU's are BLEU's)."""
    metric = _metrics().get(BLEU if name == SPBLEU else name)
    if metric is None:
        return signature
    metric.corpus_score(["a"], [["a"]])  # a signature needs a scored corpus (its number of references)
    abbr = getattr(metric.get_signature(), "_abbr", {})
    fields = (field.partition(":") for field in signature.split("|"))
    return "|".join(f"{abbr.get(key, key)}:{value}" if sep else key for key, sep, value in fields)


def spm_model_path(tokenizer: str = SPBLEU_TOKENIZER) -> Path:
    """Where sacrebleu looks for (and would download) the SentencePiece model of `tokenizer`.

    Mirrors `sacrebleu.tokenizers.tokenizer_spm.TokenizerSPM.__init__`: the cache folder is
    `$SACREBLEU` (default `~/.sacrebleu`), read by sacrebleu when it is imported.
    """
    from sacrebleu.tokenizers import tokenizer_spm

    url = tokenizer_spm.SPM_MODELS[tokenizer]["url"]
    return Path(tokenizer_spm.SACREBLEU_DIR) / "models" / os.path.basename(url)


def spbleu_unavailable(tokenizer: str = SPBLEU_TOKENIZER) -> str | None:
    """None when spBLEU can be computed offline, else a note saying why not and what to do."""
    try:
        import sentencepiece  # noqa: F401
    except ImportError:
        return "spBLEU skipped: the sentencepiece package is not installed (pip install sentencepiece)"
    path = spm_model_path(tokenizer)
    if not path.is_file():
        return (
            f"spBLEU skipped: sacrebleu's {tokenizer} SentencePiece model is not at {path} "
            "(sacrebleu downloads it on first use and this machine is offline). Copy the file "
            f"there, or set $SACREBLEU to a folder holding models/{path.name}."
        )
    return None


def _check(hyps: Sequence[str], refs_list: Sequence[Sequence[str]]) -> None:
    if not refs_list:
        raise ScoreError("no reference given: pass at least one reference stream")
    if not hyps:
        raise ScoreError("nothing to score: there are no hypothesis lines")
    for number, refs in enumerate(refs_list, 1):
        if len(refs) != len(hyps):
            raise ScoreError(
                f"reference {number} has {len(refs)} lines but there are {len(hyps)} hypotheses; "
                "hypotheses and references must be line-aligned"
            )


def _entry(metric, score) -> dict:
    entry = {
        "score": score.score,
        "signature": metric.get_signature().format(short=False),
    }
    verbose = getattr(score, "_verbose", "")
    if verbose:
        entry["verbose"] = verbose
    return entry


def corpus_scores(hyps: Sequence[str], refs_list: Sequence[Sequence[str]], tgt: str = "en") -> dict:
    """BLEU, chrF++ and TER (and spBLEU for an Armenian target) of `hyps` against references.

    `refs_list` holds one or more reference streams, each line-aligned with `hyps` (sacrebleu's
    convention). Returns `{name: {"score", "signature"[, "verbose"]}}`; for spBLEU that cannot
    be computed offline, `{"spBLEU": {"skipped": note}}`.
    """
    hyps = list(hyps)
    refs_list = [list(refs) for refs in refs_list]
    _check(hyps, refs_list)
    out = {}
    for name, metric in _metrics().items():
        out[name] = _entry(metric, metric.corpus_score(hyps, refs_list))
    if tgt == "hy":
        note = spbleu_unavailable()
        if note:
            out[SPBLEU] = {"skipped": note}
        else:
            from sacrebleu.metrics import BLEU as Bleu

            metric = Bleu(tokenize=SPBLEU_TOKENIZER)
            out[SPBLEU] = _entry(metric, metric.corpus_score(hyps, refs_list))
    return out


def sentence_chrf(hyp: str, ref: str | Sequence[str]) -> float:
    """Sentence-level chrF++ of one hypothesis (0..100), for sorting segments in the review."""
    from sacrebleu.metrics import CHRF as Chrf

    refs = [ref] if isinstance(ref, str) else list(ref)
    return Chrf(word_order=2).sentence_score(hyp, refs).score


def term_counts(rows: Iterable[dict]) -> dict:
    """Glossary success over segment rows: hits honoured, missed, unverified, and the rate."""
    counts = TermCounts()
    for row in rows:
        counts.add(row)
    return counts.to_dict()


def _with_refs(rows: list[dict]) -> list[int]:
    """Positions of the rows that carry a reference."""
    return [i for i, row in enumerate(rows) if isinstance(row.get("ref"), str)]


def _segment_stats(metric, rows: list[dict], positions: list[int]) -> list:
    """sacrebleu's sufficient statistics of each scored row, computed once.

    `corpus_score` is exactly "extract statistics, then aggregate" (sacrebleu's own
    `_extract_corpus_statistics` / `_aggregate_and_compute`); aggregating subsets of the same
    statistics gives document scores and sentence scores without tokenizing twice. The tests
    compare the results with `corpus_score` and `sentence_score`.
    """
    hyps = [rows[i].get("target") or "" for i in positions]
    refs = [rows[i]["ref"] for i in positions]
    return metric._extract_corpus_statistics(hyps, [refs])


def segment_chrf(rows: Iterable[dict]) -> list[float | None]:
    """Sentence-level chrF++ of each row against its `ref`; None for rows without one."""
    rows = list(rows)
    positions = _with_refs(rows)
    out: list[float | None] = [None] * len(rows)
    if positions:  # no reference, no sacrebleu import
        from sacrebleu.metrics import CHRF as Chrf

        metric = Chrf(word_order=2)
        for i, stats in zip(positions, _segment_stats(metric, rows, positions)):
            out[i] = metric._aggregate_and_compute([stats]).score
    return out


class TermCounts:
    """`term_counts` kept as rows stream by."""

    def __init__(self):
        self.honoured = self.missed = self.unknown = 0

    def add(self, row: dict) -> None:
        for term in row.get("terms") or ():
            value = term.get("honoured")
            if value is True:
                self.honoured += 1
            elif value is False:
                self.missed += 1
            else:
                self.unknown += 1

    def to_dict(self) -> dict:
        checked = self.honoured + self.missed
        return {
            "honoured": self.honoured,
            "missed": self.missed,
            "unverified": self.unknown,
            "rate": round(100.0 * self.honoured / checked, 2) if checked else None,
        }


def _add(total: list | None, stats: list) -> list:
    """Running elementwise sum, in input order: the same float operations as sacrebleu's `sum_of_lists`."""
    return list(stats) if total is None else [a + b for a, b in zip(total, stats)]


def score_segments(rows: Iterable[dict], tgt: str = "en", chunk: int = 1000) -> dict:
    """Per-document and corpus scores of `segments.jsonl` rows, in one streaming pass.

    Rows whose `ref` is a string are scored (a dropped segment's empty target counts against
    it); the runner decides which segments get a reference. Term success counts every row.
    Returns `{"corpus": {...}, "docs": {doc: {...}}}` where the corpus entry has
    `corpus_scores` output (with signatures) and each document has bare numbers
    (`{"BLEU": 31.2, "chrF++": 55.0, "TER": 60.3, ...}`) plus `segments`, `scored` and `terms`.
    Documents without any reference have no metric keys.

    Only sacrebleu's sufficient statistics are kept, summed per document and for the corpus
    as the rows go by (`chunk` scored rows are tokenized at a time), so memory does not grow
    with the number of segments: `corpus_score` is exactly "extract statistics, then
    aggregate", and the sums are made in the same order as sacrebleu makes them.
    """
    names = [BLEU, CHRF, TER]
    corpus: dict = {"segments": 0, "scored": 0}
    if tgt == "hy":
        note = spbleu_unavailable()
        if note:
            corpus[SPBLEU] = {"skipped": note}
        else:
            names.append(SPBLEU)
    metrics: dict = {}  # made at the first reference: a run without references never imports sacrebleu

    def built() -> dict:
        if not metrics:
            metrics.update(_metrics())
            if SPBLEU in names:
                from sacrebleu.metrics import BLEU as Bleu

                metrics[SPBLEU] = Bleu(tokenize=SPBLEU_TOKENIZER)
        return metrics

    totals: dict[str, list | None] = dict.fromkeys(names)
    docs: dict[str, dict] = {}
    doc_totals: dict[str, dict[str, list | None]] = {}
    doc_terms: dict[str, TermCounts] = {}
    corpus_terms = TermCounts()
    pending: list[tuple[str, str, str]] = []

    def flush() -> None:
        for name, metric in built().items():
            stats = metric._extract_corpus_statistics([hyp for _, hyp, _ in pending], [[ref for _, _, ref in pending]])
            mine = doc_totals
            for (doc, _, _), one in zip(pending, stats):
                mine[doc][name] = _add(mine[doc][name], one)
                totals[name] = _add(totals[name], one)
        pending.clear()

    for row in rows:
        doc = row["doc"]
        entry = docs.get(doc)
        if entry is None:
            entry = docs[doc] = {"segments": 0, "scored": 0}
            doc_totals[doc] = dict.fromkeys(names)
            doc_terms[doc] = TermCounts()
        entry["segments"] += 1
        corpus["segments"] += 1
        doc_terms[doc].add(row)
        corpus_terms.add(row)
        if isinstance(row.get("ref"), str):
            entry["scored"] += 1
            corpus["scored"] += 1
            pending.append((doc, row.get("target") or "", row["ref"]))
            if len(pending) >= chunk:
                flush()
    if pending:
        flush()
    for doc, entry in docs.items():
        for name, metric in metrics.items():
            if doc_totals[doc][name] is not None:
                entry[name] = round(metric._compute_score_from_stats(doc_totals[doc][name]).score, 4)
        entry["terms"] = doc_terms[doc].to_dict()
    for name, metric in metrics.items():
        if totals[name] is not None:
            corpus[name] = _entry(metric, metric._compute_score_from_stats(totals[name]))
    corpus = {key: corpus[key] for key in dict.fromkeys((*names, SPBLEU, "segments", "scored")) if key in corpus}
    corpus["terms"] = corpus_terms.to_dict()
    return {"corpus": corpus, "docs": docs}


def read_lines(path: str | os.PathLike) -> list[str]:
    """The lines of a text file as the `sacrebleu` command reads them (UTF-8, rstrip)."""
    try:
        with open(path, encoding="utf-8", newline="\n") as handle:
            return [line.rstrip() for line in handle]
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except UnicodeDecodeError as error:
        raise InputError(path, f"not UTF-8 text ({error.reason} at byte {error.start})") from None


def format_text(scores: dict, width: int = 1) -> str:
    """One line a metric, `NAME|signature = score [details]`, like `sacrebleu -f text`."""
    lines = []
    for name, entry in scores.items():
        if not isinstance(entry, dict) or name in ("terms",):
            continue
        if "skipped" in entry:  # the note names the metric already ("spBLEU skipped: ...")
            note = entry["skipped"]
            lines.append(note if note.startswith(name) else f"{name} skipped: {note}")
        elif "score" in entry:
            line = f"{name}|{entry['signature']} = {entry['score']:.{width}f}"
            if entry.get("verbose"):
                line += f" {entry['verbose']}"
            lines.append(line)
    return "\n".join(lines)


def score(hypotheses: Sequence[str], references: Sequence[str] | Sequence[Sequence[str]], *, tgt: str = "en") -> dict:
    """BLEU, chrF++ and TER (and spBLEU into Armenian) of `hypotheses`, each with its sacrebleu
    signature. `references`: one reference per hypothesis, or several line-aligned streams."""
    # one stream when the first reference is a string (mypy cannot narrow a sequence by its item)
    streams: Sequence[Sequence[str]] = [cast(Sequence[str], references)] if references and isinstance(references[0], str) else references
    return corpus_scores(hypotheses, streams, tgt)
