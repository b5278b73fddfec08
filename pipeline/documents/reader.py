"""Find the articles in a folder and read each into paragraphs.

Formats: `.txt` / `.md` (a paragraph a line; blank lines are kept as layout),
`.html` / `.htm` (the article's text blocks, not the markup), `.jsonl` (one
article a line with at least `id` and `text`). Anything else is skipped and
reported. A file named `NAME.ref.EXT` is the reference translation of `NAME.EXT`
and is read for scoring, not translated.

Hostile input fails one file with a message naming it (and the line), never
the run: text must be UTF-8 (a UTF-8 byte-order mark is dropped; UTF-16 and
UTF-32 are read when they start with a byte-order mark); NUL bytes in the raw
file mean binary (or UTF-16 without a mark) and fail it; files over
`max_bytes` and lines over `max_line_chars` fail with the setting to raise.
Only regular files are read, and symbolic links only when they stay inside
the input folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from pipeline.documents.segmenter import is_layout
from pipeline.errors import InputError
from pipeline.layout import STATE_DIR

if TYPE_CHECKING:
    from pipeline.documents.docx_doc import DocxDoc
    from pipeline.documents.html_doc import HtmlDoc
    from pipeline.documents.markdown_doc import MarkdownDoc

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}  # read through a CommonMark parser, translated in place
HTML_SUFFIXES = {".html", ".htm"}
JSONL_SUFFIXES = {".jsonl"}
DOCX_SUFFIXES = {".docx"}  # Word files, translated in place (documents.docx_doc)
SUPPORTED = TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES | DOCX_SUFFIXES
REF_MARK = ".ref"


@dataclass
class Article:
    """One article's paragraphs: (text, line break after it, per-paragraph meta)."""

    doc: str  # id used in segments.jsonl: relative path, or "path#id" inside a JSONL file
    paragraphs: list[tuple[str, str, dict]]
    head: str = ""  # blank lines before the first paragraph
    record: dict = field(default_factory=dict)  # JSONL: the other fields of the line
    ref: str | None = None  # reference translation text, when one exists
    layout: HtmlDoc | MarkdownDoc | DocxDoc | None = None  # a document translated in place: what is kept around the text


@dataclass
class InputFile:
    """A file of the input folder and what reading it gave."""

    path: Path
    rel: str  # POSIX path relative to the input folder
    fmt: str  # text | html | jsonl
    articles: list[Article] = field(default_factory=list)
    digest: str = ""  # sha256 of the bytes read (resume checks that the input is unchanged)
    ref_digest: str | None = None  # sha256 of the reference sibling, when there is one


def is_reference(path: Path) -> bool:
    return path.suffixes[-2:-1] == [REF_MARK]


def reference_for(path: Path) -> Path:
    return path.with_name(f"{path.stem}{REF_MARK}{path.suffix}")


def article_for(reference: Path) -> Path:
    """`NAME.ref.EXT` -> `NAME.EXT`."""
    return reference.with_name(f"{Path(reference.stem).stem}{reference.suffix}")


def why_not_read(path: Path, root: Path | None = None) -> str | None:
    """Why `path` cannot be an input (None: it can). `root`: the input folder it was found in (a
    link must stay inside it, and a reference with its article is read with it: ""); None: a file
    given by name."""
    if root is not None and path.is_symlink():
        target = _resolve(path)
        if target is None:
            return "symbolic link loop"
        if not target.is_relative_to(root):
            return "symbolic link out of the input folder"
        if not _exists(target):
            return "broken symbolic link"
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "no such file or folder"
    except OSError as error:
        return f"cannot read file ({error.strerror or error})"
    if not stat.S_ISREG(mode):
        return "not a regular file (a named pipe, device, socket or folder)"
    if path.suffix.lower() not in SUPPORTED:
        return f"unsupported file type {path.suffix or '(none)'!r}; targman reads " + ", ".join(sorted(SUPPORTED))
    if is_reference(path):
        article = article_for(path)
        if root is None:
            return f"is a reference translation (read with its article {article.name}); give the article"
        if not _exists(article):
            return (f"a reference translation without its article: {article.name} is not "
                    "here (NAME.ref.EXT is the reference of NAME.EXT)")
        return ""  # read with its article
    return None


