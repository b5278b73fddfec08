"""A Markdown story translated in place, through a CommonMark parser (markdown-it-py).

Only the text of paragraphs, headings and table cells is replaced; everything else is
written back byte for byte: fenced and indented code (never sent to the model), link
reference definitions, list and quote markers, blank lines. Inside a sentence, emphasis,
strong, links and images are tags (`documents.inline`): a link keeps its target (its text
is translated), an image its source (its alt text is translated), inline code and inline
HTML are kept whole where they stand. An HTML block is translated as an HTML page is
(`documents.html_doc`: its script, code and `translate="no"` untouched, its tags byte for
byte); one inside a list or a quote (its lines carry the container's markers) is kept as
it is. An entity (`&amp;`, `&mdash;`) is written back as the source spelled it wherever its
character is in the paragraph's text, and a `&` that would read as an entity is written
`&amp;`. In YAML front matter only `title`, `description`-like keys are translated.

markdown-it gives each block its lines, not the columns of its inline pieces, so the
pieces are found again in the block's lines in order; a block where that fails is kept
as it is (untranslated) rather than risk its markup.
"""

from __future__ import annotations

import bisect
import html.entities
import re
from dataclasses import dataclass, field

from pipeline.documents import html_doc
from pipeline.documents.inline import Builder, Tag

FRONT_KEYS = {"title", "subtitle", "description", "summary", "excerpt", "caption", "lead", "abstract"}
FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?\r?\n)(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)
FRONT_LINE = re.compile(r"""^([A-Za-z_][\w-]*)[ \t]*:[ \t]*(?:"((?:[^"\\]|\\.)*)"|'((?:[^']|'')*)'|([^\s'"#|>&*!%@`{\[][^\r\n]*?))[ \t]*\r?$""", re.M)
ESCAPE = re.compile(r"[\\`*_\[\]<]|&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{0,31};)")
YAML_UNSAFE = re.compile(r"^[\s\-?:,\[\]{}#&*!|>'\"%@`]|: | #|:$")


@dataclass
class Paragraph:
    text: str
    tags: list[Tag]
    block: str  # paragraph | heading | cell | front:<key>
    quote: str = ""  # front matter: the quote the value was written with
    entities: dict[str, str] = field(default_factory=dict)  # a character -> the entity the source wrote it as
    raw: str = ""  # front matter: the value as written (given back when its text is not changed)


@dataclass
class HtmlBlock:
    """An HTML block of the story, read as a page: its paragraphs are the story's from `first` on."""

    page: html_doc.HtmlDoc
    first: int


@dataclass
class MarkdownDoc:
    parts: list = field(default_factory=list)  # raw text (str), paragraph numbers (int), HtmlBlock
    paragraphs: list[Paragraph | html_doc.Paragraph] = field(default_factory=list)


def _parser():
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").enable("table").enable("strikethrough")
    md.core.ruler.disable("text_join")  # keep `\*` and `&amp;` as their own pieces, with their markup
    return md


_MD = None


def parse(text: str) -> MarkdownDoc:
    global _MD
    if _MD is None:
        _MD = _parser()
    regions: list[tuple[int, int, Paragraph | html_doc.HtmlDoc]] = []
    offset = 0
    front = FRONT.match(text)
    if front:
        for m in FRONT_LINE.finditer(front.group(1)):
            key = m.group(1).lower()
            if key not in FRONT_KEYS:
                continue
            for group, quote in ((2, '"'), (3, "'"), (4, "")):
                if m.group(group) is not None and any(ch.isalnum() for ch in m.group(group)):
                    value = m.group(group)
                    plain = value.replace("''", "'") if quote == "'" else re.sub(r"\\(.)", r"\1", value) if quote else value
                    start = front.start(1) + m.start(group)
                    regions.append((start, start + len(value), Paragraph(" ".join(plain.split()), [], f"front:{key}", quote,
                                                                         raw=value)))
        offset = front.end()
    body = text[offset:]
    starts = [0] + [m.end() for m in re.finditer(r"\n", body)]
    tokens = _MD.parse(body)
    cursor: dict[int, int] = {}  # per line: where the last piece found ends (table cells share a line)
    block = "paragraph"
    for token in tokens:
        if token.type in ("heading_open", "th_open", "td_open", "paragraph_open"):
            block = {"heading_open": "heading", "th_open": "cell", "td_open": "cell"}.get(token.type, "paragraph")
        if token.type == "html_block" and token.map:
            found_html = _html_block(body, starts, token)
            if found_html is not None:
                regions.append((offset + found_html[0], offset + found_html[1], found_html[2]))
            continue
        if token.type != "inline" or not token.map or not token.content.strip():
            continue
        found = _inline(body, starts, token, cursor)
        if found is None:
            continue
        start, end, builder, entities = found
        plain, tags, _, _ = builder.finish()
        if any(ch.isalnum() for ch in plain):
            regions.append((offset + start, offset + end, Paragraph(plain, tags, block, entities=entities)))
    doc = MarkdownDoc()
    last = 0
    for start, end, paragraph in sorted(regions, key=lambda r: r[0]):
        if start < last:
            continue
        doc.parts.append(text[last:start])
        if isinstance(paragraph, html_doc.HtmlDoc):
            doc.parts.append(HtmlBlock(paragraph, len(doc.paragraphs)))
            doc.paragraphs.extend(paragraph.paragraphs)
        else:
            doc.parts.append(len(doc.paragraphs))
            doc.paragraphs.append(paragraph)
        last = end
    doc.parts.append(text[last:])
    return doc


