"""Planning a run: which inputs exist, which are skipped, which an earlier run finished.

A file is finished when its part says so and nothing it depends on changed (the
input, its reference sibling, the translated file: see `RunState.finished`); every
other input is still to do.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from pipeline.batch.state import RunState
from pipeline.documents.reader import discover, reference_for, why_not_read
from pipeline.errors import InputError, TargmanError
from pipeline.layout import output_path
from pipeline.runfolder.schema import FileEntry
from pipeline.runfolder.status import FileStatus

log = logging.getLogger("targman")


def check_folders(input_dir: Path, out_dir: Path) -> None:
    """Refuse inputs and output folders that cannot work before anything is loaded. The input
    is a folder of articles, or one article (then its folder is the one OUT_DIR must not be)."""
    if not input_dir.exists():
        raise TargmanError(f"{input_dir}: no such file or folder (give the folder of articles, or one article, "
                           "to translate)")
    if not input_dir.is_dir():
        problem = why_not_read(input_dir)
        if problem:
            raise TargmanError(f"{input_dir}: {problem}")
        input_dir = input_dir.parent
    if out_dir.exists() and not out_dir.is_dir():
        raise TargmanError(f"{out_dir}: is a file; the output must be a folder")
    root, out = input_dir.resolve(), out_dir.resolve()
    if out == root or root.is_relative_to(out):
        raise TargmanError(
            f"the output folder {out_dir} is (or contains) the articles folder {input_dir}: "
            "translations would overwrite articles; choose another output folder"
        )


@dataclass
class Plan:
    order: list[str] = field(default_factory=list)  # every input file, in input order
    files: dict[str, FileEntry] = field(default_factory=dict)  # known before translating: skipped, failed, reused
    todo: list[tuple[Path, str]] = field(default_factory=list)  # (path, relative name) still to translate
    reused: int = 0  # finished by an earlier run
    edited: list[str] = field(default_factory=list)  # to do, and their translation was edited by hand
    regloss: list[str] = field(default_factory=list)  # finished, but their glossary matches changed: to do again


def plan_run(input_dir: Path, out_dir: Path, state: RunState, only: Path | None = None,
             fresh: Callable[[str, dict], bool] | None = None) -> Plan:
    """Every input file in order; what is skipped or already finished is recorded, the rest is to do.
    `only`: the one file of `input_dir` to translate (`targman run ARTICLE.txt`). `fresh(rel, header)`:
    whether a finished file still holds (False: translate it again, e.g. its glossary matches changed)."""
    plan = Plan()
    root, out = input_dir.resolve(), out_dir.resolve()
    exclude = out_dir if out.is_relative_to(root) else None
    found = [(root / only.name, None)] if only is not None else discover(input_dir, exclude=exclude)
    for path, skip in found:
        rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        try:
            rel.encode("utf-8")
        except UnicodeEncodeError:
            # Linux allows any bytes in a name; reports and segment rows are UTF-8 text.
            rel = rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            plan.order.append(rel)
            if skip:
                plan.files[rel] = {"status": FileStatus.SKIPPED, "reason": skip}
            else:
                message = f"{rel}: file name is not valid UTF-8 (shown with \ufffd); rename the file"
                plan.files[rel] = {"status": FileStatus.FAILED, "error": message}
                log.warning(f"failed: {message}")
            continue
        plan.order.append(rel)
        if skip:
            plan.files[rel] = {"status": FileStatus.SKIPPED, "reason": skip}
            continue
        try:
            target = output_path(out_dir, rel)
        except InputError:
            plan.todo.append((path, rel))  # fails when written, with the reason
            continue
        header = state.finished(rel, path, reference_for(path), target)
        if header is not None and fresh is not None and not fresh(rel, header):
            plan.regloss.append(rel)
            header = None
        if header is not None:
            plan.files[rel] = header["entry"]
            plan.reused += 1
            continue
        owner = state.ownership(rel, target)
        if owner == "foreign":
            message = (f"{rel}: {target} exists and targman did not write it; it is kept. Move it away, or choose "
                       "another output folder, and run again")
            plan.files[rel] = {"status": FileStatus.FAILED, "error": message}
            log.warning(f"failed: {message}")
            continue
        if owner == "edited":
            plan.edited.append(rel)
        plan.todo.append((path, rel))
    return plan
