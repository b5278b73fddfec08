"""Messages a newcomer followed and was misled by (issue 17, items 3, 4 and 11).

Each test runs the command a new user ran and checks that what it says is true:
the option it names exists, the file it names is the one meant, the numbers add up.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.engines.testing import FunctionEngine
from pipeline.translation import translator as translator_module

REPO = Path(__file__).resolve().parents[1]
DESK = REPO / "glossaries" / "desk.tsv"


@pytest.fixture()
def function_engine(monkeypatch) -> FunctionEngine:
    """Every Translator the CLI builds translates with a FunctionEngine (no model)."""
    engine = FunctionEngine()
    monkeypatch.setattr(translator_module, "load_engine", lambda *a, **k: engine)
    return engine


@pytest.fixture()
def test_set(tmp_path) -> dict[str, Path]:
    lines = {"src": ["Լավրովը հանդիպեց Միրզոյանին։", "Բաքուն լռեց։", "Մոսկվան պատասխանեց։"],
             "ref": ["Lavrov met Mirzoyan.", "Baku was silent.", "Moscow answered."],
             "docs": ["d1", "d1", "d2"]}
    paths = {}
    for name, rows in lines.items():
        paths[name] = tmp_path / f"{name}.txt"
        paths[name].write_text("\n".join(rows) + "\n", encoding="utf-8")
    return paths


def eval_args(test_set, *extra: str) -> list[str]:
    return ["eval", "--src", str(test_set["src"]), "--ref", str(test_set["ref"]), "--docs", str(test_set["docs"]),
            "--tgt", "en", "--model", "function-engine", "--progress", "off", *extra]


# -- item 3: eval names --force, and takes it ----------------------------------------------------
def test_eval_into_a_folder_of_other_settings_takes_the_force_it_asks_for(function_engine, test_set, tmp_path, capsys):
    out = tmp_path / "eval"
    assert main(eval_args(test_set, "-o", str(out))) == 0
    capsys.readouterr()
    assert main(eval_args(test_set, "-o", str(out), "--beam", "2")) == 2
    assert "--force" in capsys.readouterr().err
    assert main(eval_args(test_set, "-o", str(out), "--beam", "2", "--force")) == 0


# -- item 4: glossary match --to a language the glossary lacks -----------------------------------
def test_glossary_match_to_a_language_the_glossary_lacks_is_one_line(tmp_path, capsys, monkeypatch):
    text = tmp_path / "in.txt"
    text.write_text("Mirzoyan said\n", encoding="utf-8")
    assert main(["glossary", "match", "--glossary", str(DESK), "--lang", "en", "--to", "fr", str(text)]) == 2
    err = capsys.readouterr().err
    assert "--to fr" in err and "en, hy" in err and "Traceback" not in err


# -- item 11: every misleading message -----------------------------------------------------------
@pytest.mark.parametrize("models_folder", [False, True])
def test_a_missing_model_folder_is_said_to_be_missing_not_to_be_fetched(tmp_path, monkeypatch, capsys, models_folder):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("Բաքուն լռեց։\n", encoding="utf-8")
    if models_folder:
        (tmp_path / "models" / "opus-mt-en-hy").mkdir(parents=True)
    code = main(["run", "in", "-o", "out", "--tgt", "en", "--model", "models/opus-mt-hy-en", "--progress", "off"])
    err = capsys.readouterr().err
    assert code == 2
    looked_for = str(tmp_path / "models" / "opus-mt-hy-en")
    assert looked_for in err  # the folder it looked for, first
    if models_folder:  # `models/` is a folder here: the name is a path, nothing to fetch
        assert "no such model folder" in err and "opus-mt-en-hy" in err  # and what is there instead
        assert "model fetch models/opus-mt-hy-en" not in err
    else:  # it could still be a hub id: both readings, the folder first
        assert err.index(looked_for) < err.index("model fetch")
    assert not (tmp_path / "out").exists()


def test_model_convert_offline_does_not_name_an_option_it_lacks(tmp_path, capsys, monkeypatch):
    pytest.importorskip("ctranslate2")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    code = main(["model", "convert", "Helsinki-NLP/opus-mt-hy-en-not-cached", str(tmp_path / "ct2")])
    err = capsys.readouterr().err
    assert code == 2
    assert "--model" not in err
    assert "targman model convert DIR" in err


def test_model_tiny_does_not_overwrite_a_folder(tmp_path, capsys):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me\n")
    assert main(["model", "tiny", str(folder)]) == 2
    assert "--force" in capsys.readouterr().err
    assert (folder / "notes.txt").read_text() == "keep me\n"


def test_eval_text_format_shows_every_document(function_engine, test_set, capsys):
    assert main(eval_args(test_set, "--format", "text")) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("BLEU|")
    for doc in ("d1", "d2"):
        assert any(line.startswith(f"{doc} ") and "chrF++" in line and "BLEU" in line for line in lines)


def test_a_russian_segment_is_untranslated_once(function_engine, tmp_path):
    from pipeline import Translator

    with Translator.from_config(engine=function_engine, tgt="en", cache=False) as translator:
        [result] = translator.translate(["Лавров встретился с Мирзояном."])
    assert result.flags == ["untranslated:ru"]


def test_the_summary_counts_add_up(function_engine, tmp_path, capsys):
    """A rerun of an edited article: what was translated, by the model or from the memory, adds up."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text("Բաքուն լռեց։\nՄոսկվան պատասխանեց։\nԵրևանը սպասեց։\n", encoding="utf-8")
    base = ["run", str(src), "-o", str(tmp_path / "out"), "--tgt", "en", "--model", "function-engine", "--progress", "off"]
    assert main(base) == 0
    (src / "a.txt").write_text("Բաքուն լռեց։\nՄոսկվան պատասխանեց։\nԵրևանը սպասեց։\nՆոր նախադասություն։\n",
                               encoding="utf-8")
    capsys.readouterr()
    assert main(base) == 0
    err = capsys.readouterr().err
    assert "4 translated by machine" in err
    assert "1 by the model, 3 from the translation memory" in err


def test_runs_md_does_not_claim_every_model_file_is_hashed():
    text = (REPO / "docs" / "runs.md").read_text(encoding="utf-8")
    assert "the sha256 of every file of a local model folder" not in text
    assert "first and last megabyte" in text
