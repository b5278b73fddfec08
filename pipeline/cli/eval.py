"""`targman eval`: translate a line-aligned test set and score it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pipeline.cli.run import add_engine_options, build_config
from pipeline.evaluation.scoring import format_text

DOC_METRICS = ("BLEU", "chrF++", "TER", "spBLEU")


def register(sub) -> None:
    p = sub.add_parser(
        "eval",
        help="translate a line-aligned test set and score it",
        description="Translate SRC (one segment a line) with the configured model and score it against REF "
        "(BLEU, chrF++, TER with sacrebleu signatures; spBLEU into Armenian), per document with --docs. "
        "With -o the translation, the run's segment table and review report are kept there.",
    )
    p.add_argument("--src", required=True, metavar="FILE", help="the source text, one segment a line")
    p.add_argument("--ref", required=True, metavar="FILE", help="the reference translation, line-aligned with SRC")
    p.add_argument("--docs", metavar="FILE", help="document id a line, aligned with SRC (e.g. NTREX's DOCUMENT_IDS.tsv)")
    p.add_argument("-o", "--out", metavar="OUT_DIR", type=Path, help="keep hyp.txt, the run and review.html here")
    p.add_argument("--format", choices=("json", "text"), default="json",
                   help="json (default): corpus and per-document scores with signatures; text: a line a metric, "
                   "then a line a document")
    p.add_argument("--force", action="store_true",
                   help="OUT_DIR holds an evaluation made with other settings: translate everything again")
    add_engine_options(p)
    p.set_defaults(func=cmd_eval)


def cmd_eval(args) -> int:
    from pipeline.batch.testrun import translate_test_set
    from pipeline.evaluation.testset import read_test_set, translate_in_memory

    config = build_config(args)
    test_set = read_test_set(args.src, args.ref, args.docs)
    warn_if_untranslated(test_set.src, config.run.tgt, args.src)
    failed = False
    if args.out:  # the real batch job, whose segment table and review report are kept
        outcome = translate_test_set(test_set, config, args.out, force=args.force)
        failed = bool(outcome["run"].failed)
    else:
        outcome = translate_in_memory(test_set, config)
    scores = outcome["scores"]
    if args.format == "text":
        print(format_text(scores["corpus"]))
        terms = scores["corpus"].get("terms") or {}
        if terms.get("rate") is not None:
            print(f"term success = {terms['rate']:.1f}% ({terms['honoured']}/{terms['honoured'] + terms['missed']} honoured)")
        for doc, entry in (scores.get("docs") or {}).items():
            print(doc_line(doc, entry))
    else:
        print(json.dumps(scores, ensure_ascii=False, indent=1))
    return 1 if failed else 0


def warn_if_untranslated(src_lines: list[str], tgt: str | None, name: str) -> None:
    """Most source lines already in the target language pass through as they are, and would be
    scored as if translated: say so (a swapped --src/--ref or a wrong --tgt) before translating."""
    from pipeline.documents.script import detect_language

    if not tgt:
        return
    langs = [detect_language(line) for line in src_lines if line.strip()]
    same = sum(lang == tgt for lang in langs)
    if langs and same * 2 > len(langs):
        other = {"en": "hy", "hy": "en"}.get(tgt)
        hint = f"; did you mean --tgt {other}, or are --src and --ref swapped?" if other else ""
        print(f"targman: warning: {same} of {len(langs)} source line(s) are already in {tgt} (--tgt {tgt}) in {name}: "
              f"they pass through untranslated and are scored as they are{hint}", file=sys.stderr)


def doc_line(doc: str, entry: dict) -> str:
    """One document's scores on a line: `d1  BLEU 31.2  chrF++ 55.0  TER 60.3  terms 75.0% (3/4)`."""
    bits = [f"{name} {entry[name]:.1f}" for name in DOC_METRICS if isinstance(entry.get(name), (int, float))]
    terms = entry.get("terms") or {}
    if terms.get("rate") is not None:
        bits.append(f"terms {terms['rate']:.1f}% ({terms['honoured']}/{terms['honoured'] + terms['missed']})")
    return "  ".join([doc, *bits]) if bits else f"{doc}  (not scored)"
