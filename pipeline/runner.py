"""The batch job: a folder of articles in, translated articles and a segment table out.

    folder -> read -> segment -> route -> translate (batched across documents)
           -> finish -> write

Files stream through in windows of a few thousand segments, so memory stays
bounded on a folder of any size while the engine still gets batches built
across documents. A file that fails is reported and the run goes on; in a
JSONL file, one article that fails leaves the others translated.

Nothing is lost: each finished file is written atomically with a part in
`OUT_DIR/.targman/` (see `pipeline.state`), so a run that is killed resumes
where it stopped, and `segments.jsonl`, `errors.jsonl` and `run.json` are
assembled from the parts at the end, byte-identical (but for `timings` and
`resume` in run.json) to what an uninterrupted run writes.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from pipeline import __version__, qa, references
from pipeline.cachedir import cache_dir
from pipeline.config import Config, finalize
from pipeline.engines import Engine, load_engine
from pipeline.errors import InputError, TargmanError
from pipeline.glossary.constraints import UNMET_FLAG
from pipeline.glossary.spelling import for_output
from pipeline.memory import TranslationMemory, segment_context, translate_with_memory
from pipeline.outputs import atomic_open, atomic_write_json, atomic_write_text, output_path, render_file
from pipeline.progress import Progress
from pipeline.reader import Article, InputFile, discover, read_file, reference_for
from pipeline.state import RunState, file_stat, settings_of
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
    failed_docs: dict[str, str] = field(default_factory=dict)  # JSONL articles that failed alone
    source: dict = field(default_factory=dict)  # the input's stat and hash, for resuming

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
        """Input files with a failure: failed whole, or (JSONL) with failed articles."""
        return [name for name, entry in self.files.items() if entry["status"] in ("failed", "partial")]

    @property
    def interrupted(self) -> bool:
        return self.manifest["status"] == "interrupted"


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM from the CLI): what was finished is written and the run can resume."""

    def __init__(self, result: RunResult):
        super().__init__("interrupted")
        self.result = result


def segment_file(file: InputFile, config: Config) -> list[tuple[Article, list[Segment]]]:
    """Cut every article of a file into segments (lists: a file is the unit of work)."""
    result = []
    for article in file.articles:
        paragraphs = [(text, sep) for text, sep, _ in article.paragraphs]
        segments = list(segment_paragraphs(article.doc, paragraphs, boilerplate=config.run.boilerplate))
        for segment in segments:
            segment.meta.update(article.paragraphs[segment.para][2] if segment.para < len(article.paragraphs) else {})
        references.attach(article.ref, segments)
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


