"""The native glossary file: TSV with a header row, `#` comments and blank lines.

This module only splits bytes into lines and cells and writes them back; what the cells
must contain is `lint.py`'s business, and what they mean is `model.py`'s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

BOM = "\ufeff"
FIXED_COLUMNS = ("id", "type", "options", "note")
LANGUAGE_COLUMN = re.compile(r"^([a-z]{2,3})(_short|_forms)?$")  # hy, hy_short, hy_forms
Body = list[tuple[str, "list[str] | str | None"]]  # what `render` writes: ('row', cells), ('comment', text), ('header', None)


@dataclass(slots=True)
class Line:
    """One physical line: a comment, a blank, the header or a concept row."""

    number: int  # 1-based
    kind: str  # "comment" | "blank" | "header" | "row" | "undecodable"
    text: str = ""
    cells: list[str] = field(default_factory=list)


@dataclass
class Sheet:
    """A glossary file split into lines; `header` is empty when the file has none."""

    name: str
    lines: list[Line]
    header: list[str]
    undecodable: list[tuple[int, str]]  # (line, what is wrong)

    @property
    def rows(self) -> list[Line]:
        return [line for line in self.lines if line.kind == "row"]

    @property
    def header_line(self) -> int:
        return next((line.number for line in self.lines if line.kind == "header"), 0)

    def languages(self) -> list[str]:
        """Language codes in header order (`en`, `hy`, ...)."""
        langs = []
        for column in self.header:
            found = LANGUAGE_COLUMN.match(column)
            if found and column not in FIXED_COLUMNS and found.group(1) not in langs:
                langs.append(found.group(1))
        return langs

    def record(self, line: Line) -> dict[str, str]:
        """The row's cells by column name (only meaningful when the counts agree)."""
        return dict(zip(self.header, line.cells))


def parse(data: bytes, name: str) -> Sheet:
    """Split file bytes into lines; bytes that are not UTF-8 are reported, not guessed."""
    if data.startswith(BOM.encode()):
        data = data[3:]
    raw_lines = data.split(b"\n")
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()
    lines: list[Line] = []
    undecodable: list[tuple[int, str]] = []
    header: list[str] = []
    for number, raw in enumerate(raw_lines, start=1):
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            bad = raw[error.start : error.start + 1].hex()
            undecodable.append(
                (number, f"not UTF-8 (byte 0x{bad} at byte {error.start + 1}); "
                 "save the file as UTF-8")
            )
            lines.append(Line(number, "undecodable", raw.decode("utf-8", "replace")))
            continue
        if not text.strip():
            lines.append(Line(number, "blank", text))
        elif text.lstrip().startswith("#"):
            lines.append(Line(number, "comment", text))
        elif not header:
            header = text.split("\t")
            lines.append(Line(number, "header", text, header))
        else:
            lines.append(Line(number, "row", text, text.split("\t")))
    return Sheet(name, lines, header, undecodable)


def split_terms(cell: str) -> list[str]:
    """`A|B|!C` -> ['A', 'B', '!C'] (an empty cell has no terms)."""
    return cell.split("|") if cell != "" else []


def render(header: list[str], body: Body) -> str:
    """Write lines back: `body` holds ('row', cells), ('comment', text) or ('blank', '')."""
    out = []
    for kind, content in body:
        if kind == "header":
            out.append("\t".join(header))
        elif kind == "row":
            assert isinstance(content, list), "a row holds cells"
            out.append("\t".join(content))
        else:
            assert isinstance(content, str), f"a {kind!r} line holds text"
            out.append(content)
    return "\n".join(out) + "\n"
