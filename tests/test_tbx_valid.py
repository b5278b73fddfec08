"""TBX that other tools trust: the export validates against the TBX core RELAX NG and TBX-Basic's
dialect constraints (the Schematron rules, as a table: lxml runs XSLT 1 Schematron only, and
TBX-Basic_DCA.sch needs XSLT 2); imports of real-shaped files keep statuses and definitions."""

from __future__ import annotations

import re

import time
from pathlib import Path

import pytest

import pipeline.cli
from pipeline.errors import GlossaryError
from pipeline.glossary import load
from pipeline.devtools.tbx_bench import microsoft_like
from pipeline.glossary.formats import read_any
from pipeline.glossary.tbx import from_xml_id, import_tbx, read_tbx, status_of, to_tbx, xml_id
from tests.glossary_fixtures import REPO, SMALL, write

DATA = Path(__file__).parent / "data"
TBX = "urn:iso:std:iso:30042:ed-2"
T = f"{{{TBX}}}"

# TBX-Basic_DCA.sch (dialect 1.2.1, tests/data/schemas), pattern by pattern: the data-category
# values each element may have, and the levels where a category may appear.
PERMITTED_TYPES = {
    "admin": {"customerSubset", "projectSubset", "source"},
    "descrip": {"subjectField", "context", "definition"},
    "ref": {"crossReference"},
    "termNote": {"administrativeStatus", "partOfSpeech", "geographicalUsage", "grammaticalGender", "termLocation",
                 "termType"},
    "transac": {"transactionType"},
    "transacNote": {"responsibility"},
    "xref": {"externalCrossReference", "xGraphic"},
}
PERMITTED_VALUES = {
    "administrativeStatus": {"admittedTerm-admn-sts", "deprecatedTerm-admn-sts", "supersededTerm-admn-sts",
                             "preferredTerm-admn-sts"},
    "partOfSpeech": {"adjective", "noun", "other", "verb", "adverb"},
    "grammaticalGender": {"masculine", "feminine", "neuter", "other"},
    "termType": {"fullForm", "acronym", "abbreviation", "shortForm", "variant", "phrase"},
}
LEVELS = {  # descrip type -> the elements it may sit in (directly or in a descripGrp)
    "subjectField": {"conceptEntry"},
    "context": {"termSec"},
    "definition": {"conceptEntry", "langSec"},
}


def dialect_problems(root) -> list[str]:
    """Every violation of the TBX-Basic DCA constraints above (an empty list: valid)."""
    problems = []
    if root.get("type") != "TBX-Basic" or root.get("style") != "dca":
        problems.append("root: type must be TBX-Basic and style dca")
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if not element.tag.startswith(T):
            problems.append(f"{element.tag}: DCT style elements are not permitted in DCA style TBX")
            continue
        local, kind = element.tag[len(T):], element.get("type")
        if local in PERMITTED_TYPES and kind not in PERMITTED_TYPES[local]:
            problems.append(f"line {element.sourceline}: <{local} type={kind!r}> not permitted")
        if local == "termNote":
            parent = element.getparent().tag[len(T):]
            if parent not in ("termSec", "termNoteGrp"):
                problems.append(f"line {element.sourceline}: termNote only at termSec level")
            if kind in PERMITTED_VALUES and (element.text or "") not in PERMITTED_VALUES[kind]:
                problems.append(f"line {element.sourceline}: {kind} {element.text!r} not permitted")
        if local == "descrip" and kind in LEVELS:
            parent = element.getparent()
            if parent.tag == T + "descripGrp":
                parent = parent.getparent()
            if parent.tag[len(T):] not in LEVELS[kind]:
                problems.append(f"line {element.sourceline}: {kind} not allowed in {parent.tag[len(T):]}")
        if element.get("target") is not None:
            target = element.get("target")
            if not target.startswith(("http://", "https://")) and not root.xpath("//*[@id=$t]", t=target):
                problems.append(f"line {element.sourceline}: target {target!r} is neither an id nor an http URI")
    return problems


def core_schema():
    from lxml import etree

    return etree.RelaxNG(etree.parse(str(DATA / "schemas" / "TBXcoreStructV03.rng")))


