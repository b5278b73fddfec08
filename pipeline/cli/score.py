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
    parser.add_argument("out_dir", nargs="?", metavar="OUT_DIR",
                        help="instead of --hyp/--ref: the post-edit metrics of a run (HTER of the machine output "
                             "against the editors' text, with TER's signature; segments edited; terms added)")
    parser.add_argument("--hyp", metavar="FILE", help="the translation, one segment a line")
    parser.add_argument(
        "--ref", action="append", metavar="FILE",
        help="a reference translation, line-aligned with --hyp (repeat for several references)",
    )
    parser.add_argument("--tgt", choices=("hy", "en"), default="en", help="target language (default: en)")
    parser.add_argument("--format", choices=("json", "text"), default="json", help="output format (default: json)")
    parser.add_argument("--width", type=int, default=1, help="decimals in --format text (default: 1)")
    parser.set_defaults(func=cmd_score, parser=parser)


def cmd_score(args) -> int:
    if args.out_dir is not None:
        return cmd_score_run(args)
    if not args.hyp or not args.ref:
        args.parser.error("the following arguments are required: --hyp, --ref (or give a run's OUT_DIR)")
    hyps = read_lines(args.hyp)
    refs_list = [read_lines(path) for path in args.ref]
    scores = corpus_scores(hyps, refs_list, args.tgt)
    if args.format == "text":
        print(format_text(scores, args.width))
    else:
        print(json.dumps(scores, ensure_ascii=False, indent=1))
    return 0


def cmd_score_run(args) -> int:
    """`targman score OUT_DIR`: how much editors changed the run."""
    from pipeline.errors import TargmanError
    from pipeline.evaluation import postedit
    from pipeline.review.session import ReviewSession

    if args.hyp or args.ref:
        raise TargmanError("give either OUT_DIR (post-edit metrics of a run) or --hyp and --ref, not both")
    session = ReviewSession(args.out_dir, memory=False)
    metrics = postedit.post_edit_metrics(session.rows, session.edits.read(), session.tgt, glossary=session.glossary(),
                                         concepts=session.log.concepts())
    if args.format == "text":
        print(postedit.format_text(metrics))
    else:
        print(json.dumps({"post_edits": metrics}, ensure_ascii=False, indent=1))
    return 0
