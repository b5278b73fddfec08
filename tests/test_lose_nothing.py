"""Nothing a user wrote is ever lost: the faults that fault injection found, each reproduced.

Every scenario ends with no user data lost, no traceback, a message a person can act
on, and a rerun that completes. A real subprocess is used where a kill, a file size
limit (`ulimit -f`, the disk-full case) or a permission is involved.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from pipeline.runfolder.edits import EditLog
from pipeline.cli import main
from pipeline.evaluation.report import write_tsv
from pipeline.glossary import edit as glossary_edit
from pipeline.translation import memory as memory_module

REPO = Path(__file__).resolve().parents[1]
ARTICLES = {
    f"a{i:02}.txt": f"Լավրովը հանդիպեց Միրզոյանին {i}։ Նա ասաց, որ {i} անգամ։\n\nԵրևան, {i}\n" for i in range(1, 9)
}


def make_input(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def command(folder: Path, out: Path, model, *extra) -> list[str]:
    return ["run", str(folder), "-o", str(out), "--tgt", "en", "--model", str(model), "--max-length", "8",
            "--progress", "off", *map(str, extra)]


def targman(args: list[str], *, limit_bytes: int | None = None, as_nobody: bool = False, timeout: int = 300):
    """`python -m pipeline ARGS` as a user runs it: a real process, optionally under a file size limit or as nobody."""
    def limits():  # pragma: no cover - runs in the child
        if limit_bytes is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if as_nobody else []
    return subprocess.run([*prefix, sys.executable, "-m", "pipeline", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout, preexec_fn=limits)


def rows(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "segments.jsonl").read_text(encoding="utf-8").splitlines()]


def articles_of(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob("a*.txt"))}


@pytest.fixture()
def reference(tiny_models, tmp_path) -> Path:
    """An uninterrupted run of the input, for byte comparisons."""
    folder = make_input(tmp_path / "in")
    out = tmp_path / "reference"
    assert main(command(folder, out, tiny_models["hy-en"], "--no-cache")) == 0
    return out


# 1. A part cut short is not trusted --------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("cut", ["to-header-and-one-row", "mid-row"])
def test_a_truncated_part_is_redone(tiny_models, reference, tmp_path, capsys, cut):
    folder, out = tmp_path / "in", tmp_path / "out"
    base = command(folder, out, tiny_models["hy-en"], "--no-cache")
    assert main(base) == 0
    expected = len(rows(out))
    part = next(p for p in (out / ".targman" / "parts").glob("*.jsonl") if len(p.read_text().splitlines()) > 2)
    data = part.read_bytes()
    if cut == "mid-row":
        part.write_bytes(data[:-100])
    else:
        part.write_bytes(b"".join(data.splitlines(keepends=True)[:2]))
    capsys.readouterr()
    assert main(base) == 0
    assert "Traceback" not in capsys.readouterr().err
    manifest = json.loads((out / "run.json").read_text())
    assert len(rows(out)) == expected == manifest["counts"]["segments"]
    assert manifest["resume"] == {"files_reused": len(ARTICLES) - 1}  # only the damaged file was redone
    assert articles_of(out) == articles_of(reference)
    assert (out / "segments.jsonl").read_bytes() == (reference / "segments.jsonl").read_bytes()


# 2. Files in OUT_DIR that targman never wrote ------------------------------------------------

def test_a_users_own_files_in_the_output_folder_are_kept(tiny_models, tmp_path, capsys):
    folder = make_input(tmp_path / "in")
    (folder / "a07.txt").write_bytes(b"caf\xe9\n")  # not UTF-8: this input fails
    out = tmp_path / "out2"
    out.mkdir()
    (out / "a07.txt").write_text("mine\n")
    (out / "a01.txt").write_text("mine too\n")  # same name as a good input's translation
    assert main(command(folder, out, tiny_models["hy-en"])) == 1
    err = capsys.readouterr().err
    assert (out / "a07.txt").read_text() == "mine\n" and (out / "a01.txt").read_text() == "mine too\n"
    assert "a01.txt exists and targman did not write it; it is kept" in err and "Traceback" not in err
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["files"]["a01.txt"]["status"] == "failed" and manifest["files"]["a02.txt"]["status"] == "done"
    (out / "a01.txt").unlink()  # the user moves their file away: the rerun completes that file
    (folder / "a07.txt").write_text("Ուղղված է։\n", encoding="utf-8")
    (out / "a07.txt").rename(tmp_path / "mine.txt")
    assert main(command(folder, out, tiny_models["hy-en"])) == 0


# 3. A broken translation memory ---------------------------------------------------------------

@pytest.mark.slow
def test_a_damaged_memory_fails_nothing_and_deletes_nothing(tiny_models, tmp_path, capsys):
    folder = make_input(tmp_path / "in")
    out, cache = tmp_path / "out", tmp_path / "cache"
    base = command(folder, out, tiny_models["hy-en"], "--cache-dir", cache)
    assert main(base) == 0
    good = (out / "a01.txt").read_bytes()
    db = cache / "memory.sqlite3"
    sqlite3.connect(db).execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
    data = bytearray(db.read_bytes())
    data[100:] = b"\x5a" * (len(data) - 100)  # every page after the header garbled
    db.write_bytes(bytes(data))
    (folder / "a02.txt").write_text("Նոր տեքստ։\n", encoding="utf-8")
    capsys.readouterr()
    assert main(base) == 0
    err = capsys.readouterr().err
    assert err.count("memory.sqlite3 cannot be") == 1 and "going on without it" in err and "Traceback" not in err
    assert "delete" not in err and "keep it" in err and "PRAGMA integrity_check" in err  # the advice loses nothing
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["status"] == "completed" and manifest["cache"]["problem"].startswith("off:")
    assert (out / "a01.txt").read_bytes() == good


def test_a_memory_locked_by_another_process_goes_read_only_once(tiny_models, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(memory_module, "BUSY_TIMEOUT_MS", 300)
    folder = make_input(tmp_path / "in")
    cache = tmp_path / "cache"
    assert main(command(folder, tmp_path / "warm", tiny_models["hy-en"], "--cache-dir", cache)) == 0
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys, time; db = sqlite3.connect(sys.argv[1], isolation_level=None); "
         "db.execute('BEGIN IMMEDIATE'); print('locked', flush=True); time.sleep(60)", str(cache / "memory.sqlite3")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        (folder / "a02.txt").write_text("Նոր տեքստ։\n", encoding="utf-8")
        (folder / "a03.txt").write_text("Եվս մեկը։\n", encoding="utf-8")
        capsys.readouterr()
        started = time.monotonic()
        assert main(command(folder, tmp_path / "out", tiny_models["hy-en"], "--cache-dir", cache)) == 0
        elapsed = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    err = capsys.readouterr().err
    assert err.count("cannot be written") == 1 and "write lock" in err
    manifest = json.loads((tmp_path / "out" / "run.json").read_text())
    assert manifest["cache"]["problem"].startswith("read-only") and manifest["cache"]["hits"] > 0
    assert elapsed < 30  # waited for the lock once, not once per file


# 4. Write errors -----------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_file_size_limit_stops_cleanly_and_the_rerun_completes(ct2_models, tmp_path):
    # on ct2: a process on hf spends 4 s importing torch before it writes anything
    folder, out, reference = make_input(tmp_path / "in"), tmp_path / "out", tmp_path / "reference"
    base = command(folder, out, ct2_models["hy-en"], "--engine", "ct2", "--no-cache")
    assert main(command(folder, reference, ct2_models["hy-en"], "--engine", "ct2", "--no-cache")) == 0
    done = targman(base, limit_bytes=2048)  # `ulimit -f 2`: as a full disk, for every file past 2 KiB
    assert done.returncode == 74, done.stderr
    assert "Traceback" not in done.stderr
    assert "File too large" in done.stderr and "raise the file size limit" in done.stderr
    assert "run the same command again" in done.stderr
    again = targman(base)
    assert again.returncode == 0, again.stderr
    assert articles_of(out) == articles_of(reference)
    assert (out / "segments.jsonl").read_bytes() == (reference / "segments.jsonl").read_bytes()


@pytest.mark.slow
def test_force_on_a_full_disk_leaves_no_manifest_of_other_settings(ct2_models, tmp_path):
    folder, out = make_input(tmp_path / "in"), tmp_path / "out"
    model = ct2_models["hy-en"]  # ct2: a process on hf spends 4 s importing torch
    assert targman(command(folder, out, model, "--engine", "ct2", "--no-cache")).returncode == 0
    done = targman(command(folder, out, model, "--engine", "ct2", "--no-cache", "--beam", "2", "--force"), limit_bytes=1024)
    assert done.returncode == 74 and "Traceback" not in done.stderr
    manifest = out / "run.json"
    assert not manifest.exists() or json.loads(manifest.read_text())["config"]["model"]["beam_size"] == 2


@pytest.fixture()
def open_dir():
    """A folder every user may enter, for runs as `nobody` (pytest's own are private to root)."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run a command as another user")
    folder = Path(tempfile.mkdtemp(prefix="targman-perm-"))
    folder.chmod(0o755)
    probe = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c",
                            "import pipeline"], cwd=REPO, capture_output=True)
    if probe.returncode != 0:
        shutil.rmtree(folder)
        pytest.skip("nobody cannot run this checkout's Python")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("read_only", ["OUT_DIR", ".targman", "lock"])