def validate(text: str) -> list[str]:
    from lxml import etree

    root = etree.fromstring(text.encode("utf-8"))
    schema = core_schema()
    problems = [] if schema.validate(root.getroottree()) else [str(e) for e in schema.error_log]
    return problems + dialect_problems(root)


DIGIT_IDS = """\
id\ttype\ten\ten_short\thy\tnote
2020-war\tterm\t2020 war\t\tպատերազմ 2020\t
ararat-mirzoyan\tperson\tArarat Mirzoyan\tMirzoyan|!Mirzoian\tԱրարատ Միրզոյան\tforeign minister
csto\torg\tCollective Security Treaty Organization\tCSTO\tՀավաքական անվտանգության պայմանագրի կազմակերպություն\tՀԱՊԿ
x_x0041_y\tplace\tXy\t\tԽյ\t
"""


def cli(*argv):
    return pipeline.cli.main(["glossary", *map(str, argv)])


def test_the_desk_glossary_exports_as_valid_tbx_basic(tmp_path, capsys):
    out = tmp_path / "desk.tbx"
    assert cli("convert", REPO / "glossaries" / "desk.tsv", out) == 0
    text = out.read_text(encoding="utf-8")
    assert validate(text) == []
    assert "properNoun" not in text and text.count('<termNote type="partOfSpeech">noun</termNote>') > 100
    assert "targman:type=person" in text  # the concept type is kept, in a note
    capsys.readouterr()


def test_the_checks_are_not_rubber_stamps():
    """The old export (partOfSpeech properNoun, an id starting with a digit) fails them."""
    good = to_tbx(load_text(DIGIT_IDS))
    assert validate(good) == []
    bad = good.replace('<termNote type="partOfSpeech">noun</termNote>',
                       '<termNote type="partOfSpeech">properNoun</termNote>', 1)
    assert any("partOfSpeech 'properNoun' not permitted" in p for p in validate(bad))
    bad_id = good.replace('id="_x0032_020-war"', 'id="2020-war"')
    assert validate(bad_id) and "2020-war" not in validate(good)
    assert any("not permitted" in p for p in validate(good.replace('type="termType"', 'type="usageNote"', 1)))


def load_text(text: str, name: str = "g.tsv"):
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_text(text, encoding="utf-8")
        return load(path)


@pytest.mark.parametrize("concept_id", ["2020-war", "x_x0041_y", "a:b", "Երևան", "-lead", "ok.id-1"])
def test_concept_ids_become_xml_ids_and_come_back(concept_id):
    value = xml_id(concept_id)
    from lxml import etree

    etree.fromstring(f'<x xml:id="{value}"/>'.encode())  # xml:id must be an NCName
    assert ":" not in value and not value[0].isdigit() and value[0] != "-"
    assert from_xml_id(value) == concept_id


@pytest.mark.parametrize("version, root", [("3", "<tbx "), ("2", "<martif ")])
def test_both_tbx_versions_round_trip_to_the_same_bytes(tmp_path, capsys, version, root):
    native = write(tmp_path, DIGIT_IDS, "ids.tsv")
    assert cli("fmt", native) == 0
    tbx, back = tmp_path / f"v{version}.tbx", tmp_path / "back.tsv"
    assert cli("convert", "--tbx-version", version, native, tbx) == 0
    assert root in tbx.read_text(encoding="utf-8")
    assert cli("convert", tbx, back) == 0
    assert back.read_bytes() == native.read_bytes()
    capsys.readouterr()


def tool_concept(glossary, tool_id: str):
    """The concept a termbase called `tool_id`: imports give concepts ids from their English term as
    `glossary add` does (issue 26) and keep the tool's id in the note."""
    if tool_id in glossary.concepts:
        return glossary.concepts[tool_id]
    (found,) = [c for c in glossary.concepts.values() if re.search(rf"(^|\()id {re.escape(tool_id)} in ", c.note)]
    return found


