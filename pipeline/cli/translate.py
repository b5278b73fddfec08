"""`targman translate`: paragraphs in, paragraphs out (standard input or a file, to standard output).

    targman translate --tgt en [--glossary G] < in.txt > out.txt

A line is a paragraph, as in a `.txt` article: it is cut into sentences, each routed as in a
run (what is already in the target language passes through untouched), translated through
the public `Translator` (glossary, translation memory, checks), and written back on its own
line, so the output is line-aligned with the input. Flags and glossary terms go to stderr, a
line each, or with `--jsonl FILE` one JSON record a line to FILE.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from pipeline.cli.run import add_model_options, build_config


def register(sub) -> None:
    p = sub.add_parser(
        "translate",
        help="translate text: a paragraph a line, from standard input (or FILE) to standard output",
        description="Translate paragraphs (a paragraph a line) from FILE or standard input to standard output, "
        "line by line; what is already in the target language passes through untouched. Flags and glossary "
        "terms go to stderr, or to --jsonl FILE as one JSON record a line. Example: "
        "targman translate --tgt en --glossary glossaries/desk.tsv < article.txt > article.en.txt. "
        "An HTML page, a Markdown story or a Word file given as FILE comes back in its own format, translated "
        "in place: targman translate --tgt en page.html -o page.en.html",
    )
    p.add_argument("file", nargs="?", default="-", metavar="FILE", help="UTF-8 text to translate (default: - for stdin)")
    p.add_argument("-o", "--output", metavar="OUT", type=Path,
                   help="write the translation to OUT instead of standard output (a Word file needs it on a terminal)")
    p.add_argument("--jsonl", metavar="FILE", type=Path,
                   help="write a JSON record a line (line, source, text, src_lang, flags, notes, terms, score) to FILE "
                   "instead of the flag lines on stderr")
    add_model_options(p)
    p.set_defaults(func=cmd_translate, keep_boilerplate=False, keep_duplicates=False, progress=None)


def read_lines(source: str) -> Iterator[str]:
    """The lines of FILE or stdin, without their line ends (a BOM at the start is dropped)."""
    from pipeline.errors import InputError

    if source == "-":
        stream = sys.stdin
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="strict")
    else:
        try:
            stream = open(source, encoding="utf-8")
        except OSError as error:
            raise InputError(source, f"cannot read: {error.strerror}") from None
    try:
        for number, line in enumerate(stream, 1):
            if number == 1:
                line = line.removeprefix("\ufeff")
            yield line.rstrip("\r\n")
    except UnicodeDecodeError as error:
        raise InputError(source if source != "-" else "<stdin>", f"not UTF-8 text ({error.reason}); "
                         "save it as UTF-8") from None
    finally:
        if stream is not sys.stdin:
            stream.close()


def described(row: dict) -> str:
    """A record as a line for stderr: its flags (with their notes) and its glossary terms."""
    bits = []
    notes = row.get("notes") or {}
    flags = [f"{flag} [{'; '.join(notes[flag])}]" if notes.get(flag) else flag for flag in row["flags"]]
    if flags:
        bits.append(", ".join(flags))
    marks = {True: "ok", False: "MISSED", None: "not checked"}
    if row["terms"]:
        bits.append("terms " + "; ".join(f"{t['source']} -> {t['target']} ({marks.get(t['honoured'])})"
                                         for t in row["terms"]))
    return f"line {row['line']}: " + "; ".join(bits) if bits else ""


DOCUMENT_SUFFIXES = {".html", ".htm", ".md", ".markdown", ".docx"}


def translate_document(args: argparse.Namespace, config) -> int:
    """A whole document (HTML, Markdown, Word) in, the same document translated out: read, cut
    and written as a run does it (`documents.reader`, `documents.writer`)."""
    from pipeline.batch.jobs import segment_file
    from pipeline.documents.reader import read_file
    from pipeline.documents.writer import render_file
    from pipeline.errors import InputError
    from pipeline.translation.translator import Translator

    path = Path(args.file)
    if not path.is_file():
        raise InputError(args.file, "no such file")
    mb = 1024 * 1024
    file = read_file(path.parent.resolve(), path.resolve(), max_bytes=config.run.max_file_mb * mb,
                     max_line_chars=config.run.max_line_chars, html=config.html)
    per_article = segment_file(file, config)
    segments = [s for _, group in per_article for s in group]
    with Translator(config) as translator:
        translator.translate_segments(segments, tgt=config.run.tgt)
    written = render_file(file, per_article, config.run.tgt)  # also flags markup-moved
    data = written if isinstance(written, bytes) else written.encode("utf-8")
    if args.output:
        from pipeline.atomic import atomic_write_text

        atomic_write_text(args.output, written)
    elif isinstance(written, bytes) and sys.stdout.isatty():
        raise InputError(args.file, "a Word file is not written to a terminal: give -o OUT.docx")
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    records = open(args.jsonl, "w", encoding="utf-8") if args.jsonl else None
    try:
        for segment in segments:
            row = {"doc": segment.doc, "index": segment.index, "source": segment.source, "text": segment.target,
                   "kind": segment.kind, "src_lang": segment.src_lang, "flags": list(segment.flags),
                   "terms": [t.to_row() for t in segment.terms]}
            if records is not None:
                records.write(json.dumps(row, ensure_ascii=False) + "\n")
            elif segment.flags:
                print(f"targman: sentence {segment.index + 1}: {', '.join(segment.flags)}", file=sys.stderr)
    finally:
        if records is not None:
            records.close()
    flagged = sum(1 for s in segments if s.flags)
    print(f"targman: {path.name}: {len(segments)} sentence(s) in {len(file.articles[0].paragraphs) if file.articles else 0} "
          f"paragraph(s); {flagged} flagged", file=sys.stderr)
    return 0


def cmd_translate(args: argparse.Namespace) -> int:
    from pipeline.cli.summary import term_success
    from pipeline.config import finalize
    from pipeline.evaluation.scoring import TermCounts
    from pipeline.models.hub import check_model_path
    from pipeline.translation.translator import Translator

    config = finalize(build_config(args))  # a missing --tgt, a bad config: said before reading anything
    check_model_path(config.model.id)
    if args.file != "-" and Path(args.file).suffix.lower() in DOCUMENT_SUFFIXES:
        return translate_document(args, config)
    out = sys.stdout
    if hasattr(out, "reconfigure"):
        out.reconfigure(encoding="utf-8")
    records = open(args.jsonl, "w", encoding="utf-8") if args.jsonl else None
    counts = {"paragraphs": 0, "translated": 0, "passed": 0, "flagged": 0}
    terms = TermCounts()
    try:
        with Translator(config) as translator:
            # Lines stream through in windows of segments: the engine batches across them,
            # and each window's lines are written as soon as it is done.
            for number, result in enumerate(translator.translate_stream(read_lines(args.file)), 1):
                out.write(result.text + "\n")
                row = result.to_record(number)
                if records is not None:  # a record every line, blank ones too: line-aligned
                    records.write(json.dumps(row, ensure_ascii=False) + "\n")
                elif described(row):
                    print(f"targman: {described(row)}", file=sys.stderr)
                if result.source.strip():
                    counts["paragraphs"] += 1
                    counts["translated" if result.text != result.source else "passed"] += 1
                    counts["flagged"] += bool(row["flags"])
                    terms.add(row)
            out.flush()
    finally:
        if records is not None:
            records.close()
    success = term_success(terms.to_dict())
    print(f"targman: {counts['paragraphs']} paragraph(s): {counts['translated']} translated, {counts['passed']} "
          f"passed through; {counts['flagged']} flagged" + (f"; {success}" if success else ""), file=sys.stderr)
    return 0
