"""`targman run ARTICLES_DIR -o OUT_DIR --tgt en|hy`: the batch job."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline import config as cfg
from pipeline.batch.status import FileStatus


def register(sub) -> None:
    p = sub.add_parser(
        "run",
        help="translate a folder of articles",
        description="Translate every article under ARTICLES_DIR into OUT_DIR (same relative paths), "
        "with segments.jsonl and run.json beside them.",
    )
    p.add_argument("input", metavar="ARTICLES_DIR", type=Path)
    p.add_argument("-o", "--out", metavar="OUT_DIR", type=Path, required=True)
    add_engine_options(p)
    p.add_argument(
        "--force",
        action="store_true",
        help="OUT_DIR holds a run made with other settings: discard it and translate everything again "
        "(without it, such a run is refused; a run with the same settings is resumed)",
    )
    p.set_defaults(func=cmd_run)


def add_engine_options(parser: argparse.ArgumentParser) -> None:
    """The model, decoding and glossary options that `run` and `eval` share."""
    parser.add_argument("--tgt", choices=cfg.LANGUAGES, help="language to translate into")
    parser.add_argument("--model", help="hub id (downloaded on first use) or a local model folder")
    parser.add_argument("--config", help="a TOML config file, or the name of one in configs/")
    parser.add_argument("--engine", choices=cfg.CHOICES[("model", "engine")])
    parser.add_argument("--device", help="cpu, cuda or cuda:N")
    parser.add_argument("--beam", type=int, dest="beam_size", help="beam size (default 4)")
    parser.add_argument("--max-length", type=int, help="most output tokens for one sentence, whatever its length")
    parser.add_argument("--max-length-a", type=float, help="output cap relative to the source: a x source tokens + b (default 3)")
    parser.add_argument("--max-length-b", type=int, help="the b of the relative output cap (default 10)")
    parser.add_argument("--base-url", help="openai engine: the OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1")
    parser.add_argument("--batch-tokens", type=int, help="padded source tokens in one batch")
    parser.add_argument("--threads", type=int, help="CPU threads for the engine")
    parser.add_argument("--quantization", choices=cfg.CHOICES[("model", "quantization")], help="ct2: weights/compute type (default int8)")
    parser.add_argument("--cache-dir", help="translation memory and converted models (default $TARGMAN_CACHE_DIR or ~/.cache/targman)")
    parser.add_argument("--no-cache", action="store_true", help="do not use the translation memory (translate every segment)")
    parser.add_argument("--allow-pickle", action="store_true", default=None, help="load pickled (.bin) weights")
    parser.add_argument("--glossary", metavar="FILE", help="desk glossary (TSV); checked before any model loads")
    parser.add_argument(
        "--terms", choices=("constrain", "check", "off"),
        help="constrain: force glossary terms into the output (default); check: translate freely, then flag; off",
    )
    parser.add_argument("--keep-boilerplate", action="store_true", help="keep site chrome in the output (untranslated)")
    parser.add_argument("--keep-duplicates", action="store_true", help="keep repeated paragraphs in the output")
    parser.add_argument("--progress", choices=("auto", "bar", "lines", "off"))


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
        model__max_length_a=args.max_length_a,
        model__max_length_b=args.max_length_b,
        model__base_url=args.base_url,
        model__batch_tokens=args.batch_tokens,
        model__threads=args.threads,
        model__quantization=args.quantization,
        cache__dir=args.cache_dir,
        cache__memory=False if args.no_cache else None,
        model__allow_pickle=args.allow_pickle,
        run__boilerplate_output="keep" if args.keep_boilerplate else None,
        run__duplicate_output="keep" if args.keep_duplicates else None,
        run__progress=args.progress,
        glossary__path=args.glossary,
        glossary__mode=args.terms,
    )


def summary(result) -> None:
    counts = result.manifest["counts"]
    partial = f", {counts['partial']} with failed articles" if counts.get("partial") else ""
    reused = result.manifest.get("resume", {}).get("files_reused", 0)
    reused = f" ({reused} finished by an earlier run)" if reused else ""
    print(
        f"targman: {counts['done']} file(s) translated{reused}, {counts['failed']} failed{partial}, "
        f"{counts['skipped']} skipped; "
        f"{counts['translated']} segment(s) translated, {counts['passed_through']} passed through, "
        f"{counts['dropped']} dropped, {result.manifest.get('cache', {}).get('hits', 0)} from the translation memory -> {result.out_dir}",
        file=sys.stderr,
    )
    terms = result.manifest.get("scores", {}).get("corpus", {}).get("terms") or {}
    if result.manifest.get("glossary") and terms:
        checked = terms.get("honoured", 0) + terms.get("missed", 0)
        rate = terms.get("rate")
        print(
            f"targman: glossary terms honoured {terms.get('honoured', 0)}/{checked}"
            + (f" (term success rate {rate / 100:.3f})" if rate is not None else "")
            + f", mode {result.manifest['glossary']['mode']}",
            file=sys.stderr,
        )
    for name in result.failed:
        entry = result.files[name]
        if entry["status"] == FileStatus.FAILED:
            print(f"targman: FAILED {name}: {entry['error']}", file=sys.stderr)
        for message in entry.get("failed_articles", {}).values():
            print(f"targman: FAILED {message}", file=sys.stderr)


def _sigterm_as_interrupt(signum, frame):  # pragma: no cover - exercised through a subprocess
    raise KeyboardInterrupt


def cmd_run(args: argparse.Namespace) -> int:
    import signal

    from pipeline.batch.runner import RunInterrupted, run

    config = build_config(args)
    previous = signal.getsignal(signal.SIGTERM)
    try:
        # A batch scheduler stops a job with SIGTERM: finish writing like Ctrl-C does.
        signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
    except ValueError:  # not the main thread
        previous = None
    try:
        result = run(args.input, args.out, config, force=args.force)
    except RunInterrupted as stop:
        summary(stop.result)
        pending = stop.result.manifest["counts"]["pending"]
        print(
            f"targman: interrupted; {pending} file(s) not done. Run the same command again to continue "
            "where it stopped.",
            file=sys.stderr,
        )
        return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    summary(result)
    return 1 if result.failed else 0
