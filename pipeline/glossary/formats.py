"""`convert`: native TSV <-> TBX-Basic <-> the CSV shapes of the big MT services.

CSV shapes (all UTF-8):
- `google`: Google Cloud Translation "equivalent term sets": a header of language codes,
  one row per concept and form kind with the preferred terms;
- `amazon`: Amazon Translate custom terminology: a header of language codes, source first,
  one row per source term (variants included) with the preferred target of the same kind;
- `deepl`: DeepL glossary CSV: no header, rows `source,target,src_lang,tgt_lang`.
CSV holds no ids, types, notes, options, forbidden terms or irregular forms; `convert` says so on export,
and on import makes ids from the terms and uses `--type` for every concept.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from pipeline.errors import GlossaryError
from pipeline.glossary import edit, lint, tbx
from pipeline.glossary.model import Concept, Glossary, Term, infer_dnt, load
from pipeline.glossary.problems import Problem

SHAPES = ("google", "amazon", "deepl")
_LANG = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]+)*$")


def read_any(path: Path, default_type: str = "term") -> Glossary:
    """A glossary from .tsv (must pass lint), .tbx or .csv."""
    return read_with_summary(path, default_type)[0]


def read_with_summary(path: Path, default_type: str = "term") -> tuple[Glossary, list[str]]:
    """`read_any`, and for a TBX file the import's summary (what was kept, mapped, dropped)."""
    suffix = path.suffix.lower()
    if suffix == ".tsv":
        return load(path), []
    if suffix in (".tbx", ".xml"):
        glossary, summary = tbx.import_tbx(path, default_type)
        return glossary, summary.lines()
    try:
        data = path.read_bytes()
    except OSError as error:
        raise GlossaryError([Problem(str(path), 0, f"cannot read: {error.strerror}")]) from None
    if suffix == ".csv":
        return from_csv(data, str(path), default_type), []
    raise GlossaryError([Problem(str(path), 0, f"unknown extension {suffix!r}; use .tsv, .tbx or .csv")])


def convert_glossary(src: Path, dst: Path, shape: str = "google", src_lang: str | None = None,
            tgt_lang: str | None = None, default_type: str = "term",
            tbx_version: str = "3") -> tuple[str, list[str], list[Problem]]:
    """Write `src` as `dst` (format by extension; a .tbx as TBX `tbx_version`, 3 or 2);
    returns (text, notes, lint problems of a .tsv). Reading a TBX adds its import summary to the notes."""
    glossary, notes = read_with_summary(src, default_type)
    suffix = dst.suffix.lower()
    problems: list[Problem] = []
    if suffix == ".tsv":
        text = edit.render_glossary(glossary)
        problems = lint.check_bytes(text.encode(), str(dst))[1]
    elif suffix == ".tbx":
        text = tbx.to_tbx(glossary, tbx_version)
    elif suffix == ".csv":
        text, notes = to_csv(glossary, shape, src_lang, tgt_lang)
    else:
        raise GlossaryError([Problem(str(dst), 0, f"unknown extension {suffix!r}; use .tsv, .tbx or .csv")])
    return text, notes, problems


