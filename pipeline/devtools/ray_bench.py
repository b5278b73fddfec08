"""The Ray executor against the local one: `python -m pipeline.devtools.ray_bench [--documents N]`.

The same generated folder (`bench.make_folder`: Armenian articles with site chrome and an
English line) through the OPUS-MT-size random-weight model (`bench.bench_model`, hy -> en),
with one engine thread everywhere, each variant in a process of its own:

- local:  the engine in the run's process (`[run] executor = "local"`);
- ray-N:  a Ray started beforehand on this machine (not timed), N actors of 1 CPU each;
- driver-local, driver-ray-N: more articles (`--driver-documents`) through an engine that costs
  nothing (`FunctionEngine`): the pipeline's own cost, and on Ray what one driver can push.

For each: translated segments per second over the run's wall time less the model's load
(on Ray: starting the actors, each loading the model, which the driver waits for), the
ratio to local, and the driver's own CPU seconds per 1,000 segments of the folder
(getrusage of the driver process: on Ray the engine runs in the actors, so this is what the
driver itself spends - reading results, the journal, the glossary and QA steps, parts,
run.json - and what bounds how many actors one driver can feed). It also says whether every
variant wrote the local run's bytes. Quote ratios measured in one run: absolute times move
with the machine's load.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def digest(out: Path) -> str:
    """The run's bytes: every translated article and segments.jsonl."""
    total = hashlib.sha256()
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        if path.is_file() and not rel.startswith(".targman") and (rel.endswith(".txt") or rel == "segments.jsonl"):
            total.update(rel.encode() + b"\0" + path.read_bytes())
    return total.hexdigest()


def one(variant: str, folder: Path, out: Path, model: Path, *, beam: int, length: int) -> dict:
    """One variant, in this process: what `main` prints a row of."""
    from pipeline.batch.runner import Run
    from pipeline.config import load_config

    actors = int(variant.split("-")[-1]) if "ray-" in variant else 0
    engine = None
    if variant.startswith("driver"):  # an engine that costs nothing: what the driver itself can push
        from pipeline.engines.testing import FunctionEngine

        engine = FunctionEngine()
    started = 0.0
    if actors:
        import logging

        import ray

        clock = time.perf_counter()
        ray.init(address="local", num_cpus=actors, include_dashboard=False, logging_level=logging.WARNING)
        started = time.perf_counter() - clock
    config = load_config(tgt="en", model=str(model), beam_size=beam, max_length=length, threads=1, cache=False,
                         progress="off", executor="ray" if actors else "local", actors=actors or 0, cpus_per_actor=1.0)
    before = resource.getrusage(resource.RUSAGE_SELF)
    clock = time.perf_counter()
    manifest = Run(folder, out, config, engine=engine).execute().manifest
    wall = time.perf_counter() - clock
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    load = manifest["timings"].get("load_s", 0.0)
    counts = manifest["counts"]
    return {
        "variant": variant, "actors": actors, "ray_start_s": round(started, 2), "load_s": round(load, 2),
        "wall_s": round(wall, 2), "translating_s": round(wall - load, 2), "segments": counts["segments"],
        "translated": counts["translated"], "driver_cpu_s": round(cpu, 2),
        "segments_per_s": round(counts["translated"] / (wall - load), 3),
        "driver_cpu_ms_per_1000_segments": round(1000 * 1000 * cpu / counts["segments"], 1),
        "digest": digest(out),
    }


def run_variant(variant: str, folders: dict, out: Path, model: Path, args, env: dict, log) -> dict:
    """One variant in a process of its own."""
    log(f"{variant} ...")
    folder = folders["driver" if variant.startswith("driver") else "model"]
    done = subprocess.run([sys.executable, "-m", "pipeline.devtools.ray_bench", "--one", variant, "--folder", str(folder),
                           "--out", str(out), "--model", str(model), "--beam", str(args.beam), "--max-length",
                           str(args.max_length)], cwd=REPO, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{variant} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.devtools.ray_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=100, help="generated articles (about 4 Armenian sentences each)")
    parser.add_argument("--beam", type=int, default=4)
    parser.add_argument("--max-length", type=int, default=32, help="most output tokens a sentence")
    parser.add_argument("--variants", default="local,ray-1,ray-2,driver-local,driver-ray-2",
                        help="local, ray-N (the model); driver-local, driver-ray-N (an engine that costs nothing)")
    parser.add_argument("--driver-documents", type=int, default=2000, help="articles for the driver-* variants")
    parser.add_argument("--repeats", type=int, default=1, help="run the variants this often, interleaved; keep the best")
    parser.add_argument("--work", type=Path, help="a folder to keep (default: a temporary one)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # a child: one variant
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--model", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.one, args.folder, args.out, args.model, beam=args.beam, length=args.max_length)))
        return 0

    from pipeline.cachedir import cache_dir
    from pipeline.devtools.bench import bench_model, make_folder

    log = lambda message: print(message, file=sys.stderr)  # noqa: E731
    model = bench_model(cache_dir(None), log)
    work = args.work or Path(tempfile.mkdtemp(prefix="targman-ray-bench-"))
    folders = {"model": make_folder(work / "articles", args.documents, "hy")}
    if any(v.startswith("driver") for v in args.variants.split(",")):
        folders["driver"] = make_folder(work / "driver-articles", args.driver_documents, "hy", seed=2)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TARGMAN_CACHE_DIR": str(work / "cache")}
    best: dict[str, dict] = {}
    for repeat in range(args.repeats):  # interleaved, the best of each: the machine's load moves
        for variant in args.variants.split(","):
            row = run_variant(variant, folders, work / f"out-{variant}-{repeat}", model, args, env, log)
            if variant not in best or row["segments_per_s"] > best[variant]["segments_per_s"]:
                best[variant] = row
    rows = list(best.values())
    for row in rows:
        kind = "driver-local" if row["variant"].startswith("driver") else "local"
        base = next((r for r in rows if r["variant"] == kind), row)
        row["vs_local"] = round(row["segments_per_s"] / base["segments_per_s"], 3)
        row["same_bytes_as_local"] = row["digest"] == base["digest"]
    base = next((r for r in rows if r["variant"] == "local"), rows[0])
    report = {"documents": args.documents, "repeats": args.repeats, "beam": args.beam, "max_length": args.max_length, "cpus": os.cpu_count(),
              "load_average": [round(x, 2) for x in os.getloadavg()], "variants": rows}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{args.documents} articles, {base['segments']} segments ({base['translated']} translated), OPUS-MT-size "
          f"random model, beam {args.beam}, <= {args.max_length} output tokens, 1 engine thread per process, "
          f"{os.cpu_count()} CPUs, load average {report['load_average'][0]}")
    print("(driver-*: the same pipeline over more articles with an engine that costs nothing: what one driver can push;"
          " the CPU of a local variant includes its engine)")
    print(f"{'variant':14} {'seg/s':>8} {'vs local':>8} {'driver CPU ms/1000 seg':>22} {'load s':>7} {'ray start s':>11}  same bytes")
    for row in rows:
        print(f"{row['variant']:14} {row['segments_per_s']:8.2f} {row['vs_local']:8.3f} "
              f"{row['driver_cpu_ms_per_1000_segments']:22.1f} {row['load_s']:7.1f} {row['ray_start_s']:11.1f}  "
              f"{'yes' if row['same_bytes_as_local'] else 'NO'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
