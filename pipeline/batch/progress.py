"""Progress for people: a bar on a terminal, a quiet line now and then in a log."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, total: int, mode: str = "auto", stream=None, every: float = 10.0):
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.every = every
        self.start = self.last = time.monotonic()
        if mode == "auto":
            mode = "bar" if getattr(self.stream, "isatty", lambda: False)() else "lines"
        self.mode = mode
        self.bar = None
        if mode == "bar":
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="file", file=self.stream, dynamic_ncols=True)

    def advance(self, name: str = "", n: int = 1) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.set_postfix_str(name[-40:], refresh=False)
            self.bar.update(n)
        elif self.mode == "lines":
            now = time.monotonic()
            if now - self.last >= self.every or self.done == self.total:
                self.last = now
                pct = 100 * self.done / self.total if self.total else 100
                print(f"targman: {self.done}/{self.total} files ({pct:.0f}%), {now - self.start:.1f} s", file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
