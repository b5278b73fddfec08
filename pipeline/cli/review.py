"""`targman review OUT_DIR`: rebuild the side-by-side report of a finished run."""

from __future__ import annotations


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "review",
        help="write OUT_DIR/review.html and review.tsv from a run's segments.jsonl and run.json",
        description=(
            "Render the editor's side-by-side report (review.html, one static file) and a "
            "spreadsheet-friendly review.tsv from OUT_DIR/segments.jsonl and OUT_DIR/run.json, "
            "without translating again."
        ),
    )
    parser.add_argument("out_dir", metavar="OUT_DIR", help="the output folder of `targman run`")
    parser.set_defaults(func=cmd_review)


def cmd_review(args) -> int:
    from pipeline.evaluation.report import write_review

    path = write_review(args.out_dir)
    print(path)
    return 0
