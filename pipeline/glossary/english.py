"""English forms of a glossary term: possessive for every term, plural for common terms.

Names (`person`, `org`, `place`) take only the possessive (`Lavrov's`, `Kazakhstan’s`
after normalisation, `Brussels'`); `Armenian` is not a form of `Armenia` (word boundary).
Terms of type `term` also take a regular plural (`ceasefire` -> `ceasefires`).
"""

from __future__ import annotations


def paradigm(term: str, plural: bool = False) -> list[tuple[str, tuple[str, ...]]]:
    """(stem, endings) pairs for `term`; the same shape as `armenian.paradigm`."""
    endings = ["", "'s"]
    if term.endswith("s"):
        endings.append("'")
    if plural and term[-1:].isalpha() and term[-1:].islower():
        if term.endswith(("s", "x", "z", "ch", "sh")):
            endings += ["es", "es'"]
        elif term.endswith("y") and term[-2:-1] not in "aeiou":
            return [(term, tuple(endings)), (term[:-1], ("ies", "ies'"))]
        else:
            endings += ["s", "s'"]
    return [(term, tuple(endings))]
