"""Concepts, terms and the loaded glossary.

A concept (person, organisation, place or term) has, per language, a full form and
optionally short forms (a surname, an acronym). In each of those lists the first term is
preferred, the rest are admitted variants, and `!`-prefixed ones are forbidden. The target
of a match is the preferred target term *of the same kind* as the matched source term, so
`CSTO` -> `ՀԱՊԿ` and `Mirzoyan` -> `Միրզոյան`, not the full names.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from pipeline.errors import GlossaryError
from pipeline.glossary import tsv
from pipeline.glossary.matcher import paused_gc
from pipeline.glossary.schema import forms_from_cell


class Term(NamedTuple):
    """One written form of a concept in one language (a tuple: cheap for 10^6 terms)."""

    text: str
    lang: str
    status: str  # preferred | variant | forbidden
    kind: str  # full | short (a surname, an acronym)

    @property
    def acronym(self) -> bool:
        """Two or more letters, none lower case (`CSTO`, `ՀԱՊԿ`, `U.S.`)."""
        return self.text.isupper() and sum(c.isalpha() for c in self.text) >= 2

    def cell_text(self) -> str:
        return ("!" if self.status == "forbidden" else "") + self.text


@dataclass
class Concept:
    """A person, organisation, place or term, with its terms in every language."""

    id: str
    type: str
    note: str = ""
    options: frozenset[str] = frozenset()
    terms: dict[str, tuple[Term, ...]] = field(default_factory=dict)
    line: int = 0
    copied: frozenset[str] = frozenset()  # languages filled from another because of `dnt`
    # per language, irregular forms stated for a term's last word: ((word, (form, ...)), ...)
    irregular: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = field(default_factory=dict)

    @property
    def dnt(self) -> bool:
        return "dnt" in self.options

    def case_sensitive(self, term: Term) -> bool:
        """`case` makes every term exact; acronyms are exact unless `nocase`."""
        if "case" in self.options:
            return True
        return term.acronym and "nocase" not in self.options

    def forms(self, lang: str, kind: str) -> list[Term]:
        return [t for t in self.terms.get(lang, ()) if t.kind == kind]

    def stated_forms(self, lang: str, text: str) -> tuple[str, ...]:
        """The irregular forms the glossary states for the last word of `text` (`hy_forms`)."""
        entries = self.irregular.get(lang)
        if not entries:
            return ()
        from pipeline.glossary.normalise import key

        last = key(text.rsplit(" ", 1)[-1])
        found: tuple[str, ...] = ()
        for word, forms in entries:
            if key(word) == last:
                found += forms
        return found

    def preferred(self, lang: str, kind: str = "full") -> Term | None:
        """Preferred term of `kind`, falling back to the other kind when there is none."""
        for wanted in (kind, "short" if kind == "full" else "full"):
            for term in self.terms.get(lang, ()):
                if term.kind == wanted and term.status == "preferred":
                    return term
        return None


@dataclass
class Glossary:
    """A loaded glossary: `concepts` by id, the file's `path`, and its sha256 `digest`."""

    path: Path
    digest: str
    concepts: dict[str, Concept]
    languages: list[str]
    header: list[str]
    layout: list[tuple[str, str]] = field(default_factory=list)  # (comment|blank|header|concept, text|id)

    _matchers: dict | None = field(default=None, repr=False, compare=False)

    @classmethod
    def load(cls, path) -> "Glossary":
        """Read and lint a native TSV glossary; `GlossaryError` lists every problem."""
        return load(path)

    @staticmethod
    def lint(path) -> list:
        """Every problem in the glossary file at `path` (`Problem`: path, line, message); [] when clean."""
        from pipeline.glossary.edit import lint_file

        return lint_file(path)

    def match(self, text: str, lang: str) -> list:
        """The concepts found in `text` (a `lang` text), inflected forms included: `Match` objects
        with `concept`, `start`, `end`, `surface`, `status` (preferred, variant or forbidden)."""
        matcher = self.matchers[lang]
        return matcher.find(text) if matcher is not None else []

    @property
    def matchers(self):
        """One `Matcher` per language (None for a language it lacks), built on first use and shared."""
        if self._matchers is None:
            from pipeline.glossary.stage import Matchers

            self._matchers = Matchers(self)
        return self._matchers

    def target_for(self, match, tgt_lang: str) -> str:
        """The preferred `tgt_lang` term for `match`, of the same kind (full or short)."""
        concept = self.concepts[match.concept]
        term = concept.preferred(tgt_lang, match.kind)
        if term is None:
            raise KeyError(f"concept {concept.id!r} has no {tgt_lang} term")
        return term.text




