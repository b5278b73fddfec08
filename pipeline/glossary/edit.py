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
from typing import TYPE_CHECKING

from pipeline.errors import GlossaryError
from pipeline.glossary import lint, tsv
from pipeline.glossary.problems import Problem
from pipeline.glossary.schema import forms_cell, forms_from_cell

if TYPE_CHECKING:
    from pipeline.glossary.model import Concept, Glossary

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


def _layout_text(header: list[str], body: tsv.Body, origins: list[int] | None = None,
                 placed: list[int] | None = None) -> str:
    """Sort rows within blocks, collapse blank lines, render. With `origins` (the input line
    of each body item), `placed` receives the input line of each output line."""
    out: list[tuple[str, list[str] | str | None, int]] = []
    block: list[tuple[list[str], int]] = []
    id_at = header.index("id")
    origins = origins if origins is not None else [0] * len(body)

    def flush() -> None:
        block.sort(key=lambda item: (item[0][id_at].casefold(), item[0][id_at]))
        out.extend(("row", cells, origin) for cells, origin in block)
        block.clear()

    for (kind, content), origin in zip(body, origins, strict=True):
        if kind == "row":
            assert isinstance(content, list), "a row holds cells"
            block.append((content, origin))
            continue
        flush()
        if kind == "blank" and (not out or out[-1][0] == "blank"):
            continue
        out.append((kind, content, origin))
    flush()
    while out and out[-1][0] == "blank":
        out.pop()
    if placed is not None:
        placed[:] = [origin for _, _, origin in out]
    return tsv.render(header, [(kind, content) for kind, content, _ in out])


_LINE_IN_MESSAGE = re.compile(r"\bline (\d+)\b")


def _on_input_lines(problems: list[Problem], placed: list[int]) -> list[Problem]:
    """Problems found in fmt's output, moved to the lines of the file they came from."""
    def origin(line: int) -> int:
        return placed[line - 1] if 0 < line <= len(placed) and placed[line - 1] else line

    return [Problem(p.path, origin(p.line),
                    _LINE_IN_MESSAGE.sub(lambda m: f"line {origin(int(m.group(1)))}", p.message))
            for p in problems]


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
    body: tsv.Body = []
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
    placed: list[int] = []
    text = _layout_text(columns, body, [line.number for line in sheet.lines], placed)
    problems = lint.check_bytes(text.encode(), name)[1]
    if problems:  # found in the sorted output; reported on the file's own lines
        raise GlossaryError(_on_input_lines(problems, placed), what=f"{name} (not reformatted)")
    return text


def lint_file(path) -> list[Problem]:
    """Problems in the file at `path` (an unreadable file is one problem), saying which `fmt` can fix.

    Here beside `fmt_bytes` and not in `lint`, which `fmt` itself runs.
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        return [Problem(str(path), 0, f"cannot read: {error.strerror}")]
    problems = lint.check_bytes(data, str(path))[1]
    if any(lint.FMT_HINT in p.message for p in problems) and any(lint.FMT_HINT not in p.message for p in problems):
        try:
            fmt_bytes(data, str(path))
        except GlossaryError:  # fmt refuses the file until its other problems are fixed by hand: say so
            problems = [Problem(p.path, p.line, p.message.replace(lint.FMT_HINT, lint.FMT_HINT_LATER)) for p in problems]
    return problems


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
    body: tsv.Body = []
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


def first_term(cell: str) -> str:
    """The preferred term of a cell: `Alen Simonyan|Alen Simonian` -> `Alen Simonyan`."""
    terms = [t.strip() for t in tsv.split_terms(cell or "") if t.strip() and not t.strip().startswith("!")]
    return terms[0] if terms else ""


def addable(column: str) -> bool:
    """A column `add`/`edit` may add to a file: a language's (`ru`, `ru_short`, `hy_forms`), options, note."""
    return column in ("options", "note") or bool(tsv.LANGUAGE_COLUMN.match(column) and column not in tsv.FIXED_COLUMNS)


def add_columns(data: bytes, name: str, columns: list[str]) -> bytes:
    """The file with `columns` added to the header where `fmt` would put them (after the
    existing column that precedes each in canonical order); every row gets an empty cell."""
    sheet = tsv.parse(data, name)
    header = list(sheet.header)
    for column in columns:
        order = canonical_columns(header + [column])
        before = order[: order.index(column)]
        at = max((header.index(c) + 1 for c in before if c in header), default=len(header))
        header.insert(at, column)
    positions = [header.index(c) for c in sheet.header]
    lines = data.decode("utf-8-sig").split("\n")
    for line in sheet.lines:
        if line.kind in ("header", "row"):
            cells = [""] * len(header)
            for cell, at in zip(line.cells, positions):
                cells[at] = cell
            lines[line.number - 1] = "\t".join(header if line.kind == "header" else cells)
    return "\n".join(lines).encode("utf-8")


def _checked(data: bytes, name: str, what: str) -> tsv.Sheet:
    sheet, problems = lint.check_bytes(data, name)
    if problems:
        raise GlossaryError(problems, what=f"{name} ({what})")
    return sheet


