"""Every way a glossary file can be wrong, each reported as `FILE:LINE: what to change`.

Lint never stops at the first problem: an editor fixing a spreadsheet export wants the
whole list. `load()` refuses any file with problems, so a run never starts on a glossary
that silently means something other than what its editors think.
"""

from __future__ import annotations

import re
import unicodedata

from pipeline.glossary import normalise, tsv
from pipeline.glossary.armenian import is_acronym
from pipeline.glossary.problems import Problem
from pipeline.glossary.schema import FORMS_LANGUAGES, OPTIONS, TYPES, forms_from_cell
from pipeline.invisible import INVISIBLE  # no term holds one on purpose; also refused in post-edits

REQUIRED = ("id", "type", "note")
# Every row has terms in the header's first two languages (the glossary's pair); a language
# column after them may be empty in a row (a language being added, concept by concept).
REQUIRED_LANGUAGES = 2
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_ARMENIAN = re.compile(r"[\u0531-\u0556\u0561-\u0587\ufb13-\ufb17]")
_ARMENIAN_WORD = re.compile(r"^[\u0531-\u0556\u0561-\u0587]+-?$")
FMT_HINT = "(`targman glossary fmt` fixes this)"
FMT_HINT_LATER = "(`targman glossary fmt` fixes this once the other problems are fixed by hand)"


def check_bytes(data: bytes, name: str) -> tuple[tsv.Sheet, list[Problem]]:
    """Parse and lint file bytes; returns the sheet and every problem found."""
    sheet = tsv.parse(data, name)
    problems = [Problem(name, line, msg) for line, msg in sheet.undecodable]
    problems += _check_header(sheet)
    if sheet.header and not _header_broken(sheet):
        problems += _check_rows(sheet)
    return sheet, sorted(problems)


def _header_broken(sheet: tsv.Sheet) -> bool:
    return any(c not in sheet.header for c in REQUIRED) or len(set(sheet.header)) != len(sheet.header)


def _check_header(sheet: tsv.Sheet) -> list[Problem]:
    name, line, header = sheet.name, sheet.header_line, sheet.header
    if not header:
        return [Problem(name, 1, "no header row; the first line that is not a comment must name "
                        "the columns, e.g. id<TAB>type<TAB>en<TAB>hy<TAB>note")]
    problems = []
    for column in REQUIRED:
        if column not in header:
            problems.append(Problem(name, line, f"the header has no {column!r} column; add it"))
    seen = set()
    for column in header:
        if column in seen:
            problems.append(Problem(name, line, f"column {column!r} appears twice in the header"))
        seen.add(column)
        found = tsv.LANGUAGE_COLUMN.match(column)
        if column in tsv.FIXED_COLUMNS:
            continue
        if not found:
            problems.append(Problem(
                name, line, f"unknown column {column!r}; columns are id, type, options, note, "
                "a language code (en, hy), LANG_short for short forms and hy_forms for irregular forms"))
        elif found.group(2) and found.group(1) not in header:
            problems.append(Problem(name, line, f"column {column!r} has no {found.group(1)!r} column"))
        elif found.group(2) == "_forms" and found.group(1) not in FORMS_LANGUAGES:
            problems.append(Problem(name, line, f"column {column!r}: irregular forms are read for "
                                    f"{', '.join(FORMS_LANGUAGES)} only; delete the column"))
    if len(sheet.languages()) < 2:
        problems.append(Problem(name, line, "the header names fewer than two language columns "
                                "(e.g. en and hy)"))
    return problems


