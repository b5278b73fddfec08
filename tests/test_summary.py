"""The end of `targman run`: a summary that says what to do next (issue 17: the summary, items 7 and 12)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.engines.testing import FunctionEngine
from pipeline.translation import translator as translator_module

REPO = Path(__file__).resolve().parents[1]
DESK = REPO / "glossaries" / "desk.tsv"


def use_engine(monkeypatch, engine: FunctionEngine) -> FunctionEngine:
    monkeypatch.setattr(translator_module, "load_engine", lambda *a, **k: engine)
    return engine


@pytest.fixture()
def articles(tmp_path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("Մատչելիության հղումներ\n\nԼավրովը հանդիպեց Միրզոյանին։\n\n"
                                  "Lavrov met Mirzoian in Astana.\n", encoding="utf-8")
    (folder / "b.txt").write_text("Բաքուն լռեց 12 օր։\n", encoding="utf-8")
    (folder / "bad.txt").write_bytes("Café\n".encode("latin-1"))
    return folder


def cli_run(articles: Path, out: Path, *extra: str) -> int:
    return main(["run", str(articles), "-o", str(out), "--tgt", "en", "--model", "function-engine",
                 "--progress", "off", "--no-cache", *extra])


def test_the_summary_says_what_was_done_what_to_check_and_where(monkeypatch, articles, tmp_path, capsys):
    use_engine(monkeypatch, FunctionEngine(lambda text, src, tgt: "It was said.", constrains=True))
    out = tmp_path / "out"
    assert cli_run(articles, out, "--glossary", str(DESK)) == 1
    err = capsys.readouterr().err
    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    counts = manifest["counts"]
    assert f"{counts['done']} file(s) translated, 1 failed, 0 skipped -> {out}" in err
    assert (f"{counts['segments']} segment(s): {counts['translated']} translated by machine, "
            f"{counts['passed_through']} passed through unchanged, {counts['dropped']} dropped") in err
    flags = manifest["flags"]
    assert flags["segments"] > 0
    named = ", ".join(f"{name} {n}" for name, n in flags["by_flag"].items())
    assert f"{flags['segments']} segment(s) flagged: {named}" in err
    assert "FAILED bad.txt" in err
    assert f"next: review {out / 'review.html'}" in err and "the 1 file(s) that failed" in err
    # run.json's flag counts are the segment table's
    rows = [json.loads(line) for line in (out / "segments.jsonl").read_text(encoding="utf-8").splitlines()]
    assert flags["segments"] == sum(1 for row in rows if row["flags"])


def test_term_success_is_one_scale_on_the_console_and_in_run_json(monkeypatch, articles, tmp_path, capsys):
    """Item 7: a percentage in both (run.json's key `rate` as before)."""
    use_engine(monkeypatch, FunctionEngine(lambda text, src, tgt: "Lavrov met someone.", constrains=False))
    out = tmp_path / "out"
    cli_run(articles, out, "--glossary", str(DESK), "--terms", "check")
    err = capsys.readouterr().err
    terms = json.loads((out / "run.json").read_text(encoding="utf-8"))["scores"]["corpus"]["terms"]
    assert 0 < terms["rate"] < 100
    checked = terms["honoured"] + terms["missed"]
    assert f"glossary: {terms['honoured']} of {checked} term(s) honoured, term success {terms['rate']:.1f}%" in err
    assert not re.search(r"0\.\d{3}\b", err)  # no fraction anywhere


def test_an_engine_that_cannot_force_terms_says_so_in_the_summary(monkeypatch, articles, tmp_path, capsys):
    """Item 12: `constrain` on an engine that cannot constrain is `check`, and the summary says it."""
    use_engine(monkeypatch, FunctionEngine(lambda text, src, tgt: "Lavrov met someone.", name="ct2",
                                           constrains=False, reranks=True))
    out = tmp_path / "out"
    cli_run(articles, out, "--glossary", str(DESK))
    err = capsys.readouterr().err
    line = next(line for line in err.splitlines() if line.startswith("targman: glossary:"))
    assert "mode check: constrain was asked for, but the ct2 engine cannot force terms" in line
    assert "term-missed" in line


def test_a_run_with_nothing_flagged_says_so(monkeypatch, tmp_path, capsys):
    use_engine(monkeypatch, FunctionEngine(lambda text, src, tgt: "Baku was silent for 12 days."))
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "b.txt").write_text("Բաքուն լռեց 12 օր։\n", encoding="utf-8")
    assert cli_run(folder, tmp_path / "out") == 0
    err = capsys.readouterr().err
    assert "targman: no segment flagged" in err
    assert f"targman: next: review {tmp_path / 'out' / 'review.html'}\n" in err


def test_a_rerun_with_nothing_to_translate_says_only_what_is_there(monkeypatch, tmp_path, capsys):
    use_engine(monkeypatch, FunctionEngine())
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "b.txt").write_text("Բաքուն լռեց։\n", encoding="utf-8")
    base = ["run", str(folder), "-o", str(tmp_path / "out"), "--tgt", "en", "--model", "function-engine",
            "--progress", "off"]
    assert main(base) == 0
    assert "(this run: 1 by the model, 0 from the translation memory)" in capsys.readouterr().err
    assert main(base) == 0
    err = capsys.readouterr().err
    assert "1 file(s) translated (1 finished by an earlier run)" in err
    assert "1 segment(s): 1 translated by machine, 0 passed through" in err  # no "this run: 0 ..., 0 ..."
