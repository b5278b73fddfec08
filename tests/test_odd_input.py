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


@pytest.mark.parametrize("name", ["run.json", pytest.param("segments.jsonl", marks=pytest.mark.slow),
                                  pytest.param("errors.jsonl", marks=pytest.mark.slow), "review.html"])
def test_a_link_in_out_dir_is_refused_and_its_target_untouched(finished, capsys, name):
    folder, out, outside, args = finished
    (out / name).unlink()
    (out / name).symlink_to(outside)
    capsys.readouterr()
    assert main(args) == 74  # the run resumes (nothing to translate) and writes its tables again
    line = one_line(capsys.readouterr().err)
    assert str(out / name) in line and "symbolic link" in line and "remove the link" in line
    assert outside.read_text() == "not targman's\n" and (out / name).is_symlink()


@pytest.mark.slow
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


@pytest.mark.slow
def test_review_refuses_a_linked_report(finished, capsys):
    folder, out, outside, args = finished
    (out / "review.html").unlink()
    (out / "review.html").symlink_to(outside)
    capsys.readouterr()
    assert main(["review", str(out)]) == 74
    assert "remove the link" in one_line(capsys.readouterr().err)
    assert outside.read_text() == "not targman's\n"


def deep_tree(folder: Path, depth: int) -> None:
    """`depth` folders named d, one inside the other, with an article at the bottom (by dir fd:
    the path soon passes the system's 4,096-byte limit)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            inner = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        leaf = os.open("x.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(leaf, "Լավրովը խոսեց։\n".encode())
        os.close(leaf)
    finally:
        os.close(fd)


def remove_deep(top: Path) -> None:
    """Remove a tree too deep for shutil.rmtree (it recurses; pytest's cleanup would print a
    RecursionError in every later session on this machine), by folder fds, without recursion."""
    stack = [(os.open(top, os.O_RDONLY | os.O_DIRECTORY), "")]
    while stack:
        fd = stack[-1][0]
        with os.scandir(fd) as entries:
            inner = next((e.name for e in entries if e.is_dir(follow_symlinks=False)), None)
        if inner is not None:
            stack.append((os.open(inner, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd), inner))
            continue
        for name in os.listdir(fd):
            os.unlink(name, dir_fd=fd)
        os.close(fd)
        name = stack.pop()[1]
        if stack:
            os.rmdir(name, dir_fd=stack[-1][0])
    os.rmdir(top)


@pytest.fixture()
def deep_folder(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    yield folder
    remove_deep(folder)


@pytest.mark.slow
def test_a_tree_2100_folders_deep_and_a_255_byte_name_do_not_stop_the_run(tiny_models, deep_folder, tmp_path, capsys):
    folder, out = deep_folder, tmp_path / "out"
    (folder / "a.txt").write_text("Լավրովը հանդիպեց Միրզոյանին։\n", encoding="utf-8")
    longest = "ա" * 125 + ".txt"  # 254 bytes: a legal name whose NAME.ref.txt sibling would be 258
    assert len(longest.encode()) == 254
    (folder / longest).write_text("Լավրովը խոսեց։\n", encoding="utf-8")
    deep_tree(folder, 2100)
    args = ["run", str(folder), "-o", str(out), "--model", str(tiny_models["hy-en"]), "--tgt", "en",
            "--progress", "off"]
    assert main(args) == 0
    assert "Traceback" not in capsys.readouterr().err
    files = json.loads((out / "run.json").read_text(encoding="utf-8"))["files"]
    assert files["a.txt"]["status"] == "done" and files[longest]["status"] == "done"
    (deep,) = [entry for rel, entry in files.items() if rel.startswith("d/")]
    assert deep["status"] == "skipped" and "cannot read folder (File name too long)" in json.dumps(deep)
    assert (out / longest).read_text(encoding="utf-8").strip()
    assert main(args) == 0  # and a rerun resumes it all


DAMAGE = [  # (file, how to damage it, what the one line must say)
    ("segments.jsonl", lambda rows, run: rows[0].update(flags=5),
     r'segments.jsonl:1: "flags" must be a list of strings'),
    ("segments.jsonl", lambda rows, run: rows[1].update(source=["x"]), r'segments.jsonl:2: "source" must be a string'),
    ("segments.jsonl", lambda rows, run: rows[0]["terms"].append("x"),
     r'segments.jsonl:1: "terms" must be a list of obj'),
    ("segments.jsonl", lambda rows, run: rows[0].update(doc=5), r'segments.jsonl:1: "doc" must be a string, not int 5'),
    ("run.json", lambda rows, run: run.update(files=5), r'run.json: "files" must be an object'),
    ("run.json", lambda rows, run: run["files"].update({"a.txt": 1}),
     r"run.json: \"files\" -> 'a.txt' must be an object"),
    ("run.json", lambda rows, run: run.update(glossary={"path": 5}),
     r'run.json: "glossary.path" must be a string or null'),
    ("run.json", lambda rows, run: run["scores"]["corpus"].update(terms=5), r'"scores.corpus -> terms" must be an obj'),
    ("run.json", lambda rows, run: run.clear() or run.update(x=1), None),  # an empty-ish manifest still renders
]


@pytest.mark.slow
@pytest.mark.parametrize("file, damage, says", DAMAGE)
def test_hand_damaged_run_files_are_one_line_in_review_export_and_score(finished, capsys, file, damage, says):
    import re

    folder, out, outside, args = finished
    rows = [json.loads(line) for line in (out / "segments.jsonl").read_text(encoding="utf-8").splitlines()]
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    damage(rows, run)
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    (out / "segments.jsonl").write_text(lines, encoding="utf-8")
    (out / "run.json").write_text(json.dumps(run), encoding="utf-8")
    for command in (["review", str(out)], ["export", str(out), "-o", str(out / "x.xlf")], ["score", str(out)]):
        capsys.readouterr()
        code = main(command)
        err = capsys.readouterr().err
        assert "Traceback" not in err
        if says is None:
            continue
        if command[0] == "score" and file == "run.json" and code == 0:
            continue  # score reads only the rows (and the edits) when there are no post-edits
        assert code in (1, 2), (command, err)
        assert re.search(says, one_line(err)), (command, err)


def test_import_refuses_a_huge_file_by_its_size_before_reading_it(tmp_path, capsys, monkeypatch):
    from pipeline.review import xliff

    huge = tmp_path / "huge.xlf"
    with open(huge, "wb") as handle:
        handle.truncate(xliff.MAX_BYTES + 1)  # sparse: nothing to read, only its size is known
    read = []
    monkeypatch.setattr(Path, "read_bytes", lambda self: read.append(self) or b"")
    assert main(["import", str(tmp_path), str(huge)]) == 2
    line = one_line(capsys.readouterr().err)
    assert str(huge) in line and "larger than 256 MB" in line and read == []
    assert main(["import", str(tmp_path), str(tmp_path)]) == 2  # a folder
    assert "not a regular file" in one_line(capsys.readouterr().err)
