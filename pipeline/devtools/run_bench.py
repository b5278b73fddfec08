"""What a run costs and keeps: `python -m pipeline.devtools.run_bench [resume] [durability] [report]`.

- resume: the NTREX documents (Armenian side, a file each) through a tiny hy->en model,
  a clean run, then a run killed with SIGKILL at half the clean run's (CPU) time and run
  again: the rerun's time as a share of the clean run's, and whether the outputs are the
  same bytes.
- durability: the same run in one process with and without the per-batch journal
  (interleaved, best of the repeats, wall and CPU time): what making every batch durable costs.
- report: a 10,000-article run (FunctionEngine, no model) and how long headless Chromium
  (driven by Playwright) takes to open its review index and one page of documents.

Quote the ratios; absolute times move with the machine's load.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NTREX = REPO.parent / "shared" / "data" / "ntrex"


def ntrex_folder(folder: Path) -> Path:
    """The 123 NTREX documents, Armenian side, one file each, a sentence a line."""
    ids = (NTREX / "DOCUMENT_IDS.tsv").read_text(encoding="utf-8").splitlines()
    lines = (NTREX / "newstest2019-ref.hye.txt").read_text(encoding="utf-8").splitlines()
    docs: dict[str, list[str]] = {}
    for doc, line in zip(ids, lines):
        docs.setdefault(doc.split("\t")[0], []).append(line)
    folder.mkdir(parents=True, exist_ok=True)
    for doc, text in docs.items():
        name = "".join(c if c.isalnum() or c in "._-" else "_" for c in doc)
        (folder / f"{name}.txt").write_text("\n".join(text) + "\n", encoding="utf-8")
    return folder


def outputs(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*.txt")) if ".targman" not in p.parts}


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _timed(command: list[str], env: dict) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of a child run to its end."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, cwd=REPO, env=env, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter() - started, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def resume(work: Path, model: Path, max_length: int, threads: int | None = None) -> dict:
    """The kill comes when the child has used half the clean run's CPU time (its wall time
    on a quiet machine), so another process on the machine moves both runs alike; the
    ratio is given in CPU time and in wall time."""
    folder = ntrex_folder(work / "ntrex")
    env = {**os.environ, "TARGMAN_CACHE_DIR": str(work / "cache"), "HF_HUB_OFFLINE": "1"}

    def command(out: Path) -> list[str]:
        return [sys.executable, "-m", "pipeline", "run", str(folder), "-o", str(out), "--tgt", "en", "--model", str(model),
                "--max-length", str(max_length), "--no-cache", "--progress", "off",
                *(["--threads", str(threads)] if threads else [])]

    clean_wall, clean_cpu = _timed(command(work / "clean"), env)
    proc = subprocess.Popen(command(work / "killed"), cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while proc.poll() is None and _cpu_seconds(proc.pid) < clean_cpu / 2:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    rerun_wall, rerun_cpu = _timed(command(work / "killed"), env)
    manifest = json.loads((work / "killed" / "run.json").read_text(encoding="utf-8"))
    return {
        "documents": len(list(folder.glob("*.txt"))), "segments": manifest["counts"]["segments"],
        "max_length": max_length, "threads": threads or "default", "clean_s": round(clean_wall, 2), "clean_cpu_s": round(clean_cpu, 2),
        "rerun_after_kill_s": round(rerun_wall, 2), "rerun_cpu_s": round(rerun_cpu, 2),
        "ratio_cpu": round(rerun_cpu / clean_cpu, 3), "ratio_wall": round(rerun_wall / clean_wall, 3),
        "rerun_timings": manifest["timings"],
        "files_reused": manifest["resume"]["files_reused"], "segments_from_journal": manifest["cache"].get("journal_hits", 0),
        "identical": outputs(work / "clean") == outputs(work / "killed")
        and (work / "clean" / "segments.jsonl").read_bytes() == (work / "killed" / "segments.jsonl").read_bytes(),
    }


class _Timer:
    def __init__(self):
        self.seconds, self.calls, self.undo = 0.0, 0, lambda: None


def _time_journal_calls() -> _Timer:
    """Time every call the run makes on its journal (open, lookup, store, close, drop): the
    whole cost of per-batch durability, measured directly rather than as a difference of two
    noisy runs."""
    from pipeline.batch.state import RunState
    from pipeline.translation.memory import TranslationMemory

    timer = _Timer()
    originals = {}

    def timed(cls, name, journal_only):
        original = getattr(cls, name)
        originals[(cls, name)] = original

        def wrapper(self, *args, **kwargs):
            if journal_only and Path(getattr(self, "path", "")).name != "journal.sqlite3":
                return original(self, *args, **kwargs)
            started = time.perf_counter()
            try:
                return original(self, *args, **kwargs)
            finally:
                timer.seconds += time.perf_counter() - started
                timer.calls += 1
        setattr(cls, name, wrapper)

    for name in ("__init__", "setting", "lookup", "store", "close"):
        timed(TranslationMemory, name, journal_only=name != "__init__")
    timed(RunState, "drop_journal", journal_only=False)

    def undo():
        for (cls, name), original in originals.items():
            setattr(cls, name, original)
    timer.undo = undo
    return timer


def durability(work: Path, model: Path, max_length: int, repeats: int) -> dict:
    from pipeline.batch.runner import Run
    from pipeline.config import load_config
    from pipeline.translation.translator import Translator

    folder = ntrex_folder(work / "ntrex")
    config = load_config(model=str(model), tgt="en", max_length=max_length, cache=False, progress="off",
                         batch_tokens=512, threads=1)
    times: dict[bool, list[float]] = {True: [], False: []}
    cpu: dict[bool, list[float]] = {True: [], False: []}
    inside = _time_journal_calls()
    with Translator(config) as translator:
        translator.engine("en")  # loaded once, outside the timings
        for k in range(repeats):
            for journal in (True, False) if k % 2 == 0 else (False, True):
                out = work / f"out-{journal}-{k}"
                started, started_cpu = time.perf_counter(), time.process_time()
                Run(folder, out, config, translator=translator, journal=journal).execute()
                times[journal].append(time.perf_counter() - started)
                cpu[journal].append(time.process_time() - started_cpu)
                shutil.rmtree(out)
    inside.undo()
    with_journal, without = min(times[True]), min(times[False])
    return {"in_journal_calls_s_per_run": round(inside.seconds / len(times[True]), 3),
            "in_journal_calls_share": round(inside.seconds / sum(times[True]), 4),
            "journal_calls_per_run": inside.calls // len(times[True]),
            "with_journal_s": round(with_journal, 3), "without_s": round(without, 3),
            "overhead": round(with_journal / without - 1, 4),
            "with_journal_cpu_s": round(min(cpu[True]), 3), "without_cpu_s": round(min(cpu[False]), 3),
            "overhead_cpu": round(min(cpu[True]) / min(cpu[False]) - 1, 4),
            "every_repeat": {str(k): [round(x, 2) for x in v] for k, v in times.items()}}


def report(work: Path, articles: int) -> dict:
    from pipeline.batch.runner import run
    from pipeline.devtools.bench import make_folder
    from pipeline.engines.testing import FunctionEngine

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    folder = make_folder(work / "articles", articles, "hy", sentences_per_doc=3)
    out = work / "out-report"
    started = time.perf_counter()
    run(folder, out, tgt="en", engine=FunctionEngine(batch_size=64), cache=False, progress="off")
    run_s = time.perf_counter() - started
    pages = sorted((out / "review").glob("p*.html"))
    result = {"articles": articles, "run_and_report_s": round(run_s, 1), "pages": len(pages),
              "index_bytes": (out / "review.html").stat().st_size,
              "page_bytes_max": max((p.stat().st_size for p in pages), default=0)}
    if chromium is None:
        return {**result, "browser": "chromium not installed"}
    index = _open_times(chromium, out / "review.html")
    page = _open_times(chromium, pages[len(pages) // 2]) if pages else None
    return {**result, "method": "Playwright on the system Chromium: navigation start to the load event "
                                "and two frames painted, best of 3, browser already started",
            "index_s": index, "page_s": page}


def _open_times(chromium: str, page: Path, repeats: int = 3) -> float:
    """Seconds from navigation to the page's scripts having run and two frames painted (best of `repeats`)."""
    from playwright.sync_api import sync_playwright

    best = float("inf")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            for _ in range(repeats):
                tab = browser.new_page()
                started = time.perf_counter()
                tab.goto(page.resolve().as_uri(), wait_until="load")
                tab.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
                best = min(best, time.perf_counter() - started)
                tab.close()
        finally:
            browser.close()
    return round(best, 3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.devtools.run_bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", nargs="*", default=["resume", "durability", "report"], choices=["resume", "durability", "report"])
    parser.add_argument("--max-length", type=int, default=48)
    parser.add_argument("--threads", type=int, default=None, help="the runs' --threads (default: targman's)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--articles", type=int, default=10_000)
    args = parser.parse_args(argv)
    from pipeline.devtools import tinymodel

    with tempfile.TemporaryDirectory(prefix="targman-run-bench-") as tmp:
        work = Path(tmp)
        tinymodel.quiet_transformers()
        model = tinymodel.build("marian-hy-en", work / "tiny-hy-en")
        results = {}
        if "resume" in args.what:
            results["resume"] = resume(work, model, args.max_length, args.threads)
            print("resume:", json.dumps(results["resume"]), flush=True)
        if "durability" in args.what:
            results["durability"] = durability(work, model, args.max_length, args.repeats)
            print("durability:", json.dumps(results["durability"]), flush=True)
        if "report" in args.what:
            results["report"] = report(work, args.articles)
            print("report:", json.dumps(results["report"]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