def _resolve(path: Path) -> Path | None:
    """The real path of `path`, or None for a symbolic-link loop."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return None


def is_file(path: Path) -> bool:
    """`path.is_file()`, False for a name too long to exist: a 255-byte article name has no
    room for `.ref`, so it has no reference sibling (pathlib raises ENAMETOOLONG)."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def _exists(path: Path, *, folder: bool = False) -> bool:
    """`path.exists()` (`is_dir()` with `folder`), False, not an exception, for a name or path
    too long to exist (pathlib raises ENAMETOOLONG)."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISDIR(mode) if folder else True


def _walk(root: Path) -> Iterator[tuple[Path, list[str], list[str], str | None]]:
    """`os.walk(root)` top-down without following links, as a loop: Python 3.11's os.walk
    recurses (2,100 folders deep is a RecursionError). A folder that cannot be listed
    (too deep for the system's path limit, no permission) is yielded with why, alone."""
    stack = [root]
    while stack:
        here = stack.pop()
        dirnames: list[str] = []
        filenames: list[str] = []
        try:
            with os.scandir(here) as entries:
                for entry in entries:
                    try:
                        is_dir = entry.is_dir(follow_symlinks=False)
                    except OSError:
                        is_dir = False
                    (dirnames if is_dir or entry.is_symlink() and _is_dir(entry) else filenames).append(entry.name)
        except OSError as error:
            yield here, [], [], f"cannot read folder ({error.strerror or error})"
            continue
        yield here, dirnames, filenames, None  # the caller prunes dirnames, as with os.walk
        stack.extend(here / name for name in reversed(dirnames))


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def discover(root: Path, exclude: Path | None = None) -> Iterator[tuple[Path, str | None]]:
    """Every file below `root` in a stable order, with why it is skipped (None = read it).

    Symbolic links are followed only when they stay inside `root`; `exclude`
    (an output folder inside the input folder) is never entered. Only regular
    files are read: a named pipe or a device would block or never end.
    """
    root = root.resolve()
    exclude = exclude.resolve() if exclude else None
    for here, dirnames, filenames, problem in _walk(root):
        if problem:
            yield here, problem
            continue
        kept = []
        for name in sorted(dirnames):
            sub = here / name
            if name.startswith("."):
                continue
            try:
                why, enter = _folder_check(sub, root, exclude)
            except OSError as error:  # a path over the system's limit: this folder alone
                why, enter = f"cannot read folder ({error.strerror or error})", False
            if why:
                yield sub, why
            if enter:
                kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            path = here / name
            if name.startswith("."):
                continue
            try:
                why = why_not_read(path, root)
            except OSError as error:
                why = f"cannot read file ({error.strerror or error})"
            if why != "":
                yield path, why


def _folder_check(sub: Path, root: Path, exclude: Path | None) -> tuple[str | None, bool]:
    """(why `sub` is skipped, or None; whether to walk into it)."""
    if exclude and _resolve(sub) == exclude:
        return None, False
    if _exists(sub / STATE_DIR, folder=True):
        return f"an output folder of an earlier targman run (it holds {STATE_DIR}/)", False
    if sub.is_symlink():
        target = _resolve(sub)
        if target is None:
            return "symbolic link loop", False
        if not target.is_relative_to(root):
            return "symbolic link out of the input folder", False
        return None, False  # links inside root are reached through their real path
    return None, True


BOMS = (
    (b"\x00\x00\xfe\xff", "utf-32-be", "UTF-32"),
    (b"\xff\xfe\x00\x00", "utf-32-le", "UTF-32"),
    (b"\xef\xbb\xbf", "utf-8", "UTF-8"),
    (b"\xfe\xff", "utf-16-be", "UTF-16"),
    (b"\xff\xfe", "utf-16-le", "UTF-16"),
)


def decode(path: Path, data: bytes) -> str:
    """Bytes of a text file into text; InputError (with line) when they are not text.

    UTF-8, with or without a byte-order mark. UTF-16 and UTF-32 only with their
    byte-order mark (what Windows editors write), which is dropped: outputs are
    always UTF-8 without one. A raw NUL byte anywhere else means a binary file
    (or UTF-16 without a mark) and fails the file; no encoding is guessed.
    """
    encoding, name = "utf-8", "UTF-8"
    for mark, codec, label in BOMS:
        if data.startswith(mark):
            data, encoding, name = data[len(mark):], codec, label
            break
    if encoding == "utf-8":
        nul = data.find(b"\x00")
        if nul >= 0:
            raise InputError(
                path,
                f"NUL byte at byte {nul}: looks like a binary file (or UTF-16 without a byte-order mark); "
                "only UTF-8 text is read (UTF-16 with a byte-order mark too)",
                line=data[:nul].count(b"\n") + 1,
            )
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        if encoding != "utf-8":
            raise InputError(path, f"starts with a {name} byte-order mark but is not valid {name} (at byte {error.start})") from None
        line = data[: error.start].count(b"\n") + 1
        raise InputError(
            path,
            f"not UTF-8 text (byte 0x{data[error.start]:02x} at byte {error.start}); "
            "save the file as UTF-8 and run again",
            line=line,
        ) from None


def check_text(path, text: str, line: int | None = None) -> None:
    """Text that cannot be written back as UTF-8 (unpaired surrogates from JSON escapes) fails."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InputError(
            path, f"invalid Unicode: unpaired surrogate U+{ord(text[error.start]):04X} (a broken \\u escape)", line=line
        ) from None


def check_lines(path, lines: list[str], limit: int, *, numbered: bool = True, line: int | None = None) -> None:
    """A line (paragraph) longer than `limit` characters fails the file, naming the setting.

    `numbered`: the lines are the file's own, so the error names the line number;
    otherwise it names `line` (the JSONL line of the article), if any.
    """
    if not limit:
        return
    for number, text in enumerate(lines, start=1):
        if len(text) > limit:
            raise InputError(
                path,
                f"a line of {len(text):,} characters (more than [run] max_line_chars = {limit}); "
                "this is not a news paragraph (text without line breaks, or embedded data): "
                "split it, or raise [run] max_line_chars",
                line=number if numbered else line,
            )


# A line ends at LF, or at a lone CR (old Mac files). In CRLF the CR stays with the line's text,
# where the segmenter keeps it as trailing layout.
LINE_BREAK = re.compile(r"(\n|\r(?!\n))")


def text_paragraphs(text: str) -> tuple[str, list[tuple[str, str, dict]]]:
    """A paragraph a line; the line breaks (and blank or marker-only lines) after it are its separator.

    A line ends at LF (CRLF too) or at a lone CR, and each keeps its own line break in the output.
    """
    text = text.replace("\x00", "")
    pieces = LINE_BREAK.split(text)
    lines, breaks = pieces[0::2], pieces[1::2] + [""]
    head_parts: list[str] = []
    paragraphs: list[tuple[str, str, dict]] = []
    for line, newline in zip(lines, breaks):
        if not is_layout(line):  # blank lines and lone markdown markers are layout
            paragraphs.append((line, newline, {}))
        elif paragraphs:
            body, sep, meta = paragraphs[-1]
            paragraphs[-1] = (body, sep + line + newline, meta)
        else:
            head_parts.append(line + newline)
    return "".join(head_parts), paragraphs


class _ArticleHTML(HTMLParser):
    """Collects the text of block elements, skipping navigation, scripts and the like."""

    BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "figcaption",
              "td", "th", "dt", "dd", "pre", "title", "caption"}
    SKIP = {"script", "style", "nav", "header", "footer", "aside", "noscript", "form",
            "button", "svg", "template", "iframe", "select"}

    def __init__(self, only_article: bool):
        super().__init__(convert_charrefs=True)
        self.only_article = only_article
        self.article_depth = 0
        self.skip_depth = 0
        self.stack: list[str] = []
        self.buffer: list[str] = []
        self.blocks: list[tuple[str, str]] = []

    def _flush(self) -> None:
        text = " ".join("".join(self.buffer).split())
        if text and self.stack:
            self.blocks.append((self.stack[-1], text))
        self.buffer = []

    def handle_starttag(self, tag, attrs):
        if tag == "article":
            self.article_depth += 1
        if tag in self.SKIP:
            self.skip_depth += 1
        elif tag in self.BLOCKS:
            self._flush()
            self.stack.append(tag)
        elif tag == "br":
            self.buffer.append(" ")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in self.BLOCKS and tag in self.stack:
            self._flush()
            while self.stack and self.stack.pop() != tag:
                pass
        if tag == "article":
            self.article_depth = max(0, self.article_depth - 1)

    def handle_data(self, data):
        if self.skip_depth or not self.stack:
            return
        if self.only_article and not self.article_depth and self.stack[-1] != "title":
            return
        self.buffer.append(data)

    def close(self):
        super().close()
        self._flush()


def html_paragraphs(text: str) -> list[tuple[str, str, dict]]:
    parser = _ArticleHTML(only_article="<article" in text.lower())
    parser.feed(text)
    parser.close()
    return [(body, "\n", {"tag": tag}) for tag, body in parser.blocks]


def _read_bytes(rel: str, path: Path, max_bytes: int) -> bytes:
    """The file's bytes, refusing one over `max_bytes` before reading it all."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if max_bytes and size > max_bytes:
                raise InputError(rel, _too_large(size, max_bytes))
            data = handle.read(max_bytes + 1) if max_bytes else handle.read()
    except OSError as error:
        raise InputError(rel, f"cannot read file ({error.strerror or error})") from None
    if max_bytes and len(data) > max_bytes:  # it grew while we read
        raise InputError(rel, _too_large(len(data), max_bytes))
    return data


def _too_large(size: int, max_bytes: int) -> str:
    mb = 1024 * 1024
    return (
        f"file too large ({size / mb:.1f} MB, more than [run] max_file_mb = {max_bytes // mb}): "
        "split it into smaller files, or raise [run] max_file_mb"
    )


def read_file(root: Path, path: Path, *, max_bytes: int = 0, max_line_chars: int = 0, html=None) -> InputFile:
    """Read one input file into articles; raises InputError naming the file (and line).

    `max_bytes` and `max_line_chars` (0 = no limit) fail a file that is too big
    to be an article, before it costs memory or hours of translation. `html`: the
    `[html]` settings (None: a page is translated in place, its chrome kept).
    """
    root = root.resolve()
    rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    real = _resolve(path)
    if real is None or not real.is_relative_to(root):
        raise InputError(rel, "symbolic link out of the input folder (or a loop); not read")
    suffix = path.suffix.lower()
    data = _read_bytes(rel, path, max_bytes)
    digest = hashlib.sha256(data).hexdigest()
    if suffix in DOCX_SUFFIXES:
        return _read_docx(path, rel, data, digest, max_bytes, max_line_chars)
    text = decode(Path(rel), data)
    ref_path = reference_for(path)
    ref = ref_digest = None
    if is_file(ref_path):
        try:
            ref_bytes = _read_bytes(ref_path.name, ref_path, max_bytes)
            ref_digest = hashlib.sha256(ref_bytes).hexdigest()
            ref = decode(Path(ref_path.name), ref_bytes)
        except InputError:
            ref = None
    if suffix in MARKDOWN_SUFFIXES:
        from pipeline.documents import markdown_doc

        check_lines(rel, LINE_BREAK.split(text)[0::2], max_line_chars)
        page = markdown_doc.parse(text)
        paragraphs = [(p.text, "\n", {"tag": p.block}) for p in page.paragraphs]
        articles = [Article(rel, paragraphs, ref=ref, layout=page)]
        return InputFile(path, rel, "markdown", articles, digest=digest, ref_digest=ref_digest)
    if suffix in TEXT_SUFFIXES:
        check_lines(rel, LINE_BREAK.split(text)[0::2], max_line_chars)
        head, paragraphs = text_paragraphs(text)
        articles = [Article(rel, paragraphs, head=head, ref=ref)]
        return InputFile(path, rel, "text", articles, digest=digest, ref_digest=ref_digest)
    if suffix in HTML_SUFFIXES and getattr(html, "output", "document") == "document":
        from pipeline.documents import html_doc

        html_page = html_doc.parse(text, translate_chrome=bool(getattr(html, "translate_chrome", False)))
        paragraphs = [(p.text, "\n", {"tag": p.block}) for p in html_page.paragraphs]
        check_lines(rel, [body for body, _, _ in paragraphs], max_line_chars, numbered=False)
        articles = [Article(rel, paragraphs, ref=ref, layout=html_page)]
        return InputFile(path, rel, "html", articles, digest=digest, ref_digest=ref_digest)
    if suffix in HTML_SUFFIXES:
        paragraphs = html_paragraphs(text)
        check_lines(rel, [body for body, _, _ in paragraphs], max_line_chars, numbered=False)
        articles = [Article(rel, paragraphs, ref=ref)]
        return InputFile(path, rel, "html", articles, digest=digest, ref_digest=ref_digest)
    articles = []
    seen: set[str] = set()
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(rel, f"not valid JSON ({error.msg}); each line must be one JSON object", line=number) from None
        except RecursionError:
            raise InputError(rel, "JSON nested too deeply; each line must be one flat JSON object", line=number) from None
        if not isinstance(record, dict) or not isinstance(record.get("text"), str) or "id" not in record:
            raise InputError(rel, 'each line must be a JSON object with "id" and "text" (a string)', line=number)
        if "\\u" in line:  # only escapes can smuggle in unpaired surrogates
            check_text(rel, json.dumps(record, ensure_ascii=False), line=number)
        article_id = str(record["id"])
        if article_id in seen:
            raise InputError(rel, f"duplicate id {article_id!r}; ids must be unique within a file", line=number)
        seen.add(article_id)
        if max_line_chars and len(record["text"]) > max_line_chars:
            check_lines(rel, LINE_BREAK.split(record["text"])[0::2], max_line_chars, numbered=False, line=number)
        head, paragraphs = text_paragraphs(record["text"])
        ref_text = record.get("ref") if isinstance(record.get("ref"), str) else None
        articles.append(Article(f"{rel}#{article_id}", paragraphs, head=head, record=record, ref=ref_text))
    return InputFile(path, rel, "jsonl", articles, digest=digest, ref_digest=ref_digest)


def _read_docx(path: Path, rel: str, data: bytes, digest: str, max_bytes: int, max_line_chars: int) -> InputFile:
    """A Word file: its paragraphs (body, tables, headers, footers, notes, text boxes), in place."""
    from pipeline.documents import docx_doc

    try:
        page = docx_doc.parse(data)
    except Exception as error:  # not a zip, not Word's XML: this file alone fails
        raise InputError(rel, f"not a Word .docx file python-docx can open ({type(error).__name__}: {error}); "
                              "save it as .docx (Word 2007 or later) and run again") from None
    paragraphs = [(p.text, "\n", {"tag": p.block}) for p in page.paragraphs]
    check_lines(rel, [body for body, _, _ in paragraphs], max_line_chars, numbered=False)
    ref = ref_digest = None
    ref_path = reference_for(path)
    if is_file(ref_path):
        try:
            ref_bytes = _read_bytes(ref_path.name, ref_path, max_bytes)
            ref_digest = hashlib.sha256(ref_bytes).hexdigest()
            ref = docx_doc.text_of(ref_bytes)
        except Exception:
            ref = None
    return InputFile(path, rel, "docx", [Article(rel, paragraphs, ref=ref, layout=page)], digest=digest,
                     ref_digest=ref_digest)