def test_the_official_tbx_basic_sample_imports_with_meaning(capsys):
    """The dialect's own valid sample (Astronomy, DCA): statuses, definitions, contexts, subject fields."""
    assert core_schema().validate(__import__("lxml.etree").etree.parse(str(DATA / "tbx-basic-astronomy-dca.tbx")))
    glossary, summary = import_tbx(DATA / "tbx-basic-astronomy-dca.tbx")
    c1 = tool_concept(glossary, "c1")
    assert [(t.text, t.status) for t in c1.terms["en"]] == [("open cluster", "preferred"),
                                                           ("galactic cluster", "forbidden")]  # superseded
    assert "definition (en): A group of stars formed together in the spiral arms of a galaxy. (source: Oxford2007)" \
        in c1.note
    assert "subject field: General" in c1.note and 'context (en "open cluster"): Over 1100' in c1.note
    assert glossary.languages[:2] == ["en", "es"]
    assert summary.kept["definition"] > 40 and summary.kept["context"] > 90
    assert any("transactions" in k for k in summary.dropped)
    assert not any(t.status == "preferred" and t.text == "galactic cluster"
                   for c in glossary.concepts.values() for ts in c.terms.values() for t in ts)


def test_the_tbx_basic_v2_sample_keeps_subject_note_and_the_deprecated_acronym(tmp_path, capsys):
    glossary, summary = import_tbx(DATA / "tbx-basic-v2-sample.tbx")
    entry = tool_concept(glossary, "eid-Oracle-67")
    parts = entry.note.split(" | ")
    assert parts[0] == "subject field: manufacturing"
    assert "This is a sample entry with some data categories at the termEntry level." in parts
    assert parts[1].startswith("definition: A value between 0 and 1")
    # the deprecated acronym stays forbidden and joins the full forms (no forbidden-only short column)
    assert [(t.text, t.status, t.kind) for t in entry.terms["en"]] == [
        ("alpha smoothing factor", "preferred", "full"), ("ASF", "forbidden", "full")]
    assert [(t.text, t.status) for t in tool_concept(glossary, "eid-Oracle-68").terms["en"]] == [
        ("lead time", "preferred"), ("delivery lag", "forbidden")]
    out = tmp_path / "sample.tsv"
    assert cli("convert", DATA / "tbx-basic-v2-sample.tbx", out) == 0  # lint-clean
    err = capsys.readouterr().err
    assert "mapped: administrativeStatus 'supersededTerm-admn-sts' -> forbidden (1)" in err


def test_weblate_obsolete_terms_are_forbidden_never_preferred(tmp_path, capsys):
    glossary, summary = import_tbx(DATA / "weblate-extended-metadata.tbx")
    e001 = tool_concept(glossary, "e001")
    assert [(t.text, t.status) for t in e001.terms["en"]] == [("system bus", "preferred"), ("data bus", "forbidden")]
    assert [(t.text, t.status) for t in e001.terms["fr"]] == [("bus système", "preferred"),
                                                             ("bus de données", "forbidden")]
    assert e001.note.startswith("definition: Superseded; still found in older manuals. | Translation needed: Yes")
    assert 'grammaticalGender (fr "bus système"): masculine' in e001.note
    e002 = tool_concept(glossary, "e002")
    assert "definition: An internal code identifier that is never localized. (source: developer guide)" in e002.note
    assert 'note (en "SYS_ERR_406"): Do not translate error codes.' in e002.note
    assert "e003" not in glossary.concepts  # every term obsolete or not recommended: nothing to prefer
    assert summary.mapped["administrativeStatus 'obsolete' -> forbidden"] == 3
    assert summary.dropped["concepts with no allowed term in any language"] == 1
    assert glossary.languages == ["en", "fr"]


@pytest.mark.parametrize("value, status", [
    ("preferredTerm-admn-sts", "preferred"), ("preferred", "preferred"), ("admittedTerm-admn-sts", "variant"),
    ("admitted", "variant"), ("standardizedTerm", "variant"), ("deprecatedTerm-admn-sts", "forbidden"),
    ("supersededTerm-admn-sts", "forbidden"), ("obsolete", "forbidden"), ("notRecommended", "forbidden"),
    ("not recommended", "forbidden"), ("forbidden", "forbidden"), ("frobnicated", None),
])
def test_status_mapping(value, status):
    assert status_of(value) == status


