"""`targman bench`: tokens/s and peak memory of each engine, pipeline overhead, cached rerun."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(sub) -> None:
    from pipeline.engines.registry import LOCAL

    names = ",".join(("naive", *LOCAL))  # naive: generate() a sentence at a time, the baseline
    p = sub.add_parser(
        "bench",
        help="measure the engines' speed and memory, the pipeline's overhead and a cached rerun",
        description="Translate the same generated sentences with per-sentence transformers generate (naive), "
        "the batched hf engine and the ct2 engine, every hypothesis fixed at the same length, in one process; "
        "then a full run over generated articles against the engine alone, and a rerun on the translation memory. "
        "Without --model a random-weight model of OPUS-MT size is built once into the cache folder.",
    )
    p.add_argument("--model", type=Path, help="an HF model folder (default: a random-weight OPUS-MT-size MarianMT)")
    p.add_argument("--sentences", type=int, default=64, help="sentences per engine (default 64)")
    p.add_argument("--beam", type=int, default=4, help="beam size (default 4)")
    p.add_argument("--engines", default=names, help=f"comma-separated, from {names} (default all)")
    p.add_argument("--output-tokens", type=int, default=30, help="output tokens per sentence (default 30)")
    p.add_argument("--threads", type=int, default=0, help="CPU threads for every engine (default: all CPUs)")
    p.add_argument("--quantization", default="int8", help="ct2 quantization (default int8)")
    p.add_argument("--documents", type=int, default=50, help="articles in the pipeline run (0: skip it; default 50)")
    p.add_argument("--malloc-tokens", type=int, default=256,
                   help="ct2 output length for the malloc comparison (child processes; 0: skip it; default 256)")
    p.add_argument("--malloc-sentences", type=int, default=12, help="sentences for the malloc comparison (default 12)")
    p.add_argument("--no-terms", action="store_true", help="skip the runs with the desk glossary's terms forced")
    p.add_argument("--no-cold", action="store_true", help="skip the cached rerun in a new process")
    p.add_argument("--memory", action="store_true",
                   help="also measure peak RSS of `targman run` over 10 and 10,000 small articles (subprocesses, tiny model)")
    p.add_argument("--memory-sizes", default="10,10000", help=argparse.SUPPRESS)
    p.add_argument("--cache-dir", help="where the bench model and conversions are kept (default: the targman cache)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_bench)


def cmd_bench(args: argparse.Namespace) -> int:
    from pipeline.devtools.bench import bench, format_report, memory_scaling
    from pipeline.errors import ConfigError

    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    report = bench(
        model_dir=args.model,
        sentences=args.sentences,
        beam=args.beam,
        engines=engines,
        output_tokens=args.output_tokens,
        threads=args.threads,
        quantization=args.quantization,
        documents=args.documents,
        terms=not args.no_terms,
        malloc_tokens=args.malloc_tokens,
        malloc_sentences=args.malloc_sentences,
        cold=not args.no_cold,
        cache_dir=args.cache_dir,
    )
    if args.memory:
        try:
            sizes = [int(n) for n in args.memory_sizes.split(",")]
        except ValueError:
            raise ConfigError("--memory-sizes takes comma-separated whole numbers") from None
        report["memory"] = memory_scaling(sizes)
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0
