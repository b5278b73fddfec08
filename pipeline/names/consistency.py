"""One spelling per name in a run: a stage after the engine, for every engine and for memory hits.

For each translated segment, the names of its source (`names.find`, one word a name) are
looked for in its translation: a word of the translation that is the same name
transliterated another way (`romanize.same_name`: `Pashinian` for `Փաշինյանին`), else the
closest by edit distance (`Trump` for `Թրամփ`). Each name gets one spelling for the whole
run (`NameBook`), chosen the first time the run sees it, in this order:

1. the glossary (its preferred term in the target language);
2. the desk's earlier decision: an editor's post-edit of that name (`edits.jsonl` of the run
   folder, or a segment the memory's human table gave this run);
3. the house spelling (the desk's romanization, or the reverse one into Armenian) when the
   engine's spelling is the same name transliterated another way (`Pashinian`, `Erevan`);
4. otherwise the engine's most frequent spelling in that window (`Trump` stays `Trump`).

Why first seen, not at the end of the run: the batch runner writes each file, and its part,
as soon as its window is translated (durable per batch, resumable). Choosing at assembly
would mean rewriting finished files behind their recorded hashes. So the choice is made when
a name first appears (with all of that window's occurrences counted, 2,000 segments by
default), kept for the rest of the run, and saved with the run state (`.targman/names.json`),
so a resumed run spells the names as the interrupted one did.

In `fix` mode every other spelling is rewritten and the segment flagged `name-normalised`
(`Pashinian → Pashinyan (Փաշինյան)`); in `flag` mode it is only flagged `name-inconsistent`.
Editors' text (`origin: human`) is never changed; its spellings are decisions.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from pipeline.glossary.normalise import key
from pipeline.names.find import _EN_WORD, _HY_WORD, _HY_UPPER, ArmenianLemmas, NameFinder, _strip_possessive
from pipeline.names.romanize import fold, romanize, same_name
from pipeline.segment import TEXT, Segment

NORMALISED = "name-normalised"
INCONSISTENT = "name-inconsistent"
REASONS = ("glossary", "editor", "house", "engine")


@dataclass
class NameEntry:
    """One name of the run: its source lemma, the spellings its translations used, the chosen one."""

    lemma: str  # as the source writes it (Armenian lemma, or the English name)
    tgt: str
    house: str | None = None  # the desk's own spelling in `tgt` (romanization), when there is one
    type: str = "other"
    concept: str | None = None
    seen: dict[str, dict[str, int]] = field(default_factory=dict)  # doc -> spelling -> count
    chosen: str | None = None
    why: str | None = None

    def counts(self, docs: set[str] | None = None) -> dict[str, int]:
        total: dict[str, int] = {}
        for doc, spellings in self.seen.items():
            if docs is not None and doc not in docs:
                continue
            for spelling, n in spellings.items():
                total[spelling] = total.get(spelling, 0) + n
        return dict(sorted(total.items(), key=lambda item: (-item[1], item[0])))

    def to_dict(self) -> dict:
        return {"lemma": self.lemma, "tgt": self.tgt, "house": self.house, "type": self.type,
                "concept": self.concept, "seen": self.seen, "chosen": self.chosen, "why": self.why}

    @classmethod
    def from_dict(cls, data: dict) -> "NameEntry":
        return cls(**{k: data[k] for k in ("lemma", "tgt", "house", "type", "concept", "seen", "chosen", "why")})


@dataclass
class _Found:
    segment: Segment
    entry: NameEntry
    start: int  # in segment.target
    end: int
    spelling: str  # as the translation spells the name (its lemma, for Armenian)
    written: str  # the characters at start:end


class NameBook:
    """The names of one run (or one Translator's life), their spellings and decisions.

    `decisions`: the desk's earlier decisions, (tgt, key of the source lemma) -> spelling
    (`editor_decisions`). `to_dict`/`from_dict` persist it with the run state.
    """

    def __init__(self, glossary=None, *, mode: str = "fix", surname_ending: str = "yan"):
        self.glossary = glossary
        self.mode = mode
        self.surname_ending = surname_ending
        self.entries: dict[tuple[str, str], NameEntry] = {}
        self.decisions: dict[tuple[str, str], str] = {}
        self.finder = NameFinder(glossary, surname_ending=surname_ending)

    # -- persistence ---------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"entries": [e.to_dict() for e in self.entries.values()],
                "decisions": [[tgt, lemma, spelling] for (tgt, lemma), spelling in self.decisions.items()]}

    def load(self, data: dict) -> None:
        """Take back what an interrupted run of the same settings decided."""
        for item in data.get("entries", []):
            entry = NameEntry.from_dict(item)
            self.entries[(entry.tgt, key(entry.lemma))] = entry
        for tgt, lemma, spelling in data.get("decisions", []):
            self.decisions.setdefault((tgt, lemma), spelling)
        for (tgt, lemma), spelling in self.decisions.items():  # an editor's word outranks a choice made before it
            known = self.entries.get((tgt, lemma))
            if known is not None and known.why in ("house", "engine") and known.chosen != spelling:
                known.chosen, known.why = spelling, "editor"

    def forget(self, docs: set[str]) -> None:
        """Documents translated again: their earlier counts go."""
        for entry in self.entries.values():
            for doc in docs:
                entry.seen.pop(doc, None)

    def report(self, docs: set[str] | None = None) -> list[dict]:
        """run.json's `names`: each name with its spellings seen (counts), the one chosen and why,
        most frequent first."""
        rows: list[dict[str, Any]] = []
        for entry in self.entries.values():
            counts = entry.counts(docs)
            if not counts:
                continue
            rows.append({"lemma": entry.lemma, "tgt": entry.tgt, "type": entry.type, "concept": entry.concept,
                         "seen": counts, "chosen": entry.chosen, "why": entry.why,
                         "docs": sorted(doc for doc, c in entry.seen.items() if c and (docs is None or doc in docs))})
        rows.sort(key=lambda row: (-sum(row["seen"].values()), row["lemma"]))
        return rows

    # -- the stage -----------------------------------------------------------------------------
    def apply(self, segments: list[Segment], tgt: str) -> None:
        """Find, decide and (fix mode) rewrite the names of translated `segments`, in place."""
        if self.mode == "off":
            return
        found = self._locate(segments, tgt)
        for item in found:
            doc = item.entry.seen.setdefault(item.segment.doc, {})
            doc[item.spelling] = doc.get(item.spelling, 0) + 1
        pending: dict[tuple[str, str], list[_Found]] = {}
        for item in found:
            if item.entry.chosen is None:
                pending.setdefault((item.entry.tgt, key(item.entry.lemma)), []).append(item)
        for item in found:  # an editor's text in this run is a decision
            if item.segment.origin == "human":
                self.decisions.setdefault((tgt, key(item.entry.lemma)), item.spelling)
        for name, items in pending.items():
            self._decide(items[0].entry, items)
        by_segment: dict[int, list[_Found]] = {}
        for item in found:
            if item.segment.origin != "human" and item.spelling != item.entry.chosen and item.entry.chosen:
                by_segment.setdefault(id(item.segment), []).append(item)
        for items in by_segment.values():
            self._rewrite(items, tgt)

    def _decide(self, entry: NameEntry, items: list[_Found]) -> None:
        counts: dict[str, int] = {}
        for item in items:
            counts[item.spelling] = counts.get(item.spelling, 0) + 1
        decision = self.decisions.get((entry.tgt, key(entry.lemma)))
        if entry.concept:
            entry.why = "glossary"  # chosen was set from the glossary when the entry was made
        elif decision:
            entry.chosen, entry.why = decision, "editor"
        elif entry.house and any(same_name(s, entry.house) for s in counts):
            entry.chosen, entry.why = entry.house, "house"
        else:
            entry.chosen, entry.why = max(counts.items(), key=lambda kv: (kv[1], kv[0] == entry.house, kv[0]))[0], "engine"

    def _rewrite(self, items: list[_Found], tgt: str) -> None:
        segment = items[0].segment
        text = segment.target or ""
        for item in sorted(items, key=lambda i: -i.start):
            chosen = item.entry.chosen
            if not chosen:
                continue  # `run` passes only decided names
            if key(item.spelling) == key(chosen):
                continue  # only `և`/`եւ` differ: that is the desk's [output] armenian_spelling, already applied
            if tgt == "hy" and "և" not in item.written and ("եւ" in item.written or "Եւ" in item.written):
                chosen = chosen.replace("և", "եւ")  # written as the rest of the translation (classical / keep)
            if not (same_name(item.spelling, chosen) or (item.entry.why != "house" and _near(item.spelling, chosen))):
                continue  # found by edit distance only: too far from the chosen spelling to be the same name
            new = _cased(chosen, item.written) + item.written[len(item.spelling):] if tgt == "hy" else _cased(chosen, item.written)
            if new == item.written:
                continue
            note = f"{item.spelling} → {chosen} ({item.entry.lemma})"
            if self.mode == "fix":
                text = text[:item.start] + new + text[item.end:]
                segment.flag(NORMALISED, note)
            else:
                segment.flag(INCONSISTENT, note)
        segment.target = text

    # -- finding names of the source in the translation -------------------------------------------
    def _locate(self, segments: list[Segment], tgt: str) -> list[_Found]:
        by_doc: dict[str, list[Segment]] = {}
        for segment in segments:
            if segment.kind == TEXT and segment.target and segment.src_lang not in (tgt, "und") \
                    and segment.target != segment.source:
                by_doc.setdefault(segment.doc, []).append(segment)
        found: list[_Found] = []
        for group in by_doc.values():
            src = group[0].src_lang
            if (src, tgt) not in (("hy", "en"), ("en", "hy")):
                continue
            names = self.finder.find([s.source for s in group], src)
            per_line: dict[int, list] = {}
            for name in names:
                per_line.setdefault(name.line, []).append(name)
            for number, segment in enumerate(group, 1):
                if number in per_line:
                    found += self._in_target(segment, per_line[number], tgt)
        return found

    def _entry(self, name, tgt: str, lemma: str, house: str | None, concept_target: str | None) -> NameEntry:
        k = (tgt, key(lemma))
        entry = self.entries.get(k)
        if entry is None:
            entry = self.entries[k] = NameEntry(lemma=lemma, tgt=tgt, house=house, type=name.type, concept=name.concept)
            if concept_target:
                entry.chosen = concept_target
        return entry

    def _in_target(self, segment: Segment, names: list, tgt: str) -> list[_Found]:
        target = segment.target or ""
        claimed: set[int] = set()
        found = []
        words = _target_words(target, tgt)
        for name in names:
            for lemma, house, concept_target in self._units(name, tgt):
                best = _closest(house or lemma, words, claimed, tgt)
                if best is None:
                    continue
                start, end, spelling = best
                claimed.add(start)
                if len(spelling) > 1 and spelling.isupper():  # `MIRZOYAN` is the spelling Mirzoyan
                    spelling = spelling[:1] + spelling[1:].lower()
                entry = self._entry(name, tgt, lemma, house, concept_target)
                found.append(_Found(segment, entry, start, end, spelling, target[start:end]))
        return found

    def _units(self, name, tgt: str):
        """(source lemma, house spelling, glossary spelling) for each word of a name."""
        src_words = name.lemma.split()
        if name.concept:
            target_text = name.en if tgt == "en" else name.hy
            if not target_text:
                return
            tgt_words = target_text.split()
            if len(tgt_words) != len(src_words):
                return
            for s, t in zip(src_words, tgt_words):
                yield s, t, t
            return
        if tgt == "en":
            houses = (name.en or "").split()  # a known person's own spelling (`Tankian`), else the romanization
            for i, word in enumerate(src_words):
                house = houses[i] if len(houses) == len(src_words) else romanize(word, surname_ending=self.surname_ending)
                yield word, house, None
        else:
            houses = (name.hy or "").split()
            for i, word in enumerate(src_words):
                if word.lower() in ("of", "de", "al", "the"):
                    continue
                house = houses[i] if len(houses) == len(src_words) else None
                yield word, house, None


def _target_words(text: str, tgt: str) -> list[tuple[int, int, str, str]]:
    """Capitalised words of a translation: (start, end of the name part, name spelling, key)."""
    words = []
    if tgt == "en":
        for m in _EN_WORD.finditer(text):
            word = m.group(0)
            if not word[:1].isupper():
                continue
            name = _strip_possessive(word)
            words.append((m.start(), m.start() + len(name), name, fold(name)))
    else:
        lemmas = ArmenianLemmas()
        for m in _HY_WORD.finditer(text):
            word = m.group(0)
            if not _HY_UPPER.match(word):
                continue
            lemma = lemmas.lemma(word)
            if not word.lower().startswith(lemma.lower()):
                continue  # a changed stem: left as it is
            words.append((m.start(), m.start() + len(lemma), word[:len(lemma)], fold(lemma)))
    return words


def _closest(spelling: str, words, claimed: set[int], tgt: str):
    """The word of the translation that renders `spelling`'s name: the same name transliterated
    another way, else the closest by edit distance (ratio >= 0.75)."""
    want = fold(spelling)
    best, best_ratio = None, 0.0
    for start, end, name, folded in words:
        if start in claimed:
            continue
        if folded == want:
            return start, end, name
        if abs(len(folded) - len(want)) > 3 or folded[:1] != want[:1]:
            continue  # spellings of one name start alike once folded (Yerevan, Erevan: `erevan`)
        ratio = difflib.SequenceMatcher(None, folded, want).ratio()
        if ratio > best_ratio:
            best, best_ratio = (start, end, name), ratio
    return best if best_ratio >= 0.75 else None


def _near(a: str, b: str) -> bool:
    """Another spelling of one name by edit distance alone (`Tramp`, `Trump`), not another word
    that starts the same (`Armen`, `Armenia`): at most one letter longer or shorter, ratio >= 0.8."""
    a, b = fold(a), fold(b)
    return abs(len(a) - len(b)) <= 1 and difflib.SequenceMatcher(None, a, b).ratio() >= 0.8


def _cased(spelling: str, like: str) -> str:
    letters = [c for c in like if c.isalpha()]
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return spelling.upper()
    return spelling


def editor_decisions(edits, glossary=None, *, surname_ending: str = "yan") -> dict[tuple[str, str], str]:
    """(tgt, key of the source lemma) -> spelling, from post-edits that spell a name otherwise
    than the machine did (`batch.edits.Edit`: doc, index, src_lang, tgt, source, before, after)."""
    book = NameBook(glossary, mode="flag", surname_ending=surname_ending)
    decisions: dict[tuple[str, str], str] = {}
    for edit in edits:
        if (edit.src_lang, edit.tgt) not in (("hy", "en"), ("en", "hy")):
            continue
        names = book.finder.find([edit.source], edit.src_lang)
        before = Segment(doc=edit.doc, para=0, index=edit.index, source=edit.source, src_lang=edit.src_lang,
                         target=edit.before)
        after = Segment(doc=edit.doc, para=0, index=edit.index, source=edit.source, src_lang=edit.src_lang,
                        target=edit.after)
        was = {f.entry.lemma: f.spelling for f in book._in_target(before, names, edit.tgt)}
        now = {f.entry.lemma: f.spelling for f in book._in_target(after, names, edit.tgt)}
        for lemma, spelling in now.items():
            if lemma in was and was[lemma] != spelling:
                decisions[(edit.tgt, key(lemma))] = spelling  # the latest edit wins
    return decisions

