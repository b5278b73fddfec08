"""Dynamic batching: concurrent requests gathered into one `Translator.translate` call.

One thread owns the Translator (its SQLite memory belongs to the thread that opened it,
and an engine is not safe to call from two threads at once). A request puts its texts on a
queue and waits on a future; the thread takes the first waiting request, keeps taking
more for `wait_ms` milliseconds or until `max_texts` texts are gathered, translates them
in one call per target language (the engine sorts and batches across requests, as it does
across documents in a run) and hands each request its own results.

Clients under steady load (a tool's workers sending one string a request, each the moment
its last answer came) send again as soon as they are answered. Gathering only for `wait_ms`
then splits them into two halves that take turns, each half an engine call: the half that
waited while the engine ran is taken at once, and the half just answered comes back a few
milliseconds too late on a busy machine. So a batch waits, beyond `wait_ms`, until it holds
as many requests as the last call answered plus those that were waiting when it ended, for
at most `patience` of that call's duration. A lone client in sequence waits for nobody; a
wait that ran out (clients that did not come back) is not tried again for a few batches.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from pipeline.translation.translator import Translator

log = logging.getLogger("targman")

IDLE_BATCHES = 8  # after a wait for returning clients that ran out, batches gathered without one


@dataclass
class Job:
    texts: list[str]
    tgt: str
    future: Future = field(default_factory=Future)


class Batcher:
    """Runs `make_translator()` in its own thread and translates submitted jobs in batches."""

    def __init__(self, make_translator: Callable[[], Translator], *, wait_ms: float = 5.0, max_texts: int = 256,
                 patience: float = 0.25, max_patience_ms: float = 500.0,
                 on_batch: Callable[[int, int, float, dict], None] | None = None,
                 on_ready: Callable[[Translator], None] | None = None):
        self.wait = wait_ms / 1000
        self.max_texts = max(1, max_texts)
        self.patience = patience  # waiting for the clients the last call answered: this share of its time at most
        self.max_patience = max_patience_ms / 1000
        self._expect = 0  # requests the last call answered + those waiting when it ended
        self._last_call = 0.0  # its seconds
        self._idle = 0  # batches left before waiting for returning clients again, after a wait that ran out
        self.on_batch = on_batch  # (requests, texts, seconds, memory stats delta) after each call
        self.on_ready = on_ready  # the Translator, in the thread, before the first job (warm-up)
        self._make = make_translator
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="targman-batcher", daemon=True)
        self.translator: Translator | None = None

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
            translator = self.translator = self._make()
            if self.on_ready is not None:
                self.on_ready(translator)
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
                self._translate(translator, jobs)
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
        started = time.monotonic()
        deadline = started + self.wait
        if self._idle:
            self._idle -= 1
            patient = deadline
        else:
            patient = max(deadline, started + min(self.max_patience, self.patience * self._last_call))
        while count < self.max_texts:
            left = (patient if len(jobs) < self._expect else deadline) - time.monotonic()
            try:
                job = self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if job is None:
                self._queue.put(None)  # stop after this batch
                break
            jobs.append(job)
            count += len(job.texts)
        if len(jobs) < self._expect and patient > deadline and count < self.max_texts:
            self._idle = IDLE_BATCHES  # they did not come back (finished, or one-off requests)
        return jobs

    def _translate(self, translator: Translator, jobs: list[Job]) -> None:
        started = time.perf_counter()
        by_tgt: dict[str, list[Job]] = {}
        for job in jobs:
            if job.future.set_running_or_notify_cancel():
                by_tgt.setdefault(job.tgt, []).append(job)
        for tgt, group in by_tgt.items():
            texts = [text for job in group for text in job.texts]
            memory = getattr(translator, "memory", None)
            before = dict(memory.stats.to_dict()) if memory is not None else {}
            started = time.perf_counter()
            try:
                results = translator.translate(texts, tgt=tgt)
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
        self._last_call = time.perf_counter() - started
        self._expect = len(jobs) + self._queue.qsize()

    def _fail_waiting(self) -> None:
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                return
            if job is not None and not job.future.done():
                job.future.set_exception(RuntimeError("the translation service stopped"))
