"""The batch job: a folder of articles in, translated articles and a segment table out.

    folder -> plan (what an earlier run finished) -> read -> segment
           -> Translator (batched across documents) -> write parts -> manifest

Files stream through in windows of a few thousand segments, so memory stays
bounded on a folder of any size while the engine still gets batches built
across documents. A file that fails is reported and the run goes on; in a
JSONL file, one article that fails leaves the others translated.

Nothing is lost: each finished file is written atomically with a part in
`OUT_DIR/.targman/` (see `batch.state`), so a run that is killed resumes
where it stopped, and `segments.jsonl`, `errors.jsonl` and `run.json` are
assembled from the parts at the end (`batch.manifest`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from pipeline import __version__
from pipeline.atomic import atomic_write_json
from pipeline.batch.jobs import FileJob, read_job, windows
from pipeline.batch.layout import output_path
from pipeline.batch.manifest import (
    file_counts,
    run_status,
    score_table,
    versions,
    write_tables,
)
from pipeline.batch.parts import write_finished
from pipeline.batch.plan import Plan, check_folders, plan_run
from pipeline.batch.progress import Progress
from pipeline.batch.state import RunState, settings_of
from pipeline.batch.status import WITH_ERRORS, FileStatus
from pipeline.config import Config, finalize, load_config
from pipeline.engines.base import Engine
from pipeline.errors import InputError
from pipeline.translation.memory import TranslationMemory
from pipeline.translation.translator import Translator

log = logging.getLogger("targman")


@dataclass
class RunResult:
    """What `run()` returns: the output folder, every input file's entry, and run.json's content."""

    out_dir: Path
    files: dict[str, dict]
    manifest: dict

    @property
    def failed(self) -> list[str]:
        """Input files with a failure: failed whole, or (JSONL) with failed articles."""
        return [name for name, entry in self.files.items() if entry["status"] in WITH_ERRORS]

    @property
    def interrupted(self) -> bool:
        return self.manifest["status"] == "interrupted"


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM from the CLI): what was finished is written and the run can resume."""

    def __init__(self, result: RunResult):
        super().__init__("interrupted")
        self.result = result


