"""An HTML page translated in place: the same bytes back but for the text.

The page is cut into tokens by position (tags with their quoted attributes, comments,
declarations, the raw text of `script`/`style`), so everything that is not translated text
is written back byte for byte; an HTML parser that builds a tree (lxml, html5lib) writes its
own serialisation instead. The text between block boundaries (`<p>`, `<li>`, `<td>`, ...) is
one paragraph; the inline elements inside it (`<a>`, `<b>`, `<em>`, `<span>`, `<br>`,
`<img>`, ...) become its tags (`documents.inline`), put back around the translated words.

Not translated: `script`, `style`, `code`, `pre`, `kbd`, `samp`, `template`, `textarea`,
`svg`, `math`, anything with `translate="no"` or `class="notranslate"`, and the page's
chrome (`nav`, and a `header` or `footer` outside `article`/`main`) unless
`[html] translate_chrome`. Translated besides the text: `alt`, `title`, `placeholder`,
`aria-label`, and `content` of `<meta name="description">` and `og:`/`twitter:` title and
description. `<html lang>` (and the `lang` of every element outside the parts kept) is
set to the target language.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from pipeline.documents.inline import Builder, Tag

TOKEN = re.compile(
    r"<!--.*?(?:-->|\Z)"  # comment (an unclosed one runs to the end, as browsers read it)
    r"|<![^>]*>?"  # doctype, CDATA-like declarations
    r"|<\?[^>]*>?"  # processing instruction
    r"|</[A-Za-z][^>]*>?"  # end tag
    r"""|<[A-Za-z][^\s/>]*(?:"[^"]*"|'[^']*'|[^'">])*>""",  # start tag, `>` allowed in quoted values
    re.S,
)
NAME = re.compile(r"</?([A-Za-z][^\s/>]*)")


def _name(raw: str) -> re.Match[str]:
    """NAME's match in a start or end tag (`tokens` yields those only for text TOKEN matched as one)."""
    found = NAME.match(raw)
    if found is None:
        raise ValueError(f"not a start or end tag: {raw[:40]!r}")
    return found
