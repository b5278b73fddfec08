"""The state folder `OUT_DIR/.targman/` that makes a run resumable.

    settings.json      the fingerprint of the settings the outputs were made with
    parts/KEY.jsonl    one file per finished input file: a header line (the input's
                       size, mtime and sha256, its status and counts, the sha256 of
                       its translated file, the count and sha256 of its rows) and then
                       its rows of segments.jsonl; a part whose rows do not match its
                       header (cut short, edited) is not trusted: the file is redone
    outputs.jsonl      every translated file targman wrote (path, sha256), kept across
                       --force: only such a file, unchanged, is ever replaced or deleted;
                       a changed one was edited by hand, and an unknown one is the user's
    lock               held while a run writes to OUT_DIR

Every file here is written atomically, and a part only after the translated file
it describes, so a run killed at any moment leaves finished files with their part
and nothing else; the next run with the same settings redoes only what has no
valid part. The run's `segments.jsonl`, `errors.jsonl` and `run.json` are built
from the parts, in input order, so a resumed run writes the same bytes as an
uninterrupted one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Iterator, TextIO, overload

from pipeline import __version__
from pipeline.atomic import TMP_SUFFIX, atomic_open, atomic_write_json, atomic_write_text
from pipeline.config import Config, HtmlConfig, RunConfig
from pipeline.errors import StateError, TargmanError, write_error
from pipeline.jsonl import append_jsonl, read_jsonl
from pipeline.layout import DISCARDED_WITH_A_RUN, STATE_DIR
from pipeline.runfolder.status import FileStatus

log = logging.getLogger("targman")

STATE_VERSION = 1

# Settings that change how fast a run goes or which files it accepts, not what a
# finished file contains: they may change between an interrupted run and its resumption.
# (Every other setting, including ones added later, is part of the fingerprint.)
NOT_FINGERPRINTED = {
    ("run", "progress"),
    ("run", "window"),
    ("run", "max_file_mb"),
    ("run", "max_line_chars"),
    ("model", "threads"),
    ("model", "device"),
    ("model", "batch_tokens"),
    ("model", "batch_size"),
    ("cache", "dir"),  # the translation memory changes how fast, not what comes out
    ("cache", "memory"),
    ("model", "allow_pickle"),
    ("model", "concurrency"),  # openai: how many requests at once, how long to wait, how often to retry
    ("model", "timeout_s"),
    ("model", "retries"),
    ("model", "api_key_env"),  # which variable holds the key, not what comes out
    ("run", "executor"),  # where the engine runs (this process, a Ray cluster): a run resumes on either
}
NOT_FINGERPRINTED_SECTIONS = ("ray", "serve")  # the Ray cluster and its actors, the service's limits: not what comes out
# Settings only some engines read (by registry name): for any other engine they decide
# nothing, so they are not fingerprinted (an hf run resumes whatever --quantization says).
ENGINE_ONLY = {
    ("model", "quantization"): ("ct2",),
    ("model", "source"): ("ct2",),
    ("model", "base_url"): ("openai",),
    ("model", "temperature"): ("openai",),
    ("model", "context_sentences"): ("openai",),
}
# What the engine reports that names a model rather than identifies it: the settings
# identify the weights already (`model_weights`), so a folder given by another path,
# or a conversion cached in another --cache-dir, is the same model.
MODEL_INFO_IGNORED = ("device", "id", "converted", "source")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_digest(model_id: str, revision: str | None) -> dict:
    """What identifies the weights: the files of a local folder, or the hub id and revision."""
    folder = Path(model_id).expanduser()
    if model_id and folder.is_dir():  # "" (the default model, not chosen yet) is not the current folder
        # Names, sizes and the first and last MB of every file: weights changed in place are
        # caught without reading a 300 MB model on every run (a cached rerun is mostly this).
        from pipeline.models.fingerprint import folder_fingerprint

        return {"content": folder_fingerprint(folder)}
    return {"hub": model_id, "revision": revision}


def settings_of(config: Config) -> dict:
    """The settings a run's outputs depend on (see NOT_FINGERPRINTED and `normalised`)."""
    data = config.to_dict()
    data.pop("source", None)
    model = data["model"]
    # The engine in use's own section, keyed as [model] held it before (a run made then still
    # resumes); the sections of engines not in use decide nothing.
    model.update((model.pop("engines", None) or {}).get(model.get("engine"), {}))
    for section, key in NOT_FINGERPRINTED:
        data.get(section, {}).pop(key, None)
    for section in NOT_FINGERPRINTED_SECTIONS:
        data.pop(section, None)
    settings = {
        "state_version": STATE_VERSION,
        "targman": __version__,
        "config": data,
        "model_weights": model_digest(config.model.id, config.model.revision),
    }
    # The glossary's content is not a setting: a file whose glossary matches changed is translated
    # again on its own (`batch.plan`), and the editors' work stays (no --force for a glossary edit).
    return normalised(json.loads(json.dumps(settings)))  # as it reads back from settings.json (tuples are lists)


