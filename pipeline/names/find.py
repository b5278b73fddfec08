"""Names in Armenian and English text: where they are, their lemma, and their spelling in each language.

Armenian capitalises proper nouns only, so a capitalised word inside a sentence is a name;
at the start of a sentence, in capitals, or inside quotes («...» starts quoted speech) a
word is a name only when the desk knows it: the glossary, the lexicon of Armenian names
(`lexicon`), a surname ending (`-յան`, `-յանց`, `-ունի`, ...), an initial before it
(`Ս. Դիլանյանը`), or the same name written with a capital inside a sentence elsewhere in
the input. The lemma comes from the glossary's inflection rules (`glossary.armenian`) run
backwards: each way of cutting the word into a stem and an ending that the paradigm of the
stem allows is a candidate, and the known, then the evidenced, then the shortest stem wins
(`Փաշինյանին` -> `Փաշինյան`, `Երևանում` -> `Երևան`, `Բաքվում` -> `Բաքու`, `Գյումրին` ->
`Գյումրի`). Armenian names are one record a word (a glossary match, one a match).

English capitalises more (titles, the first word of a sentence, months): a name is a run of
capitalised words (with `of`, `de`, `al-`, ... inside), without the titles before it, and
the first word of a sentence only when the text capitalises it elsewhere or the desk knows it.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Iterable

from pipeline.glossary import armenian
from pipeline.glossary.normalise import key as _plain_key
from pipeline.names.lexicon import SURNAME_ENDINGS, lexicon, phrase_at
from pipeline.names.romanize import fold, known_by_fold, romanize, to_armenian

TYPES = ("person", "place", "org", "other")
key = lru_cache(maxsize=65536)(_plain_key)  # the same words come back in every document
_HY_WORD = re.compile(r"[\u0531-\u0556\u0561-\u0587]+(?:-[\u0531-\u0556\u0561-\u0587]+)*")
_EN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+(?:['’\-][A-Za-z\u00c0-\u024f]+)*")
_SENTENCE_END = set("։.?!…:;")
_OPENERS = set("«\"“„'‘([—–-")
_HY_UPPER = re.compile(r"[\u0531-\u0556]")
# Capitalised in fixed titles (`Ամենայն Հայոց կաթողիկոս`, `Հայոց ցեղասպանություն`) but a word for
# a people, not a name: the Armenian side of English's lone demonyms.
HY_NOT_NAMES = {"հայոց"}


@dataclass
class Name:
    """One name occurrence; `start`/`end` are offsets in its line (end exclusive)."""

    line: int
    start: int
    end: int
    text: str
    lemma: str
    en: str | None
    hy: str | None
    type: str
    concept: str | None = None

    def to_row(self) -> dict:
        return asdict(self)


def _sentence_start(text: str, start: int) -> bool:
    """Nothing but openers and spaces since the start of the line or the last sentence end
    (a `.` after a one-letter initial, `Ս.` or `J.`, ends no sentence)."""
    i = start - 1
    while i >= 0 and (text[i].isspace() or text[i] in _OPENERS):
        i -= 1
    if i < 0:
        return True
    if text[i] not in _SENTENCE_END:
        return False
    if text[i] == "." and i >= 1 and text[i - 1].isupper() and (i < 2 or not text[i - 2].isalpha()):
        return False  # an initial
    return True


def _after_quote(text: str, start: int) -> bool:
    i = start - 1
    while i >= 0 and text[i].isspace():
        i -= 1
    return i >= 0 and text[i] in "«\"“„"


def _capitalised(word: str) -> str:
    return word[:1].upper() + word[1:].lower()


# -- Armenian ------------------------------------------------------------------------------------
class ArmenianLemmas:
    """Lemma candidates of Armenian words, scored by what the desk knows."""

    def __init__(self, known: set[str] | None = None):
        self.known = _Known(known or set(), lexicon().types)  # keys of lemmas the desk knows (glossary, lexicon)
        self.bare: set[str] = set()  # keys of capitalised words seen in the input
        self._cache: dict[str, str] = {}

    def lemma(self, word: str) -> str:
        """The dictionary form of a capitalised Armenian word, capitalised (`ՀՈՎՀԱՆՆԻՍՅԱՆԻՆ` ->
        `Հովհաննիսյան`)."""
        found = self._cache.get(word)
        if found is None:
            found = self._cache[word] = _restore(word, self._best(word))
        return found

    def _best(self, word: str) -> str:
        low = unicodedata.normalize("NFC", word).lower()
        if "-" in low:  # `ՀԱՊԿ-ի`, `Տեր-Պետրոսյանը`: the ending is after the last part's stem
            head, _, last = low.rpartition("-")
            if armenian.is_acronym(word.rpartition("-")[0]) or last in {e.lstrip("-") for e in armenian._ACRONYM}:
                return head
            return head + "-" + self._best(last)
        best, best_score = low, self._score(low, "")
        for candidate, ending, literal in _analyses(low):
            score = self._score(candidate, ending, literal)
            if score > best_score:
                best, best_score = candidate, score
        return best

    @staticmethod
    def candidates(stem: str, ending: str) -> Iterable[str]:
        if stem[-2:] in ("այ", "ոյ") and ending[:1] in "աեէըիոօու":
            yield stem[:-1]  # the glide of a stem in a vowel (Տորոնտո -> Տորոնտոյում), before the stem as cut
        yield stem
        if ending.startswith("ու"):
            yield stem + "ի"  # Լոռու -> Լոռի (the u-genitive of a name in -ի)
        if stem.endswith("վ"):
            yield stem[:-1] + "ու"  # Բաքվում -> Բաքու
        if stem.endswith("յ"):
            yield stem[:-1]
        run = re.search(r"[բգդզթժլխծկհձղճմյնշչպջռսվտրցփքֆ]{2,}$", stem)
        if run:  # a reduced stem: Սարգս -> Սարգիս
            for at in range(run.start() + 1, len(stem)):
                yield stem[:at] + "ի" + stem[at:]
                yield stem[:at] + "ու" + stem[at:]

    def _score(self, candidate: str, ending: str, literal: bool = True) -> float:
        score = 0.0
        candidate = key(candidate)
        if candidate in self.known:
            score += 8
        elif candidate in self.bare and ending and not _looks_declined(candidate):
            score += 4  # (`Սինգապուրի` seen capitalised is not the lemma of `Սինգապուրում`)
        if is_surname(candidate):
            score += 5
        if ending and not (candidate in self.known or candidate in self.bare):
            if not literal and not (ending.startswith("ու") and is_surname(candidate)):
                return -1.0  # a reduced or changed stem the desk does not know is a guess too far
                # (but a surname in -ի takes -ու as a place in -ի does: Մելիաշվիլու -> Մելիաշվիլի)
            score += {"ն": -0.5, "ա": -1.5, "ս": -1.0, "դ": -1.0}.get(ending, 1.0)
        score -= len(ending) * 0.01 if candidate in self.known else 0
        return score


class _Known:
    """The glossary's lemmas and the lexicon's, without copying the lexicon for every finder."""

    def __init__(self, extra: set[str], base):
        self.extra, self.base = extra, base

    def __contains__(self, item: str) -> bool:
        return item in self.extra or item in self.base


_CASE_ENDINGS = ("ի", "ու", "ից", "ում", "ով", "ը")


@lru_cache(maxsize=65536)
def _looks_declined(low: str) -> bool:
    """A word that is itself a stem the paradigms allow + a case ending (`սինգապուրի`)."""
    return any(literal and ending in _CASE_ENDINGS for _, ending, literal in _analyses(low))


@lru_cache(maxsize=65536)
def _analyses(low: str) -> tuple[tuple[str, str, bool], ...]:
    """Every (lemma, ending, literal) the paradigms allow for a lower-case word: a pure function
    of the word, so it is worked out once per word (what the desk knows only scores them)."""
    found = []
    for cut in range(1, min(len(low) - 1, 7)):
        stem, ending = low[:-cut], low[-cut:]
        for candidate in ArmenianLemmas.candidates(stem, ending):
            if _takes(candidate, low):
                found.append((candidate, ending, low.startswith(candidate)))
    return tuple(found)


def is_surname(lemma: str) -> bool:
    """`Փաշինյան`, `Մակունց`, `Բագրատունի`, `Կոբախիձե`; not `կառավարության` (the genitive of
    `-ություն`), `օդանավակայան` (a station) or `ամերիկյան` (the adjective of a place the desk
    knows, `Ամերիկա`)."""
    lemma = key(lemma)
    if len(lemma) <= 4 or not lemma.endswith(SURNAME_ENDINGS) or lemma.endswith(("ության", "ությանց", "կայան")):
        return False
    return not (lemma.endswith("յան") and lexicon().type_of(lemma[:-3] + "ա") == "place")


def _restore(word: str, lemma: str) -> str:
    """The lemma written as the word is: `Տեր-Պետրոսյանի` -> `Տեր-Պետրոսյան`; a word in capitals
    gives a capitalised lemma (`ՀՈՎՀԱՆՆԻՍՅԱՆԻՆ` -> `Հովհաննիսյան`)."""
    if armenian.is_acronym(word.replace("-", "")):
        return "-".join(_capitalised(part) for part in lemma.split("-"))
    if word.lower().startswith(lemma):
        return word[:len(lemma)]
    return "-".join(word.split("-")[:-1] + [_capitalised(lemma.split("-")[-1])]) if "-" in word else _capitalised(lemma)


def _takes(lemma: str, form: str) -> bool:
    """`form` is `lemma` with one of the endings its paradigm allows (source side)."""
    for ctype in ("place", "person"):
        for stem, endings in armenian.paradigm(lemma, ctype=ctype):
            if form.startswith(stem) and form[len(stem):] in endings:
                return True
    return False


class NameFinder:
    """Finds names in lines of one language, with what the desk knows: a glossary (optional),
    the lexicon, and the names the input itself capitalises."""

    def __init__(self, glossary=None, *, surname_ending: str = "yan"):
        self.glossary = glossary
        self.surname_ending = surname_ending
        self._matchers: dict = {}
        known: set[str] = set()
        self._by_fold: dict[str, str] = {}
        if glossary is not None:
            for concept in glossary.concepts.values():
                if concept.type == "term":
                    continue
                for term in concept.terms.get("hy", ()):
                    for word in term.text.split():
                        known.add(key(word))
                en, hy = concept.preferred("en"), concept.preferred("hy")
                if en and hy and len(en.text.split()) == len(hy.text.split()):
                    for e, h in zip(en.text.split(), hy.text.split()):
                        self._by_fold.setdefault(fold(e), h)
        self.known = known

    def matcher(self, lang: str):
        if self.glossary is None or lang not in self.glossary.languages:
            return None
        if lang not in self._matchers:
            from pipeline.glossary import Matcher

            self._matchers[lang] = Matcher(self.glossary, lang)
        return self._matchers[lang]

    def find(self, lines: list[str], lang: str | None = None) -> list[Name]:
        """Every name in `lines` (one input, so a name seen in one line helps in another);
        `lang` None: each line's script decides."""
        if lang is None:
            hy = sum(1 for line in lines for _ in _HY_WORD.finditer(line))
            en = sum(1 for line in lines for _ in _EN_WORD.finditer(line))
            lang = "hy" if hy >= en else "en"
        return self._armenian(lines) if lang == "hy" else self._english(lines)

    # -- glossary ----------------------------------------------------------------------------
    def _glossary_names(self, number: int, line: str, lang: str) -> list[Name]:
        matcher = self.matcher(lang)
        if matcher is None:
            return []
        found = []
        for match in matcher.find(line):
            concept = self.glossary.concepts[match.concept]
            if concept.type == "term":
                continue
            en = concept.preferred("en", match.kind)
            hy = concept.preferred("hy", match.kind)
            lemma = match.term if lang == "en" or concept.dnt else (hy.text if hy and match.status == "preferred" else match.term)
            found.append(Name(number, match.start, match.end, match.surface, lemma,
                              en.text if en else None, hy.text if hy else None, concept.type, concept.id))
        return found

    # -- Armenian ----------------------------------------------------------------------------
    def _armenian(self, lines: list[str]) -> list[Name]:
        lemmas = ArmenianLemmas(self.known)
        tokens = []  # (number, line, match, sentence start, after quote, all caps)
        lower: set[str] = set()  # words the input writes in small letters, read when first needed
        for number, line in enumerate(lines, 1):
            for m in _HY_WORD.finditer(line):
                word = m.group(0)
                if not _HY_UPPER.match(word):
                    continue
                caps = armenian.is_acronym(word.split("-")[0])
                start = _sentence_start(line, m.start()) or _after_quote(line, m.start())
                tokens.append((number, line, m, start, caps))
                if not start and not caps:
                    lemmas.bare.add(key(word))
        evidence: set[str] = set()  # lemmas capitalised inside a sentence somewhere in the input
        for number, line, m, start, caps in tokens:
            if not start and not caps and not _is_initial(line, m):
                evidence.add(key(lemmas.lemma(m.group(0))))
        names: list[Name] = []
        known = lemmas.known
        for number, line in enumerate(lines, 1):
            names += self._glossary_names(number, line, "hy")
        covered = {(n.line, i) for n in names for i in range(n.start, n.end)}
        phrases = _phrases(tokens, lemmas)
        person_next: set[tuple[int, int]] = set()
        for number, line, m, start, caps in tokens:
            if (number, m.start()) in covered:
                continue
            word = m.group(0)
            if key(word) in HY_NOT_NAMES:
                continue
            phrase = phrases.get((number, m.start()))
            if phrase is not None:  # a person or place the lexicon knows by several words
                ctype, english, last = phrase
                lemma = lemmas.lemma(word) if last else _restore(word, unicodedata.normalize("NFC", word).lower())
                names.append(Name(number, m.start(), m.end(), word, lemma, english, lemma, ctype, None))
                continue
            if _is_initial(line, m):
                nxt = _next_word_start(line, m.end())
                person_next.add((number, nxt))
                if nxt >= 0 and _HY_UPPER.match(line[nxt:nxt + 1]):
                    text = line[m.start():m.end() + 1]
                    names.append(Name(number, m.start(), m.end() + 1, text, text,
                                      romanize(text, surname_ending=self.surname_ending), text, "person", None))
                continue
            if len(word.split("-")[0]) == 1:
                continue  # `Գարեգին Բ-ն`: a numeral letter
            if caps and len(word.split("-")[0]) <= 4 and not word.endswith(tuple(e.upper() for e in SURNAME_ENDINGS)):
                lemma_key = key(lemmas.lemma(word))
                if lemma_key not in known:
                    continue  # an acronym the glossary does not know (ՀՀ, ԱԺ)
            lemma = lemmas.lemma(word)
            lk = key(lemma)
            initial = (number, m.start()) in person_next
            surname = is_surname(lk)
            if start and not caps and surname and not (lk in known or initial or lk in evidence) \
                    and _written_small(lines, lower, word, lemma):
                continue  # `Արևմտյան`, `Պաշտոնյաները`: a -յան word the input writes in small letters too
            if start and not caps and not (lk in known or surname or initial or lk in evidence):
                continue
            if caps and not (surname or initial or lk in evidence or lk in self.known
                             or lexicon().type_of(lk) == "place"):
                continue  # a headline in capitals: only names the input, the glossary or the places list shows, or surnames
            ctype = lexicon().type_of(lemma) or (
                "person" if surname or initial
                else "place" if key(word).endswith("ում") and lk != key(word) else "other")
            names.append(Name(number, m.start(), m.end(), word, lemma,
                              romanize(lemma, surname_ending=self.surname_ending), lemma, ctype, None))
        names.sort(key=lambda n: (n.line, n.start))
        _given_before_surname(names, known, lines, self.surname_ending)
        _same_person(names, phrases)
        return names

    # -- English -----------------------------------------------------------------------------
    def _english(self, lines: list[str]) -> list[Name]:
        inside: set[str] = set()  # words the text capitalises inside a sentence
        for line in lines:
            for m in _EN_WORD.finditer(line):
                if m.group(0)[:1].isupper() and not _sentence_start(line, m.start()):
                    inside.add(_strip_possessive(m.group(0)))
        names: list[Name] = []
        for number, line in enumerate(lines, 1):
            found = self._glossary_names(number, line, "en")
            covered = {i for n in found for i in range(n.start, n.end)}
            names += found
            for start, end in _english_runs(line):
                if any(i in covered for i in range(start, end)):
                    continue
                words = list(_EN_WORD.finditer(line, start, end))
                while words and (words[0].group(0) in TITLES or (
                        _sentence_start(line, words[0].start()) and not self._english_known(words[0].group(0), inside))):
                    words.pop(0)
                while words and words[0].group(0).lower() in CONNECTORS:
                    words.pop(0)
                if not words:
                    continue
                s, e = words[0].start(), words[-1].end()
                text = line[s:e]
                lemma = _strip_possessive(text)
                if lemma in NOT_NAMES or len(lemma) == 1 or (len(words) == 1 and lemma in DEMONYMS):
                    continue
                e = s + len(lemma) if text.startswith(lemma) else e
                hy = self._to_armenian(lemma)
                names.append(Name(number, s, e, line[s:e], lemma, lemma, hy, _english_type(lemma, hy), None))
        names.sort(key=lambda n: (n.line, n.start))
        return names

    def _english_known(self, word: str, inside: set[str]) -> bool:
        word = _strip_possessive(word)
        return word in inside or fold(word) in self._by_fold or fold(word) in known_by_fold()

    def _to_armenian(self, name: str) -> str | None:
        return to_armenian(name, known=self._by_fold)


