"""Armenian names in Latin letters, the desk's way, and back where that is unambiguous.

Styles (`STYLES`), the tables those of tetrak-translit (library first):
- `news` (the default, and what runs use): BGN/PCGN as English-language news writes it: no
  apostrophes for the aspirates, `r` for both r's, `ye`/`vo` at the start of a word, `u` for
  `ու`, `ev`/`yev` for `և` (`yev` after a vowel too: `Aliyev`): `Փաշինյան` -> `Pashinyan`,
  `Երևան` -> `Yerevan`, `Ոսկանյան` -> `Voskanyan`. It is tetrak-translit's BGN/PCGN table with
  the apostrophes and the double `rr` taken out. A place with a conventional English name
  (`Էջմիածին` -> `Etchmiadzin`, `Հայաստան` -> `Armenia`) takes it (`lexicon`). With
  `surname_ending="ian"` a surname's `-յան` is written `-ian` (`Pashinian`).
- `bgn`: BGN/PCGN 1981 as published (`Pʼashinyan`, `Tsarrukyan`);
- `ala-lc`: the Library of Congress table, 2022 (`Pʻashinyan`, `Tsaṛukyan`);
- `iso9985`: ISO 9985, letter for letter and reversible (`P'ašinyan`, `Caṙowkyan`).

Compared before choosing (docs/names.md): tetrak-translit's schemes and ICU's
`Armenian-Latin` and `Armenian-Latin/BGN` transforms (PyICU). None writes the news style as
it is (apostrophes, `rr`, ICU's `Pʻašinyan`); tetrak-translit's BGN/PCGN table is one step
from it and its `fold` tells spellings of one name apart, so both come from there.
"""

from __future__ import annotations

import dataclasses
import re
from functools import lru_cache

STYLES = ("news", "bgn", "ala-lc", "iso9985")
ENDINGS = ("yan", "ian")
_SCHEMES = {"bgn": "bgn_pcgn", "ala-lc": "ala_lc", "iso9985": "iso_9985"}

_ARMENIAN = re.compile(r"[\u0531-\u0556\u0561-\u0587]")
_VOWELS = "աեէըիոօ"


def has_armenian(text: str) -> bool:
    return bool(_ARMENIAN.search(text))


@lru_cache(maxsize=None)
def _tt():
    try:
        import tetrak_translit
    except ImportError:  # a core dependency; only a broken install lacks it
        from pipeline.errors import ConfigError

        raise ConfigError("romanizing names needs tetrak-translit: pip install tetrak-translit") from None
    return tetrak_translit


@lru_cache(maxsize=None)
def _scheme(style: str):
    tt = _tt()
    if style != "news":
        return _SCHEMES[style]
    bgn = tt.SCHEMES["hy/bgn_pcgn"]
    letters = {k: v.replace("'", "").replace("ʼ", "").replace("rr", "r") for k, v in bgn.letters.items()}
    return dataclasses.replace(bgn, key="news", name="news (BGN/PCGN without apostrophes)", letters=letters)


@lru_cache(maxsize=65536)
def romanize(text: str, style: str = "news", *, surname_ending: str = "yan", conventional: bool = True) -> str:
    """`text` (one or more words; non-Armenian characters kept) in Latin letters.

    `conventional`: in the news style, a name the lexicon knows by a conventional English
    spelling takes it. Capitals follow the Armenian: `Փաշինյան` -> `Pashinyan`,
    `ՓԱՇԻՆՅԱՆ` -> `PASHINYAN`.
    """
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; one of {', '.join(STYLES)}")
    if style == "news" and conventional and " " in text:
        text = _known_phrases(text)
    return re.sub(r"[\u0531-\u0556\u0561-\u0587]+",
                  lambda m: _word(m.group(0), style, surname_ending, conventional), text)


