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
    assert "The talks went well in Paris." in text and "<b>" not in text and "**" not in text
    edited = text.replace("Մըեչ եծդեդ.", "Նրանք ավարտեցին։")
    assert edited != text
    export.write_text(edited, encoding="utf-8")
    import_xliff(out, export)
    apply_edits(out)
    assert "<p>Նրանք ավարտեցին։</p>" in (out / "page.html").read_text(encoding="utf-8")
