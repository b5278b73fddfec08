"""The engine is described without loading and loaded only when a segment is not remembered.

A rerun whose segments all come from the translation memory imports neither torch nor
CTranslate2 (checked in a fresh process), and the description a run keys its memory and
its resume check on is exactly what the loaded engine reports.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pipeline.batch.runner import run
from pipeline.config import Config, ModelConfig, with_overrides
from pipeline.engines.lazy import LazyEngine
from pipeline.engines.registry import describe_engine, load_engine

REPO = Path(__file__).resolve().parents[1]
DESK = REPO / "glossaries" / "desk.tsv"

# Run in a fresh interpreter: which heavy modules did a run import?
CHILD = textwrap.dedent("""
    import json, sys
    from pipeline import load_config, run
    config = load_config(None, engine=sys.argv[5], model=sys.argv[4], glossary=sys.argv[6] or None, max_length=16,
                         quantization="float32", progress="off")
    result = run(sys.argv[1], sys.argv[2], config, tgt=sys.argv[3])
    heavy = sorted(m for m in ("torch", "ctranslate2", "transformers") if m in sys.modules)
    print(json.dumps({"heavy": heavy, "cache": result.manifest["cache"], "counts": result.manifest["counts"],
                      "model": result.manifest["model"], "glossary": result.manifest["glossary"]}))
""")


def articles(folder: Path, lang: str) -> Path:
    folder.mkdir(parents=True)
    if lang == "hy":
        (folder / "a.txt").write_text("Լավրովը հանդիպեց Միրզոյանին։ Բաքուն և Երևանը։\n\nThe talks went on.\n", encoding="utf-8")
        (folder / "b.txt").write_text("ՀԱՊԿ-ը պատրաստ է։\n", encoding="utf-8")
    else:
        (folder / "a.txt").write_text("Lavrov met Mirzoyan in Astana.\n\nThe CSTO is ready.\n", encoding="utf-8")
    return folder


def child_run(folder, out, tgt, model, engine, glossary, cache) -> dict:
    env = {**os.environ, "TARGMAN_CACHE_DIR": str(cache), "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", CHILD, str(folder), str(out), tgt, str(model), engine, glossary],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
# with the glossary: the run that loads the most (no glossary loads a subset of it)
@pytest.mark.parametrize("engine, glossary", [("hf", str(DESK)), ("ct2", str(DESK))])
def test_a_fully_remembered_run_imports_no_torch(tiny_models, tmp_path, engine, glossary):
    pytest.importorskip("ctranslate2")
    folder = articles(tmp_path / "in", "hy")
    cache = tmp_path / "cache"
    first = child_run(folder, tmp_path / "out1", "en", tiny_models["hy-en"], engine, glossary, cache)
    assert "torch" in first["heavy"] and first["cache"]["misses"] > 0  # it did translate
    again = child_run(folder, tmp_path / "out2", "en", tiny_models["hy-en"], engine, glossary, cache)
    assert again["heavy"] == [], again["heavy"]
    assert again["cache"]["misses"] == 0 and again["cache"]["hits"] == first["cache"]["misses"]
    assert again["counts"]["translated"] == first["counts"]["translated"]
    assert again["model"] == first["model"]  # run.json says the same about the model either way
    assert again["glossary"]["mode"] == first["glossary"]["mode"] == "constrain"
    # the translations are the remembered ones, byte for byte
    for name in ("a.txt", "b.txt"):
        assert (tmp_path / "out2" / name).read_bytes() == (tmp_path / "out1" / name).read_bytes()


@pytest.mark.parametrize("name, engine, tgt", [("en-hy", "hf", "hy"), ("hy-en", "hf", "en"), ("m2m100", "hf", "en"),
                                               ("en-hy", "ct2", "hy"), ("m2m100", "ct2", "hy")])
def test_the_description_is_what_the_loaded_engine_reports(tiny_models, ct2_models, tmp_path, name, engine, tgt):
    model = (ct2_models if engine == "ct2" else tiny_models)[name]
    config = ModelConfig(engine=engine, id=str(model), max_length=12, quantization="float32")
    described = describe_engine(config, tgt)
    loaded = load_engine(config, tgt)
    assert loaded.fingerprint() == described.fingerprint and loaded.info() == described.info
    assert {(s, t) for s in ("hy", "en", "ru") for t in ("hy", "en", "ru") if loaded.supports(s, t)} == {
        pair for pair in described.pairs if set(pair) <= {"hy", "en", "ru"}
    }
    assert loaded.constrains == described.constrains


def test_a_lazy_engine_loads_on_its_first_translation(tiny_models):
    lazy = LazyEngine(ModelConfig(id=str(tiny_models["hy-en"]), max_length=8), "en")
    assert not lazy.loaded and lazy.supports("hy", "en") and not lazy.supports("en", "hy")
    assert lazy.translate([], src="hy", tgt="en") == [] and not lazy.loaded
    (result,) = lazy.translate(["Բաքուն։"], src="hy", tgt="en")
    assert lazy.loaded and result.tokens > 0 and lazy.load_seconds > 0
    assert lazy.load() is lazy.load() and lazy.load().count_tokens("Բաքուն։") > 1  # anything else is the loaded engine's
    assert not hasattr(lazy, "count_tokens")  # and is not forwarded: a caller reads only what engines.base declares


def test_resume_checks_the_model_without_loading_it(tiny_models, tmp_path):
    """A resumed run compares the recorded model with the described one: a changed model is
    refused before anything loads."""
    from pipeline.errors import StateError

    folder = articles(tmp_path / "in", "hy")
    out = tmp_path / "out"
    config = with_overrides(Config(), model__id=str(tiny_models["hy-en"]), model__max_length=8, run__tgt="en",
                            run__progress="off")
    run(folder, out, config)
    (folder / "c.txt").write_text("Մոսկվան լռեց։\n", encoding="utf-8")
    from pipeline.batch.state import RunState

    state = RunState(out)
    state.open(json.loads((out / ".targman" / "settings.json").read_text())["settings"])
    recorded = dict(state.model_info)
    state.close()
    assert recorded == describe_engine(config.model, "en").info
    with pytest.raises(StateError, match="another model"):
        state = RunState(out)
        try:
            state.open(json.loads((out / ".targman" / "settings.json").read_text())["settings"])
            state.check_model({**recorded, "max_length": 7})
        finally:
            state.close()
