"""Find glossary terms in running text, in time linear in the text.

The index is a flat dictionary from normalised key prefixes (cut at token ends) to the
entries whose stem ends there. Scanning starts at each token, extends token by token while
the prefix is known, and at each word end also looks up the stem with an inflectional
ending cut off (`մոսկվայում` -> `մոսկվա` + `յում`). Work per text position is bounded by
the longest term, not by the size of the glossary; memory holds stems, never the expanded
inflected forms. Leftmost match wins, and at one start the longest.

Case: acronyms and concepts with option `case` match only as written; names (person,
org, place) must begin with a capital where the glossary term does (so `fine china`, a
turkey dinner and Armenian `իրանի` "of the torso" are not China, Turkey and Iran); the
rest of a name and common terms match in any case (`ARARAT MIRZOYAN SAYS`, `Միացյալ
նահանգները`). Option `nocase` lifts both restrictions.
"""

from __future__ import annotations

import gc
import re
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from pipeline.glossary import armenian, english
from pipeline.glossary.normalise import cased_key, key, normalise

if TYPE_CHECKING:
    from pipeline.glossary.model import Concept, Glossary, Term

TOKEN = re.compile(r"(?:[^\W_]|[\u0300-\u036f])+|\S")
_WORD_LEADING = re.compile(r"^(?:[^\W_]|[\u0300-\u036f])+")
_ARMENIAN_LETTER = re.compile(r"[\u0531-\u0556\u0561-\u0587]")
_PREFIX: tuple[()] = ()  # index value for a prefix that no stem ends at
NAMES = ("person", "org", "place")  # written with a capital: `china`, `իրան` (torso) are not names


@dataclass(frozen=True)
class Match:
    """A glossary term found in a text; `start`/`end` are offsets in the original text."""

    start: int
    end: int
    surface: str  # the text as written, inflection included
    concept: str  # concept id
    term: str  # the glossary term it matched
    status: str  # preferred | variant | forbidden
    kind: str  # full | short

    def to_row(self) -> dict:
        return asdict(self)


