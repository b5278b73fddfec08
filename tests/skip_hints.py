"""What the skipped tests need, said at the end of a test run (tests/conftest.py's
`pytest_terminal_summary`): a fresh machine set up with fewer extras than `.ci/run` skips the
browser or Ray tests, and should be told how to run them rather than find out by counting."""

from __future__ import annotations

EXTRAS = "pip install -e '.[dev,review,ray,openai]'"

# (a word of the skip reason, what is missing, the command that installs it), first match wins
NEEDS = (
    ("chromium", "Chromium (the browser tests)", "apt-get install chromium"),
    ("'ray'", "the `ray` extra (the Ray executor's tests)", f".venv/bin/{EXTRAS}"),
    ("could not import", "the `dev` / `review` extras", f".venv/bin/{EXTRAS}"),
    ("shared", "the shared data folder ../shared (NTREX, examples)", ""),
)


def hints(reasons: list[str]) -> list[str]:
    """A line for each thing skipped tests need: how many, what, and the command."""
    counts: dict[tuple[str, str], int] = {}
    for reason in reasons:
        for word, what, command in NEEDS:
            if word in reason:
                counts[(what, command)] = counts.get((what, command), 0) + 1
                break
    return [f"{n} skipped for want of {what}" + (f": {command}" if command else "")
            for (what, command), n in counts.items()]