def to_csv(glossary: Glossary, shape: str, src_lang: str | None, tgt_lang: str | None) -> tuple[str, list[str]]:
    """CSV text in one of SHAPES, and notes on what the shape cannot hold."""
    if shape not in SHAPES:
        raise GlossaryError([Problem(str(glossary.path), 0, f"unknown CSV shape {shape!r}; use {', '.join(SHAPES)}")])
    langs = glossary.languages
    src_lang = src_lang or langs[0]
    tgt_lang = tgt_lang or next(lang for lang in langs if lang != src_lang)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    dropped = {"forbidden terms": 0, "notes": 0, "variants": 0, "irregular forms (hy_forms)": 0}
    if shape == "google":
        writer.writerow(langs)
    elif shape == "amazon":
        writer.writerow([src_lang, tgt_lang])
    for concept in glossary.concepts.values():
        dropped["notes"] += bool(concept.note)
        dropped["irregular forms (hy_forms)"] += sum(len(forms) for entries in concept.irregular.values()
                                                     for _, forms in entries)
        dropped["forbidden terms"] += sum(t.status == "forbidden" for ts in concept.terms.values() for t in ts)
        for kind in ("full", "short"):
            if shape == "google":
                row = [concept.preferred(lang, kind) for lang in langs]
                whole = [t for t in row if t is not None and t.kind == kind]
                if len(whole) == len(row):
                    writer.writerow([t.text for t in whole])
                dropped["variants"] += sum(t.status == "variant" and t.kind == kind
                                           for ts in concept.terms.values() for t in ts)
                continue
            target = concept.preferred(tgt_lang, kind)
            for term in concept.forms(src_lang, kind):
                if target is None or term.status == "forbidden":
                    continue
                if shape == "amazon":
                    writer.writerow([term.text, target.text])
                else:
                    writer.writerow([term.text, target.text, src_lang, tgt_lang])
    lost = ", ".join(f"{n} {what}" for what, n in dropped.items() if n)
    notes = ["CSV holds no ids, types or options" + (f"; left out {lost}" if lost else "")]
    return out.getvalue(), notes


def from_csv(data: bytes, name: str, default_type: str = "term") -> Glossary:
    """Read any of SHAPES; concepts get ids from their first-language term."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise GlossaryError([Problem(name, 0, f"not UTF-8 (byte {error.start + 1}); save as UTF-8")]) from None
    rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    if not rows:
        raise GlossaryError([Problem(name, 1, "empty CSV")])
    first = [c.strip() for c in rows[0]]
    concepts: dict[str, Concept] = {}
    by_target: dict[tuple[str, str], Concept] = {}
    if all(_LANG.match(c) or c in ("pos", "description") for c in first):
        langs = [c.split("-")[0].split("_")[0].lower() if _LANG.match(c) else c for c in first]
        directional = len([c for c in langs if c not in ("pos", "description")]) == 2
        data_rows = [(i + 2, r) for i, r in enumerate(rows[1:])]
    elif len(first) == 4 and _LANG.match(first[2]) and _LANG.match(first[3]):
        langs = ["src", "tgt"]
        directional = True
        data_rows = [(i + 1, r) for i, r in enumerate(rows)]
    else:
        raise GlossaryError([Problem(name, 1, "cannot tell the languages: give the CSV a header of "
                                     "language codes (en,hy) or use DeepL's source,target,en,hy rows")])
    for line, row in data_rows:
        if len(langs) == 2 and langs == ["src", "tgt"]:
            pair = {row[2].lower(): row[0].strip(), row[3].lower(): row[1].strip()}
        else:
            if len(row) != len(langs):
                raise GlossaryError([Problem(name, line, f"{len(row)} fields but the header has {len(langs)}")])
            pair = {lang: cell.strip() for lang, cell in zip(langs, row) if lang not in ("pos", "description")}
        order = list(pair)
        tgt = order[-1]
        if directional and (tgt, pair[tgt]) in by_target:
            concept = by_target[(tgt, pair[tgt])]
            src = order[0]
            if pair[src] not in [t.text for t in concept.terms[src]]:
                concept.terms[src] += (Term(pair[src], src, "variant", "full"),)
            continue
        base = edit.slug(pair[order[0]]) or f"c{line}"
        concept_id, n = base, 2
        while concept_id in concepts:
            concept_id, n = f"{base}-{n}", n + 1
        concept = Concept(concept_id, default_type, "", frozenset(),
                          {lang: (Term(value, lang, "preferred", "full"),) for lang, value in pair.items()})
        infer_dnt(concept)
        concepts[concept_id] = concept
        by_target[(tgt, pair[tgt])] = concept
    languages = list(dict.fromkeys(l for c in concepts.values() for l in c.terms))
    layout = [("header", "")] + [("concept", cid) for cid in concepts]
    return Glossary(Path(name), "", concepts, languages, [], layout)
