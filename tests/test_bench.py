"""`targman bench` end to end on a tiny model (no speed assertions: speed is for the bench's output)."""

import json
import os
import sys

import pytest

from pipeline.cli import main
from pipeline.devtools.bench import PeakRSS, make_folder, make_sentences

pytest.importorskip("ctranslate2")


@pytest.mark.slow
def test_bench_runs_every_engine_and_the_pipeline(tiny_models, tmp_path, capsys):
    status = main([
        "bench", "--model", str(tiny_models["hy-en"]), "--sentences", "5", "--output-tokens", "6", "--beam", "2",
        "--documents", "4", "--cache-dir", str(tmp_path / "cache"), "--malloc-tokens", "8", "--malloc-sentences", "2",
        "--json",
    ])
    assert status == 0
    report = json.loads(capsys.readouterr().out)
    assert report["direction"] == "hy->en" and report["beam"] == 2
    engines = {e["engine"]: e for e in report["engines"]}
    assert list(engines) == ["naive", "hf", "ct2"]
    for entry in engines.values():
        # A fixed output length: every engine produced exactly sentences x output_tokens tokens.
        assert entry["tokens"] == 5 * 6, entry
        assert entry["seconds"] > 0 and entry["tokens_per_s"] > 0 and entry["peak_rss_mb"] > 0
    assert engines["naive"]["speedup_vs_naive"] == 1.0
    assert engines["ct2"]["detail"]["compute_type"].startswith("int8")
    pipeline = report["pipeline"]
    assert pipeline["engine"] == "ct2" and pipeline["documents"] == 4 and pipeline["segments"] > 4
    assert pipeline["rerun_engine_texts"] == 0 and pipeline["cache_hits"] == pipeline["segments"]
    assert pipeline["first_run_s"] > 0 and pipeline["engine_alone_s"] > 0
    # the desk glossary's terms, forced on both engines: ct2 keeps hf's term success
    terms = {t["engine"]: t for t in report["terms"]}
    assert set(terms) == {"hf", "ct2"} and terms["ct2"]["with_terms"] > 0
    assert terms["ct2"]["term_success"] == terms["hf"]["term_success"] == 1.0
    assert terms["ct2"]["to_constrained_search"] <= terms["ct2"]["with_terms"] and terms["ct2"]["share_of_plain"] > 0
    # a rerun in a new process with every segment remembered imports neither torch nor ctranslate2
    first, rerun = report["cold_rerun"]["runs"]
    assert "torch" in first["imported"] and rerun["imported"] == [] and rerun["memory_hits"] == first["segments"]
    # malloc: glibc's default against the in-process setting (and jemalloc where it is installed)
    modes = [row["mode"] for row in report["malloc"]["runs"]]
    assert modes[:2] == ["glibc default", "mallopt (targman)"]
    assert [row["malloc"] for row in report["malloc"]["runs"]][:2] == ["off", "mallopt"]
    assert all(row["tokens"] == 2 * 8 for row in report["malloc"]["runs"])


@pytest.mark.slow
def test_bench_prints_a_table_for_one_engine(tiny_models, tmp_path, capsys):
    assert main([
        "bench", "--model", str(tiny_models["en-hy"]), "--sentences", "3", "--output-tokens", "4", "--engines", "hf",
        "--documents", "0", "--cache-dir", str(tmp_path / "cache"), "--no-terms",
    ]) == 0
    out = capsys.readouterr().out
    assert "tokens/s" in out and "\n  hf " in out and "\n  naive " not in out and "pipeline" not in out


def test_unknown_engine_is_an_error(tmp_path, capsys):
    assert main(["bench", "--engines", "hf,fast", "--cache-dir", str(tmp_path)]) != 0
    assert "unknown engine(s) fast" in capsys.readouterr().err


@pytest.mark.slow
def test_memory_scaling_runs_targman_in_a_subprocess(tiny_models, tmp_path):
    from pipeline.devtools.bench import memory_scaling

    result = memory_scaling((3,), model=tiny_models["hy-en"], work_dir=tmp_path)
    (row,) = result["runs"]
    assert row["articles"] == 3 and row["translated"] >= 9
    assert row["peak_rss_mb"] > 30  # a Python with CTranslate2 loaded (no torch: issue 27), as the kernel accounts for the child


def test_peak_of_a_child_is_that_childs():
    from pipeline.devtools.bench import _peak_of_child

    small, _, _ = _peak_of_child([sys.executable, "-c", "pass"], dict(os.environ))
    big, _, _ = _peak_of_child([sys.executable, "-c", "b = bytearray(150 * 2**20); b[::4096] = b'x' * len(b[::4096])"], dict(os.environ))
    assert big - small > 120
    with pytest.raises(RuntimeError, match="boom"):
        _peak_of_child([sys.executable, "-c", "raise SystemExit('boom')"], dict(os.environ))


@pytest.mark.parametrize("use_hwm", [True, False])
def test_peak_rss_sees_a_short_allocation(use_hwm):
    with PeakRSS(use_hwm=use_hwm) as rss:
        block = bytearray(80 * 2**20)
        block[::4096] = b"x" * len(block[::4096])  # touch every page
        if not use_hwm:
            import time

            time.sleep(0.05)  # let the sampler see it
        del block
    assert rss.peak - rss.start > 60 * 2**20, rss.method


def test_generated_inputs_are_deterministic(tmp_path):
    assert make_sentences(5, "hy") == make_sentences(5, "hy") != make_sentences(5, "hy", seed=1)
    assert all(s.endswith("։") for s in make_sentences(5, "hy"))
    one = make_folder(tmp_path / "a", 12, "hy")
    two = make_folder(tmp_path / "b", 12, "hy")
    files = sorted(p.relative_to(one) for p in one.rglob("*.txt"))
    assert len(files) == 12 and files == sorted(p.relative_to(two) for p in two.rglob("*.txt"))
    assert all((one / f).read_bytes() == (two / f).read_bytes() for f in files)
