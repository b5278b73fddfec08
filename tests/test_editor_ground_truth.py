"""The editor's text is the ground truth: each way a desk lost or reverted a post-edit, scripted.

Every scenario ends with the edit in its article and in segments.jsonl (`origin: human`), no
traceback and no `--force`: an older XLIFF imported after a newer one; a glossary concept added
after a post-edit, then `run`; a paragraph rewritten by hand, then a paragraph added to the input,
then `run`; one sentence edited differently in two articles; a torn last line in edits.jsonl
followed by another import; `apply` stopped half-way, then `apply`; two saves of one segment from
two tabs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from review_helpers import ARTICLES, make_run, rows

from pipeline.runfolder.edits import EditLog, FolderEdits
from pipeline.cli import main
from pipeline.jsonl import append_jsonl, read_jsonl
from pipeline.review.apply import apply_edits
from pipeline.review.session import ReviewError, ReviewSession
from pipeline.review.xliff import export_xliff, import_xliff, unit_id

XLIFF2 = "urn:oasis:names:tc:xliff:document:2.0"


def edit_unit(path: Path, uid: str, text: str) -> None:
    """What a translator does in a CAT tool: change one unit's target."""
    import xml.etree.ElementTree as ET

    ET.register_namespace("", XLIFF2)
    ET.register_namespace("mda", "urn:oasis:names:tc:xliff:metadata:2.0")
    ET.register_namespace("gls", "urn:oasis:names:tc:xliff:glossary:2.0")
    tree = ET.parse(path)
    for unit in tree.getroot().iter(f"{{{XLIFF2}}}unit"):
        if unit.get("id") == uid:
            target = unit.find(f"{{{XLIFF2}}}segment/{{{XLIFF2}}}target")
            for child in list(target):
                target.remove(child)
            target.text = text
            break
    else:
        raise AssertionError(f"no unit {uid}")
    tree.write(path, encoding="utf-8", xml_declaration=True)


def row_of(out: Path, doc: str, index: int) -> dict:
    return next(r for r in rows(out) if r["doc"] == doc and r["index"] == index)


def article(out: Path, rel: str) -> str:
    return (out / rel).read_text(encoding="utf-8")


# 1. An older XLIFF imported after a newer one ----------------------------------------------------------

def test_an_older_xliff_imported_after_a_newer_one_reverts_nothing(tmp_path, capsys):
    out = make_run(tmp_path)
    machine = row_of(out, "a01.txt", 0)["target"]
    old, new = tmp_path / "old.xlf", tmp_path / "new.xlf"
    export_xliff(out, old)
    export_xliff(out, new)
    edit_unit(new, unit_id("a01.txt", 0), "Lavrov met Mirzoyan.")
    assert import_xliff(out, new).edited == 1
    result = import_xliff(out, old)  # exported before; the translator changed nothing in it
    assert (result.edited, result.conflicts, result.outdated) == (0, [], 1)
    session = ReviewSession(out, memory=False)
    assert session.view("a01.txt", 0)["text"] == "Lavrov met Mirzoyan."
    session.close()
    assert [e.after for e in EditLog(out).read()] == ["Lavrov met Mirzoyan."]
    assert main(["apply", str(out)]) == 0
    row = row_of(out, "a01.txt", 0)
    assert (row["target"], row["origin"]) == ("Lavrov met Mirzoyan.", "human")
    assert article(out, "a01.txt").startswith("Lavrov met Mirzoyan. ")
    # the machine text never went into the memory's human table
    from pipeline.cachedir import cache_dir
    from pipeline.translation.memory import TranslationMemory

    with TranslationMemory.in_folder(cache_dir(None)) as memory:
        found = memory.lookup_human("hy", "en", [row["source"]], [""])
        targets = {t for (t,) in memory.db.execute("SELECT target FROM human")}
    assert machine not in targets and found in ([None], ["Lavrov met Mirzoyan."])


