"""The public Python API: `Translator`, `run`, the export list, the engine seam and the test engine."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import pipeline
from pipeline import ConfigError, Translator, run
from pipeline.engines.testing import FunctionEngine, SpyEngine

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def python_section() -> str:
    start = README.index("## Use it from Python")
    return README[start:README.index("\n## ", start + 1)]


# -- the export list ----------------------------------------------------------------------

def test_exports_are_exactly_what_the_readme_and_the_docstring_document():
    section = python_section()
    listed = section[section.index("The public names"):]
    listed = listed[listed.index(":"):]
    listed = listed[:listed.index("The errors")]
    documented = re.findall(r"`(\w+)`", listed)
    assert sorted(pipeline.__all__) == sorted(["__version__", *documented])
    for name in documented:
        assert name in pipeline.__doc__, name
        assert getattr(pipeline, name) is not None
    with pytest.raises(AttributeError):
        pipeline.NotAThing  # noqa: B018


def test_import_pipeline_is_light():
    code = "import sys, pipeline; from pipeline import Translator, run; print(sorted(m for m in ('torch', 'transformers', 'sacrebleu', 'ctranslate2') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
def test_the_readme_example_runs(tmp_path):
    from pipeline.devtools import tinymodel

    tinymodel.quiet_transformers()
    tinymodel.build_marian(tmp_path / "models" / "tiny-hy-en", "hy", "en")
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    shutil.copytree(REPO / "glossaries", tmp_path / "glossaries")
    code = textwrap.dedent(re.search(r"```python\n(.*?)```", python_section(), re.S).group(1))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=300,
                          env={**__import__("os").environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("hy [") and "('sergei-lavrov', " in lines[0]  # the glossary found Lavrov
    assert lines[1].endswith("The talks went on.")  # English inside the Armenian paragraph passed through
    assert lines[2:4] == ["en []" + " []", "Only English."]
    assert lines[-1] == "2 file(s) done; none failed"
    assert (tmp_path / "out-py" / "review.html").is_file()


# -- Translator ------------------------------------------------------------------------------

def test_translate_routes_like_a_run_and_keeps_layout():
    engine = FunctionEngine()
    with Translator.from_config(engine=engine, tgt="en", cache=False) as translator:
        results = translator.translate([
            "Լավրովը հանդիպեց Միրզոյանին։ The meeting was in Astana.",
            "Only English here.",
            "- Բաքու, 2020\n\n## Մոսկվան լռեց։",
            "",
        ])
    first, english, layout, empty = results
    assert first.text == "[hy>en] Լավրովը հանդիպեց Միրզոյանին։ The meeting was in Astana." and first.src_lang == "hy"
    assert english.text == "Only English here." and english.src_lang == "en" and english.flags == []
    assert layout.text == "- [hy>en] Բաքու, 2020\n\n## [hy>en] Մոսկվան լռեց։"
    assert empty.text == "" and empty.src_lang == "und" and empty.segments == []
    assert engine.calls == [["Լավրովը հանդիպեց Միրզոյանին։", "Բաքու, 2020", "Մոսկվան լռեց։"]]  # one call, across texts
    assert first.score == -0.5 and english.score is None


def test_terms_are_found_forced_and_located_in_the_source():
    desk = REPO / "glossaries" / "desk.tsv"
    engine = FunctionEngine(lambda text, src, tgt: "They met.", constrains=True)
    translator = Translator.from_config(engine=engine, glossary=str(desk), tgt="en", cache=False)
    (result,) = translator.translate(["Բաքու, 2020\nԼավրովը հանդիպեց Միրզոյանին։"])
    found = {t.concept: t for t in result.terms}
    assert {"sergei-lavrov", "ararat-mirzoyan", "baku"} <= set(found)
    for hit in result.terms:
        assert result.source[hit.start:hit.end] == hit.source and hit.honoured is True
    assert "terms-constrained" in result.flags
    assert "Lavrov" in result.text and "Mirzoyan" in result.text
    translator.close()


def test_the_same_translator_serves_many_calls_and_both_directions():
    engine = FunctionEngine()
    with Translator.from_config(engine=engine, cache=False) as translator:
        assert translator.translate(["Բարև։"], tgt="en")[0].text == "[hy>en] Բարև։"
        assert translator.translate(["Hello."], tgt="hy")[0].text == "[en>hy] Hello."
        assert translator.translate(["Hello."], tgt="en")[0].text == "Hello."
    assert len(engine.calls) == 2
    with pytest.raises(ConfigError, match="no target language"):
        Translator.from_config(engine=engine, cache=False).translate(["x"])
    with pytest.raises(TypeError, match="a list of texts"):
        Translator.from_config(engine=engine, cache=False).translate("Բարև։", tgt="en")


def test_translate_stream_batches_across_texts_and_keeps_order():
    engine = FunctionEngine()
    texts = (f"Նախադասություն {i}։ Երկրորդ {i}։" for i in range(10))  # a generator: any length
    with Translator.from_config(engine=engine, tgt="en", cache=False) as translator:
        results = list(translator.translate_stream(texts, window=6))
    assert [r.source for r in results] == [f"Նախադասություն {i}։ Երկրորդ {i}։" for i in range(10)]
    assert [len(call) for call in engine.calls] == [6, 6, 6, 2]  # 3 texts (6 sentences) a call


def test_memory_is_reused_across_calls_and_closed_with_the_translator(tmp_path):
    engine = FunctionEngine()
    with Translator.from_config(engine=engine, tgt="en", cache_dir=str(tmp_path)) as translator:
        translator.translate(["Բարև։", "Բարև։"])
        translator.translate(["Բարև։"])
        assert engine.texts == ["Բարև։"] and translator.memory.stats.hits == 1
        memory = translator.memory
    assert translator.memory is None
    with pytest.raises(Exception, match="closed"):
        memory.count()


def test_from_config_takes_names_paths_and_field_names(tmp_path):
    translator = Translator.from_config("opus-mt-hy-en", beam_size=1, cache=False, threads=1)
    assert translator.config.model.id == "Helsinki-NLP/opus-mt-hy-en" and translator.config.model.beam_size == 1
    assert translator.memory is None and translator.config.model.threads == 1
    with pytest.raises(ConfigError, match="unknown setting.*beams.*valid: .*beam_size"):
        Translator.from_config(beams=2)
    with pytest.raises(ConfigError, match="max_length must be a whole number"):
        Translator.from_config(max_length="long")
    toml = tmp_path / "desk.toml"
    toml.write_text('[model]\nbeam_size = 2\n[run]\ntgt = "hy"\n')
    config = Translator.from_config(toml, max_length=16, cache=False).config
    assert (config.model.beam_size, config.model.max_length, config.run.tgt) == (2, 16, "hy")


def test_a_glossary_that_fails_lint_is_refused_before_any_model(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("id\ttype\ten\thy\tnote\nx\tnonsense\tA\tԱ\t\n", encoding="utf-8")
    with pytest.raises(pipeline.GlossaryError, match="bad.tsv:2"):
        Translator.from_config(model="/nonexistent/model", glossary=str(bad), tgt="en", cache=False)


# -- run() and the Translator agree ----------------------------------------------------------

ARTICLES = {
    "a.txt": "Լավրովը հանդիպեց Միրզոյանին։ The talks went on.\n\nՄոսկվան լռեց։\n",
    "b/c.md": "# Բաքու\n\nOnly English here.\nԵրևանը և Բաքուն։ Նրանք համաձայնեցին։\n",
    "d.txt": "Ստանիսլավ Զասը այցելեց սահման։\n",
}


def write_articles(folder: Path) -> None:
    for rel, text in ARTICLES.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text, encoding="utf-8")


def test_run_and_translator_give_the_same_target_texts(tiny_models, tmp_path):
    folder = tmp_path / "in"
    write_articles(folder)
    settings = dict(model=str(tiny_models["hy-en"]), tgt="en", max_length=10, cache=False)
    result = run(folder, tmp_path / "out", progress="off", review=False, **settings)
    assert not result.failed
    with Translator.from_config(**settings) as translator:
        translated = translator.translate(list(ARTICLES.values()))
    for (rel, _), mine in zip(ARTICLES.items(), translated):
        assert (tmp_path / "out" / rel).read_text(encoding="utf-8") == mine.text, rel
    assert any(r.text != r.source for r in translated)


def test_run_takes_a_translator_and_a_function_engine_needs_no_torch(tmp_path):
    folder = tmp_path / "in"
    write_articles(folder)
    code = textwrap.dedent(f"""
        import sys
        from pipeline import Translator, run
        from pipeline.engines.testing import FunctionEngine
        translator = Translator.from_config(engine=FunctionEngine(), tgt="en", cache=False)
        result = run({str(folder)!r}, {str(tmp_path / 'out')!r}, translator=translator, progress="off")
        print(result.manifest["counts"]["done"], result.manifest["model"]["engine"], "torch" in sys.modules)
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["3", "function", "False"]
    assert (tmp_path / "out" / "a.txt").read_text(encoding="utf-8").startswith("[hy>en] Լավրովը")