def _is_initial(line: str, m: re.Match) -> bool:
    word = m.group(0)
    return len(word) == 1 and line[m.end():m.end() + 1] == "."


def _next_word_start(line: str, end: int) -> int:
    m = _HY_WORD.search(line, end + 1)
    return m.start() if m else -1


def _given_before_surname(names: list[Name], known, lines: list[str], surname_ending: str) -> None:
    """A name right before a person's surname is a given name (`Ժիրայր Սեֆիլյան`), and Armenian
    declines only the last word of a full name: `Մարտին Գալստյանը` is Martin, not `Մարտ` + `ին`
    (unless the desk knows that stem as a name)."""
    for a, b in itertools.pairwise(names):
        if a.line != b.line or b.type != "person" or lines[a.line - 1][a.end:b.start] != " " or a.concept:
            continue
        if a.type == "other":
            a.type = "person"
        if a.type == "person" and a.lemma != a.text and key(a.lemma) not in known and "-" not in a.text:
            a.lemma = a.hy = _restore(a.text, unicodedata.normalize("NFC", a.text).lower())
            a.en = romanize(a.lemma, surname_ending=surname_ending)


def _written_small(lines: list[str], lower: set[str], word: str, lemma: str) -> bool:
    """The input writes `word` or its lemma in small letters somewhere (`lower` is filled once)."""
    if not lower:
        lower.update(w for line in lines for w in _HY_WORD.findall(line) if not _HY_UPPER.match(w))
        lower.add("")  # read
    return word.lower() in lower or lemma.lower() in lower


