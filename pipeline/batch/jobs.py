"""Input files on their way through a run: read, cut into segments, grouped into windows."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from pipeline.batch.state import file_stat
from pipeline.config import Config
from pipeline.documents import references
from pipeline.documents.chrome import chrome_lines
from pipeline.documents.inline import tagged_sentences
from pipeline.documents.reader import Article, InputFile, is_file, read_file, reference_for
from pipeline.documents.segmenter import segment_paragraphs
from pipeline.errors import InputError
from pipeline.runfolder.status import FileStatus
from pipeline.segment import Segment
from pipeline.translation.chain import INLINE


@dataclass
class FileJob:
    """One input file on its way through the pipeline."""

    file: InputFile
    articles: list[tuple[Article, list[Segment]]] = field(default_factory=list)
    status: FileStatus = FileStatus.PENDING
    error: str | None = None
    failed_docs: dict[str, str] = field(default_factory=dict)  # JSONL articles that failed alone
    reference_problems: list[str] = field(default_factory=list)  # references that could not be lined up
    source: dict = field(default_factory=dict)  # the input's stat and hash, for resuming

    @property
    def segments(self) -> Iterator[Segment]:
        for _, segments in self.articles:
            yield from segments


def segment_file(file: InputFile, config: Config, problems: list[str] | None = None,
                 chrome: tuple[str, ...] = ()) -> list[tuple[Article, list[Segment]]]:
    """Cut every article of a file into segments (lists: a file is the unit of work). A reference
    that cannot be lined up with its article is said in `problems` (and not scored). `chrome`:
    lines found to be site chrome in the file's folder (documents.chrome), boilerplate too."""
    result = []
    for article in file.articles:
        paragraphs = [(text, sep) for text, sep, _ in article.paragraphs]
        segments = list(segment_paragraphs(article.doc, paragraphs, boilerplate=tuple(config.run.boilerplate) + chrome,
                                           repeats=article.layout is None))  # in place: a repeat is translated too
        for segment in segments:
            segment.meta.update(article.paragraphs[segment.para][2] if segment.para < len(article.paragraphs) else {})
        mark_inline(article, segments)
        if not references.attach(article.ref, segments) and article.ref and problems is not None:
            where = f"{article.doc}: its ref field" if file.fmt == "jsonl" else reference_for(file.path).name
            problems.append(f"{where} not used for scoring: {references.layout_mismatch(article.ref, segments)}")
        result.append((article, segments))
    return result


def mark_inline(article: Article, segments: list[Segment]) -> None:
    """Mark the sentences of a document read in place that have inline tags (`chain.INLINE`):
    only those ask the engine for its word alignment, so plain text costs nothing more."""
    for segment, _, _ in tagged_sentences(article.layout, segments):
        segment.meta[INLINE] = True


def read_input(root: Path, path: Path, rel: str, config: Config) -> FileJob:
    """Read one input file, not yet cut into segments (its folder's site chrome may have to be
    found first: `segment_job` then cuts it once); InputError (with the file's name) when it cannot be."""
    mb = 1024 * 1024
    try:
        before = file_stat(path)  # before reading: a later change makes the next run redo it
        ref = reference_for(path)
        ref_before = file_stat(ref) if is_file(ref) else None
        file = read_file(root, path, max_bytes=config.run.max_file_mb * mb, max_line_chars=config.run.max_line_chars,
                         html=config.html)
    except InputError:
        raise
    except OSError as error:
        raise InputError(rel, f"cannot read file ({error.strerror or error})") from None
    except Exception as error:  # a bug on one strange file must not stop the run
        raise InputError(rel, f"cannot read or segment: {type(error).__name__}: {error}") from None
    job = FileJob(file)
    job.source = {
        "file": {**before, "sha256": file.digest},
        "ref": {**ref_before, "sha256": file.ref_digest} if ref_before and file.ref_digest else None,
    }
    return job


def segment_job(job: FileJob, config: Config, chrome: tuple[str, ...] = ()) -> FileJob:
    """Cut a read file into segments (`segment_file`), with its folder's site chrome lines."""
    try:
        job.reference_problems = []
        job.articles = segment_file(job.file, config, job.reference_problems, chrome)
    except InputError:
        raise
    except Exception as error:  # noqa: BLE001 (a bug on one strange file must not stop the run)
        raise InputError(job.file.rel, f"cannot read or segment: {type(error).__name__}: {error}") from None
    return job


def read_job(root: Path, path: Path, rel: str, config: Config, chrome: tuple[str, ...] = ()) -> FileJob:
    """Read and segment one input file; InputError (with the file's name) when it cannot be."""
    return segment_job(read_input(root, path, rel, config), config, chrome)


