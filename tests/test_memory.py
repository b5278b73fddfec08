"""The translation memory: keys, reruns, changed articles, concurrent writers, --no-cache."""

import copy
import dataclasses
import json
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pipeline.batch.runner import Run
from pipeline.cli import main
from pipeline.config import Config, with_overrides
from pipeline.engines import Translation
from pipeline.engines.testing import FunctionEngine, SpyEngine
from pipeline.models.fingerprint import folder_fingerprint
from pipeline.segment import Segment, TermHit
from pipeline.translation.memory import (
    TranslationMemory,
    segment_context,
    translate_with_memory,
)

REPO = Path(__file__).resolve().parents[1]
SENTENCES = ["The CSTO is ready to send monitors.", "Lavrov met Mirzoyan in Astana.", "Hello."]


def variant(engine, folder=None, **config_changes):
    """The same loaded engine described with other settings or another model folder (what a
    differently configured run would load: its fingerprint is its description's)."""
    from pipeline.models.facts import read_facts

    other = copy.copy(engine)
    other.config = dataclasses.replace(engine.config, **config_changes)
    facts = read_facts(folder) if folder else engine.facts
    other.description = type(engine)._describe(other.config, "hy", facts)
    return other


@pytest.fixture()
def memory(tmp_path):
    with TranslationMemory.in_folder(tmp_path / "tm") as tm:
        yield tm


def test_second_lookup_hits_and_returns_what_was_stored(engines, memory):
    engine = SpyEngine(engines["en-hy"])
    first = translate_with_memory(engine, memory, SENTENCES, src="en", tgt="hy")
    assert engine.texts == SENTENCES and memory.stats.misses == 3 and memory.stats.stored == 3
    engine.calls.clear()
    again = translate_with_memory(engine, memory, SENTENCES + SENTENCES[:1], src="en", tgt="hy")
    assert engine.texts == []
    assert memory.stats.hits == 4
    assert [(t.text, t.tokens, t.pieces) for t in again] == [(t.text, t.tokens, t.pieces) for t in first + first[:1]]
    assert again[0].score == pytest.approx(first[0].score)


def test_repeated_segments_are_translated_once(engines, memory):
    engine = SpyEngine(engines["en-hy"])
    out = translate_with_memory(engine, memory, ["Hello.", "Hello.", "Bye.", "Hello."], src="en", tgt="hy")
    assert engine.texts == ["Hello.", "Bye."]
    assert out[0].text == out[1].text == out[3].text


@pytest.mark.slow
@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda e: (variant(e, beam_size=2), "en", "hy", ""), id="beam"),
        pytest.param(lambda e: (variant(e, max_length=5), "en", "hy", ""), id="max-length"),
        # The model's id alone is not the key: a model is its content (tests/test_run_keys.py).
        pytest.param(lambda e: (e, "hy", "en", ""), id="direction"),
        pytest.param(lambda e: (e, "en", "hy", "csto\tCSTO\tՀԱՊԿ"), id="glossary-context"),
    ],
)
def test_what_changes_the_translation_misses(engines, memory, change):
    base = engines["m2m100"]
    translate_with_memory(base, memory, SENTENCES, src="en", tgt="hy")
    engine, src, tgt, context = change(base)
    counting = SpyEngine(engine)
    translate_with_memory(counting, memory, SENTENCES, src=src, tgt=tgt, contexts=[context] * 3)
    assert counting.texts == SENTENCES
    # ... and the unchanged setting still hits.
    counting = SpyEngine(base)
    translate_with_memory(counting, memory, SENTENCES, src="en", tgt="hy")
    assert counting.texts == []


def test_changed_model_weights_miss(tiny_models, engines, memory, tmp_path):
    engine = engines["en-hy"]
    translate_with_memory(engine, memory, SENTENCES, src="en", tgt="hy")
    copied = Path(shutil.copytree(tiny_models["en-hy"], tmp_path / "copy"))
    assert folder_fingerprint(copied) == folder_fingerprint(tiny_models["en-hy"])  # a copy is the same model
    counting = SpyEngine(variant(engine, copied))
    translate_with_memory(counting, memory, SENTENCES, src="en", tgt="hy")
    assert counting.texts == []
    weights = copied / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-10] ^= 0xFF  # retrained: the last megabyte differs
    weights.write_bytes(bytes(data))
    assert folder_fingerprint(copied) != folder_fingerprint(tiny_models["en-hy"])
    counting = SpyEngine(variant(engine, copied))
    translate_with_memory(counting, memory, SENTENCES, src="en", tgt="hy")
    assert counting.texts == SENTENCES


def test_ct2_and_hf_entries_are_kept_apart(engines, ct2_engines, memory):
    translate_with_memory(engines["en-hy"], memory, SENTENCES, src="en", tgt="hy")
    counting = SpyEngine(ct2_engines["en-hy"])
    translate_with_memory(counting, memory, SENTENCES, src="en", tgt="hy")
    assert counting.texts == SENTENCES