def test_a_changed_unit_of_an_older_export_is_a_conflict_unless_the_file_is_preferred(tmp_path, capsys):
    out = make_run(tmp_path)
    old, new = tmp_path / "old.xlf", tmp_path / "new.xlf"
    export_xliff(out, old)
    export_xliff(out, new)
    uid = unit_id("a03.txt", 0)
    edit_unit(new, uid, "A meeting took place in Baku.")
    edit_unit(old, uid, "There was a meeting in Baku.")
    assert import_xliff(out, new).edited == 1
    capsys.readouterr()
    assert main(["import", str(out), str(old)]) == 0
    err = capsys.readouterr().err
    assert f"unit {uid}: conflict" in err and "kept 'A meeting took place in Baku.'" in err
    assert "1 conflict(s) not applied (to take the file's text: --prefer file)" in err
    assert main(["apply", str(out)]) == 0
    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    (conflict,) = manifest["conflicts"]
    assert (conflict["current"], conflict["theirs"], conflict["via"]) == (
        "A meeting took place in Baku.", "There was a meeting in Baku.", "xliff")
    assert "There was a meeting in Baku." in (out / "review.html").read_text(encoding="utf-8")
    assert article(out, "a03.txt") == "A meeting took place in Baku.\n"
    # the desk decides: the file's text
    assert main(["import", str(out), str(old), "--prefer", "file"]) == 0
    assert main(["apply", str(out)]) == 0
    assert article(out, "a03.txt") == "There was a meeting in Baku.\n"
    assert "conflicts" not in json.loads((out / "run.json").read_text(encoding="utf-8"))


# 2. A glossary concept added after a post-edit, then run ----------------------------------------------

def test_a_glossary_edit_needs_no_force_and_keeps_the_post_edit(tmp_path, capsys):
    from pipeline import Translator, run
    from pipeline.engines.testing import FunctionEngine, SpyEngine
    from review_helpers import upper

    out = make_run(tmp_path)
    session = ReviewSession(out, memory=False)
    session.edit("a01.txt", 1, "They talked about the CSTO.")
    session.add_concept({"type": "term", "en": "talks", "hy": "խոսեցին"})  # matches the edited sentence
    session.close()
    engine = SpyEngine(FunctionEngine(upper))
    translator = Translator.from_config(engine=engine, tgt="en", terms="check", glossary=str(tmp_path / "desk.tsv"),
                                        cache=False)  # no memory: every segment the run translates is seen
    result = run(tmp_path / "in", out, translator=translator, progress="off")  # no --force
    translator.close()
    assert result.manifest["status"] == "completed"
    row = row_of(out, "a01.txt", 1)
    assert (row["target"], row["origin"]) == ("They talked about the CSTO.", "human")
    assert "term-missed" in row["flags"]  # the new term is not in the editor's text: the editor decides
    assert [t["concept"] for t in row["terms"] if t["honoured"] is False] == ["talks"]
    assert "They talked about the CSTO." in article(out, "a01.txt")
    # only the file with the new match was done again, and its edited sentence did not go to the engine
    assert result.manifest["resume"]["files_reused"] == 2
    assert engine.texts == ["Լավրովը հանդիպեց Միրզոյանին։"]


def test_force_for_a_new_model_still_keeps_the_editors_work(tmp_path):
    from pipeline import Translator, run
    from pipeline.engines.testing import FunctionEngine

    out = make_run(tmp_path)
    session = ReviewSession(out, memory=False)
    session.edit("a03.txt", 0, "There was a meeting in Baku.")
    session.close()
    translator = Translator.from_config(engine=FunctionEngine(lambda t, s, g: f"NEW {t}"), tgt="en", terms="check",
                                        glossary=str(tmp_path / "desk.tsv"))
    run(tmp_path / "in", out, translator=translator, progress="off", force=True)
    translator.close()
    assert article(out, "a03.txt") == "There was a meeting in Baku.\n"
    assert article(out, "a01.txt").startswith("NEW ")


