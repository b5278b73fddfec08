"""`targman run ARTICLES_DIR -o OUT_DIR --tgt en|hy`: the batch job."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pipeline import config as cfg


def register(sub) -> None:
    p = sub.add_parser(
        "run",
        help="translate a folder of articles (or one article) into OUT_DIR, with a review page",
        description="Translate every article under ARTICLES (a folder, read recursively: .txt, .md, .html, "
        ".jsonl), or the one article ARTICLES names, into OUT_DIR at the same relative paths. What is already "
        "in the target language passes through untouched; glossary terms are forced or checked; segments an "
        "editor should look at are flagged. Beside the articles: segments.jsonl (a row a sentence), run.json "
        "(settings, statuses, scores) and review.html (the side-by-side report). Run the same command again "
        "after an interruption to continue. Exit status: 0 done, 1 some files failed, 2 a usage or "
        "configuration error, 74 OUT_DIR cannot be written, 130/143 interrupted.",
    )
    p.add_argument("input", metavar="ARTICLES", type=Path, help="a folder of articles, or one article file")
    p.add_argument("-o", "--out", metavar="OUT_DIR", type=Path, required=True,
                   help="where the translations, segments.jsonl, run.json and review.html go")
    add_engine_options(p)
    p.add_argument(
        "--prune",
        action="store_true",
        help="remove translations whose input is gone (only ones targman wrote and nobody edited; "
        "without it they are kept and listed as stale in run.json)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="OUT_DIR holds a run made with other settings: discard it and translate everything again "
        "(without it, such a run is refused; a run with the same settings is resumed)",
    )
    p.add_argument(
        "--executor", choices=cfg.CHOICES[("run", "executor")],
        help="where the engine runs: local (this process, the default) or ray (a Ray actor pool; needs "
        "pip install -e '.[ray]'; see docs/scale.md). Outputs are the same bytes; a run resumes on either",
    )
    p.add_argument(
        "--ray-address", metavar="ADDRESS",
        help="with --executor ray: auto (the cluster this machine belongs to), or a cluster's address "
        "(HOST:6379; a cluster with token authentication needs RAY_AUTH_MODE=token and its token, docs/scale.md); "
        "without it, a Ray is started on this machine for the run",
    )
    p.set_defaults(func=cmd_run)


def add_engine_options(parser: argparse.ArgumentParser) -> None:
    """The model, decoding, glossary and document options that `run` and `eval` share."""
    add_model_options(parser)
    add_document_options(parser)


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """The model, decoding and glossary options (`run`, `eval`, `translate`)."""
    parser.add_argument("--tgt", choices=cfg.LANGUAGES, help="language to translate into")
    parser.add_argument("--model", help="hub id (downloaded on first use) or a local model folder")
    parser.add_argument("--config", help="a TOML config file, or the name of one in configs/")
    parser.add_argument("--engine", choices=cfg.CHOICES[("model", "engine")],
                        help="hf (transformers, default), ct2 (CTranslate2, the fast path) or openai (a chat endpoint)")
    parser.add_argument("--device", help="cpu, cuda or cuda:N")
    parser.add_argument("--beam", type=int, dest="beam_size", help="beam size (default 4)")
    parser.add_argument("--max-length", type=int, help="most output tokens for one sentence, whatever its length")
    parser.add_argument("--max-length-a", type=float, help="output cap relative to the source: a x source tokens + b (default 3)")
    parser.add_argument("--max-length-b", type=int, help="the b of the relative output cap (default 10)")
    parser.add_argument("--base-url", help="openai engine: the OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1")
    parser.add_argument("--batch-tokens", type=int, help="padded source tokens in one batch")
    parser.add_argument("--threads", type=int, help="CPU threads for the engine")
    parser.add_argument("--quantization", choices=cfg.CHOICES[("model", "quantization")], help="ct2: weights/compute type (default int8)")
    parser.add_argument(
        "--engine-option", action="append", metavar="ENGINE.KEY=VALUE", default=[],
        help="one of an engine's own settings, as its [engine.ENGINE] section takes it (a TOML value; a bare "
        "word is a string), e.g. ct2.quantization=float32 or openai.timeout_s=30; repeat for more",
    )
    parser.add_argument("--cache-dir", help="translation memory and converted models (default $TARGMAN_CACHE_DIR or ~/.cache/targman)")
    parser.add_argument("--no-cache", action="store_true", help="do not use the translation memory (translate every segment)")
    parser.add_argument("--allow-pickle", action="store_true", default=None, help="load pickled (.bin) weights")
    parser.add_argument("--glossary", metavar="FILE", help="desk glossary (TSV); checked before any model loads")
    parser.add_argument(
        "--terms", choices=("constrain", "check", "off"),
        help="constrain: force glossary terms into the output (default); check: translate freely, then flag; off",
    )
    parser.add_argument(
        "--names", choices=cfg.NAME_MODES,
        help="one spelling per name in the run: fix (the default: rewrite the others to the glossary's, an "
        "editor's or the desk's romanization), flag (only flag them), off",
    )
    parser.add_argument(
        "--armenian-spelling", choices=cfg.SPELLINGS,
        help="how translated Armenian writes և: reformed (Երևան, the default), classical (Երեւան), "
        "or keep (as the model writes it)",
    )


def add_document_options(parser: argparse.ArgumentParser) -> None:
    """What a run does with articles: site chrome, repeats, progress."""
    parser.add_argument("--keep-boilerplate", action="store_true", help="keep site chrome in the output (untranslated)")
    parser.add_argument("--keep-duplicates", action="store_true", help="keep repeated paragraphs in the output")
    parser.add_argument(
        "--boilerplate", action="append", metavar="TEXT",
        help="a line of site chrome (a whole short line, or its start before a separator such as |), added to [run] boilerplate; repeat "
        "for more. Lines repeated across a folder's articles are found without it ([run] chrome_min_docs)",
    )
    parser.add_argument(
        "--progress", choices=cfg.CHOICES[("run", "progress")],
        help="bar on a terminal, a line every 10 s otherwise (auto, the default); jsonl: one JSON event a batch "
        "and a file on stderr, for dashboards; off",
    )


def engine_options(given: list[str]) -> dict[str, Any]:
    """`--engine-option ENGINE.KEY=VALUE` as `engine__ENGINE__KEY` overrides; the engine checks them."""
    import tomllib

    overrides: dict[str, Any] = {}
    for option in given:
        name, equals, text = option.partition("=")
        engine, dot, key = name.strip().partition(".")
        if not (equals and dot and engine and key):
            raise cfg.ConfigError(f"--engine-option {option!r}: write ENGINE.KEY=VALUE, e.g. ct2.quantization=float32")
        try:
            value = tomllib.loads(f"v = {text}")["v"]
        except tomllib.TOMLDecodeError:
            value = text  # a bare word: a string
        overrides[f"engine__{engine}__{key.strip()}"] = value
    return overrides


def build_config(args: argparse.Namespace) -> cfg.Config:
    config = cfg.load(cfg.resolve_config_path(args.config)) if args.config else cfg.Config()
    return cfg.with_overrides(
        config,
        **engine_options(getattr(args, "engine_option", None) or []),
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
        run__boilerplate=(tuple(config.run.boilerplate) + tuple(args.boilerplate)) if getattr(args, "boilerplate", None) else None,
        run__duplicate_output="keep" if args.keep_duplicates else None,
        run__progress=args.progress,
        glossary__path=args.glossary,
        glossary__mode=args.terms,
        output__armenian_spelling=args.armenian_spelling,
        names__consistency=getattr(args, "names", None),
        # `run` only; an address alone means Ray
        run__executor=getattr(args, "executor", None) or ("ray" if getattr(args, "ray_address", None) else None),
        ray__address=getattr(args, "ray_address", None),
    )


def summary(result, *, review: bool = True) -> None:
    """The end-of-run summary on stderr (`pipeline.cli.summary`); `review`: the report was written."""
    from pipeline.cli.summary import print_summary

    print_summary(result, review=review)


def cmd_run(args: argparse.Namespace) -> int:
    import signal

    from pipeline.batch.runner import run
    from pipeline.errors import RunInterrupted
    from pipeline.errors import ClusterError, WriteError

    config = build_config(args)
    terminated = []

    def stop_like_ctrl_c(signum, frame):  # pragma: no cover - exercised through a subprocess
        terminated.append(signum)
        raise KeyboardInterrupt

    previous = signal.getsignal(signal.SIGTERM)
    try:
        # A batch scheduler stops a job with SIGTERM: finish writing like Ctrl-C does.
        signal.signal(signal.SIGTERM, stop_like_ctrl_c)
    except ValueError:  # not the main thread
        previous = None
    try:
        result = run(args.input, args.out, config, force=args.force, prune=args.prune)
    except (WriteError, ClusterError) as error:  # printed by the caller, after what was finished
        if error.result is not None:
            summary(error.result, review=False)
        raise
    except RunInterrupted as stop:
        summary(stop.result, review=False)
        pending = stop.result.manifest["counts"]["pending"]
        print(
            f"targman: interrupted; {pending} file(s) not done. Run the same command again to continue "
            "where it stopped.",
            file=sys.stderr,
        )
        return 128 + signal.SIGTERM if terminated else 130  # 143: stopped by SIGTERM, 130: by Ctrl-C
    except KeyboardInterrupt:  # before any file was under way (loading the model, say)
        print("targman: interrupted before translating; nothing was lost", file=sys.stderr)
        return 128 + signal.SIGTERM if terminated else 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    summary(result)
    return 1 if result.failed else 0
