"""A cheap content hash of a model folder, for keys that must change when the model does.

Hashing gigabytes of weights on every run would cost seconds, so each file
contributes its name, its size and its first and last megabyte. Retraining or
requantising changes all of those; a copied folder keeps its hash. The result is
remembered per process, keyed by every file's (name, size, mtime), so a file that
changes on disk is hashed again.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

CHUNK = 1 << 20  # bytes read from each end of a file
# What decides a model's output: weights, configs, tokenizer and vocabulary files.
SUFFIXES = (".safetensors", ".bin", ".json", ".model", ".spm", ".txt", ".bpe", ".vocab", ".pt")


def model_files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*")
        if p.is_file() and p.suffix in SUFFIXES and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def folder_fingerprint(folder: str | Path) -> str:
    """sha256 (hex, 16 bytes) over the model files' names, sizes and first/last MB."""
    folder = Path(folder).resolve()
    files = model_files(folder)
    signature = tuple((p.relative_to(folder).as_posix(), *_stat(p)) for p in files)
    return _hash(str(folder), signature)


def _stat(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


@lru_cache(maxsize=64)
def _hash(folder: str, signature: tuple) -> str:
    digest = hashlib.sha256()
    for rel, size, _mtime in signature:
        digest.update(f"{rel}\0{size}\0".encode())
        with open(Path(folder) / rel, "rb") as handle:
            digest.update(handle.read(CHUNK))
            if size > CHUNK:
                handle.seek(max(CHUNK, size - CHUNK))
                digest.update(handle.read(CHUNK))
    return digest.hexdigest()[:32]