@contextmanager
def paused_gc():
    """Pause the cyclic garbage collector while building 10^5-10^6 small objects.

    Nothing built here forms reference cycles that need collecting, and repeated full
    collections over the growing structure roughly double the load time otherwise.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def paradigm(term: Term, concept: Concept) -> list[tuple[str, tuple[str, ...]]]:
    """(stem, endings) pairs for a term in its language."""
    if term.lang == "hy":
        return armenian.paradigm(term.text, ctype=concept.type,
                                 forms=concept.stated_forms("hy", term.text))
    if term.lang == "en":
        return english.paradigm(term.text, plural=concept.type == "term")
    return [(term.text, ("",))]


def _isword(ch: str) -> bool:
    return ch.isalnum() or "\u0300" <= ch <= "\u036f"


class Matcher:
    """All terms of one language of a glossary, ready to `find()` in text."""

    def __init__(self, glossary: Glossary, lang: str):
        self.glossary = glossary
        self.lang = lang
        self._index: dict[str, list[Any] | tuple[()]] = {}
        self._fragments: set[str] = set()
        self._max_tokens = 1
        with paused_gc():
            self._build(glossary, lang)
        self._lengths = sorted({len(f) for f in self._fragments})

    def _build(self, glossary: Glossary, lang: str) -> None:
        # endings tuple -> (all word-character endings as a set, the others): a word ending
        # is looked up, not scanned for (an Armenian paradigm has some 50 endings)
        interned: dict[tuple, tuple] = {}
        for concept in glossary.concepts.values():
            for term in concept.terms.get(lang, ()):
                sensitive = concept.case_sensitive(term)
                for stem, endings in paradigm(term, concept):
                    split = interned.get(endings)
                    if split is None:
                        for ending in endings:
                            leading = _WORD_LEADING.match(ending)
                            if leading:
                                self._fragments.add(leading.group())
                        letters = frozenset(e for e in endings if all(map(_isword, e)))
                        split = interned[endings] = (letters, tuple(e for e in endings if e not in letters))
                    cased = cased_key(stem) if sensitive else None
                    capital = (not sensitive and concept.type in NAMES and "nocase" not in concept.options
                               and term.text[:1].isupper())
                    self._add(key(stem), (concept.id, term, split, cased, capital))

    def _add(self, stem_key: str, entry: tuple) -> None:
        words = stem_key.split(" ")
        if all(word.isalpha() for word in words):  # the common case, without the regex
            ends, at = [], -1
            for word in words:
                at += len(word) + 1
                ends.append(at)
        else:
            ends = [m.end() for m in TOKEN.finditer(stem_key)]
        if len(ends) > self._max_tokens:
            self._max_tokens = len(ends)
        index = self._index
        for end in ends[:-1]:
            if stem_key[:end] not in index:
                index[stem_key[:end]] = _PREFIX
        found = index.get(stem_key)
        if isinstance(found, list) and found:
            found.append(entry)
        else:
            index[stem_key] = [entry]

    def find(self, text: str) -> list[Match]:
        """Non-overlapping matches in `text`, left to right."""
        norm = normalise(text)
        folded = norm.text
        tokens = [m.span() for m in TOKEN.finditer(folded)]
        index, fragments, lengths = self._index, self._fragments, self._lengths
        matches: list[Match] = []
        i = 0
        while i < len(tokens):
            s = tokens[i][0]
            best = None
            for j in range(i, min(len(tokens), i + self._max_tokens)):
                word_start, p = tokens[j]
                hit = index.get(folded[s:p])
                if _isword(folded[p - 1]):
                    for k in lengths:
                        q = p - k
                        if q <= word_start:
                            break
                        if folded[q:p] in fragments:
                            inner = index.get(folded[s:q])
                            if inner:
                                best = self._best(best, inner, norm, s, q, p)
                if hit is None:
                    break
                if hit:
                    best = self._best(best, hit, norm, s, p, p if _isword(folded[p - 1]) else None)
            if best is None:
                i += 1
                continue
            end, entry = best
            matches.append(self._match(norm, s, end, entry))
            while i < len(tokens) and tokens[i][0] < end:
                i += 1
        return matches

    def _best(self, best, entries, norm, s: int, q: int, word_end: int | None):
        """The longest acceptable (end, entry) for stems ending at `q`, or `best`.

        `word_end`: where the word that `q` is in (or ends) ends, when `q` follows a word
        character; an ending of word characters can then only be `folded[q:word_end]`.
        """
        folded = norm.text
        n = len(folded)
        for entry in entries:
            cased = entry[3]
            if cased is not None:
                a, b = norm.span(s, q)
                if cased_key(norm.original[a:b]) != cased:
                    continue
            elif entry[4] and norm.original[norm.span(s, s + 1)[0]].islower():
                continue
            letters, others = entry[2]
            if word_end is None:
                others = tuple(letters) + others  # after punctuation (`U.S.`): try them all
            elif (best is None or word_end > best[0]) and folded[q:word_end] in letters and not (
                    self.lang == "hy" and self._unknown_hyphen_suffix(norm, word_end)):
                best = (word_end, entry)
            for ending in others:
                end = q + len(ending)
                if best is not None and end <= best[0]:
                    continue
                if not folded.startswith(ending, q):
                    continue
                if end < n and _isword(folded[end - 1]) and _isword(folded[end]):
                    continue
                if self.lang == "hy" and self._unknown_hyphen_suffix(norm, end):
                    continue
                best = (end, entry)
        return best

    @staticmethod
    def _unknown_hyphen_suffix(norm, end: int) -> bool:
        """`ՀԱՊԿ-ական`: a hyphen and a lower-case Armenian ending we do not know."""
        folded = norm.text
        if end + 1 >= len(folded) or folded[end] != "-" or not _ARMENIAN_LETTER.match(folded[end + 1]):
            return False
        a, _ = norm.span(end + 1, end + 2)
        return norm.original[a].islower()

    @staticmethod
    def _match(norm, s: int, end: int, entry) -> Match:
        a, b = norm.span(s, end)
        concept_id, term = entry[0], entry[1]
        return Match(a, b, norm.original[a:b], concept_id, term.text, term.status, term.kind)
