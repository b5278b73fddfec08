"""`targman translate FILE` for a whole document: an HTML page, a Markdown story and a Word file
come back in their own format (the same reader and writer as a run)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.engines.testing import FunctionEngine
from pipeline.translation import translator as translator_module

DATA = Path(__file__).parent / "data"


def reverse_words(text, src, tgt):
    return " ".join(word[::-1] for word in text.split())


@pytest.fixture()
def engine(monkeypatch) -> FunctionEngine:
    engine = FunctionEngine(reverse_words, pairs=[("en", "hy")])
    monkeypatch.setattr(translator_module, "load_engine", lambda *a, **k: engine)
    return engine


def test_markdown_file_in_markdown_out(engine, tmp_path, capsys):
    story = tmp_path / "story.md"
    story.write_text((DATA / "story.md").read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["translate", "--model", "function-engine", "--tgt", "hy", "--no-cache", str(story),
                 "--jsonl", str(tmp_path / "rows.jsonl")]) == 0
    out = capsys.readouterr().out
    assert '```sh\necho "do not translate"\n```' in out and "[yadnoM](https://example.com/mon" in out
    rows = [json.loads(line) for line in (tmp_path / "rows.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows and all("echo" not in r["source"] for r in rows)


def test_html_file_to_an_output_file(engine, tmp_path):
    page = tmp_path / "page.html"
    page.write_text('<html lang="en"><body><p>The <a href="/x">prime minister</a> spoke.</p>'
                    '<pre>keep</pre></body></html>', encoding="utf-8")
    assert main(["translate", "--model", "function-engine", "--tgt", "hy", "--no-cache", str(page),
                 "-o", str(tmp_path / "page.hy.html")]) == 0
    assert (tmp_path / "page.hy.html").read_text(encoding="utf-8") == (
        '<html lang="hy"><body><p>ehT <a href="/x">emirp retsinim</a> .ekops</p><pre>keep</pre></body></html>')


def test_word_file_to_an_output_file(engine, tmp_path, capsys):
    docx = pytest.importorskip("docx")
    memo = tmp_path / "memo.docx"
    d = docx.Document()
    d.add_paragraph("The ").add_run("prime minister").bold = True
    d.save(memo)
    assert main(["translate", "--model", "function-engine", "--tgt", "hy", "--no-cache", str(memo),
                 "-o", str(tmp_path / "memo.hy.docx")]) == 0
    back = docx.Document(str(tmp_path / "memo.hy.docx"))
    assert [(r.text.strip(), r.bold) for r in back.paragraphs[0].runs if r.text.strip()] == [("ehT", None), ("emirp retsinim", True)]
