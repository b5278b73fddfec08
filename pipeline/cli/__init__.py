"""The `targman` command: parse arguments, call the library, print, exit.

This package is the only place that exits. Each command group lives in its own
module with a `register(subparsers)` function that sets `func` on its parser;
`func(args)` returns the exit status.
"""

from __future__ import annotations

import argparse
import logging
import sys

from pipeline import __version__
from pipeline.errors import TargmanError

# Command modules, in the order `targman --help` lists them.
COMMAND_MODULES = [
    "pipeline.cli.run",
    "pipeline.cli.translate",
    "pipeline.cli.model",
    "pipeline.cli.eval",
    "pipeline.cli.score",
    "pipeline.cli.review",
    "pipeline.cli.xliff",
    "pipeline.cli.apply",
    "pipeline.cli.glossary",
    "pipeline.cli.bench",
]


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = argparse.ArgumentParser(
        prog="targman",
        description="Offline Armenian/English translation with a desk glossary.",
    )
    parser.add_argument("--version", action="version", version=f"targman {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is at the time (tests and callers may swap it)."""

    def __init__(self):
        super().__init__()
        self.setFormatter(logging.Formatter("targman: %(message)s"))

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):  # StreamHandler.__init__ sets it; the property always reads sys.stderr
        pass


def setup_logging() -> None:
    """The library logs to `logging.getLogger("targman")`; the command prints it as `targman: ...`."""
    logger = logging.getLogger("targman")
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        logger.addHandler(_StderrHandler())
    logger.setLevel(logging.INFO)
    logger.propagate = False


def main(argv: list[str] | None = None) -> int:
    setup_logging()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except TargmanError as error:
        print(f"targman: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("targman: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
