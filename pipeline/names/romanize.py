"""Armenian names in Latin letters, the desk's way, and back where that is unambiguous.

Styles (`STYLES`):
- `news` (the default, and what runs use): BGN/PCGN as English-language news writes it: no
  apostrophes for the aspirates, `r` for both r's, `ye`/`vo` at the start of a word (not
  after a vowel inside it: `Danielyan`), `u` for `ու`, `ev`/`yev` for `և`: `Փաշինյան` -> `Pashinyan`, `Երևան` ->
  `Yerevan`, `Ոսկանյան` -> `Voskanyan`. A place with a conventional English name
  (`Էջմիածին` -> `Etchmiadzin`, `Հայաստան` -> `Armenia`) takes it (`lexicon`). With
  `surname_ending="ian"` a surname's `-յան` is written `-ian` (`Pashinian`).
- `bgn`: BGN/PCGN 1981 as published: `tʼ`, `chʼ`, `tsʼ`, `pʼ`, `kʼ`, `rr` for `ռ`, `ë` for `ը`,
  `ye` after a vowel too.
- `ala-lc`: the Library of Congress table: `ē`, `ĕ`, `ṛ`, `ō`, aspirates with `ʻ`.
- `iso9985`: ISO 9985 (letter for letter, reversible): `x`, `ç`, `ġ`, `č`, `ǰ`, `ṙ`, `ow`, `ew`.

Why rules of our own: tetrak-translit and ICU's `Armenian-Latin` transliterator were compared
(docs/names.md); ICU writes ISO 9985-like letters (`Pʻašinyan`, `Erevan`), tetrak-translit
has no news style either, so neither gives what an English-language desk prints.
"""

from __future__ import annotations

import re
from functools import lru_cache

STYLES = ("news", "bgn", "ala-lc", "iso9985")
ENDINGS = ("yan", "ian")

_ARMENIAN = re.compile(r"[\u0531-\u0556\u0561-\u0587]")
_VOWEL = set("աեէըիոօ")

# One row a letter: news, bgn, ala-lc, iso9985 (lower case; `ու` and `և` are handled apart).
_TABLE = {
    "ա": ("a", "a", "a", "a"),
    "բ": ("b", "b", "b", "b"),
    "գ": ("g", "g", "g", "g"),
    "դ": ("d", "d", "d", "d"),
    "ե": ("e", "e", "e", "e"),
    "զ": ("z", "z", "z", "z"),
    "է": ("e", "e", "ē", "ē"),
    "ը": ("y", "ë", "ĕ", "ë"),
    "թ": ("t", "tʼ", "tʻ", "tʼ"),
    "ժ": ("zh", "zh", "zh", "ž"),
    "ի": ("i", "i", "i", "i"),
    "լ": ("l", "l", "l", "l"),
    "խ": ("kh", "kh", "kh", "x"),
    "ծ": ("ts", "ts", "ts", "ç"),
    "կ": ("k", "k", "k", "k"),
    "հ": ("h", "h", "h", "h"),
    "ձ": ("dz", "dz", "dz", "j"),
    "ղ": ("gh", "gh", "gh", "ġ"),
    "ճ": ("ch", "ch", "ch", "č̣"),
    "մ": ("m", "m", "m", "m"),
    "յ": ("y", "y", "y", "y"),
    "ն": ("n", "n", "n", "n"),
    "շ": ("sh", "sh", "sh", "š"),
    "ո": ("o", "o", "o", "o"),
    "չ": ("ch", "chʼ", "chʻ", "č"),
    "պ": ("p", "p", "p", "p"),
    "ջ": ("j", "j", "j", "ǰ"),
    "ռ": ("r", "rr", "ṛ", "ṙ"),
    "ս": ("s", "s", "s", "s"),
    "վ": ("v", "v", "v", "v"),
    "տ": ("t", "t", "t", "t"),
    "ր": ("r", "r", "r", "r"),
    "ց": ("ts", "tsʼ", "tsʻ", "cʼ"),
    "ւ": ("v", "w", "w", "w"),
    "փ": ("p", "pʼ", "pʻ", "pʼ"),
    "ք": ("k", "kʼ", "kʻ", "kʼ"),
    "օ": ("o", "o", "ō", "ō"),
    "ֆ": ("f", "f", "f", "f"),
}
_COLUMN = {style: i for i, style in enumerate(STYLES)}


