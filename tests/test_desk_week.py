"""A desk's first week (issue 26): the papercuts a new desk user hit.

Each test runs what the user ran (the command, the page, the spreadsheet) and checks the
behaviour they expected: pipes end quietly, a typo gets the option meant, the files say what
they hold.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli import build_parser, main
from review_helpers import make_run

REPO = Path(__file__).resolve().parents[1]
DESK = REPO / "glossaries" / "desk.tsv"


def targman(*args: str, stdout=subprocess.PIPE, cwd=None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], stdout=stdout, stderr=subprocess.PIPE,
                          cwd=cwd or REPO, timeout=120, **kw)


# -- item 1: pipes and standard output --------------------------------------------------------------
def closed_pipe_run(*args: str) -> subprocess.CompletedProcess:
    """The command with its standard output a pipe whose reader has already gone (`| head` done)."""
    read, write = os.pipe()
    os.close(read)
    try:
        return targman(*args, stdout=write)
    finally:
        os.close(write)


def test_score_into_a_closed_pipe_exits_quietly(tmp_path):
    hyp, ref = tmp_path / "hyp.txt", tmp_path / "ref.txt"
    hyp.write_text("Lavrov met Mirzoyan.\nBaku was silent.\n", encoding="utf-8")
    ref.write_text("Lavrov met Mirzoyan.\nBaku is silent.\n", encoding="utf-8")
    done = closed_pipe_run("score", "--hyp", str(hyp), "--ref", str(ref), "--format", "text")
    assert done.returncode == 0, done.stderr.decode()
    assert b"Traceback" not in done.stderr and b"BrokenPipe" not in done.stderr


def test_a_long_output_read_by_head_exits_quietly(tmp_path):
    """`targman glossary match ... | head -1`: the reader goes away while targman still writes."""
    text = tmp_path / "in.txt"
    text.write_text("Ararat Mirzoyan met Sergey Lavrov in Moscow.\n" * 20000, encoding="utf-8")
    process = subprocess.Popen([sys.executable, "-m", "pipeline", "glossary", "match", "--glossary", str(DESK),
                                "--lang", "en", str(text)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
    first = process.stdout.readline()
    process.stdout.close()
    err = process.stderr.read()
    assert process.wait(timeout=120) == 0, err.decode()
    assert json.loads(first)["line"] == 1
    assert b"Traceback" not in err and b"BrokenPipe" not in err


def test_export_to_dash_writes_xliff_to_standard_output(tmp_path, capsys, monkeypatch):
    out = make_run(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["export", str(out), "-o", "-"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<xliff ')
    assert captured.out.rstrip().endswith("</xliff>")
    assert "standard output" in captured.err
    assert not (tmp_path / "-").exists()


# -- item 2: messages -------------------------------------------------------------------------------
@pytest.mark.parametrize("argv, meant", [
    (["run", "in", "-o", "out", "--target", "en"], "--tgt"),
    (["translate", "--target=en"], "--tgt"),
    (["glossary", "add", "g.tsv", "--type", "person", "--english", "X"], "--en"),
    (["translat", "--tgt", "en"], "translate"),
    (["glossary", "lnt", "g.tsv"], "lint"),
    (["run", "in", "-o", "out", "--tgt", "en", "--engine", "hff"], "hf"),
    (["score", "--hyp", "h", "--ref", "r", "--fromat", "text"], "--format"),
])
def test_a_mistyped_word_gets_the_one_meant(argv, meant, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "did you mean" in err and meant in err.split("did you mean", 1)[1], err
    if "unrecognized arguments" in err:  # said by the command's own parser, with its usage
        command = " ".join(word for word in argv[:2] if word in ("run", "translate", "glossary", "add", "score"))
        assert f"usage: targman {command} " in err and f"targman {command}: error:" in err


def test_review_of_a_folder_that_is_not_there_says_so(tmp_path, capsys):
    assert main(["review", str(tmp_path / "nosuch")]) == 2
    err = capsys.readouterr().err
    assert "no such folder" in err and str(tmp_path / "nosuch") in err
    assert "segments.jsonl" not in err


@pytest.mark.parametrize("command", ["edit", "rm"])
def test_an_unknown_glossary_id_gets_the_near_ones(tmp_path, capsys, command):
    glossary = tmp_path / "desk.tsv"
    glossary.write_bytes(DESK.read_bytes())
    extra = ["--note", "x"] if command == "edit" else []
    assert main(["glossary", command, str(glossary), "ararat-mirzoian", *extra]) == 2
    err = capsys.readouterr().err
    assert "ararat-mirzoian" in err and "did you mean ararat-mirzoyan" in err
    assert glossary.read_bytes() == DESK.read_bytes()


def test_lint_does_not_promise_what_fmt_then_refuses(tmp_path, capsys):
    """A whitespace problem beside one fmt cannot fix: lint says fmt fixes it only once the other is
    fixed, and fmt, refusing, says what blocks it."""
    glossary = tmp_path / "g.tsv"
    glossary.write_text("id\ttype\ten\ten_short\thy\thy_short\toptions\tnote\n"
                        "lavrov\tperson\tSergey Lavrov \t\tՍերգեյ Լավրով\t\t\t\n"
                        "lavrov\tperson\tSergei Lavrov\t\tՍերգեյ Լավրովը\t\t\t\n", encoding="utf-8")
    assert main(["glossary", "lint", str(glossary)]) == 1
    out = capsys.readouterr().out
    assert "whitespace" in out
    assert "fmt` fixes this)" not in out  # the plain promise would be false here
    assert "once" in out
    assert main(["glossary", "fmt", str(glossary)]) == 1
    err = capsys.readouterr().err
    assert "not reformatted" in err and "by hand" in err


def _help_less(parser: argparse.ArgumentParser, prog: str) -> list[str]:
    """Every argument (and every subcommand) of the parser tree without a help text."""
    missing = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helped = {choice.dest for choice in action._choices_actions if choice.help}
            for name, child in action.choices.items():
                if name not in helped:
                    missing.append(f"{prog} {name}")
                missing += _help_less(child, f"{prog} {name}")
        elif not action.help and not isinstance(action, argparse._HelpAction):
            missing.append(f"{prog} {'/'.join(action.option_strings) or action.metavar or action.dest}")
    return missing


def test_every_argument_of_every_command_says_what_it_is():
    assert _help_less(build_parser(), "targman") == []


def test_model_tiny_and_glossary_convert_help_describe_their_arguments(capsys):
    for argv in (["model", "tiny", "--help"], ["glossary", "convert", "--help"]):
        with pytest.raises(SystemExit):
            main(argv)
    out = capsys.readouterr().out
    assert "the folder to build the model in" in out
    assert "the glossary to read" in out and "the file to write" in out


def test_a_skipped_spbleu_is_not_named_twice():
    from pipeline.evaluation.scoring import format_text

    text = format_text({"spBLEU": {"skipped": "spBLEU skipped: the sentencepiece package is not installed"}})
    assert text == "spBLEU skipped: the sentencepiece package is not installed"
    assert format_text({"spBLEU": {"skipped": "no model"}}) == "spBLEU skipped: no model"


def test_the_summary_names_the_flags_beyond_the_first_eight():
    from types import SimpleNamespace

    from pipeline.cli.summary import lines

    by_flag = {f"flag-{n}": 10 - n for n in range(9)}
    manifest = {"counts": {"done": 1, "failed": 0, "skipped": 0, "segments": 9, "translated": 9,
                           "passed_through": 0, "dropped": 0},
                "flags": {"segments": 9, "by_flag": by_flag}}
    said = "\n".join(lines(SimpleNamespace(manifest=manifest, out_dir=Path("out"))))
    assert "and 1 more: flag-8 2" in said


def test_eval_warns_when_the_source_is_already_in_the_target_language(tmp_path, capsys, monkeypatch):
    from pipeline.engines.testing import FunctionEngine
    from pipeline.translation import translator as translator_module

    monkeypatch.setattr(translator_module, "load_engine", lambda *a, **k: FunctionEngine())
    src, ref = tmp_path / "src.txt", tmp_path / "ref.txt"
    src.write_text("Lavrov met Mirzoyan.\nBaku was silent.\n", encoding="utf-8")
    ref.write_text("Lavrov met Mirzoyan.\nBaku was silent.\n", encoding="utf-8")
    base = ["eval", "--src", str(src), "--ref", str(ref), "--model", "function-engine", "--progress", "off",
            "--format", "text"]
    assert main([*base, "--tgt", "en"]) == 0
    err = capsys.readouterr().err
    assert "2 of 2 source line(s) are already in en" in err and "--tgt hy" in err
    src.write_text("Լավրովը հանդիպեց Միրզոյանին։\nԲաքուն լռեց։\n", encoding="utf-8")
    assert main([*base, "--tgt", "en"]) == 0
    assert "already in" not in capsys.readouterr().err


# -- item 5: spreadsheets and summaries --------------------------------------------------------------
def test_review_tsv_opens_in_a_spreadsheet_with_origin_and_reviewed(tmp_path):
    import csv

    from pipeline.evaluation.report import write_review
    from pipeline.runfolder.log import ReviewLog

    out = make_run(tmp_path)
    rows = [json.loads(line) for line in (out / "segments.jsonl").read_text(encoding="utf-8").splitlines()]
    marked = next(row for row in rows if row["src_lang"] == "hy" and row["target"])
    ReviewLog(out).mark(marked["doc"], marked["index"], marked["source"], True, "Anna")
    write_review(out)
    data = (out / "review.tsv").read_bytes()
    assert data.startswith("\ufeff".encode())  # Excel reads the file as UTF-8 only with a byte-order mark
    with open(out / "review.tsv", encoding="utf-8-sig", newline="") as handle:
        table = list(csv.DictReader(handle, delimiter="\t"))
    assert {"origin", "reviewed"} <= set(table[0])
    by_key = {(r["doc"], r["index"]): r for r in table}
    assert by_key[(marked["doc"], str(marked["index"]))]["reviewed"] == "yes"
    assert sum(r["reviewed"] == "yes" for r in table) == 1
    origins = {r["origin"] for r in table}
    assert "machine" in origins and "source" in origins  # the English paragraph passed through
    assert any("Միրզոյան" in r["source"] for r in table)  # Armenian intact
    for r in table:
        assert r["origin"] == ("source" if r["src_lang"] == "en" else "dropped" if r["target"] == "" else "machine")


def test_a_run_over_articles_with_references_prints_bleu_and_chrf(tmp_path, capsys, monkeypatch):
    from pipeline.engines.testing import FunctionEngine
    from pipeline.translation import translator as translator_module

    monkeypatch.setattr(translator_module, "load_engine",
                        lambda *a, **k: FunctionEngine(lambda text, src, tgt: "Lavrov met Mirzoyan."))
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("Լավրովը հանդիպեց Միրզոյանին։\n", encoding="utf-8")
    (folder / "a.ref.txt").write_text("Lavrov met Mirzoyan in Moscow.\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(folder), "-o", str(out), "--tgt", "en", "--model", "function-engine",
                 "--progress", "off", "--no-cache"]) == 0
    err = capsys.readouterr().err
    corpus = json.loads((out / "run.json").read_text(encoding="utf-8"))["scores"]["corpus"]
    assert f"BLEU|#:1|c:mixed|e:no|tok:13a|s:exp|v:" in err
    assert f"= {corpus['BLEU']['score']:.1f}" in err
    assert f"chrF++|#:1|c:mixed|e:yes|nc:6|nw:2|s:no|v:" in err and f"= {corpus['chrF++']['score']:.1f}" in err
    assert "against the references of 1 segment(s)" in err


def test_a_run_without_references_prints_no_scores(tmp_path, capsys, monkeypatch):
    from pipeline.engines.testing import FunctionEngine
    from pipeline.translation import translator as translator_module

    monkeypatch.setattr(translator_module, "load_engine", lambda *a, **k: FunctionEngine())
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("Լավրովը հանդիպեց Միրզոյանին։\n", encoding="utf-8")
    assert main(["run", str(folder), "-o", str(tmp_path / "out"), "--tgt", "en", "--model", "function-engine",
                 "--progress", "off", "--no-cache"]) == 0
    assert "BLEU" not in capsys.readouterr().err


# -- item 6: glossary imports ------------------------------------------------------------------------
MEMOQ_TBX = """<?xml version="1.0" encoding="utf-8"?>
<martif type="TBX" xml:lang="en"><text><body>
  <termEntry id="t1">
    <langSet xml:lang="en"><tig><term>Ararat Mirzoyan</term></tig></langSet>
    <langSet xml:lang="hy"><tig><term>Արարատ Միրզոյան</term></tig></langSet>
  </termEntry>
  <termEntry id="t2">
    <descrip type="definition">the Armenian parliament</descrip>
    <langSet xml:lang="hy"><tig><term>Ազգային ժողով</term></tig></langSet>
    <langSet xml:lang="en"><tig><term>National Assembly</term></tig></langSet>
  </termEntry>
  <termEntry id="t3">
    <langSet xml:lang="en"><tig><term>National Assembly</term></tig></langSet>
    <langSet xml:lang="hy"><tig><term>Ազգային ժողովը</term></tig></langSet>
  </termEntry>
  <termEntry id="yerevan">
    <langSet xml:lang="en"><tig><term>Yerevan</term></tig></langSet>
    <langSet xml:lang="hy"><tig><term>Երևան</term></tig></langSet>
  </termEntry>
