"""Scores equal sacrebleu's: its metric objects and its command, on the same files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sacrebleu.metrics import BLEU, CHRF, TER

from pipeline import cli
from pipeline.evaluation import scoring
from pipeline.evaluation.scoring import (
    ScoreError,
    corpus_scores,
    read_lines,
    score_segments,
    segment_chrf,
    sentence_chrf,
)

DATA = Path(__file__).parent / "data" / "scoring"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
NTREX = SHARED / "data" / "ntrex"
SACREBLEU_CMD = Path(sys.executable).with_name("sacrebleu")

CASES = [  # (hyp, refs, tgt)
    ("hyp.en.txt", ["ref.en.txt"], "en"),
    ("hyp.en.txt", ["ref.en.txt", "ref2.en.txt"], "en"),
    ("hyp.hy.txt", ["ref.hy.txt"], "hy"),
    ("ref.en.txt", ["ref.en.txt"], "en"),  # identical: BLEU 100, TER 0
]


@pytest.fixture
def no_spm_model(tmp_path, monkeypatch):
    """An empty sacrebleu cache, and a download that fails the test if it is ever attempted."""
    from sacrebleu import utils
    from sacrebleu.tokenizers import tokenizer_spm

    def no_download(*args, **kwargs):
        raise AssertionError(f"sacrebleu tried to download {args}")

    monkeypatch.setattr(tokenizer_spm, "SACREBLEU_DIR", str(tmp_path / "sacrebleu"))
    monkeypatch.setattr(tokenizer_spm, "download_file", no_download)
    monkeypatch.setattr(utils, "download_file", no_download)
    return tmp_path / "sacrebleu"


@pytest.fixture
def fake_flores200(tmp_path, monkeypatch):
    """A small SentencePiece model in place of sacrebleu's flores200 one (same file name)."""
    import sentencepiece as spm
    from sacrebleu.tokenizers import tokenizer_spm

    cache = tmp_path / "sacrebleu"
    model = scoring.spm_model_path().name
    (cache / "models").mkdir(parents=True)
    lines = [line for name in ("ref.hy.txt", "hyp.hy.txt", "ref.en.txt") for line in read_lines(DATA / name)]
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines), model_prefix=str(tmp_path / "spm"),
        vocab_size=120, character_coverage=1.0, minloglevel=2,
    )
    (tmp_path / "spm.model").rename(cache / "models" / model)
    monkeypatch.setattr(tokenizer_spm, "SACREBLEU_DIR", str(cache))
    return cache


def sacrebleu_cli(hyp: Path, refs: list[Path], *extra: str, env: dict | None = None) -> dict:
    """The `sacrebleu` command's JSON output, by metric name."""
    if not SACREBLEU_CMD.exists():
        pytest.skip(f"the sacrebleu command is not next to {sys.executable}")
    command = [str(SACREBLEU_CMD), *map(str, refs), "-i", str(hyp), "-w", "4", "-f", "json", *extra]
    done = subprocess.run(
        command, capture_output=True, text=True, check=True, env={**os.environ, **(env or {})}, timeout=120
    )
    results = json.loads(done.stdout)
    return {entry["name"]: entry for entry in (results if isinstance(results, list) else [results])}


def targman_score(monkeypatch, capsys, *argv: str) -> tuple[int, str, str]:
    """Run `targman` in-process with only this branch's command modules registered."""
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["pipeline.cli.score", "pipeline.cli.review"])
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("hyp,refs,tgt", CASES)
def test_corpus_scores_equal_sacrebleu_objects(hyp, refs, tgt, no_spm_model):
    hyps = read_lines(DATA / hyp)
    refs_list = [read_lines(DATA / ref) for ref in refs]
    scores = corpus_scores(hyps, refs_list, tgt)
    for name, metric in {"BLEU": BLEU(), "chrF++": CHRF(word_order=2), "TER": TER()}.items():
        expected = metric.corpus_score(hyps, refs_list)
        assert scores[name]["score"] == expected.score
        assert scores[name]["signature"] == metric.get_signature().format()
    assert ("spBLEU" in scores) == (tgt == "hy")