def _phrases(tokens, lemmas: ArmenianLemmas) -> dict[tuple[int, int], tuple[str, str, bool]]:
    """(line, start) of each word of a name the lexicon knows by several words (`Սերժ Թանկյանը`,
    `Նյու Յորքում`: the words before the last as written, the last one's lemma) -> (type, its
    English word, whether it is the last word)."""
    found: dict[tuple[int, int], tuple[str, str, bool]] = {}
    if lexicon().longest < 2:
        return found
    starts = lexicon().phrase_starts
    for i, (number, line, m, _, _) in enumerate(tokens):
        if key(m.group(0)) not in starts:
            continue
        run = [m]
        for number2, line2, m2, _, _ in tokens[i + 1:i + lexicon().longest]:
            if number2 != number or line[run[-1].end():m2.start()] != " ":
                break
            run.append(m2)
        if len(run) < 2 or (number, m.start()) in found:
            continue
        for n in range(len(run), 1, -1):
            keys = [key(w.group(0)) for w in run[:n - 1]] + [key(lemmas.lemma(run[n - 1].group(0)))]
            hit = phrase_at(keys)
            if hit and hit[0] == n and len(hit[2]) == n:
                for at, (w, english) in enumerate(zip(run[:n], hit[2])):
                    found[(number, w.start())] = (hit[1], english, at == n - 1)
                break
    return found


