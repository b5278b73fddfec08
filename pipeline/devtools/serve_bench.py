"""The fast path's fixed cost and the service's throughput: `python -m pipeline.devtools.serve_bench`.

Two measurements on a CTranslate2 model (default: the random-weight OPUS-MT-size MarianMT of
`targman bench`, converted to int8 once into the cache folder):

  one sentence   `targman translate --engine ct2` of one sentence in a fresh process, model
                 load included: wall time and peak RSS (the median of `--runs`, after one
                 unmeasured run that compiles the bytecode, as an installed package has it),
                 and where the time goes in such a process (imports, loading the Translator,
                 the first translation);
  engine alone   the CTranslate2 engine translating 8 sentences one call each, then in one
                 call: what batching 8 concurrent clients can buy at most on this machine;
  service        `targman serve` in a child process, then one client calling in sequence
                 (latency p50/p95, requests/s) and 1, 8, 32 concurrent clients (requests/s,
                 and how many texts the batcher put in an engine call, from /metrics).

Every request is one sentence that no other request repeats, and the memory is off, so every
request costs the engine the same. Numbers only: the machine is shared, compare ratios taken
in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def converted_bench_model(cache_root: Path, quantization: str = "int8") -> Path:
    from pipeline.devtools.bench import bench_model
    from pipeline.models.convert import convert, is_converted

    model = bench_model(cache_root, lambda line: print(line, file=sys.stderr, flush=True))
    target = cache_root / "bench" / f"{model.name}-ct2-{quantization}"
    if not is_converted(target):
        convert(str(model), target, quantization=quantization, force=target.exists())
    return target


def compiled_env(env: dict, cache_root: Path) -> dict:
    """`env` for children that write and reuse bytecode (in the cache folder, not the checkout), as an
    installed package does: with PYTHONDONTWRITEBYTECODE every fresh process compiles the package again."""
    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache_root / "bench" / "pycache")
    return env


def one_sentence(model: Path, tgt: str, sentence: str, *, runs: int, env: dict, threads: int = 0) -> dict:
    """`targman translate --engine ct2` of one sentence in fresh processes: median wall time and peak RSS."""
    from pipeline.devtools.bench import _peak_of_child

    with tempfile.TemporaryDirectory(prefix="targman-one-") as tmp:
        text = Path(tmp) / "one.txt"
        text.write_text(sentence + "\n", encoding="utf-8")
        command = [sys.executable, "-m", "pipeline", "translate", "--engine", "ct2", "--model", str(model),
                   "--tgt", tgt, "--no-cache", "--max-length", "32", str(text)]
        if threads:
            command += ["--threads", str(threads)]
        _peak_of_child(command, env)  # compiles the bytecode (PYTHONPYCACHEPREFIX), not counted
        samples = [_peak_of_child(command, env)[:2] for _ in range(runs)]
    return {"runs": runs, "seconds": round(statistics.median(s for _, s in samples), 3),
            "peak_rss_mb": round(statistics.median(m for m, _ in samples), 1),
            "all_seconds": [round(s, 3) for _, s in samples]}


PARTS = """
import json, sys, time
started = time.perf_counter()
import ctranslate2, sentencepiece
libraries = time.perf_counter()
import pipeline.cli.translate, pipeline.translation.translator
imported = time.perf_counter()
from pipeline.config import ModelConfig
from pipeline.engines.ct2 import CT2Engine
model, tgt, src, sentence, threads = sys.argv[1:6]
engine = CT2Engine(ModelConfig(engine="ct2", id=model, max_length=32, threads=int(threads)), tgt)
loaded = time.perf_counter()
engine.translate([sentence], src=src, tgt=tgt)
first = time.perf_counter()
engine.translate([sentence], src=src, tgt=tgt)
second = time.perf_counter()
print(json.dumps({"import_ctranslate2_sentencepiece": libraries - started, "import_targman": imported - libraries,
                  "load_engine": loaded - imported, "translate_first": first - loaded,
                  "translate_again": second - first}))
