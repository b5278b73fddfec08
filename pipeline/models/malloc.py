"""glibc malloc settings for decoding long outputs on CPU, applied from inside the process.

glibc serves every allocation above its mmap threshold (128 KiB, rising with use to at
most 32 MiB) with a fresh `mmap` and returns it with `munmap` when freed, and gives the
top of its heap back to the kernel above the trim threshold. A beam search over long
outputs allocates and frees buffers of tens of MB at every step, so each step faults in
fresh zeroed pages: with CTranslate2 at 256-token outputs on 2 cores that is more
system time than user time, and half the throughput (`targman bench` measures it).

`tune_malloc()` raises both thresholds to 2 GiB with `mallopt` (through ctypes), the
in-process equivalent of `GLIBC_TUNABLES=glibc.malloc.mmap_threshold=...:glibc.malloc.
trim_threshold=...`: freed memory stays in the heap and is reused. Memory the process
once used is kept rather than given back, which a batch job that runs to the end does
not mind. jemalloc (Debian's `libjemalloc2`) does as well when preloaded
(`LD_PRELOAD=libjemalloc.so.2`); it cannot be switched to from inside a running process.

`TARGMAN_MALLOC=off` leaves glibc's defaults (read when an engine loads, not at import).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import sys
from pathlib import Path

log = logging.getLogger("targman")

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
THRESHOLD = 2**31 - 1  # mallopt takes an int: 2 GiB is the largest it accepts
ENV = "TARGMAN_MALLOC"

_applied: str | None = None


def allocator() -> str:
    """`jemalloc` when it is loaded into this process (preloaded), else `glibc` or `other`."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        maps = ""
    if "libjemalloc" in maps:
        return "jemalloc"
    if sys.platform.startswith("linux") and _libc() is not None:
        return "glibc"
    return "other"


def _libc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "gnu_get_libc_version") else None


def tune_malloc() -> str:
    """Apply the setting once per process; returns what is in force: `mallopt` (glibc
    thresholds raised), `jemalloc` (preloaded: nothing to do), `off` (TARGMAN_MALLOC=off)
    or `unavailable` (not glibc)."""
    global _applied
    if _applied is not None:
        return _applied
    if os.environ.get(ENV, "").strip().lower() in ("off", "0", "false", "default"):
        _applied = "off"
    elif allocator() == "jemalloc":
        _applied = "jemalloc"
    else:
        libc = _libc()
        if libc is None:
            _applied = "unavailable"
        else:
            ok = libc.mallopt(M_MMAP_THRESHOLD, ctypes.c_int(THRESHOLD)) == 1
            ok = libc.mallopt(M_TRIM_THRESHOLD, ctypes.c_int(THRESHOLD)) == 1 and ok
            _applied = "mallopt" if ok else "unavailable"
    log.debug(f"malloc: {_applied}")
    return _applied


def applied() -> str | None:
    """What `tune_malloc()` applied in this process (None: not called yet)."""
    return _applied
