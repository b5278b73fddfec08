"""`targman export` / `targman import`: a run as XLIFF for a CAT tool, and the edited file back."""

from __future__ import annotations

import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write a run's translated segments as XLIFF 2.1 or 1.2 for a CAT tool",
        description=(
            "Write every segment the engine translated in OUT_DIR as XLIFF: one <file> per document, one unit "
            "per segment (unit id = the segment key), source and target languages, the current translation "
            "(an editor's post-edit when there is one) with its state (translated / reviewed / final), a note "
            "per flag, and the glossary terms of the source as term annotations. Edit it in memoQ, Trados, "
            "OmegaT or Phrase, then `targman import OUT_DIR FILE`."
        ),
    )
    parser.add_argument("out_dir", metavar="OUT_DIR", help="the output folder of `targman run`")
    parser.add_argument("--format", choices=("xliff", "xliff12"), default="xliff",
                        help="xliff: XLIFF 2.1 (default); xliff12: XLIFF 1.2, for older tools")
    parser.add_argument("-o", "--output", required=True, metavar="FILE", help="the XLIFF file to write, e.g. run.xlf (- for standard output)")
    parser.add_argument("--src", metavar="LANG",
                        help="export the segments of this source language (default: the run's most common one)")
    parser.set_defaults(func=cmd_export)

    parser = subparsers.add_parser(
        "import",
        help="take a translator's edited XLIFF back into the run as post-edits",
        description=(
            "Read an XLIFF file exported from OUT_DIR and edited in a CAT tool. Each unit whose segment is still "
            "in the run with the same source is taken: a changed target becomes a post-edit (edits.jsonl, via "
            "xliff, and the translation memory), a unit marked reviewed or final is marked reviewed. Units whose "
            "source changed, or that the run does not have, are listed and left out. A file exported from another "
            "run is refused. Then `targman apply OUT_DIR` writes the post-edits into the articles."
        ),
    )
    parser.add_argument("out_dir", metavar="OUT_DIR", help="the output folder the file was exported from")
    parser.add_argument("xliff", metavar="FILE", help="the edited XLIFF 2.x or 1.2 file")
    parser.add_argument("--who", help="the translator's name, kept with each post-edit")
    parser.add_argument("--force", action="store_true",
                        help="take a file exported from another run folder (still only units whose source matches)")
    parser.add_argument("--prefer", choices=("newer", "file"), default="newer",
                        help="a unit the translator changed whose segment was also changed in the run since the "
                             "export: newer (default) keeps the run's text and lists the conflict; file takes the "
                             "file's text")
    parser.set_defaults(func=cmd_import)


def cmd_export(args) -> int:
    from pipeline.review.xliff import FORMATS, export_xliff

    result = export_xliff(args.out_dir, args.output, version=FORMATS[args.format], src=args.src)
    left = "".join(f"; {count} left out ({why})" for why, count in result.left_out.items())
    print(f"targman: wrote {result.units} unit(s) of {result.documents} document(s) as XLIFF {result.version} "
          f"to {'standard output' if str(result.path) == '-' else result.path}{left}", file=sys.stderr)
    return 0


def cmd_import(args) -> int:
    import os
    import stat

    from pipeline.errors import InputError
    from pipeline.review.xliff import MAX_BYTES, import_xliff

    try:  # its size before a byte is read: a 1.2 GB file is refused, not loaded into memory first
        info = os.stat(args.xliff)
    except OSError as error:
        raise InputError(args.xliff, f"cannot read ({error.strerror or error})") from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError(args.xliff, "not a regular file; give the XLIFF file `targman export` wrote")
    if info.st_size > MAX_BYTES:
        raise InputError(args.xliff, f"{info.st_size / 2**20:.0f} MB, larger than {MAX_BYTES // 2**20} MB; "
                                     "not an XLIFF file that `targman export` wrote")
    result = import_xliff(args.out_dir, args.xliff, who=args.who, force=args.force, prefer=args.prefer)
    for uid, why in result.not_applied[:50]:
        print(f"targman: {args.xliff}: unit {uid}: not applied: {why}", file=sys.stderr)
    if len(result.not_applied) > 50:
        print(f"targman: ... and {len(result.not_applied) - 50} more not applied", file=sys.stderr)
    for conflict in result.conflicts[:50]:
        print(f"targman: {args.xliff}: unit {conflict['unit']}: conflict: the segment was changed since the export; "
              f"kept {conflict['current']!r}, not applied {conflict['theirs']!r}", file=sys.stderr)
    if len(result.conflicts) > 50:
        print(f"targman: ... and {len(result.conflicts) - 50} more conflicts", file=sys.stderr)
    outdated = f" ({result.outdated} of them changed in the run since the export: kept)" if result.outdated else ""
    conflicts = (f", {len(result.conflicts)} conflict(s) not applied (to take the file's text: --prefer file)"
                 if result.conflicts else "")
    print(f"targman: {result.units} unit(s): {result.edited} post-edit(s) taken, {result.reviewed} marked reviewed, "
          f"{result.unchanged} unchanged{outdated}, {len(result.not_applied)} not applied{conflicts}"
          + (f"; `targman apply {args.out_dir}` writes them into the articles" if result.edited else ""),
          file=sys.stderr)
    return 0
