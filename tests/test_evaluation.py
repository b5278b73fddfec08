"""Evaluating a translation function on a line-aligned test set."""

from __future__ import annotations

from pathlib import Path

import pytest
from sacrebleu.metrics import BLEU, CHRF

from pipeline.errors import InputError
from pipeline.evaluation.scoring import ScoreError
from pipeline.evaluation.testset import evaluate, read_test_set

NTREX = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ntrex"


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def test_set(tmp_path):
    src = write(tmp_path / "src.en", ["The cat sat.", "It rained.", "Talks resume.", "Prices rose 3%."])
    ref = write(tmp_path / "ref.en", ["The cat sat down.", "It was raining.", "Talks will resume.", "Prices rose by 3%."])
    docs = write(tmp_path / "ids.tsv", ["d1", "d1", "d2\textra column", "d2"])
    return src, ref, docs


def test_evaluate_scores_per_document_and_corpus(test_set):
    src, ref, docs = test_set
    data = read_test_set(src, ref, docs)
    assert data.docs == ["d1", "d1", "d2", "d2"]
    seen = []

    def translate(lines):
        seen.append(list(lines))
        return [line.upper() if i == 1 else line for i, line in enumerate(lines)]

    result = evaluate(data.src, data.ref, data.docs, translate, "en")
    assert seen == [data.src]
    hyps = translate(data.src)
    assert result["corpus"]["BLEU"]["score"] == BLEU().corpus_score(hyps, [data.ref]).score
    assert "signature" in result["corpus"]["chrF++"]
    assert result["docs"]["d2"]["chrF++"] == round(CHRF(word_order=2).corpus_score(hyps[2:], [data.ref[2:]]).score, 4)
    assert set(result["docs"]) == {"d1", "d2"}


def test_without_document_ids_one_document(test_set):
    src, ref, _ = test_set
    data = read_test_set(src, ref)
    result = evaluate(data.src, data.ref, None, lambda lines: lines, "en")
    assert list(result["docs"]) == ["test-set"] and result["corpus"]["scored"] == 4


@pytest.mark.parametrize(
    "which,lines,message",
    [
        ("ref", ["a", "b", "c"], r"src\.en:4: has a line 4 but .*ref\.en ends after line 3"),
        ("ref", ["a", "b", "c", "d", "e"], r"ref\.en:5: has a line 5 but .*src\.en ends after line 4"),
        ("docs", ["d1", "d1", "d2"], r"src\.en:4: has a line 4 but .*ids\.tsv ends after line 3"),
        ("docs", ["d1", "", "d2", "d2"], r"ids\.tsv:2: empty document id"),
    ],
)
def test_misaligned_files_name_file_and_line(test_set, which, lines, message):
    src, ref, docs = test_set
    write(ref if which == "ref" else docs, lines)
    with pytest.raises(InputError, match=message):
        read_test_set(src, ref, docs)


def test_translation_that_drops_lines_is_an_error(test_set):
    src, ref, docs = test_set
    data = read_test_set(src, ref, docs)
    with pytest.raises(ScoreError, match="returned 3 lines for 4 source lines"):
        evaluate(data.src, data.ref, data.docs, lambda lines: lines[:3], "en")


@pytest.mark.slow
def test_reads_ntrex():
    if not NTREX.is_dir():
        pytest.skip(f"shared NTREX data not found at {NTREX}")
    data = read_test_set(
        NTREX / "newstest2019-src.eng.txt", NTREX / "newstest2019-ref.hye.txt", NTREX / "DOCUMENT_IDS.tsv"
    )
    assert len(data.src) == len(data.ref) == 1997 and len(set(data.docs)) == 123
    gb = read_test_set(NTREX / "newstest2019-src.eng.txt", NTREX / "newstest2019-ref.eng-GB.txt", NTREX / "DOCUMENT_IDS.tsv")
    us = NTREX / "newstest2019-ref.eng-US.txt"
    us_lines = us.read_text(encoding="utf-8").splitlines()
    result = evaluate(gb.src, gb.ref, gb.docs, lambda lines: us_lines, "en")
    assert len(result["docs"]) == 123 and 90 < result["corpus"]["BLEU"]["score"] < 100
