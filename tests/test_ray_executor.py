"""`[run] executor = "ray"` on a local Ray started by this module: the local run's bytes, the
translation memory kept by the driver, a killed Ray driver resumed locally and an interrupted
local run resumed on Ray, a file that keeps failing failing alone, and an actor that dies
retried (issue 15).

One Ray for the module (starting one costs seconds), with the machine's 2 CPUs, on 127.0.0.1.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline import RunInterrupted, run
from pipeline.config import Config
from pipeline.engines.testing import FunctionEngine, SpyEngine, tag
from tests.test_hostile import build_cases
from tests.test_resume import make_articles, parts, signal_on, snapshot

pytestmark = pytest.mark.xdist_group("ray")  # one Ray at a time: a local ray.init() finds a `ray start` cluster

REPO = Path(__file__).resolve().parents[1]
# Where the engine ran, how long it took, what an earlier run or the memory had: the only
# keys of run.json a Ray run may write differently from a local one.
NOT_COMPARED = ("timings", "executor", "resume", "cache")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A local Ray for the module: 2 CPUs, no dashboard; the functions of this module travel by value."""
    ray = pytest.importorskip("ray")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no test reaches the network
    ray.init(address="local", num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1",
             logging_level="WARNING", runtime_env={"env_vars": {"OMP_NUM_THREADS": "1", "TARGMAN_MALLOC": "off"}})
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


def compared(out: Path) -> dict[str, bytes]:
    """Every output file, run.json without what may differ between executors."""
    files = snapshot(out)
    manifest = json.loads(files["run.json"])
    for key in NOT_COMPARED:
        manifest.pop(key, None)
    files["run.json"] = json.dumps(manifest, sort_keys=True).encode()
    return files


def on_ray(**settings) -> dict:
    """Settings for a Ray run on the module's cluster: 2 actors."""
    return {"executor": "ray", "actors": 2, **settings}


def mixed_folder(folder: Path) -> Path:
    """Articles in both languages and every format, a file that fails to read, the desk's examples."""
    make_articles(folder, n=12)
    for example in (REPO / "examples").iterdir():
        (folder / example.name).write_bytes(example.read_bytes())
    (folder / "page.html").write_text("<html><body><article><h1>Լավրովը Երևանում</h1><p>Լավրովը հանդիպեց "
                                      "Միրզոյանին։ The talks went on.</p></article></body></html>", encoding="utf-8")
    return folder


@pytest.mark.slow
def test_a_ray_run_writes_the_local_runs_bytes(cluster, tiny_models, tmp_path):
    folder = mixed_folder(tmp_path / "in")
    # small batches (the engine's own: a Ray run sends them to different actors), so that many come back
    common = dict(tgt="en", model=str(tiny_models["hy-en"]), max_length=12, glossary=str(REPO / "glossaries" / "desk.tsv"),
                  cache=False, progress="off", batch_tokens=64)
    local = run(folder, tmp_path / "local", **common)
    remote = run(folder, tmp_path / "ray", **common, **on_ray())
    assert local.failed == remote.failed == ["latin1.txt"]
    assert compared(tmp_path / "ray") == compared(tmp_path / "local")
    assert (tmp_path / "ray" / "segments.jsonl").read_bytes() == (tmp_path / "local" / "segments.jsonl").read_bytes()
    executor = remote.manifest["executor"]
    assert executor["name"] == "ray" and executor["actors"] == 2 and executor["batches"] > 2
    assert local.manifest["executor"] == {"name": "local"}
    assert remote.manifest["glossary"]["mode"] == "constrain" and remote.manifest["glossary"]["concepts"]
    assert any("terms-constrained" in line for line in (tmp_path / "ray" / "segments.jsonl").read_text().splitlines())
    assert "executor" not in remote.manifest["config"]["run"] and "ray" not in remote.manifest["config"]


def poison(text: str, src: str, tgt: str) -> str:
    """A FunctionEngine's translation that fails on one segment, as a model error would."""
    if "POISON" in text:
        raise RuntimeError("the model cannot handle this segment")
    return tag(text, src, tgt)


