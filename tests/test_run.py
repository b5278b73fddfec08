"""The batch job end to end: with tiny real models loaded by path where a model matters,
with the torch-free FunctionEngine where only routing and layout do."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.batch.runner import run
from pipeline.cli import main
from pipeline.config import Config, with_overrides
from pipeline.engines.testing import FunctionEngine

REPO = Path(__file__).resolve().parents[1]

MIXED = """Մատչելիության հղումներ

CSTO Also Ready To Send Monitors

Russia - Lavrov speaks in Moscow, September 19, 2022.
Russia - Lavrov speaks in Moscow, September 19, 2022.

Լավրովը հանդիպեց Միրզոյանին։ The meeting was in Astana. ՆԱՏՕ-ն և MWPs անդամները չեկան:

2022
"""


def config(model, tgt, **run_options):
    overrides = {f"run__{k}": v for k, v in run_options.items()}
    return with_overrides(Config(), model__id=str(model), model__max_length=8, run__tgt=tgt, run__progress="off", **overrides)


def function_config(tgt, **run_options):
    """Settings for a run whose engine is a FunctionEngine (the model id only names it)."""
    return config("function-engine", tgt, **run_options)


def rows(out):
    return [json.loads(line) for line in (out / "segments.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.fixture()
def articles(tmp_path):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "mixed.txt").write_text(MIXED, encoding="utf-8")
    (folder / "sub" / "hy.md").write_text("# Վերնագիր\n\nԲաքուն և Երևանը։ Մոսկվան լռեց։\n", encoding="utf-8")
    (folder / "sub" / "en.txt").write_text("Only English here.\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize("direction, tgt", [("hy-en", "en"), ("en-hy", "hy")])
def test_mixed_article_routed_by_language(tiny_models, articles, tmp_path, direction, tgt):
    out = tmp_path / "out"
    result = run(articles, out, config(tiny_models[direction], tgt))
    assert not result.failed
    table = rows(out)
    assert [r["doc"] for r in table][:1] == ["mixed.txt"]
    for r in table:
        if r["kind"] != "text":
            continue
        if r["src_lang"] in (tgt, "und"):
            assert r["target"] == r["source"], r  # already in the target language: untouched
        else:
            assert r["target"] != r["source"], r
    # rows are in document order
    for doc in {r["doc"] for r in table}:
        indexes = [r["index"] for r in table if r["doc"] == doc]
        assert indexes == list(range(len(indexes)))
    # files done, translated at the same relative paths
    assert (out / "sub" / "hy.md").exists() and (out / "sub" / "en.txt").exists()
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["files"]["sub/hy.md"]["status"] == "done"
    assert manifest["model"]["id"] == str(tiny_models[direction])
    assert "transformers" in manifest["versions"] and manifest["timings"]["total_s"] > 0


def test_pass_through_is_byte_exact_and_layout_kept(articles, tmp_path):
    out = tmp_path / "out"
    run(articles, out, function_config("en"), engine=FunctionEngine())
    assert (out / "sub" / "en.txt").read_bytes() == (articles / "sub" / "en.txt").read_bytes()
    text = (out / "mixed.txt").read_text(encoding="utf-8")
    lines = text.split("\n")
    # boilerplate and the repeated caption are dropped; blank lines between paragraphs stay
    assert lines[:4] == ["CSTO Also Ready To Send Monitors", "", "Russia - Lavrov speaks in Moscow, September 19, 2022.", ""]
    assert "Մատչելիության" not in text
    assert text.count("Russia - Lavrov") == 1
    assert "The meeting was in Astana." in lines[4]  # English sentence inside the mixed paragraph kept verbatim
    assert lines[-2:] == ["2022", ""]
    md = (out / "sub" / "hy.md").read_text(encoding="utf-8")
    assert md.startswith("# ") and md.count("\n\n") == 1


def test_boilerplate_and_duplicates_kept_when_configured(articles, tmp_path):
    out = tmp_path / "out"
    run(articles, out, function_config("hy", boilerplate_output="keep", duplicate_output="keep"), engine=FunctionEngine())
    table = rows(out)
    kinds = {r["kind"] for r in table}
    assert {"boilerplate", "duplicate"} <= kinds
    boiler = next(r for r in table if r["kind"] == "boilerplate")
    assert boiler["target"] == boiler["source"] and "dropped" not in boiler["flags"]
    dup = next(r for r in table if r["kind"] == "duplicate")
    original = next(r for r in table if r["source"] == dup["source"] and r["kind"] == "text")
    assert dup["target"] == original["target"] != dup["source"]  # the translation is reused, not redone
    text = (out / "mixed.txt").read_text(encoding="utf-8")
    assert text.startswith("Մատչելիության հղումներ\n\n")
    lines = text.split("\n")
    assert lines[4] == lines[5] == original["target"]


def test_segment_rows_have_the_contract_fields(articles, tmp_path):
    out = tmp_path / "out"
    run(articles, out, function_config("en"), engine=FunctionEngine())
    for r in rows(out):
        assert {"doc", "para", "index", "src_lang", "kind", "source", "target", "flags"} <= set(r)
        assert r["kind"] in ("text", "boilerplate", "duplicate")
        assert isinstance(r["flags"], list)


def test_jsonl_and_html_inputs(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "feed.jsonl").write_text(
        json.dumps({"id": "a1", "text": "Լավրովը խոսեց։\n\nEnglish stays.", "source": "azatutyun"}, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    (folder / "page.html").write_text("<html><body><article><h1>Երևան</h1><p>Hello &lt;world&gt;.</p></article></body></html>", encoding="utf-8")
    out = tmp_path / "out"
    run(folder, out, function_config("en"), engine=FunctionEngine())
    record = json.loads((out / "feed.jsonl").read_text(encoding="utf-8"))
    assert record["id"] == "a1" and record["source"] == "azatutyun" and record["lang"] == "en"
    assert record["text"].endswith("\n\nEnglish stays.")
    assert not record["text"].startswith("Լավրովը")
    page = (out / "page.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page and "<p>Hello &lt;world&gt;.</p>" in page and "<h1>" in page
    assert {r["doc"] for r in rows(out)} == {"feed.jsonl#a1", "page.html"}


@pytest.mark.slow
def test_bad_file_fails_alone(tiny_models, articles, tmp_path, capsys):
    (articles / "latin1.txt").write_bytes("Café crème\n".encode("latin-1"))
    (articles / "notes.pdf").write_bytes(b"%PDF-1.4")
    (articles / "broken.docx").write_bytes(b"PK\x03\x04")
    out = tmp_path / "out"
    code = main(["run", str(articles), "-o", str(out), "--model", str(tiny_models["hy-en"]), "--tgt", "en", "--progress", "off"])
    assert code == 1
    err = capsys.readouterr().err
    assert "FAILED latin1.txt" in err and "not UTF-8" in err and "latin1.txt:1" in err
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["status"] == "completed_with_errors"
    assert manifest["files"]["latin1.txt"]["status"] == "failed"
    assert manifest["files"]["notes.pdf"] == {"status": "skipped", "reason": "unsupported file type '.pdf'; targman reads "
                                                    ".docx, .htm, .html, .jsonl, .markdown, .md, .txt"}
    assert manifest["files"]["broken.docx"]["status"] == "failed" and "not a Word .docx file" in manifest["files"]["broken.docx"]["error"]
    assert manifest["files"]["mixed.txt"]["status"] == "done"
    assert (out / "mixed.txt").exists() and not (out / "latin1.txt").exists()


def test_output_inside_input_is_not_read_back(articles):
    out = articles / "translated"
    run(articles, out, function_config("en"), engine=FunctionEngine())
    run(articles, out, function_config("en"), engine=FunctionEngine())
    assert not any(r["doc"].startswith("translated/") for r in rows(out))


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--model", "Helsinki-NLP/opus-mt-hy-en", "--tgt", "en"], "targman model fetch Helsinki-NLP/opus-mt-hy-en DIR"),
        (["--config", "nope.toml"], "config 'nope.toml' not found"),
        ([], "no target language"),
    ],
)
def test_cli_usage_errors_exit_2(articles, tmp_path, capsys, extra, message, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    code = main(["run", str(articles), "-o", str(tmp_path / "out"), *extra])
    assert code == 2
    assert message in capsys.readouterr().err


def test_cli_bad_config_key_lists_valid_keys(articles, tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[model]\nbeams = 4\n")
    assert main(["run", str(articles), "-o", str(tmp_path / "out"), "--config", str(bad), "--tgt", "en"]) == 2
    assert "valid keys: engine, id, revision" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_as_a_user_calls_it(tiny_models, articles, tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", str(articles), "-o", str(out), "--tgt", "hy", "--model", str(tiny_models["en-hy"])],
        capture_output=True, text=True, cwd=REPO, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "3 file(s) translated, 0 failed" in proc.stderr
    assert "targman: segments " in proc.stderr and "(100%)" in proc.stderr and "files 3/3" in proc.stderr  # lines when not a terminal
    assert (out / "segments.jsonl").exists()


def test_m2m100_model_runs_both_directions(tiny_models, articles, tmp_path):
    for tgt in ("en", "hy"):
        out = tmp_path / tgt
        result = run(articles, out, config(tiny_models["m2m100"], tgt))
        assert not result.failed
        translated = [r for r in rows(out) if r["kind"] == "text" and r["src_lang"] not in (tgt, "und")]
        assert translated and all("__" not in r["target"] for r in translated)