@overload
def normalised(settings: dict) -> dict: ...
@overload
def normalised(settings: dict | None) -> dict | None: ...
def normalised(settings: dict | None) -> dict | None:
    """Settings as they are compared: what identifies the model and the glossary by content is
    kept, the names they were given are dropped (`models/x` and `/abs/models/x` are one folder;
    a copied glossary is the same glossary), and so are settings the engine does not read.
    Applied to settings.json of earlier runs too, so their runs still resume."""
    if not isinstance(settings, dict) or not isinstance(settings.get("config"), dict):
        return settings
    settings = json.loads(json.dumps(settings))
    config = settings["config"]
    model = config.get("model") if isinstance(config.get("model"), dict) else {}
    if (settings.get("model_weights") or {}).get("content"):
        model.pop("id", None)  # a local folder: its content fingerprint is the model
    settings.pop("glossary_sha256", None)  # earlier versions kept it here; now each part keeps its own
    if isinstance(config.get("glossary"), dict):
        config["glossary"].pop("path", None)
    for (section, key), engines in ENGINE_ONLY.items():
        if model.get("engine") not in engines:
            (config.get(section) or {}).pop(key, None)
    if "names" not in config:  # a run made before [names] existed spelled names as "fix" does not: "off"
        config["names"] = {"consistency": "off", "surname_ending": "yan"}
    # A run made before [html] and chrome_min_docs existed is read as one made with their defaults:
    # it resumes without --force unless this run sets them otherwise.
    if "html" not in config:
        config["html"] = asdict(HtmlConfig())
    if isinstance(config.get("run"), dict) and "chrome_min_docs" not in config["run"]:
        config["run"]["chrome_min_docs"] = RunConfig.chrome_min_docs
    return settings


