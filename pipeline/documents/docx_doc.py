"""A Word file (.docx) translated in place, with python-docx.

Every paragraph of the body, its tables, the headers and footers, footnotes, endnotes and
text boxes is read; its runs are the sentence's tags (`documents.inline`), so bold, italic,
underline and font stay on the words that translate the words they marked, and a
hyperlink keeps its target around its translated text. What is not text (a picture, a
tab, a footnote mark, a bookmark, a comment's anchor) stays whole where it stood. A
paragraph with tracked changes or a field (page numbers, a table of contents) is left as
it is: translating it would change what a reviewer accepts or rejects.

The output is written as a zip with fixed dates, so the same translation gives the same
bytes (a resumed run and `apply` check the file by its hash).
"""

from __future__ import annotations

import copy
import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pipeline.documents.inline import Builder, Tag

if TYPE_CHECKING:
    from docx.document import Document
    from docx.opc.part import Part
    from lxml.etree import _Element

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}
STORY_PARTS = ("/word/document.xml", "/word/footnotes.xml", "/word/endnotes.xml")
STORY_KINDS = ("header", "footer")
UNTOUCHABLE = {f"{{{W}}}ins", f"{{{W}}}del", f"{{{W}}}moveFrom", f"{{{W}}}moveTo", f"{{{W}}}fldSimple"}
MARK = re.compile("\x01(r\\d+|h\\d+|p\\d+|/)\x01")


def q(name: str) -> str:
    return f"{{{W}}}{name}"


@dataclass
class Paragraph:
    text: str
    tags: list[Tag]
    block: str
    element: _Element  # the w:p
    runs: list = field(default_factory=list)  # r<k>: the w:r whose formatting a piece takes
    links: list = field(default_factory=list)  # h<k>: the w:hyperlink (emptied) that wraps pieces
    points: list = field(default_factory=list)  # p<k>: (element, None) kept whole, or (rPr, child): a run of it
    base: tuple | None = None  # (key, rPr) of the paragraph's usual formatting


@dataclass
class DocxDoc:
    document: Document
    paragraphs: list[Paragraph] = field(default_factory=list)
    xml_parts: list[tuple[Part, _Element]] = field(default_factory=list)  # each story part and its XML root


def parse(data: bytes) -> DocxDoc:
    import docx

    document = docx.Document(io.BytesIO(data))
    doc = DocxDoc(document)
    for name, part in _story_parts(document):
        root = part_element(part)
        doc.xml_parts.append((part, root))
        block = name.rsplit("/", 1)[-1].split(".")[0].rstrip("0123456789") or "body"
        for p in root.iter(q("p")):
            paragraph = _paragraph(p, "body" if block == "document" else block)
            if paragraph is not None:
                doc.paragraphs.append(paragraph)
    return doc


def _story_parts(document):
    for part in document.part.package.iter_parts():
        name = str(part.partname)
        base = name.rsplit("/", 1)[-1]
        if name in STORY_PARTS or (name.startswith("/word/") and base.startswith(STORY_KINDS) and base.endswith(".xml")):
            yield name, part


def part_element(part):
    """The part's XML root: python-docx's own for the parts it knows, parsed once for the others."""
    element = getattr(part, "_element", None)
    if element is not None:
        return element
    cached = getattr(part, "_targman_xml", None)
    if cached is None:
        from lxml import etree

        cached = etree.fromstring(part.blob, etree.XMLParser(resolve_entities=False, no_network=True))
        part._targman_xml = cached
    return cached


