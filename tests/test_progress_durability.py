"""Runs that keep every finished batch and show that they move (durability per batch, live progress)."""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline import run
from pipeline.cli import main
from pipeline.engines.testing import FunctionEngine, tag

REPO = Path(__file__).resolve().parents[1]


def make_input(folder: Path, files: int = 30, sentences: int = 4) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        text = " ".join(f"Նախադասություն {i}-{k} Միրզոյանի մասին։" for k in range(sentences))
        (folder / f"a{i:02}.txt").write_text(f"{text}\n\nԵրևան, {i}\n", encoding="utf-8")
    return folder


def snapshot(out: Path) -> dict[str, bytes]:
    files = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
             if p.is_file() and not p.relative_to(out).as_posix().startswith(".targman")}
    manifest = json.loads(files.pop("run.json"))
    for key in ("timings", "resume", "cache"):
        manifest.pop(key)
    files["run.json"] = json.dumps(manifest, sort_keys=True).encode()
    return files


def journal_rows(out: Path) -> int:
    path = out / ".targman" / "journal.sqlite3"
    if not path.exists():
        return 0
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
        try:
            return db.execute("SELECT COUNT(*) FROM entries").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_a_kill_mid_window_loses_only_the_batches_in_flight(ct2_models, tmp_path):
    """On ct2 (the killed process spends no 4 s importing torch), with 30 articles of 40
    sentences in the one window (1230 segments of 2000): ct2 stores a batch every few ms, and
    over 1000 segments are still to come when the poll below sees 20."""
    folder = make_input(tmp_path / "in", sentences=40)
    args = ["run", str(folder), "--tgt", "en", "--model", str(ct2_models["hy-en"]), "--engine", "ct2", "--max-length", "8",
            "--batch-tokens", "48", "--no-cache", "--progress", "off"]
    reference = tmp_path / "reference"
    assert main([*args, "-o", str(reference)]) == 0
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", *args, "-o", str(out)], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    stored = 0
    while proc.poll() is None and time.monotonic() < deadline:
        stored = journal_rows(out)
        if stored >= 20:
            break
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    stderr = proc.communicate(timeout=60)[1].decode()
    assert proc.returncode == -signal.SIGKILL, stderr
    print(f"killed with {journal_rows(out)} segments stored")
    parts = list((out / ".targman" / "parts").glob("*.jsonl"))
    assert parts == [] and stored >= 20  # killed inside the one window: no file was finished yet
    assert main([*args, "-o", str(out)]) == 0
    resumed = json.loads((out / "run.json").read_text())
    assert resumed["cache"]["journal_hits"] >= stored  # every batch finished before the kill was kept
    assert snapshot(out) == snapshot(reference)
    assert not (out / ".targman" / "journal.sqlite3").exists()  # a finished run keeps its work in the parts


@pytest.mark.slow
def test_progress_lines_rise_while_the_window_is_translated(tmp_path, capsys):
    folder = make_input(tmp_path / "in", files=6)
    engine = FunctionEngine(batch_size=3, seconds_per_batch=0.15)
    run(folder, tmp_path / "out", tgt="en", engine=engine, cache=False, progress="lines", progress_every=0.05)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("targman: segments ")]
    counts = [int(re.search(r"segments (\d+)/(\d+)", line).group(1)) for line in lines]
    total = int(re.search(r"segments \d+/(\d+)", lines[0]).group(1))
    assert total == 6 * 5 and counts == sorted(counts) and counts[-1] == total
    assert len(set(counts)) >= 5  # the count moved batch by batch, not file by file at the end of the window
    assert "seg/s" in lines[-1] and "files 6/6" in lines[-1]
    assert any("ETA " in line for line in lines[:-1])


def test_progress_jsonl_says_what_loads_first(tiny_models, tmp_path, capsys):
    folder = make_input(tmp_path / "in", files=3)
    assert main(["run", str(folder), "-o", str(tmp_path / "out"), "--tgt", "en", "--model", str(tiny_models["hy-en"]),
                 "--max-length", "6", "--batch-tokens", "64", "--no-cache", "--progress", "jsonl"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    names = [e["event"] for e in events]
    assert names[0] == "loading" and str(tiny_models["hy-en"]) in events[0]["model"]
    assert names[1] == "start" and events[1]["files"] == 3 and events[1]["segments"] == 3 * 5
    assert names.count("file") == 3 and names[-1] == "end" and names.count("batch") >= 3
    batches = [e["segments"] for e in events if e["event"] == "batch"]
    assert batches == sorted(batches) and events[-1]["segments"] == 3 * 5


@pytest.mark.parametrize("mode", ["off", "jsonl"])
def test_a_fully_finished_folder_says_it_loads_nothing(tmp_path, capsys, mode):
    folder = make_input(tmp_path / "in", files=2)
    settings = dict(tgt="en", engine=FunctionEngine(), cache=False, progress=mode)
    run(folder, tmp_path / "out", **settings)
    capsys.readouterr()
    run(folder, tmp_path / "out", **settings)
    assert "loading" not in capsys.readouterr().err


def poison(text: str, src: str, tgt: str) -> str:
    if "POISON" in text:
        raise RuntimeError("the model cannot handle this segment")
    return tag(text, src, tgt)


def test_a_failed_file_is_not_counted_done_nor_its_window_twice(tmp_path, capsys):
    """The window fails on one file and is translated again file by file: progress counts each
    segment once, the failed file's segment not at all, and the failed file apart from the done
    ones. The batches finished before the failure come back from the journal, and the summary
    does not call that an interrupted run (issue 29)."""
    from pipeline.cli.summary import lines

    folder = make_input(tmp_path / "in", files=5)
    # last in the window: batches land in the journal before the engine fails on it
    (folder / "zz-poison.txt").write_text("Լավրովը POISON խոսեց։\n", encoding="utf-8")
    result = run(folder, tmp_path / "out", tgt="en", engine=FunctionEngine(poison, batch_size=2), cache=False,
                 progress="jsonl")
    events = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    end = events[-1]
    assert result.failed == ["zz-poison.txt"]
    assert (end["event"], end["files"], end["files_done"], end["files_failed"]) == ("end", 6, 5, 1)
    assert end["segments"] == end["total"] - 1  # every segment once, but the failed one
    assert max(e["segments"] for e in events if e["event"] == "batch") <= end["total"]
    assert result.manifest["cache"]["journal_hits"] > 0 and result.manifest["cache"]["journal_resumed"] is False
    said = " ".join(lines(result))
    assert "batches finished before an engine failure" in said and "interrupted" not in said


def test_progress_lines_count_failed_files_apart(tmp_path, capsys):
    folder = make_input(tmp_path / "in", files=2)
    (folder / "zz-poison.txt").write_text("Լավրովը POISON խոսեց։\n", encoding="utf-8")
    run(folder, tmp_path / "out", tgt="en", engine=FunctionEngine(poison), cache=False, progress="lines")
    last = [line for line in capsys.readouterr().err.splitlines() if line.startswith("targman: segments ")][-1]
    assert "files 2/3, 1 failed" in last and "(100%)" not in last