@pytest.mark.slow
def test_hostile_folder_same_outcome_on_ray(cluster, tmp_path):
    """Files read as Ray tasks fail for the same reasons, and a file the engine fails on fails
    alone (a JSONL file article by article), with the same words as in a local run."""
    folder, outside = tmp_path / "in", tmp_path / "outside"
    folder.mkdir()
    outside.mkdir()
    build_cases(folder, outside)
    common = dict(tgt="en", cache=False, progress="off", batch_size=16)  # texts a batch of an engine without a plan
    local = run(folder, tmp_path / "local", engine=FunctionEngine(poison), **common)
    remote = run(folder, tmp_path / "ray", engine=FunctionEngine(poison), **common, **on_ray())
    assert "poison.txt" in remote.failed and remote.files["poison-feed.jsonl"]["status"] == "partial"
    assert sorted(remote.failed) == sorted(local.failed)
    assert compared(tmp_path / "ray") == compared(tmp_path / "local")


@pytest.mark.slow
def test_the_driver_keeps_the_memory(cluster, tmp_path, capsys):
    """The memory is looked up before batches go out and stores what the actors made: a second
    Ray run of the same folder sends nothing to the cluster. Progress counts the segments the
    readers on the cluster found, and every batch as it lands."""
    folder = mixed_folder(tmp_path / "in")
    common = dict(tgt="en", batch_size=3, **on_ray())
    first = run(folder, tmp_path / "one", engine=FunctionEngine(), progress="jsonl", **common)
    events = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    second = run(folder, tmp_path / "two", engine=FunctionEngine(), progress="off", **common)
    translated = first.manifest["counts"]["translated"]
    assert first.manifest["executor"]["batches"] > 0 and first.manifest["cache"]["stored"] > 0
    assert second.manifest["executor"]["batches"] == 0 and second.manifest["cache"]["hits"] > 0
    assert second.manifest["counts"]["translated"] == translated
    assert compared(tmp_path / "two") == compared(tmp_path / "one")
    start = next(e for e in events if e["event"] == "start")
    assert start["segments"] == events[-1]["segments"] == first.manifest["counts"]["segments"]
    assert sum(1 for e in events if e["event"] == "batch") > 3