def _with_missing_columns(data: bytes, name: str, values: dict[str, str], what: str) -> tuple[bytes, list[str]]:
    """Add the columns `values` fill that the header lacks; refuse columns no glossary has."""
    sheet = tsv.parse(data, name)
    missing = [c for c, v in values.items() if v and c not in sheet.header]
    unknown = [c for c in missing if not addable(c)]
    if unknown:
        raise GlossaryError([Problem(name, sheet.header_line, f"no column {c!r} can hold that value; columns are "
                                     "id, type, options, note, a language code (ru) and LANG_short, LANG_forms")
                             for c in unknown], what=f"{name} ({what})")
    return (add_columns(data, name, missing) if missing else data), missing


def _blocks(sheet: tsv.Sheet) -> list[list[tsv.Line]]:
    """Runs of consecutive concept rows (a section: between comments or blank lines)."""
    blocks: list[list[tsv.Line]] = []
    previous = None
    for line in sheet.lines:
        if line.kind != "row":
            previous = None
            continue
        if previous is None:
            blocks.append([])
        blocks[-1].append(line)
        previous = line
    return blocks


def _insert_at(sheet: tsv.Sheet, concept_id: str, concept_type: str, line_count: int) -> int:
    """Where a new row goes (0-based index into the file's lines): sorted by id into the section
    that holds most concepts of its type; else into a last section of rows; else at the end."""
    blocks = _blocks(sheet)
    type_at, id_at = sheet.header.index("type"), sheet.header.index("id")
    scored = [(sum(1 for r in block if r.cells[type_at] == concept_type), i) for i, block in enumerate(blocks)]
    best = max(scored, default=(0, -1))
    last_line = max((l.number for l in sheet.lines if l.kind != "blank"), default=0)
    if best[0]:
        block = blocks[best[1]]
    elif blocks and blocks[-1][-1].number == last_line:
        block = blocks[-1]
    else:
        return line_count
    key = (concept_id.casefold(), concept_id)
    after = [r for r in block if (r.cells[id_at].casefold(), r.cells[id_at]) < key]
    return max((r.number for r in after), default=block[0].number - 1)


def add_concept(data: bytes, name: str, values: dict[str, str], concept_id: str | None, *,
                added: list[str] | None = None) -> tuple[str, str]:
    """Insert a concept row; returns (new file text, id). The file must pass lint first.

    The row goes, sorted by id, into the section that holds most concepts of its type
    (`# People` for a person). The id is made from the preferred English term (else the
    first language's). A value for a language column the file lacks (`ru`) adds that
    column; the names of the columns added go into `added`.
    """
    _checked(data, name, "nothing added")
    data, columns = _with_missing_columns(data, name, values, "nothing added")
    if added is not None:
        added.extend(columns)
    sheet = tsv.parse(data, name)
    header = sheet.header
    langs = sheet.languages()
    source = first_term(values.get("en", "")) or next((first_term(values[l]) for l in langs if values.get(l)), "")
    concept_id = concept_id or slug(source)
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
    insert_at = _insert_at(sheet, concept_id, values.get("type", ""), len(lines))
    lines.insert(insert_at, "\t".join(cells))
    text = "\n".join(lines) + "\n"
    problems = lint.check_bytes(text.encode(), name)[1]
    if problems:
        raise GlossaryError(problems, what=f"{name} (nothing added; the new row {concept_id!r} "
                            f"would be line {insert_at + 1})")
    return text, concept_id


def _row_of(sheet: tsv.Sheet, concept_id: str, name: str, what: str) -> tsv.Line:
    for row in sheet.rows:
        if sheet.record(row).get("id") == concept_id:
            return row
    from pipeline.suggest import did_you_mean

    ids = [sheet.record(row).get("id", "") for row in sheet.rows]
    raise GlossaryError([Problem(name, 0, f"no concept {concept_id!r} in this file{did_you_mean(concept_id, ids)}")],
                        what=f"{name} ({what})")


def remove_concept(data: bytes, name: str, concept_id: str) -> str:
    """The file without the row of `concept_id` (every other byte as it was)."""
    sheet = _checked(data, name, "nothing removed")
    row = _row_of(sheet, concept_id, name, "nothing removed")
    lines = data.decode("utf-8-sig").split("\n")
    del lines[row.number - 1]
    return "\n".join(lines)


def edit_concept(data: bytes, name: str, concept_id: str, values: dict[str, str]) -> tuple[str, list[str]]:
    """Set the cells `values` names in the row of `concept_id`; every other byte stays. Returns
    the new text and the columns added for it. The result must pass lint."""
    _checked(data, name, "nothing changed")
    data, added = _with_missing_columns(data, name, values, "nothing changed")
    sheet = tsv.parse(data, name)
    row = _row_of(sheet, concept_id, name, "nothing changed")
    record = sheet.record(row)
    record.update({column: clean_cell(column, value) for column, value in values.items()})
    lines = data.decode("utf-8-sig").split("\n")
    lines[row.number - 1] = "\t".join(record[c] for c in sheet.header)
    text = "\n".join(lines)
    problems = lint.check_bytes(text.encode(), name)[1]
    if problems:
        raise GlossaryError(problems, what=f"{name} (nothing changed)")
    return text, added