def _differences(old, new, prefix: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        for key in sorted(set(old) | set(new), key=str):
            found += _differences(old.get(key), new.get(key), f"{prefix}.{key}" if prefix else str(key))
        return found
    if old != new:
        shorten = lambda v: (repr(v)[:60] + "…") if len(repr(v)) > 60 else repr(v)  # noqa: E731
        return [f"{prefix}: {shorten(old)} -> {shorten(new)}"]
    return []


def file_stat(path: Path) -> dict:
    info = path.stat()
    return {"size": info.st_size, "mtime_ns": info.st_mtime_ns}


def same_file(path: Path, recorded: dict | None) -> bool:
    """Is `path` the file recorded (None: that there is no such file)? Hashes only when the stat differs."""
    if recorded is None:
        from pipeline.documents.reader import is_file

        return not is_file(path)
    try:
        now = file_stat(path)
    except OSError:
        return False
    if now["size"] != recorded["size"]:
        return False
    if now["mtime_ns"] == recorded["mtime_ns"]:
        return True
    try:
        return sha256_file(path) == recorded["sha256"]  # touched, copied: same bytes, same file
    except OSError:
        return False


class RunState:
    """The state folder of one OUT_DIR; `open()` takes the lock and checks the settings."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self.dir = out_dir / STATE_DIR
        self.parts = self.dir / "parts"
        self.discarded = self.dir / "parts.discarded"  # the parts of a run --force discarded, until this one ends
        self.settings_path = self.dir / "settings.json"
        self.outputs_path = self.dir / "outputs.jsonl"
        self.journal_path = self.dir / "journal.sqlite3"
        self._lock: TextIO | None = None
        self.settings: dict = {}
        self._outputs: dict[str, set[str]] = {}  # rel -> every sha256 targman wrote there

    # -- ownership ---------------------------------------------------------------------
    def open(self, settings: dict, *, force: bool = False) -> int:
        """Lock OUT_DIR and adopt it; returns how many finished files an earlier run left.

        Raises StateError when another run holds the lock, or when OUT_DIR holds a run
        made with other settings (unless `force`, which discards it), and WriteError
        when OUT_DIR or its state folder cannot be written (before any model loads).
        """
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise write_error(error, "the state folder", self.dir) from None
        self._take_lock()
        self.remove_temporary_files()
        self._probe(self.out_dir, "the output folder")
        self._probe(self.dir, "the state folder")
        previous = self._read_settings()
        existing = list(self.parts.glob("*.jsonl")) if self.parts.is_dir() else []
        same = previous is not None and normalised(previous.get("settings")) == settings
        if previous is not None and not same and existing and not force:
            changes = _differences(normalised(previous.get("settings")), settings)
            shown = "; ".join(changes[:6]) + ("; …" if len(changes) > 6 else "")
            raise StateError(
                f"{self.out_dir} holds a run made with other settings ({shown}). "
                f"Use a new output folder, or pass --force to discard its {len(existing)} finished file(s) "
                "and translate everything again"
            )
        try:
            self._load_outputs(existing)
            if not same or force:
                if self.parts.is_dir():  # kept aside until the run ends: an article edited by hand is read against it
                    shutil.rmtree(self.discarded, ignore_errors=True)
                    self.parts.rename(self.discarded)
                self.drop_journal()  # made with other settings
                for name in DISCARDED_WITH_A_RUN:  # they described the run being discarded
                    (self.out_dir / name).unlink(missing_ok=True)
                existing = []
                self.settings = {"settings": settings}
                atomic_write_json(self.settings_path, self.settings)
            else:
                assert previous is not None  # `same` needs it
                self.settings = previous
            self.parts.mkdir(exist_ok=True)
        except OSError as error:
            raise write_error(error, "the state folder", self.dir) from None
        return len(existing)

    def adopt(self) -> None:
        """Lock OUT_DIR and read what the last run left, changing nothing: for commands that
        edit a finished run in place (`targman apply`). Raises StateError when a run holds the lock."""
        if not self.settings_path.is_file():
            raise StateError(f"{self.out_dir} holds no run state ({self.dir}); is this the output folder of `targman run`?")
        self._take_lock()
        self.settings = self._read_settings() or {}
        self._load_outputs(list(self.parts.glob("*.jsonl")) if self.parts.is_dir() else [])

    @staticmethod
    def _probe(folder: Path, what: str) -> None:
        """Fail now, before any model loads, when `folder` cannot take a new file."""
        try:
            with atomic_open(folder / ".write-check"):
                pass
            (folder / ".write-check").unlink()
        except OSError as error:
            raise write_error(error, what, folder) from None

    def _read_settings(self) -> dict | None:
        try:
            data = json.loads(self.settings_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def _take_lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no lock, one run at a time by convention
            return
        try:
            fd = os.open(self.dir / "lock", os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o666)
            handle = os.fdopen(fd, "a+", encoding="utf-8")
        except OSError as error:
            raise write_error(error, "the lock file", self.dir / "lock") from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            handle.close()
            raise StateError(
                f"another targman run (pid {holder}) is writing to {self.out_dir}; wait for it, or use another output folder"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._lock = handle

    def close(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def check_model(self, info: dict) -> None:
        """The loaded model must be the one the finished files were made with."""
        recorded = self.settings.get("model")
        if recorded is None or recorded != info:
            drop = lambda d: {k: v for k, v in d.items() if k not in MODEL_INFO_IGNORED}  # noqa: E731
            if recorded is not None and drop(recorded) != drop(info) and any(self.parts.glob("*.jsonl")):
                changes = "; ".join(_differences(drop(recorded), drop(info))[:6])
                raise StateError(
                    f"{self.out_dir} holds a run made with another model ({changes}). "
                    "Use a new output folder, or pass --force to translate everything again"
                )
            self.settings["model"] = info
            try:
                atomic_write_json(self.settings_path, self.settings)
            except OSError as error:
                raise write_error(error, "the run's settings", self.settings_path) from None

    @property
    def model_info(self) -> dict | None:
        return self.settings.get("model")

    def remove_temporary_files(self) -> None:
        """What a killed run left half-written (never visible under a real name) goes."""
        for dirpath, _, filenames in os.walk(self.out_dir):
            for name in filenames:
                if name.startswith(".") and name.endswith(TMP_SUFFIX):
                    try:
                        os.unlink(os.path.join(dirpath, name))
                    except OSError:
                        pass

    # -- parts -------------------------------------------------------------------------
    def part_path(self, rel: str) -> Path:
        return self.parts / (hashlib.sha256(rel.encode("utf-8")).hexdigest()[:32] + ".jsonl")

    def save_part(self, header: dict, rows: list[str]) -> None:
        """Write a finished file's part; its header counts and hashes the rows, so a part cut
        short or edited is found out (`valid_header`)."""
        body = "".join(rows)
        header = {**header, "rows": len(rows), "rows_sha256": hashlib.sha256(body.encode("utf-8")).hexdigest()}
        atomic_write_text(self.part_path(header["rel"]), json.dumps(header, ensure_ascii=False) + "\n" + body)

    def drop_part(self, rel: str) -> None:
        try:
            self.part_path(rel).unlink()
        except OSError:
            pass

    def header(self, rel: str) -> dict | None:
        try:
            with open(self.part_path(rel), encoding="utf-8") as handle:
                header = json.loads(handle.readline())
        except (OSError, ValueError):
            return None
        return header if isinstance(header, dict) and header.get("rel") == rel else None

    def valid_header(self, rel: str) -> dict | None:
        """The part's header when its rows are whole: as many as it says, with the hash it says."""
        header = self.header(rel)
        if header is None or not isinstance(header.get("rows"), int):
            return None  # no part, or one written before parts were checked: redo it
        digest = hashlib.sha256()
        count = 0
        try:
            with open(self.part_path(rel), "rb") as handle:
                handle.readline()
                for line in handle:
                    if not line.endswith(b"\n"):
                        return None  # cut mid-row
                    digest.update(line)
                    count += 1
        except OSError:
            return None
        if count != header["rows"] or digest.hexdigest() != header.get("rows_sha256"):
            return None
        return header

    def finished(self, rel: str, path: Path, ref: Path, output: Path) -> dict | None:
        """The part header of `rel` when its file is done and nothing it depends on changed."""
        header = self.valid_header(rel)
        if not header or header.get("status") != FileStatus.DONE:
            return None
        source = header.get("input") or {}
        if not same_file(path, source.get("file")) or not same_file(ref, source.get("ref")):
            return None
        try:
            if sha256_file(output) != header.get("output_sha256"):
                return None  # the translation was deleted or edited: make it again
        except OSError:
            return None
        return header

    # -- what targman wrote --------------------------------------------------------------
    def _load_outputs(self, parts: list[Path]) -> None:
        """Read outputs.jsonl (a torn last line is skipped); parts of earlier versions count too."""
        self._outputs = {}
        for _, entry in read_jsonl(self.outputs_path):
            if isinstance(entry.get("rel"), str) and isinstance(entry.get("sha256"), str):
                self._outputs.setdefault(entry["rel"], set()).add(entry["sha256"])
        for part in parts:  # a run of an earlier version recorded what it wrote only in its parts
            try:
                with open(part, encoding="utf-8") as handle:
                    header = json.loads(handle.readline())
                rel, digest = header["rel"], header["output_sha256"]
            except (OSError, ValueError, KeyError, TypeError):
                continue
            if digest not in self._outputs.get(rel, ()):
                self.record_output(rel, digest)

    def record_output(self, rel: str, sha256: str) -> None:
        """Note, before writing it, that targman writes this content at `rel` (fsynced)."""
        if sha256 in self._outputs.get(rel, ()):
            return
        append_jsonl(self.outputs_path, [{"rel": rel, "sha256": sha256}], what="the record of a translation")
        self._outputs.setdefault(rel, set()).add(sha256)

    def keep_edited(self, rel: str, output: Path) -> str:
        """Copy an article edited by hand to `.targman/edited/REL` before it is replaced;
        returns that path, relative to OUT_DIR (an earlier copy gets a number)."""
        target = self.dir / "edited" / rel
        n = 1
        while target.exists():
            n += 1
            target = self.dir / "edited" / f"{rel}.{n}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(output, target)
        return target.relative_to(self.out_dir).as_posix()

    # -- the journal of finished batches ---------------------------------------------------------
    def journal(self):
        """The run's own store of every finished engine batch (`.targman/journal.sqlite3`), which
        makes a killed run lose at most the batches in flight, also with --no-cache; None (with
        a warning) when it cannot be opened."""
        from pipeline.translation.memory import TranslationMemory

        try:
            return TranslationMemory(self.journal_path)
        except (TargmanError, OSError) as error:
            log.warning(f"{error}; this run cannot resume mid-file")
            return None

    def drop_journal(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.journal_path}{suffix}").unlink(missing_ok=True)

    def written(self) -> list[str]:
        """Every output path (relative to OUT_DIR) targman has written, sorted."""
        return sorted(self._outputs)

    def compact_outputs(self) -> None:
        """Rewrite outputs.jsonl with one line per (file, content) targman wrote."""
        lines = [json.dumps({"rel": rel, "sha256": digest}, ensure_ascii=False) + "\n"
                 for rel in sorted(self._outputs) for digest in sorted(self._outputs[rel])]
        atomic_write_text(self.outputs_path, "".join(lines))

    def ownership(self, rel: str, output: Path) -> str:
        """`absent`, `ours` (a file targman wrote, unchanged), `edited` (one targman wrote,
        changed since) or `foreign` (targman never wrote a file there)."""
        try:
            digest = sha256_file(output)
        except FileNotFoundError:
            return "absent"
        except OSError:
            return "foreign"  # unreadable, or a folder: not ours to touch
        if digest in self._outputs.get(rel, ()):
            return "ours"
        return "edited" if rel in self._outputs else "foreign"

    def rows(self, rel: str) -> Iterator[str]:
        with open(self.part_path(rel), encoding="utf-8") as handle:
            handle.readline()
            yield from handle

    def written_rows(self, rel: str) -> list[str]:
        """The rows a file's translation was written from: its part, or the part of the run that
        --force discarded (so an article edited by hand is still read against its rows)."""
        try:
            return list(self.rows(rel))
        except FileNotFoundError:
            with open(self.discarded / self.part_path(rel).name, encoding="utf-8") as handle:
                handle.readline()
                return list(handle)

    def drop_discarded(self) -> None:
        shutil.rmtree(self.discarded, ignore_errors=True)

    def prune(self, keep: set[str]) -> None:
        """Parts of files that are no longer inputs go (their translated files stay)."""
        wanted = {self.part_path(rel).name for rel in keep}
        for part in self.parts.glob("*.jsonl"):
            if part.name not in wanted:
                part.unlink()