def _html_block(body: str, starts: list[int], token):
    """(start, end in `body`, the block read as a page) of an HTML block with text to translate;
    None for one whose lines are not its content as written (inside a list or a quote)."""
    first, stop = token.map
    if first >= len(starts):
        return None
    start = starts[first]
    end = starts[stop] if stop < len(starts) else len(body)
    raw = body[start:end]
    if raw != token.content and raw + "\n" != token.content:
        return None
    page = html_doc.parse(raw)
    if not page.paragraphs:
        return None
    return start, end, page


def _inline(body: str, starts: list[int], token, cursor: dict[int, int]):
    """(start, end of the inline's text in `body`, its Builder, the entities it spells) or None
    when its pieces cannot be found."""
    lines = token.content.split("\n")
    first = token.map[0]
    content_starts, source_starts = [], []
    at = 0
    for i, line in enumerate(lines):
        number = first + i
        if number >= len(starts):
            return None
        line_start = starts[number]
        line_end = starts[number + 1] if number + 1 < len(starts) else len(body)
        where = body.find(line, line_start + cursor.get(number, 0), line_end)
        if where < 0:
            return None
        content_starts.append(at)
        source_starts.append(where)
        at += len(line) + 1
    content = token.content

    def src(i: int) -> int:
        k = bisect.bisect_right(content_starts, i) - 1
        return source_starts[k] + (i - content_starts[k])

    builder = Builder()
    entities: dict[str, str] = {}
    try:
        end = _walk(token.children or [], content, 0, builder, src, body, entities)
    except _Lost:
        return None
    if end is None:
        return None
    for i, line in enumerate(lines):  # the next cell on a line is looked for after this one
        cursor[first + i] = src(content_starts[i] + len(line)) - starts[first + i]
    return src(0), src(len(content)), builder, {ch: spelt for ch, spelt in entities.items() if spelt}


class _Lost(Exception):
    """A piece of the inline was not where it was looked for."""


def _find(content: str, what: str, at: int) -> int:
    where = content.find(what, at)
    if where < 0 or not what:
        raise _Lost(what)
    return where


def _walk(children, content: str, cur: int, builder: Builder, src, body: str, entities: dict[str, str]) -> int:
    """Feed the inline's pieces to `builder`, raw markup as tags; returns where it ended.
    `entities` gets each character an entity stood for, with its spelling ("" when the same
    character was also written plainly or as another entity: then it is written plainly)."""
    raw = lambda a, b: body[src(a):src(b)]  # noqa: E731  (raw source, across lines too)
    i = 0
    while i < len(children):
        child = children[i]
        kind = child.type
        if kind == "text" and not child.content:  # markdown-it leaves an empty one before a leading `**`
            pass
        elif kind == "text":
            for ch in set(child.content) & set(entities):
                entities[ch] = ""
            where = _find(content, child.content, cur)
            if where > cur:  # spaces that start a continuation line, or markup markdown-it did not name
                gap = content[cur:where]
                builder.text(gap) if not gap.strip() else builder.point(raw(cur, where))
            builder.text(child.content)
            cur = where + len(child.content)
        elif kind == "text_special":  # `\*`, `&amp;`: its character is text, written escaped again
            where = _find(content, child.markup, cur)
            if child.info == "entity" and len(child.content) == 1:
                entities[child.content] = child.markup if entities.get(child.content, child.markup) == child.markup else ""
            builder.text(child.content)
            cur = where + len(child.markup)
        elif kind == "softbreak":  # the line break stays (with the next line's `> `), between the same words
            where = _find(content, "\n", cur)
            after = where + 1
            while after < len(content) and content[after] in " \t":
                after += 1
            builder.point(raw(cur, after), space=True)
            cur = after
        elif kind == "hardbreak":
            where = _find(content, "\n", cur)
            builder.point(raw(cur, where + 1), space=True)
            cur = where + 1
        elif kind.endswith("_open") and kind != "link_open":  # em, strong, s
            where = _find(content, child.markup, cur)
            builder.open(raw(cur, where + len(child.markup)))
            cur = where + len(child.markup)
        elif kind.endswith("_close") and kind != "link_close":
            where = _find(content, child.markup, cur)
            builder.close(raw(cur, where + len(child.markup)))
            cur = where + len(child.markup)
        elif kind == "link_open" and child.markup in ("autolink", "linkify"):
            where = _find(content, "<", cur)
            close = _find(content, ">", where)
            builder.point(raw(cur, close + 1))
            cur = close + 1
            while i < len(children) and children[i].type != "link_close":
                i += 1
        elif kind == "link_open":
            where = _find(content, "[", cur)
            builder.open(raw(cur, where + 1))
            cur = where + 1
        elif kind == "link_close":
            end = _link_tail(content, cur)
            builder.close(raw(cur, end))
            cur = end
        elif kind == "image":
            where = _find(content, "![", cur)
            builder.open(raw(cur, where + 2))
            cur = _walk(child.children or [], content, where + 2, builder, src, body, entities)
            end = _link_tail(content, cur)
            builder.close(raw(cur, end))
            cur = end
        elif kind == "code_inline":
            where = _find(content, child.markup, cur)
            fence = re.compile(rf"(?<!`){re.escape(child.markup)}(?!`)")
            closing = fence.search(content, where + len(child.markup))
            if closing is None:
                raise _Lost("`")
            builder.point(raw(cur, closing.end()))
            cur = closing.end()
        elif kind == "html_inline":
            where = _find(content, child.content, cur)
            builder.point(raw(cur, where + len(child.content)))
            cur = where + len(child.content)
        else:
            raise _Lost(kind)
        i += 1
    return cur


