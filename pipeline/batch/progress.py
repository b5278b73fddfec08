"""Progress for people and dashboards, counted in segments as engine batches finish.

    bar     a tqdm bar on a terminal (segments, with the files done beside it)
    lines   a line every 10 s:  targman: segments 812/2114 (38%), 41 seg/s, 520 tok/s, ETA 0:32, files 40/123
    jsonl   one JSON object a line on stderr per event: loading, start, batch, file, end
    off     nothing

Segments count as done when the engine batch that holds them returns (or at once, for
segments that need no engine: passed through, from the translation memory, post-edits),
so the count moves while a window of files is still being translated. A window the engine
fails on is translated again file by file: the count goes back to where the window began
(`mark`, `back_to`), and a file or article that fails leaves its segments not done. Failed
files are counted apart: `files 39/40, 1 failed`.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tqdm import tqdm as Tqdm


def clock(seconds: float | None) -> str:
    """0:32, 12:05, 3:04:59."""
    if seconds is None:
        return "?"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


class Progress:
    def __init__(self, mode: str = "auto", stream=None, every: float = 10.0):
        self.stream = stream or sys.stderr
        self.every = every
        if mode == "auto":
            mode = "bar" if getattr(self.stream, "isatty", lambda: False)() else "lines"
        self.mode = mode
        self.files_total = self.files_done = self.files_failed = 0
        self.total = self.done = self.tokens = 0
        self.started: float | None = None  # when translating started (after the model loaded)
        self.bar: Tqdm | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    # -- events -------------------------------------------------------------------------
    def loading(self, what: str) -> None:
        """Said before a model loads, which can take a while."""
        if self.mode == "jsonl":
            self._event("loading", model=what)
        elif self.mode in ("lines", "bar"):
            self._line(f"loading {what} ...")

    def start(self, files_total: int, files_done: int, segments_total: int, files_failed: int = 0) -> None:
        self.files_total, self.files_done, self.total = files_total, files_done, segments_total
        self.files_failed = files_failed
        self.started = time.monotonic()
        if self.mode == "jsonl":
            self._event("start", files=files_total, files_done=files_done, segments=segments_total)
        elif self.mode == "bar":
            from tqdm import tqdm

            self.bar = tqdm(total=segments_total, unit="seg", file=self.stream, dynamic_ncols=True)
            self.bar.set_postfix_str(self._files(), refresh=False)
        elif self.mode == "lines":
            self._ticker = threading.Thread(target=self._tick, name="targman-progress", daemon=True)
            self._ticker.start()

    def segments(self, n: int, tokens: int = 0) -> None:
        """`n` more segments are translated (an engine batch returned), with `tokens` output tokens."""
        with self._lock:
            self.done = min(self.total, self.done + n) if self.total else self.done + n
            self.tokens += tokens
        if self.mode == "jsonl":
            self._event("batch", segments=self.done, total=self.total, tokens=self.tokens, **self._rates())
        elif self.bar is not None:
            self.bar.update(n)

    def mark(self) -> tuple[int, int]:
        """Where the count is now, to go back to when what follows fails (`back_to`)."""
        with self._lock:
            return self.done, self.tokens

    def back_to(self, mark: tuple[int, int]) -> None:
        """What was counted since `mark` is not done after all (its engine call failed)."""
        with self._lock:
            done, tokens = mark
            moved = self.done - done
            self.done, self.tokens = done, tokens
        if self.bar is not None and moved:
            self.bar.update(-moved)

    def file(self, rel: str, status: str) -> None:
        """A file is finished (written, or failed: counted apart, never as done)."""
        with self._lock:
            if str(status) == "failed":
                self.files_failed += 1
            else:
                self.files_done += 1
        if self.mode == "jsonl":
            self._event("file", file=rel, status=str(status), files_done=self.files_done, files=self.files_total,
                        files_failed=self.files_failed)
        elif self.bar is not None:
            self.bar.set_postfix_str(self._files(), refresh=True)

    def close(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
            self._line(self.status())
        if self.bar is not None:
            self.bar.close()
        if self.mode == "jsonl" and self.started is not None:
            self._event("end", segments=self.done, total=self.total, files_done=self.files_done, files=self.files_total,
                        files_failed=self.files_failed, tokens=self.tokens, **self._rates())

    # -- what is said ------------------------------------------------------------------------
    def status(self) -> str:
        rates = self._rates()
        pct = 100 * self.done / self.total if self.total else 100
        eta = f", ETA {clock(rates['eta_s'])}" if self.done < self.total else ""
        tokens = f", {rates['tokens_per_s']:.0f} tok/s" if self.tokens else ""
        return (f"segments {self.done}/{self.total} ({pct:.0f}%), {rates['segments_per_s']:.1f} seg/s{tokens}{eta}, "
                f"{self._files()}")

    def _files(self) -> str:
        failed = f", {self.files_failed} failed" if self.files_failed else ""
        return f"files {self.files_done}/{self.files_total}{failed}"

    def _rates(self) -> dict:
        elapsed = max(1e-9, time.monotonic() - self.started) if self.started is not None else 0.0
        rate = self.done / elapsed if elapsed else 0.0
        left = self.total - self.done
        return {
            "elapsed_s": round(elapsed, 1),
            "segments_per_s": round(rate, 2),
            "tokens_per_s": round(self.tokens / elapsed, 1) if elapsed else 0.0,
            "eta_s": round(left / rate, 1) if rate > 0 else None,
        }

    def _tick(self) -> None:
        while not self._stop.wait(self.every):
            self._line(self.status())

    def _line(self, text: str) -> None:
        print(f"targman: {text}", file=self.stream, flush=True)

    def _event(self, name: str, **fields) -> None:
        print(json.dumps({"event": name, "time": round(time.time(), 3), **fields}, ensure_ascii=False),
              file=self.stream, flush=True)
