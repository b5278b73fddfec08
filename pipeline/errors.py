"""Exceptions whose message tells a person what to change.

Every error targman raises on purpose is a `TargmanError`; the CLI prints
`str(error)` and exits with `error.exit_code`, and nothing else in the library exits.

    TargmanError        a problem the user can fix (exit status 2 when raised before any work)
    ├── ConfigError     a configuration file, key or value is wrong; the message lists the valid ones
    ├── ModelError      a model cannot be found or loaded (says how to use a local folder when offline)
    ├── InputError      an input file cannot be read or written; `path` and `line` say where.
    │                   In a run it fails that file alone and the run goes on.
    ├── GlossaryError   a glossary fails lint; `problems` lists every finding (file:line: what)
    ├── ScoreError      hypotheses and references cannot be scored together
    └── StateError      the output folder holds a run this one must not mix with
                        (other settings, or another run writing to it now)

    RunInterrupted      (a KeyboardInterrupt, not a TargmanError) Ctrl-C or SIGTERM during
                        `run()`: finished files are kept; `.result` is the partial RunResult
"""

from __future__ import annotations


class TargmanError(Exception):
    """Base class: a problem the user can fix. Exit status 2 when raised before any work."""

    exit_code = 2


class ConfigError(TargmanError):
    """A configuration file, key or value is wrong."""


class ModelError(TargmanError):
    """A model cannot be found or loaded."""


class InputError(TargmanError):
    """An input file cannot be read; the run goes on without it."""

    def __init__(self, path, message, line: int | None = None):
        self.path = str(path)
        self.line = line
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


class GlossaryError(TargmanError):
    """A glossary file fails lint; `problems` lists every finding, not just the first."""

    def __init__(self, problems: list, what: str = "glossary"):
        self.problems = sorted(problems)
        count = len(self.problems)
        head = f"{what} has {count} problem{'s' if count != 1 else ''}"
        super().__init__(head + ":\n" + "\n".join(str(p) for p in self.problems))


class ScoreError(TargmanError):
    """Hypotheses and references cannot be scored together (counts differ, nothing to score)."""


class StateError(TargmanError):
    """OUT_DIR holds a run this one must not mix with."""
