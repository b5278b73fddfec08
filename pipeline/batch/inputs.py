"""The run's input files: each read, its folder's site chrome found, and cut into segments once,
here or by reader actors on a Ray cluster (`batch.jobs`).

`Run` asks three things of them: the segments still to do before the run starts (progress's
total), the chrome found (run.json), and the files' jobs in input order as the run reaches them.
Reading ahead for the first two keeps the jobs, so the run takes them instead of reading again.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from pipeline.batch.jobs import (
    FileJob,
    count_on_ray,
    read_input,
    read_job,
    read_jobs,
    read_jobs_on_ray,
    segment_job,
    start_readers,
)
from pipeline.batch.plan import Plan
from pipeline.config import Config
from pipeline.documents.chrome import chrome_lines, find_chrome
from pipeline.errors import InputError

if TYPE_CHECKING:
    from pipeline.translation.translator import Translator

# Paragraphs of the files read ahead of the run that are kept for it, so that a folder is read and
# segmented once; beyond them (a very large folder) the rest is read again as the run reaches it.
READ_AHEAD = 50_000


class Inputs:
    """The files of `plan.todo` under `input_dir` (the plan's list is read as it is when asked:
    the run drops hand-edited files it cannot take after the read-ahead)."""

    def __init__(self, input_dir: Path, plan: Plan, config: Config, translator: Translator):
        self.root = input_dir.resolve()
        self.plan = plan
        self.config = config
        self.translator = translator
        self.chrome: dict[str, dict[str, int]] = {}  # folder -> its site chrome lines and their counts
        self._kept: dict[str, FileJob | str] = {}  # files read ahead, for the run to take (or why they failed)
        self._readers: list | None = None  # [run] executor = "ray": the FileReader actors (batch.jobs)

    @property
    def on_ray(self) -> bool:
        """`[run] executor = "ray"`: files are read, and engine batches translated, on a Ray cluster
        (the Translator's engine is a `RayEngine`)."""
        return self.translator.config.run.executor == "ray"

    def read_ahead(self, counting: bool) -> int:
        """Find the folders' site chrome (`documents.chrome`) and, when something needs them before
        the run (`counting`: progress's total in segments, or the chrome), read the files still to
        do: each is read, then cut into segments with its folder's chrome, once. `jobs` hands these
        over; beyond READ_AHEAD paragraphs the rest is counted, not kept, and read again as the run
        reaches it. Returns the segments counted."""
        folders = {path.parent for path, _ in self.plan.todo}
        if not (counting or self.config.run.chrome_min_docs) or self.on_ray:
            self.chrome = find_chrome(self.root, folders, self.config)
            return 0
        kept: dict[str, FileJob | str] = {}
        paragraphs = 0
        for path, rel in self.plan.todo:
            if paragraphs >= READ_AHEAD:
                break
            try:
                job: FileJob | str = read_input(self.root, path, rel, self.config)
            except InputError as error:
                job = str(error)
            kept[rel] = job
            if not isinstance(job, str):
                paragraphs += sum(len(article.paragraphs) for article in job.file.articles)
        known = {job.file.path: job.file for job in kept.values() if not isinstance(job, str)}
        self.chrome = find_chrome(self.root, folders, self.config, known=known)
        total = 0
        for path, rel in self.plan.todo:
            if rel not in kept:  # beyond READ_AHEAD: counted for progress only, read again by the run
                if not counting:
                    break
                try:
                    total += sum(1 for _ in read_job(self.root, path, rel, self.config,
                                                     chrome_lines(self.chrome, rel)).segments)
                except InputError:
                    pass
                continue
            job = kept[rel]
            if not isinstance(job, str):
                try:
                    total += sum(1 for _ in segment_job(job, self.config, chrome_lines(self.chrome, rel)).segments)
                except InputError as error:
                    job = str(error)
            self._kept[rel] = job
        return total

    def count(self, read: int) -> int:
        """The segments of the files still to do, for progress (`read`: what `read_ahead` counted;
        on Ray the reader actors count them)."""
        if self.on_ray and self.plan.todo:
            return count_on_ray(self.translator.ray_pool().ray, self.readers(), self.root, self.plan.todo, self.config)
        return read

    def jobs(self) -> Iterator[tuple[str, FileJob | str]]:
        """Each file still to do, read and segmented with its folder's chrome (here, or by reader
        actors on the Ray cluster), in input order: its job, or why it cannot be read."""
        if self.on_ray and self.plan.todo:
            yield from read_jobs_on_ray(self.translator.ray_pool().ray, self.readers(), self.root, self.plan.todo,
                                        self.config, self.chrome)
            return
        for path, rel in self.plan.todo:
            known = self._kept.pop(rel, None)
            if known is None:
                yield from read_jobs(self.root, [(path, rel)], self.config, self.chrome)
            else:
                yield rel, known

    def readers(self) -> list:
        """The run's FileReader actors on the Ray cluster, started on first need."""
        if self._readers is None:
            self._readers = start_readers(self.translator.ray_pool().ray)
        return self._readers

    def stop(self) -> None:
        """Stop the reader actors, if any were started."""
        if self._readers:
            ray = self.translator.ray_pool().ray
            for reader in self._readers:
                try:
                    ray.kill(reader)
                except Exception:  # gone with the cluster already
                    pass
        self._readers = None