def test_segment_context_is_the_glossary_entries_that_applied():
    plain = Segment("a.txt", 0, 0, "Lavrov met Mirzoyan.")
    assert segment_context(plain) == ""
    hits = [TermHit("mirzoyan", "Mirzoyan", "Միրզոյան"), TermHit("lavrov", "Lavrov", "Լավրով")]
    one = Segment("a.txt", 0, 0, "Lavrov met Mirzoyan.", terms=hits)
    other = Segment("b.txt", 0, 0, "Lavrov met Mirzoyan.", terms=hits[::-1])
    assert segment_context(one) == segment_context(other) != ""
    changed = Segment("a.txt", 0, 0, "Lavrov met Mirzoyan.", terms=[TermHit("mirzoyan", "Mirzoyan", "Միրզոյանը")])
    assert segment_context(changed) != segment_context(one)


# -- the batch job --------------------------------------------------------------------

ARTICLES = {
    "a.txt": "Լավրովը հանդիպեց Միրզոյանին։ Բաքուն և Երևանը։\n\nThe meeting was in Astana.\n",
    "b.txt": "Մոսկվան լռեց։\n\nՀԱՊԿ-ը պատրաստ է։ Ադրբեջանը լռեց։\n",
    "sub/c.md": "# Վերնագիր\n\nՆԱՏՕ-ն հայտարարություն տարածեց։\n",
}


def write_articles(folder: Path, articles: dict) -> Path:
    for rel, text in articles.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text, encoding="utf-8")
    return folder


def job_config(model, cache_dir, **cache):
    overrides = {f"cache__{k}": v for k, v in cache.items()}
    return with_overrides(
        Config(), model__id=str(model), model__max_length=8, run__tgt="en", run__progress="off",
        cache__dir=str(cache_dir), **overrides,
    )


def run_with(engine, folder, out, config):
    counting = SpyEngine(engine)
    result = Run(folder, out, config, engine=counting).execute()
    return counting.texts, result.manifest


def test_rerun_of_an_unchanged_folder_translates_nothing(tiny_models, engines, tmp_path):
    folder = write_articles(tmp_path / "in", ARTICLES)
    config = job_config(tiny_models["hy-en"], tmp_path / "cache")
    first_texts, first = run_with(engines["hy-en"], folder, tmp_path / "out1", config)
    assert len(first_texts) == first["counts"]["translated"] > 0
    assert first["cache"].get("hits", 0) == 0 and first["cache"]["stored"] == len(first_texts)
    texts, second = run_with(engines["hy-en"], folder, tmp_path / "out2", config)
    assert texts == []
    assert second["cache"].get("hits", 0) == len(first_texts) and second["cache"]["misses"] == 0
    for rel in ARTICLES:
        assert (tmp_path / "out2" / rel).read_bytes() == (tmp_path / "out1" / rel).read_bytes()
    assert (tmp_path / "out2" / "segments.jsonl").read_text() == (tmp_path / "out1" / "segments.jsonl").read_text()


@pytest.mark.slow
def test_changed_article_retranslates_only_its_new_segments(tiny_models, engines, tmp_path):
    folder = write_articles(tmp_path / "in", ARTICLES)
    config = job_config(tiny_models["hy-en"], tmp_path / "cache")
    run_with(engines["hy-en"], folder, tmp_path / "out1", config)
    (folder / "b.txt").write_text("Մոսկվան լռեց։\n\nՀԱՊԿ-ը պատրաստ չէ։ Ադրբեջանը լռեց։ Թուրքիան խոսեց։\n", encoding="utf-8")
    texts, manifest = run_with(engines["hy-en"], folder, tmp_path / "out2", config)
    assert texts == ["ՀԱՊԿ-ը պատրաստ չէ։", "Թուրքիան խոսեց։"]
    assert manifest["cache"]["misses"] == 2 and manifest["cache"].get("hits", 0) == manifest["counts"]["translated"] - 2


def test_memory_off_translates_everything_and_writes_no_memory(tiny_models, engines, tmp_path):
    folder = write_articles(tmp_path / "in", ARTICLES)
    config = job_config(tiny_models["hy-en"], tmp_path / "cache", memory=False)
    first, _ = run_with(engines["hy-en"], folder, tmp_path / "out1", config)
    second, manifest = run_with(engines["hy-en"], folder, tmp_path / "out2", config)
    assert second == first != []
    assert manifest["cache"] == {"memory": None} and manifest["cache"].get("hits", 0) == 0
    assert not (tmp_path / "cache" / "memory.sqlite3").exists()