def has_armenian(text: str) -> bool:
    return bool(_ARMENIAN.search(text))


def romanize(text: str, style: str = "news", *, surname_ending: str = "yan", conventional: bool = True) -> str:
    """`text` (one or more words; non-Armenian characters kept) in Latin letters.

    `conventional`: in the news style, a name the lexicon knows by a conventional English
    spelling takes it. Capitals follow the Armenian: `Փաշինյան` -> `Pashinyan`,
    `ՓԱՇԻՆՅԱՆ` -> `PASHINYAN`.
    """
    if style not in _COLUMN:
        raise ValueError(f"unknown style {style!r}; one of {', '.join(STYLES)}")
    return re.sub(r"[\u0531-\u0556\u0561-\u0587]+",
                  lambda m: _word(m.group(0), style, surname_ending, conventional), text)


@lru_cache(maxsize=65536)
def _word(word: str, style: str, ending: str, conventional: bool) -> str:
    if style == "news" and conventional:
        from pipeline.names.lexicon import conventional_spelling

        known = conventional_spelling(word)
        if known:
            return _case_like(known, word)
    column = _COLUMN[style]
    low = word.lower()
    out: list[str] = []
    i = 0
    while i < len(low):
        ch = low[i]
        start = i == 0
        after_vowel = i > 0 and (low[i - 1] in _VOWEL or low[i - 1:i + 1] == "ու")
        if ch == "ո" and low[i + 1:i + 2] == "ւ":
            out.append("ow" if style == "iso9985" else "u")
            i += 2
            continue
        if ch == "և":
            if style == "iso9985" or style == "ala-lc":
                out.append("ew")
            else:
                out.append("yev" if start or after_vowel else "ev")
            i += 1
            continue
        if ch == "ե" and (start or (after_vowel and style == "bgn")) and style in ("news", "bgn"):
            out.append("ye")
        elif ch == "ո" and style in ("news", "bgn") and start and low not in ("ով", "ովքեր"):
            out.append("vo")
        elif ch in _TABLE:
            out.append(_TABLE[ch][column])
        else:
            out.append(ch)
        i += 1
    latin = "".join(out)
    if style == "news" and ending == "ian" and low.endswith("յան") and len(low) > 4:
        latin = latin[:-3] + "ian"
    return _case_like(latin, word)


def _case_like(latin: str, word: str) -> str:
    letters = [c for c in word if c.isalpha()]
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return latin.upper()
    if word[:1].isupper():
        return latin[:1].upper() + latin[1:]
    return latin


# -- telling spellings of one name apart -----------------------------------------------------------
_FOLDS = [
    (re.compile(r"[ʼʻ'’`]"), ""),
    (re.compile(r"(?<=[^aeiou])ian\b"), "yan"),  # Pashinian -> Pashinyan
    (re.compile(r"(?<=[aeiou])ian\b"), "yan"),  # Mirzoian -> Mirzoyan
    (re.compile(r"ou"), "u"),  # Tsaroukian -> Tsarukyan
    (re.compile(r"\bye"), "e"),  # Yerevan / Erevan
    (re.compile(r"\bvo"), "o"),  # Voskanyan / Oskanyan
    (re.compile(r"tch"), "ch"),
    (re.compile(r"dj"), "j"),
    (re.compile(r"tz"), "ts"),
    (re.compile(r"x"), "kh"),
    (re.compile(r"ë|ĕ"), "y"),
    (re.compile(r"rr"), "r"),
    (re.compile(r"(.)\1"), r"\1"),  # doubled letters
    (re.compile(r"ē"), "e"),
    (re.compile(r"ō"), "o"),
]