def test_a_read_only_output_is_found_before_any_model_loads(open_dir, read_only):
    folder = make_input(open_dir / "in")
    out = open_dir / "out"
    (out / ".targman").mkdir(parents=True)
    (out / ".targman" / "lock").write_text("")
    for path in (open_dir, folder, *folder.iterdir(), out, out / ".targman", out / ".targman" / "lock"):
        path.chmod(0o777 if path.is_dir() else 0o666)
    target = {"OUT_DIR": out, ".targman": out / ".targman", "lock": out / ".targman" / "lock"}[read_only]
    target.chmod(0o555 if target.is_dir() else 0o444)
    # The model does not exist: had the run got as far as loading it, the error would say so.
    done = targman(command(folder, out, open_dir / "no-such-model", "--no-cache"), as_nobody=True)
    assert done.returncode == 74, done.stderr
    assert "Permission denied" in done.stderr and "make it writable" in done.stderr
    assert "Traceback" not in done.stderr and "no-such-model" not in done.stderr


# 5. Reserved names, 6. earlier output folders, 7. old-Mac line ends, 8. invisible characters ----

@pytest.mark.parametrize("name", ["run.json", "segments.jsonl", "errors.jsonl", "review.html"])
def test_an_input_folder_with_a_reserved_name_fails_alone(tmp_path, name):
    from pipeline import run
    from pipeline.engines.testing import FunctionEngine

    folder = make_input(tmp_path / "in")
    (folder / name).mkdir()
    (folder / name / "inner.txt").write_text("Բարև։\n", encoding="utf-8")
    result = run(folder, tmp_path / "out", tgt="en", engine=FunctionEngine(), cache=False, progress="off")
    entry = result.files[f"{name}/inner.txt"]
    assert entry["status"] == "failed" and f"would overwrite the run's own {name}; rename the folder" in entry["error"]
    assert (tmp_path / "out" / "run.json").is_file() and result.manifest["counts"]["done"] == len(ARTICLES)