def infer_dnt(concept: Concept) -> None:
    """An imported concept spelled the same in every language is do-not-translate."""
    spelled = [tuple((t.text, t.status, t.kind) for t in terms) for terms in concept.terms.values()]
    if len(spelled) > 1 and spelled[0] and all(s == spelled[0] for s in spelled):
        concept.options = concept.options | {"dnt"}
        concept.copied = frozenset(list(concept.terms)[1:])


def terms_from_cell(cell: str, lang: str, kind: str) -> list[Term]:
    """`A|B|!C` -> preferred A, variant B, forbidden C."""
    if not cell:
        return []
    if "|" not in cell and cell[0] != "!":
        return [Term(cell, lang, "preferred", kind)]
    terms = []
    for i, raw in enumerate(tsv.split_terms(cell)):
        if raw.startswith("!"):
            terms.append(Term(raw[1:], lang, "forbidden", kind))
        else:
            terms.append(Term(raw, lang, "preferred" if i == 0 else "variant", kind))
    return terms


def concept_from_record(record: dict[str, str], languages: list[str], line: int) -> Concept:
    """Build a concept from one row's cells (already linted)."""
    raw_options = record.get("options", "")
    options = frozenset(o for o in raw_options.split(",") if o) if raw_options else frozenset()
    terms: dict[str, tuple[Term, ...]] = {}
    for lang in languages:
        found = terms_from_cell(record.get(lang, ""), lang, "full")
        found += terms_from_cell(record.get(lang + "_short", ""), lang, "short")
        terms[lang] = tuple(found)
    copied = set()
    if "dnt" in options:
        source = next((terms[lang] for lang in languages if terms[lang]), ())
        for lang in languages:
            if not terms[lang]:
                terms[lang] = tuple(Term(t.text, lang, t.status, t.kind) for t in source)
                copied.add(lang)
    irregular = {lang: tuple(forms_from_cell(record[lang + "_forms"]))
                 for lang in languages if record.get(lang + "_forms")}
    return Concept(
        id=record["id"], type=record["type"], note=record.get("note", ""), options=options,
        terms=terms, line=line, copied=frozenset(copied), irregular=irregular,
    )


def build(sheet: tsv.Sheet, path: Path, digest: str) -> Glossary:
    """A glossary from a sheet that passed lint."""
    languages = sheet.languages()
    concepts: dict[str, Concept] = {}
    layout: list[tuple[str, str]] = []
    for line in sheet.lines:
        if line.kind == "row":
            concept = concept_from_record(sheet.record(line), languages, line.number)
            concepts[concept.id] = concept
            layout.append(("concept", concept.id))
        elif line.kind in ("comment", "blank", "header"):
            layout.append((line.kind, line.text if line.kind != "header" else ""))
    return Glossary(Path(path), digest, concepts, languages, list(sheet.header), layout)


def load(path) -> Glossary:
    """Read and lint a native glossary; raise `GlossaryError` listing every problem.

    The glossary's `digest` is the sha256 of the file bytes, for run manifests.
    """
    from pipeline.glossary import lint

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        from pipeline.glossary.problems import Problem

        raise GlossaryError([Problem(str(path), 0, f"cannot read: {error.strerror}")]) from None
    with paused_gc():
        sheet, problems = lint.check_bytes(data, str(path))
        if problems:
            raise GlossaryError(problems, what=str(path))
        return build(sheet, path, hashlib.sha256(data).hexdigest())