@pytest.mark.slow
def test_cli_no_cache_and_cache_dir(tiny_models, tmp_path, private_cache):
    folder = write_articles(tmp_path / "in", ARTICLES)
    base = ["run", str(folder), "--tgt", "en", "--model", str(tiny_models["hy-en"]), "--max-length", "6", "--progress", "off"]
    assert main(base + ["-o", str(tmp_path / "o1"), "--cache-dir", str(tmp_path / "mine")]) == 0
    assert (tmp_path / "mine" / "memory.sqlite3").exists() and not private_cache.exists()
    assert main(base + ["-o", str(tmp_path / "o2"), "--cache-dir", str(tmp_path / "mine")]) == 0
    manifest = json.loads((tmp_path / "o2" / "run.json").read_text())
    assert manifest["cache"].get("hits", 0) == manifest["counts"]["translated"] > 0
    assert main(base + ["-o", str(tmp_path / "o3"), "--cache-dir", str(tmp_path / "mine"), "--no-cache"]) == 0
    manifest = json.loads((tmp_path / "o3" / "run.json").read_text())
    assert manifest["cache"].get("hits", 0) == 0 and manifest["cache"]["memory"] is None
    # Without --cache-dir the memory goes to $TARGMAN_CACHE_DIR.
    assert main(base + ["-o", str(tmp_path / "o4")]) == 0
    assert (private_cache / "memory.sqlite3").exists()


def test_cache_dir_precedence(tmp_path):
    from pipeline.cachedir import cache_dir

    assert cache_dir("/x/explicit", {"TARGMAN_CACHE_DIR": "/y"}) == Path("/x/explicit")
    assert cache_dir("", {"TARGMAN_CACHE_DIR": "/y", "XDG_CACHE_HOME": "/z"}) == Path("/y")
    assert cache_dir(None, {"XDG_CACHE_HOME": "/z"}) == Path("/z/targman")
    assert cache_dir(None, {}) == Path.home() / ".cache" / "targman"


# -- concurrency ------------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys, time
    from pipeline.engines import Translation
    from pipeline.engines.testing import FunctionEngine
    from pipeline.translation.memory import TranslationMemory

    folder, who, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
    while time.time() < start:  # both writers begin together
        time.sleep(0.001)
    tm = TranslationMemory.in_folder(folder)
    setting = tm.setting(FunctionEngine(name="fake"), "hy", "en")
    for batch in range(40):
        sources = [f"{who} {batch} {i}" for i in range(25)] + ["shared sentence"]
        tm.store(setting, sources, [Translation(s.upper(), -1.0, 3) for s in sources])
        assert tm.lookup(setting, sources[:1])[0].text == sources[0].upper()
    tm.close()
    """
)


@pytest.mark.slow
def test_two_processes_writing_at_once(tmp_path):
    import time

    start = time.time() + 1.5
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), who, str(start)], cwd=REPO,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for who in ("a", "b")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    db = sqlite3.connect(tmp_path / "memory.sqlite3")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert db.execute("SELECT COUNT(*) FROM entries").fetchone() == (2 * 40 * 25 + 1,)
    assert db.execute("SELECT COUNT(*) FROM settings").fetchone() == (1,)


def test_a_broken_memory_file_is_reported(tmp_path):
    from pipeline.errors import TargmanError

    (tmp_path / "memory.sqlite3").write_bytes(b"not a database" * 100)
    with pytest.raises(TargmanError, match="--no-cache"):
        TranslationMemory.in_folder(tmp_path)


def test_store_and_lookup_keep_contexts_apart(memory):
    setting = memory.setting(FunctionEngine(name="fake"), "hy", "en")
    memory.store(setting, ["x", "x"], [Translation("plain"), Translation("with term")], ["", "t"])
    assert [t.text for t in memory.lookup(setting, ["x", "x", "x"], ["", "t", "u"])[:2]] == ["plain", "with term"]
    assert memory.lookup(setting, ["x"], ["u"]) == [None]


def test_flags_and_unmet_are_remembered_and_an_old_memory_gains_the_column(tmp_path):
    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)  # a memory written before entries had flags
    old.executescript(
        "CREATE TABLE settings (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, description TEXT NOT NULL, created REAL NOT NULL);"
        "CREATE TABLE entries (setting INTEGER NOT NULL, context TEXT NOT NULL, source TEXT NOT NULL, target TEXT NOT NULL,"
        " score REAL, tokens INTEGER NOT NULL, pieces INTEGER NOT NULL, created REAL NOT NULL,"
        " PRIMARY KEY (setting, context, source)) WITHOUT ROWID;"
        "INSERT INTO entries VALUES (1, '', 'old', 'հին', -0.5, 1, 1, 0);"
    )
    old.close()
    with TranslationMemory(path) as memory:
        assert memory.lookup(1, ["old"])[0] == Translation("հին", -0.5, 1, 1, origin="memory")
        memory.store(1, ["a", "b"], [Translation("ա", None, 1, 1, True, flags=("llm-suspect",)), Translation("բ", -1.0, 1)])
        found = memory.lookup(1, ["a", "b"])
    assert (found[0].unmet, found[0].flags) == (True, ("llm-suspect",))
    assert (found[1].unmet, found[1].flags) == (False, ())