def test_language_columns_are_en_hy_then_alphabetical():
    text = f"""<tbx type="TBX-Basic" style="dca" xml:lang="en" xmlns="{TBX}"><text><body>
  <conceptEntry id="a"><langSec xml:lang="ru"><termSec><term>Москва</term></termSec></langSec>
    <langSec xml:lang="hy"><termSec><term>Մոսկվա</term></termSec></langSec>
    <langSec xml:lang="en"><termSec><term>Moscow</term></termSec></langSec></conceptEntry>
  <conceptEntry id="b"><langSec xml:lang="de"><termSec><term>Baku</term></termSec></langSec>
    <langSec xml:lang="en"><termSec><term>Baku city</term></termSec></langSec>
    <langSec xml:lang="hy"><termSec><term>Բաքու</term></termSec></langSec></conceptEntry>
</body></text></tbx>"""
    glossary, _ = read_tbx(text.encode(), "order.tbx")
    assert glossary.languages == ["en", "hy", "de", "ru"]
    assert list(tool_concept(glossary, "a").terms) == ["en", "hy", "ru"]


@pytest.mark.parametrize("data, message", [
    ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE tbx [<!ENTITY e "Injected">]>'
     f'<tbx xmlns="{TBX}"><text><body><conceptEntry id="a"><langSec xml:lang="en"><termSec><term>&e;</term>'
     '</termSec></langSec></conceptEntry></body></text></tbx>', "DOCTYPE with declarations"),
    (f'<martif><text><body>{"<x>" * 300}{"</x>" * 300}</body></text></martif>', "nested too deeply"),
    ('<!DOCTYPE martif SYSTEM "TBXcoreStructV02.dtd"><martif><text><body>&nbsp;</body></text></martif>',
     "only a DTD defines"),
    ("<martif><text><body>", "not well-formed"),
])
def test_hostile_tbx_ends_in_one_line(tmp_path, capsys, data, message):
    path = tmp_path / "bad.tbx"
    path.write_bytes(data.encode("utf-16") if "UTF-16" in data else data.encode())
    with pytest.raises(GlossaryError, match=message):
        read_any(path)
    assert cli("convert", path, tmp_path / "out.tsv") == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and not (tmp_path / "out.tsv").exists()


def test_a_tbx_over_the_size_limit_is_refused_before_reading(tmp_path, monkeypatch):
    from pipeline.glossary import tbx

    path = tmp_path / "big.tbx"
    path.write_bytes(b"<martif>" + b" " * 5000 + b"</martif>")
    monkeypatch.setattr(tbx, "MAX_BYTES", 4096)
    with pytest.raises(GlossaryError, match="MB limit"):
        import_tbx(path)


@pytest.mark.slow
def test_a_large_termbase_keeps_every_definition(tmp_path):
    """5,783 entries, as many as the Microsoft Terminology Collection has (a file of its shape:
    the real one cannot be downloaded here); each tool id is kept in its concept's note."""
    path = tmp_path / "ms.tbx"
    path.write_bytes(microsoft_like(5783))
    started = time.perf_counter()
    glossary, summary = import_tbx(path)
    elapsed = time.perf_counter() - started
    assert len(glossary.concepts) == 5783 and summary.kept["definition"] == 5783
    assert tool_concept(glossary, "17").note == "definition (en): Definition number 16 of a software term. (id 17 in ms.tbx)"
    assert glossary.languages == ["en", "hy"]
    assert elapsed < 60  # a sanity bound on a shared machine, not a speed target


def test_tbx_import_is_one_function_merge_can_call(tmp_path):
    """`glossary merge` (issue 21) reads TBX through `import_tbx`: a path in, (glossary, summary) out."""
    small = write(tmp_path, SMALL, "small.tsv")
    assert cli("fmt", small) == 0
    tbx = tmp_path / "small.tbx"
    assert cli("convert", small, tbx) == 0
    glossary, summary = import_tbx(tbx)
    assert set(glossary.concepts) == set(load(small).concepts) and summary.concepts == len(glossary.concepts)
