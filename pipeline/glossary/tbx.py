"""TBX-Basic (ISO 30042:2019, DCA style) export and import.

Export (`to_tbx`) writes TBX v3 (`tbx`, namespace `urn:iso:std:iso:30042:ed-2`) by default,
valid against the TBX core RELAX NG and TBX-Basic's dialect constraints, or TBX v2 (`martif`/
`termEntry`/`langSet`/`tig`) with `version="2"`. One `conceptEntry` per concept, one `langSec`
per language, one `termSec` per term with the TBX-Basic data categories `termType` (fullForm,
acronym, shortForm), `administrativeStatus` (preferredTerm-, admittedTerm-, deprecatedTerm-
admn-sts) and `partOfSpeech` (`noun`: TBX-Basic allows only adjective, noun, other, verb and
adverb, so names are nouns too). What TBX-Basic has no category for goes in `note` elements
prefixed `targman:`: the concept type (`targman:type=person`: a note rather than a
`subjectField`, because a subject field is a domain that terminology tools filter by, and
"person" is not one) and options; comments and blank lines of the TSV become XML comments, and
the column list a `p` of the header, so native -> TBX -> native gives the same bytes; irregular
Armenian forms (`hy_forms`) travel as a `targman:forms=` note of the language section. A
concept id that is not an XML ID (`2020-war` starts with a digit) is written as XmlConvert
writes names (`_x0032_020-war`) and read back as it was.

Import (`read_tbx`, `from_tbx`) reads v3 and v2 files of other tools through the hardened
loader (`pipeline.safexml`) and keeps their meaning: `administrativeStatus` (also v2's
`normativeAuthorization`) preferred -> preferred, admitted/standardized/legal/regulated ->
admitted, deprecated/superseded/obsolete/notRecommended/forbidden -> forbidden, never the
reverse; definitions, subject fields, contexts, usage notes and every other data category
become labelled parts of the concept's note (`definition: ... | subject field: ... | context
(en "term"): ...`), and transactions are dropped and counted; `TbxSummary` says what was kept,
mapped and dropped. A forbidden short form with no allowed short form beside it joins the
full forms as forbidden; terms of a language with no allowed term cannot be stored (a
glossary cell starts with the preferred term) and are dropped with a word. Languages are in a
stable order: `en`, `hy`, then alphabetical. A concept without a targman type is a name when
its terms' `partOfSpeech` is `properNoun` (memoQ, Trados MultiTerm and Phrase write it):
`person`, `org` or `place` as its `subjectField` or a note says (`Person`, `Organization`,
`Geography`...), else `org`; names match with their capital letter, so `Ազատ` (a given name)
is not `ազատ` ("free"). Other concepts without a type get the default (`term`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from pipeline import safexml
from pipeline.errors import GlossaryError
from pipeline.glossary.model import Concept, Glossary, Term, infer_dnt
from pipeline.glossary.problems import Problem
from pipeline.glossary.schema import forms_cell, forms_from_cell

_STATUS_OUT = {"preferred": "preferredTerm-admn-sts", "variant": "admittedTerm-admn-sts",
               "forbidden": "deprecatedTerm-admn-sts"}
# administrativeStatus / normativeAuthorization values (compared without case, spaces, '_', '-',
# a trailing "term" or "-admn-sts"), and what they become here
_STATUS_IN = {"preferred": "preferred", "admitted": "variant", "standardized": "variant", "legal": "variant",
              "regulated": "variant", "deprecated": "forbidden", "superseded": "forbidden", "obsolete": "forbidden",
              "notrecommended": "forbidden", "forbidden": "forbidden", "rejected": "forbidden"}
_SHORT_TYPES = {"acronym", "abbreviation", "shortForm", "initialism", "clippedTerm"}
_NS = "urn:iso:std:iso:30042:ed-2"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_LEADING = ("en", "hy")
MAX_BYTES = 512 * 1024 * 1024  # the largest public termbases (IATE is ~0.5 GB as TBX) fit
VERSIONS = ("3", "2")
# `partOfSpeech` values that mean a proper noun, compared without case, spaces, '_' or '-'
_PROPER = {"propernoun", "propern", "propn", "propername", "nounproper"}
NAME_DEFAULT = "org"  # a proper noun with nothing saying what it names
# labels of the data categories kept in a note
_LABELS = {"subjectField": "subject field", "definition": "definition", "context": "context",
           "crossReference": "cross-reference", "externalCrossReference": "link", "xGraphic": "image"}
# Words in a subjectField or note that say what a proper noun names, in order of trust.
_NAME_CLUES = [
    ("person", re.compile(r"\b(person|persons|people|personal names?|first names?|surnames?|"
                          r"family names?|anthroponyms?|politicians?|individuals?|minister|president|"
                          r"ambassador|spokes(man|woman|person)|secretary|chairman|mayor|deputy|"
                          r"journalist|writer|aide|MP)\b", re.I)),
    ("place", re.compile(r"\b(place|places|place names?|locations?|geography|geographic(al)?( names?)?|"
                         r"countr(y|ies)|cit(y|ies)|towns?|villages?|regions?|provinces?|toponyms?|"
                         r"rivers?|lakes?|mountains?|capitals?|geo)\b", re.I)),
    ("org", re.compile(r"\b(org|orgs|organi[sz]ations?|compan(y|ies)|institutions?|agenc(y|ies)|"
                       r"ministr(y|ies)|part(y|ies)|corporations?|associations?|unions?|brands?|"
                       r"media|newspapers?|broadcasters?|alliances?|bodies|body)\b", re.I)),
]
_ESCAPED = re.compile(r"_x([0-9A-F]{4,6})_")
# ASCII NCName characters only: libxml2 (and so RELAX NG validators built on it) still checks
# names against XML 1.0 4th edition tables, which refuse letters the 5th edition allows (`և`)
_NCNAME_START = re.compile(r"[A-Za-z_]")
_NCNAME_CHAR = re.compile(r"[-.0-9A-Za-z_]")


def xml_id(concept_id: str) -> str:
    """A concept id as an XML ID (an NCName): a character it cannot hold is `_xHHHH_`, and a
    literal `_xHHHH_` is escaped too, so `from_xml_id` gives the id back exactly."""
    out = []
    for i, char in enumerate(concept_id):
        ok = (_NCNAME_START if i == 0 else _NCNAME_CHAR).match(char) is not None
        if char == "_" and _ESCAPED.match(concept_id, i):
            ok = False
        out.append(char if ok else f"_x{ord(char):04X}_")
    return "".join(out)


def from_xml_id(value: str) -> str:
    def char(match):
        code = int(match.group(1), 16)
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else match.group()
    return _ESCAPED.sub(char, value)


def language_order(languages) -> list[str]:
    """`en`, `hy`, then the others alphabetically (the order of the TSV columns)."""
    return sorted(set(languages), key=lambda lang: (_LEADING.index(lang) if lang in _LEADING else 2, lang))


@dataclass
class TbxSummary:
    """What an import kept (in notes), mapped (statuses, names) and dropped, with counts."""

    concepts: int = 0
    kept: Counter = field(default_factory=Counter)
    mapped: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)

    def lines(self) -> list[str]:
        out = [f"read {self.concepts} concept(s)"]
        for what, counter in (("kept in notes", self.kept), ("mapped", self.mapped), ("dropped", self.dropped)):
            if counter:
                out.append(f"{what}: " + ", ".join(f"{label} ({n})" for label, n in sorted(counter.items())))
        return out


def _comment(text: str) -> str:
    """An XML comment holding `text` exactly ('--' and a final '-' are %-escaped)."""
    body = text.replace("%", "%25").replace("--", "%2D%2D")
    if body.endswith("-"):
        body = body[:-1] + "%2D"
    return f"<!--{body}-->"


def _uncomment(text: str) -> str:
    return text.replace("%2D", "-").replace("%25", "%")


def to_tbx(glossary: Glossary, version: str = "3") -> str:
    """TBX-Basic text for a glossary: TBX v3 (`tbx`, the default) or v2 (`martif`)."""
    from pipeline.glossary.edit import canonical_columns, columns_for

    if version not in VERSIONS:
        raise GlossaryError([Problem(str(glossary.path), 0, f"TBX version {version!r}: give 3 (tbx) or 2 (martif)")])
    v2 = version == "2"
    columns = canonical_columns(glossary.header) if glossary.header else columns_for(glossary)
    source = escape(glossary.path.name)
    lang = language_order(glossary.languages)[0] if glossary.languages else "en"
    out = ['<?xml version="1.0" encoding="UTF-8"?>']
    if v2:
        out += [f'<martif type="TBX-Basic" xml:lang="{lang}">', "  <martifHeader>"]
    else:
        out += [f'<tbx type="TBX-Basic" style="dca" xml:lang="{lang}" xmlns="{_NS}">', "  <tbxHeader>"]
    out += [
        "    <fileDesc>",
        "      <sourceDesc>",
        f"        <p>targman glossary {source}</p>",
        f"        <p>targman:columns={escape(' '.join(columns))}</p>",
    ]
    layout = list(glossary.layout)
    while layout and layout[0][0] != "concept" and layout[0][0] != "header":
        kind, text = layout.pop(0)
        out.append(f"        <p>{escape(text)}</p>" if text else "        <p/>")
    if layout and layout[0][0] == "header":
        layout.pop(0)
    out += ["      </sourceDesc>", "    </fileDesc>", "  </martifHeader>" if v2 else "  </tbxHeader>",
            "  <text>", "    <body>"]
    for kind, content in layout:
        if kind == "concept":
            out += _concept_xml(glossary.concepts[content], v2)
        elif kind in ("comment", "blank"):
            out.append("      " + _comment(content))
    out += ["    </body>", "  </text>", "</martif>" if v2 else "</tbx>"]
    return "\n".join(out) + "\n"


def _concept_xml(concept: Concept, v2: bool = False) -> list[str]:
    entry, lang_sec, term_sec = ("termEntry", "langSet", "tig") if v2 else ("conceptEntry", "langSec", "termSec")
    out = [f"      <{entry} id={quoteattr(xml_id(concept.id))}>",
           f"        <note>targman:type={escape(concept.type)}</note>"]
    if concept.options:
        out.append(f"        <note>targman:options={escape(','.join(sorted(concept.options)))}</note>")
    if concept.note:
        out.append(f"        <note>{escape(concept.note)}</note>")
    for lang, terms in concept.terms.items():
        if not terms:
            continue
        out.append(f'        <{lang_sec} xml:lang="{lang}">')
        if lang in concept.copied:
            out.append("          <note>targman:copied</note>")
        if concept.irregular.get(lang):
            out.append(f"          <note>targman:forms={escape(forms_cell(concept.irregular[lang]))}</note>")
        for term in terms:
            term_type = "fullForm" if term.kind == "full" else ("acronym" if term.acronym else "shortForm")
            out += [
                f"          <{term_sec}>",
                f"            <term>{escape(term.text)}</term>",
                f'            <termNote type="termType">{term_type}</termNote>',
                '            <termNote type="partOfSpeech">noun</termNote>',
                f'            <termNote type="administrativeStatus">{_STATUS_OUT[term.status]}</termNote>',
                f"          </{term_sec}>",
            ]
        out.append(f"        </{lang_sec}>")
    out.append(f"      </{entry}>")
    return out


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _text(element) -> str:
    """An element's text with inline markup (`hi`, `foreign`) read as text, spaces collapsed."""
    return " ".join("".join(element.itertext()).split())