@pytest.mark.parametrize("hyp,refs,tgt", CASES)
def test_score_command_equals_sacrebleu_command(hyp, refs, tgt, monkeypatch, capsys, no_spm_model):
    argv = ["score", "--hyp", str(DATA / hyp), "--tgt", tgt]
    for ref in refs:
        argv += ["--ref", str(DATA / ref)]
    code, out, _ = targman_score(monkeypatch, capsys, *argv)
    assert code == 0
    ours = json.loads(out)
    theirs = sacrebleu_cli(DATA / hyp, [DATA / ref for ref in refs], "-m", "bleu", "chrf", "ter", "--chrf-word-order", "2")
    for name, their_name in (("BLEU", "BLEU"), ("chrF++", "chrF2++"), ("TER", "TER")):
        assert round(ours[name]["score"], 4) == theirs[their_name]["score"], name
        assert ours[name]["signature"] == theirs[their_name]["signature"], name


def test_reading_matches_sacrebleu_trailing_whitespace():
    # hyp.en.txt line 1 ends in spaces and line 7 is empty: sacrebleu strips and keeps them.
    lines = read_lines(DATA / "hyp.en.txt")
    assert lines[0].endswith("border.") and lines[6] == "" and len(lines) == 8


@pytest.mark.slow
def test_ntrex_english_references_against_each_other(monkeypatch, capsys):
    if not NTREX.is_dir():
        pytest.skip(f"shared NTREX data not found at {NTREX}")
    hyp, ref = NTREX / "newstest2019-ref.eng-GB.txt", NTREX / "newstest2019-ref.eng-US.txt"
    code, out, _ = targman_score(monkeypatch, capsys, "score", "--hyp", str(hyp), "--ref", str(ref))
    assert code == 0
    ours = json.loads(out)
    theirs = sacrebleu_cli(hyp, [ref], "-m", "bleu", "chrf", "ter", "--chrf-word-order", "2")
    assert round(ours["BLEU"]["score"], 4) == theirs["BLEU"]["score"]
    assert round(ours["chrF++"]["score"], 4) == theirs["chrF2++"]["score"]
    assert round(ours["TER"]["score"], 4) == theirs["TER"]["score"]
    # British vs American spelling: close, not identical.
    assert 90 < ours["BLEU"]["score"] < 100 and 0 < ours["TER"]["score"] < 5


def test_spbleu_skipped_offline_with_a_note(no_spm_model):
    scores = corpus_scores(read_lines(DATA / "hyp.hy.txt"), [read_lines(DATA / "ref.hy.txt")], "hy")
    note = scores["spBLEU"]["skipped"]
    assert "flores200" in note and str(no_spm_model / "models") in note and "score" not in scores["spBLEU"]


def test_spbleu_with_the_tokenizer_model_equals_sacrebleu(fake_flores200, monkeypatch, capsys):
    hyp, ref = DATA / "hyp.hy.txt", DATA / "ref.hy.txt"
    scores = corpus_scores(read_lines(hyp), [read_lines(ref)], "hy")
    metric = BLEU(tokenize="flores200")
    expected = metric.corpus_score(read_lines(hyp), [read_lines(ref)])
    assert scores["spBLEU"]["score"] == expected.score
    assert "tok:flores200" in scores["spBLEU"]["signature"]
    assert scores["spBLEU"]["score"] != scores["BLEU"]["score"]
    theirs = sacrebleu_cli(hyp, [ref], "-m", "bleu", "-tok", "flores200", env={"SACREBLEU": str(fake_flores200)})
    assert round(scores["spBLEU"]["score"], 4) == theirs["BLEU"]["score"]
    assert scores["spBLEU"]["signature"] == theirs["BLEU"]["signature"]


@pytest.mark.parametrize(
    "hyps,refs_list,message",
    [
        (["a", "b"], [["a"]], "reference 1 has 1 lines but there are 2 hypotheses"),
        (["a"], [["a"], ["a", "b"]], "reference 2 has 2 lines"),
        (["a"], [], "no reference given"),
        ([], [[]], "nothing to score"),
    ],
)
def test_misaligned_inputs_are_errors(hyps, refs_list, message):
    with pytest.raises(ScoreError, match=message):
        corpus_scores(hyps, refs_list)


def test_score_command_reports_misaligned_files(monkeypatch, capsys):
    code, out, err = targman_score(
        monkeypatch, capsys, "score", "--hyp", str(DATA / "hyp.short.txt"), "--ref", str(DATA / "ref.en.txt")
    )
    assert code == 2 and out == ""
    assert "reference 1 has 8 lines but there are 1 hypotheses" in err


def test_score_command_missing_file(monkeypatch, capsys, tmp_path):
    code, _, err = targman_score(
        monkeypatch, capsys, "score", "--hyp", str(tmp_path / "nope.txt"), "--ref", str(DATA / "ref.en.txt")
    )
    assert code == 2 and f"{tmp_path / 'nope.txt'}: no such file" in err


