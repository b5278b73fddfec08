"""The batch job: a folder of articles in, translated articles and a segment table out.

    folder -> read -> segment -> route -> translate (batched across documents)
           -> finish -> write

Files stream through in windows of a few thousand segments, so memory stays
bounded on a folder of any size while the engine still gets batches built
across documents. A file that fails is reported and the run goes on.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from pipeline import __version__
from pipeline.cachedir import cache_dir
from pipeline.config import Config, finalize
from pipeline.engines import Engine, load_engine
from pipeline.errors import InputError, TargmanError
from pipeline.memory import TranslationMemory, segment_context, translate_with_memory
from pipeline.outputs import atomic_write_json, atomic_write_text, output_path, render_file
from pipeline.progress import Progress
from pipeline.reader import Article, InputFile, discover, read_file
from pipeline.script import latin_words_in
from pipeline.segment import BOILERPLATE, DUPLICATE, TEXT, Segment
from pipeline.segmenter import segment_paragraphs

# Flags a segment can carry (documented in the README).
DROPPED = "dropped"
SPLIT = "split"  # too long for the model: translated in pieces
LATIN_MISSING = "latin-name-missing"  # a Latin name of the Armenian source is not in the output
FAILED = "failed"


@dataclass
class FileJob:
    """One input file on its way through the pipeline."""

    file: InputFile
    articles: list[tuple[Article, list[Segment]]] = field(default_factory=list)
    status: str = "pending"
    error: str | None = None

    @property
    def segments(self) -> Iterator[Segment]:
        for _, segments in self.articles:
            yield from segments


@dataclass
class RunResult:
    out_dir: Path
    files: dict[str, dict]
    manifest: dict

    @property
    def failed(self) -> list[str]:
        return [name for name, entry in self.files.items() if entry["status"] == "failed"]


def segment_file(file: InputFile, config: Config) -> list[tuple[Article, list[Segment]]]:
    """Cut every article of a file into segments (lists: a file is the unit of work)."""
    result = []
    for article in file.articles:
        paragraphs = [(text, sep) for text, sep, _ in article.paragraphs]
        segments = list(segment_paragraphs(article.doc, paragraphs, boilerplate=config.run.boilerplate))
        for segment in segments:
            segment.meta.update(article.paragraphs[segment.para][2] if segment.para < len(article.paragraphs) else {})
        result.append((article, segments))
    return result


def route(segment: Segment, tgt: str, engine: Engine, config: Config) -> bool:
    """Decide what happens to a segment; True when the engine must translate it."""
    if segment.kind == BOILERPLATE:
        if config.run.boilerplate_output == "drop":
            segment.target = ""
            segment.flag(DROPPED)
        else:
            segment.target = segment.source
        return False
    if segment.kind == DUPLICATE and config.run.duplicate_output == "drop":
        segment.target = ""
        segment.flag(DROPPED)
        return False
    if segment.src_lang in (tgt, "und"):
        segment.target = segment.source  # already in the target language, or no words at all
        return False
    if segment.kind == DUPLICATE:
        return False  # filled from the paragraph it repeats, after translation
    if not engine.supports(segment.src_lang, tgt):
        segment.target = segment.source
        segment.flag(f"untranslated:{segment.src_lang}")
        return False
    return True


def translate_segments(segments: list[Segment], engine: Engine, tgt: str, memory: TranslationMemory | None = None) -> None:
    """Translate in one engine call per source language; the engine sorts and batches.

    With a translation memory, segments it knows (same engine fingerprint,
    direction, glossary context and source) are not sent to the engine; each
    distinct segment is translated once per call.
    """
    by_lang: dict[str, list[Segment]] = {}
    for segment in segments:
        by_lang.setdefault(segment.src_lang, []).append(segment)
    for src, group in by_lang.items():
        results = translate_with_memory(
            engine, memory, [s.source for s in group], src=src, tgt=tgt, contexts=[segment_context(s) for s in group]
        )
        for segment, result in zip(group, results):
            segment.target = result.text
            segment.score = result.score
            if result.pieces > 1:
                segment.flag(SPLIT)


def finish(job: FileJob, tgt: str) -> None:
    """What needs the translations: repeated paragraphs, copied-through Latin names."""
    for _, segments in job.articles:
        by_para: dict[int, list[Segment]] = {}
        for segment in segments:
            by_para.setdefault(segment.para, []).append(segment)
        previous: list[Segment] = []
        for para in sorted(by_para):
            group = by_para[para]
            if group[0].kind == DUPLICATE and group[0].target is None:
                for segment, original in zip(group, previous):
                    segment.target = original.target
                    segment.score = original.score
            if group[0].kind != DUPLICATE:
                previous = group
        for segment in segments:
            if segment.target is None:
                segment.target = segment.source
            if segment.kind == TEXT and segment.src_lang == "hy" and tgt != "hy":
                missing = [w for w in latin_words_in(segment.source) if w not in segment.target]
                if missing:
                    segment.flag(LATIN_MISSING)


def windows(jobs: Iterable[FileJob], size: int) -> Iterator[list[FileJob]]:
    """Group consecutive files until about `size` segments are buffered."""
    batch: list[FileJob] = []
    count = 0
    for job in jobs:
        batch.append(job)
        count += sum(1 for _ in job.segments)
        if count >= size:
            yield batch
            batch, count = [], 0
    if batch:
        yield batch


def versions() -> dict:
    found = {"targman": __version__, "python": platform.python_version()}
    for name in ("torch", "transformers", "sentencepiece", "sacrebleu", "tokenizers", "ctranslate2"):
        module = sys.modules.get(name)
        if module is None:
            try:
                from importlib.metadata import version

                found[name] = version(name)
            except Exception:
                continue
        else:
            found[name] = getattr(module, "__version__", "?")
    return found


class Run:
    """One batch job over an input folder; `execute()` does the work."""

    def __init__(
        self,
        input_dir: Path,
        out_dir: Path,
        config: Config,
        *,
        engine: Engine | None = None,
        progress: str | None = None,
        log: Callable[[str], None] | None = None,
        memory: TranslationMemory | None = None,
    ):
        self.input_dir = Path(input_dir)
        self.out_dir = Path(out_dir)
        if not self.input_dir.is_dir():
            raise TargmanError(f"{self.input_dir}: no such folder (give the folder of articles to translate)")
        self.config = finalize(config)
        self.tgt = self.config.run.tgt
        self.engine = engine
        self.progress_mode = progress or self.config.run.progress
        self.log = log or (lambda message: print(message, file=sys.stderr))
        self.files: dict[str, dict] = {}
        self.timings: dict[str, float] = {"engine_s": 0.0}
        self.counts = {"segments": 0, "translated": 0, "passed_through": 0, "dropped": 0}
        # The translation memory ([cache] memory, --no-cache) and converted models live here.
        self.cache_dir = cache_dir(self.config.cache.dir)
        if memory is None and self.config.cache.memory:
            memory = TranslationMemory.in_folder(self.cache_dir)
        self.memory = memory

    # -- stages ---------------------------------------------------------------------
    def read_jobs(self, paths: list[tuple[Path, str | None]]) -> Iterator[FileJob]:
        root = self.input_dir.resolve()
        for path, skip in paths:
            rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
            if skip:
                self.files[rel] = {"status": "skipped", "reason": skip}
                self.progress.advance(rel)
                continue
            try:
                file = read_file(root, path)
                job = FileJob(file, segment_file(file, self.config))
            except InputError as error:
                self.fail(rel, str(error))
                continue
            yield job

    def fail(self, rel: str, message: str) -> None:
        self.files[rel] = {"status": "failed", "error": message}
        self.log(f"targman: failed: {message}")
        self.progress.advance(rel)

    def translate_window(self, jobs: list[FileJob]) -> None:
        todo = {id(job): [s for s in job.segments if route(s, self.tgt, self.engine, self.config)] for job in jobs}
        started = time.perf_counter()
        try:
            translate_segments([s for job in jobs for s in todo[id(job)]], self.engine, self.tgt, self.memory)
        except Exception:
            # Find the file that breaks the engine; the others are translated.
            for job in jobs:
                try:
                    translate_segments(todo[id(job)], self.engine, self.tgt, self.memory)
                except Exception as error:  # an engine failure on one file must not stop the run
                    job.status, job.error = "failed", f"{job.file.rel}: translation failed: {type(error).__name__}: {error}"
        self.timings["engine_s"] += time.perf_counter() - started

    def write_job(self, job: FileJob, table) -> None:
        rel = job.file.rel
        if job.status == "failed":
            self.fail(rel, job.error or "failed")
            return
        finish(job, self.tgt)
        text = render_file(job.file, job.articles, self.tgt)
        atomic_write_text(output_path(self.out_dir, rel), text)
        segments = list(job.segments)
        for segment in segments:
            table.write(json.dumps(segment.to_row(), ensure_ascii=False) + "\n")
            self.counts["segments"] += 1
            if DROPPED in segment.flags:
                self.counts["dropped"] += 1
            elif segment.target == segment.source:
                self.counts["passed_through"] += 1
            else:
                self.counts["translated"] += 1
        self.files[rel] = {
            "status": "done",
            "articles": len(job.articles),
            "segments": len(segments),
            "flags": sum(1 for s in segments if s.flags),
        }
        self.progress.advance(rel)

    # -- the whole run ----------------------------------------------------------------
    def execute(self) -> RunResult:
        started = time.perf_counter()
        if self.engine is None:
            load_started = time.perf_counter()
            self.engine = load_engine(self.config.model, self.tgt, cache_dir=self.cache_dir)
            self.timings["load_s"] = time.perf_counter() - load_started
        self.out_dir.mkdir(parents=True, exist_ok=True)
        exclude = self.out_dir if self.out_dir.resolve().is_relative_to(self.input_dir.resolve()) else None
        paths = list(discover(self.input_dir, exclude=exclude))
        self.progress = Progress(len(paths), self.progress_mode)
        table_path = self.out_dir / "segments.jsonl"
        tmp_table = table_path.with_name(".segments.jsonl.tmp")
        try:
            with open(tmp_table, "w", encoding="utf-8") as table:
                for window in windows(self.read_jobs(paths), self.config.run.window):
                    self.translate_window(window)
                    for job in window:
                        self.write_job(job, table)
            tmp_table.replace(table_path)
        finally:
            self.progress.close()
            if tmp_table.exists():
                tmp_table.unlink()
        self.timings["total_s"] = time.perf_counter() - started
        manifest = self.manifest()
        atomic_write_json(self.out_dir / "run.json", manifest)
        return RunResult(self.out_dir, self.files, manifest)

    def manifest(self) -> dict:
        statuses = [entry["status"] for entry in self.files.values()]
        return {
            "targman": __version__,
            "input": str(self.input_dir.resolve()),
            "tgt": self.tgt,
            "status": "completed_with_errors" if "failed" in statuses else "completed",
            "config": self.config.to_dict(),
            "model": self.engine.info() if self.engine else {},
            "versions": versions(),
            "counts": {
                **self.counts,
                "files": len(self.files),
                "done": statuses.count("done"),
                "failed": statuses.count("failed"),
                "skipped": statuses.count("skipped"),
                "cache_hits": self.memory.stats.hits if self.memory else 0,
            },
            "cache": {"memory": str(self.memory.path), **self.memory.stats.to_dict()} if self.memory else {"memory": None},
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "files": dict(sorted(self.files.items())),
        }


def run(input_dir: Path, out_dir: Path, config: Config, **kwargs) -> RunResult:
    """Translate every article under `input_dir` into `out_dir`."""
    return Run(input_dir, out_dir, config, **kwargs).execute()