def import_tbx(path: str | Path, default_type: str = "term") -> tuple[Glossary, TbxSummary]:
    """A TBX file as a glossary and what the import kept, mapped and dropped (for `convert` and
    `glossary merge`); GlossaryError names the file and line when it cannot be read."""
    try:
        data = safexml.read_bytes(path, MAX_BYTES)
    except OSError as error:
        raise GlossaryError([Problem(str(path), 0, f"cannot read: {error.strerror}")]) from None
    except safexml.XMLProblem as problem:
        raise GlossaryError([Problem(str(path), problem.line, str(problem))]) from None
    return read_tbx(data, str(path), default_type)


def from_tbx(data: bytes, name: str, default_type: str = "term") -> Glossary:
    """A glossary from TBX-Basic (v3 or v2) bytes; raises GlossaryError if unreadable."""
    return read_tbx(data, name, default_type)[0]


def read_tbx(data: bytes, name: str, default_type: str = "term") -> tuple[Glossary, TbxSummary]:
    """(glossary, summary) from TBX bytes (see the module docstring)."""
    from lxml import etree

    try:
        root = safexml.parse(data, max_bytes=MAX_BYTES, comments=True, external_doctype=True)
    except safexml.XMLProblem as problem:
        raise GlossaryError([Problem(name, problem.line, str(problem))]) from None
    layout: list[tuple[str, str]] = []
    header: list[str] = []
    for p in root.iter("{*}p"):
        if p.text is None and not p.attrib and not len(p):
            layout.append(("blank", ""))
        elif (p.text or "").startswith("targman:columns="):
            header = p.text.split("=", 1)[1].split(" ")
        elif (p.text or "").startswith("#"):
            layout.append(("comment", p.text))
    layout.append(("header", ""))
    body = next(root.iter("{*}body"), None)
    if body is None:
        raise GlossaryError([Problem(name, 0, "no <body> element; is this a TBX file?")])
    concepts: dict[str, Concept] = {}
    languages: set[str] = set()
    summary = TbxSummary()
    for number, element in enumerate(body, start=1):
        if element.tag is etree.Comment:
            text = _uncomment(element.text or "")
            if text == "" or text.startswith("#"):
                layout.append(("comment" if text else "blank", text))
            continue
        if _local(element.tag) not in ("conceptEntry", "termEntry"):
            continue
        concept, ours = _read_concept(element, default_type, number, summary)
        if not ours:
            concept = _with_desk_id(concept, concepts, Path(name).name, element.get("id"))
        if concept.id in concepts:
            raise GlossaryError([Problem(name, element.sourceline or 0, f"concept id {concept.id!r} appears twice")])
        summary.concepts += 1
        if not any(concept.terms.values()):
            summary.dropped["concepts with no allowed term in any language"] += 1
            continue
        languages.update(lang for lang, terms in concept.terms.items() if terms)
        concept.terms = {lang: concept.terms[lang] for lang in language_order(concept.terms) if concept.terms[lang]}
        if not ours:
            infer_dnt(concept)
        concepts[concept.id] = concept
        layout.append(("concept", concept.id))
    order = language_order(languages)
    return Glossary(Path(name), "", concepts, order, header, layout), summary