def test_force_keeps_an_article_edited_by_hand(tmp_path):
    from pipeline import Translator, run
    from pipeline.engines.testing import FunctionEngine

    out = make_run(tmp_path)
    written = article(out, "a03.txt")
    (out / "a03.txt").write_text(written.replace(written.strip(), "There was a meeting in Baku."), encoding="utf-8")
    translator = Translator.from_config(engine=FunctionEngine(lambda t, s, g: f"NEW {t}"), tgt="en", terms="check",
                                        glossary=str(tmp_path / "desk.tsv"))
    result = run(tmp_path / "in", out, translator=translator, progress="off", force=True)
    translator.close()
    assert result.failed == []
    assert article(out, "a03.txt") == "There was a meeting in Baku.\n"
    assert row_of(out, "a03.txt", 0)["origin"] == "human"
    assert not (out / ".targman" / "parts.discarded").exists()


# 3. A paragraph rewritten by hand, then a paragraph added to the input, then run ------------------------

def test_a_paragraph_rewritten_by_hand_survives_a_paragraph_added_to_the_input(tmp_path, caplog):
    out = make_run(tmp_path)
    written = article(out, "a01.txt")
    assert written.startswith("MT Լավրովը հանդիպեց Միրզոյանին։ MT Նրանք խոսեցին ՀԱՊԿ-ի մասին։\n\n")
    mine = "Lavrov and Mirzoyan met and discussed the CSTO, which has been in crisis for months"
    (out / "a01.txt").write_text(written.replace(written.split("\n")[0], mine), encoding="utf-8")
    articles = dict(ARTICLES)
    articles["a01.txt"] = "Նոր պարբերություն է։\n\n" + ARTICLES["a01.txt"]
    make_run(tmp_path, articles=articles)
    assert article(out, "a01.txt") == f"MT Նոր պարբերություն է։\n\n{mine}\n\nThe talks went on.\n"
    head, covered = row_of(out, "a01.txt", 1), row_of(out, "a01.txt", 2)
    assert (head["target"], head["origin"]) == (mine, "human")
    assert (covered["target"], covered["origin"]) == ("", "human")
    (edit,) = EditLog(out).read()
    assert (edit.span, edit.index) == (2, 0)
    assert edit.source == "Լավրովը հանդիպեց Միրզոյանին։ Նրանք խոսեցին ՀԱՊԿ-ի մասին։"
    # and it stays through one more change above it, and an edit of it on the review page
    articles["a01.txt"] = "Առաջին։\n\n" + articles["a01.txt"]
    make_run(tmp_path, articles=articles)
    assert f"\n\n{mine}\n\n" in article(out, "a01.txt")
    session = ReviewSession(out, memory=False)
    session.edit("a01.txt", 2, mine + ".")
    session.close()
    assert apply_edits(out).segments == 1
    assert article(out, "a01.txt") == f"MT Առաջին։\n\nMT Նոր պարբերություն է։\n\n{mine}.\n\nThe talks went on.\n"


def test_an_edit_whose_source_is_gone_is_reported_and_kept(tmp_path, caplog, capsys):
    out = make_run(tmp_path)
    session = ReviewSession(out, memory=False)
    session.edit("a03.txt", 0, "There was a meeting in Baku.")
    session.close()
    make_run(tmp_path, articles={**ARTICLES, "a03.txt": "Գյումրիում հանդիպում էր։\n"})
    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    (lost,) = manifest["edits_unmatched"]
    assert (lost["doc"], lost["text"]) == ("a03.txt", "There was a meeting in Baku.")
    assert "no longer in the input" in caplog.text + capsys.readouterr().err
    assert [e.after for e in EditLog(out).read()] == ["There was a meeting in Baku."]


# 4. One sentence edited differently in two articles ---------------------------------------------------

def test_one_sentence_edited_differently_in_two_articles_keeps_both(tmp_path):
    same = "Բաքվում հանդիպում էր։\n"
    articles = {"one.txt": same, "two.txt": same}
    out = make_run(tmp_path, articles=articles)
    session = ReviewSession(out)
    session.edit("one.txt", 0, "There was a meeting in Baku.")
    session.edit("two.txt", 0, "A meeting was held in Baku.")
    session.close()
    assert apply_edits(out).segments == 2
    assert article(out, "one.txt") == "There was a meeting in Baku.\n"
    assert article(out, "two.txt") == "A meeting was held in Baku.\n"
    # a run that translates both again (their inputs changed) keeps each one's own
    make_run(tmp_path, articles={k: same + "\nՆոր։\n" for k in articles})
    assert article(out, "one.txt").startswith("There was a meeting in Baku.\n")
    assert article(out, "two.txt").startswith("A meeting was held in Baku.\n")
    assert {r["doc"]: r["target"] for r in rows(out) if r["index"] == 0} == {
        "one.txt": "There was a meeting in Baku.", "two.txt": "A meeting was held in Baku."}


