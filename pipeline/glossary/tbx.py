"""TBX-Basic (ISO 30042:2019, DCA style) export and import.

Export writes one `conceptEntry` per concept, one `langSec` per language and one `termSec`
per term with the TBX-Basic data categories `termType` (fullForm, acronym, shortForm),
`administrativeStatus` (preferredTerm-, admittedTerm-, deprecatedTerm-admn-sts) and
`partOfSpeech`. What TBX-Basic has no category for (the concept type and options) goes in
`note` elements prefixed `targman:`; comments and blank lines of the TSV become XML
comments, and the column list a `p` of the header, so native -> TBX -> native gives the
same bytes; irregular Armenian forms (`hy_forms`) travel as a `targman:forms=` note of the
language section. Import also reads TBX v2 (`martif`/`termEntry`/`langSet`/`tig`) files from
other tools. A concept without a targman type is a name when its terms' `partOfSpeech` is
`properNoun` (memoQ, Trados MultiTerm and Phrase write it): `person`, `org` or `place` as
its `subjectField` or a note says (`Person`, `Organization`, `Geography`...), else `org`;
names match with their capital letter, so `Ազատ` (a given name) is not `ազատ` ("free").
Other concepts without a type get the default (`term`).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from pipeline.errors import GlossaryError
from pipeline.glossary.model import Concept, Glossary, Term, forms_cell, forms_from_cell, infer_dnt
from pipeline.glossary.problems import Problem

_STATUS_OUT = {"preferred": "preferredTerm-admn-sts", "variant": "admittedTerm-admn-sts",
               "forbidden": "deprecatedTerm-admn-sts"}
_SHORT_TYPES = {"acronym", "abbreviation", "shortForm", "initialism", "clippedTerm"}
_NS = "urn:iso:std:iso:30042:ed-2"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# `partOfSpeech` values that mean a proper noun, compared without case, spaces, '_' or '-'
_PROPER = {"propernoun", "propern", "propn", "propername", "nounproper"}
NAME_DEFAULT = "org"  # a proper noun with nothing saying what it names
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


def _comment(text: str) -> str:
    """An XML comment holding `text` exactly ('--' and a final '-' are %-escaped)."""
    body = text.replace("%", "%25").replace("--", "%2D%2D")
    if body.endswith("-"):
        body = body[:-1] + "%2D"
    return f"<!--{body}-->"


def _uncomment(text: str) -> str:
    return text.replace("%2D", "-").replace("%25", "%")


def to_tbx(glossary: Glossary) -> str:
    """TBX-Basic text for a glossary."""
    from pipeline.glossary.edit import canonical_columns, columns_for

    columns = canonical_columns(glossary.header) if glossary.header else columns_for(glossary)
    source = escape(glossary.path.name)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<tbx type="TBX-Basic" style="dca" xml:lang="{glossary.languages[0]}" xmlns="{_NS}">',
        "  <tbxHeader>",
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
    out += ["      </sourceDesc>", "    </fileDesc>", "  </tbxHeader>", "  <text>", "    <body>"]
    for kind, content in layout:
        if kind == "concept":
            out += _concept_xml(glossary.concepts[content])
        elif kind in ("comment", "blank"):
            out.append("      " + _comment(content))
    out += ["    </body>", "  </text>", "</tbx>"]
    return "\n".join(out) + "\n"


def _concept_xml(concept: Concept) -> list[str]:
    pos = "noun" if concept.type == "term" else "properNoun"
    out = [f"      <conceptEntry id={quoteattr(concept.id)}>",
           f"        <note>targman:type={escape(concept.type)}</note>"]
    if concept.options:
        out.append(f"        <note>targman:options={escape(','.join(sorted(concept.options)))}</note>")
    if concept.note:
        out.append(f"        <note>{escape(concept.note)}</note>")
    for lang, terms in concept.terms.items():
        if not terms:
            continue
        out.append(f'        <langSec xml:lang="{lang}">')
        if lang in concept.copied:
            out.append("          <note>targman:copied</note>")
        if concept.irregular.get(lang):
            out.append(f"          <note>targman:forms={escape(forms_cell(concept.irregular[lang]))}</note>")
        for term in terms:
            term_type = "fullForm" if term.kind == "full" else ("acronym" if term.acronym else "shortForm")
            out += [
                "          <termSec>",
                f"            <term>{escape(term.text)}</term>",
                f'            <termNote type="termType">{term_type}</termNote>',
                f'            <termNote type="partOfSpeech">{pos}</termNote>',
                f'            <termNote type="administrativeStatus">{_STATUS_OUT[term.status]}</termNote>',
                "          </termSec>",
            ]
        out.append("        </langSec>")
    out.append("      </conceptEntry>")
    return out


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def from_tbx(data: bytes, name: str, default_type: str = "term") -> Glossary:
    """A glossary from TBX-Basic (or TBX v2) bytes; raises GlossaryError if unreadable."""
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
    try:
        root = ET.fromstring(data, parser=parser)
    except ET.ParseError as error:
        line = error.position[0] if error.position else 0
        raise GlossaryError([Problem(name, line, f"not well-formed XML: {error}")]) from None
    layout: list[tuple[str, str]] = []
    header: list[str] = []
    for p in root.iter():
        if _local(p.tag) == "p" and p.text is None and not p.attrib:
            layout.append(("blank", ""))
        elif _local(p.tag) == "p" and (p.text or "").startswith("targman:columns="):
            header = p.text.split("=", 1)[1].split(" ")
        elif _local(p.tag) == "p" and (p.text or "").startswith("#"):
            layout.append(("comment", p.text))
    layout.append(("header", ""))
    body = next((e for e in root.iter() if _local(e.tag) == "body"), None)
    if body is None:
        raise GlossaryError([Problem(name, 0, "no <body> element; is this a TBX file?")])
    concepts: dict[str, Concept] = {}
    languages: list[str] = []
    for number, element in enumerate(body, start=1):
        if element.tag is ET.Comment:
            text = _uncomment(element.text or "")
            if text == "" or text.startswith("#"):
                layout.append(("comment" if text else "blank", text))
            continue
        if _local(element.tag) not in ("conceptEntry", "termEntry"):
            continue
        concept, ours = _read_concept(element, default_type, number, languages)
        if not ours:
            concept = _with_desk_id(concept, concepts, Path(name).name, element.get("id"))
        if concept.id in concepts:
            raise GlossaryError([Problem(name, 0, f"concept id {concept.id!r} appears twice")])
        concepts[concept.id] = concept
        layout.append(("concept", concept.id))
    if not header:
        header = []
    return Glossary(Path(name), "", concepts, languages, header, layout)


def _read_concept(entry, default_type: str, number: int, languages: list[str]) -> tuple[Concept, bool]:
    """The concept of a TBX entry, and whether targman wrote it (its type note is there)."""
    concept_id = entry.get("id") or f"c{number}"
    ctype, options, notes, ours = default_type, frozenset(), [], False
    terms: dict[str, tuple[Term, ...]] = {}
    copied = set()
    irregular = {}
    for child in entry:
        tag = _local(child.tag)
        text = (child.text or "").strip()
        if tag == "note" and text.startswith("targman:type="):
            ctype, ours = text.split("=", 1)[1], True
        elif tag == "note" and text.startswith("targman:options="):
            options = frozenset(text.split("=", 1)[1].split(","))
        elif tag in ("note", "descrip") and text:
            notes.append(text)
        elif tag in ("langSec", "langSet"):
            lang = (child.get(_XML_LANG) or child.get("lang") or "und").split("-")[0].lower()
            if lang not in languages:
                languages.append(lang)
            for n in child:
                text = (n.text or "").strip() if _local(n.tag) == "note" else ""
                if text == "targman:copied":
                    copied.add(lang)
                elif text.startswith("targman:forms="):
                    irregular[lang] = tuple(forms_from_cell(text.split("=", 1)[1]))
            terms[lang] = terms.get(lang, ()) + tuple(_read_terms(child, lang))
    if not ours and _proper_noun(entry):
        ctype = name_type(_clues(entry, notes)) or NAME_DEFAULT
    concept = Concept(concept_id, ctype, " ".join(notes), options, terms, 0, frozenset(copied),
                      irregular=irregular)
    if not ours:
        infer_dnt(concept)
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
    fields = [(e.text or "").strip() for e in entry.iter()
              if (_local(e.tag) == "descrip" and e.get("type") == "subjectField") or _local(e.tag) == "subjectField"]
    return [f for f in fields if f] + notes


def name_type(texts: list[str]) -> str | None:
    """`person`, `place` or `org` from the first text that names one (`Geography` -> place)."""
    for text in texts:
        for ctype, pattern in _NAME_CLUES:
            if pattern.search(text):
                return ctype
    return None


def _read_terms(lang_sec, lang: str) -> list[Term]:
    found = []
    for section in lang_sec:
        if _local(section.tag) not in ("termSec", "tig", "ntig"):
            continue
        text, kind, status = "", "full", None
        for element in section.iter():
            tag = _local(element.tag)
            if tag == "term":
                text = "".join(element.itertext()).strip()
            elif tag == "termNote" and element.get("type") == "termType":
                kind = "short" if (element.text or "").strip() in _SHORT_TYPES else "full"
            elif tag == "termNote" and element.get("type") == "administrativeStatus":
                value = (element.text or "").strip()
                status = ("preferred" if value.startswith("preferred") else
                          "forbidden" if value.startswith(("deprecated", "superseded")) else "variant")
        if text:
            found.append((text, kind, status))
    terms = []
    rank = {"preferred": 0, "variant": 1, "forbidden": 2}
    for kind in ("full", "short"):
        mine = [[t, s] for t, k, s in found if k == kind]
        preferred = next((m for m in mine if m[1] == "preferred"), None)
        preferred = preferred or next((m for m in mine if m[1] != "forbidden"), None)
        for item in mine:
            if item is preferred:
                item[1] = "preferred"
            elif item[1] in (None, "preferred"):
                item[1] = "variant"
        # the preferred term first, then admitted, then forbidden, as in a native cell
        for text, status in sorted(mine, key=lambda m: rank[m[1]]):
            terms.append(Term(text, lang, status, kind))
    return terms
