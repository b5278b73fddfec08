"""Translated articles in their input's own format, layout kept."""

from __future__ import annotations

import html
import json

from pipeline.documents.reader import Article, InputFile
from pipeline.segment import Segment


def rebuild_text(article: Article, segments: list[Segment]) -> str:
    """The article with each segment's target in place of its source, layout kept.

    A paragraph whose segments were all dropped (boilerplate, duplicates) goes
    with its line break, so no hole is left.
    """
    parts = [article.head]
    last_sep = None  # index in `parts` of the line break after the last kept paragraph
    paragraph: list[list[str]] = []
    for segment in segments:
        target = segment.target if segment.target is not None else segment.source
        if target:
            paragraph.append([segment.pre + target, segment.sep])
        elif paragraph:  # an empty one inside a paragraph (a paragraph-wide post-edit holds its text): its space goes
            paragraph[-1][1] = segment.sep
        if segment.last_in_para:
            if paragraph:
                parts.extend(text + sep for text, sep in paragraph)
                parts.append(segment.para_sep)
                last_sep = len(parts) - 1
            elif last_sep is not None and segment.para_sep.count("\n") > parts[last_sep].count("\n"):
                # A dropped paragraph keeps the wider break, so a blank line is not lost.
                parts[last_sep] = segment.para_sep
            paragraph = []
    return "".join(parts)


def render_article_html(article: Article, segments: list[Segment], lang: str) -> str:
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


def render_file(file: InputFile, per_article: list[tuple[Article, list[Segment]]], lang: str) -> str | bytes:
    """The translated file, in the input's own format (bytes for a Word file)."""
    if per_article and per_article[0][0].layout is not None:
        from pipeline.documents.inplace import render_in_place

        return render_in_place(file, per_article[0][0], per_article[0][1], lang)
    if file.fmt == "html":
        article, segments = per_article[0]
        return render_article_html(article, segments, lang)
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