def _link_tail(content: str, cur: int) -> int:
    """Where a link's (or image's) `](target "title")`, `][ref]` or `]` ends."""
    from markdown_it.helpers import parseLinkDestination, parseLinkTitle

    where = _find(content, "]", cur)
    pos = where + 1
    n = len(content)
    if pos < n and content[pos] == "(":
        pos += 1
        while pos < n and content[pos] in " \t\n":
            pos += 1
        if pos < n and content[pos] != ")":
            dest = parseLinkDestination(content, pos, n)
            if dest.ok:
                pos = dest.pos
            while pos < n and content[pos] in " \t\n":
                pos += 1
            title = parseLinkTitle(content, pos, n)
            if title.ok:
                pos = title.pos
            while pos < n and content[pos] in " \t\n":
                pos += 1
        if pos < n and content[pos] == ")":
            return pos + 1
        raise _Lost(")")
    if pos < n and content[pos] == "[":
        return _find(content, "]", pos) + 1
    return pos


def escape(text: str, entities: dict[str, str] | None = None) -> str:
    """Translated text in Markdown: the characters that would make markup are escaped, a `&`
    that would start an entity is `&amp;`, and `entities`' characters are spelled as entities."""
    if entities:
        pattern = re.compile(ESCAPE.pattern + "|[" + re.escape("".join(entities)) + "]")
        return pattern.sub(lambda m: _sub(m, entities), text)
    return ESCAPE.sub(lambda m: _sub(m, {}), text)


def _escaped(ch: str, text: str = "", at: int = 0) -> str:
    if ch != "&":
        return "\\" + ch
    name = text[at + 1:text.find(";", at) + 1]
    return "&amp;" if name.startswith("#") or name in html.entities.html5 else "&"  # `AT&T;` is no entity


def _sub(m: re.Match[str], entities: dict[str, str]) -> str:
    return entities.get(m.group()) or _escaped(m.group(), m.string, m.start())


def escape_for(paragraph: Paragraph | html_doc.Paragraph):
    if isinstance(paragraph, html_doc.Paragraph):
        return html_doc.escape_for(paragraph)
    if paragraph.block.startswith("front:"):
        return lambda s: s
    if paragraph.entities:
        return lambda s: escape(s, paragraph.entities)
    return escape


def render(doc: MarkdownDoc, translated: list[str], lang: str | None = None) -> str:
    """The story with paragraph k replaced by `translated[k]`; `lang`: what the `lang` attributes
    of its HTML blocks are set to (kept as they are when None)."""
    out = []
    for part in doc.parts:
        if isinstance(part, HtmlBlock):
            page = part.page
            if lang is None:
                page = html_doc.HtmlDoc(page.parts, page.paragraphs)
            out.append(html_doc.render(page, translated[part.first:part.first + len(page.paragraphs)], lang or ""))
        elif isinstance(part, int):
            paragraph = doc.paragraphs[part]
            text = translated[part]
            if paragraph.block.startswith("front:"):
                text = paragraph.raw if text == paragraph.text and paragraph.raw else _yaml(text, paragraph.quote)
            out.append(text)
        else:
            out.append(part)
    return "".join(out)


def _yaml(text: str, quote: str) -> str:
    """A front matter value written as the source wrote it (quoted when it must be)."""
    text = " ".join(text.split())
    if quote == "'":
        return text.replace("'", "''")
    if quote == '"':
        return text.replace("\\", "\\\\").replace('"', '\\"')
    if YAML_UNSAFE.search(text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text
