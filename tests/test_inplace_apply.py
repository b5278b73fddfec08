"""Documents translated in place through resume and `apply`: an editor's post-edit goes into the
page, the story and the memo, with their markup (pipeline.review.apply)."""

from __future__ import annotations

import io

import pytest

from pipeline import Translator, run
from pipeline.engines.testing import FunctionEngine
from pipeline.review.apply import apply_edits
from pipeline.review.session import ReviewSession

docx = pytest.importorskip("docx")


LETTERS = str.maketrans("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
                        "աբգդեզէըթժիլխծկհձղճմյնշոչպ" "ԱԲԳԴԵԶԷԸԹԺԻԼԽԾԿՀՁՂՃՄՅՆՇՈՉՊ")


def reverse_words(text, src, tgt):
    """Word for word, letter for letter into Armenian (a Latin output would be flagged untranslated)."""
    return " ".join(word.translate(LETTERS) for word in text.split())


def folder_of_three(folder):
    folder.mkdir()
    (folder / "page.html").write_text('<html lang="en"><body><nav>Home</nav><p>The <b>talks</b> went well in Paris.</p>'
                                      "<p>They ended.</p></body></html>", encoding="utf-8")
    (folder / "story.md").write_text("# Title here\n\nThe **talks** went well in Rome.\n\n```\ncode\n```\n", encoding="utf-8")
    d = docx.Document()
    d.add_paragraph("The ").add_run("talks").bold = True
    d.paragraphs[0].add_run(" went well in Berlin.")
    d.save(folder / "memo.docx")


def test_resume_and_apply_keep_each_format(tmp_path):
    folder = tmp_path / "in"
    folder_of_three(folder)
    engine = FunctionEngine(reverse_words, pairs=[("en", "hy")])
    out = tmp_path / "out"
    with Translator.from_config(engine=engine, tgt="hy", cache=False) as translator:
        first = run(folder, out, translator=translator, progress="off", review=False)
        assert not first.failed
        before = {name: (out / name).read_bytes() for name in ("page.html", "story.md", "memo.docx")}
        again = run(folder, out, translator=translator, progress="off", review=False)
    assert again.manifest["resume"]["files_reused"] == 3
    assert {name: (out / name).read_bytes() for name in before} == before
    session = ReviewSession(out, memory=False)
    for doc in ("page.html", "story.md", "memo.docx"):
        session.edit(doc, 0, "Բանակցությունները լավ անցան։")
    session.close()
    result = apply_edits(out)
    assert sorted(result.files) == ["memo.docx", "page.html", "story.md"]
    page = (out / "page.html").read_text(encoding="utf-8")
    assert "<nav>Home</nav>" in page and "<b>" in page and "Բանակցությունները" in page and "<p>Մըեչ եծդեդ.</p>" in page
    story = (out / "story.md").read_text(encoding="utf-8")
    assert "```\ncode\n```" in story and "**" in story and "Բանակցությունները" in story
    memo = docx.Document(io.BytesIO((out / "memo.docx").read_bytes()))
    assert "Բանակցությունները" in memo.paragraphs[0].text and any(r.bold for r in memo.paragraphs[0].runs)


def test_xliff_export_and_import_of_documents_in_place(tmp_path):
    """An export of a run over a page, a story and a memo holds their plain sentences; an edited
    target comes back as a post-edit and `apply` writes it into the document with its markup."""
    from pipeline.review.xliff import export_xliff, import_xliff

    folder = tmp_path / "in"
    folder_of_three(folder)
    out = tmp_path / "out"
    with Translator.from_config(engine=FunctionEngine(reverse_words, pairs=[("en", "hy")]), tgt="hy", cache=False) as t:
        run(folder, out, translator=t, progress="off", review=False)
    export = tmp_path / "run.xlf"
    export_xliff(out, export)
    text = export.read_text(encoding="utf-8")
    assert 'The <pc id="1" dataRefStart="d1s" dataRefEnd="d1e">talks</pc> went well in Paris.' in text
    assert "<b>" not in text and '<data id="d1s">&lt;b&gt;</data>' in text  # markup only as original data
    edited = text.replace("Մըեչ եծդեդ.", "Նրանք ավարտեցին։")
    assert edited != text
    export.write_text(edited, encoding="utf-8")
    import_xliff(out, export)
    apply_edits(out)
    assert "<p>Նրանք ավարտեցին։</p>" in (out / "page.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("version", ["2.1", "1.2"])
def test_an_export_carries_the_markup_as_inline_codes(tmp_path, version):
    """2.1: `<pc>`/`<ph>` with the markup in `originalData`; 1.2: `<bpt>`/`<ept>`/`<ph>`. A target
    that keeps the codes is taken (its text); one that adds a code or a `javascript:` link is not."""
    from pipeline.review.xliff import export_xliff, import_xliff

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "page.html").write_text('<html><body><p>The <a href="/pm">prime minister</a> spoke.<br>Then '
                                      "<b>he</b> left.</p></body></html>", encoding="utf-8")
    out = tmp_path / "out"
    with Translator.from_config(engine=FunctionEngine(reverse_words, pairs=[("en", "hy")]), tgt="hy", cache=False) as t:
        run(folder, out, translator=t, progress="off", review=False)
    export = tmp_path / "run.xlf"
    export_xliff(out, export, version=version)
    text = export.read_text(encoding="utf-8")
    if version == "2.1":
        assert '<pc id="1" dataRefStart="d1s" dataRefEnd="d1e">prime minister</pc>' in text
        assert '<data id="d1s">&lt;a href="/pm"&gt;</data>' in text and '<ph id="2" dataRef="d2"/>' in text
        assert '<pc id="1" dataRefStart="d1s" dataRefEnd="d1e">հղթխե խթծթճմեղ</pc>' in text
    else:
        assert '<bpt id="1">&lt;a href="/pm"&gt;</bpt>prime minister<ept id="1">&lt;/a&gt;</ept>' in text
    if version == "2.1":  # an independent XLIFF reader (translate-toolkit) reads it
        store = pytest.importorskip("translate.storage.xliff2").Xliff2File.parsefile(str(export))
    else:
        store = pytest.importorskip("translate.storage.xliff").xlifffile.parsefile(str(export))
    assert len([u for u in store.units if u.source]) >= 2
    edited = text.replace("հղթխե խթծթճմեղ", "վարչապետը")
    hostile = edited.replace("Մըեծ", '<pc id="9">Մըեծ</pc><ph id="8" dataRef="x"/> javascript:alert(1)', 1) if version == "2.1" else edited
    export.write_text(hostile, encoding="utf-8")
    result = import_xliff(out, export)
    assert result.edited == 1  # the sentence whose codes were kept
    if version == "2.1":  # the one with a code and a script URL added is reported, not taken
        assert len(result.not_applied) == 1 and "inline code" in result.not_applied[0][1]
    apply_edits(out)
    page = (out / "page.html").read_text(encoding="utf-8")
    assert "javascript" not in page and '<a href="/pm">' in page and "վարչապետը" in page