# 5. Torn last lines ------------------------------------------------------------------------------------

@pytest.mark.parametrize("tear", [
    "Լավ".encode("utf-8")[:-1],  # cut inside an Armenian letter
    b'{"doc": "a01.txt", "ind',  # cut on an ASCII byte
])
def test_a_torn_last_line_is_skipped_and_cut_before_the_next_import(tmp_path, tear, caplog, capsys):
    out = make_run(tmp_path)
    session = ReviewSession(out, memory=False)
    session.edit("a01.txt", 0, "Lavrov met Mirzoyan.")
    session.close()
    with open(out / "edits.jsonl", "ab") as handle:
        handle.write(tear)
    with open(out / "review-log.jsonl", "ab") as handle:
        handle.write(tear)
    with open(out / ".targman" / "outputs.jsonl", "ab") as handle:
        handle.write(tear)
    assert main(["review", str(out)]) == 0  # reads all three: no traceback
    said = caplog.text + capsys.readouterr().err  # the CLI's own handler, once main() has set it up
    assert "edits.jsonl: its last line is not a whole JSON record" in said
    xlf = tmp_path / "run.xlf"
    export_xliff(out, xlf)
    edit_unit(xlf, unit_id("a03.txt", 0), "There was a meeting in Baku.")
    assert main(["import", str(out), str(xlf)]) == 0
    assert [e.after for e in EditLog(out).read()] == ["Lavrov met Mirzoyan.", "There was a meeting in Baku."]
    lines = (out / "edits.jsonl").read_bytes().split(b"\n")
    assert lines[-1] == b"" and [json.loads(line)["after"] for line in lines[:-1]] == [
        "Lavrov met Mirzoyan.", "There was a meeting in Baku."]  # the torn line was cut away
    assert main(["apply", str(out)]) == 0
    assert article(out, "a03.txt") == "There was a meeting in Baku.\n"
    assert row_of(out, "a01.txt", 0)["origin"] == "human"


def test_a_damaged_line_in_the_middle_is_skipped_and_named(tmp_path, caplog, capsys):
    path = tmp_path / "log.jsonl"
    append_jsonl(path, [{"a": 1}])
    with open(path, "ab") as handle:
        handle.write(b'["not", "an object"]\n\xff\xfe\n')
    append_jsonl(path, [{"a": 2}])
    assert [record for _, record in read_jsonl(path)] == [{"a": 1}, {"a": 2}]
    said = caplog.text + capsys.readouterr().err
    assert "line 2 is not a whole JSON record" in said and "line 3" in said


def test_an_edit_line_with_fields_of_the_wrong_type_is_skipped(tmp_path, caplog, capsys):
    out = make_run(tmp_path)
    session = ReviewSession(out, memory=False)
    session.edit("a03.txt", 0, "There was a meeting in Baku.")
    session.close()
    good = (out / "edits.jsonl").read_text(encoding="utf-8")
    bad = json.loads(good)
    bad.update(index="0", after=["x"])
    (out / "edits.jsonl").write_text(json.dumps(bad) + "\n" + good, encoding="utf-8")
    assert main(["apply", str(out)]) == 0
    assert "edits.jsonl: line 1 is not a post-edit" in caplog.text + capsys.readouterr().err
    assert article(out, "a03.txt") == "There was a meeting in Baku.\n"


