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

With `[run] executor = "ray"` the files are read, and the engine's batches translated, on a
Ray cluster (`batch.jobs.FileReader`, `engines.ray_pool`); everything that decides what the
run writes stays here, in this process, so the bytes are a local run's (docs/scale.md).
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from pipeline import __version__
from pipeline.batch.inputs import Inputs
from pipeline.batch.jobs import FileJob, windows
from pipeline.batch.manifest import assemble_tables, file_counts, run_status, versions, write_errors
from pipeline.batch.parts import write_finished
from pipeline.batch.plan import Plan, check_folders, plan_run
from pipeline.batch.progress import Progress
from pipeline.batch.state import RunState, settings_of
from pipeline.config import Config, finalize, load_config
from pipeline.documents.reader import read_file
from pipeline.engines.base import Engine
from pipeline.errors import WRITE_ERRNOS, ClusterError, InputError, RunInterrupted, TargmanError, WriteError, write_error
from pipeline.evaluation.postedit import with_edit_summary
from pipeline.layout import APPLY_INTENT, output_path
from pipeline.models.hub import check_model_path
from pipeline.names.run_names import RunNames
from pipeline.runfolder.edits import EditLog, edits_from_article
from pipeline.runfolder.folder import RunFolder
from pipeline.runfolder.schema import FileEntry, Manifest
from pipeline.runfolder.status import WITH_ERRORS, FileStatus
from pipeline.translation.memory import TranslationMemory
from pipeline.translation.translator import RunScope, Translator

log = logging.getLogger("targman")


@dataclass
class RunResult:
    """What `run()` returns: the output folder, every input file's entry, and run.json's content."""

    out_dir: Path
    files: dict[str, FileEntry]  # input file (relative path) -> its status and what went wrong
    manifest: Manifest  # run.json
    retried: dict[str, str] = field(default_factory=dict)  # failed or partial last time, tried again: status then

    @property
    def failed(self) -> list[str]:
        """Input files with a failure: failed whole, or (JSONL) with failed articles."""
        return [name for name, entry in self.files.items() if entry["status"] in WITH_ERRORS]

    @property
    def interrupted(self) -> bool:
        return self.manifest["status"] == "interrupted"


