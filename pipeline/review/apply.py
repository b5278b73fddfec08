"""`targman apply OUT_DIR`: write the editors' post-edits into the output articles.

No model is loaded. For every finished file with a segment whose post-edit (the latest in
`edits.jsonl` for its direction, glossary context and source) differs from the article:

1. the input is read and cut into segments again, and must line up with the part's rows
   (same sources), and re-rendering the rows must give the article targman wrote, byte for
   byte: so only the edited sentences can change;
2. each edited segment takes the editor's text, exactly, as a run that met the post-edit
   would (`origin: human`, its terms checked again, the flags that depend on the
   translation recomputed; a repeated paragraph kept with `--keep-duplicates` follows);
3. the article is replaced only if targman wrote it and nobody changed it since
   (`RunState.ownership`); the new content is recorded first (`record_output`), then the
   article, then its part: so a later `targman run` finds the file finished and keeps it;
4. `segments.jsonl`, `run.json` (counts, scores, `post_edits`) and the review report follow.

A file whose input changed, or whose article was edited by hand since, is left as it is
and reported: run `targman run` again, which translates it with the post-edits.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.atomic import atomic_write_json, atomic_write_text
from pipeline.batch.parts import count_segments
from pipeline.batch.state import RunState, same_file
from pipeline.errors import InputError, TargmanError, write_error
from pipeline.evaluation.postedit import editable, with_edit_summary
from pipeline.layout import APPLY_INTENT, output_path
from pipeline.runfolder.edits import EditLog
from pipeline.runfolder.folder import RunFolder
from pipeline.runfolder.schema import Manifest
from pipeline.runfolder.status import FINISHED
from pipeline.segment import DUPLICATE, Segment

log = logging.getLogger("targman")

# Flags that depend on the source alone, kept when the translation changes; the others are
# recomputed as a run would for an editor's text (no score, one piece, no search to fail).
SOURCE_FLAGS = ("glossary-variant", "glossary-forbidden")


@dataclass
class ApplyResult:
    files: list[str] = field(default_factory=list)  # articles rewritten
    segments: int = 0  # segments that took a post-edit
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why it was left as it is)


def _run_config(run: Manifest):
    """The run's [run] settings (how its inputs were read and cut), from run.json."""
    from dataclasses import fields

    from pipeline.config import Config, RunConfig, from_mapping

    recorded = ((run.get("config") or {}).get("run")) or {}
    known = {f.name for f in fields(RunConfig)}
    try:
        return from_mapping({"run": {k: v for k, v in recorded.items() if k in known}}, where="run.json")
    except TargmanError:
        return Config()


def refinish(segment: Segment, text: str, tgt: str, glossary=None, markup: list | None = None) -> None:
    """Give `segment` an editor's translation, as a run that took the post-edit would leave it
    (`markup`: where the editor put its inline tags)."""
    from pipeline.evaluation.postedit import honoured
    from pipeline.glossary.constraints import CONSTRAINED_FLAG
    from pipeline.translation.chain import check_finished

    constrained = CONSTRAINED_FLAG in segment.flags
    segment.flags = [f for f in segment.flags if f in SOURCE_FLAGS]
    segment.notes = {f: notes for f, notes in segment.notes.items() if f in SOURCE_FLAGS}
    segment.target, segment.score, segment.origin, segment.markup = text, None, "human", markup
    if segment.terms or segment.src_lang != tgt:
        if glossary is not None and tgt in glossary.languages:
            from pipeline.glossary.stage import verify

            verify(segment, glossary, tgt, glossary.matchers[tgt])
        elif segment.terms:
            rows = [t.to_row() for t in segment.terms]
            for hit, ok in zip(segment.terms, honoured(text, rows, tgt)):
                hit.honoured = ok
    if constrained:
        segment.flag(CONSTRAINED_FLAG)
    check_finished([segment], tgt)  # as the run's chain finishes a translation


def _follow_duplicates(segments: list[Segment]) -> None:
    """A repeated paragraph that is kept carries the translation of the paragraph it repeats."""
    by_para: dict[int, list[Segment]] = {}
    for segment in segments:
        by_para.setdefault(segment.para, []).append(segment)
    previous: list[Segment] = []
    for para in sorted(by_para):
        group = by_para[para]
        if group[0].kind == DUPLICATE:
            for segment, original in zip(group, previous):
                if segment.target:  # dropped duplicates stay dropped
                    segment.target, segment.score = original.target, original.score
        else:
            previous = group


class _Skip(Exception):
    pass


