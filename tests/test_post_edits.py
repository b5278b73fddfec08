"""Post-edit metrics (HTER with sacrebleu's TER), `targman apply` and what it refuses, and the four
commands on a tiny model: review (the session's API), export, import, apply, then a rerun."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from review_helpers import make_run, rows

from pipeline.runfolder.edits import EditLog
from pipeline.cli import main
from pipeline.evaluation.postedit import post_edit_metrics
from pipeline.evaluation.report import write_review
from pipeline.review.apply import apply_edits
from pipeline.review.session import ReviewSession


@pytest.fixture
def out(tmp_path):
    return make_run(tmp_path)


def test_hter_is_sacrebleus_ter_of_the_machine_output_against_the_post_edit(out):
    from sacrebleu.metrics import TER

    session = ReviewSession(out, memory=False)
    session.edit("a01.txt", 0, "Lavrov met Mirzoyan.")
    session.edit("a01.txt", 0, "Lavrov met Mirzoyan on Tuesday.")  # the latest counts, against the machine's
    session.edit("news/a02.md", 1, "Mirzoyan is in Moscow.")
    metrics = post_edit_metrics(session.rows, session.edits.read(), "en", glossary=session.glossary())
    editable = [r for r in session.rows if r["src_lang"] == "hy"]
    finals = {("a01.txt", 0): "Lavrov met Mirzoyan on Tuesday.", ("news/a02.md", 1): "Mirzoyan is in Moscow."}
    hyps = [r["target"] for r in editable]
    refs = [finals.get((r["doc"], r["index"]), r["target"]) for r in editable]
    ter = TER()
    expected = ter.corpus_score(hyps, [refs])
    corpus = metrics["corpus"]
    assert corpus["HTER"]["score"] == round(expected.score, 4)
    assert corpus["HTER"]["signature"] == ter.get_signature().format(short=False)
    assert (corpus["segments"], corpus["edited"], corpus["edited_share"]) == (6, 2, 33.33)
    assert corpus["terms_added"] == 4  # Lavrov, Mirzoyan; Mirzoyan, Moscow: missed by the machine, in the post-edits
    doc = metrics["docs"]["a01.txt"]
    assert doc["HTER"] == round(TER().corpus_score(hyps[:2], [refs[:2]]).score, 4) and doc["edited"] == 1
    assert metrics["docs"]["a03.txt"] == {"HTER": 0.0, "segments": 1, "edited": 0, "edited_share": 0.0,
                                          "terms_added": 0, "concepts_added": 0}
    session.add_concept({"type": "term", "en": "talks", "hy": "բանակցություններ"}, doc="a01.txt", index=1)
    session.close()
    # targman score OUT_DIR, the report, and run.json after apply carry the same numbers
    assert main(["score", str(out)]) == 0


def test_score_report_and_run_json_show_the_post_edits(out, capsys):
    session = ReviewSession(out, memory=False)
    session.edit("a03.txt", 0, "There was a meeting in Baku.")
    session.close()
    assert main(["score", str(out)]) == 0
    printed = json.loads(capsys.readouterr().out)["post_edits"]
    assert printed["corpus"]["edited"] == 1 and printed["docs"]["a03.txt"]["edited"] == 1
    assert main(["score", str(out), "--format", "text"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("HTER|nrefs:1|case:lc|tok:tercom") and "edited 1 of 6 segments (16.7%)" in text
    with pytest.raises(SystemExit) as exit_status:  # neither OUT_DIR nor --hyp/--ref
        main(["score"])
    assert exit_status.value.code == 2
    write_review(out)  # the report reads run.json, which has no post-edits yet: none shown
    assert 'id="post-edit-hter"' not in (out / "review.html").read_text(encoding="utf-8")
    assert main(["review", str(out)]) == 0  # run.json brought up to date first, then the report from it
    html = (out / "review.html").read_text(encoding="utf-8")
    assert 'id="post-edit-hter"' in html and "1 of 6 machine-translated segments" in html
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["post_edits"] == printed
    assert main(["apply", str(out)]) == 0
    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert manifest["post_edits"] == printed


def test_apply_leaves_a_hand_edited_or_changed_file_alone_and_says_why(out, tmp_path, capsys):
    session = ReviewSession(out, memory=False)
    session.edit("a01.txt", 0, "Lavrov met Mirzoyan.")
    session.edit("a03.txt", 0, "There was a meeting in Baku.")
    session.edit("news/a02.md", 0, "Moscow")
    session.close()
    (out / "a01.txt").write_text("An editor rewrote this by hand.\n", encoding="utf-8")
    (tmp_path / "in" / "a03.txt").write_text("Բաքվում հանդիպում էր երեկ։\n", encoding="utf-8")
    assert main(["apply", str(out)]) == 1
    err = capsys.readouterr().err
    assert "a01.txt: left as it is: " in err and "edited by hand" in err
    assert "a03.txt: left as it is: the input" in err and "changed" in err
    assert (out / "a01.txt").read_text(encoding="utf-8") == "An editor rewrote this by hand.\n"
    assert (out / "news/a02.md").read_text(encoding="utf-8").startswith("# Moscow\n")
    assert "1 post-edited segment(s) written into 1 article(s), 2 left as they were" in err


def test_apply_with_nothing_to_do_and_a_run_in_progress(out):
    assert apply_edits(out).files == []
    from pipeline.batch.state import RunState
    from pipeline.errors import StateError

    holder = RunState(out)
    holder.adopt()
    try:
        with pytest.raises(StateError, match="another targman run"):
            apply_edits(out)
    finally:
        holder.close()


def test_a_repeated_paragraph_that_is_kept_follows_the_post_edit(tmp_path):
    from pipeline import Translator, run
    from pipeline.engines.testing import FunctionEngine

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("Լավրովը ժամանեց։\n\nԼավրովը ժամանեց։\n\nԱյլ նախադասություն։\n", encoding="utf-8")
    engine = FunctionEngine(lambda text, src, tgt: f"MT {text}")
    with Translator.from_config(engine=engine, tgt="en", duplicate_output="keep") as translator:
        run(folder, tmp_path / "out", translator=translator, progress="off")
    session = ReviewSession(tmp_path / "out", memory=False)
    session.edit("a.txt", 0, "Lavrov arrived.")
    session.close()
    apply_edits(tmp_path / "out")
    applied = (tmp_path / "out" / "a.txt").read_bytes()
    assert applied.decode() == "Lavrov arrived.\n\nLavrov arrived.\n\nMT Այլ նախադասություն։\n"
    with Translator.from_config(engine=engine, tgt="en", duplicate_output="keep") as translator:
        run(folder, tmp_path / "out", translator=translator, progress="off", force=True)
    assert (tmp_path / "out" / "a.txt").read_bytes() == applied  # as a run that takes the post-edit writes it


def test_the_four_commands_on_a_tiny_model(tiny_models, tmp_path, capsys):
    """review (through the session the server uses), export, import, apply; then a rerun keeps the edits."""
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(Path(__file__).parents[1] / "examples" / "csto-monitors-2022-10-12.txt", folder / "csto.txt")
    (folder / "brief.txt").write_text("Լավրովը հանդիպեց Միրզոյանին։ Նրանք խոսեցին ՀԱՊԿ-ի մասին։\n", encoding="utf-8")
    out = tmp_path / "out"
    command = ["run", str(folder), "-o", str(out), "--tgt", "en", "--model", str(tiny_models["hy-en"]),
               "--max-length", "12", "--progress", "off"]
    assert main(command) == 0
    table = rows(out)
    brief = [r for r in table if r["doc"] == "brief.txt"]
    session = ReviewSession(out)
    session.edit("brief.txt", 0, "Lavrov met Mirzoyan.", who="desk")
    session.close()
    xlf = tmp_path / "run.xlf"
    assert main(["export", str(out), "-o", str(xlf)]) == 0
    text = xlf.read_text(encoding="utf-8")
    machine = brief[1]["target"]
    assert text.count(f">{machine}</target>") == 1
    xlf.write_text(text.replace(f">{machine}</target>", ">They talked about the CSTO.</target>"), encoding="utf-8")
    assert main(["import", str(out), str(xlf)]) == 0
    before = {p.name: p.read_bytes() for p in out.glob("*.txt")}
    assert main(["apply", str(out)]) == 0
    assert (out / "brief.txt").read_text(encoding="utf-8") == "Lavrov met Mirzoyan. They talked about the CSTO.\n"
    assert (out / "csto.txt").read_bytes() == before["csto.txt"]
    applied = {p.name: p.read_bytes() for p in out.glob("*.txt")}
    assert main(command) == 0  # a rerun: everything finished, the post-edits stay
    assert {p.name: p.read_bytes() for p in out.glob("*.txt")} == applied
    assert [r.get("origin") for r in rows(out) if r["doc"] == "brief.txt"] == ["human", "human"]
    assert main(command + ["--force", "--no-cache"]) == 0  # translated again: the post-edits win over the model
    assert {p.name: p.read_bytes() for p in out.glob("*.txt")} == applied
    assert len(EditLog(out).read()) == 2
