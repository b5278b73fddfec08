"""Armenian inflection: which surface forms of a glossary term count as that term.

A term is inflected on its last word only (`Եվրոպական միության`). A paradigm is a
short list of (stem, endings) pairs; `inflections()` spells them out for the target side
(the forms the constrained search chooses among), and the matcher uses the pairs
directly, so it never stores the expanded forms.

Covered (Eastern Armenian, as news text uses it):
- definite article `-ը` / `-ն`; genitive-dative `-ի`, dative definite `-ին`; ablative `-ից`;
  instrumental `-ով`; locative `-ում`; plural `-ներ` (`-եր` for one-syllable words), and the
  plural with each case ending (`-ների`, `-երից`, `-ներում`, ...);
- possessive articles `-ս` (my) / `-դ` (your) wherever the article or a case ending stands
  (`Հայաստանս`, `երկրիս`, `սրտումս`, `ընկերներիցդ`), also after a vowel (`տղաս`, `հոգիդ`);
- vowel reduction: `ի` or `ու` in the last syllable drops before an ending that starts
  with a vowel (`խորհուրդ` -> `խորհրդի`, `խորհրդում`; `Սարգիս` -> `Սարգսի`; `գիրք` ->
  `գրքեր`). Whether a word reduces is lexical (`Պուտին` -> `Պուտինի`), so both stems are
  generated: matching accepts either, and on the target side the model chooses;
- nouns in `-ում` and `-ություն` take the an-declension: `հանդիպման`, `հանդիպմանը`,
  `հանդիպմամբ`; `միության`, `միությանը`, `միությամբ`;
- stems ending in a vowel: after `ա`/`ո`/`օ` the glide `յ` before a vowel ending
  (`Մոսկվայում`, `Տոկիոյից`) and `-ն` for the article (`Մոսկվան`); `ե`/`է` with or without
  the glide; final `ու` becomes `վ` before a vowel ending (`Բաքու` -> `Բաքվում`, `կատվի`);
  final `ի` also takes the u-declension (`Լոռի` -> `Լոռու`, `հոգի` -> `հոգուց`, `հոգով`);
- place names also match in the old genitive `-ա` (`Սևան` -> `Սևանա լիճ`; source side only);
- irregular nouns from a short built-in list (`IRREGULAR`: `կին` -> `կնոջ`, `կանայք`,
  `կանանց`; `մարդ` -> `մարդիկ`, `մարդկանց`; `անձ` -> `անձանց`; `տուն` -> `տան`; `ամառ` ->
  `ամռան`; `տարի` -> `տարվա`; ...) and any a glossary author states for a term in the
  `hy_forms` column (see `principal_parts`);
- acronyms and Latin-script names take the ending after a hyphen (`ՀԱՊԿ-ի`, `ԵՄ-ը`,
  `BBC-ն`, `ՀԿ-ների`).

The source side (matching) is a little more generous than the target side: it also
accepts `-եր` and `-ներ` plurals on any consonant stem, `-ներ` after a reduced stem
(`երկրներ`), colloquial `-ումի`, and the old genitive `-ա` of place names, forms that
only cost index lookups when matching, while every target form is an alternative the
constrained search must carry; for the same reason a name is offered without possessive
articles, and its reduced stem only with the case endings (see `inflections`).

Not the same concept (never matched): derivations that merely start with the term,
e.g. `-յան`/`-ան` (adjective or surname: `Պուտինյան`, `Հայաստանյան`, `Սարգսյան`),
`-ական`/`-ային` (`Եվրոպական`, `ՀԱՊԿ-ական`, `խորհրդային`), `-ցի`/`-եցի`/`-ացի` (inhabitant:
`Երևանցի`, `բաքվեցի`), `-ություն`, `-ագետ`, `-ամետ`. The matcher enforces this by requiring
the whole word to be a stem plus one of its endings.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pipeline.glossary.normalise import key

POSSESSIVE = ("ս", "դ")
CASES = ("", "ը", "ն", "ի", "ին", "ից", "ով", "ում")
_OBLIQUE = ("ի", "ին", "ից", "ով", "ում")
_ARMENIAN_LETTER = re.compile(r"[\u0531-\u0556\u0561-\u0587]")
_VOWELS = re.compile(r"ու|[աեէըիոօ]", re.IGNORECASE)
_CONSONANT = "բգդզթժլխծկհձղճմյնշչպջռսվտրցփքֆ"
# The last syllable's vowel is `ի` or `ու` after a consonant, and only consonants follow
# (not a `յ` right after `ու`: `զրույց`, `հյուր` do not reduce).
_REDUCIBLE = re.compile(rf"^(.*[{_CONSONANT}])(ի|ու)((?!յ)[{_CONSONANT}]+)$", re.IGNORECASE)


def _poss(bases: tuple[str, ...]) -> tuple[str, ...]:
    """`bases` each followed by a possessive article."""
    return tuple(b + p for b in bases for p in POSSESSIVE)


# One endings tuple per declension shape, built once (the matcher interns them).
SINGULAR = CASES + _poss(("", "ի", "ից", "ով", "ում"))  # after a consonant
_PLURALS = {p: tuple(p + e for e in SINGULAR) for p in ("ներ", "եր")}
_VOWEL_ENDINGS = _OBLIQUE + _poss(("ի", "ից", "ով", "ում"))  # endings that start with a vowel
_REDUCED = _VOWEL_ENDINGS + _PLURALS["եր"]  # on a reduced stem: `խորհրդի`, `գրքեր`
_REDUCED_SOURCE = _REDUCED + _PLURALS["ներ"]
_GLIDE = ("", "ն") + POSSESSIVE + tuple("յ" + e for e in _VOWEL_ENDINGS)  # `Մոսկվայում`
_V_STEM = _VOWEL_ENDINGS  # `Բաքվում`, after `ու` -> `վ`
_I_FINAL = ("", "ն") + POSSESSIVE + _VOWEL_ENDINGS  # `Գյումրիում`, `հոգին`
_U_GENITIVE = ("ու", "ուն", "ուց", "ուս", "ուդ")  # `Լոռու`, `հոգուն`, `հոգուց`
_AN = ("ան", "անը", "անն", "ամբ", "անս", "անդ")  # `միության`, `հանդիպմամբ`
_UTYUN = ("", "ը", "ն", "ից", "ում") + _poss(("", "ից", "ում"))  # `միությունից`, not `-ով`/`-ի`
_ACRONYM = tuple("-" + e for e in CASES if e) + tuple("-ներ" + e for e in CASES)  # `ՀԱՊԿ-ի`, `ՀԿ-ների`
_ALREADY_PLURAL = SINGULAR  # `Միացյալ Նահանգներ` + `ում`

# Irregular nouns: the dictionary form's key -> its principal parts (see `principal_parts`).
IRREGULAR = {key(word): tuple(parts.split()) for word, parts in {
    # -ոջ, -ո, -որ declensions
    "կին": "կնոջ կանայք կանանց",
    "տիկին": "տիկնոջ տիկնայք տիկնանց",
    "քույր": "քրոջ",
    "ընկեր": "ընկերոջ",
    "տեր": "տիրոջ",
    "հայր": "հոր",
    "մայր": "մոր",
    "եղբայր": "եղբոր",
    "աստված": "աստծո",
    "սեր": "սիրո",
    # -ց plurals
    "մարդ": "մարդու մարդիկ մարդկանց",
    "տղամարդ": "տղամարդու տղամարդիկ տղամարդկանց",
    "անձ": "անձինք անձանց",
    "երեխա": "երեխեք",
    # -ան declension
    "տուն": "տան տներ",
    "շուն": "շան շներ",
    "անուն": "անվան անուններ",
    "արյուն": "արյան",
    "ամառ": "ամռան",
    "ձմեռ": "ձմռան",
    "գարուն": "գարնան",
    "աշուն": "աշնան",
    "մահ": "մահվան",
    "դուռ": "դռան դռներ",
    "ձուկ": "ձկան ձկներ",
    "մուկ": "մկան մկներ",
    "ծունկ": "ծնկան ծնկներ",
    # -ա declension (time words take -վա)
    "աղջիկ": "աղջկա",
    "տարի": "տարվա",
    "ամիս": "ամսվա",
    "օր": "օրվա",
    "շաբաթ": "շաբաթվա",
    "գիշեր": "գիշերվա",
    "առավոտ": "առավոտվա",
    "Սևան": "Սևանա",
    "Վան": "Վանա",
    # plural -ներ after a reduced stem, or -ներ after one syllable
    "երկիր": "երկրներ",
    "լեռ": "լեռներ",
    "մատ": "մատներ",
    "գառ": "գառներ",
    "թոռ": "թոռներ",
    "բեռ": "բեռներ",
    "հարս": "հարսներ",
}.items()}


def is_acronym(word: str) -> bool:
    """`ՀԱՊԿ`, `ԵՄ`, `NATO`: two or more letters, none lower case."""
    return word.isupper() and sum(c.isalpha() for c in word) >= 2


def syllables(word: str) -> int:
    """Syllables as spoken: a word that starts with two consonants has an unwritten `ը`
    between them (`տղա` is tə-ɣa, plural `տղաներ`; `խնդիր` -> `խնդիրներ`)."""
    word = word.replace("և", "եվ")
    count = len(_VOWELS.findall(word))
    lead = word[:2].lower()
    if len(lead) == 2 and lead[0] in _CONSONANT and lead[1] in _CONSONANT:
        count += 1
    return count


def _plural(word: str) -> str:
    return "եր" if syllables(word) <= 1 else "ներ"


def reduced(word: str) -> str | None:
    """`խորհուրդ` -> `խորհրդ`, `Սարգիս` -> `Սարգս`: the stem without the last syllable's
    `ի`/`ու`, or None when the word has no such syllable (`Միրզոյան`, `Մոսկվա`, `զրույց`)."""
    found = _REDUCIBLE.match(word)
    if not found:
        return None
    return found.group(1) + found.group(3)


def principal_parts(form: str) -> list[tuple[str, tuple[str, ...]]]:
    """(stem, endings) pairs from one form a glossary author (or `IRREGULAR`) states.

    A form is written as it appears in text; its ending says how the rest goes:
    `-ոջ` (`կնոջ`, `կնոջից`), `-անց` (`մարդկանց`, `մարդկանցով`), a plural in `-իկ`/`-այք`/
    `-ինք`/`-եք` (`մարդիկ`, `կանայք`) or `-ներ`/`-եր` (`դռներ`, `դռներից`), `-ան` (`տան`,
    `տանը`, `ամռամբ`), `-ու` (`մարդու`, `մարդուց`, `մարդով`), `-ո` (`Աստծո`, `Աստծուն`,
    `Աստծով`), `-ա` (`աղջկա`, `աղջկան`), `-ի` (a changed stem: `գրքի` -> `գրքից`, `գրքեր`).
    A stem ending in a hyphen (`գրք-`) takes every ending that starts with a vowel; any
    other form takes the article and the case endings that follow a genitive (`հոր`, `հորից`).
    """
    low = key(form)
    if form.endswith("-"):
        return [(form[:-1], _REDUCED)]
    if low.endswith(("ներ", "եր")):
        return [(form, SINGULAR)]
    if low.endswith("անց"):
        return [(form, ("", "ից", "ով") + POSSESSIVE)]
    if low.endswith(("իկ", "այք", "ինք", "եք")):
        return [(form, ("", "ը", "ն") + POSSESSIVE)]
    if low.endswith("ոջ"):
        return [(form, ("", "ը", "ն", "ից", "ով") + POSSESSIVE)]
    if low.endswith("ան"):
        return [(form, ("", "ը", "ն", "ից") + POSSESSIVE), (form[:-1], ("մբ",))]
    if low.endswith("ու"):
        return [(form, ("", "ն", "ց") + POSSESSIVE), (form[:-2], ("ով",))]
    if low.endswith("ո"):
        return [(form, ("",)), (form[:-1], ("ու", "ուն", "ուց", "ով"))]
    if low.endswith("ա"):
        return [(form, ("", "ն") + POSSESSIVE)]
    if low.endswith("ի"):
        return [(form[:-1], _REDUCED)]
    return [(form, ("", "ը", "ն", "ից", "ով") + POSSESSIVE)]


def _cased(form: str, like: str) -> str:
    """A built-in lower-case form written with the capital of the term's word."""
    if like[:1].isupper() and form[:1].islower():
        return form[:1].upper() + form[1:]
    return form