class _Notes:
    """The labelled parts of a concept's note, in document order, and the summary's counts."""

    def __init__(self, summary: TbxSummary):
        self.parts: list[str] = []
        self.plain: list[str] = []  # plain <note>s (name clues, and our own round trip)
        self.summary = summary

    def add(self, label: str, text: str, where: str = "") -> None:
        if not text:
            return
        self.summary.kept[label] += 1
        self.parts.append(f"{label}{f' ({where})' if where else ''}: {text}")

    def note(self, text: str, where: str = "") -> None:
        if not text:
            return
        if where:
            self.add("note", text, where)
        else:
            self.plain.append(text)
            self.parts.append(text)

    def text(self) -> str:
        return " | ".join(self.parts)


def _auxiliary(element, notes: _Notes, where: str) -> bool:
    """Keep a data category that is not a term, status or our own note; False if not one."""
    tag, kind = _local(element.tag), element.get("type") or ""
    if tag in ("descrip", "admin", "termNote", "descripNote", "adminNote"):
        notes.add(_LABELS.get(kind, kind or tag), _text(element), where)
    elif tag in ("descripGrp", "adminGrp", "termNoteGrp"):
        main = next((c for c in element if _local(c.tag) in ("descrip", "admin", "termNote")), None)
        if main is None:
            return False
        extra = [f"{c.get('type') or _local(c.tag)}: {_text(c)}" for c in element
                 if c is not main and isinstance(c.tag, str) and _text(c)]
        kind = main.get("type") or ""
        text = _text(main) + (f" ({'; '.join(extra)})" if extra else "")
        notes.add(_LABELS.get(kind, kind or _local(main.tag)), text, where)
    elif tag == "note":
        notes.note(_text(element), where)
    elif tag in ("xref", "ref"):
        target = element.get("target") or ""
        shown = _text(element)
        notes.add(_LABELS.get(kind, kind or tag), " ".join(x for x in (shown, f"({target})" if target else "") if x),
                  where)
    elif tag in ("transacGrp", "transac", "transacNote", "date"):
        notes.summary.dropped["transactions (transacGrp: who changed what when)"] += 1
    else:
        if isinstance(element.tag, str):
            notes.summary.dropped[f"<{tag}> elements"] += 1
        return False
    return True


