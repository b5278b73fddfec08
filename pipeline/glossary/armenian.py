"""Armenian inflection: which surface forms of a glossary term count as that term.

A term is inflected on its last word only (`Եվրոպական միության`). A paradigm is a
short list of (stem, suffixes) pairs; `inflections()` spells them out, and the matcher
uses the pairs directly so it never stores the expanded forms.

Covered (Eastern Armenian, as news text uses it):
- definite article `-ը` / `-ն`; genitive-dative `-ի`, dative definite `-ին`; ablative `-ից`;
  instrumental `-ով`; locative `-ում`; plural `-ներ` (`-եր` for one-syllable words), and the
  plural with each case ending (`-ների`, `-ներում`, ...);
- after a final `ա`/`ո`/`ե`/`է` the glide `յ` before a vowel ending (`Մոսկվայում`, `Աստանայից`),
  and `-ն` for the article (`Մոսկվան`);
- final `ու` becomes `վ` before a vowel ending (`Բաքու` -> `Բաքվում`, `Բաքվի`);
- final `ի` also takes the u-declension genitive (`Լոռի` -> `Լոռու`);
- `-ություն` takes the an-declension: `միության`, `միությանը`, `միությամբ`;
- acronyms and Latin-script names take the ending after a hyphen (`ՀԱՊԿ-ի`, `ԵՄ-ը`, `BBC-ն`).

Not the same concept (never matched): derivations that merely start with the term,
e.g. `-յան`/`-ան` (adjective or surname: `Պուտինյան`, `Հայաստանյան`), `-ական`/`-ային`
(`Եվրոպական`, `ՀԱՊԿ-ական`), `-ցի`/`-եցի`/`-ացի` (inhabitant: `Երևանցի`, `բաքվեցի`),
`-ություն`, `-ագետ`, `-ամետ`. The matcher enforces this by requiring the whole word to
be the stem plus one of the endings above. Also left out: possessive articles `-ս`/`-դ`
and irregular stem changes of common nouns (`գիրք` -> `գրքի`); list such forms as variants.
"""

from __future__ import annotations

import re

CASES = ("", "ը", "ն", "ի", "ին", "ից", "ով", "ում")
_VOWEL_CASES = ("", "ն", "յի", "յին", "յից", "յով", "յում")
_OBLIQUE = ("ի", "ին", "ից", "ով", "ում")
_ARMENIAN_LETTER = re.compile(r"[\u0531-\u0556\u0561-\u0587]")
_VOWELS = re.compile(r"ու|[աեէըիոօ]", re.IGNORECASE)


def is_acronym(word: str) -> bool:
    """`ՀԱՊԿ`, `ԵՄ`, `NATO`: two or more letters, none lower case."""
    return word.isupper() and sum(c.isalpha() for c in word) >= 2


def _plural(word: str) -> str:
    syllables = len(_VOWELS.findall(word.replace("և", "եվ")))
    return "եր" if syllables <= 1 else "ներ"


_PLURALS = {p: tuple(p + c for c in CASES) for p in ("ներ", "եր")}
_ACRONYM = tuple("-" + c if c else "" for c in CASES)
_CLASSES = {
    (kind, plural): endings
    for plural, plurals in _PLURALS.items()
    for kind, endings in {
        "ություն": ("", "ը", "ն", "ից", "ում") + plurals,
        "ու": ("", "ն") + _OBLIQUE + plurals,
        "աո": _VOWEL_CASES + plurals,
        "եէ": _VOWEL_CASES + _OBLIQUE + plurals,
        "ի": ("", "ն") + _OBLIQUE + plurals,
        "": CASES + plurals,
    }.items()
}
_AN_DECLENSION = ("ան", "անը", "անն", "ամբ")
_V_STEM = _OBLIQUE
_U_GENITIVE = ("ու",)


def paradigm(term: str) -> list[tuple[str, tuple[str, ...]]]:
    """(stem, endings) pairs whose concatenations are the forms of `term` in running text."""
    last = term.rsplit(" ", 1)[-1]
    if is_acronym(last) or not _ARMENIAN_LETTER.search(last):
        return [(term, _ACRONYM)]
    lower = last.lower()
    if lower.endswith("ներ") or lower.endswith("եր") and _plural(lower[:-2]) == "եր":
        return [(term, CASES)]  # already plural (Միացյալ Նահանգներ)
    plural = _plural(lower)
    if lower.endswith("ություն"):
        return [(term, _CLASSES["ություն", plural]), (term[:-3], _AN_DECLENSION)]
    if lower.endswith("ու"):
        v = "Վ" if last[-2:].isupper() else "վ"
        return [(term, _CLASSES["ու", plural]), (term[:-2] + v, _V_STEM)]
    if lower[-1] in "աո":
        return [(term, _CLASSES["աո", plural])]
    if lower[-1] in "եէ":
        return [(term, _CLASSES["եէ", plural])]
    if lower[-1] == "ի":
        return [(term, _CLASSES["ի", plural]), (term[:-1], _U_GENITIVE)]
    return [(term, _CLASSES["", plural])]


def inflections(term: str) -> list[str]:
    """Every surface form `term` may take in Armenian running text, the bare term first.

    Finite and small (at most a few dozen forms), so a constrained decoder can offer
    them all as alternatives.
    """
    seen: dict[str, None] = {}
    for stem, endings in paradigm(term):
        for ending in endings:
            seen.setdefault(stem + ending, None)
    return list(seen)