class Run:
    """One batch job over an input folder; `execute()` does the work.

    `translator`: a Translator to use (else one is made from `config`, with `engine`
    and `memory` if given). `force`: OUT_DIR holds a run made with other settings;
    discard it instead of refusing.
    """

    def __init__(
        self,
        input_dir: Path,
        out_dir: Path,
        config: Config,
        *,
        translator: Translator | None = None,
        engine: Engine | None = None,
        memory: TranslationMemory | None = None,
        progress: str | None = None,
        force: bool = False,
    ):
        self.input_dir = Path(input_dir)
        self.out_dir = Path(out_dir)
        check_folders(self.input_dir, self.out_dir)
        self.config = finalize(config)
        self.tgt = self.config.run.tgt
        self.force = force
        self.progress_mode = progress or self.config.run.progress
        self._own_translator = translator is None
        # The glossary is loaded (and refused) here, before any model loads.
        self.translator = translator or Translator(self.config, engine=engine, memory=memory)
        self.state = RunState(self.out_dir)
        self.plan = Plan()
        self.files: dict[str, dict] = {}  # every input file's entry for run.json, as it becomes known
        self.progress: Progress | None = None
        self.started = 0.0

    # -- the whole run ----------------------------------------------------------------
    def execute(self) -> RunResult:
        self.started = time.perf_counter()
        self.out_dir.mkdir(parents=True, exist_ok=True)
        try:
            return self._execute()
        finally:
            self.state.close()
            if self._own_translator:
                self.translator.close()

    def _execute(self) -> RunResult:
        settings = settings_of(self.config)
        if self.translator.glossary is not None:
            settings["glossary_sha256"] = self.translator.glossary.digest  # an edited glossary is other settings
        self.state.open(settings, force=self.force)
        self.plan = plan_run(self.input_dir, self.out_dir, self.state)
        self.files = dict(self.plan.files)
        if self.plan.reused:
            log.info(f"resuming: {self.plan.reused} of {len(self.plan.order)} file(s) already done in {self.out_dir}")
        if self.plan.todo or self.translator.loaded_engine(self.tgt) is not None:  # nothing to translate: no model to load
            engine = self.translator.engine(self.tgt)
            self.state.check_model(engine.info())
            self.translator.terms(self.tgt)  # says now, not mid-run, when the engine cannot constrain
        self.progress = Progress(len(self.plan.order), self.progress_mode)
        if self.files:
            self.progress.advance("", len(self.files))  # skipped, and finished by an earlier run
        interrupted = False
        try:
            for window in windows(self.read_jobs(), self.config.run.window):
                self.translate_window(window)
                for job in window:
                    self.write_job(job)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            self.progress.close()
        result = self.assemble(interrupted)
        if interrupted:
            raise RunInterrupted(result)
        return result

    # -- the stages ---------------------------------------------------------------------
    def read_jobs(self) -> Iterator[FileJob]:
        """Read and segment the files still to do; a file that cannot be read fails alone."""
        root = self.input_dir.resolve()
        for path, rel in self.plan.todo:
            try:
                yield read_job(root, path, rel, self.config)
            except InputError as error:
                self.fail(rel, str(error))

    def translate_window(self, jobs: list[FileJob]) -> None:
        """One Translator call for the window; when the engine fails, find the file that breaks it."""
        try:
            self.translator.translate_segments([s for job in jobs for s in job.segments], tgt=self.tgt)
        except Exception:
            for job in jobs:
                try:
                    self.translator.translate_segments(list(job.segments), tgt=self.tgt)
                except Exception as error:  # an engine failure on one file must not stop the run
                    self._isolate(job, error)

    def _isolate(self, job: FileJob, error: Exception) -> None:
        """A file the engine fails on: in a JSONL file, retry article by article."""
        reason = lambda e: f"translation failed: {type(e).__name__}: {e}"  # noqa: E731
        if len(job.articles) < 2:
            job.status, job.error = FileStatus.FAILED, f"{job.file.rel}: {reason(error)}"
            return
        for article, segments in job.articles:
            try:
                self.translator.translate_segments(segments, tgt=self.tgt)
            except Exception as article_error:
                job.failed_docs[article.doc] = f"{article.doc}: {reason(article_error)}"
        if len(job.failed_docs) == len(job.articles):
            job.status, job.error = FileStatus.FAILED, f"{job.file.rel}: {reason(error)} (every article)"

    def write_job(self, job: FileJob) -> None:
        """Write one file's translation and its part, or record why it failed."""
        rel = job.file.rel
        if job.status == FileStatus.FAILED:
            self.fail(rel, job.error or f"{rel}: failed")
            return
        try:
            entry = write_finished(job, self.out_dir, self.state, self.tgt)
        except InputError as error:
            self.fail(rel, str(error))
            return
        for message in job.failed_docs.values():
            log.warning(f"failed: {message}")
        self.files[rel] = entry
        self.progress.advance(rel)

    def fail(self, rel: str, message: str) -> None:
        """Mark an input file failed: no translation of it, and no stale one from an earlier run."""
        self.files[rel] = {"status": FileStatus.FAILED, "error": message}
        log.warning(f"failed: {message}")
        self.state.drop_part(rel)
        try:
            stale = output_path(self.out_dir, rel)
            if stale.is_file():
                stale.unlink()
        except (InputError, OSError):
            pass
        self.progress.advance(rel)

    # -- the end ----------------------------------------------------------------------------
    def assemble(self, interrupted: bool) -> RunResult:
        """segments.jsonl, errors.jsonl and run.json from the parts, in input order."""
        counts = write_tables(self.out_dir, self.state, self.plan.order, self.files)
        if not interrupted:
            self.state.prune({rel for rel, entry in self.files.items() if entry["status"] in (FileStatus.DONE, FileStatus.PARTIAL)})
        total = time.perf_counter() - self.started
        scores, concepts_seen = score_table(self.out_dir / "segments.jsonl", self.tgt)
        manifest = self.manifest(counts, scores, concepts_seen, total, interrupted)
        atomic_write_json(self.out_dir / "run.json", manifest)
        return RunResult(self.out_dir, self.files, manifest)

    def manifest(self, counts: dict, scores: dict, concepts_seen: set[str], total: float, interrupted: bool) -> dict:
        engine = self.translator.loaded_engine(self.tgt)
        model = engine.info() if engine else (self.state.model_info or {})
        memory = self.translator.memory
        timings = {"engine_s": self.translator.timings["engine_s"]}
        if self.translator.timings["load_s"]:
            timings["load_s"] = self.translator.timings["load_s"]
        timings["total_s"] = total
        return {
            "targman": __version__,
            "input": str(self.input_dir.resolve()),
            "tgt": self.tgt,
            "status": run_status(self.files, interrupted),
            "config": self.config.to_dict(),
            "model": model,
            "versions": versions(),
            "counts": {**counts, **file_counts(self.plan.order, self.files)},
            # Not reproducible by nature: how long it took, how much an earlier run had done,
            # and what the translation memory already knew.
            "cache": {"memory": str(memory.path), **memory.stats.to_dict()} if memory else {"memory": None},
            "timings": {k: round(v, 3) for k, v in timings.items()},
            "resume": {"files_reused": self.plan.reused},
            "scores": scores,
            "glossary": self.glossary_info(model, concepts_seen),
            "files": dict(sorted(self.files.items())),
        }

    def glossary_info(self, model: dict, concepts_seen: set[str]) -> dict | None:
        if self.translator.glossary is None:
            return None
        from pipeline.glossary.constraints import glossary_info

        return glossary_info(self.translator.glossary, self.config.glossary, self.tgt, bool(model.get("constrains")),
                             concepts_seen, method=model.get("terms"))


def run(
    input_dir: str | Path,
    out_dir: str | Path,
    config: Config | str | Path | None = None,
    *,
    tgt: str | None = None,
    translator: Translator | None = None,
    engine: Engine | None = None,
    memory: TranslationMemory | None = None,
    progress: str | None = None,
    force: bool = False,
    review: bool = True,
    **overrides,
) -> RunResult:
    """Translate every article under `input_dir` into `out_dir`, then write the review report.

    `config` and `**overrides` are as `load_config`'s (`tgt="en"`, `max_length=32`,
    `cache=False`, ...); a `translator` brings its own engine, glossary and memory.
    Raises `RunInterrupted` (carrying the result) on Ctrl-C; finished files are kept.
    """
    if translator is not None and config is None and not overrides:
        config = translator.config
    config = load_config(config, tgt=tgt, **overrides)
    result = Run(Path(input_dir), Path(out_dir), config, translator=translator, engine=engine, memory=memory,
                 progress=progress, force=force).execute()
    if review:
        from pipeline.evaluation.report import write_review

        write_review(out_dir)
    return result

