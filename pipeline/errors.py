"""Exceptions whose message tells a person what to change.

The CLI prints `str(error)` and exits; nothing else in the library exits.
"""


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
