"""`targman eval`: translate a line-aligned test set and score it."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.cli.run import add_engine_options, build_config
from pipeline.evaluation.scoring import format_text


def register(sub) -> None:
    p = sub.add_parser(
        "eval",
        help="translate a line-aligned test set and score it",
        description="Translate SRC (one segment a line) with the configured model and score it against REF "
        "(BLEU, chrF++, TER with sacrebleu signatures; spBLEU into Armenian), per document with --docs. "
        "With -o the translation, the run's segment table and review report are kept there.",
    )
    p.add_argument("--src", required=True, metavar="FILE")
    p.add_argument("--ref", required=True, metavar="FILE")
    p.add_argument("--docs", metavar="FILE", help="document id a line, aligned with SRC (e.g. NTREX's DOCUMENT_IDS.tsv)")
    p.add_argument("-o", "--out", metavar="OUT_DIR", type=Path, help="keep hyp.txt, the run and review.html here")
    p.add_argument("--format", choices=("json", "text"), default="json")
    add_engine_options(p)
    p.set_defaults(func=cmd_eval)


def cmd_eval(args) -> int:
    from pipeline.evaluation.testset import read_test_set, translate_in_memory, translate_test_set

    config = build_config(args)
    test_set = read_test_set(args.src, args.ref, args.docs)
    failed = False
    if args.out:  # the real batch job, whose segment table and review report are kept
        outcome = translate_test_set(test_set, config, args.out)
        failed = bool(outcome["run"].failed)
    else:
        outcome = translate_in_memory(test_set, config)
    scores = outcome["scores"]
    if args.format == "text":
        print(format_text(scores["corpus"]))
    else:
        print(json.dumps(scores, ensure_ascii=False, indent=1))
    return 1 if failed else 0