@lru_cache(maxsize=65536)
def fold(spelling: str) -> str:
    """A key shared by the Latin spellings of one Armenian name that differ only in how they
    transliterate (`Pashinian`, `Pashinyan`; `Erevan`, `Yerevan`; `Tsaroukian`, `Tsarukyan`;
    `Mirzoian`, `Mirzoyan`), and not by another name (`Trump` and `Tramp` differ)."""
    text = spelling.lower().strip()
    if has_armenian(text):
        text = romanize(text, "news", conventional=False).lower()
    for pattern, replacement in _FOLDS:
        text = pattern.sub(replacement, text)
    return text


def same_name(a: str, b: str) -> bool:
    """Two spellings of one name, transliterated differently (see `fold`)."""
    return fold(a) == fold(b)


# -- back into Armenian ---------------------------------------------------------------------------
# Latin -> Armenian where one letter is the only choice; None where Armenian has two (t: տ|թ).
_REVERSE = [
    ("zh", "ժ"), ("kh", "խ"), ("gh", "ղ"), ("sh", "շ"), ("dz", "ձ"), ("ts", None), ("ch", None),
    ("yev", "և"), ("ev", "և"), ("ye", "ե"), ("vo", "ո"), ("u", "ու"), ("ou", "ու"),
    ("a", "ա"), ("b", "բ"), ("g", "գ"), ("d", "դ"), ("e", "ե"), ("z", "զ"), ("i", "ի"), ("l", "լ"),
    ("h", "հ"), ("m", "մ"), ("y", "յ"), ("n", "ն"), ("o", "ո"), ("j", "ջ"), ("s", "ս"), ("v", "վ"),
    ("r", "ր"), ("f", "ֆ"), ("t", None), ("k", None), ("p", None), ("c", None), ("q", None),
    ("w", None), ("x", "խ"),
]


def to_armenian(name: str, *, known: dict[str, str] | None = None) -> str | None:
    """The Armenian spelling of an English spelling of an Armenian name, or None when it is
    ambiguous (`t` is `տ` or `թ`, `k` is `կ` or `ք`, ...).

    A name in `known` (fold -> Armenian: the glossary, the lexicon, the run's names) is
    taken from there; a surname whose stem is known is that stem + `յան`
    (`Petrosyan` -> `Պետրոսյան`); otherwise a spelling with no ambiguous letter is spelled
    out letter by letter (`Zhirayr` -> `Ժիրայր`).
    """
    from pipeline.names.lexicon import lexicon

    table = dict(lexicon().by_fold)
    if known:
        table.update(known)
    words = name.split()
    out = []
    for word in words:
        armenian = _one_word(word, table)
        if armenian is None:
            return None
        out.append(armenian)
    return " ".join(out)


def _one_word(word: str, table: dict[str, str]) -> str | None:
    key = fold(word)
    if key in table:
        return table[key]
    if key.endswith("yan") and key[:-3] in table and not table[key[:-3]].endswith("յան"):
        return table[key[:-3]] + "յան"
    low = word.lower()
    if low.endswith("ian"):
        low = low[:-3] + "yan"
    out = []
    i = 0
    while i < len(low):
        for latin, armenian in _REVERSE:
            if low.startswith(latin, i):
                if armenian is None:
                    return None
                if latin in ("ye", "vo") and i > 0 and low[i - 1] not in "aeiou":
                    continue  # `ye`/`vo` only start a word or follow a vowel
                if latin == "e" and i == 0:
                    armenian = "է"
                if latin == "o" and i == 0:
                    armenian = "օ"
                out.append(armenian)
                i += len(latin)
                break
        else:
            return None
    text = "".join(out)
    return text[:1].upper() + text[1:] if word[:1].isupper() else text
