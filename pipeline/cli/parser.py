"""The command line's parser: argparse, with a close match offered for every unknown word.

`targman run ... --target en` is answered "unrecognized arguments: --target en; did you mean
--tgt?", a mistyped command or choice with the nearest valid one, as git does. The parser is
argparse's own; only `error` adds the suggestion, so usage lines and exit status 2 stay.
"""

from __future__ import annotations

import argparse
import re
import sys

from pipeline.suggest import close_matches, did_you_mean

_CHOICE = re.compile(r"invalid choice: '(?P<word>.*?)' \(choose from (?P<choices>.*)\)$")
_UNRECOGNIZED = "unrecognized arguments: "


class Parser(argparse.ArgumentParser):
    """argparse.ArgumentParser whose errors suggest the option, command or choice meant."""

    def parse_known_args(self, args=None, namespace=None):
        self._argv = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def error(self, message: str):
        hint = self._suggestion(message)
        # an unknown option of `targman run` is reported by the top parser: show run's usage
        parser = self._innermost(getattr(self, "_argv", [])) if message.startswith(_UNRECOGNIZED) else self
        parser.print_usage(sys.stderr)
        parser.exit(2, f"{parser.prog}: error: {message}{hint}\n")

    def _suggestion(self, message: str) -> str:
        choice = _CHOICE.search(message)
        if choice:
            choices = [c.strip().strip("'") for c in choice["choices"].split(", ")]
            return did_you_mean(choice["word"], choices)
        if message.startswith(_UNRECOGNIZED):
            parser = self._innermost(getattr(self, "_argv", []))
            options = [s for action in parser._actions for s in action.option_strings]
            hints = []
            for word in message[len(_UNRECOGNIZED):].split():
                if word.startswith("-"):
                    found = close_matches(word.split("=", 1)[0], options)
                    if found:
                        hints.append(f"{word.split('=', 1)[0]}: did you mean {' or '.join(found)}?")
            if hints:
                return "; " + "; ".join(hints)
            return f" (`{parser.prog} --help` lists the options)"
        return ""

    def _innermost(self, argv: list[str]) -> argparse.ArgumentParser:
        """The (sub)command parser the words of `argv` lead to, e.g. `targman glossary add`."""
        parser: argparse.ArgumentParser = self
        for word in argv:
            subparsers = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
            if subparsers is None:
                break
            if word in subparsers.choices:
                parser = subparsers.choices[word]
        return parser