class Run:
    """One batch job over an input folder; `execute()` does the work.

    `translator`: a Translator to use (else one is made from `config`, with `engine`
    and `memory` if given). `force`: OUT_DIR holds a run made with other settings;
    discard it instead of refusing. `prune`: remove translations whose input is gone.
    `journal=False` turns per-batch durability off (for measuring what it costs).
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
        progress_every: float = 10.0,
        force: bool = False,
        prune: bool = False,
        journal: bool = True,
    ):
        self.input_path = Path(input_dir)  # a folder of articles, or one article
        self.out_dir = Path(out_dir)
        check_folders(self.input_path, self.out_dir)
        self.only = None if self.input_path.is_dir() else self.input_path
        self.input_dir = self.input_path.parent if self.only else self.input_path
        self.config = finalize(config)
        self.tgt = self.config.run.tgt
        self.force = force
        self.prune = prune
        self.use_journal = journal  # False only to measure what per-batch durability costs
        self.progress_mode = progress or self.config.run.progress
        self.progress_every = progress_every  # seconds between progress lines
        self._own_translator = translator is None
        # The glossary is loaded (and refused) here, before any model loads.
        self.translator = translator or Translator(self.config, engine=engine, memory=memory)
        self.state = RunState(self.out_dir)
        self.plan = Plan()
        self.files: dict[str, FileEntry] = {}  # every input file's entry for run.json, as it becomes known
        self.progress: Progress | None = None
        self.edits = EditLog(self.out_dir)
        self.scope = RunScope()  # what this run lends the Translator: its post-edits, journal and names
        self.hand_edited: set[str] = set()  # inputs whose translation an editor changed in OUT_DIR
        self.stale: list[str] = []  # translations whose input is gone (run.json `stale`)
        self.pruned: list[str] = []  # ... and those removed by `prune`
        self.retried: dict[str, str] = {}  # inputs that failed or were partial in the last run: their status then
        self.started = 0.0
        self.inputs: Inputs | None = None  # the files still to do: read, chrome found, segmented once
        self.names: RunNames | None = None  # one spelling per name in the run (pipeline.names)
        self.resumed_journal = False  # the journal held an interrupted run's batches when this run began

    # -- the whole run ----------------------------------------------------------------
    def execute(self) -> RunResult:
        self.started = time.perf_counter()
        created = [folder for folder in (self.out_dir, self.state.dir) if not folder.exists()]
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise write_error(error, "the output folder", self.out_dir) from None
        early: TargmanError | None = None
        try:
            return self._execute()
        except OSError as error:  # a write the stages did not expect to fail: still one clear line
            if error.errno not in WRITE_ERRNOS:
                raise
            raise write_error(error, "a file in", error.filename or self.out_dir) from None
        except TargmanError as error:
            if error.exit_code == 2:  # a usage or model error before any work
                early = error
            raise
        finally:
            self.close_journal()
            self.state.close()
            if self.inputs is not None:
                self.inputs.stop()
            if self._own_translator:
                self.translator.close()
            if early is not None:
                self.remove_created(created)

    def remove_created(self, created: list[Path]) -> None:
        """After an error before any work: the folders this run made (OUT_DIR, its state
        folder) go again, when nothing was written into them but the run's own state."""
        if self.state.dir in created and not any(self.state.parts.glob("*")):
            shutil.rmtree(self.state.dir, ignore_errors=True)
        if self.out_dir in created:
            try:
                self.out_dir.rmdir()  # only when empty
            except OSError:
                pass

    def _execute(self) -> RunResult:
        glossary = self.translator.glossary
        settings = settings_of(self.config)
        before = previous_statuses(self.out_dir)
        resumed = self.state.open(settings, force=self.force)  # a read-only OUT_DIR is found here, before any model
        if self._own_translator and self.translator.loaded_engine(self.tgt) is None:
            check_model_path(self.config.model.id)  # a model folder that is not there, before any reading
        self.plan = plan_run(self.input_dir, self.out_dir, self.state, only=self.only, fresh=self.glossary_fresh)
        if self.plan.regloss:
            log.info(f"the glossary changed: {len(self.plan.regloss)} finished file(s) have other glossary matches now "
                     "and are translated again (post-edits are kept)")
        self.retried = {rel: before[rel] for _, rel in self.plan.todo if before.get(rel) in WITH_ERRORS}
        self.files = dict(self.plan.files)
        self.inputs = Inputs(self.input_dir, self.plan, self.config, self.translator)
        read = self.inputs.read_ahead(counting=self.progress_mode != "off")  # and the folders' site chrome
        if self.plan.reused:
            log.info(f"resuming: {self.plan.reused} of {len(self.plan.order)} file(s) already done in {self.out_dir}")
        self.take_hand_edits()
        self.scope.human = self.edits.human(self.tgt)  # this folder's post-edits apply to this run only
        self.names = RunNames(self.out_dir, self.config, glossary)
        self.names.start(bool(resumed), self.edits.read())
        self.scope.names = self.names.book  # so do its names
        self.progress = Progress(self.progress_mode, every=self.progress_every)
        if self.plan.todo or self.translator.loaded_engine(self.tgt) is not None:  # nothing to translate: no model to load
            if self.translator.loaded_engine(self.tgt) is None:
                self.progress.loading(f"{self.config.model.id} ({self.config.model.engine} engine)")
            engine = self.translator.engine(self.tgt)
            self.state.check_model(engine.info())
            self.translator.terms(self.tgt)  # says now, not mid-run, when the engine cannot constrain
            self.resumed_journal = self.state.journal_path.exists()  # batches an interrupted run finished
            self.scope.journal = self.state.journal() if self.use_journal else None
        failed = sum(1 for entry in self.files.values() if entry["status"] == FileStatus.FAILED)
        self.progress.start(len(self.plan.order), len(self.files) - failed, self.count_segments(read), files_failed=failed)
        interrupted = False
        stopped: WriteError | ClusterError | None = None
        try:
            for window in windows(self.read_jobs(), self.config.run.window):
                self.names.before_window({article.doc for job in window for article, _ in job.articles})
                self.translate_window(window)
                self.names.save()  # before the files: every written file's spellings are in it
                for job in window:
                    self.write_job(job)
        except KeyboardInterrupt:
            interrupted = True
        except (WriteError, ClusterError) as error:  # the disk is full, the cluster gone: keep what is finished
            stopped = error
        finally:
            self.progress.close()
        try:
            result = self.assemble(interrupted or stopped is not None)
        except OSError as error:
            if stopped is not None:
                raise stopped from None  # the first error says what to do
            raise write_error(error, "the run's segment table and manifest in", self.out_dir) from None
        if stopped is not None:
            stopped.result = result
            raise stopped
        if interrupted:
            raise RunInterrupted(result)
        self.close_journal()  # every file is written: its batches are in the parts now
        self.state.drop_journal()
        self.state.drop_discarded()
        return result

    def close_journal(self) -> None:
        if self.scope.journal is not None:
            self.scope.journal.close()
            self.scope.journal = None

    def count_segments(self, read: int) -> int:
        """The segments of the files still to do, for progress in segments (none when progress is off)."""
        if self.progress is None or self.progress.mode == "off":
            return 0
        assert self.inputs is not None
        return self.inputs.count(read)

    def take_hand_edits(self) -> None:
        """Translations edited by hand in OUT_DIR: their changed sentences become post-edits
        (edits.jsonl and the memory's human table), which the new translation then uses. A
        hand edit of a segment that an import or the review page changed since the article
        was written is a conflict: listed, not applied."""
        keep: set[str] = set()
        root = self.out_dir.resolve()
        current = self.edits.human(self.tgt) if self.plan.edited else None
        for rel in self.plan.edited:
            target = output_path(self.out_dir, rel)
            try:
                rows = [json.loads(line) for line in self.state.written_rows(rel)]
                edits = edits_from_article(read_file(root, target), rows, self.tgt, current)
            except (OSError, ValueError, InputError):
                rows, edits = [], []
            if not rows:
                message = (f"{rel}: {target} was edited by hand, and the run state it was written from is gone; "
                           "it is kept: move it away to translate this file again")
                self.files[rel] = {"status": FileStatus.FAILED, "error": message}
                log.warning(f"failed: {message}")
                continue
            keep.add(rel)
            self.edits.append(edits)
            taken = [edit for edit in edits if edit.status == "taken"]
            if self.translator.memory is not None:
                by_direction: dict[str, list] = {}
                for edit in taken:
                    if edit.span == 1 and not edit.revert:
                        by_direction.setdefault(edit.src_lang, []).append((edit.context, edit.source, edit.after))
                for src, entries in by_direction.items():
                    self.translator.memory.store_human(src, self.tgt, entries)
            conflicts = len(edits) - len(taken)
            log.warning(f"{rel}: edited by hand in {self.out_dir}: {len(taken)} changed sentence(s) kept as post-edits "
                        f"({self.edits.path.name}); the translation is made again around them"
                        + (f"; {conflicts} hand edit(s) conflict with a newer edit and were not applied" if conflicts else ""))
        self.plan.todo = [(path, rel) for path, rel in self.plan.todo if rel not in self.plan.edited or rel in keep]
        self.hand_edited = keep

    @property
    def glossary_digest(self) -> str | None:
        glossary = self.translator.glossary
        return glossary.digest if glossary is not None else None

    def glossary_fresh(self, rel: str, header: dict) -> bool:
        """Whether a finished file still holds under this run's glossary: made with the same
        glossary, or every segment finds the same glossary matches (and source flags) as
        then. A file that still holds is marked with the new glossary, so this is checked once."""
        digest = self.glossary_digest
        if header.get("glossary_sha256", "unknown") == digest:
            return True
        try:
            lines = list(self.state.rows(rel))
            rows = [json.loads(line) for line in lines]
        except (OSError, ValueError):
            return False
        if not same_glossary_matches(rows, self.translator.glossary, self.config.glossary, self.tgt):
            return False
        try:
            self.state.save_part({**{k: v for k, v in header.items() if k not in ("rows", "rows_sha256")},
                                  "glossary_sha256": digest}, lines)
        except OSError:
            pass  # checked again next time
        return True

    # -- the stages ---------------------------------------------------------------------
    def read_jobs(self) -> Iterator[FileJob]:
        """The files still to do, read and segmented (`Inputs.jobs`); a file that cannot be read fails alone."""
        assert self.inputs is not None
        for rel, job in self.inputs.jobs():
            if isinstance(job, str):
                self.fail(rel, job)
            else:
                yield job

    def translate_window(self, jobs: list[FileJob]) -> None:
        """One Translator call for the window; when the engine fails, find the file that breaks it."""
        meter = self.progress
        progress = meter.segments if meter is not None else None
        mark = meter.mark() if meter is not None else None
        try:
            self.translator.translate_segments([s for job in jobs for s in job.segments], tgt=self.tgt, on_progress=progress, scope=self.scope)
        except ClusterError:
            raise
        except Exception as error:
            if meter is not None and mark is not None:
                meter.back_to(mark)  # the files are tried one by one: each counts its own segments again
            if len(jobs) == 1:  # nothing to find: asking again would only double the wait on a dead endpoint
                self._isolate(jobs[0], error)
                return
            for job in jobs:
                mark = meter.mark() if meter is not None else None
                try:
                    self.translator.translate_segments(list(job.segments), tgt=self.tgt, on_progress=progress, scope=self.scope)
                except ClusterError:
                    raise
                except Exception as error:  # an engine failure on one file must not stop the run
                    if meter is not None and mark is not None:
                        meter.back_to(mark)
                    self._isolate(job, error)

    def _isolate(self, job: FileJob, error: Exception) -> None:
        """A file the engine fails on: in a JSONL file, retry article by article."""
        reason = lambda e: f"translation failed: {type(e).__name__}: {e}"  # noqa: E731
        if len(job.articles) < 2:
            job.status, job.error = FileStatus.FAILED, f"{job.file.rel}: {reason(error)}"
            return
        meter = self.progress
        for article, segments in job.articles:
            mark = meter.mark() if meter is not None else None
            try:
                self.translator.translate_segments(segments, tgt=self.tgt, on_progress=meter.segments if meter is not None else None,
                                                   scope=self.scope)
            except ClusterError:
                raise
            except Exception as article_error:
                if meter is not None and mark is not None:
                    meter.back_to(mark)  # a failed article's segments are not done
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
            entry = write_finished(job, self.out_dir, self.state, self.tgt, edited_by_hand=rel in self.hand_edited,
                                   glossary_sha256=self.glossary_digest)
        except InputError as error:
            self.fail(rel, str(error))
            return
        for message in job.failed_docs.values():
            log.warning(f"failed: {message}")
        if entry.get("reference"):
            log.warning(f"{rel}: {entry['reference']}")
        self.files[rel] = entry
        if self.progress is not None:
            self.progress.file(rel, entry["status"])

    def fail(self, rel: str, message: str) -> None:
        """Mark an input file failed: no translation of it, and no stale one from an earlier run."""
        self.files[rel] = {"status": FileStatus.FAILED, "error": message}
        log.warning(f"failed: {message}")
        self.state.drop_part(rel)
        try:  # no stale translation of an earlier input, if it is targman's and nobody changed it
            stale = output_path(self.out_dir, rel)
            if self.state.ownership(rel, stale) == "ours":
                stale.unlink()
        except (InputError, OSError):
            pass
        if self.progress is not None:
            self.progress.file(rel, FileStatus.FAILED)

    # -- the end ----------------------------------------------------------------------------
    def assemble(self, interrupted: bool) -> RunResult:
        """segments.jsonl, errors.jsonl and run.json from the parts, in input order."""
        tables = assemble_tables(self.out_dir, self.state, self.plan.order, self.files, self.tgt,
                                 self.translator.glossary)
        write_errors(self.out_dir, self.plan.order, self.files)
        if not interrupted:
            if self.only is None:  # one article's run leaves the other files of OUT_DIR as they are
                self.state.prune({rel for rel, entry in self.files.items() if entry["status"] in (FileStatus.DONE, FileStatus.PARTIAL)})
                self.stale, self.pruned = self.stale_outputs()
            self.state.compact_outputs()
        total = time.perf_counter() - self.started
        manifest = self.manifest(tables.counts, tables.scores, tables.concepts, total, interrupted, tables.flags)
        edits = tables.edits
        manifest = with_edit_summary(manifest, edits)  # what editors changed (post_edits), and what could not be applied
        for conflict in edits.get("conflicts", []):
            log.warning(f"{conflict['doc']}: a post-edit ({conflict['via']}) was not applied: the segment "
                        f"{conflict['source']!r} had changed since; kept {conflict['current']!r}, not applied "
                        f"{conflict['theirs']!r} (review it: targman review {self.out_dir} --serve)")
        for lost in edits.get("edits_unmatched", []):
            log.warning(f"{lost['doc']}: a post-edit's source is no longer in the input: {lost['source']!r} "
                        f"(its text {lost['text']!r} stays in edits.jsonl)")
        names = None
        if self.names is not None:  # (report takes plain dicts)
            names = self.names.report({rel: dict(entry) for rel, entry in self.files.items()})
        if names is not None:  # each name: spellings seen, the one chosen and why (pipeline.names)
            manifest["names"] = names
        RunFolder(self.out_dir).write_manifest(manifest)
        if not interrupted:
            (self.state.dir / APPLY_INTENT).unlink(missing_ok=True)  # the tables follow the articles again
        return RunResult(self.out_dir, self.files, manifest, dict(self.retried))

    def manifest(self, counts: dict, scores: dict, concepts_seen: set[str], total: float, interrupted: bool,
                 flags: dict | None = None) -> Manifest:
        engine = self.translator.loaded_engine(self.tgt)
        model = engine.info() if engine else (self.state.model_info or {})
        timings = {"engine_s": self.translator.timings["engine_s"]}
        if self.translator.timings["load_s"]:
            timings["load_s"] = self.translator.timings["load_s"]
        timings["total_s"] = total
        return {
            "targman": __version__,
            "input": str(self.input_path.resolve()),
            "tgt": self.tgt,
            "status": run_status(self.files, interrupted),
            "config": outputs_config(self.config),
            "model": model,
            "versions": versions(),
            "counts": {**counts, **file_counts(self.plan.order, self.files)},
            # Not reproducible by nature: how long it took, how much an earlier run had done,
            # and what the translation memory already knew.
            "cache": self.cache_info(),
            "timings": {k: round(v, 3) for k, v in timings.items()},
            "executor": self.translator.executor_info(),  # where the engine ran: local, or Ray and its actors
            "resume": {"files_reused": self.plan.reused},
            "stale": self.stale,
            **({"chrome": self.inputs.chrome} if self.inputs and self.inputs.chrome else {}),  # lines found repeated across a folder's articles
            **({"pruned": self.pruned} if self.prune else {}),
            "scores": scores,
            "flags": flags or {"segments": 0, "by_flag": {}},  # segments flagged for review, by flag
            "glossary": self.glossary_info(model, concepts_seen),
            "files": dict(sorted(self.files.items())),
        }

    def stale_outputs(self) -> tuple[list[str], list[str]]:
        """Translations targman wrote whose input is gone: listed, or removed with `prune`
        when nobody changed them since (an edited one stays, and stays listed)."""
        inputs = set(self.plan.order)
        stale, pruned = [], []
        for rel in self.state.written():
            if rel in inputs:
                continue
            try:
                target = output_path(self.out_dir, rel)
            except InputError:
                continue
            owner = self.state.ownership(rel, target)
            if owner == "absent":
                continue
            if self.prune and owner == "ours":
                target.unlink()
                pruned.append(rel)
            else:
                stale.append(rel)
        return stale, pruned

    def cache_info(self) -> dict:
        """run.json's `cache`: the memory used, its hits, and why it was read-only or off, if it was."""
        memory = self.translator.memory
        if memory is None:
            info: dict[str, Any] = {"memory": None}
            if self.translator.memory_problem:
                info["problem"] = self.translator.memory_problem
            return info | self.journal_info()
        info = {"memory": str(memory.path), **memory.stats.to_dict()}
        if memory.problem:
            info["problem"] = memory.problem
        return info | self.journal_info()

    def journal_info(self) -> dict:
        """How many segments the run's journal gave back, if any: an interrupted run's finished batches
        (`journal_resumed`), or this run's own, when a window was translated again file by file
        after an engine failure."""
        journal = self.scope.journal
        if not (journal and journal.stats.hits):
            return {}
        return {"journal_hits": journal.stats.hits, "journal_resumed": self.resumed_journal}

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
    progress_every: float = 10.0,
    force: bool = False,
    prune: bool = False,
    review: bool = True,
    **overrides,
) -> RunResult:
    """Translate every article under `input_dir` (or the one article it names) into `out_dir`,
    then write the review report.

    `config` and `**overrides` are as `load_config`'s (`tgt="en"`, `max_length=32`,
    `cache=False`, ...); a `translator` brings its own engine, glossary and memory.
    Raises `RunInterrupted` (carrying the result) on Ctrl-C; finished files are kept.
    """
    if translator is not None and config is None and not overrides:
        config = translator.config
    config = load_config(config, tgt=tgt, **overrides)
    result = Run(Path(input_dir), Path(out_dir), config, translator=translator, engine=engine, memory=memory,
                 progress=progress, progress_every=progress_every, force=force, prune=prune).execute()
    if review:
        from pipeline.evaluation.report import write_review

        try:
            write_review(out_dir)
        except OSError as error:
            raise WriteError(str(write_error(error, "the review report in", out_dir)), result) from None
    return result


