"""XLIFF 2.1 / 1.2 export and import: read back by translate-toolkit (an independent reader) and by
targman; an edited round trip changes exactly the edited units in the articles, and a rerun keeps them."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from review_helpers import make_run, rows

from pipeline.runfolder.edits import EditLog
from pipeline.cli import main
from pipeline.errors import InputError, TargmanError
from pipeline.runfolder.log import ReviewLog
from pipeline.review.xliff import export_xliff, import_xliff, parse_unit_id, read_xliff, unit_id

XLIFF2 = "urn:oasis:names:tc:xliff:document:2.0"


@pytest.fixture
def out(tmp_path):
    return make_run(tmp_path)


@pytest.mark.parametrize("doc, index, expected", [
    ("a01.txt", 3, "a01.txt:3"),
    ("news/a02.md", 0, "news_x002F_a02.md:0"),
    ("feed.jsonl#id 7", 12, "feed.jsonl_x0023_id_x0020_7:12"),
    ("1st.txt", 0, "_x0031_st.txt:0"),
    ("x_x0041_y.txt", 1, "x_x005F_x0041_y.txt:1"),
    ("Երևան.txt", 2, "Երևան.txt:2"),
])
def test_unit_ids_are_xml_names_that_read_back_as_the_segment_key(doc, index, expected):
    assert unit_id(doc, index) == expected
    assert parse_unit_id(expected) == (doc, index)
    assert re.fullmatch(r"[^\s/#]+", expected)


def test_xliff21_as_translate_toolkit_reads_it(out, tmp_path):
    xliff2 = pytest.importorskip("translate.storage.xliff2")
    path = tmp_path / "run.xlf"
    result = export_xliff(out, path)
    assert (result.version, result.units, result.documents) == ("2.1", 6, 3)
    store = xliff2.Xliff2File.parsefile(str(path))
    assert (store.getsourcelanguage(), store.gettargetlanguage()) == ("hy", "en")
    units = {u.getid(): u for u in store.units}
    assert set(units) == {"a01.txt:0", "a01.txt:1", "a03.txt:0", "news_x002F_a02.md:0", "news_x002F_a02.md:1",
                          "news_x002F_a02.md:2"}
    first = units["a01.txt:0"]
    assert first.source == "Լավրովը հանդիպեց Միրզոյանին։" and first.target == "MT Լավրովը հանդիպեց Միրզոյանին։"
    assert first.istranslated() and not first.isapproved()
    # notes belong to the <unit> in XLIFF 2 (translate-toolkit's getnotes() looks inside <segment>)
    notes = first.getunitelement().find(f"{{{XLIFF2}}}notes")
    assert "term-missed" in [n.text for n in notes if n.get("category") == "flag"]
    # the XML itself: root, languages, one <file> per document, terms as <mrk type="term"> and glossary entries
    import xml.etree.ElementTree as ET

    root = ET.parse(path).getroot()
    assert root.tag == f"{{{XLIFF2}}}xliff" and root.get("version") == "2.1"
    files = root.findall(f"{{{XLIFF2}}}file")
    assert [f.get("original") for f in files] == ["a01.txt", "a03.txt", "news/a02.md"]
    marks = [m for m in root.iter(f"{{{XLIFF2}}}mrk")]
    assert {m.get("type") for m in marks} == {"term"} and "Լավրովը" in [m.text for m in marks]
    entries = list(root.iter("{urn:oasis:names:tc:xliff:glossary:2.0}glossEntry"))
    assert {e.findtext("{urn:oasis:names:tc:xliff:glossary:2.0}translation") for e in entries} >= {"Lavrov", "Mirzoyan", "CSTO"}
    assert {s.get("state") for s in root.iter(f"{{{XLIFF2}}}segment")} == {"translated"}


def test_xliff12_as_translate_toolkit_reads_it(out, tmp_path):
    xliff = pytest.importorskip("translate.storage.xliff")
    path = tmp_path / "run12.xlf"
    assert main(["export", str(out), "--format", "xliff12", "-o", str(path)]) == 0
    store = xliff.xlifffile.parsefile(str(path))
    units = [u for u in store.units if not u.isheader()]
    assert len(units) == 6
    assert store.getsourcelanguage() == "hy" and store.gettargetlanguage() == "en"
    assert sorted(store.getfilenames()) == ["a01.txt", "a03.txt", "news/a02.md"]
    first = next(u for u in units if u.source.startswith("Լավրովը"))
    assert first.target == "MT Լավրովը հանդիպեց Միրզոյանին։" and not first.isapproved()
    assert "term-missed" in first.getnotes()
    assert first.getid().endswith("a01.txt:0")


@pytest.mark.parametrize("fmt", ["xliff", "xliff12"])
def test_an_edited_round_trip_changes_exactly_the_edited_units_and_a_rerun_keeps_them(tmp_path, fmt, capsys):
    """Export, edit two units with translate-toolkit (as a CAT tool would), import, apply, rerun."""
    pytest.importorskip("translate.storage.xliff2")
    from translate.storage import xliff, xliff2

    from pipeline.engines.testing import FunctionEngine

    engine = FunctionEngine(lambda text, src, tgt: f"MT {text}")
    out = make_run(tmp_path, engine=engine)
    articles_before = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.suffix in (".txt", ".md")}
    path = tmp_path / "run.xlf"
    assert main(["export", str(out), "--format", fmt, "-o", str(path)]) == 0
    store = (xliff2.Xliff2File if fmt == "xliff" else xliff.xlifffile).parsefile(str(path))
    units = {u.source: u for u in store.units if u.source}
    units["Միրզոյանը Մոսկվայում է։"].target = "Mirzoyan is in Moscow."
    units["Միրզոյանը Մոսկվայում է։"].markapproved(True)
    units["Բաքվում հանդիպում էր։"].target = "There was a meeting in Baku."
    units["Նրանք խոսեցին ՀԱՊԿ-ի մասին։"].markapproved(True)  # reviewed, unchanged
    edited = tmp_path / "edited.xlf"
    store.savefile(str(edited))
    assert main(["import", str(out), str(edited), "--who", "translator"]) == 0
    err = capsys.readouterr().err
    assert "6 unit(s): 2 post-edit(s) taken, 1 marked reviewed, 4 unchanged, 0 not applied" in err, err[-300:]
    assert {(e.doc, e.index, e.after, e.via, e.who) for e in EditLog(out).read()} == {
        ("news/a02.md", 1, "Mirzoyan is in Moscow.", "xliff", "translator"),
        ("a03.txt", 0, "There was a meeting in Baku.", "xliff", "translator"),
    }
    assert ReviewLog(out).reviewed() == {("a01.txt", 1): "Նրանք խոսեցին ՀԱՊԿ-ի մասին։"}
    assert main(["apply", str(out)]) == 0
    after = {rel: (out / rel).read_bytes() for rel in articles_before}
    assert after["a01.txt"] == articles_before["a01.txt"]
    assert after["a03.txt"].decode() == "There was a meeting in Baku.\n"
    assert after["news/a02.md"].decode() == "# MT Մոսկվա\n\nMirzoyan is in Moscow. MT Նա կվերադառնա Երևան։\n"
    table = {(r["doc"], r["index"]): r for r in rows(out)}
    assert table[("news/a02.md", 1)]["origin"] == "human" and table[("a03.txt", 0)]["origin"] == "human"
    assert table[("news/a02.md", 1)]["terms"][0]["honoured"] is True  # Mirzoyan is in the editor's text
    assert "term-missed" not in table[("news/a02.md", 1)]["flags"] and "untranslated" not in table[("a03.txt", 0)]["flags"]
    assert sum(1 for r in table.values() if r.get("origin") == "human") == 2
    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert manifest["post_edits"]["corpus"]["edited"] == 2 and manifest["post_edits"]["corpus"]["terms_added"] >= 2
    # a rerun over the same folder keeps them: nothing to translate, the articles stay as they are
    calls = len(engine.calls)
    from pipeline import Translator, run

    with Translator.from_config(engine=engine, tgt="en", terms="check", glossary=str(tmp_path / "desk.tsv")) as translator:
        result = run(tmp_path / "in", out, translator=translator, progress="off")
    assert result.manifest["resume"]["files_reused"] == 3 and len(engine.calls) == calls
    assert {rel: (out / rel).read_bytes() for rel in articles_before} == after
    assert rows(out) == list(table.values())
    assert result.manifest["post_edits"] == manifest["post_edits"]
    # and a run that translates the files again (--force) takes the post-edits: the same articles
    with Translator.from_config(engine=engine, tgt="en", terms="check", glossary=str(tmp_path / "desk.tsv")) as translator:
        run(tmp_path / "in", out, translator=translator, progress="off", force=True)
    assert {rel: (out / rel).read_bytes() for rel in articles_before} == after
    assert rows(out) == list(table.values())


def test_import_reports_units_whose_source_changed_and_refuses_another_run(out, tmp_path, capsys):
    other = make_run(tmp_path, out_name="out2")  # another run folder: the same articles, the same settings
    path = tmp_path / "run.xlf"
    export_xliff(out, path)
    text = path.read_text(encoding="utf-8")
    text = text.replace('<target xml:space="preserve">MT Բաքվում հանդիպում էր։</target>',
                        '<target xml:space="preserve">A meeting in Baku.</target>')
    assert "Նա կվերադառնա <mrk" in text
    text = text.replace("Նա կվերադառնա <mrk", "Նա շուտով կվերադառնա <mrk")  # the source changed in the CAT tool
    text = text.replace('<target xml:space="preserve">MT Նա կվերադառնա Երևան։</target>',
                        '<target xml:space="preserve">He will soon return to Yerevan.</target>')
    text = text.replace('<unit id="a01.txt:0"', '<unit id="a01.txt:99"')
    path.write_text(text, encoding="utf-8")
    result = import_xliff(out, path)
    assert result.edited == 1 and result.units == 6
    assert dict(result.not_applied) == {
        "news_x002F_a02.md:2": "its source differs from the run's (the article changed since the export, or the CAT tool "
                               "changed the source)",
        "a01.txt:99": "no such segment in this run",
    }
    # another run folder refuses the file, and says why
    with pytest.raises(TargmanError, match="exported from another run"):
        import_xliff(other, path)
    assert main(["import", str(other), str(path)]) == 2
    assert "nothing was imported" in capsys.readouterr().err
    assert not (other / "edits.jsonl").exists()
    assert import_xliff(other, path, force=True).edited == 1  # --force: still only units whose source matches
    # a file for another target language is refused even with --force
    with pytest.raises(TargmanError, match="translates into 'hy'"):
        path.write_text(text.replace('trgLang="en"', 'trgLang="hy"'), encoding="utf-8")
        import_xliff(out, path, force=True)


@pytest.mark.parametrize("content, message", [
    (b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaa'>]><x>&a;</x>", "DOCTYPE"),
    (b"<xliff", "not well-formed"),
    (b"<root/>", "not an XLIFF"),
])
def test_import_refuses_what_is_not_an_exported_xliff(out, tmp_path, content, message):
    path = tmp_path / "bad.xlf"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_xliff(path)


def test_characters_xml_cannot_carry_and_export_states(tmp_path):
    out = make_run(tmp_path, articles={"a.txt": "Լավրովը\x07 ասաց։\n"})
    path = tmp_path / "run.xlf"
    export_xliff(out, path)
    assert '<cp hex="0007"/>' in path.read_text(encoding="utf-8")
    version, info, units = read_xliff(path)
    assert units[0]["source"] == "Լավրովը\x07 ասաց։"
    shutil.copy(path, tmp_path / "copy.xlf")
    assert import_xliff(out, tmp_path / "copy.xlf").unchanged == 1
