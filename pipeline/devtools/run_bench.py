"""What a run costs and keeps: `python -m pipeline.devtools.run_bench [resume] [durability] [report]`.

- resume: the NTREX documents (Armenian side, a file each) through a tiny hy->en model,
  a clean run, then a run killed with SIGKILL at half the clean run's time and run again:
  the rerun's time as a share of the clean run's, and whether the outputs are the same bytes.
- durability: the same run in one process with and without the per-batch journal
  (interleaved, best of the repeats): what making every batch durable costs.
- report: a 10,000-article run (FunctionEngine, no model) and how long headless Chromium
  takes to open its review index and one page of documents.

Quote the ratios; absolute times move with the machine's load.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
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


def resume(work: Path, model: Path, max_length: int) -> dict:
    folder = ntrex_folder(work / "ntrex")
    env = {**os.environ, "TARGMAN_CACHE_DIR": str(work / "cache"), "HF_HUB_OFFLINE": "1"}

    def command(out: Path) -> list[str]:
        return [sys.executable, "-m", "pipeline", "run", str(folder), "-o", str(out), "--tgt", "en", "--model", str(model),
                "--max-length", str(max_length), "--no-cache", "--progress", "off"]

    started = time.perf_counter()
    subprocess.run(command(work / "clean"), cwd=REPO, env=env, check=True, capture_output=True)
    clean = time.perf_counter() - started
    proc = subprocess.Popen(command(work / "killed"), cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(clean / 2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    started = time.perf_counter()
    subprocess.run(command(work / "killed"), cwd=REPO, env=env, check=True, capture_output=True)
    rerun = time.perf_counter() - started
    manifest = json.loads((work / "killed" / "run.json").read_text(encoding="utf-8"))
    return {
        "documents": len(list(folder.glob("*.txt"))), "segments": manifest["counts"]["segments"],
        "clean_s": round(clean, 2), "rerun_after_kill_s": round(rerun, 2), "ratio": round(rerun / clean, 3),
        "files_reused": manifest["resume"]["files_reused"], "segments_from_journal": manifest["cache"].get("journal_hits", 0),
        "identical": outputs(work / "clean") == outputs(work / "killed")
        and (work / "clean" / "segments.jsonl").read_bytes() == (work / "killed" / "segments.jsonl").read_bytes(),
    }


def durability(work: Path, model: Path, max_length: int, repeats: int) -> dict:
    from pipeline.batch.runner import Run
    from pipeline.config import load_config
    from pipeline.translation.translator import Translator

    folder = ntrex_folder(work / "ntrex")
    config = load_config(model=str(model), tgt="en", max_length=max_length, cache=False, progress="off",
                         batch_tokens=512)
    times: dict[bool, list[float]] = {True: [], False: []}
    with Translator(config) as translator:
        translator.engine("en")  # loaded once, outside the timings
        for k in range(repeats):
            for journal in (True, False) if k % 2 == 0 else (False, True):
                out = work / f"out-{journal}-{k}"
                started = time.perf_counter()
                Run(folder, out, config, translator=translator, journal=journal).execute()
                times[journal].append(time.perf_counter() - started)
                shutil.rmtree(out)
    with_journal, without = min(times[True]), min(times[False])
    return {"with_journal_s": round(with_journal, 3), "without_s": round(without, 3),
            "overhead": round(with_journal / without - 1, 4), "every_repeat": {str(k): v for k, v in times.items()}}


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

    def load(page: Path) -> float:
        """Headless Chromium: start, load the page from file://, run its script, dump the DOM."""
        started = time.perf_counter()
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--dump-dom", page.resolve().as_uri()], capture_output=True, check=True, timeout=120)
        return time.perf_counter() - started

    blank = work / "blank.html"
    blank.write_text("<!DOCTYPE html><title>blank</title>", encoding="utf-8")
    base = min(load(blank) for _ in range(3))  # the browser's own start, to subtract
    index = min(load(out / "review.html") for _ in range(3))
    page = min(load(pages[len(pages) // 2]) for _ in range(3)) if pages else None
    return {**result, "browser_start_s": round(base, 2), "index_s": round(index, 2), "index_minus_start_s": round(index - base, 2),
            "page_s": round(page, 2) if page else None, "page_minus_start_s": round(page - base, 2) if page else None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.devtools.run_bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", nargs="*", default=["resume", "durability", "report"], choices=["resume", "durability", "report"])
    parser.add_argument("--max-length", type=int, default=48)
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
            results["resume"] = resume(work, model, args.max_length)
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
