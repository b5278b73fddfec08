"""Writing the run's files so that a reader never sees half of one.

Every file is written to a temporary name in the same folder and renamed into
place; output paths are checked to stay inside the output folder.
"""

from __future__ import annotations

import html
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, TextIO

from pipeline.errors import InputError
from pipeline.documents.reader import Article, InputFile
from pipeline.segment import Segment


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


TMP_SUFFIX = ".targman-tmp"  # what a killed run can leave behind; the next run removes it


@contextmanager
def atomic_open(path: Path) -> Iterator[TextIO]:
    """A text file to write that appears at `path` whole, or not at all.

    It is written under a temporary name in the same folder, flushed to disk,
    and renamed over `path` only when the `with` block ends without an error;
    an error (or Ctrl-C, or a kill) leaves the old `path` as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:50]}.", suffix=TMP_SUFFIX, dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; outputs get the usual mode
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def atomic_write_text(path: Path, text: str) -> None:
    with atomic_open(path) as handle:
        handle.write(text)


def atomic_write_json(path: Path, data) -> None:
    atomic_write_text(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")


# The run's own files at the top of the output folder; no translated article may take their place.
RUN_FILES = ("segments.jsonl", "errors.jsonl", "run.json", "review.html")
STATE_DIR = ".targman"


def output_path(out_dir: Path, rel: str) -> Path:
    """Where the translation of input `rel` goes; never outside `out_dir`, never a run file."""
    root = out_dir.resolve()
    target = (root / rel).resolve()
    if not target.is_relative_to(root) or target == root:
        raise InputError(rel, "output path would leave the output folder")
    first = target.relative_to(root).parts[0]
    if target.parent == root and first in RUN_FILES or first == STATE_DIR:
        raise InputError(rel, f"its translation would overwrite the run's own {first}; rename the file")
    return target


def rebuild_text(article: Article, segments: list[Segment]) -> str:
    """The article with each segment's target in place of its source, layout kept.

    A paragraph whose segments were all dropped (boilerplate, duplicates) goes
    with its line break, so no hole is left.
    """
    parts = [article.head]
    last_sep = None  # index in `parts` of the line break after the last kept paragraph
    paragraph: list[str] = []
    for segment in segments:
        target = segment.target if segment.target is not None else segment.source
        if target:
            paragraph.append(segment.pre + target + segment.sep)
        if segment.last_in_para:
            if paragraph:
                parts.extend(paragraph)
                parts.append(segment.para_sep)
                last_sep = len(parts) - 1
            elif last_sep is not None and segment.para_sep.count("\n") > parts[last_sep].count("\n"):
                # A dropped paragraph keeps the wider break, so a blank line is not lost.
                parts[last_sep] = segment.para_sep
            paragraph = []
    return "".join(parts)


def render_html(article: Article, segments: list[Segment], lang: str) -> str:
    """A clean HTML page with the article's blocks (headings, paragraphs, list items) translated."""
    blocks: dict[int, list[str]] = {}
    tags: dict[int, str] = {}
    for segment in segments:
        target = segment.target if segment.target is not None else segment.source
        if target:
            blocks.setdefault(segment.para, []).append(target)
            tags[segment.para] = segment.meta.get("tag", "p")
    title = ""
    body = []
    for para in sorted(blocks):
        text = html.escape(" ".join(blocks[para]))
        tag = tags[para]
        if tag == "title":
            title = text
            continue
        tag = tag if tag in {"h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "figcaption", "pre"} else "p"
        body.append(f"<{tag}>{text}</{tag}>")
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n</head>\n<body>\n<article>\n" + "\n".join(body) + "\n</article>\n</body>\n</html>\n"
    )


def render_file(file: InputFile, per_article: list[tuple[Article, list[Segment]]], lang: str) -> str:
    """The translated file, in the input's own format."""
    if file.fmt == "html":
        article, segments = per_article[0]
        return render_html(article, segments, lang)
    if file.fmt == "jsonl":
        lines = []
        for article, segments in per_article:
            record = dict(article.record)
            record["text"] = rebuild_text(article, segments)
            record["lang"] = lang
            lines.append(json.dumps(record, ensure_ascii=False))
        return "\n".join(lines) + ("\n" if lines else "")
    article, segments = per_article[0]
    return rebuild_text(article, segments)
