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
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and not any(c.islower() for c in letters)


def _plural(word: str) -> str:
    syllables = len(_VOWELS.findall(word.replace("և", "եվ")))
    return "եր" if syllables <= 1 else "ներ"


def paradigm(term: str) -> list[tuple[str, tuple[str, ...]]]:
    """(stem, endings) pairs whose concatenations are the forms of `term` in running text."""
    last = term.rsplit(" ", 1)[-1]
    if is_acronym(last) or not _ARMENIAN_LETTER.search(last):
        return [(term, tuple("-" + c if c else "" for c in CASES))]
    lower = last.lower()
    pairs: list[tuple[str, tuple[str, ...]]] = []
    if lower.endswith("ներ") or lower.endswith("եր") and _plural(lower[:-2]) == "եր":
        pairs.append((term, CASES))  # already plural (Միացյալ Նահանգներ)
        return pairs
    plural = _plural(lower)
    plurals = tuple(plural + c for c in CASES)
    if lower.endswith("ություն"):
        pairs.append((term, ("", "ը", "ն", "ից", "ում") + plurals))
        pairs.append((term[:-3], ("ան", "անը", "անն", "ամբ")))
    elif lower.endswith("ու"):
        pairs.append((term, ("", "ն") + _OBLIQUE + plurals))
        pairs.append((term[:-2] + ("Վ" if last[-2:].isupper() else "վ"), _OBLIQUE))
    elif lower[-1] in "աո":
        pairs.append((term, _VOWEL_CASES + plurals))
    elif lower[-1] in "եէ":
        pairs.append((term, _VOWEL_CASES + _OBLIQUE + plurals))
    elif lower[-1] == "ի":
        pairs.append((term, ("", "ն") + _OBLIQUE + plurals))
        pairs.append((term[:-1], ("ու",)))
    else:
        pairs.append((term, CASES + plurals))
    return pairs


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
