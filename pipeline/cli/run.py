"""`targman run ARTICLES_DIR -o OUT_DIR --tgt en|hy`: the batch job."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline import config as cfg


def register(sub) -> None:
    p = sub.add_parser(
        "run",
        help="translate a folder of articles",
        description="Translate every article under ARTICLES_DIR into OUT_DIR (same relative paths), "
        "with segments.jsonl and run.json beside them.",
    )
    p.add_argument("input", metavar="ARTICLES_DIR", type=Path)
    p.add_argument("-o", "--out", metavar="OUT_DIR", type=Path, required=True)
    p.add_argument("--tgt", choices=cfg.LANGUAGES, help="language to translate into")
    p.add_argument("--model", help="hub id (downloaded on first use) or a local model folder")
    p.add_argument("--config", help="a TOML config file, or the name of one in configs/")
    p.add_argument("--engine", choices=("hf", "ct2"))
    p.add_argument("--device", help="cpu, cuda or cuda:N")
    p.add_argument("--beam", type=int, dest="beam_size", help="beam size (default 4)")
    p.add_argument("--max-length", type=int, help="most output tokens for one sentence")
    p.add_argument("--batch-tokens", type=int, help="padded source tokens in one batch")
    p.add_argument("--threads", type=int, help="CPU threads for the engine")
    p.add_argument("--quantization", choices=cfg.CHOICES[("model", "quantization")], help="ct2: weights/compute type (default int8)")
    p.add_argument("--cache-dir", help="translation memory and converted models (default $TARGMAN_CACHE_DIR or ~/.cache/targman)")
    p.add_argument("--no-cache", action="store_true", help="do not use the translation memory (translate every segment)")
    p.add_argument("--allow-pickle", action="store_true", default=None, help="load pickled (.bin) weights")
    p.add_argument("--keep-boilerplate", action="store_true", help="keep site chrome in the output (untranslated)")
    p.add_argument("--keep-duplicates", action="store_true", help="keep repeated paragraphs in the output")
    p.add_argument("--progress", choices=("auto", "bar", "lines", "off"))
    p.set_defaults(func=main)


def build_config(args: argparse.Namespace) -> cfg.Config:
    config = cfg.load(cfg.resolve_config_path(args.config)) if args.config else cfg.Config()
    return cfg.with_overrides(
        config,
        run__tgt=args.tgt,
        model__id=args.model,
        model__engine=args.engine,
        model__device=args.device,
        model__beam_size=args.beam_size,
        model__max_length=args.max_length,
        model__batch_tokens=args.batch_tokens,
        model__threads=args.threads,
        model__quantization=args.quantization,
        cache__dir=args.cache_dir,
        cache__memory=False if args.no_cache else None,
        model__allow_pickle=args.allow_pickle,
        run__boilerplate_output="keep" if args.keep_boilerplate else None,
        run__duplicate_output="keep" if args.keep_duplicates else None,
        run__progress=args.progress,
    )


def main(args: argparse.Namespace) -> int:
    from pipeline.runner import run

    config = build_config(args)
    result = run(args.input, args.out, config)
    counts = result.manifest["counts"]
    print(
        f"targman: {counts['done']} file(s) translated, {counts['failed']} failed, {counts['skipped']} skipped; "
        f"{counts['translated']} segment(s) translated, {counts['passed_through']} passed through, "
        f"{counts['dropped']} dropped, {counts['cache_hits']} from the translation memory -> {result.out_dir}",
        file=sys.stderr,
    )
    for name in result.failed:
        print(f"targman: FAILED {name}: {result.files[name]['error']}", file=sys.stderr)
    return 1 if result.failed else 0