def test_an_earlier_output_folder_inside_the_input_is_not_read(tmp_path):
    from pipeline import run
    from pipeline.engines.testing import FunctionEngine

    folder = make_input(tmp_path / "in")
    settings = dict(tgt="en", engine=FunctionEngine(), cache=False, progress="off")
    run(folder, folder / "en", **settings)
    result = run(folder, folder / "en-v2", **settings)
    assert result.files["en"] == {"status": "skipped", "reason": "an output folder of an earlier targman run (it holds .targman/)"}
    assert not any(rel.startswith("en/") for rel in result.files) and not result.failed


def test_old_mac_line_ends_are_line_breaks(tmp_path):
    from pipeline import run
    from pipeline.engines.testing import FunctionEngine

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "mac.txt").write_bytes("Առաջին։\rԵրկրորդ։\r\rEnglish.\r".encode())
    run(folder, tmp_path / "out", tgt="en", engine=FunctionEngine(), cache=False, progress="off")
    assert [(r["para"], r["source"]) for r in rows(tmp_path / "out")] == [(0, "Առաջին։"), (1, "Երկրորդ։"), (2, "English.")]
    assert (tmp_path / "out" / "mac.txt").read_bytes() == "[hy>en] Առաջին։\r[hy>en] Երկրորդ։\r\rEnglish.\r".encode()


