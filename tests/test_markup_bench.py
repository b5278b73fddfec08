"""The markup bench (pipeline.devtools.markup_bench) on a few NTREX documents, word for word."""

import pytest

from pipeline.devtools import markup_bench

pytestmark = pytest.mark.skipif(not markup_bench.NTREX.exists(), reason="NTREX is not in ../shared/data/ntrex")


def test_word_for_word_keeps_and_places_every_tag(tmp_path):
    pytest.importorskip("docx")
    from pipeline.batch.runner import run
    from pipeline.config import Config, with_overrides
    from pipeline.engines.testing import FunctionEngine

    kinds = markup_bench.build(tmp_path / "in", 6)
    assert kinds == {"html": 2, "md": 2, "docx": 2}
    config = with_overrides(Config(), model__id="word-for-word", run__tgt="hy", run__progress="off", cache__memory=False)
    run(tmp_path / "in", tmp_path / "out", config, engine=FunctionEngine(markup_bench.reverse_words, pairs=[("en", "hy")]),
        review=False)
    report = markup_bench.measure(tmp_path / "in", tmp_path / "out", True)
    assert report["well_formed"] == report["documents"] == 6
    assert report["links_kept"] == report["links"] > 0 and report["tags_kept"] == report["tags"] > 0
    assert report["placed_exactly"] == report["placed_of"] > 0
    assert report["word_marked_words_exact"] == report["word_marked_words"] > 0
    assert report["moved_sentences"] == 0


def test_a_reordering_engine_with_its_alignment_places_the_tags_that_word_position_misplaces(tmp_path):
    """The controlled check of `--mode align`: an engine whose alignment is known."""
    from pipeline.batch.runner import run
    from pipeline.config import Config, with_overrides
    from pipeline.engines.testing import FunctionEngine

    markup_bench.build(tmp_path / "in", 3)
    config = with_overrides(Config(), model__id="reorder", run__tgt="hy", run__progress="off", cache__memory=False)
    shares = {}
    for name, aligner in (("aligned", markup_bench.reorder_links), ("position", None)):
        engine = FunctionEngine(markup_bench.reorder, pairs=[("en", "hy")], aligner=aligner)
        run(tmp_path / "in", tmp_path / name, config, engine=engine, review=False)
        shares[name] = markup_bench.placed_on_reordered(tmp_path / "in", tmp_path / name)
    assert shares["aligned"]["elements"] > 5
    assert shares["aligned"]["share"] >= 0.9 > 0.3 > shares["position"]["share"]