def apply_edits(out_dir: str | Path, *, glossary=None) -> ApplyResult:
    """Write the post-edits of `out_dir` into its articles; see the module's docstring."""
    from pipeline.batch.jobs import read_job
    from pipeline.documents.reader import reference_for
    from pipeline.documents.writer import render_file
    out_dir = Path(out_dir)
    rows_all, run = RunFolder(out_dir).read()
    tgt = RunFolder(out_dir).target_language(run)
    if not tgt or not run.get("input"):
        raise TargmanError(f"{out_dir / 'run.json'} does not say which folder was translated into which language; "
                           "run `targman run` first")
    human = EditLog(out_dir).human(tgt)
    result = ApplyResult()
    if glossary is None:
        path = (run.get("glossary") or {}).get("path")
        if path and Path(path).is_file():
            from pipeline.glossary import load

            try:
                glossary = load(path)
            except TargmanError:
                glossary = None
    config = _run_config(run)
    input_root = Path(run["input"])
    state = RunState(out_dir)
    state.adopt()
    intent = state.dir / APPLY_INTENT
    unfinished = intent.is_file()  # an apply that was stopped half-way: its tables are finished now
    try:
        changed_rows: dict[tuple[str, int], dict] = {}
        applied: list = []
        for rel, entry in (run.get("files") or {}).items():
            if entry.get("status") not in FINISHED:
                continue
            header = state.valid_header(rel)
            if header is None:
                continue
            rows = [json.loads(line) for line in state.rows(rel)]
            assigned = {p: edit for p, edit in human.assign(rows).items() if editable(rows[p], tgt)}
            if not any(_pending(rows, p, edit, human) for p, edit in assigned.items()):
                continue
            if not unfinished:
                _write_intent(intent, out_dir)
                unfinished = True
            try:
                new_rows, text, count = _apply_file(rel, header, rows, human, tgt, glossary, config, input_root, out_dir,
                                                    state, read_job, reference_for, render_file)
            except _Skip as why:
                result.skipped.append((rel, str(why)))
                log.warning(f"{rel}: not applied: {why}")
                continue
            digest = hashlib.sha256(text if isinstance(text, bytes) else text.encode("utf-8")).hexdigest()
            target = output_path(out_dir, rel)
            new_entry = dict(header.get("entry") or {})
            segments = sum(1 for _ in new_rows)
            new_entry["flags"] = sum(1 for row in new_rows if row.get("flags"))
            new_header = {k: v for k, v in header.items() if k not in ("rows", "rows_sha256")}
            new_header.update(entry=new_entry, output_sha256=digest, counts=_counts(new_rows))
            try:
                state.record_output(rel, digest)
                atomic_write_text(target, text)
                state.save_part(new_header, [json.dumps(row, ensure_ascii=False) + "\n" for row in new_rows])
            except OSError as error:
                raise write_error(error, f"{rel}: its post-edited translation", target) from None
            for row in new_rows:
                changed_rows[(row["doc"], row["index"])] = row
            applied.extend(assigned.values())
            result.files.append(rel)
            result.segments += count
            log.info(f"{rel}: {count} post-edited segment(s) of {segments} written")
        if applied:
            _store_in_memory(run, applied, tgt)
        if unfinished:
            _rewrite_tables(out_dir, state, run, tgt, glossary, _order(rows_all, run.get("files") or {}))
            try:
                intent.unlink(missing_ok=True)
            except OSError as error:
                raise write_error(error, "the end of `apply`:", intent) from None
    finally:
        state.close()
    return result


def _write_intent(intent: Path, out_dir: Path) -> None:
    """Say, before the first article is replaced, that the run's tables must follow."""
    import time

    try:
        atomic_write_json(intent, {"started": time.time(), "note": "targman apply is writing post-edits into "
                                   "articles; segments.jsonl, run.json and the report follow when it ends"})
    except OSError as error:
        raise write_error(error, "the start of `apply`:", intent) from None


def _pending(rows: list[dict], p: int, edit, human) -> bool:
    """Whether a row's post-edit is not in its article yet."""
    if edit.after != rows[p]["target"] or edit.markup != rows[p].get("markup"):
        return True
    if edit.span > 1:
        return any(rows[q].get("target") for q, head in human.covered(rows, {p: edit}).items() if head == p)
    return edit.revert and rows[p].get("origin") == "human"


