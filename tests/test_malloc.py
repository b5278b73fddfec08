"""The glibc malloc setting applied in-process before an engine loads (pipeline.models.malloc)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CHILD = """
import ctypes, json, resource, sys
from pipeline.models import malloc
applied = malloc.tune_malloc()
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
libc.memset.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):  # what a beam search does at every step: a big buffer, filled, freed
    block = libc.malloc(64 * 2**20)
    libc.memset(block, 1, 64 * 2**20)
    libc.free(block)
print(json.dumps({"applied": applied, "faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before,
                  "again": malloc.tune_malloc(), "allocator": malloc.allocator()}))
"""


def child(**env) -> dict:
    base = {k: v for k, v in os.environ.items() if k != "TARGMAN_MALLOC"}
    done = subprocess.run([sys.executable, "-c", CHILD], env={**base, "PYTHONPATH": str(REPO), **env},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc")
def test_mallopt_keeps_freed_big_blocks_in_the_heap():
    tuned, default = child(), child(TARGMAN_MALLOC="off")
    assert tuned["applied"] == tuned["again"] == "mallopt" and tuned["allocator"] == "glibc"
    assert default["applied"] == "off"
    # glibc's default maps and unmaps each 64 MB block: every page faults in again, 20 times
    assert default["faults"] > 20 * 16_000
    assert tuned["faults"] < 2 * 16_384  # touched once, then reused
