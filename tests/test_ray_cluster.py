"""A real multi-node Ray cluster on this machine (issue 29): a head and two workers started with
`ray start` (each its own temp folder and ports, one CPU, token authentication as Ray 2.60
sets it up), a `targman run --executor ray` driver in a process of its own, and a worker node
killed mid-run (its raylet and every process of it): the run ends with exit 0, no file
failed, the local run's bytes, in bounded time. A driver without the cluster's token is told
how to pass it.

The cluster is tiny (100 MB of object store a node) and every process of it is stopped at the
end, by its id, also when a test fails.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from pipeline import run
from tests.test_ray_executor import compared
from tests.test_resume import make_articles, parts

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ray")]  # one Ray at a time: a local Ray and a `ray start` cluster side by side made both minutes slower on 2 cores
REPO = Path(__file__).resolve().parents[1]
RAY = Path(sys.executable).with_name("ray")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def processes_under(root: str) -> list[int]:
    """The processes whose command line names `root` (a node's temp folder: its raylet, its
    workers, its agents), and their children."""
    parents: dict[int, int] = {}
    named: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if root in command:
            named.add(int(entry.name))
    found = set(named)
    grew = True
    while grew:
        children = {pid for pid, parent in parents.items() if parent in found} - found
        found |= children
        grew = bool(children)
    return sorted(found - {os.getpid()})


def kill_all(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class Cluster:
    """A head and two workers on this machine, started with `ray start`."""

    def __init__(self, root: Path):
        self.root = root
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        home = root / "home"
        home.mkdir()
        self.env = {**os.environ, "HOME": str(home), "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(16),
                    "RAY_USAGE_STATS_ENABLED": "0", "OMP_NUM_THREADS": "1", "TARGMAN_MALLOC": "off",
                    # the head finds a lost node in about 2 s, not Ray's 15-30 s (5 missed checks 3 s apart,
                    # 10 s each): the test waits on the run, not on Ray's defaults
                    "RAY_health_check_initial_delay_ms": "1000", "RAY_health_check_period_ms": "500",
                    "RAY_health_check_timeout_ms": "1000", "RAY_health_check_failure_threshold": "3"}
        self.env.pop("RAY_ADDRESS", None)

    def start(self) -> None:
        common = ["--node-ip-address", "127.0.0.1", "--num-cpus", "1", "--object-store-memory", str(100 * 1024 * 1024),
                  "--disable-usage-stats"]
        self.ray_start(["--head", "--port", str(self.port), "--temp-dir", self.node("head"), "--include-dashboard",
                        "false", *common])
        self.ray_start(*(["--address", self.address, "--temp-dir", self.node(worker), *common] for worker in ("w1", "w2")))

    def node(self, name: str) -> str:
        return str(self.root / name)

    def ray_start(self, *commands: list[str]) -> None:
        """`ray start` with each of `commands`, side by side (the workers join at once)."""
        procs = [subprocess.Popen([str(RAY), "start", *args], env=self.env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True) for args in commands]
        for proc in procs:
            output = proc.communicate(timeout=180)[0]
            assert proc.returncode == 0, output

    def kill_node(self, name: str) -> int:
        """SIGKILL a node's raylet and every process of it, as when the machine is lost."""
        pids = processes_under(self.node(name) + "/")
        kill_all(pids)
        return len(pids)

    def stop(self) -> None:
        for _ in range(3):  # a worker may be starting while we look
            kill_all(processes_under(str(self.root) + "/"))
            time.sleep(0.5)


@pytest.fixture(scope="module")
def ray_cluster():
    pytest.importorskip("ray")
    root = Path(tempfile.mkdtemp(prefix="tgr", dir="/tmp"))  # short: Ray's socket paths must stay under 107 bytes
    cluster = Cluster(root)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


def same_run(out: Path) -> dict[str, bytes]:
    """`compared`, and run.json without the progress mode (the CLI's lines, the API's default)."""
    files = compared(out)
    manifest = json.loads(files["run.json"])
    manifest["config"]["run"].pop("progress")
    files["run.json"] = json.dumps(manifest, sort_keys=True).encode()
    return files


