"""Hostile and odd input, round two (issue 24): each case ends in one line and exit 1, 2 or 74.

Links planted in OUT_DIR, input trees deeper than Python's recursion limit, names and
paths over the system's limits, hand-damaged run files, a memory that cannot be
opened, files too big to import.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipeline.cli import main


@pytest.fixture()
def finished(tiny_models, tmp_path):
    """A finished run: (input folder, OUT_DIR, a file outside both, the CLI arguments that made it)."""
    folder, out, outside = tmp_path / "in", tmp_path / "out", tmp_path / "outside"
    (folder / "sub").mkdir(parents=True)
    outside.mkdir()
    (folder / "a.txt").write_text("Լավրովը հանդիպեց Միրզոյանին։\n", encoding="utf-8")
    (folder / "sub" / "b.txt").write_text("Լավրովը խոսեց։\n", encoding="utf-8")
    (outside / "x.txt").write_text("not targman's\n")
    args = ["run", str(folder), "-o", str(out), "--model", str(tiny_models["hy-en"]), "--tgt", "en",
            "--progress", "off"]
    assert main(args) == 0
    return folder, out, outside / "x.txt", args


def one_line(err: str) -> str:
    assert "Traceback" not in err
    return [line for line in err.splitlines() if line.startswith("targman: error")][-1]


@pytest.mark.parametrize("name", ["run.json", "segments.jsonl", "errors.jsonl", "review.html"])
def test_a_link_in_out_dir_is_refused_and_its_target_untouched(finished, capsys, name):
    folder, out, outside, args = finished
    (out / name).unlink()
    (out / name).symlink_to(outside)
    capsys.readouterr()
    assert main(args) == 74  # the run resumes (nothing to translate) and writes its tables again
    line = one_line(capsys.readouterr().err)
    assert str(out / name) in line and "symbolic link" in line and "remove the link" in line
    assert outside.read_text() == "not targman's\n" and (out / name).is_symlink()


def test_a_linked_article_or_folder_fails_that_file_alone(finished, capsys):
    folder, out, outside, args = finished
    (out / "a.txt").unlink()
    (out / "a.txt").symlink_to(outside)
    (out / "sub" / "b.txt").unlink()
    (out / "sub").rmdir()
    (out / "sub").symlink_to(outside.parent)
    assert main(args + ["--force"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "FAILED a.txt" in err and "FAILED sub/b.txt" in err
    assert outside.read_text() == "not targman's\n" and sorted(p.name for p in outside.parent.iterdir()) == ["x.txt"]


def test_review_refuses_a_linked_report(finished, capsys):
    folder, out, outside, args = finished
    (out / "review.html").unlink()
    (out / "review.html").symlink_to(outside)
    capsys.readouterr()
    assert main(["review", str(out)]) == 74
    assert "remove the link" in one_line(capsys.readouterr().err)
    assert outside.read_text() == "not targman's\n"
