"""New names for the glossary: the run's names it lacks, as glossary TSV; and `glossary merge`.

`suggest(out_dir)` reads run.json's `names` (each name with its spellings and the chosen
one), takes those without a concept, puts an editor's spelling first (the folder's post-edits
and the "New names" panel's choices), drops what the review log says to ignore, and writes
glossary rows: `type`, `en` (the chosen spelling), `hy` (the lemma), a note with the count
and the documents, most frequent first. The text passes `glossary lint`, so
`targman glossary merge desk.tsv new.tsv` can add it as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import InputError
from pipeline.glossary import edit, lint, tsv
from pipeline.glossary.normalise import key
from pipeline.runfolder.folder import RunFolder
from pipeline.runfolder.schema import Manifest

HEADER = ["id", "type", "en", "hy", "note"]
TYPE_FOR = {"person": "person", "place": "place", "org": "org"}  # `other`: a person (checked by the editor)


@dataclass
class Suggestion:
    id: str
    type: str
    en: str
    hy: str
    count: int
    docs: list[str]
    why: str

    @property
    def note(self) -> str:
        shown = ", ".join(self.docs[:3]) + (f" and {len(self.docs) - 3} more" if len(self.docs) > 3 else "")
        return f"new in the run: {self.count}x in {shown}; spelling: {self.why}"

    def to_row(self) -> dict:
        return {"id": self.id, "type": self.type, "en": self.en, "hy": self.hy, "note": self.note,
                "count": self.count, "docs": self.docs, "why": self.why}


def _manifest(out_dir: Path) -> Manifest:
    folder = RunFolder(out_dir)
    if not folder.manifest_path.is_file():
        raise InputError(folder.manifest_path, "no run.json: is this the output folder of `targman run`?")
    return folder.manifest()


def run_names(out_dir: Path) -> list[dict]:
    path = Path(out_dir) / "run.json"
    names = _manifest(out_dir).get("names")
    if names is None:
        raise InputError(path, "run.json lists no names: run again with [names] consistency = \"fix\" or \"flag\"")
    return names


def suggestions(out_dir: Path, ignored: set[str] | None = None) -> list[Suggestion]:
    """The run's names the glossary lacks, most frequent first (ids are unique)."""
    from pipeline.names.consistency import editor_decisions

    decisions = editor_decisions(RunFolder(out_dir).edits.read())
    decisions.update(panel_choices(out_dir))
    ignored = ignored if ignored is not None else ignored_names(out_dir)
    ignored = ignored | glossary_terms(out_dir)  # added to the glossary since the run (the panel's Accept)
    found: list[Suggestion] = []
    taken: set[str] = set()
    for name in run_names(out_dir):
        if name.get("concept") or not name.get("chosen"):
            continue
        tgt = name.get("tgt", "en")
        lemma = name["lemma"]
        spelling = decisions.get((tgt, key(lemma)))
        why = "editor" if spelling else name.get("why") or "engine"
        spelling = spelling or name["chosen"]
        en, hy = (spelling, lemma) if tgt == "en" else (lemma, spelling)
        if key(hy) in ignored or key(en) in ignored:
            continue
        concept_id = edit.slug(en) or edit.slug(hy)
        if not concept_id:
            continue
        base, n = concept_id, 2
        while concept_id in taken:
            concept_id, n = f"{base}-{n}", n + 1
        taken.add(concept_id)
        found.append(Suggestion(concept_id, TYPE_FOR.get(name.get("type", ""), "person"), en, hy,
                                sum(name.get("seen", {}).values()), list(name.get("docs", [])), why))
    found.sort(key=lambda s: (-s.count, s.id))
    return found


def suggest_tsv(out_dir: Path) -> str:
    """Glossary TSV of `suggestions(out_dir)`: the header, then a concept a line (lint-clean)."""
    body: tsv.Body = [
        ("comment", f"# New names from the run in {Path(out_dir).name} (targman names suggest); check each, "
                    "then: targman glossary merge GLOSSARY THIS_FILE"),
        ("header", None),
    ]
    for s in suggestions(out_dir):
        body.append(("row", [edit.clean_cell(c, v) for c, v in zip(HEADER, (s.id, s.type, s.en, s.hy, s.note))]))
    text = tsv.render(HEADER, body)
    problems = lint.check_bytes(text.encode("utf-8"), "<suggestions>")[1]
    if problems:  # never hand the desk a file its own lint refuses
        raise InputError(out_dir, "the suggestions do not pass glossary lint: " + "; ".join(map(str, problems[:3])))
    return text


