"""Writing files so that a reader never sees half of one.

Every file is written to a temporary name in the same folder, flushed to disk and
renamed into place; an error, Ctrl-C or a kill leaves the old file as it was. A
symbolic link where a file is to be written is refused (ELOOP, "remove the link"):
the rename would replace the link, not write through it, but a link in OUT_DIR is
someone pointing targman at a file outside it, and that deserves a line, not a quiet fix.
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, TextIO


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


TMP_SUFFIX = ".targman-tmp"  # what a killed run can leave behind; the next run removes it


def refuse_link(path: Path) -> None:
    """OSError(ELOOP) when `path` is a symbolic link (`errors.write_error` turns it into one line)."""
    if os.path.islink(path):
        raise OSError(errno.ELOOP, "a symbolic link stands where targman writes a file", str(path))


def refuse_links_below(root: Path, path: Path) -> None:
    """OSError(ELOOP) when a folder between `root` (which may itself be a link) and `path` is a link."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return
    folder = root
    for part in parts[:-1]:
        folder = folder / part
        refuse_link(folder)


@contextmanager
def atomic_open(path: Path) -> Iterator[TextIO]:
    """A text file to write that appears at `path` whole, or not at all.

    It is written under a temporary name in the same folder, flushed to disk,
    and renamed over `path` only when the `with` block ends without an error;
    an error (or Ctrl-C, or a kill) leaves the old `path` as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    refuse_link(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:50]}.", suffix=TMP_SUFFIX, dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; outputs get the usual mode
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def atomic_write_text(path: Path, text: str | bytes) -> None:
    """`text` written whole; bytes (a Word file) as they are."""
    with atomic_open(path) as handle:
        if isinstance(text, bytes):
            handle.flush()
            handle.buffer.write(text)
        else:
            handle.write(text)


def atomic_write_json(path: Path, data) -> None:
    """`data` as indented JSON, written a piece at a time: `json.dumps` with an indent would
    first gather every token of a 10,000-file run.json in one list (tens of MB)."""
    with atomic_open(path) as handle:
        json.dump(data, handle, ensure_ascii=False, indent=2)
        handle.write("\n")