def test_a_full_disk_during_import_is_one_line_and_the_next_import_completes(tmp_path):
    out = make_run(tmp_path)
    xlf = tmp_path / "run.xlf"
    export_xliff(out, xlf)
    edit_unit(xlf, unit_id("a03.txt", 0), "Բ" * 3000)  # a long Armenian post-edit: the limit cuts it
    size = (out / "edits.jsonl").stat().st_size if (out / "edits.jsonl").exists() else 0
    limit_kib = size // 1024 + 2  # bash counts `ulimit -f` in KiB; the record is over 6 KB
    script = (f"ulimit -f {limit_kib}; exec {sys.executable} -m pipeline import {out} {xlf}")
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, cwd=Path(__file__).parents[1],
                          timeout=120)
    assert done.returncode == 74, done.stderr
    assert "Traceback" not in done.stderr and "cannot write the post-edits to" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (out / "edits.jsonl").read_bytes().endswith(b"\n")  # torn, inside a letter
    edit_unit(xlf, unit_id("a03.txt", 0), "There was a meeting in Baku.")
    assert main(["import", str(out), str(xlf)]) == 0
    assert [e.after for e in EditLog(out).read()] == ["There was a meeting in Baku."]


# 6. apply stopped half-way ----------------------------------------------------------------------------

def test_apply_stopped_half_way_is_finished_by_the_next_apply(tmp_path, monkeypatch):
    import pipeline.review.apply as apply_module

    out = make_run(tmp_path)
    session = ReviewSession(out, memory=False)
    session.edit("a01.txt", 0, "Lavrov met Mirzoyan.")
    session.edit("a03.txt", 0, "There was a meeting in Baku.")
    session.close()
    real = apply_module.atomic_write_text
    written = []

    def dies_after_one(path, text):
        if written:
            raise SystemExit("killed")  # as a kill between two articles
        real(path, text)
        written.append(path)

    monkeypatch.setattr(apply_module, "atomic_write_text", dies_after_one)
    with pytest.raises(SystemExit):
        apply_edits(out)
    monkeypatch.setattr(apply_module, "atomic_write_text", real)
    assert (out / ".targman" / "apply.json").is_file()
    result = apply_edits(out)
    assert result.segments == 1  # the other article
    assert not (out / ".targman" / "apply.json").exists()
    table = {(r["doc"], r["index"]): r for r in rows(out)}
    assert table[("a01.txt", 0)]["target"] == "Lavrov met Mirzoyan." and table[("a01.txt", 0)]["origin"] == "human"
    assert table[("a03.txt", 0)]["target"] == "There was a meeting in Baku."
    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert manifest["post_edits"]["corpus"]["edited"] == 2
    html = (out / "review.html").read_text(encoding="utf-8")
    assert "</mark> met <mark" in html and "There was a meeting in <mark" in html
    assert article(out, "a01.txt").startswith("Lavrov met Mirzoyan. ")


def test_a_run_after_an_apply_stopped_half_way_agrees_with_the_articles(tmp_path, monkeypatch):
    import pipeline.review.apply as apply_module

    out = make_run(tmp_path)
    session = ReviewSession(out, memory=False)
    session.edit("a03.txt", 0, "There was a meeting in Baku.")
    session.close()
    monkeypatch.setattr(apply_module, "_rewrite_tables", lambda *a, **k: (_ for _ in ()).throw(SystemExit("killed")))
    with pytest.raises(SystemExit):
        apply_edits(out)
    monkeypatch.undo()
    make_run(tmp_path)
    assert row_of(out, "a03.txt", 0)["target"] == "There was a meeting in Baku."
    assert not (out / ".targman" / "apply.json").exists()


# 7. Two saves of one segment from two tabs ------------------------------------------------------------

