"""What a run takes in: one file as well as a folder, and references that cannot be used are
said, not silently dropped (issue 17: `run ARTICLE.txt`, item 9)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.batch.runner import run
from pipeline.cli import main
from pipeline.engines.testing import FunctionEngine
from pipeline.translation import translator as translator_module


@pytest.fixture()
def engine(monkeypatch) -> FunctionEngine:
    engine = FunctionEngine()
    monkeypatch.setattr(translator_module, "load_engine", lambda *a, **k: engine)
    return engine


def manifest(out: Path) -> dict:
    return json.loads((out / "run.json").read_text(encoding="utf-8"))


# -- item 9: references ----------------------------------------------------------------------
def test_a_reference_laid_out_otherwise_is_reported_not_silently_unscored(tmp_path, caplog):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("Բաքուն լռեց։\n\nՄոսկվան պատասխանեց։\n", encoding="utf-8")
    (folder / "a.ref.txt").write_text("Baku was silent. Moscow answered.\n", encoding="utf-8")  # 1 paragraph, not 2
    (folder / "b.txt").write_text("Երևանը սպասեց։\n", encoding="utf-8")
    (folder / "b.ref.txt").write_text("Yerevan waited.\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run(folder, out, tgt="en", engine=FunctionEngine(), progress="off", cache=False)
    entry = result.files["a.txt"]
    assert "a.ref.txt" in entry["reference"] and "1 paragraph" in entry["reference"] and "2" in entry["reference"]
    assert "reference" not in result.files["b.txt"]
    assert any("a.ref.txt" in record.getMessage() for record in caplog.records)
    assert manifest(out)["files"]["a.txt"]["reference"] == entry["reference"]
    assert result.manifest["scores"]["docs"]["b.txt"]["scored"] == 1


def test_a_reference_without_its_article_is_listed(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("Բաքուն լռեց։\n", encoding="utf-8")
    (folder / "ghost.ref.txt").write_text("Nobody wrote this article.\n", encoding="utf-8")
    result = run(folder, tmp_path / "out", tgt="en", engine=FunctionEngine(), progress="off", cache=False)
    ghost = result.files["ghost.ref.txt"]
    assert ghost["status"] == "skipped" and "ghost.txt" in ghost["reason"]
    assert result.manifest["counts"]["skipped"] == 1


# -- run ARTICLE.txt -o OUT ----------------------------------------------------------------------
def test_run_takes_one_file(engine, tmp_path, capsys):
    folder = tmp_path / "desk"
    folder.mkdir()
    article = folder / "story.txt"
    article.write_text("Բաքուն լռեց։\n\nThe talks went on.\n", encoding="utf-8")
    (folder / "story.ref.txt").write_text("Baku was silent.\n\nThe talks went on.\n", encoding="utf-8")
    (folder / "other.txt").write_text("Մոսկվան պատասխանեց։\n", encoding="utf-8")  # not asked for
    out = tmp_path / "out"
    code = main(["run", str(article), "-o", str(out), "--tgt", "en", "--model", "function-engine", "--progress", "off"])
    assert code == 0, capsys.readouterr().err
    assert (out / "story.txt").read_text(encoding="utf-8") == "[hy>en] Բաքուն լռեց։\n\nThe talks went on.\n"
    assert not (out / "other.txt").exists()
    data = manifest(out)
    assert list(data["files"]) == ["story.txt"] and data["input"] == str(article.resolve())
    assert data["scores"]["corpus"]["scored"] == 2  # its reference sibling is used
    # Resumes like a folder run.
    assert main(["run", str(article), "-o", str(out), "--tgt", "en", "--model", "function-engine",
                 "--progress", "off"]) == 0
    assert manifest(out)["resume"]["files_reused"] == 1
    assert "1 file(s) translated (1 finished by an earlier run)" in capsys.readouterr().err


@pytest.mark.parametrize("name, message", [
    ("story.pdf", "unsupported file type '.pdf'"),
    ("story.ref.txt", "is a reference translation"),
])
def test_run_of_a_file_it_cannot_read_says_why(engine, tmp_path, capsys, name, message):
    path = tmp_path / name
    path.write_text("x\n", encoding="utf-8")
    assert main(["run", str(path), "-o", str(tmp_path / "out"), "--tgt", "en", "--model", "function-engine"]) == 2
    err = capsys.readouterr().err
    assert message in err and "no such folder" not in err
    assert not (tmp_path / "out").exists()


def test_run_of_a_missing_input_says_so(engine, tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope"), "-o", str(tmp_path / "out"), "--tgt", "en"]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_run_of_a_file_into_its_own_folder_is_refused(engine, tmp_path, capsys):
    article = tmp_path / "story.txt"
    article.write_text("Բաքուն լռեց։\n", encoding="utf-8")
    assert main(["run", str(article), "-o", str(tmp_path), "--tgt", "en", "--model", "function-engine"]) == 2
    assert "would overwrite" in capsys.readouterr().err
    assert article.read_text(encoding="utf-8") == "Բաքուն լռեց։\n"
