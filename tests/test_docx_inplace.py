"""Word files translated in place (pipeline.documents.docx_doc): runs keep their formatting on
the words they marked, hyperlinks their targets, tracked changes are left alone."""

import copy
import io
import json
import random
import shutil
import subprocess
import zipfile

import pytest

docx = pytest.importorskip("docx")
from docx.oxml.ns import qn  # noqa: E402
from docx.shared import Pt  # noqa: E402

from pipeline.batch.runner import run  # noqa: E402
from pipeline.config import Config, with_overrides  # noqa: E402
from pipeline.documents import docx_doc  # noqa: E402
from pipeline.engines.testing import FunctionEngine  # noqa: E402


def reverse_words(text, src="en", tgt="hy"):
    return " ".join(word[::-1] for word in text.split())


def config():
    return with_overrides(Config(), model__id="function-engine", run__tgt="hy", run__progress="off", cache__memory=False)


def hyperlink(paragraph, text, url):
    """A w:hyperlink to `url` around one run (python-docx has no call for it)."""
    rid = paragraph.part.relate_to(url, "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink",
                                   is_external=True)
    link = paragraph._p.makeelement(qn("w:hyperlink"), {qn("r:id"): rid})
    run = paragraph.add_run(text)
    run.underline = True
    paragraph._p.remove(run._r)
    link.append(run._r)
    paragraph._p.append(link)
    return rid


def memo(path):
    d = docx.Document()
    d.add_heading("The prime minister visits Paris", 1)
    p = d.add_paragraph("The ")
    p.add_run("prime minister").bold = True
    p.add_run(" said on ")
    r = p.add_run("Monday")
    r.italic, r.font.size = True, Pt(14)
    p.add_run(" that talks went well. Read ")
    hyperlink(p, "the full statement", "https://example.com/statement")
    p.add_run(" today.")
    tracked = d.add_paragraph("Kept as it is.")
    ins = tracked._p.makeelement(qn("w:ins"), {qn("w:id"): "1", qn("w:author"): "Editor", qn("w:date"): "2024-01-01T00:00:00Z"})
    ins.append(copy.deepcopy(tracked.runs[0]._r))
    ins[0].find(qn("w:t")).text = " An inserted sentence."
    tracked._p.append(ins)
    table = d.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "Cell one"
    table.cell(0, 1).text = "Cell two here"
    d.sections[0].header.paragraphs[0].text = "Example News memo"
    d.sections[0].footer.paragraphs[0].text = "Internal use only"
    d.save(path)


def run_memo(tmp_path, make):
    """OUT_DIR of a run over the memo `make(path)` writes, word by word; the memo is done."""
    folder = tmp_path / "in"
    folder.mkdir()
    make(folder / "memo.docx")
    out = tmp_path / "out"
    result = run(folder, out, config(), engine=FunctionEngine(reverse_words, pairs=[("en", "hy")]), review=False)
    assert result.files["memo.docx"]["status"] == "done"
    return out


def test_a_run_translates_the_memo_in_place(tmp_path):
    out = run_memo(tmp_path, memo)
    folder = tmp_path / "in"
    d = docx.Document(str(out / "memo.docx"))
    heading, body, tracked = d.paragraphs[:3]
    assert heading.text == "ehT emirp retsinim stisiv siraP" and heading.style.name == "Heading 1"
    runs = [(r.text.strip(), r.bold, r.italic, r.font.size) for r in body.runs if r.text.strip()]
    assert ("emirp retsinim", True, None, None) in runs and ("yadnoM", None, True, Pt(14)) in runs
    links = body._p.findall(qn("w:hyperlink"))
    assert len(links) == 1 and "".join(t.text for t in links[0].iter(qn("w:t"))) == "eht lluf tnemetats"
    rid = links[0].get(qn("r:id"))
    assert d.part.rels[rid].target_ref == "https://example.com/statement"
    assert tracked.text == "Kept as it is." and tracked._p.find(qn("w:ins")) is not None  # tracked change untouched
    assert [c.text for c in d.tables[0].rows[0].cells] == ["lleC eno", "lleC owt ereh"]
    assert d.sections[0].header.paragraphs[0].text == "elpmaxE sweN omem"
    assert d.sections[0].footer.paragraphs[0].text == "lanretnI esu ylno"
    rows = [json.loads(line) for line in (out / "segments.jsonl").read_text(encoding="utf-8").splitlines()]
    assert all("markup-moved" not in r["flags"] for r in rows)
    # the same translation gives the same bytes (resume and apply check the file by its hash)
    again = run(folder, tmp_path / "again", config(), engine=FunctionEngine(reverse_words, pairs=[("en", "hy")]),
                review=False)
    assert not again.failed
    assert (out / "memo.docx").read_bytes() == (tmp_path / "again" / "memo.docx").read_bytes()
    resumed = run(folder, out, config(), engine=FunctionEngine(reverse_words, pairs=[("en", "hy")]), review=False)
    assert resumed.manifest["resume"]["files_reused"] == 1


def test_a_broken_docx_fails_alone_with_a_message(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "bad.docx").write_bytes(b"PK\x03\x04 not a zip")
    (folder / "ok.txt").write_text("Fine.\n", encoding="utf-8")
    result = run(folder, tmp_path / "out", config(), engine=FunctionEngine(reverse_words, pairs=[("en", "hy")]),
                 review=False)
    assert result.files["ok.txt"]["status"] == "done"
    assert "not a Word .docx file" in result.files["bad.docx"]["error"]