def _check_rows(sheet: tsv.Sheet) -> list[Problem]:
    name, width = sheet.name, len(sheet.header)
    languages = sheet.languages()
    term_columns = [c for c in sheet.header if tsv.LANGUAGE_COLUMN.match(c) and c not in tsv.FIXED_COLUMNS
                    and not c.endswith("_forms")]
    forms_columns = [c for c in sheet.header if c.endswith("_forms") and c.split("_")[0] in languages]
    problems: list[Problem] = []
    ids: dict[str, int] = {}
    owners: dict[tuple[str, str], tuple[int, str, str, bool, bool]] = {}
    for line in sheet.rows:
        def report(message: str, line=line) -> None:
            problems.append(Problem(name, line.number, message))

        if len(line.cells) != width:
            report(f"{len(line.cells)} fields but the header has {width}; "
                   "check for a missing or extra tab")
            continue
        record = sheet.record(line)
        if _suspicious(line.text):  # one scan of the line; cells only when it finds something
            for column, cell in record.items():
                _check_cell(column, cell, report, terms=column in term_columns)
        concept_id, kind = record["id"], record["type"]
        if not concept_id:
            report("empty id; give the concept a short unique id such as ararat-mirzoyan")
        elif not _ID.match(concept_id.strip()):
            report(f"id {concept_id!r} may contain only letters, digits, '.', '_' and '-'")
        elif concept_id in ids:
            report(f"duplicate id {concept_id!r} (first used on line {ids[concept_id]})")
        else:
            ids[concept_id] = line.number
        if kind.strip() not in TYPES:
            report(f"unknown type {kind!r}; use one of {', '.join(TYPES)}")
        options = [o.strip() for o in record.get("options", "").split(",") if o.strip()]
        for option in options:
            if option not in OPTIONS:
                report(f"unknown option {option!r}; options are {', '.join(OPTIONS)}")
        if "case" in options and "nocase" in options:
            report("options case and nocase contradict each other; keep one")
        dnt = "dnt" in options
        filled = [lang for lang in languages if record.get(lang, "").strip()]
        for lang in languages[:REQUIRED_LANGUAGES]:  # a language added later may wait for its terms
            if not record.get(lang, "").strip() and not (dnt and filled):
                if record.get(lang + "_short", "").strip():
                    report(f"column {lang} is empty but {lang}_short is not; "
                           f"put the full {lang} form in column {lang}")
                else:
                    report(f"empty preferred {lang} term; fill column {lang}"
                           + ("" if dnt else " (or add option dnt to copy it from another language)"))
        if dnt and filled:
            first = filled[0]
            for lang in filled[1:]:
                for suffix in ("", "_short"):
                    if record.get(lang + suffix, "") != record.get(first + suffix, ""):
                        report(f"option dnt: column {lang + suffix} must be empty or the same as "
                               f"{first + suffix}")
        seen_here: set[tuple[str, str]] = set()
        case_all, nocase = "case" in options, "nocase" in options
        first_lang = filled[0] if filled else None
        for column in term_columns:
            cell = record[column]
            if not cell:
                continue
            lang = column.split("_")[0]
            for i, raw in enumerate(cell.split("|")):
                text = raw.strip()
                forbidden = text.startswith("!")
                if forbidden:
                    text = text[1:].strip()
                if not text:
                    report(f"empty term in column {column} (two '|' in a row, a '|' at an end, "
                           "or a lone '!')")
                    continue
                if i == 0 and forbidden:
                    report(f"the preferred {column} term {text!r} is forbidden ('!'); "
                           "put an allowed term first")
                if lang == "hy":
                    if i == 0 and not forbidden and not dnt and not _ARMENIAN.search(text):
                        report(f"the preferred {column} term {text!r} has no Armenian letters; "
                               "write it in Armenian or add option dnt")
                elif _ARMENIAN.search(text):
                    report(f"Armenian letters in the {column} term {text!r}; are the columns swapped?")
                folded = normalise.key(text)
                if (lang, folded) in seen_here:
                    report(f"the {lang} term {text!r} appears twice in this row")
                    continue
                seen_here.add((lang, folded))
                if dnt and lang != first_lang:
                    continue  # a copy of the first language, checked there
                other = owners.get((lang, folded))
                if other is None:
                    owners[(lang, folded)] = (line.number, concept_id, text, case_all, nocase)
                elif not _case_distinct(other, text, case_all, nocase):
                    report(f"the {lang} term {text!r} also names concept {other[1]!r} on line "
                           f"{other[0]}; a term may name one concept only")
        for column in forms_columns:
            if record[column].strip():
                _check_forms(column, record, report)
    return problems


FORMS_HINT = "write WORD: FORM FORM, entries separated by ';' (e.g. `կին: կնոջ կանայք կանանց`)"


def _check_forms(column: str, record: dict[str, str], report) -> None:
    """`hy_forms`: each entry names the last word of a term of the row, and its forms."""
    lang = column.split("_")[0]
    last_words: dict[str, str] = {}
    for cell in (record.get(lang, ""), record.get(lang + "_short", "")):
        for raw in tsv.split_terms(cell):
            text = raw.strip().lstrip("!").strip()
            if text:
                last = text.rsplit(" ", 1)[-1]
                last_words.setdefault(normalise.key(last), last)
    seen: set[str] = set()
    for word, forms in forms_from_cell(record[column]):
        if not word:
            report(f"column {column}: an entry without a word and ':'; {FORMS_HINT}")
            continue
        folded = normalise.key(word)
        if folded not in last_words:
            report(f"column {column}: {word!r} is not the last word of any {lang} term in this row; "
                   "forms belong to the word that inflects")
        if folded in seen:
            report(f"column {column}: {word!r} has two entries; put all its forms in one")
        seen.add(folded)
        if not forms:
            report(f"column {column}: no forms for {word!r}; {FORMS_HINT}")
        done: set[str] = set()
        for form in forms:
            if not _ARMENIAN_WORD.match(form):
                report(f"column {column}: form {form!r} of {word!r} must be one word in Armenian letters "
                       "(a stem that takes the vowel endings may end in '-', e.g. `գրք-`)")
            elif normalise.key(form) == folded:
                report(f"column {column}: form {form!r} is {word!r} itself; list only the forms the "
                       "rules cannot make")
            elif normalise.key(form)[:1] != folded[:1]:
                report(f"column {column}: form {form!r} does not start like {word!r}; is it a form of "
                       "another word?")
            if normalise.key(form) in done:
                report(f"column {column}: form {form!r} of {word!r} is listed twice")
            done.add(normalise.key(form))


def _case_distinct(other: tuple, text: str, case_all: bool, nocase: bool) -> bool:
    """Two terms equal but for case may coexist when both are matched case-sensitively."""
    def sensitive(term: str, everything: bool, never: bool) -> bool:
        return everything or (is_acronym(term) and not never)

    return (sensitive(other[2], other[3], other[4]) and sensitive(text, case_all, nocase)
            and normalise.cased_key(other[2]) != normalise.cased_key(text))


_SUSPICIOUS = re.compile(INVISIBLE.pattern[:-1] + r"]|^ | $| \t|\t | \||\| |  ")


def _suspicious(text: str) -> bool:
    return bool(_SUSPICIOUS.search(text)) or not unicodedata.is_normalized("NFC", text)


def _check_cell(column: str, cell: str, report, terms: bool) -> None:
    bad = INVISIBLE.search(cell)
    if bad:
        code = f"U+{ord(bad.group()):04X}"
        report(f"control or invisible character {code} in column {column}; delete it {FMT_HINT}")
    spaced = terms and (" |" in cell or "| " in cell or "  " in cell)
    if cell != cell.strip() or spaced:
        report(f"leading, trailing or doubled whitespace in column {column} ({cell!r}) {FMT_HINT}")
    if not unicodedata.is_normalized("NFC", cell):
        report(f"column {column} is not in Unicode NFC (composed characters) {FMT_HINT}")
