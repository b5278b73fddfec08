"""Writing glossaries: canonical formatting (`fmt`), adding a concept, rendering concepts.

Canonical means: columns id, type, then each language and its short forms (en, hy first),
options, note; cells trimmed, NFC, invisible characters removed; in each cell the preferred
term, then admitted variants, then forbidden ones; options sorted; concept rows sorted by id
within each block (a block is a run of rows between comments or blank lines, so an editor's
sections stay where they are); single blank lines; LF line ends; no BOM. Two people
formatting the same content get the same bytes, so diffs show only real changes.
"""

from __future__ import annotations

import re
import unicodedata

from pipeline.errors import GlossaryError
from pipeline.glossary import lint, tsv
from pipeline.glossary.model import Concept, Glossary, forms_cell, forms_from_cell
from pipeline.glossary.problems import Problem

_SPACES = re.compile(r"\s+")
_LEADING = ("en", "hy")


def canonical_columns(columns: list[str]) -> list[str]:
    """id, type, languages (en, hy, then alphabetical) each followed by LANG_short and LANG_forms,
    options, note."""
    langs = sorted({c.split("_")[0] for c in columns if c not in tsv.FIXED_COLUMNS},
                   key=lambda lang: (_LEADING.index(lang) if lang in _LEADING else 2, lang))
    order = ["id", "type"]
    for lang in langs:
        order += [lang, lang + "_short", lang + "_forms"]
    order += ["options", "note"]
    return [c for c in order if c in columns]


def clean_cell(column: str, cell: str) -> str:
    cell = lint.INVISIBLE.sub("", unicodedata.normalize("NFC", cell))
    cell = _SPACES.sub(" ", cell).strip()
    if column == "options":
        return ",".join(sorted({o.strip() for o in cell.split(",") if o.strip()}))
    if column in tsv.FIXED_COLUMNS:
        return cell
    if column.endswith("_forms"):  # `word: form form; word: form`
        entries = forms_from_cell(cell)
        return forms_cell(entries) if all(word for word, _ in entries) else cell
    terms = [t.strip() for t in tsv.split_terms(cell)]
    terms = [("!" + t[1:].strip()) if t.startswith("!") else t for t in terms]
    if not terms:
        return ""
    rest = terms[1:]
    ordered = [terms[0]] + [t for t in rest if not t.startswith("!")] + [t for t in rest if t.startswith("!")]
    return "|".join(ordered)


def _layout_text(header: list[str], body: list[tuple[str, object]]) -> str:
    """Sort rows within blocks, collapse blank lines, render."""
    out: list[tuple[str, object]] = []
    block: list[list[str]] = []
    id_at = header.index("id")

    def flush() -> None:
        block.sort(key=lambda cells: (cells[id_at].casefold(), cells[id_at]))
        out.extend(("row", cells) for cells in block)
        block.clear()

    for kind, content in body:
        if kind == "row":
            block.append(content)
            continue
        flush()
        if kind == "blank" and (not out or out[-1][0] == "blank"):
            continue
        out.append((kind, content))
    flush()
    while out and out[-1][0] == "blank":
        out.pop()
    return tsv.render(header, out)


def fmt_bytes(data: bytes, name: str) -> str:
    """The canonical text of a glossary; raises GlossaryError for what fmt cannot fix."""
    sheet = tsv.parse(data, name)
    blocking = [Problem(name, line, msg) for line, msg in sheet.undecodable]
    if not sheet.header:
        blocking += lint.check_bytes(data, name)[1]
    header_clean = [clean_cell("note", c) for c in sheet.header]
    width = len(sheet.header)
    for line in sheet.rows:
        if len(line.cells) != width:
            blocking.append(Problem(name, line.number, f"{len(line.cells)} fields but the header "
                                    f"has {width}; fmt cannot guess which cell is missing"))
    if blocking:
        raise GlossaryError(blocking, what=f"{name} (not reformatted)")
    columns = canonical_columns(header_clean)
    if len(columns) != len(header_clean):
        raise GlossaryError(lint.check_bytes(data, name)[1], what=f"{name} (not reformatted)")
    order = [header_clean.index(c) for c in columns]
    body: list[tuple[str, object]] = []
    for line in sheet.lines:
        if line.kind == "row":
            cells = [clean_cell(header_clean[i], line.cells[i]) for i in order]
            body.append(("row", _drop_dnt_copies(columns, cells)))
        elif line.kind == "header":
            body.append(("header", None))
        elif line.kind == "comment":
            body.append(("comment", unicodedata.normalize("NFC", line.text.strip())))
        else:
            body.append(("blank", ""))
    text = _layout_text(columns, body)
    problems = lint.check_bytes(text.encode(), name)[1]
    if problems:
        raise GlossaryError(problems, what=f"{name} (not reformatted)")
    return text


def _drop_dnt_copies(columns: list[str], cells: list[str]) -> list[str]:
    """With option dnt, a language cell equal to the first filled one is left empty."""
    record = dict(zip(columns, cells))
    if "dnt" not in record.get("options", "").split(","):
        return cells
    langs = [c for c in columns if c not in tsv.FIXED_COLUMNS and "_" not in c]
    filled = [lang for lang in langs if record.get(lang)]
    for lang in filled[1:]:
        if all(record.get(lang + s, "") == record.get(filled[0] + s, "") for s in ("", "_short")):
            for s in ("", "_short"):
                if lang + s in record:
                    record[lang + s] = ""
    return [record[c] for c in columns]


