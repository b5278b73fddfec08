"""Close matches for a mistyped name: an option, a command, a choice, a glossary id.

A message that says what is wrong says, when one is near, what was probably meant, as git
does ("did you mean --tgt?"). difflib's ratio, plus the names the word starts.
"""

from __future__ import annotations

from collections.abc import Iterable


def close_matches(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """The candidates nearest to `word`, best first (at most `n`): those it starts with (an option
    with a longer name typed: `--english` for `--en`), then difflib's closest, then those that
    start with it."""
    import difflib  # only when something was mistyped: not on every command's start

    candidates = [c for c in dict.fromkeys(candidates) if c]
    found = [c for c in candidates if len(c.lstrip("-")) > 1 and word.startswith(c)]  # `--english`: `--en`
    found.sort(key=len, reverse=True)
    found += [c for c in difflib.get_close_matches(word, candidates, n=n, cutoff=0.6) if c not in found]
    found += [c for c in candidates if c not in found and len(word) > 2 and c.startswith(word)]
    return found[:n]


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`; did you mean X?` (or `X or Y`), or "" when nothing is close."""
    found = close_matches(word, candidates)
    return f"; did you mean {' or '.join(found)}?" if found else ""
