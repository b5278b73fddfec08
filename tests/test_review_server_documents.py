"""A page, a story and a memo through `names` and `review --serve`: the names are found in each
format, an editor's edit over plain HTTP (127.0.0.1) goes back into each format by `apply`, and
a spelling accepted in the names panel is written into all three outputs by the next run."""

from __future__ import annotations

import io
import json
import shutil

import pytest

docx = pytest.importorskip("docx")
httpx = pytest.importorskip("httpx")
pytest.importorskip("uvicorn")

from review_helpers import REPO, Served
from test_names import DRIFT, drifting

from pipeline import Translator, run
from pipeline.cli import main

DOCS = ("page.html", "story.md", "memo.docx")
EDITS = {"page.html": "Yesterday Tsarukyan spoke there.", "story.md": "Yesterday Tsarukyan spoke.",
         "memo.docx": "Yesterday Tsarukyan spoke there."}


def three_formats(folder):
    folder.mkdir()
    (folder / "page.html").write_text('<html lang="hy"><body><nav>Գլխավոր</nav><p>Երեկ <b>Ծառուկյանը</b> խոսեց '
                                      "Երևանում։</p><p>Հետո Ծառուկյանը գնաց։</p></body></html>", encoding="utf-8")
    (folder / "story.md").write_text("# Ծառուկյանը Երևանում\n\nԵրեկ **Ծառուկյանը** խոսեց։\n\n```\nկոդ\n```\n",
                                     encoding="utf-8")
    d = docx.Document()
    p = d.add_heading("Ծառուկյանը Երևանում", 1)
    p = d.add_paragraph("Երեկ ")
    p.add_run("Ծառուկյանը").bold = True
    p.add_run(" խոսեց Երևանում։")
    d.save(folder / "memo.docx")


def outputs(out):
    memo = docx.Document(io.BytesIO((out / "memo.docx").read_bytes()))
    return ((out / "page.html").read_text(encoding="utf-8"), (out / "story.md").read_text(encoding="utf-8"),
            [p.text for p in memo.paragraphs], memo)


@pytest.mark.slow
def test_names_and_the_review_server_on_a_page_a_story_and_a_memo(tmp_path, capsys):
    folder = tmp_path / "in"
    three_formats(folder)
    shutil.copy(REPO / "glossaries" / "desk.tsv", tmp_path / "desk.tsv")
    out = tmp_path / "out"

    def translate():
        with Translator.from_config(engine=drifting(DRIFT), tgt="en", terms="check", glossary=str(tmp_path / "desk.tsv"),
                                    cache=False) as translator:
            return run(folder, out, translator=translator, progress="off")

    first = translate()
    assert not first.failed
    names = {row["lemma"]: row for row in first.manifest["names"]}
    assert names["Ծառուկյան"]["docs"] == sorted(DOCS) and names["Ծառուկյան"]["chosen"] == "Tsarukyan"

    # `names find` reads each format's text (a Word file is no UTF-8 text file; a page's markup is no name)
    assert main(["names", "find", *(str(folder / doc) for doc in DOCS)]) == 0
    found = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {(row["file"].rsplit("/", 1)[-1], row["lemma"]) for row in found} == {
        (doc, lemma) for doc in DOCS for lemma in ("Ծառուկյան", "Երևան")}
    assert main(["names", "suggest", str(out)]) == 0
    assert "Tsarukyan\tԾառուկյան" in capsys.readouterr().out

    with Served(out) as served:
        base = served.url.rstrip("/")
        headers = {"Content-Type": "application/json", "X-Targman-Token": served.server.config.app.state.token}

        def post(path, body):
            answer = httpx.post(base + path, headers=headers, content=json.dumps(body, ensure_ascii=False))
            assert answer.status_code == 200, answer.text
            return answer.json()

        segments = httpx.get(base + "/api/segments", headers=headers).json()["segments"]
        assert {s["doc"] for s in segments} == set(DOCS)
        for doc, text in EDITS.items():  # word for word: the bold goes on the name
            post("/api/edit", {"doc": doc, "index": 1 if doc != "page.html" else 0, "text": text})
        post("/api/concept", {"concept": {"type": "person", "en": "Tsarukian", "hy": "Ծառուկյան"}})
        post("/api/names", {"lemma": "Ծառուկյան", "tgt": "en", "action": "accept", "spelling": "Tsarukian"})

    assert main(["apply", str(out)]) == 0
    page, story, memo_text, memo = outputs(out)
    assert "<nav>Գլխավոր</nav>" in page and "<p>Yesterday <b>Tsarukyan</b> spoke there.</p>" in page
    assert "\nYesterday **Tsarukyan** spoke.\n" in story and "```\nկոդ\n```\n" in story
    assert memo_text[1] == "Yesterday Tsarukyan spoke there." and memo.paragraphs[0].style.name == "Heading 1"
    assert [r.text for r in memo.paragraphs[1].runs if r.bold] == ["Tsarukyan"]

    # the glossary now has the name: the next run translates the three files again with its spelling,
    # and keeps the editors' sentences
    again = translate()
    assert not again.failed
    page, story, memo_text, memo = outputs(out)
    assert "<p>. Tsarukian . .</p>" in page and "<p>Yesterday <b>Tsarukyan</b> spoke there.</p>" in page
    assert story.startswith("# Tsarukian Yerevan\n") and "\nYesterday **Tsarukyan** spoke.\n" in story
    assert memo_text[0] == "Tsarukian Yerevan" and memo_text[1] == "Yesterday Tsarukyan spoke there."
