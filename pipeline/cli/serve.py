"""`targman serve`: the desk's Translator behind LibreTranslate's and DeepL's APIs (pipeline.serve)."""

from __future__ import annotations

import sys

from pipeline.cli.run import add_model_options, build_config


def register(sub) -> None:
    p = sub.add_parser(
        "serve",
        help="a translation service: LibreTranslate's and DeepL's APIs over the desk's engine, glossary and memory",
        description="Keep the desk's engine, glossary, translation memory and checks loaded and answer "
        "LibreTranslate requests (POST /translate, GET /languages, POST /detect), DeepL v2 text requests "
        "(POST /v2/translate, GET /v2/languages, GET /v2/usage) and targman's own POST /v1/translate; "
        "GET /health and /metrics for operations. Concurrent requests are batched into one engine call. "
        "Keys and limits: the config's [serve] table (docs/serve.md). Example: "
        "targman serve --engine ct2 --model models/opus-mt-en-hy-ct2 --glossary glossaries/desk.tsv",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=5000, help="port (default 5000, LibreTranslate's; 0 = any free port)")
    add_model_options(p)
    p.set_defaults(func=cmd_serve, keep_boilerplate=False, keep_duplicates=False, progress=None)


def cmd_serve(args) -> int:
    from dataclasses import replace

    from pipeline.config import finalize
    from pipeline.serve.server import need_starlette, serve

    need_starlette()
    config = build_config(args)
    if config.run.tgt:
        finalize(config)  # a bad setting is said before the model loads
    serve(config, host=args.host, port=args.port, announce=lambda line: print(line, file=sys.stderr, flush=True))
    return 0
