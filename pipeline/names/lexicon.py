"""The names targman knows without a glossary (`armenian_names.txt`, package data).

Given names, surnames and places in their dictionary form, some with the conventional
English spelling news uses (`Էջմիածին` -> `Etchmiadzin`). `names find` uses them to tell a
name at the start of a sentence from a capitalised common word, to choose a lemma
(`Գյումրին` is `Գյումրի` + `ն`, not `Գյումր` + `ին`) and a type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pipeline.glossary.normalise import key

LEXICON_FILE = Path(__file__).with_name("armenian_names.txt")
# Surname endings (`-յան`, `-յանց`, `-ունի`, `-ենց`): a capitalised word with one is a person.
SURNAME_ENDINGS = ("յան", "յանց", "ունի", "ենց", "ոնց", "յանս")
KINDS = {"given": "person", "surname": "person", "place": "place"}


@dataclass
class Lexicon:
    """Known names by their key (`normalise.key`): type, dictionary form, English spelling."""

    types: dict[str, str] = field(default_factory=dict)  # key -> person | place
    forms: dict[str, str] = field(default_factory=dict)  # key -> the name as written in the list
    english: dict[str, str] = field(default_factory=dict)  # key -> conventional English spelling
    given: set[str] = field(default_factory=set)
    by_fold: dict[str, str] = field(default_factory=dict)  # folded Latin spelling -> Armenian

    def type_of(self, lemma: str) -> str | None:
        return self.types.get(key(lemma))


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    from pipeline.names.romanize import fold, romanize

    found = Lexicon()
    section = "given"
    for number, line in enumerate(LEXICON_FILE.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line.strip("[] ")
            continue
        name, _, english = line.partition("\t")
        k = key(name)
        found.types.setdefault(k, KINDS.get(section, "other"))
        found.forms.setdefault(k, name)
        if section == "given":
            found.given.add(k)
        if english:
            found.english[k] = english.strip()
    for k, name in found.forms.items():
        found.by_fold.setdefault(fold(romanize(name, conventional=False)), name)
        if k in found.english:
            found.by_fold.setdefault(fold(found.english[k]), name)
    return found


def conventional_spelling(word: str) -> str | None:
    """The English spelling news uses for a known place (`Էջմիածին` -> `Etchmiadzin`), or None."""
    return lexicon().english.get(key(word))