def _paragraph(p, block: str) -> Paragraph | None:
    """A w:p as plain text and tags; None when it has no text or must not be touched."""
    if any(child.tag in UNTOUCHABLE for child in p.iter()) or p.find(f".//{q('fldChar')}") is not None:
        return None
    paragraph = Paragraph("", [], block, p)
    paragraph.base = _base_format(p)
    builder = Builder(collapse=False)
    has_text = False
    for child in p:
        if child.tag == q("pPr"):
            continue
        if child.tag == q("r"):
            has_text = _run(child, builder, paragraph) or has_text
        elif child.tag == q("hyperlink"):
            k = len(paragraph.links)
            shell = copy.deepcopy(child)
            for inner in list(shell):
                shell.remove(inner)
            paragraph.links.append(shell)
            builder.open(f"\x01h{k}\x01")
            for inner in child:
                if inner.tag == q("r"):
                    has_text = _run(inner, builder, paragraph) or has_text
                else:
                    _point(inner, builder, paragraph)
            builder.close("\x01/\x01")
        else:
            _point(child, builder, paragraph)
    plain, tags, _, _ = builder.finish()
    if not has_text or not any(ch.isalnum() for ch in plain):
        return None
    paragraph.text, paragraph.tags = plain, tags
    return paragraph


def _point(element, builder: Builder, paragraph: Paragraph, space: bool = False, rpr=None) -> None:
    """A piece kept whole; copied when the paragraph is written (a text box in it is translated by then)."""
    builder.point(f"\x01p{len(paragraph.points)}\x01", space=space)
    paragraph.points.append((element, rpr, rpr is not None))


def _key(rpr) -> bytes:
    from lxml import etree

    return b"" if rpr is None else etree.tostring(rpr)


def _base_format(p):
    """The formatting most of the paragraph's text has: its text is plain, the other runs are tags."""
    from collections import Counter

    weight: Counter = Counter()
    first = {}
    for r in p.iter(q("r")):
        if r.getparent() is not p and r.getparent().tag != q("hyperlink"):
            continue
        text = "".join(t.text or "" for t in r.findall(q("t")))
        key = _key(r.find(q("rPr")))
        weight[key] += len(text)
        first.setdefault(key, r.find(q("rPr")))
    if not weight:
        return None
    key = weight.most_common(1)[0][0]
    return (key, first[key])


def _run(r, builder: Builder, paragraph: Paragraph) -> bool:
    """A w:r: its text a span with its formatting (plain text when it has the paragraph's usual
    formatting); a tab, a break, a picture, a note mark a point."""
    rpr = r.find(q("rPr"))
    base = paragraph.base is not None and _key(rpr) == paragraph.base[0]
    found = False
    for child in r:
        if child.tag == q("rPr"):
            continue
        if child.tag == q("t") and child.text and base:
            builder.text(child.text)
            found = True
            continue
        if child.tag == q("t") and child.text:
            k = len(paragraph.runs)
            paragraph.runs.append(rpr)
            builder.open(f"\x01r{k}\x01")
            builder.text(child.text)
            builder.close("\x01/\x01")
            found = True
            continue
        _point(child, builder, paragraph, space=child.tag in (q("br"), q("cr"), q("tab")), rpr=rpr if rpr is not None else False)
    return found


def apply(paragraph: Paragraph, marked: str) -> None:
    """Rewrite the w:p from `marked` (the translation with the run markers put back)."""
    p = paragraph.element
    for child in list(p):
        if child.tag != q("pPr"):
            p.remove(child)
    stack: list[tuple[str, object]] = [("p", p)]
    run_stack: list[int] = []
    pos = 0
    default = paragraph.base[1] if paragraph.base is not None else None  # the formatting of plain text

    def container():
        """The paragraph, or the hyperlink the pieces are in."""
        return next(element for _, element in reversed(stack) if element is not None)

    def add_text(text: str) -> None:
        if not text:
            return
        k = run_stack[-1] if run_stack else None
        rpr = paragraph.runs[k] if k is not None else default
        r = p.makeelement(q("r"), {})
        if rpr is not None:
            r.append(copy.deepcopy(rpr))
        t = p.makeelement(q("t"), {})
        t.text = text
        if text != text.strip():
            t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        r.append(t)
        container().append(r)

    for m in MARK.finditer(marked):
        add_text(marked[pos:m.start()])
        pos = m.end()
        code = m.group(1)
        if code.startswith("r"):
            run_stack.append(int(code[1:]))
            stack.append(("r", None))
        elif code.startswith("h"):
            link = copy.deepcopy(paragraph.links[int(code[1:])])
            container().append(link)
            stack.append(("h", link))
        elif code.startswith("p"):
            element, rpr, in_run = paragraph.points[int(code[1:])]
            if in_run:  # a tab, a picture, a note mark: a run of its own with the run's formatting
                r = p.makeelement(q("r"), {})
                if rpr is not False and rpr is not None:
                    r.append(copy.deepcopy(rpr))
                r.append(copy.deepcopy(element))
                container().append(r)
            else:
                container().append(copy.deepcopy(element))
        else:  # a close
            kind, _ = stack.pop()
            if kind == "r":
                run_stack.pop()
    add_text(marked[pos:])
    for kind, _ in stack:  # a tag left open (it cannot be, render nests them)
        if kind == "r" and run_stack:
            run_stack.pop()


