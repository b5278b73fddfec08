"""The translation memory: segments translated before are not translated again.

An SQLite file (`memory.sqlite3` in the cache folder, see `pipeline.cachedir`).
An entry is keyed by

- the *setting*: the engine's `fingerprint()` (engine, model id, a content hash
  of the model folder, revision, decoding settings such as beam size and
  maximum length) and the direction (src -> tgt), hashed into one key;
- the *context*: a string per segment for whatever else decides its
  translation - the glossary entries that applied (see `segment_context`);
- the exact source segment.

Change the model, its weights, the beam, the direction or the glossary entries
and the old entries simply no longer match. Several runs may share one memory:
the database is in WAL mode with a busy timeout, and every store is one
transaction, so concurrent writers wait for each other instead of corrupting it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from pipeline.engines.base import Engine, Translation
from pipeline.errors import TargmanError

FILENAME = "memory.sqlite3"
SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 60_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    created REAL NOT NULL
);
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
    """What decides a translation besides the segment: engine fingerprint and direction."""
    return {"engine": engine.fingerprint(), "src": src, "tgt": tgt}


def setting_key(description: dict) -> str:
    return hashlib.sha256(json.dumps(description, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class MemoryStats:
    hits: int = 0
    misses: int = 0
    stored: int = 0

    def to_dict(self) -> dict:
        return {"hits": self.hits, "misses": self.misses, "stored": self.stored}


class TranslationMemory:
    """`lookup()` what is known, translate the rest, `store()` it."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.stats = MemoryStats()
        self._settings: dict[str, int] = {}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
            self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._setup()
        except sqlite3.DatabaseError as error:
            raise TargmanError(
                f"translation memory {self.path} cannot be used ({error}); delete it, or pass --no-cache "
                "or another --cache-dir"
            ) from None

    def _setup(self) -> None:
        """WAL mode and the schema. Switching to WAL needs a moment alone with the file and
        SQLite answers "locked" at once instead of waiting, when another process opens the
        same new memory at the same moment: so it is retried for as long as the busy timeout."""
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

    @classmethod
    def in_folder(cls, folder: str | Path) -> "TranslationMemory":
        return cls(Path(folder) / FILENAME)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "TranslationMemory":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- settings ---------------------------------------------------------------------
    def setting(self, engine: Engine, src: str, tgt: str) -> int:
        """The id of the (engine fingerprint, direction) setting, made on first use."""
        description = setting_description(engine, src, tgt)
        key = setting_key(description)
        if key not in self._settings:
            with self._transaction():
                self.db.execute(
                    "INSERT OR IGNORE INTO settings (key, description, created) VALUES (?, ?, ?)",
                    (key, json.dumps(description, sort_keys=True, default=str), time.time()),
                )
                (self._settings[key],) = self.db.execute("SELECT id FROM settings WHERE key = ?", (key,)).fetchone()
        return self._settings[key]

    # -- entries ----------------------------------------------------------------------
    def lookup(self, setting: int, sources: Sequence[str], contexts: Sequence[str] | None = None) -> list[Translation | None]:
        """The stored translation of each source (with its context), or None."""
        contexts = contexts if contexts is not None else [""] * len(sources)
        found: list[Translation | None] = []
        query = "SELECT target, score, tokens, pieces, flags FROM entries WHERE setting = ? AND context = ? AND source = ?"
        for source, context in zip(sources, contexts, strict=True):
            row = self.db.execute(query, (setting, context, source)).fetchone()
            if row is None:
                found.append(None)
                continue
            flags = tuple(row[4].split()) if row[4] else ()
            found.append(Translation(*row[:4], unmet=UNMET in flags, flags=tuple(f for f in flags if f != UNMET)))
        hits = sum(1 for t in found if t is not None)
        self.stats.hits += hits
        self.stats.misses += len(found) - hits
        return found

    def store(
        self,
        setting: int,
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
        if not rows:
            return
        with self._transaction():
            self.db.executemany(
                "INSERT OR REPLACE INTO entries (setting, context, source, target, score, tokens, pieces, created, flags) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        self.stats.stored += len(rows)

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


def segment_context(segment) -> str:
    """The part of a segment's memory key that is not its text: the glossary entries
    that applied to it (concept, source form, required target), in a stable order.
    Empty while a segment has no term hits."""
    terms = getattr(segment, "terms", None) or []
    context = "\n".join(sorted(f"{t.concept}\t{t.source}\t{t.target}" for t in terms))
    meta = getattr(segment, "meta", {})
    if meta.get("constraints") or meta.get("banned"):
        # A translation forced to contain the terms is not the free one of the same text.
        context += "\nconstrained\t" + repr((meta.get("constraints"), meta.get("banned")))
    if meta.get("context"):
        # An engine that reads the neighbouring sentences translates the same text anew in another document.
        context += "\ncontext\t" + repr(meta["context"])
    return context


def translate_with_memory(
    engine: Engine,
    memory: TranslationMemory | None,
    sources: Sequence[str],
    *,
    src: str,
    tgt: str,
    contexts: Sequence[str] | None = None,
    options: Sequence[dict] | None = None,
) -> list[Translation]:
    """Translate `sources` with `engine`, through `memory` when one is given.

    Known segments come from the memory; the others - each distinct (context,
    source) once - go to the engine in one call, and are stored. `options`: per
    source, engine options that lists carry per text (glossary `constraints`,
    `banned`); the context must tell apart sources whose options differ.
    """
    contexts = list(contexts) if contexts is not None else [""] * len(sources)
    found: list[Translation | None]
    if memory is not None:
        setting = memory.setting(engine, src, tgt)
        found = memory.lookup(setting, sources, contexts)
    else:
        found = [None] * len(sources)
    todo: dict[tuple[str, str], list[int]] = {}
    for i, (source, context, hit) in enumerate(zip(sources, contexts, found)):
        if hit is None:
            todo.setdefault((context, source), []).append(i)
    if todo:
        keys = list(todo)
        per_text: dict = {}
        if options is not None:
            for name in options[0]:
                per_text[name] = [options[todo[key][0]][name] for key in keys]
        results = engine.translate([source for _, source in keys], src=src, tgt=tgt, **per_text)
        for key, result in zip(keys, results, strict=True):
            for i in todo[key]:
                found[i] = result
        if memory is not None:
            memory.store(setting, [s for _, s in keys], results, [c for c, _ in keys])
    return found  # type: ignore[return-value]
