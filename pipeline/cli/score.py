"""`targman score`: sacrebleu's BLEU, chrF++ and TER (and spBLEU into Armenian) of a file."""

from __future__ import annotations

import json

from pipeline.evaluation.scoring import corpus_scores, format_text, read_lines


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "score",
        help="score a translation against reference(s) with sacrebleu",
        description=(
            "Print BLEU, chrF++ and TER of HYP against the reference file(s), each with its "
            "sacrebleu signature; the numbers equal the `sacrebleu` command's on the same files. "
            "For --tgt hy also spBLEU (flores200 tokenizer), or a note why it was skipped."
        ),
    )
    parser.add_argument("--hyp", required=True, metavar="FILE", help="the translation, one segment a line")
    parser.add_argument(
        "--ref", required=True, action="append", metavar="FILE",
        help="a reference translation, line-aligned with --hyp (repeat for several references)",
    )
    parser.add_argument("--tgt", choices=("hy", "en"), default="en", help="target language (default: en)")
    parser.add_argument("--format", choices=("json", "text"), default="json", help="output format (default: json)")
    parser.add_argument("--width", type=int, default=1, help="decimals in --format text (default: 1)")
    parser.set_defaults(func=cmd_score)


def cmd_score(args) -> int:
    hyps = read_lines(args.hyp)
    refs_list = [read_lines(path) for path in args.ref]
    scores = corpus_scores(hyps, refs_list, args.tgt)
    if args.format == "text":
        print(format_text(scores, args.width))
    else:
        print(json.dumps(scores, ensure_ascii=False, indent=1))
    return 0
