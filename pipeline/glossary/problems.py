"""Lint findings and the error that carries them."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.errors import TargmanError


@dataclass(frozen=True, order=True)
class Problem:
    """One thing to fix, printed as `FILE:LINE: message`."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path  # 0: the whole file
        return f"{where}: {self.message}"


class GlossaryError(TargmanError):
    """A glossary file fails lint; `problems` lists every finding, not just the first."""

    def __init__(self, problems: list[Problem], what: str = "glossary"):
        self.problems = sorted(problems)
        count = len(self.problems)
        head = f"{what} has {count} problem{'s' if count != 1 else ''}"
        super().__init__(head + ":\n" + "\n".join(str(p) for p in self.problems))