"""


def parts(model: Path, tgt: str, src: str, sentence: str, *, runs: int, env: dict, threads: int = 0) -> dict:
    """Where a fresh process's time goes (the median of `runs` children, seconds): the interpreter's
    start, the imports, `CT2Engine` (CTranslate2 loading the model, the tokenizer), one translation."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", PARTS, str(model), tgt, src, sentence, str(threads)], env=env,
                             capture_output=True, text=True, check=True)
        wall = time.perf_counter() - started
        sample = json.loads(out.stdout.strip().splitlines()[-1])
        sample["interpreter_start_and_exit"] = wall - sum(sample.values())
        samples.append(sample)
    return {key: round(statistics.median(s[key] for s in samples), 3) for key in samples[0]}


def engine_batch_gain(model: Path, tgt: str, src: str, sentences: list[str], *, threads: int = 0, rounds: int = 3) -> dict:
    """CTranslate2 alone (the ct2 engine, no service): 8 sentences one call each against one call
    of all 8, alternated `rounds` times; the median ratio is what batching can buy at most."""
    from pipeline.config import ModelConfig
    from pipeline.engines.ct2 import CT2Engine

    engine = CT2Engine(ModelConfig(engine="ct2", id=str(model), max_length=32, threads=threads), tgt)
    engine.translate(sentences[:2], src=src, tgt=tgt)  # warm-up
    ratios, singles, batched = [], [], []
    for _ in range(rounds):
        started = time.perf_counter()
        for sentence in sentences:
            engine.translate([sentence], src=src, tgt=tgt)
        one = time.perf_counter() - started
        started = time.perf_counter()
        engine.translate(sentences, src=src, tgt=tgt)
        together = time.perf_counter() - started
        singles.append(one)
        batched.append(together)
        ratios.append(one / together)
    return {"sentences": len(sentences), "one_call_each_s": round(statistics.median(singles), 3),
            "one_call_s": round(statistics.median(batched), 3), "gain": round(statistics.median(ratios), 2),
            "gains": [round(r, 2) for r in ratios]}


class Service:
    """`targman serve` in a child process on a free port, stopped at the end."""

    def __init__(self, model: Path, tgt: str, *, threads: int, env: dict, wait_ms: float):
        config = Path(tempfile.mkdtemp(prefix="targman-serve-")) / "serve.toml"
        config.write_text(f"[serve]\nbatch_wait_ms = {wait_ms}\nmax_texts = 1000\n", encoding="utf-8")
        command = [sys.executable, "-m", "pipeline", "serve", "--engine", "ct2", "--model", str(model), "--tgt", tgt,
                   "--port", "0", "--no-cache", "--max-length", "32", "--config", str(config)]
        if threads:
            command += ["--threads", str(threads)]
        self.proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.url = None
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:  # bounded: the model loads within minutes or the bench stops
            line = self.proc.stderr.readline()
            if not line:
                break
            found = re.search(r" at (http://\S+/) ", line)
            if found:
                self.url = found.group(1)
                break
        if self.url is None:
            self.close()
            raise RuntimeError("targman serve did not start")
        threading.Thread(target=self.proc.stderr.read, daemon=True).start()  # keep its stderr drained

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