def _read_concept(entry, default_type: str, number: int, summary: TbxSummary) -> tuple[Concept, bool]:
    """The concept of a `conceptEntry`/`termEntry`, and whether targman wrote it (a `targman:type` note)."""
    concept_id = from_xml_id(entry.get("id") or f"c{number}")
    ctype, options, ours = default_type, frozenset[str](), False
    notes = _Notes(summary)
    found_terms: dict[str, tuple[tuple[str, str, str | None], ...]] = {}
    copied = set()
    irregular = {}
    descriptions = []
    for child in entry:
        tag = _local(child.tag)
        text = _text(child)
        if tag == "note" and text.startswith("targman:type="):
            ctype, ours = text.split("=", 1)[1], True
        elif tag == "note" and text.startswith("targman:options="):
            options = frozenset(text.split("=", 1)[1].split(","))
        elif tag in ("langSec", "langSet"):
            lang = (child.get(_XML_LANG) or child.get("lang") or "und").split("-")[0].split("_")[0].lower()
            for n in child:
                note = _text(n) if _local(n.tag) == "note" else ""
                if note == "targman:copied":
                    copied.add(lang)
                elif note.startswith("targman:forms="):
                    irregular[lang] = tuple(forms_from_cell(note.split("=", 1)[1]))
                elif _local(n.tag) not in ("termSec", "tig", "ntig"):
                    _auxiliary(n, notes, lang)
            found_terms[lang] = found_terms.get(lang, ()) + tuple(_read_terms(child, lang, notes, summary))
        elif isinstance(child.tag, str):
            if tag in ("descrip", "descripGrp"):
                descriptions.append(text)
            _auxiliary(child, notes, "")
    terms = {lang: _storable(lang, list(found), summary) for lang, found in found_terms.items()}
    if not ours and _proper_noun(entry):
        ctype = name_type(_clues(entry, notes.plain + descriptions)) or NAME_DEFAULT
        summary.mapped[f"partOfSpeech properNoun -> type {ctype}"] += 1
    concept = Concept(concept_id, ctype, notes.text(), options, terms, 0, frozenset(copied), irregular=irregular)
    return concept, ours