def glossary_terms(out_dir: Path) -> set[str]:
    """Keys of every term of the run's glossary as it is now ({} without one, or when it fails lint)."""
    from pipeline.glossary import GlossaryError, load

    path = ((_manifest(out_dir).get("config") or {}).get("glossary") or {}).get("path")
    if not path:
        return set()
    try:
        glossary = load(path)
    except (GlossaryError, OSError):
        return set()
    return {key(term.text) for concept in glossary.concepts.values() for terms in concept.terms.values()
            for term in terms}


# -- the review page's "New names" panel: its choices live in review-log.jsonl ---------------------
PANEL_EVENT = "name"


def _panel_events(out_dir: Path) -> list[dict]:
    return [event for event in RunFolder(out_dir).review_log.read() if event["event"] == PANEL_EVENT]


def panel_event(out_dir: Path, lemma: str, tgt: str, action: str, spelling: str | None = None,
                who: str | None = None) -> dict:
    """Remember a choice made in the "New names" panel (`accept`, `spell`, `ignore`) in review-log.jsonl."""
    import time

    from pipeline.runfolder.edits import append_jsonl
    from pipeline.runfolder.log import REVIEW_LOG

    event = {"event": PANEL_EVENT, "lemma": lemma, "tgt": tgt, "action": action, "spelling": spelling,
             "who": who, "when": time.time()}
    append_jsonl(Path(out_dir) / REVIEW_LOG, [event])
    return event


def ignored_names(out_dir: Path) -> set[str]:
    """Keys of the lemmas an editor chose to ignore in the panel (latest choice wins)."""
    state: dict[str, str] = {}
    for event in _panel_events(out_dir):
        state[key(event.get("lemma", ""))] = event.get("action", "")
    return {lemma for lemma, action in state.items() if action == "ignore"}


def panel_choices(out_dir: Path) -> dict[tuple[str, str], str]:
    """(tgt, lemma key) -> spelling an editor typed in the panel (accepted or respelled)."""
    choices = {}
    for event in _panel_events(out_dir):
        if event.get("action") in ("accept", "spell") and event.get("spelling"):
            choices[(event.get("tgt", "en"), key(event.get("lemma", "")))] = event["spelling"]
    return choices


# -- glossary merge ----------------------------------------------------------------------------------
def merge(glossary_path: Path, files: list[Path]) -> tuple[str, list[str], list[str]]:
    """The desk glossary with the concepts of `files` (TSV, TBX, CSV) added in canonical order,
    each through `glossary.edit.add_concept` (lint-clean or refused). Returns (text, ids added,
    what was skipped and why): a concept whose id, or whose preferred term in a language, the
    glossary already has, is skipped."""
    from pipeline.glossary import load
    from pipeline.glossary.formats import read_any

    desk = load(glossary_path)
    data = Path(glossary_path).read_bytes()
    have_ids = set(desk.concepts)
    have_terms: dict[tuple[str, str], str] = {}
    for concept in desk.concepts.values():
        for lang, terms in concept.terms.items():
            for term in terms:
                have_terms.setdefault((lang, key(term.text)), concept.id)
    added, skipped = [], []
    header = tsv.parse(data, str(glossary_path)).header
    for path in files:
        other = read_any(Path(path), default_type="term")
        for concept in other.concepts.values():
            clash = concept.id if concept.id in have_ids else None
            for lang, terms in concept.terms.items():
                for term in terms:
                    if term.status != "forbidden" and (lang, key(term.text)) in have_terms and clash is None:
                        clash = have_terms[(lang, key(term.text))]
            if clash is not None:
                skipped.append(f"{path}: {concept.id}: the glossary has it already ({clash})")
                continue
            columns = [c for c in header if c != "id"]
            values = {c: v for c, v in zip(columns, edit.concept_cells(concept, columns)) if v}
            values["type"] = concept.type
            text, concept_id = edit.add_concept(data, str(glossary_path), values, concept.id)
            data = text.encode("utf-8")
            have_ids.add(concept_id)
            for lang, terms in concept.terms.items():
                for term in terms:
                    have_terms.setdefault((lang, key(term.text)), concept_id)
            added.append(concept_id)
    return data.decode("utf-8"), added, skipped