def render(doc: DocxDoc, translated: list[str]) -> bytes:
    # last first: a text box's paragraphs are inside a paragraph before them, and are translated
    # before that paragraph copies its picture
    for paragraph, marked in reversed(list(zip(doc.paragraphs, translated))):
        apply(paragraph, marked)
    for part, root in doc.xml_parts:
        if getattr(part, "_element", None) is None:  # a plain XML part: its bytes from the tree
            from lxml import etree

            part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    buffer = io.BytesIO()
    doc.document.save(buffer)
    return _fixed_dates(buffer.getvalue())


def _fixed_dates(data: bytes) -> bytes:
    """The zip again with every member dated 1980-01-01, so the bytes depend on the content only."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def text_of(data: bytes) -> str:
    """A .docx's paragraphs as text, one a line (a `.ref.docx` reference)."""
    return "\n".join(p.text for p in parse(data).paragraphs) + "\n"


def escape(text: str) -> str:
    return text


def escape_for(paragraph: Paragraph):
    return escape



def code_label(doc: DocxDoc, paragraph: Paragraph, raw: str) -> tuple[str, str]:
    """How a CAT tool shows a tag of the paragraph (an XLIFF export's inline code): a run as
    `<b><i><u>` (its other formatting as `<w:r>`), a hyperlink as `<a href="...">`, a piece kept
    whole by its element's name (`<w:tab/>`); (opening, closing of the last element left open).
    Only shown: the document's own runs go back when the file is written."""
    out: list[str] = []
    closing: list[str] = []
    for m in MARK.finditer(raw):
        code = m.group(1)
        if code == "/":
            out.append(closing.pop() if closing else "")
            continue
        if code.startswith("p"):
            out.append(f"<w:{str(paragraph.points[int(code[1:])][0].tag).rsplit('}', 1)[-1]}/>")
            continue
        opening, close = _run_label(paragraph, int(code[1:])) if code.startswith("r") else _link_label(doc, paragraph, int(code[1:]))
        out.append(opening)
        closing.append(close)
    return "".join(out), "".join(reversed(closing))


def _run_label(paragraph: Paragraph, k: int) -> tuple[str, str]:
    rpr = paragraph.runs[k]
    names = [name for name in ("b", "i", "u") if rpr is not None and (found := rpr.find(q(name))) is not None
             and found.get(q("val"), "true") not in ("0", "false", "none")] or ["w:r"]
    return "".join(f"<{n}>" for n in names), "".join(f"</{n}>" for n in reversed(names))


def _link_label(doc: DocxDoc, paragraph: Paragraph, k: int) -> tuple[str, str]:
    shell = paragraph.links[k]
    rid = shell.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")
    target = "#" + shell.get(q("anchor"), "") if shell.get(q("anchor")) else ""
    root = paragraph.element.getroottree().getroot()
    for part, element in doc.xml_parts:
        if element is root and rid and rid in part.rels:
            target = part.rels[rid].target_ref
    return (f'<a href="{target}">' if target else "<a>"), "</a>"