def _with_desk_id(concept: Concept, taken: dict, file_name: str, tool_id: str | None) -> Concept:
    """A concept from another tool gets the id `glossary add` would make (from the preferred English
    term, else the first language's: memoQ's `t1` says nothing in a diff); the tool's id is kept
    in the note. A second concept with the same term gets `-2`, `-3`..."""
    from pipeline.glossary.edit import slug

    term = concept.preferred("en") or next((concept.preferred(lang) for lang in concept.terms
                                            if concept.preferred(lang)), None)
    base = slug(term.text) if term is not None else ""
    if not base or base == concept.id and base not in taken:
        return concept
    made, n = base, 2
    while made in taken:
        made, n = f"{base}-{n}", n + 1
    if made == concept.id:
        return concept
    if not tool_id:  # the entry had no id: nothing to keep
        return replace(concept, id=made)
    where = f"id {tool_id} in {file_name}"
    note = f"{concept.note} ({where})" if concept.note else where
    return replace(concept, id=made, note=note)


def _proper_noun(entry) -> bool:
    """Does any term of the concept have partOfSpeech properNoun?"""
    for element in entry.iter():
        if _local(element.tag) == "termNote" and element.get("type") == "partOfSpeech" or \
                _local(element.tag) == "partOfSpeech":
            value = re.sub(r"[\s_-]", "", (element.text or "")).lower()
            if value in _PROPER:
                return True
    return False


def _clues(entry, notes: list[str]) -> list[str]:
    """Texts that may say what a proper noun names: subject fields first, then notes."""
    fields = [_text(e) for e in entry.iter()
              if (_local(e.tag) == "descrip" and e.get("type") == "subjectField") or _local(e.tag) == "subjectField"]
    return [f for f in fields if f] + notes