def _same_person(names: list[Name], phrases) -> None:
    """A surname alone takes the spelling of the known person the same input names in full
    (`Սերժ Թանկյան` ... `Թանկյանի խոսքով` -> Tankian)."""
    spelled = {key(n.lemma): n.en for n in names if (n.line, n.start) in phrases and n.type == "person"
               and phrases[(n.line, n.start)][2]}
    for n in names:
        if n.concept is None and (n.line, n.start) not in phrases and key(n.lemma) in spelled:
            n.en = spelled[key(n.lemma)]


TITLES = {"President", "Prime", "Minister", "Foreign", "Deputy", "Speaker", "Mr", "Mrs", "Ms", "Dr", "Mr.",
          "General", "Secretary", "Ambassador", "Chairman", "Chairwoman", "Mayor", "Archbishop", "Catholicos",
          "Defense", "Defence", "Justice", "Parliament", "Professor", "Sen", "Senator", "Governor", "MP",
          "Premier", "Chancellor", "King", "Queen", "Pope", "Bishop", "Father", "Colonel", "Major", "Lieutenant"}
CONNECTORS = {"of", "de", "al", "the", "von", "van", "der", "bin", "la", "du", "del", "da", "and"}
NOT_NAMES = {"I", "January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
             "Saturday", "Sunday", "OK", "TV", "AM", "PM"}