def paradigm(term: str, *, target: bool = False, ctype: str = "term",
             forms: tuple[str, ...] = ()) -> list[tuple[str, tuple[str, ...]]]:
    """(stem, endings) pairs whose concatenations are the forms of `term` in running text.

    `target`: only the forms worth offering a decoder (see the module notes); `ctype`: the
    concept's type (a `place` also takes the old genitive `-ա`; a `person` named
    `Հարություն` declines `Հարությունի`, not `Հարության`); `forms`: principal parts of the
    last word stated in the glossary, added to the built-in ones.
    """
    prefix, _, last = term.rpartition(" ")
    prefix = prefix + " " if prefix else ""
    if is_acronym(last) or not _ARMENIAN_LETTER.search(last):
        return [(term, ("",) + _ACRONYM)]
    lower = last.lower()
    pairs = _regular(term, last, lower, target, ctype)
    stated = IRREGULAR.get(lower.replace("և", "եվ").replace("եւ", "եվ"), ()) + tuple(forms)
    if not stated:
        return pairs
    for form in dict.fromkeys(stated):
        pairs += [(prefix + _cased(stem, last), endings) for stem, endings in principal_parts(form)]
    return pairs


def _declensions() -> dict[tuple[str, str], tuple[str, ...]]:
    """Every (declension, plural suffix) endings tuple, built once: paradigms share them."""
    table = {}
    for plural, plurals in (("ներ", _PLURALS["ներ"]), ("եր", _PLURALS["եր"]),
                            ("both", _PLURALS["ներ"] + _PLURALS["եր"])):
        table.update({
            ("ություն", plural): _UTYUN + plurals,
            ("ու", plural): ("", "ն") + POSSESSIVE + _OBLIQUE + plurals,
            ("աո", plural): _GLIDE + plurals,
            ("եէ", plural): _GLIDE + _VOWEL_ENDINGS + plurals,
            ("ի", plural): _I_FINAL + plurals,
            ("", plural): SINGULAR + plurals,
            ("place", plural): SINGULAR + plurals + ("ա",),
        })
    return table