def name_type(texts: list[str]) -> str | None:
    """`person`, `place` or `org` from the first text that names one (`Geography` -> place)."""
    for text in texts:
        for ctype, pattern in _NAME_CLUES:
            if pattern.search(text):
                return ctype
    return None


def status_of(value: str) -> str | None:
    """preferred / variant / forbidden for an administrativeStatus value; None if unknown."""
    key = re.sub(r"[\s_-]", "", value).lower().removesuffix("admnsts").removesuffix("term")
    return _STATUS_IN.get(key)


_TERM_PARTS = {"term", "termGrp", "termCompList"}


def _read_terms(lang_sec, lang: str, notes: _Notes, summary: TbxSummary) -> list[tuple[str, str, str | None]]:
    """(text, kind, status or None) for each term of a language section; other data categories
    of a term go to `notes`."""
    found = []
    for section in lang_sec:
        if _local(section.tag) not in ("termSec", "tig", "ntig"):
            continue
        term = next((e for e in section.iter("{*}term", "term")), None)
        text = _text(term) if term is not None else ""
        kind, status = "full", None
        where = f'{lang} "{text}"'
        for element in section.iter():
            tag, dtype = _local(element.tag), element.get("type")
            if tag in _TERM_PARTS or tag in ("termSec", "tig", "ntig") or not isinstance(element.tag, str):
                continue
            if tag == "termNote" and dtype == "termType":
                kind = "short" if _text(element) in _SHORT_TYPES else "full"
            elif tag == "termNote" and dtype in ("administrativeStatus", "normativeAuthorization"):
                value = _text(element)
                status = status_of(value)
                if status is None:
                    status = "variant"
                    summary.mapped[f"{dtype} {value!r} (unknown) -> admitted"] += 1
                elif value != _STATUS_OUT.get(status):
                    summary.mapped[f"{dtype} {value!r} -> {'admitted' if status == 'variant' else status}"] += 1
            elif tag == "termNote" and dtype == "partOfSpeech":
                continue  # read by _proper_noun
            elif element.getparent() is section or _local(element.getparent().tag) == "termGrp":
                _auxiliary(element, notes, where)  # a top-level data category (a group holds its own parts)
        if text:
            found.append((text, kind, status))
    return found


def _storable(lang: str, found: list[tuple[str, str, str | None]], summary: TbxSummary) -> tuple[Term, ...]:
    """Terms as a glossary cell holds them: in each kind the preferred term first, then the
    admitted, then the forbidden. A term without a status is preferred when it is its kind's
    first allowed term, else admitted; a forbidden short form with no allowed short form joins
    the full forms; a language with no allowed term keeps nothing (a cell cannot start with `!`)."""
    allowed = [f for f in found if f[2] != "forbidden"]
    if not allowed:
        if found:
            summary.dropped["forbidden terms of a language with no allowed term (nothing to use instead)"] += len(found)
        return ()
    if not any(k == "short" and s != "forbidden" for _, k, s in found):
        moved = sum(1 for _, k, s in found if k == "short")
        if moved:
            summary.mapped["forbidden short form with no allowed short form -> forbidden full form"] += moved
        found = [(t, "full", s) for t, k, s in found]
    terms = []
    rank = {"preferred": 0, "variant": 1, "forbidden": 2}
    for kind in ("full", "short"):
        mine = [(t, s) for t, k, s in found if k == kind]
        preferred = next((i for i, (_, s) in enumerate(mine) if s == "preferred"), None)
        if preferred is None:
            preferred = next((i for i, (_, s) in enumerate(mine) if s != "forbidden"), None)
        settled: list[tuple[str, str]] = []
        for i, (text, status) in enumerate(mine):
            if i == preferred:
                status = "preferred"
            elif status is None or status == "preferred":
                status = "variant"
            settled.append((text, status))
        # the preferred term first, then admitted, then forbidden, as in a native cell
        for text, status in sorted(settled, key=lambda m: rank[m[1]]):
            terms.append(Term(text, lang, status, kind))
    return tuple(terms)
