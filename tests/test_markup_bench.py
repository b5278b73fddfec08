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