def _known_phrases(text: str) -> str:
    """A person or place the lexicon knows by several words takes its English name as a whole
    (`Սերժ Թանկյան` -> `Serj Tankian`, where `Սերժ` alone is `Serzh`)."""
    from pipeline.glossary.normalise import key
    from pipeline.names.lexicon import phrase_at

    words = list(re.finditer(r"[\u0531-\u0556\u0561-\u0587]+", text))
    out, last, i = [], 0, 0
    while i < len(words):
        run = [words[i]]  # the words that follow one another with one space between
        while i + len(run) < len(words) and text[run[-1].end():words[i + len(run)].start()] == " ":
            run.append(words[i + len(run)])
        found = phrase_at([key(m.group(0)) for m in run]) if len(run) > 1 else None
        if found is None:
            i += 1
            continue
        n, _, english = found
        written = text[run[0].start():run[n - 1].end()]
        out.append(text[last:run[0].start()] + _case_like(" ".join(english), written))
        last, i = run[n - 1].end(), i + n
    return "".join(out) + text[last:]


@lru_cache(maxsize=65536)
def _word(word: str, style: str, ending: str, conventional: bool) -> str:
    if style == "news" and conventional:
        from pipeline.names.lexicon import conventional_spelling

        known = conventional_spelling(word)
        if known:
            return _case_like(known, word)
    latin = _tt().transliterate(word, _scheme(style), script="hy")
    if style != "news":
        return latin
    low = word.lower()
    if "և" in low[1:]:  # `yev` after a vowel (Ալիև -> Aliyev), as news writes it
        latin = _after_vowel_yev(low, latin)
    if ending == "ian" and low.endswith("յան") and len(low) > 4:
        latin = latin[:-3] + ("IAN" if latin[-3:].isupper() else "ian")
    return latin


def _after_vowel_yev(low: str, latin: str) -> str:
    out, i = latin, 0
    for at, ch in enumerate(low):
        if ch == "և" and at > 0 and low[at - 1] in _VOWELS:
            i = out.lower().find("ev", i)
            if i < 0:
                break
            out = out[:i] + ("Y" if out[i].isupper() else "y") + out[i:]
            i += 3
    return out


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
    (re.compile(r"tch"), "ch"),  # Etchmiadzin / Echmiadzin
    (re.compile(r"(.)\1"), r"\1"),  # doubled letters: Hovhanisyan / Hovhannisyan
]


@lru_cache(maxsize=65536)
def fold(spelling: str) -> str:
    """A key shared by the spellings of one Armenian name that differ only in how they
    transliterate (`Pashinian`, `Pashinyan`, `Փաշինյան`; `Erevan`, `Yerevan`; `Tsaroukian`,
    `Tsarukyan`; `Mirzoian`, `Mirzoyan`), and not by another name (`Trump`, `Tramp`):
    tetrak-translit's `fold`, which reads Latin in any of the romanizations."""
    text = spelling.strip()
    if not text:
        return ""
    for pattern, replacement in _FOLDS[:2]:
        text = pattern.sub(replacement, text.lower() if not has_armenian(text) else text)
    text = _tt().fold(text, script="hy")
    return _FOLDS[2][0].sub(_FOLDS[2][1], text)


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
    table = dict(known_by_fold())
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


@lru_cache(maxsize=1)
def known_by_fold() -> dict[str, str]:
    """The lexicon's names by their folded Latin spellings (the desk's romanization and the
    conventional English one) -> Armenian: the reverse direction's table. Built here, from the
    lexicon, so that the lexicon needs no romanization to load."""
    from pipeline.names.lexicon import lexicon

    lex = lexicon()
    table: dict[str, str] = {}
    for k, name in lex.forms.items():
        table.setdefault(fold(romanize(name, conventional=False)), name)
        if k in lex.english:
            table.setdefault(fold(lex.english[k]), name)
    for english, word in lex.person_words.items():  # `Tankian` -> `Թանկյան`, not `Ivan` -> `Հովհաննես`
        folded = fold(english)
        if folded[:1] == fold(romanize(word, conventional=False))[:1]:
            table.setdefault(folded, word)
    return table