def read_jobs(root: Path, todo: list[tuple[Path, str]], config: Config,
              chrome: Mapping[str, Iterable[str]] | None = None) -> Iterator[tuple[str, FileJob | str]]:
    """Read and segment each file in order: (relative name, its FileJob, or why it cannot be read).
    `chrome`: folder -> its site chrome lines (`documents.chrome.find_chrome`)."""
    for path, rel in todo:
        try:
            yield rel, read_job(root, path, rel, config, chrome_lines(chrome or {}, rel))
        except InputError as error:
            yield rel, str(error)


def read_group(root: Path, todo: list[tuple[Path, str]], config: Config,
               chrome: Mapping[str, Iterable[str]] | None = None) -> list[tuple[str, FileJob | str]]:
    """`read_jobs` over a few files at once."""
    return list(read_jobs(root, todo, config, chrome))


def count_group(root: Path, todo: list[tuple[Path, str]], config: Config) -> int:
    """The segments of a few files (one that cannot be read has none)."""
    return sum(sum(1 for _ in job.segments) for _, job in read_jobs(root, todo, config) if not isinstance(job, str))


class FileReader:
    """A Ray actor that reads and segments input files for a run on Ray (`read_jobs_on_ray`).

    Long-lived, and it reserves no CPU: reading is light, and must never wait behind the
    engine actors' reservations. (A Ray task per group of files, on a cluster whose CPUs the
    engine actors hold, started a worker process for nearly every group: the driver waited
    on reads for 18 of a run's 29 s.)"""

    def read(self, root: Path, todo: list[tuple[Path, str]], config: Config,
             chrome: Mapping[str, Iterable[str]] | None = None) -> list[tuple[str, FileJob | str]]:
        return read_group(root, todo, config, chrome)

    def count(self, root: Path, todo: list[tuple[Path, str]], config: Config) -> int:
        return count_group(root, todo, config)


READERS = 2  # FileReader actors for a run: each reads a few thousand small articles a second
FILES_PER_CALL = 32
CALLS_AHEAD = 8  # groups read ahead of the translation, so the driver does not wait for reads


def start_readers(ray, count: int = READERS) -> list:
    """The FileReader actors of a run, on the driver's node when it is one of the cluster's (the
    head, as a rule: a worker node that is lost takes no reading with it; Ray places them
    elsewhere when the driver's node cannot hold them). Ray restarts one that dies, and sends
    its call again."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    here = NodeAffinitySchedulingStrategy(node_id=ray.get_runtime_context().get_node_id(), soft=True)
    actor = ray.remote(FileReader).options(num_cpus=0, max_restarts=-1, max_task_retries=3, scheduling_strategy=here)
    return [actor.remote() for _ in range(count)]


def on_ray(ray, readers: list, method: str, root: Path, todo: list[tuple[Path, str]],
           config: Config, *extra: Any) -> Iterator[tuple[list, Any]]:
    """`FileReader.<method>(root, files, config)` over groups of FILES_PER_CALL files, across the
    readers, CALLS_AHEAD at a time, yielded in input order: (the files, the result, or the
    RayError of a call whose reader died every time Ray tried). The files must be where the
    cluster's workers see them, at the same path (docs/scale.md)."""
    groups = deque(todo[i:i + FILES_PER_CALL] for i in range(0, len(todo), FILES_PER_CALL))
    ahead: deque = deque()
    sent = 0
    while groups or ahead:
        while groups and len(ahead) < CALLS_AHEAD:
            group = groups.popleft()
            ahead.append((group, getattr(readers[sent % len(readers)], method).remote(root, group, config, *extra)))
            sent += 1
        group, ref = ahead.popleft()
        try:
            yield group, ray.get(ref)
        except ray.exceptions.RayError as error:
            yield group, error


def read_jobs_on_ray(ray, readers: list, root: Path, todo: list[tuple[Path, str]], config: Config,
                     chrome: Mapping[str, Iterable[str]] | None = None) -> Iterator[tuple[str, FileJob | str]]:
    """`read_jobs` by the readers on the cluster, read ahead of the run."""
    for group, result in on_ray(ray, readers, "read", root, todo, config, chrome):
        if isinstance(result, Exception):
            for _, rel in group:
                yield rel, f"{rel}: cannot read on the Ray cluster ({type(result).__name__}); see the Ray worker logs"
        else:
            yield from result


def count_on_ray(ray, readers: list, root: Path, todo: list[tuple[Path, str]], config: Config) -> int:
    """The segments of the files to do, counted by the readers (progress's total)."""
    return sum(result for _, result in on_ray(ray, readers, "count", root, todo, config) if isinstance(result, int))


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