def test_two_tabs_saving_one_segment_the_second_gets_a_conflict(tmp_path):
    pytest.importorskip("starlette")
    from starlette.testclient import TestClient

    from pipeline.review.server import create_app

    out = make_run(tmp_path)
    session = ReviewSession(out, memory=False)
    app = create_app(session, token="t")
    headers = {"X-Targman-Token": "t", "Content-Type": "application/json"}
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        shown = {v["dom_id"]: v for v in client.get("/api/segments").json()["segments"]}
        base = next(v for v in shown.values() if v["doc"] == "a03.txt")["text"]  # both tabs show this
        first = client.post("/api/edit", headers=headers,
                            json={"doc": "a03.txt", "index": 0, "text": "There was a meeting in Baku.", "base": base})
        assert first.status_code == 200
        second = client.post("/api/edit", headers=headers,
                             json={"doc": "a03.txt", "index": 0, "text": "Baku hosted a meeting.", "base": base})
        assert second.status_code == 409
        body = second.json()
        assert body["conflict"] == {"current": "There was a meeting in Baku.", "theirs": "Baku hosted a meeting.",
                                    "who": None}
        assert "not saved" in body["error"]
        assert session.view("a03.txt", 0)["text"] == "There was a meeting in Baku."
        assert [c["theirs"] for c in session.conflicts()] == ["Baku hosted a meeting."]
        # the second editor, having seen both, saves on the current text: taken
        again = client.post("/api/edit", headers=headers, json={
            "doc": "a03.txt", "index": 0, "text": "Baku hosted a meeting.", "base": "There was a meeting in Baku."})
        assert again.status_code == 200 and again.json()["text"] == "Baku hosted a meeting."
        assert session.conflicts() == []
    session.close()


def test_the_review_server_reloads_after_apply_and_run(tmp_path):
    out = make_run(tmp_path)
    session = ReviewSession(out, memory=False)
    session.edit("a03.txt", 0, "There was a meeting in Baku.")
    assert session.view("a03.txt", 0)["state"] == "reviewed"
    apply_edits(out)
    assert session.view("a03.txt", 0)["state"] == "final"  # read again: the table changed
    assert session.row("a03.txt", 0)["origin"] == "human"
    session.close()


# The folder's edits, as a run finds them -------------------------------------------------------------

def _unit(doc, index, source, para=0):
    return {"doc": doc, "index": index, "source": source, "para": para}


def _edit(doc, index, source, after, **more):
    from pipeline.runfolder.edits import Edit

    return Edit(doc=doc, index=index, src_lang="hy", tgt="en", context="", source=source, before="x", after=after,
                **more)


@pytest.mark.parametrize("units, edits, expected", [
    # the same index and source
    ([_unit("a", 0, "S")], [_edit("a", 0, "S", "one")], {0: "one"}),
    # a paragraph added above: the index moved, the source is the same
    ([_unit("a", 0, "N"), _unit("a", 1, "S")], [_edit("a", 0, "S", "one")], {1: "one"}),
    # the same sentence twice in a document: each edit goes to the nearest
    ([_unit("a", 0, "S"), _unit("a", 1, "T"), _unit("a", 2, "S")],
     [_edit("a", 2, "S", "two"), _edit("a", 0, "S", "one")], {0: "one", 2: "two"}),
    # the same sentence in two documents: each keeps its own; the latest of a segment wins
    ([_unit("a", 0, "S"), _unit("b", 0, "S")],
     [_edit("a", 0, "S", "A1"), _edit("b", 0, "S", "B"), _edit("a", 0, "S", "A2")], {0: "A2", 1: "B"}),
    # the source is gone: no edit
    ([_unit("a", 0, "T")], [_edit("a", 0, "S", "one")], {}),
    # a paragraph's edit covers its segments; a later edit of one of them undoes it whole
    ([_unit("a", 0, "S"), _unit("a", 1, "T")], [_edit("a", 0, "S T", "para", span=2)], {0: "para"}),
    ([_unit("a", 0, "S"), _unit("a", 1, "T")], [_edit("a", 0, "S T", "para", span=2), _edit("a", 1, "T", "t")],
     {1: "t"}),
    # not across paragraphs
    ([_unit("a", 0, "S"), _unit("a", 1, "T", para=1)], [_edit("a", 0, "S T", "para", span=2)], {}),
])
def test_folder_edits_find_their_segment(units, edits, expected):
    assigned = FolderEdits(edits, "en").assign(units)
    assert {p: e.after for p, e in assigned.items()} == expected


def test_a_symlinked_edits_file_is_refused_and_its_target_untouched(tmp_path):
    out = make_run(tmp_path)
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me\n", encoding="utf-8")
    (out / "edits.jsonl").symlink_to(outside)
    session = ReviewSession(out, memory=False)
    with pytest.raises(Exception, match="symbolic link"):
        session.edit("a03.txt", 0, "There was a meeting in Baku.")
    session.close()
    assert outside.read_text(encoding="utf-8") == "keep me\n"
