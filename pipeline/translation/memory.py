"""The translation memory: segments translated before are not translated again.

An SQLite file (`memory.sqlite3` in the cache folder, see `pipeline.cachedir`).
An entry is keyed by

- the *setting*: the engine's `fingerprint()` (engine, a content hash of the
  model folder - or the model id where there is none -, revision, decoding
  settings such as beam size and maximum length) and the direction (src -> tgt),
  hashed into one key;
- the *context*: a string per segment for whatever else decides its
  translation - the glossary entries that applied (see `segment_context`);
- the exact source segment.

Change the model, its weights, the beam, the direction or the glossary entries
and the old entries simply no longer match. Several runs may share one memory:
the database is in WAL mode with a busy timeout, and every store is one
transaction, so concurrent writers wait for each other instead of corrupting it.

Human post-edits live in their own table, keyed by direction, glossary context
and source but not by engine: an editor's translation holds for every model, and
no machine output ever replaces it (`store_human`, `lookup_human`).

A memory that breaks during a run (a damaged file, a full disk, a write lock held
too long by another process) never fails a translation: it goes read-only, or off,
with one warning, and `problem` says why (run.json records it).
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from pipeline.engines.base import Done, Engine, Translation
from pipeline.errors import TargmanError
from pipeline.segment import terms_context

log = logging.getLogger("targman")

FILENAME = "memory.sqlite3"
SCHEMA_VERSION = 3  # 2: the human table; 3: entries keep the engine's flags (and terms-unmet)
BUSY_TIMEOUT_MS = 60_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS human (
    direction TEXT NOT NULL,
    context TEXT NOT NULL,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    who TEXT,
    created REAL NOT NULL,
    PRIMARY KEY (direction, context, source)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS entries (
    setting INTEGER NOT NULL REFERENCES settings(id),
    context TEXT NOT NULL,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    score REAL,
    tokens INTEGER NOT NULL,
    pieces INTEGER NOT NULL,
    created REAL NOT NULL,
    flags TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (setting, context, source)
) WITHOUT ROWID;
"""
UNMET = "terms-unmet"  # kept with the flags an engine gave, so a remembered translation keeps them


def setting_description(engine: Engine, src: str, tgt: str) -> dict:
    """What decides a translation besides the segment: engine fingerprint and direction.

    A model whose files are hashed (`content`) is that content wherever it lies: the id it
    was given (`../models/x`, `/srv/models/x`, a copy elsewhere) is not part of the key."""
    fingerprint = dict(engine.fingerprint())
    if fingerprint.get("content"):
        fingerprint.pop("id", None)
    return {"engine": fingerprint, "src": src, "tgt": tgt}