def targman(cluster: Cluster, *args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pipeline", "run", *args], cwd=REPO, env=env or cluster.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


ARTICLES = 120  # on ct2 about 15 windows: most of them are still to come when the node goes


def test_a_run_survives_losing_a_worker_node(ray_cluster, ct2_models, tmp_path):
    folder = tmp_path / "in"
    make_articles(folder, n=ARTICLES)
    model = str(ct2_models["hy-en"])
    # windows of about 40 segments in small batches: every actor (one a node) holds batches when the node goes;
    # ct2, whose actors start in a tenth of a second (hf's import torch for 4 s each)
    settings = tmp_path / "settings.toml"
    # with the desk's glossary: ct2 places the terms in each batch group, wherever it runs
    settings.write_text(f'[run]\nwindow = 40\n[model]\nengine = "ct2"\nbatch_tokens = 24\n'
                        f'[glossary]\npath = "{REPO / "glossaries" / "desk.tsv"}"\n')
    local = run(folder, tmp_path / "local", settings, tgt="en", model=model, max_length=12, cache=False, progress="off")
    assert local.failed == ["latin1.txt"]

    out = tmp_path / "out"
    proc = targman(ray_cluster, str(folder), "-o", str(out), "--tgt", "en", "--model", model, "--max-length", "12",
                   "--no-cache", "--progress", "lines", "--executor", "ray", "--ray-address", ray_cluster.address,
                   "--config", str(settings))
    deadline = time.monotonic() + 240
    while parts(out) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert proc.poll() is None, proc.communicate()[1]
    at_kill = parts(out)
    assert 3 <= at_kill < ARTICLES  # mid-run
    assert ray_cluster.kill_node("w1") > 0
    killed = time.monotonic()
    try:
        stderr = proc.communicate(timeout=300)[1]
    finally:
        proc.kill()
    took = time.monotonic() - killed
    print(f"node killed with {at_kill} of {ARTICLES} files written; the run ended {took:.1f} s later")
    assert proc.returncode == 1, stderr  # 1: latin1.txt fails to read, as in the local run; nothing else
    manifest = json.loads((out / "run.json").read_text())
    failed = sorted(rel for rel, entry in manifest["files"].items() if entry["status"] == "failed")
    assert failed == ["latin1.txt"], stderr
    assert same_run(out) == same_run(tmp_path / "local")
    assert any("terms-constrained" in line for line in (out / "segments.jsonl").read_text().splitlines())
    executor = manifest["executor"]
    assert executor["address"].endswith(f":{ray_cluster.port}") and executor["requested_address"] == ray_cluster.address
    assert len(executor["cluster"]) == 3 and executor["actors"] == 3 and executor["nodes"] == 3
    assert executor["faults"]["actors_lost"] >= 1 and executor["faults"]["crashes"] == 0, executor
    assert "stopped answering" in stderr, stderr
    assert any(f"files {ARTICLES}/{ARTICLES + 1}, 1 failed" in line for line in stderr.splitlines()), stderr  # the failed file is not done
    assert took < 240, took


def test_a_driver_without_the_token_is_told_how_to_pass_it(ray_cluster, tiny_models, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("Լավրովը խոսեց։\n", encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir()
    # Ray retries a refused connection for 20 s (a try a second); 2 tries are enough to be refused
    env = {**ray_cluster.env, "HOME": str(home), "RAY_gcs_server_port_wait_time_s": "2"}
    for name in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN"):
        env.pop(name)
    proc = targman(ray_cluster, str(folder), "-o", str(tmp_path / "out"), "--tgt", "en", "--progress", "off",
                   "--model", str(tiny_models["hy-en"]), "--ray-address", ray_cluster.address, env=env)
    stderr = proc.communicate(timeout=120)[1]
    assert proc.returncode == 2, stderr
    last = stderr.strip().splitlines()[-1]
    assert "refused this process's token" in last and "RAY_AUTH_MODE=token" in last and "RAY_AUTH_TOKEN" in last, stderr
    assert "Traceback" not in stderr and not (tmp_path / "out").exists()