</body></text></martif>
"""


def test_memoq_ids_become_ids_from_the_english_term_and_a_note(tmp_path, capsys):
    from pipeline.glossary.formats import read_any

    tbx, out = tmp_path / "memoq.tbx", tmp_path / "memoq.tsv"
    tbx.write_text(MEMOQ_TBX, encoding="utf-8")
    concepts = read_any(tbx).concepts
    assert sorted(concepts) == ["ararat-mirzoyan", "national-assembly", "national-assembly-2", "yerevan"]
    assert concepts["ararat-mirzoyan"].note == "id t1 in memoq.tbx"
    assert concepts["national-assembly"].note == "definition: the Armenian parliament (id t2 in memoq.tbx)"
    assert concepts["national-assembly-2"].note == "id t3 in memoq.tbx"
    assert concepts["yerevan"].note == ""  # an id that is already the term's keeps no note
    main(["glossary", "convert", str(tbx), str(out)])  # the file says so too (lint: the duplicate term)
    rows = [line.split("\t") for line in out.read_text(encoding="utf-8").splitlines()]
    assert [row[0] for row in rows[1:]] == ["ararat-mirzoyan", "national-assembly", "national-assembly-2", "yerevan"]
    capsys.readouterr()


# -- item 7: the README -----------------------------------------------------------------------------
README = (REPO / "README.md").read_text(encoding="utf-8")


def _extras(text: str) -> set[str]:
    import re

    found = re.search(r"-e '\.\[([a-z0-9_,]+)\]'", text)
    return set(found.group(1).split(",")) if found else set()


def test_the_readme_setup_installs_what_ci_and_the_tests_need():
    setup = README[README.index("```sh\n") + 6:]
    setup = setup[:setup.index("\n")]  # the first command
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert _extras(setup) == _extras(ci) == {"dev", "review", "ray", "openai"}
    assert "pytest -q" in README[README.index("```sh"):README.index("```\n", README.index("```sh"))]
    assert ".venv/bin/python -m pytest -q" in ci  # .ci/run runs the README's test command


def test_the_end_of_a_test_run_says_what_skipped_tests_need():
    from skip_hints import hints

    said = hints(["chromium is not installed (apt-get install chromium)",
                  "chromium is not installed (apt-get install chromium)",
                  "could not import 'ray': No module named 'ray'",
                  "could not import 'starlette': No module named 'starlette'",
                  "../shared/data/ntrex is not here"])
    assert "2 skipped for want of Chromium (the browser tests): apt-get install chromium" in said
    assert any("ray" in line and "pip install -e '.[dev,review,ray,openai]'" in line for line in said)
    assert any("dev" in line and "pip install -e '.[dev,review,ray,openai]'" in line for line in said)
    assert len(said) == 4


@pytest.mark.slow
def test_a_test_run_with_a_skip_prints_the_hint(tmp_path):
    (tmp_path / "conftest.py").write_text((REPO / "tests" / "conftest.py").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "test_x.py").write_text("import pytest\nray = pytest.importorskip('nosuch_ray_module')\n"
                                        "def test_x():\n    pass\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO / "tests") + os.pathsep + str(REPO)})
    assert "what the skipped tests need" in done.stdout
    assert "pip install -e '.[dev,review,ray,openai]'" in done.stdout


def test_the_readme_config_block_is_the_default_boilerplate():
    import tomllib

    from pipeline.config import DEFAULT_BOILERPLATE

    section = README[README.index("## Configuration"):]
    block = section[section.index("```toml") + 7:]
    block = tomllib.loads(block[:block.index("```")])
    assert tuple(block["run"]["boilerplate"]) == DEFAULT_BOILERPLATE  # copying the block drops none


def test_the_readme_does_not_say_ct2_cannot_force_terms():
    section = " ".join(README[README.index("## The desk glossary"):README.index("## Scores")].split())
    assert "`ct2` cannot" not in section
    assert "ct2" in section and "constrained search" in section
