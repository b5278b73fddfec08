"""Append-only JSON Lines files of a run folder: one writer and one reader for all of them.

`edits.jsonl`, `review-log.jsonl` and `.targman/outputs.jsonl` hold people's work and
targman's promises, so they are only ever appended to. A crash or a full disk can still
cut the last line (even inside a multi-byte Armenian letter). So:

- `append_jsonl` writes whole lines in one `write()` under an exclusive `flock`, fsynced;
  under that same lock it first cuts a torn tail (bytes after the last newline) away, so
  the next record never lands on a torn line. The file is opened without following a
  symlink: an append never lands outside the run folder.
- `read_jsonl` reads bytes, decodes line by line, and skips a line that is not a JSON
  object (a torn or undecodable line), saying so once per file state.
"""

from __future__ import annotations

import errno
import json
import logging
import os
from pathlib import Path
from typing import Iterable, Iterator

from pipeline.errors import WriteError, write_error

log = logging.getLogger("targman")

_reported: set[tuple[str, int, int]] = set()  # (path, size, line) already warned about


def _lock(fd: int) -> None:
    try:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX)
    except ImportError:  # pragma: no cover - Windows
        pass


def _open(path: Path, flags: int) -> int:
    """`os.open` that refuses a symlink (O_NOFOLLOW) with one line."""
    try:
        return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0), 0o666)
    except OSError as error:
        if error.errno == errno.ELOOP or (path.is_symlink() and error.errno in (errno.EMLINK, errno.ENOTDIR)):
            raise WriteError(f"refusing to write {path}: it is a symbolic link, and targman writes its run files only "
                             "inside the output folder; replace the link with a plain file (or remove it)") from None
        raise


def _torn_tail(fd: int) -> int | None:
    """Where a torn last line starts (the size after the last newline), or None when the file ends cleanly."""
    size = os.fstat(fd).st_size
    if size == 0:
        return None
    os.lseek(fd, size - 1, os.SEEK_SET)
    if os.read(fd, 1) == b"\n":
        return None
    position, chunk = size, 65536
    while position > 0:
        start = max(0, position - chunk)
        os.lseek(fd, start, os.SEEK_SET)
        data = os.read(fd, position - start)
        cut = data.rfind(b"\n")
        if cut >= 0:
            return start + cut + 1
        position = start
    return 0


def append_jsonl(path: str | Path, records: Iterable[dict], *, what: str = "a record") -> None:
    """Append whole JSON lines to `path`: see the module's docstring. An OSError becomes one
    line (WriteError, exit 74) naming the file and what to do."""
    path = Path(path)
    data = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records).encode("utf-8")
    if not data:
        return
    try:
        fd = _open(path, os.O_RDWR | os.O_CREAT)
        try:
            _lock(fd)
            cut = _torn_tail(fd)
            if cut is not None:
                os.ftruncate(fd, cut)
                log.warning(f"{path}: its last line was cut off (a crash or a full disk); the cut line was removed "
                            "before adding more")
            os.lseek(fd, 0, os.SEEK_END)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)  # closing releases the lock
    except WriteError:
        raise
    except OSError as error:
        raise write_error(error, what + " to", path) from None


def read_jsonl(path: str | Path) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each line of `path` that is a JSON object; none when the file
    is missing. A torn or undecodable line is skipped and reported once."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return
    except IsADirectoryError:
        return
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            record = None
        if not isinstance(record, dict):
            key = (str(path), len(data), number)
            if key not in _reported:
                _reported.add(key)
                where = "its last line" if number == len(lines) else f"line {number}"
                log.warning(f"{path}: {where} is not a whole JSON record (cut off by a crash or a full disk, or "
                            "edited by hand); it is skipped")
            continue
        yield number, record