def test_review_tsv_quotes_a_carriage_return(tmp_path):
    import csv

    path = tmp_path / "review.tsv"
    write_tsv([{"doc": "a.txt", "source": "one\rtwo", "target": "x", "flags": []}], path, chrfs=[None])
    with open(path, encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle, delimiter="\t"))
    assert len(table) == 2 and table[1][9] == "one\rtwo"


@pytest.mark.parametrize("char", ["\u2066", "\u2067", "\u2068", "\u2069", "\u061c", "\u2028", "\u2029", "\u200e", "\u202e"])
def test_lint_flags_bidi_controls_and_separators(tmp_path, char):
    path = tmp_path / "g.tsv"
    path.write_text(f"id\ttype\ten\thy\tnote\nyerevan\tplace\tYerevan\tԵրևան{char}\t\n", encoding="utf-8")
    problems = glossary_edit.lint_file(path)
    assert problems and all(p.line == 2 for p in problems)
    assert any(f"invisible character U+{ord(char):04X}" in p.message for p in problems)


# 9. An article edited by hand in OUT_DIR ------------------------------------------------------------

def test_a_hand_edited_article_is_kept_and_its_edits_become_post_edits(tiny_models, tmp_path, capsys):
    folder = make_input(tmp_path / "in")
    out, cache = tmp_path / "out", tmp_path / "cache"
    base = command(folder, out, tiny_models["hy-en"], "--cache-dir", cache)
    assert main(base) == 0
    before = (out / "a03.txt").read_text(encoding="utf-8")
    first_line = before.split("\n")[0]
    machine_first = next(r["target"] for r in rows(out) if r["doc"] == "a03.txt" and r["index"] == 0)
    edited = before.replace(machine_first, "Lavrov met Mirzoyan, said the editor.", 1)
    assert edited != before
    (out / "a03.txt").write_text(edited, encoding="utf-8")
    capsys.readouterr()

    assert main(base) == 0
    err = capsys.readouterr().err
    assert "a03.txt: edited by hand" in err and "1 changed sentence(s) kept as post-edits" in err
    assert (out / "a03.txt").read_text(encoding="utf-8") == edited  # the editor's article, byte for byte
    row = next(r for r in rows(out) if r["doc"] == "a03.txt" and r["index"] == 0)
    assert row["target"] == "Lavrov met Mirzoyan, said the editor." and row["origin"] == "human"
    (edit,) = EditLog(out).read()
    assert (edit.doc, edit.before, edit.after, edit.via) == ("a03.txt", machine_first, row["target"], "article")
    assert first_line.startswith(machine_first)
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["files"]["a03.txt"]["edited_by_hand"] == {"human_segments": 1, "kept_as": None}

    # The source of another sentence changes: the file is translated again, the edit stays.
    (folder / "a03.txt").write_text(ARTICLES["a03.txt"].replace("Երևան, 3", "Գյումրի, 3"), encoding="utf-8")
    assert main(base) == 0
    assert (out / "a03.txt").read_text(encoding="utf-8").startswith("Lavrov met Mirzoyan, said the editor.")
    # ... and another folder translated with the same memory takes the editor's sentence too.
    assert main(command(folder, tmp_path / "elsewhere", tiny_models["hy-en"], "--cache-dir", cache)) == 0
    assert (tmp_path / "elsewhere" / "a03.txt").read_text(encoding="utf-8").startswith("Lavrov met Mirzoyan, said the editor.")