# -- the engine seam ---------------------------------------------------------------------------

def test_engine_names_come_from_the_registry():
    from pipeline.cli import build_parser
    from pipeline.config import CHOICES
    from pipeline.devtools.bench import ENGINES as BENCH
    from pipeline.engines.registry import ENGINES, LOCAL, engine_class

    assert CHOICES[("model", "engine")] == tuple(ENGINES)
    assert BENCH == ("naive", *LOCAL) and set(LOCAL) < set(ENGINES)  # the bench runs the local ones
    assert all(callable(engine_class(name).describe) for name in ENGINES)
    run_parser = build_parser()._subparsers._group_actions[0].choices["run"]
    engine_action = next(a for a in run_parser._actions if a.dest == "engine")
    assert tuple(engine_action.choices) == tuple(ENGINES)
    with pytest.raises(ConfigError, match="valid engines: hf, ct2"):
        engine_class("nope")


def test_loaded_engines_meet_the_protocol(engines, ct2_engines):
    from pipeline.engines.base import Engine

    for engine in [*engines.values(), *ct2_engines.values(), FunctionEngine(), SpyEngine(engines["hy-en"])]:
        assert isinstance(engine, Engine), engine
        assert isinstance(engine.constrains, bool) and isinstance(engine.reranks, bool)
        assert engine.fingerprint()["engine"] == engine.name


def test_function_engine_checks_options_and_records_calls():
    seen = []
    engine = FunctionEngine(lambda text, src, tgt: text.upper(), before_call=lambda n, texts: seen.append((n, texts)))
    assert [t.text for t in engine.translate(["a", "b"], src="en", tgt="hy")] == ["A", "B"]
    assert seen == [(1, ["a", "b"])] and engine.texts == ["a", "b"]
    with pytest.raises(ValueError, match="constraints has 1 entries for 2 texts"):
        engine.translate(["a", "b"], src="en", tgt="hy", constraints=[[]])
    with pytest.raises(TypeError):
        engine.translate(["a"], src="en", tgt="hy", beam=2)
    assert not engine.supports("ru", "en")


def test_production_code_never_imports_the_development_tools():
    allowed = {"devtools", "cli"}  # the dev tools themselves, and the `model tiny` / `bench` commands
    offenders = []
    for path in (REPO / "pipeline").rglob("*.py"):
        rel = path.relative_to(REPO / "pipeline")
        if rel.parts[0] in allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            if any(n.startswith("pipeline.devtools") for n in names):
                offenders.append(str(rel))
    assert offenders == []
