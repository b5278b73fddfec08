"""Characters nobody types on purpose, and that change what a text shows or matches.

Controls, the soft hyphen, zero-width and bidirectional marks, embeddings, overrides and
isolates (U+061C, U+200E/F, U+202A-E, U+2066-9), line and paragraph separators (U+2028/9)
and the BOM. An override (U+202E) makes a text display backwards ("Trojan Source"); the
others make a glossary term silently never match. Glossary lint refuses them in a term,
and a post-edit is refused with the same words (`invisible_problem`).
"""

from __future__ import annotations

import re

INVISIBLE = re.compile(
    r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]"
)


def invisible_problem(text: str, what: str = "the translation") -> str | None:
    """What to change when `text` holds such a character (the first one, by code point), or None."""
    bad = INVISIBLE.search(text)
    if bad is None:
        return None
    return f"control or invisible character U+{ord(bad.group()):04X} in {what}; delete it"