def clients(url: str, sentences: list[str], concurrency: int, tgt: str) -> dict:
    """Every sentence as its own LibreTranslate request, from `concurrency` clients at once."""
    import httpx

    src = "en" if tgt == "hy" else "hy"
    latencies: list[float] = []

    def call(client, text):
        started = time.perf_counter()
        answer = client.post(url + "translate", json={"q": text, "source": src, "target": tgt}, timeout=120)
        answer.raise_for_status()
        latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    with httpx.Client(limits=httpx.Limits(max_connections=concurrency + 4)) as client:
        if concurrency == 1:
            for text in sentences:
                call(client, text)
        else:
            with ThreadPoolExecutor(concurrency) as pool:
                list(pool.map(lambda t: call(client, t), sentences))
    seconds = time.perf_counter() - started
    latencies.sort()
    return {"clients": concurrency, "requests": len(sentences), "seconds": round(seconds, 3),
            "requests_per_s": round(len(sentences) / seconds, 2),
            "p50_ms": round(1000 * latencies[len(latencies) // 2], 1),
            "p95_ms": round(1000 * latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 1)}


def batch_sizes(url: str) -> tuple[float, float]:
    import httpx

    text = httpx.get(url + "metrics").text
    total = float(re.search(r"^targman_batch_texts_sum (\S+)", text, re.M).group(1))
    count = float(re.search(r"^targman_batch_texts_count (\S+)", text, re.M).group(1))
    return total, count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="a CTranslate2 folder (default: the OPUS-MT-size bench model, int8)")
    parser.add_argument("--tgt", default=None, help="target language (default: the model's)")
    parser.add_argument("--runs", type=int, default=3, help="fresh processes for the one-sentence time (default 3)")
    parser.add_argument("--requests", type=int, default=64, help="requests for each client count (default 64)")
    parser.add_argument("--clients", default="1,8,32", help="concurrent clients (default 1,8,32)")
    parser.add_argument("--threads", type=int, default=0, help="CTranslate2 threads (default: its own)")
    parser.add_argument("--wait-ms", type=float, default=5.0, help="[serve] batch_wait_ms (default 5)")
    parser.add_argument("--skip-one", action="store_true", help="skip the one-sentence measurement")
    parser.add_argument("--gain-rounds", type=int, default=3,
                        help="rounds of the engine-alone batching measurement (0: skip it; default 3)")
    parser.add_argument("--cache-dir", type=Path, help="where the bench model is kept (default: the targman cache)")
    parser.add_argument("--code", type=Path, help="run the children (one sentence, the service) from this checkout "
                        "(e.g. a `git worktree` of an earlier commit), for a before/after in one run of the bench")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from pipeline.cachedir import cache_dir
    from pipeline.devtools.bench import make_sentences, model_direction

    root = args.cache_dir or cache_dir()
    model = args.model or converted_bench_model(root)
    src, tgt = model_direction(model)
    tgt = args.tgt or tgt
    code = args.code.resolve() if args.code else Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(code), "TARGMAN_CACHE_DIR": str(root)}
    env = compiled_env(env, root)
    report: dict = {"model": str(model), "direction": f"{src}->{tgt}", "code": str(code)}
    sentences = make_sentences(args.requests * 4, src, seed=27, words=(8, 16))
    if not args.skip_one:
        report["one_sentence"] = one_sentence(model, tgt, sentences[0], runs=args.runs, env=env, threads=args.threads)
        print(f"one sentence, fresh process: {report['one_sentence']['seconds']:.2f} s, "
              f"peak RSS {report['one_sentence']['peak_rss_mb']:.0f} MB (median of {args.runs})", flush=True)
        report["one_sentence_parts"] = parts(model, tgt, src, sentences[0], runs=args.runs, env=env,
                                             threads=args.threads)
        print("  where it goes (s, median): " + ", ".join(f"{k} {v:.3f}" for k, v in report["one_sentence_parts"].items()),
              flush=True)
    if args.gain_rounds:
        report["engine_alone"] = engine_batch_gain(model, tgt, src, sentences[-8:], threads=args.threads,
                                                   rounds=args.gain_rounds)
        gain = report["engine_alone"]
        print(f"engine alone: 8 sentences one call each {gain['one_call_each_s']:.2f} s, in one call "
              f"{gain['one_call_s']:.2f} s: batching gains {gain['gain']:.2f}x (median of {gain['gains']})", flush=True)
    service = Service(model, tgt, threads=args.threads, env=env, wait_ms=args.wait_ms)
    try:
        clients(service.url, sentences[:4], 2, tgt)  # warm-up
        rows = []
        used = 4
        for concurrency in [int(c) for c in args.clients.split(",")]:
            batch = sentences[used:used + args.requests]
            used += args.requests
            before = batch_sizes(service.url)
            row = clients(service.url, batch, concurrency, tgt)
            after = batch_sizes(service.url)
            calls = after[1] - before[1]
            row["texts_per_engine_call"] = round((after[0] - before[0]) / calls, 2) if calls else None
            rows.append(row)
            print(f"{concurrency:3d} client(s): {row['requests_per_s']:7.2f} requests/s  p50 {row['p50_ms']:7.1f} ms  "
                  f"p95 {row['p95_ms']:7.1f} ms  {row['texts_per_engine_call']} texts per engine call", flush=True)
    finally:
        service.close()
    report["service"] = rows
    base = rows[0]["requests_per_s"]
    for row in rows:
        row["x_sequential"] = round(row["requests_per_s"] / base, 2)
    print("throughput against one client in sequence: "
          + ", ".join(f"{r['clients']} clients {r['x_sequential']:.2f}x" for r in rows)
          + (f" (the engine alone gains {report['engine_alone']['gain']:.2f}x from a batch of 8)"
             if "engine_alone" in report else ""))
    if args.json:
        print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
