"""A batch run's names: its `NameBook`, kept with the run state, and run.json's `names`.

The book is saved in `OUT_DIR/.targman/names.json` after each window is translated and
before its files are written, so every written file's spellings are in it: a resumed run
(same settings) takes it back and spells the names as the interrupted one did. A run made
afresh (other settings, `--force`) starts a new book. Editors' decisions come from the
folder's `edits.jsonl` (`batch.edits.EditLog.read()`) and the review page's "New names" panel
(`review-log.jsonl`).
"""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.atomic import atomic_write_json
from pipeline.layout import STATE_DIR
from pipeline.names.consistency import NameBook, editor_decisions

NAMES_STATE = "names.json"


class RunNames:
    """The names side of one `batch.runner.Run`."""

    def __init__(self, out_dir: Path, config, glossary):
        self.path = Path(out_dir) / STATE_DIR / NAMES_STATE
        names = config.names
        self.book = None
        if names.consistency != "off":
            self.book = NameBook(glossary, mode=names.consistency, surname_ending=names.surname_ending)

    def start(self, resumed: bool, edits) -> None:
        """Take back what an interrupted run decided (`resumed`), then the editors' decisions."""
        if self.book is None:
            return
        if resumed:
            try:
                self.book.load(json.loads(self.path.read_text(encoding="utf-8")))
            except (OSError, ValueError, TypeError, KeyError):
                pass  # none yet, or damaged: the names are decided again
        else:
            self.path.unlink(missing_ok=True)
        from pipeline.names.suggest import panel_choices

        decisions = editor_decisions(edits, self.book.glossary, surname_ending=self.book.surname_ending)
        decisions.update(panel_choices(self.path.parent.parent))  # accepted or respelled in the review panel
        self.book.decisions.update(decisions)
        self.book.load({})  # an editor's decision replaces an earlier house or engine choice

    def before_window(self, docs: set[str]) -> None:
        if self.book is not None:
            self.book.forget(docs)

    def save(self) -> None:
        if self.book is not None:
            atomic_write_json(self.path, self.book.to_dict())

    def report(self, files: dict[str, dict]) -> list[dict] | None:
        """run.json's `names` over the documents of the files that are done (or partly done)."""
        if self.book is None:
            return None
        done = {rel for rel, entry in files.items() if entry.get("status") in ("done", "partial")}
        docs = {doc for entry in self.book.entries.values() for doc in entry.seen
                if doc in done or doc.rsplit("#", 1)[0] in done}
        return self.book.report(docs)