@pytest.mark.slow
def test_a_killed_driver_resumes_locally_with_the_same_bytes(cluster, ct2_models, ct2_engines, tmp_path):
    """SIGKILL a real `python -m pipeline run --executor ray` part-way (its actors go with it);
    the same command resumes from its parts in a local run, and the bytes are an uninterrupted
    local run's. On ct2 as `ct2_engines` loads it (an hf actor spends seconds importing torch),
    with 120 articles of a window each: about 115 Ray round trips are still to come at the kill."""
    folder = tmp_path / "in"
    articles = 120
    make_articles(folder, n=articles)
    model = str(ct2_models["hy-en"])
    settings = tmp_path / "settings.toml"
    settings.write_text('[model]\nengine = "ct2"\n[engine.ct2]\nquantization = "float32"\n[run]\nwindow = 1\n[ray]\nactors = 1\n')
    common = dict(tgt="en", model=model, max_length=12, cache=False, progress="off")
    reference = SpyEngine(ct2_engines["hy-en"])
    run(folder, tmp_path / "reference", settings, engine=reference, **common)

    out = tmp_path / "out"
    command = [sys.executable, "-m", "pipeline", "run", str(folder), "-o", str(out), "--tgt", "en", "--model", model,
               "--max-length", "12", "--no-cache", "--progress", "off", "--executor", "ray", "--ray-address", cluster]
    proc = subprocess.Popen([*command, "--config", str(settings)], cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while parts(out) < 5 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.kill()
    stderr = proc.communicate(timeout=60)[1].decode()
    assert proc.returncode == -signal.SIGKILL, stderr
    done = parts(out)
    print(f"killed with {done} of {articles + 1} files written")
    assert 5 <= done < articles + 1

    counter = SpyEngine(ct2_engines["hy-en"])
    resumed = run(folder, out, settings, engine=counter, **common)  # a local run takes over the Ray run's folder
    assert resumed.manifest["resume"] == {"files_reused": done}
    assert resumed.failed == ["latin1.txt"]
    assert compared(out) == compared(tmp_path / "reference")
    assert 0 < len(counter.texts) < len(reference.texts)


@pytest.mark.slow
def test_a_local_run_interrupted_resumes_on_ray(cluster, tmp_path):
    """Ctrl-C in a local run; the same settings with --executor ray continue it."""
    folder = mixed_folder(tmp_path / "in")
    common = dict(tgt="en", cache=False, progress="off", batch_size=3, window=1)
    run(folder, tmp_path / "reference", engine=FunctionEngine(), **common)
    with pytest.raises(RunInterrupted):
        run(folder, tmp_path / "out", engine=FunctionEngine(before_call=signal_on(6)), **common)
    done = parts(tmp_path / "out")
    assert done >= 3
    resumed = run(folder, tmp_path / "out", engine=FunctionEngine(), **common, **on_ray())
    assert resumed.manifest["resume"] == {"files_reused": done} and resumed.manifest["executor"]["batches"] > 0
    assert compared(tmp_path / "out") == compared(tmp_path / "reference")


def dies(text: str, src: str, tgt: str, *, marker: str) -> str:
    """Kill the actor's process: once for a segment with ONCE (the `marker` file remembers),
    every time for one with KILL."""
    if "KILL" in text:
        os._exit(1)
    if "ONCE" in text and not Path(marker).exists():
        Path(marker).write_text("died here once\n")
        os._exit(1)
    return tag(text, src, tgt)


@pytest.mark.slow
def test_a_dead_actor_is_retried_and_a_file_that_keeps_killing_it_fails_alone(cluster, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    marker = tmp_path / "died-once"
    for i in range(4):
        (folder / f"good{i}.txt").write_text(f"Լավրովը հանդիպեց Միրզոյանին {i}։\n", encoding="utf-8")
    (folder / "once.txt").write_text("Լավրովը ONCE խոսեց։\n", encoding="utf-8")
    (folder / "killer.txt").write_text("Լավրովը KILL խոսեց։\n", encoding="utf-8")
    engine = FunctionEngine(functools.partial(dies, marker=str(marker)))
    result = run(folder, tmp_path / "out", engine=engine, tgt="en", cache=False, progress="off", batch_size=1,
                 **on_ray(actors=1, task_retries=1))
    assert marker.exists()  # the actor died on once.txt, was restarted, and its batch was sent again
    assert result.failed == ["killer.txt"]
    assert "Ray actor died on this batch 2 time(s)" in result.files["killer.txt"]["error"]
    assert sorted(rel for rel, entry in result.files.items() if entry["status"] == "done") == [
        "good0.txt", "good1.txt", "good2.txt", "good3.txt", "once.txt"]
    rows = [json.loads(line) for line in (tmp_path / "out" / "segments.jsonl").read_text().splitlines()]
    assert all(row["target"].startswith("[hy>en]") for row in rows)


def test_without_ray_the_error_says_which_extra_to_install(monkeypatch, tmp_path):
    from pipeline.errors import ConfigError

    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails as when it is not installed
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("Լավրովը խոսեց։\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"needs Ray, which is not installed here: pip install -e '\.\[ray\]'"):
        run(tmp_path / "in", tmp_path / "out", engine=FunctionEngine(), tgt="en", executor="ray", progress="off")


def test_the_cli_flags(tmp_path):
    import argparse

    from pipeline.cli.run import build_config, register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["run", "in", "-o", "out", "--executor", "ray", "--ray-address", "auto"])
    config = build_config(args)
    assert (config.run.executor, config.ray.address) == ("ray", "auto")
    assert build_config(parser.parse_args(["run", "in", "-o", "out", "--ray-address", "auto"])).run.executor == "ray"
    assert build_config(parser.parse_args(["run", "in", "-o", "out"])).run.executor == "local"
    assert Config().ray.actors == 0  # as many as the cluster's CPUs take


@pytest.mark.slow
def test_no_room_for_any_actor_stops_the_run_with_a_clear_line(cluster, tmp_path):
    """Actors that no node can hold (4 CPUs each on a 2-CPU cluster): the run does not wait
    forever; after `[ray] stall_s` it stops (exit 75 from the CLI) saying what is missing,
    with run.json written (issue 29)."""
    from pipeline.errors import ClusterError

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("Լավրովը խոսեց։\n", encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(ClusterError) as stop:
        run(folder, tmp_path / "out", engine=FunctionEngine(), tgt="en", cache=False, progress="off",
            **on_ray(actors=1, cpus_per_actor=4, stall_s=3))
    assert time.monotonic() - started < 60
    message = str(stop.value)
    assert stop.value.exit_code == 75
    assert "no engine actor could run on the Ray cluster for 3 s" in message and "need 4 CPU(s) each" in message
    assert "run the same command again" in message
    assert stop.value.result is not None and stop.value.result.manifest["counts"]["pending"] == 1
    assert json.loads((tmp_path / "out" / "run.json").read_text())["status"] == "interrupted"


def test_ray_client_addresses_are_refused_with_what_to_do_instead(tmp_path):
    from pipeline.config import finalize, load_config
    from pipeline.errors import ConfigError

    with pytest.raises(ConfigError, match=r"Ray Client \(ray://\) is not supported.*--ray-address auto"):
        finalize(load_config(None, tgt="en", executor="ray", ray_address="ray://head:10001"))
    with pytest.raises(ConfigError, match=r"\[ray\] stall_s must be more than 0"):
        finalize(load_config(None, tgt="en", executor="ray", stall_s=0))


def test_a_refused_token_is_told_apart_from_a_cluster_that_is_not_there():
    """Ray 2.60 says InvalidAuthToken deep in the cause of a ConnectionError (tests/test_ray_cluster.py
    meets the real one): targman says how to pass the token, not "start the cluster"."""
    from pipeline.engines.ray_pool import TOKEN_HINT, token_refused

    def chained(cause: Exception) -> ConnectionError:
        try:
            raise ConnectionError("Failed to connect to Ray cluster at 10.0.0.1:6379") from cause
        except ConnectionError as error:
            return error

    assert token_refused(chained(RuntimeError("Failed to connect to GCS. ... RPC error: InvalidAuthToken: "
                                              "Authentication token is missing or incorrect")))
    assert not token_refused(chained(RuntimeError("Failed to connect to GCS within 60 seconds")))
    assert "RAY_AUTH_MODE=token" in TOKEN_HINT and "RAY_AUTH_TOKEN" in TOKEN_HINT


def vanishes(text: str, src: str, tgt: str) -> str:
    """On a segment with VANISH, the actor ends itself for good (as when no node can hold it again)."""
    if "VANISH" in text:
        import ray

        ray.kill(ray.get_runtime_context().current_actor, no_restart=True)
        time.sleep(30)
    return tag(text, src, tgt)


@pytest.mark.slow
def test_a_pool_with_no_actor_left_stops_mid_run_and_keeps_the_finished_files(cluster, tmp_path):
    from pipeline.errors import ClusterError

    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(3):
        (folder / f"a{i}.txt").write_text(f"Լավրովը խոսեց {i}։\n", encoding="utf-8")
    (folder / "b.txt").write_text("Լավրովը VANISH խոսեց։\n", encoding="utf-8")
    stopped = r"for 4 s \(1 batch\(es\) waiting\): 1 actor\(s\) \(1 of them gone for good"
    with pytest.raises(ClusterError, match=stopped):
        run(folder, tmp_path / "out", engine=FunctionEngine(vanishes), tgt="en", cache=False, progress="off",
            window=1, **on_ray(actors=1, stall_s=4))
    manifest = json.loads((tmp_path / "out" / "run.json").read_text())
    done = [rel for rel, entry in manifest["files"].items() if entry["status"] == "done"]
    assert done == ["a0.txt", "a1.txt", "a2.txt"]
    assert manifest["executor"]["faults"]["actors_lost"] == 1
