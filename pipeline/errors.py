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
    ├── StateError      the output folder holds a run this one must not mix with
    │                   (other settings, or another run writing to it now)
    ├── WriteError      the output folder cannot be written (read-only, disk full, file
    │                   size limit): exit status 74; finished files are kept, and
    │                   `.result` holds the run's result when one could be made
    └── ClusterError    a run on Ray cannot go on: no engine actor could run for `[ray]
                        stall_s` (every node with room lost): exit status 75; finished
                        files are kept, `.result` as WriteError's, and the same command continues

    RunInterrupted      (a KeyboardInterrupt, not a TargmanError) Ctrl-C or SIGTERM during
                        `run()`: finished files are kept; `.result` is the partial RunResult
"""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.batch.runner import RunResult


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


class WriteError(TargmanError):
    """The output folder cannot be written; what was finished is kept and the run can resume."""

    exit_code = 74  # EX_IOERR (sysexits.h)

    def __init__(self, message: str, result: RunResult | None = None):
        super().__init__(message)
        self.result = result


class ClusterError(TargmanError):
    """A run on a Ray cluster cannot go on for want of nodes; what was finished is kept and the run can resume."""

    exit_code = 75  # EX_TEMPFAIL (sysexits.h): try again when the cluster has room

    def __init__(self, message: str, result: RunResult | None = None):
        super().__init__(message)
        self.result = result


# errno values that mean the output folder as a whole cannot take more writes
# (as opposed to one file's name or path being the problem).
FATAL_WRITE_ERRNOS = frozenset(getattr(errno, name) for name in ("ENOSPC", "EDQUOT", "EFBIG", "EROFS") if hasattr(errno, name))
# ... and every errno that means "cannot write there".
WRITE_ERRNOS = FATAL_WRITE_ERRNOS | {errno.EACCES, errno.EPERM, errno.EISDIR}


def write_error(error: OSError, what: str, where) -> WriteError:
    """One clear line for an OSError met while writing: what, where, and what to do."""
    reason = error.strerror or str(error)
    hints = {
        "ENOSPC": "free some disk space",
        "EDQUOT": "free some space in your disk quota",
        "EFBIG": "raise the file size limit (ulimit -f) or write to another disk",
        "EROFS": "choose an output folder on a writable disk",
        "EACCES": "make it writable (chmod/chown) or choose another output folder",
        "EPERM": "make it writable (chmod/chown) or choose another output folder",
        "EISDIR": "a folder stands where the file must go; move it away",
        "ELOOP": "remove the link: targman writes no file through a symbolic link",
    }
    name = errno.errorcode.get(error.errno or 0, "")
    if name == "ELOOP" and error.filename:
        where = error.filename  # the link itself, not the folder it is in
    hint = hints.get(name, "check the output folder")
    return WriteError(f"cannot write {what} {where} ({reason}): {hint}, then run the same command again "
                      "(finished files are kept)")


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM from the CLI) during `run()`: what was finished is written and the run
    can resume; `result` is the partial `RunResult`. A KeyboardInterrupt, so code that does not
    catch it stops as on Ctrl-C."""

    def __init__(self, result: RunResult):
        super().__init__("interrupted")
        self.result = result
