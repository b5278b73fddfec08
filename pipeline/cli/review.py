"""`targman review OUT_DIR`: rebuild the side-by-side report of a finished run, or serve it for editing."""

from __future__ import annotations

import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "review",
        help="write OUT_DIR/review.html and review.tsv from a run's segments.jsonl and run.json (--serve: edit it)",
        description=(
            "Render the editor's side-by-side report (review.html, one static file) and a "
            "spreadsheet-friendly review.tsv from OUT_DIR/segments.jsonl and OUT_DIR/run.json, "
            "without translating again. With --serve, open the same page for editing on a local "
            "server: edit a translation in place, mark segments reviewed, and add a glossary concept "
            "from a selection. Post-edits go to OUT_DIR/edits.jsonl and the translation memory; "
            "`targman apply OUT_DIR` writes them into the articles."
        ),
    )
    parser.add_argument("out_dir", metavar="OUT_DIR", help="the output folder of `targman run`")
    parser.add_argument("--serve", action="store_true", help="serve the review page for editing (needs targman[review])")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 = any free port)")
    parser.add_argument("--glossary", metavar="FILE",
                        help="the glossary file concepts are added to (default: the run's, when it is here)")
    parser.add_argument("--who", help="your name, kept with each post-edit (the page can set it too)")
    parser.set_defaults(func=cmd_review)


def cmd_review(args) -> int:
    if not args.serve:
        from pipeline.evaluation.postedit import record_edit_summary
        from pipeline.evaluation.report import write_review

        record_edit_summary(args.out_dir)  # edits made since the run: run.json first, then the report from it
        path = write_review(args.out_dir)
        print(path)
        return 0
    from pathlib import Path

    from pipeline.errors import InputError
    from pipeline.review.server import serve

    if not Path(args.out_dir).is_dir():
        raise InputError(Path(args.out_dir).absolute(), "no such folder; give the output folder of `targman run`")

    serve(args.out_dir, host=args.host, port=args.port, glossary=args.glossary, who=args.who,
          announce=lambda line: print(line, file=sys.stderr, flush=True))
    return 0