def formatted_words(document):
    """Every word of every paragraph with the bold and italic of the run it is in."""
    out = []
    for p in document.paragraphs:
        for r in p.runs:
            out += [(word, bool(r.bold), bool(r.italic)) for word in r.text.split()]
    return out


@pytest.mark.parametrize("seed", range(10))
def test_fuzz_random_runs_keep_their_formatting_on_their_words(tmp_path, seed):
    rng = random.Random(seed)
    words = "the prime minister said on Monday that talks went well in Yerevan".split()
    d = docx.Document()
    for _ in range(5):
        p = d.add_paragraph()
        for _ in range(rng.randint(1, 6)):
            r = p.add_run(" ".join(rng.choice(words) for _ in range(rng.randint(1, 3))) + " ")
            r.bold, r.italic = rng.random() < 0.3 or None, rng.random() < 0.3 or None
    buffer = io.BytesIO()
    d.save(buffer)
    doc = docx_doc.parse(buffer.getvalue())
    from pipeline.documents.inline import render

    data = docx_doc.render(doc, [render(reverse_words(p.text), p.text, p.tags)[0] for p in doc.paragraphs])
    back = docx.Document(io.BytesIO(data))
    expected = [(word[::-1], bold, italic) for word, bold, italic in formatted_words(docx.Document(io.BytesIO(buffer.getvalue())))]
    assert formatted_words(back) == expected
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None


@pytest.mark.skipif(not (shutil.which("soffice") or shutil.which("libreoffice")), reason="LibreOffice is not installed")
def test_libreoffice_opens_the_output(tmp_path):
    run_memo(tmp_path, memo)
    office = shutil.which("soffice") or shutil.which("libreoffice")
    subprocess.run([office, "--headless", "--convert-to", "txt", "--outdir", str(tmp_path), str(tmp_path / "out" / "memo.docx")],
                   check=True, timeout=120, capture_output=True)
    assert "emirp retsinim" in (tmp_path / "memo.txt").read_text(encoding="utf-8", errors="replace")


FOOTNOTES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:footnotes xmlns:w="{docx_doc.W}">
<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>
<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>
<w:footnote w:id="1"><w:p><w:pPr><w:pStyle w:val="FootnoteText"/></w:pPr><w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:footnoteRef/></w:r><w:r><w:t xml:space="preserve"> Source: the </w:t></w:r><w:r><w:rPr><w:i/></w:rPr><w:t>ministry statement</w:t></w:r><w:r><w:t xml:space="preserve"> of Monday</w:t></w:r></w:p></w:footnote>
</w:footnotes>"""


def with_footnote(path):
    """A memo whose body sentence carries footnote 1 (python-docx has no footnote API: the part is built here)."""
    from docx.opc.constants import CONTENT_TYPE, RELATIONSHIP_TYPE
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    d = docx.Document()
    p = d.add_paragraph("The talks went well")
    mark = p.add_run()
    mark._r.append(mark._r.makeelement(qn("w:footnoteReference"), {qn("w:id"): "1"}))
    mark.font.superscript = True
    p.add_run(" in Yerevan today")
    part = Part(PackURI("/word/footnotes.xml"), CONTENT_TYPE.WML_FOOTNOTES, FOOTNOTES.encode("utf-8"), d.part.package)
    d.part.relate_to(part, RELATIONSHIP_TYPE.FOOTNOTES)
    d.save(path)


def footnotes_of(path):
    from lxml import etree

    with zipfile.ZipFile(path) as z:
        return etree.fromstring(z.read("word/footnotes.xml"))


def test_a_footnote_is_translated_in_place_and_its_reference_kept(tmp_path):
    out = run_memo(tmp_path, with_footnote)
    body = docx.Document(str(out / "memo.docx")).paragraphs[0]
    pieces = [("ref" if r._r.find(qn("w:footnoteReference")) is not None else r.text) for r in body.runs]
    assert "".join(p if p != "ref" else "[1]" for p in pieces) == "ehT sklat tnew llew[1] ni navereY yadot"
    assert body._p.find(f".//{qn('w:footnoteReference')}").get(qn("w:id")) == "1"
    notes = footnotes_of(out / "memo.docx")
    note = next(n for n in notes.iter(qn("w:footnote")) if n.get(qn("w:id")) == "1")
    assert note.find(f".//{qn('w:footnoteRef')}") is not None  # the note's own mark stays, first
    runs = [("".join(t.text for t in r.iter(qn("w:t"))), r.find(f"{qn('w:rPr')}/{qn('w:i')}") is not None)
            for r in note.iter(qn("w:r")) if r.find(qn("w:t")) is not None]
    assert "".join(text for text, _ in runs) == " :ecruoS eht yrtsinim tnemetats fo yadnoM"
    assert ("yrtsinim tnemetats", True) in runs  # the italic stays on the words it marked
    assert len(list(notes.iter(qn("w:footnote")))) == 3  # the separators are kept
    rows = [json.loads(line) for line in (out / "segments.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {r["source"] for r in rows} == {"The talks went well in Yerevan today", "Source: the ministry statement of Monday"}