def concept_cells(concept: Concept, columns: list[str]) -> list[str]:
    """A concept as the cells of one native row."""
    cells = []
    for column in columns:
        if column == "id":
            cells.append(concept.id)
        elif column == "type":
            cells.append(concept.type)
        elif column == "note":
            cells.append(concept.note)
        elif column == "options":
            cells.append(",".join(sorted(concept.options)))
        else:
            lang, _, short = column.partition("_")
            if short == "forms":
                cells.append(forms_cell(concept.irregular.get(lang, ())))
                continue
            if lang in concept.copied:
                cells.append("")
                continue
            kind = "short" if short else "full"
            cells.append("|".join(t.cell_text() for t in concept.terms.get(lang, ()) if t.kind == kind))
    return cells


def render_glossary(glossary: Glossary) -> str:
    """Native TSV text of a glossary, canonical."""
    columns = canonical_columns(glossary.header) if glossary.header else columns_for(glossary)
    body: list[tuple[str, object]] = []
    placed = set()
    for kind, content in glossary.layout:
        if kind == "concept":
            body.append(("row", [clean_cell(c, v) for c, v in
                                 zip(columns, concept_cells(glossary.concepts[content], columns))]))
            placed.add(content)
        elif kind == "header":
            body.append(("header", None))
        else:
            body.append((kind, content))
    if not any(kind == "header" for kind, _ in body):
        first = next((i for i, (kind, _) in enumerate(body) if kind == "row"), len(body))
        body.insert(first, ("header", None))
    for concept_id, concept in glossary.concepts.items():
        if concept_id not in placed:
            body.append(("row", [clean_cell(c, v) for c, v in zip(columns, concept_cells(concept, columns))]))
    return _layout_text(columns, body)


def columns_for(glossary: Glossary) -> list[str]:
    """The columns a glossary needs: short columns and options only when used."""
    columns = ["id", "type"]
    for lang in glossary.languages:
        columns.append(lang)
        if any(t.kind == "short" for c in glossary.concepts.values() for t in c.terms.get(lang, ())):
            columns.append(lang + "_short")
        if any(c.irregular.get(lang) for c in glossary.concepts.values()):
            columns.append(lang + "_forms")
    if any(c.options for c in glossary.concepts.values()):
        columns.append("options")
    columns.append("note")
    return canonical_columns(columns)


def slug(text: str) -> str:
    """`Ruben Rubinyan` -> `ruben-rubinyan` (ASCII letters and digits only)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def add_concept(data: bytes, name: str, values: dict[str, str], concept_id: str | None) -> tuple[str, str]:
    """Insert a concept row; returns (new file text, id). The file must pass lint first."""
    sheet, problems = lint.check_bytes(data, name)
    if problems:
        raise GlossaryError(problems, what=f"{name} (nothing added)")
    header = sheet.header
    missing = [c for c, v in values.items() if v and c not in header]
    if missing:
        raise GlossaryError([Problem(name, sheet.header_line, f"the header has no column {c!r} "
                                     "for the value given; add the column first") for c in missing],
                            what=f"{name} (nothing added)")
    langs = sheet.languages()
    concept_id = concept_id or slug(values.get("en") or next((values[l] for l in langs if values.get(l)), ""))
    if not concept_id:
        raise GlossaryError([Problem(name, 0, "cannot make an id from the terms given; pass --id")],
                            what=f"{name} (nothing added)")
    taken = {sheet.record(r).get("id") for r in sheet.rows}
    if concept_id in taken:
        line = next(r.number for r in sheet.rows if sheet.record(r).get("id") == concept_id)
        raise GlossaryError([Problem(name, line, f"id {concept_id!r} already exists here; "
                                     "pass --id with another id if this is a different concept")],
                            what=f"{name} (nothing added)")
    values = dict(values, id=concept_id)
    cells = [clean_cell(c, values.get(c, "")) for c in header]
    lines = data.decode("utf-8-sig").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    rows = sheet.rows
    insert_at = len(lines)
    if rows and rows[-1].number == max((l.number for l in sheet.lines if l.kind != "blank"), default=0):
        # the file ends with a block of rows: put the new one where fmt would sort it
        block = [rows[-1]]
        for row in reversed(rows[:-1]):
            if row.number != block[-1].number - 1:
                break
            block.append(row)
        id_at = header.index("id")
        after = [r for r in block if (r.cells[id_at].casefold(), r.cells[id_at]) < (concept_id.casefold(), concept_id)]
        insert_at = max((r.number for r in after), default=min(r.number for r in block) - 1)
    lines.insert(insert_at, "\t".join(cells))
    text = "\n".join(lines) + "\n"
    problems = lint.check_bytes(text.encode(), name)[1]
    if problems:
        raise GlossaryError(problems, what=f"{name} (nothing added; the new row {concept_id!r} "
                            f"would be line {insert_at + 1})")
    return text, concept_id