def setting_key(description: dict) -> str:
    return hashlib.sha256(json.dumps(description, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class MemoryStats:
    hits: int = 0
    misses: int = 0
    stored: int = 0
    human: int = 0  # segments whose translation is an editor's

    def to_dict(self) -> dict:
        return {"hits": self.hits, "misses": self.misses, "stored": self.stored, "human": self.human}


class TranslationMemory:
    """`lookup()` what is known, translate the rest, `store()` it."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.stats = MemoryStats()
        self._settings: dict[str, int] = {}
        self.writable = True  # False once a write failed: lookups go on, stores are skipped
        self.readable = True  # False once a read failed: every lookup is a miss
        self.problem: str | None = None  # why it is read-only or off
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
            self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self.db.execute("PRAGMA synchronous = NORMAL")
            self._setup()
        except sqlite3.DatabaseError as error:
            # Never "delete it": the file holds every post-edit; a full disk or `ulimit -f` looks the same.
            raise TargmanError(
                f"translation memory {self.path} cannot be used ({error}); keep it (it holds the editors' "
                f"post-edits): check it with sqlite3 {self.path} 'PRAGMA integrity_check', and the disk's free "
                "space and ulimit -f; --no-cache or another --cache-dir runs without it"
            ) from None

    def _setup(self) -> None:
        """WAL mode and the schema. Switching to WAL needs a moment alone with the file and
        SQLite answers "locked" at once instead of waiting, when another process opens the
        same new memory at the same moment: so it is retried for as long as the busy timeout.
        A memory that is set up already needs no write here, so one whose write lock another
        process holds still opens (read-only, once a store has to wait too long)."""
        if self._schema_version() >= SCHEMA_VERSION:
            return
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        delay = 0.005
        while True:
            try:
                self.db.execute("PRAGMA journal_mode = WAL")
                self.db.execute("PRAGMA synchronous = NORMAL")
                with self._transaction():
                    for statement in SCHEMA.split(";"):
                        if statement.strip():
                            self.db.execute(statement)
                    columns = {row[1] for row in self.db.execute("PRAGMA table_info(entries)")}
                    if "flags" not in columns:  # a memory made before engines gave flags
                        self.db.execute("ALTER TABLE entries ADD COLUMN flags TEXT NOT NULL DEFAULT ''")
                    self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) and "busy" not in str(error) or time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.2)

    def _schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    @classmethod
    def in_folder(cls, folder: str | Path) -> "TranslationMemory":
        return cls(Path(folder) / FILENAME)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "TranslationMemory":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- when it breaks ------------------------------------------------------------------
    def _degrade(self, error: Exception, *, writing: bool) -> None:
        """A failed read turns the memory off; a failed write makes it read-only. One warning each."""
        damaged = isinstance(error, sqlite3.DatabaseError) and not isinstance(error, sqlite3.OperationalError)
        if writing and not damaged and isinstance(error, sqlite3.OperationalError) and (
            "locked" in str(error) or "busy" in str(error)
        ):
            why = f"another process holds its write lock ({error})"
        else:
            why = str(error)
        if writing and not damaged:
            if self.writable:
                self.writable = False
                self.problem = f"read-only: {why}"
                log.warning(f"translation memory {self.path} cannot be written ({why}); going on without storing "
                            "new translations (nothing else is affected)")
            return
        if self.readable:
            self.readable = self.writable = False
            self.problem = f"off: {why}"
            log.warning(f"translation memory {self.path} cannot be read ({why}); going on without it. "
                        "Delete the file, or pass --no-cache or another --cache-dir")

    # -- settings ---------------------------------------------------------------------
    def setting(self, engine: Engine, src: str, tgt: str) -> int | None:
        """The id of the (engine fingerprint, direction) setting, made on first use (None: unusable)."""
        description = setting_description(engine, src, tgt)
        key = setting_key(description)
        if key not in self._settings and self.readable:
            try:
                if self.writable:
                    try:
                        with self._transaction():
                            self.db.execute(
                                "INSERT OR IGNORE INTO settings (key, description, created) VALUES (?, ?, ?)",
                                (key, json.dumps(description, sort_keys=True, default=str), time.time()),
                            )
                    except sqlite3.OperationalError as error:
                        self._degrade(error, writing=True)
                row = self.db.execute("SELECT id FROM settings WHERE key = ?", (key,)).fetchone()
                if row is None:
                    return None
                self._settings[key] = row[0]
            except sqlite3.Error as error:
                self._degrade(error, writing=False)
        return self._settings.get(key)

    # -- entries ----------------------------------------------------------------------
    def lookup(self, setting: int | None, sources: Sequence[str], contexts: Sequence[str] | None = None) -> list[Translation | None]:
        """The stored translation of each source (with its context), or None."""
        contexts = contexts if contexts is not None else [""] * len(sources)
        found: list[Translation | None] = [None] * len(sources)
        if setting is not None and self.readable:
            query = ("SELECT target, score, tokens, pieces, flags FROM entries "
                     "WHERE setting = ? AND context = ? AND source = ?")
            try:
                for i, (source, context) in enumerate(zip(sources, contexts, strict=True)):
                    row = self.db.execute(query, (setting, context, source)).fetchone()
                    if row is not None:
                        flags = tuple(row[4].split()) if row[4] else ()
                        text, score, tokens, pieces = row[:4]
                        found[i] = Translation(text, score, tokens, pieces, unmet=UNMET in flags, flags=tuple(f for f in flags if f != UNMET),
                                               origin="memory")
            except sqlite3.Error as error:
                self._degrade(error, writing=False)
                found = [None] * len(sources)
        hits = sum(1 for t in found if t is not None)
        self.stats.hits += hits
        self.stats.misses += len(found) - hits
        return found

    def store(
        self,
        setting: int | None,
        sources: Sequence[str],
        translations: Sequence[Translation],
        contexts: Sequence[str] | None = None,
    ) -> None:
        """Remember translations, all in one transaction."""
        contexts = contexts if contexts is not None else [""] * len(sources)
        now = time.time()
        rows = [
            (setting, context, source, t.text, t.score, t.tokens, t.pieces, now,
             " ".join((*t.flags, *((UNMET,) if t.unmet else ()))))
            for source, t, context in zip(sources, translations, contexts, strict=True)
        ]
        if not rows or setting is None or not self.writable:
            return
        try:
            with self._transaction():
                self.db.executemany(
                    "INSERT OR REPLACE INTO entries (setting, context, source, target, score, tokens, pieces, created, flags) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        except sqlite3.Error as error:
            self._degrade(error, writing=True)
            return
        self.stats.stored += len(rows)

    # -- human post-edits -------------------------------------------------------------------
    def store_human(self, src: str, tgt: str, entries: Sequence[tuple[str, str, str]], who: str | None = None) -> None:
        """Remember editors' translations: (context, source, target) each, for any engine."""
        if not entries or not self.writable:
            return
        now = time.time()
        rows = [(f"{src}>{tgt}", context, source, target, who, now) for context, source, target in entries]
        try:
            with self._transaction():
                self.db.executemany("INSERT OR REPLACE INTO human VALUES (?, ?, ?, ?, ?, ?)", rows)
        except sqlite3.Error as error:
            self._degrade(error, writing=True)

    def lookup_human(self, src: str, tgt: str, sources: Sequence[str], contexts: Sequence[str]) -> list[str | None]:
        """An editor's translation of each source (with its glossary context), or None."""
        found: list[str | None] = [None] * len(sources)
        if not self.readable:
            return found
        query = "SELECT target FROM human WHERE direction = ? AND context = ? AND source = ?"
        try:
            for i, (source, context) in enumerate(zip(sources, contexts, strict=True)):
                row = self.db.execute(query, (f"{src}>{tgt}", context, source)).fetchone()
                found[i] = row[0] if row else None
        except sqlite3.OperationalError as error:
            if "no such table" not in str(error):  # an older memory not yet set up for post-edits has none
                self._degrade(error, writing=False)
            return [None] * len(sources)
        except sqlite3.Error as error:
            self._degrade(error, writing=False)
            return [None] * len(sources)
        return found

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM entries").fetchone()[0]

    def _transaction(self):
        return _Transaction(self.db)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT: the write lock is taken up front, so two writers
    queue on the busy timeout instead of failing half-way with a deadlock."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, exc, tb):
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")
        return False


def human_context(segment) -> str:
    """The glossary entries that applied to a segment (concept, source form, required target),
    in a stable order: what an editor's translation of the same source also depends on.
    Empty while a segment has no term hits."""
    terms = getattr(segment, "terms", None) or []
    return terms_context(terms)


def segment_context(segment) -> str:
    """The part of a segment's memory key that is not its text: its `human_context`, and
    whether the translation was forced to contain the terms."""
    context = human_context(segment)
    meta = getattr(segment, "meta", {})
    if meta.get("constraints") or meta.get("banned"):
        # A translation forced to contain the terms is not the free one of the same text.
        context += "\nconstrained\t" + repr((meta.get("constraints"), meta.get("banned")))
    if meta.get("context"):
        # An engine that reads the neighbouring sentences translates the same text anew in another document.
        context += "\ncontext\t" + repr(meta["context"])
    return context


HumanEdits = dict  # (src, tgt, human context, source) -> the editor's text


def translate_with_memory(
    engine: Engine,
    memory: TranslationMemory | None,
    sources: Sequence[str],
    *,
    src: str,
    tgt: str,
    contexts: Sequence[str] | None = None,
    options: Sequence[dict] | None = None,
    human_contexts: Sequence[str] | None = None,
    human: HumanEdits | None = None,
    journal: TranslationMemory | None = None,
    on_done: Done | None = None,
) -> list[Translation]:
    """Translate `sources` with `engine`, through `memory` when one is given.

    An editor's translation comes first: from `human` (this run's post-edits, keyed
    `(src, tgt, human context, source)`), else from the memory's human table. Then
    segments the run's `journal` or the memory know (same engine fingerprint,
    direction, context and source) are taken from there; the others - each distinct
    (context, source) once - go to the engine in one call. What the engine finishes is
    stored in the journal and the memory batch by batch (one transaction each), so a
    kill loses at most the batch in flight. `on_done(positions, translations)` hears of
    every source once: those known at once, then each engine batch as it returns.
    `options`: per source, engine options that lists carry per text (glossary
    `constraints`, `banned`, `align`); the context must tell apart sources whose options
    differ, but for `align` (asked once for a source when one of its places asks it).
    """
    contexts = list(contexts) if contexts is not None else [""] * len(sources)
    human_contexts = list(human_contexts) if human_contexts is not None else [""] * len(sources)
    found: list[Translation | None] = [None] * len(sources)
    if human:
        for i, (source, context) in enumerate(zip(sources, human_contexts, strict=True)):
            text = human.get((src, tgt, context, source))
            if text is not None:
                found[i] = Translation(text, None, 0, 1, origin="human")
    rest = [i for i, t in enumerate(found) if t is None]
    if memory is not None and rest:
        for i, text in zip(rest, memory.lookup_human(src, tgt, [sources[i] for i in rest], [human_contexts[i] for i in rest])):
            if text is not None:
                found[i] = Translation(text, None, 0, 1, origin="human")
        memory.stats.human += sum(1 for t in found if t is not None and t.origin == "human")
    stores = [store for store in (journal, memory) if store is not None]
    settings = {id(store): store.setting(engine, src, tgt) for store in stores}
    for store in stores:
        rest = [i for i, t in enumerate(found) if t is None]
        if rest:
            for i, hit in zip(rest, store.lookup(settings[id(store)], [sources[i] for i in rest], [contexts[i] for i in rest])):
                found[i] = hit
    known = [i for i, t in enumerate(found) if t is not None]
    if on_done is not None and known:
        on_done(known, [t for t in found if t is not None])
    todo: dict[tuple[str, str], list[int]] = {}
    for i, (source, context, hit) in enumerate(zip(sources, contexts, found)):
        if hit is None:
            todo.setdefault((context, source), []).append(i)
    if not todo:
        return found  # type: ignore[return-value]
    keys = list(todo)
    per_text: dict = {}
    if options is not None:
        for name in options[0]:
            per_text[name] = [options[todo[key][0]][name] for key in keys]
        if "align" in per_text:  # one source, with tags in one place only: aligned for it
            per_text["align"] = [any(options[i]["align"] for i in todo[key]) for key in keys]
    reported: set[int] = set()

    def finished(indices: list[int], results: list[Translation]) -> None:
        """An engine batch is back: store it, then pass it on."""
        for store in stores:
            store.store(settings[id(store)], [keys[k][1] for k in indices], results, [keys[k][0] for k in indices])
        positions, given = [], []
        for k, result in zip(indices, results, strict=True):
            reported.add(k)
            for i in todo[keys[k]]:
                found[i] = result
                positions.append(i)
                given.append(result)
        if on_done is not None:
            on_done(positions, given)

    results = engine.translate([source for _, source in keys], src=src, tgt=tgt, on_done=finished, **per_text)
    late = [k for k in range(len(keys)) if k not in reported]  # an engine that reports nothing along the way
    if late:
        finished(late, [results[k] for k in late])
    return found  # type: ignore[return-value]
