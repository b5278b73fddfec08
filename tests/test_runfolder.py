"""The run folder has one owner (`RunFolder`): what a run writes is read back through it, each
input is read and segmented once per run, and the report shows the figures run.json holds."""

import json

import pytest

from pipeline import RunFolder, Segment
from pipeline.batch import jobs
from pipeline.batch.runner import run
from pipeline.config import Config, with_overrides
from pipeline.engines.testing import FunctionEngine
from pipeline.errors import InputError
from pipeline.evaluation.report import write_review
from pipeline.review.session import ReviewSession


def settings(progress="off"):
    return with_overrides(Config(), model__id="function-engine", run__tgt="en", run__progress=progress)


@pytest.fixture()
def finished(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("Բաքուն և Երևանը։ Մոսկվան լռեց։\n\nԱյսօր անձրև է։\n", encoding="utf-8")
    (folder / "b.txt").write_text("Only English here.\n", encoding="utf-8")
    out = tmp_path / "out"
    run(folder, out, settings(), engine=FunctionEngine())
    return out


def test_rows_come_back_as_the_segments_that_wrote_them(finished):
    folder = RunFolder(finished)
    rows, manifest = folder.read()
    assert [r["doc"] for r in rows] == ["a.txt", "a.txt", "a.txt", "b.txt"]
    assert [Segment.from_row(r).to_row() for r in rows] == rows
    assert [doc for doc, _ in folder.docs()] == ["a.txt", "b.txt"]
    assert manifest["tgt"] == folder.target_language() == "en"
    assert folder.stamp() is not None and not folder.has_editors_work()


def test_a_hand_broken_table_names_the_file_and_line(finished):
    table = finished / "segments.jsonl"
    lines = table.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace('"index": 1', '"index": "one"')
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"segments.jsonl:2: \"index\" must be a whole number"):
        RunFolder(finished).read()


def test_exports_keep_their_bases_under_the_folders_identity(finished):
    folder = RunFolder(finished)
    export = folder.save_export({"u1": "machine text"})
    run_id, _, export_id = export.partition("/")
    assert run_id == folder.recorded_run_id() == folder.run_id()  # made once, then kept
    assert folder.export_bases(export_id) == {"u1": "machine text"}
    assert folder.export_bases("../../etc") is None and folder.export_bases("0" * 16) is None


CHROME = "Հետևեք մեզ Facebook-ում | Twitter"  # a site's line in every article of the folder


@pytest.mark.parametrize("progress", ["off", "lines"])
@pytest.mark.parametrize("chrome_min_docs", [3, 0])
def test_each_input_is_read_and_segmented_once(tmp_path, monkeypatch, progress, chrome_min_docs):
    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(4):
        (folder / f"{n}.txt").write_text(f"{CHROME}\n\nԵրևան {n}։ Մոսկվա։\n", encoding="utf-8")
    reads: list[str] = []
    cuts: list[str] = []
    real_read, real_cut = jobs.read_file, jobs.segment_paragraphs

    def reading(root, path, **options):
        reads.append(path.name)
        return real_read(root, path, **options)

    def cutting(doc, paragraphs, **options):
        cuts.append(doc)
        return real_cut(doc, paragraphs, **options)

    monkeypatch.setattr(jobs, "read_file", reading)
    monkeypatch.setattr("pipeline.documents.chrome.read_file", reading)
    monkeypatch.setattr(jobs, "segment_paragraphs", cutting)
    config = with_overrides(settings(progress), run__chrome_min_docs=chrome_min_docs)
    result = run(folder, tmp_path / "out", config, engine=FunctionEngine(), review=False)
    names = ["0.txt", "1.txt", "2.txt", "3.txt"]
    assert sorted(reads) == names  # the progress count's and the chrome search's reading is the run's
    assert sorted(cuts) == names  # each cut into segments once, with its folder's chrome
    kinds = {row["source"]: row["kind"] for row in RunFolder(tmp_path / "out").rows()}
    assert kinds[CHROME] == ("boilerplate" if chrome_min_docs else "text")
    assert ("chrome" in result.manifest) == bool(chrome_min_docs)


def test_the_report_shows_what_run_json_records(finished):
    session = ReviewSession(finished, memory=False)
    session.edit("a.txt", 0, "Baku and Yerevan.")
    session.close()
    write_review(finished)  # run.json has no post-edits yet: the report shows none
    assert 'id="post-edit-hter"' not in (finished / "review.html").read_text(encoding="utf-8")
    from pipeline.evaluation.postedit import record_edit_summary

    manifest = record_edit_summary(finished)
    assert manifest["post_edits"]["corpus"]["edited"] == 1
    assert json.loads((finished / "run.json").read_text(encoding="utf-8"))["post_edits"] == manifest["post_edits"]
    write_review(finished)
    assert 'id="post-edit-hter"' in (finished / "review.html").read_text(encoding="utf-8")
