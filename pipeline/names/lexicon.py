"""The names targman knows without a glossary (`armenian_names.txt`, package data).

Given names, surnames and places in their dictionary form, some with the conventional
English spelling news uses (`Էջմիածին` -> `Etchmiadzin`, `Շառլ` -> `Charles`), and people
known by a spelling of their own (`Սերժ Թանկյան` -> `Serj Tankian`: a desk's house list; the
same surname of someone else keeps the desk's romanization, so these are whole names).
`names find` uses them to tell a name at the start of a sentence from a capitalised common
word, to choose a lemma (`Գյումրին` is `Գյումրի` + `ն`, not `Գյումր` + `ին`) and a type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pipeline.glossary.normalise import key

LEXICON_FILE = Path(__file__).with_name("armenian_names.txt")
# Surname endings (`-յան`, `-յանց`, `-ունի`, `-ենց`; Georgian `-ձե`, `-շվիլի`): a capitalised
# word with one is a person.
SURNAME_ENDINGS = ("յան", "յանց", "ունի", "ենց", "ոնց", "յանս", "ձե", "շվիլի")
KINDS = {"given": "person", "surname": "person", "place": "place", "foreign given": "person",
         "foreign surname": "person", "people": "person"}


@dataclass
class Lexicon:
    """Known names by their key (`normalise.key`): type, dictionary form, English spelling."""

    types: dict[str, str] = field(default_factory=dict)  # key -> person | place
    forms: dict[str, str] = field(default_factory=dict)  # key -> the name as written in the list
    english: dict[str, str] = field(default_factory=dict)  # key -> conventional English spelling
    given: set[str] = field(default_factory=set)
    person_words: dict[str, str] = field(default_factory=dict)  # English word of a [people] name -> Armenian
    # names of several words (`Սերժ Թանկյան`, `Նյու Յորք`): their words' keys -> (type, English words)
    phrases: dict[tuple[str, ...], tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    longest: int = 1  # words in the longest phrase
    phrase_starts: set[str] = field(default_factory=set)  # the keys of their first words

    def type_of(self, lemma: str) -> str | None:
        return self.types.get(key(lemma))


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    found = Lexicon()
    section = "given"
    for number, line in enumerate(LEXICON_FILE.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line.strip("[] ")
            continue
        name, _, english = line.partition("\t")
        name = name.strip()
        k = key(name)
        if " " in name and english.strip():
            words, spelled = tuple(key(w) for w in name.split()), tuple(english.split())
            found.phrases[words] = (KINDS.get(section, "other"), spelled)
            found.longest = max(found.longest, len(words))
            found.phrase_starts.add(words[0])
            if section == "people":  # its words are names (`Աղասի` of `Անդրե Աղասի`), known in context
                for word, en in zip(name.split(), spelled if len(spelled) == len(words) else ()):
                    if word[:1].isupper():
                        found.types.setdefault(key(word), "person")
                        found.forms.setdefault(key(word), word)
                        found.person_words[en] = word
            continue
        found.types.setdefault(k, KINDS.get(section, "other"))
        found.forms.setdefault(k, name)
        if section == "given":
            found.given.add(k)
        if english:
            found.english[k] = english.strip()
    return found


def conventional_spelling(word: str) -> str | None:
    """The English spelling news uses for a known name (`Էջմիածին` -> `Etchmiadzin`,
    `Շառլ` -> `Charles`), or None."""
    return lexicon().english.get(key(word))


def phrase_at(keys: list[str]) -> tuple[int, str, tuple[str, ...]] | None:
    """The longest known name of several words at the start of `keys` (the words' keys, the last
    one its lemma's): (how many words, type, English words), or None."""
    lex = lexicon()
    for n in range(min(lex.longest, len(keys)), 1, -1):
        found = lex.phrases.get(tuple(keys[:n]))
        if found:
            return n, found[0], found[1]
    return None
