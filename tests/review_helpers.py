"""Runs to review, made fast with `FunctionEngine` (no torch), and the review server in a thread."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ARTICLES = {
    "a01.txt": "Լավրովը հանդիպեց Միրզոյանին։ Նրանք խոսեցին ՀԱՊԿ-ի մասին։\n\nThe talks went on.\n",
    "news/a02.md": "# Մոսկվա\n\nՄիրզոյանը Մոսկվայում է։ Նա կվերադառնա Երևան։\n",
    "a03.txt": "Բաքվում հանդիպում էր։\n",
}


def upper(text: str, src: str, tgt: str) -> str:
    """A "translation" that shows what was translated (and keeps Latin names)."""
    return f"MT {text}"


def make_run(tmp_path: Path, *, articles: dict[str, str] | None = None, glossary: bool = True, engine=None,
             out_name: str = "out") -> Path:
    """Translate a few articles into English with a FunctionEngine; returns OUT_DIR.
    The glossary is a copy of the desk's (the review may add concepts to it)."""
    from pipeline import Translator, run
    from pipeline.engines.testing import FunctionEngine

    folder = tmp_path / "in"
    for rel, text in (articles or ARTICLES).items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text, encoding="utf-8")
    settings = {}
    if glossary:
        path = tmp_path / "desk.tsv"
        if not path.exists():
            shutil.copy(REPO / "glossaries" / "desk.tsv", path)
        settings["glossary"] = str(path)
    translator = Translator.from_config(engine=engine or FunctionEngine(upper), tgt="en", terms="check", **settings)
    out = tmp_path / out_name
    run(folder, out, translator=translator, progress="off")
    translator.close()
    return out


def rows(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "segments.jsonl").read_text(encoding="utf-8").splitlines()]


class Served:
    """`targman review OUT_DIR --serve` in a thread, on a free port of 127.0.0.1."""

    def __init__(self, out: Path, **options):
        from pipeline.review.server import make_server

        self.server, self.sock, self.url, self.session = make_server(out, host="127.0.0.1", port=0, **options)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> "Served":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the review server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
        self.session.close()