def translate_segments(segments: list[Segment], engine: Engine, tgt: str, memory: TranslationMemory | None = None,
                       spelling: str = "keep") -> None:
    """Translate in one engine call per source language; the engine sorts and batches.

    With a translation memory, segments it knows (same engine fingerprint,
    direction, glossary context and source) are not sent to the engine; each
    distinct segment is translated once per call. Glossary constraints and bans
    ride along in `segment.meta` (see glossary.constraints). Armenian output is written
    in `spelling` of `և` (see glossary.spelling; the memory keeps the model's text).
    """
    by_lang: dict[str, list[Segment]] = {}
    for segment in segments:
        by_lang.setdefault(segment.src_lang, []).append(segment)
    for src, group in by_lang.items():
        options = None
        if any("constraints" in s.meta or "banned" in s.meta for s in group):
            options = [{"constraints": s.meta.get("constraints", []), "banned": s.meta.get("banned", [])} for s in group]
        results = translate_with_memory(
            engine, memory, [s.source for s in group], src=src, tgt=tgt,
            contexts=[segment_context(s) for s in group], options=options,
        )
        for segment, result in zip(group, results):
            # The desk's spelling of Armenian `և` ([output] armenian_spelling; pipeline/glossary/spelling.py).
            segment.target = for_output(result.text, tgt, spelling)
            segment.score = result.score
            if result.pieces > 1:
                segment.flag(SPLIT)
            if result.unmet:
                segment.flag(UNMET_FLAG)


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
        for _ in qa.check(segments, tgt):
            pass


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
    """One batch job over an input folder; `execute()` does the work.

    `force`: OUT_DIR holds a run made with other settings; discard it instead of refusing.
    """

    def __init__(
        self,
        input_dir: Path,
        out_dir: Path,
        config: Config,
        *,
        engine: Engine | None = None,
        progress: str | None = None,
        log: Callable[[str], None] | None = None,
        force: bool = False,
        memory: TranslationMemory | None = None,
    ):
        self.input_dir = Path(input_dir)
        self.out_dir = Path(out_dir)
        if not self.input_dir.is_dir():
            raise TargmanError(f"{self.input_dir}: no such folder (give the folder of articles to translate)")
        if self.out_dir.exists() and not self.out_dir.is_dir():
            raise TargmanError(f"{self.out_dir}: is a file; the output must be a folder")
        root, out = self.input_dir.resolve(), self.out_dir.resolve()
        if out == root or root.is_relative_to(out):
            raise TargmanError(
                f"the output folder {self.out_dir} is (or contains) the articles folder {self.input_dir}: "
                "translations would overwrite articles; choose another output folder"
            )
        self.config = finalize(config)
        self.tgt = self.config.run.tgt
        self.engine = engine
        self.force = force
        self.progress_mode = progress or self.config.run.progress
        self.log = log or (lambda message: print(message, file=sys.stderr))
        self.files: dict[str, dict] = {}
        self.order: list[str] = []  # every input file, in input order
        self.reused = 0
        self.timings: dict[str, float] = {"engine_s": 0.0}
        self.counts = {"segments": 0, "translated": 0, "passed_through": 0, "dropped": 0}
        self.state = RunState(self.out_dir)
        mb = 1024 * 1024
        self.read_limits = {"max_bytes": self.config.run.max_file_mb * mb, "max_line_chars": self.config.run.max_line_chars}
        self.glossary = None
        self.terms = None
        if self.config.glossary.path and self.config.glossary.mode != "off":
            from pipeline.glossary import load

            self.glossary = load(self.config.glossary.path)  # refused here, before any model loads
        # The translation memory ([cache] memory, --no-cache) and converted models live here.
        self.cache_dir = cache_dir(self.config.cache.dir)
        if memory is None and self.config.cache.memory:
            memory = TranslationMemory.in_folder(self.cache_dir)
        self.memory = memory

    # -- stages ---------------------------------------------------------------------
    def read_jobs(self, todo: list[tuple[Path, str]]) -> Iterator[FileJob]:
        """Read and segment the files still to do; a file that cannot be read fails alone."""
        root = self.input_dir.resolve()
        for path, rel in todo:
            try:
                before = file_stat(path)  # before reading: a later change makes the next run redo it
                ref = reference_for(path)
                ref_before = file_stat(ref) if ref.is_file() else None
                file = read_file(root, path, **self.read_limits)
                job = FileJob(file, segment_file(file, self.config))
            except InputError as error:
                self.fail(rel, str(error))
                continue
            except OSError as error:
                self.fail(rel, f"{rel}: cannot read file ({error.strerror or error})")
                continue
            except Exception as error:  # a bug on one strange file must not stop the run
                self.fail(rel, f"{rel}: cannot read or segment: {type(error).__name__}: {error}")
                continue
            job.source = {
                "file": {**before, "sha256": file.digest},
                "ref": {**ref_before, "sha256": file.ref_digest} if ref_before and file.ref_digest else None,
            }
            yield job

    def fail(self, rel: str, message: str) -> None:
        """Mark an input file failed: no translation of it, and no stale one from an earlier run."""
        self.files[rel] = {"status": "failed", "error": message}
        self.log(f"targman: failed: {message}")
        self.state.drop_part(rel)
        try:
            stale = output_path(self.out_dir, rel)
            if stale.is_file():
                stale.unlink()
        except (InputError, OSError):
            pass
        self.progress.advance(rel)

    def translate_window(self, jobs: list[FileJob]) -> None:
        todo = {id(job): [s for s in job.segments if route(s, self.tgt, self.engine, self.config)] for job in jobs}
        if self.terms:
            self.terms.before([s for job in jobs for s in job.segments])
        started = time.perf_counter()
        try:
            translate_segments([s for job in jobs for s in todo[id(job)]], self.engine, self.tgt, self.memory,
                               spelling=self.config.output.armenian_spelling)
        except Exception:
            # Find the file that breaks the engine; the others are translated.
            for job in jobs:
                try:
                    translate_segments(todo[id(job)], self.engine, self.tgt, self.memory,
                                       spelling=self.config.output.armenian_spelling)
                except Exception as error:  # an engine failure on one file must not stop the run
                    self._isolate(job, todo[id(job)], error)
        self.timings["engine_s"] += time.perf_counter() - started
        if self.terms:
            self.terms.after([s for job in jobs for s in job.segments])

    def _isolate(self, job: FileJob, segments: list[Segment], error: Exception) -> None:
        """A file the engine fails on: in a JSONL file, retry article by article."""
        reason = lambda e: f"translation failed: {type(e).__name__}: {e}"  # noqa: E731
        if len(job.articles) < 2:
            job.status, job.error = "failed", f"{job.file.rel}: {reason(error)}"
            return
        for article, _ in job.articles:
            mine = [s for s in segments if s.doc == article.doc]
            try:
                translate_segments(mine, self.engine, self.tgt, self.memory, spelling=self.config.output.armenian_spelling)
            except Exception as article_error:
                job.failed_docs[article.doc] = f"{article.doc}: {reason(article_error)}"
        if len(job.failed_docs) == len(job.articles):
            job.status, job.error = "failed", f"{job.file.rel}: {reason(error)} (every article)"

    def write_job(self, job: FileJob) -> None:
        """Write one file's translation, then its part: the part says the file is finished."""
        rel = job.file.rel
        if job.status == "failed":
            self.fail(rel, job.error or f"{rel}: failed")
            return
        try:
            finish(job, self.tgt)
            kept = [(article, segments) for article, segments in job.articles if article.doc not in job.failed_docs]
            text = render_file(job.file, kept, self.tgt)
            target = output_path(self.out_dir, rel)
            rows = [json.dumps(s.to_row(), ensure_ascii=False) + "\n" for _, segments in kept for s in segments]
            atomic_write_text(target, text)
        except InputError as error:
            self.fail(rel, str(error))
            return
        except Exception as error:  # disk full, a path too long: this file fails, the run goes on
            self.fail(rel, f"{rel}: cannot write its translation: {type(error).__name__}: {error}")
            return
        segments = [s for _, segments in kept for s in segments]
        counts = dict.fromkeys(self.counts, 0)
        for segment in segments:
            counts["segments"] += 1
            if DROPPED in segment.flags:
                counts["dropped"] += 1
            elif segment.target == segment.source:
                counts["passed_through"] += 1
            else:
                counts["translated"] += 1
        entry = {
            "status": "partial" if job.failed_docs else "done",
            "articles": len(kept),
            "segments": len(segments),
            "flags": sum(1 for s in segments if s.flags),
        }
        if job.failed_docs:
            entry["failed_articles"] = dict(job.failed_docs)
            for message in job.failed_docs.values():
                self.log(f"targman: failed: {message}")
        header = {
            "rel": rel,
            "status": entry["status"],
            "entry": entry,
            "counts": counts,
            "input": job.source,
            "output_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        }
        self.state.save_part(header, rows)
        self.files[rel] = entry
        self.progress.advance(rel)

    # -- the whole run ----------------------------------------------------------------
    def execute(self) -> RunResult:
        started = time.perf_counter()
        self.out_dir.mkdir(parents=True, exist_ok=True)
        try:
            return self._execute(started)
        finally:
            self.state.close()

    def _execute(self, started: float) -> RunResult:
        settings = settings_of(self.config)
        if self.glossary is not None:
            settings["glossary_sha256"] = self.glossary.digest  # an edited glossary is other settings
        self.state.open(settings, force=self.force)
        todo = self.plan()
        if self.reused:
            self.log(f"targman: resuming: {self.reused} of {len(self.order)} file(s) already done in {self.out_dir}")
        if todo or self.engine is not None:  # nothing left to translate: no model to load
            if self.engine is None:
                load_started = time.perf_counter()
                self.engine = load_engine(self.config.model, self.tgt, cache_dir=self.cache_dir)
                self.timings["load_s"] = time.perf_counter() - load_started
            self.state.check_model(self.engine.info())
            if self.glossary is not None:
                from pipeline.glossary.constraints import RunTerms

                self.terms = RunTerms(
                    self.glossary, self.config.glossary, self.tgt,
                    getattr(self.engine, "constrains", False), getattr(self.engine, "reranks", False),
                    spelling=self.config.output.armenian_spelling,
                )
                if self.terms.mode != self.config.glossary.mode:
                    self.log(
                        f"targman: the {self.engine.name} engine cannot constrain its search; glossary terms are "
                        + ("preferred by n-best re-ranking and " if self.terms.reranks else "")
                        + "checked after translation instead"
                    )
        self.progress = Progress(len(self.order), self.progress_mode)
        if self.files:
            self.progress.advance("", len(self.files))  # skipped, and finished by an earlier run
        interrupted = False
        try:
            for window in windows(self.read_jobs(todo), self.config.run.window):
                self.translate_window(window)
                for job in window:
                    self.write_job(job)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            self.progress.close()
        result = self.assemble(started, interrupted)
        if interrupted:
            raise RunInterrupted(result)
        return result

    def plan(self) -> list[tuple[Path, str]]:
        """Every input file in order; what is skipped or already finished is recorded, the rest returned."""
        root, out = self.input_dir.resolve(), self.out_dir.resolve()
        exclude = self.out_dir if out.is_relative_to(root) else None
        todo = []
        for path, skip in discover(self.input_dir, exclude=exclude):
            rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
            try:
                rel.encode("utf-8")
            except UnicodeEncodeError:
                # Linux allows any bytes in a name; reports and segment rows are UTF-8 text.
                rel = rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                self.order.append(rel)
                if skip:
                    self.files[rel] = {"status": "skipped", "reason": skip}
                else:
                    message = f"{rel}: file name is not valid UTF-8 (shown with \ufffd); rename the file"
                    self.files[rel] = {"status": "failed", "error": message}
                    self.log(f"targman: failed: {message}")
                continue
            self.order.append(rel)
            if skip:
                self.files[rel] = {"status": "skipped", "reason": skip}
                continue
            try:
                target = output_path(self.out_dir, rel)
            except InputError:
                todo.append((path, rel))  # fails when written, with the reason
                continue
            header = self.state.finished(rel, path, reference_for(path), target)
            if header is not None:
                self.files[rel] = header["entry"]
                self.reused += 1
            else:
                todo.append((path, rel))
        return todo

    def assemble(self, started: float, interrupted: bool) -> RunResult:
        """segments.jsonl, errors.jsonl and run.json from the parts, in input order."""
        finished = [rel for rel in self.order if self.files.get(rel, {}).get("status") in ("done", "partial")]
        with atomic_open(self.out_dir / "segments.jsonl") as table:
            for rel in finished:
                header = self.state.header(rel) or {}
                for key, value in header.get("counts", {}).items():
                    self.counts[key] = self.counts.get(key, 0) + value
                for row in self.state.rows(rel):
                    table.write(row)
        with atomic_open(self.out_dir / "errors.jsonl") as errors:
            for rel in self.order:
                entry = self.files.get(rel, {})
                if entry.get("status") == "failed":
                    errors.write(json.dumps({"file": rel, "error": entry["error"]}, ensure_ascii=False) + "\n")
                for doc, message in entry.get("failed_articles", {}).items():
                    errors.write(json.dumps({"file": rel, "doc": doc, "error": message}, ensure_ascii=False) + "\n")
        if not interrupted:
            self.state.prune(set(finished))
        self.timings["total_s"] = time.perf_counter() - started
        self.scores, self.concepts_seen = score_table(self.out_dir / "segments.jsonl", self.tgt)
        manifest = self.manifest(interrupted)
        atomic_write_json(self.out_dir / "run.json", manifest)
        return RunResult(self.out_dir, self.files, manifest)

    def glossary_info(self) -> dict | None:
        if self.glossary is None:
            return None
        from pipeline.glossary.constraints import glossary_info

        model = self.engine.info() if self.engine else (self.state.model_info or {})
        return glossary_info(self.glossary, self.config.glossary, self.tgt, bool(model.get("constrains")), self.concepts_seen)

    def manifest(self, interrupted: bool = False) -> dict:
        statuses = [entry["status"] for entry in self.files.values()]
        if interrupted:
            status = "interrupted"
        elif "failed" in statuses or "partial" in statuses:
            status = "completed_with_errors"
        else:
            status = "completed"
        return {
            "targman": __version__,
            "input": str(self.input_dir.resolve()),
            "tgt": self.tgt,
            "status": status,
            "config": self.config.to_dict(),
            "model": self.engine.info() if self.engine else (self.state.model_info or {}),
            "versions": versions(),
            "counts": {
                **self.counts,
                "files": len(self.order),
                "done": statuses.count("done"),
                "partial": statuses.count("partial"),
                "failed": statuses.count("failed"),
                "skipped": statuses.count("skipped"),
                "pending": len(self.order) - len(self.files),
            },
            # Not reproducible by nature: how long it took, how much an earlier run had done,
            # and what the translation memory already knew.
            "cache": {"memory": str(self.memory.path), **self.memory.stats.to_dict()} if self.memory else {"memory": None},
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "resume": {"files_reused": self.reused},
            "scores": getattr(self, "scores", {}),
            "glossary": self.glossary_info(),
            "files": dict(sorted(self.files.items())),
        }


def score_table(table_path: Path, tgt: str) -> tuple[dict, set[str]]:
    """Corpus and per-document scores (with sacrebleu signatures) and term success of a run,
    and the glossary concepts its segments met; read from the assembled segment table, so a
    resumed run reports what an uninterrupted one does."""
    from pipeline.scoring import score_segments

    concepts: set[str] = set()

    def rows():
        with open(table_path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    row = json.loads(line)
                    concepts.update(t["concept"] for t in row.get("terms") or ())
                    yield row

    return score_segments(references.scoring_units(rows()), tgt), concepts


def run(input_dir: Path, out_dir: Path, config: Config, *, review: bool = True, **kwargs) -> RunResult:
    """Translate every article under `input_dir` into `out_dir`, then write the review report."""
    result = Run(input_dir, out_dir, config, **kwargs).execute()
    if review:
        from pipeline.report import write_review

        write_review(out_dir)
    return result
