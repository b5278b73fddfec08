"""Find the articles in a folder and read each into paragraphs.

Formats: `.txt` / `.md` (a paragraph a line; blank lines are kept as layout),
`.html` / `.htm` (the article's text blocks, not the markup), `.jsonl` (one
article a line with at least `id` and `text`). Anything else is skipped and
reported. A file named `NAME.ref.EXT` is the reference translation of `NAME.EXT`
and is read for scoring, not translated.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterator

from pipeline.errors import InputError

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
JSONL_SUFFIXES = {".jsonl"}
SUPPORTED = TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES
REF_MARK = ".ref"


@dataclass
class Article:
    """One article's paragraphs: (text, line break after it, per-paragraph meta)."""

    doc: str  # id used in segments.jsonl: relative path, or "path#id" inside a JSONL file
    paragraphs: list[tuple[str, str, dict]]
    head: str = ""  # blank lines before the first paragraph
    record: dict = field(default_factory=dict)  # JSONL: the other fields of the line
    ref: str | None = None  # reference translation text, when one exists


@dataclass
class InputFile:
    """A file of the input folder and what reading it gave."""

    path: Path
    rel: str  # POSIX path relative to the input folder
    fmt: str  # text | html | jsonl
    articles: list[Article] = field(default_factory=list)


def is_reference(path: Path) -> bool:
    return path.suffixes[-2:-1] == [REF_MARK]


def reference_for(path: Path) -> Path:
    return path.with_name(f"{path.stem}{REF_MARK}{path.suffix}")


def discover(root: Path, exclude: Path | None = None) -> Iterator[tuple[Path, str | None]]:
    """Every file below `root` in a stable order, with why it is skipped (None = read it).

    Symbolic links are followed only when they stay inside `root`; `exclude`
    (an output folder inside the input folder) is never entered.
    """
    root = root.resolve()
    exclude = exclude.resolve() if exclude else None
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        kept = []
        for name in sorted(dirnames):
            sub = here / name
            if name.startswith(".") or (exclude and sub.resolve() == exclude):
                continue
            if sub.is_symlink():
                target = sub.resolve()
                if not target.is_relative_to(root):
                    yield sub, "symbolic link out of the input folder"
                continue  # links inside root are reached through their real path
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            path = here / name
            if name.startswith("."):
                continue
            if path.is_symlink():
                target = path.resolve()
                if not target.is_relative_to(root):
                    yield path, "symbolic link out of the input folder"
                    continue
                if not target.is_file():
                    yield path, "broken symbolic link"
                    continue
            if path.suffix.lower() not in SUPPORTED:
                yield path, f"unsupported file type {path.suffix or '(none)'!r}"
                continue
            if is_reference(path):
                continue  # read with its article
            yield path, None


def decode(path: Path, data: bytes) -> str:
    """UTF-8 (a byte-order mark is dropped); anything else fails with the byte position."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data[:8192]:
        raise InputError(path, "looks like a binary file (NUL bytes); only UTF-8 text is read")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InputError(
            path,
            f"not UTF-8 text (byte 0x{data[error.start]:02x} at byte {error.start}); "
            "save the file as UTF-8 and run again",
            line=line,
        ) from None


def text_paragraphs(text: str) -> tuple[str, list[tuple[str, str, dict]]]:
    """A paragraph a line; the line breaks (and blank lines) after it are its separator."""
    text = text.replace("\x00", "")
    lines = text.split("\n")
    head_parts: list[str] = []
    paragraphs: list[tuple[str, str, dict]] = []
    for i, line in enumerate(lines):
        newline = "\n" if i < len(lines) - 1 else ""
        if line.strip():
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


def read_file(root: Path, path: Path) -> InputFile:
    """Read one input file into articles; raises InputError naming the file (and line)."""
    rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    suffix = path.suffix.lower()
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(rel, f"cannot read file ({error.strerror or error})") from None
    text = decode(Path(rel), data)
    ref_path = reference_for(path)
    ref = None
    if ref_path.exists():
        try:
            ref = decode(Path(ref_path.name), ref_path.read_bytes())
        except (OSError, InputError):
            ref = None
    if suffix in TEXT_SUFFIXES:
        head, paragraphs = text_paragraphs(text)
        return InputFile(path, rel, "text", [Article(rel, paragraphs, head=head, ref=ref)])
    if suffix in HTML_SUFFIXES:
        return InputFile(path, rel, "html", [Article(rel, html_paragraphs(text), ref=ref)])
    articles = []
    seen: set[str] = set()
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(rel, f"not valid JSON ({error.msg}); each line must be one JSON object", line=number) from None
        if not isinstance(record, dict) or not isinstance(record.get("text"), str) or "id" not in record:
            raise InputError(rel, 'each line must be a JSON object with "id" and "text" (a string)', line=number)
        article_id = str(record["id"])
        if article_id in seen:
            raise InputError(rel, f"duplicate id {article_id!r}; ids must be unique within a file", line=number)
        seen.add(article_id)
        head, paragraphs = text_paragraphs(record["text"])
        ref_text = record.get("ref") if isinstance(record.get("ref"), str) else None
        articles.append(Article(f"{rel}#{article_id}", paragraphs, head=head, record=record, ref=ref_text))
    return InputFile(path, rel, "jsonl", articles)