DEMONYMS = {"Armenian", "Armenians", "Russian", "Russians", "Azerbaijani", "Azerbaijanis", "Turkish", "Iranian",
            "French", "German", "American", "Americans", "British", "European", "Georgian", "Ukrainian", "Chinese",
            "Soviet", "Western", "Eastern", "English", "Persian", "Kurdish", "Arab", "Arabic", "Jewish", "Christian"}
_RUN = re.compile(
    r"(?:[A-Z]\.\s+)*[A-Z\u00c0-\u00de][\w'’\-]*(?:\s+(?:(?:of|de|al-|the|von|van|der|bin|la|du|del|da)\s+)?[A-Z\u00c0-\u00de][\w'’\-]*)*"
    r"|al-[A-Z][\w'’\-]*")


def _english_runs(line: str) -> Iterable[tuple[int, int]]:
    for m in _RUN.finditer(line):
        if m.start() > 0 and (line[m.start() - 1].isalnum()):
            continue
        yield m.start(), m.end()


def _strip_possessive(text: str) -> str:
    for tail in ("'s", "’s", "'", "’"):
        if text.endswith(tail) and len(text) > len(tail) + 1:
            return text[: -len(tail)]
    return text


def _english_type(name: str, hy: str | None) -> str:
    if name.isupper() and len(name) >= 2:
        return "org"
    last = name.split()[-1]
    if fold(last).endswith("yan") or (hy and key(hy).endswith(SURNAME_ENDINGS)):
        return "person"
    if hy:
        found = lexicon().type_of(hy.split()[-1])
        if found:
            return found
    if len(name.split()) > 2 and re.search(r"\b(of|Ministry|Council|Organization|Union|Party|Bank|Court|Service)\b", name):
        return "org"
    return "other"


def find_names(lines: list[str], lang: str | None = None, glossary=None, *, surname_ending: str = "yan") -> list[Name]:
    """`NameFinder(glossary).find(lines, lang)`: the names in `lines`, in order."""
    return NameFinder(glossary, surname_ending=surname_ending).find(lines, lang)