ATTR = re.compile(r"""([^\s"'>/=]+)(?:(\s*=\s*)("[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")
RAW_TEXT = {"script", "style", "textarea", "xmp", "iframe", "noembed", "noframes", "title"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
        "track", "wbr", "keygen"}
INLINE = {"a", "abbr", "b", "bdi", "bdo", "big", "cite", "data", "del", "dfn", "em", "font", "i", "ins",
          "label", "mark", "q", "s", "small", "span", "strike", "strong", "sub", "sup", "time", "tt", "u"}
INLINE_POINT = {"br", "img", "wbr", "input"}  # kept whole where they stand in the sentence
KEEP = {"script", "style", "code", "pre", "kbd", "samp", "var", "template", "textarea", "svg", "math",
        "xmp", "iframe", "noembed", "noframes", "noscript", "object", "select"}
KEEP_INLINE = {"code", "kbd", "samp", "var"}  # kept whole, inside a sentence
CHROME = {"nav"}
CHROME_OUTSIDE_ARTICLE = {"header", "footer"}
TEXT_ATTRS = {"alt", "title", "placeholder", "aria-label"}
META_NAMES = {"description", "og:title", "og:description", "twitter:title", "twitter:description", "title"}
BLOCK_TAGS = {"title", "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "td", "th", "blockquote", "figcaption",
              "dt", "dd", "caption", "summary", "legend", "option", "button"}


@dataclass
class Paragraph:
    """A paragraph of the page: the text of a block (or an attribute's value) and its tags."""

    text: str
    tags: list[Tag]
    block: str  # the element it is in (`p`, `h1`, `li`; `@alt` for an attribute)
    lead: str = ""  # whitespace before the text, written back as it was
    trail: str = ""
    quote: str = ""  # an attribute: the quote it was written with ("" when unquoted)
    spaces: dict[int, str] = field(default_factory=dict)  # the source's whitespace where `text` has one space
    raw: str = ""  # an attribute: its value as written (given back when the text is not changed)


@dataclass
class HtmlDoc:
    """The page as raw pieces (str) and paragraph numbers (int), with the paragraphs."""

    parts: list = field(default_factory=list)
    paragraphs: list[Paragraph] = field(default_factory=list)
    lang_slots: list[int] = field(default_factory=list)  # parts holding a start tag whose lang is set


def _attrs(raw: str) -> list[tuple[str, int, int, str]]:
    """(name lowercased, start, end of the value with its quotes, the value) of a start tag."""
    found = _name(raw)
    out = []
    body_end = len(raw) - 1 - (1 if raw.endswith("/>") else 0)
    for m in ATTR.finditer(raw, found.end(), body_end):
        value = m.group(3)
        if value is None:
            out.append((m.group(1).lower(), m.end(), m.end(), ""))
            continue
        unq = value[1:-1] if value[:1] in "\"'" else value
        out.append((m.group(1).lower(), m.start(3), m.end(3), unq))
    return out


def _attr(attrs, name: str) -> str | None:
    for key, _, _, value in attrs:
        if key == name:
            return html.unescape(value)
    return None


def _keeps(name: str, attrs) -> bool:
    """Does this element hold text that is never translated?"""
    if name in KEEP:
        return True
    if (_attr(attrs, "translate") or "").strip().lower() == "no":
        return True
    return "notranslate" in (_attr(attrs, "class") or "").split()


def tokens(text: str):
    """(kind, raw): kind is text | start | end | other (comment, doctype) | raw (script's body)."""
    pos = 0
    n = len(text)
    while pos < n:
        lt = text.find("<", pos)
        if lt < 0:
            yield "text", text[pos:]
            return
        m = TOKEN.match(text, lt)
        if m is None:  # a `<` that starts no tag is text
            nxt = text.find("<", lt + 1)
            end = n if nxt < 0 else nxt
            yield "text", text[pos:end]
            pos = end
            continue
        if lt > pos:
            yield "text", text[pos:lt]
        raw = m.group(0)
        pos = m.end()
        if raw.startswith("</"):
            yield "end", raw
        elif raw.startswith("<!") or raw.startswith("<?"):
            yield "other", raw
        else:
            yield "start", raw
            name = _name(raw).group(1).lower()
            if name in RAW_TEXT and not raw.endswith("/>"):
                close = re.compile(rf"</{re.escape(name)}[\s/>]", re.I).search(text, pos)
                end = close.start() if close else n
                if end > pos:
                    yield "raw:" + name, text[pos:end]
                pos = end


def parse(text: str, *, translate_chrome: bool = False) -> HtmlDoc:
    """The page cut into kept pieces and paragraphs to translate."""
    doc = HtmlDoc()
    stack: list[tuple[str, bool]] = []  # (element, its text is kept)
    run: list[tuple[str, str, str]] = []  # the open paragraph's tokens: (kind, raw, name)
    article = 0  # inside article/main
    atomic: list[str] | None = None  # a kept inline element inside a sentence, being collected
    atomic_name = ""
    atomic_depth = 0

    def kept() -> bool:
        return any(flag for _, flag in stack)

    def block() -> str:
        for name, _ in reversed(stack):
            if name not in INLINE:
                return name
        return ""

    def flush() -> None:
        nonlocal run
        if not run:
            return
        pieces, run = run, []
        builder = Builder()
        paired = _pair(pieces)
        for i, (kind, raw, name) in enumerate(pieces):
            if kind == "text":
                builder.text(html.unescape(raw))
            elif kind == "start" and i in paired:
                builder.open(raw)
            elif kind == "end" and i in paired:
                builder.close(raw)
            else:  # a point: <br>, <img>, a comment, inline code
                builder.point(raw, space=name in ("br", "wbr"))
        plain, tags, _, _ = builder.finish()
        if not any(ch.isalnum() for ch in plain):
            doc.parts.extend(raw for _, raw, _ in pieces)  # nothing to translate, or tags we cannot nest
            return
        first = next(i for i, (kind, raw, _) in enumerate(pieces) if kind != "text" or raw.strip())
        last = max(i for i, (kind, raw, _) in enumerate(pieces) if kind != "text" or raw.strip())
        lead = trail = ""
        head, tail = pieces[:first], pieces[last + 1:]
        if pieces[first][0] == "text":
            raw = pieces[first][1]
            lead = raw[: len(raw) - len(raw.lstrip())]
        if pieces[last][0] == "text":
            raw = pieces[last][1]
            trail = raw[len(raw.rstrip()):]
        doc.parts.extend(raw for _, raw, _ in head)
        doc.parts.append(len(doc.paragraphs))
        doc.paragraphs.append(Paragraph(plain, tags, block() or "p", lead, trail, spaces=builder.spaces))
        doc.parts.extend(raw for _, raw, _ in tail)

    for kind, raw in tokens(text):
        if atomic is not None:  # inside inline code: kept whole, one point of the sentence
            atomic.append(raw)
            if kind in ("start", "end"):
                name = _name(raw).group(1).lower()
                if name == atomic_name and name not in VOID:
                    atomic_depth += 1 if kind == "start" else -1
                if atomic_depth == 0:
                    run.append(("point", "".join(atomic), atomic_name))
                    atomic = None
            continue
        if kind == "text":
            if kept():
                doc.parts.append(raw)
            else:
                run.append(("text", raw, ""))
            continue
        if kind.startswith("raw:"):
            name = kind[4:]
            if name == "title" and not kept():
                doc.parts.append(len(doc.paragraphs))
                value = html.unescape(raw)
                doc.paragraphs.append(Paragraph(value.strip(), [], "title", raw[: len(raw) - len(raw.lstrip())],
                                                raw[len(raw.rstrip()):]))
                if not any(ch.isalnum() for ch in value):
                    doc.parts[-1] = raw
                    doc.paragraphs.pop()
            else:
                doc.parts.append(raw)
            continue
        if kind == "other":
            if run:
                run.append(("point", raw, ""))
            else:
                doc.parts.append(raw)
            continue
        name = _name(raw).group(1).lower()
        if kind == "start":
            attrs = _attrs(raw)
            keeps = _keeps(name, attrs)
            chrome = not translate_chrome and (name in CHROME or (name in CHROME_OUTSIDE_ARTICLE and not article))
            inside_kept = kept()
            inline = name in INLINE or name in INLINE_POINT or name in KEEP_INLINE
            if not inside_kept and inline and (run or name not in INLINE_POINT):
                raw = _translate_attrs(doc, raw, attrs, name)
                if keeps and name not in VOID:  # inline code, a translate="no" span: kept whole
                    atomic, atomic_name, atomic_depth = [raw], name, 1
                elif name in INLINE_POINT or name in VOID:
                    run.append(("point", raw, name))
                else:
                    run.append(("start", raw, name))
                continue
            if name in INLINE_POINT and not inside_kept and name != "input":
                flush()
                doc.parts.append(_translate_attrs(doc, raw, attrs, name))
                continue
            flush()
            if not inside_kept and not chrome:
                raw = _translate_attrs(doc, raw, attrs, name)
            if name == "html" or (not inside_kept and not chrome and not keeps and _attr(attrs, "lang") is not None):
                doc.lang_slots.append(len(doc.parts))
            doc.parts.append(raw)
            if name in ("article", "main"):
                article += 1
            if name not in VOID and not raw.endswith("/>") or name in ("article", "main"):
                stack.append((name, keeps or chrome))
            continue
        # an end tag
        if run and name in INLINE:
            run.append(("end", raw, name))
            continue
        flush()
        doc.parts.append(raw)
        if any(open_name == name for open_name, _ in stack):
            while stack:
                open_name, _ = stack.pop()
                if open_name == name:
                    break
        if name in ("article", "main"):
            article = max(0, article - 1)
    if atomic is not None:
        run.append(("point", "".join(atomic), atomic_name))
    flush()
    return doc


def _pair(pieces) -> set[int]:
    """The indexes of a paragraph's inline start and end tags that pair up as elements; the
    others (an element that opens in one paragraph and ends in another) are kept as points."""
    stack: list[tuple[str, int]] = []
    paired: set[int] = set()
    for i, (kind, _, name) in enumerate(pieces):
        if kind == "start":
            stack.append((name, i))
        elif kind == "end" and stack and stack[-1][0] == name:
            paired.update((stack.pop()[1], i))
    return paired


MARK = re.compile("\x00(\\d+)\x00")


def _translate_attrs(doc: HtmlDoc, raw: str, attrs, name: str) -> str:
    """A start tag whose translatable attribute values become paragraphs: each value is
    replaced by a marker (NUL, its number, NUL; input text holds no NUL) that `render` fills."""
    wanted = []
    for key, start, end, value in attrs:
        if not any(ch.isalnum() for ch in html.unescape(value)):
            continue
        if key in TEXT_ATTRS or (name == "meta" and key == "content"
                                 and ((_attr(attrs, "name") or _attr(attrs, "property") or "").lower() in META_NAMES)):
            wanted.append((start, end, value, key))
    if not wanted:
        return raw
    pieces = []
    last = 0
    for start, end, value, key in wanted:
        quoted = raw[start] in "\"'"
        pieces.append(raw[last:start + 1 if quoted else start])
        plain = html.unescape(value)
        body = " ".join(plain.split())
        pieces.append(f"{'' if quoted else chr(34)}\x00{len(doc.paragraphs)}\x00{'' if quoted else chr(34)}")
        doc.paragraphs.append(Paragraph(body, [], "@" + key, plain[: len(plain) - len(plain.lstrip())],
                                        plain[len(plain.rstrip()):], raw[start] if quoted else '"', raw=value))
        last = end - 1 if quoted else end
    pieces.append(raw[last:])
    return "".join(pieces)


def render(doc: HtmlDoc, translated: list[str], lang: str) -> str:
    """The page with paragraph k replaced by `translated[k]` (markup already in place, text escaped)."""
    out = []
    lang_slots = set(doc.lang_slots)
    fill = lambda m: _paragraph_out(doc.paragraphs[int(m.group(1))], translated[int(m.group(1))])  # noqa: E731
    for index, part in enumerate(doc.parts):
        if isinstance(part, int):
            text = _paragraph_out(doc.paragraphs[part], translated[part])
        else:
            text = set_lang(part, lang) if index in lang_slots else part
        out.append(MARK.sub(fill, text) if "\x00" in text else text)
    return "".join(out)


def _paragraph_out(paragraph: Paragraph, text: str) -> str:
    if paragraph.block.startswith("@"):  # only the quote the value is written in is escaped (`alt="it's"`)
        if text == paragraph.text and paragraph.raw:
            return paragraph.raw
        value = html.escape(paragraph.lead + text + paragraph.trail, quote=False)
        return value.replace("'", "&#x27;") if paragraph.quote == "'" else value.replace('"', "&quot;")
    return paragraph.lead + text + paragraph.trail


def set_lang(raw: str, lang: str) -> str:
    """A start tag with `lang` set to `lang` (added when it has none)."""
    for key, start, end, value in _attrs(raw):
        if key == "lang":
            if start == end:  # `lang` without a value
                return raw[:end] + f'="{lang}"' + raw[end:]
            quote = raw[start] if raw[start] in "\"'" else '"'
            return raw[:start] + quote + lang + quote + raw[end:]
    close = len(raw) - (2 if raw.endswith("/>") else 1)
    return raw[:close] + f' lang="{lang}"' + raw[close:]


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def escape_for(paragraph: Paragraph):
    """Text is escaped as HTML; an attribute's value when it is written (`render`)."""
    return (lambda s: s) if paragraph.block.startswith("@") else escape
