"""`targman names`: find names in text, romanize them the desk's way, suggest new ones for the glossary."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pipeline.errors import ConfigError, InputError

_SURNAME_ENDING = (("--surname-ending",), {"choices": ("yan", "ian"), "default": "yan",
                                            "help": "how the desk writes -յան: yan (Pashinyan, default) or ian"})
# (action, function name, help, description, arguments as (flags, add_argument keywords))
ACTIONS = (
    ("find", "cmd_find", "one JSON line a name: line, start, end, text, lemma, en, hy, type, concept",
     ("Find the names in FILEs (or standard input): people, places and organisations, with the Armenian lemma "
     "(Փաշինյանին -> Փաշինյան), the spelling in each language (the glossary's, else the desk's romanization) and "
     "the glossary concept, if any. Offsets are characters in the line, end exclusive; lines count from 1 in each "
     "file. An HTML page or a Word file is read as a run reads it: its text without markup, a line a paragraph."),
     ((("files",), {"nargs": "*", "type": Path, "metavar": "FILE", "help": "text files to read (default: standard input)"}),
      (("--lang",), {"choices": ("hy", "en"), "help": "the text's language (default: from its script)"}),
      (("--glossary",), {"type": Path, "metavar": "G", "help": "a desk glossary (TSV): its names come with their concept"}),
      _SURNAME_ENDING)),
    ("romanize", "cmd_romanize", "Armenian names in Latin letters (or back, with --tgt hy), one a line",
     ("Romanize each NAME (or each line of standard input). news (the default) is BGN/PCGN as English-language news "
     "writes it: Փաշինյան -> Pashinyan, Երևան -> Yerevan; people known by a spelling of their own take it "
     "(Սերժ Թանկյան -> Serj Tankian). With --tgt hy, English spellings of Armenian names go back to Armenian where "
     "that is unambiguous (an empty line where it is not)."),
     ((("names",), {"nargs": "*", "metavar": "NAME", "help": "names to romanize (default: a name a line on standard input)"}),
      (("--style",), {"choices": ("news", "bgn", "ala-lc", "iso9985"), "default": "news",
                      "help": "news (default: BGN/PCGN as English-language news writes it), bgn, ala-lc or iso9985"}),
      _SURNAME_ENDING,
      (("--tgt",), {"choices": ("en", "hy"), "default": "en", "help": "hy: from Latin back to Armenian"}))),
    ("suggest", "cmd_suggest", "the run's names the glossary lacks, as glossary TSV (passes lint)",
     ("List the names of the run in OUT_DIR that have no glossary concept, most frequent first, as glossary TSV: "
     "type, en (the run's chosen spelling, or an editor's), hy (the lemma), and a note with the count and the "
     "documents. Add them with `targman glossary merge GLOSSARY FILE`."),
     ((("out_dir",), {"type": Path, "metavar": "OUT_DIR", "help": "the output folder of `targman run`"}),
      (("-o", "--output"), {"type": Path, "metavar": "FILE", "help": "write here instead of standard output"}))),
)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "names", help="find names in text, romanize them, suggest the run's new names for the glossary",
        description="Names the glossary does not know yet (docs/names.md).")
    sub = parser.add_subparsers(dest="names_command", metavar="ACTION", required=True)
    for action, func, help_text, description, arguments in ACTIONS:
        p = sub.add_parser(action, help=help_text, description=description)
        for flags, keywords in arguments:
            p.add_argument(*flags, **keywords)
        p.set_defaults(func=globals()[func])


def _stdin_lines() -> list[str]:
    stream = sys.stdin
    if hasattr(stream, "reconfigure"):
        stream.reconfigure(encoding="utf-8")
    return [line.rstrip("\r\n") for line in stream]


def _lines(files: list[Path]):
    """(file name, the file's lines) for each FILE, or standard input. An HTML page or a Word
    file gives the text a run translates (not its markup, scripts or zip bytes): a line a paragraph."""
    if not files:
        yield "<stdin>", _stdin_lines()
        return
    from pipeline.documents.reader import DOCX_SUFFIXES, HTML_SUFFIXES

    for path in files:
        if path.suffix.lower() in HTML_SUFFIXES | DOCX_SUFFIXES:
            yield str(path), _document_lines(path)
            continue
        try:
            text = path.read_bytes().decode("utf-8")
        except OSError as error:
            raise InputError(path, f"cannot read: {error.strerror}") from None
        except UnicodeDecodeError as error:
            line = path.read_bytes()[: error.start].count(b"\n") + 1
            raise InputError(path, "not UTF-8; save the text as UTF-8", line=line) from None
        yield str(path), text.removeprefix("\ufeff").splitlines()


def _document_lines(path: Path) -> list[str]:
    from pipeline.documents.reader import read_file

    if not path.is_file():
        raise InputError(path, "no such file")
    document = read_file(path.resolve().parent, path.resolve())
    return [text for article in document.articles for text, _, _ in article.paragraphs]


def cmd_find(args: argparse.Namespace) -> int:
    from pipeline.names.find import NameFinder

    glossary = None
    if args.glossary:
        from pipeline.glossary import load

        glossary = load(args.glossary)
    finder = NameFinder(glossary, surname_ending=args.surname_ending)
    count = 0
    for name, lines in _lines(args.files):
        for found in finder.find(lines, args.lang):
            row = found.to_row()
            if len(args.files) > 1:
                row = {"file": name, **row}
            print(json.dumps(row, ensure_ascii=False))
            count += 1
    print(f"{count} names", file=sys.stderr)
    return 0


def cmd_romanize(args: argparse.Namespace) -> int:
    from pipeline.names.romanize import romanize, to_armenian

    names = args.names or _stdin_lines()
    if args.tgt == "hy" and args.style != "news":
        raise ConfigError("--tgt hy reads English-language news spellings; leave out --style")
    unknown = 0
    for name in names:
        if args.tgt == "hy":
            back = to_armenian(name) if name.strip() else ""
            if back is None:
                unknown += 1
            print(back or "")
        else:
            print(romanize(name, args.style, surname_ending=args.surname_ending))
    if unknown:
        print(f"{unknown} name(s) left empty: their Armenian spelling is ambiguous (t: տ or թ, k: կ or ք, ...)",
              file=sys.stderr)
    return 0


def cmd_suggest(args: argparse.Namespace) -> int:
    from pipeline.names.suggest import suggest_tsv, suggestions

    text = suggest_tsv(args.out_dir)
    count = len(suggestions(args.out_dir))
    if args.output:
        try:
            args.output.write_text(text, encoding="utf-8", newline="\n")
        except OSError as error:
            raise InputError(args.output, f"cannot write: {error.strerror}") from None
        print(f"wrote {count} new name(s) to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
        print(f"{count} new name(s)", file=sys.stderr)
    return 0
