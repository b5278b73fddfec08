"""`targman eval`: a line-aligned test set through the real batch job, scored with sacrebleu."""

import json

import pytest
from sacrebleu.metrics import BLEU, CHRF, TER

from pipeline.cli import main

SRC = [
    "The CSTO is ready to send monitors.",
    "Lavrov met Mirzoyan in Astana.",
    "Mr. Smith left. He came back.",  # two sentences on one line: still one line of output
    "Accessibility links",  # would be chrome in an article; in a test set it is a line like any other
    "Accessibility links",
    "Moscow and Baku agreed.",
]
REF = ["ՀԱՊԿ-ը պատրաստ է։", "Լավրովը հանդիպեց Միրզոյանին։", "Պրն Սմիթը մեկնեց։ Նա վերադարձավ։",
       "Մատչելիության հղումներ", "Մատչելիության հղումներ", "Մոսկվան և Բաքուն համաձայնեցին։"]
DOCS = ["d1", "d1", "d1", "d2", "d2", "d2"]


@pytest.fixture()
def test_set(tmp_path):
    paths = {}
    for name, lines in (("src", SRC), ("ref", REF), ("docs", DOCS)):
        paths[name] = tmp_path / f"{name}.txt"
        paths[name].write_text("\n".join(lines) + "\n", encoding="utf-8")
    return paths


def test_eval_scores_equal_sacrebleu_on_its_own_output(tiny_models, test_set, tmp_path, capsys):
    out = tmp_path / "eval"
    code = main(["eval", "--src", str(test_set["src"]), "--ref", str(test_set["ref"]), "--docs", str(test_set["docs"]),
                 "--tgt", "hy", "--model", str(tiny_models["en-hy"]), "--max-length", "6", "-o", str(out), "--progress", "off"])
    assert code == 0
    scores = json.loads(capsys.readouterr().out)
    hyps = (out / "hyp.txt").read_text(encoding="utf-8").split("\n")[:-1]
    assert len(hyps) == len(SRC) and all(hyps)
    assert scores["corpus"]["BLEU"]["score"] == pytest.approx(BLEU().corpus_score(hyps, [REF]).score)
    assert scores["corpus"]["chrF++"]["score"] == pytest.approx(CHRF(word_order=2).corpus_score(hyps, [REF]).score)
    assert scores["corpus"]["TER"]["score"] == pytest.approx(TER().corpus_score(hyps, [REF]).score)
    assert set(scores["docs"]) == {"d1", "d2"}
    assert scores["docs"]["d2"]["chrF++"] == pytest.approx(CHRF(word_order=2).corpus_score(hyps[3:], [REF[3:]]).score, abs=1e-3)
    assert (out / "translated" / "review.html").exists()


def test_eval_misaligned_files_name_the_line(test_set, tmp_path, capsys):
    test_set["ref"].write_text("\n".join(REF[:4]) + "\n", encoding="utf-8")
    code = main(["eval", "--src", str(test_set["src"]), "--ref", str(test_set["ref"]), "--tgt", "hy", "--model", "x/y"])
    assert code == 2
    assert f"{test_set['src']}:5:" in capsys.readouterr().err
