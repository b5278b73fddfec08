"""What a glossary file may hold: concept types, options, statuses and the `LANG_forms` cell.

A leaf: lint checks files against it and the model builds concepts with it, so neither
needs the other to know the vocabulary.
"""

from __future__ import annotations

TYPES = ("person", "org", "place", "term")
OPTIONS = {
    "case": "match every term of the concept with exactly the case written",
    "nocase": "match in any case: acronyms too, and names without their capital letter",
    "dnt": "do not translate: the same string in every language (empty cells are copied)",
}
STATUSES = ("preferred", "variant", "forbidden")
FORMS_LANGUAGES = ("hy",)  # languages whose `LANG_forms` column states irregular forms
KINDS = ("full", "short")


def forms_from_cell(cell: str) -> list[tuple[str, tuple[str, ...]]]:
    """`կին: կնոջ կանայք կանանց; մարդ: մարդիկ` -> [('կին', ('կնոջ', ...)), ('մարդ', ('մարդիկ',))].

    Entries are separated by `;`, the word from its forms by `:`, forms by spaces or commas.
    An entry without a `:` gives the word ''; lint reports it.
    """
    entries = []
    for raw in cell.split(";"):
        if not raw.strip():
            continue
        word, colon, rest = raw.partition(":")
        if not colon:
            word, rest = "", raw
        entries.append((word.strip(), tuple(rest.replace(",", " ").split())))
    return entries


def forms_cell(entries) -> str:
    """The canonical `LANG_forms` cell: `word: form form; word: form`."""
    return "; ".join(f"{word}: {' '.join(forms)}" for word, forms in entries)
