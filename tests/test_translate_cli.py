"""`targman translate`: paragraphs in, paragraphs out, on the public Translator (issue 17)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.engines.testing import FunctionEngine
from pipeline.translation import translator as translator_module

REPO = Path(__file__).resolve().parents[1]
DESK = REPO / "glossaries" / "desk.tsv"
TEXT = "Լավրովը հանդիպեց Միրզոյանին։\n\nThe talks went on with Mirzoian.\n# Բաքուն լռեց։\n"


@pytest.fixture()
def engine(monkeypatch) -> FunctionEngine:
    engine = FunctionEngine()
    monkeypatch.setattr(translator_module, "load_engine", lambda *a, **k: engine)
    return engine


def translate(monkeypatch, text: str, *args: str) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    return main(["translate", "--model", "function-engine", *args])


def test_paragraphs_in_paragraphs_out(engine, monkeypatch, capsys):
    assert translate(monkeypatch, TEXT, "--tgt", "en") == 0
    out, err = capsys.readouterr()
    assert out == ("[hy>en] Լավրովը հանդիպեց Միրզոյանին։\n\nThe talks went on with Mirzoian.\n"
                   "# [hy>en] Բաքուն լռեց։\n")
    assert "3 paragraph(s): 2 translated, 1 passed through" in err


def test_flags_and_terms_go_to_stderr(engine, monkeypatch, capsys):
    assert translate(monkeypatch, TEXT, "--tgt", "en", "--glossary", str(DESK)) == 0
    out, err = capsys.readouterr()
    assert out.count("\n") == 4  # stdout holds the translation only
    line1 = next(line for line in err.splitlines() if line.startswith("targman: line 1: "))
    assert "terms Լավրովը -> Lavrov (MISSED); Միրզոյանին -> Mirzoyan (MISSED)" in line1 and "term-missed" in line1
    assert "targman: line 3: glossary-variant [Mirzoian: the desk writes Mirzoyan (ararat-mirzoyan)]" in err
    assert "term success" in err


def test_jsonl_gets_a_record_a_line(engine, monkeypatch, capsys, tmp_path):
    records = tmp_path / "records.jsonl"
    assert translate(monkeypatch, TEXT, "--tgt", "en", "--glossary", str(DESK), "--jsonl", str(records)) == 0
    out, err = capsys.readouterr()
    rows = [json.loads(line) for line in records.read_text(encoding="utf-8").splitlines()]
    assert [row["line"] for row in rows] == [1, 2, 3, 4]
    assert rows[0]["text"] == out.splitlines()[0] and rows[0]["src_lang"] == "hy"
    assert [(t["concept"], t["target"]) for t in rows[0]["terms"]] == [("sergei-lavrov", "Lavrov"),
                                                                       ("ararat-mirzoyan", "Mirzoyan")]
    assert rows[2]["flags"] == ["glossary-variant"] and rows[2]["notes"]["glossary-variant"]
    assert "line 3:" not in err  # the records went to the file


def test_a_file_argument_and_a_missing_target(engine, monkeypatch, capsys, tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("\ufeffԲաքուն լռեց։\r\n", encoding="utf-8")
    assert main(["translate", "--model", "function-engine", "--tgt", "en", str(source)]) == 0
    assert capsys.readouterr().out == "[hy>en] Բաքուն լռեց։\n"
    assert main(["translate", "--model", "function-engine", str(source)]) == 2
    assert "no target language" in capsys.readouterr().err


@pytest.mark.slow
def test_translate_on_a_tiny_model_in_a_process(tiny_models, tmp_path):
    """The real path: a model folder, a process, stdin to stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "translate", "--tgt", "en", "--model", str(tiny_models["hy-en"]),
         "--max-length", "6", "--beam", "1", "--glossary", str(DESK)],
        input=TEXT, capture_output=True, text=True, cwd=REPO, timeout=300,
        env={**os.environ, "TARGMAN_CACHE_DIR": str(tmp_path / "cache")},
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.split("\n")
    assert len(lines) == 5 and lines[1] == "" and lines[2] == "The talks went on with Mirzoian."
    assert lines[0] and lines[0] != TEXT.split("\n")[0]
    assert "Traceback" not in done.stderr