def test_score_command_text_format(monkeypatch, capsys, no_spm_model):
    code, out, _ = targman_score(
        monkeypatch, capsys, "score", "--hyp", str(DATA / "hyp.hy.txt"), "--ref", str(DATA / "ref.hy.txt"),
        "--tgt", "hy", "--format", "text",
    )
    expected = BLEU().corpus_score(read_lines(DATA / "hyp.hy.txt"), [read_lines(DATA / "ref.hy.txt")])
    lines = out.splitlines()
    assert lines[0].startswith("BLEU|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:")
    assert f"= {expected.score:.1f} " in lines[0]
    assert lines[1].startswith("chrF++|") and lines[2].startswith("TER|")
    assert lines[3].startswith("spBLEU skipped:")


@pytest.mark.parametrize(
    "hyp,ref",
    [("The cat sat on the mat.", "The cat sat on the mat."), ("A cat on a mat", "The cat sat on the mat."), ("", "x")],
)
def test_sentence_chrf_equals_sacrebleu(hyp, ref):
    assert sentence_chrf(hyp, ref) == CHRF(word_order=2).sentence_score(hyp, [ref]).score


def _rows():
    hyps, refs = read_lines(DATA / "hyp.en.txt"), read_lines(DATA / "ref.en.txt")
    rows = []
    for i, (hyp, ref) in enumerate(zip(hyps, refs)):
        rows.append({"doc": "a.txt" if i < 5 else "b.txt", "target": hyp, "ref": ref, "terms": []})
    rows[0]["terms"] = [{"concept": "csto", "honoured": True}, {"concept": "x", "honoured": False}]
    rows[1]["terms"] = [{"concept": "mirzoyan", "honoured": True}, {"concept": "y", "honoured": None}]
    rows.append({"doc": "c.txt", "target": "no reference here", "terms": []})  # not scored
    rows.append({"doc": "b.txt", "target": "", "ref": None, "kind": "boilerplate"})  # not scored
    return rows, hyps, refs


def test_score_segments_per_document_and_corpus():
    rows, hyps, refs = _rows()
    result = score_segments(rows, "en")
    corpus = result["corpus"]
    assert corpus["BLEU"]["score"] == BLEU().corpus_score(hyps, [refs]).score
    assert corpus["chrF++"]["score"] == CHRF(word_order=2).corpus_score(hyps, [refs]).score
    assert corpus["scored"] == 8 and corpus["segments"] == 10
    assert corpus["terms"] == {"honoured": 2, "missed": 1, "unverified": 1, "rate": 66.67}
    docs = result["docs"]
    assert list(docs) == ["a.txt", "b.txt", "c.txt"]
    assert docs["a.txt"]["BLEU"] == round(BLEU().corpus_score(hyps[:5], [refs[:5]]).score, 4)
    assert docs["b.txt"]["TER"] == round(TER().corpus_score(hyps[5:], [refs[5:]]).score, 4)
    assert docs["b.txt"]["scored"] == 3 and docs["b.txt"]["segments"] == 4
    assert "BLEU" not in docs["c.txt"] and docs["c.txt"]["terms"]["rate"] is None


def test_segment_chrf_equals_sentence_scores():
    rows, hyps, refs = _rows()
    expected = [CHRF(word_order=2).sentence_score(h, [r]).score for h, r in zip(hyps, refs)]
    assert segment_chrf(rows) == expected + [None, None]


def test_score_segments_spbleu_with_the_tokenizer_model(fake_flores200):
    hyps, refs = read_lines(DATA / "hyp.hy.txt"), read_lines(DATA / "ref.hy.txt")
    rows = [{"doc": "a" if i < 3 else "b", "target": h, "ref": r} for i, (h, r) in enumerate(zip(hyps, refs))]
    result = score_segments(rows, "hy")
    assert result["corpus"]["spBLEU"] == corpus_scores(hyps, [refs], "hy")["spBLEU"]
    assert result["docs"]["b"]["spBLEU"] == round(BLEU(tokenize="flores200").corpus_score(hyps[3:], [refs[3:]]).score, 4)
    assert result["docs"]["a"]["chrF++"] == round(CHRF(word_order=2).corpus_score(hyps[:3], [refs[:3]]).score, 4)


def test_score_segments_spbleu_skipped_offline(no_spm_model):
    result = score_segments([{"doc": "a", "target": "x", "ref": "x"}], "hy")
    assert "skipped" in result["corpus"]["spBLEU"] and "spBLEU" not in result["docs"]["a"]
