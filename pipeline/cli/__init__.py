"""The `targman` command: parse arguments, call the library, print, exit.

This package is the only place that exits. Each command group lives in its own
module with a `register(subparsers)` function that sets `func` on its parser;
`func(args)` returns the exit status.
"""

from __future__ import annotations

import argparse
import errno
import logging
import sys

from pipeline import __version__
from pipeline.cli.parser import Parser
from pipeline.errors import TargmanError

# Command modules, in the order `targman --help` lists them.
COMMAND_MODULES = [
    "pipeline.cli.run",
    "pipeline.cli.translate",
    "pipeline.cli.serve",
    "pipeline.cli.model",
    "pipeline.cli.eval",
    "pipeline.cli.score",
    "pipeline.cli.review",
    "pipeline.cli.xliff",
    "pipeline.cli.apply",
    "pipeline.cli.glossary",
    "pipeline.cli.names",
    "pipeline.cli.bench",
]


# Which module registers each command, so that `targman run ...` imports only the run command's
# module (the others import the glossary, XML, sacrebleu...: a tenth of a second on every call).
# tests/test_startup.py checks that this table and the modules' own registrations agree.
COMMANDS = {
    "run": "pipeline.cli.run",
    "translate": "pipeline.cli.translate",
    "serve": "pipeline.cli.serve",
    "model": "pipeline.cli.model",
    "eval": "pipeline.cli.eval",
    "score": "pipeline.cli.score",
    "review": "pipeline.cli.review",
    "export": "pipeline.cli.xliff",
    "import": "pipeline.cli.xliff",
    "apply": "pipeline.cli.apply",
    "glossary": "pipeline.cli.glossary",
    "names": "pipeline.cli.names",
    "bench": "pipeline.cli.bench",
}

DESCRIPTION = """\
Offline Armenian/English news translation with a desk glossary. targman translates what is
not already in the target language with a local model, makes names come out as the desk's
glossary says, flags what an editor should check, and writes a side-by-side review page.

  targman run ARTICLES -o OUT --tgt en      a folder of articles (or one article) -> OUT, review.html
  targman translate --tgt en < in.txt       a paragraph a line, stdin -> stdout
  targman glossary lint glossaries/desk.tsv check the desk glossary
  targman COMMAND --help                    what a command does and its options
"""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole parser, or (`command`) one with only that command's module registered."""
    import importlib

    parser = Parser(
        prog="targman",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"targman {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = [COMMANDS[command]] if command in COMMANDS and COMMANDS[command] in COMMAND_MODULES else COMMAND_MODULES
    for name in modules:
        importlib.import_module(name).register(sub)
    return parser


def _command_in(argv: list[str]) -> str | None:
    """The command named on the command line (the first word that is not an option)."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


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


def _reader_gone() -> int:
    """`targman ... | head`: the reader has what it wanted and closed the pipe. Stop quietly,
    with status 0, as a pipeline expects; what is still buffered goes to /dev/null, so
    Python's own flush at exit cannot print a traceback either."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        try:
            os.dup2(devnull, stream.fileno())
        except (AttributeError, OSError, ValueError):  # not a real file (a test's capture)
            pass
    return 0


def os_error_line(error: OSError) -> str:
    """One line for an OSError: the file, the reason, and for a link what to do."""
    where = f" {error.filename}" if error.filename else ""
    line = f"cannot use{where}: {error.strerror or error}"
    if error.errno == errno.ELOOP:
        line += "; remove the link: targman writes no file through a symbolic link"
    return line


def main(argv: list[str] | None = None) -> int:
    setup_logging()
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_command_in(argv))
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        status = int(args.func(args) or 0)
        sys.stdout.flush()  # a reader that went away is found here, not at exit
        return status
    except BrokenPipeError:
        return _reader_gone()
    except TargmanError as error:
        print(f"targman: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("targman: interrupted", file=sys.stderr)
        return 130
    except OSError as error:  # a file the command met that no library error named: still one line
        print(f"targman: error: {os_error_line(error)}", file=sys.stderr)
        return 74  # EX_IOERR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
