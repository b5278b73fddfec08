"""Shared fixtures: tiny random-weight models built once per test session.

They are real MarianMT / M2M100 folders (SentencePiece tokenizers trained on
fixture sentences, `save_pretrained`), loaded by path through the same code a
user's downloaded model goes through.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # no test may reach a model hub
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
# Tiny models gain nothing from threads, and on a busy machine OpenMP threads that spin
# waiting for each other made a tiny generate() 30x slower (3 s instead of 0.1 s).
# Set before torch is imported; subprocesses (the CLI tests) inherit it.
os.environ.setdefault("OMP_NUM_THREADS", "1")
# The test process keeps glibc's malloc defaults: the in-process setting an engine load applies
# (pipeline.models.malloc) keeps freed memory resident, which the peak-RSS tests would misread.
# tests/test_malloc.py and the bench's malloc children choose it themselves.
os.environ.setdefault("TARGMAN_MALLOC", "off")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> dict[str, Path]:
    from pipeline.devtools import tinymodel

    tinymodel.quiet_transformers()
    root = tmp_path_factory.mktemp("models")
    return {
        "en-hy": tinymodel.build_marian(root / "marian-en-hy", "en", "hy"),
        "hy-en": tinymodel.build_marian(root / "marian-hy-en", "hy", "en"),
        "m2m100": tinymodel.build_m2m100(root / "m2m100"),
    }


@pytest.fixture(scope="session")
def engines(tiny_models):
    """Loaded engines, shared by tests that only translate (loading costs seconds)."""
    from pipeline.config import ModelConfig
    from pipeline.engines import load_engine

    return {
        "en-hy": load_engine(ModelConfig(id=str(tiny_models["en-hy"]), max_length=12), "hy"),
        "hy-en": load_engine(ModelConfig(id=str(tiny_models["hy-en"]), max_length=12), "en"),
        "m2m100": load_engine(ModelConfig(id=str(tiny_models["m2m100"]), max_length=12), "hy"),
    }


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch) -> Path:
    """Every test gets its own translation memory and conversion cache, never ~/.cache."""
    folder = tmp_path / "targman-cache"
    monkeypatch.setenv("TARGMAN_CACHE_DIR", str(folder))
    return folder


@pytest.fixture(scope="session")
def ct2_models(tiny_models, tmp_path_factory) -> dict[str, Path]:
    """The tiny models converted to CTranslate2 (float32: results comparable with `hf`)."""
    pytest.importorskip("ctranslate2")
    from pipeline.models.convert import convert

    root = tmp_path_factory.mktemp("ct2")
    return {name: convert(str(path), root / name, quantization="float32") for name, path in tiny_models.items()}


@pytest.fixture(scope="session")
def ct2_engines(ct2_models):
    from pipeline.config import ModelConfig
    from pipeline.engines import load_engine

    def load(name, tgt):
        return load_engine(ModelConfig(engine="ct2", id=str(ct2_models[name]), max_length=12, quantization="float32"), tgt)

    return {"en-hy": load("en-hy", "hy"), "hy-en": load("hy-en", "en"), "m2m100": load("m2m100", "hy")}


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for a module's browser tests (a launch costs about a second of CPU);
    each test opens its own page or context in it."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    from browser_helpers import launch

    with playwright_api.sync_playwright() as p:
        browser = launch(p)
        yield browser
        browser.close()


@pytest.fixture()
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is not here (a user's clone has none)")
    return SHARED


@pytest.fixture(scope="session")
def more_models(tmp_path_factory) -> dict[str, Path]:
    """A tiny NLLB-200 (M2M100 with NLLB's tokenizer and codes) and a tiny MADLAD-400 (T5 with `<2xx>`)."""
    from pipeline.devtools import tinymodel

    tinymodel.quiet_transformers()
    root = tmp_path_factory.mktemp("more-models")
    return {"nllb": tinymodel.build_nllb(root / "nllb"), "madlad": tinymodel.build_madlad(root / "madlad")}


def pytest_terminal_summary(terminalreporter):
    """After the run: what the skipped tests need, with the command that installs it."""
    from skip_hints import hints

    reasons = [report.longrepr[2] for report in terminalreporter.stats.get("skipped", [])
               if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3]
    lines = hints([str(reason) for reason in reasons])
    if lines:
        terminalreporter.section("what the skipped tests need")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(autouse=True)
def _targman_logger_as_found():
    """`main()` gives the `targman` logger its stderr handler and stops it propagating, for the
    rest of the process; a later test's `caplog` would then see nothing. Each test starts with
    the logger as a fresh process has it, whatever ran before it on the same worker."""
    import logging

    logger = logging.getLogger("targman")
    before = (list(logger.handlers), logger.propagate, logger.level)
    yield
    logger.handlers[:] = before[0]
    logger.propagate, logger.level = before[1], before[2]



def pytest_collection_finish(session):
    """In an xdist worker with `--dist loadgroup`: every test marked `xdist_group` must carry its
    group in its id, or the groups are silently ignored (pytest 9.2 with pytest-xdist 3.8,
    pytest-xdist#1386) and each worker starts its own Ray, which made the suite minutes slower.
    Such tests fail at setup with what to install (an error raised here would reach the user as
    an unrelated INTERNALERROR of xdist's scheduler)."""
    if os.environ.get("PYTEST_XDIST_WORKER") and getattr(session.config.option, "loadgroup", False):
        session.config.stash[UNGROUPED] = {item.nodeid for item in session.items
                                           if item.get_closest_marker("xdist_group") and "@" not in item.nodeid}


UNGROUPED = pytest.StashKey[set]()


def pytest_runtest_setup(item):
    if item.nodeid in item.config.stash.get(UNGROUPED, set()):
        pytest.fail("pytest-xdist did not keep this test in its xdist_group: this pytest breaks `--dist loadgroup` "
                    "(pytest-xdist#1386); pip install 'pytest<9.2' (or run with -n0)", pytrace=False)
