"""Dynamic batching: concurrent requests gathered into one `Translator.translate` call.

One thread owns the Translator (its SQLite memory belongs to the thread that opened it,
and an engine is not safe to call from two threads at once). A request puts its texts on a
queue and waits on a future; the thread takes the first waiting request, keeps taking
more for `wait_ms` milliseconds or until `max_texts` texts are gathered, translates them
in one call per target language (the engine sorts and batches across requests, as it does
across documents in a run) and hands each request its own results.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Callable

log = logging.getLogger("targman")


@dataclass
class Job:
    texts: list[str]
    tgt: str
    future: Future = field(default_factory=Future)


class Batcher:
    """Runs `make_translator()` in its own thread and translates submitted jobs in batches."""

    def __init__(self, make_translator: Callable[[], object], *, wait_ms: float = 5.0, max_texts: int = 256,
                 on_batch: Callable[[int, int, float, dict], None] | None = None,
                 on_ready: Callable[[object], None] | None = None):
        self.wait = wait_ms / 1000
        self.max_texts = max(1, max_texts)
        self.on_batch = on_batch  # (requests, texts, seconds, memory stats delta) after each call
        self.on_ready = on_ready  # the Translator, in the thread, before the first job (warm-up)
        self._make = make_translator
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="targman-batcher", daemon=True)
        self.translator = None

    def start(self, timeout: float = 600.0) -> None:
        """Start the thread and wait until the Translator is built (its error is raised here)."""
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError(f"the translator was not ready after {timeout:.0f} s")
        if self._error is not None:
            raise self._error

    def submit(self, texts: list[str], tgt: str) -> Future:
        """A future of one `translator.Result` per text."""
        job = Job(list(texts), tgt)
        if not texts:
            job.future.set_result([])
        elif self._error is not None or not self._thread.is_alive():
            job.future.set_exception(RuntimeError("the translation service is stopping"))
        else:
            self._queue.put(job)
        return job.future

    def close(self, timeout: float = 30.0) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout)

    # -- the thread ------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self.translator = self._make()
            if self.on_ready is not None:
                self.on_ready(self.translator)
        except BaseException as error:  # handed to start(), which raises it in the caller
            self._error = error
            self._ready.set()
            return
        self._ready.set()
        try:
            while True:
                jobs = self._gather()
                if jobs is None:
                    return
                self._translate(jobs)
        finally:
            self._fail_waiting()
            close = getattr(self.translator, "close", None)
            if close is not None:
                close()

    def _gather(self) -> list[Job] | None:
        """The next batch of jobs: the first one waiting, and those that come within `wait`."""
        first = self._queue.get()
        if first is None:
            return None
        jobs, count = [first], len(first.texts)
        deadline = time.monotonic() + self.wait
        while count < self.max_texts:
            left = deadline - time.monotonic()
            try:
                job = self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if job is None:
                self._queue.put(None)  # stop after this batch
                break
            jobs.append(job)
            count += len(job.texts)
        return jobs

    def _translate(self, jobs: list[Job]) -> None:
        by_tgt: dict[str, list[Job]] = {}
        for job in jobs:
            if job.future.set_running_or_notify_cancel():
                by_tgt.setdefault(job.tgt, []).append(job)
        for tgt, group in by_tgt.items():
            texts = [text for job in group for text in job.texts]
            memory = getattr(self.translator, "memory", None)
            before = dict(memory.stats.to_dict()) if memory is not None else {}
            started = time.perf_counter()
            try:
                results = self.translator.translate(texts, tgt=tgt)
            except Exception as error:  # every request of the call hears of it; the service goes on
                log.warning(f"serve: a batch of {len(texts)} text(s) into {tgt} failed: {error}")
                for job in group:
                    job.future.set_exception(error)
                continue
            seconds = time.perf_counter() - started
            at = 0
            for job in group:
                job.future.set_result(results[at:at + len(job.texts)])
                at += len(job.texts)
            if self.on_batch is not None:
                after = memory.stats.to_dict() if memory is not None else {}
                self.on_batch(len(group), len(texts), seconds,
                              {k: after[k] - before.get(k, 0) for k in after if isinstance(after[k], int)})

    def _fail_waiting(self) -> None:
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                return
            if job is not None and not job.future.done():
                job.future.set_exception(RuntimeError("the translation service stopped"))
