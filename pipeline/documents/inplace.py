"""Documents translated in place (HTML pages, Markdown, Word files): each format keeps what
is around its text (`Article.layout`) and gets its paragraphs back with their tags."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pipeline.documents.inline import Tag, render_paragraph
from pipeline.documents.reader import Article, InputFile
from pipeline.segment import Segment


class _Paragraph(Protocol):
    """What every format's paragraph has: its plain text and the tags on it."""

    text: str
    tags: list[Tag]


def by_paragraph(article: Article, segments: list[Segment]) -> list[list[Segment]]:
    """The segments of each paragraph of the article (none for a paragraph without text)."""
    groups: list[list[Segment]] = [[] for _ in article.paragraphs]
    for segment in segments:
        if segment.para < len(groups):
            groups[segment.para].append(segment)
    return groups


def translated_paragraphs(article: Article, segments: list[Segment], escape_for) -> list[str]:
    """Each paragraph's translation with its markup back (its source when it has no segment);
    `escape_for(paragraph)` is how the format escapes that paragraph's text."""
    if article.layout is None:
        raise ValueError(f"{article.doc}: not a document read in place (it has no layout)")
    paragraphs: Sequence[_Paragraph] = article.layout.paragraphs
    out = []
    for paragraph, group in zip(paragraphs, by_paragraph(article, segments)):
        escape = escape_for(paragraph)
        if not group:
            out.append(escape(paragraph.text))
            continue
        out.append(render_paragraph(paragraph.text, paragraph.tags, group, escape,
                                    spaces=getattr(paragraph, "spaces", None)))
    return out


def render_in_place(file: InputFile, article: Article, segments: list[Segment], lang: str) -> str | bytes:
    """The translated document (bytes for a Word file)."""
    layout = article.layout
    if file.fmt == "html":
        from pipeline.documents import html_doc

        if not isinstance(layout, html_doc.HtmlDoc):
            raise TypeError(f"{article.doc}: an HTML file whose layout is {type(layout).__name__}")
        return html_doc.render(layout, translated_paragraphs(article, segments, html_doc.escape_for), lang)
    if file.fmt == "markdown":
        from pipeline.documents import markdown_doc

        if not isinstance(layout, markdown_doc.MarkdownDoc):
            raise TypeError(f"{article.doc}: a Markdown file whose layout is {type(layout).__name__}")
        return markdown_doc.render(layout, translated_paragraphs(article, segments, markdown_doc.escape_for), lang)
    if file.fmt == "docx":
        from pipeline.documents import docx_doc

        if not isinstance(layout, docx_doc.DocxDoc):
            raise TypeError(f"{article.doc}: a Word file whose layout is {type(layout).__name__}")
        return docx_doc.render(layout, translated_paragraphs(article, segments, docx_doc.escape_for))
    raise ValueError(f"no in-place writer for {file.fmt}")
