"""`targman glossary`: lint, fmt, add, edit, rm, match and convert desk glossaries."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from pipeline.errors import ConfigError, InputError
from pipeline.glossary import GlossaryError, Matcher, edit, formats, load
from pipeline.glossary.schema import OPTIONS, TYPES


def register(subparsers) -> None:
    parser = subparsers.add_parser("glossary", help="check, format, add/edit/remove concepts, search and convert glossaries",
                                   description="Desk glossaries: concept-per-row TSV files (see glossaries/README.md).")
    sub = parser.add_subparsers(dest="glossary_command", metavar="ACTION", required=True)

    p = sub.add_parser("lint", help="report every problem as FILE:LINE: message (exit 1 if any)")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="the glossary file(s) to check")
    p.set_defaults(func=cmd_lint)

    p = sub.add_parser("fmt", help="rewrite in canonical order and spacing, so diffs stay small")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="the glossary file(s) to rewrite in place")
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file is not canonical")
    p.set_defaults(func=cmd_fmt)

    p = sub.add_parser("add", help="add a concept (the file stays canonical and lint-clean)",
                       description="Add a concept as one new row, sorted by id into the section that holds "
                       "most concepts of its type (# People for --type person). The id is made from the "
                       "preferred English term unless --id is given. Refused when the result fails lint.")
    p.add_argument("file", type=Path, metavar="FILE", help="the glossary file (made if missing)")
    p.add_argument("--type", required=True, choices=TYPES, help="the concept's type; it decides the section")
    p.add_argument("--id", help="concept id (default: made from the preferred English term)")
    _concept_options(p, default="")
    p.set_defaults(func=cmd_add)

    p = sub.add_parser("edit", help="change fields of one concept (every other line stays as it is)",
                       description="Set the given fields of concept ID; fields not given stay as they are. "
                       "Refused when the result fails lint.")
    p.add_argument("file", type=Path, metavar="FILE", help="the glossary file")
    p.add_argument("concept", metavar="ID", help="the concept's id (first column)")
    p.add_argument("--type", choices=TYPES, help="a new type for the concept")
    _concept_options(p, default=None)
    p.set_defaults(func=cmd_edit)

    p = sub.add_parser("rm", help="remove concepts by id (every other line stays as it is)")
    p.add_argument("file", type=Path, metavar="FILE", help="the glossary file")
    p.add_argument("concepts", nargs="+", metavar="ID", help="the ids of the concepts to remove")
    p.set_defaults(func=cmd_rm)

    p = sub.add_parser("match", help="find glossary terms in text; one JSON object a match")
    p.add_argument("--glossary", required=True, type=Path, metavar="FILE", help="the glossary whose terms to find")
    p.add_argument("--lang", required=True, help="language of the text (hy, en)")
    p.add_argument("--to", help="add the target term in this language (default: the other one)")
    p.add_argument("--stats", action="store_true", help="print matches per concept on stderr")
    p.add_argument("text", nargs="?", default="-", metavar="TEXT_FILE", help="text file, or - for stdin")
    p.set_defaults(func=cmd_match)

    p = sub.add_parser("merge", help="add the concepts of FILEs (TSV, TBX, CSV) to GLOSSARY in canonical order",
                       description="Add each concept of FILE (e.g. from `targman names suggest`) to GLOSSARY, sorted "
                       "into its section, the file staying canonical and lint-clean. A concept whose id or one of "
                       "whose terms GLOSSARY has already is skipped, and said so on stderr.")
    p.add_argument("glossary", type=Path, metavar="GLOSSARY", help="the desk glossary (TSV) to add to, in place")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE",
                   help="glossary files to take concepts from (TSV, e.g. `names suggest`; TBX; CSV)")
    p.add_argument("--check", action="store_true", help="change nothing; say what would be added and skipped")
    p.set_defaults(func=cmd_merge)

    p = sub.add_parser("convert", help="convert by extension: .tsv (native), .tbx (TBX-Basic), .csv",
                       description="Read the glossary IN and write it as OUT, each in the format its extension "
                       "names: .tsv (targman's own), .tbx (TBX-Basic, e.g. from memoQ, Trados or a termbase) or "
                       ".csv (the shapes of the big MT services' glossaries, --shape). A converted glossary is "
                       "linted; its problems are printed, to fix in OUT.")
    p.add_argument("src", type=Path, metavar="IN", help="the glossary to read (.tsv, .tbx or .csv)")
    p.add_argument("dst", type=Path, metavar="OUT", help="the file to write (.tsv, .tbx or .csv)")
    p.add_argument("--shape", choices=formats.SHAPES, default="google", help="CSV shape (default google)")
    p.add_argument("--src-lang", help="source language of directional CSV shapes (default: first)")
    p.add_argument("--tgt-lang", help="target language of directional CSV shapes")
    p.add_argument("--type", choices=TYPES, default="term", help="type for concepts from CSV/TBX that have none")
    p.add_argument("--tbx-version", choices=("3", "2"), default="3",
                   help="TBX to write: 3 (ISO 30042:2019 <tbx>, the default) or 2 (<martif>, for older tools)")
    p.set_defaults(func=cmd_convert)


def _concept_options(p: argparse.ArgumentParser, default) -> None:
    """The fields of a concept, for `add` (empty by default) and `edit` (None: leave it)."""
    for lang in ("en", "hy"):
        p.add_argument(f"--{lang}", default=default, help=f"{lang} terms: preferred|variant|!forbidden")
        p.add_argument(f"--{lang}-short", default=default, help=f"{lang} short forms (surname, acronym)")
    p.add_argument("--option", action="append", default=None, choices=sorted(OPTIONS),
                   help="case, nocase or dnt (repeat for several)")
    p.add_argument("--note", default=default, help="a note for the desk (who, what, since when)")
    p.add_argument("--set", action="append", default=[], metavar="COLUMN=VALUE",
                   help="any other column, e.g. --set ru=\"Сергей Лавров\" (a language column the file "
                   "lacks is added; other rows leave it empty)")


def _values(args: argparse.Namespace) -> dict[str, str]:
    """The fields given on the command line, by column (None: not given)."""
    values = {"type": args.type, "en": args.en, "hy": args.hy, "en_short": args.en_short,
              "hy_short": args.hy_short, "note": args.note,
              "options": None if args.option is None else ",".join(args.option)}
    for item in args.set:
        column, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--set {item!r} must look like COLUMN=VALUE")
        values[column.strip()] = value
    return {column: value for column, value in values.items() if value is not None}


def _write(path: Path, text: str, added: list[str]) -> None:
    path.write_text(text, encoding="utf-8", newline="\n")
    for column in added:
        print(f"added column {column} to {path} (empty in the other rows)", file=sys.stderr)


def cmd_lint(args: argparse.Namespace) -> int:
    total = 0
    for path in args.files:
        problems = edit.lint_file(path)
        for problem in problems:
            print(problem)
        total += len(problems)
    print(f"{total} problem{'s' if total != 1 else ''} in {len(args.files)} file(s)", file=sys.stderr)
    return 1 if total else 0


def cmd_fmt(args: argparse.Namespace) -> int:
    status = 0
    for path in args.files:
        try:
            data = path.read_bytes()
        except OSError as error:
            raise InputError(path, f"cannot read: {error.strerror}") from None
        try:
            text = edit.fmt_bytes(data, str(path))
        except GlossaryError as error:
            print(error, file=sys.stderr)
            print(f"{path}: fmt changes nothing in a file with problems it cannot fix: fix these by hand, "
                  "then run fmt again for the spacing, order and Unicode form", file=sys.stderr)
            status = 1
            continue
        if text.encode() == data:
            continue
        if args.check:
            print(f"{path}: not in canonical form (run `targman glossary fmt {path}`)")
            status = 1
        else:
            path.write_text(text, encoding="utf-8", newline="\n")
            print(f"reformatted {path}", file=sys.stderr)
    return status


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise InputError(path, f"cannot read: {error.strerror}") from None


def cmd_add(args: argparse.Namespace) -> int:
    data = args.file.read_bytes() if args.file.exists() else b""
    added: list[str] = []
    text, concept_id = edit.add_concept(data, str(args.file), _values(args), args.id, added=added)
    _write(args.file, text, added)
    print(f"added {concept_id} to {args.file}", file=sys.stderr)
    return 0


def cmd_edit(args: argparse.Namespace) -> int:
    values = _values(args)
    if not values:
        raise ConfigError("nothing to change: give the fields to set (--en, --hy, --note, --set COLUMN=VALUE, ...)")
    text, added = edit.edit_concept(_read(args.file), str(args.file), args.concept, values)
    _write(args.file, text, added)
    print(f"changed {args.concept} in {args.file}: {', '.join(values)}", file=sys.stderr)
    return 0


def cmd_rm(args: argparse.Namespace) -> int:
    data = _read(args.file)
    for concept_id in args.concepts:
        data = edit.remove_concept(data, str(args.file), concept_id).encode("utf-8")
    _write(args.file, data.decode("utf-8"), [])
    print(f"removed {', '.join(args.concepts)} from {args.file}", file=sys.stderr)
    return 0


def _lines(source: str):
    if source == "-":
        stream = sys.stdin
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")
        yield from enumerate((line.rstrip("\r\n") for line in stream), start=1)
        return
    path = Path(source)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(path, f"cannot read: {error.strerror}") from None
    raw_lines = data.split(b"\n")
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()  # the newline that ends the last line does not start another
    for number, raw in enumerate(raw_lines, start=1):
        try:
            yield number, raw.decode("utf-8").rstrip("\r")
        except UnicodeDecodeError:
            raise InputError(path, "not UTF-8; save the text as UTF-8", line=number) from None


def cmd_match(args: argparse.Namespace) -> int:
    glossary = load(args.glossary)
    if args.lang not in glossary.languages:
        raise ConfigError(f"--lang {args.lang}: {args.glossary} has the languages "
                          f"{', '.join(glossary.languages)}")
    if args.to and args.to not in glossary.languages:
        raise ConfigError(f"--to {args.to}: {args.glossary} has the languages {', '.join(glossary.languages)}")
    target = args.to or next((l for l in glossary.languages if l != args.lang), None)
    matcher = Matcher(glossary, args.lang)
    counts: Counter = Counter()
    lines = 0
    for number, line in _lines(args.text):
        lines += 1
        for match in matcher.find(line):
            row = {"line": number, **match.to_row()}
            if target:
                term = glossary.concepts[match.concept].preferred(target, match.kind)
                row["target"] = term.text if term is not None else None  # no term in that language yet
            print(json.dumps(row, ensure_ascii=False))
            counts[match.concept] += 1
    print(f"{sum(counts.values())} matches of {len(counts)} concepts in {lines} lines", file=sys.stderr)
    if args.stats:
        for concept, n in counts.most_common():
            print(f"{n:6d}  {concept}", file=sys.stderr)
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    from pipeline.names.suggest import merge

    text, added, skipped = merge(args.glossary, args.files)
    for line in skipped:
        print(f"skipped {line}", file=sys.stderr)
    if added and not args.check:
        _write(args.glossary, text, [])
    verb = "would add" if args.check else "added"
    print(f"{verb} {len(added)} concept(s) to {args.glossary}" + (f": {', '.join(added)}" if added else "")
          + (f"; skipped {len(skipped)}" if skipped else ""), file=sys.stderr)
    return 0


def cmd_convert(args: argparse.Namespace) -> int:
    text, notes, problems = formats.convert_glossary(args.src, args.dst, args.shape, args.src_lang,
                                            args.tgt_lang, args.type, args.tbx_version)
    args.dst.write_text(text, encoding="utf-8", newline="\n")
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    for problem in problems:
        print(problem)
    print(f"wrote {args.dst}" + (f" ({len(problems)} lint problems to fix)" if problems else ""),
          file=sys.stderr)
    return 1 if problems else 0
