"""Nothing lost: Ctrl-C and SIGKILL part-way, then resume, give the bytes of an uninterrupted run."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.atomic import atomic_open
from pipeline.layout import output_path
from pipeline.batch.runner import run
from pipeline.errors import RunInterrupted
from pipeline.batch.state import RunState, StateError, settings_of
from pipeline.cli import main
from pipeline.config import Config, finalize, load_config, with_overrides
from pipeline.engines.testing import FunctionEngine, SpyEngine
from pipeline.errors import InputError
from pipeline.translation import translator as translator_module

REPO = Path(__file__).resolve().parents[1]
NOT_REPRODUCIBLE = ("timings", "resume", "cache")  # run.json keys that differ between runs by nature


def signal_on(call: int, signum: int = signal.SIGINT):
    """A before_call hook: a real Ctrl-C (or SIGTERM) delivered to this process while it translates."""

    def hook(number, texts):
        if number == call:
            os.kill(os.getpid(), signum)

    return hook


def make_articles(folder: Path, n: int = 40) -> None:
    for i in range(n):
        sub = folder / f"part{i % 3}"
        sub.mkdir(parents=True, exist_ok=True)
        if i % 10 == 7:
            (sub / f"feed{i:02}.jsonl").write_text(
                json.dumps({"id": f"a{i}", "text": f"Լավրովը խոսեց {i}։\n\nEnglish stays {i}."}, ensure_ascii=False) + "\n"
                + json.dumps({"id": f"b{i}", "text": f"Մոսկվան լռեց {i}։"}, ensure_ascii=False) + "\n",
                encoding="utf-8",
            )
        else:
            (sub / f"article{i:02}.txt").write_text(
                f"Մատչելիության հղումներ\n\nLavrov met Mirzoyan, day {i}.\n\n"
                f"Լավրովը հանդիպեց Միրզոյանին {i}։ Նա ասաց, որ {i} անգամ։\nԵրևան, {i}\n",
                encoding="utf-8",
            )
    (folder / "latin1.txt").write_bytes("Café {i}\n".encode("latin-1"))  # fails every time, the same way


def snapshot(out: Path) -> dict[str, bytes]:
    """Every file of an output folder but the state folder, run.json without what differs by nature."""
    files = {}
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        if rel.startswith(".targman") or not path.is_file():
            continue
        data = path.read_bytes()
        if rel == "run.json":
            manifest = json.loads(data)
            for key in NOT_REPRODUCIBLE:
                manifest.pop(key)
            data = json.dumps(manifest, sort_keys=True).encode()
        files[rel] = data
    return files


def parts(out: Path) -> int:
    folder = out / ".targman" / "parts"
    return len(list(folder.glob("*.jsonl"))) if folder.is_dir() else 0


def assert_consistent(out: Path) -> None:
    """What a reader sees at any moment: every finished part has its complete translated file."""
    state = RunState(out)
    for part in (out / ".targman" / "parts").glob("*.jsonl"):
        header = json.loads(part.read_text(encoding="utf-8").splitlines()[0])
        target = out / header["rel"]
        assert hashlib.sha256(target.read_bytes()).hexdigest() == header["output_sha256"], header["rel"]
        assert state.part_path(header["rel"]) == part


@pytest.mark.slow
def test_sigint_then_sigkill_then_resume_gives_the_uninterrupted_bytes(ct2_models, ct2_engines, tmp_path, monkeypatch,
                                                                      capsys):
    """On ct2 as `ct2_engines` loads it (the killed process then spends no 4 s importing torch),
    with 120 articles of a window each: ct2 writes one every few ms, and about 100 are still to
    come when the poll below sees its count."""
    folder = tmp_path / "in"
    files = 121  # 120 articles and a file that fails to read
    make_articles(folder, n=files - 1)
    settings = tmp_path / "run.toml"
    # No translation memory: every run here must reach the engine, which is what gets interrupted.
    settings.write_text(f'[model]\nid = "{ct2_models["hy-en"]}"\nengine = "ct2"\nmax_length = 12\n'
                        f'[engine.ct2]\nquantization = "float32"\n'
                        f'[run]\ntgt = "en"\nwindow = 1\nprogress = "off"\n[cache]\nmemory = false\n')
    # The reference: one uninterrupted run with the same settings.
    reference = tmp_path / "reference"
    config = load_config(settings)
    engines = ct2_engines
    uninterrupted = SpyEngine(engines["hy-en"])
    assert run(folder, reference, config, engine=uninterrupted).failed == ["latin1.txt"]

    out = tmp_path / "out"
    command = ["run", str(folder), "-o", str(out), "--config", str(settings)]

    # 1. Ctrl-C on the 8th engine call: what is done is written, exit 130, resumable.
    interrupter = SpyEngine(engines["hy-en"], before_call=signal_on(8))
    monkeypatch.setattr(translator_module, "load_engine", lambda *a, **k: interrupter)
    assert main(command) == 130
    err = capsys.readouterr().err
    assert "interrupted" in err and "Run the same command again to continue" in err
    manifest = json.loads((out / "run.json").read_text())
    done_after_sigint = parts(out)
    assert manifest["status"] == "interrupted" and 5 <= done_after_sigint < files
    assert manifest["counts"]["done"] == done_after_sigint and manifest["counts"]["pending"] > 0
    table = [json.loads(line) for line in (out / "segments.jsonl").read_text().splitlines()]
    assert {r["doc"].split("#")[0] for r in table} == {rel for rel, e in manifest["files"].items() if e["status"] == "done"}
    assert_consistent(out)

    # 2. SIGKILL a real `python -m pipeline run` part-way.
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", *command], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while parts(out) < done_after_sigint + 5 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.kill()
    stderr = proc.communicate(timeout=60)[1].decode()
    assert proc.returncode == -signal.SIGKILL, stderr  # killed, not finished
    done_after_kill = parts(out)
    print(f"killed with {done_after_kill} of {files} files written")
    assert done_after_sigint + 5 <= done_after_kill < files
    assert "resuming: " in stderr
    assert json.loads((out / "run.json").read_text())["status"] == "interrupted"  # the killed run wrote no run.json
    assert_consistent(out)

    # 3. Resume: only what is missing is translated, and the bytes are the uninterrupted run's.
    counter = SpyEngine(engines["hy-en"])
    resumed = run(folder, out, config, engine=counter)
    assert resumed.manifest["resume"] == {"files_reused": done_after_kill}
    assert resumed.manifest["status"] == "completed_with_errors" and resumed.failed == ["latin1.txt"]
    assert snapshot(out) == snapshot(reference)
    assert not [p for p in out.rglob("*") if p.name.endswith(".targman-tmp")]
    assert 0 < len(counter.texts) < len(uninterrupted.texts)  # finished files were not translated again
    assert set(counter.texts) < set(uninterrupted.texts)


@pytest.fixture()
def small(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name, text in {
        "a.txt": "Լավրովը հանդիպեց Միրզոյանին։\n",
        "b.txt": "Մոսկվան լռեց։\n",
        "c.txt": "Բաքուն և Երևանը։\n",
        "bad.txt": "Caf\xe9\n",
    }.items():
        (folder / name).write_bytes(text.encode("latin-1") if name == "bad.txt" else text.encode())
    return folder


def test_rerun_translates_only_what_changed(tiny_models, small, tmp_path):
    out = tmp_path / "out"
    config = with_overrides(Config(), model__id=str(tiny_models["hy-en"]), run__tgt="en", run__progress="off")

    def again():
        engine = FunctionEngine()
        return run(small, out, config, engine=engine), engine

    first, _ = again()
    before = snapshot(out)
    result, engine = again()
    assert engine.calls == [] and result.manifest["resume"] == {"files_reused": 3}
    assert snapshot(out) == before

    (small / "a.txt").write_text("Նոր տեքստ։\n", encoding="utf-8")  # changed: redone
    os.utime(small / "b.txt", ns=(1, 1))  # touched, same bytes: kept
    (out / "c.txt").unlink()  # its translation deleted: made again
    (small / "d.txt").write_text("Նոր հոդված։\n", encoding="utf-8")  # new: translated
    (small / "bad.txt").write_text("Fixed.\n", encoding="utf-8")  # failed before, fixed now
    result, engine = again()
    # c.txt is made again from the translation memory: only new text reaches the engine
    assert sorted(engine.texts) == sorted(["Նոր տեքստ։", "Նոր հոդված։"])
    assert result.manifest["cache"]["hits"] == 1
    assert result.manifest["resume"] == {"files_reused": 1} and not result.failed
    assert (out / "c.txt").is_file() and (out / "bad.txt").read_text() == "Fixed.\n"

    (small / "d.txt").unlink()  # no longer an input: gone from the table and the state
    (small / "bad.txt").write_bytes(b"\xff\n")  # broken again: its old translation must not stay
    result, engine = again()
    assert engine.calls == [] and result.failed == ["bad.txt"] and not (out / "bad.txt").exists()
    docs = [json.loads(line)["doc"] for line in (out / "segments.jsonl").read_text().splitlines()]
    assert docs == ["a.txt", "b.txt", "c.txt"]
    assert parts(out) == 3


@pytest.mark.slow
def test_other_settings_refused_then_force(tiny_models, small, tmp_path, capsys):
    out = tmp_path / "out"
    base = ["run", str(small), "-o", str(out), "--tgt", "en", "--model", str(tiny_models["hy-en"]),
            "--max-length", "8", "--progress", "off"]
    assert main(base) == 1  # bad.txt fails
    capsys.readouterr()
    # speed settings are not part of the fingerprint: resumed, nothing redone
    assert main([*base, "--batch-tokens", "512"]) == 1
    assert "3 finished by an earlier run" in capsys.readouterr().err
    assert main([*base, "--beam", "2"]) == 2
    err = capsys.readouterr().err
    assert f"{out} holds a run made with other settings (config.model.beam_size: 4 -> 2)" in err
    assert "pass --force to discard its 3 finished file(s)" in err
    assert json.loads((out / "run.json").read_text())["config"]["model"]["beam_size"] == 4  # untouched
    assert main([*base, "--beam", "2", "--force"]) == 1
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["config"]["model"]["beam_size"] == 2 and manifest["resume"] == {"files_reused": 0}


def test_a_second_run_on_the_same_output_is_refused(tiny_models, small, tmp_path):
    out = tmp_path / "out"
    holder = RunState(out)
    config = with_overrides(Config(), model__id=str(tiny_models["hy-en"]), run__tgt="en", run__progress="off")
    holder.open(settings_of(finalize(config)))
    try:
        with pytest.raises(StateError, match=f"another targman run \\(pid {os.getpid()}\\) is writing to {out}"):
            run(small, out, config)
    finally:
        holder.close()


def test_interrupt_is_a_keyboard_interrupt_for_library_callers(tiny_models, small, tmp_path):
    config = with_overrides(Config(), model__id=str(tiny_models["hy-en"]), run__tgt="en", run__progress="off", run__window=1)
    with pytest.raises(KeyboardInterrupt) as stop:
        run(small, tmp_path / "out", config, engine=FunctionEngine(before_call=signal_on(2)))
    assert isinstance(stop.value, RunInterrupted) and stop.value.result.interrupted
    assert stop.value.result.manifest["counts"]["pending"] >= 1


def test_sigterm_from_a_scheduler_stops_like_ctrl_c(tiny_models, small, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    settings = tmp_path / "run.toml"
    settings.write_text(f'[model]\nid = "{tiny_models["hy-en"]}"\n[run]\ntgt = "en"\nwindow = 1\nprogress = "off"\n')
    stopper = FunctionEngine(before_call=signal_on(2, signal.SIGTERM))
    monkeypatch.setattr(translator_module, "load_engine", lambda *a, **k: stopper)
    before = signal.getsignal(signal.SIGTERM)
    assert main(["run", str(small), "-o", str(out), "--config", str(settings)]) == 143  # 128 + SIGTERM, as shells report it; Ctrl-C stays 130
    assert signal.getsignal(signal.SIGTERM) == before  # the CLI's handler does not outlive the run
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["status"] == "interrupted" and manifest["counts"]["done"] == 1 == parts(out)
    assert "Run the same command again" in capsys.readouterr().err


@pytest.mark.parametrize("error", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_atomic_open_leaves_the_old_file_whole(tmp_path, error):
    target = tmp_path / "segments.jsonl"
    target.write_text("old\n")
    with pytest.raises(type(error)):
        with atomic_open(target) as handle:
            handle.write("half of the new")
            raise error
    assert target.read_text() == "old\n" and os.listdir(tmp_path) == ["segments.jsonl"]


@pytest.mark.parametrize(
    "rel, allowed",
    [
        ("a/b.txt", True),
        ("sub/segments.jsonl", True),
        ("../x.txt", False),
        ("a/../../x.txt", False),
        ("/etc/passwd", False),
        ("segments.jsonl", False),
        ("run.json", False),
        ("errors.jsonl", False),
        (".targman/parts/x.jsonl", False),
    ],
)
def test_output_paths_stay_inside_and_off_the_run_files(tmp_path, rel, allowed):
    if allowed:
        assert output_path(tmp_path, rel).is_relative_to(tmp_path.resolve())
    else:
        with pytest.raises(InputError):
            output_path(tmp_path, rel)


@pytest.mark.slow
def test_new_weights_in_the_same_model_folder_are_other_settings(small, tmp_path, capsys):
    from pipeline.devtools import tinymodel

    model = tinymodel.build_marian(tmp_path / "model", "hy", "en", seed=0)
    out = tmp_path / "out"
    base = ["run", str(small), "-o", str(out), "--tgt", "en", "--model", str(model), "--max-length", "8", "--progress", "off"]
    assert main(base) == 1  # bad.txt fails, the rest is done
    capsys.readouterr()
    tinymodel.build_marian(model, "hy", "en", seed=1)  # retrained in place: same names, same sizes
    assert main(base) == 2
    assert "holds a run made with other settings (model_weights.content:" in capsys.readouterr().err


def test_stale_translations_are_listed_and_pruned_only_when_ours(small, tmp_path, capsys):
    out = tmp_path / "out"
    base = ["run", str(small), "-o", str(out), "--tgt", "en", "--model", "function-engine", "--progress", "off"]
    engine = FunctionEngine()
    import pipeline.translation.translator as translator_module_

    original = translator_module_.load_engine
    translator_module_.load_engine = lambda *a, **k: engine
    try:
        assert main(base) == 1  # bad.txt fails
        (small / "a.txt").unlink()
        (small / "c.txt").unlink()
        (out / "c.txt").write_text("an editor's change\n", encoding="utf-8")
        capsys.readouterr()
        assert main(base) == 1
        err = capsys.readouterr().err
        assert "2 translation(s) in" in err and "have no input any more (a.txt, c.txt); --prune removes them" in err
        assert "1 file(s) that failed or were partial before were tried again: 0 now done, 1 not" in err
        manifest = json.loads((out / "run.json").read_text())
        assert manifest["stale"] == ["a.txt", "c.txt"]
        assert main([*base, "--prune"]) == 1
        manifest = json.loads((out / "run.json").read_text())
        assert manifest["pruned"] == ["a.txt"] and manifest["stale"] == ["c.txt"]  # the edited one is kept
        assert not (out / "a.txt").exists() and (out / "c.txt").read_text() == "an editor's change\n"
    finally:
        translator_module_.load_engine = original