def _apply_file(rel, header, rows, human, tgt, glossary, config, input_root, out_dir, state, read_job, reference_for,
                render_file):
    target = output_path(out_dir, rel)
    owner = state.ownership(rel, target)
    if owner != "ours":
        raise _Skip({"absent": f"its translation {target} is gone; run `targman run` again",
                     "edited": f"{target} was edited by hand since targman wrote it; run `targman run` again "
                               "(it takes those edits too), then apply",
                     "foreign": f"{target} was not written by targman"}[owner])
    path = input_root / rel
    source = header.get("input") or {}
    if not same_file(path, source.get("file")) or not same_file(reference_for(path), source.get("ref")):
        raise _Skip(f"the input {path} changed (or is gone) since the run; run `targman run` again, "
                    "it translates the file with the post-edits")
    try:
        job = read_job(input_root.resolve(), path, rel, config)
    except InputError as error:
        raise _Skip(f"cannot read the input again ({error})") from None
    failed = set((header.get("entry") or {}).get("failed_articles") or {})
    kept = [(article, segments) for article, segments in job.articles if article.doc not in failed]
    segments = [s for _, group in kept for s in group]
    if len(segments) != len(rows) or any(
        (s.doc, s.index, s.source, s.kind) != (r["doc"], r["index"], r["source"], r["kind"]) for s, r in zip(segments, rows)
    ):
        raise _Skip("the input is cut into segments differently now (another targman version or settings); "
                    "run `targman run --force` to translate it again with the post-edits")
    for segment, row in zip(segments, rows):
        segment.take_results(row)
    written = render_file(job.file, kept, tgt)  # bytes for a Word file
    if hashlib.sha256(written if isinstance(written, bytes) else written.encode("utf-8")).hexdigest() != header.get("output_sha256"):
        raise _Skip("its article cannot be rebuilt byte for byte from the segment table; run `targman run --force` "
                    "to translate it again with the post-edits")
    count = 0
    assigned = {p: edit for p, edit in human.assign(rows).items() if editable(rows[p], tgt)}
    followers: dict[int, list[int]] = {}
    for q, p in human.covered(rows, assigned).items():
        followers.setdefault(p, []).append(q)
    for p, edit in assigned.items():
        if not _pending(rows, p, edit, human):
            continue
        segment = segments[p]
        refinish(segment, edit.after, tgt, glossary, edit.markup)
        if edit.revert:
            segment.origin = None  # the machine's own text again
        for q in followers.get(p, []):
            other = segments[q]
            other.target, other.score, other.origin = "", None, "human"
            other.flags = [f for f in other.flags if f in SOURCE_FLAGS]
            other.notes = {f: n for f, n in other.notes.items() if f in other.flags}
        count += 1
    by_doc: dict[str, list[Segment]] = {}
    for segment in segments:
        by_doc.setdefault(segment.doc, []).append(segment)
    for group in by_doc.values():
        _follow_duplicates(group)
    return [s.to_row() for s in segments], render_file(job.file, kept, tgt), count


def _counts(rows: list[dict]) -> dict[str, int]:
    from pipeline.translation.chain import DROPPED

    segments = [Segment.from_row(r) for r in rows]
    for segment in segments:
        if DROPPED not in segment.flags and segment.target is None:
            segment.target = segment.source
    return count_segments(segments)


def _store_in_memory(run: Manifest, edits: list, tgt: str) -> None:
    """The applied post-edits in the translation memory's human table (they were stored when
    taken; a memory that was unavailable then learns them now): an editor's own sentences
    only, not a revert to machine text, not a paragraph-wide edit."""
    cache = (run.get("config") or {}).get("cache") or {}
    if not cache.get("memory", True):
        return
    from pipeline.cachedir import cache_dir
    from pipeline.translation.memory import TranslationMemory

    by_src: dict[str, list] = {}
    for edit in edits:
        if edit.span == 1 and not edit.revert:
            by_src.setdefault(edit.src_lang, []).append((edit.context, edit.source, edit.after))
    if not by_src:
        return
    try:
        with TranslationMemory.in_folder(cache_dir(cache.get("dir") or None)) as memory:
            for src, entries in by_src.items():
                memory.store_human(src, tgt, entries)
    except (TargmanError, OSError) as error:
        log.warning(f"{error}; the post-edits stay in edits.jsonl")


def _order(rows: list[dict], files: dict) -> list[str]:
    """The input files in the order segments.jsonl has them (input order), then any others."""
    order: dict[str, None] = {}
    for row in rows:
        doc = str(row.get("doc"))
        rel = doc if doc in files else doc.split("#", 1)[0]
        if rel in files:
            order.setdefault(rel, None)
    for rel in files:
        order.setdefault(rel, None)
    return list(order)


def _rewrite_tables(out_dir: Path, state: RunState, run: Manifest, tgt: str, glossary, order: list[str]) -> None:
    """segments.jsonl from the parts (what the articles hold), in input order; run.json's
    counts, scores, post_edits and conflicts; the review report."""
    from pipeline.batch.manifest import assemble_tables
    from pipeline.evaluation.report import write_review

    files = dict(run.get("files") or {})
    tables = assemble_tables(out_dir, state, order, files, tgt, glossary, checked=True)
    manifest = run.copy()
    manifest["counts"] = {**(run.get("counts") or {}), **tables.counts}
    manifest["scores"] = tables.scores
    manifest["flags"] = tables.flags
    manifest["files"] = files
    RunFolder(out_dir).write_manifest(with_edit_summary(manifest, tables.edits))
    write_review(out_dir)