_DECLENSIONS = _declensions()
_U_STEM_NAME = _U_GENITIVE
_U_STEM_COMMON = _U_GENITIVE + ("ով", "ում")  # `հոգով`, `հոգում`; not for names (`Դմիտրով`)


def _regular(term: str, last: str, lower: str, target: bool, ctype: str) -> list[tuple[str, tuple[str, ...]]]:
    table = _DECLENSIONS
    if lower.endswith("ներ") and syllables(lower) > 1:
        return [(term, _ALREADY_PLURAL)]  # already plural (Միացյալ Նահանգներ); `-եր` is ambiguous
        # (`ընկեր`, `գիշեր` are singular), and a plural in `-եր` is matched by the singular rules
    if lower.endswith("ություն") and ctype != "person":
        return [(term, table["ություն", _plural(lower)]), (term[:-3], _AN)]
    final = lower[-1]
    if final in "աոօեէիւ":
        plural = _plural(lower)
        if lower.endswith("ու"):
            v = "Վ" if last[-2:].isupper() else "վ"
            return [(term, table["ու", plural]), (term[:-2] + v, _V_STEM)]
        if final in "աոօ":
            return [(term, table["աո", plural])]
        if final in "եէ":
            return [(term, table["եէ", plural])]
        if final == "ի":
            return [(term, table["ի", plural]), (term[:-1], _U_STEM_NAME if last[:1].isupper() else _U_STEM_COMMON)]
    # a consonant stem; the source may use either plural suffix (`գործեր`, `դասագիրքներ`)
    plural = _plural(lower) if target else "both"
    if lower.endswith("ում") and syllables(lower) > 1:  # `հանդիպում` -> `հանդիպման`
        # the source also accepts the colloquial i-declension (`հանդիպումի`)
        return [(term, table["ություն" if target else "", plural]), (term[:-3] + "մ", _AN)]
    pairs = [(term, table["place" if ctype == "place" and not target else "", plural])]
    stem = reduced(last)
    if stem is not None:  # the source also takes `-ներ` there (`երկիր` -> `երկրներ`)
        pairs.append((term[: len(term) - len(last)] + stem, _REDUCED if target else _REDUCED_SOURCE))
    return pairs


