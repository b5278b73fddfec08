"""A run as XLIFF for a CAT tool (memoQ, Trados, OmegaT, Phrase), and the edited file back.

`export_xliff(out_dir, path, version="2.1"|"1.2")` writes every segment the engine
translated, one `<file>` per document (`original` = the document), one unit per segment:

- unit id: the segment key, document and index, as an XML name (`news/a01.txt:3` is
  `news_x002F_a01.txt:3`: a character an XML name cannot hold is `_xHHHH_`, as
  XmlConvert writes it); the readable key is the unit's `name` (2.1) / `resname` (1.2);
- source and target languages (`srcLang`/`trgLang`; `source-language`/`target-language`);
- the current translation (an editor's post-edit when there is one) and its state:
  translated / reviewed / final (2.1 `segment/@state`; 1.2 `target/@state` translated /
  signed-off / final, and `approved="yes"` once reviewed);
- a note per flag (`category="flag"`; 1.2 `from="targman"`);
- glossary terms as annotations: 2.1 `<mrk type="term">` around the term in the source
  and a Glossary module entry (`gls:glossEntry`: the asked-for translation, the concept's
  note); 1.2 `<mrk mtype="term" comment="...">`;
- the run's identity (`mda:meta type="run"` in 2.1; in 1.2 a header `<note>` "targman run: ID",
  as the strict schema allows no `prop-group` and no unvalidated extension element); the input
  folder by its name only, never its local path.

`import_xliff(out_dir, path)` takes back each unit whose segment is still in the run with the
same source: a changed target is a post-edit (via "xliff"), a unit marked reviewed or final
is marked reviewed. Units whose source changed or that the run does not have are reported,
not applied. A file exported from another run folder is refused unless `force`.
Files are read by `pipeline.safexml` (lxml, no DTD, entity or network; depth and size limits), in
any encoding. A unit id used twice or a `<cp>` that is no character refuses the file; a target that
holds an inline code (1.2 `<bpt>`, `<ph>`, ...; 2.x `<ph>`, `<sc>`, ...) or markup its source does
not have (a tag, a Markdown link, a `javascript:` URL) is reported, not taken: a post-edit is plain
text and must never become live markup in an article.

A sentence of an HTML page, a Markdown story or a Word file translated in place carries its markup
as codes (`session.inline_tags`: 2.1 `<pc>`/`<ph>` with the markup in `<originalData>`, 1.2
`<bpt>`/`<ept>`/`<ph>`; a Word run as `<b>`/`<i>`/`<u>`, a hyperlink as `<a href>`), placed on the
target as the article has them (or where an editor put them), so a CAT tool shows them protected;
its glossary terms that do not cross a code are marked beside them. On import, a target that holds
exactly its source's codes, well nested, keeps the editor's placement (`Segment.markup`, in the
post-edit and then the run's rows): the document's own markup, read again from the input, goes
where the editor put each code. A target without them gets the markup by the run's placement.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from pipeline import __version__, safexml
from pipeline.atomic import atomic_write_text
from pipeline.errors import InputError, TargmanError
from pipeline.review.session import ReviewError, ReviewSession, editors_markup, inline_tags, link_in_link
from pipeline.safexml import XMLProblem

XLIFF2 = "urn:oasis:names:tc:xliff:document:2.0"  # XLIFF 2.1 keeps the 2.0 core namespace
XLIFF12 = "urn:oasis:names:tc:xliff:document:1.2"
MDA = "urn:oasis:names:tc:xliff:metadata:2.0"
RUN_NOTE_12 = "targman run: "  # the 1.2 header note that names the run (the strict schema allows no extension)
GLS = "urn:oasis:names:tc:xliff:glossary:2.0"
FORMATS = {"xliff": "2.1", "xliff21": "2.1", "xliff12": "1.2"}
STATES_12 = {"translated": "translated", "reviewed": "signed-off", "final": "final"}
REVIEWED_12 = {"signed-off", "final"}
MAX_BYTES = 256 * 1024 * 1024

_NAME_START = re.compile(r"[A-Za-z_\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D"
                         r"\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD]")
_NAME_CHAR = re.compile(r"[-.0-9:A-Za-z_\u00B7\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u037D\u037F-\u1FFF\u200C-\u200D"
                        r"\u203F-\u2040\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD]")
_ESCAPED = re.compile(r"_x([0-9A-F]{4,6})_")
_XML_OK = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def unit_id(doc: str, index: int) -> str:
    """The segment key as an XML name (NMTOKEN, and a valid ID start): see the module docstring."""
    key = f"{doc}:{index}"
    out = []
    for i, char in enumerate(key):
        ok = bool(_NAME_START.match(char) if i == 0 else _NAME_CHAR.match(char))
        if char == "_" and _ESCAPED.match(key, i):
            ok = False  # a literal "_x0041_" must not read back as "A"
        out.append(char if ok else f"_x{ord(char):04X}_")
    return "".join(out)


def parse_unit_id(value: str) -> tuple[str, int] | None:
    key = _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), value)
    doc, sep, index = key.rpartition(":")
    if not sep or not index.isdigit():
        return None
    return doc, int(index)


def _text(value: str) -> str:
    return escape(value)


def _attr(value: str) -> str:
    return quoteattr(_XML_OK.sub("\ufffd", value))


def _marked_2(source: str, terms: list[dict], unit: str) -> tuple[str, list[tuple[str, dict]]]:
    """The source with `<mrk type="term">` around each term hit; returns (xml, [(mrk id, term)])."""
    return _coded(source, source, [], "2.1", terms=terms)


def _cp(text: str) -> str:
    """XLIFF 2 text: characters XML cannot carry are `<cp hex="..."/>`."""
    return _XML_OK.sub(lambda m: f'<cp hex="{ord(m.group()):04X}"/>', escape(text))


def _marked_12(source: str, terms: list[dict]) -> str:
    return _coded(source, source, [], "1.2", terms=terms)[0]


@dataclass
class ExportResult:
    path: Path
    version: str
    units: int = 0
    documents: int = 0
    left_out: dict[str, int] = field(default_factory=dict)  # why -> count (another source language, ...)


def export_xliff(out_dir: str | Path, path: str | Path, *, version: str = "2.1", src: str | None = None) -> ExportResult:
    """Write the run's machine-translated segments to `path` (`-`: standard output) as XLIFF `version` (2.1 or 1.2).
    `src`: the source language to export (default: the one most segments have)."""
    session = ReviewSession(out_dir, memory=False)
    try:
        return _export(session, Path(path), version, src)
    finally:
        session.close()


def _export(session: ReviewSession, path: Path, version: str, src: str | None) -> ExportResult:
    if version not in ("2.1", "1.2"):
        raise TargmanError(f"XLIFF version {version!r}: give 2.1 or 1.2")
    views = [v for v in session.views() if v["editable"]]
    langs: dict[str, int] = {}
    for view in views:
        langs[view["row"]["src_lang"]] = langs.get(view["row"]["src_lang"], 0) + 1
    src = src or (max(langs, key=lambda lang: langs[lang]) if langs else ("hy" if session.tgt == "en" else "en"))
    result = ExportResult(Path(path), version)
    others = sum(n for lang, n in langs.items() if lang != src)
    if others:
        result.left_out[f"source language not {src}"] = others
    glossary = session.glossary()
    run_id = session.folder.save_export({unit_id(v["doc"], v["index"]): v["text"] for v in views})
    by_doc: dict[str, list[dict]] = {}
    for view in views:
        if view["row"]["src_lang"] == src:
            by_doc.setdefault(view["doc"], []).append(view)
    tgt = session.tgt
    # the input folder by its name only: an absolute local path must not travel to outside translators
    input_dir = Path(str(session.run.get("input") or "")).name
    codes = inline_tags(session, by_doc)  # inline markup of pages and stories translated in place
    files = []
    for number, (doc, doc_views) in enumerate(by_doc.items(), 1):
        if version == "2.1":
            files.append(_file_2(number, doc, doc_views, run_id, input_dir, glossary, tgt, codes))
        else:
            units = []
            for view in doc_views:
                if _XML_OK.search(view["row"]["source"] + view["text"]):
                    result.left_out["characters XLIFF 1.2 cannot carry"] = result.left_out.get(
                        "characters XLIFF 1.2 cannot carry", 0) + 1
                    continue
                units.append(_unit_12(view, codes))
            files.append(_file_12(doc, units, run_id, input_dir, src, tgt))
        result.units += len(doc_views)
    result.units -= sum(n for why, n in result.left_out.items() if why.startswith("characters"))
    result.documents = len(by_doc)
    if version == "2.1":
        head = (f'<xliff xmlns="{XLIFF2}" xmlns:mda="{MDA}" xmlns:gls="{GLS}" version="2.1" '
                f'srcLang={_attr(src)} trgLang={_attr(tgt)}>\n')
    else:
        head = f'<xliff xmlns="{XLIFF12}" version="1.2">\n'
    text = '<?xml version="1.0" encoding="UTF-8"?>\n' + head + "".join(files) + "</xliff>\n"
    if str(path) == "-":  # standard output, for a pipe
        if hasattr(sys.stdout, "buffer"):
            sys.stdout.buffer.write(text.encode("utf-8"))
        else:
            sys.stdout.write(text)
        sys.stdout.flush()
        return result
    try:
        atomic_write_text(path, text)
    except OSError as error:
        raise InputError(path, f"cannot write ({error.strerror})") from None
    return result


def _file_2(number: int, doc: str, views: list[dict], run_id: str, input_dir: str, glossary, tgt: str,
            codes: dict | None = None) -> str:
    parts = [f'  <file id="f{number}" original={_attr(doc)}>\n',
             '    <mda:metadata><mda:metaGroup category="targman">'
             f'<mda:meta type="run">{_text(run_id)}</mda:meta>'
             f'<mda:meta type="input">{_cp(input_dir)}</mda:meta>'
             f'<mda:meta type="tool">targman {_text(__version__)}</mda:meta>'
             '</mda:metaGroup></mda:metadata>\n']
    for view in views:
        row = view["row"]
        uid = unit_id(row["doc"], row["index"])
        terms = [t for t in row.get("terms") or () if isinstance(t, dict)]
        tags = (codes or {}).get((row["doc"], row["index"]))
        marks: list[tuple[str, dict]]
        if tags:  # the sentence's markup as codes, the term marks that do not cross them beside them
            source, marks = _coded(row["source"], row["source"], tags, "2.1", terms=terms)
        else:
            source, marks = _marked_2(row["source"], terms, uid)
        name = _attr(f"{row['doc']}#{row['index']}")
        parts.append(f'    <unit id="{uid}" name={name}>\n')
        if marks:
            parts.append("      <gls:glossary>\n")
            for mid, term in marks:
                concept = (glossary.concepts.get(term.get("concept")) if glossary is not None else None)
                note = getattr(concept, "note", "") or ""
                parts.append(f'        <gls:glossEntry ref="#{mid}">'
                             f'<gls:term source={_attr(term.get("concept") or "")}>{_cp(term.get("source") or "")}</gls:term>'
                             f'<gls:translation>{_cp(term.get("target") or "")}</gls:translation>'
                             + (f"<gls:definition>{_cp(note)}</gls:definition>" if note else "")
                             + "</gls:glossEntry>\n")
            parts.append("      </gls:glossary>\n")
        notes = [f'<note category="flag">{_cp(flag)}</note>' for flag in row.get("flags") or ()]
        if view["edited"]:
            notes.append(f'<note category="machine-translation">{_cp(view["machine"])}</note>')
        if notes:
            parts.append("      <notes>" + "".join(notes) + "</notes>\n")
        target = _cp(view["text"])
        if tags:
            parts.append("      <originalData>" + "".join(
                f'<data id="d{n}{end}">{_cp(raw)}</data>' for n, tag in enumerate(tags, 1)
                for end, raw in ((("s", tag.open), ("e", tag.close or "")) if not tag.point else (("", tag.open),)))
                + "</originalData>\n")
            target = _coded(view["text"], row["source"], tags, "2.1", view.get("markup"))[0]
        parts.append(f'      <segment state="{view["state"]}">\n'
                     f'        <source xml:space="preserve">{source}</source>\n'
                     f'        <target xml:space="preserve">{target}</target>\n'
                     "      </segment>\n    </unit>\n")
    parts.append("  </file>\n")
    return "".join(parts)


def _unit_12(view: dict, codes: dict | None = None) -> str:
    row = view["row"]
    terms = [t for t in row.get("terms") or () if isinstance(t, dict)]
    tags = (codes or {}).get((row["doc"], row["index"]))
    state = STATES_12[view["state"]]
    approved = "yes" if view["state"] != "translated" else "no"
    notes = "".join(f'<note from="targman" annotates="general">flag: {escape(flag)}</note>' for flag in row.get("flags") or ())
    if view["edited"]:
        notes += f'<note from="targman" annotates="general">machine translation: {escape(view["machine"])}</note>'
    resname = _attr(f"{row['doc']}#{row['index']}")
    return (f'      <trans-unit id="{unit_id(row["doc"], row["index"])}" resname={resname} '
            f'approved="{approved}" xml:space="preserve">\n'
            f"        <source>{_coded(row['source'], row['source'], tags, '1.2', terms=terms)[0] if tags else _marked_12(row['source'], terms)}</source>\n"
            f'        <target state="{state}">{_coded(view["text"], row["source"], tags, "1.2", view.get("markup"))[0] if tags else escape(view["text"])}</target>\n'
            + (f"        {notes}\n" if notes else "")
            + "      </trans-unit>\n")


def _file_12(doc: str, units: list[str], run_id: str, input_name: str, src: str, tgt: str) -> str:
    """A 1.2 `<file>` valid against the strict schema: the run's identity in a header `<note>`
    (the strict schema has no `prop-group` and validates extension elements strictly)."""
    about = f"{RUN_NOTE_12}{run_id}" + (f" (input folder {input_name})" if input_name else "")
    return (f'  <file original={_attr(doc)} source-language={_attr(src)} target-language={_attr(tgt)} '
            f'datatype="plaintext" tool-id="targman">\n'
            f'    <header><tool tool-id="targman" tool-name="targman" tool-version={_attr(__version__)}/>'
            f'<note from="targman" annotates="general">{escape(_XML_OK.sub("", about))}</note></header>\n'
            "    <body>\n" + "".join(units) + "    </body>\n  </file>\n")


# --- import -------------------------------------------------------------------------------------


def _coded(text: str, source: str, tags: list, version: str, markup: list | None = None,
           terms: list[dict] | None = None) -> tuple[str, list[tuple[str, dict]]]:
    """`text` (the source, or its translation) with the sentence's markup as inline codes, placed
    where an editor put them (`markup`), else as the document's writer places them: 2.1 `<pc>`
    (a span, its markup in `originalData`) and `<ph>` (a point); 1.2 `<bpt>`/`<ept>` and `<ph>`
    holding the markup. With `terms` (the source), the glossary terms that do not cross a code
    are marked too (2.1 `<mrk type="term">`, 1.2 `<mrk mtype="term">`); returns (xml, [(mrk id, term)])."""
    from pipeline.documents.inline import Tag, place, render, valid_placement

    coded = []
    for n, tag in enumerate(tags, 1):
        if version == "2.1":
            opening = f'<ph id="{n}" dataRef="d{n}"/>' if tag.point else f'<pc id="{n}" dataRefStart="d{n}s" dataRefEnd="d{n}e">'
            closing = None if tag.point else "</pc>"
        else:
            opening = (f'<ph id="{n}">{escape(tag.open)}</ph>' if tag.point
                       else f'<bpt id="{n}">{escape(tag.open)}</bpt>')
            closing = None if tag.point else f'<ept id="{n}">{escape(tag.close or "")}</ept>'
        coded.append(Tag(tag.start, tag.end, opening, closing, tag.space_after, tag.left, tag.inside, tag.space_before))
    escaper = _cp if version == "2.1" else escape
    if markup is not None and valid_placement(tags, markup, len(text)):
        return place(text, coded, markup, escaper), []
    marks: list[tuple[str, dict]] = []
    for start, end, term in _term_spans(source, terms or []):
        if any(not t.point and (t.start < start < t.end < end or start < t.start < end < t.end) for t in tags):
            continue  # it crosses a code: XML cannot nest them
        mid = f"m{len(marks) + 1}"
        marks.append((mid, term))
        if version == "2.1":
            opening = f'<mrk id="{mid}" type="term" value={_attr(term.get("target") or "")}>'
        else:
            opening = f'<mrk mtype="term" comment={_attr(str(term.get("concept", "")) + ": " + str(term.get("target", "")))}>'
        coded.append(Tag(start, end, opening, "</mrk>"))
    return render(text, source, coded, escaper)[0], marks


def _term_spans(source: str, terms: list[dict]) -> list[tuple[int, int, dict]]:
    """The terms found where their offsets say, in order, none overlapping another."""
    spans = []
    for term in terms:
        start, end = term.get("start", -1), term.get("end", -1)
        if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(source) \
                and source[start:end] == term.get("source"):
            spans.append((start, end, term))
    out: list[tuple[int, int, dict]] = []
    pos = 0
    for start, end, term in sorted(spans, key=lambda s: (s[0], -s[1])):
        if start >= pos:
            out.append((start, end, term))
            pos = end
    return out


def _codes_of(session: ReviewSession, units: list[dict], chains: dict, marks: dict) -> dict[tuple[str, int], list]:
    """The inline tags of the sentences whose target places codes, read again from the input."""
    by_doc: dict[str, list[dict]] = {}
    for unit in units:
        key = parse_unit_id(unit["id"]) if unit.get("markup") else None
        row = session.by_key.get(key) if key else None
        if row is not None:
            by_doc.setdefault(row["doc"], []).append(session._view(row, chains, marks))
    return inline_tags(session, by_doc) if by_doc else {}


@dataclass
class ImportResult:
    units: int = 0
    edited: int = 0  # post-edits taken
    reviewed: int = 0  # units marked reviewed
    unchanged: int = 0
    not_applied: list[tuple[str, str]] = field(default_factory=list)  # (unit id, why)
    conflicts: list[dict] = field(default_factory=list)  # unit, doc, index, current (kept), theirs (not applied)
    outdated: int = 0  # unchanged units whose segment an editor changed since the export (the newer text is kept)


# Inline elements whose content is text. Every other element in a source or target is a code
# (2.x `ph`, `sc`, `ec`, `sm`, `em`; 1.2 `bpt`, `ept`, `ph`, `it` hold the original document's
# markup as their content, `x`, `bx`, `ex` stand for it) or another namespace's: never read as
# text. A target may hold the codes its source has (a page's or a story's markup, exported as
# codes), never more: a code a CAT tool or a translator added means the unit is not taken (see
# `_problem`); the text is taken, and the document's own markup goes back around it.
_TEXT_INLINE = {XLIFF2: {"mrk", "pc"}, XLIFF12: {"mrk", "g"}}
# markup a target could add to a Markdown or HTML article: tags, comments, links and images, script URLs
_MARKUP = re.compile(r"</?[A-Za-z][^<>]*>|<!--|!?\[[^\]]*\]\([^)]*\)|\b(?:java|vb)script\s*:|\bdata\s*:[^,\s]*;base64",
                     re.IGNORECASE)


def _flat(element, ns: str, codes: list[str] | None = None, events: list[tuple] | None = None) -> str:
    """The text of a source or target: `cp` as its character, `mrk`/`pc`/`g` as the text they
    hold; codes add nothing to the text and their names go to `codes`. `events` gets each
    code where it stands: (offset in the text, name, id, its content); a `pc` as "pc" and "/pc"."""
    out: list[str] = []
    length = 0

    def add(text: str | None) -> None:
        nonlocal length
        if text:
            out.append(text)
            length += len(text)

    def walk(parent) -> None:
        add(parent.text)
        for child in parent:
            if not isinstance(child.tag, str):  # comments and PIs are dropped at parse; entities cannot occur
                add(child.tail)
                continue
            name = child.tag.rsplit("}", 1)[-1]
            if ns == XLIFF2 and child.tag == f"{{{ns}}}cp":
                add(_cp_char(child))
            elif child.tag.startswith(f"{{{ns}}}") and name in _TEXT_INLINE[ns]:
                if events is not None and name == "pc":
                    events.append((length, "pc", child.get("id"), ""))
                walk(child)
                if events is not None and name == "pc":
                    events.append((length, "/pc", child.get("id"), ""))
            else:  # a code, or an element of another namespace: never text
                if codes is not None:
                    codes.append(name)
                if events is not None:
                    events.append((length, name, child.get("id"), "".join(child.itertext())))
            add(child.tail)

    walk(element)
    return "".join(out)


_KINDS = {"pc": "open", "bpt": "open", "/pc": "close", "ept": "close", "ph": "point"}


def _placement(source_events: list[tuple], target_events: list[tuple]) -> tuple[list | None, str | None]:
    """(where the target puts the source's codes, as `Segment.markup` events; why the unit cannot
    be taken). The codes are the ones an export writes (ids 1..n, one per tag of the sentence). A
    target that has no codes, leaves some out, crosses them (1.2) or holds others is read as text
    (None): the document's markup goes back by the writer's placement. A target code that is not
    its source's (an id the source does not have, another kind, other markup in a 1.2 code)
    refuses the unit."""
    opened = {(e[2], _KINDS[e[1]]): e for e in source_events if e[1] in _KINDS}
    if not opened or not target_events:
        return None, None
    events: list = []
    stack: list[str] = []
    seen: set[tuple] = set()
    for pos, name, code, content in target_events:
        kind = _KINDS.get(name)
        if kind is None:
            return None, None
        mine = opened.get((code, kind))
        if mine is None or not str(code).isdigit():
            shown = f"<{name.lstrip('/')} id={code!r}>"
            return None, (f"its target holds inline code {shown} that its source does not have; a code added or "
                          "changed in a CAT tool is not taken (remove it there, save, and import again)")
        if mine[3] != content:
            return None, (f"its target's inline code <{name} id={code!r}> holds other markup ({content[:40]!r}) "
                          f"than its source's ({mine[3][:40]!r}); a code changed in a CAT tool is not taken")
        if (code, kind) in seen:
            return None, f"its target holds inline code <{name} id={code!r}> twice; each code stands once"
        seen.add((code, kind))
        if kind == "open":
            stack.append(code)
        elif kind == "close" and (not stack or stack.pop() != code):
            return None, None  # not nested (1.2 codes can cross): the text is taken
        events.append([pos, int(code) - 1, kind])
    if stack or seen != set(opened):
        return None, None
    return events, None


def _cp_char(element) -> str:
    """The character of `<cp hex="..."/>`; refuses what is not a Unicode scalar value."""
    value = element.get("hex", "")
    code = int(value, 16) if re.fullmatch(r"[0-9A-Fa-f]{1,6}", value) else -1
    if code < 0 or code > 0x10FFFF:
        raise XMLProblem(f'<cp hex="{value}"/> is not a character code (give 1-6 hex digits up to 10FFFF)',
                         element.sourceline or 0)
    if 0xD800 <= code <= 0xDFFF:
        raise XMLProblem(f'<cp hex="{value}"/> is a lone surrogate, not a character; fix or remove it in the CAT tool',
                         element.sourceline or 0)
    return chr(code)


def _problem(source: str | None, target: str | None, source_codes: list[str], target_codes: list[str]) -> str | None:
    """Why a unit's target cannot be taken as a post-edit, or None: it adds inline codes or markup
    (a tag, a link, a script URL) that its source does not have."""
    added = [c for c in dict.fromkeys(target_codes) if target_codes.count(c) > source_codes.count(c)]
    if added:
        shown = ", ".join(f"<{c}>" for c in added)
        return (f"its target holds inline code ({shown}) that its source does not; a code added in a CAT tool "
                "is not taken (remove it there, save, and import again)")
    if target:
        for match in _MARKUP.finditer(target):
            piece = match.group()
            if target.count(piece) > (source or "").count(piece):
                return (f"its target adds markup its source does not have ({piece[:40]!r}); a post-edit is plain "
                        "text and would become live markup in a Markdown or HTML article")
    return None


def read_xliff(path: str | Path) -> tuple[str, dict, list[dict]]:
    """(version, {"run", "srcLang", "trgLang"}, units [{"id", "source", "target", "state"}]; a unit
    that cannot be taken is {"id", "problem"}). Refuses with one line (InputError): a DOCTYPE
    (in any encoding), nesting deeper than `safexml.MAX_DEPTH`, a file over MAX_BYTES, a unit
    id used twice, a `cp` that is no character."""
    path = Path(path)
    try:
        root = safexml.parse(safexml.read_bytes(path, MAX_BYTES), max_bytes=MAX_BYTES)
        if root.tag == f"{{{XLIFF2}}}xliff":
            return _read_2(root)
        if root.tag == f"{{{XLIFF12}}}xliff":
            return _read_12(root)
    except OSError as error:
        raise InputError(path, f"cannot read ({error.strerror})") from None
    except XMLProblem as problem:
        raise InputError(path, str(problem), line=problem.line or None) from None
    raise InputError(path, "not an XLIFF 2.x or 1.2 file (its root element is not <xliff> in an XLIFF namespace)")


def _unique(unit, seen: dict[str, int]) -> str:
    uid = unit.get("id", "")
    line = unit.sourceline or 0
    if uid in seen:
        raise XMLProblem(f"unit id {uid!r} appears twice (first on line {seen[uid]}); each unit is one segment, "
                         "so the file is refused", line)
    seen[uid] = line
    return uid


def _unit_dict(uid: str, source, target, ns: str, state: str) -> dict:
    source_codes: list[str] = []
    target_codes: list[str] = []
    source_events: list[tuple] = []
    target_events: list[tuple] = []
    source_text = _flat(source, ns, source_codes, source_events) if source is not None else None
    target_text = _flat(target, ns, target_codes, target_events) if target is not None else None
    problem = _problem(source_text, target_text, source_codes, target_codes)
    markup, why = _placement(source_events, target_events)
    if problem or why:
        return {"id": uid, "problem": problem or why}
    return {"id": uid, "source": source_text, "target": target_text, "state": state, "markup": markup}


def _read_2(root) -> tuple[str, dict, list[dict]]:
    x = lambda name: f"{{{XLIFF2}}}{name}"  # noqa: E731
    info = {"srcLang": root.get("srcLang"), "trgLang": root.get("trgLang"), "run": None}
    units: list[dict] = []
    seen: dict[str, int] = {}
    for file in root.iter(x("file")):
        for meta in file.iter(f"{{{MDA}}}meta"):
            if meta.get("type") == "run" and info["run"] is None:
                info["run"] = (meta.text or "").strip()
        for unit in file.iter(x("unit")):
            uid = _unique(unit, seen)
            segments = unit.findall(x("segment"))
            if len(segments) != 1:
                units.append({"id": uid, "problem": f"{len(segments)} segments (the export had one; "
                              "was it split or joined?)"})
                continue
            segment = segments[0]
            source, target = segment.find(x("source")), segment.find(x("target"))
            units.append(_unit_dict(uid, source, target, XLIFF2,
                                    segment.get("state", "initial" if target is None else "translated")))
    return root.get("version", "2.0"), info, units


def _read_12(root) -> tuple[str, dict, list[dict]]:
    x = lambda name: f"{{{XLIFF12}}}{name}"  # noqa: E731
    info: dict[str, str | None] = {"srcLang": None, "trgLang": None, "run": None}
    units: list[dict] = []
    seen: dict[str, int] = {}
    for file in root.iter(x("file")):
        info["srcLang"] = info["srcLang"] or file.get("source-language")
        info["trgLang"] = info["trgLang"] or file.get("target-language")
        if info["run"] is None:
            info["run"] = _run_12(file)
        for unit in file.iter(x("trans-unit")):
            uid = _unique(unit, seen)
            source, target = unit.find(x("source")), unit.find(x("target"))
            state = target.get("state") if target is not None else None
            reviewed = unit.get("approved") == "yes" or state in REVIEWED_12
            units.append(_unit_dict(uid, source, target, XLIFF12, "reviewed" if reviewed else "translated"))
    return "1.2", info, units


def _run_12(file) -> str | None:
    """The run id of a 1.2 `<file>`: its header note `targman run: ID` (a `prop` in files
    exported before the 1.2 output followed the strict schema)."""
    header = file.find(f"{{{XLIFF12}}}header")
    for element in header.iter(f"{{{XLIFF12}}}note", f"{{{XLIFF12}}}prop") if header is not None else ():
        text = (element.text or "").strip()
        if element.tag.endswith("}note") and text.startswith(RUN_NOTE_12):
            return text[len(RUN_NOTE_12):].split(" ", 1)[0]
        if element.tag.endswith("}prop") and element.get("prop-type") == "run":
            return text
    return None


def import_xliff(out_dir: str | Path, path: str | Path, *, who: str | None = None, force: bool = False,
                 prefer: str = "newer") -> ImportResult:
    """Take a translator's edited XLIFF back into the run (see the module docstring).
    `prefer="file"`: a unit the translator changed wins over a change made to its segment
    since the export (otherwise that is a conflict: listed, not applied)."""
    if prefer not in ("newer", "file"):
        raise TargmanError(f"--prefer {prefer!r}: give newer or file")
    version, info, units = read_xliff(path)
    session = ReviewSession(out_dir)
    try:
        return _import(session, Path(path), info, units, who, force, prefer)
    finally:
        session.close()


def _import(session: ReviewSession, path: Path, info: dict, units: list[dict], who, force: bool,
            prefer: str = "newer") -> ImportResult:
    from dataclasses import replace

    from pipeline.documents.inline import valid_placement
    from pipeline.review.session import check_text
    from pipeline.runfolder.edits import CONFLICT

    mine = session.folder.recorded_run_id()
    run, _, export = (info["run"] or "").partition("/")
    run = run or None
    if info["trgLang"] and info["trgLang"].split("-")[0].lower() != session.tgt:
        raise TargmanError(f"{path} translates into {info['trgLang']!r}, but the run in {session.out_dir} translates "
                           f"into {session.tgt!r}: it belongs to another run; nothing was imported")
    if not force and (run is None or run != mine):
        where = "was not exported by `targman export`" if run is None else \
            f"was exported from another run (run id {run}; this run's is {mine or 'not set: nothing was exported from it'})"
        raise TargmanError(f"{path} {where}; nothing was imported. Import it into the output folder it came from, "
                           "or pass --force to take the units whose segment and source match this run")
    bases = session.folder.export_bases(export) if run == mine else None
    result = ImportResult()
    edits, seen = [], set()
    chains = session.chains()
    marks = session.log.reviewed()
    codes = _codes_of(session, units, chains, marks)
    for unit in units:
        result.units += 1
        uid = unit["id"]
        if "problem" in unit:
            result.not_applied.append((uid, unit["problem"]))
            continue
        key = parse_unit_id(uid)
        row = session.by_key.get(key) if key else None
        if row is None:
            result.not_applied.append((uid, "no such segment in this run"))
            continue
        if key in seen:
            result.not_applied.append((uid, "a second unit for the same segment; the first one was taken"))
            continue
        seen.add(key)
        if unit["source"] != row["source"]:
            result.not_applied.append((uid, "its source differs from the run's (the article changed since the export, "
                                            "or the CAT tool changed the source)"))
            continue
        theirs = unit["target"]
        if not theirs or not theirs.strip():
            result.not_applied.append((uid, "no target"))
            continue
        view = session._view(row, chains, marks)
        if not view["editable"]:
            result.not_applied.append((uid, "the segment was not translated by the engine"))
            continue
        base = bases.get(uid) if bases is not None else None
        history = {view["machine"], *(e.before for e in view["chain"]), *(e.after for e in view["chain"])}
        tags = codes.get((row["doc"], row["index"]))
        if unit.get("markup") and tags and valid_placement(tags, unit["markup"], len(theirs)) \
                and link_in_link(unit["markup"], tags):
            result.not_applied.append((uid, ("its codes put a link inside a link, which no page, story or Word file can "
                                             "hold; move them apart in the CAT tool, save, and import again")))
            continue
        markup = editors_markup(unit.get("markup"), theirs, row["source"], tags, view)
        if theirs == view["text"] and markup == view["markup"]:
            result.unchanged += 1
        elif markup == view["markup"] and (theirs == base or (base is None and theirs in history and prefer != "file")):
            # The translator left it as exported; the segment was changed since (a newer import, a page
            # save): the newer text stays. Machine text never comes back as an editor's.
            result.unchanged += 1
            result.outdated += 1
            continue
        else:
            try:
                check_text(theirs)
            except ReviewError as error:
                result.not_applied.append((uid, str(error)))
                continue
            edit = session.new_edit(view, theirs, via="xliff", who=who, markup=markup)
            if base is not None and base != view["text"] and prefer != "file":
                edits.append(replace(edit, before=base, status=CONFLICT, current=view["text"]))
                result.conflicts.append({"unit": uid, "doc": row["doc"], "index": row["index"],
                                         "current": view["text"], "theirs": theirs})
                continue
            edits.append(edit)
            result.edited += 1
            continue
        if unit["state"] in ("reviewed", "final") and view["state"] == "translated" and theirs == view["text"]:
            session.log.mark(row["doc"], row["index"], row["source"], True, who)
            result.reviewed += 1
    session.take(edits)
    return result
