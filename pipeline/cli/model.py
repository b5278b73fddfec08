"""`targman model ...`: bring models to machines without internet, or make a test model."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("model", help="fetch a model for offline use, convert it for ct2, or build a tiny test model",
                       description="Bring a model to a machine without internet (fetch on a connected machine, copy "
                       "the folder, pass --model DIR), convert one for the fast ct2 engine, or build a tiny "
                       "random-weight model to try the pipeline with no model at all.")
    msub = p.add_subparsers(dest="model_command", metavar="ACTION")
    f = msub.add_parser(
        "fetch",
        help="save a hub model as a folder (run on a connected machine)",
        description="Download HUB_ID into DIR; copy DIR to the offline machine and pass --model DIR.",
    )
    f.add_argument("hub_id", metavar="HUB_ID", help="the model on the Hugging Face hub, e.g. Helsinki-NLP/opus-mt-hy-en")
    f.add_argument("out", metavar="DIR", type=Path, help="the folder to save it in (made if missing)")
    f.add_argument("--revision", help="branch, tag or commit")
    f.set_defaults(func=cmd_fetch)
    t = msub.add_parser(
        "tiny",
        help="build a tiny random-weight model (output is nonsense; for trying the pipeline offline)",
        description="Build a tiny random-weight translation model in DIR, with a real tokenizer, so that every "
        "stage of a run (routing, glossary, flags, report, resume) can be tried with no model downloaded. Its "
        "translations are nonsense. Then: targman run ARTICLES -o OUT --tgt en --model DIR.",
    )
    t.add_argument("out", metavar="DIR", type=Path,
                   help="the folder to build the model in (made if missing; an existing one must be empty)")
    t.add_argument("--kind", default="marian-hy-en", choices=("marian-hy-en", "marian-en-hy", "m2m100", "nllb", "madlad"),
                   help="the architecture: marian-hy-en (default, like OPUS-MT hy-en), marian-en-hy, or a "
                   "many-language m2m100, nllb or madlad (T5) model that translates both ways"),
    t.add_argument("--opus-size", action="store_true", help="the real OPUS-MT size (for benchmarks)")
    t.add_argument("--force", action="store_true", help="DIR exists and is not empty: delete it and build there")
    t.set_defaults(func=cmd_tiny)
    register_convert(msub)
    p.set_defaults(func=lambda args: (p.print_help(sys.stderr), 2)[1])


def cmd_fetch(args: argparse.Namespace) -> int:
    from pipeline.models.hub import fetch as fetch_model

    out = fetch_model(args.hub_id, args.out, revision=args.revision)
    print(f"saved {args.hub_id} to {out}; use it with: targman run ... --model {out}")
    return 0


def cmd_tiny(args: argparse.Namespace) -> int:
    import shutil

    from pipeline.errors import TargmanError

    if args.out.exists():
        if not args.out.is_dir():
            raise TargmanError(f"{args.out} is a file; give a folder for the model")
        if any(args.out.iterdir()):
            if not args.force:
                raise TargmanError(f"{args.out} exists and is not empty: choose another folder, or pass --force "
                                   "to delete it and build the model there")
            shutil.rmtree(args.out)
    from pipeline.devtools import tinymodel

    tinymodel.quiet_transformers()
    size = tinymodel.OPUS_SIZE if args.opus_size else None
    out = tinymodel.build(args.kind, args.out, size=size)
    print(f"built a random-weight {args.kind} model in {out} (its translations are nonsense)")
    return 0


def register_convert(msub) -> None:
    from pipeline.models.convert import QUANTIZATIONS

    c = msub.add_parser(
        "convert",
        help="convert a model to CTranslate2 for the fast `ct2` engine",
        description="Convert HF_ID_OR_DIR (a hub id in the local cache, or a model folder) into a CTranslate2 "
        "model in OUT_DIR, with its tokenizer; then run with --engine ct2 --model OUT_DIR. "
        "Needs: pip install 'targman[ct2]'.",
    )
    c.add_argument("model", metavar="HF_ID_OR_DIR", help="a hub id in the local cache, or a model folder")
    c.add_argument("out", metavar="OUT_DIR", type=Path, help="the folder to write the CTranslate2 model to")
    c.add_argument("--quantization", default="int8", choices=QUANTIZATIONS, help="weights type (default int8)")
    c.add_argument("--revision", help="hub revision (branch, tag or commit)")
    c.add_argument("--force", action="store_true", help="replace OUT_DIR if it exists")
    c.add_argument("--allow-pickle", action="store_true", help="load pickled (.bin) weights")
    c.set_defaults(func=cmd_convert)


def cmd_convert(args: argparse.Namespace) -> int:
    from pipeline.models.convert import convert as convert_model

    out = convert_model(
        args.model, args.out, quantization=args.quantization, revision=args.revision, force=args.force, allow_pickle=args.allow_pickle
    )
    print(f"converted {args.model} ({args.quantization}) to {out}; use it with: targman run ... --engine ct2 --model {out}")
    return 0