NAMES = ("person", "org", "place")


def inflections(term: str, forms: tuple[str, ...] = (), ctype: str = "term") -> list[str]:
    """Every surface form `term` may take in Armenian running text, the bare term first:
    the alternatives a constrained decoder is offered (`paradigm(term, target=True)`).

    A name (`person`, `org`, `place`) is offered without the possessive articles
    (`Հայաստանս` is poetry, not news) and its reduced stem only with the case endings
    (`Սարգսի`, `Սարգսից`): every alternative is work for the search. Finite and small:
    about 20 forms for a name, 36 for a common noun, up to about a hundred for a noun with
    a stem change and irregular forms.
    """
    return list(_inflections(term, tuple(forms), ctype))


@lru_cache(maxsize=4096)
def _inflections(term: str, forms: tuple[str, ...], ctype: str) -> tuple[str, ...]:
    name = ctype in NAMES
    seen: dict[str, None] = {}
    for stem, endings in paradigm(term, target=True, ctype=ctype, forms=forms):
        if name:
            endings = _OBLIQUE if endings is _REDUCED else _without_possessive(endings)
        for ending in endings:
            seen.setdefault(stem + ending, None)
    return tuple(seen)


@lru_cache(maxsize=None)
def _without_possessive(endings: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(e for e in endings if not e.endswith(POSSESSIVE) or e.startswith("-"))
