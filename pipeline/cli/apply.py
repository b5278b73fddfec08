"""`targman apply OUT_DIR`: rewrite the output articles with the editors' post-edits."""

from __future__ import annotations

import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "apply",
        help="rewrite the output articles with the post-edits (review page, XLIFF import)",
        description=(
            "Write the latest post-edit of every segment (OUT_DIR/edits.jsonl) into the translated articles, "
            "without loading a model: only the edited sentences change. Only articles targman wrote and nobody "
            "changed since are replaced; segments.jsonl (origin: human), run.json (post_edits) and the review "
            "report follow. A later `targman run` over the folder keeps them."
        ),
    )
    parser.add_argument("out_dir", metavar="OUT_DIR", help="the output folder of `targman run`")
    parser.set_defaults(func=cmd_apply)


def cmd_apply(args) -> int:
    from pipeline.review.apply import apply_edits

    result = apply_edits(args.out_dir)
    for rel, why in result.skipped:
        print(f"targman: {rel}: left as it is: {why}", file=sys.stderr)
    print(f"targman: {result.segments} post-edited segment(s) written into {len(result.files)} article(s)"
          + (f", {len(result.skipped)} left as they were" if result.skipped else ""), file=sys.stderr)
    return 1 if result.skipped else 0