GLOSSARY_SOURCE_FLAGS = ("glossary-variant", "glossary-forbidden", "forbidden-term")


def same_glossary_matches(rows: list[dict], glossary, policy, tgt: str) -> bool:
    """Whether `glossary` finds in each row's source the hits the row has (concept, forms,
    place) and sets the same source flags: then the rows' translations still hold."""
    from pipeline.segment import Segment

    fresh = []
    for row in rows:
        segment = Segment.from_row(row)
        segment.terms, segment.flags, segment.notes = [], [], {}
        fresh.append(segment)
    if glossary is not None and tgt in glossary.languages:
        from pipeline.glossary.constraints import RunTerms

        RunTerms(glossary, policy, tgt, False).before(fresh)
    for row, segment in zip(rows, fresh):
        old_terms = [(t.get("concept"), t.get("source"), t.get("target"), t.get("start"), t.get("end"))
                     for t in row.get("terms") or []]
        new_terms = [(t.concept, t.source, t.target, t.start, t.end) for t in segment.terms]
        if old_terms != new_terms:
            return False
        old_flags = {f for f in row.get("flags") or [] if f in GLOSSARY_SOURCE_FLAGS and row.get("src_lang") != tgt}
        new_flags = {f for f in segment.flags if f in GLOSSARY_SOURCE_FLAGS and segment.src_lang != tgt}
        if row.get("src_lang") == tgt:  # passed through: its variants are flagged from the source alone
            old_flags = {f for f in row.get("flags") or [] if f in GLOSSARY_SOURCE_FLAGS}
            new_flags = set(segment.flags) & set(GLOSSARY_SOURCE_FLAGS)
        if old_flags != new_flags:
            return False
    return True


def outputs_config(config: Config) -> dict:
    """The config for run.json: all of it but where the engine ran (that is run.json's
    `executor`), so that a local run and a Ray run of the same settings say the same."""
    data = config.to_dict()
    data["run"].pop("executor", None)
    data.pop("ray", None)
    data.pop("serve", None)  # `targman serve`'s keys and limits: no part of a run
    return data


def previous_statuses(out_dir: Path) -> dict[str, str]:
    """Each input's status in the run.json an earlier run left in `out_dir` ({} when none)."""
    try:
        files = RunFolder(out_dir).manifest().get("files") or {}
    except (InputError, OSError):  # an unreadable one: as if there were none
        return {}
    return {rel: str(entry.get("status")) for rel, entry in files.items()}
